//! The operations. Every one that changes anything follows one pipeline: load and refuse early, plan in
//! memory, execute on objects, then one ref transaction (branch, state, operation log) and one work-tree
//! update; or, at a conflict, a stop the user finishes with `pq continue`, `pq skip` or `pq abort`.

pub mod adopt_place;
pub mod backport;
pub mod declined;
pub mod detached;
pub mod drop;
pub mod edit;
pub mod export;
pub mod fixes;
pub mod import;
pub mod init;
pub mod move_;
pub mod preflight;
pub mod prereqs;
pub mod queue;
pub mod range_diff;
pub mod rebase;
pub mod redo;
pub mod release;
pub mod resume;
pub mod reword;
pub mod series_edit;
pub mod srpm;
pub mod status;
pub mod transaction;
pub mod undo;
pub mod validate;

pub mod bump;
pub mod run;

use std::path::Path;

use gix::bstr::{BString, ByteSlice};

use crate::engine::replay::ReportLine;
use crate::error::{Error, Result};
use crate::git::{status::dirty_paths, worktree, Oid, Repo};
use crate::lock::Lock;
use crate::model::state::State;
use crate::model::store;
use crate::sequencer;

/// An opened repository with pq's view of the current branch.
pub struct Workspace {
    pub repo: Repo,
    /// Full ref name of the current branch (while stopped: the branch the operation works on).
    pub branch: String,
    /// The branch's commit.
    pub head: Oid,
    /// pq's state for the branch and the commit holding it.
    pub state: Option<(State, Oid)>,
    /// The stopped operation, as read once when the workspace was opened (under the lock when one is taken).
    pub stopped: Option<sequencer::Stopped>,
    _lock: Option<Lock>,
}

impl Workspace {
    /// Open for reading: no lock, no refusals beyond "not a repository / no branch".
    pub fn open(dir: &Path) -> Result<Workspace> {
        let repo = Repo::discover(dir)?;
        let stopped = sequencer::load(repo.git_dir())?;
        Workspace::with_stop(repo, stopped, None)
    }

    fn with_stop(repo: Repo, stopped: Option<sequencer::Stopped>, lock: Option<Lock>) -> Result<Workspace> {
        let branch = match (repo.head_branch()?, &stopped) {
            (_, Some(s)) => s.branch.clone(),
            (Some(b), None) => b,
            (None, None) => {
                let hint = match detached::branch_to_suggest(&repo) {
                    Some(b) => format!("check out the branch first: `git switch {b}`"),
                    None => "check out a branch first: `git switch BRANCH`".to_string(),
                };
                return Err(Error::input("HEAD is detached: pq works on a branch").hint(hint));
            }
        };
        let head = repo.ref_target(&branch)?.ok_or_else(|| {
            Error::input(format!("branch {} has no commits yet", short_branch(&branch))).hint("commit something first")
        })?;
        let state = store::load(&repo, &branch)?;
        Ok(Workspace {
            repo,
            branch,
            head,
            state,
            stopped,
            _lock: lock,
        })
    }

    /// Open for a change: take the lock and refuse when git or pq is in the middle of something.
    pub fn open_for_change(dir: &Path) -> Result<Workspace> {
        let mut ws = Workspace::open(dir)?;
        ws.refuse_unsafe_repo()?;
        ws._lock = Some(Lock::acquire(&ws.repo.git_dir().join("pq"))?);
        if sequencer::load(ws.repo.git_dir())?.is_some() {
            return Err(Error::state("a pq operation is stopped at a conflict")
                .hint("finish it with `pq continue`, skip the patch with `pq skip`, or undo it with `pq abort`"));
        }
        if sequencer::load_journal(ws.repo.git_dir())?.is_some() {
            return Err(
                Error::state("a pq operation was interrupted before it updated the work tree")
                    .hint("finish it with `pq continue` or roll it back with `pq abort`"),
            );
        }
        Ok(ws)
    }

    /// Open for a command that changes things, or only reads them in a dry run.
    pub fn open_for(dir: &Path, dry_run: bool) -> Result<Workspace> {
        if dry_run {
            Workspace::open(dir)
        } else {
            Workspace::open_for_change(dir)
        }
    }

    /// Open to resume or abort a stopped operation: lock, but no refusal for the stop itself.
    /// The stop file is read once, under the lock.
    pub fn open_for_resume(dir: &Path) -> Result<Workspace> {
        let repo = Repo::discover(dir)?;
        if repo.is_bare() {
            return Err(Error::input("this is a bare repository").hint("run pq in a clone with a work tree"));
        }
        let lock = Lock::acquire(&repo.git_dir().join("pq"))?;
        let stopped = sequencer::load(repo.git_dir())?;
        Workspace::with_stop(repo, stopped, Some(lock))
    }

    fn refuse_unsafe_repo(&self) -> Result<()> {
        if self.repo.is_bare() {
            return Err(Error::input("this is a bare repository").hint("run pq in a clone with a work tree"));
        }
        if let Some(op) = self.repo.git_operation_in_progress() {
            if sequencer::load(self.repo.git_dir())?.is_none() {
                return Err(
                    Error::state(format!("a {op} is in progress in this repository")).hint(format!(
                        "finish or abort it first (`{op} --continue` or `{op} --abort`)"
                    )),
                );
            }
        }
        Ok(())
    }

    /// The state, which must exist and agree with the branch.
    pub fn require_state(&self) -> Result<(&State, Oid)> {
        let (state, id) = self.state.as_ref().ok_or_else(|| {
            Error::input(format!("branch {} is not managed by pq", short_branch(&self.branch)))
                .hint("adopt it with `pq init --base REV` (REV: the upstream tag or branch it is built on)")
        })?;
        if state.tip != self.head {
            return Err(Error::state(format!(
                "branch {} moved outside pq: pq recorded {}, the branch is at {}",
                short_branch(&self.branch),
                crate::git::short(&state.tip),
                crate::git::short(&self.head)
            ))
            .hint(format!(
                "re-adopt the branch with `pq adopt` (keeps known patches' series), or restore it with `git reset --hard {}`",
                crate::git::short(&state.tip)
            )));
        }
        Ok((state, *id))
    }

    pub fn head_tree(&self) -> Result<Oid> {
        self.repo.commit_tree(self.head)
    }

    /// Paths with uncommitted changes.
    pub fn dirty(&self) -> Result<Vec<BString>> {
        dirty_paths(&self.repo, Some(self.head_tree()?))
    }
}

pub fn short_branch(b: &str) -> &str {
    b.strip_prefix("refs/heads/").unwrap_or(b)
}

/// Refuse when bringing the work tree from `from` to `to` would overwrite uncommitted work or an untracked
/// file. Nothing has been written when this fails.
pub fn check_work_tree(repo: &Repo, dirty: &[BString], from: Oid, to: Oid) -> Result<()> {
    let changes = repo.diff_trees(Some(from), Some(to))?;
    let clash: Vec<&BString> = changes.iter().map(|c| &c.path).filter(|p| dirty.contains(p)).collect();
    if let Some(first) = clash.first() {
        let more = if clash.len() > 1 {
            format!(" (and {} more)", clash.len() - 1)
        } else {
            String::new()
        };
        return Err(Error::input(format!(
            "your uncommitted changes to {first}{more} would be overwritten"
        ))
        .hint("commit or stash them (`git stash`), then run the command again"));
    }
    let untracked = worktree::untracked_in_the_way(repo, &changes)?;
    if let Some(first) = untracked.first() {
        return Err(Error::input(format!("untracked file {first} would be overwritten"))
            .hint("move or remove it, then run the command again"));
    }
    Ok(())
}

pub use transaction::Transaction;

/// What a finished operation changed.
pub struct Finished {
    pub new_head: Oid,
    pub files_changed: usize,
}

/// Complete the work-tree half of an operation whose refs have moved (also after a crash).
pub fn finish_materialise(repo: &Repo) -> Result<usize> {
    let git_dir = repo.git_dir().to_path_buf();
    let Some(j) = sequencer::load_journal(&git_dir)? else {
        return Ok(0);
    };
    let new_head = j.new_head;
    if repo.head_branch()?.as_deref() != Some(j.branch.as_str()) {
        repo.set_head(Some(&j.branch), new_head, &format!("pq: {}", j.command))?;
    }
    let n = worktree::checkout(repo, j.from_tree, j.to_tree, None)?;
    sequencer::clear(&git_dir)?;
    sequencer::clear_journal(&git_dir)?;
    Ok(n)
}

/// How an executed plan ended: committed (the new branch tip), or stopped at a conflict.
pub enum Concluded {
    Done(Oid),
    Stopped(StopInfo),
}

/// Where a stopped operation stands, for the CLI.
pub struct StopInfo {
    pub source: Oid,
    pub subject: String,
    pub series: String,
    pub paths: Vec<String>,
    /// What the stopped pick needs first ([`prereqs::of_stopped`]), computed while the stop is in memory.
    pub prerequisites: Vec<prereqs::Prerequisite>,
}

/// Summaries shared by backport and rebase reports.
pub fn count(report: &[ReportLine], outcome: crate::engine::replay::Outcome) -> usize {
    report.iter().filter(|l| l.outcome == outcome).count()
}

/// The message of a commit, for a step (UTF-8 or raw).
pub fn message_fields(message: &BString) -> (String, Option<Vec<u8>>) {
    match message.to_str() {
        Ok(s) => (s.to_string(), None),
        Err(_) => (message.to_str_lossy().into_owned(), Some(message.to_vec())),
    }
}
