//! Picks whose paths moved or vanished on our side, each against `git cherry-pick -x` on a clone of the same
//! repository: the same verdict, and the same commit when it applies or the same conflict (index stages,
//! status, file contents) when it stops.

mod common;

use common::*;

/// Thirty distinct lines, so that similarity-based rename detection has something to hold on to.
fn body(name: &str) -> String {
    (1..=30).map(|i| format!("{name} line {i}\n")).collect()
}

fn edit_line(text: &str, n: usize, new: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == n {
                format!("{new}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

/// `base` holds `files`; `upstream` (branch `up`) makes the picked commits, `local` makes our side's commits
/// on `main`. Returns the repository, initialised by pq on `main`.
fn scenario(files: &[(&str, String)], upstream: impl Fn(&TestRepo), local: impl Fn(&TestRepo)) -> TestRepo {
    let r = TestRepo::new();
    for (p, c) in files {
        r.write(p, c);
    }
    r.write("README", "project\n");
    r.commit("base");
    r.git(&["tag", "base"]);
    r.git(&["checkout", "-q", "-b", "up"]);
    upstream(&r);
    r.git(&["tag", "up"]);
    r.git(&["checkout", "-q", "main"]);
    local(&r);
    r.pq_ok(&["init", "--base", "base"]);
    r
}

/// Pick `base..up` with git (on a clone) and with pq; they must agree pick by pick and at the first stop.
/// Returns whether the picks stopped.
fn assert_matches_git(r: &TestRepo) -> bool {
    assert_matches_git_with(r, &[])
}

/// [`assert_matches_git`] with `config` set in both repositories.
fn assert_matches_git_with(r: &TestRepo, config: &[(&str, &str)]) -> bool {
    let start = r.rev("HEAD");
    let oracle = r.clone_shared("oracle");
    for (k, v) in config {
        r.git(&["config", k, v]);
        oracle.git(&["config", k, v]);
    }
    oracle.git(&["checkout", "-q", "-B", "o", &start]);
    let commits = chain(&oracle, "base..up");
    let mut git_stopped = false;
    for c in &commits {
        if !oracle.git_ok(&["cherry-pick", "-x", c]) {
            git_stopped = true;
            break;
        }
    }
    let out = r.pq(&["backport", "base..up"]);
    let code = out.status.code();
    assert_eq!(
        code,
        Some(if git_stopped { 1 } else { 0 }),
        "git {} but pq exited {code:?}:\n{}{}",
        if git_stopped { "stopped" } else { "applied everything" },
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Same commits up to HEAD (the last good pick at a stop).
    assert_eq!(r.tree("HEAD"), oracle.tree("HEAD"), "trees at HEAD differ");
    assert_eq!(
        r.git(&["log", "--format=%T %an %s%n%b", &format!("{start}..HEAD")]),
        oracle.git(&["log", "--format=%T %an %s%n%b", &format!("{start}..HEAD")])
    );
    if git_stopped {
        assert_eq!(
            r.git(&["ls-files", "--stage"]),
            oracle.git(&["ls-files", "--stage"]),
            "index stages"
        );
        assert_eq!(
            r.git(&["status", "--porcelain"]),
            oracle.git(&["status", "--porcelain"]),
            "status"
        );
        for line in oracle.git(&["status", "--porcelain"]).lines() {
            let path = line[3..].to_string();
            if oracle.path(&path).is_file() {
                assert_eq!(
                    r.read_string(&path),
                    oracle.read_string(&path),
                    "work-tree content of {path}"
                );
            }
        }
    }
    git_stopped
}

#[test]
fn change_to_a_file_renamed_on_our_side() {
    let r = scenario(
        &[("lib/net/sock.c", body("sock"))],
        |r| {
            r.write("lib/net/sock.c", edit_line(&body("sock"), 3, "sock fixed 3"));
            r.commit("net: fix line 3");
        },
        |r| {
            r.git(&["mv", "lib/net/sock.c", "lib/net/socket.c"]);
            r.write("lib/net/socket.c", edit_line(&body("sock"), 25, "sock local 25"));
            r.commit("net: rename sock.c to socket.c and change line 25");
        },
    );
    assert!(!assert_matches_git(&r));
    assert!(r.read_string("lib/net/socket.c").contains("sock fixed 3\n"));
    assert!(r.read_string("lib/net/socket.c").contains("sock local 25\n"));
    assert!(!r.path("lib/net/sock.c").exists());
}

#[test]
fn change_to_a_file_moved_unchanged_under_another_name() {
    let r = scenario(
        &[("lib/x/alpha.c", body("alpha")), ("lib/x/other.c", body("other"))],
        |r| {
            r.write("lib/x/alpha.c", edit_line(&body("alpha"), 10, "alpha fixed 10"));
            r.commit("x: fix alpha");
        },
        |r| {
            std::fs::create_dir_all(r.path("lib/y")).unwrap();
            r.git(&["mv", "lib/x/alpha.c", "lib/y/beta.c"]);
            r.commit("move alpha.c to lib/y/beta.c");
        },
    );
    assert!(!assert_matches_git(&r));
    assert!(r.read_string("lib/y/beta.c").contains("alpha fixed 10\n"));
}

#[test]
fn change_to_a_file_moved_into_a_new_directory() {
    let r = scenario(
        &[("lib/a/util.c", body("util")), ("lib/a/keep.c", body("keep"))],
        |r| {
            r.write("lib/a/util.c", edit_line(&body("util"), 5, "util fixed 5"));
            r.commit("a: fix util");
            r.write("lib/a/keep.c", edit_line(&body("keep"), 7, "keep fixed 7"));
            r.commit("a: fix keep");
        },
        |r| {
            std::fs::create_dir_all(r.path("lib/core/helpers")).unwrap();
            r.git(&["mv", "lib/a/util.c", "lib/core/helpers/util.c"]);
            r.write("lib/core/helpers/util.c", edit_line(&body("util"), 20, "util local 20"));
            r.commit("move util.c into lib/core/helpers");
        },
    );
    assert!(!assert_matches_git(&r));
    assert!(r.read_string("lib/core/helpers/util.c").contains("util fixed 5\n"));
    assert!(r.read_string("lib/a/keep.c").contains("keep fixed 7\n"));
}

#[test]
fn change_to_a_file_deleted_on_our_side_stops_like_git() {
    let r = scenario(
        &[("lib/old.c", body("old")), ("lib/new.c", body("new"))],
        |r| {
            r.write("lib/old.c", edit_line(&body("old"), 2, "old fixed 2"));
            r.commit("old: fix");
        },
        |r| {
            r.git(&["rm", "-q", "lib/old.c"]);
            r.commit("remove old.c");
        },
    );
    assert!(assert_matches_git(&r));
}

#[test]
fn changes_to_files_in_a_directory_renamed_on_our_side() {
    let r = scenario(
        &[
            ("drivers/foo/a.c", body("a")),
            ("drivers/foo/b.c", body("b")),
            ("drivers/foo/c.c", body("c")),
        ],
        |r| {
            r.write("drivers/foo/a.c", edit_line(&body("a"), 4, "a fixed 4"));
            r.commit("foo: fix a");
            r.write("drivers/foo/b.c", edit_line(&body("b"), 30, "b fixed 30"));
            r.write("drivers/foo/c.c", edit_line(&body("c"), 1, "c fixed 1"));
            r.commit("foo: fix b and c");
        },
        |r| {
            r.git(&["mv", "drivers/foo", "drivers/bar"]);
            r.commit("rename drivers/foo to drivers/bar");
        },
    );
    assert!(!assert_matches_git(&r));
    assert!(r.read_string("drivers/bar/a.c").contains("a fixed 4\n"));
    assert!(r.read_string("drivers/bar/c.c").starts_with("c fixed 1\n"));
    assert!(!r.path("drivers/foo").exists());
}

#[test]
fn a_file_added_to_a_directory_deleted_on_our_side() {
    let r = scenario(
        &[
            ("docs/old/a.md", body("a")),
            ("docs/old/b.md", body("b")),
            ("lib/x.c", body("x")),
        ],
        |r| {
            r.write("docs/old/c.md", body("c"));
            r.write("docs/old/deeper/d.md", body("d"));
            r.write("lib/x.c", edit_line(&body("x"), 12, "x fixed 12"));
            r.commit("docs: add c.md and d.md, fix x");
        },
        |r| {
            r.git(&["rm", "-q", "-r", "docs/old"]);
            r.commit("drop docs/old");
        },
    );
    assert!(!assert_matches_git(&r));
    assert_eq!(r.read_string("docs/old/c.md"), body("c"));
    assert_eq!(r.read_string("docs/old/deeper/d.md"), body("d"));
    assert!(!r.path("docs/old/a.md").exists());
    assert!(r.read_string("lib/x.c").contains("x fixed 12\n"));
}

#[test]
fn a_file_added_to_a_directory_our_side_replaced_with_a_file() {
    let r = scenario(
        &[("tools/gen/a.py", body("a"))],
        |r| {
            r.write("tools/gen/b.py", body("b"));
            r.commit("gen: add b.py");
        },
        |r| {
            r.git(&["rm", "-q", "-r", "tools/gen"]);
            r.write("tools/gen", "a script now\n");
            r.commit("tools/gen becomes a script");
        },
    );
    assert_matches_git(&r);
}

/// Our side moved `drivers/foo` to `drivers/bar` (seen from a backport: upstream moved `drivers/bar` to
/// `drivers/foo` after our base); the picks add files under `drivers/foo`.
fn directory_moved_on_our_side() -> TestRepo {
    scenario(
        &[
            ("drivers/foo/a.c", body("a")),
            ("drivers/foo/b.c", body("b")),
            ("drivers/foo/sub/c.c", body("c")),
            ("lib/x.c", body("x")),
        ],
        |r| {
            r.write("drivers/foo/new.c", body("new"));
            r.write("drivers/foo/sub/deep.c", body("deep"));
            r.write("lib/x.c", edit_line(&body("x"), 3, "x fixed 3"));
            r.commit("foo: add new.c and sub/deep.c, fix x");
            r.write("drivers/foo/a.c", edit_line(&body("a"), 9, "a fixed 9"));
            r.commit("foo: fix a");
        },
        |r| {
            r.git(&["mv", "drivers/foo", "drivers/bar"]);
            r.write("drivers/bar/b.c", edit_line(&body("b"), 30, "b local 30"));
            r.commit("rename drivers/foo to drivers/bar");
        },
    )
}

#[test]
fn a_file_added_to_a_directory_renamed_on_our_side_stops_where_the_directory_went() {
    let r = directory_moved_on_our_side();
    assert!(assert_matches_git(&r), "git reports CONFLICT (file location)");
    let stages = r.git(&["ls-files", "--stage", "drivers"]);
    assert!(stages.contains(" 3\tdrivers/bar/new.c\n"), "{stages}");
    assert!(
        stages.lines().any(|l| l.ends_with(" 3\tdrivers/bar/sub/deep.c")),
        "{stages}"
    );
    assert!(!r.path("drivers/foo").exists());
    assert_eq!(r.read_string("drivers/bar/new.c"), body("new"));
    // Resolved with plain git, the backport goes on.
    r.git(&["add", "drivers/bar"]);
    r.pq_ok(&["continue"]);
    assert!(r.read_string("drivers/bar/a.c").contains("a fixed 9\n"));
}

#[test]
fn a_directory_rename_moves_the_file_silently_when_configured() {
    let r = directory_moved_on_our_side();
    assert!(!assert_matches_git_with(&r, &[("merge.directoryRenames", "true")]));
    assert_eq!(r.read_string("drivers/bar/sub/deep.c"), body("deep"));
    assert!(!r.path("drivers/foo").exists());
}

#[test]
fn directory_renames_can_be_turned_off() {
    let r = directory_moved_on_our_side();
    assert!(!assert_matches_git_with(&r, &[("merge.directoryRenames", "false")]));
    assert_eq!(r.read_string("drivers/foo/new.c"), body("new"));
}

#[test]
fn a_directory_split_between_two_destinations_moves_nothing() {
    let r = scenario(
        &[("net/old/a.c", body("a")), ("net/old/b.c", body("b"))],
        |r| {
            r.write("net/old/n.c", body("n"));
            r.commit("old: add n.c");
        },
        |r| {
            std::fs::create_dir_all(r.path("net/one")).unwrap();
            std::fs::create_dir_all(r.path("net/two")).unwrap();
            r.git(&["mv", "net/old/a.c", "net/one/a.c"]);
            r.git(&["mv", "net/old/b.c", "net/two/b.c"]);
            r.commit("split net/old");
        },
    );
    assert_matches_git(&r);
}
