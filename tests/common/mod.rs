//! Shared helpers for pq's integration tests: hermetic repositories built with the git CLI, the real `pq`
//! binary, and snapshots of everything a user could see change (refs, HEAD, index, work tree).
#![allow(dead_code)]

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use assert_cmd::cargo::CommandCargoExt;

/// The date pq and git stamp on anything made "now" (later than every fixture commit).
pub const NOW: &str = "1735689600 +0000";
pub const USER_NAME: &str = "Pat Tester";
pub const USER_EMAIL: &str = "pat@example.org";

/// Beyond the variables xtask's hermetic environment clears (`xtask::git::GIT_ENV_REMOVE`), identities the
/// tests set themselves and pq's own log filter.
const ALSO_REMOVE: &[&str] = &[
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
    "PQ_LOG",
    "XDG_CONFIG_HOME",
];

/// Apply the hermetic environment to a command: no system config, a global config file of our own, a
/// private HOME, fixed dates, C locale.
pub fn hermetic(cmd: &mut Command, home: &Path, date: &str) {
    for k in xtask::git::GIT_ENV_REMOVE.iter().chain(ALSO_REMOVE) {
        cmd.env_remove(k);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("LC_ALL", "C")
        .env("LANG", "C")
        .env("TZ", "UTC")
        .env("GIT_EDITOR", "true")
        .env("GIT_MERGE_AUTOEDIT", "no")
        .env("GIT_PAGER", "cat")
        .env("PAGER", "cat")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ADVICE", "0")
        .stdin(Stdio::null());
}

/// A scratch area: a private HOME with a global git config, and repositories below it.
pub struct Scratch {
    pub tmp: tempfile::TempDir,
    pub home: PathBuf,
}

impl Scratch {
    pub fn new() -> Scratch {
        let tmp = tempfile::Builder::new().prefix("pq-it-").tempdir().expect("tempdir");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(
            home.join(".gitconfig"),
            format!(
                "[user]\n\tname = {USER_NAME}\n\temail = {USER_EMAIL}\n[init]\n\tdefaultBranch = main\n\
                 [gc]\n\tauto = 0\n[maintenance]\n\tauto = false\n[core]\n\tautocrlf = false\n[advice]\n\tdetachedHead = false\n"
            ),
        )
        .unwrap();
        Scratch { tmp, home }
    }
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }
}

/// A repository under test.
pub struct TestRepo {
    pub scratch: std::rc::Rc<Scratch>,
    pub dir: PathBuf,
    /// Seconds added to the base date for each commit made through [`TestRepo::commit`].
    tick: Cell<i64>,
}

/// Run git in `dir` with the hermetic environment; panics on failure.
pub fn git_in(home: &Path, dir: &Path, args: &[&str]) -> String {
    let out = git_out_in(home, dir, args, NOW);
    assert!(
        out.status.success(),
        "git {} failed in {}:\n{}{}",
        args.join(" "),
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    while s.ends_with('\n') {
        s.pop();
    }
    s
}

pub fn git_out_in(home: &Path, dir: &Path, args: &[&str], date: &str) -> Output {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir).args(args);
    hermetic(&mut cmd, home, date);
    cmd.output().expect("run git")
}

impl TestRepo {
    /// An empty repository on branch `main`.
    pub fn new() -> TestRepo {
        let scratch = std::rc::Rc::new(Scratch::new());
        let dir = scratch.path().join("repo");
        std::fs::create_dir_all(&dir).unwrap();
        let r = TestRepo {
            scratch,
            dir,
            tick: Cell::new(0),
        };
        r.git(&["init", "-q", "-b", "main"]);
        r
    }

    /// The generated kernel repository (small preset), checked out on `fedora-6.7`.
    pub fn kernel() -> (TestRepo, xtask::fixture::KernelFixture) {
        let scratch = std::rc::Rc::new(Scratch::new());
        let dir = scratch.path().join("kernel");
        let fx = xtask::fixture::kernel(&dir, &xtask::fixture::KernelOptions::small()).expect("kernel fixture");
        (
            TestRepo {
                scratch,
                dir,
                tick: Cell::new(0),
            },
            fx,
        )
    }

    /// Another repository in the same scratch area (same HOME).
    pub fn sibling(&self, name: &str) -> TestRepo {
        let dir = self.scratch.path().join(name);
        TestRepo {
            scratch: self.scratch.clone(),
            dir,
            tick: Cell::new(self.tick.get()),
        }
    }

    /// A `git clone --shared` of this repository: objects written there do not land here.
    pub fn clone_shared(&self, name: &str) -> TestRepo {
        let r = self.sibling(name);
        git_in(
            &self.scratch.home,
            self.scratch.path(),
            &["clone", "-q", "--shared", self.dir.to_str().unwrap(), name],
        );
        // The same committer identity as the original (the kernel fixture sets one in .git/config).
        for key in ["user.name", "user.email"] {
            let v = self.git_out(&["config", "--local", key]);
            if v.status.success() {
                r.git(&["config", key, String::from_utf8_lossy(&v.stdout).trim()]);
            }
        }
        r
    }

    pub fn home(&self) -> &Path {
        &self.scratch.home
    }

    /// `git ARGS`, asserting success; stdout without the trailing newline.
    pub fn git(&self, args: &[&str]) -> String {
        git_in(&self.scratch.home, &self.dir, args)
    }

    /// `git ARGS`, whatever the outcome.
    pub fn git_out(&self, args: &[&str]) -> Output {
        git_out_in(&self.scratch.home, &self.dir, args, NOW)
    }

    pub fn git_ok(&self, args: &[&str]) -> bool {
        self.git_out(args).status.success()
    }

    /// Run pq in the repository.
    pub fn pq(&self, args: &[&str]) -> Output {
        self.pq_in(&self.dir, args)
    }

    pub fn pq_in(&self, dir: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::cargo_bin("pq").expect("pq binary");
        cmd.current_dir(dir).args(args);
        hermetic(&mut cmd, &self.scratch.home, NOW);
        cmd.output().expect("run pq")
    }

    /// Run pq and assert the exit status; returns stdout.
    pub fn pq_expect(&self, args: &[&str], code: i32) -> String {
        let out = self.pq(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "pq {} exited {:?}\nstdout:\n{}\nstderr:\n{}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn pq_ok(&self, args: &[&str]) -> String {
        self.pq_expect(args, 0)
    }

    /// pq with `--format json`, parsed.
    pub fn pq_json(&self, args: &[&str], code: i32) -> serde_json::Value {
        let mut a = args.to_vec();
        a.push("--format");
        a.push("json");
        let out = self.pq_expect(&a, code);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("pq {} printed invalid JSON ({e}):\n{out}", a.join(" ")))
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let p = self.path(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(p, content).unwrap();
    }

    pub fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn read_string(&self, rel: &str) -> String {
        String::from_utf8_lossy(&self.read(rel)).into_owned()
    }

    /// Stage everything and commit with a date one minute after the previous commit made here.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.commit_staged(message)
    }

    pub fn commit_staged(&self, message: &str) -> String {
        let date = self.next_date();
        let out = git_out_in(
            &self.scratch.home,
            &self.dir,
            &["commit", "-q", "--allow-empty", "-m", message],
            &date,
        );
        assert!(out.status.success(), "commit: {}", String::from_utf8_lossy(&out.stderr));
        self.rev("HEAD")
    }

    /// Run git with the next commit date (merges and the like).
    pub fn git_dated(&self, args: &[&str]) -> Output {
        let date = self.next_date();
        git_out_in(&self.scratch.home, &self.dir, args, &date)
    }

    pub fn next_date(&self) -> String {
        let t = self.tick.get() + 60;
        self.tick.set(t);
        format!("{} +0000", 1_600_000_000 + t)
    }

    pub fn rev(&self, rev: &str) -> String {
        self.git(&["rev-parse", "--verify", "-q", rev])
    }

    pub fn tree(&self, rev: &str) -> String {
        self.rev(&format!("{rev}^{{tree}}"))
    }

    /// `git fsck --full` reports no errors (dangling objects are fine).
    pub fn fsck(&self) {
        let out = self.git_out(&["fsck", "--full", "--no-progress", "--no-dangling"]);
        assert!(
            out.status.success(),
            "git fsck failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Loose and packed object counts (`git count-objects -v` without sizes).
    pub fn object_count(&self) -> String {
        self.git(&["count-objects", "-v"])
            .lines()
            .filter(|l| l.starts_with("count:") || l.starts_with("in-pack:"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn git_dir(&self) -> PathBuf {
        PathBuf::from(self.git(&["rev-parse", "--absolute-git-dir"]))
    }

    /// Everything a user could see change.
    pub fn snapshot(&self) -> Snapshot {
        let head = match self.git_out(&["symbolic-ref", "-q", "HEAD"]) {
            o if o.status.success() => format!("ref: {}", String::from_utf8_lossy(&o.stdout).trim()),
            _ => format!("detached: {}", self.git(&["rev-parse", "HEAD"])),
        };
        let mut files = BTreeMap::new();
        collect_files(&self.dir, &self.dir, &mut files);
        let git_dir = self.git_dir();
        let markers = [
            "CHERRY_PICK_HEAD",
            "MERGE_HEAD",
            "MERGE_MSG",
            "REVERT_HEAD",
            "rebase-merge",
            "pq/op",
            "pq/materialise.toml",
        ]
        .iter()
        .filter(|m| git_dir.join(m).exists())
        .map(|m| m.to_string())
        .collect();
        Snapshot {
            // refs/pq/rerere is a cache of resolutions, kept (like git's rr-cache) whatever happens.
            refs: self
                .git(&["for-each-ref", "--format=%(refname) %(objectname)"])
                .lines()
                .filter(|l| !l.starts_with("refs/pq/rerere "))
                .collect::<Vec<_>>()
                .join("\n"),
            head,
            index: self.git(&["ls-files", "-s"]),
            status: self.git(&["status", "--porcelain=v1", "--untracked-files=all"]),
            files,
            markers,
        }
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p == root.join(".git") {
            continue;
        }
        let meta = std::fs::symlink_metadata(&p).unwrap();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        if meta.is_dir() {
            collect_files(root, &p, out);
        } else if meta.file_type().is_symlink() {
            out.insert(
                rel,
                std::fs::read_link(&p).unwrap().to_string_lossy().as_bytes().to_vec(),
            );
        } else {
            #[cfg(unix)]
            let exec = {
                use std::os::unix::fs::PermissionsExt;
                meta.permissions().mode() & 0o111 != 0
            };
            #[cfg(not(unix))]
            let exec = false;
            let mut bytes = std::fs::read(&p).unwrap();
            if exec {
                bytes.extend_from_slice(b"\n[executable]");
            }
            out.insert(rel, bytes);
        }
    }
}

/// Refs, HEAD, index, status, work-tree bytes (untracked files included) and in-progress markers.
#[derive(Debug, PartialEq, Eq, Clone)]
pub struct Snapshot {
    pub refs: String,
    pub head: String,
    pub index: String,
    pub status: String,
    pub files: BTreeMap<String, Vec<u8>>,
    pub markers: Vec<String>,
}

/// The snapshot without pq's operation log, which records every operation (an abort and an undo too) and
/// only ever grows.
pub fn without_oplog(mut s: Snapshot) -> Snapshot {
    s.refs = s
        .refs
        .lines()
        .filter(|l| !l.starts_with("refs/pq/oplog "))
        .collect::<Vec<_>>()
        .join("\n");
    s
}

/// Assert two snapshots are equal, with a readable account of what differs.
#[track_caller]
pub fn assert_same(before: &Snapshot, after: &Snapshot, what: &str) {
    if before == after {
        return;
    }
    let mut msg = format!("{what}: the repository changed\n");
    for (name, a, b) in [
        ("refs", &before.refs, &after.refs),
        ("HEAD", &before.head, &after.head),
        ("index", &before.index, &after.index),
        ("status", &before.status, &after.status),
    ] {
        if a != b {
            msg.push_str(&format!("--- {name} before:\n{a}\n+++ {name} after:\n{b}\n"));
        }
    }
    if before.markers != after.markers {
        msg.push_str(&format!("markers: {:?} -> {:?}\n", before.markers, after.markers));
    }
    for (k, v) in &before.files {
        match after.files.get(k) {
            None => msg.push_str(&format!("file removed: {k}\n")),
            Some(w) if w != v => msg.push_str(&format!("file changed: {k}\n")),
            _ => {}
        }
    }
    for k in after.files.keys() {
        if !before.files.contains_key(k) {
            msg.push_str(&format!("file added: {k}\n"));
        }
    }
    panic!("{msg}");
}

/// stdout and stderr of a pq run as text.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Assert pq failed with exit `code`, stderr starting with its one `error:` line and naming at least one
/// next step in a `hint:` line; returns stderr.
#[track_caller]
pub fn assert_fails(out: &Output, code: i32) -> String {
    let (stdout, stderr) = text(out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "expected exit {code}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("error:")).count(),
        1,
        "exactly one error line expected:\n{stderr}"
    );
    assert!(
        lines[0].starts_with("error: "),
        "stderr must start with `error:`:\n{stderr}"
    );
    assert!(
        lines[1..].iter().all(|l| l.starts_with("hint: ")) && lines.len() > 1,
        "only hint lines expected after the error:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// Assert pq refused with exit 2, one `error:` line and a `hint:` line on stderr; returns stderr.
#[track_caller]
pub fn assert_refused(out: &Output) -> String {
    let (stdout, stderr) = text(out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit 2\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("error:")).count(),
        1,
        "exactly one error line expected:\n{stderr}"
    );
    assert!(
        lines[0].starts_with("error: "),
        "stderr must start with `error:`:\n{stderr}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("hint: ")),
        "a hint line expected:\n{stderr}"
    );
    assert_eq!(lines.len(), 2, "one error and one hint line expected:\n{stderr}");
    stderr
}

/// The commits `base..tip`, oldest first.
pub fn chain(r: &TestRepo, range: &str) -> Vec<String> {
    let mut args = vec!["rev-list", "--reverse"];
    args.extend(range.split_whitespace());
    let s = r.git(&args);
    s.lines().map(str::to_string).collect()
}

/// What `git cherry-pick` did with one commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitPick {
    Clean,
    Conflict,
    Empty,
    Merge,
}

/// `git cherry-pick -x` each commit in order onto HEAD of `r`, aborting conflicts and skipping empty picks
/// and merges (git refuses merges without -m).
pub fn git_pick_all(r: &TestRepo, commits: &[String], extra: &[&str]) -> Vec<(String, GitPick)> {
    let mut out = Vec::new();
    for c in commits {
        let parents = r.git(&["rev-list", "--parents", "-n1", c]);
        if parents.split(' ').count() > 2 && !extra.contains(&"-m") {
            out.push((c.clone(), GitPick::Merge));
            continue;
        }
        let mut args = vec!["cherry-pick", "-x"];
        args.extend_from_slice(extra);
        args.push(c);
        if r.git_ok(&args) {
            out.push((c.clone(), GitPick::Clean));
            continue;
        }
        let unmerged = r.git(&["diff", "--name-only", "--diff-filter=U"]);
        if unmerged.is_empty() {
            // Stopped without conflicts: the pick is empty.
            r.git(&["cherry-pick", "--skip"]);
            out.push((c.clone(), GitPick::Empty));
        } else {
            r.git(&["cherry-pick", "--abort"]);
            out.push((c.clone(), GitPick::Conflict));
        }
    }
    out
}

/// Drive a pq command that may stop at conflicts to the end with `pq skip`; returns the source ids of the
/// commits pq stopped at, in order.
pub fn run_skipping(r: &TestRepo, args: &[&str]) -> Vec<String> {
    let mut stops = Vec::new();
    let mut out = r.pq(args);
    loop {
        match out.status.code() {
            Some(0) => return stops,
            Some(1) => {
                let head =
                    std::fs::read_to_string(r.git_dir().join("CHERRY_PICK_HEAD")).expect("CHERRY_PICK_HEAD at a stop");
                stops.push(head.trim().to_string());
                out = r.pq(&["skip"]);
            }
            _ => panic!(
                "pq {} failed:\n{}{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
}

/// The outcome pq reported for each source commit, from a JSON report (`commits` or `patches`).
pub fn outcomes(v: &serde_json::Value, key: &str) -> Vec<(String, String)> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no `{key}` array in {v}"))
        .iter()
        .map(|l| {
            (
                l["source"].as_str().unwrap().to_string(),
                l["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The raw commit object's parts: (author line, message bytes).
pub fn author_and_message(r: &TestRepo, commit: &str) -> (String, Vec<u8>) {
    let out = r.git_out(&["cat-file", "commit", commit]);
    assert!(out.status.success());
    let raw = out.stdout;
    let split = raw.windows(2).position(|w| w == b"\n\n").expect("header end");
    let header = String::from_utf8_lossy(&raw[..split]).into_owned();
    let author = header
        .lines()
        .find(|l| l.starts_with("author "))
        .unwrap_or_default()
        .to_string();
    (author, raw[split + 2..].to_vec())
}

/// Insta settings replacing the scratch directory with `[TMP]`.
pub fn insta_settings(r: &TestRepo) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    let tmp = r.scratch.path().to_string_lossy().into_owned();
    s.add_filter(&regex_escape(&tmp), "[TMP]");
    s
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The first line of a message.
pub fn text_line(message: &[u8]) -> String {
    String::from_utf8_lossy(message)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// Does `commit` have more than one parent?
pub fn is_merge(r: &TestRepo, commit: &str) -> bool {
    r.git(&["rev-list", "--parents", "-n1", commit]).split(' ').count() > 2
}

/// Snapshot settings for JSON output: [`insta_settings`], with commit ids (full and abbreviated) and
/// operation-log times redacted.
pub fn json_settings(r: &TestRepo) -> insta::Settings {
    let mut s = insta_settings(r);
    s.add_filter(r"\b[0-9a-f]{40}\b", "[id]");
    s.add_filter(r"\b[0-9a-f]{12}\b", "[short]");
    s.add_filter(r#""time": \d+"#, r#""time": "[time]""#);
    s
}

/// A small repository: `base` → `up` (changes src/a.c) and a local commit on main.
pub fn small_upstream_repo() -> TestRepo {
    let r = TestRepo::new();
    r.write("src/a.c", "a1\na2\na3\n");
    r.write("src/b.c", "b1\n");
    r.commit("base");
    r.git(&["tag", "base"]);
    r.git(&["checkout", "-q", "-b", "up"]);
    r.write("src/a.c", "a1\nA2\na3\n");
    r.commit("up: a");
    r.git(&["tag", "up"]);
    r.git(&["checkout", "-q", "main"]);
    r.write("local.txt", "local\n");
    r.commit("local");
    r
}

/// A clone of the corpus's xfsprogs history (the corpus found by `xtask::oracle`; without it the test fails,
/// it does not skip).
pub fn xfsprogs() -> TestRepo {
    let bundle = xtask::oracle::corpus_file("xfsprogs.bundle");
    let scratch = TestRepo::new();
    git_in(
        scratch.home(),
        scratch.scratch.path(),
        &["clone", "-q", bundle.to_str().unwrap(), "xfsprogs"],
    );
    scratch.sibling("xfsprogs")
}

/// [`xfsprogs`] on a branch `stable-6.1` at v6.1.0, adopted by pq.
pub fn xfsprogs_stable_6_1() -> TestRepo {
    let r = xfsprogs();
    r.git(&["checkout", "-q", "-b", "stable-6.1", "v6.1.0"]);
    r.pq_ok(&["init", "--base", "v6.1.0"]);
    r
}
