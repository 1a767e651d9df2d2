//! `pq init --base REV`: adopt a branch. Every commit between the base and HEAD becomes a patch of one
//! series; commits touching only the packaging directory are packaging, release commits are releases.
//! `pq adopt` re-reads a branch that moved outside pq, keeping the series of patches it still recognises.

use std::collections::HashMap;

use crate::engine::patch_id::commit_patch_id;
use crate::error::{Error, Result};
use crate::git::{CommitInfo, Oid, Repo};
use crate::model::config::Config;
use crate::model::provenance;
use crate::model::state::{Patch, PatchKind, Series, State, SCHEMA};
use crate::ops::{short_branch, Transaction, Workspace};

pub struct InitOptions {
    pub base: String,
    pub packaging: Option<String>,
    pub series: String,
    pub command: String,
    /// Put the commits of each recognisable merged topic in a series named after it.
    pub topics: bool,
}

pub struct InitReport {
    pub branch: String,
    pub base: String,
    pub patches: usize,
    pub packaging: usize,
    pub releases: usize,
    pub series: String,
    /// Merges linearised away, and the topic series made from them (name, patches).
    pub merges: usize,
    pub topics: Vec<(String, usize)>,
}

/// Classify one commit on the branch.
pub fn classify(repo: &Repo, commit: &CommitInfo, config: &Config) -> Result<PatchKind> {
    let subject = commit.subject();
    let release_prefix = config.release_subject.split("{name}").next().unwrap_or("");
    if !release_prefix.is_empty() && subject.starts_with(release_prefix) && subject.contains(&config.package) {
        return Ok(PatchKind::Release);
    }
    let parent_tree = match commit.parents.first() {
        Some(p) => Some(repo.commit_tree(*p)?),
        None => None,
    };
    let changes = repo.diff_trees(parent_tree, Some(commit.tree))?;
    let dir = format!("{}/", config.packaging.trim_end_matches('/'));
    let only_packaging = !changes.is_empty()
        && changes
            .iter()
            .all(|c| c.path.starts_with(dir.as_bytes()) || c.path.as_slice() == b"pq.toml");
    Ok(if only_packaging {
        PatchKind::Packaging
    } else {
        PatchKind::Patch
    })
}

/// The upstream a commit says it came from, and the commit it was picked from when that differs: a
/// `(cherry picked from commit X)` line next to another dialect (`commit U upstream.`, `Source kernel
/// commit: U`) names the immediate source X of a backport of U.
fn origin_of(c: &CommitInfo) -> (Option<Oid>, Option<Oid>) {
    let found = provenance::parse(&c.message_lossy());
    let picked = found.iter().find(|p| p.dialect == provenance::Dialect::CherryPick);
    let upstream = found.iter().find(|p| p.dialect != provenance::Dialect::CherryPick);
    match (upstream, picked) {
        (Some(u), Some(p)) if u.commit != p.commit => (Some(u.commit), Some(p.commit)),
        (Some(u), _) => (Some(u.commit), None),
        (None, Some(p)) => (Some(p.commit), None),
        (None, None) => (None, None),
    }
}

pub fn init(dir: &std::path::Path, opts: &InitOptions) -> Result<InitReport> {
    let mut ws = Workspace::open_for_change(dir)?;
    if ws.state.is_some() {
        return Err(
            Error::input(format!("branch {} is already managed by pq", short_branch(&ws.branch)))
                .hint("see it with `pq status`; re-read a branch changed by hand with `pq adopt`"),
        );
    }
    let repo = &ws.repo;
    let base = repo.resolve_commit(&opts.base)?;
    if !repo.is_ancestor(base, ws.head)? {
        return Err(Error::input(format!(
            "'{}' is not an ancestor of {}",
            opts.base,
            short_branch(&ws.branch)
        ))
        .hint("name the upstream tag or branch this branch was built on, e.g. `pq init --base v6.7.1`"));
    }
    crate::ops::validate::series_name(&opts.series)?;
    let mut config = Config::default();
    if let Some(p) = &opts.packaging {
        config.packaging = p.trim_end_matches('/').to_string();
    }
    let config = crate::model::store::effective_config(repo, &config, ws.head_tree()?)?;
    let who = repo.committer()?;
    let lin = crate::engine::linearise::linearise(repo, base, &opts.base, ws.head, &who)?;
    let commits = &lin.commits;
    let mut topics: Vec<(String, usize)> = Vec::new();
    let mut state = State {
        schema: SCHEMA,
        branch: ws.branch.clone(),
        base: opts.base.clone(),
        base_commit: base,
        tip: ws.head,
        config: config.clone(),
        series: Vec::new(),
        patches: Vec::new(),
        releases: Vec::new(),
        dropped: Vec::new(),
        declined: Vec::new(),
    };
    let mut counts = (0, 0, 0);
    for c in commits {
        let kind = classify(repo, c, &config)?;
        let series = match kind {
            PatchKind::Patch => {
                counts.0 += 1;
                match lin.topics.get(&c.id).filter(|_| opts.topics) {
                    Some(t) => {
                        match topics.iter_mut().find(|(n, _)| n == t) {
                            Some(e) => e.1 += 1,
                            None => topics.push((t.clone(), 1)),
                        }
                        t.clone()
                    }
                    None => opts.series.clone(),
                }
            }
            PatchKind::Packaging => {
                counts.1 += 1;
                "packaging".to_string()
            }
            PatchKind::Release => {
                counts.2 += 1;
                "packaging".to_string()
            }
        };
        state.ensure_series(&series);
        let (origin, via) = origin_of(c);
        state.patches.push(Patch {
            commit: c.id,
            series,
            kind,
            origin,
            via,
            conflicts: Vec::new(),
        });
    }
    if state.series.is_empty() {
        state.series.push(Series {
            name: opts.series.clone(),
        });
    }
    // Keep the packaging series last: new series are created below it.
    if let Some(i) = state.series_index("packaging") {
        let s = state.series.remove(i);
        state.series.push(s);
    }
    let mut tx = Transaction::begin(&mut ws, &opts.command)?;
    tx.move_branch(lin.head);
    tx.set_state(state);
    tx.commit(&mut ws.repo)?;
    Ok(InitReport {
        branch: short_branch(&ws.branch).to_string(),
        base: opts.base.clone(),
        patches: counts.0,
        packaging: counts.1,
        releases: counts.2,
        series: opts.series.clone(),
        merges: lin.merges,
        topics,
    })
}

pub struct AdoptReport {
    pub kept: usize,
    pub added: usize,
    pub forgotten: usize,
    pub series: String,
    /// False when the branch and the state already agreed: nothing was written or logged.
    pub changed: bool,
}

/// Re-read the branch after it moved outside pq: patches still present (same id, or same patch-id) keep
/// their series and metadata, new commits join `series`, vanished ones are reported.
pub fn adopt(dir: &std::path::Path, series: Option<String>, command: &str) -> Result<AdoptReport> {
    if let Some(s) = &series {
        crate::ops::validate::series_name(s)?;
    }
    let mut ws = Workspace::open_for_change(dir)?;
    let (state, _) = ws.state.clone().ok_or_else(|| {
        Error::input(format!("branch {} is not managed by pq", short_branch(&ws.branch)))
            .hint("adopt it with `pq init --base REV`")
    })?;
    let repo = &ws.repo;
    let base = repo.resolve_commit(&state.base).unwrap_or(state.base_commit);
    if !repo.is_ancestor(base, ws.head)? {
        return Err(Error::input(format!(
            "the base {} is no longer an ancestor of the branch",
            state.base
        ))
        .hint("move the branch back onto its base, or start over with `pq init` on a new branch"));
    }
    // A branch merged into outside pq is linearised like `pq init` does (its new commits join `series`).
    let lin = crate::engine::linearise::linearise(repo, base, &state.base, ws.head, &repo.committer()?)?;
    let commits = lin.commits;
    let mut by_id: HashMap<Oid, Patch> = HashMap::new();
    let mut by_pid: HashMap<[u8; 20], Patch> = HashMap::new();
    for p in &state.patches {
        by_id.insert(p.commit, p.clone());
        if let Ok(Some(pid)) = commit_patch_id(repo, p.commit) {
            by_pid.insert(pid, p.clone());
        }
    }
    let mut new_state = state.clone();
    new_state.base_commit = base;
    new_state.patches.clear();
    let (mut kept, mut added) = (0, 0);
    let mut is_new: Vec<bool> = Vec::new();
    for c in &commits {
        let id = c.id;
        let known = match by_id.remove(&id) {
            Some(p) => Some(p),
            None => commit_patch_id(repo, c.id)?.and_then(|pid| by_pid.remove(&pid)),
        };
        let fresh = known.is_none();
        let patch = match known {
            Some(mut p) => {
                kept += 1;
                by_id.remove(&p.commit);
                p.commit = id;
                p
            }
            None => {
                added += 1;
                let kind = classify(repo, c, &new_state.config)?;
                // Patches get their series below, once every commit's place is known.
                let s = if kind == PatchKind::Patch {
                    String::new()
                } else {
                    "packaging".into()
                };
                let (origin, via) = origin_of(c);
                Patch {
                    commit: id,
                    series: s,
                    kind,
                    origin,
                    via,
                    conflicts: Vec::new(),
                }
            }
        };
        is_new.push(fresh);
        new_state.patches.push(patch);
    }
    let target =
        crate::ops::adopt_place::place(&mut new_state.patches, &is_new, &state, series.as_deref())?.unwrap_or_default();
    let names: Vec<String> = new_state.patches.iter().map(|p| p.series.clone()).collect();
    for name in names {
        new_state.ensure_series(&name);
    }
    crate::ops::adopt_place::reorder(&mut new_state);
    let forgotten = state.patches.len() + added - commits.len();
    if state.tip == ws.head
        && new_state.patches == state.patches
        && new_state.series == state.series
        && new_state.base_commit == state.base_commit
    {
        return Ok(AdoptReport {
            kept,
            added,
            forgotten,
            series: target,
            changed: false,
        });
    }
    let mut tx = Transaction::begin(&mut ws, command)?;
    tx.move_branch(lin.head);
    tx.set_state(new_state);
    tx.commit(&mut ws.repo)?;
    Ok(AdoptReport {
        kept,
        added,
        forgotten,
        series: target,
        changed: true,
    })
}
