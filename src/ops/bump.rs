//! `pq bump [BRANCH...]`: move every branch pq manages (or those named) onto the newest tag of its base's
//! stable line (`v6.7.1` → `v6.7.4`), each by the same replay as `pq rebase`, one transaction (and one
//! operation-log entry) per branch, one report across them.
//!
//! Every branch is first replayed in memory, so the whole outcome is known before anything is written:
//! - a branch that replays cleanly is moved by its refs alone, without a checkout; the current branch
//!   also gets its index and work tree brought along (as `pq rebase` does);
//! - one branch that stops is left stopped at its conflict: the current branch if it is one of them,
//!   otherwise the first in order, which is then checked out (HEAD detached at its last good commit, as
//!   for any stop) and finished with `pq continue` / `pq skip` / `pq abort` (abort leaves that branch
//!   checked out at its old tip);
//! - every other branch that would stop is not started: nothing of it changes, and the report names the
//!   command to run once the stopped one is finished.
//!
//! Refused up front (exit 2, nothing written) when the work tree is dirty where it matters: uncommitted
//! changes the current branch's update would overwrite, or any uncommitted change at all when another
//! branch has to be checked out to stop on.

use serde::Serialize;

use crate::engine::replay::{Halt, ReportLine};
use crate::error::{Error, Result};
use crate::git::{short, status::dirty_paths, worktree, Oid};
use crate::model::store;
use crate::ops::rebase::{replay_onto, Replayed};
use crate::ops::status::newer_in_line;
use crate::ops::{check_work_tree, short_branch, Transaction, Workspace};

pub struct BumpOptions {
    /// Branches to bump (short or full names); empty: every branch pq manages.
    pub branches: Vec<String>,
    pub dry_run: bool,
    pub command: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BumpOutcome {
    /// No newer tag in the base's stable line.
    UpToDate,
    Bumped,
    WouldBump,
    /// Stopped at a conflict, checked out, awaiting `pq continue`.
    Stopped,
    /// Dry run: would stop at a conflict.
    WouldStop,
    /// Would stop too, but another branch holds the one stop a repository can have: left untouched.
    NotStarted,
}

#[derive(Debug, Serialize)]
pub struct BumpStop {
    #[serde(with = "crate::git::id::hex")]
    pub commit: Oid,
    pub subject: String,
    pub series: String,
    pub conflicts: Vec<String>,
    /// For the branch left stopped: the upstream commits it lacks that last changed the conflicting lines
    /// (as at any stop; see `pq backport`).
    pub prerequisites: Vec<crate::ops::prereqs::Prerequisite>,
}

#[derive(Debug, Serialize)]
pub struct BranchBump {
    pub branch: String,
    pub old_base: String,
    pub new_base: Option<String>,
    pub outcome: BumpOutcome,
    pub patches: Vec<ReportLine>,
    #[serde(with = "crate::git::id::hex_opt")]
    pub head: Option<Oid>,
    pub stopped: Option<BumpStop>,
    /// The command that finishes this branch's bump, when something is left to do.
    pub next: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct BumpReport {
    pub dry_run: bool,
    /// The branch HEAD was on when the bump started.
    pub was_on: String,
    pub branches: Vec<BranchBump>,
}

struct Planned {
    branch: String,
    head: Oid,
    tx: Transaction,
    replayed: Replayed,
}

pub fn bump(dir: &std::path::Path, opts: &BumpOptions, progress: &crate::progress::Sink) -> Result<BumpReport> {
    let mut ws = Workspace::open_for(dir, opts.dry_run)?;
    ws.repo.set_progress(progress.clone());
    let current = ws.branch.clone();
    let current_head = ws.head;
    let branches = branches_to_bump(&ws, &opts.branches)?;
    let who = ws.repo.committer()?;

    // Load and check every branch before replaying any.
    let mut targets = Vec::new();
    for branch in &branches {
        let head = ws.repo.ref_target(branch)?.ok_or_else(|| {
            Error::input(format!("branch {} does not exist", short_branch(branch)))
                .hint("`git branch` lists the branches; `pq bump` with no names bumps every branch pq manages")
        })?;
        let (state, state_id) = store::load(&ws.repo, branch)?.ok_or_else(|| {
            Error::input(format!("branch {} is not managed by pq", short_branch(branch))).hint(format!(
                "adopt it first: `git switch {} && pq init --base REV`",
                short_branch(branch)
            ))
        })?;
        if state.tip != head {
            return Err(Error::state(format!(
                "branch {} moved outside pq: pq recorded {}, the branch is at {}",
                short_branch(branch),
                short(&state.tip),
                short(&head)
            ))
            .hint(format!(
                "re-adopt it with `git switch {} && pq adopt`, or leave it out: `pq bump OTHER...`",
                short_branch(branch)
            )));
        }
        let newest = newer_in_line(&ws.repo, &state.base)?.pop();
        targets.push((branch.clone(), head, state, state_id, newest));
    }

    // Replay every branch that has somewhere to go, in memory, each in its own transaction.
    let mut report = BumpReport {
        dry_run: opts.dry_run,
        was_on: short_branch(&current).to_string(),
        branches: Vec::new(),
    };
    let mut planned: Vec<Option<Planned>> = Vec::new();
    for (branch, head, state, state_id, newest) in targets {
        let Some(tag) = newest else {
            report.branches.push(BranchBump {
                branch: short_branch(&branch).to_string(),
                old_base: state.base.clone(),
                new_base: None,
                outcome: BumpOutcome::UpToDate,
                patches: Vec::new(),
                head: Some(head),
                stopped: None,
                next: None,
            });
            planned.push(None);
            continue;
        };
        let new_base = ws.repo.resolve_commit(&tag)?;
        ws.branch = branch.clone();
        ws.head = head;
        ws.state = Some((state.clone(), state_id));
        let tx = Transaction::begin(
            &mut ws,
            &format!("{} ({} onto {tag})", opts.command, short_branch(&branch)),
        )?;
        let replayed = replay_onto(&ws.repo, &state, &tag, new_base, &who, opts.dry_run)?;
        report.branches.push(BranchBump {
            branch: short_branch(&branch).to_string(),
            old_base: state.base.clone(),
            new_base: Some(tag),
            outcome: BumpOutcome::WouldBump,
            patches: replayed.lines.clone(),
            head: None,
            stopped: None,
            next: None,
        });
        planned.push(Some(Planned {
            branch,
            head,
            tx,
            replayed,
        }));
    }

    // The one branch to stop on: the current branch if it stops, otherwise the first that does.
    let stops = |p: &Option<Planned>| matches!(p, Some(p) if !p.replayed.replay.done());
    let stop_at = planned
        .iter()
        .position(|p| stops(p) && matches!(p, Some(p) if p.branch == current))
        .or_else(|| planned.iter().position(stops));

    if opts.dry_run {
        // A dry run replays past conflicts (to report them all): the first one is where it would stop.
        for entry in report.branches.iter_mut() {
            if let Some(stop) = stop_of(&entry.patches) {
                entry.outcome = BumpOutcome::WouldStop;
                entry.stopped = Some(stop);
            }
        }
        ws.repo.discard_objects();
        return Ok(report);
    }

    // Refuse before writing anything when the work tree is dirty where it matters.
    let current_tree = ws.repo.commit_tree(current_head)?;
    let dirty = dirty_paths(&ws.repo, Some(current_tree))?;
    let mut work_tree_at = current_tree;
    for p in planned.iter().flatten() {
        if p.branch == current && p.replayed.replay.done() {
            check_work_tree(&ws.repo, &dirty, current_tree, p.replayed.replay.run.tip_tree)?;
            work_tree_at = p.replayed.replay.run.tip_tree;
        }
    }
    if let Some(Some(p)) = stop_at.map(|i| &planned[i]) {
        let tree = p.replayed.replay.target_tree();
        if p.branch == current {
            check_work_tree(&ws.repo, &dirty, current_tree, tree)?;
        } else {
            if let Some(first) = dirty.first() {
                let more = if dirty.len() > 1 {
                    format!(" (and {} more)", dirty.len() - 1)
                } else {
                    String::new()
                };
                return Err(Error::input(format!(
                    "{} stops at a conflict and must be checked out, but {first}{more} has uncommitted changes",
                    short_branch(&p.branch)
                ))
                .hint("commit or stash them (`git stash`), then run `pq bump` again"));
            }
            let branch_tree = ws.repo.commit_tree(p.head)?;
            check_work_tree(&ws.repo, &[], work_tree_at, branch_tree)?;
            check_work_tree(&ws.repo, &[], branch_tree, tree)?;
        }
    }

    // Commit: other branches' refs first, then the current branch (refs and work tree), then the stop.
    let mut order: Vec<usize> = (0..planned.len()).filter(|&i| Some(i) != stop_at).collect();
    order.sort_by_key(|&i| matches!(&planned[i], Some(p) if p.branch == current));
    if let Some(i) = stop_at {
        order.push(i);
    }
    for i in order {
        let Some(p) = planned[i].take() else { continue };
        let entry = &mut report.branches[i];
        let Planned {
            branch,
            head,
            mut tx,
            replayed,
        } = p;
        let Replayed {
            replay, mut new_state, ..
        } = replayed;
        match &replay.halt {
            Halt::Done if branch == current => {
                entry.head = replay
                    .finish(tx, &mut ws.repo, "rebase", new_state, &dirty, false)?
                    .new_head;
                entry.outcome = BumpOutcome::Bumped;
            }
            Halt::Done => {
                new_state.patches = replay.run.patches;
                tx.move_branch(replay.run.tip);
                tx.set_state(new_state);
                entry.head = Some(tx.commit_refs(&mut ws.repo)?);
                entry.outcome = BumpOutcome::Bumped;
            }
            Halt::Conflict { .. } if Some(i) == stop_at => {
                if branch != current {
                    // Check the branch out, then stop on it exactly as `pq rebase` run there would.
                    let branch_tree = ws.repo.commit_tree(head)?;
                    worktree::checkout(&ws.repo, work_tree_at, branch_tree, None)?;
                    ws.repo.set_head(
                        Some(&branch),
                        head,
                        &format!(
                            "pq: {} (checking out {} to stop on it)",
                            opts.command,
                            short_branch(&branch)
                        ),
                    )?;
                }
                if let Some(info) = replay
                    .finish(tx, &mut ws.repo, "rebase", new_state, &[], false)?
                    .stopped
                {
                    entry.stopped = Some(BumpStop {
                        commit: info.source,
                        subject: info.subject,
                        series: info.series,
                        conflicts: info.paths,
                        prerequisites: info.prerequisites,
                    });
                }
                entry.outcome = BumpOutcome::Stopped;
                entry.next = Some(if branch == current {
                    "resolve the conflicts, `git add` them, then `pq continue`; or `pq skip` the patch, or `pq abort` this branch's bump".into()
                } else {
                    format!(
                        "resolve the conflicts, `git add` them, then `pq continue`; or `pq skip` the patch, or `pq abort` this branch's bump (you are on {} now; `git switch {}` afterwards to go back)",
                        short_branch(&branch),
                        short_branch(&current)
                    )
                });
            }
            Halt::Conflict { .. } => {
                // Not started: its transaction ends without trace.
                drop(tx);
                entry.outcome = BumpOutcome::NotStarted;
                entry.stopped = stop_of(&entry.patches);
                entry.head = Some(head);
                entry.next = Some(format!(
                    "once the stopped branch is finished: `pq bump {}`",
                    entry.branch
                ));
            }
        }
    }
    Ok(report)
}

/// The conflicting step of a replay's report.
fn stop_of(lines: &[ReportLine]) -> Option<BumpStop> {
    lines
        .iter()
        .find(|l| l.outcome == crate::engine::replay::Outcome::Conflict)
        .map(|l| BumpStop {
            commit: l.source,
            subject: l.subject.clone(),
            series: l.series.clone(),
            conflicts: l.paths.clone(),
            prerequisites: Vec::new(),
        })
}

/// The full names of the branches to bump: those named (in that order), or every branch with pq state (by
/// name) that still exists.
fn branches_to_bump(ws: &Workspace, named: &[String]) -> Result<Vec<String>> {
    if !named.is_empty() {
        let mut out: Vec<String> = Vec::new();
        for n in named {
            let full = if n.starts_with("refs/") {
                n.clone()
            } else {
                format!("refs/heads/{n}")
            };
            if !out.contains(&full) {
                out.push(full);
            }
        }
        return Ok(out);
    }
    let prefix = "refs/pq/state/";
    let mut out = Vec::new();
    for (name, _) in ws.repo.refs_with_prefix(prefix)? {
        let branch = format!("refs/heads/{}", &name[prefix.len()..]);
        if ws.repo.ref_target(&branch)?.is_some() {
            out.push(branch);
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(
            Error::input("no branch here is managed by pq").hint("adopt one first: `pq init --base REV` on the branch")
        );
    }
    Ok(out)
}
