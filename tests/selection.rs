//! Which commits a backport takes: exactly `git rev-list --reverse A..B -- PATHS` (merges reported as
//! skipped), with and without a commit-graph carrying changed-path Bloom filters.

mod common;

use common::*;

/// A history with merges, renames and side branches touching the paths:
///
/// ```text
/// base ─ m1(a) ─ m2(b) ─────────── M1 ─ m3(c) ─ M2 ─ M3 ─ r(mv a/x→c/x) ─ m4(a,b) ─ M4  (tip)
///   └─ s1(a) ─ s2(b) ─ s3(c) ──────┘         │     │                                 │
///        (side: merged at M1)               t1(b) u1(a/f)  (t: only b, M2 TREESAME     v1 (root-ish
///                                                           for a; u: M3 takes u's a/f)  side, d only)
/// ```
fn history() -> (TestRepo, Vec<(&'static str, String)>) {
    let r = TestRepo::new();
    let mut ids = Vec::new();
    r.write("a/f", "f1\nf2\nf3\n");
    r.write("a/x.c", "x1\nx2\n");
    r.write("b/g", "g\n");
    r.write("c/h", "h\n");
    r.write("d/k", "k\n");
    ids.push(("base", r.commit("base")));
    r.git(&["tag", "base"]);
    // The branch pq manages: base plus a local commit elsewhere.
    r.git(&["checkout", "-q", "-b", "work"]);
    r.write("z/local", "local\n");
    r.commit("local");
    r.git(&["checkout", "-q", "main"]);

    r.git(&["checkout", "-q", "-b", "side"]);
    r.write("a/f", "f1\nf2 side\nf3\n");
    ids.push(("s1", r.commit("s1: a")));
    r.write("b/g", "g side\n");
    ids.push(("s2", r.commit("s2: b")));
    r.write("c/h", "h side\n");
    ids.push(("s3", r.commit("s3: c")));
    r.git(&["checkout", "-q", "main"]);
    r.write("a/x.c", "x1\nx2 main\n");
    ids.push(("m1", r.commit("m1: a")));
    r.write("b/g2", "g2\n");
    ids.push(("m2", r.commit("m2: b")));
    assert!(r
        .git_dated(&["merge", "-q", "--no-ff", "-m", "M1: merge side", "side"])
        .status
        .success());
    ids.push(("M1", r.rev("HEAD")));
    r.write("c/h2", "h2\n");
    ids.push(("m3", r.commit("m3: c")));

    // A topic touching only b: its merge is TREESAME to the first parent for a/ and c/.
    r.git(&["checkout", "-q", "-b", "t", "HEAD~1"]);
    r.write("b/t", "t\n");
    ids.push(("t1", r.commit("t1: b")));
    r.git(&["checkout", "-q", "main"]);
    assert!(r
        .git_dated(&["merge", "-q", "--no-ff", "-m", "M2: merge t", "t"])
        .status
        .success());
    ids.push(("M2", r.rev("HEAD")));

    // main and u both change a/f; the merge takes u's version, so it is TREESAME to its second parent
    // at a/ and git follows only that parent: m5 disappears from `rev-list -- a`.
    r.git(&["checkout", "-q", "-b", "u"]);
    r.write("a/f", "f1\nf2 side\nf3 u\n");
    ids.push(("u1", r.commit("u1: a/f")));
    r.git(&["checkout", "-q", "main"]);
    r.write("a/f", "f1\nf2 side\nf3 main\n");
    ids.push(("m5", r.commit("m5: a/f")));
    let out = r.git_dated(&["merge", "-q", "--no-ff", "-m", "M3: merge u", "u"]);
    assert!(!out.status.success(), "conflict expected");
    r.git(&["checkout", "--theirs", "a/f"]);
    r.git(&["add", "a/f"]);
    let date = r.next_date();
    let out = git_out_in(r.home(), &r.dir, &["commit", "-q", "--no-edit"], &date);
    assert!(out.status.success());
    ids.push(("M3", r.rev("HEAD")));

    // A rename out of a/ into c/.
    r.git(&["mv", "a/x.c", "c/x.c"]);
    ids.push(("rn", r.commit("rename a/x.c to c/x.c")));
    r.write("a/f", "f1\nf2 side\nf3 u\nf4\n");
    r.write("b/g", "g side\ng2\n");
    ids.push(("m4", r.commit("m4: a and b")));

    // A side line that only touches d/, merged last.
    r.git(&["checkout", "-q", "-b", "v", "base"]);
    r.write("d/k", "k v\n");
    ids.push(("v1", r.commit("v1: d")));
    r.git(&["checkout", "-q", "main"]);
    assert!(r
        .git_dated(&["merge", "-q", "--no-ff", "-m", "M4: merge v", "v"])
        .status
        .success());
    ids.push(("M4", r.rev("HEAD")));
    r.git(&["tag", "tip"]);
    r.git(&["checkout", "-q", "work"]);
    r.pq_ok(&["init", "--base", "base"]);
    (r, ids)
}

fn name_of<'a>(ids: &'a [(&'static str, String)], sha: &str) -> &'a str {
    ids.iter().find(|(_, s)| s == sha).map(|(n, _)| *n).unwrap_or("?")
}

/// pq's dry-run selection (every reported source, in order) for `args`.
fn pq_selection(r: &TestRepo, args: &[&str]) -> Vec<(String, String)> {
    let mut a = vec!["backport"];
    a.extend_from_slice(args);
    a.push("--dry-run");
    let v = r.pq_json(&a, 0);
    outcomes(&v, "commits")
}

fn check(r: &TestRepo, ids: &[(&'static str, String)], range: &str, paths: &[&str]) {
    let mut git_args = vec!["rev-list", "--reverse", range];
    if !paths.is_empty() {
        git_args.push("--");
        git_args.extend_from_slice(paths);
    }
    let expected: Vec<String> = r.git(&git_args).lines().map(str::to_string).collect();
    let mut pq_args = vec![range];
    pq_args.extend_from_slice(paths);
    let got = pq_selection(r, &pq_args);
    let got_ids: Vec<String> = got.iter().map(|(s, _)| s.clone()).collect();
    let names = |v: &[String]| v.iter().map(|s| name_of(ids, s).to_string()).collect::<Vec<_>>();
    assert_eq!(names(&got_ids), names(&expected), "selection for {range} -- {paths:?}");
    assert_eq!(got_ids, expected);
    for (s, outcome) in &got {
        if is_merge(r, s) {
            assert_eq!(
                outcome,
                "skipped",
                "merge {} must be reported as skipped",
                name_of(ids, s)
            );
        } else {
            assert_ne!(outcome, "skipped", "{}", name_of(ids, s));
        }
    }
}

fn check_all(r: &TestRepo, ids: &[(&'static str, String)]) {
    check(r, ids, "base..tip", &["a"]);
    check(r, ids, "base..tip", &["b"]);
    check(r, ids, "base..tip", &["c"]);
    check(r, ids, "base..tip", &["a", "c"]);
    check(r, ids, "base..tip", &["a/f"]);
    check(r, ids, "base..tip", &["b", "d"]);
    check(r, ids, "base..tip", &[]);
    check(r, ids, "base..side", &["a", "b"]);
    check(r, ids, "side..tip", &["a"]);
    check(r, ids, "tip~3..tip", &["a", "b", "c"]);
    // Paths sharing directories, and one inside another.
    check(r, ids, "base..tip", &["a/f", "a/x.c", "c/h"]);
    check(r, ids, "base..tip", &["a/f", "a", "b/g"]);
}

#[test]
fn selection_equals_git_rev_list_without_commit_graph() {
    let (r, ids) = history();
    // The designed corner: git follows only M3's second parent for a/, so m5 is not listed.
    let listed = r.git(&["rev-list", "base..tip", "--", "a"]);
    let m5 = &ids.iter().find(|(n, _)| *n == "m5").unwrap().1;
    assert!(!listed.contains(m5.as_str()));
    check_all(&r, &ids);
}

#[test]
fn selection_equals_git_rev_list_with_bloom_filters() {
    let (r, ids) = history();
    r.git(&[
        "commit-graph",
        "write",
        "--reachable",
        "--changed-paths",
        "--no-progress",
    ]);
    check_all(&r, &ids);
}

#[test]
fn single_commit_selection() {
    let (r, ids) = history();
    let get = |n: &str| ids.iter().find(|(m, _)| *m == n).unwrap().1.clone();
    // One commit, with and without a path it touches.
    let m4 = get("m4");
    let ids_of = |v: Vec<(String, String)>| v.into_iter().map(|(s, _)| s).collect::<Vec<_>>();
    assert_eq!(ids_of(pq_selection(&r, &[&m4])), vec![m4.clone()]);
    assert_eq!(ids_of(pq_selection(&r, &[&m4, "a"])), vec![m4.clone()]);
    // A path it does not touch: nothing to backport.
    let out = r.pq_ok(&["backport", &m4, "d", "--dry-run"]);
    assert!(out.starts_with("nothing to backport"), "{out}");
    // A merge alone is just the merge, skipped.
    let m1 = get("M1");
    assert_eq!(pq_selection(&r, &[&m1]), vec![(m1.clone(), "skipped".to_string())]);
}

#[test]
fn selection_follows_renames_like_git_on_the_kernel() {
    // The generated kernel history (with its rename, merge and side branches), path by path.
    let (r, _fx) = TestRepo::kernel();
    r.pq_ok(&["init", "--base", "v6.7.1"]);
    for paths in [
        vec!["lib/zstd"],
        vec!["lib/zstd", "include/linux/zstd.h"],
        vec!["lib/zstd/common"],
        vec!["drivers"],
    ] {
        let mut git_args = vec!["rev-list", "--reverse", "v6.7..v6.8", "--"];
        git_args.extend_from_slice(&paths);
        let expected: Vec<String> = r.git(&git_args).lines().map(str::to_string).collect();
        let mut args = vec!["v6.7..v6.8"];
        args.extend_from_slice(&paths);
        let got: Vec<String> = pq_selection(&r, &args).into_iter().map(|(s, _)| s).collect();
        assert_eq!(got, expected, "{paths:?}");
    }
}
