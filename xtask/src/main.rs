//! `cargo xtask <command>`: developer tasks for pq.

mod commands;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command> [args]

commands:
  fixture kernel DIR [--size small|large] [--files N --commits N] [--checkout BRANCH|--no-checkout]
      generate a source-git kernel repository for tests and benchmarks
  bench [backport|rebase|select|all] [--files N --commits N] [--picks N] [--runs N] [--keep DIR]
      time pq against the git CLI on the same generated repositories, check both give the same trees,
      and write the table to target/bench/results.md
  compare-picks --repo PATH --onto REV [--pq BIN] [--keep DIR] RANGE [-- PATHS...]
      backport RANGE onto REV in fresh clones of PATH with git's cherry-pick -x loop and with pq (skipping
      every stop on both sides); report pick by pick where stops or trees differ, and both wall times
  demo [DIR]
      build pq, generate a kernel-like tree in DIR (default ./demo) and run pq's main job on it
  test
      run the whole check suite as CI does: fmt, clippy, all tests, the book
  help
      show this message";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("fixture") => commands::fixture::run(&args[1..]),
        Some("bench") => commands::bench::run(&args[1..]),
        Some("compare-picks") => commands::compare::run(&args[1..]),
        Some("demo") => commands::demo::run(&args[1..]),
        Some("test") => commands::test::run_all(&args[1..]),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command {other:?}\n\n{USAGE}")),
        None => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
