//! One cherry-pick, in memory: apply the change `parent → commit` onto `ours` and return the resulting tree.
//!
//! A full three-way merge of (parent, ours, commit) diffs `parent` against `ours` over the whole tree; in a
//! backport the two are thousands of commits apart, so that diff dominates. The fast path here looks only at
//! the paths the picked commit changes: where ours still has the parent's version, theirs is taken as is;
//! where ours already has theirs, nothing changes; anything else is merged with git's merge machinery on trees
//! reduced to just those paths. When a touched path has moved or vanished on our side (a rename, a directory
//! turned file), the merge also sees the files our side added that the path may have moved to
//! ([`renames`]); a file added under a directory our side renamed goes where the directory went
//! ([`dir_renames`]); only a file standing where an added path needs a directory takes the full merge.

use gix::bstr::{BString, ByteSlice};

use crate::engine::{dir_renames, renames};
use crate::error::Result;
use crate::git::{Entry, MergeOutcome, Oid, Repo, TreeChange};

/// How a pick went.
pub enum PickOutcome {
    /// Applied cleanly; `tree` is the result (equal to `ours` when the change was already there).
    Clean { tree: Oid },
    /// Did not apply: `tree` holds git-style conflict markers in the conflicted files.
    Conflict {
        tree: Oid,
        paths: Vec<BString>,
        merge: MergeOutcome,
    },
}

/// Labels for conflict markers, as `git cherry-pick` writes them.
pub struct Labels {
    pub base: String,
    pub ours: String,
    pub theirs: String,
}

impl Labels {
    pub fn for_commit(short: &str, subject: &str) -> Labels {
        Labels {
            base: format!("parent of {short} ({subject})"),
            ours: "HEAD".into(),
            theirs: format!("{short} ({subject})"),
        }
    }
}

/// Apply `parent_tree → commit_tree` onto `ours_tree`.
pub fn pick(repo: &Repo, ours_tree: Oid, parent_tree: Oid, commit_tree: Oid, labels: &Labels) -> Result<PickOutcome> {
    if ours_tree == parent_tree {
        return Ok(PickOutcome::Clean { tree: commit_tree });
    }
    let changes = repo.diff_trees(Some(parent_tree), Some(commit_tree))?;
    pick_changes(repo, ours_tree, parent_tree, commit_tree, &changes, labels)
}

/// Like [`pick`], with the commit's changes already computed (callers that also need them for patch-ids).
pub fn pick_changes(
    repo: &Repo,
    ours_tree: Oid,
    parent_tree: Oid,
    commit_tree: Oid,
    changes: &[TreeChange],
    labels: &Labels,
) -> Result<PickOutcome> {
    let mode = dir_renames::Mode::of(repo);
    if mode != dir_renames::Mode::Off {
        let relocations = dir_renames::relocations(repo, ours_tree, parent_tree, changes)?;
        if !relocations.is_empty() {
            let moved = &relocations.moved;
            let changes: Vec<TreeChange> = changes
                .iter()
                .map(|c| match moved.iter().find(|(from, _)| *from == c.path) {
                    Some((_, to)) => TreeChange {
                        path: to.clone(),
                        ..c.clone()
                    },
                    None => c.clone(),
                })
                .collect();
            let outcome = pick_paths(repo, ours_tree, parent_tree, commit_tree, &changes, labels)?;
            // git stops on a file it moved (unless told to move silently) and on a split directory.
            let stop_at: &[(BString, BString)] = if mode == dir_renames::Mode::Conflict {
                moved
            } else {
                &[]
            };
            if stop_at.is_empty() && relocations.split.is_empty() {
                return Ok(outcome);
            }
            return Ok(stop_at_new_locations(outcome, stop_at, &changes));
        }
    }
    pick_paths(repo, ours_tree, parent_tree, commit_tree, changes, labels)
}

/// git's `CONFLICT (file location)` and `CONFLICT (directory rename split)`: the pick stops, each moved file
/// staged as the picked side's only.
fn stop_at_new_locations(outcome: PickOutcome, moved: &[(BString, BString)], changes: &[TreeChange]) -> PickOutcome {
    let theirs_only: Vec<(BString, Entry)> = moved
        .iter()
        .filter_map(|(_, to)| {
            let entry = changes.iter().find(|c| c.path == *to)?.new?;
            Some((to.clone(), entry))
        })
        .collect();
    let (tree, mut paths, mut merge) = match outcome {
        PickOutcome::Clean { tree } => (
            tree,
            Vec::new(),
            MergeOutcome {
                tree,
                conflicted: None,
                conflicts: Vec::new(),
                theirs_only: Vec::new(),
            },
        ),
        PickOutcome::Conflict { tree, paths, merge } => (tree, paths, merge),
    };
    for (to, _) in &theirs_only {
        if !paths.contains(to) {
            paths.push(to.clone());
        }
    }
    merge.conflicted = Some(paths.clone());
    merge.theirs_only.extend(theirs_only);
    PickOutcome::Conflict { tree, paths, merge }
}

/// The pick of `changes`, at the paths they name.
fn pick_paths(
    repo: &Repo,
    ours_tree: Oid,
    parent_tree: Oid,
    commit_tree: Oid,
    changes: &[TreeChange],
    labels: &Labels,
) -> Result<PickOutcome> {
    let mut edits: Vec<(BString, Option<Entry>)> = Vec::new();
    let mut contested = false;
    for change in changes {
        let ours = repo.entry_at(ours_tree, &change.path)?;
        if ours == change.old {
            edits.push((change.path.clone(), change.new));
            if change.new.is_some() && change.old.is_none() && !parent_dir_fits(repo, ours_tree, &change.path)? {
                return full_merge(repo, ours_tree, parent_tree, commit_tree, labels);
            }
        } else if ours == change.new && ours.is_some() {
            // Already there. (A path the pick deletes and ours lacks is not settled: our side may have
            // renamed it, which git reports as rename/delete, or rename/rename when the pick renamed it.)
        } else if change.old.is_some() && ours.is_none() {
            // Deleted or moved away on our side: a rename-aware merge decides, on the touched paths plus the
            // few places on our side the file may have gone to.
            return moved_merge(repo, ours_tree, parent_tree, changes, labels);
        } else if ours.is_some_and(|e| e.is_tree()) {
            return full_merge(repo, ours_tree, parent_tree, commit_tree, labels);
        } else {
            contested = true;
        }
    }
    if !contested {
        let tree = repo.edit_tree(ours_tree, &edits)?;
        return Ok(PickOutcome::Clean { tree });
    }
    reduced_merge(repo, ours_tree, changes, &[], labels)
}

/// A touched path is gone on our side. Like merge-ort, look for where it went only for the touched paths that
/// vanished (the relevant sources), against the files our side added since the pick's parent: exact renames
/// by blob id first, then files with the same name, then all of our additions. The merge itself is the reduced
/// merge with those destinations added to our reduced tree, so its rename tracking compares a handful of
/// sources with the candidates instead of the whole parent → ours difference.
fn moved_merge(
    repo: &Repo,
    ours_tree: Oid,
    parent_tree: Oid,
    changes: &[TreeChange],
    labels: &Labels,
) -> Result<PickOutcome> {
    let mut sources = Vec::new();
    for change in changes {
        if let Some(old) = change.old {
            if repo.entry_at(ours_tree, &change.path)?.is_none() {
                sources.push((change.path.clone(), old));
            }
        }
    }
    let destinations = renames::destinations(repo, parent_tree, ours_tree, &sources)?;
    reduced_merge(repo, ours_tree, changes, &destinations, labels)
}

/// An added path cannot land where our side has a file in place of one of its directories: the
/// whole-tree merge decides that (git reports a directory/file conflict). A directory our side removed
/// is simply created again, as the whole-tree merge does: gix's merge, like the fast path, has no
/// directory-rename detection, so diffing the whole parent → ours difference for renames there (seconds
/// on a tree that moved since the base) would change nothing.
fn parent_dir_fits(repo: &Repo, ours_tree: Oid, path: &[u8]) -> Result<bool> {
    let mut at = 0;
    while let Some(slash) = path[at..].find_byte(b'/') {
        let dir = &path[..at + slash];
        match repo.entry_at(ours_tree, dir)? {
            Some(e) if !e.is_tree() => return Ok(false),
            Some(_) => at += slash + 1,
            None => return Ok(true),
        }
    }
    Ok(true)
}

/// Merge with git's machinery, but on trees holding only the paths the pick touches, then carry the merged
/// entries back into our full tree. Conflicts are reported at the same paths they have in the full tree.
///
/// `extra_ours` are files only our side has (added since the pick's parent) that the merge should see as
/// possible rename destinations.
fn reduced_merge(
    repo: &Repo,
    ours_tree: Oid,
    changes: &[TreeChange],
    extra_ours: &[(BString, Entry)],
    labels: &Labels,
) -> Result<PickOutcome> {
    let empty = Oid::empty_tree(gix::hash::Kind::Sha1);
    let mut base_edits = Vec::new();
    let mut ours_edits = Vec::new();
    let mut theirs_edits = Vec::new();
    for change in changes {
        let ours = repo.entry_at(ours_tree, &change.path)?;
        if let Some(e) = change.old {
            base_edits.push((change.path.clone(), Some(e)));
        }
        if let Some(e) = ours {
            ours_edits.push((change.path.clone(), Some(e)));
        }
        if let Some(e) = change.new {
            theirs_edits.push((change.path.clone(), Some(e)));
        }
    }
    for (path, e) in extra_ours {
        if !ours_edits.iter().any(|(p, _)| p == path) {
            ours_edits.push((path.clone(), Some(*e)));
        }
    }
    let base = repo.edit_tree(empty, &base_edits)?;
    let ours = repo.edit_tree(empty, &ours_edits)?;
    let theirs = repo.edit_tree(empty, &theirs_edits)?;
    let merge = repo.merge_trees_full(base, ours, theirs, (&labels.base, &labels.ours, &labels.theirs))?;
    // Every path present in any of the reduced trees decides its fate from the merged reduced tree.
    let mut paths: Vec<BString> = Vec::new();
    for (p, _) in base_edits.iter().chain(&ours_edits).chain(&theirs_edits) {
        if !paths.contains(p) {
            paths.push(p.clone());
        }
    }
    let merged_files = repo.flatten_tree(merge.tree)?;
    let mut edits: Vec<(BString, Option<Entry>)> = Vec::new();
    for p in &paths {
        let merged = merged_files.iter().find(|(q, _)| q == p).map(|(_, e)| *e);
        edits.push((p.clone(), merged));
    }
    // Files the merge created elsewhere (a conflict's side copy, like `file~HEAD`) come along too.
    for (q, e) in &merged_files {
        if !paths.contains(q) {
            edits.push((q.clone(), Some(*e)));
        }
    }
    let tree = repo.edit_tree(ours_tree, &edits)?;
    match merge.conflicted.clone() {
        None => Ok(PickOutcome::Clean { tree }),
        Some(paths) => Ok(PickOutcome::Conflict { tree, paths, merge }),
    }
}

fn full_merge(repo: &Repo, ours_tree: Oid, parent_tree: Oid, commit_tree: Oid, labels: &Labels) -> Result<PickOutcome> {
    tracing::debug!("pick: full tree merge");
    let merge = repo.merge_trees_full(
        parent_tree,
        ours_tree,
        commit_tree,
        (&labels.base, &labels.ours, &labels.theirs),
    )?;
    match merge.conflicted.clone() {
        None => Ok(PickOutcome::Clean { tree: merge.tree }),
        Some(paths) => Ok(PickOutcome::Conflict {
            tree: merge.tree,
            paths,
            merge,
        }),
    }
}
