//! `pq rebase` against `git rebase --onto` as the oracle: final trees, per-patch trees, what is dropped and
//! why, conflicts and abort, and the dry run's prediction.

mod common;

use common::*;

/// (subject, tree) of each commit in `range`, oldest first.
fn subjects_and_trees(r: &TestRepo, range: &str) -> Vec<(String, String)> {
    chain(r, range)
        .iter()
        .map(|c| (r.git(&["log", "-1", "--format=%s", c]), r.tree(c)))
        .collect()
}

/// `git rebase --onto NEW OLD` of `start` in a clone; returns the clone.
fn git_rebase(r: &TestRepo, start: &str, old: &str, new: &str) -> TestRepo {
    let oracle = r.clone_shared("oracle");
    oracle.git(&["checkout", "-q", "-B", "o", start]);
    let out = oracle.git_out(&["rebase", "-q", "--onto", new, old, "o"]);
    assert!(
        out.status.success(),
        "git rebase failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    oracle
}

#[test]
fn kernel_rebase_to_next_stable_matches_git_rebase() {
    let (r, fx) = TestRepo::kernel();
    r.pq_ok(&["init", "--base", "v6.7.1"]);
    let start = r.rev("HEAD");
    let oracle = git_rebase(&r, &start, "v6.7.1", "v6.7.2");

    let dry = r.pq_json(&["rebase", "v6.7.2", "--dry-run"], 0);
    let predicted = outcomes(&dry, "patches");
    let v = r.pq_json(&["rebase", "v6.7.2"], 0);
    let real = outcomes(&v, "patches");
    assert_eq!(predicted, real, "the dry run predicts the real run");

    // Dropped: exactly the commits v6.7.2 already carries.
    let mut dropped: Vec<String> = real
        .iter()
        .filter(|(_, o)| o == "dropped")
        .map(|(s, _)| s.clone())
        .collect();
    dropped.sort();
    let mut expected = fx.rebase_dropped["fedora-6.7"].clone();
    expected.sort();
    assert_eq!(dropped, expected);

    // Kept patches: the same commits, one for one, as git rebase makes.
    assert_eq!(r.tree("HEAD"), oracle.tree("HEAD"));
    assert_eq!(
        subjects_and_trees(&r, "v6.7.2..HEAD"),
        subjects_and_trees(&oracle, "v6.7.2..HEAD")
    );
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    assert_eq!(r.git(&["symbolic-ref", "HEAD"]), "refs/heads/fedora-6.7");
    r.fsck();
    let status = r.pq_json(&["status"], 0);
    assert_eq!(status["base"], "v6.7.2", "{status}");
}

#[test]
fn kernel_backport_then_rebase_onto_the_release_that_has_them() {
    // Backport the clean zstd commits onto 6.7, then move to v6.8.1, which contains their upstreams:
    // every backport must be dropped, none re-applied.
    let (r, fx) = TestRepo::kernel();
    r.pq_ok(&["init", "--base", "v6.7.1"]);
    let stops = run_skipping(&r, &["backport", "v6.7..v6.8", "lib/zstd"]);
    assert_eq!(stops, [fx.sha("zstd_conflict_1"), fx.sha("zstd_conflict_2")]);
    let picks = r.pq_json(&["series", "show", "backport/lib-zstd"], 0)["series"].take();
    let picked: Vec<String> = picks[0]["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["commit"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(picked.len(), 10);

    let before = r.snapshot();
    let objects = r.object_count();
    let dry = r.pq_json(&["rebase", "v6.8.1", "--dry-run"], 0);
    assert_same(&before, &r.snapshot(), "rebase --dry-run");
    assert_eq!(objects, r.object_count());
    let v = r.pq_json(&["rebase", "v6.8.1"], 0);
    assert_eq!(outcomes(&dry, "patches"), outcomes(&v, "patches"));
    for (src, outcome) in outcomes(&v, "patches") {
        if picked.contains(&src) {
            assert_eq!(outcome, "dropped", "backport {src} must be dropped");
        }
    }
    // git rebase agrees on the result.
    let start = before_head(&before);
    let oracle = git_rebase(&r, &start, "v6.7.1", "v6.8.1");
    assert_eq!(r.tree("HEAD"), oracle.tree("HEAD"));
    assert_eq!(
        subjects_and_trees(&r, "v6.8.1..HEAD"),
        subjects_and_trees(&oracle, "v6.8.1..HEAD")
    );
    r.fsck();
}

fn before_head(s: &Snapshot) -> String {
    s.refs
        .lines()
        .find(|l| l.starts_with("refs/heads/fedora-6.7 "))
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .to_string()
}

/// base ─ u1 ─ u2 ─ u3 (new base `next`); branch on base with: a backport of u1 (`-x`), a stable-style
/// backport of a commit that `next` carries as its own stable backport, a patch-id twin of u3 with another
/// message, a local patch that conflicts with u2, and a clean local patch.
fn rebase_repo() -> (TestRepo, Vec<String>) {
    let r = TestRepo::new();
    r.write("a.c", "a1\na2\na3\na4\n");
    r.write("b.c", "b1\nb2\nb3\nb4\n");
    r.write("c.c", "c1\nc2\nc3\nc4\nc5\nc6\n");
    r.write("d.c", "d1\n");
    r.write("e.c", "e1\n");
    r.commit("base");
    r.git(&["tag", "base"]);
    // Mainline with a fix that a stable release later backports.
    r.git(&["checkout", "-q", "-b", "mainline"]);
    r.write("d.c", "d1\nd-fix\n");
    let mfix = r.commit("d: fix");
    r.git(&["checkout", "-q", "main"]);
    r.write("a.c", "a1\nA2\na3\na4\n");
    let u1 = r.commit("u1: a");
    r.write("b.c", "b1\nB2 upstream\nb3\nb4\n");
    let u2 = r.commit("u2: b");
    r.write("c.c", "c1\nc2\nc3\nc4\nc5\nC6\n");
    let u3 = r.commit("u3: c");
    r.write("d.c", "d1\nd-fix\n");
    r.commit(&format!("d: fix (stable)\n\ncommit {mfix} upstream.\n"));
    r.git(&["tag", "next"]);
    r.git(&["checkout", "-q", "-b", "work", "base"]);
    r.pq_ok(&["init", "--base", "base"]);
    // Through pq: a backport of u1 (origin recorded in the state).
    r.pq_ok(&["backport", &u1]);
    r.pq_ok(&["backport", &mfix, "--style", "stable"]);
    // By hand, then adopted: a twin of u3 and two local patches.
    r.write("c.c", "c1\nc2\nc3\nc4\nc5\nC6\n");
    r.commit("my version of the c fix");
    r.write("e.c", "e1\nlocal e\n");
    r.commit("local: e");
    r.write("b.c", "b1\nB2 local\nb3\nb4\n");
    r.commit("local: b");
    r.pq_ok(&["adopt"]);
    (r, vec![u1, u2, u3, mfix])
}

#[test]
fn rebase_drops_by_ancestry_provenance_and_patch_id() {
    let (r, u) = rebase_repo();
    let v = r.pq_json(&["rebase", "next", "--dry-run"], 0);
    let lines = v["patches"].as_array().unwrap().clone();
    let by_subject = |s: &str| {
        lines
            .iter()
            .find(|l| l["subject"] == s)
            .unwrap_or_else(|| panic!("{s} not in {v}"))
            .clone()
    };
    let l = by_subject("u1: a");
    assert_eq!(l["outcome"], "dropped", "{l}");
    assert!(l["reason"].as_str().unwrap().contains(&u[0][..12]), "{l}");
    let l = by_subject("d: fix");
    assert_eq!(l["outcome"], "dropped", "{l}");
    assert!(l["reason"].as_str().unwrap().contains("backport"), "{l}");
    let l = by_subject("my version of the c fix");
    assert_eq!(l["outcome"], "dropped", "{l}");
    assert!(l["reason"].as_str().unwrap().contains("patch-id"), "{l}");
    assert_eq!(by_subject("local: e")["outcome"], "applied");
    assert_eq!(by_subject("local: b")["outcome"], "conflict");
}

#[test]
fn rebase_conflict_stops_and_abort_restores_everything() {
    let (r, _u) = rebase_repo();
    r.write("e.c", "e1\nlocal e\nuncommitted\n");
    r.write("scratch.txt", "untracked\n");
    let before = r.snapshot();
    let out = r.pq(&["rebase", "next"]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    assert!(r.git_dir().join("CHERRY_PICK_HEAD").exists());
    assert_eq!(r.git(&["diff", "--name-only", "--diff-filter=U"]), "b.c");
    let b = r.read_string("b.c");
    assert!(b.contains("<<<<<<< HEAD\n") && b.contains(">>>>>>> "), "{b}");
    r.fsck();
    assert_eq!(r.pq(&["abort"]).status.code(), Some(0));
    assert_same(
        &without_oplog(before),
        &without_oplog(r.snapshot()),
        "pq abort of a rebase",
    );
    r.fsck();
}

#[test]
fn rebase_resolved_matches_git_rebase() {
    let (r, _u) = rebase_repo();
    let start = r.rev("HEAD");
    let out = r.pq(&["rebase", "next"]);
    assert_eq!(out.status.code(), Some(1));
    r.write("b.c", "b1\nB2 upstream and local\nb3\nb4\n");
    r.git(&["add", "b.c"]);
    assert_eq!(r.pq(&["continue"]).status.code(), Some(0));
    assert_eq!(r.git(&["status", "--porcelain"]), "");

    let oracle = r.clone_shared("oracle");
    oracle.git(&["checkout", "-q", "-B", "o", &start]);
    let out = oracle.git_out(&["rebase", "-q", "--onto", "next", "base", "o"]);
    assert!(!out.status.success());
    oracle.write("b.c", "b1\nB2 upstream and local\nb3\nb4\n");
    oracle.git(&["add", "b.c"]);
    oracle.git(&["-c", "core.editor=true", "rebase", "--continue"]);
    assert_eq!(r.tree("HEAD"), oracle.tree("HEAD"));
    assert_eq!(
        subjects_and_trees(&r, "next..HEAD"),
        subjects_and_trees(&oracle, "next..HEAD")
    );
    r.fsck();
}

#[test]
fn rebase_dry_run_changes_nothing() {
    let (r, _u) = rebase_repo();
    let before = r.snapshot();
    let objects = r.object_count();
    let out = r.pq(&["rebase", "next", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0));
    assert_same(&before, &r.snapshot(), "rebase --dry-run");
    assert_eq!(objects, r.object_count());
    let (stdout, _) = text(&out);
    insta::assert_snapshot!("rebase_dry_run", stdout);
}
