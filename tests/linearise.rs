//! Merges in the carried stack: `pq init` linearises them as `git rebase BASE` does (git is the oracle for
//! the order, the commits and the final tree), makes a series per named topic, and refuses a merge that
//! resolved a conflict or changed something of its own, changing nothing.

mod common;

use common::*;

fn subjects(r: &TestRepo, range: &str) -> Vec<String> {
    r.git(&["log", "--reverse", "--format=%s", range])
        .lines()
        .map(str::to_string)
        .collect()
}

/// base ─ a ─ M1(topic-x: t1 t2) ─ b ─ M2(PR #7 from user/fix-y: u1) ─ c, with files that do not collide.
fn merged_branch() -> TestRepo {
    let r = TestRepo::new();
    r.write("README", "base\n");
    r.write("shared.txt", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n");
    r.commit("base");
    r.git(&["tag", "v1.0"]);
    r.write("a.txt", "a\n");
    r.commit("a");
    r.git(&["checkout", "-q", "-b", "topic-x", "v1.0"]);
    r.write("t.txt", "t1\n");
    r.commit("t1");
    r.write("shared.txt", "1 topic\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n");
    r.commit("t2");
    r.git(&["checkout", "-q", "main"]);
    assert!(r
        .git_dated(&["merge", "-q", "--no-ff", "--no-edit", "topic-x"])
        .status
        .success());
    r.write("b.txt", "b\n");
    r.commit("b");
    r.git(&["checkout", "-q", "-b", "fix-y", "HEAD~1"]);
    r.write("shared.txt", "1 topic\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12 fix\n");
    r.commit("u1");
    r.git(&["checkout", "-q", "main"]);
    assert!(r
        .git_dated(&[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Merge pull request #7 from user/fix-y",
            "fix-y"
        ])
        .status
        .success());
    r.write("c.txt", "c\n");
    r.commit("c");
    r
}

#[test]
fn init_linearises_merges_like_git_rebase() {
    let r = merged_branch();
    let head = r.rev("HEAD");
    let oracle = r.clone_shared("oracle");
    oracle.git(&["checkout", "-q", "-B", "o", &head]);
    assert!(oracle.git_dated(&["rebase", "-q", "v1.0"]).status.success());
    let expected = subjects(&oracle, "v1.0..HEAD");
    assert_eq!(expected, ["a", "t1", "t2", "b", "u1", "c"]);

    let v = r.pq_json(&["init", "--base", "v1.0"], 0);
    assert_eq!(v["merges_linearised"], 2, "{v}");
    assert_eq!(v["patches"], 6);
    assert_eq!(
        v["topics"],
        serde_json::json!([{"series": "topic-x", "patches": 2}, {"series": "fix-y", "patches": 1}])
    );
    assert_eq!(subjects(&r, "v1.0..HEAD"), expected);
    assert_eq!(r.git(&["rev-list", "--merges", "v1.0..HEAD"]), "");
    assert_eq!(r.tree("HEAD"), r.tree(&head), "same files as before");
    assert_eq!(r.tree("HEAD"), oracle.tree("HEAD"));
    // `a` kept its id (its parent did not change), as git rebase keeps it.
    assert_eq!(r.rev("HEAD~5"), oracle.rev("HEAD~5"));
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    let series = r.pq_ok(&["series"]);
    for s in ["local", "topic-x", "fix-y"] {
        assert!(series.contains(s), "{series}");
    }
    // Undo brings the merged branch back.
    r.pq_ok(&["undo"]);
    assert_eq!(r.rev("HEAD"), head);
}

#[test]
fn init_no_topics_keeps_one_series() {
    let r = merged_branch();
    let v = r.pq_json(&["init", "--base", "v1.0", "--no-topics"], 0);
    assert_eq!(v["merges_linearised"], 2);
    assert_eq!(v["topics"], serde_json::json!([]));
    let text = r.pq_ok(&["series"]);
    assert!(!text.contains("topic-x"), "{text}");
}

#[test]
fn text_report_names_the_merges() {
    let r = merged_branch();
    let out = r.pq_ok(&["init", "--base", "v1.0"]);
    assert!(out.contains("linearised 2 merge(s)"), "{out}");
    assert!(out.contains("topic-x (2)"), "{out}");
}

#[test]
fn a_merge_that_resolved_a_conflict_is_refused() {
    let r = TestRepo::new();
    r.write("f", "one\n");
    r.commit("base");
    r.git(&["tag", "v1.0"]);
    r.write("f", "main\n");
    r.commit("main side");
    r.git(&["checkout", "-q", "-b", "topic", "v1.0"]);
    r.write("f", "topic\n");
    r.commit("topic side");
    r.git(&["checkout", "-q", "main"]);
    assert!(!r.git_dated(&["merge", "-q", "--no-edit", "topic"]).status.success());
    r.write("f", "resolved\n");
    r.git(&["add", "f"]);
    assert!(r.git_dated(&["commit", "-q", "--no-edit"]).status.success());
    let before = r.snapshot();
    let err = assert_refused(&r.pq(&["init", "--base", "v1.0"]));
    assert!(err.contains("resolved a conflict"), "{err}");
    assert!(err.contains("Merge branch 'topic'"), "{err}");
    assert!(err.contains("git rebase v1.0"), "{err}");
    assert_same(&before, &r.snapshot(), "refused init");
}

#[test]
fn an_evil_merge_is_refused() {
    let r = TestRepo::new();
    r.write("f", "one\n");
    r.commit("base");
    r.git(&["tag", "v1.0"]);
    r.write("a", "a\n");
    r.commit("a");
    r.git(&["checkout", "-q", "-b", "topic", "v1.0"]);
    r.write("t", "t\n");
    r.commit("t");
    r.git(&["checkout", "-q", "main"]);
    assert!(r.git_dated(&["merge", "-q", "--no-commit", "topic"]).status.success());
    r.write("evil", "not in any parent\n");
    r.git(&["add", "evil"]);
    assert!(r.git_dated(&["commit", "-q", "--no-edit"]).status.success());
    let before = r.snapshot();
    let err = assert_refused(&r.pq(&["init", "--base", "v1.0"]));
    assert!(err.contains("differs from the automatic merge"), "{err}");
    assert_same(&before, &r.snapshot(), "refused init");
}
