//! `pq status` and `pq series`: read-only views of the branch as pq sees it.

use serde::Serialize;

use crate::error::Result;
use crate::git::{Oid, Repo};
use crate::model::provenance;
use crate::model::state::PatchKind;
use crate::ops::{short_branch, Workspace};
use crate::sequencer;

#[derive(Debug, Serialize)]
pub struct SeriesSummary {
    pub name: String,
    pub patches: usize,
}

#[derive(Debug, Serialize)]
pub struct StoppedSummary {
    pub operation: String,
    pub command: String,
    #[serde(with = "crate::git::id::hex")]
    pub commit: Oid,
    pub subject: String,
    pub series: String,
    pub conflicts: Vec<String>,
    pub remaining: usize,
}

#[derive(Debug, Serialize)]
pub struct Status {
    /// The branch pq works on; None on a detached HEAD with no pq operation stopped (see `switch_to`).
    pub branch: Option<String>,
    /// The commit HEAD is at (while an operation is stopped: the detached last good pick).
    #[serde(with = "crate::git::id::hex")]
    pub head: Oid,
    /// HEAD is detached (an operation stopped at a conflict detaches it, as git's sequencer does).
    pub detached: bool,
    /// The branch's own commit.
    #[serde(with = "crate::git::id::hex_opt")]
    pub branch_head: Option<Oid>,
    /// With no branch: the one the user most likely means to go back to (the one they left, else one at
    /// HEAD, else one pq manages).
    pub switch_to: Option<String>,
    pub initialised: bool,
    pub base: Option<String>,
    #[serde(with = "crate::git::id::hex_opt")]
    pub base_commit: Option<Oid>,
    /// Newer tags of the same stable line (`v6.7.2` when the base is `v6.7.1`), newest last.
    pub newer_tags: Vec<String>,
    pub series: Vec<SeriesSummary>,
    pub releases: usize,
    pub last_release: Option<String>,
    /// Set when the branch moved outside pq.
    pub disagreement: Option<String>,
    pub stopped: Option<StoppedSummary>,
    pub interrupted: bool,
    pub clean: bool,
    pub dirty_paths: Vec<String>,
    /// Paths with conflicts not yet resolved (index stages).
    pub unmerged_paths: Vec<String>,
    /// The stopped pick was given up behind pq's back (`git cherry-pick --abort`): no conflict is left and
    /// nothing was committed.
    pub pick_abandoned: bool,
    pub commit_graph: CommitGraphStatus,
}

/// Whether history walks limited to paths can be fast: they need a commit-graph with changed-path Bloom
/// filters, which a fresh clone lacks.
#[derive(Debug, Serialize)]
pub struct CommitGraphStatus {
    pub present: bool,
    pub changed_paths: bool,
    /// Why a commit-graph that is there is not used (as git would not use it either), if it is not.
    pub ignored: Option<String>,
    /// The command that makes one, when it is missing or lacks the filters (or that lets it be used).
    pub suggest: Option<String>,
}

pub const COMMIT_GRAPH_COMMAND: &str = "git commit-graph write --reachable --changed-paths";

pub fn commit_graph_status(repo: &Repo) -> CommitGraphStatus {
    // A graph git cannot read either (corrupt, or being rewritten) counts as missing: rewriting it is the fix.
    let graph = crate::git::commit_graph::CommitGraph::open(&repo.objects_dir())
        .ok()
        .flatten();
    let present = graph.is_some();
    let changed_paths = graph.is_some_and(|g| g.has_bloom_filters());
    // A graph on disk is used only where git would use it (see `CommitGraph::for_repo`).
    let (ignored, unblock) = if present && crate::git::commit_graph::CommitGraph::for_repo(repo).is_none() {
        let disabled = !repo.inner.config_snapshot().boolean("core.commitGraph").unwrap_or(true);
        if disabled {
            (
                Some("core.commitGraph is false".to_string()),
                Some("git config core.commitGraph true".to_string()),
            )
        } else if repo.is_shallow() {
            (
                Some("the clone is shallow".to_string()),
                Some("git fetch --unshallow".to_string()),
            )
        } else {
            (Some("the repository has replace refs or grafts".to_string()), None)
        }
    } else {
        (None, None)
    };
    let suggest = match &ignored {
        Some(_) => unblock,
        None => (!changed_paths).then(|| COMMIT_GRAPH_COMMAND.to_string()),
    };
    CommitGraphStatus {
        present,
        changed_paths,
        ignored,
        suggest,
    }
}

/// Split `v6.7.1` into its numbers; None for names that are not version tags.
pub fn version_of(tag: &str) -> Option<Vec<u64>> {
    let v = tag.strip_prefix('v')?;
    if v.contains('-') {
        return None;
    }
    v.split('.').map(|n| n.parse().ok()).collect()
}

/// Tags of the same stable line newer than `base` (for `v6.7.1`: `v6.7.2`, `v6.7.3`, ...).
pub fn newer_in_line(repo: &Repo, base: &str) -> Result<Vec<String>> {
    let Some(bv) = version_of(base) else {
        return Ok(Vec::new());
    };
    if bv.len() < 2 {
        return Ok(Vec::new());
    }
    let mut out: Vec<(Vec<u64>, String)> = Vec::new();
    for (name, _) in repo.tags()? {
        if let Some(v) = version_of(&name) {
            if v.len() >= 2 && v[..2] == bv[..2] && v > bv {
                out.push((v, name));
            }
        }
    }
    out.sort();
    Ok(out.into_iter().map(|(_, n)| n).collect())
}

pub fn status(dir: &std::path::Path) -> Result<Status> {
    {
        // A detached HEAD with no pq operation stopped: no branch to describe, but the work tree is there, as
        // `git status` reports it.
        let repo = Repo::discover(dir)?;
        if repo.head_branch()?.is_none() && sequencer::load(repo.git_dir())?.is_none() {
            if let Some(head) = repo.head_commit()? {
                return detached_status(&repo, head);
            }
        }
    }
    let ws = Workspace::open(dir)?;
    let repo = &ws.repo;
    let stopped = sequencer::load(repo.git_dir())?;
    let interrupted = sequencer::load_journal(repo.git_dir())?.is_some();
    let head = repo.head_commit()?.unwrap_or(ws.head);
    let detached = repo.head_branch()?.is_none();
    let (dirty, unmerged) = work_tree_status(repo, head)?;
    let pick_abandoned = stopped.as_ref().is_some_and(|s| {
        !repo.git_dir().join("CHERRY_PICK_HEAD").exists()
            && unmerged.is_empty()
            && s.tip == head
            && dirty.iter().all(|d| !s.conflicts.contains(d))
    });
    let mut st = Status {
        branch: Some(short_branch(&ws.branch).to_string()),
        head,
        detached,
        branch_head: Some(ws.head),
        switch_to: None,
        initialised: ws.state.is_some(),
        base: None,
        base_commit: None,
        newer_tags: Vec::new(),
        series: Vec::new(),
        releases: 0,
        last_release: None,
        disagreement: None,
        stopped: stopped.map(|s| StoppedSummary {
            operation: s.kind.clone(),
            command: s.command.clone(),
            commit: s.todo[0].source,
            subject: s.todo[0].subject.clone(),
            series: s.todo[0].series.clone(),
            conflicts: s.conflicts.clone(),
            remaining: s.todo.len() - 1,
        }),
        interrupted,
        clean: dirty.is_empty() && unmerged.is_empty(),
        dirty_paths: dirty,
        unmerged_paths: unmerged,
        pick_abandoned,
        commit_graph: commit_graph_status(repo),
    };
    if let Some((state, _)) = &ws.state {
        st.base = Some(state.base.clone());
        st.base_commit = Some(state.base_commit);
        st.newer_tags = newer_in_line(repo, &state.base)?;
        for s in &state.series {
            st.series.push(SeriesSummary {
                name: s.name.clone(),
                patches: state.patches_in(&s.name).count(),
            });
        }
        st.releases = state.releases.len();
        st.last_release = state.releases.last().map(|r| r.nvr.clone());
        if st.stopped.is_none() {
            if let Err(e) = ws.require_state() {
                st.disagreement = Some(e.message);
            }
        }
    }
    Ok(st)
}

/// Paths with uncommitted changes against `head` (as `git status` compares: while stopped that is the last
/// good pick, not the branch), and paths with unresolved conflicts.
fn work_tree_status(repo: &Repo, head: Oid) -> Result<(Vec<String>, Vec<String>)> {
    let unmerged: Vec<String> = crate::git::worktree::unmerged_paths(repo)?
        .iter()
        .map(|p| p.to_string())
        .collect();
    let dirty: Vec<String> = crate::git::status::dirty_paths(repo, Some(repo.commit_tree(head)?))?
        .iter()
        .map(|p| p.to_string())
        .collect();
    Ok((dirty, unmerged))
}

/// The status of a detached HEAD outside any pq operation: the commit, the work tree, and the branch to go
/// back to.
fn detached_status(repo: &Repo, head: Oid) -> Result<Status> {
    let (dirty, unmerged) = work_tree_status(repo, head)?;
    Ok(Status {
        branch: None,
        head,
        detached: true,
        branch_head: None,
        switch_to: crate::ops::detached::branch_to_suggest(repo),
        initialised: false,
        base: None,
        base_commit: None,
        newer_tags: Vec::new(),
        series: Vec::new(),
        releases: 0,
        last_release: None,
        disagreement: None,
        stopped: None,
        interrupted: sequencer::load_journal(repo.git_dir())?.is_some(),
        clean: dirty.is_empty() && unmerged.is_empty(),
        dirty_paths: dirty,
        unmerged_paths: unmerged,
        pick_abandoned: false,
        commit_graph: commit_graph_status(repo),
    })
}

#[derive(Debug, Serialize)]
pub struct PatchView {
    #[serde(with = "crate::git::id::hex")]
    pub commit: Oid,
    pub short: String,
    pub subject: String,
    pub kind: PatchKind,
    #[serde(with = "crate::git::id::hex_opt")]
    pub origin: Option<Oid>,
    #[serde(with = "crate::git::id::hex_opt")]
    pub via: Option<Oid>,
    pub conflicts: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct SeriesView {
    pub name: String,
    pub patches: Vec<PatchView>,
}

/// The series with their patches, in stack order (or just `only`).
pub fn series(dir: &std::path::Path, only: Option<&str>) -> Result<Vec<SeriesView>> {
    let ws = Workspace::open(dir)?;
    let (state, _) = ws.state.as_ref().ok_or_else(|| {
        crate::error::Error::input(format!("branch {} is not managed by pq", short_branch(&ws.branch)))
            .hint("adopt it with `pq init --base REV`")
    })?;
    if let Some(name) = only {
        if state.series_index(name).is_none() {
            let names: Vec<&str> = state.series.iter().map(|s| s.name.as_str()).collect();
            return Err(crate::error::Error::input(format!("no series named '{name}'"))
                .hint(format!("the series are: {}", names.join(", "))));
        }
    }
    let mut out = Vec::new();
    for s in &state.series {
        if only.is_some_and(|o| o != s.name) {
            continue;
        }
        let mut patches = Vec::new();
        for p in state.patches_in(&s.name) {
            let c = ws.repo.commit(p.commit)?;
            let origin = p
                .origin
                .or_else(|| provenance::parse(&c.message_lossy()).first().map(|x| x.commit));
            patches.push(PatchView {
                commit: p.commit,
                short: c.short(),
                subject: c.subject(),
                kind: p.kind,
                origin,
                via: p.via,
                conflicts: p.conflicts.clone(),
            });
        }
        out.push(SeriesView {
            name: s.name.clone(),
            patches,
        });
    }
    Ok(out)
}
