//! Checks the kernel fixture with the git CLI.

use std::path::{Path, PathBuf};
use std::time::Instant;

use xtask::fixture::{kernel, KernelFixture, KernelOptions, PickOutcome};
use xtask::git;

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("xtask-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn small(name: &str) -> (Scratch, KernelFixture) {
    let s = Scratch::new(name);
    let fx = kernel(&s.0, &KernelOptions::small()).expect("generate small fixture");
    (s, fx)
}

fn g(dir: &Path, args: &[&str]) -> String {
    git::output(dir, args).unwrap_or_else(|e| panic!("{e}"))
}

fn ok(dir: &Path, args: &[&str]) -> bool {
    git::run(dir, args).expect("run git").status.success()
}

/// Cherry-picks `sha` onto HEAD like pq's tests would observe it.
fn pick(dir: &Path, sha: &str) -> PickOutcome {
    let is_merge = g(dir, &["rev-list", "--parents", "-n1", sha]).split(' ').count() > 2;
    let before = g(dir, &["rev-parse", "HEAD"]);
    if is_merge {
        assert!(!ok(dir, &["cherry-pick", sha]), "merge picked without -m");
        // With -m 1 it stops as empty: its topic commits were picked before.
        assert!(!ok(dir, &["cherry-pick", "-m", "1", sha]));
        assert_eq!(g(dir, &["diff", "--name-only", "--diff-filter=U"]), "");
        assert!(ok(dir, &["cherry-pick", "--skip"]));
        assert_eq!(g(dir, &["rev-parse", "HEAD"]), before, "merge with -m 1 is empty");
        return PickOutcome::Merge;
    }
    if ok(dir, &["cherry-pick", sha]) {
        return PickOutcome::Clean;
    }
    let unmerged = g(dir, &["diff", "--name-only", "--diff-filter=U"]);
    if !unmerged.is_empty() {
        assert!(ok(dir, &["cherry-pick", "--abort"]));
        return PickOutcome::Conflict;
    }
    // Stopped without conflicts: the pick is empty.
    assert!(ok(dir, &["cherry-pick", "--skip"]));
    assert_eq!(g(dir, &["rev-parse", "HEAD"]), before);
    PickOutcome::Empty
}

fn refs(dir: &Path) -> String {
    g(
        dir,
        &["for-each-ref", "--format=%(refname) %(objectname) %(*objectname)"],
    )
}

#[test]
fn small_is_deterministic_and_well_formed() {
    let t = Instant::now();
    let (a, fa) = small("det-a");
    let elapsed = t.elapsed();
    let (b, fb) = small("det-b");
    assert_eq!(refs(&a.0), refs(&b.0));
    assert_eq!(fa.commits, fb.commits);
    assert_eq!(fa.tags, fb.tags);
    // Every object is reachable and well formed.
    let fsck = git::run(&a.0, &["fsck", "--full", "--strict", "--no-dangling"]).unwrap();
    assert!(fsck.status.success(), "{}", String::from_utf8_lossy(&fsck.stderr));
    assert!(fsck.stdout.is_empty(), "{}", String::from_utf8_lossy(&fsck.stdout));
    // Speed is shown by `cargo xtask bench`, never asserted: a loaded machine would fail a timed test.
    eprintln!("small fixture: {elapsed:?} {:?}", fa.timings);
}

#[test]
fn refs_and_versions() {
    let (s, fx) = small("refs");
    let dir = &s.0;
    for b in [
        "master",
        "linux-6.7.y",
        "linux-6.8.y",
        "fedora-6.7",
        "fedora-6.8",
        "fedora-6.7-stack",
    ] {
        assert!(fx.branches.contains_key(b), "branch {b}");
    }
    assert_eq!(fx.branches.len(), 6, "{:?}", fx.branches.keys());
    for (tag, (pl, sl, extra)) in [
        ("v6.7", (7, 0, "")),
        ("v6.8-rc1", (8, 0, " -rc1")),
        ("v6.8", (8, 0, "")),
        ("v6.7.1", (7, 1, "")),
        ("v6.7.2", (7, 2, "")),
        ("v6.8.1", (8, 1, "")),
    ] {
        assert_eq!(g(dir, &["cat-file", "-t", tag]), "tag", "{tag} is annotated");
        let mk = g(dir, &["show", &format!("{tag}:Makefile")]);
        let head: Vec<&str> = mk.lines().take(6).collect();
        assert_eq!(
            head,
            [
                "# SPDX-License-Identifier: GPL-2.0".to_string(),
                "VERSION = 6".into(),
                format!("PATCHLEVEL = {pl}"),
                format!("SUBLEVEL = {sl}"),
                format!("EXTRAVERSION ={extra}"),
                "NAME = Hurr durr I'ma ninja sloth".into(),
            ]
        );
        assert_eq!(fx.tags[tag], g(dir, &["rev-parse", &format!("{tag}^{{commit}}")]));
    }
    assert_eq!(
        g(dir, &["log", "-1", "--format=%an %s", "v6.7"]),
        "Linus Torvalds Linux 6.7"
    );
    assert_eq!(g(dir, &["log", "-1", "--format=%s", "v6.7.1"]), "Linux 6.7.1");
    assert_eq!(g(dir, &["merge-base", "linux-6.7.y", "master"]), fx.tags["v6.7"]);
    assert_eq!(g(dir, &["merge-base", "linux-6.8.y", "master"]), fx.tags["v6.8"]);
    assert_eq!(g(dir, &["merge-base", "fedora-6.7", "linux-6.7.y"]), fx.tags["v6.7.1"]);
    assert_eq!(g(dir, &["merge-base", "fedora-6.8", "linux-6.8.y"]), fx.tags["v6.8.1"]);
    assert_eq!(
        g(dir, &["rev-list", "--count", "v6.7..v6.8"]),
        fx.range_commits.to_string()
    );
    assert_eq!(fx.range_commits, 80);
    // Checked out, clean.
    assert_eq!(g(dir, &["symbolic-ref", "HEAD"]), "refs/heads/fedora-6.7");
    assert_eq!(g(dir, &["status", "--porcelain"]), "");
    assert!(dir.join("redhat/kernel.spec").is_file());
    assert!(dir.join(".git/objects/info/commit-graph").is_file());
    let n: usize = g(dir, &["ls-tree", "-r", "--name-only", "v6.7"]).lines().count();
    assert_eq!(n, fx.files);
    assert!((350..=450).contains(&n), "{n} files");
}

#[test]
fn zstd_series_and_pick_pattern() {
    let (s, fx) = small("picks");
    let dir = &s.0;
    let listed: Vec<String> = g(dir, &["rev-list", "--reverse", "v6.7..v6.8", "--", "lib/zstd"])
        .lines()
        .map(str::to_string)
        .collect();
    let expected: Vec<String> = fx.zstd_series.iter().map(|e| e.sha.clone()).collect();
    assert_eq!(listed, expected);
    assert!((10..=16).contains(&listed.len()));
    // The commits that cause the conflicts are not in the selection.
    for role in ["zstd_lib_h_prep", "decompress_unzstd_prep"] {
        assert!(!listed.contains(&fx.commits[role]), "{role}");
    }
    for (target, stable) in [("v6.7.1", true), ("fedora-6.7", false)] {
        assert!(ok(dir, &["checkout", "-q", "--detach", target]));
        for e in &fx.zstd_series {
            let want = if stable { e.onto_stable } else { e.onto_fedora };
            assert_eq!(pick(dir, &e.sha), want, "{} ({}) onto {target}", e.role, e.subject);
        }
        assert_eq!(g(dir, &["status", "--porcelain"]), "");
    }
}

#[test]
fn provenance_lines() {
    let (s, fx) = small("prov");
    let dir = &s.0;
    let body = |role: &str| g(dir, &["log", "-1", "--format=%b", fx.sha(role)]);
    for (stable, upstream) in [
        ("stable_zstd_backport", "zstd_stable_backported"),
        ("stable_btrfs_fix", "btrfs_fix"),
        ("stable_zstd_fedora_backport", "zstd_fedora_backported"),
        ("stable_mm_fix_cve", "mm_fix_cve"),
        ("stable_igc_fix", "igc_fix"),
        ("stable_6_8_zstd_backport", "zstd_post_6_8"),
    ] {
        let first = body(stable).lines().next().unwrap().to_string();
        assert_eq!(first, format!("commit {} upstream.", fx.sha(upstream)), "{stable}");
    }
    // The stable version of v6.7.2 contains the Fedora-carried backport.
    assert!(ok(
        dir,
        &[
            "merge-base",
            "--is-ancestor",
            fx.sha("stable_zstd_fedora_backport"),
            "v6.7.2"
        ]
    ));
    assert!(!ok(
        dir,
        &[
            "merge-base",
            "--is-ancestor",
            fx.sha("stable_zstd_fedora_backport"),
            "v6.7.1"
        ]
    ));
    let b = body("fedora_zstd_backport");
    assert!(
        b.contains(&format!(
            "(cherry picked from commit {})",
            fx.sha("zstd_fedora_backported")
        )),
        "{b}"
    );
    let rhel = body("fedora_rhel_backport");
    assert!(
        rhel.starts_with(&format!("commit {}\n", fx.sha("mm_fix_cve"))),
        "{rhel}"
    );
    assert!(rhel.contains("\nJIRA: https://issues.redhat.com/browse/RHEL-1234\n"));
    assert!(rhel.contains("\nCVE: CVE-2024-1234\n"));
    assert!(body("fedora_bugzilla").contains("Bugzilla: https://bugzilla.redhat.com/2428677"));
    let subjects = g(dir, &["log", "--reverse", "--format=%s", "v6.7.1..fedora-6.7"]);
    assert_eq!(
        subjects.lines().collect::<Vec<_>>(),
        [
            "[redhat] add packaging",
            "hyperscale: btrfs: enable POSIX ACLs by default",
            "asahi: drm/simpledrm: Support the Apple DCP framebuffer",
            "lib: zstd: Fix -Wstringop-overflow warning",
            "mm/mempolicy: fix use-after-free of vma in mbind()",
            "e1000e: disable ASPM L1 on Meteor Lake to avoid Tx hangs",
            "redhat/configs: enable CONFIG_ZRAM_DEF_COMP_ZSTD",
        ]
    );
    let spec = g(dir, &["show", "fedora-6.7:redhat/kernel.spec"]);
    for needle in [
        "\nName: kernel\n",
        "\n%global released_kernel 1\n",
        "\n%define base_sublevel 7\n",
        "\n%define stable_update 1\n",
        "\n%global baserelease 300\n",
        "\n%define specrelease %{baserelease}%{?buildid}%{?dist}\n",
        "\nRelease: %{specrelease}\n",
        "\n# END OF PATCH DEFINITIONS\n",
        "\n%changelog\n* Mon Jan 08 2024 Justin M. Forbes <jforbes@fedoraproject.org> [6.7.0-0]\n- Linux v6.7.0\n",
    ] {
        assert!(spec.contains(needle), "spec lacks {needle:?}");
    }
    let spec8 = g(dir, &["show", "fedora-6.8:redhat/kernel.spec"]);
    assert!(spec8.contains("\n%define base_sublevel 8\n"));
}

#[test]
fn rename_binary_mode_merge() {
    let (s, fx) = small("shapes");
    let dir = &s.0;
    let rename = g(
        dir,
        &["show", "-M", "--format=", "--name-status", fx.sha("zstd_rename")],
    );
    assert!(
        rename.contains("R100\tlib/zstd/common/debug.c\tlib/zstd/common/zstd_debug.c"),
        "{rename}"
    );
    let bin = g(dir, &["show", "--format=", "--numstat", fx.sha("zstd_binary")]);
    assert!(bin.contains("-\t-\tlib/zstd/testdata/rle-first-block.zst"), "{bin}");
    let mode = g(dir, &["show", "--format=", "--summary", fx.sha("zstd_mode_change")]);
    assert!(
        mode.contains("mode change 100644 => 100755 lib/zstd/testdata/gen_vectors.sh"),
        "{mode}"
    );
    let parents = g(dir, &["rev-list", "--parents", "-n1", fx.sha("zstd_merge")]);
    assert_eq!(parents.split(' ').count(), 3);
    assert_eq!(
        g(dir, &["log", "-1", "--format=%an", fx.sha("zstd_merge")]),
        "Linus Torvalds"
    );
}

#[test]
fn rebases_onto_v6_7_2_drop_backports() {
    let (s, fx) = small("rebase");
    let dir = &s.0;
    for branch in ["fedora-6.7", fx.stack_branch.as_str()] {
        let before = g(dir, &["rev-list", "--count", &format!("v6.7.1..{branch}")]);
        let before: usize = before.parse().unwrap();
        if branch != "fedora-6.7" {
            assert_eq!(before, fx.stack_patches);
        }
        assert!(ok(dir, &["checkout", "-q", "-B", "tmp", branch]));
        let out = git::run(dir, &["rebase", "--onto", "v6.7.2", "v6.7.1"]).unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let after: usize = g(dir, &["rev-list", "--count", "v6.7.2..tmp"]).parse().unwrap();
        let dropped = &fx.rebase_dropped[branch];
        assert_eq!(after, before - dropped.len(), "{branch}");
        let err = String::from_utf8_lossy(&out.stderr);
        for d in dropped {
            assert!(
                err.contains(&format!("dropping {d}")),
                "{branch}: {d} not dropped:\n{err}"
            );
        }
    }
}

#[test]
fn clean_backport_range_applies() {
    let (s, fx) = small("clean");
    let dir = &s.0;
    let list = g(
        dir,
        &["rev-list", "--reverse", "v6.7..v6.8", "--", &fx.clean_backport_path],
    );
    assert_eq!(list.lines().count(), fx.clean_backport_count);
    assert!(fx.clean_backport_count >= 6);
    for target in ["fedora-6.7", "linux-6.7.y"] {
        assert!(ok(dir, &["checkout", "-q", "--detach", target]));
        for c in list.lines() {
            assert_eq!(pick(dir, c), PickOutcome::Clean, "{c} onto {target}");
        }
    }
}

/// `cargo test -p xtask --release -- --ignored large` (takes ~a minute in
/// debug builds).
#[test]
#[ignore]
fn large_fixture() {
    let s = Scratch::new("large");
    let mut opts = KernelOptions::large();
    opts.files = Some(70_000);
    opts.commits = Some(20_000);
    let t = Instant::now();
    let fx = kernel(&s.0, &opts).expect("generate large fixture");
    let elapsed = t.elapsed();
    eprintln!("{}", fx.summary().lines().take(2).collect::<Vec<_>>().join("\n"));
    eprintln!("large fixture: {elapsed:?} {:?}", fx.timings);
    assert!(fx.files >= 69_000, "{}", fx.files);
    assert_eq!(fx.range_commits, 20_000);
    assert!(fx.clean_backport_count >= 500, "{}", fx.clean_backport_count);
    assert_eq!(fx.stack_patches, 300);
    let dir = &s.0;
    let listed: Vec<String> = g(dir, &["rev-list", "--reverse", "v6.7..v6.8", "--", "lib/zstd"])
        .lines()
        .map(str::to_string)
        .collect();
    let expected: Vec<String> = fx.zstd_series.iter().map(|e| e.sha.clone()).collect();
    assert_eq!(listed, expected);
    assert!(ok(dir, &["checkout", "-q", "--detach", "fedora-6.7"]));
    for e in &fx.zstd_series {
        assert_eq!(pick(dir, &e.sha), e.onto_fedora, "{} onto fedora-6.7", e.role);
    }
    let t = Instant::now();
    assert!(ok(dir, &["checkout", "-q", "-B", "tmp", &fx.stack_branch]));
    let out = git::run(dir, &["rebase", "--onto", "v6.7.2", "v6.7.1"]).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let after: usize = g(dir, &["rev-list", "--count", "v6.7.2..tmp"]).parse().unwrap();
    assert_eq!(after, fx.stack_patches - fx.rebase_dropped[&fx.stack_branch].len());
    eprintln!("git rebase of {} patches: {:?}", fx.stack_patches, t.elapsed());
}
