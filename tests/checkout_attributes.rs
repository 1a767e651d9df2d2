//! The files pq writes follow `.gitattributes` (eol, text, -text) and `core.autocrlf` as git's checkout
//! does: after `pq rebase` the work tree holds, byte for byte, what `git checkout` of the same move writes.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;

/// Every file of the work tree (outside .git) and its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.file_name().unwrap() == ".git" {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// base → up adds attributes and text files; the branch carries one local patch on base.
fn repo(config: &[(&str, &str)]) -> TestRepo {
    let r = TestRepo::new();
    for (k, v) in config {
        r.git(&["config", k, v]);
    }
    r.write("a.txt", "one\ntwo\n");
    r.write("doc/readme.md", "# doc\n");
    r.commit("base");
    r.git(&["tag", "base"]);
    r.git(&["switch", "-q", "-c", "upstream"]);
    r.write(".gitattributes", "*.txt text eol=crlf\n*.dat -text\n");
    r.write("doc/.gitattributes", "*.md text eol=crlf\n");
    r.write("a.txt", "one\ntwo\nthree\n");
    r.write("b.txt", "x\ny\n");
    r.write("c.dat", "p\nq\n");
    r.write("doc/readme.md", "# doc\n\nmore\n");
    r.write("doc/notes.txt", "n\n");
    r.write("plain.c", "int x;\n");
    r.write("tool.sh", "#!/bin/sh\n");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(r.path("tool.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    r.commit("upstream adds attributes");
    r.git(&["tag", "up"]);
    r.git(&["switch", "-q", "-c", "fedora", "base"]);
    r.write("local.c", "int local;\n");
    r.commit("a local patch");
    // The work tree as git's checkout writes it (the files above were written raw), like the oracle's.
    for f in files(&r.dir).keys() {
        std::fs::remove_file(r.path(f)).unwrap();
    }
    r.git(&["reset", "-q", "--hard"]);
    r
}

fn assert_like_git_checkout(config: &[(&str, &str)]) {
    let r = repo(config);
    // git's checkout of the same move: a clone at the old tip, switched to the rebased tip.
    let old_tip = r.rev("HEAD");
    r.pq_ok(&["init", "--base", "base"]);
    r.pq_ok(&["rebase", "up"]);
    let new_tip = r.rev("HEAD");

    let g = r.sibling("oracle");
    git_in(
        r.home(),
        r.dir.parent().unwrap(),
        &["clone", "-q", "--no-checkout", r.dir.to_str().unwrap(), "oracle"],
    );
    for (k, v) in config {
        g.git(&["config", k, v]);
    }
    g.git(&["checkout", "-q", "--detach", &old_tip]);
    g.git(&["checkout", "-q", "--detach", &new_tip]);

    let ours = files(&r.dir);
    let theirs = files(&g.dir);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "same files"
    );
    for (path, bytes) in &theirs {
        assert_eq!(
            String::from_utf8_lossy(&ours[path]),
            String::from_utf8_lossy(bytes),
            "{path} differs from git's checkout"
        );
    }
    // The index agrees with the converted files: nothing shows as modified.
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    r.fsck();
}

#[test]
fn eol_attributes_convert_like_git_checkout() {
    assert_like_git_checkout(&[]);
    // The conversion really happened (a check on the oracle as much as on pq).
    let r = repo(&[]);
    r.pq_ok(&["init", "--base", "base"]);
    r.pq_ok(&["rebase", "up"]);
    assert_eq!(r.read_string("b.txt"), "x\r\ny\r\n");
    assert_eq!(r.read_string("c.dat"), "p\nq\n");
    assert_eq!(r.read_string("doc/readme.md"), "# doc\r\n\r\nmore\r\n");
}

#[test]
fn autocrlf_converts_like_git_checkout() {
    assert_like_git_checkout(&[("core.autocrlf", "true")]);
}

#[test]
fn files_are_created_with_the_umask_applied_mode() {
    let r = repo(&[]);
    r.pq_ok(&["init", "--base", "base"]);
    r.pq_ok(&["rebase", "up"]);
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let umask = status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .map(|m| u32::from_str_radix(m.trim(), 8).unwrap())
        .expect("Umask in /proc/self/status");
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &str| std::fs::metadata(r.path(p)).unwrap().permissions().mode() & 0o777;
    // git creates files 0666 / 0777 less the umask, with no chmod afterwards.
    assert_eq!(mode("b.txt"), 0o666 & !umask);
    assert_eq!(mode("tool.sh"), 0o777 & !umask);
    assert_eq!(r.git(&["status", "--porcelain"]), "");
}
