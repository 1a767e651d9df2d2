//! `pq export` and `pq import` against the tools that read and write these formats: quilt, dpkg-source,
//! gbp pq, git am, rpmspec and rpmbuild; and the round trip import(export(x)) in every format.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const CVE_MSG: &str = "lib: fix the overflow in frob()\n\nThe length was not checked.\n\nCVE: CVE-2024-1234\nBugLink: https://bugs.launchpad.net/bugs/2131077\nSigned-off-by: Up Stream <up@example.org>";

/// A repository with upstream tags v1 and v2 and a branch `work` on v1 managed by pq: two local patches
/// (series local), one adding a file without a final newline, one deleting a file; then a backport of the
/// upstream commit between v1 and v2 (series backport/lib).
fn setup() -> TestRepo {
    let r = TestRepo::new();
    r.write(
        "lib/frob.c",
        (1..=40).map(|i| format!("line {i}\n")).collect::<String>(),
    );
    r.write("lib/Makefile", "obj-y += frob.o\n");
    r.write("README", "hello\n");
    r.write("old.txt", "to be removed\n");
    r.commit("base");
    r.git(&["tag", "v1"]);
    r.write(
        "lib/frob.c",
        (1..=40)
            .map(|i| {
                if i == 20 {
                    "line 20 checked\n".to_string()
                } else {
                    format!("line {i}\n")
                }
            })
            .collect::<String>(),
    );
    r.commit(CVE_MSG);
    r.git(&["tag", "v2"]);
    r.git(&["checkout", "-q", "-b", "work", "v1"]);
    r.pq_ok(&["init", "--base", "v1"]);
    r.write("README", "hello\nworld\n");
    r.write("notes/no-newline", "last line without newline");
    r.commit("local: say world\n\nAnd add notes.\n\nSigned-off-by: Pat Tester <pat@example.org>");
    r.git(&["rm", "-q", "old.txt"]);
    r.commit("local: drop old.txt");
    r.pq_ok(&["adopt"]);
    r.pq_ok(&["backport", "v1..v2", "lib", "--series", "backport/lib"]);
    r
}

/// The commits of `range`: tree, author, author date and message of each, oldest first.
fn commits(r: &TestRepo, range: &str) -> Vec<String> {
    let out = r.git(&["log", "--reverse", "--format=%T%x00%an <%ae>%x00%ad%x00%B%x01", range]);
    out.split('\u{1}')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Series name and origin of each patch, in queue order.
fn origins(r: &TestRepo) -> Vec<(String, Option<String>)> {
    let v = r.pq_json(&["series"], 0)["series"].take();
    let mut out = Vec::new();
    for s in v.as_array().unwrap() {
        for p in s["patches"].as_array().unwrap() {
            out.push((
                s["name"].as_str().unwrap().to_string(),
                p["origin"].as_str().map(String::from),
            ));
        }
    }
    out
}

fn run(dir: &Path, home: &Path, prog: &str, args: &[&str]) -> String {
    let mut cmd = Command::new(prog);
    cmd.current_dir(dir).args(args);
    hermetic(&mut cmd, home, NOW);
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{prog} is required for this test: {e}"));
    assert!(
        out.status.success(),
        "{prog} {} failed in {}:\n{}{}",
        args.join(" "),
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Unpack `rev` of `r` into `dir` (like an upstream tarball).
fn unpack(r: &TestRepo, rev: &str, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let tar = r
        .scratch
        .path()
        .join(format!("{}.tar", dir.file_name().unwrap().to_string_lossy()));
    r.git(&["archive", "-o", tar.to_str().unwrap(), rev]);
    run(dir, r.home(), "tar", &["xf", tar.to_str().unwrap()]);
}

/// The git tree id of a plain directory's content (without `skip` entries).
fn dir_tree(home: &Path, dir: &Path, skip: &[&str]) -> String {
    let copy = dir.with_extension("tree");
    let _ = std::fs::remove_dir_all(&copy);
    run(
        dir.parent().unwrap(),
        home,
        "cp",
        &["-a", dir.to_str().unwrap(), copy.to_str().unwrap()],
    );
    for s in skip {
        let p = copy.join(s);
        if p.is_dir() {
            std::fs::remove_dir_all(&p).unwrap();
        } else if p.exists() {
            std::fs::remove_file(&p).unwrap();
        }
    }
    run(&copy, home, "git", &["init", "-q"]);
    run(&copy, home, "git", &["add", "-A"]);
    run(&copy, home, "git", &["write-tree"]).trim().to_string()
}

fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A fresh branch at v1 managed by pq, to import into.
fn fresh_branch(r: &TestRepo, name: &str) {
    r.git(&["checkout", "-q", "-b", name, "v1"]);
    r.pq_ok(&["init", "--base", "v1"]);
}

#[test]
fn quilt_push_gives_the_branch_tree_and_exports_are_byte_stable() {
    let r = setup();
    let out = r.scratch.path().join("q1");
    r.pq_ok(&["export", "--format", "quilt", "-o", out.to_str().unwrap()]);
    let again = r.scratch.path().join("q2");
    r.pq_ok(&["export", "--format", "quilt", "-o", again.to_str().unwrap()]);
    assert_eq!(all_files(&out), all_files(&again), "same queue, same bytes");
    r.pq_ok(&["export", "--format", "quilt", "-o", out.to_str().unwrap()]);
    assert_eq!(all_files(&out), all_files(&again), "re-running changes nothing");
    let series = std::fs::read_to_string(out.join("series")).unwrap();
    assert_eq!(
        series,
        "# local\nlocal/0001-local-say-world.patch\nlocal/0002-local-drop-old.txt.patch\n# backport/lib\nbackport/lib/0001-lib-fix-the-overflow-in-frob.patch\n"
    );
    let tree = r.scratch.path().join("quilt-tree");
    unpack(&r, "v1", &tree);
    run(
        &tree,
        r.home(),
        "cp",
        &["-a", out.to_str().unwrap(), tree.join("patches").to_str().unwrap()],
    );
    run(&tree, r.home(), "quilt", &["push", "-a", "-q"]);
    assert_eq!(dir_tree(r.home(), &tree, &["patches", ".pc"]), r.tree("work"));
}

#[test]
fn debian_export_builds_with_dpkg_source_and_gbp_pq_imports_the_same_commits() {
    let r = setup();
    let pkg = r.scratch.path().join("pkg-1.0");
    unpack(&r, "v1", &pkg);
    let orig = r.scratch.path().join("pkg_1.0.orig.tar.gz");
    r.git(&[
        "archive",
        "--format=tar.gz",
        "--prefix=pkg-1.0/",
        "-o",
        orig.to_str().unwrap(),
        "v1",
    ]);
    let deb = pkg.join("debian");
    std::fs::create_dir_all(deb.join("source")).unwrap();
    std::fs::write(deb.join("source/format"), "3.0 (quilt)\n").unwrap();
    std::fs::write(
        deb.join("control"),
        "Source: pkg\nSection: misc\nPriority: optional\nMaintainer: Pat Tester <pat@example.org>\nStandards-Version: 4.6.2\n\nPackage: pkg\nArchitecture: all\nDescription: test\n test\n",
    )
    .unwrap();
    std::fs::write(
        deb.join("changelog"),
        "pkg (1.0-1) unstable; urgency=medium\n\n  * Initial.\n\n -- Pat Tester <pat@example.org>  Mon, 22 Jan 2024 10:00:00 +0000\n",
    )
    .unwrap();
    std::fs::write(deb.join("rules"), "#!/usr/bin/make -f\n%:\n\tdh $@\n").unwrap();
    r.pq_ok(&[
        "export",
        "--format",
        "debian",
        "-o",
        deb.join("patches").to_str().unwrap(),
    ]);
    let backport =
        std::fs::read_to_string(deb.join("patches/backport/lib/0001-lib-fix-the-overflow-in-frob.patch")).unwrap();
    let upstream = r.rev("v2");
    assert!(
        backport.contains(&format!(
            "Subject: lib: fix the overflow in frob()\nOrigin: upstream, commit:{upstream}\nBug: https://bugs.launchpad.net/bugs/2131077\n\n"
        )),
        "{backport}"
    );

    // gbp pq: a packaging repository holding the unapplied tree plus debian/.
    let gbp = r.scratch.path().join("gbp");
    run(
        r.scratch.path(),
        r.home(),
        "cp",
        &["-a", pkg.to_str().unwrap(), gbp.to_str().unwrap()],
    );
    run(&gbp, r.home(), "git", &["init", "-q", "-b", "master"]);
    run(&gbp, r.home(), "git", &["add", "-A"]);
    run(&gbp, r.home(), "git", &["commit", "-q", "-m", "packaging"]);
    run(&gbp, r.home(), "gbp", &["pq", "import"]);
    let g = r.sibling("gbp");
    let theirs = g.git(&["rev-list", "--reverse", "master..patch-queue/master"]);
    let ours = r.git(&["rev-list", "--reverse", "v1..work"]);
    let theirs: Vec<&str> = theirs.lines().collect();
    let ours: Vec<&str> = ours.lines().collect();
    assert_eq!(theirs.len(), ours.len());
    for (t, o) in theirs.iter().zip(&ours) {
        assert_eq!(
            g.git(&["diff-tree", "-p", "--no-commit-id", t]),
            r.git(&["diff-tree", "-p", "--no-commit-id", o])
        );
        assert_eq!(
            g.git(&["log", "-1", "--format=%an <%ae> %ad", t]),
            r.git(&["log", "-1", "--format=%an <%ae> %ad", o])
        );
        // gbp adds its own `Gbp-Pq:` trailers (the topic, the file name), and keeps DEP-3 fields other than
        // From, Date and Subject in the message as a paragraph of their own.
        let dep3 = [
            "Gbp-Pq:",
            "Origin:",
            "Bug:",
            "Bug-Debian:",
            "Bug-Ubuntu:",
            "Forwarded:",
            "Applied-Upstream:",
        ];
        let msg: Vec<String> = g
            .git(&["log", "-1", "--format=%B", t])
            .lines()
            .filter(|l| !dep3.iter().any(|k| l.starts_with(k)))
            .map(String::from)
            .collect();
        let msg = msg.join("\n").replace("\n\n\n", "\n\n");
        assert_eq!(msg.trim_end(), r.git(&["log", "-1", "--format=%B", o]).trim_end());
    }

    // dpkg-source builds the source package, applying every patch.
    run(r.scratch.path(), r.home(), "dpkg-source", &["-b", "pkg-1.0"]);
    assert!(r.scratch.path().join("pkg_1.0-1.dsc").exists());
    assert_eq!(dir_tree(r.home(), &pkg, &["debian", ".pc"]), r.tree("work"));
}

#[test]
fn mbox_applies_with_git_am_and_binaries_survive() {
    let r = setup();
    let png: Vec<u8> = (0..3000u32).map(|i| (i * 31 % 256) as u8).collect();
    r.write("fuzz/image.bin", &png);
    r.commit("fuzz: add an image");
    r.pq_ok(&["adopt"]);
    let mbox = r.scratch.path().join("out.mbox");
    r.pq_ok(&["export", "--format", "mbox", "-o", mbox.to_str().unwrap()]);
    r.git(&["checkout", "-q", "-b", "am", "v1"]);
    r.git(&["am", "-q", mbox.to_str().unwrap()]);
    assert_eq!(commits(&r, "v1..am"), commits(&r, "v1..work"));

    // quilt gets a text diff of the binary file, which GNU patch applies.
    r.git(&["checkout", "-q", "work"]);
    let out = r.scratch.path().join("qb");
    r.pq_ok(&["export", "--format", "quilt", "-o", out.to_str().unwrap()]);
    let tree = r.scratch.path().join("quilt-bin");
    unpack(&r, "v1", &tree);
    run(
        &tree,
        r.home(),
        "cp",
        &["-a", out.to_str().unwrap(), tree.join("patches").to_str().unwrap()],
    );
    run(&tree, r.home(), "quilt", &["push", "-a", "-q"]);
    assert_eq!(dir_tree(r.home(), &tree, &["patches", ".pc"]), r.tree("work"));

    // Debian cannot carry it: it is left out, and said so.
    let deb = r.scratch.path().join("debp");
    let o = r.pq(&["export", "--format", "debian", "-o", deb.to_str().unwrap()]);
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stderr.contains("fuzz-add-an-image.patch: binary change to fuzz/image.bin left out"),
        "{stderr}"
    );
    let j = r.pq_json(&["export", "--format", "debian", "-o", deb.to_str().unwrap()], 0);
    assert_eq!(j["left_out"][0]["path"], "fuzz/image.bin");
}

#[test]
fn spec_export_is_read_by_rpmspec_and_applied_by_prep() {
    let r = setup();
    let dist = r.scratch.path().join("distgit");
    std::fs::create_dir_all(&dist).unwrap();
    r.git(&[
        "archive",
        "--format=tar.gz",
        "--prefix=pkg-1.0/",
        "-o",
        dist.join("pkg-1.0.tar.gz").to_str().unwrap(),
        "v1",
    ]);
    std::fs::write(
        dist.join("pkg.spec"),
        "Name: pkg\nVersion: 1.0\nRelease: 1\nSummary: t\nLicense: MIT\nBuildArch: noarch\nSource0: pkg-1.0.tar.gz\nPatch1: existing.patch\n# END OF PATCH DEFINITIONS\n\n%description\nt\n\n%prep\n%setup -q\n\n%build\n\n%files\n",
    )
    .unwrap();
    std::fs::write(dist.join("existing.patch"), "").unwrap();
    let args = [
        "export",
        "--format",
        "spec",
        "-o",
        dist.to_str().unwrap(),
        "--patch-start",
        "2000",
    ];
    r.pq_ok(&args);
    let spec = std::fs::read_to_string(dist.join("pkg.spec")).unwrap();
    r.pq_ok(&args);
    assert_eq!(
        std::fs::read_to_string(dist.join("pkg.spec")).unwrap(),
        spec,
        "a second export changes nothing"
    );
    assert!(
        spec.contains("# series local\nPatch2000: 0001-local-say-world.patch\nPatch2001: 0002-local-drop-old.txt.patch\n# series backport/lib\nPatch2002: 0003-lib-fix-the-overflow-in-frob.patch\n"),
        "{spec}"
    );
    let parsed = run(&dist, r.home(), "rpmspec", &["-P", "pkg.spec"]);
    for n in 2000..2003 {
        assert!(parsed.contains(&format!("Patch #{n} (")), "{parsed}");
    }
    // rpmbuild's %prep: the existing Patch1 is empty, so drop it for the build.
    std::fs::write(dist.join("pkg.spec"), spec.replace("Patch1: existing.patch\n", "")).unwrap();
    let top = r.scratch.path().join("rpmtop");
    run(
        &dist,
        r.home(),
        "rpmbuild",
        &[
            "--define",
            &format!("_topdir {}", top.display()),
            "--define",
            &format!("_sourcedir {}", dist.display()),
            "-bp",
            "pkg.spec",
        ],
    );
    assert_eq!(dir_tree(r.home(), &top.join("BUILD/pkg-1.0"), &[]), r.tree("work"));
}

#[test]
fn import_of_export_gives_back_trees_messages_authors_dates_and_origins() {
    let r = setup();
    let want = commits(&r, "v1..work");
    let want_origins = origins(&r);
    assert_eq!(want_origins[2], ("backport/lib".to_string(), Some(r.rev("v2"))));
    for (i, format) in ["quilt", "debian", "suse", "spec", "mbox"].iter().enumerate() {
        r.git(&["checkout", "-q", "work"]);
        let out = r.scratch.path().join(format!("rt-{format}"));
        let target = if *format == "mbox" {
            out.with_extension("mbox")
        } else {
            out.clone()
        };
        if *format == "spec" {
            std::fs::create_dir_all(&out).unwrap();
            std::fs::write(out.join("k.spec"), "Name: k\nVersion: 1\nRelease: 1\nSummary: k\nLicense: MIT\n\n%description\nk\n\n%prep\n%autosetup -p1\n").unwrap();
        }
        r.pq_ok(&["export", "--format", format, "-o", target.to_str().unwrap()]);
        let branch = format!("rt{i}");
        fresh_branch(&r, &branch);
        let j = r.pq_json(&["import", target.to_str().unwrap(), "--dry-run"], 0);
        assert!(
            j["commits"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["outcome"] == "applied"),
            "{j}"
        );
        assert_eq!(r.rev("HEAD"), r.rev("v1"), "the dry run changes nothing");
        r.pq_ok(&["import", target.to_str().unwrap()]);
        assert_eq!(commits(&r, &format!("v1..{branch}")), want, "{format}");
        let got = origins(&r);
        if *format == "spec" {
            // A spec keeps no series names beyond its comments; the origins are the same.
            assert_eq!(
                got.iter().map(|o| &o.1).collect::<Vec<_>>(),
                want_origins.iter().map(|o| &o.1).collect::<Vec<_>>()
            );
        } else {
            assert_eq!(got, want_origins, "{format}");
        }
        assert_eq!(r.git(&["status", "--porcelain", "--untracked-files=no"]), "");
    }
    r.fsck();
}

#[test]
fn suse_headers_come_from_the_origin_and_the_trailers() {
    let r = setup();
    let out = r.scratch.path().join("ks");
    r.pq_ok(&["export", "--format", "suse", "-o", out.to_str().unwrap()]);
    let p = std::fs::read_to_string(out.join("patches.suse/0003-lib-fix-the-overflow-in-frob.patch")).unwrap();
    let upstream = r.rev("v2");
    assert!(
        p.starts_with(&format!(
            "From: Pat Tester <pat@example.org>\nDate: Sun, 13 Sep 2020 12:28:40 +0000\nSubject: lib: fix the overflow in frob()\nPatch-mainline: v2\nGit-commit: {upstream}\nReferences: CVE-2024-1234 LP#2131077\n\n"
        )),
        "{p}"
    );
    let local = std::fs::read_to_string(out.join("patches.suse/0001-local-say-world.patch")).unwrap();
    assert!(
        local.contains("Patch-mainline: Not yet, local patch in series local\n"),
        "{local}"
    );
    let conf = std::fs::read_to_string(out.join("series.conf")).unwrap();
    assert!(
        conf.contains("\t# backport/lib\n\t########################################################\n\tpatches.suse/0003-lib-fix-the-overflow-in-frob.patch\n"),
        "{conf}"
    );
}

/// A branch where README already differs from v1, so the local patch touching it conflicts.
fn conflicting(r: &TestRepo) -> PathBuf {
    let out = r.scratch.path().join("conf-q");
    r.pq_ok(&["export", "--format", "quilt", "-o", out.to_str().unwrap()]);
    r.git(&["checkout", "-q", "-b", "other", "v1"]);
    r.write("README", "hi\n");
    r.commit("ours: README");
    r.pq_ok(&["init", "--base", "v1"]);
    r.write("untracked.txt", "keep me\n");
    out
}

#[test]
fn a_patch_that_does_not_apply_stops_and_abort_restores_everything() {
    let r = setup();
    let out = conflicting(&r);
    let j = r.pq_json(&["import", out.to_str().unwrap(), "--series", "imp", "--dry-run"], 0);
    let outcomes: Vec<&str> = j["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["conflict", "applied", "applied"]);
    assert_eq!(
        j["commits"][0]["file"].as_str().unwrap(),
        out.join("local/0001-local-say-world.patch").to_str().unwrap()
    );
    let before = r.snapshot();
    let o = r.pq(&["import", out.to_str().unwrap(), "--series", "imp"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o).1);
    assert!(
        r.read_string("README")
            .contains("<<<<<<< HEAD\nhi\n=======\nhello\nworld\n>>>>>>>"),
        "{}",
        r.read_string("README")
    );
    r.pq_ok(&["abort"]);
    // The operation log records the stop and the abort as events; everything else is as before.
    assert_same(
        &without_oplog(before),
        &without_oplog(r.snapshot()),
        "abort after a stopped import",
    );
}

#[test]
fn a_stopped_import_continues_after_the_resolution_or_skips_the_patch() {
    let r = setup();
    let out = conflicting(&r);
    let start = r.rev("HEAD");
    // Skip first: `pq continue` records the resolution, which a later import would reuse.
    assert_eq!(
        r.pq(&["import", out.to_str().unwrap(), "--series", "imp"])
            .status
            .code(),
        Some(1)
    );
    r.pq_ok(&["skip"]);
    let subjects = r.git(&["log", "--reverse", "--format=%s", &format!("{start}..HEAD")]);
    assert_eq!(subjects, "local: drop old.txt\nlib: fix the overflow in frob()");
    assert_eq!(r.git(&["status", "--porcelain", "--untracked-files=no"]), "");

    r.git(&["checkout", "-q", "-b", "other2", &start]);
    r.pq_ok(&["init", "--base", "v1"]);
    assert_eq!(
        r.pq(&["import", out.to_str().unwrap(), "--series", "imp2"])
            .status
            .code(),
        Some(1)
    );
    r.write("README", "hi\nworld\n");
    r.git(&["add", "README"]);
    r.pq_ok(&["continue"]);
    let subjects = r.git(&["log", "--reverse", "--format=%s", &format!("{start}..HEAD")]);
    assert_eq!(
        subjects,
        "local: say world\nlocal: drop old.txt\nlib: fix the overflow in frob()"
    );
    let msg = r.git(&["log", "-1", "--format=%B", "HEAD~2"]);
    assert!(msg.contains("Conflicts:\n\tREADME"), "{msg}");
    assert_eq!(r.read_string("README"), "hi\nworld\n");
    assert_eq!(r.read_string("untracked.txt"), "keep me\n");
}

#[test]
fn bad_input_names_the_file_and_line_and_changes_nothing() {
    let r = setup();
    let out = r.scratch.path().join("bad");
    r.pq_ok(&["export", "--format", "quilt", "-o", out.to_str().unwrap()]);
    fresh_branch(&r, "bad");
    let patch = out.join("local/0001-local-say-world.patch");
    let original = std::fs::read_to_string(&patch).unwrap();
    let series = std::fs::read_to_string(out.join("series")).unwrap();
    let check = |what: &str, expect: &str| {
        let before = r.snapshot();
        let o = r.pq(&["import", out.to_str().unwrap()]);
        let stderr = assert_refused(&o);
        assert!(stderr.contains(expect), "{what}: {stderr}");
        assert_same(&before, &r.snapshot(), what);
    };
    std::fs::write(out.join("series"), format!("{series}local/missing.patch\n")).unwrap();
    check(
        "missing patch",
        "series:6: names local/missing.patch, which does not exist",
    );
    std::fs::write(out.join("series"), &series).unwrap();

    let no_diff = original.split("diff --git").next().unwrap().to_string();
    std::fs::write(&patch, &no_diff).unwrap();
    check("no diff", "0001-local-say-world.patch: no diff in this patch");

    std::fs::write(
        &patch,
        original.replacen("diff --git", "diff --git a/f.bin b/f.bin\nindex 1111111..2222222 100644\nBinary files a/f.bin and b/f.bin differ\ndiff --git", 1),
    )
    .unwrap();
    check(
        "binary without blob",
        "0001-local-say-world.patch:11: binary patch without the file's content",
    );

    std::fs::write(
        &patch,
        original.replacen("Subject:", "Git-commit: 12345abc\nSubject:", 1),
    )
    .unwrap();
    check(
        "malformed origin",
        "0001-local-say-world.patch:3: malformed Git-commit header '12345abc'",
    );
    std::fs::write(&patch, &original).unwrap();

    std::fs::write(out.join("series"), "../../etc/passwd\n").unwrap();
    check("escaping path", "series:1: unsafe patch path '../../etc/passwd'");
}

/// Real distribution patches from the corpus: headers and origins read, the dry run reports them.
#[test]
fn real_suse_and_debian_patches_are_read() {
    let corpus = corpus_dir().join("packaging");
    let r = setup();
    fresh_branch(&r, "real");
    let dir = r.scratch.path().join("kernel-source");
    std::fs::create_dir_all(dir.join("patches.suse")).unwrap();
    let mut conf = String::from("\t########################################################\n\t# sorted patches\n\t########################################################\n");
    for name in [
        "0001-Crash-add-lock-to-serialize-crash-hotplug-handling.patch",
        "0001-KVM-SVM-Initialize-prev_ga_tag-before-use.patch",
        "kernel-add-release-status-to-kernel-build.patch",
    ] {
        std::fs::copy(
            corpus.join("suse/patches/patches.suse").join(name),
            dir.join("patches.suse").join(name),
        )
        .unwrap();
        conf.push_str(&format!("\tpatches.suse/{name}\n"));
    }
    conf.push_str("+testing\tpatches.suse/binutils2_26.patch\n");
    std::fs::write(dir.join("series.conf"), conf).unwrap();
    let j = r.pq_json(&["import", dir.to_str().unwrap(), "--dry-run"], 0);
    assert_eq!(j["format"], "suse");
    assert_eq!(j["series"][0], "sorted-patches");
    let c = j["commits"].as_array().unwrap();
    assert_eq!(c.len(), 3);
    assert_eq!(c[0]["origin"], "e2a8f20dd8e9df695f736e51cd9115ae55be92d1");
    assert_eq!(c[1]["origin"], "f6426ab9c957e97418ac5b0466538792767b1738");
    assert!(c[2]["origin"].is_null());
    // Kernel files are not in this tree: none applies, and the report says so.
    assert!(c.iter().all(|x| x["outcome"] == "conflict"), "{j}");
    assert!(j["notes"][0]
        .as_str()
        .unwrap()
        .contains("binutils2_26.patch is guarded (+testing)"));

    let deb = corpus.join("debian/patches/debian/btrfs-warn-about-raid5-6-being-experimental-at-mount.patch");
    let j = r.pq_json(&["import", deb.to_str().unwrap(), "--dry-run"], 0);
    assert_eq!(
        j["commits"][0]["subject"],
        "btrfs: warn about RAID5/6 being experimental at mount time"
    );
}

/// The corpus: `$PQ_CORPUS`, else `shared/corpus` in the first ancestor of the checkout that has one
/// (`../shared/corpus` in CI and in a work tree).
pub fn corpus_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("PQ_CORPUS") {
        return PathBuf::from(p);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    root.ancestors()
        .map(|a| a.join("shared/corpus"))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| panic!("the corpus (shared/corpus above {}) is required", root.display()))
}

/// What git itself writes: renames, copies, mode changes and binary patches (`format-patch -M -C --binary`)
/// import to the trees git made.
#[test]
fn imports_git_format_patch_with_renames_copies_modes_and_binaries() {
    let r = setup();
    r.git(&["checkout", "-q", "-b", "gitmade", "work"]);
    r.git(&["mv", "lib/Makefile", "lib/Kbuild"]);
    r.commit("lib: rename Makefile");
    r.write("lib/frob2.c", r.read("lib/frob.c"));
    r.commit("lib: copy frob");
    r.git(&["update-index", "--chmod=+x", "README"]);
    r.commit_staged("README: executable");
    let blob: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 256) as u8).collect();
    r.write("fw/blob.bin", &blob);
    r.commit("fw: add a blob");
    let mut changed = blob.clone();
    changed[100] ^= 0xff;
    r.write("fw/blob.bin", &changed);
    r.commit("fw: change the blob");
    let mbox = r.scratch.path().join("git.mbox");
    let text = r.git(&[
        "format-patch",
        "-M",
        "-C",
        "--find-copies-harder",
        "--binary",
        "--stdout",
        "work..gitmade",
    ]);
    assert!(
        text.contains("rename from lib/Makefile") && text.contains("copy from lib/frob.c"),
        "{text}"
    );
    assert!(
        text.contains("GIT binary patch\ndelta") || text.contains("GIT binary patch\nliteral"),
        "{text}"
    );
    std::fs::write(&mbox, format!("{text}\n")).unwrap();
    r.git(&["checkout", "-q", "work"]);
    r.pq_ok(&["import", mbox.to_str().unwrap(), "--series", "from-git"]);
    let ours = r.git(&["log", "--reverse", "--format=%T %s", "-5"]);
    let theirs = r.git(&["log", "--reverse", "--format=%T %s", "-5", "gitmade"]);
    assert_eq!(ours, theirs);
}
