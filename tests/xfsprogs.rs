//! The real xfsprogs history (the corpus bundle, found by `xtask::oracle`): `pq backport v6.3.0..v6.5.0 libxfs` onto
//! v6.1.0, pick by pick against `git cherry-pick -x` (git stops on 19 of the 60 commits; pq must stop on
//! the same ones, and every clean pick must give the same tree and commit).

mod common;

use common::*;

#[test]
fn xfsprogs_libxfs_backport_matches_git() {
    let r = xfsprogs_stable_6_1();
    let start = r.rev("HEAD");

    // git's own selection: with merges (pq reports them as skipped) and without.
    let all = chain(&r, "v6.3.0..v6.5.0 -- libxfs");
    let no_merges = chain(&r, "--no-merges v6.3.0..v6.5.0 -- libxfs");
    assert_eq!(no_merges.len(), 60);

    let dry = r.pq_json(&["backport", "v6.3.0..v6.5.0", "libxfs", "--dry-run"], 0);
    let predicted = outcomes(&dry, "commits");
    let sources: Vec<String> = predicted.iter().map(|(s, _)| s.clone()).collect();
    assert_eq!(sources, all, "pq selects what git rev-list lists");
    for (s, o) in &predicted {
        assert_eq!(is_merge(&r, s), o == "skipped", "{s} {o}");
    }

    let oracle = r.clone_shared("oracle");
    oracle.git(&["checkout", "-q", "-B", "o", &start]);
    let git = git_pick_all(&oracle, &no_merges, &[]);
    let git_conflicts: Vec<String> = git
        .iter()
        .filter(|(_, o)| *o == GitPick::Conflict)
        .map(|(s, _)| s.clone())
        .collect();
    assert_eq!(git_conflicts.len(), 19);
    assert!(git.iter().all(|(_, o)| matches!(o, GitPick::Clean | GitPick::Conflict)));
    // The dry run predicts git's outcome for each commit.
    let predicted_conflicts: Vec<String> = predicted
        .iter()
        .filter(|(_, o)| o == "conflict" || o == "blocked")
        .map(|(s, _)| s.clone())
        .collect();
    assert_eq!(predicted_conflicts, git_conflicts);

    let stops = run_skipping(&r, &["backport", "v6.3.0..v6.5.0", "libxfs"]);
    assert_eq!(stops, git_conflicts);
    let ours = chain(&r, &format!("{start}..HEAD"));
    let theirs = chain(&oracle, &format!("{start}..HEAD"));
    assert_eq!(ours.len(), 41);
    assert_eq!(ours.len(), theirs.len());
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(r.tree(a), oracle.tree(b), "tree after the pick of {b}");
        assert_eq!(author_and_message(&r, a), author_and_message(&oracle, b));
    }
    assert_eq!(ours, theirs);
    assert_eq!(r.git(&["status", "--porcelain"]), "");

    // Carry the backports to the next release, then to the one that contains their originals: on v6.2.0
    // they are replayed (the tree must equal git's rebase), on v6.5.0 every one is dropped, none re-applied.
    oracle.git(&["rebase", "-q", "--onto", "v6.2.0", &start]);
    r.pq_ok(&["rebase", "v6.2.0"]);
    assert_eq!(
        r.tree("HEAD"),
        oracle.tree("HEAD"),
        "pq rebase onto v6.2.0 equals git rebase --onto"
    );
    let report = r.pq_json(&["rebase", "v6.5.0", "--dry-run"], 0);
    let planned = outcomes(&report, "patches");
    assert_eq!(planned.len(), 41);
    assert!(
        planned.iter().all(|(_, o)| o == "dropped"),
        "every backport is dropped on v6.5.0: {planned:?}"
    );
    r.pq_ok(&["rebase", "v6.5.0"]);
    assert_eq!(
        r.rev("HEAD"),
        r.rev("v6.5.0^{commit}"),
        "nothing is re-applied on top of v6.5.0"
    );
    r.fsck();
}
