//! `pq redo`: re-apply what the last `pq undo` on the current branch took back. Redos walk forward through
//! consecutive undos; a new operation after an undo ends what can be redone, as in an editor.

use crate::error::{Error, Result};
use crate::git::Oid;
use crate::oplog::{self, LogEntry};
use crate::ops::undo::{effect, move_refs, nothing_here, same_group, LogChange, UndoReport};
use crate::ops::{short_branch, Workspace};

pub fn redo(dir: &std::path::Path, command: &str) -> Result<UndoReport> {
    let mut ws = Workspace::open_for_change(dir)?;
    let log = oplog::list(&ws.repo, 10_000)?;
    let eff = effect(&log);
    let here = |e: &&LogEntry| e.op.branch().as_deref() == Some(ws.branch.as_str());
    let position = |e: &LogEntry| log.iter().position(|l| l.id == e.id).unwrap_or(usize::MAX);
    let Some(last_undo) = eff.undos.iter().copied().find(here) else {
        let newest_live = eff.live.iter().copied().find(here);
        if let Some(abort) = log.iter().filter(here).find(|e| e.op.is_abort()) {
            if newest_live.is_none_or(|l| position(abort) < position(l)) {
                return Err(aborted_since(&ws, abort));
            }
        }
        return Err(match newest_live {
            Some(_) => Error::input(format!(
                "nothing to redo on branch {}: no undo is in effect",
                short_branch(&ws.branch)
            ))
            .hint("`pq log` lists the operations; `pq undo` takes the last one back"),
            None => nothing_here(&ws, &eff.live, "redo"),
        });
    };
    // An operation begun after the undo and then given up with `pq abort` ends the chain too: the abort took
    // it back for good, and what the undo took back stays undone.
    if let Some(abort) = log
        .iter()
        .filter(here)
        .find(|e| e.op.is_abort() && position(e) < position(last_undo))
    {
        return Err(aborted_since(&ws, abort));
    }
    // Redos themselves do not end the chain; any other operation made after the undo does.
    if let Some(newer) = eff
        .live
        .iter()
        .copied()
        .filter(here)
        .find(|e| e.op.redoes.is_none() && position(e) < position(last_undo))
    {
        return Err(Error::input(format!(
            "nothing to redo: `{}` was run after the last undo",
            newer.op.command
        ))
        .hint("`pq log` lists the operations; `pq undo --to ID` goes back to any of them"));
    }
    // The whole `pq undo` this entry belongs to (one entry per operation it undid, the first holding refs).
    let start = position(last_undo);
    let mut group: Vec<&LogEntry> = vec![last_undo];
    for e in &log[start + 1..] {
        if !same_group(&group[group.len() - 1].op, &e.op) {
            break;
        }
        group.push(e);
    }
    let mut wanted: Vec<(String, Option<Oid>)> = Vec::new();
    for e in &group {
        for r in &e.op.refs {
            if r.name != oplog::OPLOG_REF && !wanted.iter().any(|(n, _)| *n == r.name) {
                wanted.push((r.name.clone(), r.before));
            }
        }
    }
    let head = move_refs(&mut ws, &wanted, LogChange::Redoes(last_undo.id), command, false)?;
    let redone = group
        .iter()
        .rev()
        .filter_map(|u| {
            let undid = u.op.undoes?;
            log.iter()
                .find(|l| l.id == undid)
                .map(|l| format!("{} {}", crate::git::short(&l.id), l.op.command))
        })
        .collect();
    Ok(UndoReport { undone: redone, head })
}

/// Nothing to redo: the newest thing on the branch that redo could act on is an abort.
fn aborted_since(ws: &Workspace, abort: &LogEntry) -> Error {
    Error::input(format!(
        "nothing to redo on branch {}: `{}` gave up the last operation, and an abort is not redone",
        short_branch(&ws.branch),
        abort.op.command
    ))
    .hint("run the operation again to do it; `pq log` lists the operations")
}
