//! The operation log: one entry per command that changed anything, with the before and after of every
//! ref it moved. It lives on `refs/pq/oplog` as a chain of commits (first parent: the previous entry); the
//! entry's extra parents are the commits its refs pointed to before and after, so `git gc` never prunes
//! what `pq undo` may need to bring back.

use gix::bstr::ByteSlice;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::git::{Entry, Oid, Person, RefUpdate, Repo};

pub const OPLOG_REF: &str = "refs/pq/oplog";
const OP_FILE: &str = "op.toml";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefChange {
    pub name: String,
    #[serde(default, with = "crate::git::id::hex_opt", skip_serializing_if = "Option::is_none")]
    pub before: Option<Oid>,
    #[serde(default, with = "crate::git::id::hex_opt", skip_serializing_if = "Option::is_none")]
    pub after: Option<Oid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// The command line, as typed.
    pub command: String,
    /// Seconds since the epoch.
    pub time: i64,
    pub user: String,
    pub refs: Vec<RefChange>,
    /// The previous entry of the log.
    #[serde(default, with = "crate::git::id::hex_opt", skip_serializing_if = "Option::is_none")]
    pub previous: Option<Oid>,
    /// The entry this one undid, for `pq undo`.
    #[serde(default, with = "crate::git::id::hex_opt", skip_serializing_if = "Option::is_none")]
    pub undoes: Option<Oid>,
    /// The branch (full ref name) the operation worked on; entries written before it was recorded name it
    /// through their refs (see [`Operation::branch`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The undo entry this one re-applied, for `pq redo`.
    #[serde(default, with = "crate::git::id::hex_opt", skip_serializing_if = "Option::is_none")]
    pub redoes: Option<Oid>,
    /// Written by `pq abort`: an undo entry rolling back an interrupted operation, or the event of a stopped
    /// one given up. What an abort took back is not redone (see [`Operation::is_abort`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub aborts: bool,
}

impl Operation {
    /// The record of `command` run by `who` on `branch`, moving `refs`: the one place a log entry is made.
    pub fn new(command: &str, who: &Person, branch: Option<&str>, refs: Vec<RefChange>) -> Operation {
        Operation {
            command: command.to_string(),
            time: who.time,
            user: format!("{} <{}>", who.name, who.email),
            refs,
            previous: None,
            undoes: None,
            branch: branch.map(str::to_string),
            redoes: None,
            aborts: false,
        }
    }

    /// Whether `pq abort` wrote this entry. Entries written before the flag existed are known by the
    /// command `pq abort` records (`pq abort`, or `pq abort (COMMAND)`).
    pub fn is_abort(&self) -> bool {
        self.aborts || self.command == "pq abort" || self.command.starts_with("pq abort (")
    }

    /// The branch the operation worked on: recorded, or else the branch (or pq state) ref it moved.
    pub fn branch(&self) -> Option<String> {
        if let Some(b) = &self.branch {
            return Some(b.clone());
        }
        let names = self.refs.iter().map(|r| r.name.as_str());
        names
            .clone()
            .find(|n| n.starts_with("refs/heads/"))
            .map(str::to_string)
            .or_else(|| {
                names
                    .clone()
                    .find_map(|n| n.strip_prefix("refs/pq/state/"))
                    .map(|b| format!("refs/heads/{b}"))
            })
    }

    /// An event that moved no ref of the user's (a stop, an abort): nothing to undo.
    pub fn is_event(&self) -> bool {
        self.refs.iter().all(|r| r.name == OPLOG_REF)
    }
}

impl From<&RefUpdate> for RefChange {
    fn from(u: &RefUpdate) -> Self {
        RefChange {
            name: u.name.clone(),
            before: u.old,
            after: u.new,
        }
    }
}

/// A recorded operation and the id of its log entry.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub id: Oid,
    pub op: Operation,
}

/// Write a log entry for `op` (objects only) and return the ref update that appends it to the log.
pub fn prepare(repo: &Repo, op: &Operation, who: &Person) -> Result<RefUpdate> {
    let previous = repo.ref_target(OPLOG_REF)?;
    prepare_after(repo, op, who, previous)
}

/// Like [`prepare`], appending after `previous` (to chain several entries before one ref update).
pub fn prepare_after(repo: &Repo, op: &Operation, who: &Person, previous: Option<Oid>) -> Result<RefUpdate> {
    let mut op = op.clone();
    op.previous = previous;
    let text = toml::to_string(&op).expect("operation serializes");
    let blob = repo.write_blob(text.as_bytes())?;
    let empty = Oid::empty_tree(gix::hash::Kind::Sha1);
    let tree = repo.edit_tree(
        empty,
        &[(
            OP_FILE.into(),
            Some(Entry {
                mode: 0o100644,
                id: blob,
            }),
        )],
    )?;
    let mut parents: Vec<Oid> = previous.into_iter().collect();
    for r in &op.refs {
        for oid in [r.before, r.after].into_iter().flatten() {
            // Only commits can be parents; tags and other objects are kept alive by their refs.
            if repo.commit(oid).is_ok() && !parents.contains(&oid) {
                parents.push(oid);
            }
        }
    }
    let message = format!("pq: {}\n", op.command);
    let commit = repo.write_commit(tree, &parents, who, who, message.as_bytes(), None)?;
    Ok(RefUpdate {
        name: OPLOG_REF.into(),
        old: previous,
        new: Some(commit),
    })
}

/// Log an event that moved no ref of the user's (a stop at a conflict, an abort), so `pq log` tells the
/// whole story; undo passes over such entries.
pub fn append_event(repo: &Repo, branch: &str, command: &str, who: &Person) -> Result<()> {
    append(repo, Operation::new(command, who, Some(branch), Vec::new()), who)
}

/// Log that `pq abort` gave up an operation without moving a log entry back (a stop given up, or an
/// interrupted operation whose own entry never landed): an event that also ends what `pq redo` can redo.
pub fn append_abort_event(repo: &Repo, branch: &str, command: &str, who: &Person) -> Result<()> {
    let mut op = Operation::new(command, who, Some(branch), Vec::new());
    op.aborts = true;
    append(repo, op, who)
}

fn append(repo: &Repo, op: Operation, who: &Person) -> Result<()> {
    let command = op.command.clone();
    let update = prepare(repo, &op, who)?;
    repo.update_refs(&[update], &format!("pq: {command}"))
}

/// The log, newest first (at most `limit` entries).
pub fn list(repo: &Repo, limit: usize) -> Result<Vec<LogEntry>> {
    let mut out = Vec::new();
    let mut next = repo.ref_target(OPLOG_REF)?;
    while let Some(id) = next {
        if out.len() >= limit {
            break;
        }
        let commit = repo.commit(id)?;
        let entry = repo.entry_at(commit.tree, OP_FILE.as_bytes())?.ok_or_else(|| {
            Error::corrupt(format!(
                "operation log entry {} has no {OP_FILE}",
                crate::git::short(&id)
            ))
            .hint(format!("inspect the log with `git log {OPLOG_REF}`"))
        })?;
        let bytes = repo.blob(entry.id)?;
        let op: Operation = toml::from_str(bytes.to_str().unwrap_or_default()).map_err(|e| {
            Error::corrupt(format!(
                "operation log entry {} is malformed: {}",
                crate::git::short(&id),
                e.message().split_whitespace().collect::<Vec<_>>().join(" ")
            ))
            .hint(format!("inspect it with `git show {id}:{OP_FILE}`"))
        })?;
        next = op.previous;
        out.push(LogEntry { id, op });
    }
    Ok(out)
}
