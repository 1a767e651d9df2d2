//! The command line as a whole: undo and the operation log, refusals of bad input (exit 2, one `error:`
//! line, a `hint:`, nothing changed), help texts and JSON output.

mod common;

use common::*;

/// A snapshot without the operation log ref, which every command that changes anything (undo included)
/// appends to.
// ---- undo and log ----

#[test]
fn undo_walks_back_through_backport_and_init() {
    let (r, fx) = TestRepo::kernel();
    let s0 = without_oplog(r.snapshot());
    r.pq_ok(&["init", "--base", "v6.7.1"]);
    r.fsck();
    let s1 = without_oplog(r.snapshot());
    r.pq_ok(&["backport", "v6.7..v6.8", &fx.clean_backport_path]);
    r.fsck();
    let s2 = without_oplog(r.snapshot());
    assert_ne!(s1, s2);
    let log = r.pq_ok(&["log"]);
    insta::assert_snapshot!("log_after_backport", log);

    let out = r.pq_ok(&["undo"]);
    assert!(out.contains("undid"), "{out}");
    assert_same(&s1, &without_oplog(r.snapshot()), "undo of the backport");
    r.fsck();
    r.pq_ok(&["undo"]);
    assert_same(&s0, &without_oplog(r.snapshot()), "undo of the init");
    r.fsck();
    // Nothing left to undo.
    let err = assert_refused(&r.pq(&["undo"]));
    assert!(err.contains("nothing to undo"), "{err}");
    let log = r.pq_json(&["log"], 0)["operations"].take();
    assert_eq!(log.as_array().unwrap().len(), 4, "{log}");
}

#[test]
fn undo_to_an_operation_and_refusing_to_overwrite_changes() {
    let (r, fx) = TestRepo::kernel();
    let s0 = without_oplog(r.snapshot());
    r.pq_ok(&["init", "--base", "v6.7.1"]);
    r.pq_ok(&["backport", "v6.7..v6.8", &fx.clean_backport_path]);
    let log = r.pq_json(&["log"], 0)["operations"].take();
    let init_id = log[1]["id"].as_str().unwrap().to_string();
    assert!(log[1]["command"].as_str().unwrap().contains("init"), "{log}");

    // A local change to a file the undo would rewrite: refused, nothing changed.
    let changed = r.git(&["diff", "--name-only", "HEAD~1", "HEAD"]);
    let file = changed.lines().next().unwrap().to_string();
    let mut bytes = r.read(&file);
    bytes.extend_from_slice(b"/* mine */\n");
    r.write(&file, &bytes);
    let before = r.snapshot();
    let err = assert_refused(&r.pq(&["undo"]));
    assert!(err.contains(&file), "{err}");
    assert_same(&before, &r.snapshot(), "refused undo");
    r.git(&["checkout", "--", &file]);

    r.pq_ok(&["undo", "--to", &init_id[..12]]);
    assert_same(&s0, &without_oplog(r.snapshot()), "undo --to the init");
    r.fsck();
}

#[test]
fn undo_after_abort_and_rebase() {
    let (r, _fx) = TestRepo::kernel();
    r.pq_ok(&["init", "--base", "v6.7.1"]);
    let s1 = without_oplog(r.snapshot());
    r.pq_ok(&["rebase", "v6.7.2"]);
    r.fsck();
    r.pq_ok(&["undo"]);
    assert_same(&s1, &without_oplog(r.snapshot()), "undo of a rebase");
    // An aborted backport leaves nothing to undo but the init.
    assert_eq!(r.pq(&["backport", "v6.7..v6.8", "lib/zstd"]).status.code(), Some(1));
    r.pq_ok(&["abort"]);
    assert_same(&s1, &without_oplog(r.snapshot()), "abort");
    // The log tells the whole story: the stop and the abort are there, newest first.
    let log = r.pq_ok(&["log"]);
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines[0].contains("pq abort (pq backport v6.7..v6.8 lib/zstd)"), "{log}");
    assert!(
        lines[1].contains("pq backport v6.7..v6.8 lib/zstd (stopped at "),
        "{log}"
    );
    let out = r.pq_ok(&["undo"]);
    assert!(out.contains("init"), "the next undo undoes the init: {out}");
    r.fsck();
}

// ---- bad input ----

/// Assert pq refuses `args` with the usual shape and changes nothing; returns stderr.
#[track_caller]
fn refuses(r: &TestRepo, args: &[&str]) -> String {
    refuses_with(r, args, None)
}

/// Like [`refuses`]; `Some(code)`: a failure other than bad input (3: pq's own data is corrupt).
fn refuses_with(r: &TestRepo, args: &[&str], code: Option<i32>) -> String {
    let before = r.snapshot();
    let objects = r.object_count();
    let out = r.pq(args);
    let err = match code {
        None => assert_refused(&out),
        Some(code) => assert_fails(&out, code),
    };
    assert_same(&before, &r.snapshot(), &format!("refused pq {}", args.join(" ")));
    assert_eq!(objects, r.object_count(), "refused pq {} wrote objects", args.join(" "));
    err
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let r = small_upstream_repo();
    let err = refuses(&r, &["backport", "base..up", "src"]);
    assert!(err.contains("not managed by pq") && err.contains("pq init"), "{err}");
    let err = refuses(&r, &["init", "--base", "up"]);
    assert!(err.contains("not an ancestor"), "{err}");
    let err = refuses(&r, &["init", "--base", "no-such-tag"]);
    assert!(err.contains("unknown revision 'no-such-tag'"), "{err}");
    r.pq_ok(&["init", "--base", "base"]);
    r.fsck();
    let err = refuses(&r, &["init", "--base", "base"]);
    assert!(err.contains("already managed"), "{err}");
    let err = refuses(&r, &["backport", "nope..up", "src"]);
    assert!(err.contains("unknown revision 'nope'"), "{err}");
    let err = refuses(&r, &["backport", "base..up", "no/such/path"]);
    assert!(err.contains("no/such/path"), "{err}");
    let err = refuses(&r, &["rebase", "no-such-base"]);
    assert!(err.contains("unknown revision"), "{err}");
    let err = refuses(&r, &["continue"]);
    assert!(err.contains("no pq operation is in progress"), "{err}");
    refuses(&r, &["skip"]);
    refuses(&r, &["abort"]);
    let err = refuses(&r, &["series", "show", "no-such-series"]);
    assert!(err.contains("no-such-series"), "{err}");
}

#[test]
fn dirty_changes_the_backport_would_overwrite() {
    let r = small_upstream_repo();
    r.pq_ok(&["init", "--base", "base"]);
    r.write("src/a.c", "a1\na2\na3\nmine\n");
    let err = refuses(&r, &["backport", "base..up", "src"]);
    assert!(err.contains("src/a.c") && err.contains("overwritten"), "{err}");
    // Staged, too.
    r.git(&["add", "src/a.c"]);
    refuses(&r, &["backport", "base..up", "src"]);
    r.git(&["reset", "-q", "--hard"]);
    // An untracked file where the backport adds one.
    r.git(&["checkout", "-q", "up"]);
    r.write("src/new.c", "new\n");
    r.commit("up: add new.c");
    r.git(&["tag", "-f", "up"]);
    r.git(&["checkout", "-q", "main"]);
    r.write("src/new.c", "my own\n");
    let err = refuses(&r, &["backport", "base..up", "src"]);
    assert!(err.contains("untracked") && err.contains("src/new.c"), "{err}");
    std::fs::remove_file(r.path("src/new.c")).unwrap();
    // A dirty file elsewhere is fine and survives.
    r.write("local.txt", "local\nedited\n");
    r.pq_ok(&["backport", "base..up", "src"]);
    assert_eq!(r.read_string("local.txt"), "local\nedited\n");
    assert_eq!(r.git(&["status", "--porcelain"]), " M local.txt");
    r.fsck();
}

#[test]
fn detached_head_bare_and_mid_merge() {
    let r = small_upstream_repo();
    r.pq_ok(&["init", "--base", "base"]);
    r.git(&["checkout", "-q", "--detach", "HEAD"]);
    let err = refuses(&r, &["backport", "base..up", "src"]);
    assert!(err.contains("detached"), "{err}");
    // Status reports a detached HEAD, as `git status` does.
    let st = r.pq_json(&["status"], 0);
    assert_eq!(st["detached"], true, "{st}");
    assert_eq!(st["branch"], serde_json::Value::Null, "{st}");
    r.git(&["checkout", "-q", "main"]);

    // A conflicted `git merge` in progress.
    r.git(&["checkout", "-q", "-b", "other", "base"]);
    r.write("local.txt", "other\n");
    r.commit("other local");
    r.git(&["checkout", "-q", "main"]);
    assert!(!r.git_out(&["merge", "-q", "other"]).status.success());
    assert!(r.git_dir().join("MERGE_HEAD").exists());
    let err = refuses(&r, &["backport", "base..up", "src"]);
    assert!(err.contains("git merge"), "{err}");
    refuses(&r, &["rebase", "up"]);
    refuses(&r, &["undo"]);
    r.git(&["merge", "--abort"]);

    // A bare clone.
    let bare = r.sibling("bare.git");
    git_in(
        r.home(),
        r.scratch.path(),
        &["clone", "-q", "--bare", r.dir.to_str().unwrap(), "bare.git"],
    );
    let refs = bare.git(&["for-each-ref"]);
    let out = bare.pq(&["init", "--base", "base"]);
    assert_refused(&out);
    let out = bare.pq(&["backport", "base..up", "src"]);
    assert_refused(&out);
    assert_eq!(refs, bare.git(&["for-each-ref"]));
}

#[test]
fn corrupted_state_ref() {
    let r = small_upstream_repo();
    r.pq_ok(&["init", "--base", "base"]);
    // A state commit whose state.toml is not pq's.
    let blob = {
        let p = r.path("../bogus.toml");
        std::fs::write(&p, "this is [not valid toml\n").unwrap();
        r.git(&["hash-object", "-w", p.to_str().unwrap()])
    };
    let tree = {
        let p = r.path("../tree.txt");
        std::fs::write(&p, format!("100644 blob {blob}\tstate.toml\n")).unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("git mktree < {}", p.display()))
            .current_dir(&r.dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let commit = r.git(&["commit-tree", &tree, "-m", "bogus"]);
    r.git(&["update-ref", "refs/pq/state/main", &commit]);
    for args in [
        vec!["status"],
        vec!["backport", "base..up", "src"],
        vec!["rebase", "up"],
        vec!["series"],
    ] {
        // pq's own data is corrupt: exit 3, not "bad input".
        let err = refuses_with(&r, &args, Some(3));
        assert!(err.contains("state"), "pq {}: {err}", args.join(" "));
    }
    // A state commit without state.toml at all.
    let empty = r.git(&["commit-tree", "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "-m", "empty"]);
    r.git(&["update-ref", "refs/pq/state/main", &empty]);
    refuses_with(&r, &["backport", "base..up", "src"], Some(3));
}

#[test]
fn state_disagreeing_with_history_names_adopt() {
    let r = small_upstream_repo();
    r.pq_ok(&["init", "--base", "base"]);
    r.write("local.txt", "local\nby hand\n");
    let by_hand = r.commit("a commit made with git");
    let err = refuses(&r, &["backport", "base..up", "src"]);
    assert!(err.contains("moved outside pq"), "{err}");
    assert!(err.contains("pq adopt"), "{err}");
    refuses(&r, &["rebase", "up"]);
    let status = r.pq_ok(&["status"]);
    assert!(status.contains("pq adopt"), "{status}");
    r.pq_ok(&["adopt"]);
    r.fsck();
    let series = r.pq_json(&["series", "show", "local"], 0)["series"].take();
    let commits: Vec<&str> = series[0]["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["commit"].as_str().unwrap())
        .collect();
    assert!(commits.contains(&by_hand.as_str()), "{series}");
    r.pq_ok(&["backport", "base..up", "src"]);
    r.fsck();
}

// ---- help and JSON ----

#[test]
fn every_subcommand_help_has_an_example() {
    let r = TestRepo::new();
    let top = r.pq_ok(&["--help"]);
    assert!(top.contains("Example"), "{top}");
    let commands: Vec<String> = top
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect();
    for c in [
        "init", "adopt", "status", "series", "backport", "rebase", "continue", "skip", "abort", "undo", "log",
    ] {
        assert!(commands.iter().any(|x| x == c), "{c} missing from --help: {commands:?}");
    }
    for c in &commands {
        let out = r.pq_ok(&[c, "--help"]);
        assert!(out.contains("Example"), "pq {c} --help has no example:\n{out}");
    }
}

#[test]
fn json_output_parses() {
    let (r, _fx) = TestRepo::kernel();
    r.pq_ok(&["init", "--base", "v6.7.1"]);
    let status = r.pq_json(&["status"], 0);
    assert_eq!(status["base"], "v6.7.1", "{status}");
    let series = r.pq_json(&["series"], 0)["series"].take();
    assert!(series.as_array().is_some_and(|a| !a.is_empty()), "{series}");
    let dry = r.pq_json(&["backport", "v6.7..v6.8", "lib/zstd", "--dry-run"], 0);
    assert_eq!(dry["dry_run"], true);
    assert!(dry["commits"].as_array().is_some_and(|a| a.len() == 15), "{dry}");
    let dry = r.pq_json(&["rebase", "v6.7.2", "--dry-run"], 0);
    assert!(dry["patches"].is_array(), "{dry}");
    // A stop in JSON, and status while stopped.
    let stop = r.pq_json(&["backport", "v6.7..v6.8", "lib/zstd"], 1);
    assert_eq!(stop["stopped"]["conflicts"][0], "include/linux/zstd_lib.h", "{stop}");
    let status = r.pq_json(&["status"], 0);
    assert!(!status["stopped"].is_null(), "{status}");
    // Errors in JSON are JSON on stdout, and the usual lines on stderr.
    let out = r.pq(&["backport", "v6.7..v6.8", "lib/zstd", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON error");
    assert!(v["error"].as_str().is_some(), "{v}");
    assert_refused(&out);
}

#[test]
fn error_messages() {
    let r = small_upstream_repo();
    let settings = insta_settings(&r);
    let _guard = settings.bind_to_scope();
    let (_, err) = text(&r.pq(&["backport", "base..up", "src"]));
    insta::assert_snapshot!("error_not_initialised", err);
    r.pq_ok(&["init", "--base", "base"]);
    let (_, err) = text(&r.pq(&["backport", "base..up", "nowhere"]));
    insta::assert_snapshot!("error_path_matches_nothing", err);
    let outside = r.sibling("not-a-repo");
    std::fs::create_dir_all(&outside.dir).unwrap();
    let out = r.pq_in(&outside.dir, &["status"]);
    let err = assert_refused(&out);
    insta::assert_snapshot!("error_not_a_repository", err);
}

// ---- locking ----

#[test]
fn a_second_pq_waits_then_fails_and_a_dead_holders_lock_is_taken_over() {
    let (r, _fx) = TestRepo::kernel();
    r.pq_ok(&["init", "--base", "v6.7.1"]);
    let lock = r.git_dir().join("pq/lock");
    // A live holder: a process holding the advisory lock (and, like pq, its pid in the file) for the
    // duration of the check.
    let mut holder = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "exec 9>>'{0}' && flock 9 && echo $$ > '{0}' && exec sleep 30",
            lock.display()
        ))
        .spawn()
        .unwrap();
    let held = std::time::Instant::now();
    while std::fs::read_to_string(&lock).unwrap_or_default().trim() != holder.id().to_string()
        || held.elapsed() < std::time::Duration::from_millis(300)
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let before = r.snapshot();
    let started = std::time::Instant::now();
    let out = r.pq(&["backport", "v6.7..v6.8", "lib/zstd"]);
    let err = assert_refused(&out);
    assert!(
        err.contains(&format!("another pq operation is running (pid {})", holder.id())),
        "{err}"
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "it waits briefly before giving up"
    );
    assert_same(&before, &r.snapshot(), "locked out");
    holder.kill().unwrap();
    holder.wait().unwrap();

    // The holder is gone, killed while holding git locks: the one it noted (and created after noting it)
    // is its own and is removed; an index.lock it did not note belongs to another git and survives.
    let git_dir = r.git_dir();
    std::fs::write(git_dir.join("index.lock"), "").unwrap();
    std::fs::create_dir_all(git_dir.join("pq/git-locks")).unwrap();
    std::fs::write(git_dir.join("pq/git-locks/1-0"), "packed-refs.lock\n").unwrap();
    std::fs::write(git_dir.join("packed-refs.lock"), "").unwrap();
    let before = r.snapshot();
    let err = assert_fails(&r.pq(&["backport", "v6.7..v6.8", "lib/zstd"]), 2);
    assert!(err.contains("git's lock file .git/index.lock exists"), "{err}");
    assert!(err.contains("remove .git/index.lock"), "{err}");
    assert!(
        git_dir.join("index.lock").exists(),
        "a foreign index.lock survives the takeover"
    );
    assert!(
        !git_dir.join("packed-refs.lock").exists(),
        "the dead pq's own lock is cleared"
    );
    assert_same(&before, &r.snapshot(), "refused for a foreign lock");
    std::fs::remove_file(git_dir.join("index.lock")).unwrap();
    let out = r.pq(&["backport", "v6.7..v6.8", "lib/zstd"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap(),
        "",
        "the lock is released when pq ends"
    );
    assert!(!git_dir.join("pq/git-locks").exists(), "no git lock of pq's is left");
    r.pq_ok(&["abort"]);
    r.fsck();
}
