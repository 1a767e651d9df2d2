//! `pq continue`, `pq skip`, `pq abort`: finishing, skipping past, or undoing a stopped operation (and
//! completing or rolling back one interrupted between its ref update and its work-tree update).

use gix::bstr::BString;

use crate::engine::replay::{line, push_commit, Outcome, ReportLine, Run};
use crate::error::{Error, Result};
use crate::git::{worktree, Oid, Person, RefUpdate};
use crate::ops::run::{chain, Bar, Replay};
use crate::ops::{finish_materialise, StopInfo, Transaction, Workspace};
use crate::sequencer::{self, Stopped};

pub struct ResumeReport {
    pub kind: String,
    pub lines: Vec<ReportLine>,
    pub stopped: Option<StopInfo>,
    pub new_head: Option<Oid>,
}

enum Interrupted {
    No,
    /// The journal was written but the ref transaction never happened: nothing to finish or undo.
    BeforeRefs,
    /// The refs moved; the work tree may be anywhere between the old and the new tree.
    RefsMoved(sequencer::Materialise),
}

fn interrupted(ws: &Workspace) -> Result<Interrupted> {
    let Some(j) = sequencer::load_journal(ws.repo.git_dir())? else {
        return Ok(Interrupted::No);
    };
    if j.refs.is_empty() {
        // A journal written before journals listed their refs: the branch tells.
        let branch_now = ws.repo.ref_target(&j.branch)?;
        return Ok(if j.new_head != j.orig_head && branch_now == Some(j.new_head) {
            Interrupted::RefsMoved(j)
        } else {
            Interrupted::BeforeRefs
        });
    }
    // git's ref transaction renames its lock files into place one ref after the other, so a kill can leave
    // some refs moved and others not: any ref away from its old value means the transaction began.
    let mut moved = false;
    for r in &j.refs {
        let now = ws.repo.ref_direct(&r.name)?;
        if now == r.before {
            continue;
        }
        if now != r.after {
            return Err(Error::state(format!(
                "{} changed since the interrupted operation ({}) moved it",
                r.name, j.command
            ))
            .hint(format!(
                "inspect it with `git log -g {}`; .git/pq/materialise.toml lists what the operation moved",
                r.name
            )));
        }
        moved = true;
    }
    Ok(if moved {
        Interrupted::RefsMoved(j)
    } else {
        Interrupted::BeforeRefs
    })
}

/// Move the refs an interrupted transaction had not moved yet to their new values (the log among them, so
/// its entry is the one the transaction wrote).
fn complete_refs(ws: &Workspace, j: &sequencer::Materialise) -> Result<()> {
    let mut rest = Vec::new();
    for r in &j.refs {
        if ws.repo.ref_direct(&r.name)? == r.before && r.before != r.after {
            rest.push(RefUpdate {
                name: r.name.clone(),
                old: r.before,
                new: r.after,
            });
        }
    }
    if !rest.is_empty() {
        ws.repo.update_refs(&rest, &format!("pq: {} (completed)", j.command))?;
    }
    Ok(())
}

fn load_stopped(ws: &mut Workspace) -> Result<Stopped> {
    ws.stopped.take().ok_or_else(|| {
        Error::input("no pq operation is in progress").hint("`pq status` shows the branch; nothing to continue")
    })
}

/// Finish the stopped pick with the user's resolution and carry on.
pub fn continue_(dir: &std::path::Path, progress: &crate::progress::Sink) -> Result<ResumeReport> {
    let mut ws = Workspace::open_for_resume(dir)?;
    ws.repo.set_progress(progress.clone());
    match interrupted(&ws)? {
        Interrupted::RefsMoved(j) => {
            complete_refs(&ws, &j)?;
            finish_materialise(&ws.repo)?;
            return Ok(ResumeReport {
                kind: "interrupted operation".into(),
                lines: Vec::new(),
                stopped: None,
                new_head: Some(ws.head),
            });
        }
        Interrupted::BeforeRefs => {
            // Killed before its ref transaction: nothing had changed, so there is nothing to finish.
            sequencer::clear_journal(ws.repo.git_dir())?;
            if ws.stopped.is_none() {
                return Ok(ResumeReport {
                    kind: "interrupted operation (it had changed nothing)".into(),
                    lines: Vec::new(),
                    stopped: None,
                    new_head: Some(ws.head),
                });
            }
        }
        Interrupted::No => {}
    }
    let stopped = load_stopped(&mut ws)?;
    if crate::ops::edit::is_edit_stop(&stopped) {
        return crate::ops::edit::continue_edit(ws, stopped);
    }
    let unmerged = worktree::unmerged_paths(&ws.repo)?;
    if let Some(first) = unmerged.first() {
        return Err(Error::input(format!(
            "{first} still has conflicts ({} path(s) unresolved)",
            unmerged.len()
        ))
        .hint(
            "edit the files, mark them resolved with `git add PATH`, then run `pq continue` (or `pq skip`, `pq abort`)",
        ));
    }
    let who = ws.repo.committer()?;
    let tip = stopped.tip;
    let head = ws.repo.head_commit()?.unwrap_or(tip);
    // `git cherry-pick --abort` (what `git status` suggests) gives the pick up behind pq's back: its
    // conflict and CHERRY_PICK_HEAD are gone, and there is nothing to continue with.
    if head == tip && !ws.repo.git_dir().join("CHERRY_PICK_HEAD").exists() {
        return Err(Error::input(format!(
            "the stopped pick {} was given up (`git cherry-pick --abort`): there is no resolution to continue with",
            crate::git::short(&stopped.todo[0].source)
        ))
        .hint(format!(
            "drop it and carry on with `pq skip`, or undo the whole {} with `pq abort`",
            stopped.kind
        )));
    }
    let step = stopped.todo[0].clone();
    let mut stopped = stopped;
    stopped
        .report
        .retain(|l| !(l.outcome == Outcome::Conflict && l.source == step.source));
    let mut run = chain(&ws.repo, tip, stopped.state.patches.clone(), stopped.report.clone())?;
    let mut ws = ws;
    let resolutions;
    if head != tip {
        // The user committed the resolution with git: take that commit as the pick.
        let tree = ws.repo.commit_tree(head)?;
        resolutions = record_resolution(&ws, &stopped, tree, &who)?;
        push_commit(
            &mut run,
            &step,
            head,
            tree,
            Outcome::Resolved,
            stopped.conflicts.clone(),
        );
    } else {
        let tree = resolution_tree(&ws, run.tip_tree, &stopped)?;
        if tree == run.tip_tree {
            return Err(Error::input("the resolution leaves nothing to commit")
                .hint("if the change is already there, drop the pick with `pq skip`"));
        }
        resolutions = record_resolution(&ws, &stopped, tree, &who)?;
        // A queue edit keeps each patch's message as it was, as `git rebase -i` does.
        let message = if crate::ops::queue::keeps_messages(&stopped.kind) {
            step.message_bytes()
        } else {
            step.conflict_message(&stopped.conflicts)
        };
        let commit = ws.repo.write_commit(
            tree,
            &[tip],
            &Person::from(&step.author),
            &who,
            &message,
            step.encoding.as_deref().map(|e| e.as_bytes().into()),
        )?;
        push_commit(
            &mut run,
            &step,
            commit,
            tree,
            Outcome::Resolved,
            stopped.conflicts.clone(),
        );
    }
    carry_on(&mut ws, "pq continue", stopped, run, resolutions)
}

/// The tree of the index as far as the operation is concerned: changes the user had staged before it
/// started stay the user's (they are neither committed into a pick nor overwritten), so those paths keep
/// `base`'s entries.
fn resolution_tree(ws: &Workspace, base: Oid, stopped: &Stopped) -> Result<Oid> {
    let tree = worktree::tree_from_index(&ws.repo, base)?;
    let saved = sequencer::dir(ws.repo.git_dir()).join("index.orig");
    if !saved.exists() {
        return Ok(tree);
    }
    let orig_tree = ws.repo.commit_tree(stopped.orig_head)?;
    let staged = crate::git::status::staged_paths_in(&ws.repo, &saved, Some(orig_tree))?;
    if staged.is_empty() {
        return Ok(tree);
    }
    let mut edits = Vec::new();
    for p in staged {
        let entry = ws.repo.entry_at(base, &p)?;
        edits.push((p, entry.filter(|e| !e.is_tree())));
    }
    ws.repo.edit_tree(tree, &edits)
}

/// Remember how the user resolved the stopped pick's conflicts, for the next time they come up: the
/// update of the resolutions' ref, for the transaction that finishes (or stops) the operation.
fn record_resolution(ws: &Workspace, stopped: &Stopped, resolved_tree: Oid, who: &Person) -> Result<Option<RefUpdate>> {
    let Some(conflict_tree) = stopped.conflict_tree else {
        return Ok(None);
    };
    let mut pairs = Vec::new();
    for p in &stopped.conflicts {
        let (Some(a), Some(b)) = (
            ws.repo.entry_at(conflict_tree, p.as_bytes())?,
            ws.repo.entry_at(resolved_tree, p.as_bytes())?,
        ) else {
            continue;
        };
        pairs.push((a.id, b.id));
    }
    let rerere = crate::engine::rerere::Rerere::load(&ws.repo)?;
    rerere.record(&ws.repo, &pairs, who)
}

/// Drop the stopped pick and carry on.
pub fn skip(dir: &std::path::Path, progress: &crate::progress::Sink) -> Result<ResumeReport> {
    let mut ws = Workspace::open_for_resume(dir)?;
    ws.repo.set_progress(progress.clone());
    let stopped = load_stopped(&mut ws)?;
    if crate::ops::edit::is_edit_stop(&stopped) {
        return Err(Error::input(format!(
            "pq is stopped to edit {}, not at a conflict: there is nothing to skip",
            crate::git::short(&stopped.todo[0].source)
        ))
        .hint("amend it with `git commit --amend` and run `pq continue`, or put everything back with `pq abort`"));
    }
    let tip = stopped.tip;
    let tip_tree = ws.repo.commit_tree(tip)?;
    // Put the conflicted paths back to the tip's state before picking the next one.
    let mut paths: Vec<BString> = stopped.touched.iter().map(|p| BString::from(p.as_str())).collect();
    for p in worktree::unmerged_paths(&ws.repo)? {
        if !paths.contains(&p) {
            paths.push(p);
        }
    }
    let orig_tree = ws.repo.commit_tree(stopped.orig_head)?;
    // Paths the stop wrote go back to what the tip holds; the tip differs from the original only there.
    worktree::restore_paths(&ws.repo, tip_tree, &paths)?;
    let _ = orig_tree;
    let mut stopped = stopped;
    let source = stopped.todo[0].source;
    stopped
        .report
        .retain(|l| !(l.outcome == Outcome::Conflict && l.source == source));
    let mut run = Run {
        tip,
        tip_tree,
        patches: stopped.state.patches.clone(),
        report: stopped.report.clone(),
    };
    run.report.push(line(
        &stopped.todo[0],
        Outcome::Skipped,
        Some("skipped with `pq skip`".into()),
    ));
    // The work tree now shows the tip; later stops and the finish start from there.
    stopped.touched.clear();
    carry_on(&mut ws, "pq skip", stopped, run, None)
}

/// Pick the steps after the stopped one and end in one transaction: committed, or stopped again.
pub(crate) fn carry_on(
    ws: &mut Workspace,
    how: &str,
    stopped: Stopped,
    run: Run,
    resolutions: Option<RefUpdate>,
) -> Result<ResumeReport> {
    // The work tree currently shows the stopped tip plus the resolution (the index's tree).
    let current = ws.repo.head_commit()?.unwrap_or(stopped.orig_head);
    let current_tree = resolution_tree(ws, ws.repo.commit_tree(current)?, &stopped)?;
    let mut tx = Transaction::resume(ws, &stopped, how, current_tree)?;
    if let Some(update) = resolutions {
        tx.update_ref(update);
    }
    let rest = stopped.todo[1..].to_vec();
    sequencer::memo::load(ws.repo.git_dir(), &ws.repo);
    let replay = Replay::execute(&ws.repo, run, rest, tx.who(), false, &Default::default(), Bar::Own)?;
    // The picks after the stop were never checked against the user's uncommitted changes (the first run
    // stopped before planning them): the transaction refuses, with nothing written, rather than overwrite
    // a modified file. Only the paths the work tree is about to change can clash, so only they are looked at.
    let target = replay.target_tree();
    let changing: Vec<BString> = ws
        .repo
        .diff_trees(Some(current_tree), Some(target))?
        .into_iter()
        .map(|c| c.path)
        .collect();
    let dirty = crate::git::status::dirty_among(&ws.repo, current_tree, &changing)?;
    // Checked here as well as in the transaction, for the hint naming how to carry on.
    crate::ops::check_work_tree(&ws.repo, &dirty, current_tree, target)
        .map_err(|e| e.hint(crate::ops::preflight::resume_hint(how)))?;
    let mut state = stopped.state.clone();
    if stopped.kind == "backport" {
        crate::ops::declined::record(&mut state, &replay.run.report, &stopped.todo);
    }
    let lines = replay.run.report.clone();
    // A new stop rewrites the stopped state and git's files; the index saved at the first stop survives
    // for `pq abort`.
    let ended = replay.finish(tx, &mut ws.repo, &stopped.kind, state, &dirty, false)?;
    Ok(ResumeReport {
        kind: stopped.kind,
        lines,
        stopped: ended.stopped,
        new_head: ended.new_head,
    })
}

pub struct AbortReport {
    pub kind: String,
    pub head: Oid,
}

/// Put everything back as it was before the operation: branch, HEAD, index, work tree.
pub fn abort(dir: &std::path::Path) -> Result<AbortReport> {
    let mut ws = Workspace::open_for_resume(dir)?;
    let git_dir = ws.repo.git_dir().to_path_buf();
    match interrupted(&ws)? {
        Interrupted::RefsMoved(j) => {
            // The refs moved but the work tree was not (fully) brought along: move the refs back, then put
            // every path the operation could have written back to the original commit's content. Those
            // paths were clean when the operation started (it refuses otherwise).
            let orig_head = j.orig_head;
            let orig_tree = ws.repo.commit_tree(orig_head)?;
            let from = j.from_tree;
            let to = j.to_tree;
            let mut paths: Vec<BString> = Vec::new();
            for c in ws
                .repo
                .diff_trees(Some(from), Some(to))?
                .into_iter()
                .chain(ws.repo.diff_trees(Some(orig_tree), Some(from))?)
            {
                if !paths.contains(&c.path) {
                    paths.push(c.path);
                }
            }
            let stopped = sequencer::load(&git_dir)?;
            let head = if j.refs.is_empty() {
                // A journal written before journals listed their refs: undo the last operation instead.
                drop(ws);
                let undo = crate::ops::undo::undo(dir, None, "pq abort", true)?;
                ws = Workspace::open_for_resume(dir)?;
                undo.head
            } else {
                move_back(&mut ws, &j)?
            };
            worktree::restore_paths(&ws.repo, orig_tree, &paths)?;
            let saved = sequencer::dir(&git_dir).join("index.orig");
            if stopped.is_some() && saved.exists() {
                std::fs::copy(&saved, git_dir.join("index"))?;
                ws.repo.reload_index()?;
            }
            if ws.repo.head_branch()?.as_deref() != Some(j.branch.as_str()) {
                ws.repo
                    .set_head(Some(&j.branch), orig_head, &format!("pq abort: {}", j.command))?;
            }
            sequencer::clear(&git_dir)?;
            sequencer::clear_journal(&git_dir)?;
            return Ok(AbortReport {
                kind: "interrupted operation".into(),
                head,
            });
        }
        Interrupted::BeforeRefs => {
            sequencer::clear_journal(&git_dir)?;
            if sequencer::load(&git_dir)?.is_none() {
                return Ok(AbortReport {
                    kind: "interrupted operation (it had changed nothing)".into(),
                    head: ws.head,
                });
            }
        }
        Interrupted::No => {}
    }
    let stopped = load_stopped(&mut ws)?;
    let orig_head = stopped.orig_head;
    let orig_tree = ws.repo.commit_tree(orig_head)?;
    let mut paths: Vec<BString> = stopped.touched.iter().map(|p| BString::from(p.as_str())).collect();
    let saved = sequencer::dir(&git_dir).join("index.orig");
    // Paths the resolution (or a later stop) touched. They are found by comparing the index with the one
    // saved at the first stop, not with the original tree: a change the user had staged before the
    // operation also differs from that tree, and restoring it from the tree would lose its work-tree copy.
    let changed = if saved.exists() {
        worktree::index_paths_changed_since(&ws.repo, &saved)?
    } else {
        match worktree::tree_from_index(&ws.repo, orig_tree).ok() {
            Some(t) => ws
                .repo
                .diff_trees(Some(orig_tree), Some(t))?
                .into_iter()
                .map(|c| c.path)
                .collect(),
            None => Vec::new(),
        }
    };
    for p in changed {
        if !paths.contains(&p) {
            paths.push(p);
        }
    }
    for p in worktree::unmerged_paths(&ws.repo)? {
        if !paths.contains(&p) {
            paths.push(p);
        }
    }
    worktree::restore_paths(&ws.repo, orig_tree, &paths)?;
    if saved.exists() {
        std::fs::copy(&saved, git_dir.join("index"))?;
        ws.repo.reload_index()?;
    }
    ws.repo.set_head(
        Some(&stopped.branch),
        orig_head,
        &format!("pq abort: {}", stopped.command),
    )?;
    sequencer::clear(&git_dir)?;
    if let Ok(who) = ws.repo.committer() {
        crate::oplog::append_abort_event(
            &ws.repo,
            &stopped.branch,
            &format!("pq abort ({})", stopped.command),
            &who,
        )?;
    }
    Ok(AbortReport {
        kind: stopped.kind,
        head: orig_head,
    })
}

/// Move every ref an interrupted transaction moved back where it was, in one transaction whose log entries
/// take back the ones it appended; returns the branch's restored tip.
fn move_back(ws: &mut Workspace, j: &sequencer::Materialise) -> Result<Oid> {
    // Only what the interrupted transaction did move goes back: a kill between two ref renames leaves the
    // rest where they were.
    let mut moved = Vec::new();
    for r in &j.refs {
        if r.before != r.after && ws.repo.ref_direct(&r.name)? == r.after {
            moved.push(r);
        }
    }
    let command = format!("pq abort ({})", j.command);
    if !moved.iter().any(|r| r.name == crate::oplog::OPLOG_REF) {
        // The operation's log entry never landed: the log already describes where the refs go back to, so
        // the abort is an event in it, not an operation `pq undo` would take back.
        let updates: Vec<RefUpdate> = moved
            .iter()
            .map(|r| RefUpdate {
                name: r.name.clone(),
                old: r.after,
                new: r.before,
            })
            .collect();
        if !updates.is_empty() {
            ws.repo.update_refs(&updates, &format!("pq: {command}"))?;
        }
        let who = ws.repo.committer()?;
        crate::oplog::append_abort_event(&ws.repo, &j.branch, &command, &who)?;
        return Ok(j.orig_head);
    }
    let mut tx = Transaction::begin(ws, &command)?;
    // Its entries take the interrupted ones back for good: `pq redo` does not re-apply an aborted operation.
    tx.aborts();
    for r in moved {
        if r.name == crate::oplog::OPLOG_REF {
            // The entries the interrupted transaction appended: from its new log tip back to the old one.
            let mut appended = Vec::new();
            for e in crate::oplog::list(&ws.repo, 10_000)? {
                if Some(e.id) == r.before {
                    break;
                }
                appended.push(e.id);
            }
            tx.undoes(appended);
            continue;
        }
        tx.update_ref(RefUpdate {
            name: r.name.clone(),
            old: r.after,
            new: r.before,
        });
    }
    tx.commit_refs(&mut ws.repo)?;
    Ok(j.orig_head)
}
