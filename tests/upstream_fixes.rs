//! `pq fixes`: upstream follow-ups of what the branch ships, against an oracle computed with git (`git log
//! --grep`, `git rev-parse` of each abbreviation, `git merge-base --is-ancestor`), on a small repository
//! made here and on the real xfsprogs history.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;

/// One `Fixes:` line as the oracle reads it: the token after `Fixes:` (and an optional `commit`), when it
/// is 8 to 40 hex digits, and the text after it reduced to the quoted subject.
fn oracle_trailers(message: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for line in message.lines() {
        let l = line.trim_start();
        if l.len() < 6 || !l[..6].eq_ignore_ascii_case("fixes:") {
            continue;
        }
        let mut rest = l[6..].trim_start();
        if rest.len() > 7 && rest[..7].eq_ignore_ascii_case("commit ") {
            rest = rest[7..].trim_start();
        }
        let hex: String = rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        let after = &rest[hex.len()..];
        if hex.len() < 8 || hex.len() > 40 || after.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let mut subject = after.trim();
        if let Some(s) = subject.strip_prefix('(') {
            subject = s.rfind(')').map(|i| &s[..i]).unwrap_or(s);
        }
        let subject = subject.trim();
        let subject = [
            ('"', '"'),
            ('\u{201C}', '\u{201D}'),
            ('\'', '\''),
            ('\u{2018}', '\u{2019}'),
        ]
        .iter()
        .find_map(|(o, c)| subject.strip_prefix(*o).map(|s| s.strip_suffix(*c).unwrap_or(s)))
        .unwrap_or(subject)
        .trim()
        .to_string();
        let t = (hex.to_ascii_lowercase(), (!subject.is_empty()).then_some(subject));
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

fn subject_matches(quoted: &str, subject: &str) -> bool {
    match quoted.strip_suffix("...") {
        Some(head) => !head.trim_end().is_empty() && subject.trim().starts_with(head.trim_end()),
        None => quoted == subject.trim(),
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Expected {
    commit: String,
    fixes: Vec<String>,
    carried_patch: Option<String>,
    in_base: bool,
}

/// What `pq fixes --upstream UPSTREAM` must report, computed with git alone.
fn oracle(r: &TestRepo, base: &str, upstream: &str) -> Vec<Expected> {
    // What the branch carries: upstream id → branch commit, from the provenance lines of base..HEAD.
    let mut carried: BTreeMap<String, String> = BTreeMap::new();
    let mut carried_subjects: Vec<(String, String)> = Vec::new();
    for c in chain(r, &format!("{base}..HEAD")) {
        carried.insert(c.clone(), c.clone());
        let body = r.git(&["log", "-1", "--format=%B", &c]);
        let mut origin = None;
        for line in body.lines() {
            let l = line.trim();
            for (pre, post) in [("(cherry picked from commit ", ")"), ("Source kernel commit: ", "")] {
                if let Some(id) = l.strip_prefix(pre).and_then(|s| s.strip_suffix(post)) {
                    carried.insert(id.to_string(), c.clone());
                    origin.get_or_insert(id.to_string());
                }
            }
        }
        carried_subjects.push((r.git(&["log", "-1", "--format=%s", &c]), origin.unwrap_or(c.clone())));
    }
    for (id, _) in carried.clone() {
        let s = r.git_out(&["log", "-1", "--format=%s", &id]);
        if s.status.success() {
            carried_subjects.push((String::from_utf8_lossy(&s.stdout).trim().to_string(), id));
        }
    }
    // Patch-ids of the branch's commits, for "carried under another id".
    let pid = |range: &[&str]| -> BTreeSet<String> {
        let mut args = vec!["log", "-p", "--no-merges", "--format=commit %H"];
        args.extend_from_slice(range);
        let patches = r.git_out(&args).stdout;
        let mut cmd = std::process::Command::new("git");
        cmd.args(["patch-id", "--stable"]).current_dir(r.path("."));
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&patches).unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split_whitespace().next().unwrap().to_string())
            .collect()
    };
    let branch_pids = pid(&[&format!("{base}..HEAD")]);
    let base_subjects: Vec<(String, String)> = r
        .git(&["log", "--format=%H %s", base])
        .lines()
        .map(|l| {
            let (h, s) = l.split_once(' ').unwrap_or((l, ""));
            (h.to_string(), s.trim().to_string())
        })
        .collect();
    let in_base = |id: &str| r.git_ok(&["merge-base", "--is-ancestor", id, base]);
    let listed = r.git(&[
        "log",
        "--reverse",
        "--no-merges",
        "--format=%H",
        "-i",
        "--grep=^[[:space:]]*fixes:",
        &format!("{base}..{upstream}"),
    ]);
    let mut out = Vec::new();
    for commit in listed.lines() {
        let message = r.git(&["log", "-1", "--format=%B", commit]);
        let mut targets: BTreeSet<String> = BTreeSet::new();
        for (hex, subject) in oracle_trailers(&message) {
            let mut found: Vec<String> = carried.keys().filter(|k| k.starts_with(&hex)).cloned().collect();
            let parsed = r.git_out(&["rev-parse", "-q", "--verify", &format!("{hex}^{{commit}}")]);
            let mut resolved = false;
            if parsed.status.success() {
                resolved = true;
                let id = String::from_utf8_lossy(&parsed.stdout).trim().to_string();
                if carried.contains_key(&id) || in_base(&id) {
                    found.push(id);
                }
            } else if let Some(s) = &subject {
                // Ambiguous: every commit with the prefix whose subject matches.
                let all = r.git_out(&["rev-parse", &format!("--disambiguate={hex}")]);
                for id in String::from_utf8_lossy(&all.stdout).lines() {
                    if r.git(&["cat-file", "-t", id]) == "commit"
                        && subject_matches(s, &r.git(&["log", "-1", "--format=%s", id]))
                        && (carried.contains_key(id) || in_base(id))
                    {
                        found.push(id.to_string());
                    }
                }
            }
            if found.is_empty() && !resolved {
                if let Some(s) = &subject {
                    found = carried_subjects
                        .iter()
                        .filter(|(cs, _)| subject_matches(s, cs))
                        .map(|(_, id)| id.clone())
                        .collect();
                    if found.is_empty() {
                        found = base_subjects
                            .iter()
                            .filter(|(_, bs)| subject_matches(s, bs))
                            .map(|(id, _)| id.clone())
                            .collect();
                    }
                }
            }
            targets.extend(found);
        }
        if targets.is_empty() {
            continue;
        }
        let own = message.lines().find_map(|l| {
            let l = l.trim();
            l.strip_prefix("Source kernel commit: ")
                .or_else(|| {
                    l.strip_prefix("(cherry picked from commit ")
                        .and_then(|s| s.strip_suffix(')'))
                })
                .map(str::to_string)
        });
        if carried.contains_key(commit) || own.is_some_and(|o| carried.contains_key(&o)) {
            continue;
        }
        if pid(&["-1", commit]).iter().any(|p| branch_pids.contains(p)) {
            continue;
        }
        let carried_patch = targets.iter().find_map(|t| carried.get(t).cloned());
        let in_base = targets.iter().any(|t| !carried.contains_key(t) && in_base(t));
        out.push(Expected {
            commit: commit.to_string(),
            fixes: targets.into_iter().collect(),
            carried_patch,
            in_base,
        });
    }
    out
}

fn reported(v: &serde_json::Value) -> Vec<Expected> {
    v["fixes"]
        .as_array()
        .expect("a fixes array")
        .iter()
        .map(|f| Expected {
            commit: f["commit"].as_str().unwrap().to_string(),
            fixes: f["fixes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect(),
            carried_patch: f["carried_patch"].as_str().map(str::to_string),
            in_base: f["in_base"].as_bool().unwrap(),
        })
        .collect()
}

/// A base with two bugs, an upstream that fixes them (one fix by a short id, one by a wrong id and the
/// right subject), fixes a feature the branch carries, and fixes something the branch does not ship.
fn small() -> (TestRepo, BTreeMap<&'static str, String>) {
    let r = TestRepo::new();
    let mut ids = BTreeMap::new();
    r.write("a.c", "a1\na2\na3\n");
    r.write("b.c", "b1\nb2\nb3\n");
    r.commit("init");
    r.write("a.c", "a1\nA2 bug\na3\n");
    ids.insert("bug_a", r.commit("a: add the bug"));
    r.write("b.c", "b1\nb2\nB3 bug\n");
    ids.insert("bug_b", r.commit("b: add another bug"));
    r.git(&["tag", "v1.0"]);
    r.write("c.c", "feature\n");
    ids.insert("feature", r.commit("c: new feature"));
    r.write("d.c", "unrelated\n");
    ids.insert("unshipped", r.commit("d: something the branch lacks"));
    let short_a = r.git(&["rev-parse", "--short=8", &ids["bug_a"]]);
    r.write("a.c", "a1\nA2 fixed\na3\n");
    ids.insert(
        "fix_a",
        r.commit(&format!("a: fix it\n\nFixes: {short_a} (\"a: add the bug\")\n")),
    );
    r.write("b.c", "b1\nb2\nB3 fixed\n");
    ids.insert(
        "fix_b",
        r.commit("b: fix it\n\nFixes: 0123456789ab (\"b: add another bug\")\n"),
    );
    let feature = ids["feature"].clone();
    r.write("c.c", "feature fixed\n");
    ids.insert(
        "fix_feature",
        r.commit(&format!(
            "c: fix the feature\n\nFixes: {} (\"c: new feature\")\n",
            &feature[..12]
        )),
    );
    let unshipped = ids["unshipped"].clone();
    r.write("d.c", "unrelated fixed\n");
    ids.insert(
        "fix_unshipped",
        r.commit(&format!("d: fix\n\nFixes: {} (\"d: something\")\n", &unshipped[..12])),
    );
    r.git(&["tag", "v1.1"]);
    r.git(&["checkout", "-q", "-b", "stable", "v1.0"]);
    r.pq_ok(&["init", "--base", "v1.0"]);
    r.pq_ok(&["backport", &feature, "--series", "features"]);
    (r, ids)
}

#[test]
fn small_fixes_match_the_oracle_and_apply_into_the_right_series() {
    let (r, ids) = small();
    let v = r.pq_json(&["fixes", "--upstream", "v1.1"], 0);
    let got = reported(&v);
    assert_eq!(got, oracle(&r, "v1.0", "v1.1"));
    let commits: Vec<&str> = got.iter().map(|f| f.commit.as_str()).collect();
    assert_eq!(commits, [&ids["fix_a"], &ids["fix_b"], &ids["fix_feature"]]);
    assert!(got[0].in_base && got[0].carried_patch.is_none());
    assert_eq!(
        got[1].fixes,
        [ids["bug_b"].clone()],
        "the wrong id falls back to the subject"
    );
    let carried = r.rev("HEAD");
    assert_eq!(got[2].carried_patch.as_deref(), Some(carried.as_str()));
    assert_eq!(got[2].fixes, [ids["feature"].clone()]);

    let text = r.pq_ok(&["fixes", "--upstream", "v1.1"]);
    assert!(text.contains("3 follow-up fix(es)"), "{text}");

    {
        let _guard = json_settings(&r).bind_to_scope();
        let out = r.pq_ok(&["fixes", "--upstream", "v1.1", "--format", "json"]);
        insta::assert_snapshot!("fixes_json", out);
        let out = r.pq_ok(&["fixes", "--upstream", "v1.1", "--apply", "--format", "json"]);
        insta::assert_snapshot!("fixes_apply_json", out);
    }
    let series = r.pq_json(&["series"], 0)["series"].take();
    let names: Vec<(String, usize)> = series
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["patches"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert!(names.contains(&("features".to_string(), 2)), "{names:?}");
    assert!(names.contains(&("fixes".to_string(), 2)), "{names:?}");
    assert_eq!(r.read_string("a.c"), "a1\nA2 fixed\na3\n");
    assert_eq!(r.read_string("c.c"), "feature fixed\n");
    // Everything is carried now: nothing left, and running again changes nothing.
    let head = r.rev("HEAD");
    let v = r.pq_json(&["fixes", "--upstream", "v1.1"], 0);
    assert_eq!(v["fixes"].as_array().unwrap().len(), 0);
    assert_eq!(oracle(&r, "v1.0", "v1.1"), Vec::new());
    r.pq_ok(&["fixes", "--upstream", "v1.1", "--apply"]);
    assert_eq!(r.rev("HEAD"), head);
    r.fsck();
}

#[test]
fn a_skipped_fix_is_remembered_as_declined_and_retry_lists_it_again() {
    let (r, ids) = small();
    // The branch reworked the line fix_a changes: that fix conflicts and the user skips it.
    r.write("a.c", "a1\nA2 reworked here\na3\n");
    r.commit("a: local rework");
    r.pq_ok(&["adopt"]);
    let out = r.pq(&["fixes", "--upstream", "v1.1", "--apply"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    r.pq_ok(&["skip"]);
    r.pq_ok(&["fixes", "--upstream", "v1.1", "--apply"]);
    let fix_a = ids["fix_a"].as_str();

    // Listed as declined, with the reason, and not as a fix to take.
    let v = r.pq_json(&["fixes", "--upstream", "v1.1"], 0);
    assert_eq!(v["fixes"].as_array().unwrap().len(), 0, "{v}");
    let declined = v["declined"].as_array().unwrap();
    assert_eq!(declined.len(), 1, "{v}");
    assert_eq!(declined[0]["commit"], fix_a);
    assert!(declined[0]["reason"].as_str().unwrap().contains("skip"), "{v}");
    let text = r.pq_ok(&["fixes", "--upstream", "v1.1"]);
    assert!(text.contains("declined by an earlier run"), "{text}");
    assert!(text.contains("--retry picks it again"), "{text}");

    // Applying again changes nothing.
    let before = r.snapshot();
    r.pq_ok(&["fixes", "--upstream", "v1.1", "--apply"]);
    assert_same(&before, &r.snapshot(), "fixes --apply after a declined fix");

    // --retry lists it as a fix again and tries it again (it still conflicts).
    let v = r.pq_json(&["fixes", "--upstream", "v1.1", "--retry"], 0);
    let fixes: Vec<&str> = v["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["commit"].as_str().unwrap())
        .collect();
    assert_eq!(fixes, [fix_a], "{v}");
    assert_eq!(v["declined"].as_array().unwrap().len(), 0, "{v}");
    let v = r.pq_json(&["fixes", "--upstream", "v1.1", "--apply", "--retry"], 1);
    assert_eq!(v["stopped"]["commit"], fix_a, "{v}");
    // The stop names its prerequisites like any backport stop: none here, the line came with the base.
    assert_eq!(v["stopped"]["prerequisites"], serde_json::json!([]), "{v}");
    r.pq_ok(&["abort"]);
    // The abort is logged as an event; everything else is as it was.
    assert_same(
        &without_oplog(before),
        &without_oplog(r.snapshot()),
        "abort of the retried fix",
    );
}

#[test]
fn fixes_without_an_upstream_is_refused() {
    let (r, _) = small();
    let out = r.pq(&["fixes"]);
    let stderr = assert_refused(&out);
    assert!(stderr.contains("--upstream"), "{stderr}");
}

#[test]
fn xfsprogs_fixes_match_the_oracle() {
    let r = xfsprogs_stable_6_1();
    // Carry part of the libxfs sync (41 clean picks, 19 conflicts skipped).
    let stops = run_skipping(&r, &["backport", "v6.3.0..v6.5.0", "libxfs"]);
    assert_eq!(stops.len(), 19);

    let v = r.pq_json(&["fixes", "--upstream", "v6.5.0"], 0);
    let got = reported(&v);
    let want = oracle(&r, "v6.1.0", "v6.5.0");
    eprintln!(
        "xfsprogs v6.1.0..v6.5.0: {} follow-ups ({} of carried patches, {} of base commits)",
        got.len(),
        got.iter().filter(|f| f.carried_patch.is_some()).count(),
        got.iter().filter(|f| f.in_base).count()
    );
    assert_eq!(got, want);
    assert!(got.iter().any(|f| f.in_base), "the range fixes bugs of v6.1.0");
}
