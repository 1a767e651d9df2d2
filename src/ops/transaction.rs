//! The one way a command changes anything: a [`Transaction`] collects the new objects (kept in memory until
//! it ends), the new state, the refs to move and the operation-log entry, and ends in [`Transaction::commit`]
//! (journal, one ref transaction, one work-tree update) or [`Transaction::stop`] (the stopped-operation
//! state and the conflict in the work tree). Dropping it without ending it leaves no trace.

use gix::bstr::BString;

use crate::engine::replay::{line, Halt, Outcome, Run, Step};
use crate::error::Result;
use crate::git::{worktree, MergeOutcome, Oid, Person, RefUpdate, Repo};
use crate::model::state::State;
use crate::model::store;
use crate::oplog::{self, Operation, RefChange};
use crate::ops::run::Replay;
use crate::ops::{check_work_tree, finish_materialise, Concluded, Finished, StopInfo, Workspace};
use crate::sequencer::{self, Materialise, Stopped};

pub struct Transaction {
    /// The operation-log command (and reflog message after `pq: `).
    command: String,
    branch: String,
    /// The branch tip and the state commit before the operation.
    orig_head: Oid,
    orig_state: Option<Oid>,
    /// The tree the work tree shows now, to bring along from.
    from_tree: Oid,
    who: Person,
    /// The branch's new tip, when the transaction moves it.
    new_head: Option<Oid>,
    state: Option<State>,
    refs: Vec<RefUpdate>,
    /// Log entries this transaction takes back (`pq undo`): one log entry each.
    undoes: Vec<Oid>,
    /// The undo entry this transaction re-applies (`pq redo`).
    redoes: Option<Oid>,
    /// Written by `pq abort`: its log entries are not redone.
    aborts: bool,
}

/// A conflict to stop at: the run so far, the steps left (the stopped one first), and the conflict.
pub struct Stop {
    /// `backport` or `rebase`.
    pub kind: String,
    /// The state being built (its patches are replaced by the run's).
    pub state: State,
    pub run: Run,
    pub todo: Vec<Step>,
    pub conflict_tree: Oid,
    pub paths: Vec<BString>,
    pub merge: MergeOutcome,
}

impl Transaction {
    /// Start changing the workspace's branch; new objects stay in memory until the transaction ends.
    pub fn begin(ws: &mut Workspace, command: &str) -> Result<Transaction> {
        let from_tree = ws.head_tree()?;
        let (branch, head, state) = (ws.branch.clone(), ws.head, ws.state.as_ref().map(|(_, id)| *id));
        Transaction::start(ws, command.to_string(), branch, head, state, from_tree)
    }

    /// Carry on a stopped operation (`how`: `pq continue`, `pq skip`), whose work tree shows `current_tree`.
    pub fn resume(ws: &mut Workspace, stopped: &Stopped, how: &str, current_tree: Oid) -> Result<Transaction> {
        let command = stopped.command.clone();
        Ok(Transaction::start(
            ws,
            command,
            stopped.branch.clone(),
            stopped.orig_head,
            stopped.orig_state,
            current_tree,
        )?
        .finished_by(how))
    }

    fn start(
        ws: &mut Workspace,
        command: String,
        branch: String,
        orig_head: Oid,
        orig_state: Option<Oid>,
        from_tree: Oid,
    ) -> Result<Transaction> {
        ws.repo.enable_object_memory();
        Ok(Transaction {
            command,
            branch,
            orig_head,
            orig_state,
            from_tree,
            who: ws.repo.committer()?,
            new_head: None,
            state: None,
            refs: Vec::new(),
            undoes: Vec::new(),
            redoes: None,
            aborts: false,
        })
    }

    fn finished_by(mut self, how: &str) -> Self {
        self.command = format!("{} (finished by {how})", self.command);
        self
    }

    pub fn who(&self) -> &Person {
        &self.who
    }

    /// Move the branch to `new_head` (with the new state, if set, describing it).
    pub fn move_branch(&mut self, new_head: Oid) {
        self.new_head = Some(new_head);
    }

    /// Record `state` as the branch's new state.
    pub fn set_state(&mut self, state: State) {
        self.state = Some(state);
    }

    /// Move another ref in the same transaction (a release's tag, the resolutions' ref, undo's refs).
    pub fn update_ref(&mut self, update: RefUpdate) {
        self.refs.push(update);
    }

    /// Mark the log entries this transaction takes back.
    pub fn undoes(&mut self, entries: impl IntoIterator<Item = Oid>) {
        self.undoes.extend(entries);
    }

    /// Mark the undo entry this transaction re-applies.
    pub fn redoes(&mut self, entry: Oid) {
        self.redoes = Some(entry);
    }

    /// Mark the transaction as `pq abort` rolling back an interrupted operation: what it takes back is
    /// not redone.
    pub fn aborts(&mut self) {
        self.aborts = true;
    }

    /// Leave no trace: forget the objects written so far (a dry run, or nothing to do).
    pub fn discard(self, repo: &mut Repo) {
        repo.discard_objects();
    }

    /// The branch tip the work tree will show once the transaction is committed.
    fn target_head(&self) -> Oid {
        self.new_head
            .or_else(|| {
                self.refs
                    .iter()
                    .find(|u| u.name == self.branch)
                    .map(|u| u.new.unwrap_or(self.orig_head))
            })
            .unwrap_or(self.orig_head)
    }

    /// Write the objects and the state, journal what is about to happen, move every ref (with the log
    /// entry) in one ref transaction, then bring the work tree along once.
    pub fn commit(self, repo: &mut Repo) -> Result<Finished> {
        let (command, branch, from_tree, orig_head) = (
            self.command.clone(),
            self.branch.clone(),
            self.from_tree,
            self.orig_head,
        );
        let (updates, new_head) = self.prepare(repo)?;
        let to_tree = repo.commit_tree(new_head)?;
        // The last point where an interrupt leaves everything as it was; from the journal on, the operation
        // completes.
        crate::interrupt::hold_for_test(crate::interrupt::HoldPoint::BeforeCommit);
        crate::interrupt::check()?;
        sequencer::save_journal(
            repo.git_dir(),
            &Materialise {
                command: command.clone(),
                branch,
                from_tree,
                to_tree,
                orig_head,
                new_head,
                refs: updates.iter().map(RefChange::from).collect(),
            },
        )?;
        crate::interrupt::hold_for_test(crate::interrupt::HoldPoint::AfterJournal);
        repo.update_refs(&updates, &format!("pq: {command}"))?;
        let files_changed = finish_materialise(repo)?;
        Ok(Finished {
            new_head,
            files_changed,
        })
    }

    /// Like [`Transaction::commit`] for a transaction whose caller brings the work tree along itself
    /// (`pq abort` restoring paths): objects, state, refs and log entry, no journal.
    pub fn commit_refs(self, repo: &mut Repo) -> Result<Oid> {
        let command = self.command.clone();
        let (updates, new_head) = self.prepare(repo)?;
        repo.update_refs(&updates, &format!("pq: {command}"))?;
        Ok(new_head)
    }

    /// Every ref update of the transaction, the log's last, with the objects written; and the branch's
    /// new tip.
    fn prepare(self, repo: &mut Repo) -> Result<(Vec<RefUpdate>, Oid)> {
        let new_head = self.target_head();
        let mut updates = Vec::new();
        if let Some(head) = self.new_head {
            updates.push(RefUpdate {
                name: self.branch.clone(),
                old: Some(self.orig_head),
                new: Some(head),
            });
        }
        if let Some(mut state) = self.state {
            state.tip = new_head;
            let state_commit = store::write(
                repo,
                &state,
                self.orig_state,
                &format!("pq: {}\n", self.command),
                &self.who,
            )?;
            updates.push(RefUpdate {
                name: store::state_ref(&self.branch),
                old: self.orig_state,
                new: Some(state_commit),
            });
        }
        updates.extend(self.refs);
        let log = log_entries(
            repo,
            &self.command,
            &self.branch,
            &self.who,
            &updates,
            &self.undoes,
            self.redoes,
            self.aborts,
        )?;
        updates.push(log);
        repo.persist_objects()?;
        Ok((updates, new_head))
    }

    /// The end of every replay (see [`Replay::finish`]): refuse to overwrite uncommitted work (`dirty`
    /// against the tree the work tree shows), then commit the run or stop at its conflict with the rest of
    /// the steps still to do.
    pub fn conclude(
        mut self,
        repo: &mut Repo,
        kind: &str,
        mut new_state: State,
        replay: Replay,
        dirty: &[BString],
    ) -> Result<Concluded> {
        let Replay { run, steps, halt } = replay;
        match halt {
            Halt::Done => {
                check_work_tree(repo, dirty, self.from_tree, run.tip_tree)?;
                new_state.patches = run.patches;
                self.move_branch(run.tip);
                self.set_state(new_state);
                Ok(Concluded::Done(self.commit(repo)?.new_head))
            }
            Halt::Conflict {
                index,
                tree,
                paths,
                merge,
            } => {
                check_work_tree(repo, dirty, self.from_tree, tree)?;
                let info = self.stop(
                    repo,
                    Stop {
                        kind: kind.to_string(),
                        state: new_state,
                        run,
                        todo: steps[index..].to_vec(),
                        conflict_tree: tree,
                        paths,
                        merge,
                    },
                )?;
                Ok(Concluded::Stopped(info))
            }
        }
    }

    /// Stop at a conflict: keep the objects, record the stopped operation, detach HEAD at the last good
    /// commit, write the conflict (markers in the files, stages in the index), and log the stop (with any
    /// other ref update of the transaction, such as recorded resolutions).
    pub fn stop(self, repo: &mut Repo, stop: Stop) -> Result<StopInfo> {
        crate::interrupt::check()?;
        let Stop {
            kind,
            mut state,
            run,
            todo,
            conflict_tree,
            paths,
            merge,
        } = stop;
        // The command that started the operation, not "… (finished by pq continue)": it is not finished.
        let command = self
            .command
            .split(" (finished by ")
            .next()
            .unwrap_or(&self.command)
            .to_string();
        repo.persist_objects()?;
        let git_dir = repo.git_dir().to_path_buf();
        let touched: Vec<String> = repo
            .diff_trees(Some(self.from_tree), Some(conflict_tree))?
            .into_iter()
            .map(|c| c.path.to_string())
            .collect();
        state.patches = run.patches;
        let step = todo[0].clone();
        let mut report = run.report;
        let mut l = line(&step, Outcome::Conflict, None);
        l.paths = paths.iter().map(|p| p.to_string()).collect();
        report.push(l);
        let stopped = Stopped {
            kind,
            command: command.clone(),
            branch: self.branch.clone(),
            orig_head: self.orig_head,
            orig_state: self.orig_state,
            tip: run.tip,
            state,
            todo,
            conflicts: paths.iter().map(|p| p.to_string()).collect(),
            touched,
            conflict_tree: Some(conflict_tree),
            report,
        };
        // Keep the user's index to put back on abort. A later stop of the same operation (after `pq
        // continue` or `pq skip`) keeps the index saved at the first one: that is the index from before the
        // operation, which abort must put back.
        let index_path = git_dir.join("index");
        let op_dir = sequencer::dir(&git_dir);
        std::fs::create_dir_all(&op_dir)?;
        if index_path.exists() && !op_dir.join("index.orig").exists() {
            std::fs::copy(&index_path, op_dir.join("index.orig"))?;
        }
        sequencer::save(&git_dir, &stopped)?;
        sequencer::memo::save(&git_dir, repo)?;
        let short = crate::git::short(&step.source);
        repo.set_head(None, run.tip, &format!("pq: {command} (stopped at {short})"))?;
        // The files git's own tools read: `git status` shows a cherry-pick in progress and `git commit` offers
        // the message.
        std::fs::write(git_dir.join("CHERRY_PICK_HEAD"), format!("{}\n", step.source))?;
        std::fs::write(git_dir.join("MERGE_MSG"), step.conflict_message(&stopped.conflicts))?;
        worktree::checkout(repo, self.from_tree, conflict_tree, Some(&merge))?;
        let event = format!("{command} (stopped at {short})");
        let mut updates = self.refs;
        let log = log_entries(repo, &event, &self.branch, &self.who, &updates, &[], None, false)?;
        updates.push(log);
        repo.update_refs(&updates, &format!("pq: {event}"))?;
        // Here rather than by the caller: the repository and the stop are at hand, not to be opened and
        // read again.
        let prerequisites = crate::ops::prereqs::of_stopped(repo, &stopped)?;
        Ok(StopInfo {
            source: step.source,
            subject: step.subject,
            series: step.series,
            paths: stopped.conflicts,
            prerequisites,
        })
    }
}

/// The operation-log entries for `updates` on `branch` (objects only), and the update appending them to the
/// log: one entry (for a redo, naming the undo it re-applies), or for an undo one per entry it takes back
/// (the first carrying the ref changes); `aborts` marks them as written by `pq abort`.
#[allow(clippy::too_many_arguments)]
fn log_entries(
    repo: &Repo,
    command: &str,
    branch: &str,
    who: &Person,
    updates: &[RefUpdate],
    undoes: &[Oid],
    redoes: Option<Oid>,
    aborts: bool,
) -> Result<RefUpdate> {
    let mut op = Operation::new(
        command,
        who,
        Some(branch),
        updates.iter().map(RefChange::from).collect(),
    );
    op.redoes = redoes;
    op.aborts = aborts;
    let original = repo.ref_target(oplog::OPLOG_REF)?;
    let mut tip = original;
    if undoes.is_empty() {
        tip = oplog::prepare_after(repo, &op, who, tip)?.new;
    }
    for (i, id) in undoes.iter().enumerate() {
        let mut op = op.clone();
        op.undoes = Some(*id);
        if i > 0 {
            op.refs.clear();
        }
        tip = oplog::prepare_after(repo, &op, who, tip)?.new;
    }
    Ok(RefUpdate {
        name: oplog::OPLOG_REF.into(),
        old: original,
        new: tip,
    })
}
