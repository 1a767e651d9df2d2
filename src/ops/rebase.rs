//! `pq rebase NEWBASE`: replay every series onto a new base, in memory, dropping what the new base already
//! contains and saying why for each.
//!
//! Release commits are not replayed: their changelog and version edits belong to the old base. The
//! releases stay recorded in the state, and the next `pq release` carries the old entries forward from the
//! last release commit (still reachable through its tag) and adds `- Linux vX.Y.Z` (see the book's
//! "Releases" chapter).

use std::collections::HashMap;

use crate::engine::patch_id::PatchIds;
use crate::engine::replay::{line, Outcome, ReportLine, Step};
use crate::engine::select::{select, Range};
use crate::error::{Error, Result};
use crate::git::{short, Oid, Person, Repo};
use crate::model::provenance;
use crate::model::state::{Dropped, PatchKind, State};
use crate::ops::backport::replay_step;
use crate::ops::run::{chain, Bar, Replay};
use crate::ops::{StopInfo, Transaction, Workspace};
use crate::progress::{Phase, PhaseGuard, Sink};

pub struct RebaseOptions {
    pub onto: String,
    pub dry_run: bool,
    /// Rebase even onto an older base or one of the branch's own commits.
    pub force: bool,
    pub command: String,
}

pub struct RebaseReport {
    pub old_base: String,
    pub new_base: String,
    pub lines: Vec<ReportLine>,
    pub stopped: Option<StopInfo>,
    pub new_head: Option<Oid>,
    pub dry_run: bool,
    /// old commit → new commit, for range-diff.
    pub mapping: Vec<(Oid, Option<Oid>)>,
}

pub fn rebase(dir: &std::path::Path, opts: &RebaseOptions, progress: &Sink) -> Result<RebaseReport> {
    let mut ws = Workspace::open_for(dir, opts.dry_run)?;
    ws.repo.set_progress(progress.clone());
    let (state, _) = ws.require_state()?;
    let state = state.clone();
    let repo = &ws.repo;
    let new_base = repo.resolve_commit(&opts.onto)?;
    let old_base = state.base_commit;
    if new_base == old_base {
        return Err(
            Error::input(format!("{} is already the base ({})", opts.onto, state.base))
                .hint("name the new release to move to, e.g. `pq rebase v6.7.2`"),
        );
    }
    crate::ops::validate::rebase_target(repo, &opts.onto, new_base, old_base, &state.base, ws.head, opts.force)?;
    let dirty = ws.dirty()?;
    let who = repo.committer()?;
    if !opts.dry_run {
        // Every path the move to the new base changes is written, whatever happens to the patches. A patch's
        // own paths end as they are unless the base changed them too, so a change there can wait for the
        // check at the stop or the finish.
        let mut written = std::collections::BTreeMap::new();
        let base_changes = repo.diff_trees(Some(repo.commit_tree(old_base)?), Some(repo.commit_tree(new_base)?))?;
        for c in base_changes {
            let by = format!("the move to {}", opts.onto);
            written.entry(c.path.clone()).or_insert((c, by));
        }
        crate::ops::preflight::check(repo, &dirty, ws.head_tree()?, &written)?;
    }
    let tx = Transaction::begin(&mut ws, &opts.command)?;
    let Replayed {
        lines,
        mapping,
        replay,
        new_state,
    } = replay_onto(&ws.repo, &state, &opts.onto, new_base, &who, opts.dry_run)?;
    let ended = replay.finish(tx, &mut ws.repo, "rebase", new_state, &dirty, opts.dry_run)?;
    Ok(RebaseReport {
        old_base: state.base.clone(),
        new_base: opts.onto.clone(),
        lines,
        stopped: ended.stopped,
        new_head: ended.new_head,
        dry_run: opts.dry_run,
        mapping,
    })
}

/// A rebase worked out on objects (kept in memory by the caller's transaction): every patch's outcome in
/// stack order, the replay's end, and the state it leads to. `pq rebase` and `pq bump` both conclude it.
pub(crate) struct Replayed {
    pub lines: Vec<ReportLine>,
    /// old commit → new commit, for range-diff.
    pub mapping: Vec<(Oid, Option<Oid>)>,
    pub replay: Replay,
    pub new_state: State,
}

/// Replay `state`'s patches onto `new_base` (named `onto`), dropping what it already contains.
pub(crate) fn replay_onto(
    repo: &Repo,
    state: &State,
    onto: &str,
    new_base: Oid,
    who: &Person,
    dry_run: bool,
) -> Result<Replayed> {
    let old_base = state.base_commit;

    // What the new base brings that the old one lacked: provenance lines and patch-ids to drop by.
    let fresh = repo.commits_between(&[old_base], new_base)?;
    let mut upstream_named: HashMap<Oid, Oid> = HashMap::new();
    let mut in_base: std::collections::HashSet<Oid> = std::collections::HashSet::new();
    let reading = PhaseGuard::start(repo.progress(), Phase::Selecting, Some(fresh.len() as u64));
    for (i, id) in fresh.iter().enumerate() {
        reading.set(i as u64);
        in_base.insert(*id);
        let c = repo.commit(*id)?;
        for p in provenance::parse(&c.message_lossy()) {
            upstream_named.entry(p.commit).or_insert(*id);
        }
    }
    drop(reading);
    // Why a patch is dropped by its provenance alone (its upstream commit, or a backport of it, is in the
    // new base's own commits: exactly `fresh`, since an upstream commit the old base lacked is an ancestor
    // of the new base precisely when it is one of them).
    let by_provenance = |p: &crate::model::state::Patch| -> Option<String> {
        for id in [&p.origin, &p.via].into_iter().flatten() {
            if in_base.contains(id) {
                return Some(format!("upstream {} is in {}", short(id), onto));
            }
            if let Some(by) = upstream_named.get(id) {
                return Some(format!(
                    "{} in {} is a backport of its upstream {}",
                    short(by),
                    onto,
                    short(id)
                ));
            }
        }
        None
    };
    let mut equivalents: Option<Equivalents> = None;

    let mut report: Vec<ReportLine> = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut dropped: Vec<Dropped> = Vec::new();
    for p in &state.patches {
        crate::interrupt::check()?;
        let step = replay_step(repo, p)?;
        if p.kind == PatchKind::Release {
            report.push(line(
                &step,
                Outcome::Dropped,
                Some("release commit: the next `pq release` writes a new one".into()),
            ));
            continue;
        }
        let mut why = by_provenance(p);
        if why.is_none() && p.kind == PatchKind::Patch {
            if equivalents.is_none() {
                // Only the patches provenance does not settle can be dropped by patch-id.
                let open = state
                    .patches
                    .iter()
                    .filter(|q| q.kind == PatchKind::Patch && by_provenance(q).is_none());
                equivalents = Some(Equivalents::build(repo, open, new_base, old_base)?);
            }
            let eq = equivalents.as_ref().expect("built above");
            if let Some(by) = eq.same_change(repo, &p.commit)? {
                why = Some(format!(
                    "same change as {} in {} (patch-id)",
                    crate::git::short(&by),
                    onto
                ));
            }
        }
        match why {
            Some(reason) => {
                dropped.push(Dropped {
                    commit: p.commit,
                    series: p.series.clone(),
                    subject: step.subject.clone(),
                    origin: p.origin,
                    reason: reason.clone(),
                    base: onto.to_string(),
                });
                report.push(line(&step, Outcome::Dropped, Some(reason)));
            }
            None => steps.push(step),
        }
    }

    let run = chain(repo, new_base, Vec::new(), Vec::new())?;
    let replay = Replay::execute(repo, run, steps, who, dry_run, &HashMap::new(), Bar::Own)?;
    // Replays that came out empty are drops too.
    for l in &replay.run.report {
        if l.outcome == Outcome::Dropped {
            dropped.push(Dropped {
                commit: l.source,
                series: l.series.clone(),
                subject: l.subject.clone(),
                origin: l.origin,
                reason: l.reason.clone().unwrap_or_default(),
                base: onto.to_string(),
            });
        }
    }
    let mut lines = report;
    lines.extend(replay.run.report.iter().cloned());
    // Report in stack order.
    let order: HashMap<Oid, usize> = state.patches.iter().enumerate().map(|(i, p)| (p.commit, i)).collect();
    lines.sort_by_key(|l| order.get(&l.source).copied().unwrap_or(usize::MAX));
    let mapping: Vec<(Oid, Option<Oid>)> = lines.iter().map(|l| (l.source, l.new)).collect();
    let mut new_state = state.clone();
    new_state.base = onto.to_string();
    new_state.base_commit = new_base;
    new_state.dropped.extend(dropped);
    Ok(Replayed {
        lines,
        mapping,
        replay,
        new_state,
    })
}

/// Patch-id equivalence between our patches and the new base's commits, computed only where it can
/// matter, as `git cherry` does: two changes with the same patch-id change the same set of paths (each
/// file's `diff --git` line is part of what is hashed), so the new base's commits touching our patches'
/// paths (found by the Bloom-filtered selection walk) are only diffed tree against tree, and a patch-id,
/// which diffs the blobs, is computed only for a patch and the commits changing exactly its set of paths.
struct Equivalents {
    /// Our patches' changes, with the trees they go between (the patch-id cache's key).
    changes: HashMap<Oid, (Option<Oid>, Oid, Vec<crate::git::TreeChange>)>,
    cache: std::cell::RefCell<PatchIds>,
    /// The new base's commits by the set of paths they change, in selection order: (commit, parent tree,
    /// tree).
    by_paths: HashMap<Vec<gix::bstr::BString>, Vec<(Oid, Oid, Oid)>>,
}

/// The sorted paths of a change: equal for any two changes with the same patch-id.
fn path_set(changes: &[crate::git::TreeChange]) -> Vec<gix::bstr::BString> {
    let mut paths: Vec<gix::bstr::BString> = changes.iter().map(|c| c.path.clone()).collect();
    paths.sort();
    paths.dedup();
    paths
}

impl Equivalents {
    fn build<'a>(
        repo: &crate::git::Repo,
        patches: impl Iterator<Item = &'a crate::model::state::Patch>,
        new_base: Oid,
        old_base: Oid,
    ) -> Result<Self> {
        let mut changes = HashMap::new();
        let mut paths: Vec<Vec<u8>> = Vec::new();
        let mut wanted: std::collections::HashSet<Vec<gix::bstr::BString>> = std::collections::HashSet::new();
        for q in patches {
            let c = repo.commit(q.commit)?;
            let pt = match c.parents.first() {
                Some(pp) => Some(repo.commit_tree(*pp)?),
                None => None,
            };
            let ch = repo.diff_trees(pt, Some(c.tree))?;
            paths.extend(ch.iter().map(|c| c.path.to_vec()));
            wanted.insert(path_set(&ch));
            changes.insert(q.commit, (pt, c.tree, ch));
        }
        paths.sort();
        paths.dedup();
        let mut by_paths: HashMap<Vec<gix::bstr::BString>, Vec<(Oid, Oid, Oid)>> = HashMap::new();
        if !paths.is_empty() {
            let range = Range {
                include: vec![new_base],
                exclude: vec![old_base],
            };
            let selected = select(repo, &range, &paths)?;
            let progress = PhaseGuard::start(repo.progress(), Phase::PatchIds, Some(selected.len() as u64));
            for (i, sel) in selected.into_iter().enumerate() {
                progress.set(i as u64);
                if sel.parents.len() != 1 {
                    continue;
                }
                let tree = repo.commit_tree(sel.id)?;
                let pt = repo.commit_tree(sel.parents[0])?;
                let key = path_set(&repo.diff_trees(Some(pt), Some(tree))?);
                if wanted.contains(&key) {
                    by_paths.entry(key).or_default().push((sel.id, pt, tree));
                }
            }
        }
        Ok(Equivalents {
            changes,
            cache: std::cell::RefCell::new(PatchIds::open(repo)),
            by_paths,
        })
    }

    /// The new base's commit making the same change as our patch `commit`, if any (the last in selection
    /// order when several do). A patch-id, which diffs blobs, is computed only for a candidate whose line
    /// balance agrees with the patch's.
    fn same_change(&self, repo: &crate::git::Repo, commit: &Oid) -> Result<Option<Oid>> {
        let Some((pt, tree, ch)) = self.changes.get(commit) else {
            return Ok(None);
        };
        let Some(candidates) = self.by_paths.get(&path_set(ch)) else {
            return Ok(None);
        };
        let mut cache = self.cache.borrow_mut();
        for (id, upt, utree) in candidates.iter().rev() {
            let (ours, theirs) = (cache.known(*pt, *tree), cache.known(Some(*upt), *utree));
            let mut changes = None;
            if ours.is_none() || theirs.is_none() {
                let theirs_changes = repo.diff_trees(Some(*upt), Some(*utree))?;
                if !cache.balances_may_agree(repo, ch, &theirs_changes)? {
                    continue;
                }
                changes = Some(theirs_changes);
            }
            let Some(pid) = cache.of_trees(repo, *pt, *tree, Some(ch))? else {
                return Ok(None);
            };
            if cache.of_trees(repo, Some(*upt), *utree, changes.as_deref())? == Some(pid) {
                return Ok(Some(*id));
            }
        }
        Ok(None)
    }
}
