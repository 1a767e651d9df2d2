//! `pq release` on trees carrying a real dist-git spec from `../shared/corpus/packaging/fedora-distgit/`:
//! Fedora's hand-kept spec (`baserelease`, `stable_update`) and the ARK-generated one (`pkgrelease`,
//! `specrelease`, `tarfile_release`, `kabiversion`), also as RHEL dist-git carries it. Every NVR is checked
//! against `rpmspec -q --srpm` of the spec pq wrote and ordered with rpm's own `rpm.vercmp`.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn corpus_file(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/packaging")
        .join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("the packaging corpus is missing ({}): {e}", p.display()))
}

fn require(tool: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    assert!(found, "{tool} is not installed (CI installs it: see .ci/run)");
}

fn kernel_makefile(v: u32, p: u32, s: u32) -> String {
    format!("VERSION = {v}\nPATCHLEVEL = {p}\nSUBLEVEL = {s}\nEXTRAVERSION =\nNAME = Test\n")
}

/// Upstream `v{v}.{p}.{s}` for each sublevel given, one commit and tag each.
fn upstream(r: &TestRepo, v: u32, p: u32, sublevels: &[u32]) {
    for s in sublevels {
        r.write("Makefile", kernel_makefile(v, p, *s));
        r.write("fs/file.c", format!("int v = {s};\n"));
        r.commit(&format!("Linux {v}.{p}.{s}"));
        r.git(&["tag", "-a", "-m", "tag", &format!("v{v}.{p}.{s}")]);
    }
}

fn rpmspec_nvr(r: &TestRepo, dist: &str) -> String {
    let o = Command::new("rpmspec")
        .args(["-q", "--srpm", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}", "--define"])
        .arg(format!("dist {}", if dist.is_empty() { "%{nil}" } else { dist }))
        .arg(r.path("redhat/kernel.spec"))
        .output()
        .unwrap();
    assert!(o.status.success(), "rpmspec: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn rpm_vercmp(a: &str, b: &str) -> i32 {
    let o = Command::new("rpm")
        .arg("--eval")
        .arg(format!("%{{lua: print(rpm.vercmp(\"{a}\", \"{b}\"))}}"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}

fn macro_line(spec: &str, name: &str) -> String {
    spec.lines()
        .find(|l| l.starts_with(&format!("%define {name} ")) || l.starts_with(&format!("%global {name} ")))
        .unwrap_or_else(|| panic!("no %{name}"))
        .to_string()
}

#[test]
fn fedora_stable_update_keeps_the_branch_hundred_and_rpm_agrees() {
    require("rpmspec");
    let r = TestRepo::new();
    upstream(&r, 5, 8, &[18, 19]);
    r.git(&["checkout", "-q", "-b", "f31", "v5.8.18"]);
    r.write(
        "redhat/kernel.spec",
        corpus_file("fedora-distgit/kernel.spec.f31-5.8.18-100-oldstyle"),
    );
    r.commit("redhat: the f31 kernel.spec");
    r.write("net/bluetooth/a2mp.c", "int fixed;\n");
    r.commit("Fix BleedingTooth CVE-2020-12351 (rhbz 1886521)");
    r.pq_ok(&["init", "--base", "v5.8.18"]);
    assert_eq!(rpmspec_nvr(&r, ".fc31"), "kernel-5.8.18-100.fc31");

    // A stable update: baserelease stays 100 (the f31 branch's hundred), stable_update moves.
    r.pq_ok(&["rebase", "v5.8.19"]);
    let v = r.pq_json(&["release", "--dist", ".fc31"], 0);
    assert_eq!(v["nvr"], "kernel-5.8.19-100.fc31");
    assert_eq!(rpmspec_nvr(&r, ".fc31"), "kernel-5.8.19-100.fc31");
    assert_eq!(rpm_vercmp("5.8.19", "5.8.18"), 1);
    let spec = r.read_string("redhat/kernel.spec");
    assert_eq!(macro_line(&spec, "baserelease"), "%global baserelease 100");
    assert_eq!(macro_line(&spec, "stable_update"), "%define stable_update 19");
    // Fedora's header: ` - V-R` without the dist, the new upstream first.
    let entry: Vec<&str> = spec[spec.find("%changelog\n").unwrap()..]
        .lines()
        .skip(1)
        .take(5)
        .collect();
    assert_eq!(
        entry,
        [
            format!("* Wed Jan 01 2025 {USER_NAME} <{USER_EMAIL}> - 5.8.19-100").as_str(),
            "- Linux v5.8.19",
            "- redhat: the f31 kernel.spec (Pat Tester)",
            "- Fix BleedingTooth CVE-2020-12351 (rhbz 1886521) (Pat Tester)",
            "",
        ]
    );

    // A rebuild of the same version: 101, as the real f31 branch did (100 → 101).
    r.write("fs/other.c", "int w;\n");
    r.commit("Another fix");
    r.pq_ok(&["adopt"]);
    let v = r.pq_json(&["release", "--dist", ".fc31"], 0);
    assert_eq!(v["nvr"], "kernel-5.8.19-101.fc31");
    assert_eq!(rpmspec_nvr(&r, ".fc31"), "kernel-5.8.19-101.fc31");
    assert_eq!(rpm_vercmp("101.fc31", "100.fc31"), 1);

    // A local build: `%{?buildid}` stays in Release, the tag goes into the buildid define.
    r.write("fs/other.c", "int w2;\n");
    r.commit("A local change");
    r.pq_ok(&["adopt"]);
    let v = r.pq_json(&["release", "--dist", ".fc31", "--local", "hs1"], 0);
    assert_eq!(v["nvr"], "kernel-5.8.19-102.hs1.fc31");
    assert_eq!(rpmspec_nvr(&r, ".fc31"), "kernel-5.8.19-102.hs1.fc31");
    let spec = r.read_string("redhat/kernel.spec");
    assert!(spec.contains("%define buildid .hs1\n"), "buildid define");
    assert!(spec.contains("%define pkg_release %{fedora_build}%{?buildid}%{?dist}\n"));
}

#[test]
fn a_version_rpm_evaluates_differently_is_refused_with_both() {
    require("rpmspec");
    // The f31 spec hard-codes `5.%{base_sublevel}`: on a 6.7 tree rpm would build 5.7.1.
    let r = TestRepo::new();
    upstream(&r, 6, 7, &[1]);
    r.git(&["checkout", "-q", "-b", "b", "v6.7.1"]);
    r.write(
        "redhat/kernel.spec",
        corpus_file("fedora-distgit/kernel.spec.f31-5.8.18-100-oldstyle"),
    );
    r.commit("redhat: spec");
    r.pq_ok(&["init", "--base", "v6.7.1"]);
    let before = r.rev("HEAD");
    let e = assert_refused(&r.pq(&["release"]));
    assert!(
        e.contains("rpm evaluates the spec pq would write as kernel-5.7.1-100, but the release is kernel-6.7.1-100"),
        "{e}"
    );
    assert_eq!(r.rev("HEAD"), before);
    assert!(r.git(&["tag", "-l", "kernel-*"]).is_empty());
}

#[test]
fn ark_generated_spec_moves_pkgrelease_specrelease_tarfile_and_kabi_together() {
    require("rpmspec");
    // Fedora (f43): 7.1.7-100 → a rebuild 101 → the next stable 7.1.8-100, as the real f43 commits did.
    let r = TestRepo::new();
    upstream(&r, 7, 1, &[7, 8]);
    r.git(&["checkout", "-q", "-b", "f43", "v7.1.7"]);
    r.write(
        "redhat/kernel.spec",
        corpus_file("fedora-distgit/kernel.spec.f43-7.1.7-100"),
    );
    r.commit("redhat: spec");
    r.write("fs/vhost.c", "int reset;\n");
    r.commit("vhost: reset the vring metadata cache on vring reconfiguration");
    r.pq_ok(&["init", "--base", "v7.1.7"]);
    let v = r.pq_json(&["release", "--dist", ".fc43"], 0);
    assert_eq!(v["nvr"], "kernel-7.1.7-101.fc43");
    assert_eq!(rpmspec_nvr(&r, ".fc43"), "kernel-7.1.7-101.fc43");
    let spec = r.read_string("redhat/kernel.spec");
    assert_eq!(macro_line(&spec, "pkgrelease"), "%define pkgrelease 101");
    assert_eq!(
        macro_line(&spec, "specrelease"),
        "%define specrelease 101%{?buildid}%{?dist}"
    );
    assert_eq!(macro_line(&spec, "tarfile_release"), "%define tarfile_release 7.1.7");
    r.pq_ok(&["rebase", "v7.1.8"]);
    let v = r.pq_json(&["release", "--dist", ".fc43"], 0);
    assert_eq!(v["nvr"], "kernel-7.1.8-100.fc43");
    assert_eq!(rpmspec_nvr(&r, ".fc43"), "kernel-7.1.8-100.fc43");
    let spec = r.read_string("redhat/kernel.spec");
    for (name, value) in [
        ("specrpmversion", "7.1.8"),
        ("specversion", "7.1.8"),
        ("pkgrelease", "100"),
        ("tarfile_release", "7.1.8"),
        ("kabiversion", "7.1.8"),
    ] {
        assert_eq!(macro_line(&spec, name), format!("%define {name} {value}"));
    }

    // RHEL dist-git: the same spec at 5.14.0-284.30.1.el9_2; a z-stream build moves all four to 284.31.1.
    let r = TestRepo::new();
    upstream(&r, 5, 14, &[0]);
    r.git(&["checkout", "-q", "-b", "rhel-9.2.0", "v5.14.0"]);
    let rhel = corpus_file("fedora-distgit/kernel.spec.f43-7.1.7-100")
        .replace("%define specrpmversion 7.1.7", "%define specrpmversion 5.14.0")
        .replace("%define specversion 7.1.7", "%define specversion 5.14.0")
        .replace("%define patchversion 7.1", "%define patchversion 5.14")
        .replace("%define pkgrelease 100", "%define pkgrelease 284.30.1")
        .replace("%define kversion 7", "%define kversion 5")
        .replace(
            "%define tarfile_release 7.1.7",
            "%define tarfile_release 5.14.0-284.30.1.el9_2",
        )
        .replace("%define patchlevel 1", "%define patchlevel 14")
        .replace(
            "%define specrelease 100%{?buildid}%{?dist}",
            "%define specrelease 284.30.1%{?buildid}%{?dist}",
        )
        .replace("%define kabiversion 7.1.7", "%define kabiversion 5.14.0-284.30.1.el9_2")
        .replacen("[7.1.7-0]", "[5.14.0-284.30.1.el9_2]", 1);
    r.write("redhat/kernel.spec", rhel);
    r.commit("redhat: spec");
    r.write("fs/iavf.c", "int fixed;\n");
    r.commit("iavf: fix a reset race\n\nZ-Bugzilla: 2228156\n");
    r.pq_ok(&["init", "--base", "v5.14.0"]);
    assert_eq!(rpmspec_nvr(&r, ".el9_2"), "kernel-5.14.0-284.30.1.el9_2");
    let v = r.pq_json(&["release", "--dist", ".el9_2"], 0);
    assert_eq!(v["nvr"], "kernel-5.14.0-284.31.1.el9_2");
    assert_eq!(rpmspec_nvr(&r, ".el9_2"), "kernel-5.14.0-284.31.1.el9_2");
    assert_eq!(rpm_vercmp("284.31.1.el9_2", "284.30.1.el9_2"), 1);
    let spec = r.read_string("redhat/kernel.spec");
    for (name, value) in [
        ("pkgrelease", "284.31.1"),
        ("specrelease", "284.31.1%{?buildid}%{?dist}"),
        ("tarfile_release", "5.14.0-284.31.1.el9_2"),
        ("kabiversion", "5.14.0-284.31.1.el9_2"),
    ] {
        assert_eq!(macro_line(&spec, name), format!("%define {name} {value}"));
    }
    // Nothing of the old number is left for Provides to carry.
    assert!(!spec.contains("284.30.1%{?buildid}") && !spec.contains("define pkgrelease 284.30.1"));
    assert!(
        spec.contains("# define buildid .local\n"),
        "genspec.sh's buildid line is kept"
    );
}

#[test]
fn changelog_ark_in_pq_toml_wins_over_the_trees_fedora_entries() {
    require("rpmspec");
    let r = TestRepo::new();
    upstream(&r, 5, 8, &[18]);
    r.git(&["checkout", "-q", "-b", "f31", "v5.8.18"]);
    r.write(
        "redhat/kernel.spec",
        corpus_file("fedora-distgit/kernel.spec.f31-5.8.18-100-oldstyle"),
    );
    r.write("pq.toml", "changelog = \"ark\"\n");
    r.commit("redhat: spec");
    r.write("net/x.c", "int x;\n");
    r.commit("net: fix x\n\nBugzilla: 1886521\n");
    r.pq_ok(&["init", "--base", "v5.8.18"]);
    let v = r.pq_json(&["release"], 0);
    assert_eq!(v["nvr"], "kernel-5.8.18-101");
    let spec = r.read_string("redhat/kernel.spec");
    let top: Vec<&str> = spec[spec.find("%changelog\n").unwrap()..]
        .lines()
        .skip(1)
        .take(4)
        .collect();
    assert_eq!(
        top,
        [
            format!("* Wed Jan 01 2025 {USER_NAME} <{USER_EMAIL}> [5.8.18-101]").as_str(),
            "- redhat: spec (Pat Tester)",
            "- net: fix x (Pat Tester) [1886521]",
            "",
        ],
        "ARK's header, and no Resolves: line in the spec"
    );
    assert_eq!(rpmspec_nvr(&r, ""), "kernel-5.8.18-101");
}

#[test]
fn srpm_of_fedoras_spec_makes_the_upstream_tarball_and_stable_patch_and_names_what_is_missing() {
    require("rpmspec");
    require("rpmbuild");
    let r = TestRepo::new();
    // Upstream v5.8 and the stable release v5.8.19 on top.
    r.write("Makefile", kernel_makefile(5, 8, 0));
    r.write("fs/file.c", "int v = 0;\n");
    r.commit("Linux 5.8");
    r.git(&["tag", "-a", "-m", "tag", "v5.8"]);
    upstream(&r, 5, 8, &[19]);
    r.git(&["checkout", "-q", "-b", "f31", "v5.8.19"]);
    let spec = corpus_file("fedora-distgit/kernel.spec.f31-5.8.18-100-oldstyle")
        .replace("%define stable_update 18", "%define stable_update 19");
    r.write("redhat/kernel.spec", spec);
    r.commit("redhat: spec");
    r.pq_ok(&["init", "--base", "v5.8.19"]);
    let out = r.scratch.path().join("srpms");
    let o = r.pq(&["srpm", "--outdir", out.to_str().unwrap(), "--dist", ".fc31"]);
    let e = assert_refused(&o);
    // The upstream tarball and the stable patch are made; the sources Fedora keeps in dist-git are named.
    assert!(e.contains("source files pq cannot provide: "), "{e}");
    assert!(!e.contains("linux-5.8.tar.xz") && !e.contains("patch-5.8.19.xz"), "{e}");
    assert!(e.contains("kernel-x86_64-fedora.config"), "{e}");
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
}
