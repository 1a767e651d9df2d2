//! `pq range-diff`: after a rebase, each old patch next to its new self, like `git range-diff`: `=` when the
//! change is the same, `!` with the difference of the two diffs when it changed, `<` when it was dropped.

use serde::Serialize;
use similar::TextDiff;

use crate::error::{Error, Result};
use crate::git::{Oid, Repo};
use crate::model::state::{PatchKind, State};
use crate::model::store;
use crate::oplog;
use crate::ops::Workspace;

#[derive(Debug, Serialize)]
pub struct Pair {
    #[serde(with = "crate::git::id::hex")]
    pub old: Oid,
    #[serde(with = "crate::git::id::hex_opt")]
    pub new: Option<Oid>,
    pub subject: String,
    /// `=` same change, `!` changed, `<` dropped.
    pub status: char,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The difference between the two patches (only for `!`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub interdiff: String,
}

#[derive(Debug, Serialize)]
pub struct RangeDiff {
    pub operation: String,
    pub pairs: Vec<Pair>,
}

/// The patch text of a commit against its first parent, without line numbers (they move on every rebase).
pub fn patch_text(repo: &Repo, commit: Oid) -> Result<String> {
    let c = repo.commit(commit)?;
    let parent = match c.parents.first() {
        Some(p) => Some(repo.commit_tree(*p)?),
        None => None,
    };
    let mut out = String::new();
    for ch in repo.diff_trees(parent, Some(c.tree))? {
        out.push_str(&format!("--- {}\n", ch.path));
        let old = match ch.old {
            Some(e) => repo.blob(e.id)?,
            None => Vec::new(),
        };
        let new = match ch.new {
            Some(e) => repo.blob(e.id)?,
            None => Vec::new(),
        };
        match (std::str::from_utf8(&old), std::str::from_utf8(&new)) {
            (Ok(a), Ok(b)) if !old.contains(&0) && !new.contains(&0) => {
                let diff = TextDiff::from_lines(a, b);
                for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
                    out.push_str("@@\n");
                    for change in hunk.iter_changes() {
                        out.push_str(&format!("{}{}", change.tag(), change.value()));
                        if change.missing_newline() {
                            out.push('\n');
                        }
                    }
                }
            }
            _ => out.push_str(&format!(
                "binary {:?} -> {:?}\n",
                ch.old.map(|e| e.id),
                ch.new.map(|e| e.id)
            )),
        }
    }
    Ok(out)
}

fn state_at(repo: &Repo, commit: Option<Oid>) -> Result<Option<State>> {
    let Some(commit) = commit else { return Ok(None) };
    let tree = repo.commit_tree(commit)?;
    let Some(entry) = repo.entry_at(tree, store::STATE_FILE.as_bytes())? else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&repo.blob(entry.id)?).into_owned();
    Ok(Some(State::parse(&text)?))
}

/// Compare the stacks before and after the most recent rebase of the current branch.
pub fn range_diff(dir: &std::path::Path) -> Result<RangeDiff> {
    let ws = Workspace::open(dir)?;
    let repo = &ws.repo;
    let state_ref = store::state_ref(&ws.branch);
    let log = oplog::list(repo, 10_000)?;
    let entry = log
        .iter()
        .find(|e| {
            e.op.undoes.is_none() && e.op.command.contains(" rebase ") && e.op.refs.iter().any(|r| r.name == state_ref)
        })
        .ok_or_else(|| {
            Error::input("no rebase of this branch in the operation log").hint("run `pq rebase NEWBASE` first")
        })?;
    let change = entry.op.refs.iter().find(|r| r.name == state_ref).expect("found above");
    let (Some(before), Some(after)) = (state_at(repo, change.before)?, state_at(repo, change.after)?) else {
        return Err(Error::state("the rebase's state is not available"));
    };
    let mut pairs = Vec::new();
    let mut new_iter = after.patches.iter().peekable();
    for old in before.patches.iter() {
        let old_id = old.commit;
        let old_c = repo.commit(old_id)?;
        let subject = old_c.subject();
        if old.kind == PatchKind::Release {
            pairs.push(Pair {
                old: old.commit,
                new: None,
                subject,
                status: '<',
                reason: Some("release commit".into()),
                interdiff: String::new(),
            });
            continue;
        }
        if let Some(d) = after
            .dropped
            .iter()
            .find(|d| d.commit == old.commit && d.base == after.base)
        {
            pairs.push(Pair {
                old: old.commit,
                new: None,
                subject,
                status: '<',
                reason: Some(d.reason.clone()),
                interdiff: String::new(),
            });
            continue;
        }
        let candidate = new_iter.peek().map(|p| p.commit);
        let matched = match candidate {
            Some(c) if repo.commit(c)?.subject() == subject => {
                new_iter.next();
                Some(c)
            }
            _ => None,
        };
        let Some(new) = matched else {
            pairs.push(Pair {
                old: old.commit,
                new: None,
                subject,
                status: '<',
                reason: Some("not in the new stack".into()),
                interdiff: String::new(),
            });
            continue;
        };
        let a = patch_text(repo, old_id)?;
        let b = patch_text(repo, new)?;
        let (status, interdiff) = if a == b {
            ('=', String::new())
        } else {
            (
                '!',
                TextDiff::from_lines(&a, &b)
                    .unified_diff()
                    .context_radius(2)
                    .to_string(),
            )
        };
        pairs.push(Pair {
            old: old.commit,
            new: Some(new),
            subject,
            status,
            reason: None,
            interdiff,
        });
    }
    Ok(RangeDiff {
        operation: entry.op.command.clone(),
        pairs,
    })
}
