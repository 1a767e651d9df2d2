//! pq's patch-ids are git's: on every commit of a real range (xfsprogs), pq's id equals the one
//! `git patch-id --stable` computes from git's own patch, and a commit git gives no id (empty) has none.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

fn git_patch_ids(r: &TestRepo, range: &str) -> HashMap<String, String> {
    let log = r.git_out(&[
        "log",
        "-p",
        "--no-merges",
        "--no-renames",
        "--full-index",
        "--format=commit %H",
        range,
    ]);
    assert!(log.status.success());
    let mut cmd = Command::new("git");
    hermetic(&mut cmd, r.home(), "1700000000 +0000");
    let mut child = cmd
        .current_dir(r.path(""))
        .args(["patch-id", "--stable"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = log.stdout;
    let writer = std::thread::spawn(move || stdin.write_all(&input).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (pid, commit) = l.split_once(' ').unwrap();
            (commit.to_string(), pid.to_string())
        })
        .collect()
}

#[test]
fn patch_ids_equal_git_patch_id_stable_on_xfsprogs() {
    let r = xfsprogs();
    let range = "v6.0.0..v6.5.0";
    let commits = chain(&r, &format!("--no-merges {range}"));
    assert!(commits.len() > 200, "{}", commits.len());
    let git = git_patch_ids(&r, range);
    let repo = pq::git::Repo::discover(&r.path("")).unwrap();
    let mut cache = pq::engine::patch_id::PatchIds::in_memory();
    let mut differ = Vec::new();
    for c in &commits {
        let id: pq::git::Oid = c.parse().unwrap();
        let ours = pq::engine::patch_id::commit_patch_id(&repo, id)
            .unwrap()
            .map(|p| p.iter().map(|b| format!("{b:02x}")).collect::<String>());
        // The cached path gives the same answer, the second time from the cache.
        let cached = cache.of_commit(&repo, id).unwrap();
        assert_eq!(cache.of_commit(&repo, id).unwrap(), cached);
        assert_eq!(
            cached.map(|p| p.iter().map(|b| format!("{b:02x}")).collect::<String>()),
            ours
        );
        if ours.as_ref() != git.get(c) {
            differ.push(format!("{c}: pq {ours:?} git {:?}", git.get(c)));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} differ:\n{}",
        differ.len(),
        commits.len(),
        differ.join("\n")
    );
}
