//! Hermetic invocation of the git CLI.
//!
//! Everything the fixture generator runs goes through [`git`], and tests
//! can use the same helpers so that neither the user's nor the system's
//! configuration leaks into results, and identities and dates are fixed.

use std::io;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Identity used by [`git_env`] for commits made after generation
/// (the Fedora kernel maintainer, as in the fixture's packaging).
pub const USER_NAME: &str = "Justin M. Forbes";
/// E-mail of [`USER_NAME`].
pub const USER_EMAIL: &str = "jforbes@fedoraproject.org";
/// Date used by [`git_env`] for commits made after generation, in git's
/// raw format. It is later than every commit date in any fixture
/// (2025-01-01T00:00:00Z), so new commits sort after generated ones.
pub const FIXED_DATE: &str = "1735689600 +0000";

/// Environment variables removed before running git: they would redirect
/// git to another repository or inject configuration.
pub const GIT_ENV_REMOVE: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_REPLACE_REF_BASE",
    "GIT_GRAFT_FILE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_SEQUENCE_EDITOR",
    "GIT_TRACE",
    "GIT_TRACE2",
    "GIT_TRACE2_EVENT",
    "GIT_TRACE2_PERF",
];

/// The hermetic environment: no system or global configuration, fixed
/// identity and dates, no pager, no editor, no prompts, C locale, UTC.
pub fn git_env() -> Vec<(String, String)> {
    [
        ("GIT_CONFIG_NOSYSTEM", "1"),
        ("GIT_CONFIG_GLOBAL", "/dev/null"),
        ("GIT_AUTHOR_NAME", USER_NAME),
        ("GIT_AUTHOR_EMAIL", USER_EMAIL),
        ("GIT_AUTHOR_DATE", FIXED_DATE),
        ("GIT_COMMITTER_NAME", USER_NAME),
        ("GIT_COMMITTER_EMAIL", USER_EMAIL),
        ("GIT_COMMITTER_DATE", FIXED_DATE),
        ("GIT_TERMINAL_PROMPT", "0"),
        ("GIT_EDITOR", "true"),
        ("GIT_MERGE_AUTOEDIT", "no"),
        ("GIT_PAGER", "cat"),
        ("PAGER", "cat"),
        ("GIT_ADVICE", "0"),
        ("LC_ALL", "C"),
        ("LANG", "C"),
        ("TZ", "UTC"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Applies the hermetic environment to any command (e.g. pq's binary in
/// integration tests).
pub fn hermetic(cmd: &mut Command) -> &mut Command {
    for k in GIT_ENV_REMOVE {
        cmd.env_remove(k);
    }
    cmd.envs(git_env())
}

/// A `git` command running in `dir` with the hermetic environment.
pub fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir);
    hermetic(&mut cmd);
    cmd
}

/// Runs `git ARGS` in `dir`; returns its output whatever the exit status.
pub fn run(dir: &Path, args: &[&str]) -> io::Result<Output> {
    git(dir).args(args).stdin(Stdio::null()).output()
}

/// Runs `git ARGS` in `dir` and returns its stdout (trailing newline
/// removed); a non-zero exit is an error carrying stderr.
pub fn output(dir: &Path, args: &[&str]) -> io::Result<String> {
    let out = run(dir, args)?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "git {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    while s.ends_with('\n') {
        s.pop();
    }
    Ok(s)
}
