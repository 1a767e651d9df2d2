//! What the prerequisites report at a stop keeps for the next stops of the same operation, beside its state
//! (`.git/pq/op/`): the upstream range from the base to the picked commit's parent only grows from one stop
//! to the next, and the same files conflict again and again.
//!
//! - `upstream-range`: the range's tips already walked and the oldest commit time found below them (a stop
//!   walks only the commits its parent adds), and which blamed commits are ancestors of the base.
//! - `path-entries/<hash of the path>`: a conflicted file's entry per root tree (see
//!   [`crate::git::one_path`]), so blaming it again does not descend into trees it already read.
//!
//! Every entry is keyed by object ids (and the range by its base), so it never goes stale; a missing or
//! unreadable file is ignored. Nothing is written without the stop directory (a dry run keeps it in memory).

use std::collections::HashMap;
use std::path::Path;

use crate::error::Result;
use crate::git::one_path::PathEntries;
use crate::git::{Oid, Repo};
use crate::lock::write_atomic;

const RANGE_FILE: &str = "upstream-range";
const RANGE_HEADER: &str = "pq upstream range 1";
const PATHS_DIR: &str = "path-entries";
const PATHS_HEADER: &str = "pq path entries 1";
/// The last tips hidden from the next walk: enough to cut it at the previous stops' parents.
const TIPS: usize = 8;

/// The upstream range `base..parent` of the stops of one operation.
#[derive(Debug, Default)]
pub struct RangeMemo {
    base: Option<Oid>,
    /// A lower bound of the commit times in `base..tip` for every tip in `tips`.
    oldest: Option<i64>,
    tips: Vec<Oid>,
    /// Commit → whether it is an ancestor of `base`.
    below: HashMap<Oid, bool>,
    added: bool,
}

impl RangeMemo {
    /// A lower bound of the commit times of `base..parent`, `None` if it has no commit and the memo knows no
    /// other tip: every commit of `base..parent` is either in this walk or below a tip walked before.
    pub fn oldest(&mut self, repo: &Repo, base: Oid, parent: Oid) -> Result<Option<i64>> {
        self.reset_for(base);
        if self.tips.contains(&parent) {
            return Ok(self.oldest);
        }
        let mut hide = vec![base];
        hide.extend(self.tips.iter().rev().take(TIPS).copied());
        if let Some(t) = repo.oldest_commit_time_between(&hide, parent)? {
            self.oldest = Some(self.oldest.map_or(t, |o| o.min(t)));
        }
        self.tips.push(parent);
        self.added = true;
        Ok(self.oldest)
    }

    /// Is `id` an ancestor of `base` (or `base` itself)?
    pub fn below(&mut self, repo: &Repo, base: Oid, id: Oid) -> Result<bool> {
        self.reset_for(base);
        if let Some(b) = self.below.get(&id) {
            return Ok(*b);
        }
        let b = repo.is_ancestor(id, base)?;
        self.below.insert(id, b);
        self.added = true;
        Ok(b)
    }

    fn reset_for(&mut self, base: Oid) {
        if self.base != Some(base) {
            *self = RangeMemo {
                base: Some(base),
                ..RangeMemo::default()
            };
        }
    }

    pub fn load(git_dir: &Path) -> RangeMemo {
        let Ok(text) = std::fs::read_to_string(super::dir(git_dir).join(RANGE_FILE)) else {
            return RangeMemo::default();
        };
        Self::parse(&text).unwrap_or_default()
    }

    fn parse(text: &str) -> Option<RangeMemo> {
        let mut lines = text.lines();
        if lines.next() != Some(RANGE_HEADER) {
            return None;
        }
        let mut memo = RangeMemo::default();
        for l in lines {
            let (tag, rest) = l.split_once(' ')?;
            let id = || Oid::from_hex(rest.as_bytes()).ok();
            match tag {
                "base" => memo.base = Some(id()?),
                "oldest" => memo.oldest = Some(rest.parse().ok()?),
                "tip" => memo.tips.push(id()?),
                "a" => {
                    memo.below.insert(id()?, true);
                }
                "n" => {
                    memo.below.insert(id()?, false);
                }
                _ => return None,
            }
        }
        memo.base?;
        Some(memo)
    }

    fn render(&self) -> Option<String> {
        let base = self.base?;
        let mut out = format!("{RANGE_HEADER}\nbase {base}\n");
        if let Some(o) = self.oldest {
            out.push_str(&format!("oldest {o}\n"));
        }
        for t in self.tips.iter().rev().take(TIPS).rev() {
            out.push_str(&format!("tip {t}\n"));
        }
        let mut below: Vec<_> = self.below.iter().collect();
        below.sort();
        for (id, b) in below {
            out.push_str(&format!("{} {id}\n", if *b { "a" } else { "n" }));
        }
        Some(out)
    }

    /// Keep the memo for the next stop, if it learnt something (the stop directory must exist).
    pub fn save(&self, git_dir: &Path) -> Result<()> {
        let dir = super::dir(git_dir);
        if !self.added || !dir.is_dir() {
            return Ok(());
        }
        match self.render() {
            Some(text) => write_atomic(&dir.join(RANGE_FILE), text.as_bytes()),
            None => Ok(()),
        }
    }
}

fn path_file(git_dir: &Path, path: &str) -> std::path::PathBuf {
    let id = gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::objs::Kind::Blob, path.as_bytes())
        .map(|id| id.to_string())
        .unwrap_or_else(|_| path.bytes().map(|b| format!("{b:02x}")).collect());
    super::dir(git_dir).join(PATHS_DIR).join(id)
}

/// `path`'s entries kept by an earlier stop, or none.
pub fn load_path(git_dir: &Path, path: &str) -> PathEntries {
    let Ok(bytes) = std::fs::read(path_file(git_dir, path)) else {
        return PathEntries::default();
    };
    parse_path(&bytes, path)
        .map(PathEntries::from_entries)
        .unwrap_or_default()
}

/// One record: root tree id, the file's mode there (0: absent), its blob id (zeros when absent).
const RECORD: usize = 20 + 2 + 20;

fn parse_path(bytes: &[u8], path: &str) -> Option<HashMap<Oid, Option<(u16, Oid)>>> {
    let head = format!("{PATHS_HEADER}\n{path}\n");
    let body = bytes.strip_prefix(head.as_bytes())?;
    if body.len() % RECORD != 0 {
        return None;
    }
    let mut out = HashMap::with_capacity(body.len() / RECORD);
    for r in body.chunks_exact(RECORD) {
        let id = |b: &[u8]| gix::hash::oid::try_from_bytes(b).ok().map(|id| id.to_owned());
        let mode = u16::from_be_bytes([r[20], r[21]]);
        let entry = if mode == 0 { None } else { Some((mode, id(&r[22..])?)) };
        out.insert(id(&r[..20])?, entry);
    }
    Some(out)
}

fn render_path(path: &str, entries: &HashMap<Oid, Option<(u16, Oid)>>) -> Vec<u8> {
    let mut out = format!("{PATHS_HEADER}\n{path}\n").into_bytes();
    out.reserve(entries.len() * RECORD);
    for (root, e) in entries {
        out.extend_from_slice(root.as_bytes());
        match e {
            Some((mode, id)) => {
                out.extend_from_slice(&mode.to_be_bytes());
                out.extend_from_slice(id.as_bytes());
            }
            None => out.extend_from_slice(&[0; 22]),
        }
    }
    out
}

/// How many files' entries are kept: the ones that conflicted last (a long backport meets hundreds of
/// files, most of them once).
const PATHS_KEPT: usize = 32;

/// Keep `path`'s entries for the next stop, if they grew (the stop directory must exist), dropping the
/// files not used for longest beyond [`PATHS_KEPT`]. A path with a line break is not kept.
pub fn save_path(git_dir: &Path, path: &str, entries: &PathEntries) -> Result<()> {
    let dir = super::dir(git_dir);
    if !entries.learnt() || !dir.is_dir() || path.contains('\n') {
        return Ok(());
    }
    let paths = dir.join(PATHS_DIR);
    std::fs::create_dir_all(&paths)?;
    write_atomic(&path_file(git_dir, path), &render_path(path, entries.entries()))?;
    let mut files: Vec<(std::time::SystemTime, std::path::PathBuf)> = std::fs::read_dir(&paths)?
        .filter_map(|e| {
            let e = e.ok()?;
            Some((e.metadata().ok()?.modified().ok()?, e.path()))
        })
        .collect();
    if files.len() > PATHS_KEPT {
        files.sort();
        for (_, f) in &files[..files.len() - PATHS_KEPT] {
            let _ = std::fs::remove_file(f);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(n: u8) -> Oid {
        Oid::from_bytes_or_panic(&[n; 20])
    }

    #[test]
    fn range_memo_round_trips_and_a_corrupt_one_is_ignored() {
        let mut memo = RangeMemo {
            base: Some(oid(1)),
            oldest: Some(1_700_000_000),
            tips: vec![oid(2), oid(3)],
            below: [(oid(4), true), (oid(5), false)].into_iter().collect(),
            added: true,
        };
        let back = RangeMemo::parse(&memo.render().unwrap()).unwrap();
        assert_eq!(back.base, memo.base);
        assert_eq!(back.oldest, memo.oldest);
        assert_eq!(back.tips, memo.tips);
        assert_eq!(back.below, memo.below);
        assert!(RangeMemo::parse("pq upstream range 1\nbase zz\n").is_none());
        assert!(RangeMemo::parse("pq upstream range 1\noldest 5\n").is_none(), "no base");
        // Another base: what was known is dropped.
        memo.reset_for(oid(9));
        assert!(memo.tips.is_empty() && memo.below.is_empty() && memo.oldest.is_none());
    }

    #[test]
    fn path_entries_round_trip_and_belong_to_their_path() {
        let tmp = tempfile::tempdir().unwrap();
        let git_dir = tmp.path();
        std::fs::create_dir_all(super::super::dir(git_dir)).unwrap();
        let map: HashMap<Oid, Option<(u16, Oid)>> = [
            (oid(1), Some((0o100644, oid(2)))),
            (oid(3), None),
            (oid(4), Some((0o120000, oid(5)))),
        ]
        .into_iter()
        .collect();
        // Nothing learnt: nothing written.
        save_path(git_dir, "lib/a b.c", &PathEntries::from_entries(map.clone())).unwrap();
        assert!(load_path(git_dir, "lib/a b.c").entries().is_empty());
        let bytes = render_path("lib/a b.c", &map);
        assert_eq!(parse_path(&bytes, "lib/a b.c").unwrap(), map);
        assert!(
            parse_path(&bytes, "lib/other.c").is_none(),
            "another path's file is not read as this one's"
        );
        assert!(
            parse_path(&bytes[..bytes.len() - 1], "lib/a b.c").is_none(),
            "a cut record"
        );
    }
}
