//! Which upstream commits a conflicting pick depends on: the commits that last changed, in the picked
//! commit's parent, the lines its hunks touch and their context, as `git blame` on the parent shows them.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

use gix_imara_diff::{Algorithm, Diff, InternedInput};

use crate::error::Result;
use crate::git::one_path::PathEntries;
use crate::git::{Oid, Repo};

/// Lines of context around each hunk, as `git diff`'s default `-U3`.
pub const CONTEXT: usize = 3;

/// The old-side line ranges (0-based, end exclusive) of the hunks of `old` → `new`, each with `context`
/// lines around it: the `-a,b` of git's unified hunk headers. The line diff is the one `git diff` makes
/// (imara-diff's Myers with git's slider heuristics, hunks closer than twice the context joined), so the
/// ranges are the ones `git diff` prints: a plain Myers diff can place a moved block differently and end a
/// hunk a line short. Hunks that only add lines to an empty file have no old lines and give nothing.
pub fn hunk_ranges(old: impl AsRef<[u8]>, new: impl AsRef<[u8]>, context: usize) -> Vec<Range<u32>> {
    let input = InternedInput::new(old.as_ref(), new.as_ref());
    let mut diff = Diff::compute(Algorithm::Myers, &input);
    diff.postprocess_lines(&input);
    let changes: Vec<_> = diff.hunks().collect();
    let na = input.before.len() as u32;
    let context = context as u32;
    let mut out = Vec::new();
    let mut i = 0;
    while i < changes.len() {
        let mut j = i;
        while j + 1 < changes.len() && changes[j + 1].before.start - changes[j].before.end <= 2 * context {
            j += 1;
        }
        let start = changes[i].before.start.saturating_sub(context);
        let end = (changes[j].before.end + context).min(na);
        if start < end {
            out.push(start..end);
        }
        i = j + 1;
    }
    out
}

/// The commits `git blame PARENT -- PATH` names for the lines of `paths` that `commit`'s change (against
/// `parent`) touches, with context. Paths `parent` lacks (added by the commit) give nothing.
///
/// With `since` (seconds since the epoch), history older than that is not followed: lines still unblamed
/// there are attributed to the old commit reached, one that holds them but did not necessarily make them.
/// Callers pass the oldest commit time of the range they care about (or a lower bound of it), so every
/// such commit is outside it (and so are its ancestors, where the lines really came from): the commits
/// named inside the range are exactly `git blame`'s, and the walk stops at the range instead of going back
/// to the file's creation.
///
/// `entries` holds, per path, the file's entry in the root trees known beforehand (see
/// [`crate::git::one_path`]); this blame adds to it.
pub fn touched_lines_blame(
    repo: &Repo,
    commit: Oid,
    parent: Oid,
    paths: &[String],
    since: Option<i64>,
    entries: &mut HashMap<String, PathEntries>,
) -> Result<BTreeSet<Oid>> {
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
        let ranges = hunk_ranges(&old, &new, CONTEXT);
        let memo = entries.entry(path.clone()).or_default();
        for b in repo.blame_lines_with(parent, path.as_bytes(), &ranges, since, memo)? {
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

    /// A block moved up past two changed lines: git ends the hunk after the moved block's old place plus
    /// three lines of context, as `git diff --no-index` prints it.
    #[test]
    fn hunks_follow_git_diff_on_a_moved_block() {
        let old = "a\nb\nc\nd\nx = f(y)\ne\nif bad(x)\n\treturn\n\nt(x)\ng\nh\n";
        let new = "a\nb\nc\nd\nz = g(y)\nif bad(z)\n\treturn\n\ne\nx = z\nt(x)\ng\nh\n";
        let git = "@@ -2,11 +2,12 @@";
        let r = hunk_ranges(old, new, 3);
        let parts: Vec<&str> = git[4..].split([',', ' ']).collect();
        let start: u32 = parts[0].parse::<u32>().unwrap() - 1;
        let len: u32 = parts[1].parse().unwrap();
        assert_eq!(r, vec![start..start + len]);
    }
}
