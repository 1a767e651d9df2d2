//! The prerequisites pq names at a stop against `git blame` as the oracle: the commits `git blame` on the
//! upstream parent shows for the lines of the conflicting hunks (with git's three lines of context),
//! restricted to commits the base lacks, not carried on the branch (by provenance or patch-id), oldest
//! first (`git rev-list --reverse` order). On a synthetic repository and on the real xfsprogs history.

mod common;

use std::collections::{HashMap, HashSet};
use std::process::Command;

use common::*;

/// `sh -c SCRIPT` in the repository, stdout.
fn sh(r: &TestRepo, script: &str) -> String {
    let mut cmd = Command::new("sh");
    cmd.current_dir(r.path("")).args(["-c", script]);
    hermetic(&mut cmd, r.home(), "2024-01-01T00:00:00Z");
    let out = cmd.output().expect("sh");
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `-L a,+b` ranges (with context) of `git diff PARENT COMMIT -- PATH`'s hunks on the old side.
fn hunk_lines(r: &TestRepo, parent: &str, commit: &str, path: &str) -> Vec<(u32, u32)> {
    let diff = r.git(&["diff", "--no-color", "-U3", parent, commit, "--", path]);
    let mut out = Vec::new();
    for l in diff.lines().filter(|l| l.starts_with("@@ -")) {
        let old = l[4..].split(' ').next().unwrap();
        let (start, len) = match old.split_once(',') {
            Some((s, n)) => (s.parse().unwrap(), n.parse().unwrap()),
            None => (old.parse().unwrap(), 1),
        };
        if len > 0 {
            out.push((start, len));
        }
    }
    out
}

/// The oracle: what pq must name at a stop on `commit` (conflicting in `paths`) for a branch on `base`
/// whose tip is HEAD.
fn blame_oracle(r: &TestRepo, base: &str, commit: &str, paths: &[String]) -> Vec<String> {
    let parent = r.rev(&format!("{commit}^"));
    let mut blamed: HashSet<String> = HashSet::new();
    for path in paths {
        let exists = r.git_ok(&["cat-file", "-e", &format!("{parent}:{path}")]);
        if !exists {
            continue;
        }
        let ranges = hunk_lines(r, &parent, commit, path);
        if ranges.is_empty() {
            continue;
        }
        let mut args = vec!["blame".to_string(), "--porcelain".to_string()];
        for (s, n) in ranges {
            args.push("-L".into());
            args.push(format!("{s},+{n}"));
        }
        args.extend([parent.clone(), "--".into(), path.clone()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        for l in r.git(&args).lines() {
            let first = l.split(' ').next().unwrap();
            if first.len() == 40 && first.bytes().all(|b| b.is_ascii_hexdigit()) {
                blamed.insert(first.to_string());
            }
        }
    }
    // Carried on the branch: by `(cherry picked from commit X)` or by patch-id.
    let messages = r.git(&["log", "--format=%B", &format!("{base}..HEAD")]);
    let picked: HashSet<String> = messages
        .lines()
        .filter_map(|l| l.strip_prefix("(cherry picked from commit "))
        .map(|l| l.trim_end_matches(')').to_string())
        .collect();
    let branch_pids: HashSet<String> = sh(r, &format!("git log -p {base}..HEAD | git patch-id --stable"))
        .lines()
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect();
    let order: HashMap<String, usize> = chain(r, &format!("{base}..{parent}"))
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c, i))
        .collect();
    let mut out: Vec<String> = blamed
        .into_iter()
        .filter(|c| c != commit && order.contains_key(c))
        .filter(|c| !picked.contains(c))
        .filter(|c| {
            let pid = sh(r, &format!("git show {c} | git patch-id --stable"));
            !branch_pids.contains(pid.split(' ').next().unwrap_or(""))
        })
        .collect();
    out.sort_by_key(|c| order[c]);
    out
}

fn named(v: &serde_json::Value) -> Vec<String> {
    v["stopped"]["prerequisites"]
        .as_array()
        .unwrap_or_else(|| panic!("no prerequisites in {v}"))
        .iter()
        .map(|p| p["commit"].as_str().unwrap().to_string())
        .collect()
}

fn conflicts(v: &serde_json::Value) -> Vec<String> {
    v["stopped"]["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
}

/// base ─ u1 (line 7, picked first: carried) ─ u2 (line 10) ─ u3 (line 11) ─ u4 (line 30: outside the
/// hunk's context) ─ u5 (line 15, the same change as a local patch: carried by patch-id) ─ pick (lines 10-12, so
/// lines 7-15 with context).
#[test]
fn prerequisites_are_what_git_blame_shows_on_the_upstream_parent() {
    let r = TestRepo::new();
    let lines: Vec<String> = (1..=40).map(|i| format!("line {i}")).collect();
    let write = |edits: &[(usize, &str)], r: &TestRepo| {
        let mut l = std::fs::read_to_string(r.path("f.c")).unwrap_or_else(|_| lines.join("\n") + "\n");
        let mut v: Vec<String> = l.lines().map(str::to_string).collect();
        for (i, s) in edits {
            v[*i - 1] = s.to_string();
        }
        l = v.join("\n") + "\n";
        r.write("f.c", l);
    };
    write(&[], &r);
    r.commit("base");
    r.git(&["tag", "base"]);
    write(&[(8, "line 8 in base")], &r);
    r.commit("in base: line 8");
    r.git(&["tag", "v1"]);
    write(&[(7, "line 7 u1")], &r);
    let u1 = r.commit("u1: line 7");
    write(&[(10, "line 10 u2")], &r);
    let u2 = r.commit("u2: line 10");
    write(&[(11, "line 11 u3")], &r);
    let u3 = r.commit("u3: line 11");
    write(&[(30, "line 30 u4")], &r);
    r.commit("u4: line 30");
    write(&[(15, "line 15 u5")], &r);
    let u5 = r.commit("u5: line 15");
    write(&[(10, "line 10 pick"), (11, "line 11 pick"), (12, "line 12 pick")], &r);
    let pick = r.commit("pick: lines 10 to 12");

    r.git(&["checkout", "-q", "-b", "stable", "v1"]);
    r.pq_ok(&["init", "--base", "v1"]);
    r.pq_ok(&["backport", &u1]);
    // u5's change, made by hand: the same patch-id (its context is the same on both sides).
    write(&[(15, "line 15 u5")], &r);
    r.commit("local: line 15");
    r.pq_ok(&["adopt"]);

    let v = r.pq_json(&["backport", &pick, "--format", "json"], 1);
    let ours = named(&v);
    assert_eq!(ours, [u2.clone(), u3.clone()], "{v}");
    assert_eq!(ours, blame_oracle(&r, "v1", &pick, &conflicts(&v)));
    assert!(!ours.contains(&u5) && !ours.contains(&u1));
    // Text output lists them under the stop.
    r.pq_ok(&["abort"]);
    let out = r.pq(&["backport", &pick]);
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains(&format!("upstream commits the branch lacks that last changed these lines (oldest first):\n  {} u2: line 10\n  {} u3: line 11\n", &u2[..12], &u3[..12])),
        "{stderr}"
    );
    r.pq_ok(&["abort"]);

    // --with-prereqs picks them first, and the pick then applies.
    let v = r.pq_json(&["backport", "--with-prereqs", &pick], 0);
    let added: Vec<&str> = v["prerequisites_added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["commit"].as_str().unwrap())
        .collect();
    assert_eq!(added, [u2.as_str(), u3.as_str()]);
}

/// A rebase that stops on a backported patch names the upstream commits its origin depends on, and so
/// does a stop reached by `pq continue`.
#[test]
fn prerequisites_at_rebase_and_continue_stops() {
    let r = TestRepo::new();
    r.write("a.c", "a1\na2\na3\na4\na5\na6\na7\na8\n");
    r.write("b.c", "b1\nb2\nb3\nb4\nb5\nb6\nb7\nb8\n");
    r.commit("base");
    r.git(&["tag", "v1.0.1"]);
    r.write("a.c", "a1\na2\nA3 stable\na4\na5\na6\na7\na8\n");
    r.write("b.c", "b1\nb2\nB3 stable\nb4\nb5\nb6\nb7\nb8\n");
    r.commit("stable: a3 and b3");
    r.git(&["tag", "v1.0.2"]);
    // Mainline, off the base: u1 changes a4 and b4; the fixes build on it.
    r.git(&["checkout", "-q", "-b", "mainline", "v1.0.1"]);
    r.write("a.c", "a1\na2\na3\na4 u1\na5\na6\na7\na8\n");
    r.write("b.c", "b1\nb2\nb3\nb4 u1\nb5\nb6\nb7\nb8\n");
    let u1 = r.commit("u1: a4 and b4");
    r.write("a.c", "a1\na2\na3 fix\na4 u1 fix\na5\na6\na7\na8\n");
    let fa = r.commit("fix a");
    r.write("b.c", "b1\nb2\nb3 fix\nb4 u1 fix\nb5\nb6\nb7\nb8\n");
    let fb = r.commit("fix b");
    // The branch carries only the fixes (their u1 context resolved by hand), so the rebase onto v1.0.2
    // conflicts on each, and each names u1.
    r.git(&["checkout", "-q", "-b", "work", "v1.0.1"]);
    r.pq_ok(&["init", "--base", "v1.0.1"]);
    for (f, c) in [("a.c", &fa), ("b.c", &fb)] {
        let out = r.pq(&["backport", c]);
        assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
        let fixed = r.git(&["show", &format!("{c}:{f}")]);
        r.write(f, fixed.replace(" u1 fix", " fix") + "\n");
        r.git(&["add", f]);
        r.pq_ok(&["continue"]);
    }
    let v = r.pq_json(&["rebase", "v1.0.2"], 1);
    assert_eq!(named(&v), [u1.as_str()], "{v}");
    assert_eq!(v["stopped"]["commit"].as_str().unwrap(), r.rev("work~1"));
    r.write("a.c", "a1\na2\nA3 stable fix\na4 fix\na5\na6\na7\na8\n");
    r.git(&["add", "a.c"]);
    let v = r.pq_json(&["continue"], 1);
    assert_eq!(named(&v), [u1.as_str()], "{v}");
    assert_eq!(v["stopped"]["conflicts"], serde_json::json!(["b.c"]));
    let out = r.pq(&["abort"]);
    assert_eq!(out.status.code(), Some(0));
    // A local patch (no upstream origin) has no upstream parent to blame: nothing named.
    r.git(&["checkout", "-q", "-b", "local", "v1.0.1"]);
    r.pq_ok(&["init", "--base", "v1.0.1"]);
    r.write("b.c", "b1\nb2\nb3 local\nb4\nb5\nb6\nb7\nb8\n");
    r.commit("local: b3");
    r.pq_ok(&["adopt"]);
    let v = r.pq_json(&["rebase", "v1.0.2"], 1);
    assert_eq!(named(&v), Vec::<String>::new(), "{v}");
    assert_eq!(r.rev("mainline"), fb);
}
/// The real xfsprogs history: at each of the 19 stops of `pq backport v6.3.0..v6.5.0 libxfs` onto v6.1.0
/// (reached one after another with `pq skip`), the named prerequisites equal the blame oracle.
#[test]
fn xfsprogs_prerequisites_match_git_blame_at_every_stop() {
    let r = xfsprogs_stable_6_1();
    let mut v = r.pq_json(&["backport", "v6.3.0..v6.5.0", "libxfs"], 1);
    let mut stops = 0;
    let mut named_any = 0;
    loop {
        let commit = v["stopped"]["commit"].as_str().unwrap().to_string();
        let ours = named(&v);
        let oracle = blame_oracle(&r, "v6.1.0", &commit, &conflicts(&v));
        assert_eq!(ours, oracle, "prerequisites at the stop on {commit}");
        stops += 1;
        named_any += usize::from(!ours.is_empty());
        let out = r.pq(&["skip", "--format", "json"]);
        let code = out.status.code();
        v = serde_json::from_slice(&out.stdout).unwrap();
        if code == Some(0) {
            break;
        }
        assert_eq!(code, Some(1), "{v}");
    }
    assert_eq!(stops, 19);
    assert!(named_any > 0, "some stops name prerequisites");
}
