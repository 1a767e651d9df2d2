//! `cargo xtask demo [DIR]`: build pq and generate a kernel-like source-git tree that pq does not manage yet,
//! ready for the README's walk-through (which it prints).

use std::path::PathBuf;

use super::workspace_root;

use xtask::fixture::{kernel, KernelOptions};

pub fn run(args: &[String]) -> Result<(), String> {
    let root = workspace_root();
    let dir = args.first().map(PathBuf::from).unwrap_or_else(|| root.join("demo"));
    let pq = super::build_pq_release(&root)?;
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("removing {}: {e}", dir.display()))?;
    }
    let mut opts = KernelOptions::small();
    opts.checkout = Some("fedora-6.7".into());
    let fx = kernel(&dir, &opts).map_err(|e| format!("generating the fixture: {e}"))?;
    println!(
        "generated a kernel-like source-git tree in {} ({} commits)",
        dir.display(),
        fx.commits.len()
    );
    println!("branch fedora-6.7 = v6.7.1 + redhat/ packaging + local patches; pq does not manage it yet");
    // The tree is left as the README's walk-through expects it: follow it from here.
    let readme = std::fs::read_to_string(root.join("README.md")).map_err(|e| format!("reading README.md: {e}"))?;
    let steps = xtask::walkthrough::steps(&readme)?;
    println!(
        "\npq is {}; the walk-through (README.md), from {}:",
        pq.display(),
        root.display()
    );
    for s in &steps {
        match s.args.first().map(String::as_str) {
            Some("cd") => println!("  cd {}", dir.display()),
            _ => println!("  {}", s.line),
        }
    }
    Ok(())
}
