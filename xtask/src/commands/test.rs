//! `cargo xtask test`: the whole check suite, as CI runs it: formatting, lints, every test, the book.

use std::path::Path;
use std::process::Command;

use super::workspace_root;

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn run(root: &Path, program: &str, args: &[&str]) -> Result<(), String> {
    println!("$ {program} {}", args.join(" "));
    let ok = Command::new(program)
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|e| format!("{program}: {e}"))?
        .success();
    if ok {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed", args.join(" ")))
    }
}

pub fn run_all(_args: &[String]) -> Result<(), String> {
    let root = workspace_root();
    let cargo = env!("CARGO");
    run(&root, cargo, &["fmt", "--all", "--", "--check"])?;
    run(
        &root,
        cargo,
        &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
    )?;
    if have("mdbook") {
        run(&root, "mdbook", &["build", "book"])?;
    } else if std::env::var_os("CI").is_some() {
        // In CI a missing tool is a failure, never a skip.
        return Err("mdbook is not installed (`cargo install mdbook --locked`)".into());
    } else {
        println!("mdbook is not installed: skipping the book build (`cargo install mdbook --locked`)");
    }
    let nextest = Command::new(cargo)
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if nextest {
        // nextest does not run doctests; they go first so the suite's summary is the last thing printed.
        run(&root, cargo, &["test", "--workspace", "--doc"])?;
        run(&root, cargo, &["nextest", "run", "--workspace", "--no-fail-fast"])?;
    } else {
        run(&root, cargo, &["test", "--workspace"])?;
    }
    Ok(())
}
