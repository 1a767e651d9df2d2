//! `pq undo`: put the refs an operation moved back where they were, and the work tree with them.
//! Repeated undos walk further back; `--to ID` jumps to the state before a given operation.

use crate::error::{Error, Result};
use crate::git::{Oid, RefUpdate};
use crate::oplog::{self, LogEntry};
use crate::ops::{Transaction, Workspace};

pub struct UndoReport {
    pub undone: Vec<String>,
    pub head: Oid,
}

/// Entries that are still in effect: newest first, skipping undo entries and what they undid.
fn effective(log: &[LogEntry]) -> Vec<&LogEntry> {
    let mut undone: std::collections::HashSet<Oid> = std::collections::HashSet::new();
    let mut out = Vec::new();
    for e in log {
        // Checked first: an undo entry that was itself taken back (`pq abort` of an interrupted undo) no
        // longer undoes anything.
        if undone.contains(&e.id) {
            continue;
        }
        if let Some(u) = &e.op.undoes {
            undone.insert(*u);
            continue;
        }
        // Events that moved no ref (a stop, an abort) have nothing to undo.
        if e.op.refs.iter().all(|r| r.name == oplog::OPLOG_REF) {
            continue;
        }
        out.push(e);
    }
    out
}

/// Undo the last effective operation (or all down to and including `to`). With `refs_only`, the work
/// tree is left alone (used to roll back an operation interrupted before it touched the work tree).
pub fn undo(dir: &std::path::Path, to: Option<&str>, command: &str, refs_only: bool) -> Result<UndoReport> {
    let ws = if refs_only {
        Workspace::open_for_resume(dir)?
    } else {
        Workspace::open_for_change(dir)?
    };
    let log = oplog::list(&ws.repo, 10_000)?;
    let live = effective(&log);
    let targets: Vec<&LogEntry> = match to {
        None => live.first().copied().into_iter().collect(),
        Some(id) => {
            let pos = live
                .iter()
                .position(|e| e.id.to_string().starts_with(id))
                .ok_or_else(|| Error::input(format!("no operation '{id}' to undo")).hint("list them with `pq log`"))?;
            live[..=pos].to_vec()
        }
    };
    if targets.is_empty() {
        return Err(Error::input("nothing to undo").hint("`pq log` lists the operations pq recorded"));
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
    let branch = ws.branch.clone();
    let head_before = ws.head;
    let mut updates = Vec::new();
    for (name, before) in &wanted {
        // Not peeled: a release's annotated tag must be compared by the tag object the ref holds.
        let current = ws.repo.ref_direct(name)?;
        let before = *before;
        if current != before {
            updates.push(RefUpdate {
                name: name.clone(),
                old: current,
                new: before,
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
        .map_err(|e| e.hint("commit or stash your changes first: undo would overwrite them"))?;
    }
    // One transaction: the refs back, one undo log entry per undone operation (which keeps `effective`
    // simple), and the journal, so a kill between the ref moves and the work tree is finished by `pq
    // continue` or rolled back by `pq abort`.
    let mut ws = ws;
    let mut tx = Transaction::begin(&mut ws, command)?;
    for u in updates {
        tx.update_ref(u);
    }
    tx.undoes(targets.iter().map(|t| t.id));
    if refs_only {
        tx.commit_refs(&mut ws.repo)?;
    } else {
        tx.commit(&mut ws.repo)?;
    }
    Ok(UndoReport {
        undone: targets
            .iter()
            .map(|t| format!("{} {}", crate::git::short(&t.id), t.op.command))
            .collect(),
        head: new_head,
    })
}
