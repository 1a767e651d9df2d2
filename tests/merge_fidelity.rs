//! pq's content merge against git's merge-ort (`git merge-tree --write-tree --merge-base`): the same verdict
//! (clean or conflicted) and the same bytes, conflict markers included.

mod common;

use common::*;
use pq::engine::pick::{pick, Labels, PickOutcome};
use pq::git::{Entry, Oid, Repo};

const FILE: &str = "lib/f.c";

/// A three-way content merge done both ways.
struct Merged {
    clean: bool,
    content: Vec<u8>,
}

fn tree_with(repo: &Repo, content: &[u8]) -> Oid {
    let id = repo.write_blob(content).unwrap();
    let empty = Oid::empty_tree(gix::hash::Kind::Sha1);
    repo.edit_tree(empty, &[(FILE.into(), Some(Entry { mode: 0o100644, id }))])
        .unwrap()
}

/// pq's pick of `base → theirs` onto `ours`: the engine's own path (reduced merge through gix).
fn pq_merge(r: &TestRepo, base: &[u8], ours: &[u8], theirs: &[u8]) -> (Merged, [Oid; 3]) {
    let repo = Repo::discover(&r.dir).unwrap();
    let trees = [tree_with(&repo, base), tree_with(&repo, ours), tree_with(&repo, theirs)];
    let labels = Labels {
        base: "base".into(),
        ours: "ours".into(),
        theirs: "theirs".into(),
    };
    let (clean, tree) = match pick(&repo, trees[1], trees[0], trees[2], &labels).unwrap() {
        PickOutcome::Clean { tree } => (true, tree),
        PickOutcome::Conflict { tree, .. } => (false, tree),
    };
    let entry = repo.entry_at(tree, FILE.as_bytes()).unwrap();
    let content = entry.map(|e| repo.blob(e.id).unwrap()).unwrap_or_default();
    (Merged { clean, content }, trees)
}

/// git's merge of the same trees: branches named like pq's labels so the markers read the same.
fn git_merge(r: &TestRepo, trees: [Oid; 3]) -> Merged {
    let commit = |t: &Oid| r.git(&["commit-tree", &t.to_string(), "-m", "m"]);
    let (b, o, t) = (commit(&trees[0]), commit(&trees[1]), commit(&trees[2]));
    r.git(&["branch", "-f", "ours", &o]);
    r.git(&["branch", "-f", "theirs", &t]);
    let out = r.git_out(&["merge-tree", "--write-tree", "--merge-base", &b, "ours", "theirs"]);
    let code = out.status.code().unwrap();
    assert!(
        code == 0 || code == 1,
        "git merge-tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let tree = stdout.lines().next().unwrap().to_string();
    let blob = r.git_out(&["cat-file", "blob", &format!("{tree}:{FILE}")]);
    Merged {
        clean: code == 0,
        content: if blob.status.success() { blob.stdout } else { Vec::new() },
    }
}

fn repo() -> TestRepo {
    let r = TestRepo::new();
    r.write("README", "merge fidelity\n");
    r.commit("start");
    r
}

fn assert_same_merge(r: &TestRepo, base: &[u8], ours: &[u8], theirs: &[u8]) -> bool {
    let (pq, trees) = pq_merge(r, base, ours, theirs);
    let git = git_merge(r, trees);
    assert_eq!(
        pq.clean, git.clean,
        "verdict differs (pq clean: {}, git clean: {})",
        pq.clean, git.clean
    );
    assert_eq!(
        String::from_utf8_lossy(&pq.content),
        String::from_utf8_lossy(&git.content),
        "merged content differs"
    );
    assert_eq!(pq.content, git.content);
    pq.clean
}

/// One side reworked the file heavily (102 lines down to 65), the other added one line. Myers' diff pairs the
/// rework's repeated lines (`}`, blank lines) across the other side's change and conflicts; histogram, git's
/// choice for merges, anchors on unique lines and merges cleanly. The same shape as curl's wolfssl.c pick
/// that git applies and a Myers-based merge stops on.
#[test]
fn reworked_side_and_small_change_merge_cleanly_like_git() {
    let r = repo();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/reworked");
    let read = |n: &str| std::fs::read(data.join(n)).unwrap();
    let (base, ours, theirs) = (read("base.c"), read("ours.c"), read("theirs.c"));
    // The case is only worth pinning while Myers conflicts on it.
    let dir = r.scratch.path().join("mf");
    std::fs::create_dir_all(&dir).unwrap();
    for (n, c) in [("base", &base), ("ours", &ours), ("theirs", &theirs)] {
        std::fs::write(dir.join(n), c).unwrap();
    }
    let myers = git_out_in(
        r.home(),
        &dir,
        &["merge-file", "-p", "--diff-algorithm=myers", "ours", "base", "theirs"],
        NOW,
    );
    assert_eq!(
        myers.status.code(),
        Some(1),
        "git merge-file with Myers must conflict here"
    );
    assert!(
        assert_same_merge(&r, &base, &ours, &theirs),
        "git merges this cleanly, so must pq"
    );
    let (pq, _) = pq_merge(&r, &base, &ours, &theirs);
    assert!(String::from_utf8_lossy(&pq.content).contains("c->patched = 1;"));
}
