//! git-style patch text for a commit, made in memory from its trees: `diff --git` headers with modes and
//! full `index` ids (so an importer can find the preimage for a three-way merge), unified hunks with three
//! lines of context, and `\ No newline at end of file` where a side has no final newline.

use gix::bstr::{BString, ByteSlice};

use crate::error::Result;
use crate::git::{Entry, Oid, Repo, TreeChange};

/// What to do with a file git would call binary (a NUL byte in its first 8000 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryMode {
    /// `GIT binary patch` literal blocks, which `git am` and `git apply` read.
    Git,
    /// A plain text diff of the bytes (GNU `patch`, and so quilt, applies it; it cannot read git's blocks).
    Text,
    /// Left out of the patch; the caller reports the path.
    Omit,
}

/// The diff of one commit, and the binary paths left out of it (only with [`BinaryMode::Omit`]).
pub struct CommitDiff {
    pub text: Vec<u8>,
    pub omitted: Vec<BString>,
}

/// Is this content binary to git (a NUL in the first 8000 bytes)?
pub fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(8000)].contains(&0)
}

/// A path as git writes it in patch headers: C-quoted when it holds a quote, backslash, control character
/// or non-ASCII byte.
pub fn quote_path(prefix: &str, path: &[u8]) -> Vec<u8> {
    let needs = path
        .iter()
        .any(|&b| b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b));
    let mut out = Vec::new();
    if !needs {
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(path);
        return out;
    }
    out.push(b'"');
    out.extend_from_slice(prefix.as_bytes());
    for &b in path {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b if !(0x20..0x7f).contains(&b) => out.extend_from_slice(format!("\\{b:03o}").as_bytes()),
            b => out.push(b),
        }
    }
    out.push(b'"');
    out
}

fn mode_str(e: &Entry) -> String {
    format!("{:o}", e.mode)
}

/// The patch text of `old_tree → new_tree` (None: the empty tree).
pub fn tree_diff(repo: &Repo, old_tree: Option<Oid>, new_tree: Oid, binary: BinaryMode) -> Result<CommitDiff> {
    let changes = repo.diff_trees(old_tree, Some(new_tree))?;
    let mut text = Vec::new();
    let mut omitted = Vec::new();
    for c in &changes {
        file_diff(repo, c, binary, &mut text, &mut omitted)?;
    }
    Ok(CommitDiff { text, omitted })
}

fn content(repo: &Repo, e: Option<Entry>) -> Result<Vec<u8>> {
    match e {
        None => Ok(Vec::new()),
        Some(e) if e.is_submodule() => Ok(format!("Subproject commit {}\n", e.id).into_bytes()),
        Some(e) => repo.blob(e.id),
    }
}

fn file_diff(
    repo: &Repo,
    c: &TreeChange,
    binary: BinaryMode,
    out: &mut Vec<u8>,
    omitted: &mut Vec<BString>,
) -> Result<()> {
    let old = content(repo, c.old)?;
    let new = content(repo, c.new)?;
    let is_bin = is_binary(&old) || is_binary(&new);
    if is_bin && binary == BinaryMode::Omit {
        omitted.push(c.path.clone());
        return Ok(());
    }
    let a = quote_path("a/", &c.path);
    let b = quote_path("b/", &c.path);
    out.extend_from_slice(b"diff --git ");
    out.extend_from_slice(&a);
    out.push(b' ');
    out.extend_from_slice(&b);
    out.push(b'\n');
    let zero = Oid::null(gix::hash::Kind::Sha1);
    let (old_id, new_id) = (c.old.map_or(zero, |e| e.id), c.new.map_or(zero, |e| e.id));
    match (c.old, c.new) {
        (None, Some(n)) => {
            out.extend_from_slice(format!("new file mode {}\nindex {old_id}..{new_id}\n", mode_str(&n)).as_bytes())
        }
        (Some(o), None) => {
            out.extend_from_slice(format!("deleted file mode {}\nindex {old_id}..{new_id}\n", mode_str(&o)).as_bytes())
        }
        (Some(o), Some(n)) if o.mode != n.mode => {
            out.extend_from_slice(format!("old mode {}\nnew mode {}\n", mode_str(&o), mode_str(&n)).as_bytes())
        }
        (Some(o), Some(_)) => out.extend_from_slice(format!("index {old_id}..{new_id} {}\n", mode_str(&o)).as_bytes()),
        (None, None) => {}
    }
    if matches!((c.old, c.new), (Some(o), Some(n)) if o.mode != n.mode) {
        if old_id == new_id {
            return Ok(());
        }
        out.extend_from_slice(format!("index {old_id}..{new_id}\n").as_bytes());
    }
    if is_bin && binary == BinaryMode::Git {
        out.extend_from_slice(b"GIT binary patch\n");
        out.extend_from_slice(format!("literal {}\n", new.len()).as_bytes());
        out.extend_from_slice(&crate::interop::base85::literal_lines(&new));
        out.extend_from_slice(b"\n");
        out.extend_from_slice(format!("literal {}\n", old.len()).as_bytes());
        out.extend_from_slice(&crate::interop::base85::literal_lines(&old));
        out.extend_from_slice(b"\n");
        return Ok(());
    }
    if old == new {
        return Ok(());
    }
    if c.old.is_some() {
        out.extend_from_slice(b"--- ");
        out.extend_from_slice(&a);
    } else {
        out.extend_from_slice(b"--- /dev/null");
    }
    out.push(b'\n');
    if c.new.is_some() {
        out.extend_from_slice(b"+++ ");
        out.extend_from_slice(&b);
    } else {
        out.extend_from_slice(b"+++ /dev/null");
    }
    out.push(b'\n');
    hunks(&old, &new, out);
    Ok(())
}

/// Unified hunks (three lines of context) for two versions of a file. Lines end at `\n` only, as GNU
/// `patch` and git count them (a lone `\r` inside binary content is not a line end).
pub fn hunks(old: &[u8], new: &[u8], out: &mut Vec<u8>) {
    let a: Vec<&[u8]> = old.split_inclusive(|b| *b == b'\n').collect();
    let b: Vec<&[u8]> = new.split_inclusive(|b| *b == b'\n').collect();
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &a, &b);
    let range = |start: usize, end: usize| -> String {
        match end - start {
            1 => format!("{}", start + 1),
            0 => format!("{start},0"),
            n => format!("{},{n}", start + 1),
        }
    };
    let line = |out: &mut Vec<u8>, tag: u8, l: &[u8]| {
        out.push(tag);
        out.extend_from_slice(l);
        if !l.ends_with(b"\n") {
            out.extend_from_slice(b"\n\\ No newline at end of file\n");
        }
    };
    for group in similar::group_diff_ops(ops, 3) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (o0, o1) = (first.old_range().start, last.old_range().end);
        let (n0, n1) = (first.new_range().start, last.new_range().end);
        out.extend_from_slice(format!("@@ -{} +{} @@\n", range(o0, o1), range(n0, n1)).as_bytes());
        for op in &group {
            let (old_r, new_r) = (op.old_range(), op.new_range());
            match op.tag() {
                similar::DiffTag::Equal => old_r.for_each(|i| line(out, b' ', a[i])),
                similar::DiffTag::Delete => old_r.for_each(|i| line(out, b'-', a[i])),
                similar::DiffTag::Insert => new_r.for_each(|i| line(out, b'+', b[i])),
                similar::DiffTag::Replace => {
                    old_r.for_each(|i| line(out, b'-', a[i]));
                    new_r.for_each(|i| line(out, b'+', b[i]));
                }
            }
        }
    }
}

/// Count of lines added and removed in patch text (for a short summary).
pub fn stat(text: &[u8]) -> (usize, usize) {
    let mut add = 0;
    let mut del = 0;
    for l in text.lines() {
        if l.starts_with(b"+++ ") || l.starts_with(b"--- ") {
            continue;
        }
        match l.first() {
            Some(b'+') => add += 1,
            Some(b'-') => del += 1,
            _ => {}
        }
    }
    (add, del)
}
