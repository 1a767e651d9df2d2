//! Kill pq at random moments and check that nothing is lost: `git fsck` stays clean, and `pq abort` or
//! `pq undo` brings refs, HEAD, index, work tree and the user's uncommitted changes back exactly. Killed
//! commands: backport (into a new and an existing series), rebase, release, and undo (of a backport).
//!
//! `PQ_TORTURE_COUNT` sets the number of kills (default 12, small enough for CI; run 200+ locally with
//! `PQ_TORTURE_COUNT=200 cargo test --release --test torture -- --nocapture`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

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
    let refs: String = git(dir, &["for-each-ref", "--format=%(refname) %(objectname)"])
        .lines()
        .filter(|l| !l.starts_with("refs/pq/oplog") && !l.starts_with("refs/pq/rerere"))
        .map(|l| format!("{l}\n"))
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
                s.insert(format!("file:{rel}"), format!("{:x}", md5ish(&bytes)));
            }
        }
    }
    s
}

fn md5ish(bytes: &[u8]) -> u64 {
    // FNV-1a: enough to tell contents apart in a test.
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x100000001b3)
    })
}

fn diff(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for k in a.keys().chain(b.keys()) {
        if a.get(k) != b.get(k) && !out.contains(k) {
            out.push(k.clone());
        }
    }
    out
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
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

#[test]
fn random_kills_lose_nothing() {
    let count: usize = std::env::var("PQ_TORTURE_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let seed = std::env::var("PQ_TORTURE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_1234_u64);
    let mut rng = Rng(seed);
    let (template, clean_path) = template();
    // The command killed, and what runs (unkilled) before it.
    let clean_backport: &[&str] = &["backport", "v6.7..v6.8", &clean_path];
    let scenarios: [(&[&str], Option<&[&str]>); 5] = [
        (&["backport", "v6.7..v6.8", "lib/zstd"], None),
        (&["rebase", "v6.7.2"], None),
        (&["release", "--dist", ".fc39"], None),
        (
            &["backport", "v6.7..v6.8", "lib/zstd", "--series", "backports/zstd"],
            None,
        ),
        (&["undo"], Some(clean_backport)),
    ];
    let mut passed = 0;
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for i in 0..count {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("k");
        let out = Command::new("git")
            .args(["clone", "-q", "--no-hardlinks"])
            .arg(&template)
            .arg(&dir)
            .output()
            .unwrap();
        assert!(out.status.success());
        git(&dir, &["switch", "-q", "fedora-6.7"]);
        for b in ["linux-6.7.y", "master", "linux-6.8.y"] {
            git(&dir, &["branch", "-q", b, &format!("origin/{b}")]);
        }
        assert!(pq(&dir, &["init", "--base", "v6.7.1"]).status.success());
        // The user's own work: an uncommitted change in a path no pick touches, and an untracked file.
        std::fs::write(dir.join("Documentation/notes-by-hand.txt"), "mine\n").unwrap();
        let readme = dir.join("COPYING");
        let mut text = std::fs::read_to_string(&readme).unwrap();
        text.push_str("# local tweak\n");
        std::fs::write(&readme, text).unwrap();
        let (args, prepare) = scenarios[i % scenarios.len()];
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
        let delay = rng.next() % 250_000;
        std::thread::sleep(Duration::from_micros(delay));
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
        let recovery = if git_dir.join("pq/op/state.toml").exists() || git_dir.join("pq/materialise.toml").exists() {
            "abort"
        } else if git(&dir, &["rev-list", "--count", "refs/pq/oplog"]) != ops_before {
            // The command completed before the kill: undo it; a completed undo is left as it is.
            if args == ["undo"] {
                "done"
            } else {
                "undo"
            }
        } else {
            "untouched"
        };
        *outcomes.entry(format!("{} {recovery}", args[0])).or_default() += 1;
        if recovery != "untouched" && recovery != "done" {
            let out = pq(&dir, &[recovery]);
            assert!(
                out.status.success(),
                "iteration {i} ({args:?}, killed: {status:?}, delay {delay}us): pq {recovery} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let after = snapshot(&dir);
        let expected = if recovery == "done" { &undone } else { &before };
        let changed = diff(expected, &after);
        assert!(
            changed.is_empty(),
            "iteration {i} ({args:?}, delay {delay}us, recovered by {recovery}): not restored: {changed:?}"
        );
        let fsck = xtask::git::git(&dir)
            .args(["fsck", "--full", "--no-dangling"])
            .output()
            .unwrap();
        assert!(fsck.status.success(), "iteration {i}: git fsck failed after recovery");
        passed += 1;
    }
    eprintln!("torture: {passed}/{count} kills recovered exactly ({outcomes:?})");
}
