//! Patch identity: the same change under another commit id, as `git patch-id --stable` sees it. Only the
//! added and removed lines count, with whitespace removed, file by file in path order, so a backport whose
//! context or line numbers moved still matches its upstream.

use sha1::{Digest, Sha1};
use similar::{ChangeTag, TextDiff};

use crate::error::Result;
use crate::git::{Oid, Repo, TreeChange};

pub type PatchId = [u8; 20];

fn squeeze(line: &str) -> String {
    line.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The patch-id of a change given as tree changes. None for an empty change.
pub fn patch_id(repo: &Repo, changes: &[TreeChange]) -> Result<Option<PatchId>> {
    if changes.is_empty() {
        return Ok(None);
    }
    let mut sorted: Vec<&TreeChange> = changes.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut total = Sha1::new();
    for c in sorted {
        let mut h = Sha1::new();
        h.update(&c.path);
        h.update(b"\0");
        let old = match c.old {
            Some(e) if !e.is_submodule() => repo.blob(e.id)?,
            _ => Vec::new(),
        };
        let new = match c.new {
            Some(e) if !e.is_submodule() => repo.blob(e.id)?,
            _ => Vec::new(),
        };
        let binary = old.contains(&0) || new.contains(&0);
        match (std::str::from_utf8(&old), std::str::from_utf8(&new)) {
            (Ok(a), Ok(b)) if !binary => {
                let diff = TextDiff::from_lines(a, b);
                for change in diff.iter_all_changes() {
                    match change.tag() {
                        ChangeTag::Delete => {
                            h.update(b"-");
                            h.update(squeeze(change.value()).as_bytes());
                        }
                        ChangeTag::Insert => {
                            h.update(b"+");
                            h.update(squeeze(change.value()).as_bytes());
                        }
                        ChangeTag::Equal => {}
                    }
                }
            }
            _ => {
                // Binary (or non-UTF-8) content: the blob ids identify the change.
                h.update(c.old.map(|e| e.id.to_string()).unwrap_or_default().as_bytes());
                h.update(c.new.map(|e| e.id.to_string()).unwrap_or_default().as_bytes());
            }
        }
        total.update(h.finalize());
    }
    Ok(Some(total.finalize().into()))
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
