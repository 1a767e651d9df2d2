//! Progress bars: drawn on stderr when it is a terminal (here a pseudo-terminal made by util-linux's
//! `script`), one per long phase; nothing at all when stderr is a pipe or the output is JSON.

mod common;

use std::process::Command;

use common::*;

/// Single-quote `s` for `sh -c`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Run pq with its stdout and stderr on a pseudo-terminal; returns everything written to it.
fn pq_on_tty(r: &TestRepo, args: &[&str]) -> (i32, String) {
    let pq = assert_cmd::cargo::cargo_bin("pq");
    let mut line = sh_quote(pq.to_str().expect("utf-8 path"));
    for a in args {
        line.push(' ');
        line.push_str(&sh_quote(a));
    }
    let mut cmd = Command::new("script");
    // -q: no start/done banners; -e: the child's exit status; -c: the command; /dev/null: no typescript file.
    cmd.args(["-q", "-e", "-c", &line, "/dev/null"]).current_dir(&r.dir);
    hermetic(&mut cmd, r.home(), NOW);
    // indicatif draws on any terminal; a known TERM keeps its cursor movements plain ANSI.
    cmd.env("TERM", "xterm").env("COLUMNS", "120").env("LINES", "40");
    let out = cmd
        .output()
        .expect("util-linux `script` runs (package bsdutils / util-linux)");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn kernel_on_fedora() -> (TestRepo, xtask::fixture::KernelFixture) {
    let (r, fx) = TestRepo::kernel();
    r.pq_ok(&["init", "--base", "v6.7.1"]);
    (r, fx)
}

#[test]
fn backport_draws_a_bar_per_phase_on_a_terminal() {
    let (r, fx) = kernel_on_fedora();
    let (code, tty) = pq_on_tty(&r, &["backport", "v6.7..v6.8", &fx.clean_backport_path]);
    assert_eq!(code, 0, "{tty}");
    for phase in ["selecting", "patch-ids", "replaying", "checkout"] {
        assert!(tty.contains(phase), "no {phase} bar on the terminal:\n{tty:?}");
    }
    // A bar, not just the word: the bar's frame and its position out of the total.
    let picks = fx.clean_backport_count;
    assert!(tty.contains('['), "{tty:?}");
    assert!(tty.contains(&format!("/{picks}")), "no n/{picks} count:\n{tty:?}");
    // The report follows the bars.
    let report = tty.rfind("picked into").expect("the report");
    assert!(tty.find("replaying").expect("bar") < report, "{tty:?}");
    r.fsck();
}

#[test]
fn rebase_draws_bars_on_a_terminal() {
    let (r, _) = kernel_on_fedora();
    let (code, tty) = pq_on_tty(&r, &["rebase", "v6.7.2"]);
    assert!(code == 0 || code == 1, "{tty}");
    for phase in ["selecting", "replaying"] {
        assert!(tty.contains(phase), "no {phase} bar on the terminal:\n{tty:?}");
    }
}

#[test]
fn nothing_is_drawn_on_a_pipe_or_with_json() {
    let (r, fx) = kernel_on_fedora();
    let out = r.pq(&["backport", "v6.7..v6.8", &fx.clean_backport_path, "--dry-run"]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.is_empty(), "stderr on a pipe should stay empty, got {err:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains('\u{1b}'), "escape sequences on a pipe: {stdout:?}");

    // On a terminal, but JSON for a machine: no bar either.
    let (code, tty) = pq_on_tty(
        &r,
        &["backport", "v6.7..v6.8", &fx.clean_backport_path, "--format", "json"],
    );
    assert_eq!(code, 0, "{tty}");
    for phase in ["selecting", "patch-ids", "replaying", "checkout"] {
        assert!(!tty.contains(phase), "a {phase} bar in JSON mode:\n{tty:?}");
    }
    assert!(!tty.contains('\u{1b}'), "escape sequences in JSON mode: {tty:?}");
    let json: serde_json::Value = serde_json::from_str(tty.trim()).expect("only JSON on the terminal");
    assert_eq!(
        json["commits"].as_array().map(Vec::len),
        Some(fx.clean_backport_count),
        "{json}"
    );
}
