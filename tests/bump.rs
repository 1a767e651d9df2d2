//! `pq bump` across several branches: each moved branch against `git rebase --onto` as the oracle, which
//! branch is checked out and which stops, refusals that change nothing, and finishing the stopped one.

mod common;

use common::*;

/// v1.0.1 ─ v1.0.2 (a.c) ─ v1.0.3 (b.c), one stable line; branches, each adopted by pq:
/// - alpha on v1.0.1: a clean patch to c.c;
/// - beta on v1.0.1: a patch to b.c that conflicts with v1.0.3;
/// - delta on v1.0.2: another patch to b.c that conflicts with v1.0.3;
/// - gamma on v1.0.2: a clean new file;
/// - omega on v1.0.3: already on the newest tag.
fn bump_repo() -> TestRepo {
    let r = TestRepo::new();
    r.write("a.c", "a1\na2\na3\n");
    r.write("b.c", "b1\nb2\nb3\n");
    r.write("c.c", "c1\nc2\nc3\n");
    r.commit("base");
    r.git(&["tag", "v1.0.1"]);
    r.write("a.c", "a1\nA2 stable\na3\n");
    r.commit("a: stable fix");
    r.git(&["tag", "v1.0.2"]);
    r.write("b.c", "b1\nB2 stable\nb3\n");
    r.commit("b: stable fix");
    r.git(&["tag", "v1.0.3"]);
    let branch = |name: &str, base: &str, file: &str, content: &str| {
        r.git(&["checkout", "-q", "-b", name, base]);
        r.write(file, content);
        r.commit(&format!("{name}: local change to {file}"));
        r.pq_ok(&["init", "--base", base]);
    };
    branch("alpha", "v1.0.1", "c.c", "c1\nc2 alpha\nc3\n");
    branch("beta", "v1.0.1", "b.c", "b1\nb2 beta\nb3\n");
    branch("delta", "v1.0.2", "b.c", "b1\nb2 delta\nb3\n");
    branch("gamma", "v1.0.2", "g.c", "gamma\n");
    branch("omega", "v1.0.3", "o.c", "omega\n");
    r
}

/// The tree `git rebase --onto NEW OLD BRANCH` makes, in a clone.
fn git_rebase_tree(r: &TestRepo, branch: &str, old: &str, new: &str) -> String {
    let oracle = r.clone_shared(&format!("oracle-{branch}"));
    oracle.git(&["checkout", "-q", "-B", "o", &format!("origin/{branch}")]);
    oracle.git(&["rebase", "-q", "--onto", new, old, "o"]);
    oracle.tree("HEAD")
}

fn outcome<'a>(v: &'a serde_json::Value, branch: &str) -> &'a serde_json::Value {
    v["branches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["branch"] == branch)
        .unwrap_or_else(|| panic!("{branch} not in {v}"))
}

#[test]
fn bump_dry_run_predicts_every_branch_and_changes_nothing() {
    let r = bump_repo();
    r.git(&["checkout", "-q", "gamma"]);
    let before = r.snapshot();
    let objects = r.object_count();
    let v = r.pq_json(&["bump", "--dry-run"], 0);
    assert_same(&before, &r.snapshot(), "bump --dry-run");
    assert_eq!(objects, r.object_count());
    let names: Vec<&str> = v["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["branch"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "beta", "delta", "gamma", "omega"]);
    for (b, o, to) in [
        ("alpha", "would-bump", "v1.0.3"),
        ("beta", "would-stop", "v1.0.3"),
        ("delta", "would-stop", "v1.0.3"),
        ("gamma", "would-bump", "v1.0.3"),
    ] {
        assert_eq!(outcome(&v, b)["outcome"], o, "{v}");
        assert_eq!(outcome(&v, b)["new_base"], to, "{v}");
    }
    assert_eq!(outcome(&v, "omega")["outcome"], "up-to-date");
    assert_eq!(outcome(&v, "omega")["new_base"], serde_json::Value::Null);
    assert_eq!(outcome(&v, "beta")["stopped"]["conflicts"], serde_json::json!(["b.c"]));
}

#[test]
fn bump_moves_clean_branches_without_checkout_and_keeps_uncommitted_work() {
    let r = bump_repo();
    r.git(&["checkout", "-q", "gamma"]);
    // Uncommitted work the bump does not touch, and an untracked file.
    r.write("c.c", "c1\nc2\nc3 uncommitted\n");
    r.write("notes.txt", "mine\n");
    let expect_alpha = git_rebase_tree(&r, "alpha", "v1.0.1", "v1.0.3");
    let expect_gamma = git_rebase_tree(&r, "gamma", "v1.0.2", "v1.0.3");
    let v = r.pq_json(&["bump", "alpha", "gamma", "omega"], 0);
    assert_eq!(outcome(&v, "alpha")["outcome"], "bumped", "{v}");
    assert_eq!(outcome(&v, "gamma")["outcome"], "bumped", "{v}");
    assert_eq!(outcome(&v, "omega")["outcome"], "up-to-date", "{v}");
    assert_eq!(r.tree("alpha"), expect_alpha);
    assert_eq!(r.tree("gamma"), expect_gamma);
    assert_eq!(outcome(&v, "alpha")["head"], r.rev("alpha"));
    // Still on gamma, its work tree brought along, the user's work kept; alpha was never checked out.
    assert_eq!(r.git(&["symbolic-ref", "HEAD"]), "refs/heads/gamma");
    assert_eq!(r.read_string("b.c"), "b1\nB2 stable\nb3\n");
    assert_eq!(r.read_string("c.c"), "c1\nc2\nc3 uncommitted\n");
    assert_eq!(r.read_string("notes.txt"), "mine\n");
    assert_eq!(r.git(&["status", "--porcelain"]), " M c.c\n?? notes.txt");
    let reflog = r.git(&["reflog", "-1", "--format=%gs", "HEAD"]);
    assert!(!reflog.contains("alpha"), "HEAD never moved to alpha: {reflog}");
    assert_eq!(r.pq_json(&["status"], 0)["base"], "v1.0.3");
    for b in ["alpha", "gamma"] {
        assert_eq!(r.git(&["describe", "--tags", "--abbrev=0", b]), "v1.0.3", "{b}");
    }
    // One log entry per branch: undo takes back the last one only.
    let log = r.git(&["log", "--format=%s", "-2", "refs/pq/oplog"]);
    assert_eq!(log.lines().count(), 2, "{log}");
    r.fsck();
    // Re-running changes nothing.
    let before = r.snapshot();
    let v = r.pq_json(&["bump", "alpha", "gamma"], 0);
    assert_eq!(outcome(&v, "alpha")["outcome"], "up-to-date");
    assert_same(&before, &r.snapshot(), "a second bump");
}

#[test]
fn bump_stops_on_the_first_conflicting_branch_and_leaves_the_rest_done() {
    let r = bump_repo();
    r.git(&["checkout", "-q", "gamma"]);
    let gamma_before = r.rev("gamma");
    let delta_before = r.rev("delta");
    let expect_alpha = git_rebase_tree(&r, "alpha", "v1.0.1", "v1.0.3");
    let expect_gamma = git_rebase_tree(&r, "gamma", "v1.0.2", "v1.0.3");
    let out = r.pq(&["bump"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("alpha: v1.0.1 -> v1.0.3: 1 replayed, 0 dropped"),
        "{stdout}"
    );
    assert!(
        stdout.contains("beta: v1.0.1 -> v1.0.3: stopped at a conflict"),
        "{stdout}"
    );
    assert!(stdout.contains("delta: v1.0.2 -> v1.0.3: not started"), "{stdout}");
    assert!(stdout.contains("omega: v1.0.3 is the newest of its line"), "{stdout}");
    assert!(
        stderr.contains("beta: resolve the conflicts, `git add` them, then `pq continue`"),
        "{stderr}"
    );
    assert!(stderr.contains("`git switch gamma` afterwards"), "{stderr}");
    assert!(
        stderr.contains("delta: once the stopped branch is finished: `pq bump delta`"),
        "{stderr}"
    );
    // Clean branches done, gamma (the current branch) included.
    assert_eq!(r.tree("alpha"), expect_alpha);
    assert_eq!(r.tree("gamma"), expect_gamma);
    assert_ne!(r.rev("gamma"), gamma_before);
    // delta not started.
    assert_eq!(r.rev("delta"), delta_before);
    // beta is checked out, stopped like a `pq rebase` stop there.
    assert!(r.git_dir().join("CHERRY_PICK_HEAD").exists());
    assert_eq!(r.git(&["diff", "--name-only", "--diff-filter=U"]), "b.c");
    assert_eq!(r.rev("HEAD"), r.rev("v1.0.3"));
    let status = r.pq_json(&["status"], 0);
    assert_eq!(status["branch"], "beta", "{status}");
    // Finish it as for any stop.
    r.write("b.c", "b1\nB2 stable, b2 beta\nb3\n");
    r.git(&["add", "b.c"]);
    assert_eq!(r.pq(&["continue"]).status.code(), Some(0));
    assert_eq!(r.git(&["symbolic-ref", "HEAD"]), "refs/heads/beta");
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    assert_eq!(r.pq_json(&["status"], 0)["base"], "v1.0.3");
    // The one not started: bump it now (it stops, and is checked out).
    let v = r.pq_json(&["bump", "delta"], 1);
    assert_eq!(outcome(&v, "delta")["outcome"], "stopped", "{v}");
    assert_eq!(r.pq_json(&["status"], 0)["branch"], "delta");
    r.fsck();
}

#[test]
fn bump_abort_puts_the_stopped_branch_back_and_keeps_the_others() {
    let r = bump_repo();
    r.git(&["checkout", "-q", "alpha"]);
    let beta_before = r.rev("beta");
    let beta_tree = r.tree("beta");
    let out = r.pq(&["bump", "alpha", "beta"]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    assert_eq!(r.pq(&["abort"]).status.code(), Some(0));
    assert_eq!(r.git(&["symbolic-ref", "HEAD"]), "refs/heads/beta");
    assert_eq!(r.rev("beta"), beta_before);
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    assert_eq!(r.git(&["write-tree"]), beta_tree);
    assert_eq!(r.git(&["describe", "--tags", "--abbrev=0", "alpha"]), "v1.0.3");
    r.fsck();
}

#[test]
fn bump_current_branch_conflict_stops_in_place() {
    let r = bump_repo();
    r.git(&["checkout", "-q", "delta"]);
    let v = r.pq_json(&["bump", "beta", "delta", "alpha"], 1);
    // The current branch is the one to stop on, though beta comes first.
    assert_eq!(outcome(&v, "delta")["outcome"], "stopped", "{v}");
    assert_eq!(outcome(&v, "beta")["outcome"], "not-started", "{v}");
    assert_eq!(outcome(&v, "alpha")["outcome"], "bumped", "{v}");
    let names: Vec<&str> = v["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["branch"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["beta", "delta", "alpha"], "the order named");
    assert_eq!(r.pq_json(&["status"], 0)["branch"], "delta");
}

#[test]
fn bump_refuses_when_uncommitted_work_is_in_the_way() {
    let r = bump_repo();
    r.git(&["checkout", "-q", "gamma"]);
    // Any uncommitted change refuses a bump that must check out another branch to stop on it.
    r.write("c.c", "c1\nc2\nc3 uncommitted\n");
    let before = r.snapshot();
    let objects = r.object_count();
    let err = assert_refused(&r.pq(&["bump"]));
    assert!(
        err.contains("beta stops at a conflict and must be checked out"),
        "{err}"
    );
    assert_same(&before, &r.snapshot(), "refused bump");
    assert_eq!(objects, r.object_count());
    // A change the current branch's own update would overwrite.
    r.git(&["checkout", "-q", "c.c"]);
    r.write("b.c", "b1\nb2 mine\nb3\n");
    let before = r.snapshot();
    let err = assert_refused(&r.pq(&["bump", "gamma"]));
    assert!(err.contains("b.c"), "{err}");
    assert_same(&before, &r.snapshot(), "refused bump");
    // Unknown and unmanaged branches.
    assert!(assert_refused(&r.pq(&["bump", "nosuch"])).contains("does not exist"));
    r.git(&["branch", "plain", "v1.0.1"]);
    assert!(assert_refused(&r.pq(&["bump", "plain"])).contains("not managed by pq"));
}

/// The kernel fixture: fedora-6.7 (checked out), fedora-6.7-stack and a copy of it on v6.7.1, fedora-6.8 on
/// the newest 6.8 tag. One `pq bump` moves the three 6.7 branches to v6.7.2 exactly as `git rebase` does,
/// and leaves fedora-6.8 alone.
#[test]
fn kernel_bump_of_three_branches_matches_git_rebase() {
    let (r, _fx) = TestRepo::kernel();
    r.git(&["branch", "fedora-6.7-copy", "fedora-6.7-stack"]);
    for b in ["fedora-6.7-stack", "fedora-6.7-copy"] {
        r.git(&["switch", "-q", b]);
        r.pq_ok(&["init", "--base", "v6.7.1"]);
    }
    r.git(&["switch", "-q", "fedora-6.8"]);
    let base68 = r.git(&["describe", "--tags", "--abbrev=0", "HEAD"]);
    r.pq_ok(&["init", "--base", &base68]);
    r.git(&["switch", "-q", "fedora-6.7"]);
    r.pq_ok(&["init", "--base", "v6.7.1"]);
    let three = ["fedora-6.7", "fedora-6.7-copy", "fedora-6.7-stack"];
    let expected: Vec<String> = three
        .iter()
        .map(|b| git_rebase_tree(&r, b, "v6.7.1", "v6.7.2"))
        .collect();
    let fedora68 = r.rev("fedora-6.8");

    let dry = r.pq_json(&["bump", "--dry-run"], 0);
    let v = r.pq_json(&["bump"], 0);
    for b in three {
        assert_eq!(outcome(&dry, b)["outcome"], "would-bump", "{dry}");
        assert_eq!(outcome(&v, b)["outcome"], "bumped", "{v}");
        assert_eq!(outcome(&v, b)["new_base"], "v6.7.2");
        // The dry run predicts the real run, patch by patch.
        let o = |x: &serde_json::Value| outcomes(outcome(x, b), "patches");
        assert_eq!(o(&dry), o(&v), "{b}");
    }
    assert_eq!(outcome(&v, "fedora-6.8")["outcome"], "up-to-date", "{v}");
    let got: Vec<String> = three.iter().map(|b| r.tree(b)).collect();
    assert_eq!(got, expected);
    assert_eq!(r.rev("fedora-6.8"), fedora68);
    assert_eq!(r.git(&["symbolic-ref", "HEAD"]), "refs/heads/fedora-6.7");
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    assert_eq!(r.git(&["write-tree"]), r.tree("fedora-6.7"));
    r.fsck();
}

/// What a user reads: the report across branches, the stop, the prerequisites and the next commands.
#[test]
fn bump_text_report() {
    let r = bump_repo();
    r.git(&["checkout", "-q", "gamma"]);
    let out = r.pq(&["bump", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0));
    let (stdout, stderr) = text(&out);
    insta::assert_snapshot!("bump_dry_run", format!("{stdout}--- stderr\n{stderr}"));
    let out = r.pq(&["bump"]);
    assert_eq!(out.status.code(), Some(1));
    let (stdout, stderr) = text(&out);
    insta::assert_snapshot!("bump_stop", format!("{stdout}--- stderr\n{stderr}"));
}
