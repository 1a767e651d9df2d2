//! Applying a patch's diff onto a tree in memory: the diff is split into per-file patches (git's extended
//! headers, plain `---`/`+++` diffs, `GIT binary patch` blocks), each file's hunks are applied with diffy
//! (exact context, hunks may move), and the tree is edited once.
//!
//! When a file does not apply, the caller gets a preimage and a postimage tree instead, for a three-way
//! merge like `git am -3`: the preimage is the blob the patch's `index` line names when the repository has
//! it, or else the hunks' old sides; the merge then places the change or writes conflict markers.

use gix::bstr::{BString, ByteSlice};

use crate::error::{Error, Result};
use crate::git::{Entry, Oid, Repo};
use crate::interop::base85;

/// The content change of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Unified hunks (the `@@` lines onwards).
    Hunks(Vec<u8>),
    /// A git binary literal: the whole new content.
    Literal(Vec<u8>),
    /// A git binary delta against the preimage.
    Delta(Vec<u8>),
    /// No content change (a mode change, an empty new file).
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePatch {
    /// Path before (None: a new file).
    pub old_path: Option<BString>,
    /// Path after (None: deleted).
    pub new_path: Option<BString>,
    pub new_mode: Option<u32>,
    /// Full preimage id from the `index` line, when given in full.
    pub old_id: Option<Oid>,
    pub content: Content,
    /// A copy (`copy from`/`copy to`): the old path stays.
    pub copy: bool,
    /// Line in the patch file where this file's diff starts.
    pub line: usize,
}

impl FilePatch {
    pub fn path(&self) -> &BString {
        self.new_path
            .as_ref()
            .or(self.old_path.as_ref())
            .expect("a file patch names a path")
    }
}

fn unquote(s: &[u8]) -> BString {
    if !(s.len() >= 2 && s[0] == b'"' && s[s.len() - 1] == b'"') {
        return s.into();
    }
    let mut out = Vec::new();
    let mut i = 1;
    while i < s.len() - 1 {
        if s[i] == b'\\' && i + 1 < s.len() - 1 {
            let c = s[i + 1];
            match c {
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'0'..=b'7' if i + 3 < s.len() => {
                    let oct = std::str::from_utf8(&s[i + 1..i + 4])
                        .ok()
                        .and_then(|o| u8::from_str_radix(o, 8).ok());
                    if let Some(v) = oct {
                        out.push(v);
                        i += 4;
                        continue;
                    }
                    out.push(c);
                }
                _ => out.push(c),
            }
            i += 2;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out.into()
}

/// A path from a `---`/`+++` line: without the timestamp and the first component (`-p1`, as quilt and git
/// apply it). None for `/dev/null`.
fn strip_path(raw: &[u8]) -> Option<BString> {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let raw = if raw.starts_with(b"\"") {
        raw
    } else {
        raw.split(|b| *b == b'\t').next().unwrap_or(raw)
    };
    let p = unquote(raw);
    if p == "/dev/null" {
        return None;
    }
    match p.find_byte(b'/') {
        Some(i) => Some(p[i + 1..].into()),
        None => Some(p),
    }
}

fn bad(file: &str, line: usize, what: impl std::fmt::Display) -> Error {
    Error::input(format!("{file}:{line}: {what}"))
        .hint("fix or regenerate the patch (e.g. with `git format-patch --binary`), then run the command again")
}

/// A path in a patch must stay inside the tree.
fn safe_path(file: &str, line: usize, p: &BString) -> Result<()> {
    let bad_component = p
        .split(|b| *b == b'/')
        .any(|c| c.is_empty() || c == b"." || c == b".." || c == b".git");
    if bad_component || p.starts_with(b"/") {
        return Err(bad(file, line, format!("unsafe path '{p}' in the diff")));
    }
    Ok(())
}

/// Split the diff of a patch file into its file patches.
pub fn parse_diff(file: &str, diff: &[u8], first_line: usize) -> Result<Vec<FilePatch>> {
    let lines: Vec<&[u8]> = diff.split_inclusive(|b| *b == b'\n').collect();
    let bare = |l: &[u8]| -> Vec<u8> {
        let l = l.strip_suffix(b"\n").unwrap_or(l);
        l.strip_suffix(b"\r").unwrap_or(l).to_vec()
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = bare(lines[i]);
        let start = i;
        let is_git = l.starts_with(b"diff --git ");
        let is_plain = l.starts_with(b"--- ") && lines.get(i + 1).is_some_and(|n| n.starts_with(b"+++ "));
        let is_index = l.starts_with(b"Index: ");
        if !(is_git || is_plain || is_index) {
            i += 1;
            continue;
        }
        let mut fp = FilePatch {
            old_path: None,
            new_path: None,
            new_mode: None,
            old_id: None,
            content: Content::None,
            copy: false,
            line: first_line + start,
        };
        let mut new_file = false;
        let mut deleted = false;
        let mut git_paths: Option<(BString, BString)> = None;
        if is_git {
            let rest = &l[b"diff --git ".len()..];
            // `a/X b/X`: split in the middle when both halves name the same path. Found in the bytes: a path
            // need not be UTF-8, and an index into a lossy copy is not an index into `rest`.
            if let Some(mid) = rest.find(" b/") {
                git_paths = Some((
                    strip_path(&rest[..mid]).unwrap_or_default(),
                    strip_path(&rest[mid + 1..]).unwrap_or_default(),
                ));
            }
            i += 1;
        } else if is_index {
            i += 1;
            while i < lines.len() && !lines[i].starts_with(b"--- ") {
                i += 1;
            }
        }
        // Extended headers.
        while i < lines.len() {
            let h = bare(lines[i]);
            let text = h.to_str_lossy().into_owned();
            if let Some(m) = text.strip_prefix("new file mode ") {
                new_file = true;
                fp.new_mode = u32::from_str_radix(m.trim(), 8).ok();
            } else if text.starts_with("deleted file mode ") {
                deleted = true;
            } else if let Some(m) = text.strip_prefix("new mode ") {
                fp.new_mode = u32::from_str_radix(m.trim(), 8).ok();
            } else if text.starts_with("old mode ")
                || text.starts_with("similarity index")
                || text.starts_with("dissimilarity index")
            {
            } else if let Some(p) = text
                .strip_prefix("rename from ")
                .or_else(|| text.strip_prefix("copy from "))
            {
                fp.copy = text.starts_with("copy from ");
                fp.old_path = Some(unquote(p.as_bytes()));
            } else if let Some(p) = text
                .strip_prefix("rename to ")
                .or_else(|| text.strip_prefix("copy to "))
            {
                fp.new_path = Some(unquote(p.as_bytes()));
            } else if let Some(ix) = text.strip_prefix("index ") {
                let ids = ix.split(' ').next().unwrap_or("");
                if let Some((a, _)) = ids.split_once("..") {
                    if a.len() == 40 {
                        fp.old_id = Oid::from_hex(a.as_bytes()).ok().filter(|o| !o.is_null());
                    }
                }
                if let Some(m) = ix.split(' ').nth(1) {
                    fp.new_mode = fp.new_mode.or(u32::from_str_radix(m.trim(), 8).ok());
                }
            } else if text.starts_with("Binary files ") {
                return Err(bad(
                    file,
                    first_line + i,
                    "binary patch without the file's content (made without --binary)",
                ));
            } else {
                break;
            }
            i += 1;
        }
        if i < lines.len() && bare(lines[i]) == b"GIT binary patch" {
            let (content, next) = binary(file, &lines, i + 1, first_line)?;
            fp.content = content;
            i = next;
        } else if i + 1 < lines.len() && lines[i].starts_with(b"--- ") && lines[i + 1].starts_with(b"+++ ") {
            let old = strip_path(&lines[i][4..]);
            let new = strip_path(&lines[i + 1][4..]);
            if old.is_none() {
                new_file = true;
            }
            if new.is_none() {
                deleted = true;
            }
            if git_paths.is_none() {
                git_paths = Some((
                    old.clone().or(new.clone()).unwrap_or_default(),
                    new.or(old).unwrap_or_default(),
                ));
            }
            i += 2;
            let mut hunks = Vec::new();
            while i < lines.len() && lines[i].starts_with(b"@@ ") {
                let header = bare(lines[i]);
                let (mut old_n, mut new_n) =
                    hunk_counts(&header).ok_or_else(|| bad(file, first_line + i, "malformed hunk header"))?;
                hunks.extend_from_slice(&header);
                hunks.push(b'\n');
                i += 1;
                while (old_n > 0 || new_n > 0) && i < lines.len() {
                    let raw = lines[i];
                    let line: &[u8] = if raw == b"\n" || raw == b"\r\n" { b" \n" } else { raw };
                    match line[0] {
                        b' ' => {
                            old_n = old_n.saturating_sub(1);
                            new_n = new_n.saturating_sub(1);
                        }
                        b'-' => old_n = old_n.saturating_sub(1),
                        b'+' => new_n = new_n.saturating_sub(1),
                        b'\\' => {}
                        _ => {
                            return Err(bad(
                                file,
                                first_line + i,
                                "the hunk ends before its header says it does",
                            ))
                        }
                    }
                    hunks.extend_from_slice(line);
                    if !line.ends_with(b"\n") {
                        hunks.push(b'\n');
                    }
                    i += 1;
                }
                if old_n > 0 || new_n > 0 {
                    return Err(bad(
                        file,
                        first_line + i,
                        "the hunk ends before its header says it does",
                    ));
                }
                while i < lines.len() && lines[i].starts_with(b"\\") {
                    hunks.extend_from_slice(lines[i]);
                    i += 1;
                }
            }
            if hunks.is_empty() {
                return Err(bad(file, first_line + i, "a file header with no hunks"));
            }
            fp.content = Content::Hunks(hunks);
        }
        let Some((a, b)) = git_paths else {
            return Err(bad(
                file,
                first_line + start,
                "cannot tell which file this diff changes",
            ));
        };
        if fp.old_path.is_none() && !new_file {
            fp.old_path = Some(a);
        }
        if fp.new_path.is_none() && !deleted {
            fp.new_path = Some(b);
        }
        if deleted {
            fp.new_path = None;
        }
        for p in [&fp.old_path, &fp.new_path].into_iter().flatten() {
            safe_path(file, fp.line, p)?;
        }
        out.push(fp);
    }
    Ok(out)
}

fn hunk_counts(header: &[u8]) -> Option<(usize, usize)> {
    let s = std::str::from_utf8(header).ok()?;
    let inner = s.strip_prefix("@@ -")?;
    let (ranges, _) = inner.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    let count = |r: &str| -> Option<usize> {
        match r.split_once(',') {
            Some((_, n)) => n.parse().ok(),
            None => r.parse::<usize>().ok().map(|_| 1),
        }
    };
    Some((count(old)?, count(new)?))
}

/// Read a `GIT binary patch` body: the forward block (literal or delta); the reverse block is skipped.
fn binary(file: &str, lines: &[&[u8]], mut i: usize, first_line: usize) -> Result<(Content, usize)> {
    let head = lines.get(i).map(|l| l.trim_end().to_vec()).unwrap_or_default();
    let head = String::from_utf8_lossy(&head).into_owned();
    let (kind, size) = head
        .split_once(' ')
        .and_then(|(k, n)| n.parse::<usize>().ok().map(|n| (k.to_string(), n)))
        .ok_or_else(|| bad(file, first_line + i, "malformed binary patch"))?;
    i += 1;
    let mut data: Vec<&[u8]> = Vec::new();
    while i < lines.len() && !lines[i].trim_end().is_empty() {
        data.push(lines[i].trim_end());
        i += 1;
    }
    let bytes =
        base85::decode_literal(&data, size).ok_or_else(|| bad(file, first_line + i, "corrupt binary patch data"))?;
    // Skip the reverse block.
    i += 1;
    if i < lines.len() && (lines[i].starts_with(b"literal ") || lines[i].starts_with(b"delta ")) {
        while i < lines.len() && !lines[i].trim_end().is_empty() {
            i += 1;
        }
    }
    let content = match kind.as_str() {
        "literal" => Content::Literal(bytes),
        "delta" => Content::Delta(bytes),
        _ => return Err(bad(file, first_line + i, "malformed binary patch")),
    };
    Ok((content, i))
}

/// Apply a git binary delta (`diff-delta.c` format) to `base`.
fn apply_delta(base: &[u8], delta: &[u8]) -> Option<Vec<u8>> {
    let mut i = 0;
    let mut varint = || -> Option<usize> {
        let mut v = 0usize;
        let mut shift = 0;
        loop {
            let b = *delta.get(i)?;
            i += 1;
            v |= ((b & 0x7f) as usize) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
    };
    let src = varint()?;
    let dst = varint()?;
    if src != base.len() {
        return None;
    }
    let mut out = Vec::with_capacity(dst);
    while i < delta.len() {
        let cmd = delta[i];
        i += 1;
        if cmd & 0x80 != 0 {
            let mut off = 0usize;
            let mut size = 0usize;
            for k in 0..4 {
                if cmd & (1 << k) != 0 {
                    off |= (*delta.get(i)? as usize) << (8 * k);
                    i += 1;
                }
            }
            for k in 0..3 {
                if cmd & (0x10 << k) != 0 {
                    size |= (*delta.get(i)? as usize) << (8 * k);
                    i += 1;
                }
            }
            if size == 0 {
                size = 0x10000;
            }
            out.extend_from_slice(base.get(off..off.checked_add(size)?)?);
        } else if cmd != 0 {
            out.extend_from_slice(delta.get(i..i + cmd as usize)?);
            i += cmd as usize;
        } else {
            return None;
        }
    }
    (out.len() == dst).then_some(out)
}

/// Apply hunks to content. None when a hunk does not apply.
fn apply_hunks(base: &[u8], hunks: &[u8]) -> Option<Vec<u8>> {
    let mut text = b"--- a\n+++ b\n".to_vec();
    text.extend_from_slice(hunks);
    let patch = diffy::Patch::from_bytes(&text).ok()?;
    diffy::apply_bytes(base, &patch).ok()
}

/// The old and new sides of hunks laid end to end: a preimage and postimage the hunks apply to, for a
/// three-way merge when the real preimage is not known.
fn hunk_sides(hunks: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut old = Vec::new();
    let mut new = Vec::new();
    let mut last: Option<u8> = None;
    for l in hunks.split_inclusive(|b| *b == b'\n') {
        match l.first() {
            Some(b' ') => {
                old.extend_from_slice(&l[1..]);
                new.extend_from_slice(&l[1..]);
            }
            Some(b'-') => old.extend_from_slice(&l[1..]),
            Some(b'+') => new.extend_from_slice(&l[1..]),
            Some(b'\\') => {
                // `\ No newline at end of file` applies to the line before it.
                match last {
                    Some(b'-') => {
                        old.pop();
                    }
                    Some(b'+') => {
                        new.pop();
                    }
                    _ => {
                        old.pop();
                        new.pop();
                    }
                }
            }
            _ => {}
        }
        last = l.first().copied();
    }
    (old, new)
}

/// The result of applying one patch onto a tree.
pub enum Applied {
    /// Every file applied: the new tree.
    Clean(Oid),
    /// Some file did not apply: trees for a three-way merge, and the files that failed.
    Failed { pre: Oid, post: Oid, paths: Vec<BString> },
}

/// Apply `files` onto `tree`.
pub fn apply(repo: &Repo, tree: Oid, file: &str, files: &[FilePatch]) -> Result<Applied> {
    let mut edits: Vec<(BString, Option<Entry>)> = Vec::new();
    let mut pre_edits: Vec<(BString, Option<Entry>)> = Vec::new();
    let mut post_edits: Vec<(BString, Option<Entry>)> = Vec::new();
    let mut failed = Vec::new();
    for fp in files {
        let ours = match &fp.old_path {
            Some(p) => repo.entry_at(tree, p)?.filter(|e| !e.is_tree()),
            None => None,
        };
        let exists_new = match &fp.new_path {
            Some(p) if fp.old_path.as_ref() != Some(p) => repo.entry_at(tree, p)?.is_some(),
            _ => false,
        };
        let ours_content = match ours {
            Some(e) => Some(repo.blob(e.id)?),
            None => None,
        };
        let mode = fp.new_mode.or(ours.map(|e| e.mode)).unwrap_or(0o100644);
        let result: Option<Vec<u8>> = match (&fp.old_path, &ours_content) {
            (Some(_), None) => None,
            (None, _) if exists_new => None,
            _ => {
                let base = ours_content.clone().unwrap_or_default();
                match &fp.content {
                    Content::Hunks(h) => apply_hunks(&base, h),
                    Content::Literal(d) => match (fp.old_id, ours) {
                        (Some(want), Some(e)) if e.id != want => None,
                        _ => Some(d.clone()),
                    },
                    Content::Delta(d) => apply_delta(&base, d),
                    Content::None => Some(base),
                }
            }
        };
        match result {
            Some(content) => {
                if let Some(old) = &fp.old_path {
                    if fp.new_path.as_ref() != Some(old) && !fp.copy {
                        edits.push((old.clone(), None));
                    }
                }
                if let Some(new) = &fp.new_path {
                    let id = repo.write_blob(&content)?;
                    edits.push((new.clone(), Some(Entry { mode, id })));
                }
            }
            None => {
                failed.push(fp.path().clone());
                // A preimage and postimage for the merge: the blob the patch names, else the hunks' sides.
                let known = fp.old_id.and_then(|id| repo.blob(id).ok());
                let (pre, post) = match (&fp.content, known) {
                    (Content::Hunks(h), Some(base)) => match apply_hunks(&base, h) {
                        Some(post) => (Some(base), Some(post)),
                        None => {
                            let (a, b) = hunk_sides(h);
                            (Some(a), Some(b))
                        }
                    },
                    (Content::Hunks(h), None) => {
                        let (a, b) = hunk_sides(h);
                        (fp.old_path.as_ref().map(|_| a), Some(b))
                    }
                    (Content::Literal(d), known) => (known, Some(d.clone())),
                    (Content::Delta(d), Some(base)) => match apply_delta(&base, d) {
                        Some(post) => (Some(base), Some(post)),
                        None => return Err(bad(file, fp.line, "binary delta does not fit its preimage")),
                    },
                    (Content::Delta(_), None) => {
                        return Err(bad(
                            file,
                            fp.line,
                            "binary delta without its preimage in the repository",
                        ))
                    }
                    (Content::None, known) => (known.clone(), known),
                };
                if let (Some(old), Some(pre)) = (&fp.old_path, pre) {
                    let id = repo.write_blob(&pre)?;
                    pre_edits.push((
                        old.clone(),
                        Some(Entry {
                            mode: ours.map_or(mode, |e| e.mode),
                            id,
                        }),
                    ));
                    if fp.new_path.as_ref() != Some(old) && !fp.copy {
                        post_edits.push((old.clone(), None));
                    }
                }
                if let (Some(new), Some(post)) = (&fp.new_path, post) {
                    let id = repo.write_blob(&post)?;
                    post_edits.push((new.clone(), Some(Entry { mode, id })));
                }
            }
        }
    }
    if failed.is_empty() {
        return Ok(Applied::Clean(repo.edit_tree(tree, &edits)?));
    }
    // The preimage tree is ours with the failed files' preimages; the postimage adds every file's change.
    let pre = repo.edit_tree(tree, &pre_edits)?;
    let mut all = edits;
    all.extend(post_edits);
    let post = repo.edit_tree(pre, &all)?;
    Ok(Applied::Failed {
        pre,
        post,
        paths: failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_git_headers() {
        let d = b"diff --git a/x.c b/x.c\nindex 0123456789abcdef0123456789abcdef01234567..1111111111111111111111111111111111111111 100644\n--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,2 @@\n a\n-b\n+c\ndiff --git a/new b/new\nnew file mode 100755\nindex 0000000000000000000000000000000000000000..2222222222222222222222222222222222222222\n--- /dev/null\n+++ b/new\n@@ -0,0 +1 @@\n+x\n\\ No newline at end of file\ndiff --git a/gone b/gone\ndeleted file mode 100644\n--- a/gone\n+++ /dev/null\n@@ -1 +0,0 @@\n-y\n";
        let f = parse_diff("p", d, 10).unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].old_path.as_ref().unwrap(), "x.c");
        assert!(f[0].old_id.is_some());
        assert_eq!(f[1].old_path, None);
        assert_eq!(f[1].new_mode, Some(0o100755));
        assert_eq!(f[1].line, 18);
        assert_eq!(f[2].new_path, None);
        let Content::Hunks(h) = &f[1].content else { panic!() };
        assert_eq!(apply_hunks(b"", h).unwrap(), b"x");
    }

    #[test]
    fn non_utf8_paths_in_the_git_header_are_split_on_bytes() {
        // Found by `cargo fuzz run patch`: the split point was looked up in a lossy UTF-8 copy.
        let d =
            b"diff --git a/\xff\xfe\xfd\xfc\xfb\xfa\xf9.c b/x.c\n--- a/\xff\xfe.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n";
        let _ = parse_diff("p", d, 1);
    }

    #[test]
    fn refuses_escapes_and_blobless_binaries() {
        let d = b"--- a/../../etc/passwd\n+++ b/../../etc/passwd\n@@ -1 +1 @@\n-a\n+b\n";
        assert!(parse_diff("p", d, 1).unwrap_err().message.contains("unsafe path"));
        let d = b"diff --git a/f.bin b/f.bin\nindex 1..2 100644\nBinary files a/f.bin and b/f.bin differ\n";
        let e = parse_diff("debian/patches/p", d, 5).unwrap_err();
        assert!(
            e.message.starts_with("debian/patches/p:7: binary patch without"),
            "{}",
            e.message
        );
    }

    #[test]
    fn hunk_sides_rebuild_both_images() {
        let (a, b) = hunk_sides(b"@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n");
        assert_eq!(a, b"a\nb\n");
        assert_eq!(b, b"a\nc");
    }

    #[test]
    fn delta_copy_and_insert() {
        // base "hello world", result "hello there": copy 6 bytes from 0, insert "there".
        let delta = [11u8, 11, 0x90, 6, 5, b't', b'h', b'e', b'r', b'e'];
        assert_eq!(apply_delta(b"hello world", &delta).unwrap(), b"hello there");
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in proptest::collection::vec(proptest::sample::select(b" +-@\\\nabdfgit/:0123,".to_vec()), 0..300)) {
            let _ = parse_diff("f", &s, 1);
            let _ = hunk_sides(&s);
        }
    }
}
