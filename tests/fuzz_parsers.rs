//! Time-boxed mutation fuzzing of every parser pq has, seeded from `fixtures/corpus/<target>/`, with the
//! checks of `tests/parser_checks/` (which the `cargo fuzz` targets in `fuzz/` share).
//!
//! Each target gets `PQ_FUZZ_SECONDS` seconds (default 1, so CI stays quick; run
//! `PQ_FUZZ_SECONDS=600 cargo test --release --test fuzz_parsers -- --nocapture --test-threads 1` for the
//! long runs). Inputs are corpus files mutated by byte flips, insertions, deletions, splices and
//! line duplication; any panic fails the test and prints the input (hex) that caused it. The seed is random
//! and printed (`PQ_FUZZ_SEED=N` repeats a run).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

mod parser_checks;

use xtask::fixture::rng::Rng;

const INTERESTING: &[&[u8]] = &[
    b"\n",
    b"\r\n",
    b"%",
    b"%%",
    b"%changelog\n",
    b"* ",
    b"[",
    b"]",
    b"=",
    b"\"",
    b"'",
    b"\0",
    b"\xff\xfe",
    b"\xc3\xa9",
    b"<<<<<<< ",
    b"=======\n",
    b">>>>>>> ",
    b"schema = 2\n",
    b"-rc",
    b"~",
    b"^",
    b".el9",
    b"::",
    b"commit ",
    b"(cherry picked from commit ",
    b"0123456789abcdef0123456789abcdef01234567",
    b"%define ",
    b"%global ",
    b"VERSION = ",
    b"urgency=",
    b" -- ",
    b"[[patches]]\n",
    b"{",
    b"}",
    b"\t",
];

fn mutate(rng: &mut Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(7) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(v.len() + 1);
                let ins = INTERESTING[rng.below(INTERESTING.len())];
                v.splice(i..i, ins.iter().copied());
            }
            2 if !v.is_empty() => {
                let i = rng.below(v.len());
                let n = rng.below((v.len() - i).min(64)) + 1;
                v.drain(i..i + n);
            }
            3 => {
                let other = &corpus[rng.below(corpus.len())];
                if !other.is_empty() {
                    let a = rng.below(other.len());
                    let b = a + rng.below(other.len() - a) + 1;
                    let i = rng.below(v.len() + 1);
                    v.splice(i..i, other[a..b].iter().copied());
                }
            }
            4 if !v.is_empty() => {
                // Duplicate a line.
                let lines: Vec<&[u8]> = v.split_inclusive(|b| *b == b'\n').collect();
                let l = lines[rng.below(lines.len())].to_vec();
                let i = rng.below(v.len() + 1);
                v.splice(i..i, l);
            }
            5 if !v.is_empty() => {
                let i = rng.below(v.len());
                v.truncate(i);
            }
            _ => {
                let i = rng.below(v.len() + 1);
                v.insert(i, rng.next_u64() as u8);
            }
        }
    }
    v
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/corpus")
        .join(target);
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    out.sort();
    out.push(Vec::new());
    out
}

fn fuzz(target: &str, f: impl Fn(&[u8])) {
    let secs: f64 = std::env::var("PQ_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    let seeds = corpus(target);
    // A fresh seed each run (printed, and named on failure); PQ_FUZZ_SEED repeats a run.
    let seed = xtask::fixture::rng::seed_from_env("PQ_FUZZ_SEED");
    eprintln!("fuzz {target}: seed {seed} (repeat with PQ_FUZZ_SEED={seed})");
    let mut rng = Rng::new(seed);
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut runs = 0u64;
    for s in &seeds {
        f(s);
    }
    let mut current = seeds[0].clone();
    while Instant::now() < deadline {
        for _ in 0..64 {
            let input = mutate(&mut rng, &current, &seeds);
            let result = catch_unwind(AssertUnwindSafe(|| f(&input)));
            if result.is_err() {
                let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
                panic!("{target}: parser panicked on input (hex) {hex} (seed {seed})");
            }
            runs += 1;
            // Walk away from the seed now and then so mutations compound.
            if rng.below(8) == 0 {
                current = if rng.below(4) == 0 {
                    seeds[rng.below(seeds.len())].clone()
                } else {
                    input
                };
            }
        }
    }
    eprintln!("fuzz {target}: {runs} inputs in {secs} s, no panic");
}

#[test]
fn state_file() {
    fuzz("state", parser_checks::state);
}

#[test]
fn stop_file() {
    fuzz("stop", parser_checks::stop_file);
}

#[test]
fn patch_files() {
    fuzz("patch", parser_checks::patch);
}

#[test]
fn config_file() {
    fuzz("config", parser_checks::config);
}

#[test]
fn provenance_and_trailers() {
    fuzz("message", parser_checks::message);
}

#[test]
fn spec_file() {
    fuzz("spec", parser_checks::spec);
}

#[test]
fn debian_changelog() {
    fuzz("debian-changelog", parser_checks::debian_changelog);
}

#[test]
fn makefile_version() {
    fuzz("makefile", parser_checks::makefile);
}

#[test]
fn nvr_and_vercmp() {
    fuzz("nvr", parser_checks::nvr);
}

#[test]
fn conflict_markers() {
    fuzz("conflict", parser_checks::conflict);
}
