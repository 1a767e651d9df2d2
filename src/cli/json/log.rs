//! `pq log`.

use serde::Serialize;

use super::{id, Report};
use crate::oplog::LogEntry;

/// `pq log`: the operations, newest first.
#[derive(Serialize)]
pub struct Log {
    pub operations: Vec<Operation>,
}
impl Report for Log {}

#[derive(Serialize)]
pub struct Operation {
    /// The log entry's id (what `pq undo --to` takes).
    pub id: String,
    /// The branch the operation changed (`null` for one that changed no branch).
    pub branch: Option<String>,
    pub command: String,
    /// Seconds since the epoch.
    pub time: i64,
    pub user: String,
    pub refs: Vec<RefMove>,
    /// The entry this one took back (`pq undo`, `pq abort`).
    pub undoes: Option<String>,
    /// The undo this one took back (`pq redo`).
    pub redoes: Option<String>,
}

/// A ref the operation moved; `null` where it did not exist.
#[derive(Serialize)]
pub struct RefMove {
    pub name: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl From<&[LogEntry]> for Log {
    fn from(log: &[LogEntry]) -> Log {
        Log {
            operations: log
                .iter()
                .map(|e| Operation {
                    id: id(&e.id),
                    branch: e.op.branch(),
                    command: e.op.command.clone(),
                    time: e.op.time,
                    user: e.op.user.clone(),
                    refs: e
                        .op
                        .refs
                        .iter()
                        .map(|r| RefMove {
                            name: r.name.clone(),
                            before: r.before.as_ref().map(id),
                            after: r.after.as_ref().map(id),
                        })
                        .collect(),
                    undoes: e.op.undoes.as_ref().map(id),
                    redoes: e.op.redoes.as_ref().map(id),
                })
                .collect(),
        }
    }
}
