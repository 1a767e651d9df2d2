//! `pq undo`: put the refs an operation moved back where they were, and the work tree with them.
//! Repeated undos walk further back; `--to ID` jumps to the state before a given operation. Undo acts on
//! the current branch's operations only: the log is shared by every branch of the repository.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::git::{Oid, RefUpdate};
use crate::oplog::{self, LogEntry, Operation};
use crate::ops::{short_branch, Transaction, Workspace};

pub struct UndoReport {
    pub undone: Vec<String>,
    pub head: Oid,
}

/// One `pq undo` writes one entry per operation it undoes, oldest first, and only that first entry holds
/// the ref changes: reading the log newest first, `b` follows `a` in the same undo when `a` held none.
pub(crate) fn same_group(a: &Operation, b: &Operation) -> bool {
    a.refs.is_empty()
        && b.undoes.is_some()
        && a.command == b.command
        && a.time == b.time
        && a.user == b.user
        && a.branch() == b.branch()
}

/// The log read newest first: which entries are in effect, and which undo entries could be redone.
pub(crate) struct Effect<'a> {
    /// Operations still in effect (undo entries, events and what was undone left out), newest first.
    pub live: Vec<&'a LogEntry>,
    /// Undo entries still in effect (not undone, not redone), newest first; `pq abort`'s are not among them.
    pub undos: Vec<&'a LogEntry>,
}

pub(crate) fn effect(log: &[LogEntry]) -> Effect<'_> {
    let mut undone: HashSet<Oid> = HashSet::new();
    let mut redone: HashSet<Oid> = HashSet::new();
    // The undo entries of a redone `pq undo --to` follow each other: the redo names the newest.
    let mut cancelling: Option<&Operation> = None;
    let mut out = Effect {
        live: Vec::new(),
        undos: Vec::new(),
    };
    for e in log {
        // An entry that was itself undone (a redo taken back) has no effect at all.
        if undone.contains(&e.id) {
            cancelling = None;
            continue;
        }
        if let Some(u) = &e.op.undoes {
            if e.op.is_abort() {
                // `pq abort` rolling back an interrupted operation: taken back for good, nothing to redo.
                cancelling = None;
                undone.insert(*u);
                continue;
            }
            let cancelled = redone.contains(&e.id) || cancelling.is_some_and(|c| same_group(c, &e.op));
            if cancelled {
                cancelling = Some(&e.op);
            } else {
                cancelling = None;
                undone.insert(*u);
                out.undos.push(e);
            }
            continue;
        }
        cancelling = None;
        if let Some(r) = &e.op.redoes {
            redone.insert(*r);
        }
        if e.op.is_event() {
            continue;
        }
        out.live.push(e);
    }
    out
}

fn on_branch(e: &LogEntry, branch: &str) -> bool {
    e.op.branch().as_deref() == Some(branch)
}

/// Refuse to act on a branch with nothing of its own in the log, naming the branch that has the newest
/// operation still in effect.
pub(crate) fn nothing_here(ws: &Workspace, live: &[&LogEntry], what: &str) -> Error {
    let branch = short_branch(&ws.branch).to_string();
    let newest = live.iter().find_map(|e| e.op.branch()).filter(|b| *b != ws.branch);
    let message = if ws.state.is_none() {
        format!("branch {branch} is not managed by pq: nothing to {what}")
    } else {
        format!("nothing to {what} on branch {branch}")
    };
    match newest {
        Some(other) => Error::input(message).hint(format!(
            "the newest operation pq recorded is on {0}: `git switch {0}` and run `pq {what}` there",
            short_branch(&other)
        )),
        None => Error::input(message).hint("`pq log --all` lists the operations pq recorded"),
    }
}

/// Undo the last effective operation of the current branch (or all down to and including `to`). With
/// `refs_only`, the work tree is left alone (used to roll back an operation interrupted before it touched
/// the work tree).
pub fn undo(dir: &std::path::Path, to: Option<&str>, command: &str, refs_only: bool) -> Result<UndoReport> {
    let mut ws = if refs_only {
        Workspace::open_for_resume(dir)?
    } else {
        Workspace::open_for_change(dir)?
    };
    let log = oplog::list(&ws.repo, 10_000)?;
    let eff = effect(&log);
    let live: Vec<&LogEntry> = eff.live.iter().copied().filter(|e| on_branch(e, &ws.branch)).collect();
    let targets: Vec<&LogEntry> = match to {
        None => live.first().copied().into_iter().collect(),
        Some(id) => match live.iter().position(|e| e.id.to_string().starts_with(id)) {
            Some(pos) => live[..=pos].to_vec(),
            None => {
                let elsewhere = eff
                    .live
                    .iter()
                    .find(|e| e.id.to_string().starts_with(id))
                    .and_then(|e| e.op.branch());
                return Err(match elsewhere {
                    Some(b) => Error::input(format!(
                        "operation '{id}' was made on branch {}, not {}",
                        short_branch(&b),
                        short_branch(&ws.branch)
                    ))
                    .hint(format!("`git switch {}` and undo it there", short_branch(&b))),
                    None => Error::input(format!("no operation '{id}' to undo")).hint("list them with `pq log`"),
                });
            }
        },
    };
    if targets.is_empty() {
        return Err(nothing_here(&ws, &eff.live, "undo"));
    }
    // Net effect: every ref back to its value before the oldest target.
    let mut wanted: Vec<(String, Option<Oid>)> = Vec::new();
    for e in targets.iter().rev() {
        for r in &e.op.refs {
            if r.name == oplog::OPLOG_REF {
                continue;
            }
            if !wanted.iter().any(|(n, _)| *n == r.name) {
                wanted.push((r.name.clone(), r.before));
            }
        }
    }
    let undoes = targets.iter().map(|t| t.id).collect();
    // Only `pq abort` moves refs alone (rolling back an interrupted operation): its entries are not redone.
    let change = if refs_only {
        LogChange::Aborts(undoes)
    } else {
        LogChange::Undoes(undoes)
    };
    let head = move_refs(&mut ws, &wanted, change, command, refs_only)?;
    Ok(UndoReport {
        undone: targets
            .iter()
            .map(|t| format!("{} {}", crate::git::short(&t.id), t.op.command))
            .collect(),
        head,
    })
}

/// What an undo or redo records in the operation log.
pub(crate) enum LogChange {
    /// The entries an undo takes back (one log entry each).
    Undoes(Vec<Oid>),
    /// The undo entry a redo re-applies.
    Redoes(Oid),
    /// The entries `pq abort` takes back (an interrupted operation's): like an undo, never redone.
    Aborts(Vec<Oid>),
}

/// Move every ref in `wanted` to its value (None: delete) and log `change`, in one transaction, bringing the
/// work tree along unless `refs_only`. Returns the branch's new commit.
pub(crate) fn move_refs(
    ws: &mut Workspace,
    wanted: &[(String, Option<Oid>)],
    change: LogChange,
    command: &str,
    refs_only: bool,
) -> Result<Oid> {
    let branch = ws.branch.clone();
    let head_before = ws.head;
    let mut updates = Vec::new();
    for (name, value) in wanted {
        // Not peeled: a release's annotated tag must be compared by the tag object the ref holds.
        let current = ws.repo.ref_direct(name)?;
        let value = *value;
        if current != value {
            updates.push(RefUpdate {
                name: name.clone(),
                old: current,
                new: value,
            });
        }
    }
    let new_head = updates
        .iter()
        .find(|u| u.name == branch)
        .and_then(|u| u.new)
        .unwrap_or(head_before);
    if !refs_only {
        let dirty = ws.dirty()?;
        crate::ops::check_work_tree(
            &ws.repo,
            &dirty,
            ws.repo.commit_tree(head_before)?,
            ws.repo.commit_tree(new_head)?,
        )
        .map_err(|e| {
            e.hint(format!(
                "commit your changes (`git commit -a`) or stash them (`git stash`), then run `{command}` again"
            ))
        })?;
    }
    // One transaction: the refs moved, the log entries (for an undo one per operation it takes back, the
    // first holding the ref changes; for a redo one) and the journal, so a kill between the ref moves and the
    // work tree is finished by `pq continue` or rolled back by `pq abort`; a failed undo or redo leaves no
    // entry behind.
    let mut tx = Transaction::begin(ws, command)?;
    for u in updates {
        tx.update_ref(u);
    }
    match change {
        LogChange::Undoes(ids) => tx.undoes(ids),
        LogChange::Redoes(id) => tx.redoes(id),
        LogChange::Aborts(ids) => {
            tx.undoes(ids);
            tx.aborts();
        }
    }
    if refs_only {
        tx.commit_refs(&mut ws.repo)?;
    } else {
        tx.commit(&mut ws.repo)?;
    }
    Ok(new_head)
}
