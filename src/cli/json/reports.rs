//! The reports of the commands that change the branch (and of export, range-diff and srpm).

use serde::Serialize;

use super::{Commit, Line, Report, Stopped};

/// `pq init`.
#[derive(Serialize)]
pub struct Init {
    pub branch: String,
    pub base: String,
    /// The series the branch's patches went into.
    pub series: String,
    pub patches: usize,
    pub packaging: usize,
    pub releases: usize,
    pub merges_linearised: usize,
    pub topics: Vec<Topic>,
}
impl Report for Init {}

/// A series made from a merged topic branch.
#[derive(Serialize)]
pub struct Topic {
    pub series: String,
    pub patches: usize,
}

/// `pq adopt`.
#[derive(Serialize)]
pub struct Adopted {
    pub kept: usize,
    pub added: usize,
    pub forgotten: usize,
    pub series: String,
    /// False when the branch already was as pq recorded it.
    pub changed: bool,
}
impl Report for Adopted {}

/// `pq backport`.
#[derive(Serialize)]
pub struct Backport {
    pub series: String,
    pub dry_run: bool,
    pub commits: Vec<Line>,
    pub stopped: Option<Stopped>,
    pub head: Option<String>,
    /// Upstream prerequisites picked first (`--with-prereqs`).
    pub prerequisites_added: Vec<Commit>,
}
impl Report for Backport {}

/// `pq rebase`.
#[derive(Serialize)]
pub struct Rebase {
    pub old_base: String,
    pub new_base: String,
    pub dry_run: bool,
    pub patches: Vec<Line>,
    pub stopped: Option<Stopped>,
    pub head: Option<String>,
}
impl Report for Rebase {}

/// `pq continue` and `pq skip`.
#[derive(Serialize)]
pub struct Resumed {
    /// The kind of operation resumed (backport, rebase, queue edit, …).
    pub operation: String,
    pub commits: Vec<Line>,
    pub stopped: Option<Stopped>,
    pub head: Option<String>,
}
impl Report for Resumed {}

/// `pq abort`.
#[derive(Serialize)]
pub struct Aborted {
    pub aborted: String,
    pub head: String,
}
impl Report for Aborted {}

/// `pq undo`.
#[derive(Serialize)]
pub struct Undone {
    /// The operations taken back: log id (abbreviated) and command.
    pub undone: Vec<String>,
    pub head: String,
}
impl Report for Undone {}

/// `pq redo`.
#[derive(Serialize)]
pub struct Redone {
    /// The undos taken back: log id (abbreviated) and command.
    pub redone: Vec<String>,
    pub head: String,
}
impl Report for Redone {}

/// `pq drop`, `pq move`, `pq reword`, `pq series new|rename|drop|order`.
#[derive(Serialize)]
pub struct QueueEdit {
    /// False when the queue already was as asked.
    pub changed: bool,
    /// The series in their new order.
    pub series: Vec<String>,
    pub patches: Vec<Line>,
    pub stopped: Option<Stopped>,
    pub head: Option<String>,
}
impl Report for QueueEdit {}

/// `pq edit`: stopped at the patch to edit.
#[derive(Serialize)]
pub struct EditStopped {
    pub stopped: Stopped,
    /// Patches above it, replayed by `pq continue`.
    pub above: usize,
}
impl Report for EditStopped {}

/// `pq import`.
#[derive(Serialize)]
pub struct Import {
    pub format: String,
    pub dry_run: bool,
    pub series: Vec<String>,
    /// One line per patch file, with its `file`.
    pub commits: Vec<Line>,
    pub notes: Vec<String>,
    pub stopped: Option<Stopped>,
    pub head: Option<String>,
}
impl Report for Import {}

/// `pq export`.
#[derive(Serialize)]
pub struct Export {
    pub format: String,
    /// The directory (or mbox file) written.
    pub output: String,
    /// Files written, relative to `output`.
    pub files: Vec<String>,
    pub patches: usize,
    /// Binary changes the format cannot carry.
    pub left_out: Vec<LeftOut>,
    /// The spec file whose Patch lines were updated (spec format).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
}
impl Report for Export {}

#[derive(Serialize)]
pub struct LeftOut {
    /// The patch file, relative to `output`.
    pub file: String,
    /// The path in the tree.
    pub path: String,
}

/// `pq fixes`.
#[derive(Serialize)]
pub struct Fixes {
    pub fixes: Vec<Fix>,
    /// Follow-ups an earlier backport declined: not in `fixes`, not picked again without `--retry`.
    pub declined: Vec<DeclinedFix>,
    /// With `--apply`: one backport per series, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<Vec<FixesApplied>>,
    /// With `--apply`: where the last backport stopped, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<Option<Stopped>>,
}
impl Report for Fixes {}

/// An upstream follow-up fix the branch lacks.
#[derive(Serialize)]
pub struct Fix {
    pub commit: String,
    pub subject: String,
    /// The commits it names that the branch ships.
    pub fixes: Vec<String>,
    /// The branch commit carrying the patch it fixes.
    pub carried_patch: Option<String>,
    /// It fixes a commit of the base.
    pub in_base: bool,
}

/// A follow-up an earlier backport declined.
#[derive(Serialize)]
pub struct DeclinedFix {
    pub commit: String,
    pub subject: String,
    /// Why it was declined (`skipped with pq skip`, or why the pick was empty).
    pub reason: String,
}

#[derive(Serialize)]
pub struct FixesApplied {
    pub series: String,
    pub commits: Vec<Line>,
    pub head: Option<String>,
}

/// `pq range-diff`.
#[derive(Serialize)]
pub struct RangeDiff {
    pub operation: String,
    pub pairs: Vec<RangeDiffPair>,
}
impl Report for RangeDiff {}

#[derive(Serialize)]
pub struct RangeDiffPair {
    pub old: String,
    pub new: Option<String>,
    pub subject: String,
    /// `=` same change, `!` changed, `<` dropped.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The difference between the two patches (only for `!`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub interdiff: String,
}

/// `pq release`.
#[derive(Serialize)]
pub struct Release {
    pub nvr: String,
    /// The package version (not this output's: that is `schema`).
    pub version: String,
    pub release: String,
    pub tag: String,
    pub changelog: String,
    pub debian_changelog: Option<String>,
    /// Files changed, relative to the work tree.
    pub files: Vec<String>,
    pub warnings: Vec<String>,
    pub commit: Option<String>,
    pub dry_run: bool,
    /// With `--sign`: whether the tag was signed.
    pub signed: Option<bool>,
    /// With `--srpm`: the source RPM written, or why not.
    pub srpm: Option<SrpmOutcome>,
}
impl Report for Release {}

#[derive(Serialize)]
#[serde(untagged)]
pub enum SrpmOutcome {
    Written(String),
    Failed {
        error: String,
        hint: Option<String>,
        hints: Vec<String>,
    },
}

/// `pq release` with nothing to release.
#[derive(Serialize)]
pub struct ReleaseUnchanged {
    pub nothing_changed: bool,
    /// The last release.
    pub previous: String,
    pub dry_run: bool,
}
impl Report for ReleaseUnchanged {}

/// `pq srpm`.
#[derive(Serialize)]
pub struct Srpm {
    pub srpm: String,
}
impl Report for Srpm {}
