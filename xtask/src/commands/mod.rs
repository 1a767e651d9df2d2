//! Subcommands of the xtask binary, one module each.

pub mod bench;
pub mod clock;
pub mod compare;
pub mod demo;
pub mod fixture;
pub mod test;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The top of the workspace (xtask sits in it).
pub fn workspace_root() -> PathBuf {
    xtask::oracle::workspace_root()
}

/// Build pq in release mode and return the binary's path.
pub fn build_pq_release(root: &Path) -> Result<PathBuf, String> {
    println!("building pq (release)...");
    let ok = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "-p", "pq"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("cargo build: {e}"))?
        .success();
    if !ok {
        return Err("cargo build failed".into());
    }
    Ok(root.join("target/release/pq"))
}
