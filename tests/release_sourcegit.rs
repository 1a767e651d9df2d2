//! `pq release` and `pq srpm` on ARK / RHEL source-git trees built from the real packaging files in
//! `../shared/corpus/packaging/rhel/`: the numbers against the corpus's own `new_release.sh`, the changelog
//! entry against its own `genlog.py`, the NVR against `rpmspec -q --srpm` and `rpm -qp` of the source RPM
//! pq builds, the order against rpm's `rpm.vercmp`. The corpus and the tools are required (CI installs them).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn corpus() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/packaging");
    assert!(
        root.is_dir(),
        "the packaging corpus is missing at {} (../shared/corpus from the clone root)",
        root.display()
    );
    root
}

fn corpus_file(rel: &str) -> String {
    let p = corpus().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn require(tool: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    assert!(found, "{tool} is not installed (CI installs it: see .ci/run)");
}

/// The real spec template excerpts, made into one template rpm accepts: the excerpt marker lines dropped,
/// and the few tags and sections the excerpts leave out (License, %description, %nopatches) added.
fn spec_template() -> String {
    let t = corpus_file("rhel/kernel.spec.template.excerpts");
    let mut out = String::from("%define nopatches 0\nLicense: GPL-2.0-only\n");
    for line in t.lines() {
        if line.starts_with("#### [excerpt marker") {
            continue;
        }
        if line == "%changelog" {
            out.push_str("%description\nThe Linux kernel.\n\n");
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn kernel_makefile(version: u32, patchlevel: u32, sublevel: u32, extra: &str) -> String {
    format!(
        "# SPDX-License-Identifier: GPL-2.0\nVERSION = {version}\nPATCHLEVEL = {patchlevel}\nSUBLEVEL = {sublevel}\nEXTRAVERSION = {extra}\nNAME = Test\n"
    )
}

/// Makefile.rhelver of a RHEL `major.minor` tree at `release`, from the real RHEL 10 file, with the ZSTREAM
/// block of the real ARK file set to `zstream`.
fn rhelver(major: u32, minor: u32, release: &str, zstream: &str) -> String {
    let ark = corpus_file("rhel/ark-fedora/Makefile.rhelver.ark-os-build");
    let start = ark.find("#\n# ZSTREAM\n").expect("ZSTREAM block");
    let end = ark[start..].find("ZSTREAM ?= no\n").expect("ZSTREAM line") + start + "ZSTREAM ?= no\n".len();
    let block = ark[start..end].replace("ZSTREAM ?= no", &format!("ZSTREAM ?= {zstream}"));
    corpus_file("rhel/Makefile.rhelver.rhel10")
        .replace("RHEL_MAJOR = 10", &format!("RHEL_MAJOR = {major}"))
        .replace("RHEL_MINOR = 3", &format!("RHEL_MINOR = {minor}"))
        .replace("RHEL_RELEASE = 237", &format!("RHEL_RELEASE = {release}"))
        + "\n"
        + &block
}

fn variables(edit: &[(&str, &str)]) -> String {
    let mut v = corpus_file("rhel/ark-fedora/Makefile.variables.ark-os-build");
    for (from, to) in edit {
        assert!(v.contains(from), "{from}");
        v = v.replace(from, to);
    }
    v
}

fn commit_as(r: &TestRepo, author: &str, message: &str) -> String {
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "--allow-empty", "--author", author, "-m", message]);
    r.rev("HEAD")
}

/// A RHEL 9.2 z-stream tree: upstream v5.14, the packaging as the corpus has it, and its previous release
/// `kernel-5.14.0-284.30.1.el9_2` (the corpus changelog's newest entry) as the last commit.
fn rhel92(zstream: &str) -> TestRepo {
    let r = TestRepo::new();
    r.write("Makefile", kernel_makefile(5, 14, 0, ""));
    r.write("kernel/sched/core.c", "int schedule(void) { return 0; }\n");
    r.write(
        "drivers/net/ethernet/intel/iavf/iavf_main.c",
        "int iavf_probe(void) { return 0; }\n",
    );
    r.commit("Linux 5.14");
    r.git(&["tag", "-a", "-m", "Linux 5.14", "v5.14"]);
    r.write("Makefile.rhelver", rhelver(9, 2, "284.30.1", zstream));
    r.write("redhat/Makefile.variables", variables(&[]));
    r.write("redhat/kernel.spec.template", spec_template());
    r.write(
        "redhat/kernel.changelog-9.2",
        corpus_file("rhel/kernel.changelog-9.2.head"),
    );
    r.write("redhat/marker", "v5.14\n");
    commit_as(&r, "Herton R. Krzesinski <herton@redhat.com>", "redhat: the packaging");
    commit_as(
        &r,
        "Herton R. Krzesinski <herton@redhat.com>",
        "[redhat] kernel-5.14.0-284.30.1.el9_2",
    );
    r
}

/// `pq init`, or `pq adopt` once initialised: commits made with git are taken into the queue.
fn take(r: &TestRepo) {
    if r.git_ok(&["rev-parse", "-q", "--verify", "refs/pq/state/main"]) {
        r.pq_ok(&["adopt"]);
    } else {
        r.pq_ok(&["init", "--base", "v5.14"]);
    }
}

/// Two fixes with z-stream and y-stream Bugzillas and a CVE, and a `[redhat]` configs commit.
fn zstream_fixes(r: &TestRepo) {
    r.write("kernel/sched/core.c", "int schedule(void) { return 1; }\n");
    commit_as(
        r,
        "Crystal Wood <crwood@redhat.com>",
        "sched/core: Add __always_inline to schedule_loop()\n\nZ-Bugzilla: https://bugzilla.redhat.com/show_bug.cgi?id=2233928\nBugzilla: https://bugzilla.redhat.com/2232098\n\ncommit 1111111111111111111111111111111111111111\nAuthor: Upstream <u@kernel.org>\n",
    );
    r.write("redhat/configs/CONFIG_X", "# CONFIG_X is not set\n");
    commit_as(
        r,
        "Herbert Xu <herbert.xu@redhat.com>",
        "[redhat] configs: Disable CONFIG_X\n\nZ-Bugzilla: 2231850\n",
    );
    r.write(
        "drivers/net/ethernet/intel/iavf/iavf_main.c",
        "int iavf_probe(void) { return 1; }\n",
    );
    commit_as(
        r,
        "Petr Oros <poros@redhat.com>",
        "iavf: fix 100% of a reset race\n\nZ-Bugzilla: 2228156\nBugzilla: 2223599\nCVE: CVE-2023-3776\n",
    );
}

/// The corpus's own new_release.sh run on a copy of `Makefile.rhelver`, as `make dist-release` runs it.
fn new_release_sh(rhelver_text: &str, zstream_flag: &str, bump: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("redhat")).unwrap();
    std::fs::write(tmp.path().join("Makefile.rhelver"), rhelver_text).unwrap();
    let o = Command::new("bash")
        .arg(corpus().join("rhel/new_release.sh.with-early-ystream"))
        .env("REDHAT", tmp.path().join("redhat"))
        .env("ZSTREAM_FLAG", zstream_flag)
        .env("YSTREAM_FLAG", if zstream_flag == "no" { "yes" } else { "no" })
        .env("BUMP_RELEASE", bump)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "new_release.sh: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read_to_string(tmp.path().join("Makefile.rhelver")).unwrap()
}

/// The corpus's genlog (`genlog.py`, then genlog.sh's `[redhat]` filter) over `range`: the entry's lines
/// after its header.
fn genlog_oracle(r: &TestRepo, script: &str, range: &[&str]) -> String {
    let mut args = vec!["log", "--topo-order", "--no-merges", "-z", "--format=- %s (%an)%n%b"];
    args.extend_from_slice(range);
    let log = git_out_in(r.home(), &r.dir, &args, NOW);
    assert!(log.status.success());
    let mut child = Command::new("python3")
        .arg(corpus().join(script))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&log.stdout).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("- [redhat]"))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn rpm_vercmp(a: &str, b: &str) -> i32 {
    let o = Command::new("rpm")
        .arg("--eval")
        .arg(format!("%{{lua: print(rpm.vercmp(\"{a}\", \"{b}\"))}}"))
        .output()
        .unwrap();
    assert!(o.status.success());
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}

fn changed_files(r: &TestRepo, rev: &str) -> Vec<String> {
    let out = r.git(&["show", "--format=", "--name-only", rev]);
    out.lines().map(str::to_string).collect()
}

#[test]
fn rhel_9_2_zstream_release_matches_new_release_sh_genlog_and_rpm() {
    require("rpmspec");
    require("rpmbuild");
    require("python3");
    let r = rhel92("yes");
    zstream_fixes(&r);
    take(&r);
    let previous = r.rev("HEAD~3");
    let rhelver_before = r.read_string("Makefile.rhelver");
    let changelog_before = r.read_string("redhat/kernel.changelog-9.2");

    let v = r.pq_json(&["release", "--dist", ".el9_2"], 0);
    assert_eq!(v["nvr"], "kernel-5.14.0-284.31.1.el9_2");
    assert_eq!(v["tag"], "kernel-5.14.0-284.31.1.el9_2");
    assert_eq!(
        rpm_vercmp("284.31.1.el9_2", "284.30.1.el9_2"),
        1,
        "rpm sorts the new release after the current one"
    );

    // new_release.sh's own arithmetic and substitution.
    assert_eq!(
        r.read_string("Makefile.rhelver"),
        new_release_sh(&rhelver_before, "yes", "yes")
    );
    // The commit dist-release-finish makes: subject, sign-off, and only the files it commits that changed.
    let msg = r.git(&["log", "-1", "--format=%B"]);
    assert_eq!(
        msg,
        format!("[redhat] kernel-5.14.0-284.31.1.el9_2\n\nSigned-off-by: {USER_NAME} <{USER_EMAIL}>")
    );
    assert_eq!(
        changed_files(&r, "HEAD"),
        ["Makefile.rhelver", "redhat/kernel.changelog-9.2"],
        "the marker (v5.14) and the template did not change"
    );
    // dist-release-tag: annotated, message = name.
    assert_eq!(r.git(&["cat-file", "-t", "kernel-5.14.0-284.31.1.el9_2"]), "tag");
    assert_eq!(
        r.git(&[
            "tag",
            "-l",
            "--format=%(contents:subject)",
            "kernel-5.14.0-284.31.1.el9_2"
        ]),
        "kernel-5.14.0-284.31.1.el9_2"
    );

    // The changelog: a genlog entry on top of the file, the rest untouched.
    let changelog = r.read_string("redhat/kernel.changelog-9.2");
    let entry = &changelog[..changelog.len() - changelog_before.len()];
    assert_eq!(&changelog[entry.len()..], changelog_before);
    let (header, body) = entry.split_once('\n').unwrap();
    assert_eq!(
        header,
        format!("* Wed Jan 01 2025 {USER_NAME} <{USER_EMAIL}> [5.14.0-284.31.1.el9_2]")
    );
    let range = format!("{previous}..HEAD~1");
    let oracle = genlog_oracle(&r, "rhel/genlog.py.2021-zstream", &["^v5.14", &range]);
    assert_eq!(body, oracle, "the entry is genlog.py's");
    assert!(body.contains("- iavf: fix 100%% of a reset race (Petr Oros) [2228156 2223599] {CVE-2023-3776}\n"));
    assert!(body.ends_with("Resolves: rhbz#2228156, rhbz#2231850, rhbz#2233928\n\n"));

    // The SRPM (rpmbuild -bs: the corpus tree has no redhat/Makefile entry point) and what rpm reads in it.
    let out = r.scratch.path().join("srpms");
    let printed = r.pq_ok(&[
        "srpm",
        "--outdir",
        out.to_str().unwrap(),
        "--dist",
        ".el9_2",
        "--format",
        "json",
    ]);
    json_settings(&r).bind(|| insta::assert_snapshot!("srpm_json", printed));
    let s: serde_json::Value = serde_json::from_str(&printed).unwrap();
    let srpm = PathBuf::from(s["srpm"].as_str().unwrap());
    assert_eq!(srpm.file_name().unwrap(), "kernel-5.14.0-284.31.1.el9_2.src.rpm");
    let q = |args: &[&str]| {
        let o = Command::new("rpm").args(args).arg(&srpm).output().unwrap();
        assert!(
            o.status.success(),
            "rpm {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert_eq!(
        q(&["-qp", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}"]),
        "kernel-5.14.0-284.31.1.el9_2"
    );
    let rpm_changelog = q(&["-qp", "--changelog"]);
    let first: Vec<&str> = rpm_changelog.lines().take(4).collect();
    assert_eq!(
        first,
        [
            format!("* Wed Jan 01 2025 {USER_NAME} <{USER_EMAIL}> [5.14.0-284.31.1.el9_2]").as_str(),
            "- iavf: fix 100% of a reset race (Petr Oros) [2228156 2223599] {CVE-2023-3776}",
            "- sched/core: Add __always_inline to schedule_loop() (Crystal Wood) [2233928 2232098]",
            "",
        ],
        "rpm -qp --changelog, Resolves: lines stripped as genspec.sh does:\n{rpm_changelog}"
    );
    assert!(!rpm_changelog.contains("Resolves:"));
    let files = q(&["-qpl"]);
    assert!(
        files.lines().any(|l| l == "linux-5.14.0-284.31.1.el9_2.tar.xz"),
        "{files}"
    );
    assert!(files.lines().any(|l| l == "kernel.spec"), "{files}");

    // rpmspec on the spec inside the SRPM computes the NVR pq tagged.
    let x = r.scratch.path().join("x");
    std::fs::create_dir_all(&x).unwrap();
    let sh = format!(
        "rpm2cpio '{}' | cpio -idm --quiet kernel.spec linux-5.14.0-284.31.1.el9_2.tar.xz",
        srpm.display()
    );
    let o = Command::new("sh").arg("-c").arg(&sh).current_dir(&x).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new("rpmspec")
        .args([
            "-q",
            "--srpm",
            "--define",
            "dist .el9_2",
            "--qf",
            "%{NAME}-%{VERSION}-%{RELEASE}",
        ])
        .arg(x.join("kernel.spec"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "kernel-5.14.0-284.31.1.el9_2");
    // Source0 holds the tree without the packaging.
    let o = Command::new("tar")
        .arg("-tJf")
        .arg(x.join("linux-5.14.0-284.31.1.el9_2.tar.xz"))
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&o.stdout);
    assert!(
        listing.contains("linux-5.14.0-284.31.1.el9_2/kernel/sched/core.c"),
        "{listing}"
    );
    assert!(
        !listing.contains("/redhat/") && !listing.contains("Makefile.rhelver"),
        "{listing}"
    );
    r.fsck();
}

#[test]
fn branch_stream_and_bump_release_no_and_refusals() {
    require("python3");
    // A z-stream branch build: Y.Z.(z+1), from pq.toml.
    let r = rhel92("yes");
    r.write("pq.toml", "stream = \"branch\"\n");
    r.write("kernel/sched/core.c", "int schedule(void) { return 2; }\n");
    commit_as(&r, "A Dev <a@redhat.com>", "sched: hot fix\n\nZ-Bugzilla: 2240001\n");
    take(&r);
    let before = r.read_string("Makefile.rhelver");
    let v = r.pq_json(&["release", "--dist", ".el9_2"], 0);
    assert_eq!(v["nvr"], "kernel-5.14.0-284.30.2.el9_2");
    assert_eq!(
        r.read_string("Makefile.rhelver"),
        new_release_sh(&before, "branch", "yes")
    );

    // A y-stream release on a z-stream number is refused, naming the number.
    r.write("pq.toml", "stream = \"y\"\n");
    commit_as(&r, "A Dev <a@redhat.com>", "pq.toml: y-stream");
    take(&r);
    let e = assert_refused(&r.pq(&["release", "--dist", ".el9_2"]));
    assert!(e.contains("284.30.2"), "{e}");

    // BUMP_RELEASE = no keeps the number: the same version again would not sort after the current one.
    let r = rhel92("yes");
    r.write(
        "redhat/Makefile.variables",
        variables(&[("BUMP_RELEASE:=yes", "BUMP_RELEASE:=no")]),
    );
    r.write("kernel/sched/core.c", "int schedule(void) { return 3; }\n");
    commit_as(&r, "A Dev <a@redhat.com>", "sched: another fix");
    take(&r);
    let before = r.git(&["rev-parse", "HEAD"]);
    let e = assert_refused(&r.pq(&["release", "--dist", ".el9_2"]));
    assert!(
        e.contains("kernel-5.14.0-284.30.1.el9_2 would not sort after the current kernel-5.14.0-284.30.1.el9_2"),
        "{e}"
    );
    assert_eq!(r.git(&["rev-parse", "HEAD"]), before, "nothing changed");
    assert!(r.git(&["tag", "-l", "kernel-*"]).is_empty());
}

/// The upstream side of an ARK os-build tree: v6.18-rc7, three commits after it (a snapshot), v6.18, and
/// two stable releases.
fn ark_upstream(r: &TestRepo) -> String {
    r.write("Makefile", kernel_makefile(6, 18, 0, "-rc7"));
    r.write("mm/memory.c", "int a;\n");
    r.commit("Linux 6.18-rc7");
    r.git(&["tag", "-a", "-m", "Linux 6.18-rc7", "v6.18-rc7"]);
    for i in 0..3 {
        r.write("mm/memory.c", format!("int a{i};\n"));
        r.commit(&format!("mm: change {i}"));
    }
    let snapshot = r.rev("HEAD");
    r.write("Makefile", kernel_makefile(6, 18, 0, ""));
    r.commit("Linux 6.18");
    r.git(&["tag", "-a", "-m", "Linux 6.18", "v6.18"]);
    for s in 5..=6 {
        r.write("Makefile", kernel_makefile(6, 18, s, ""));
        r.commit(&format!("Linux 6.18.{s}"));
        r.git(&["tag", "-a", "-m", &format!("Linux 6.18.{s}"), &format!("v6.18.{s}")]);
    }
    snapshot
}

fn ark_packaging(r: &TestRepo, release: &str, marker: &str, changelog: &str, vars: &[(&str, &str)]) {
    let rhelver = corpus_file("rhel/ark-fedora/Makefile.rhelver.ark-os-build")
        .replace("RHEL_RELEASE = 22", &format!("RHEL_RELEASE = {release}"));
    r.write("Makefile.rhelver", rhelver);
    r.write("redhat/Makefile.variables", variables(vars));
    r.write("redhat/kernel.spec.template", spec_template());
    r.write("redhat/kernel.changelog-10.99", changelog);
    r.write("redhat/marker", format!("{marker}\n"));
    commit_as(
        r,
        "Justin M. Forbes <jforbes@fedoraproject.org>",
        "[redhat] add the packaging",
    );
}

#[test]
fn ark_fedora_snapshot_rc_and_first_stable_release_after_a_rebase() {
    require("rpmspec");
    require("rpmbuild");
    // A snapshot of upstream (base not a tag), Fedora dist: 0.rc7.<12 hex>.N, marker = that id.
    let r = TestRepo::new();
    let snapshot = ark_upstream(&r);
    r.git(&["checkout", "-q", "-b", "os-build", &snapshot]);
    ark_packaging(&r, "62", "e538109ac71d", "", &[("DIST ?=", "DIST ?= .fc44")]);
    r.pq_ok(&["init", "--base", &snapshot]);
    let short = &snapshot[..12];
    let v = r.pq_json(&["release"], 0);
    let release = format!("0.rc7.{short}.63");
    assert_eq!(v["nvr"], format!("kernel-6.18.0-{release}.fc44"));
    assert_eq!(
        v["tag"],
        format!("kernel-6.18.0-{release}"),
        "Fedora tags carry no dist"
    );
    assert_eq!(r.read_string("redhat/marker"), format!("{short}\n"));
    let log = r.read_string("redhat/kernel.changelog-10.99");
    let expected = format!(
        "* Wed Jan 01 2025 {USER_NAME} <{USER_EMAIL}> [6.18.0-{release}]\n- Linux v6.18.0-0.rc7.{short}\nResolves: \n\n"
    );
    assert_eq!(log, expected);
    assert_eq!(
        changed_files(&r, "HEAD"),
        ["Makefile.rhelver", "redhat/kernel.changelog-10.99", "redhat/marker"]
    );
    let out = r.scratch.path().join("srpms");
    let s = r.pq_json(&["srpm", "--outdir", out.to_str().unwrap()], 0);
    let o = Command::new("rpm")
        .args(["-qp", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}"])
        .arg(s["srpm"].as_str().unwrap())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("kernel-6.18.0-{release}.fc44")
    );

    // An rc release: 0.rc7.N, the marker v6.18-rc7.
    let r = TestRepo::new();
    ark_upstream(&r);
    r.git(&["checkout", "-q", "-b", "os-build", "v6.18-rc7"]);
    ark_packaging(&r, "56", "v6.18-rc6", "", &[]);
    r.pq_ok(&["init", "--base", "v6.18-rc7"]);
    let v = r.pq_json(&["release"], 0);
    assert_eq!(v["nvr"], "kernel-6.18.0-0.rc7.57");
    assert!(r
        .read_string("redhat/kernel.changelog-10.99")
        .contains("- Linux v6.18.0-0.rc7\nResolves: \n"));

    // Fedora stable releases (BUMP_RELEASE = no, RHEL_RELEASE 0): after `pq rebase v6.18.6` the first
    // release is 6.18.6-0 with its `- Linux v6.18.6` line, as in the real kernel.changelog-10.99.
    let r = TestRepo::new();
    ark_upstream(&r);
    r.git(&["checkout", "-q", "-b", "f43", "v6.18.5"]);
    let old =
        "* Sun Jan 11 2026 Justin M. Forbes <jforbes@fedoraproject.org> [6.18.5-0]\n- Linux v6.18.5\nResolves: \n\n";
    ark_packaging(
        &r,
        "0",
        "v6.18.5",
        old,
        &[("BUMP_RELEASE:=yes", "BUMP_RELEASE:=no"), ("DIST ?=", "DIST ?= .fc43")],
    );
    r.write("fs/erofs/super.c", "int erofs;\n");
    commit_as(&r, "Gao Xiang <xiang@kernel.org>", "erofs: fix file-backed mounts");
    r.pq_ok(&["init", "--base", "v6.18.5"]);
    r.pq_ok(&["rebase", "v6.18.6"]);
    let v = r.pq_json(&["release"], 0);
    assert_eq!(v["nvr"], "kernel-6.18.6-0.fc43");
    assert_eq!(v["tag"], "kernel-6.18.6-0");
    assert_eq!(
        r.read_string("redhat/kernel.changelog-10.99"),
        format!(
            "* Wed Jan 01 2025 {USER_NAME} <{USER_EMAIL}> [6.18.6-0]\n- erofs: fix file-backed mounts (Gao Xiang)\n- Linux v6.18.6\nResolves: \n\n{old}"
        )
    );
    assert_eq!(
        changed_files(&r, "HEAD"),
        ["redhat/kernel.changelog-10.99", "redhat/marker"]
    );
    // Releasing again with nothing new: dist-release-changed's "nothing changed".
    let out = r.pq_ok(&["release"]);
    assert!(out.starts_with("nothing changed since kernel-6.18.6-0"), "{out}");
}

#[test]
fn release_start_resets_rhel_release_for_a_new_cycle() {
    // `release_start = "284.31.1"` is accepted, and used for the first release after a rebase.
    let r = TestRepo::new();
    ark_upstream(&r);
    r.git(&["checkout", "-q", "-b", "c9s", "v6.18.5"]);
    ark_packaging(&r, "300.2.1", "v6.18.5", "", &[("DIST ?=", "DIST ?= .el9")]);
    r.write("pq.toml", "release_start = \"284.31.1\"\nstream = \"z\"\n");
    commit_as(&r, "A <a@redhat.com>", "pq.toml");
    r.pq_ok(&["init", "--base", "v6.18.5"]);
    r.pq_ok(&["rebase", "v6.18.6"]);
    let v = r.pq_json(&["release"], 0);
    assert_eq!(v["nvr"], "kernel-6.18.6-284.31.1.el9");
    assert!(r
        .read_string("Makefile.rhelver")
        .contains("\nRHEL_RELEASE = 284.31.1\n"));
}

#[test]
fn srpm_names_every_missing_source_before_building_and_release_srpm_builds() {
    require("rpmbuild");
    let r = rhel92("yes");
    // Sources ARK's tooling generates (kabi tarballs, keys) are not in the tree.
    let template = r.read_string("redhat/kernel.spec.template").replace(
        "Source1: Makefile.rhelver\n",
        "Source1: Makefile.rhelver\nSource300: kernel-abi-stablelists-%{kabiversion}.tar.xz\nSource11: x509.genkey\n",
    );
    r.write("redhat/kernel.spec.template", template);
    commit_as(&r, "A <a@redhat.com>", "redhat: more sources");
    take(&r);
    let out = r.scratch.path().join("srpms");
    let v = r.pq_json(&["release", "--dist", ".el9_2", "--srpm", out.to_str().unwrap()], 4);
    assert_eq!(v["nvr"], "kernel-5.14.0-284.31.1.el9_2", "the release stands");
    let err = v["srpm"]["error"].as_str().unwrap();
    assert_eq!(
        err,
        "the spec lists 2 source files pq cannot provide: kernel-abi-stablelists-5.14.0-284.31.1.el9_2.tar.xz, x509.genkey"
    );
    assert!(
        !out.exists() || std::fs::read_dir(&out).unwrap().next().is_none(),
        "nothing built"
    );

    // With the sources committed, `release --srpm` builds it.
    let r = rhel92("yes");
    r.write("kernel/x.c", "int x;\n");
    commit_as(&r, "A <a@redhat.com>", "x: a fix");
    take(&r);
    let v = r.pq_json(&["release", "--dist", ".el9_2", "--srpm", out.to_str().unwrap()], 0);
    let srpm = v["srpm"].as_str().unwrap();
    assert!(srpm.ends_with("/kernel-5.14.0-284.31.1.el9_2.src.rpm"), "{srpm}");
}

#[test]
fn srpm_runs_the_trees_own_dist_srpm_with_the_release_variables() {
    require("make");
    let r = rhel92("yes");
    // A tree with its own entry point: redhat/Makefile's dist-srpm (here one that records what it was given).
    r.write(
        "redhat/Makefile",
        "dist-srpm:\n\tmkdir -p rpm/SRPMS\n\techo 'DIST=$(DIST) BUILDID=$(BUILDID)' > rpm/SRPMS/kernel-5.14.0-284.31.1$(BUILDID)$(DIST).src.rpm\n",
    );
    r.write(".gitignore", "redhat/rpm/\n");
    r.write("kernel/y.c", "int y;\n");
    commit_as(&r, "A <a@redhat.com>", "y: a fix");
    take(&r);
    let out = r.scratch.path().join("srpms");
    let v = r.pq_json(
        &[
            "release",
            "--dist",
            ".el9_2",
            "--local",
            "hs1",
            "--srpm",
            out.to_str().unwrap(),
        ],
        0,
    );
    assert_eq!(v["nvr"], "kernel-5.14.0-284.31.1.hs1.el9_2");
    let srpm = PathBuf::from(v["srpm"].as_str().unwrap());
    assert_eq!(srpm.file_name().unwrap(), "kernel-5.14.0-284.31.1.hs1.el9_2.src.rpm");
    assert_eq!(std::fs::read_to_string(&srpm).unwrap(), "DIST=.el9_2 BUILDID=.hs1\n");
}
