//! Reading one patch file (or one message of an mbox): its mail or DEP-3 headers, the commit message, and
//! the diff that follows. Line numbers are kept so bad input is reported at its file and line.

use std::sync::OnceLock;

use regex::Regex;

use crate::error::{Error, Result};

/// A header line as read, with its line number (1-based) in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// A parsed patch: who, when, the message, and where the diff starts.
#[derive(Debug, Clone)]
pub struct PatchFile {
    /// How the file is named in messages (its path, or `mbox:N`).
    pub name: String,
    pub headers: Vec<Header>,
    pub author: Option<(String, String)>,
    pub date: Option<(i64, i32)>,
    pub subject: String,
    /// The message body after the subject (trimmed, without the diffstat).
    pub body: String,
    pub diff: Vec<u8>,
    /// Line of the file where the diff starts (1-based).
    pub diff_line: usize,
}

impl PatchFile {
    /// The commit message: subject, blank line, body.
    pub fn message(&self) -> String {
        if self.body.is_empty() {
            format!("{}\n", self.subject)
        } else {
            format!("{}\n\n{}\n", self.subject, self.body)
        }
    }
    pub fn header(&self, key: &str) -> Option<&Header> {
        self.headers.iter().find(|h| h.key.eq_ignore_ascii_case(key))
    }
}

fn header_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]?(.*)$").expect("valid"))
}

/// Lines of mbox separators: `From <anything> <asctime date>`.
pub fn is_mbox_from(line: &[u8]) -> bool {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::bytes::Regex::new(r"^From \S+ +[A-Z][a-z]{2} [A-Z][a-z]{2} +\d+ \d+:\d+:\d+ \d{4}").expect("valid")
    });
    re.is_match(line)
}

/// Does this line start a diff?
fn diff_starts(lines: &[&[u8]], i: usize) -> bool {
    let l = lines[i];
    l.starts_with(b"diff --git ")
        || l.starts_with(b"Index: ")
        || (l.starts_with(b"--- ") && lines.get(i + 1).is_some_and(|n| n.starts_with(b"+++ ")))
}

/// Remove `[PATCH ...]` (and `[RFC ...]`) prefixes git format-patch adds to a subject; other brackets stay.
fn strip_patch_prefix(s: &str) -> String {
    let mut s = s.trim();
    loop {
        let lower = s.to_ascii_lowercase();
        if (lower.starts_with("[patch") || lower.starts_with("[rfc")) && s.contains(']') {
            s = s[s.find(']').expect("checked") + 1..].trim_start();
        } else {
            return s.to_string();
        }
    }
}

/// Parse one patch. `text` is the file's bytes, `first_line` the line number of its first line (for
/// messages inside an mbox).
pub fn parse(name: &str, text: &[u8], first_line: usize) -> Result<PatchFile> {
    let lines: Vec<&[u8]> = text.split_inclusive(|b| *b == b'\n').collect();
    let strip = |l: &[u8]| -> String {
        let l = l.strip_suffix(b"\n").unwrap_or(l);
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        String::from_utf8_lossy(l).into_owned()
    };
    let mut i = 0;
    if lines.first().is_some_and(|l| is_mbox_from(l)) {
        i = 1;
    }
    // The header block: `Key: value` lines (and their continuations) up to the first blank line.
    let mut headers: Vec<Header> = Vec::new();
    while i < lines.len() {
        let l = strip(lines[i]);
        if l.trim().is_empty() {
            i += 1;
            break;
        }
        if (l.starts_with(' ') || l.starts_with('\t')) && !headers.is_empty() {
            let h = headers.last_mut().expect("checked");
            h.value.push('\n');
            h.value.push_str(&l);
            i += 1;
            continue;
        }
        if diff_starts(&lines, i) {
            break;
        }
        match header_re().captures(&l) {
            Some(c) => headers.push(Header {
                key: c[1].to_string(),
                value: c[2].trim().to_string(),
                line: first_line + i,
            }),
            None => break,
        }
        i += 1;
    }
    // The body: up to git's `---` separator or the diff itself.
    let body_start = i;
    let mut diff_at = None;
    let mut body_end = lines.len();
    let mut j = i;
    while j < lines.len() {
        let l = lines[j];
        let bare = l.strip_suffix(b"\n").unwrap_or(l);
        if bare == b"---" && body_end == lines.len() {
            body_end = j;
        }
        if diff_starts(&lines, j) {
            diff_at = Some(j);
            body_end = body_end.min(j);
            break;
        }
        j += 1;
    }
    let Some(diff_at) = diff_at else {
        return Err(Error::input(format!("{name}: no diff in this patch"))
            .hint("a patch needs a unified diff (`--- a/FILE`, `+++ b/FILE`, `@@` hunks); remove the file from the series or fix it"));
    };
    let body_lines: Vec<String> = lines[body_start..body_end].iter().map(|l| strip(l)).collect();
    let body = body_lines.join("\n").trim().to_string();

    let get = |k: &str| headers.iter().find(|h| h.key.eq_ignore_ascii_case(k));
    let author = match get("From").or_else(|| get("Author")) {
        Some(h) => Some(crate::interop::headers::parse_person(&h.value).ok_or_else(|| {
            Error::input(format!("{name}:{}: malformed {} header '{}'", h.line, h.key, h.value))
                .hint("write it as `From: Name <email>`")
        })?),
        None => None,
    };
    let date = match get("Date") {
        Some(h) => Some(crate::interop::headers::parse_date(&h.value).ok_or_else(|| {
            Error::input(format!("{name}:{}: malformed Date header '{}'", h.line, h.value))
                .hint("write it as in `git log --format=%aD`, e.g. `Tue, 15 Aug 2023 15:39:01 +0200`")
        })?),
        None => None,
    };
    let (subject, body) = match (get("Subject"), get("Description")) {
        (Some(s), _) => {
            let joined: Vec<&str> = s.value.split('\n').map(str::trim).collect();
            (strip_patch_prefix(&joined.join(" ")), body)
        }
        (None, Some(d)) => {
            // DEP-3: the first line is the summary, continuation lines the long description (` .` is a
            // blank line).
            let mut parts = d.value.split('\n');
            let subject = parts.next().unwrap_or("").trim().to_string();
            let long: Vec<&str> = parts
                .map(|l| {
                    let l = l.strip_prefix(' ').unwrap_or(l);
                    if l.trim() == "." {
                        ""
                    } else {
                        l
                    }
                })
                .collect();
            let long = long.join("\n").trim().to_string();
            let body = match (long.is_empty(), body.is_empty()) {
                (true, _) => body,
                (false, true) => long,
                (false, false) => format!("{long}\n\n{body}"),
            };
            (subject, body)
        }
        (None, None) => {
            // No header: the first paragraph is the subject, as `git am` reads a bare message.
            let mut it = body.splitn(2, "\n\n");
            let s = it.next().unwrap_or("").replace('\n', " ");
            (s.trim().to_string(), it.next().unwrap_or("").trim().to_string())
        }
    };
    let mut diff: Vec<u8> = lines[diff_at..].concat();
    // An mbox message ends with git's signature (`-- ` and a version line).
    if let Some(pos) = find_signature(&diff) {
        diff.truncate(pos);
    }
    Ok(PatchFile {
        name: name.to_string(),
        headers,
        author,
        date,
        subject,
        body,
        diff,
        diff_line: first_line + diff_at,
    })
}

fn find_signature(diff: &[u8]) -> Option<usize> {
    let needle = b"\n-- \n";
    let pos = diff.windows(needle.len()).rposition(|w| w == needle)?;
    // Only a signature when what follows is short (a version line), not more diff.
    let tail = &diff[pos + needle.len()..];
    (tail.iter().filter(|b| **b == b'\n').count() <= 2 && !tail.starts_with(b"@@")).then_some(pos + 1)
}

/// Split an mbox into messages, each with the line number it starts at.
pub fn split_mbox(text: &[u8]) -> Vec<(usize, &[u8])> {
    let mut out = Vec::new();
    let mut start: Option<(usize, usize)> = None;
    let mut offset = 0;
    for (n, line) in text.split_inclusive(|b| *b == b'\n').enumerate() {
        if is_mbox_from(line) {
            if let Some((l, s)) = start {
                out.push((l, &text[s..offset]));
            }
            start = Some((n + 1, offset));
        }
        offset += line.len();
    }
    if let Some((l, s)) = start {
        out.push((l, &text[s..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_format_patch() {
        let p = parse(
            "0001.patch",
            b"From 0123 Mon Sep 17 00:00:00 2001\nFrom: A U Thor <a@example.org>\nDate: Tue, 15 Aug 2023 15:39:01 +0200\nSubject: [PATCH 1/2] xfs: fix\n the thing\n\nBody line.\n\nSigned-off-by: A <a@b>\n---\n a | 1 +\n 1 file changed\n\ndiff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -0,0 +1 @@\n+x\n-- \n2.47.0\n\n",
            1,
        )
        .unwrap();
        assert_eq!(p.subject, "xfs: fix the thing");
        assert_eq!(
            p.message(),
            "xfs: fix the thing\n\nBody line.\n\nSigned-off-by: A <a@b>\n"
        );
        assert_eq!(p.author, Some(("A U Thor".into(), "a@example.org".into())));
        assert_eq!(p.date, Some((1_692_106_741, 7200)));
        assert_eq!(p.diff_line, 14);
        assert!(p.diff.ends_with(b"+x\n"), "{:?}", String::from_utf8_lossy(&p.diff));
    }

    #[test]
    fn dep3_description() {
        let p = parse(
            "x.patch",
            b"Description: fix the frobnicator\n It was broken.\n .\n Really.\nOrigin: upstream, commit:0123456789abcdef0123456789abcdef01234567\nBug-Debian: https://bugs.debian.org/1\n\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n",
            1,
        )
        .unwrap();
        assert_eq!(p.message(), "fix the frobnicator\n\nIt was broken.\n\nReally.\n");
        assert_eq!(p.header("origin").unwrap().line, 5);
    }

    #[test]
    fn no_diff_is_refused_with_the_file() {
        let e = parse("debian/patches/x.patch", b"Subject: s\n\nbody\n", 1).unwrap_err();
        assert!(
            e.message.starts_with("debian/patches/x.patch: no diff"),
            "{}",
            e.message
        );
    }

    #[test]
    fn mbox_split() {
        let m = b"From 1 Mon Sep 17 00:00:00 2001\nSubject: a\n\nFrom 2 Mon Sep 17 00:00:00 2001\nSubject: b\n";
        let parts = split_mbox(m);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].0, 4);
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in proptest::collection::vec(0u8..=255, 0..400)) {
            let _ = parse("f", &s, 1);
            let _ = split_mbox(&s);
        }
    }
}
