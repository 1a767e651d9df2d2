//! `pq bump`.

use serde::Serialize;

use super::{id, lines, Commit, Line, Report, Stopped};
use crate::ops::bump::{BumpOutcome, BumpReport};

/// `pq bump`: each managed branch moved (or not) onto the newest tag of its stable line.
#[derive(Serialize)]
pub struct Bump {
    pub dry_run: bool,
    /// The branch checked out before.
    pub was_on: String,
    pub branches: Vec<BumpBranch>,
}
impl Report for Bump {}

#[derive(Serialize)]
pub struct BumpBranch {
    pub branch: String,
    pub old_base: String,
    pub new_base: Option<String>,
    /// up-to-date, bumped, would-bump, stopped, would-stop, not-started.
    pub outcome: &'static str,
    pub patches: Vec<Line>,
    pub head: Option<String>,
    /// A stop, with the upstream prerequisites of its conflicting lines.
    pub stopped: Option<Stopped>,
    /// The command to run next for this branch.
    pub next: Option<String>,
}

impl From<&BumpReport> for Bump {
    fn from(r: &BumpReport) -> Bump {
        Bump {
            dry_run: r.dry_run,
            was_on: r.was_on.clone(),
            branches: r
                .branches
                .iter()
                .map(|b| BumpBranch {
                    branch: b.branch.clone(),
                    old_base: b.old_base.clone(),
                    new_base: b.new_base.clone(),
                    outcome: match b.outcome {
                        BumpOutcome::UpToDate => "up-to-date",
                        BumpOutcome::Bumped => "bumped",
                        BumpOutcome::WouldBump => "would-bump",
                        BumpOutcome::Stopped => "stopped",
                        BumpOutcome::WouldStop => "would-stop",
                        BumpOutcome::NotStarted => "not-started",
                    },
                    patches: lines(&b.patches),
                    head: b.head.as_ref().map(super::id),
                    stopped: b.stopped.as_ref().map(|s| Stopped {
                        commit: id(&s.commit),
                        subject: s.subject.clone(),
                        series: s.series.clone(),
                        conflicts: s.conflicts.clone(),
                        prerequisites: Some(s.prerequisites.iter().map(Commit::from).collect()),
                        file: None,
                        edit: false,
                    }),
                    next: b.next.clone(),
                })
                .collect(),
        }
    }
}
