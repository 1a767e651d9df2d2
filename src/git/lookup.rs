//! Abbreviated ids and line history: resolving the short ids people write in `Fixes:` trailers, and
//! `git blame` of line ranges (gix-blame).

use std::collections::HashSet;
use std::ops::Range;

use gix::bstr::BStr;

use super::one_path::{OnePathOdb, PathEntries};
use super::{Oid, Repo};
use crate::error::{Error, Result};

/// What an abbreviated id names, as `git rev-parse ABBREV^{commit}` would decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Abbrev {
    /// Exactly one commit has this prefix.
    Commit(Oid),
    /// Several commits share it (listed, sorted).
    Ambiguous(Vec<Oid>),
    /// No commit has it.
    Unknown,
}

/// One blamed run of lines: `lines` (0-based, end exclusive, in the blamed file) were last changed by
/// `commit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blamed {
    pub lines: Range<u32>,
    pub commit: Oid,
}

impl Repo {
    /// Resolve `hex` (4 to 40 hex digits) to commits. Objects of other kinds sharing the prefix are
    /// ignored, as git's commit disambiguation does.
    pub fn lookup_commit_prefix(&self, hex: &str) -> Result<Abbrev> {
        let prefix = gix::hash::Prefix::from_hex(hex)
            .map_err(|e| Error::input(format!("'{hex}' is not an abbreviated commit id: {e}")))?;
        let mut candidates = HashSet::new();
        self.inner
            .objects
            .lookup_prefix(prefix, Some(&mut candidates))
            .map_err(|e| Error::internal(format!("looking up {hex}: {e}")))?;
        let mut commits: Vec<Oid> = candidates
            .into_iter()
            .filter(|id| {
                self.inner
                    .find_header(*id)
                    .is_ok_and(|h| h.kind() == gix::object::Kind::Commit)
            })
            .collect();
        commits.sort();
        Ok(match commits.len() {
            0 => Abbrev::Unknown,
            1 => Abbrev::Commit(commits[0]),
            _ => Abbrev::Ambiguous(commits),
        })
    }

    /// Who last changed `lines` (0-based, end exclusive) of `path` as of `commit`, like
    /// `git blame -L` there: runs in file order. Commits older than `since` (seconds since the epoch) are
    /// not followed; their lines are attributed to the oldest commit reached, which callers treat as
    /// "before the range".
    pub fn blame_lines(
        &self,
        commit: Oid,
        path: &[u8],
        lines: &[Range<u32>],
        since: Option<i64>,
    ) -> Result<Vec<Blamed>> {
        self.blame_lines_with(commit, path, lines, since, &mut PathEntries::default())
    }

    /// [`Repo::blame_lines`] reading `path`'s entry in each root tree through `memo`, and adding those it
    /// reads (see [`super::one_path`]).
    pub fn blame_lines_with(
        &self,
        commit: Oid,
        path: &[u8],
        lines: &[Range<u32>],
        since: Option<i64>,
        memo: &mut PathEntries,
    ) -> Result<Vec<Blamed>> {
        let mut ranges = gix::blame::BlameRanges::default();
        for r in lines {
            if r.start < r.end {
                ranges
                    .add_one_based_inclusive_range(r.start + 1..=r.end)
                    .map_err(|e| Error::internal(format!("blame range: {e}")))?;
            }
        }
        if matches!(ranges, gix::blame::BlameRanges::WholeFile) {
            return Ok(Vec::new());
        }
        let options = gix::blame::Options {
            // git's default for blame is the Myers diff; the oracle is plain `git blame`.
            diff_algorithm: gix::diff::blob::Algorithm::Myers,
            ranges,
            since: since.map(|s| gix::date::Time::new(s, 0)),
            rewrites: None,
            debug_track_path: false,
        };
        let failed =
            |e: &dyn std::fmt::Display| Error::internal(format!("blaming {}: {e}", String::from_utf8_lossy(path)));
        // What `Repository::blame_file` does, with the object database seen through the path memo.
        let graph = self.inner.commit_graph_if_enabled().map_err(|e| failed(&e))?;
        let mut resources = self.inner.diff_resource_cache_for_tree_diff().map_err(|e| failed(&e))?;
        let odb = OnePathOdb::new(&self.inner.objects, self.inner.object_hash(), path, memo);
        let outcome = gix::blame::file(
            &odb,
            gix::blame::Start::Commit(commit),
            graph,
            &mut resources,
            BStr::new(path),
            options,
        )
        .map_err(|e| failed(&e))?;
        Ok(outcome
            .entries
            .iter()
            .map(|e| {
                let r = e.range_in_blamed_file();
                Blamed {
                    lines: r.start as u32..r.end as u32,
                    commit: e.commit_id,
                }
            })
            .collect())
    }
}
