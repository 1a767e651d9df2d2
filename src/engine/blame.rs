//! Which upstream commits a conflicting pick depends on: the commits that last changed, in the picked
//! commit's parent, the lines its hunks touch and their context, as `git blame` on the parent shows them.

use std::collections::BTreeSet;
use std::ops::Range;

use similar::{Algorithm, TextDiff};

use crate::error::Result;
use crate::git::{Oid, Repo};

/// Lines of context around each hunk, as `git diff`'s default `-U3`.
pub const CONTEXT: usize = 3;

/// The old-side line ranges (0-based, end exclusive) of the hunks of `old` → `new`, each with `context`
/// lines around it: the `-a,b` of git's unified hunk headers. Hunks that only add lines to an empty file
/// have no old lines and give nothing.
pub fn hunk_ranges(old: &str, new: &str, context: usize) -> Vec<Range<u32>> {
    let diff = TextDiff::configure().algorithm(Algorithm::Myers).diff_lines(old, new);
    let mut out = Vec::new();
    for group in diff.grouped_ops(context) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let r = first.old_range().start as u32..last.old_range().end as u32;
        if r.start < r.end {
            out.push(r);
        }
    }
    out
}

/// The commits `git blame PARENT -- PATH` names for the lines of `paths` that `commit`'s change (against
/// `parent`) touches, with context. Paths `parent` lacks (added by the commit) give nothing.
pub fn touched_lines_blame(repo: &Repo, commit: Oid, parent: Oid, paths: &[String]) -> Result<BTreeSet<Oid>> {
    let parent_tree = repo.commit_tree(parent)?;
    let tree = repo.commit_tree(commit)?;
    let mut out = BTreeSet::new();
    for path in paths {
        let Some(old) = repo.entry_at(parent_tree, path.as_bytes())? else {
            continue;
        };
        if old.is_tree() || old.is_submodule() {
            continue;
        }
        let new = match repo.entry_at(tree, path.as_bytes())? {
            Some(e) if !e.is_tree() && !e.is_submodule() => repo.blob(e.id)?,
            _ => Vec::new(),
        };
        let old = repo.blob(old.id)?;
        if old.contains(&0) || new.contains(&0) {
            continue;
        }
        let ranges = hunk_ranges(&String::from_utf8_lossy(&old), &String::from_utf8_lossy(&new), CONTEXT);
        for b in repo.blame_lines(parent, path.as_bytes(), &ranges, None)? {
            out.insert(b.commit);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_with_context() {
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let new = old.replace("10\n", "ten\n");
        assert_eq!(hunk_ranges(&old, &new, 3), vec![6..13]);
        let new = old.replace("1\n2\n", "one\n2\n").replace("20\n", "twenty\n");
        assert_eq!(hunk_ranges(&old, &new, 3), vec![0..4, 16..20]);
        assert_eq!(hunk_ranges("", "a\n", 3), Vec::<Range<u32>>::new());
        assert_eq!(hunk_ranges(&old, &old, 3), Vec::<Range<u32>>::new());
    }
}
