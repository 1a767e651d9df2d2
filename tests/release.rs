//! `pq release` on the generated kernel fixture: NVRs, changelog entries, the release commit and tag, the
//! rebase interplay, dry runs, configuration variants and refusals. Specs pq writes are checked with
//! `rpmspec -P` and debian changelogs with `dpkg-parsechangelog` when those tools are installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;

struct Repo {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

/// A fresh kernel fixture on `fedora-6.7`; `prepare` runs before `pq init --base v6.7.1`.
fn fixture_with(prepare: impl FnOnce(&Path)) -> Repo {
    let tmp = tempfile::Builder::new().prefix("pq-release-").tempdir().unwrap();
    let dir = tmp.path().join("kernel");
    xtask::fixture::kernel(&dir, &xtask::fixture::KernelOptions::small()).unwrap();
    prepare(&dir);
    let o = pq(&dir, &["init", "--base", "v6.7.1"]);
    assert!(o.status.success(), "init: {}", stderr(&o));
    Repo { _tmp: tmp, dir }
}

fn fixture() -> Repo {
    fixture_with(|_| {})
}

fn pq(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::cargo_bin("pq").unwrap();
    xtask::git::hermetic(&mut cmd);
    cmd.arg("-C").arg(dir).args(args);
    cmd.output().unwrap()
}

fn pq_ok(dir: &Path, args: &[&str]) -> String {
    let o = pq(dir, args);
    assert!(
        o.status.success(),
        "pq {args:?} failed ({:?}):\n{}\n{}",
        o.status.code(),
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

fn git(dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    xtask::git::hermetic(&mut cmd);
    let o = cmd.current_dir(dir).args(args).output().unwrap();
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
    stdout(&o)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn release_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["release", "--format", "json"];
    all.extend_from_slice(args);
    serde_json::from_str(&pq_ok(dir, &all)).unwrap()
}

fn spec(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("redhat/kernel.spec")).unwrap()
}

/// The text of the `%changelog` section, up to the trailing Emacs block.
fn changelog(dir: &Path) -> String {
    let s = spec(dir);
    let start = s.find("%changelog\n").unwrap() + "%changelog\n".len();
    let end = s.find("\n###\n").unwrap();
    s[start..end].to_string()
}

/// Whether a tool is installed; in CI (`CI=true`) a missing one is a failure, not a skip.
fn have(tool: &str) -> bool {
    let found = Command::new(tool).arg("--version").output().is_ok();
    assert!(
        found || std::env::var("CI").map_or(true, |v| v != "true"),
        "{tool} is not installed, and CI must run every check (.ci/run installs it)"
    );
    found
}

/// Every ref and the work tree's state, to prove a command changed nothing.
fn snapshot(dir: &Path) -> String {
    format!(
        "{}\n{}\n{}",
        git(dir, &["for-each-ref", "--format=%(refname) %(objectname)"]),
        git(dir, &["status", "--porcelain", "--untracked-files=all"]),
        git(dir, &["hash-object", "redhat/kernel.spec"]),
    )
}

/// `rpmspec -P` must accept the spec; returns the NVR rpm computes (None when rpmspec is missing).
fn rpmspec_nvr(dir: &Path, dist: Option<&str>) -> Option<String> {
    if !have("rpmspec") {
        eprintln!("note: rpmspec not installed (apt-get install rpm); spec check skipped");
        return None;
    }
    let define = format!("dist {}", dist.unwrap_or("%{nil}"));
    let spec = dir.join("redhat/kernel.spec");
    let o = Command::new("rpmspec")
        .arg("--define")
        .arg(&define)
        .arg("-P")
        .arg(&spec)
        .output()
        .unwrap();
    assert!(o.status.success(), "rpmspec -P rejected the spec: {}", stderr(&o));
    let o = Command::new("rpmspec")
        .arg("--define")
        .arg(&define)
        .args(["-q", "--srpm", "--qf", "%{nvr}"])
        .arg(&spec)
        .output()
        .unwrap();
    assert!(o.status.success(), "rpmspec -q: {}", stderr(&o));
    Some(stdout(&o))
}

fn fsck(dir: &Path) {
    let mut cmd = Command::new("git");
    xtask::git::hermetic(&mut cmd);
    let o = cmd.current_dir(dir).args(["fsck", "--strict"]).output().unwrap();
    assert!(o.status.success(), "git fsck: {}{}", stdout(&o), stderr(&o));
}

#[test]
fn first_release_writes_entry_commit_and_annotated_tag() {
    let r = fixture();
    let out = pq_ok(&r.dir, &["release"]);
    assert!(out.contains("released kernel-6.7.1-300 on fedora-6.7"), "{out}");
    assert!(
        out.contains("next: git push origin fedora-6.7 kernel-6.7.1-300 'refs/pq/*'"),
        "{out}"
    );
    insta::assert_snapshot!(changelog(&r.dir).split("\n\n").next().unwrap(), @r"
    * Wed Jan 01 2025 Justin M. Forbes <jforbes@fedoraproject.org> [6.7.1-300]
    - hyperscale: btrfs: enable POSIX ACLs by default (Camille Rousseau)
    - asahi: drm/simpledrm: Support the Apple DCP framebuffer (Yuki Asano)
    - lib: zstd: Fix -Wstringop-overflow warning (Sanjay Mehta)
    - mm/mempolicy: fix use-after-free of vma in mbind() (Olga Sokolova) [RHEL-1234] {CVE-2024-1234}
    - e1000e: disable ASPM L1 on Meteor Lake to avoid Tx hangs (Ingrid Halvorsen) [2428677]
    - redhat/configs: enable CONFIG_ZRAM_DEF_COMP_ZSTD (Justin M. Forbes)
    - Linux v6.7.1
    ");
    // The older entries follow, untouched.
    assert!(
        changelog(&r.dir).contains("\n\n* Mon Jan 08 2024 Justin M. Forbes <jforbes@fedoraproject.org> [6.7.0-0]\n")
    );
    assert!(spec(&r.dir).contains("%global baserelease 300\n"));
    assert_eq!(git(&r.dir, &["cat-file", "-t", "kernel-6.7.1-300"]), "tag\n");
    assert_eq!(
        git(&r.dir, &["cat-file", "tag", "kernel-6.7.1-300"])
            .split("\n\n")
            .nth(1),
        Some("kernel-6.7.1-300\n")
    );
    assert_eq!(
        git(&r.dir, &["rev-parse", "kernel-6.7.1-300^{commit}"]),
        git(&r.dir, &["rev-parse", "HEAD"])
    );
    assert_eq!(
        git(&r.dir, &["log", "-1", "--format=%s|%an|%cn"]),
        "[redhat] kernel-6.7.1-300|Justin M. Forbes|Justin M. Forbes\n"
    );
    let stat = git(&r.dir, &["show", "--stat", "--format=", "HEAD"]);
    assert!(stat.contains("redhat/kernel.spec"), "{stat}");
    assert!(stat.contains("1 file changed"), "{stat}");
    assert_eq!(git(&r.dir, &["status", "--porcelain"]), "");
    let state = git(&r.dir, &["show", "refs/pq/state/fedora-6.7:state.toml"]);
    assert!(state.contains("nvr = \"kernel-6.7.1-300\""), "{state}");
    assert!(state.contains("kind = \"release\""), "{state}");
    fsck(&r.dir);
    if let Some(nvr) = rpmspec_nvr(&r.dir, None) {
        assert_eq!(nvr, "kernel-6.7.1-300");
    }
}

#[test]
fn second_release_after_backport_increments_and_lists_only_new_commits() {
    let r = fixture();
    pq_ok(&r.dir, &["release"]);
    pq_ok(&r.dir, &["backport", "v6.7..v6.8", "drivers/gpu/drm/amd/display"]);
    let v = release_json(&r.dir, &[]);
    assert_eq!(v["nvr"], "kernel-6.7.1-301");
    assert_eq!(v["release"], "301");
    let entry = v["changelog"].as_str().unwrap();
    assert!(entry.starts_with("* Wed Jan 01 2025 Justin M. Forbes <jforbes@fedoraproject.org> [6.7.1-301]\n"));
    assert_eq!(
        entry.lines().filter(|l| l.starts_with("- drm/amd/display: ")).count(),
        6,
        "{entry}"
    );
    assert_eq!(entry.lines().count(), 7, "only the backported commits: {entry}");
    assert!(!entry.contains("Linux v"), "{entry}");
    assert!(changelog(&r.dir).contains("[6.7.1-300]"));
    fsck(&r.dir);
    rpmspec_nvr(&r.dir, None);
}

#[test]
fn nothing_new_says_so_and_changes_nothing() {
    let r = fixture();
    pq_ok(&r.dir, &["release"]);
    let before = snapshot(&r.dir);
    let o = pq(&r.dir, &["release"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "nothing changed since kernel-6.7.1-300; use --force to release anyway\n"
    );
    assert_eq!(snapshot(&r.dir), before);
    // --force releases anyway, with an entry of just the header.
    let v = release_json(&r.dir, &["--force"]);
    assert_eq!(v["nvr"], "kernel-6.7.1-301");
    assert_eq!(v["changelog"].as_str().unwrap().lines().count(), 1);
}

#[test]
fn rebase_then_release_resets_and_keeps_older_entries() {
    let r = fixture();
    assert_eq!(release_json(&r.dir, &[])["nvr"], "kernel-6.7.1-300");
    pq_ok(&r.dir, &["backport", "v6.7..v6.8", "drivers/gpu/drm/amd/display"]);
    assert_eq!(release_json(&r.dir, &[])["nvr"], "kernel-6.7.1-301");
    pq_ok(&r.dir, &["rebase", "v6.7.2"]);
    // The rebase dropped the release commits.
    assert!(!git(&r.dir, &["log", "--format=%s", "v6.7.2..HEAD"]).contains("[redhat] kernel-"));
    let v = release_json(&r.dir, &[]);
    assert_eq!(v["nvr"], "kernel-6.7.2-300");
    assert_eq!(v["version"], "6.7.2");
    let entry = v["changelog"].as_str().unwrap();
    assert_eq!(
        entry, "* Wed Jan 01 2025 Justin M. Forbes <jforbes@fedoraproject.org> [6.7.2-300]\n- Linux v6.7.2\n",
        "rebased patches were listed by the earlier releases"
    );
    let log = changelog(&r.dir);
    let headers: Vec<&str> = log.lines().filter(|l| l.starts_with("* ")).collect();
    assert_eq!(headers.len(), 5, "{log}");
    for (h, vr) in headers
        .iter()
        .zip(["6.7.2-300", "6.7.1-301", "6.7.1-300", "6.7.0-0", "6.7.0-0.rc8"])
    {
        assert!(h.ends_with(&format!("[{vr}]")), "{h} vs {vr}");
    }
    assert!(log.contains("- drm/amd/display: remove redundant power check (Tomasz Wierzbicki)"));
    let s = spec(&r.dir);
    assert!(
        s.contains("%define stable_update 2\n"),
        "stable_update follows the Makefile"
    );
    assert!(s.contains("%global baserelease 300\n"));
    assert!(v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains("%stable_update")));
    fsck(&r.dir);
    if let Some(nvr) = rpmspec_nvr(&r.dir, None) {
        assert_eq!(nvr, "kernel-6.7.2-300");
    }
    // A commit after the rebased release is listed once, and the release counts on.
    std::fs::write(r.dir.join("README"), "local note\n").unwrap();
    git(&r.dir, &["commit", "-q", "-am", "README: local note"]);
    pq_ok(&r.dir, &["adopt"]);
    let v = release_json(&r.dir, &[]);
    assert_eq!(v["nvr"], "kernel-6.7.2-301");
    assert_eq!(
        v["changelog"].as_str().unwrap().lines().skip(1).collect::<Vec<_>>(),
        ["- README: local note (Justin M. Forbes)"]
    );
    let headers = changelog(&r.dir).lines().filter(|l| l.starts_with("* ")).count();
    assert_eq!(headers, 6);
}

#[test]
fn local_and_dist_tags() {
    let r = fixture();
    let v = release_json(&r.dir, &["--local", "hs1", "--dist", ".el9"]);
    assert_eq!(v["nvr"], "kernel-6.7.1-300.hs1.el9");
    assert_eq!(v["release"], "300.hs1.el9");
    assert_eq!(v["tag"], "kernel-6.7.1-300.hs1.el9");
    assert_eq!(git(&r.dir, &["cat-file", "-t", "kernel-6.7.1-300.hs1.el9"]), "tag\n");
    assert!(spec(&r.dir).contains("%define buildid .hs1\n"));
    if let Some(nvr) = rpmspec_nvr(&r.dir, Some(".el9")) {
        assert_eq!(nvr, "kernel-6.7.1-300.hs1.el9");
    }
    // Without a local tag the next release drops buildid again (and says so).
    pq_ok(&r.dir, &["backport", "v6.7..v6.8", "drivers/gpu/drm/amd/display"]);
    let v = release_json(&r.dir, &[]);
    assert_eq!(v["nvr"], "kernel-6.7.1-301");
    assert!(!spec(&r.dir).contains("buildid ."));
    assert!(v["warnings"].to_string().contains("%buildid"));
    rpmspec_nvr(&r.dir, None);
}

#[test]
fn dry_run_changes_nothing_and_shows_the_plan() {
    let r = fixture();
    let before = snapshot(&r.dir);
    let out = pq_ok(&r.dir, &["release", "--dry-run"]);
    assert!(
        out.starts_with("would release kernel-6.7.1-300 on fedora-6.7\n"),
        "{out}"
    );
    assert!(
        out.contains("files that would change:\n  redhat/kernel.spec\n"),
        "{out}"
    );
    // The build number stays in the branch's hundred (Fedora stable: 300); only the changelog grows.
    assert!(!out.contains("+%global baserelease"), "{out}");
    assert!(out.contains("+- Linux v6.7.1\n"), "{out}");
    assert!(out.contains("+* Wed Jan 01 2025 Justin M. Forbes"), "{out}");
    assert!(out.ends_with("dry run: nothing changed\n"), "{out}");
    let v = release_json(&r.dir, &["--dry-run"]);
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["commit"], serde_json::Value::Null);
    assert_eq!(v["files"], serde_json::json!(["redhat/kernel.spec"]));
    assert_eq!(snapshot(&r.dir), before);
    // The real run does what the dry run said.
    let real = release_json(&r.dir, &[]);
    assert_eq!(real["changelog"], v["changelog"]);
    assert_eq!(real["nvr"], v["nvr"]);
}

#[test]
fn fedora_header_and_release_start_from_tracked_pq_toml() {
    let r = fixture_with(|dir| {
        std::fs::write(dir.join("pq.toml"), "changelog = \"fedora\"\nrelease_start = 300\n").unwrap();
        git(dir, &["add", "pq.toml"]);
        git(dir, &["commit", "-q", "-m", "[redhat] pq.toml: Fedora stable branch"]);
    });
    let v = release_json(&r.dir, &[]);
    assert_eq!(v["nvr"], "kernel-6.7.1-300");
    let entry = v["changelog"].as_str().unwrap();
    assert!(
        entry.starts_with("* Wed Jan 01 2025 Justin M. Forbes <jforbes@fedoraproject.org> - 6.7.1-300\n"),
        "{entry}"
    );
    assert!(!entry.contains("pq.toml"), "[redhat] commits are left out: {entry}");
    if let Some(nvr) = rpmspec_nvr(&r.dir, None) {
        assert_eq!(nvr, "kernel-6.7.1-300");
    }
    pq_ok(&r.dir, &["backport", "v6.7..v6.8", "drivers/gpu/drm/amd/display"]);
    assert_eq!(release_json(&r.dir, &[])["nvr"], "kernel-6.7.1-301");
}

#[test]
fn debian_changelog_entry() {
    let r = fixture_with(|dir| {
        std::fs::write(dir.join("pq.toml"), "debian_changelog = true\n").unwrap();
        std::fs::create_dir_all(dir.join("debian")).unwrap();
        std::fs::write(
            dir.join("debian/changelog"),
            "kernel (6.7.0-1) unstable; urgency=low\n\n  * Initial packaging.\n\n -- Justin M. Forbes <jforbes@fedoraproject.org>  Mon, 08 Jan 2024 10:00:00 +0000\n",
        )
        .unwrap();
        git(dir, &["add", "pq.toml", "debian/changelog"]);
        git(dir, &["commit", "-q", "-m", "[redhat] debian packaging"]);
    });
    let v = release_json(&r.dir, &[]);
    assert_eq!(
        v["files"],
        serde_json::json!(["redhat/kernel.spec", "debian/changelog"])
    );
    let text = std::fs::read_to_string(r.dir.join("debian/changelog")).unwrap();
    assert!(
        text.starts_with("kernel (6.7.1-300) unstable; urgency=low\n\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "\n -- Justin M. Forbes <jforbes@fedoraproject.org>  Wed, 01 Jan 2025 00:00:00 +0000\n\nkernel (6.7.0-1)"
        ),
        "{text}"
    );
    if have("dpkg-parsechangelog") {
        let o = Command::new("dpkg-parsechangelog")
            .arg("-l")
            .arg(r.dir.join("debian/changelog"))
            .args(["-S", "Version"])
            .output()
            .unwrap();
        assert!(o.status.success(), "dpkg-parsechangelog: {}", stderr(&o));
        assert_eq!(stdout(&o), "6.7.1-300\n");
    } else {
        eprintln!("note: dpkg-parsechangelog not installed (apt-get install dpkg-dev); check skipped");
    }
}

fn assert_refused(dir: &Path, args: &[&str], message: &str) {
    let before = snapshot(dir);
    let o = pq(dir, args);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "one error line and one hint: {err}");
    assert!(lines[0].starts_with("error: ") && lines[0].contains(message), "{err}");
    assert!(lines[1].starts_with("hint: "), "{err}");
    assert_eq!(snapshot(dir), before, "a refused release changed something");
}

#[test]
fn refuses_a_missing_spec() {
    let r = fixture_with(|dir| {
        std::fs::write(dir.join("pq.toml"), "spec = \"redhat/nope.spec\"\n").unwrap();
        git(dir, &["add", "pq.toml"]);
        git(dir, &["commit", "-q", "-m", "[redhat] point at another spec"]);
    });
    assert_refused(
        &r.dir,
        &["release"],
        "no spec file at redhat/nope.spec (configuration key `spec`)",
    );
}

#[test]
fn refuses_a_spec_without_changelog() {
    let r = fixture_with(|dir| {
        let s = std::fs::read_to_string(dir.join("redhat/kernel.spec")).unwrap();
        let cut = s.find("%changelog\n").unwrap();
        std::fs::write(dir.join("redhat/kernel.spec"), &s[..cut]).unwrap();
        git(dir, &["commit", "-q", "-am", "[redhat] drop the changelog"]);
    });
    assert_refused(&r.dir, &["release"], "redhat/kernel.spec has no %changelog section");
}

#[test]
fn refuses_a_malformed_changelog_header_naming_the_line() {
    let r = fixture_with(|dir| {
        let s = std::fs::read_to_string(dir.join("redhat/kernel.spec")).unwrap();
        let s = s.replace("%changelog\n", "%changelog\n* someday someone\n");
        std::fs::write(dir.join("redhat/kernel.spec"), s).unwrap();
        git(dir, &["commit", "-q", "-am", "[redhat] break the changelog"]);
    });
    assert_refused(&r.dir, &["release"], "redhat/kernel.spec:1: changelog header");
}

#[test]
fn refuses_an_existing_tag() {
    let r = fixture();
    git(
        &r.dir,
        &["tag", "-a", "-m", "kernel-6.7.1-300", "kernel-6.7.1-300", "v6.7.1"],
    );
    assert_refused(&r.dir, &["release"], "tag kernel-6.7.1-300 already exists");
}

#[test]
fn refuses_a_dirty_tree() {
    let r = fixture();
    std::fs::write(r.dir.join("Makefile"), "dirty\n").unwrap();
    assert_refused(&r.dir, &["release"], "uncommitted changes in Makefile");
}

#[test]
fn srpm_without_rpmbuild_is_refused() {
    let r = fixture();
    let before = snapshot(&r.dir);
    let empty = tempfile::tempdir().unwrap();
    let mut cmd = Command::cargo_bin("pq").unwrap();
    xtask::git::hermetic(&mut cmd);
    let o = cmd
        .env("PATH", empty.path())
        .arg("-C")
        .arg(&r.dir)
        .args(["release", "--srpm"])
        .arg(empty.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("error: rpmbuild is not installed: install rpm-build (Fedora) or rpm (Debian)\nhint: "),
        "{}",
        stderr(&o)
    );
    assert_eq!(snapshot(&r.dir), before);
}

#[test]
fn help_has_an_example() {
    let o = pq(Path::new("."), &["release", "--help"]);
    assert!(stdout(&o).contains("pq release --dist .el9"), "{}", stdout(&o));
}

#[test]
fn undo_takes_the_release_back_with_its_tag() {
    let r = fixture();
    let before = snapshot(&r.dir);
    pq_ok(&r.dir, &["release"]);
    pq_ok(&r.dir, &["undo"]);
    assert_eq!(git(&r.dir, &["tag", "-l", "kernel-*"]), "");
    assert_eq!(
        git(&r.dir, &["log", "-1", "--format=%s"]),
        "redhat/configs: enable CONFIG_ZRAM_DEF_COMP_ZSTD\n"
    );
    // Only the operation log moved.
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("refs/pq/oplog"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&snapshot(&r.dir)), strip(&before));
    assert_eq!(release_json(&r.dir, &[])["nvr"], "kernel-6.7.1-300");
}

// Done, with a follow-up failure: exit 4, not 2 (bad input) or 3 (the release failed).
#[test]
fn failed_signing_is_reported_and_the_release_stands() {
    let r = fixture();
    git(&r.dir, &["config", "gpg.program", "false"]);
    let o = pq(&r.dir, &["release", "--sign"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("error: signing tag kernel-6.7.1-300 failed: "), "{err}");
    assert!(
        err.contains("hint: the release commit and an unsigned tag kernel-6.7.1-300 exist"),
        "{err}"
    );
    assert!(stdout(&o).contains("released kernel-6.7.1-300"));
    assert_eq!(git(&r.dir, &["cat-file", "-t", "kernel-6.7.1-300"]), "tag\n");
    // tag.gpgSign asks for the same.
    pq_ok(&r.dir, &["backport", "v6.7..v6.8", "drivers/gpu/drm/amd/display"]);
    git(&r.dir, &["config", "tag.gpgSign", "true"]);
    let o = pq(&r.dir, &["release"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(
        stderr(&o).contains("signing tag kernel-6.7.1-301 failed"),
        "{}",
        stderr(&o)
    );
}
