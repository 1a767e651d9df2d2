//! A stopped operation (a backport or rebase waiting at a conflict), kept in `.git/pq/op/` like git's
//! sequencer: what was done, what is left, and everything needed to put the repository back as it was.
//! The file is written atomically, so a half-written state is never read.

use serde::{Deserialize, Serialize};

pub mod commit_memo;
pub mod line_origins;
pub mod memo;
pub mod prereq_memo;
pub mod record;

use crate::engine::replay::Step;
use crate::error::{Error, Result};
use crate::git::Oid;
use crate::lock::write_atomic;
use crate::model::state::State;

/// A stopped operation in memory; on disk it is a [`record::StopFile`].
#[derive(Debug, Clone)]
pub struct Stopped {
    /// `backport` or `rebase`.
    pub kind: String,
    /// The command line that started it.
    pub command: String,
    pub branch: String,
    /// The branch tip before the operation.
    pub orig_head: Oid,
    /// The state commit before the operation, if the branch was initialised.
    pub orig_state: Option<Oid>,
    /// The last commit of the new chain (HEAD is detached here while stopped).
    pub tip: Oid,
    /// The state being built: its patches are those done so far.
    pub state: State,
    /// The stopped step first, then the rest.
    pub todo: Vec<Step>,
    /// The conflicted paths of the stopped step.
    pub conflicts: Vec<String>,
    /// Paths the stop wrote to the work tree (restored by abort).
    pub touched: Vec<String>,
    /// The tree with the conflict markers, to record the user's resolution against.
    pub conflict_tree: Option<Oid>,
    /// What happened to each step so far, for the final report.
    pub report: Vec<crate::engine::replay::ReportLine>,
}

pub fn dir(git_dir: &std::path::Path) -> std::path::PathBuf {
    git_dir.join("pq").join("op")
}

/// The stop file. JSON, read and written several times per command of a long backport: TOML took a
/// sixth of a `pq skip` on a 140 KB file.
pub const STOP_FILE: &str = "state.json";
/// The stop file earlier versions of pq wrote (TOML), still read: an operation one of them stopped can be
/// resumed.
const OLD_STOP_FILE: &str = "state.toml";

pub fn load(git_dir: &std::path::Path) -> Result<Option<Stopped>> {
    for name in [STOP_FILE, OLD_STOP_FILE] {
        match std::fs::read_to_string(dir(git_dir).join(name)) {
            Ok(text) => return parse(&text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(None)
}

/// A stop file's text (JSON, or the TOML an earlier pq wrote), validated: the stopped operation, or a
/// corrupt-data error naming the file.
pub fn parse(text: &str) -> Result<Stopped> {
    let unreadable = |why: &str| {
        Error::corrupt(format!(
            "the stopped operation's state (.git/pq/op/{STOP_FILE}) is unreadable: {}",
            one_line(why)
        ))
        .hint("remove .git/pq/op and restore the branch with `pq undo` or plain git")
    };
    let file: record::StopFile = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| unreadable(&e.to_string()))?
    } else {
        toml::from_str(text).map_err(|e| unreadable(e.message()))?
    };
    let s = Stopped::try_from(file).map_err(|e| unreadable(&e))?;
    if !matches!(
        s.kind.as_str(),
        "backport" | "rebase" | "import" | "queue edit" | "edit"
    ) {
        return Err(unreadable(&format!("unknown operation {:?}", s.kind)));
    }
    if s.todo.is_empty() {
        return Err(unreadable("no stopped step"));
    }
    s.state.validate().map_err(|e| unreadable(&e.message))?;
    Ok(s)
}

pub fn save(git_dir: &std::path::Path, s: &Stopped) -> Result<()> {
    let d = dir(git_dir);
    std::fs::create_dir_all(&d)?;
    let file = record::StopFile::from(s);
    let mut text = serde_json::to_vec_pretty(&file).expect("serializes");
    text.push(b'\n');
    write_atomic(&d.join(STOP_FILE), &text)?;
    // Written by an earlier pq: the new file replaces it.
    match std::fs::remove_file(d.join(OLD_STOP_FILE)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

pub fn clear(git_dir: &std::path::Path) -> Result<()> {
    let d = dir(git_dir);
    if d.exists() {
        std::fs::remove_dir_all(&d)?;
    }
    for f in ["CHERRY_PICK_HEAD", "MERGE_MSG"] {
        let _ = std::fs::remove_file(git_dir.join(f));
    }
    Ok(())
}

/// Journal of a finishing operation: refs moved, the work tree not yet brought along. A crash in between
/// leaves this file, and `pq continue` (or `pq abort`) completes (or reverts) the step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Materialise {
    pub command: String,
    pub branch: String,
    #[serde(with = "crate::git::id::hex")]
    pub from_tree: Oid,
    #[serde(with = "crate::git::id::hex")]
    pub to_tree: Oid,
    /// The commit the branch held before, for abort.
    #[serde(with = "crate::git::id::hex")]
    pub orig_head: Oid,
    #[serde(with = "crate::git::id::hex")]
    pub new_head: Oid,
    /// Every ref the transaction moves (the log included), for abort to move back.
    #[serde(default)]
    pub refs: Vec<crate::oplog::RefChange>,
}

pub fn journal_path(git_dir: &std::path::Path) -> std::path::PathBuf {
    git_dir.join("pq").join("materialise.toml")
}

pub fn load_journal(git_dir: &std::path::Path) -> Result<Option<Materialise>> {
    let text = match std::fs::read_to_string(journal_path(git_dir)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let j = toml::from_str(&text).map_err(|e| {
        Error::corrupt(format!(
            "the operation journal (.git/pq/materialise.toml) is unreadable: {}",
            one_line(e.message())
        ))
        .hint("check the branch with `git log`, then remove .git/pq/materialise.toml")
    })?;
    Ok(Some(j))
}

pub fn save_journal(git_dir: &std::path::Path, m: &Materialise) -> Result<()> {
    std::fs::create_dir_all(git_dir.join("pq"))?;
    write_atomic(
        &journal_path(git_dir),
        toml::to_string(m).expect("serializes").as_bytes(),
    )
}

pub fn clear_journal(git_dir: &std::path::Path) -> Result<()> {
    let _ = std::fs::remove_file(journal_path(git_dir));
    Ok(())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
