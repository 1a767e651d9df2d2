//! A sequence of picks onto a moving tip: the shared machinery of backport (new picks, then the series
//! above replayed) and rebase (every patch replayed). Objects only; refs and the work tree are the
//! caller's business.

use gix::bstr::BString;
use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use crate::engine::pick::{pick, pick_changes, Labels, PickOutcome};
use crate::engine::rerere::Rerere;
use crate::error::Result;
use crate::git::{MergeOutcome, Oid, Person, Repo, TreeChange};
use crate::model::state::{Patch, PatchKind};

/// A person as stored in a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub name: String,
    pub email: String,
    pub time: i64,
    pub offset: i32,
}

impl From<&Person> for Who {
    fn from(p: &Person) -> Self {
        Who {
            name: p.name.clone(),
            email: p.email.clone(),
            time: p.time,
            offset: p.offset,
        }
    }
}

impl From<&Who> for Person {
    fn from(p: &Who) -> Self {
        Person {
            name: p.name.clone(),
            email: p.email.clone(),
            time: p.time,
            offset: p.offset,
        }
    }
}

/// One commit to (re)create on top of the tip.
#[derive(Debug, Clone)]
pub struct Step {
    /// The commit whose change is applied.
    pub source: Oid,
    /// The parent its change is taken against; None for a root commit.
    pub parent: Option<Oid>,
    pub series: String,
    pub kind: PatchKind,
    pub origin: Option<Oid>,
    pub via: Option<Oid>,
    pub subject: String,
    /// The new commit's message (UTF-8); `message_raw` carries messages that are not.
    pub message: String,
    pub message_raw: Option<Vec<u8>>,
    pub encoding: Option<String>,
    pub author: Who,
    /// A new pick (backport) rather than a replayed patch.
    pub new: bool,
    /// Conflicts recorded when the patch was first resolved.
    pub conflicts: Vec<String>,
}

impl Step {
    /// The message of the pick resolved by hand: the planned message with a `Conflicts:` section.
    pub fn conflict_message(&self, paths: &[String]) -> Vec<u8> {
        use crate::model::provenance::{add_conflicts, edit_raw};
        match &self.message_raw {
            Some(raw) => edit_raw(raw, |m| add_conflicts(m, paths)),
            None => add_conflicts(&self.message, paths).into_bytes(),
        }
    }

    pub fn message_bytes(&self) -> Vec<u8> {
        self.message_raw
            .clone()
            .unwrap_or_else(|| self.message.clone().into_bytes())
    }
}

/// What happened to one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Applied cleanly (or would, in a dry run).
    Applied,
    /// Applied after the user resolved a conflict.
    Resolved,
    /// Not picked: the change is already there.
    Present,
    /// Not replayed: the new base contains it.
    Dropped,
    /// Did not apply.
    Conflict,
    /// Conflicts on paths an earlier conflicting pick touches: it depends on that one.
    Blocked,
    /// Skipped by the user (`pq skip`) or by choice (merge commits).
    Skipped,
    /// Not picked again: an earlier run of the backport declined it (see the state's `declined`).
    Declined,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportLine {
    #[serde(with = "crate::git::id::hex")]
    pub source: Oid,
    pub subject: String,
    pub series: String,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// The commit created for it.
    #[serde(default, with = "crate::git::id::hex_opt", skip_serializing_if = "Option::is_none")]
    pub new: Option<Oid>,
    #[serde(default, with = "crate::git::id::hex_opt", skip_serializing_if = "Option::is_none")]
    pub origin: Option<Oid>,
}

/// The chain being built.
pub struct Run {
    pub tip: Oid,
    pub tip_tree: Oid,
    pub patches: Vec<Patch>,
    pub report: Vec<ReportLine>,
}

/// Where execution ended.
pub enum Halt {
    Done,
    /// Stopped at `steps[index]`, which did not apply; `tree` has the conflict markers.
    Conflict {
        index: usize,
        tree: Oid,
        paths: Vec<BString>,
        merge: MergeOutcome,
    },
}

pub fn line(step: &Step, outcome: Outcome, reason: Option<String>) -> ReportLine {
    ReportLine {
        source: step.source,
        subject: step.subject.clone(),
        series: step.series.clone(),
        outcome,
        reason,
        paths: Vec::new(),
        new: None,
        origin: step.origin,
    }
}

/// Record a commit made for `step` in the run.
pub fn push_commit(run: &mut Run, step: &Step, commit: Oid, tree: Oid, outcome: Outcome, conflicts: Vec<String>) {
    run.tip = commit;
    run.tip_tree = tree;
    run.patches.push(Patch {
        commit,
        series: step.series.clone(),
        kind: step.kind,
        origin: step.origin,
        via: step.via,
        conflicts: conflicts.clone(),
    });
    let mut l = line(step, outcome, None);
    l.new = Some(commit);
    l.paths = conflicts;
    run.report.push(l);
}

/// Apply `steps` in order. A real run stops at the first conflict; a dry run notes it, leaves the change
/// out and carries on, marking later conflicts on the same paths as blocked by it.
#[allow(clippy::too_many_arguments)]
pub fn execute(
    repo: &Repo,
    run: &mut Run,
    steps: &[Step],
    committer: &Person,
    dry_run: bool,
    rerere: &Rerere,
    known_changes: &HashMap<Oid, Vec<TreeChange>>,
    mut progress: impl FnMut(usize),
) -> Result<Halt> {
    let empty = Oid::empty_tree(gix::hash::Kind::Sha1);
    let mut conflicted_paths: Vec<BString> = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        progress(index);
        crate::interrupt::check()?;
        let source = step.source;
        let source_tree = repo.commit_tree(source)?;
        let parent_tree = match &step.parent {
            Some(p) => repo.commit_tree(*p)?,
            None => empty,
        };
        let labels = Labels::for_commit(&crate::git::id::abbrev(&source, 7), &step.subject);
        // The planner may already have diffed the commit (to find it present); don't diff it again.
        let outcome = match known_changes.get(&source) {
            Some(changes) if run.tip_tree != parent_tree => {
                pick_changes(repo, run.tip_tree, parent_tree, source_tree, changes, &labels)?
            }
            _ => pick(repo, run.tip_tree, parent_tree, source_tree, &labels)?,
        };
        match outcome {
            PickOutcome::Clean { tree } => {
                if tree == run.tip_tree {
                    let (outcome, reason) = if step.new {
                        (
                            Outcome::Present,
                            "its change is already in the tree (the pick is empty)",
                        )
                    } else {
                        (
                            Outcome::Dropped,
                            "its change is already in the new base (the replay is empty)",
                        )
                    };
                    run.report.push(line(step, outcome, Some(reason.into())));
                    continue;
                }
                let commit = repo.write_commit(
                    tree,
                    &[run.tip],
                    &Person::from(&step.author),
                    committer,
                    &step.message_bytes(),
                    step.encoding.as_deref().map(|e| e.as_bytes().into()),
                )?;
                push_commit(run, step, commit, tree, Outcome::Applied, step.conflicts.clone());
            }
            PickOutcome::Conflict { tree, paths, merge } => {
                if let Some(resolved) = rerere.resolve(repo, tree, &paths)? {
                    let commit = repo.write_commit(
                        resolved,
                        &[run.tip],
                        &Person::from(&step.author),
                        committer,
                        // A replayed patch already carries its `Conflicts:` section from the first time.
                        &if step.new {
                            step.conflict_message(&paths.iter().map(|p| p.to_string()).collect::<Vec<_>>())
                        } else {
                            step.message_bytes()
                        },
                        step.encoding.as_deref().map(|e| e.as_bytes().into()),
                    )?;
                    let conflicts = paths.iter().map(|p| p.to_string()).collect();
                    push_commit(run, step, commit, resolved, Outcome::Resolved, conflicts);
                    if let Some(l) = run.report.last_mut() {
                        l.reason = Some("conflict resolved with a recorded resolution".into());
                    }
                    continue;
                }
                if !dry_run {
                    return Ok(Halt::Conflict {
                        index,
                        tree,
                        paths,
                        merge,
                    });
                }
                let blocked = paths.iter().any(|p| conflicted_paths.contains(p));
                let mut l = line(
                    step,
                    if blocked { Outcome::Blocked } else { Outcome::Conflict },
                    blocked.then(|| "depends on an earlier conflicting pick".to_string()),
                );
                l.paths = paths.iter().map(|p| p.to_string()).collect();
                run.report.push(l);
                conflicted_paths.extend(paths);
            }
        }
    }
    Ok(Halt::Done)
}
