//! Before the first change: every path the whole operation may write, checked against the user's
//! uncommitted changes and untracked files. An operation that stops at a conflict picks the rest later
//! (`pq continue`), so checking only the paths of the first stop would let a later pick find a modified
//! file in its way, when the only ways out lose work.

use std::collections::BTreeMap;

use gix::bstr::BString;

use crate::engine::replay::Step;
use crate::error::{Error, Result};
use crate::git::{worktree, Oid, Repo, TreeChange};

/// The paths `steps` change (each step's parent → commit), with the first step writing each.
pub fn paths_of_steps(
    repo: &Repo,
    steps: &[Step],
    known: &std::collections::HashMap<Oid, Vec<TreeChange>>,
) -> Result<BTreeMap<BString, (TreeChange, String)>> {
    let mut out: BTreeMap<BString, (TreeChange, String)> = BTreeMap::new();
    let empty = Oid::empty_tree(gix::hash::Kind::Sha1);
    for step in steps {
        let source = step.source;
        let owned;
        let changes = match known.get(&source) {
            Some(c) => c,
            None => {
                let parent = match &step.parent {
                    Some(p) => repo.commit_tree(*p)?,
                    None => empty,
                };
                owned = repo.diff_trees(Some(parent), Some(repo.commit_tree(source)?))?;
                &owned
            }
        };
        let label = format!("{} {}", crate::git::short(&step.source), step.subject);
        for c in changes {
            out.entry(c.path.clone()).or_insert_with(|| (c.clone(), label.clone()));
        }
    }
    Ok(out)
}

/// Refuse when any of `paths` holds an uncommitted change (`dirty`) or an untracked file the operation
/// would create. `head_tree` is the branch's tree: a path absent there is one the operation may create.
pub fn check(
    repo: &Repo,
    dirty: &[BString],
    head_tree: Oid,
    paths: &BTreeMap<BString, (TreeChange, String)>,
) -> Result<()> {
    let clash: Vec<(&BString, &String)> = dirty
        .iter()
        .filter_map(|d| paths.get(d).map(|(_, by)| (d, by)))
        .collect();
    if let Some((first, by)) = clash.first() {
        let more = if clash.len() > 1 {
            format!(" (and {} more)", clash.len() - 1)
        } else {
            String::new()
        };
        return Err(Error::input(format!(
            "your uncommitted changes to {first}{more} would be overwritten by {by}"
        ))
        .hint("commit them (`git commit -a`) or stash them (`git stash`), then run the command again"));
    }
    // Untracked files matter only where the operation creates a file the branch does not have.
    let mut creates: Vec<TreeChange> = Vec::new();
    for (path, (change, _)) in paths {
        if change.new.is_some() && repo.entry_at(head_tree, path)?.is_none() {
            creates.push(TreeChange {
                path: path.clone(),
                old: None,
                new: change.new,
            });
        }
    }
    let untracked = worktree::untracked_in_the_way(repo, &creates)?;
    if let Some(first) = untracked.first() {
        let by = &paths[first].1;
        return Err(
            Error::input(format!("untracked file {first} would be overwritten by {by}"))
                .hint("move or remove it, then run the command again"),
        );
    }
    Ok(())
}

/// The hint for a resumed operation (`pq continue`, `pq skip`) whose remaining picks meet the user's changes.
/// It must not lose the staged resolution: stashing would take it along, so only the path is restored.
pub fn resume_hint(how: &str) -> String {
    format!(
        "save your edits to that path elsewhere and restore it with `git restore --worktree -- PATH` (the staged resolution stays), then run `{how}` again"
    )
}
