//! What `--format json` prints: one serde type per command output, separate from the engine's types and
//! from what pq stores on disk, so that renaming a field inside pq changes neither what CI reads nor what
//! `pq continue` resumes. Every output is an object whose `"schema"` field says which version of its shape
//! it is (see book/src/json.md); adding a field keeps the number, changing or removing one bumps it.
//!
//! To add an output: a struct deriving `Serialize`, `impl Report for it {}` (or with its own `SCHEMA`),
//! and `out.print_json(&value)`; then a snapshot in `tests/json_output.rs`.

mod bump;
mod log;
mod reports;
mod status;

pub use bump::*;
pub use log::*;
pub use reports::*;
pub use status::*;

use serde::Serialize;

use crate::engine::replay::{Outcome, ReportLine};
use crate::git::Oid;
use crate::ops::StopInfo;

/// A JSON output of a command.
pub trait Report: Serialize {
    /// The version of this output's shape.
    const SCHEMA: u32 = 1;
}

/// `{"schema": N, ...the report's fields}`.
#[derive(Serialize)]
struct Versioned<'a, T: Report> {
    schema: u32,
    #[serde(flatten)]
    report: &'a T,
}

/// The report as printed: pretty JSON with its schema version first.
pub fn render<T: Report>(report: &T) -> String {
    serde_json::to_string_pretty(&Versioned {
        schema: T::SCHEMA,
        report,
    })
    .expect("JSON reports serialize")
}

/// A commit id, full hex.
pub fn id(oid: &Oid) -> String {
    oid.to_string()
}

/// One step of a backport, rebase, import or queue edit and what became of it.
#[derive(Serialize)]
pub struct Line {
    pub source: String,
    pub subject: String,
    pub series: String,
    /// applied, resolved, present, dropped, conflict, blocked, skipped, declined.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// The commit made for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    /// The upstream commit it carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The patch file it came from (`pq import`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// The word for an outcome in JSON (fixed here, whatever the engine calls it).
pub fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Applied => "applied",
        Outcome::Resolved => "resolved",
        Outcome::Present => "present",
        Outcome::Dropped => "dropped",
        Outcome::Conflict => "conflict",
        Outcome::Blocked => "blocked",
        Outcome::Skipped => "skipped",
        Outcome::Declined => "declined",
    }
}

impl From<&ReportLine> for Line {
    fn from(l: &ReportLine) -> Line {
        Line {
            source: id(&l.source),
            subject: l.subject.clone(),
            series: l.series.clone(),
            outcome: outcome(l.outcome),
            reason: l.reason.clone(),
            paths: l.paths.clone(),
            new: l.new.as_ref().map(id),
            origin: l.origin.as_ref().map(id),
            file: None,
        }
    }
}

pub fn lines(ls: &[ReportLine]) -> Vec<Line> {
    ls.iter().map(Line::from).collect()
}

/// Where an operation stopped for the user.
#[derive(Serialize)]
pub struct Stopped {
    /// The commit that did not apply (the patch to edit, for `pq edit`).
    pub commit: String,
    pub subject: String,
    pub series: String,
    pub conflicts: Vec<String>,
    /// Upstream commits the branch lacks that last changed the conflicting lines (backport, rebase,
    /// continue, skip, bump).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prerequisites: Option<Vec<Commit>>,
    /// The patch file (`pq import`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Stopped to let the user edit the patch (`pq edit`), not at a conflict.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub edit: bool,
}

impl From<&StopInfo> for Stopped {
    fn from(s: &StopInfo) -> Stopped {
        Stopped {
            commit: id(&s.source),
            subject: s.subject.clone(),
            series: s.series.clone(),
            conflicts: s.paths.clone(),
            prerequisites: None,
            file: None,
            edit: false,
        }
    }
}

pub fn stopped(s: Option<&StopInfo>) -> Option<Stopped> {
    s.map(Stopped::from)
}

/// A stop with the upstream prerequisites of its conflicting lines.
pub fn stopped_at(s: Option<&StopInfo>, prereqs: &[crate::ops::prereqs::Prerequisite]) -> Option<Stopped> {
    s.map(|s| Stopped {
        prerequisites: Some(prereqs.iter().map(Commit::from).collect()),
        ..Stopped::from(s)
    })
}

/// A commit named with its subject.
#[derive(Serialize)]
pub struct Commit {
    pub commit: String,
    pub subject: String,
}

impl From<&crate::ops::prereqs::Prerequisite> for Commit {
    fn from(p: &crate::ops::prereqs::Prerequisite) -> Commit {
        Commit {
            commit: id(&p.commit),
            subject: p.subject.clone(),
        }
    }
}

/// A failed command (printed on stdout as well as the `error:` line on stderr).
#[derive(Serialize)]
pub struct Failure {
    pub error: String,
    /// The first hint (kept for readers of the first version that had only one).
    pub hint: Option<String>,
    pub hints: Vec<String>,
    pub causes: Vec<String>,
    pub exit: i32,
}
impl Report for Failure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Sample {
        a: u8,
    }
    impl Report for Sample {
        const SCHEMA: u32 = 7;
    }

    #[test]
    fn the_schema_comes_first() {
        assert_eq!(render(&Sample { a: 1 }), "{\n  \"schema\": 7,\n  \"a\": 1\n}");
    }
}
