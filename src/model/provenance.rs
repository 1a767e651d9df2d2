//! Backport provenance: every dialect distributions write is read; one configured style is written.
//!
//! The dialects (see the book's "Provenance" chapter): git's `(cherry picked from commit X)`, Ubuntu's
//! `(backported from commit X upstream)`, the stable kernels' `commit X upstream.` and `[ Upstream commit X ]`,
//! SUSE's `Git-commit: X`, RHEL's leading `commit X` line, and xfsprogs' `Source kernel commit: X`.

use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// Which dialect a provenance line was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dialect {
    CherryPick,
    Backported,
    StableUpstream,
    StableBracket,
    SuseGitCommit,
    RhelCommit,
    SourceKernel,
}

/// An upstream commit a message says it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    pub dialect: Dialect,
    /// The id as written (full 40 hex digits in every dialect pq reads).
    pub commit: crate::git::Oid,
}

/// How pq records provenance in the messages it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// git's `cherry-pick -x`: `(cherry picked from commit <sha>)` as the last line.
    #[default]
    X,
    /// RHEL: a `commit <sha>` line first in the body.
    Rhel,
    /// SUSE: `Git-commit: <sha>` and `Patch-mainline: <tag>` trailers.
    Suse,
    /// stable kernels: `commit <sha> upstream.` first in the body.
    Stable,
}

impl std::str::FromStr for Style {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "x" => Ok(Style::X),
            "rhel" => Ok(Style::Rhel),
            "suse" => Ok(Style::Suse),
            "stable" => Ok(Style::Stable),
            other => Err(format!(
                "unknown provenance style '{other}' (expected x, rhel, suse or stable)"
            )),
        }
    }
}

impl std::fmt::Display for Style {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Style::X => "x",
            Style::Rhel => "rhel",
            Style::Suse => "suse",
            Style::Stable => "stable",
        })
    }
}

fn patterns() -> &'static [(Dialect, Regex)] {
    static P: OnceLock<Vec<(Dialect, Regex)>> = OnceLock::new();
    P.get_or_init(|| {
        let r = |s: &str| Regex::new(s).expect("valid regex");
        vec![
            (
                Dialect::CherryPick,
                r(r"(?m)^\s*\(cherry picked from commit ([0-9a-f]{40})\)\s*$"),
            ),
            (
                Dialect::Backported,
                r(r"(?m)^\s*\(backported from commit ([0-9a-f]{40})(?: upstream)?\)\s*$"),
            ),
            (
                Dialect::StableUpstream,
                r(r"(?m)^\s*commit ([0-9a-f]{40}) upstream\.?\s*$"),
            ),
            (
                Dialect::StableBracket,
                r(r"(?m)^\s*\[\s*Upstream commit ([0-9a-f]{40})\s*\]\s*$"),
            ),
            (Dialect::SuseGitCommit, r(r"(?m)^Git-commit:\s*([0-9a-f]{40})\s*$")),
            (Dialect::RhelCommit, r(r"(?m)^commit ([0-9a-f]{40})\s*$")),
            (
                Dialect::SourceKernel,
                r(r"(?m)^\s*Source kernel commit:\s*([0-9a-f]{40})\s*$"),
            ),
        ]
    })
}

fn has_full_id(message: &str) -> bool {
    let mut run = 0;
    message.bytes().any(|b| {
        run = if b.is_ascii_hexdigit() { run + 1 } else { 0 };
        run == 40
    })
}

/// Every provenance line in a commit message, in the order the dialects are listed above.
pub fn parse(message: &str) -> Vec<Provenance> {
    let mut out: Vec<Provenance> = Vec::new();
    // Every dialect names a full id: a message without 40 hex digits in a row has none, and most
    // messages are read without compiling the patterns.
    if !has_full_id(message) {
        return out;
    }
    for (dialect, re) in patterns() {
        for cap in re.captures_iter(message) {
            let Ok(commit) = crate::git::id::parse(&cap[1]) else {
                continue;
            };
            if !out.iter().any(|p| p.commit == commit) {
                out.push(Provenance {
                    dialect: *dialect,
                    commit,
                });
            }
        }
    }
    out
}

/// Does the message end in a trailer block (lines like `Signed-off-by: ...` or earlier provenance lines)?
/// git appends `(cherry picked from ...)` directly to such a block, and after a blank line otherwise.
fn ends_with_trailers(message: &str) -> bool {
    let trimmed = message.trim_end();
    let Some(last_para) = trimmed.rsplit("\n\n").next() else {
        return false;
    };
    if !trimmed.contains("\n\n") {
        return false;
    }
    static TRAILER: OnceLock<Regex> = OnceLock::new();
    let re = TRAILER.get_or_init(|| Regex::new(r"^([A-Za-z0-9-]+:\s|\(cherry picked from commit )").expect("valid"));
    last_para
        .lines()
        .all(|l| re.is_match(l) || l.starts_with(' ') || l.starts_with('\t'))
}

/// Split a message into subject and body (without the blank separator line).
fn split(message: &str) -> (&str, &str) {
    match message.split_once('\n') {
        Some((subject, rest)) => (subject, rest.trim_start_matches('\n')),
        None => (message, ""),
    }
}

/// The message a backport gets: the upstream message plus one provenance line in `style`.
/// `mainline_tag` is the first upstream tag containing the commit (SUSE's `Patch-mainline:`).
pub fn annotate(message: &str, upstream: &crate::git::Oid, style: Style, mainline_tag: Option<&str>) -> String {
    let message = message.trim_end();
    match style {
        Style::X => {
            let sep = if ends_with_trailers(message) { "\n" } else { "\n\n" };
            format!("{message}{sep}(cherry picked from commit {upstream})\n")
        }
        Style::Rhel => {
            let (subject, body) = split(message);
            format!("{subject}\n\ncommit {upstream}\n\n{body}\n").replace("\n\n\n", "\n\n")
        }
        Style::Stable => {
            let (subject, body) = split(message);
            format!("{subject}\n\ncommit {upstream} upstream.\n\n{body}\n").replace("\n\n\n", "\n\n")
        }
        Style::Suse => {
            let sep = if ends_with_trailers(message) { "\n" } else { "\n\n" };
            let mainline = mainline_tag.unwrap_or("Not yet, not in a tagged release");
            format!("{message}{sep}Patch-mainline: {mainline}\nGit-commit: {upstream}\n")
        }
    }
}

/// Edit a message that is not UTF-8 (a legacy encoding such as latin-1, named by the commit's `encoding`
/// header) with one of the text functions above, keeping its bytes: each byte is read as the character of
/// the same value, and the ASCII text the edit adds comes back as ASCII bytes.
pub fn edit_raw(raw: &[u8], edit: impl FnOnce(&str) -> String) -> Vec<u8> {
    let text: String = raw.iter().map(|&b| b as char).collect();
    let edited = edit(&text);
    match edited
        .chars()
        .map(|c| u8::try_from(u32::from(c)))
        .collect::<Result<Vec<u8>, _>>()
    {
        Ok(bytes) => bytes,
        Err(_) => edited.into_bytes(),
    }
}

/// Add (or extend) a `Conflicts:` section listing the paths a resolved pick had to change by hand, the RHEL
/// convention, placed before the trailer block.
pub fn add_conflicts(message: &str, paths: &[String]) -> String {
    if paths.is_empty() {
        return message.to_string();
    }
    let list: String = paths.iter().map(|p| format!("\t{p}\n")).collect();
    let section = format!("Conflicts:\n{list}");
    let trimmed = message.trim_end();
    if ends_with_trailers(trimmed) {
        if let Some(pos) = trimmed.rfind("\n\n") {
            let (head, tail) = trimmed.split_at(pos);
            return format!("{head}\n\n{section}\n{}\n", tail.trim_start_matches('\n'));
        }
    }
    format!("{trimmed}\n\n{section}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0123456789abcdef0123456789abcdef01234567";

    fn a() -> crate::git::Oid {
        crate::git::id::parse(A).unwrap()
    }

    #[test]
    fn a_message_needs_a_full_id_to_be_parsed() {
        assert!(has_full_id(&format!("x\n(cherry picked from commit {A})\n")));
        assert!(!has_full_id(&format!("x {}", &A[..39])));
        assert!(!has_full_id("Fixes: 0123456789ab (\"short\")"));
        assert!(parse(&format!("(cherry picked from commit {})", &A[..39])).is_empty());
    }

    #[test]
    fn reads_every_dialect() {
        let cases = [
            (
                format!("s\n\nbody\n\n(cherry picked from commit {A})\n"),
                Dialect::CherryPick,
            ),
            (
                format!("s\n\n(backported from commit {A} upstream)\n"),
                Dialect::Backported,
            ),
            (format!("s\n\ncommit {A} upstream.\n\nbody\n"), Dialect::StableUpstream),
            (
                format!("s\n\n[ Upstream commit {A} ]\n\nbody\n"),
                Dialect::StableBracket,
            ),
            (
                format!("s\n\nGit-commit: {A}\nPatch-mainline: v6.5-rc7\n"),
                Dialect::SuseGitCommit,
            ),
            (
                format!("s\n\nJIRA: https://issues.redhat.com/browse/RHEL-1\n\ncommit {A}\nAuthor: x\n"),
                Dialect::RhelCommit,
            ),
            (
                format!("xfs: s\n\nSource kernel commit: {A}\n\nbody\n"),
                Dialect::SourceKernel,
            ),
        ];
        for (msg, dialect) in cases {
            let got = parse(&msg);
            assert_eq!(got, vec![Provenance { dialect, commit: a() }], "{msg}");
        }
    }

    #[test]
    fn ignores_short_ids_and_prose() {
        assert!(parse("fix commit 0123456789ab upstream.\n").is_empty());
        assert!(parse("s\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.\n").is_empty());
    }

    #[test]
    fn x_style_follows_git() {
        let with_trailers = "zstd: fix\n\nbody\n\nSigned-off-by: A <a@b>\n";
        assert_eq!(
            annotate(with_trailers, &a(), Style::X, None),
            format!("zstd: fix\n\nbody\n\nSigned-off-by: A <a@b>\n(cherry picked from commit {A})\n")
        );
        assert_eq!(
            annotate("zstd: fix\n", &a(), Style::X, None),
            format!("zstd: fix\n\n(cherry picked from commit {A})\n")
        );
    }

    #[test]
    fn other_styles() {
        let msg = "zstd: fix\n\nbody\n\nSigned-off-by: A <a@b>\n";
        assert_eq!(
            annotate(msg, &a(), Style::Stable, None),
            format!("zstd: fix\n\ncommit {A} upstream.\n\nbody\n\nSigned-off-by: A <a@b>\n")
        );
        assert_eq!(
            annotate(msg, &a(), Style::Rhel, None),
            format!("zstd: fix\n\ncommit {A}\n\nbody\n\nSigned-off-by: A <a@b>\n")
        );
        assert_eq!(
            annotate(msg, &a(), Style::Suse, Some("v6.8")),
            format!("zstd: fix\n\nbody\n\nSigned-off-by: A <a@b>\nPatch-mainline: v6.8\nGit-commit: {A}\n")
        );
        for style in [Style::X, Style::Rhel, Style::Suse, Style::Stable] {
            assert_eq!(parse(&annotate(msg, &a(), style, Some("v6.8")))[0].commit, a());
        }
    }

    #[test]
    fn conflicts_section_goes_before_trailers() {
        let msg = format!("zstd: fix\n\nbody\n\nSigned-off-by: A <a@b>\n(cherry picked from commit {A})\n");
        let out = add_conflicts(&msg, &["lib/zstd/a.c".into()]);
        assert_eq!(
            out,
            format!("zstd: fix\n\nbody\n\nConflicts:\n\tlib/zstd/a.c\n\nSigned-off-by: A <a@b>\n(cherry picked from commit {A})\n")
        );
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = parse(&s);
            let _ = ends_with_trailers(&s);
            let _ = add_conflicts(&s, &["a".into()]);
        }

        #[test]
        fn annotate_roundtrips(body in "[a-z ]{0,40}(\n[a-z ]{0,40}){0,4}") {
            let msg = format!("subject\n\n{body}\n");
            for style in [Style::X, Style::Rhel, Style::Suse, Style::Stable] {
                let got = parse(&annotate(&msg, &a(), style, None));
                proptest::prop_assert_eq!(got.len(), 1);
                proptest::prop_assert_eq!(got[0].commit, a());
            }
        }
    }
}
