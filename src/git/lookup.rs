//! Abbreviated commit ids, resolved as git resolves them: the short ids people write in `Fixes:` trailers.

use std::collections::HashSet;

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
}
