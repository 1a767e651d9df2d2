//! `pq edit PATCH`: stop with HEAD detached at the patch, like `git rebase -i`'s `edit`, so the user can
//! amend it (or split it) with plain git. `pq continue` takes whatever HEAD then holds on top of the
//! patch's parent as the patch and replays the rest of the stack; `pq abort` puts everything back.

use crate::engine::replay::{push_commit, Outcome};
use crate::error::{Error, Result};
use crate::git::short;
use crate::git::{worktree, Oid};
use crate::ops::backport::replay_step;
use crate::ops::queue::{open, resolve_patch};
use crate::ops::resume::{carry_on, ResumeReport};
use crate::ops::{check_work_tree, Workspace};
use crate::sequencer::{self, Stopped};

/// The kind recorded for an edit stop.
pub const KIND: &str = "edit";

/// Where `pq edit` stopped.
pub struct EditStop {
    pub commit: crate::git::Oid,
    pub subject: String,
    pub series: String,
    /// Patches above it, replayed by `pq continue`.
    pub above: usize,
}

/// Is this stopped operation waiting for the user to edit a patch (rather than at a conflict)?
pub fn is_edit_stop(s: &Stopped) -> bool {
    s.kind == KIND && s.conflicts.is_empty() && s.conflict_tree.is_none()
}

pub fn edit(dir: &std::path::Path, spec: &str, command: &str) -> Result<EditStop> {
    let (ws, state, state_commit) = open(dir)?;
    let at = resolve_patch(&ws.repo, &state, spec)?;
    let target = state.patches[at].commit;
    let head_tree = ws.head_tree()?;
    let target_tree = ws.repo.commit_tree(target)?;
    let dirty = ws.dirty()?;
    check_work_tree(&ws.repo, &dirty, head_tree, target_tree)?;
    let mut todo = Vec::with_capacity(state.patches.len() - at);
    for p in &state.patches[at..] {
        todo.push(replay_step(&ws.repo, p)?);
    }
    let touched = ws
        .repo
        .diff_trees(Some(head_tree), Some(target_tree))?
        .into_iter()
        .map(|c| c.path.to_string())
        .collect();
    let mut done = state.clone();
    done.patches.truncate(at);
    let step = todo[0].clone();
    let stopped = Stopped {
        kind: KIND.into(),
        command: command.into(),
        branch: ws.branch.clone(),
        orig_head: ws.head,
        orig_state: Some(state_commit),
        tip: step.source,
        state: done,
        todo,
        conflicts: Vec::new(),
        touched,
        conflict_tree: None,
        report: Vec::new(),
    };
    let git_dir = ws.repo.git_dir().to_path_buf();
    let op_dir = sequencer::dir(&git_dir);
    std::fs::create_dir_all(&op_dir)?;
    // The index as it was, for `pq abort` to put back (it holds any change the user had staged).
    let index_path = git_dir.join("index");
    if index_path.exists() {
        std::fs::copy(&index_path, op_dir.join("index.orig"))?;
    }
    sequencer::save(&git_dir, &stopped)?;
    ws.repo.set_head(
        None,
        target,
        &format!("pq: {command} (stopped at {})", short(&step.source)),
    )?;
    worktree::checkout(&ws.repo, head_tree, target_tree, None)?;
    let who = ws.repo.committer()?;
    crate::oplog::append_event(
        &ws.repo,
        &ws.branch,
        &format!("{command} (stopped at {} to edit it)", short(&step.source)),
        &who,
    )?;
    Ok(EditStop {
        commit: step.source,
        subject: step.subject,
        series: step.series,
        above: state.patches.len() - at - 1,
    })
}

/// `pq continue` at an edit stop: the commits between the patch's parent and HEAD replace the patch (one
/// when it was amended, several when it was split, none when it was reset away), then the patches above are
/// replayed on top; patches git would fast-forward are kept as they are.
pub fn continue_edit(mut ws: Workspace, stopped: Stopped) -> Result<ResumeReport> {
    let edited = stopped.todo[0].clone();
    let parent = match edited.parent {
        Some(p) => p,
        None => return Err(Error::state("the edited patch has no parent").hint("restore it with `pq abort`")),
    };
    let head = ws.repo.head_commit()?.unwrap_or(parent);
    let short = short(&edited.source);
    if !ws.repo.is_ancestor(parent, head)? {
        return Err(Error::input(format!(
            "HEAD ({}) is not on top of the parent of the edited patch {short}",
            crate::git::short(&head)
        ))
        .hint(format!(
            "put HEAD back on top of {} (`git reset --soft` / `git checkout`), then `pq continue`; or `pq abort`",
            crate::git::short(&parent)
        )));
    }
    refuse_uncommitted(&ws, &stopped, head)?;
    let new_commits = linear_commits(&ws.repo, parent, head)?;
    let mut run = crate::ops::run::chain(&ws.repo, parent, stopped.state.patches.clone(), Vec::new())?;
    for (n, c) in new_commits.iter().enumerate() {
        let mut step = edited.clone();
        if n > 0 {
            // A patch split in several: the first keeps the patch's record, the others join its series.
            step.kind = Default::default();
            step.origin = None;
            step.via = None;
            step.conflicts = Vec::new();
        }
        step.source = c.id;
        step.subject = c.subject();
        push_commit(&mut run, &step, c.id, c.tree, Outcome::Applied, step.conflicts.clone());
        if let Some(l) = run.report.last_mut() {
            l.reason = Some(format!("edited from {short}"));
        }
    }
    if new_commits.is_empty() {
        let mut l = crate::engine::replay::line(&edited, Outcome::Dropped, Some("removed while editing".into()));
        l.subject = edited.subject.clone();
        run.report.push(l);
    }
    // Unchanged patches above stay as they are, as git's fast-forward keeps them.
    let mut from = 1;
    while let Some(step) = stopped.todo.get(from) {
        if step.parent != Some(run.tip) {
            break;
        }
        let id = step.source;
        let tree = ws.repo.commit_tree(id)?;
        push_commit(&mut run, step, id, tree, Outcome::Applied, step.conflicts.clone());
        if let Some(l) = run.report.last_mut() {
            l.reason = Some("unchanged".into());
        }
        from += 1;
    }
    // The steps kept as they are are done; the rest (after the edited one) are replayed.
    let mut stopped = stopped;
    stopped.todo.drain(1..from);
    carry_on(&mut ws, "pq continue", stopped, run, None)
}

/// Changes staged at the edit stop but not committed would silently stay behind as uncommitted work, as
/// `git rebase --continue` also refuses: ask for them to be committed (amended) or unstaged.
fn refuse_uncommitted(ws: &Workspace, stopped: &Stopped, head: Oid) -> Result<()> {
    let head_tree = ws.repo.commit_tree(head)?;
    let staged = crate::git::status::staged_paths(&ws.repo, Some(head_tree))?;
    if staged.is_empty() {
        return Ok(());
    }
    let saved = sequencer::dir(ws.repo.git_dir()).join("index.orig");
    let before = if saved.exists() {
        let orig_tree = ws.repo.commit_tree(stopped.orig_head)?;
        crate::git::status::staged_paths_in(&ws.repo, &saved, Some(orig_tree))?
    } else {
        Vec::new()
    };
    if let Some(p) = staged.iter().find(|p| !before.contains(p)) {
        return Err(Error::input(format!("{p} has staged changes that are not committed"))
            .hint("amend the patch with `git commit --amend` (or unstage with `git restore --staged`), then `pq continue`"));
    }
    Ok(())
}

/// The commits the user left on top of the edited patch's parent, oldest first; a merge there is refused
/// (an edit replaces one patch by a linear run of commits).
fn linear_commits(repo: &crate::git::Repo, base: Oid, head: Oid) -> Result<Vec<crate::git::CommitInfo>> {
    let ids = repo.commits_between(&[base], head)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids.into_iter().rev() {
        let c = repo.commit(id)?;
        if c.parents.len() > 1 {
            return Err(Error::input(format!(
                "commit {} ({}) on top of the edited patch is a merge; an edit replaces a patch by plain commits",
                c.short(),
                c.subject()
            ))
            .hint(
                "redo the change without a merge (`git reset --soft`, then commit), then `pq continue`; or `pq abort`",
            ));
        }
        out.push(c);
    }
    Ok(out)
}
