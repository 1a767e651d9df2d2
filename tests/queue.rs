//! Editing the queue (`pq drop`, `pq move`, `pq series order`, `pq reword`, `pq edit`) against git's own
//! `git rebase -i`, driven by GIT_SEQUENCE_EDITOR, as the oracle: the same trees, messages and authors,
//! commit by commit. Plus conflicts (stop, abort, continue, recorded resolutions), undo, and refusals that
//! change nothing.

mod common;

use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;
use common::*;

/// A branch `main` on tag v1 with six patches in series `local`: three edit different lines of one file (so
/// reordering them needs real merges), the others touch files of their own; two other authors.
fn stack() -> TestRepo {
    let r = TestRepo::new();
    let lines: String = (1..=12).map(|i| format!("line {i}\n")).collect();
    r.write("a.txt", &lines);
    r.write("b.txt", "b\n");
    r.write("c.txt", "c\n");
    r.commit("base");
    r.git(&["tag", "v1"]);
    let edit_a = |n: usize, text: &str| {
        let cur = r.read_string("a.txt");
        let new: String = cur
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i + 1 == n {
                    format!("{text}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        r.write("a.txt", new);
    };
    edit_a(2, "line 2 (fixed)");
    r.commit("a: fix line 2");
    r.write("b2.txt", "new file\n");
    r.git(&["add", "-A"]);
    let date = r.next_date();
    let out = git_out_in(
        r.home(),
        &r.dir,
        &[
            "commit",
            "-q",
            "--author",
            "Ada Author <ada@example.org>",
            "-m",
            "b2: add a file\n\nWith a body.\n\nSigned-off-by: Ada Author <ada@example.org>",
        ],
        &date,
    );
    assert!(out.status.success());
    edit_a(9, "line 9 (tuned)");
    r.commit("a: tune line 9");
    r.write("c.txt", "c\nmore c\n");
    r.commit("c: extend");
    r.write("b.txt", "b changed\n");
    r.git(&["add", "-A"]);
    let date = r.next_date();
    let out = git_out_in(
        r.home(),
        &r.dir,
        &[
            "commit",
            "-q",
            "--author",
            "Bo Other <bo@example.org>",
            "-m",
            "b: change",
        ],
        &date,
    );
    assert!(out.status.success());
    edit_a(5, "line 5 (patched)");
    r.commit("a: patch line 5");
    r.pq_ok(&["init", "--base", "v1"]);
    r
}

/// The patches v1..HEAD, oldest first.
fn patches(r: &TestRepo) -> Vec<String> {
    chain(r, "v1..HEAD")
}

/// (tree, author line, message) of every commit v1..HEAD: what must equal git's result.
fn shape(r: &TestRepo) -> Vec<(String, String, String)> {
    patches(r)
        .iter()
        .map(|c| {
            let (author, message) = author_and_message(r, c);
            (r.tree(c), author, String::from_utf8_lossy(&message).into_owned())
        })
        .collect()
}

fn git_with(r: &TestRepo, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new("git");
    cmd.current_dir(&r.dir).args(args);
    hermetic(&mut cmd, r.home(), NOW);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run git")
}

fn pq_with(r: &TestRepo, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::cargo_bin("pq").expect("pq binary");
    cmd.current_dir(&r.dir).args(args);
    hermetic(&mut cmd, r.home(), NOW);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run pq")
}

/// `git rebase -i v1` in a clone of `r` as it is now, with `todo` (lines like `pick <id>`) as the todo
/// list. Returns the clone, stopped or finished as git left it.
fn rebase_i(r: &TestRepo, name: &str, todo: &[String], env: &[(&str, String)]) -> (TestRepo, Output) {
    let oracle = r.clone_shared(name);
    oracle.git(&["checkout", "-q", "-B", "main", &r.rev("HEAD")]);
    let todo_file = r.scratch.path().join(format!("{name}.todo"));
    std::fs::write(&todo_file, todo.join("\n") + "\n").unwrap();
    let mut env = env.to_vec();
    env.push(("GIT_SEQUENCE_EDITOR", format!("cp {}", todo_file.display())));
    let out = git_with(&oracle, &["rebase", "-q", "-i", "v1"], &env);
    (oracle, out)
}

fn picks(ids: &[&String]) -> Vec<String> {
    ids.iter().map(|c| format!("pick {c}")).collect()
}

#[track_caller]
fn assert_like_git(r: &TestRepo, oracle: &TestRepo) {
    assert_eq!(shape(r), shape(oracle), "pq and git rebase -i made different commits");
    assert_eq!(r.git(&["symbolic-ref", "HEAD"]), "refs/heads/main");
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    r.fsck();
}

#[test]
fn drop_matches_rebase_i_and_undo_brings_the_patches_back() {
    let r = stack();
    let before = r.snapshot();
    let p = patches(&r);
    let (oracle, out) = rebase_i(&r, "oracle", &picks(&[&p[0], &p[2], &p[4], &p[5]]), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let v = r.pq_json(&["drop", "local:2", &p[3][..10]], 0);
    assert_like_git(&r, &oracle);
    // The patch below the first dropped one is kept as it is, as git keeps it.
    assert_eq!(patches(&r)[0], p[0]);
    let dropped: Vec<&str> = v["patches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["outcome"] == "dropped")
        .map(|l| l["source"].as_str().unwrap())
        .collect();
    assert_eq!(dropped, [p[1].as_str(), p[3].as_str()]);
    let series = r.pq_json(&["series", "show", "local"], 0)["series"].take();
    assert_eq!(series[0]["patches"].as_array().unwrap().len(), 4);

    r.pq_ok(&["undo"]);
    assert_same(&without_oplog(before), &without_oplog(r.snapshot()), "drop then undo");
}

#[test]
fn move_into_a_new_series_and_reorder_series_match_rebase_i() {
    let r = stack();
    let p = patches(&r);
    r.pq_ok(&["series", "new", "fixes"]);
    // Into a series of their own, which sits above `local`: the moved patches end up on top, in the order given.
    let (oracle, out) = rebase_i(&r, "oracle1", &picks(&[&p[1], &p[3], &p[4], &p[5], &p[2], &p[0]]), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    r.pq_ok(&["move", &p[2][..8], "local:1", "--to", "fixes"]);
    assert_like_git(&r, &oracle);
    let s = r.pq_json(&["series"], 0)["series"].take();
    let names: Vec<(&str, usize)> = s
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap(), v["patches"].as_array().unwrap().len()))
        .collect();
    assert_eq!(names, [("local", 4), ("fixes", 2)]);

    // The series in a new order: `fixes` first, the stack regrouped.
    let q = patches(&r);
    let (oracle, out) = rebase_i(&r, "oracle2", &picks(&[&q[4], &q[5], &q[0], &q[1], &q[2], &q[3]]), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = r.pq_json(&["series", "order", "fixes", "local"], 0);
    assert_eq!(v["series"], serde_json::json!(["fixes", "local"]));
    assert_like_git(&r, &oracle);

    // Within a series, before a given patch.
    let q = patches(&r);
    let (oracle, out) = rebase_i(&r, "oracle3", &picks(&[&q[0], &q[1], &q[5], &q[2], &q[3], &q[4]]), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    r.pq_ok(&["move", "local:4", "--to", "local", "--before", "local:1"]);
    assert_like_git(&r, &oracle);
    // And after one.
    let q = patches(&r);
    let (oracle, out) = rebase_i(&r, "oracle4", &picks(&[&q[0], &q[1], &q[3], &q[2], &q[4], &q[5]]), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    r.pq_ok(&["move", "local:1", "--to", "local", "--after", "local:2"]);
    assert_like_git(&r, &oracle);

    // Re-running a finished order changes nothing.
    let before = r.snapshot();
    let out = r.pq_ok(&["series", "order", "fixes", "local"]);
    assert!(out.contains("nothing to change"), "{out}");
    assert_same(&before, &r.snapshot(), "order already in place");
}

#[test]
fn reword_with_m_and_with_the_editor_match_rebase_i() {
    let r = stack();
    let p = patches(&r);
    let msg = "b2: add a file, reworded\n\nA new body.\n\nSigned-off-by: Ada Author <ada@example.org>\n";
    let msg_file = r.scratch.path().join("msg");
    std::fs::write(&msg_file, msg).unwrap();
    let editor = [("GIT_EDITOR", format!("cp {}", msg_file.display()))];
    let mut todo = picks(&[&p[0]]);
    todo.push(format!("reword {}", p[1]));
    todo.extend(picks(&[&p[2], &p[3], &p[4], &p[5]]));
    let (oracle, out) = rebase_i(&r, "oracle", &todo, &editor);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = pq_with(&r, &["reword", "local:2"], &editor);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_like_git(&r, &oracle);
    assert_eq!(
        r.pq_json(&["series", "show", "local"], 0)["series"].take()[0]["patches"][1]["subject"],
        "b2: add a file, reworded"
    );

    // With -m (git's whitespace clean-up applies to it too).
    r.pq_ok(&["undo"]);
    r.pq_ok(&[
        "reword",
        &p[1],
        "-m",
        "b2: add a file, reworded",
        "-m",
        "A new body.\n\nSigned-off-by: Ada Author <ada@example.org>  \n\n",
    ]);
    assert_like_git(&r, &oracle);
}

#[test]
fn edit_then_continue_matches_rebase_i_edit() {
    let r = stack();
    let p = patches(&r);
    let mut todo = picks(&[&p[0], &p[1]]);
    todo.push(format!("edit {}", p[2]));
    todo.extend(picks(&[&p[3], &p[4], &p[5]]));
    let (oracle, out) = rebase_i(&r, "oracle", &todo, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(oracle.rev("HEAD"), p[2], "git stops at the patch itself");
    let amend = |t: &TestRepo| {
        t.write("d.txt", "added while stopped\n");
        t.git(&["add", "d.txt"]);
        t.git(&["commit", "-q", "--amend", "--no-edit"]);
    };
    amend(&oracle);
    let out = git_with(&oracle, &["rebase", "--continue"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = r.pq(&["edit", "local:3"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(r.rev("HEAD"), p[2]);
    assert!(
        r.git_out(&["symbolic-ref", "-q", "HEAD"]).status.code() != Some(0),
        "HEAD is detached"
    );
    let status = r.pq_json(&["status"], 0);
    assert_eq!(status["stopped"]["operation"], "edit");
    assert_eq!(status["stopped"]["commit"], p[2].as_str());
    // No other edit while stopped.
    let before = r.snapshot();
    assert_refused(&r.pq(&["drop", "local:1"]));
    assert_same(&before, &r.snapshot(), "drop while stopped");
    let stderr = assert_refused(&r.pq(&["skip"]));
    assert!(stderr.contains("nothing to skip"), "{stderr}");

    amend(&r);
    let v = r.pq_json(&["continue"], 0);
    assert_eq!(v["operation"], "edit");
    assert_like_git(&r, &oracle);
    // The edited patch keeps its series; the log has one operation to undo.
    assert_eq!(
        r.pq_json(&["series", "show", "local"], 0)["series"].take()[0]["patches"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    r.pq_ok(&["undo"]);
    assert_eq!(r.rev("HEAD"), p[5]);
}

#[test]
fn edit_then_abort_puts_everything_back() {
    let r = stack();
    // The user's own work: a staged change, an unstaged one and an untracked file.
    r.write("c.txt", "c\nmore c\nstaged\n");
    r.git(&["add", "c.txt"]);
    r.write("b2.txt", "unstaged\n");
    r.write("notes.txt", "untracked\n");
    let before = r.snapshot();
    let out = r.pq(&["edit", "local:5"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    // While stopped, the user starts amending, then changes their mind.
    r.write("b.txt", "half-done\n");
    r.git(&["add", "b.txt"]);
    r.git(&["commit", "-q", "--amend", "--no-edit"]);
    r.pq_ok(&["abort"]);
    assert_same(&without_oplog(before), &without_oplog(r.snapshot()), "edit then abort");
}

#[test]
fn a_reorder_conflict_stops_like_a_rebase_and_its_resolution_is_remembered() {
    let r = TestRepo::new();
    r.write("f.txt", "one\n");
    r.commit("base");
    r.git(&["tag", "v1"]);
    r.write("f.txt", "two\n");
    r.commit("f: two");
    r.write("g.txt", "g\n");
    r.commit("g: add");
    r.write("f.txt", "three\n");
    r.commit("f: three");
    r.pq_ok(&["init", "--base", "v1"]);
    let p = patches(&r);
    let before = r.snapshot();

    // "f: three" below "f: two" cannot apply: git stops too.
    let (oracle, out) = rebase_i(&r, "oracle", &picks(&[&p[2], &p[0], &p[1]]), &[]);
    assert!(!out.status.success());
    let out = r.pq(&["move", "local:3", "--to", "local", "--before", "local:1"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(r.git(&["diff", "--name-only", "--diff-filter=U"]), "f.txt");
    assert_eq!(
        oracle.git(&["diff", "--name-only", "--diff-filter=U"]),
        "f.txt",
        "git stops on the same path"
    );
    r.pq_ok(&["abort"]);
    assert_same(
        &without_oplog(before.clone()),
        &without_oplog(r.snapshot()),
        "conflict then abort",
    );

    // Resolve it, as the user would with git, and carry on.
    r.pq_expect(&["move", "local:3", "--to", "local", "--before", "local:1"], 1);
    r.write("f.txt", "three\n");
    r.git(&["add", "f.txt"]);
    let out = r.pq(&["continue"]);
    assert_eq!(out.status.code(), Some(1), "the next patch conflicts too");
    r.write("f.txt", "two\n");
    r.git(&["add", "f.txt"]);
    r.pq_ok(&["continue"]);
    let resolved = shape(&r);
    assert_eq!(r.read_string("f.txt"), "two\n");
    assert_eq!(r.git(&["status", "--porcelain"]), "");

    // Undone and done again: the resolution recorded at the first stop applies by itself. (The one recorded
    // by the `pq continue` that finished the edit belongs to that operation, and `pq undo` took it back.)
    r.pq_ok(&["undo"]);
    assert_same(&without_oplog(before), &without_oplog(r.snapshot()), "undo");
    let v = r.pq_json(&["move", "local:3", "--to", "local", "--before", "local:1"], 1);
    let outcomes: Vec<String> = outcomes(&v, "patches").into_iter().map(|(_, o)| o).collect();
    assert_eq!(outcomes[0], "resolved");
    r.write("f.txt", "two\n");
    r.git(&["add", "f.txt"]);
    r.pq_ok(&["continue"]);
    assert_eq!(shape(&r), resolved);
}

#[test]
fn series_new_rename_and_drop() {
    let r = stack();
    let p = patches(&r);
    r.pq_ok(&["series", "new", "top"]);
    r.pq_ok(&["series", "new", "middle", "--after", "local"]);
    r.pq_ok(&["series", "new", "bottom", "--after", "local"]);
    let names = |r: &TestRepo| -> Vec<String> {
        r.pq_json(&["series"], 0)["series"]
            .take()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&r), ["local", "bottom", "middle", "top"]);
    assert_eq!(r.rev("HEAD"), p[5], "new series change no commit");

    r.pq_ok(&["move", "local:5", "local:6", "--to", "middle"]);
    r.pq_ok(&["series", "rename", "middle", "backport/mid"]);
    assert_eq!(names(&r), ["local", "bottom", "backport/mid", "top"]);
    let mid = r.pq_json(&["series", "show", "backport/mid"], 0)["series"].take();
    assert_eq!(mid[0]["patches"].as_array().unwrap().len(), 2);

    // Dropping a series drops its patches, like deleting their lines in `git rebase -i`.
    let q = patches(&r);
    let (oracle, out) = rebase_i(&r, "oracle", &picks(&[&q[0], &q[1], &q[2], &q[3]]), &[]);
    assert!(out.status.success());
    let stdout = r.pq_ok(&["series", "drop", "backport/mid"]);
    assert!(stdout.contains("dropped series backport/mid"), "{stdout}");
    assert_like_git(&r, &oracle);
    assert_eq!(names(&r), ["local", "bottom", "top"]);
}

#[test]
fn a_renamed_series_keeps_its_history() {
    // Backport into a series, rename it, backport again into the new name: the earlier picks are present.
    let (r, _fx) = TestRepo::kernel();
    r.pq_ok(&["init", "--base", "v6.7.1"]);
    run_skipping(&r, &["backport", "v6.7..v6.8", "lib/zstd"]);
    let before: Vec<String> = r.pq_json(&["series", "show", "backport/lib-zstd"], 0)["series"].take()[0]["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["origin"].as_str().unwrap().to_string())
        .collect();
    assert!(!before.is_empty());
    r.pq_ok(&["series", "rename", "backport/lib-zstd", "zstd"]);
    let v = r.pq_json(
        &["backport", "v6.7..v6.8", "lib/zstd", "--series", "zstd", "--dry-run"],
        0,
    );
    let present: Vec<String> = v["commits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["outcome"] == "present")
        .map(|l| l["source"].as_str().unwrap().to_string())
        .collect();
    for origin in &before {
        assert!(present.contains(origin), "{origin} is no longer seen as present: {v}");
    }
}

#[test]
fn refusals_change_nothing() {
    let r = stack();
    let p = patches(&r);
    r.pq_ok(&["series", "new", "fixes"]);
    let base = r.rev("v1");
    let before = r.snapshot();
    let cases: &[&[&str]] = &[
        &["drop", "deadbeef"],
        &["drop", &base],
        &["drop", "local:7"],
        &["drop", "local:0"],
        &["drop", "nosuch:1"],
        &["drop", "local:1", &p[0]],
        &["move", "local:1", "--to", "nosuch"],
        &["move", "local:1", "--to", "fixes", "--before", "local:2"],
        &["move", "local:1", "--to", "local", "--after", "local:1"],
        &["reword", "local:1", "-m", ""],
        &["reword", "local:9", "-m", "x"],
        &["edit", "HEAD~7"],
        &["series", "new", "local"],
        &["series", "new", "bad name"],
        &["series", "new", "a..b"],
        &["series", "new", "x:1"],
        &["series", "new", "y", "--after", "nosuch"],
        &["series", "rename", "nosuch", "x"],
        &["series", "rename", "local", "fixes"],
        &["series", "rename", "local", "no~way"],
        &["series", "rename", "local", "packaging"],
        &["series", "drop", "nosuch"],
        &["series", "order", "nosuch", "local"],
        &["series", "order", "local", "local"],
    ];
    for args in cases {
        let stderr = assert_refused(&r.pq(args));
        assert_same(&before, &r.snapshot(), &format!("pq {}: {stderr}", args.join(" ")));
    }
    let stderr = assert_refused(&r.pq(&["drop", "deadbeef"]));
    assert!(stderr.contains("'deadbeef' is not a patch on main"), "{stderr}");

    // While another operation is stopped, every queue edit is refused.
    r.pq_expect(&["edit", "local:2"], 1);
    let stopped = r.snapshot();
    for args in [
        &["drop", "local:1"][..],
        &["move", "local:1", "--to", "fixes"],
        &["reword", "local:1", "-m", "x"],
        &["edit", "local:1"],
        &["series", "new", "z"],
        &["series", "rename", "fixes", "z"],
        &["series", "drop", "fixes"],
        &["series", "order", "fixes", "local"],
    ] {
        let stderr = assert_refused(&r.pq(args));
        assert!(stderr.contains("stopped"), "{stderr}");
        assert_same(&stopped, &r.snapshot(), &format!("pq {} while stopped", args.join(" ")));
    }
    r.pq_ok(&["abort"]);
}

#[test]
fn text_and_json_reports() {
    let r = stack();
    let settings = insta_settings(&r);
    let _guard = settings.bind_to_scope();
    r.pq_ok(&["series", "new", "fixes", "--after", "local"]);
    let out = r.pq(&["move", "local:2", "local:4", "--to", "fixes"]);
    let (stdout, stderr) = text(&out);
    insta::assert_snapshot!("queue_move_text", format!("{stdout}--- stderr\n{stderr}"));
    let out = r.pq_ok(&["drop", "fixes:1", "--format", "json"]);
    insta::assert_snapshot!("queue_drop_json", out);
    let out = r.pq_ok(&["series"]);
    insta::assert_snapshot!("queue_series_after", out);
    let out = r.pq(&["edit", "local:2"]);
    let (stdout, stderr) = text(&out);
    insta::assert_snapshot!("queue_edit_stop", format!("{stdout}--- stderr\n{stderr}"));
    r.pq_ok(&["abort"]);
}
