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

#[track_caller]
fn refuses(r: &TestRepo, args: &[&str]) -> String {
    refuses_in(r, &r.dir, args)
}

/// base → up (changes src/a.c) and a local commit on main.
fn small() -> TestRepo {
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
    let json = r.pq_json(&["log", "--all"], 0);
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
    let r = small();
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
