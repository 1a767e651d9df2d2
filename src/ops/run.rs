//! The replay every command that picks or replays patches shares (backport, rebase, bump, import, queue
//! edits, continue and skip): the planned steps run in memory on top of a chain, then the command's
//! transaction ends once, discarded (a dry run, or nothing changed), committed with one work-tree update,
//! or stopped at the conflict with the conflict written to the work tree.

use std::collections::HashMap;

use gix::bstr::BString;

use crate::engine::replay::{execute, Halt, ReportLine, Run, Step};
use crate::engine::rerere::Rerere;
use crate::error::Result;
use crate::git::{Oid, Person, Repo, TreeChange};
use crate::model::state::{Patch, State};
use crate::ops::{Concluded, StopInfo, Transaction};
use crate::progress::{Phase, PhaseGuard};

/// Where a replay reports its progress.
pub enum Bar<'a> {
    /// A replaying phase of its own, one tick a step.
    Own,
    /// Ticks in a phase the caller runs, from `offset` on (import counts applying its patch files and
    /// replaying them as one bar).
    Within(&'a PhaseGuard<'a>, usize),
}

/// A chain to replay onto: `tip` with `patches` kept below it, and what the report says so far.
pub fn chain(repo: &Repo, tip: Oid, patches: Vec<Patch>, report: Vec<ReportLine>) -> Result<Run> {
    Ok(Run {
        tip,
        tip_tree: repo.commit_tree(tip)?,
        patches,
        report,
    })
}

/// Planned steps run in memory (objects only, kept by the caller's transaction): the chain they built and
/// where it ended.
pub struct Replay {
    pub run: Run,
    pub steps: Vec<Step>,
    pub halt: Halt,
}

/// How a replay's transaction ended: the branch's new tip, or where it stopped; neither when it was
/// discarded.
pub struct Ended {
    pub new_head: Option<Oid>,
    pub stopped: Option<StopInfo>,
}

impl Replay {
    /// Run `steps` on top of `run`, with recorded resolutions. A real run stops at the first conflict; a dry
    /// run notes each conflict and carries on. `known` holds the changes the planner already diffed.
    pub fn execute(
        repo: &Repo,
        mut run: Run,
        steps: Vec<Step>,
        who: &Person,
        dry_run: bool,
        known: &HashMap<Oid, Vec<TreeChange>>,
        bar: Bar,
    ) -> Result<Replay> {
        let rerere = Rerere::load(repo)?;
        let halt = match bar {
            Bar::Own => {
                let replaying = PhaseGuard::start(repo.progress(), Phase::Replaying, Some(steps.len() as u64));
                execute(repo, &mut run, &steps, who, dry_run, &rerere, known, |i| {
                    replaying.set(i as u64)
                })?
            }
            Bar::Within(bar, offset) => execute(repo, &mut run, &steps, who, dry_run, &rerere, known, |i| {
                bar.set((offset + i) as u64)
            })?,
        };
        Ok(Replay { run, steps, halt })
    }

    /// Did every step run (no conflict to stop at)?
    pub fn done(&self) -> bool {
        matches!(self.halt, Halt::Done)
    }

    /// The tree the work tree is to show: the chain's end, or the conflict.
    pub fn target_tree(&self) -> Oid {
        match &self.halt {
            Halt::Done => self.run.tip_tree,
            Halt::Conflict { tree, .. } => *tree,
        }
    }

    /// End `tx`. With `discard` (a dry run, or a replay that changes nothing) it leaves no trace; otherwise
    /// it refuses to overwrite the uncommitted work in `dirty`, then commits the chain as `state`'s patches,
    /// or stops at the conflict as a `kind` operation.
    pub fn finish(
        self,
        tx: Transaction,
        repo: &mut Repo,
        kind: &str,
        state: State,
        dirty: &[BString],
        discard: bool,
    ) -> Result<Ended> {
        if discard {
            tx.discard(repo);
            return Ok(Ended {
                new_head: None,
                stopped: None,
            });
        }
        Ok(match tx.conclude(repo, kind, state, self, dirty)? {
            Concluded::Done(head) => Ended {
                new_head: Some(head),
                stopped: None,
            },
            Concluded::Stopped(info) => Ended {
                new_head: None,
                stopped: Some(info),
            },
        })
    }
}
