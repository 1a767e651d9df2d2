//! `cargo xtask demo [DIR]`: build pq, generate a kernel-like source-git tree, and run pq's main job on it,
//! printing every command as a user would type it.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::workspace_root;

use xtask::fixture::{kernel, KernelOptions};

fn step(pq: &Path, dir: &Path, args: &[&str]) -> Result<i32, String> {
    println!("\n$ pq {}", args.join(" "));
    let mut cmd = Command::new(pq);
    xtask::git::hermetic(&mut cmd);
    let status = cmd
        .args(args)
        .current_dir(dir)
        .status()
        .map_err(|e| format!("running pq: {e}"))?;
    Ok(status.code().unwrap_or(-1))
}

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
    println!("branch fedora-6.7 = v6.7.1 + redhat/ packaging + local patches");

    let must = |code: i32, what: &str| {
        if code == 0 {
            Ok(())
        } else {
            Err(format!("`pq {what}` failed"))
        }
    };
    must(step(&pq, &dir, &["init", "--base", "v6.7.1"])?, "init")?;
    must(step(&pq, &dir, &["status"])?, "status")?;
    must(
        step(&pq, &dir, &["backport", "v6.7..v6.8", "lib/zstd", "--dry-run"])?,
        "backport --dry-run",
    )?;
    // The real run stops at the first conflict (exit 1): that is the point of the demo.
    let mut code = step(&pq, &dir, &["backport", "v6.7..v6.8", "lib/zstd"])?;
    while code == 1 {
        println!("(the demo drops conflicting picks; a maintainer would resolve them and run `pq continue`)");
        code = step(&pq, &dir, &["skip"])?;
    }
    must(code, "backport")?;
    must(
        step(&pq, &dir, &["series", "show", "backport/lib-zstd"])?,
        "series show",
    )?;
    must(step(&pq, &dir, &["rebase", "v6.7.2", "--dry-run"])?, "rebase --dry-run")?;
    must(step(&pq, &dir, &["log"])?, "log")?;
    println!("\ndone: explore {} with git and pq (try `pq undo`)", dir.display());
    Ok(())
}
