//! Where the tests' oracles are: the real-history corpus and the distribution tools (`rpmspec`, `rpm`,
//! `dpkg-parsechangelog`). One place decides what happens when one is missing: the test fails, loudly,
//! naming what to install or where to point; it never passes by skipping. (In CI, `.ci/run` installs the
//! tools, and a failed install already fails the run.)

use std::path::{Path, PathBuf};
use std::process::Command;

/// The environment variable that overrides where the corpus is.
pub const CORPUS_ENV: &str = "PQ_CORPUS";

/// The top of the workspace (xtask sits in it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

/// Whether this is a CI run (`CI=true`, as `.ci/run` is started).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Where the corpus would be: `$PQ_CORPUS`, else `../shared/corpus` from the workspace root (as in CI, and
/// in a worktree whose parent holds a `shared` link).
pub fn corpus_location() -> PathBuf {
    match std::env::var_os(CORPUS_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => workspace_root().join("..").join("shared").join("corpus"),
    }
}

/// The corpus directory, or a panic saying where it was looked for and how to point elsewhere.
pub fn corpus() -> PathBuf {
    let dir = corpus_location();
    if !dir.is_dir() {
        panic!(
            "the test corpus is missing: {} does not exist{}; set {CORPUS_ENV} to its location",
            dir.display(),
            if in_ci() { " (CI: it must be there)" } else { "" }
        );
    }
    dir
}

/// A file of the corpus (`xfsprogs.bundle`, `packaging/...`), which must exist.
pub fn corpus_file(rel: &str) -> PathBuf {
    let p = corpus().join(rel);
    assert!(p.exists(), "the corpus has no {rel} (looked at {})", p.display());
    p
}

/// Whether `tool --version` runs.
pub fn have_tool(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Fail unless `tool` is installed; `package` is what provides it (`rpm`, `dpkg-dev`).
pub fn require_tool(tool: &str, package: &str) {
    assert!(
        have_tool(tool),
        "{tool} is not installed: the test compares against it (apt-get install {package}; .ci/run installs it)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_is_found_from_the_workspace() {
        let dir = corpus();
        assert!(dir.join("xfsprogs.bundle").exists(), "{}", dir.display());
        assert!(dir.join("packaging").is_dir(), "{}", dir.display());
    }
}
