//! Kill pq at random moments and check that nothing is lost: `git fsck` stays clean, and `pq abort` or
//! `pq undo` brings refs, HEAD, index, work tree and the user's uncommitted changes back exactly. Killed
//! commands: backport (into a new and an existing series), rebase, release, undo (of a backport and of a
//! queue edit) and the queue edits `pq drop`, `pq move` and `pq series rename`.
//!
//! `PQ_TORTURE_COUNT` sets the number of kills (default 18, two per command, small enough for CI; run 200+
//! locally with `PQ_TORTURE_COUNT=216 cargo nextest run --test torture --no-capture`). The seed is fresh
//! each run and printed; `PQ_TORTURE_SEED` repeats a run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use xtask::fixture::rng::{fnv1a, Rng};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = xtask::git::git(dir).args(args).output().expect("git runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pq(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pq"));
    xtask::git::hermetic(&mut cmd);
    cmd.arg("-C").arg(dir).args(args).output().expect("pq runs")
}

/// Everything a user could lose: refs (without pq's append-only logs), HEAD, index entries, status, and the
/// bytes of every file in the work tree.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let mut s = BTreeMap::new();
    // pq's state by its content (the tree): the state commit's message holds the command line, `-C DIR`
    // and all, which differs between the clones compared.
    let refs: String = git(
        dir,
        &[
            "for-each-ref",
            "--format=%(refname) %(objectname) %(if:equals=commit)%(objecttype)%(then)%(tree)%(end)",
        ],
    )
    .lines()
    .filter(|l| !l.starts_with("refs/pq/oplog") && !l.starts_with("refs/pq/rerere"))
    .map(|l| match l.strip_prefix("refs/pq/state/") {
        Some(rest) => {
            let mut f = rest.split(' ');
            format!(
                "refs/pq/state/{} tree {}\n",
                f.next().unwrap_or(""),
                f.nth(1).unwrap_or("")
            )
        }
        None => format!("{}\n", l.trim_end()),
    })
    .collect();
    s.insert("refs".into(), refs);
    s.insert(
        "HEAD".into(),
        git(dir, &["symbolic-ref", "-q", "HEAD"]) + &git(dir, &["rev-parse", "HEAD"]),
    );
    s.insert("index".into(), git(dir, &["ls-files", "-s"]));
    s.insert(
        "status".into(),
        git(dir, &["status", "--porcelain=v1", "--untracked-files=all"]),
    );
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                let bytes = std::fs::read(&p).unwrap_or_default();
                s.insert(format!("file:{rel}"), format!("{:x}", fnv1a(&bytes)));
            }
        }
    }
    s
}

/// The keys that differ, each with the lines only one side has (`-` expected, `+` found).
fn diff(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in a.keys().chain(b.keys()) {
        let (x, y) = (a.get(k), b.get(k));
        if x == y || out.iter().any(|o| o.starts_with(&format!("{k}:"))) {
            continue;
        }
        let lines = |v: Option<&String>| -> Vec<String> {
            v.map(|v| v.lines().map(String::from).collect()).unwrap_or_default()
        };
        let (xs, ys) = (lines(x), lines(y));
        let mut d = format!("{k}:");
        for l in xs.iter().filter(|l| !ys.contains(l)) {
            d.push_str(&format!("\n  -{l}"));
        }
        for l in ys.iter().filter(|l| !xs.contains(l)) {
            d.push_str(&format!("\n  +{l}"));
        }
        out.push(d);
    }
    out
}

/// The fixture repository, and its path whose backport applies cleanly.
fn template() -> (PathBuf, String) {
    static DIR: std::sync::OnceLock<(tempfile::TempDir, PathBuf, String)> = std::sync::OnceLock::new();
    let (_, dir, clean) = DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("kernel");
        let mut opts = xtask::fixture::KernelOptions::small();
        opts.checkout = Some("fedora-6.7".into());
        let fx = xtask::fixture::kernel(&dir, &opts).expect("fixture");
        (tmp, dir, fx.clean_backport_path)
    });
    (dir.clone(), clean.clone())
}

/// A clone of the fixture managed by pq, with the user's own work in it, and `prepare` run: the temp dir
/// holding it, the clone, and the snapshot from before `prepare` (what undoing it brings back).
fn setup(
    template: &Path,
    args: &[&str],
    prepare: Option<&[&str]>,
) -> (tempfile::TempDir, PathBuf, BTreeMap<String, String>) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("k");
    let out = Command::new("git")
        .args(["clone", "-q", "--no-hardlinks"])
        .arg(template)
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    git(&dir, &["switch", "-q", "fedora-6.7"]);
    for b in ["linux-6.7.y", "master", "linux-6.8.y"] {
        git(&dir, &["branch", "-q", b, &format!("origin/{b}")]);
    }
    assert!(pq(&dir, &["init", "--base", "v6.7.1"]).status.success());
    // The user's own work: an untracked file, and an uncommitted change in a path no pick touches
    // (except for a release, which refuses to run with uncommitted changes, as the distributions'
    // release scripts do).
    std::fs::write(dir.join("Documentation/notes-by-hand.txt"), "mine\n").unwrap();
    if args[0] != "release" {
        let readme = dir.join("COPYING");
        let mut text = std::fs::read_to_string(&readme).unwrap();
        text.push_str("# local tweak\n");
        std::fs::write(&readme, text).unwrap();
    }
    // What a completed undo brings back: the repository before the command it undoes.
    let undone = snapshot(&dir);
    if let Some(prep) = prepare {
        let out = pq(&dir, prep);
        assert!(
            out.status.success(),
            "pq {prep:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    (tmp, dir, undone)
}

#[test]
fn random_kills_lose_nothing() {
    let count: usize = std::env::var("PQ_TORTURE_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(18);
    let seed = xtask::fixture::rng::seed_from_env("PQ_TORTURE_SEED");
    eprintln!("torture: seed {seed} (repeat with PQ_TORTURE_SEED={seed})");
    let mut rng = Rng::new(seed);
    let (template, clean_path) = template();
    // The command killed, and what runs (unkilled) before it.
    let clean_backport: &[&str] = &["backport", "v6.7..v6.8", &clean_path];
    let drop_bottom: &[&str] = &["drop", "local:1"];
    let scenarios: [(&[&str], Option<&[&str]>); 9] = [
        (&["backport", "v6.7..v6.8", "lib/zstd"], None),
        (&["rebase", "v6.7.2"], None),
        (&["release", "--dist", ".fc39"], None),
        (
            &["backport", "v6.7..v6.8", "lib/zstd", "--series", "backports/zstd"],
            None,
        ),
        (&["undo"], Some(clean_backport)),
        // Queue edits: the whole stack replayed, part of it reordered, and pq's record only.
        (drop_bottom, None),
        (&["move", "local:5", "--to", "local", "--before", "local:1"], None),
        (&["series", "rename", "local", "mine"], None),
        (&["undo"], Some(drop_bottom)),
    ];
    // What each command leaves when it runs to its end (dates are fixed, so ids are the same every run),
    // and how long it took.
    let mut finished: Vec<Option<(BTreeMap<String, String>, Duration)>> = vec![None; scenarios.len()];
    let mut passed = 0;
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for i in 0..count {
        let (args, prepare) = scenarios[i % scenarios.len()];
        let (done, took) = finished[i % scenarios.len()].get_or_insert_with(|| {
            let (_tmp, dir, _) = setup(&template, args, prepare);
            let start = std::time::Instant::now();
            let out = pq(&dir, args);
            let took = start.elapsed();
            assert!(
                out.status.code().is_some_and(|c| c <= 1),
                "pq {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            (snapshot(&dir), took)
        });
        let (_tmp, dir, undone) = setup(&template, args, prepare);
        let before = snapshot(&dir);
        let ops_before = git(&dir, &["rev-list", "--count", "refs/pq/oplog"]);

        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pq"));
        xtask::git::hermetic(&mut cmd);
        let mut child = cmd
            .arg("-C")
            .arg(&dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Anywhere in the command's run, and a little after it.
        let delay = rng.next_u64() % (took.as_micros() as u64 * 5 / 4 + 1);
        std::thread::sleep(Duration::from_micros(delay));
        // `None`: it finished before the kill.
        let killed = child.try_wait().unwrap().is_none();
        let _ = child.kill();
        let status = child.wait().unwrap();

        let fsck = xtask::git::git(&dir)
            .args(["fsck", "--full", "--no-dangling"])
            .output()
            .unwrap();
        assert!(
            fsck.status.success(),
            "iteration {i} (seed {seed}, delay {delay}us): git fsck failed: {}",
            String::from_utf8_lossy(&fsck.stderr)
        );
        let git_dir = dir.join(".git");
        let stopped = git_dir.join("pq/op/state.json").exists();
        let journal = git_dir.join("pq/materialise.toml").exists();
        let recovery = if journal && !stopped && rng.chance(50) {
            // Interrupted between its ref transaction and the work tree: finish it, or roll it back.
            "continue"
        } else if stopped || journal {
            "abort"
        } else if git(&dir, &["rev-list", "--count", "refs/pq/oplog"]) != ops_before {
            // The command completed before the kill, and left what an uninterrupted run leaves: undo it; a
            // completed undo is left as it is.
            let changed = diff(done, &snapshot(&dir));
            assert!(
                changed.is_empty(),
                "iteration {i} ({args:?}, delay {delay}us): completed, but not as an uninterrupted run:\n{}",
                changed.join("\n")
            );
            if args == ["undo"] {
                "done"
            } else {
                "undo"
            }
        } else {
            "untouched"
        };
        // A command that ran to its end must have done something, or this test would kill nothing.
        assert!(
            killed || recovery != "untouched",
            "iteration {i}: pq {args:?} finished ({status:?}) without recording an operation"
        );
        let when = if killed { "killed" } else { "finished" };
        *outcomes
            .entry(format!(
                "{}{}: {when}, {recovery}",
                args.join(" "),
                prepare.map_or(String::new(), |p| format!(" (of {})", p[0]))
            ))
            .or_default() += 1;
        if recovery != "untouched" && recovery != "done" {
            let out = pq(&dir, &[recovery]);
            assert!(
                out.status.success(),
                "iteration {i} ({args:?}, killed: {status:?}, delay {delay}us): pq {recovery} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let after = snapshot(&dir);
        let expected = match recovery {
            "done" => &undone,
            // Finished exactly as an uninterrupted run, or (killed before its ref transaction began) nothing
            // had changed.
            "continue" if diff(&before, &after).is_empty() => &before,
            "continue" => done,
            _ => &before,
        };
        let changed = diff(expected, &after);
        assert!(
            changed.is_empty(),
            "iteration {i} ({args:?}, delay {delay}us, recovered by {recovery}): not restored:\n{}",
            changed.join("\n")
        );
        let fsck = xtask::git::git(&dir)
            .args(["fsck", "--full", "--no-dangling"])
            .output()
            .unwrap();
        assert!(fsck.status.success(), "iteration {i}: git fsck failed after recovery");
        passed += 1;
    }
    eprintln!("torture: {passed}/{count} kills recovered exactly (seed {seed})");
    for (what, n) in &outcomes {
        eprintln!("  {n:4}  pq {what}");
    }
}
