//! Patch identity: the same change under another commit id, exactly as `git patch-id --stable` (and
//! `git cherry`) computes it, so pq's answers can be checked against git's.
//!
//! git hashes the text of `git diff-tree -p` (no rename detection): per file, the header lines (minus the
//! `index` line) and every hunk line, context included, with whitespace removed; the files' hashes are
//! summed so their order does not matter. pq renders the same text and hashes it with a port of
//! `builtin/patch-id.c`'s loop, quirks included (a file with no hunk shares the next file's hash). The line
//! diff is imara-diff's Myers with git's heuristics and slider post-processing (what git uses by default),
//! which stays near-linear on the 100k-line translation updates where a plain Myers is quadratic.
//!
//! Ids are cached in `.git/pq/cache/`, keyed by the pair of trees, so a second run diffs nothing.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;

use gix_imara_diff::{Algorithm, Diff, InternedInput};
use sha1::{Digest, Sha1};

use crate::error::Result;
use crate::git::{Entry, Oid, Repo, TreeChange};

pub type PatchId = [u8; 20];

/// git's context: 3 lines; hunks closer than twice that are joined (xdiff's `xdl_get_hunk`).
const CONTEXT: u32 = 3;
/// git decides a blob is binary by a NUL in its first 8000 bytes.
const FIRST_FEW_BYTES: usize = 8000;

/// The patch-id of a change given as tree changes. None for an empty change.
pub fn patch_id(repo: &Repo, changes: &[TreeChange]) -> Result<Option<PatchId>> {
    if changes.is_empty() {
        return Ok(None);
    }
    let mut sorted: Vec<&TreeChange> = changes.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut text = Vec::new();
    for c in sorted {
        // A change of kind (file ↔ symlink ↔ submodule) is a deletion and an addition to git.
        match (c.old, c.new) {
            (Some(o), Some(n)) if kind(o.mode) != kind(n.mode) => {
                render_file(repo, &c.path, Some(o), None, &mut text)?;
                render_file(repo, &c.path, None, Some(n), &mut text)?;
            }
            (o, n) => render_file(repo, &c.path, o, n, &mut text)?,
        }
    }
    Ok(hash_patch(&text))
}

/// The patch-id of a commit against its first parent.
pub fn commit_patch_id(repo: &Repo, commit: Oid) -> Result<Option<PatchId>> {
    let c = repo.commit(commit)?;
    let parent_tree = match c.parents.first() {
        Some(p) => Some(repo.commit_tree(*p)?),
        None => None,
    };
    let changes = repo.diff_trees(parent_tree, Some(c.tree))?;
    patch_id(repo, &changes)
}

/// Lines as the diff counts them: a last line without a newline is a line.
fn line_count(data: &[u8]) -> i64 {
    let newlines = data.iter().filter(|&&b| b == b'\n').count();
    (newlines + usize::from(data.last().is_some_and(|&b| b != b'\n'))) as i64
}

/// Whether two changes' balances allow the same patch-id.
pub fn balances_agree(a: &[Option<i64>], b: &[Option<i64>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.is_none() || y.is_none() || x == y)
}

fn kind(mode: u32) -> u32 {
    mode & 0o170000
}

fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(FIRST_FEW_BYTES)].contains(&0)
}

/// Append `path` as git quotes it in diff headers (`core.quotePath`, the default).
fn push_quoted(out: &mut Vec<u8>, prefix: &[u8], path: &[u8]) {
    let needs = path.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\' || b >= 0x7f);
    if !needs {
        out.extend_from_slice(prefix);
        out.extend_from_slice(path);
        return;
    }
    out.push(b'"');
    out.extend_from_slice(prefix);
    for &b in path {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0b => out.extend_from_slice(b"\\v"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b if !(0x20..0x7f).contains(&b) => out.extend_from_slice(format!("\\{b:03o}").as_bytes()),
            b => out.push(b),
        }
    }
    out.push(b'"');
}

fn content(repo: &Repo, e: Option<Entry>) -> Result<Vec<u8>> {
    Ok(match e {
        None => Vec::new(),
        Some(e) if e.is_submodule() => format!("Subproject commit {}\n", e.id).into_bytes(),
        Some(e) => repo.blob(e.id)?,
    })
}

/// One file's part of `git diff-tree -p --full-index` output.
fn render_file(repo: &Repo, path: &[u8], old: Option<Entry>, new: Option<Entry>, out: &mut Vec<u8>) -> Result<()> {
    let null = Oid::null(gix::hash::Kind::Sha1);
    out.extend_from_slice(b"diff --git ");
    push_quoted(out, b"a/", path);
    out.push(b' ');
    push_quoted(out, b"b/", path);
    out.push(b'\n');
    let (oid_a, oid_b) = (old.map_or(null, |e| e.id), new.map_or(null, |e| e.id));
    match (old, new) {
        (None, Some(n)) => {
            out.extend_from_slice(format!("new file mode {:06o}\nindex {oid_a}..{oid_b}\n", n.mode).as_bytes());
        }
        (Some(o), None) => {
            out.extend_from_slice(format!("deleted file mode {:06o}\nindex {oid_a}..{oid_b}\n", o.mode).as_bytes());
        }
        (Some(o), Some(n)) if o.mode != n.mode => {
            out.extend_from_slice(format!("old mode {:06o}\nnew mode {:06o}\n", o.mode, n.mode).as_bytes());
            if o.id != n.id {
                out.extend_from_slice(format!("index {oid_a}..{oid_b}\n").as_bytes());
            }
        }
        (Some(o), Some(_)) => {
            out.extend_from_slice(format!("index {oid_a}..{oid_b} {:06o}\n", o.mode).as_bytes());
        }
        (None, None) => return Ok(()),
    }
    if oid_a == oid_b {
        return Ok(());
    }
    let a = content(repo, old)?;
    let b = content(repo, new)?;
    if a.is_empty() && b.is_empty() {
        return Ok(());
    }
    let name = |side: &[u8], e: Option<Entry>, out: &mut Vec<u8>| match e {
        None => out.extend_from_slice(b"/dev/null"),
        Some(_) => push_quoted(out, side, path),
    };
    if is_binary(&a) || is_binary(&b) {
        out.extend_from_slice(b"Binary files ");
        name(b"a/", old, out);
        out.extend_from_slice(b" and ");
        name(b"b/", new, out);
        out.extend_from_slice(b" differ\n");
        return Ok(());
    }
    out.extend_from_slice(b"--- ");
    name(b"a/", old, out);
    out.extend_from_slice(b"\n+++ ");
    name(b"b/", new, out);
    out.push(b'\n');
    render_hunks(&a, &b, out);
    Ok(())
}

/// The hunks of a line diff with git's default context, as xdiff emits them.
fn render_hunks(a: &[u8], b: &[u8], out: &mut Vec<u8>) {
    let input = InternedInput::new(a, b);
    let mut diff = Diff::compute(Algorithm::Myers, &input);
    diff.postprocess_lines(&input);
    let changes: Vec<_> = diff.hunks().collect();
    let (na, nb) = (input.before.len() as u32, input.after.len() as u32);
    let line = |out: &mut Vec<u8>, tag: u8, tok: gix_imara_diff::Token| {
        out.push(tag);
        let l: &[u8] = input.interner[tok];
        out.extend_from_slice(l);
        if !l.ends_with(b"\n") {
            out.push(b'\n');
        }
    };
    let mut i = 0;
    while i < changes.len() {
        let mut j = i;
        while j + 1 < changes.len() && changes[j + 1].before.start - changes[j].before.end <= 2 * CONTEXT {
            j += 1;
        }
        let (first, last) = (&changes[i], &changes[j]);
        let s1 = first.before.start.saturating_sub(CONTEXT);
        let s2 = first.after.start - (first.before.start - s1);
        let e1 = (last.before.end + CONTEXT).min(na);
        let e2 = (last.after.end + (e1 - last.before.end)).min(nb);
        out.extend_from_slice(format!("@@ -{},{} +{},{} @@\n", s1 + 1, e1 - s1, s2 + 1, e2 - s2).as_bytes());
        let mut pos = s1;
        for h in &changes[i..=j] {
            for k in pos..h.before.start {
                line(out, b' ', input.before[k as usize]);
            }
            for k in h.before.clone() {
                line(out, b'-', input.before[k as usize]);
            }
            for k in h.after.clone() {
                line(out, b'+', input.after[k as usize]);
            }
            pos = h.before.end;
        }
        for k in pos..e1 {
            line(out, b' ', input.before[k as usize]);
        }
        i = j + 1;
    }
}

/// `builtin/patch-id.c`'s `get_one_patchid` with `--stable`, over one commit's diff text.
fn hash_patch(text: &[u8]) -> Option<PatchId> {
    let mut result = [0u8; 20];
    let mut ctx = Sha1::new();
    let mut patchlen = 0usize;
    let (mut before, mut after) = (-1i64, -1i64);
    let mut binary = false;
    let (mut pre, mut post): (Vec<u8>, Vec<u8>) = (Vec::new(), Vec::new());
    let flush = |ctx: &mut Sha1, result: &mut [u8; 20]| {
        let h = std::mem::take(ctx).finalize();
        let mut carry = 0u16;
        for (r, x) in result.iter_mut().zip(h.iter()) {
            carry += *r as u16 + *x as u16;
            *r = carry as u8;
            carry >>= 8;
        }
    };
    for line in text.split_inclusive(|&b| b == b'\n') {
        if patchlen == 0 && !line.starts_with(b"diff ") {
            continue;
        }
        if before == -1 {
            if line.starts_with(b"GIT binary patch") || line.starts_with(b"Binary files") {
                binary = true;
                before = 0;
                ctx.update(&pre);
                ctx.update(&post);
                flush(&mut ctx, &mut result);
                continue;
            } else if let Some(rest) = line.strip_prefix(b"index ") {
                if let Some(dots) = rest.windows(2).position(|w| w == b"..") {
                    let tail = &rest[dots + 2..];
                    let end = tail
                        .iter()
                        .position(|&b| b == b' ')
                        .unwrap_or(tail.len().saturating_sub(1));
                    pre = rest[..dots].to_vec();
                    post = tail[..end].to_vec();
                }
                continue;
            } else if line.starts_with(b"--- ") {
                before = 1;
                after = 1;
            } else if !line.first().is_some_and(|b| b.is_ascii_alphabetic()) {
                break;
            }
        }
        if binary {
            if line.starts_with(b"diff ") {
                binary = false;
                before = -1;
            }
            continue;
        }
        if before == 0 && after == 0 {
            if line.starts_with(b"@@ -") {
                (before, after) = hunk_counts(line);
                continue;
            }
            if !line.starts_with(b"diff ") {
                break;
            }
            flush(&mut ctx, &mut result);
            before = -1;
            after = -1;
        }
        match line.first() {
            Some(b'-') => before -= 1,
            Some(b'+') => after -= 1,
            Some(b' ') => {
                before -= 1;
                after -= 1;
            }
            _ => {}
        }
        let squeezed: Vec<u8> = line
            .iter()
            .copied()
            .filter(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .collect();
        patchlen += squeezed.len();
        ctx.update(&squeezed);
    }
    if patchlen == 0 {
        return None;
    }
    flush(&mut ctx, &mut result);
    Some(result)
}

/// The line counts of a hunk header `@@ -a,b +c,d @@` (a missing count is 1).
fn hunk_counts(line: &[u8]) -> (i64, i64) {
    let s = String::from_utf8_lossy(line);
    let mut parts = s.split_whitespace().skip(1);
    let count = |p: Option<&str>| {
        p.and_then(|p| p.get(1..))
            .map(|p| p.split_once(',').map_or(Ok(1), |(_, n)| n.parse::<i64>()).unwrap_or(1))
            .unwrap_or(1)
    };
    let b = count(parts.next());
    let a = count(parts.next());
    (b, a)
}

/// Patch-ids of commits, remembered across runs in `.git/pq/cache/patch-ids.v1` (records of the parent
/// tree, the tree and the id; an all-zero id for an empty change). The key is the pair of trees, so a
/// commit rewritten with the same change, or the same change on another branch, hits the cache too.
pub struct PatchIds {
    file: Option<PathBuf>,
    known: HashMap<(Oid, Oid), Option<PatchId>>,
    fresh: Vec<u8>,
    /// Line counts of blobs, loaded on first use (see [`PatchIds::line_balance`]).
    lines: Option<LineCounts>,
}

const RECORD: usize = 60;

/// Each text blob's line count (None: binary), remembered across runs in `.git/pq/cache/line-counts.v1`
/// (records of the blob id and the count as a little-endian i64, -1 for binary). A blob's count never
/// changes, so a second run reads none of the blobs the first one counted.
#[derive(Default)]
struct LineCounts {
    file: Option<PathBuf>,
    known: HashMap<Oid, Option<i64>>,
    fresh: Vec<u8>,
}

const LINES_RECORD: usize = 28;

impl LineCounts {
    fn open(file: Option<PathBuf>) -> LineCounts {
        let mut known = HashMap::new();
        if let Some(data) = file.as_ref().and_then(|f| std::fs::read(f).ok()) {
            for r in data.chunks_exact(LINES_RECORD) {
                let n = i64::from_le_bytes(r[20..].try_into().expect("8 bytes"));
                known.insert(Oid::from_bytes_or_panic(&r[..20]), (n >= 0).then_some(n));
            }
        }
        LineCounts {
            file,
            known,
            fresh: Vec::new(),
        }
    }

    /// The line count of a file side of a change (an absent side has none); None for a binary blob.
    fn of(&mut self, repo: &Repo, e: Option<Entry>) -> Result<Option<i64>> {
        let Some(e) = e else { return Ok(Some(0)) };
        if let Some(n) = self.known.get(&e.id) {
            return Ok(*n);
        }
        let data = content(repo, Some(e))?;
        let n = (!is_binary(&data)).then(|| line_count(&data));
        self.known.insert(e.id, n);
        self.fresh.extend_from_slice(e.id.as_bytes());
        self.fresh.extend_from_slice(&n.unwrap_or(-1).to_le_bytes());
        Ok(n)
    }

    fn save(&mut self) {
        if let Some(file) = &self.file {
            if append_records(file, &self.fresh, LINES_RECORD).is_ok() {
                self.fresh.clear();
            }
        }
    }
}

/// Append `fresh` to the cache file of `record`-byte records. A record torn by a kill would misalign every
/// later one: it is cut off first.
fn append_records(file: &std::path::Path, fresh: &[u8], record: usize) -> std::io::Result<()> {
    if fresh.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(file.parent().expect("cache dir"))?;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(file)?;
    let len = f.metadata()?.len();
    if len % record as u64 != 0 {
        f.set_len(len - len % record as u64)?;
    }
    f.write_all(fresh)
}

impl PatchIds {
    /// Load the cache of `repo` (an unreadable or missing cache is an empty one).
    pub fn open(repo: &Repo) -> PatchIds {
        let file = repo.common_dir().join("pq").join("cache").join("patch-ids.v1");
        let mut known = HashMap::new();
        if let Ok(data) = std::fs::read(&file) {
            for r in data.chunks_exact(RECORD) {
                let t = |s: &[u8]| Oid::from_bytes_or_panic(s);
                let pid: PatchId = r[40..60].try_into().expect("20 bytes");
                known.insert((t(&r[..20]), t(&r[20..40])), (pid != [0; 20]).then_some(pid));
            }
        }
        PatchIds {
            file: Some(file),
            known,
            fresh: Vec::new(),
            lines: None,
        }
    }

    /// A cache that remembers only for this process.
    pub fn in_memory() -> PatchIds {
        PatchIds {
            file: None,
            known: HashMap::new(),
            fresh: Vec::new(),
            lines: None,
        }
    }

    /// The patch-id of the change from `parent_tree` (None: a root commit) to `tree`. `changes`, when the
    /// caller already has them, saves diffing the trees again.
    pub fn of_trees(
        &mut self,
        repo: &Repo,
        parent_tree: Option<Oid>,
        tree: Oid,
        changes: Option<&[TreeChange]>,
    ) -> Result<Option<PatchId>> {
        let empty = Oid::empty_tree(gix::hash::Kind::Sha1);
        let key = (parent_tree.unwrap_or(empty), tree);
        if let Some(p) = self.known.get(&key) {
            return Ok(*p);
        }
        let pid = match changes {
            Some(ch) => patch_id(repo, ch)?,
            None => patch_id(repo, &repo.diff_trees(parent_tree, Some(tree))?)?,
        };
        self.known.insert(key, pid);
        self.fresh.extend_from_slice(key.0.as_bytes());
        self.fresh.extend_from_slice(key.1.as_bytes());
        self.fresh.extend_from_slice(&pid.unwrap_or([0; 20]));
        Ok(pid)
    }

    /// The patch-id of the change from `parent_tree` to `tree` if this cache knows it.
    pub fn known(&self, parent_tree: Option<Oid>, tree: Oid) -> Option<Option<PatchId>> {
        let empty = Oid::empty_tree(gix::hash::Kind::Sha1);
        self.known.get(&(parent_tree.unwrap_or(empty), tree)).copied()
    }

    /// The patch-id of a commit against its first parent.
    pub fn of_commit(&mut self, repo: &Repo, commit: Oid) -> Result<Option<PatchId>> {
        let c = repo.commit(commit)?;
        let parent_tree = match c.parents.first() {
            Some(p) => Some(repo.commit_tree(*p)?),
            None => None,
        };
        self.of_trees(repo, parent_tree, c.tree, None)
    }

    /// Per changed path (sorted), the lines its diff adds minus the lines it removes, which is the new
    /// file's line count minus the old one's and needs no diff; None where the patch-id shows no lines (a
    /// binary file, a submodule, a change of kind). The hashed text keeps every line's `+`/`-` marker, so two
    /// changes with the same patch-id have the same balance on every path where both have one, and this
    /// rules out most candidates for equality. Line counts are remembered per blob, so a blob is read once
    /// however many candidates share it, and not at all on a later run. (The hash joins lines without a
    /// separator: a change whose stripped lines, joined, spell another's with other line breaks would be
    /// equal to git and not here. Real changes do not do that.)
    pub fn line_balance(&mut self, repo: &Repo, changes: &[TreeChange]) -> Result<Vec<Option<i64>>> {
        let mut sorted: Vec<&TreeChange> = changes.iter().collect();
        sorted.sort_by(|a, b| a.path.cmp(&b.path));
        sorted.into_iter().map(|c| self.file_balance(repo, c)).collect()
    }

    /// Whether two changes' line balances ([`PatchIds::line_balance`]) agree, reading line counts only up to
    /// the first file where they do not: candidates that differ usually differ in their first file, and
    /// this spares reading the blobs of all the others.
    pub fn balances_may_agree(&mut self, repo: &Repo, a: &[TreeChange], b: &[TreeChange]) -> Result<bool> {
        if a.len() != b.len() {
            return Ok(false);
        }
        let mut a: Vec<&TreeChange> = a.iter().collect();
        let mut b: Vec<&TreeChange> = b.iter().collect();
        a.sort_by(|x, y| x.path.cmp(&y.path));
        b.sort_by(|x, y| x.path.cmp(&y.path));
        for (x, y) in a.into_iter().zip(b) {
            let (x, y) = (self.file_balance(repo, x)?, self.file_balance(repo, y)?);
            if !balances_agree(&[x], &[y]) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// One file's part of [`PatchIds::line_balance`].
    fn file_balance(&mut self, repo: &Repo, c: &TreeChange) -> Result<Option<i64>> {
        let file = self.file.as_ref().map(|f| f.with_file_name("line-counts.v1"));
        let counts = self.lines.get_or_insert_with(|| LineCounts::open(file));
        let text_side = |e: Option<Entry>| e.is_none_or(|e| !e.is_submodule());
        if let (Some(o), Some(n)) = (c.old, c.new) {
            if kind(o.mode) != kind(n.mode) || o.id == n.id {
                return Ok((o.id == n.id).then_some(0));
            }
        }
        if !text_side(c.old) || !text_side(c.new) {
            return Ok(None);
        }
        let (a, b) = (counts.of(repo, c.old)?, counts.of(repo, c.new)?);
        Ok(a.zip(b).map(|(a, b)| b - a))
    }

    /// Append what was computed since the last save. A cache is an optimisation: failing to write it
    /// costs time on the next run, never correctness, so errors are ignored.
    pub fn save(&mut self) {
        if let Some(lines) = &mut self.lines {
            lines.save();
        }
        let Some(file) = &self.file else { return };
        if append_records(file, &self.fresh, RECORD).is_ok() {
            self.fresh.clear();
        }
    }
}

impl Drop for PatchIds {
    fn drop(&mut self) {
        self.save();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunk_header_counts() {
        assert_eq!(hunk_counts(b"@@ -1,7 +1,8 @@ fn x\n"), (7, 8));
        assert_eq!(hunk_counts(b"@@ -3 +3,2 @@\n"), (1, 2));
        assert_eq!(hunk_counts(b"@@ -0,0 +1 @@\n"), (0, 1));
    }

    #[test]
    fn quoting_follows_core_quote_path() {
        let mut v = Vec::new();
        push_quoted(&mut v, b"a/", "dir/t\u{e9}st \"x\"".as_bytes());
        assert_eq!(v, b"\"a/dir/t\\303\\251st \\\"x\\\"\"");
        v.clear();
        push_quoted(&mut v, b"b/", b"plain name.c");
        assert_eq!(v, b"b/plain name.c");
    }

    #[test]
    fn line_counts_include_an_unterminated_last_line() {
        assert_eq!(line_count(b""), 0);
        assert_eq!(line_count(b"a\n"), 1);
        assert_eq!(line_count(b"a\nb"), 2);
        assert!(balances_agree(&[Some(1), None], &[Some(1), Some(7)]));
        assert!(!balances_agree(&[Some(1), Some(2)], &[Some(1), Some(3)]));
    }

    #[test]
    fn line_balances_are_remembered_per_blob_across_runs() {
        let dir = tempfile::tempdir().expect("temp dir");
        crate::git::test_git::git(dir.path(), &["init", "-q"]);
        let repo = Repo::discover(dir.path()).expect("open");
        let blob = |data: &[u8]| Entry {
            mode: 0o100644,
            id: repo.write_blob(data).expect("write"),
        };
        let (three, five, binary) = (blob(b"1\n2\n3\n"), blob(b"1\n2\n3\n4\n5"), blob(b"x\0y\n"));
        let change = |path: &str, old, new| TreeChange {
            path: path.into(),
            old,
            new,
        };
        let changes = [
            change("f", Some(three), Some(five)),
            change("g", None, Some(three)),
            change("h", Some(three), Some(binary)),
            change("i", Some(five), None),
        ];
        let mut ids = PatchIds::open(&repo);
        let first = ids.line_balance(&repo, &changes).expect("balance");
        assert_eq!(first, vec![Some(2), Some(3), None, Some(-5)]);
        drop(ids);
        let file = repo.common_dir().join("pq/cache/line-counts.v1");
        let mut data = std::fs::read(&file).expect("cache written");
        assert_eq!(data.len(), 3 * LINES_RECORD);
        // A later run takes the counts from the cache without reading the blobs: a count changed there
        // shows in the balance.
        let at = data
            .chunks_exact(LINES_RECORD)
            .position(|r| &r[..20] == three.id.as_bytes())
            .expect("a record for the three-line blob");
        data[at * LINES_RECORD + 20..(at + 1) * LINES_RECORD].copy_from_slice(&10i64.to_le_bytes());
        std::fs::write(&file, &data).expect("rewrite cache");
        let mut ids = PatchIds::open(&repo);
        assert_eq!(
            ids.line_balance(&repo, &changes).expect("balance"),
            vec![Some(-5), Some(10), None, Some(-5)]
        );
    }

    #[test]
    fn balances_are_compared_file_by_file_and_stop_at_the_first_difference() {
        let dir = tempfile::tempdir().expect("temp dir");
        crate::git::test_git::git(dir.path(), &["init", "-q"]);
        let repo = Repo::discover(dir.path()).expect("open");
        let blob = |data: &[u8]| Entry {
            mode: 0o100644,
            id: repo.write_blob(data).expect("write"),
        };
        let (one, two, three) = (blob(b"1\n"), blob(b"1\n2\n"), blob(b"1\n2\n3\n"));
        let (other, another) = (blob(b"x\n"), blob(b"x\ny\n"));
        let change = |path: &str, old, new| TreeChange {
            path: path.into(),
            old: Some(old),
            new: Some(new),
        };
        let mut ids = PatchIds::open(&repo);
        let ours = [change("g", one, two), change("f", one, three)];
        // Listed in another order, the same balances: +2 on f, +1 on g.
        let same = [change("f", two, three), change("g", other, another)];
        assert!(!ids.balances_may_agree(&repo, &ours, &same).expect("compare"));
        let same = [change("f", one, three), change("g", other, another)];
        assert!(ids.balances_may_agree(&repo, &ours, &same).expect("compare"));
        assert!(!ids.balances_may_agree(&repo, &ours, &same[..1]).expect("compare"));
        drop(ids);
        // f disagreed in the first comparison, so g's blobs were read only by the second one; a fresh cache
        // shows what the first comparison alone reads: f's blobs, and none of g's.
        std::fs::remove_dir_all(repo.common_dir().join("pq/cache")).expect("clear cache");
        let mut ids = PatchIds::open(&repo);
        let differ = [change("f", two, three), change("g", other, another)];
        assert!(!ids.balances_may_agree(&repo, &ours, &differ).expect("compare"));
        drop(ids);
        let data = std::fs::read(repo.common_dir().join("pq/cache/line-counts.v1")).expect("cache written");
        let read: Vec<&[u8]> = data.chunks_exact(LINES_RECORD).map(|r| &r[..20]).collect();
        assert_eq!(read.len(), 3, "one, two and three");
        assert!(!read.contains(&other.id.as_bytes()) && !read.contains(&another.id.as_bytes()));
    }

    #[test]
    fn whitespace_and_order_do_not_matter() {
        let a = b"diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a b\n+c\n";
        let b = b"diff --git a/x b/x\nindex 3..4 100644\n--- a/x\n+++ b/x\n@@ -9 +9 @@\n-ab\n+ c\n";
        assert_eq!(hash_patch(a), hash_patch(b));
        assert!(hash_patch(b"").is_none());
    }
}
