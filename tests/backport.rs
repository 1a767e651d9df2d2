//! `pq backport` against `git cherry-pick -x` as the oracle, on the generated kernel repository and on small
//! focused repositories.

mod common;

use common::*;

fn init_fedora(r: &TestRepo) {
    r.pq_ok(&["init", "--base", "v6.7.1"]);
}

/// Map pq's word for a pick to git's.
fn as_git(outcome: &str) -> GitPick {
    match outcome {
        "applied" | "would-apply" => GitPick::Clean,
        "present" => GitPick::Empty,
        "conflict" | "blocked" => GitPick::Conflict,
        "skipped" => GitPick::Merge,
        o => panic!("unexpected outcome {o}"),
    }
}

/// pq's new commits equal git's `cherry-pick -x` commits: same tree, message, author (and, as both take the
/// committer from the same configuration and date, the same ids).
fn assert_same_chain(pq: &TestRepo, git: &TestRepo, base: &str) {
    let ours = chain(pq, &format!("{base}..HEAD"));
    let theirs = chain(git, &format!("{base}..HEAD"));
    assert_eq!(
        ours.len(),
        theirs.len(),
        "pq made {} commits, git {}",
        ours.len(),
        theirs.len()
    );
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(pq.tree(a), git.tree(b), "tree of pq's {a} differs from git's {b}");
        let (pa, pm) = author_and_message(pq, a);
        let (ga, gm) = author_and_message(git, b);
        assert_eq!(pa, ga, "author of {a}");
        assert_eq!(
            String::from_utf8_lossy(&pm),
            String::from_utf8_lossy(&gm),
            "message of {a}"
        );
        assert_eq!(pm, gm);
        assert_eq!(
            a, b,
            "same tree, parent, author, committer and message give the same id"
        );
    }
}

#[test]
fn kernel_backport_matches_git_cherry_pick_pick_by_pick() {
    let (r, fx) = TestRepo::kernel();
    init_fedora(&r);
    let start = r.rev("HEAD");
    let oracle = r.clone_shared("oracle");
    oracle.git(&["checkout", "-q", "-B", "oracle", &start]);
    let selected = chain(&oracle, "v6.7..v6.8 -- lib/zstd");
    let expected = git_pick_all(&oracle, &selected, &[]);

    // The fixture's designed outcomes and git's agree (guards the oracle itself).
    let designed: Vec<(String, GitPick)> = fx
        .zstd_series
        .iter()
        .map(|e| {
            let o = match e.onto_fedora {
                xtask::fixture::PickOutcome::Clean => GitPick::Clean,
                xtask::fixture::PickOutcome::Conflict => GitPick::Conflict,
                xtask::fixture::PickOutcome::Empty => GitPick::Empty,
                xtask::fixture::PickOutcome::Merge => GitPick::Merge,
            };
            (e.sha.clone(), o)
        })
        .collect();
    assert_eq!(expected, designed);

    // The dry run predicts git's outcome for every commit, in git's order.
    let dry = r.pq_json(&["backport", "v6.7..v6.8", "lib/zstd", "--dry-run"], 0);
    let mut predicted: Vec<(String, GitPick)> = outcomes(&dry, "commits")
        .into_iter()
        .map(|(s, o)| (s, as_git(&o)))
        .collect();
    let order = |s: &String| selected.iter().position(|x| x == s).unwrap();
    predicted.sort_by_key(|(s, _)| order(s));
    assert_eq!(predicted, expected, "dry run vs git cherry-pick");

    // The real run, skipping at each conflict as the oracle aborted there.
    let stops = run_skipping(&r, &["backport", "v6.7..v6.8", "lib/zstd"]);
    let git_conflicts: Vec<String> = expected
        .iter()
        .filter(|(_, o)| *o == GitPick::Conflict)
        .map(|(s, _)| s.clone())
        .collect();
    assert_eq!(stops, git_conflicts);
    assert_same_chain(&r, &oracle, &start);
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    assert_eq!(r.git(&["symbolic-ref", "HEAD"]), "refs/heads/fedora-6.7");
    r.fsck();

    // Every pick records its upstream in the state.
    let series = r.pq_json(&["series", "show", "backport/lib-zstd"], 0)["series"].take();
    let patches = series[0]["patches"].as_array().expect("patches");
    let picked: Vec<&String> = expected
        .iter()
        .filter(|(_, o)| *o == GitPick::Clean)
        .map(|(s, _)| s)
        .collect();
    assert_eq!(patches.len(), picked.len());
    for (p, s) in patches.iter().zip(picked) {
        assert_eq!(p["origin"].as_str(), Some(s.as_str()), "{p}");
    }
}

#[test]
fn kernel_dry_run_output_and_stop_message() {
    let (r, _fx) = TestRepo::kernel();
    init_fedora(&r);
    let before = r.snapshot();
    let objects = r.object_count();
    let out = r.pq(&["backport", "v6.7..v6.8", "lib/zstd", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0));
    assert_same(&before, &r.snapshot(), "backport --dry-run");
    assert_eq!(objects, r.object_count(), "a dry run writes no objects");
    let (stdout, stderr) = text(&out);
    assert_eq!(stderr, "");
    insta::assert_snapshot!("kernel_backport_dry_run", stdout);

    let out = r.pq(&["backport", "v6.7..v6.8", "lib/zstd"]);
    assert_eq!(out.status.code(), Some(1));
    let (stdout, stderr) = text(&out);
    insta::assert_snapshot!("kernel_backport_stop", format!("{stdout}--- stderr\n{stderr}"));
    let status = r.pq_ok(&["status"]);
    insta::assert_snapshot!("kernel_status_stopped", status);
}

/// A dirty tracked file, a staged change and an untracked file, all outside the paths the backport touches.
fn make_dirty(r: &TestRepo) {
    let mut mk = r.read("Makefile");
    mk.extend_from_slice(b"# local tweak\n");
    r.write("Makefile", &mk);
    let mut readme = r.read("README");
    readme.extend_from_slice(b"staged line\n");
    r.write("README", &readme);
    r.git(&["add", "README"]);
    r.write("notes/untracked.txt", "scratch\n");
}

#[test]
fn conflict_stop_then_abort_restores_everything() {
    let (r, fx) = TestRepo::kernel();
    init_fedora(&r);
    make_dirty(&r);
    let before = r.snapshot();
    let out = r.pq(&["backport", "v6.7..v6.8", "lib/zstd"]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    let git_dir = r.git_dir();
    assert_eq!(
        std::fs::read_to_string(git_dir.join("CHERRY_PICK_HEAD"))
            .unwrap()
            .trim(),
        fx.sha("zstd_conflict_1")
    );
    let status = r.git(&["status"]);
    assert!(status.contains("both modified:   include/linux/zstd_lib.h"), "{status}");
    assert_eq!(
        r.git(&["diff", "--name-only", "--diff-filter=U"]),
        "include/linux/zstd_lib.h"
    );
    let conflicted = r.read_string("include/linux/zstd_lib.h");
    for marker in [
        "<<<<<<< HEAD\n",
        "=======\n",
        ">>>>>>> 4a83b0f (zstd: Make ZSTD_outBuffer::dst",
    ] {
        assert!(conflicted.contains(marker), "no {marker:?} in\n{conflicted}");
    }
    // The user's changes elsewhere survive the stop.
    assert!(r.read_string("Makefile").ends_with("# local tweak\n"));
    assert_eq!(r.read_string("notes/untracked.txt"), "scratch\n");
    assert!(r.git(&["diff", "--cached", "--name-only"]).contains("README"));
    r.fsck();

    // Not the moment for another operation.
    let again = r.pq(&["backport", "v6.7..v6.8", "lib/zstd"]);
    let err = assert_refused(&again);
    assert!(err.contains("stopped at a conflict"), "{err}");

    let out = r.pq(&["abort"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_same(&without_oplog(before), &without_oplog(r.snapshot()), "pq abort");
    r.fsck();
}

#[test]
fn abort_after_partial_resolution_restores_everything() {
    let (r, _fx) = TestRepo::kernel();
    init_fedora(&r);
    make_dirty(&r);
    let before = r.snapshot();
    assert_eq!(r.pq(&["backport", "v6.7..v6.8", "lib/zstd"]).status.code(), Some(1));
    // Resolve, continue to the second stop, then abort the whole operation.
    r.git(&["checkout", "--theirs", "include/linux/zstd_lib.h"]);
    r.git(&["add", "include/linux/zstd_lib.h"]);
    assert_eq!(r.pq(&["continue"]).status.code(), Some(1));
    assert_eq!(
        r.git(&["diff", "--name-only", "--diff-filter=U"]),
        "lib/decompress_unzstd.c"
    );
    assert_eq!(r.pq(&["abort"]).status.code(), Some(0));
    assert_same(
        &without_oplog(before),
        &without_oplog(r.snapshot()),
        "pq abort after continue",
    );
    r.fsck();
}

#[test]
fn resolve_and_continue_records_conflicts_and_matches_git() {
    let (r, fx) = TestRepo::kernel();
    init_fedora(&r);
    let start = r.rev("HEAD");
    let oracle = r.clone_shared("oracle");
    oracle.git(&["checkout", "-q", "-B", "oracle", &start]);

    // git: pick, resolve each conflict by taking the upstream side, commit.
    let selected = chain(&oracle, "v6.7..v6.8 -- lib/zstd");
    for c in &selected {
        if is_merge(&oracle, c) {
            continue;
        }
        if oracle.git_ok(&["cherry-pick", "-x", c]) {
            continue;
        }
        let unmerged = oracle.git(&["diff", "--name-only", "--diff-filter=U"]);
        if unmerged.is_empty() {
            oracle.git(&["cherry-pick", "--skip"]);
            continue;
        }
        for p in unmerged.lines() {
            oracle.git(&["checkout", "--theirs", p]);
            oracle.git(&["add", p]);
        }
        oracle.git(&["-c", "core.editor=true", "cherry-pick", "--continue"]);
    }

    // pq: the same resolutions.
    let mut out = r.pq(&["backport", "v6.7..v6.8", "lib/zstd"]);
    let mut resolved = Vec::new();
    while out.status.code() == Some(1) {
        let unmerged = r.git(&["diff", "--name-only", "--diff-filter=U"]);
        assert!(!unmerged.is_empty());
        // Continuing with conflicts left is refused.
        let early = r.pq(&["continue"]);
        let err = assert_refused(&early);
        assert!(err.contains("still has conflicts"), "{err}");
        for p in unmerged.lines() {
            r.git(&["checkout", "--theirs", p]);
            r.git(&["add", p]);
        }
        resolved.push(unmerged);
        out = r.pq(&["continue"]);
    }
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(resolved, ["include/linux/zstd_lib.h", "lib/decompress_unzstd.c"]);
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    r.fsck();

    let ours = chain(&r, &format!("{start}..HEAD"));
    let theirs = chain(&oracle, &format!("{start}..HEAD"));
    assert_eq!(ours.len(), theirs.len());
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(r.tree(a), oracle.tree(b), "tree of {a} vs git's {b}");
    }
    // The resolved picks say what was resolved by hand, before the provenance line.
    for (role, path) in [
        ("zstd_conflict_1", "include/linux/zstd_lib.h"),
        ("zstd_conflict_2", "lib/decompress_unzstd.c"),
    ] {
        let sha = fx.sha(role);
        let commit = ours
            .iter()
            .find(|c| {
                String::from_utf8_lossy(&author_and_message(&r, c).1)
                    .contains(&format!("(cherry picked from commit {sha})"))
            })
            .unwrap_or_else(|| panic!("no pick of {role}"));
        let msg = String::from_utf8_lossy(&author_and_message(&r, commit).1).into_owned();
        assert!(msg.contains(&format!("\nConflicts:\n\t{path}\n")), "{msg}");
        assert!(
            msg.find("Conflicts:").unwrap() < msg.find("(cherry picked").unwrap(),
            "{msg}"
        );
    }
    // Re-running the same backport picks nothing: everything is present, the merge is skipped.
    let before = r.snapshot();
    let v = r.pq_json(&["backport", "v6.7..v6.8", "lib/zstd"], 0);
    for (src, outcome) in outcomes(&v, "commits") {
        let expect = if src == fx.sha("zstd_merge") {
            "skipped"
        } else {
            "present"
        };
        assert_eq!(outcome, expect, "{src}");
    }
    assert_same(&before, &r.snapshot(), "re-running a finished backport");
}

#[test]
fn clean_backport_rerun_picks_nothing_and_stable_backports_are_present() {
    let (r, fx) = TestRepo::kernel();
    init_fedora(&r);
    let path = fx.clean_backport_path.clone();
    let v = r.pq_json(&["backport", "v6.7..v6.8", &path], 0);
    let applied = outcomes(&v, "commits").iter().filter(|(_, o)| o == "applied").count();
    assert_eq!(applied, fx.clean_backport_count);
    let before = r.snapshot();
    let objects = r.object_count();
    let v = r.pq_json(&["backport", "v6.7..v6.8", &path], 0);
    let all = outcomes(&v, "commits");
    assert_eq!(all.len(), fx.clean_backport_count);
    assert!(all.iter().all(|(_, o)| o == "present"), "{v}");
    assert_same(&before, &r.snapshot(), "re-running a clean backport");
    assert_eq!(objects, r.object_count());

    // v6.7.1 carries a stable backport (`commit X upstream.`) of a v6.8 zstd commit; fedora-6.7 carries one
    // of its own.
    let v = r.pq_json(&["backport", "v6.7..v6.8", "lib/zstd", "--dry-run"], 0);
    let lines = v["commits"].as_array().unwrap();
    let find = |role: &str| {
        lines
            .iter()
            .find(|l| l["source"] == fx.sha(role))
            .unwrap_or_else(|| panic!("{role} not reported"))
            .clone()
    };
    let stable = find("zstd_stable_backported");
    assert_eq!(stable["outcome"], "present");
    assert!(
        stable["reason"]
            .as_str()
            .unwrap()
            .contains(&fx.sha("stable_zstd_backport")[..12]),
        "{stable}"
    );
    let fedora = find("zstd_fedora_backported");
    assert_eq!(fedora["outcome"], "present");
    assert!(
        fedora["reason"]
            .as_str()
            .unwrap()
            .contains(&fx.sha("fedora_zstd_backport")[..12]),
        "{fedora}"
    );
    let merge = find("zstd_merge");
    assert_eq!(merge["outcome"], "skipped");
}

// ---- focused repositories ----

/// upstream: base → u1 (a.c) → u2 (b.c) → u3 (a.c); branch `main` at base with one local patch.
fn small_upstream() -> (TestRepo, Vec<String>) {
    let r = TestRepo::new();
    r.write("src/a.c", "a1\na2\na3\na4\na5\na6\na7\na8\n");
    r.write("src/b.c", "b1\nb2\nb3\n");
    r.write("doc/readme", "hello\n");
    r.commit("base");
    r.git(&["tag", "base"]);
    r.git(&["checkout", "-q", "-b", "upstream"]);
    r.write("src/a.c", "a1\nA2\na3\na4\na5\na6\na7\na8\n");
    let u1 = r.commit("a: change line 2\n\nBody of u1.\n\nSigned-off-by: Up Stream <up@example.org>");
    r.write("src/b.c", "b1\nB2\nb3\n");
    let u2 = r.commit("b: change line 2");
    r.write("src/a.c", "a1\nA2\na3\na4\na5\na6\nA7\na8\n");
    let u3 = r.commit("a: change line 7\n\nSigned-off-by: Up Stream <up@example.org>");
    r.git(&["tag", "up"]);
    r.git(&["checkout", "-q", "main"]);
    r.write("doc/readme", "hello\nlocal\n");
    r.commit("local: readme");
    r.pq_ok(&["init", "--base", "base"]);
    (r, vec![u1, u2, u3])
}

#[test]
fn stable_provenance_on_the_branch_is_present() {
    let (r, u) = small_upstream();
    // A hand-made stable backport of u2 with a different message and the stable provenance line.
    r.write("src/b.c", "b1\nB2\nb3\n");
    r.commit(&format!(
        "b: change line 2 (stable)\n\ncommit {} upstream.\n\nbackported",
        u[1]
    ));
    r.pq_ok(&["adopt"]);
    let v = r.pq_json(&["backport", "base..up", "src", "--dry-run"], 0);
    let lines = outcomes(&v, "commits");
    assert!(lines.contains(&(u[1].clone(), "present".into())), "{v}");
    assert!(lines.contains(&(u[0].clone(), "applied".into())), "{v}");
}

#[test]
fn patch_id_detects_the_same_change_under_another_id() {
    let (r, u) = small_upstream();
    // The same change as u3 made by hand with another message and no provenance; the context differs too
    // (line 2 is still old), so only patch-id can tell.
    r.write("src/a.c", "a1\na2\na3\na4\na5\na6\nA7\na8\n");
    let local = r.commit("my own fix for line 7");
    r.pq_ok(&["adopt"]);
    let v = r.pq_json(&["backport", "base..up", "src", "--dry-run"], 0);
    let line = v["commits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["source"] == u[2].as_str())
        .unwrap()
        .clone();
    assert_eq!(line["outcome"], "present", "{v}");
    let reason = line["reason"].as_str().unwrap();
    assert!(reason.contains("patch-id") && reason.contains(&local[..12]), "{reason}");
    // git agrees that the pick would be empty.
    let oracle = r.clone_shared("oracle");
    oracle.git(&["checkout", "-q", "-B", "o", &r.rev("HEAD")]);
    let res = git_pick_all(&oracle, &u, &[]);
    assert_eq!(res[2].1, GitPick::Empty);
}

#[test]
fn focused_backport_matches_git_with_every_style_message() {
    let (r, u) = small_upstream();
    let start = r.rev("HEAD");
    let oracle = r.clone_shared("oracle");
    oracle.git(&["checkout", "-q", "-B", "o", &start]);
    git_pick_all(&oracle, &u, &[]);
    let out = r.pq_ok(&["backport", "base..up", "src", "--style", "x"]);
    assert!(out.contains("3 picked into backport/src"), "{out}");
    assert_same_chain(&r, &oracle, &start);
    r.fsck();

    // Other styles: the same trees, provenance written in the style's dialect.
    for (style, expect) in [
        ("stable", format!("\n\ncommit {} upstream.\n", u[0])),
        ("rhel", format!("\n\ncommit {}\n", u[0])),
        ("suse", format!("Git-commit: {}\n", u[0])),
    ] {
        r.pq_ok(&["undo"]);
        r.pq_ok(&["backport", "base..up", "src", "--style", style]);
        let ours = chain(&r, &format!("{start}..HEAD"));
        let theirs = chain(&oracle, &format!("{start}..HEAD"));
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(r.tree(a), oracle.tree(b));
        }
        let (author, msg) = author_and_message(&r, &ours[0]);
        assert_eq!(author, author_and_message(&r, &u[0]).0, "the upstream author and date");
        let msg = String::from_utf8(msg).unwrap();
        assert!(msg.starts_with("a: change line 2\n"), "{msg}");
        assert!(msg.contains(&expect), "{style}: {msg}");
    }
}

#[test]
fn dry_run_changes_nothing_and_predicts_the_real_run() {
    let r = TestRepo::new();
    r.write("f.txt", "1\n2\n3\n4\n5\n6\n7\n8\n9\n");
    r.write("g.txt", "g\n");
    r.commit("base");
    r.git(&["tag", "base"]);
    r.git(&["checkout", "-q", "-b", "up"]);
    r.write("f.txt", "1\nTWO\n3\n4\n5\n6\n7\n8\n9\n");
    let a = r.commit("f: two");
    r.write("f.txt", "1\nTWO\n3\n4\nFIVE\n6\n7\n8\n9\n");
    let b = r.commit("f: five");
    r.write("g.txt", "G\n");
    let c = r.commit("g: upper");
    r.write("f.txt", "1\nTWO\n3\n4\nFIVE!\n6\n7\n8\n9\n");
    let d = r.commit("f: five again");
    r.write("f.txt", "1\nTWO\n3\n4\nFIVE!\n6\n7\n8\nNINE\n");
    let e = r.commit("f: nine");
    r.git(&["tag", "up"]);
    r.git(&["checkout", "-q", "main"]);
    // Line 5 was changed locally: b conflicts, d depends on b.
    r.write("f.txt", "1\n2\n3\n4\nfive-local\n6\n7\n8\n9\n");
    r.commit("local five");
    r.pq_ok(&["init", "--base", "base"]);

    let before = r.snapshot();
    let objects = r.object_count();
    let dry = r.pq_json(&["backport", "base..up", "--dry-run"], 0);
    assert_same(&before, &r.snapshot(), "dry run");
    assert_eq!(objects, r.object_count(), "dry run wrote objects");
    let predicted = outcomes(&dry, "commits");
    assert_eq!(
        predicted,
        vec![
            (a.clone(), "applied".to_string()),
            (b.clone(), "conflict".into()),
            (c.clone(), "applied".into()),
            (d.clone(), "blocked".into()),
            (e.clone(), "applied".into()),
        ]
    );
    // The real run stops where the dry run said, and skipping reproduces the rest.
    let stops = run_skipping(&r, &["backport", "base..up"]);
    assert_eq!(stops, vec![b, d]);
    let picked: Vec<String> = chain(&r, "base..HEAD")
        .iter()
        .skip(1)
        .map(|c| {
            let (_, m) = author_and_message(&r, c);
            common::text_line(&m)
        })
        .collect();
    assert_eq!(picked, ["f: two", "g: upper", "f: nine"]);
    let _ = (a, c, e);
}

#[test]
fn binary_files_renames_and_modes_match_git() {
    let r = TestRepo::new();
    r.write("lib/x/old_name.c", "int f(void)\n{\n\treturn 1;\n}\n");
    r.write("lib/x/data.bin", [0u8, 1, 2, 3, 255, 0, 7]);
    r.write("lib/x/gen.sh", "#!/bin/sh\necho hi\n");
    r.write("lib/x/keep.c", "keep\n");
    r.commit("base");
    r.git(&["tag", "base"]);
    r.git(&["checkout", "-q", "-b", "up"]);
    r.git(&["mv", "lib/x/old_name.c", "lib/x/new_name.c"]);
    r.commit("x: rename");
    r.write("lib/x/data.bin", [0u8, 1, 2, 3, 254, 0, 7, 9, 0]);
    r.write("lib/x/vec.bin", [0u8; 64]);
    r.commit("x: binary");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(r.path("lib/x/gen.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    r.commit("x: executable");
    r.write("lib/x/new_name.c", "int f(void)\n{\n\treturn 2;\n}\n");
    r.commit("x: change renamed file");
    r.git(&["tag", "up"]);
    r.git(&["checkout", "-q", "main"]);
    // Local change to the file upstream renames: git's rename detection carries the pick over.
    r.write("lib/x/keep.c", "keep\nlocal\n");
    r.commit("local");
    r.pq_ok(&["init", "--base", "base"]);
    let start = r.rev("HEAD");
    let oracle = r.clone_shared("oracle");
    oracle.git(&["checkout", "-q", "-B", "o", &start]);
    let commits = chain(&oracle, "base..up -- lib/x");
    let res = git_pick_all(&oracle, &commits, &[]);
    assert!(res.iter().all(|(_, o)| *o == GitPick::Clean), "{res:?}");
    r.pq_ok(&["backport", "base..up", "lib/x"]);
    assert_same_chain(&r, &oracle, &start);
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    assert_eq!(r.read("lib/x/data.bin"), vec![0u8, 1, 2, 3, 254, 0, 7, 9, 0]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(r.path("lib/x/gen.sh")).unwrap().permissions().mode();
        assert!(mode & 0o100 != 0, "gen.sh must be executable in the work tree");
    }
    assert!(!r.path("lib/x/old_name.c").exists());
    r.fsck();
}

#[test]
fn rename_on_our_side_matches_git() {
    // Upstream changes a file the branch renamed: only a rename-aware merge places the change.
    let r = TestRepo::new();
    r.write("drivers/foo.c", "l1\nl2\nl3\nl4\nl5\nl6\n");
    r.commit("base");
    r.git(&["tag", "base"]);
    r.git(&["checkout", "-q", "-b", "up"]);
    r.write("drivers/foo.c", "l1\nL2\nl3\nl4\nl5\nl6\n");
    r.commit("foo: fix");
    r.git(&["tag", "up"]);
    r.git(&["checkout", "-q", "main"]);
    r.git(&["mv", "drivers/foo.c", "drivers/bar.c"]);
    r.commit("rename foo to bar");
    r.pq_ok(&["init", "--base", "base"]);
    let start = r.rev("HEAD");
    let oracle = r.clone_shared("oracle");
    oracle.git(&["checkout", "-q", "-B", "o", &start]);
    let commits = chain(&oracle, "base..up");
    assert_eq!(git_pick_all(&oracle, &commits, &[])[0].1, GitPick::Clean);
    r.pq_ok(&["backport", "base..up"]);
    assert_same_chain(&r, &oracle, &start);
    assert_eq!(r.read_string("drivers/bar.c"), "l1\nL2\nl3\nl4\nl5\nl6\n");
    assert_eq!(r.git(&["status", "--porcelain"]), "");
}

#[test]
fn crlf_file_matches_git() {
    let r = TestRepo::new();
    r.write("win/a.txt", "one\r\ntwo\r\nthree\r\nfour\r\n");
    r.commit("base");
    r.git(&["tag", "base"]);
    r.git(&["checkout", "-q", "-b", "up"]);
    r.write("win/a.txt", "one\r\nTWO\r\nthree\r\nfour\r\n");
    r.commit("crlf change");
    r.git(&["tag", "up"]);
    r.git(&["checkout", "-q", "main"]);
    r.write("win/a.txt", "one\r\ntwo\r\nthree\r\nFOUR\r\n");
    r.commit("local crlf change");
    r.pq_ok(&["init", "--base", "base"]);
    let start = r.rev("HEAD");
    let oracle = r.clone_shared("oracle");
    oracle.git(&["checkout", "-q", "-B", "o", &start]);
    git_pick_all(&oracle, &chain(&oracle, "base..up"), &[]);
    r.pq_ok(&["backport", "base..up", "win"]);
    assert_same_chain(&r, &oracle, &start);
    assert_eq!(r.read("win/a.txt"), b"one\r\nTWO\r\nthree\r\nFOUR\r\n");
    assert_eq!(r.git(&["status", "--porcelain"]), "");
}

#[test]
fn latin1_message_is_carried_byte_for_byte() {
    let r = TestRepo::new();
    r.write("a.txt", "a\n");
    r.commit("base");
    r.git(&["tag", "base"]);
    r.git(&["checkout", "-q", "-b", "up"]);
    r.write("a.txt", "b\n");
    r.git(&["add", "-A"]);
    // "Caf\xe9: fix" in latin-1, recorded with an encoding header.
    let msg = r.path("../msg.txt");
    std::fs::write(&msg, b"Caf\xe9: fix na\xefve code\n\nD\xe9tails.\n").unwrap();
    r.git(&[
        "-c",
        "i18n.commitEncoding=ISO-8859-1",
        "commit",
        "-q",
        "-F",
        msg.to_str().unwrap(),
    ]);
    let up = r.rev("HEAD");
    r.git(&["tag", "up"]);
    r.git(&["checkout", "-q", "main"]);
    r.write("z.txt", "local\n");
    r.commit("local");
    r.pq_ok(&["init", "--base", "base"]);
    let start = r.rev("HEAD");
    let oracle = r.clone_shared("oracle");
    oracle.git(&["checkout", "-q", "-B", "o", &start]);
    oracle.git(&["config", "i18n.commitEncoding", "ISO-8859-1"]);
    git_pick_all(&oracle, std::slice::from_ref(&up), &[]);
    let out = r.pq(&["backport", "base..up"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let picked = r.rev("HEAD");
    let raw = r.git_out(&["cat-file", "commit", &picked]).stdout;
    let raw_git = oracle.git_out(&["cat-file", "commit", &oracle.rev("HEAD")]).stdout;
    assert!(
        raw.windows(9).any(|w| w == b"encoding "),
        "encoding header kept: {}",
        String::from_utf8_lossy(&raw)
    );
    let (_, m) = author_and_message(&r, &picked);
    let (_, gm) = author_and_message(&oracle, &oracle.rev("HEAD"));
    assert_eq!(m, gm, "message bytes equal git's -x message");
    assert_eq!(raw, raw_git);
    r.fsck();
}

#[test]
fn merge_commit_in_range_is_skipped_then_picked_with_mainline() {
    let r = TestRepo::new();
    r.write("m/a.txt", "a\n");
    r.write("m/b.txt", "b\n");
    r.commit("base");
    r.git(&["tag", "base"]);
    r.git(&["checkout", "-q", "-b", "up"]);
    r.git(&["checkout", "-q", "-b", "topic"]);
    r.write("m/b.txt", "B\n");
    let topic = r.commit("topic: b");
    r.git(&["checkout", "-q", "up"]);
    r.write("m/a.txt", "A\n");
    let side = r.commit("up: a");
    let out = r.git_dated(&["merge", "-q", "--no-ff", "-m", "Merge topic", "topic"]);
    assert!(out.status.success());
    let merge = r.rev("HEAD");
    r.git(&["tag", "up"]);
    r.git(&["checkout", "-q", "main"]);
    r.write("other.txt", "x\n");
    r.commit("local");
    r.pq_ok(&["init", "--base", "base"]);

    let v = r.pq_json(&["backport", "base..up", "m", "--dry-run"], 0);
    let lines = outcomes(&v, "commits");
    assert!(lines.contains(&(merge.clone(), "skipped".into())), "{v}");
    let skipped = v["commits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["source"] == merge.as_str())
        .unwrap()
        .clone();
    assert!(skipped["reason"].as_str().unwrap().contains("--mainline"), "{skipped}");
    let text_out = r.pq_ok(&["backport", "base..up", "m", "--dry-run"]);
    assert!(text_out.contains("skipped"), "{text_out}");

    // Just the merge, relative to its first parent: like `git cherry-pick -m 1 -x`.
    let start = r.rev("HEAD");
    let oracle = r.clone_shared("oracle");
    oracle.git(&["checkout", "-q", "-B", "o", &start]);
    oracle.git(&["cherry-pick", "-x", "-m", "1", &merge]);
    let out = r.pq(&["backport", &merge, "-m", "1"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_same_chain(&r, &oracle, &start);
    let _ = (topic, side);
}

#[test]
fn continue_refuses_to_overwrite_changes_a_later_pick_touches() {
    // A backport refuses up front when a later pick meets uncommitted changes; changes made while it is
    // stopped are caught at `pq continue`.
    let r = TestRepo::new();
    r.write("a", "a1\na2\n");
    r.write("b", "b1\nb2\n");
    r.commit("base");
    r.git(&["tag", "base"]);
    r.git(&["checkout", "-q", "-b", "up"]);
    r.write("a", "a1\nA2\n");
    r.commit("u1");
    r.write("b", "b1\nB2\n");
    r.commit("u2");
    r.git(&["tag", "up"]);
    r.git(&["checkout", "-q", "main"]);
    r.write("a", "a1\nlocal\n");
    r.commit("local");
    r.pq_ok(&["init", "--base", "base"]);
    r.write("b", "b1\nb2\nMY WORK\n");
    assert_eq!(r.pq(&["backport", "base..up"]).status.code(), Some(2));
    r.write("b", "b1\nb2\n");
    assert_eq!(r.pq(&["backport", "base..up"]).status.code(), Some(1));
    r.write("a", "a1\nresolved\n");
    r.git(&["add", "a"]);
    r.write("b", "b1\nb2\nMY WORK\n");
    let before = r.snapshot();
    let err = assert_refused(&r.pq(&["continue"]));
    assert!(err.contains("uncommitted changes to b"), "{err}");
    assert_same(&before, &r.snapshot(), "refused continue");
    assert_eq!(r.read_string("b"), "b1\nb2\nMY WORK\n");
    // Once the change is out of the way, continue finishes.
    r.write("b", "b1\nb2\n");
    assert_eq!(r.pq(&["continue"]).status.code(), Some(0));
    assert_eq!(r.read_string("b"), "b1\nB2\n");
    r.fsck();
}

#[test]
fn staged_changes_stay_staged_through_a_resolved_stop() {
    let (r, _fx) = TestRepo::kernel();
    init_fedora(&r);
    make_dirty(&r);
    let staged_before = r.git(&["diff", "--cached", "--name-only"]);
    assert_eq!(staged_before, "README");
    let staged_blob = r.git(&["rev-parse", ":README"]);
    assert_eq!(r.pq(&["backport", "v6.7..v6.8", "lib/zstd"]).status.code(), Some(1));
    // Resolve both stops by taking the upstream side.
    for path in ["include/linux/zstd_lib.h", "lib/decompress_unzstd.c"] {
        r.git(&["checkout", "--theirs", path]);
        r.git(&["add", path]);
        let code = r.pq(&["continue"]).status.code();
        assert!(code == Some(0) || code == Some(1), "continue: {code:?}");
    }
    // No pick swept the user's staged README in, and it is still staged, unchanged.
    let touched = r.git(&[
        "log",
        "--format=",
        "--name-only",
        "fedora-6.7@{1}..fedora-6.7",
        "--",
        "README",
    ]);
    assert_eq!(touched, "", "a pick committed the user's staged change");
    assert_eq!(r.git(&["diff", "--cached", "--name-only"]), "README");
    assert_eq!(r.git(&["rev-parse", ":README"]), staged_blob);
    r.fsck();
}

#[test]
fn work_tree_update_rewrites_only_changed_files() {
    let (r, fx) = TestRepo::kernel();
    init_fedora(&r);
    // Age every file so a rewrite would show in its mtime.
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
    let files: Vec<String> = r.git(&["ls-files"]).lines().map(str::to_string).collect();
    for f in &files {
        let file = std::fs::File::options().write(true).open(r.path(f)).unwrap();
        file.set_modified(old).unwrap();
    }
    r.git(&["update-index", "--refresh", "-q"]);
    let before = r.rev("HEAD");
    // A range whose picks all apply cleanly: no conflict ever writes to the work tree.
    assert_eq!(
        r.pq(&["backport", "v6.7..v6.8", &fx.clean_backport_path]).status.code(),
        Some(0)
    );
    let changed: Vec<String> = r
        .git(&["diff", "--name-only", &before, "HEAD"])
        .lines()
        .map(str::to_string)
        .collect();
    assert!(!changed.is_empty());
    for f in &files {
        let Ok(meta) = std::fs::metadata(r.path(f)) else {
            continue;
        };
        let rewritten = meta.modified().unwrap() != old;
        assert_eq!(
            rewritten,
            changed.contains(f),
            "{f}: rewritten={rewritten}, changed by the backport={}",
            changed.contains(f)
        );
    }
    // And git agrees the work tree and index are clean.
    assert_eq!(r.git(&["status", "--porcelain", "--untracked-files=no"]), "");
}

#[test]
fn a_stable_base_tag_holding_the_change_makes_it_present_as_git_cherry_says() {
    // A stable release tag is not an ancestor of the next upstream release: its own backports lie below
    // the range's bottom, and `git cherry` still finds the range's commits they carry.
    let r = TestRepo::new();
    r.write("src/a.c", "a1\na2\na3\na4\na5\na6\na7\na8\n");
    r.write("src/b.c", "b1\nb2\nb3\n");
    r.commit("fork point");
    r.git(&["checkout", "-q", "-b", "upstream"]);
    r.write("src/a.c", "a1\nA2\na3\na4\na5\na6\na7\na8\n");
    let u1 = r.commit("a: change line 2");
    r.write("src/b.c", "b1\nB2\nb3\n");
    let u2 = r.commit("b: change line 2");
    r.git(&["tag", "up"]);
    r.git(&["checkout", "-q", "main"]);
    r.write("src/b.c", "b1\nB2\nb3\n");
    let backported = r.commit("b: the same fix, backported by hand");
    r.git(&["tag", "stable-1"]);
    r.write("doc/readme", "local\n");
    r.commit("local: readme");
    r.pq_ok(&["init", "--base", "stable-1"]);
    let cherry = r.git(&["cherry", "HEAD", "up", "stable-1"]);
    assert_eq!(cherry.trim_end(), format!("+ {u1}\n- {u2}"));
    let v = r.pq_json(&["backport", "stable-1..up", "--dry-run"], 0);
    let lines = outcomes(&v, "commits");
    assert_eq!(
        lines,
        vec![(u1, "applied".into()), (u2.clone(), "present".into())],
        "{v}"
    );
    let line = v["commits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["source"] == u2.as_str())
        .unwrap();
    let reason = line["reason"].as_str().unwrap();
    assert!(
        reason.contains("patch-id") && reason.contains(&backported[..12]),
        "{reason}"
    );
}
