#![no_main]

// Each target uses one of the shared checks.
#[allow(dead_code)]
#[path = "../../tests/parser_checks/mod.rs"]
mod parser_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| parser_checks::stop_file(data));
