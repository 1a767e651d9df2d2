//! The stop file's own types (`.git/pq/op/state.json`, `"schema": 1`; earlier versions wrote the same
//! fields as `state.toml`): what a stopped operation needs to be resumed, written and read independently of the engine's in-memory `Step` and `ReportLine`, so renaming
//! an engine field cannot break resuming an operation stopped by an earlier pq. A file without `schema` is
//! read as schema 1 (pq wrote none before); a newer one is refused.

use serde::{Deserialize, Serialize};

use crate::engine::replay::{Outcome, ReportLine, Step, Who};
use crate::git::Oid;
use crate::model::state::{PatchKind, State};

use super::Stopped;

/// The schema of the stop file this pq writes.
pub const SCHEMA: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StopFile {
    #[serde(default = "schema_1")]
    pub schema: u32,
    pub kind: String,
    pub command: String,
    pub branch: String,
    #[serde(with = "crate::git::id::hex")]
    pub orig_head: Oid,
    #[serde(default, with = "crate::git::id::hex_opt", skip_serializing_if = "Option::is_none")]
    pub orig_state: Option<Oid>,
    #[serde(with = "crate::git::id::hex")]
    pub tip: Oid,
    pub state: State,
    pub todo: Vec<StepRecord>,
    pub conflicts: Vec<String>,
    pub touched: Vec<String>,
    #[serde(default, with = "crate::git::id::hex_opt", skip_serializing_if = "Option::is_none")]
    pub conflict_tree: Option<Oid>,
    #[serde(default)]
    pub report: Vec<ReportRecord>,
}

fn schema_1() -> u32 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonRecord {
    pub name: String,
    pub email: String,
    pub time: i64,
    pub offset: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRecord {
    #[serde(with = "crate::git::id::hex")]
    pub source: Oid,
    #[serde(default, with = "crate::git::id::hex_opt", skip_serializing_if = "Option::is_none")]
    pub parent: Option<Oid>,
    pub series: String,
    #[serde(default)]
    pub kind: PatchKind,
    #[serde(default, with = "crate::git::id::hex_opt", skip_serializing_if = "Option::is_none")]
    pub origin: Option<Oid>,
    #[serde(default, with = "crate::git::id::hex_opt", skip_serializing_if = "Option::is_none")]
    pub via: Option<Oid>,
    pub subject: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_raw: Option<Vec<u8>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    pub author: PersonRecord,
    #[serde(default)]
    pub new: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportRecord {
    #[serde(with = "crate::git::id::hex")]
    pub source: Oid,
    pub subject: String,
    pub series: String,
    /// `applied`, `resolved`, `present`, `dropped`, `conflict`, `blocked`, `skipped`.
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    #[serde(default, with = "crate::git::id::hex_opt", skip_serializing_if = "Option::is_none")]
    pub new: Option<Oid>,
    #[serde(default, with = "crate::git::id::hex_opt", skip_serializing_if = "Option::is_none")]
    pub origin: Option<Oid>,
}

const OUTCOMES: [(Outcome, &str); 7] = [
    (Outcome::Applied, "applied"),
    (Outcome::Resolved, "resolved"),
    (Outcome::Present, "present"),
    (Outcome::Dropped, "dropped"),
    (Outcome::Conflict, "conflict"),
    (Outcome::Blocked, "blocked"),
    (Outcome::Skipped, "skipped"),
];

impl From<&Step> for StepRecord {
    fn from(s: &Step) -> Self {
        StepRecord {
            source: s.source,
            parent: s.parent,
            series: s.series.clone(),
            kind: s.kind,
            origin: s.origin,
            via: s.via,
            subject: s.subject.clone(),
            message: s.message.clone(),
            message_raw: s.message_raw.clone(),
            encoding: s.encoding.clone(),
            author: PersonRecord {
                name: s.author.name.clone(),
                email: s.author.email.clone(),
                time: s.author.time,
                offset: s.author.offset,
            },
            new: s.new,
            conflicts: s.conflicts.clone(),
        }
    }
}

impl From<StepRecord> for Step {
    fn from(r: StepRecord) -> Self {
        Step {
            source: r.source,
            parent: r.parent,
            series: r.series,
            kind: r.kind,
            origin: r.origin,
            via: r.via,
            subject: r.subject,
            message: r.message,
            message_raw: r.message_raw,
            encoding: r.encoding,
            author: Who {
                name: r.author.name,
                email: r.author.email,
                time: r.author.time,
                offset: r.author.offset,
            },
            new: r.new,
            conflicts: r.conflicts,
        }
    }
}

impl From<&ReportLine> for ReportRecord {
    fn from(l: &ReportLine) -> Self {
        let outcome = OUTCOMES.iter().find(|(o, _)| *o == l.outcome).map_or("", |(_, w)| *w);
        ReportRecord {
            source: l.source,
            subject: l.subject.clone(),
            series: l.series.clone(),
            outcome: outcome.to_string(),
            reason: l.reason.clone(),
            paths: l.paths.clone(),
            new: l.new,
            origin: l.origin,
        }
    }
}

impl TryFrom<ReportRecord> for ReportLine {
    type Error = String;
    fn try_from(r: ReportRecord) -> Result<Self, String> {
        let outcome = OUTCOMES
            .iter()
            .find(|(_, w)| *w == r.outcome)
            .map(|(o, _)| *o)
            .ok_or_else(|| format!("unknown outcome {:?}", r.outcome))?;
        Ok(ReportLine {
            source: r.source,
            subject: r.subject,
            series: r.series,
            outcome,
            reason: r.reason,
            paths: r.paths,
            new: r.new,
            origin: r.origin,
        })
    }
}

impl From<&Stopped> for StopFile {
    fn from(s: &Stopped) -> Self {
        StopFile {
            schema: SCHEMA,
            kind: s.kind.clone(),
            command: s.command.clone(),
            branch: s.branch.clone(),
            orig_head: s.orig_head,
            orig_state: s.orig_state,
            tip: s.tip,
            state: s.state.clone(),
            todo: s.todo.iter().map(StepRecord::from).collect(),
            conflicts: s.conflicts.clone(),
            touched: s.touched.clone(),
            conflict_tree: s.conflict_tree,
            report: s.report.iter().map(ReportRecord::from).collect(),
        }
    }
}

impl TryFrom<StopFile> for Stopped {
    type Error = String;
    fn try_from(f: StopFile) -> Result<Self, String> {
        if f.schema > SCHEMA {
            return Err(format!(
                "it has schema {}, newer than this pq understands ({SCHEMA}); finish it with the pq that stopped it",
                f.schema
            ));
        }
        Ok(Stopped {
            kind: f.kind,
            command: f.command,
            branch: f.branch,
            orig_head: f.orig_head,
            orig_state: f.orig_state,
            tip: f.tip,
            state: f.state,
            todo: f.todo.into_iter().map(Step::from).collect(),
            conflicts: f.conflicts,
            touched: f.touched,
            conflict_tree: f.conflict_tree,
            report: f
                .report
                .into_iter()
                .map(ReportLine::try_from)
                .collect::<Result<_, _>>()?,
        })
    }
}
