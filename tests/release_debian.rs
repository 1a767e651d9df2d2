//! `pq release` on a tree packaged only for Debian (`debian/changelog` from the corpus, no spec): the
//! stable-update entry against the `git log` stable-update runs, `dpkg-parsechangelog`, dpkg's ordering, `dch`
//! adding to what pq wrote, 80 columns, `Closes:` and CVE ids kept, `[debian]` commits left out.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn require(tool: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    assert!(found, "{tool} is not installed (CI installs it: see .ci/run)");
}

fn corpus_changelog() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/packaging/debian/changelog.head");
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("the packaging corpus is missing ({}): {e}", p.display()))
}

fn parsechangelog(r: &TestRepo, field: &str) -> String {
    let o = Command::new("dpkg-parsechangelog")
        .args(["-l"])
        .arg(r.path("debian/changelog"))
        .args(["-S", field])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "dpkg-parsechangelog: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn dpkg_gt(a: &str, b: &str) -> bool {
    Command::new("dpkg")
        .args(["--compare-versions", a, "gt", b])
        .status()
        .unwrap()
        .success()
}

#[test]
fn debian_stable_update_and_revision() {
    require("dpkg-parsechangelog");
    require("dch");
    let r = TestRepo::new();
    let kmake =
        |s: u32| format!("VERSION = 5\nPATCHLEVEL = 10\nSUBLEVEL = {s}\nEXTRAVERSION =\nNAME = Dare mighty things\n");
    r.write("Makefile", kmake(28));
    r.write("mm/memcontrol.c", "int a;\n");
    r.commit("Linux 5.10.28");
    r.git(&["tag", "-a", "-m", "Linux 5.10.28", "v5.10.28"]);
    r.write("mm/memcontrol.c", "int b;\n");
    r.commit("mm/memcg: rename mem_cgroup_split_huge_fixup to split_page_memcg and add nr_pages argument");
    r.write("mm/memcontrol.c", "int c;\n");
    r.commit("mm/memcg: set memcg when splitting page");
    r.write("Makefile", kmake(29));
    r.commit("Linux 5.10.29");
    r.git(&["tag", "-a", "-m", "Linux 5.10.29", "v5.10.29"]);
    r.git(&["checkout", "-q", "-b", "sid", "v5.10.28"]);
    r.write("debian/changelog", corpus_changelog());
    r.commit("[debian] the packaging");
    r.write("fs/xattr.c", "int fixed;\n");
    r.commit("vfs: move cap_convert_nscap() call into vfs_setxattr()\n\nCVE: CVE-2021-3493\n");
    r.write("sound/soc/intel/Kconfig", "config X\n");
    r.commit("[x86] sound/soc/intel: Enable SND_SOC_INTEL_CATPT as module, and a long subject to wrap it\n\nCloses: #986822\n");
    r.write("debian/config/amd64", "CONFIG_Y=m\n");
    r.commit("d/config: enable Y");
    r.pq_ok(&["init", "--base", "v5.10.28", "--packaging", "debian"]);
    r.pq_ok(&["rebase", "v5.10.29"]);
    let before = r.read_string("debian/changelog");
    let v = r.pq_json(&["release"], 0);
    assert_eq!(v["tag"], "debian/5.10.29-1");
    assert_eq!(parsechangelog(&r, "Version"), "5.10.29-1");
    assert_eq!(parsechangelog(&r, "Source"), "linux");
    assert_eq!(parsechangelog(&r, "Distribution"), "UNRELEASED");
    assert!(dpkg_gt("5.10.29-1", "5.10.28-2"));
    let text = r.read_string("debian/changelog");
    let entry = &text[..text.len() - before.len()];
    assert_eq!(&text[entry.len()..], before);
    // The stable part, as stable-update's `git log --reverse --pretty='    - %s' v5.10.28..v5.10.29^`.
    let log = r.git(&["log", "--reverse", "--pretty=    - %s", "v5.10.28..v5.10.29^"]);
    assert_eq!(log.lines().count(), 2);
    let expected_stable = format!(
        "  * New upstream stable update:\n    https://www.kernel.org/pub/linux/kernel/v5.x/ChangeLog-5.10.29\n{}",
        "    - mm/memcg: rename mem_cgroup_split_huge_fixup to split_page_memcg and add\n      nr_pages argument\n    - mm/memcg: set memcg when splitting page\n"
    );
    assert!(
        entry.starts_with(&format!(
            "linux (5.10.29-1) UNRELEASED; urgency=medium\n\n{expected_stable}"
        )),
        "{entry}"
    );
    assert!(
        entry.contains("  * vfs: move cap_convert_nscap() call into vfs_setxattr() (CVE-2021-3493)\n"),
        "{entry}"
    );
    assert!(entry.contains("(Closes: #986822)"), "{entry}");
    assert!(
        !entry.contains("[debian]") && !entry.contains("d/config"),
        "packaging commits are left out: {entry}"
    );
    assert!(text.lines().all(|l| l.chars().count() <= 80), "80 columns:\n{entry}");
    assert_eq!(r.git(&["log", "-1", "--format=%s"]), "Release linux (5.10.29-1).");
    assert_eq!(r.git(&["show", "--format=", "--name-only", "HEAD"]), "debian/changelog");
    assert_eq!(r.git(&["cat-file", "-t", "debian/5.10.29-1"]), "tag");

    // dch takes what pq wrote and adds to it.
    let copy = r.scratch.path().join("dch");
    std::fs::create_dir_all(copy.join("debian")).unwrap();
    std::fs::write(copy.join("debian/changelog"), &text).unwrap();
    let o = Command::new("dch")
        .current_dir(&copy)
        .env("DEBEMAIL", "pat@example.org")
        .env("DEBFULLNAME", "Pat Tester")
        .args(["--no-conf", "-a", "Another change."])
        .output()
        .unwrap();
    assert!(o.status.success(), "dch: {}", String::from_utf8_lossy(&o.stderr));
    let added = std::fs::read_to_string(copy.join("debian/changelog")).unwrap();
    assert!(
        added.starts_with("linux (5.10.29-1) UNRELEASED; urgency=medium\n"),
        "{added}"
    );
    assert!(added.contains("Another change."), "{added}");

    // The same upstream again: the revision counts up.
    r.write("fs/xattr.c", "int fixed2;\n");
    r.commit("vfs: a follow-up fix\n\nCloses: #987019\n");
    r.pq_ok(&["adopt"]);
    let v = r.pq_json(&["release"], 0);
    assert_eq!(v["tag"], "debian/5.10.29-2");
    assert_eq!(parsechangelog(&r, "Version"), "5.10.29-2");
    assert!(dpkg_gt("5.10.29-2", "5.10.29-1"));
    let top = r.read_string("debian/changelog");
    assert!(top.starts_with("linux (5.10.29-2) UNRELEASED; urgency=medium\n\n  * vfs: a follow-up fix (Closes: #987019)\n\n -- Pat Tester <pat@example.org>  Wed, 01 Jan 2025 00:00:00 +0000\n\n"), "{top}");
    // Nothing new: nothing to release.
    let out = r.pq_ok(&["release"]);
    assert!(out.starts_with("nothing changed since linux 5.10.29-2"), "{out}");
}

#[test]
fn ubuntu_entry_groups_by_buglink_and_cve_like_git_ubuntu_log() {
    require("dpkg-parsechangelog");
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/packaging/ubuntu/debian.master-changelog.head");
    let head = std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("the packaging corpus is missing ({}): {e}", p.display()));
    let r = TestRepo::new();
    r.write(
        "Makefile",
        "VERSION = 5\nPATCHLEVEL = 15\nSUBLEVEL = 193\nEXTRAVERSION =\nNAME = Trick or Treat\n",
    );
    r.commit("Linux 5.15.193");
    r.git(&["tag", "-a", "-m", "Linux 5.15.193", "v5.15.193"]);
    r.git(&["checkout", "-q", "-b", "jammy"]);
    r.write("debian.master/changelog", head.as_bytes());
    r.commit("UBUNTU: Ubuntu-5.15.0-164.174");
    r.pq_ok(&["init", "--base", "v5.15.193", "--packaging", "debian.master"]);
    r.write("fs/f2fs/gc.c", "int a;\n");
    r.commit("f2fs: fix race in concurrent f2fs_stop_gc_thread\n\nCVE-2024-53218\n(cherry picked from commit 7b0033dbc48340a1c1c3f12448ba17d6587ca092)\n");
    r.write("debian.master/modules", "pvpanic\n");
    r.commit("UBUNTU: [Packaging] Add pvpanic kernel modules to linux-modules\n\nBugLink: https://bugs.launchpad.net/bugs/2126659\n");
    r.write("drivers/net/vxlan.c", "int b;\n");
    r.commit("UBUNTU: SAUCE: fan: vxlan: check memory allocation for map\n");
    r.write("fs/kernfs/dir.c", "int c;\n");
    r.commit(
        "kernfs: switch global kernfs_rwsem lock to per-fs lock\n\nBugLink: https://bugs.launchpad.net/bugs/2125142\n",
    );
    r.pq_ok(&["adopt"]);
    let v = r.pq_json(&["release"], 0);
    assert_eq!(v["tag"], "Ubuntu-5.15.0-165.175");
    assert_eq!(r.git(&["log", "-1", "--format=%s"]), "UBUNTU: Ubuntu-5.15.0-165.175");
    let text = r.read_string("debian.master/changelog");
    let o = Command::new("dpkg-parsechangelog")
        .arg("-l")
        .arg(r.path("debian.master/changelog"))
        .args(["-S", "Version"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "5.15.0-165.175");
    assert!(dpkg_gt("5.15.0-165.175", "5.15.0-164.174"));
    let entry = &text[..text.len() - head.len()];
    assert_eq!(
        entry,
        "linux (5.15.0-165.175) jammy; urgency=medium\n\n\
         \x20 * kernfs: switch global kernfs_rwsem lock to per-fs lock (LP: #2125142)\n\
         \x20   - kernfs: switch global kernfs_rwsem lock to per-fs lock\n\n\
         \x20 * [Packaging] Add pvpanic kernel modules to linux-modules (LP: #2126659)\n\
         \x20   - [Packaging] Add pvpanic kernel modules to linux-modules\n\n\
         \x20 * CVE-2024-53218\n\
         \x20   - f2fs: fix race in concurrent f2fs_stop_gc_thread\n\n\
         \x20 * Miscellaneous Ubuntu changes\n\
         \x20   - SAUCE: fan: vxlan: check memory allocation for map\n\n\
         \x20-- Pat Tester <pat@example.org>  Wed, 01 Jan 2025 00:00:00 +0000\n\n"
    );
}
