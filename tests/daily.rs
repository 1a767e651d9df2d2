//! The commands maintainers run many times a day: undo and redo scoped to the branch, idempotent re-runs,
//! refusals before any change, interrupts, paths relative to the current directory, validation, stopped
//! operations reported as they are, adopt, and the README's walk-through.

mod common;

use common::*;

/// Assert pq refuses `args` (run in `dir`) with one error and one hint, exit 2, and changes nothing.
#[track_caller]
fn refuses_in(r: &TestRepo, dir: &std::path::Path, args: &[&str]) -> String {
    let before = r.snapshot();
    let objects = r.object_count();
    let err = assert_refused(&r.pq_in(dir, args));
    assert_same(&before, &r.snapshot(), &format!("refused pq {}", args.join(" ")));
    assert_eq!(objects, r.object_count(), "refused pq {} wrote objects", args.join(" "));
    err
}

/// pq with `--format json` run in `dir`, exit 0, parsed.
trait JsonIn {
    fn pq_json_in(&self, dir: &std::path::Path, args: &[&str]) -> serde_json::Value;
}

impl JsonIn for TestRepo {
    fn pq_json_in(&self, dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend(["--format", "json"]);
        let out = self.pq_in(dir, &a);
        assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

#[track_caller]
fn refuses(r: &TestRepo, args: &[&str]) -> String {
    refuses_in(r, &r.dir, args)
}

// ---- 1. undo and redo act on the current branch ----

#[test]
fn undo_is_scoped_to_the_branch_and_redo_reapplies() {
    let (r, fx) = TestRepo::kernel();
    r.pq_ok(&["init", "--base", "v6.7.1"]);
    let s1 = without_oplog(r.snapshot());
    r.pq_ok(&["backport", "v6.7..v6.8", &fx.clean_backport_path]);
    let s2 = without_oplog(r.snapshot());
    let tip = r.rev("fedora-6.7");

    // On a branch pq does not manage, undo refuses and names the branch with the newest operation.
    r.git(&["switch", "-q", "fedora-6.8"]);
    let err = refuses(&r, &["undo"]);
    assert!(err.contains("fedora-6.8 is not managed by pq"), "{err}");
    assert!(err.contains("git switch fedora-6.7"), "{err}");
    let err = refuses(&r, &["redo"]);
    assert!(err.contains("not managed"), "{err}");

    // Another managed branch: its undo takes back its own init, never fedora-6.7's backport.
    r.git(&["switch", "-q", "fedora-6.7-stack"]);
    r.pq_ok(&["init", "--base", "v6.7.1"]);
    let log = r.pq_ok(&["log"]);
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(log.contains("fedora-6.7-stack pq init"), "{log}");
    let all = r.pq_ok(&["log", "--all"]);
    assert_eq!(all.lines().count(), 3, "{all}");
    assert!(
        all.contains(" fedora-6.7 ") && all.contains(" fedora-6.7-stack "),
        "{all}"
    );
    let out = r.pq_ok(&["undo"]);
    assert!(out.contains("pq init"), "{out}");
    assert!(!r.git_ok(&["rev-parse", "-q", "--verify", "refs/pq/state/fedora-6.7-stack"]));
    assert_eq!(
        r.rev("fedora-6.7"),
        tip,
        "fedora-6.7 was touched by an undo on another branch"
    );
    let err = refuses(&r, &["undo"]);
    assert!(err.contains("git switch fedora-6.7"), "{err}");
    // `--to` with another branch's operation is refused too.
    let json = r.pq_json(&["log", "--all"], 0)["operations"].take();
    let other = json
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["branch"] == "refs/heads/fedora-6.7")
        .unwrap();
    let id = other["id"].as_str().unwrap()[..12].to_string();
    r.pq_ok(&["redo"]);
    let err = refuses(&r, &["undo", "--to", &id]);
    assert!(err.contains("made on branch fedora-6.7"), "{err}");
    r.pq_ok(&["undo"]);

    // Back on fedora-6.7: undo, redo, and redo again walks forward through consecutive undos.
    r.git(&["switch", "-q", "fedora-6.7"]);
    r.pq_ok(&["undo"]);
    assert_same(&s1, &without_oplog(r.snapshot()), "undo of the backport");
    let out = r.pq_ok(&["redo"]);
    assert!(out.contains("redid") && out.contains("pq backport"), "{out}");
    assert_same(&s2, &without_oplog(r.snapshot()), "redo of the backport");
    let err = refuses(&r, &["redo"]);
    assert!(err.contains("nothing to redo"), "{err}");
    r.pq_ok(&["undo"]);
    r.pq_ok(&["undo"]);
    r.pq_ok(&["redo"]);
    assert_same(&s1, &without_oplog(r.snapshot()), "redo of the init");
    r.pq_ok(&["redo"]);
    assert_same(&s2, &without_oplog(r.snapshot()), "second redo");
    // An undo of the redo, then a new operation: nothing is left to redo.
    r.pq_ok(&["undo"]);
    assert_same(&s1, &without_oplog(r.snapshot()), "undo of the redo");
    r.pq_ok(&["backport", "v6.7..v6.8", &fx.clean_backport_path, "--series", "again"]);
    let err = refuses(&r, &["redo"]);
    assert!(err.contains("was run after the last undo"), "{err}");
    r.fsck();
}

// ---- 6. validation of names and targets ----

#[test]
fn series_names_and_rebase_targets_are_validated() {
    let r = small_upstream_repo();
    for bad in ["", "a b", "../x", "x.lock", "a..b", ".hidden"] {
        let err = refuses(&r, &["init", "--base", "base", "--series", bad]);
        assert!(err.contains("invalid series name"), "{bad:?}: {err}");
    }
    r.pq_ok(&["init", "--base", "base"]);
    for bad in ["", "a b", "../x", "x/", "a~1"] {
        let err = refuses(&r, &["backport", "base..up", "src", "--series", bad]);
        assert!(err.contains("invalid series name"), "{bad:?}: {err}");
        let err = refuses(&r, &["adopt", "--series", bad]);
        assert!(err.contains("invalid series name"), "{bad:?}: {err}");
    }
    // Without paths the default name comes from the range and is valid.
    let out = r.pq_ok(&["backport", "base..up"]);
    assert!(out.contains("backport/base-up"), "{out}");

    // Onto the branch itself, onto one of its commits, or onto something older than the base.
    let err = refuses(&r, &["rebase", "HEAD"]);
    assert!(err.contains("branch's own commits") && err.contains("--force"), "{err}");
    let err = refuses(&r, &["rebase", "HEAD~1"]);
    assert!(err.contains("branch's own commits"), "{err}");
    let err = refuses(&r, &["rebase", "base~0"]);
    assert!(err.contains("already the base"), "{err}");

    // An older release than the base.
    let r = TestRepo::new();
    r.write("a.c", "1\n");
    r.commit("v1");
    r.git(&["tag", "v1"]);
    r.write("b.c", "2\n");
    r.commit("v2");
    r.git(&["tag", "v2"]);
    r.write("local.txt", "mine\n");
    r.commit("local");
    r.pq_ok(&["init", "--base", "v2"]);
    let err = refuses(&r, &["rebase", "v1"]);
    assert!(
        err.contains("older than the base v2") && err.contains("pq rebase v1 --force"),
        "{err}"
    );
    r.pq_ok(&["rebase", "v1", "--force"]);
    assert_eq!(r.git(&["log", "--format=%s", "v1..HEAD"]), "local");
}

#[test]
fn queue_edits_follow_the_same_rules() {
    let r = small_upstream_repo();
    r.pq_ok(&["init", "--base", "base"]);
    r.pq_ok(&["backport", "base..up", "src"]);
    // Series names: the same rules as everywhere else.
    for bad in ["a b", "../x", "x.lock", "a..b", "-x"] {
        let err = refuses(&r, &["series", "new", "--", bad]);
        assert!(err.contains("invalid series name"), "{bad:?}: {err}");
        let err = refuses(&r, &["series", "rename", "backport/src", "--", bad]);
        assert!(err.contains("invalid series name"), "{bad:?}: {err}");
    }

    // An uncommitted change in a path the edit writes: refused before any change.
    r.write("local.txt", "local\nmine\n");
    let err = refuses(&r, &["drop", "local:1"]);
    assert!(err.contains("uncommitted changes to local.txt"), "{err}");
    // A reorder that ends on the same tree leaves the change alone.
    let before = without_oplog(r.snapshot());
    r.pq_ok(&["move", "backport/src:1", "--to", "local", "--before", "local:1"]);
    assert_eq!(r.git(&["log", "--format=%s", "base..HEAD"]), "local\nup: a");
    assert_eq!(r.read_string("local.txt"), "local\nmine\n");
    let moved = without_oplog(r.snapshot());
    r.git(&["checkout", "--", "local.txt"]);

    // Undo and redo of a queue edit act on its branch only.
    r.git(&["switch", "-q", "-c", "other", "base"]);
    let err = refuses(&r, &["undo"]);
    assert!(err.contains("git switch main"), "{err}");
    r.git(&["switch", "-q", "main"]);
    r.git(&["branch", "-q", "-D", "other"]);
    r.write("local.txt", "local\nmine\n");
    let out = r.pq_ok(&["undo"]);
    assert!(out.contains("pq move"), "{out}");
    assert_same(&before, &without_oplog(r.snapshot()), "undo of pq move");
    r.pq_ok(&["redo"]);
    assert_same(&moved, &without_oplog(r.snapshot()), "redo of pq move");
}

// ---- 2. declined picks are remembered ----

/// base → up: c1 and c2 edit f.c line 2 (c2 on top of c1), c3 edits g.c. main already has c1's change (with
/// another file, so no patch-id matches) and a conflicting edit of g.c.
fn declining() -> TestRepo {
    let r = TestRepo::new();
    r.write("f.c", "1\n2\n3\n");
    r.write("g.c", "g1\ng2\ng3\n");
    r.commit("base");
    r.git(&["tag", "base"]);
    r.git(&["checkout", "-q", "-b", "up"]);
    r.write("f.c", "1\nX\n3\n");
    r.commit("c1: two is X");
    r.write("f.c", "1\nY\n3\n");
    r.commit("c2: X is Y");
    r.write("g.c", "g1\nupstream\ng3\n");
    r.commit("c3: g upstream");
    r.git(&["tag", "up"]);
    r.git(&["checkout", "-q", "main"]);
    r.write("f.c", "1\nX\n3\n");
    r.write("h.c", "h\n");
    r.commit("local: two is X, and h");
    r.write("g.c", "g1\nlocal\ng3\n");
    r.commit("local: g");
    r.pq_ok(&["init", "--base", "base"]);
    r
}

#[test]
fn a_finished_backport_rerun_reports_declined_picks_and_changes_nothing() {
    let r = declining();
    let out = r.pq(&["backport", "base..up", "--series", "up"]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    let out = r.pq_expect(&["skip"], 0);
    assert!(out.contains("skipped"), "{out}");
    let state = r.git(&["show", "refs/pq/state/main:state.toml"]);
    assert!(
        state.contains("[[declined]]") && state.contains("schema = 1"),
        "{state}"
    );
    assert_eq!(state.matches("[[declined]]").count(), 2, "{state}");

    // The re-run: the empty pick and the skipped one are declined, c2 is present; nothing changes.
    let before = r.snapshot();
    let out = r.pq_expect(&["backport", "base..up", "--series", "up"], 0);
    assert!(
        out.contains("nothing changed") && out.contains("2 declined earlier"),
        "{out}"
    );
    assert_same(&before, &r.snapshot(), "re-run of a finished backport");
    let json = r.pq_json(&["backport", "base..up", "--series", "up"], 0);
    let outcomes: Vec<String> = json["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["outcome"].as_str().unwrap(), c["subject"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        ["declined c1: two is X", "present c2: X is Y", "declined c3: g upstream"],
        "{json}"
    );
    assert!(
        json["commits"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("the pick is empty"),
        "{json}"
    );
    assert!(
        json["commits"][2]["reason"].as_str().unwrap().contains("pq skip"),
        "{json}"
    );
    assert_same(&before, &r.snapshot(), "JSON re-run");

    // --retry picks them again: c1 now conflicts with c2 on top of it.
    let out = r.pq(&["backport", "base..up", "--series", "up", "--retry"]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    assert!(text(&out).1.contains("c1: two is X"), "{:?}", text(&out));
    r.pq_ok(&["abort"]);
    assert_same(
        &without_oplog(before.clone()),
        &without_oplog(r.snapshot()),
        "abort of the retry",
    );
    r.fsck();
}

#[test]
fn state_files_written_before_declined_existed_still_load() {
    let r = declining();
    // The state as an older pq wrote it: schema 1, no `declined`.
    let state = r.git(&["show", "refs/pq/state/main:state.toml"]);
    assert!(!state.contains("declined"), "{state}");
    r.pq_ok(&["status"]);
    let out = r.pq(&["backport", "base..up", "--series", "up"]);
    assert_eq!(out.status.code(), Some(1));
    r.pq_ok(&["skip"]);
}

// ---- 3. every path checked before the first change; no hint loses a resolution ----

/// base → up: c1 edits a.c (conflicting with main), c2 edits x.c, c3 adds new.c.
fn later_paths() -> TestRepo {
    let r = TestRepo::new();
    r.write("a.c", "a1\na2\na3\n");
    r.write("x.c", "x1\n");
    r.commit("base");
    r.git(&["tag", "base"]);
    r.git(&["checkout", "-q", "-b", "up"]);
    r.write("a.c", "a1\nupstream\na3\n");
    r.commit("c1: a");
    r.write("x.c", "x1\nx2\n");
    r.commit("c2: x");
    r.write("new.c", "new\n");
    r.commit("c3: new");
    r.git(&["tag", "up"]);
    r.git(&["checkout", "-q", "main"]);
    r.write("a.c", "a1\nlocal\na3\n");
    r.commit("local: a");
    r.pq_ok(&["init", "--base", "base"]);
    r
}

#[test]
fn changes_in_the_way_of_a_later_pick_are_refused_before_any_change() {
    let r = later_paths();
    // A local edit of a file only the second pick writes: refused up front, although the first pick stops.
    r.write("x.c", "x1\nmine\n");
    let err = refuses(&r, &["backport", "base..up"]);
    assert!(err.contains("x.c") && err.contains("c2: x"), "{err}");
    r.git(&["checkout", "--", "x.c"]);
    // An untracked file where the third pick creates one.
    r.write("new.c", "my own\n");
    let err = refuses(&r, &["backport", "base..up"]);
    assert!(err.contains("untracked file new.c") && err.contains("c3: new"), "{err}");
    std::fs::remove_file(r.path("new.c")).unwrap();

    // Stopped at c1; the user resolves, stages, and then edits x.c: continue refuses without a hint that
    // would lose the staged resolution, and following the hint works.
    let out = r.pq(&["backport", "base..up"]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    r.write("a.c", "a1\nresolved\na3\n");
    r.git(&["add", "a.c"]);
    r.write("x.c", "x1\nmine\n");
    // (The resolution's objects are written before the check: unreferenced, they change nothing visible.)
    let before = r.snapshot();
    let err = assert_refused(&r.pq(&["continue"]));
    assert_same(&before, &r.snapshot(), "refused continue");
    assert!(err.contains("x.c"), "{err}");
    assert!(!err.contains("stash"), "{err}");
    assert!(
        err.contains("git restore --worktree -- PATH") && err.contains("pq continue"),
        "{err}"
    );
    r.git(&["restore", "--worktree", "--", "x.c"]);
    r.pq_ok(&["continue"]);
    assert_eq!(r.read_string("a.c"), "a1\nresolved\na3\n");
    assert_eq!(r.read_string("x.c"), "x1\nx2\n");
    assert_eq!(r.read_string("new.c"), "new\n");
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    r.fsck();
}

#[test]
fn an_import_checks_every_path_it_writes_before_any_change() {
    let r = later_paths();
    // The same three commits as a mailbox: the first does not apply, the second writes x.c.
    let mbox = r.scratch.path().join("up.mbox");
    let patches = r.git(&["format-patch", "--stdout", "base..up"]);
    std::fs::write(&mbox, format!("{patches}\n")).unwrap();
    let mbox = mbox.to_str().unwrap();
    r.write("x.c", "x1\nmine\n");
    let err = refuses(&r, &["import", mbox, "--series", "imported"]);
    assert!(err.contains("x.c") && err.contains("c2: x"), "{err}");
    r.git(&["checkout", "--", "x.c"]);
    r.write("new.c", "my own\n");
    let err = refuses(&r, &["import", mbox, "--series", "imported"]);
    assert!(err.contains("untracked file new.c"), "{err}");
    std::fs::remove_file(r.path("new.c")).unwrap();
    // Without anything in the way it stops at the first patch, as before.
    let out = r.pq(&["import", mbox, "--series", "imported"]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    r.pq_ok(&["abort"]);
}

// ---- 5. paths relative to the current directory, `:/` for the top ----

#[test]
fn paths_are_relative_to_the_current_directory_like_git() {
    let r = small_upstream_repo();
    r.pq_ok(&["init", "--base", "base"]);
    let src = r.path("src");
    // git's own view, for comparison: from src/, `a.c` is src/a.c.
    let git = String::from_utf8(
        std::process::Command::new("git")
            .current_dir(&src)
            .args(["rev-list", "base..up", "--", "a.c"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(git.lines().count(), 1);
    let v = r.pq_json_in(&src, &["backport", "base..up", "a.c", "--dry-run"]);
    assert_eq!(v["commits"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["series"], "backport/src-a.c", "{v}");
    let v = r.pq_json_in(&src, &["backport", "base..up", ":/src", "--dry-run"]);
    assert_eq!(v["series"], "backport/src", "{v}");
    let v = r.pq_json_in(&src, &["backport", "base..up", ".", "--dry-run"]);
    assert_eq!(v["series"], "backport/src", "{v}");
    // `src` from inside src/ is src/src, which is not there, as in git.
    let err = refuses_in(&r, &src, &["backport", "base..up", "src"]);
    assert!(err.contains("matches nothing") && err.contains(":/"), "{err}");
    let err = refuses_in(&r, &src, &["backport", "base..up", "../../elsewhere"]);
    assert!(err.contains("outside the repository"), "{err}");
    // The real run from the subdirectory, and `-C` works the same.
    let out = r.pq_in(&src, &["backport", "base..up", "a.c"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(r.read_string("src/a.c"), "a1\nA2\na3\n");
    r.pq_ok(&["undo"]);
    let out = r.pq(&["-C", "src", "backport", "base..up", "a.c"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert!(text(&out).0.contains("backport/src-a.c"), "{:?}", text(&out));
}

// ---- 4. Ctrl-C ----

/// `base` with a README, `up` adding one file per commit under d/ (`n` commits, through fast-import), and a
/// managed `main` with one local commit.
fn many_picks(n: usize) -> TestRepo {
    let r = TestRepo::new();
    let mut s = String::new();
    let who = "committer Up Stream <up@example.org> 1600000000 +0000\n";
    s.push_str(&format!(
        "commit refs/heads/main\nmark :1\n{who}data 5\nbase\nM 100644 inline README\ndata 6\nhello\n\n"
    ));
    s.push_str("reset refs/tags/base\nfrom :1\n\n");
    for i in 0..n {
        let msg = format!("d: add f{i}\n");
        let body = format!("file {i}\n");
        s.push_str(&format!(
            "commit refs/heads/up\nmark :{}\n{who}data {}\n{msg}from :{}\nM 100644 inline d/f{i}.c\ndata {}\n{body}\n",
            i + 2,
            msg.len(),
            i + 1,
            body.len()
        ));
    }
    let mut child = std::process::Command::new("git");
    child.current_dir(&r.dir).args(["fast-import", "--quiet"]);
    hermetic(&mut child, r.home(), NOW);
    let mut child = child.stdin(std::process::Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    r.git(&["reset", "-q", "--hard", "main"]);
    r.write("local.txt", "mine\n");
    r.commit("local");
    r.pq_ok(&["init", "--base", "base"]);
    r
}

/// Start pq with the test hook `hold` (`PQ_TEST_HOLD_BEFORE_COMMIT` or `PQ_TEST_HOLD_AFTER_JOURNAL`), send it
/// SIGINT once it reports it has reached that point, and return its output.
fn interrupted_at(r: &TestRepo, args: &[&str], hold: &str) -> std::process::Output {
    use assert_cmd::cargo::CommandCargoExt;
    let marker = r.scratch.path().join(format!("held-{hold}"));
    let _ = std::fs::remove_file(&marker);
    let mut cmd = std::process::Command::cargo_bin("pq").unwrap();
    cmd.current_dir(&r.dir).args(args);
    hermetic(&mut cmd, r.home(), NOW);
    cmd.env(hold, &marker);
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // No deadline of ours: pq waits at the point for the signal (a minute at most), and a pq that never
    // reaches it exits on its own and fails the assertions below.
    while !marker.exists() && child.try_wait().unwrap().is_none() {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    if marker.exists() {
        unsafe {
            libc::kill(child.id() as i32, libc::SIGINT);
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(marker.exists(), "pq never reached {hold}: {:?}", text(&out));
    out
}

#[test]
fn ctrl_c_before_the_transaction_leaves_everything_as_it_was() {
    let r = many_picks(40);
    // An uncommitted change and an untracked file that must survive whatever happens.
    r.write("local.txt", "mine\nuncommitted\n");
    r.write("scratch.txt", "untracked\n");
    let before = r.snapshot();
    let lock = r.git_dir().join("pq/lock");
    let args = ["backport", "base..up", "d"];

    // Ctrl-C at the last point before the transaction: nothing changes.
    let out = interrupted_at(&r, &args, "PQ_TEST_HOLD_BEFORE_COMMIT");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(
        stderr.starts_with("error: interrupted (Ctrl-C): stopped before changing anything"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: run the command again"), "{stderr}");
    assert_same(&before, &r.snapshot(), "interrupted before the transaction");
    // Released cleanly: an empty lock file (a pid left in it would mean the holder died holding it).
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap_or_default(),
        "",
        "the lock was not released"
    );

    // Ctrl-C once the journal is written: the operation is finished, work tree included, and says so.
    let out = interrupted_at(&r, &args, "PQ_TEST_HOLD_AFTER_JOURNAL");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(stderr.contains("it was finished, work tree included"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap_or_default(),
        "",
        "the lock was not released"
    );
    assert!(!r.git_dir().join("pq/materialise.toml").exists());
    assert_eq!(r.read_string("local.txt"), "mine\nuncommitted\n");
    assert_eq!(r.read_string("scratch.txt"), "untracked\n");
    assert_eq!(r.read_string("d/f39.c"), "file 39\n");
    assert_eq!(r.git(&["status", "--porcelain"]), " M local.txt\n?? scratch.txt");
    r.pq_ok(&["undo"]);
    assert_same(&without_oplog(before.clone()), &without_oplog(r.snapshot()), "undo");
    r.fsck();
}

/// What a kill between two of git's ref renames leaves of `pq undo` (of a backport on `small_upstream_repo()`): the branch
/// moved back, pq's state and log not yet, the work tree not brought along, the journal in place.
fn undo_killed_between_ref_renames(r: &TestRepo) -> (Snapshot, Snapshot) {
    r.pq_ok(&["backport", "base..up", "src"]);
    let before = r.snapshot();
    let (b2, s2, l2) = (r.rev("main"), r.rev("refs/pq/state/main"), r.rev("refs/pq/oplog"));
    r.pq_ok(&["undo"]);
    let undone = r.snapshot();
    let (b1, s1, l3) = (r.rev("main"), r.rev("refs/pq/state/main"), r.rev("refs/pq/oplog"));
    // Only the branch's rename happened: put the others and the work tree back.
    r.git(&["update-ref", "refs/pq/state/main", &s2, &s1]);
    r.git(&["update-ref", "refs/pq/oplog", &l2, &l3]);
    r.git(&["read-tree", "-m", "-u", &b1, &b2]);
    let tree = |c: &str| r.git(&["rev-parse", &format!("{c}^{{tree}}")]);
    let journal = format!(
        "command = \"pq undo\"\nbranch = \"refs/heads/main\"\nfrom_tree = \"{}\"\nto_tree = \"{}\"\n\
         orig_head = \"{b2}\"\nnew_head = \"{b1}\"\n\n\
         [[refs]]\nname = \"refs/heads/main\"\nbefore = \"{b2}\"\nafter = \"{b1}\"\n\n\
         [[refs]]\nname = \"refs/pq/state/main\"\nbefore = \"{s2}\"\nafter = \"{s1}\"\n\n\
         [[refs]]\nname = \"refs/pq/oplog\"\nbefore = \"{l2}\"\nafter = \"{l3}\"\n",
        tree(&b2),
        tree(&b1),
    );
    std::fs::write(r.git_dir().join("pq/materialise.toml"), journal).unwrap();
    (before, undone)
}

#[test]
fn an_undo_killed_between_ref_renames_is_aborted_or_finished_exactly() {
    // Abort: back to exactly where the user was before the undo.
    let r = small_upstream_repo();
    r.pq_ok(&["init", "--base", "base"]);
    let (before, undone) = undo_killed_between_ref_renames(&r);
    let refused = refuses(&r, &["undo"]);
    assert!(refused.contains("interrupted"), "{refused}");
    r.pq_ok(&["abort"]);
    assert_same(
        &without_oplog(before),
        &without_oplog(r.snapshot()),
        "abort of a half-moved undo",
    );
    r.fsck();
    // The log stays usable: the undo can be run again.
    r.pq_ok(&["undo"]);
    assert_same(&without_oplog(undone), &without_oplog(r.snapshot()), "undo run again");

    // Continue: the undo completes, refs, log and work tree.
    let r = small_upstream_repo();
    r.pq_ok(&["init", "--base", "base"]);
    let (_, undone) = undo_killed_between_ref_renames(&r);
    r.pq_ok(&["continue"]);
    assert_same(&undone, &r.snapshot(), "continue of a half-moved undo");
    r.fsck();
}

// ---- 7. a stopped operation as it is ----

#[test]
fn a_stopped_operation_is_reported_as_it_is() {
    let r = later_paths();
    let branch_tip = r.rev("main");
    let out = r.pq(&["backport", "base..up"]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    let st = r.pq_json(&["status"], 0);
    assert_eq!(st["detached"], true, "{st}");
    assert_eq!(st["head"], r.rev("HEAD"), "{st}");
    assert_eq!(st["branch_head"], branch_tip, "{st}");
    assert_eq!(st["clean"], false, "{st}");
    assert_eq!(st["unmerged_paths"], serde_json::json!(["a.c"]), "{st}");
    assert_eq!(st["pick_abandoned"], false, "{st}");
    let text_status = r.pq_ok(&["status"]);
    assert!(text_status.starts_with("HEAD detached at "), "{text_status}");
    assert!(
        text_status.contains("stopped") && text_status.contains("unmerged: a.c"),
        "{text_status}"
    );
    // `pq log` works on the detached HEAD of a stop.
    let log = r.pq_ok(&["log"]);
    assert!(log.contains("stopped at"), "{log}");

    // What `git status` advises: `git cherry-pick --abort`. pq notices and says what to do.
    r.git(&["cherry-pick", "--abort"]);
    let st = r.pq_json(&["status"], 0);
    assert_eq!(st["pick_abandoned"], true, "{st}");
    assert_eq!(st["clean"], true, "{st}");
    let text_status = r.pq_ok(&["status"]);
    assert!(
        text_status.contains("git cherry-pick --abort") && text_status.contains("pq skip"),
        "{text_status}"
    );
    let err = refuses(&r, &["continue"]);
    assert!(err.contains("given up") && err.contains("pq skip"), "{err}");
    r.pq_ok(&["skip"]);
    assert_eq!(r.read_string("x.c"), "x1\nx2\n");
    let st = r.pq_json(&["status"], 0);
    assert_eq!(st["detached"], false, "{st}");
    assert_eq!(st["head"], r.rev("main"), "{st}");
}

#[test]
fn detached_head_hint_names_the_users_branch_and_log_works() {
    let r = small_upstream_repo();
    r.git(&["switch", "-q", "-c", "mydistro"]);
    r.pq_ok(&["init", "--base", "base"]);
    r.git(&["checkout", "-q", "--detach", "HEAD~1"]);
    let err = refuses(&r, &["backport", "base..up", "src"]);
    assert!(
        err.contains("HEAD is detached") && err.contains("git switch mydistro"),
        "{err}"
    );
    let log = r.pq_ok(&["log"]);
    assert!(log.contains("mydistro pq init"), "{log}");
}

#[test]
fn dry_run_summary_counts_blocked_picks_and_skipped_merges() {
    let r = TestRepo::new();
    r.write("a.c", "a1\na2\na3\n");
    r.commit("base");
    r.git(&["tag", "base"]);
    r.git(&["checkout", "-q", "-b", "up"]);
    r.write("a.c", "a1\nu1\na3\n");
    r.commit("c1: a");
    r.write("a.c", "a1\nu2\na3\n");
    r.commit("c2: a again");
    r.git(&["checkout", "-q", "-b", "side", "base"]);
    r.write("s.c", "side\n");
    r.commit("side: s");
    r.git(&["checkout", "-q", "up"]);
    assert!(r
        .git_dated(&["merge", "-q", "--no-ff", "side", "-m", "merge side"])
        .status
        .success());
    r.git(&["tag", "up"]);
    r.git(&["checkout", "-q", "main"]);
    r.write("a.c", "a1\nlocal\na3\n");
    r.commit("local");
    r.pq_ok(&["init", "--base", "base"]);
    let out = r.pq_ok(&["backport", "base..up", "--dry-run"]);
    assert!(
        out.contains(
            "dry run: 1 would apply, 0 already present, 1 conflict(s), 1 blocked by an earlier conflict, 1 skipped; nothing changed"
        ),
        "{out}"
    );
}

// ---- 8. adopt ----

/// The series in stack order, each with its commits; asserts they are contiguous: in stack order they
/// list exactly the branch's commits above the base, oldest first.
#[track_caller]
fn contiguous_series(r: &TestRepo) -> Vec<(String, usize)> {
    let v = r.pq_json(&["series"], 0)["series"].take();
    let mut flat = Vec::new();
    let mut out = Vec::new();
    for s in v.as_array().unwrap() {
        let commits: Vec<String> = s["patches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["commit"].as_str().unwrap().to_string())
            .collect();
        out.push((s["name"].as_str().unwrap().to_string(), commits.len()));
        flat.extend(commits);
    }
    assert_eq!(flat, chain(r, "base..HEAD"), "series are not contiguous: {v}");
    out
}

#[test]
fn adopt_places_new_commits_on_top_and_keeps_series_contiguous() {
    let r = small_upstream_repo();
    r.pq_ok(&["init", "--base", "base"]);
    r.pq_ok(&["backport", "base..up", "src"]);
    r.write("fix.txt", "fix\n");
    r.commit("a fix on top");
    // `local` is the bottom series: putting the top commit there would split the stack.
    let err = refuses(&r, &["adopt", "--series", "local"]);
    assert!(
        err.contains("not at the top") && err.contains("pq adopt --series NAME"),
        "{err}"
    );
    let out = r.pq_ok(&["adopt"]);
    assert!(out.contains("1 new in series local-2"), "{out}");
    assert_eq!(
        contiguous_series(&r),
        [
            ("local".to_string(), 1),
            ("backport/src".into(), 1),
            ("local-2".into(), 1)
        ]
    );
    // Adopting again changes nothing and logs nothing.
    let before = r.snapshot();
    let out = r.pq_ok(&["adopt"]);
    assert!(out.contains("nothing to adopt"), "{out}");
    assert_same(&before, &r.snapshot(), "an adopt with nothing to do");
    // The next top commit joins the top `local` series; a named series is created at the top.
    r.write("fix.txt", "fix\nfix 2\n");
    r.commit("another fix");
    r.pq_ok(&["adopt"]);
    r.write("fix.txt", "fix\nfix 2\nfix 3\n");
    r.commit("a third fix");
    let out = r.pq_ok(&["adopt", "--series", "fixes"]);
    assert!(out.contains("1 new in series fixes"), "{out}");
    assert_eq!(
        contiguous_series(&r),
        [
            ("local".to_string(), 1),
            ("backport/src".into(), 1),
            ("local-2".into(), 2),
            ("fixes".into(), 1)
        ]
    );
    // A commit inserted in the middle (with git rebase) joins the series it sits in.
    let mid = r.rev("HEAD~3");
    r.git(&["checkout", "-q", &mid]);
    r.write("mid.txt", "mid\n");
    r.commit("inserted in the middle");
    let new_mid = r.rev("HEAD");
    r.git(&["checkout", "-q", "main"]);
    assert!(r
        .git_dated(&["rebase", "-q", "--onto", &new_mid, &mid, "main"])
        .status
        .success());
    r.pq_ok(&["adopt", "--series", "fixes"]);
    assert_eq!(
        contiguous_series(&r),
        [
            ("local".to_string(), 1),
            ("backport/src".into(), 2),
            ("local-2".into(), 2),
            ("fixes".into(), 1)
        ]
    );
    r.fsck();
}

// ---- 9. the README's walk-through, as written ----

#[test]
fn readme_walk_through_runs_as_written() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let steps = xtask::walkthrough::steps(&readme).unwrap();
    assert!(steps.iter().filter(|s| s.args[0] == "pq").count() >= 8, "{steps:?}");
    // The tree `cargo xtask demo` generates, in a scratch area: the walk-through starts beside it.
    let scratch = Scratch::new();
    let mut opts = xtask::fixture::KernelOptions::small();
    opts.checkout = Some("fedora-6.7".into());
    xtask::fixture::kernel(&scratch.path().join("demo"), &opts).unwrap();
    let mut cwd = scratch.path().to_path_buf();
    for s in &steps {
        let args: Vec<&str> = s.args[1..].iter().map(String::as_str).collect();
        let out = match s.args[0].as_str() {
            "cd" => {
                cwd = cwd.join(args[0]);
                continue;
            }
            "git" => git_out_in(&scratch.home, &cwd, &args, NOW),
            "pq" => {
                use assert_cmd::cargo::CommandCargoExt;
                let mut cmd = std::process::Command::cargo_bin("pq").unwrap();
                cmd.current_dir(&cwd).args(&args);
                hermetic(&mut cmd, &scratch.home, NOW);
                cmd.output().unwrap()
            }
            other => panic!("the walk-through runs `{other}`, which this test does not know"),
        };
        let (stdout, stderr) = text(&out);
        assert_eq!(
            out.status.code(),
            Some(s.exit),
            "README walk-through: `{}` exited {:?}, the README says {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            s.line,
            out.status.code(),
            s.exit
        );
    }
}

// ---- after a kill and `pq abort`, `pq redo` does not bring the aborted operation back ----

/// Run `pq ARGS` to its end, then put back what a kill after its ref transaction and before its work-tree
/// update leaves: every ref moved (branch, state, log), the index and work tree still at the old commit, the
/// journal in place.
fn killed_after_its_refs_moved(r: &TestRepo, args: &[&str]) {
    let names = ["refs/heads/main", "refs/pq/state/main", "refs/pq/oplog"];
    let before: Vec<String> = names.iter().map(|n| r.rev(n)).collect();
    r.pq_ok(args);
    let after: Vec<String> = names.iter().map(|n| r.rev(n)).collect();
    r.git(&["read-tree", "-m", "-u", &after[0], &before[0]]);
    let mut journal = format!(
        "command = \"pq {}\"\nbranch = \"refs/heads/main\"\nfrom_tree = \"{}\"\nto_tree = \"{}\"\n\
         orig_head = \"{}\"\nnew_head = \"{}\"\n",
        args.join(" "),
        r.tree(&before[0]),
        r.tree(&after[0]),
        before[0],
        after[0],
    );
    for (i, n) in names.iter().enumerate() {
        journal.push_str(&format!(
            "\n[[refs]]\nname = \"{n}\"\nbefore = \"{}\"\nafter = \"{}\"\n",
            before[i], after[i]
        ));
    }
    std::fs::write(r.git_dir().join("pq/materialise.toml"), journal).unwrap();
}

#[test]
fn redo_does_not_reapply_an_operation_aborted_after_a_kill() {
    let r = small_upstream_repo();
    r.pq_ok(&["init", "--base", "base"]);
    let before = without_oplog(r.snapshot());
    killed_after_its_refs_moved(&r, &["backport", "base..up", "src"]);
    r.pq_ok(&["abort"]);
    assert_same(&before, &without_oplog(r.snapshot()), "abort after a kill");
    // The abort took the backport back for good: redo refuses and changes nothing.
    let err = refuses(&r, &["redo"]);
    assert!(err.contains("nothing to redo on branch main"), "{err}");
    assert!(err.contains("pq abort (pq backport base..up src)"), "{err}");
    // The log says what happened; undo takes back what came before the aborted backport (the init).
    let log = r.pq_ok(&["log"]);
    assert!(log.contains("pq abort (pq backport base..up src)"), "{log}");
    r.pq_ok(&["undo"]);
    assert_eq!(r.pq_json(&["status"], 0)["initialised"], false);
    r.fsck();

    // An operation begun after an undo and aborted after a kill ends what redo can bring back: the undo
    // stays in effect, and the aborted backport stays out.
    let r = small_upstream_repo();
    r.pq_ok(&["init", "--base", "base"]);
    r.pq_ok(&["backport", "base..up", "src"]);
    r.pq_ok(&["undo"]);
    let undone = without_oplog(r.snapshot());
    killed_after_its_refs_moved(&r, &["backport", "base..up", "src"]);
    r.pq_ok(&["abort"]);
    assert_same(&undone, &without_oplog(r.snapshot()), "abort after a kill");
    let err = refuses(&r, &["redo"]);
    assert!(err.contains("gave up the last operation"), "{err}");
    // A new operation is redone as usual once undone.
    r.pq_ok(&["backport", "base..up", "src"]);
    let done = without_oplog(r.snapshot());
    r.pq_ok(&["undo"]);
    r.pq_ok(&["redo"]);
    assert_same(&done, &without_oplog(r.snapshot()), "redo of a later backport");
    r.fsck();
}

// ---- `pq status` on a detached HEAD outside any pq operation ----

#[test]
fn status_on_a_detached_head_reports_it_and_exits_0() {
    let r = small_upstream_repo();
    r.pq_ok(&["init", "--base", "base"]);
    let tip = r.rev("main");
    r.git(&["checkout", "-q", "--detach", "main~1"]);
    r.write("src/b.c", "b1\nmine\n");
    let before = r.snapshot();
    let text_out = r.pq_ok(&["status"]);
    let head = r.rev("HEAD");
    assert_ne!(head, tip);
    let st = r.pq_json(&["status"], 0);
    assert_same(&before, &r.snapshot(), "pq status on a detached HEAD");
    assert_eq!(st["schema"], 2, "{st}");
    assert_eq!(st["detached"], true, "{st}");
    assert_eq!(st["head"], head, "{st}");
    assert_eq!(st["branch"], serde_json::Value::Null, "{st}");
    assert_eq!(st["branch_head"], serde_json::Value::Null, "{st}");
    assert_eq!(st["switch_to"], "main", "{st}");
    assert_eq!(st["initialised"], false, "{st}");
    assert_eq!(st["stopped"], serde_json::Value::Null, "{st}");
    assert_eq!(st["clean"], false, "{st}");
    assert_eq!(st["dirty_paths"], serde_json::json!(["src/b.c"]), "{st}");
    // What `git status` says of the same tree.
    assert!(r
        .git(&["status"])
        .starts_with(&format!("HEAD detached at {}", &head[..7])));
    let mut s = insta_settings(&r);
    s.add_filter(r"\b[0-9a-f]{12}\b", "[short]");
    s.bind(|| insta::assert_snapshot!("status_detached_no_branch", text_out));
    let json_out = r.pq_ok(&["status", "--format", "json"]);
    json_settings(&r).bind(|| insta::assert_snapshot!("status_detached_no_branch_json", json_out));
}
