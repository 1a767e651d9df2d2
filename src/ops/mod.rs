//! The operations. Every one that changes anything follows one pipeline: load and refuse early, plan in
//! memory, execute on objects, then one ref transaction (branch, state, operation log) and one work-tree
//! update; or, at a conflict, a stop the user finishes with `pq continue`, `pq skip` or `pq abort`.

pub mod adopt_place;
pub mod backport;
pub mod declined;
pub mod detached;
pub mod export;
pub mod import;
pub mod init;
pub mod preflight;
pub mod range_diff;
pub mod rebase;
pub mod redo;
pub mod release;
pub mod resume;
pub mod srpm;
pub mod status;
pub mod undo;
pub mod validate;

use std::path::Path;

use gix::bstr::{BString, ByteSlice};

use crate::engine::replay::{ReportLine, Run, Step};
use crate::error::{Error, Result};
use crate::git::{status::dirty_paths, worktree, MergeOutcome, Oid, Person, RefUpdate, Repo};
use crate::lock::Lock;
use crate::model::state::State;
use crate::model::store;
use crate::oplog;
use crate::sequencer::{self, Materialise, Stopped};

/// An opened repository with pq's view of the current branch.
pub struct Workspace {
    pub repo: Repo,
    /// Full ref name of the current branch (while stopped: the branch the operation works on).
    pub branch: String,
    /// The branch's commit.
    pub head: Oid,
    /// pq's state for the branch and the commit holding it.
    pub state: Option<(State, Oid)>,
    _lock: Option<Lock>,
}

impl Workspace {
    /// Open for reading: no lock, no refusals beyond "not a repository / no branch".
    pub fn open(dir: &Path) -> Result<Workspace> {
        let repo = Repo::discover(dir)?;
        let stopped = sequencer::load(repo.git_dir())?;
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
            _lock: None,
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
    pub fn open_for_resume(dir: &Path) -> Result<Workspace> {
        let mut ws = Workspace::open(dir)?;
        if ws.repo.is_bare() {
            return Err(Error::input("this is a bare repository").hint("run pq in a clone with a work tree"));
        }
        ws._lock = Some(Lock::acquire(&ws.repo.git_dir().join("pq"))?);
        Ok(ws)
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

/// What a finished operation changed.
pub struct Finished {
    pub new_head: Oid,
    pub files_changed: usize,
}

/// Commit an operation: write the new state, log the operation, move branch + state + log refs in one
/// transaction, then bring the work tree from `from_tree` to the new tip once.
#[allow(clippy::too_many_arguments)]
pub fn finish(
    repo: &mut Repo,
    command: &str,
    branch: &str,
    orig_head: Oid,
    orig_state: Option<Oid>,
    mut state: State,
    new_head: Oid,
    from_tree: Oid,
    extra: Vec<RefUpdate>,
    who: &Person,
) -> Result<Finished> {
    state.tip = new_head;
    let state_commit = store::write(repo, &state, orig_state, &format!("pq: {command}\n"), who)?;
    let mut updates = vec![
        RefUpdate {
            name: branch.to_string(),
            old: Some(orig_head),
            new: Some(new_head),
        },
        RefUpdate {
            name: store::state_ref(branch),
            old: orig_state,
            new: Some(state_commit),
        },
    ];
    updates.extend(extra);
    let op = oplog::Operation::new(
        command,
        who,
        Some(branch),
        updates
            .iter()
            .map(|u| oplog::RefChange {
                name: u.name.clone(),
                before: u.old,
                after: u.new,
            })
            .collect(),
    );
    let log_update = oplog::prepare(repo, &op, who)?;
    updates.push(log_update);
    repo.persist_objects()?;
    let to_tree = repo.commit_tree(new_head)?;
    let git_dir = repo.git_dir().to_path_buf();
    // The last point where an interrupt leaves everything as it was; from the journal on, the operation
    // completes.
    crate::interrupt::check()?;
    sequencer::save_journal(
        &git_dir,
        &Materialise {
            command: command.to_string(),
            branch: branch.to_string(),
            from_tree,
            to_tree,
            orig_head,
            new_head,
        },
    )?;
    repo.update_refs(&updates, &format!("pq: {command}"))?;
    finish_materialise(repo).map(|files_changed| Finished {
        new_head,
        files_changed,
    })
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

/// The shared tail of backport and rebase: refuse to overwrite uncommitted work, then either commit the run
/// (one transaction, one work-tree update) or stop at its conflict with the rest of `steps` still to do.
#[allow(clippy::too_many_arguments)]
pub fn conclude(
    ws: &mut Workspace,
    kind: &str,
    command: &str,
    state_commit: Oid,
    mut new_state: State,
    run: Run,
    steps: &[Step],
    halt: crate::engine::replay::Halt,
    dirty: &[BString],
    who: &Person,
) -> Result<Concluded> {
    let head_tree = ws.head_tree()?;
    let orig_head = ws.head;
    let branch = ws.branch.clone();
    match halt {
        crate::engine::replay::Halt::Done => {
            check_work_tree(&ws.repo, dirty, head_tree, run.tip_tree)?;
            new_state.patches = run.patches;
            let fin = finish(
                &mut ws.repo,
                command,
                &branch,
                orig_head,
                Some(state_commit),
                new_state,
                run.tip,
                head_tree,
                Vec::new(),
                who,
            )?;
            Ok(Concluded::Done(fin.new_head))
        }
        crate::engine::replay::Halt::Conflict {
            index,
            tree,
            paths,
            merge,
        } => {
            check_work_tree(&ws.repo, dirty, head_tree, tree)?;
            let info = stop(
                &mut ws.repo,
                kind,
                command,
                &branch,
                orig_head,
                Some(state_commit),
                head_tree,
                new_state,
                run,
                steps[index..].to_vec(),
                tree,
                paths,
                &merge,
            )?;
            Ok(Concluded::Stopped(info))
        }
    }
}

/// Where a stopped operation stands, for the CLI.
pub struct StopInfo {
    pub source: Oid,
    pub subject: String,
    pub series: String,
    pub paths: Vec<String>,
}

/// Stop at a conflict: keep the objects, record the sequencer state, detach HEAD at the last good commit,
/// and write the conflict (markers in the files, stages in the index) to the work tree.
#[allow(clippy::too_many_arguments)]
pub fn stop(
    repo: &mut Repo,
    kind: &str,
    command: &str,
    branch: &str,
    orig_head: Oid,
    orig_state: Option<Oid>,
    from_tree: Oid,
    mut state: State,
    run: Run,
    todo: Vec<Step>,
    conflict_tree: Oid,
    paths: Vec<BString>,
    merge: &MergeOutcome,
) -> Result<StopInfo> {
    crate::interrupt::check()?;
    repo.persist_objects()?;
    let git_dir = repo.git_dir().to_path_buf();
    let touched: Vec<String> = repo
        .diff_trees(Some(from_tree), Some(conflict_tree))?
        .into_iter()
        .map(|c| c.path.to_string())
        .collect();
    state.patches = run.patches;
    let step = todo[0].clone();
    let mut report = run.report;
    let mut l = crate::engine::replay::line(&step, crate::engine::replay::Outcome::Conflict, None);
    l.paths = paths.iter().map(|p| p.to_string()).collect();
    report.push(l);
    let stopped = Stopped {
        kind: kind.into(),
        command: command.into(),
        branch: branch.into(),
        orig_head,
        orig_state,
        tip: run.tip,
        state,
        todo,
        conflicts: paths.iter().map(|p| p.to_string()).collect(),
        touched,
        conflict_tree: Some(conflict_tree),
        report: report.clone(),
    };
    // Keep the user's index to put back on abort.
    let index_path = git_dir.join("index");
    let op_dir = sequencer::dir(&git_dir);
    std::fs::create_dir_all(&op_dir)?;
    // A later stop of the same operation (after `pq continue` or `pq skip`) keeps the index saved at the
    // first one: that is the index from before the operation, which abort must put back.
    if index_path.exists() && !op_dir.join("index.orig").exists() {
        std::fs::copy(&index_path, op_dir.join("index.orig"))?;
    }
    sequencer::save(&git_dir, &stopped)?;
    repo.set_head(
        None,
        run.tip,
        &format!("pq: {command} (stopped at {})", crate::git::short(&step.source)),
    )?;
    // The files git's own tools read: `git status` shows a cherry-pick in progress and `git commit` offers
    // the message.
    std::fs::write(git_dir.join("CHERRY_PICK_HEAD"), format!("{}\n", step.source))?;
    std::fs::write(git_dir.join("MERGE_MSG"), conflict_message(&step, &stopped.conflicts))?;
    worktree::checkout(repo, from_tree, conflict_tree, Some(merge))?;
    let who = repo.committer()?;
    crate::oplog::append_event(
        repo,
        branch,
        &format!("{command} (stopped at {})", crate::git::short(&step.source)),
        &who,
    )?;
    Ok(StopInfo {
        source: step.source,
        subject: step.subject,
        series: step.series,
        paths: stopped.conflicts,
    })
}

/// The message of a pick resolved by hand: the planned message with a `Conflicts:` section.
pub fn conflict_message(step: &Step, paths: &[String]) -> Vec<u8> {
    match &step.message_raw {
        Some(raw) => crate::model::provenance::edit_raw(raw, |m| crate::model::provenance::add_conflicts(m, paths)),
        None => crate::model::provenance::add_conflicts(&step.message, paths).into_bytes(),
    }
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
