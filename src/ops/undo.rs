//! `pq undo`: put the refs an operation moved back where they were, and the work tree with them.
//! Repeated undos walk further back; `--to ID` jumps to the state before a given operation.

use crate::error::{Error, Result};
use crate::git::{worktree, Oid, RefUpdate};
use crate::oplog::{self, LogEntry, Operation, RefChange};
use crate::ops::Workspace;

pub struct UndoReport {
    pub undone: Vec<String>,
    pub head: Oid,
}

/// Entries that are still in effect: newest first, skipping undo entries and what they undid.
fn effective(log: &[LogEntry]) -> Vec<&LogEntry> {
    let mut undone: std::collections::HashSet<Oid> = std::collections::HashSet::new();
    let mut out = Vec::new();
    for e in log {
        if let Some(u) = &e.op.undoes {
            undone.insert(*u);
            continue;
        }
        if undone.contains(&e.id) {
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
    let who = ws.repo.committer()?;
    let op = Operation {
        command: command.to_string(),
        time: who.time,
        user: format!("{} <{}>", who.name, who.email),
        refs: updates
            .iter()
            .map(|u| RefChange {
                name: u.name.clone(),
                before: u.old,
                after: u.new,
            })
            .collect(),
        previous: None,
        undoes: None,
    };
    // One undo entry per undone operation keeps `effective` simple. The entries are chained in memory and
    // land in the same transaction as the ref moves, so a failed undo leaves no entry behind.
    let original_log = ws.repo.ref_target(oplog::OPLOG_REF)?;
    let mut log_tip = original_log;
    for (i, t) in targets.iter().enumerate() {
        let mut op = op.clone();
        op.undoes = Some(t.id);
        if i > 0 {
            op.refs.clear();
        }
        log_tip = oplog::prepare_after(&ws.repo, &op, &who, log_tip)?.new;
    }
    let mut all = updates.clone();
    all.push(RefUpdate {
        name: oplog::OPLOG_REF.into(),
        old: original_log,
        new: log_tip,
    });
    ws.repo.update_refs(&all, &format!("pq: {command}"))?;
    if !refs_only {
        worktree::checkout(
            &ws.repo,
            ws.repo.commit_tree(head_before)?,
            ws.repo.commit_tree(new_head)?,
            None,
        )?;
    }
    crate::sequencer::clear_journal(ws.repo.git_dir())?;
    Ok(UndoReport {
        undone: targets
            .iter()
            .map(|t| format!("{} {}", crate::git::short(&t.id), t.op.command))
            .collect(),
        head: new_head,
    })
}
