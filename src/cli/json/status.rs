//! `pq status` and `pq series`.

use serde::Serialize;

use super::{id, Report};
use crate::model::state::PatchKind;
use crate::ops::status::{SeriesView, Status as StatusView};

/// `pq status`.
#[derive(Serialize)]
pub struct Status {
    /// The branch pq works on; null on a detached HEAD with no pq operation stopped (schema 2).
    pub branch: Option<String>,
    /// The commit HEAD is at (while an operation is stopped, the detached last good pick).
    pub head: String,
    pub detached: bool,
    /// The branch's own commit; null with no branch (schema 2).
    pub branch_head: Option<String>,
    /// With no branch: the branch to go back to (`git switch` it), if one is found.
    pub switch_to: Option<String>,
    /// Whether pq manages the branch.
    pub initialised: bool,
    pub base: Option<String>,
    pub base_commit: Option<String>,
    /// Newer tags of the base's stable line, newest last.
    pub newer_tags: Vec<String>,
    pub series: Vec<SeriesCount>,
    pub releases: usize,
    pub last_release: Option<String>,
    /// Set when the branch moved outside pq.
    pub disagreement: Option<String>,
    pub stopped: Option<StatusStopped>,
    /// An operation was killed between its ref update and its work-tree update.
    pub interrupted: bool,
    pub clean: bool,
    pub dirty_paths: Vec<String>,
    pub unmerged_paths: Vec<String>,
    /// The stopped pick was given up with `git cherry-pick --abort`.
    pub pick_abandoned: bool,
    pub commit_graph: CommitGraph,
}

/// Whether path-limited history walks can be fast (a commit-graph with changed-path Bloom filters).
#[derive(Serialize)]
pub struct CommitGraph {
    pub present: bool,
    pub changed_paths: bool,
    /// Why a commit-graph that is there is not used (`core.commitGraph` false, a shallow clone, replace refs
    /// or grafts), as git would not use it either.
    pub ignored: Option<String>,
    /// The command that makes one, when it is missing or lacks the filters (or that lets it be used).
    pub suggest: Option<String>,
}
/// Schema 2: `branch` and `branch_head` are null on a detached HEAD with no stopped operation (schema 1
/// refused to report one).
impl Report for Status {
    const SCHEMA: u32 = 2;
}

#[derive(Serialize)]
pub struct SeriesCount {
    pub name: String,
    pub patches: usize,
}

/// The operation waiting for the user.
#[derive(Serialize)]
pub struct StatusStopped {
    pub operation: String,
    pub command: String,
    pub commit: String,
    pub subject: String,
    pub series: String,
    pub conflicts: Vec<String>,
    /// Steps left after the stopped one.
    pub remaining: usize,
}

impl From<&StatusView> for Status {
    fn from(s: &StatusView) -> Status {
        Status {
            branch: s.branch.clone(),
            head: super::id(&s.head),
            detached: s.detached,
            branch_head: s.branch_head.as_ref().map(super::id),
            switch_to: s.switch_to.clone(),
            initialised: s.initialised,
            base: s.base.clone(),
            base_commit: s.base_commit.as_ref().map(super::id),
            newer_tags: s.newer_tags.clone(),
            series: s
                .series
                .iter()
                .map(|x| SeriesCount {
                    name: x.name.clone(),
                    patches: x.patches,
                })
                .collect(),
            releases: s.releases,
            last_release: s.last_release.clone(),
            disagreement: s.disagreement.clone(),
            stopped: s.stopped.as_ref().map(|x| StatusStopped {
                operation: x.operation.clone(),
                command: x.command.clone(),
                commit: id(&x.commit),
                subject: x.subject.clone(),
                series: x.series.clone(),
                conflicts: x.conflicts.clone(),
                remaining: x.remaining,
            }),
            interrupted: s.interrupted,
            clean: s.clean,
            dirty_paths: s.dirty_paths.clone(),
            unmerged_paths: s.unmerged_paths.clone(),
            pick_abandoned: s.pick_abandoned,
            commit_graph: CommitGraph {
                present: s.commit_graph.present,
                changed_paths: s.commit_graph.changed_paths,
                ignored: s.commit_graph.ignored.clone(),
                suggest: s.commit_graph.suggest.clone(),
            },
        }
    }
}

/// `pq series` and `pq series show NAME`.
#[derive(Serialize)]
pub struct SeriesList {
    pub series: Vec<Series>,
}
impl Report for SeriesList {}

#[derive(Serialize)]
pub struct Series {
    pub name: String,
    pub patches: Vec<SeriesPatch>,
}

#[derive(Serialize)]
pub struct SeriesPatch {
    pub commit: String,
    pub short: String,
    pub subject: String,
    /// patch, packaging or release.
    pub kind: &'static str,
    /// The upstream commit it carries.
    pub origin: Option<String>,
    /// The commit it was picked from, when not the upstream one (a stable backport).
    pub via: Option<String>,
    /// Paths resolved by hand when it was picked.
    pub conflicts: Vec<String>,
}

impl From<&[SeriesView]> for SeriesList {
    fn from(views: &[SeriesView]) -> SeriesList {
        SeriesList {
            series: views
                .iter()
                .map(|v| Series {
                    name: v.name.clone(),
                    patches: v
                        .patches
                        .iter()
                        .map(|p| SeriesPatch {
                            commit: id(&p.commit),
                            short: p.short.clone(),
                            subject: p.subject.clone(),
                            kind: match p.kind {
                                PatchKind::Patch => "patch",
                                PatchKind::Packaging => "packaging",
                                PatchKind::Release => "release",
                            },
                            origin: p.origin.as_ref().map(id),
                            via: p.via.as_ref().map(id),
                            conflicts: p.conflicts.clone(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
