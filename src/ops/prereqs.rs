//! Prerequisites of a conflicting pick: the upstream commits the branch lacks (not in its base, not carried)
//! that last changed the lines the pick's hunks touch, with their context, in the conflicting files; what
//! `git blame` on the picked commit's parent shows for those lines. `pq backport --with-prereqs` picks them
//! first, recursively.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use serde::Serialize;

use crate::engine::blame::{touched_lines, Origins};
use crate::engine::replay::Outcome;
use crate::engine::select::{Range, Selected};
use crate::error::Result;
use crate::git::{Oid, Repo};
use crate::model::state::State;
use crate::ops::backport::{backport, BackportOptions, BackportReport, Presence};
use crate::ops::Workspace;
use crate::sequencer;
use crate::sequencer::commit_memo::CommitMemo;
use crate::sequencer::line_origins::LineOrigins;
use crate::sequencer::prereq_memo::RangeMemo;

/// One commit to pick before a conflicting one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prerequisite {
    #[serde(with = "crate::git::id::hex")]
    pub commit: Oid,
    pub subject: String,
}

/// One file's blame at a stop: the commits that last changed the lines the pick touches, and the parent's
/// whole version (who last changed each line), kept for the next stops.
type FileBlame = (Vec<Oid>, Option<Vec<Option<Oid>>>);

/// The prerequisites of picking `commit` (against `parent`) onto a branch described by `state` at `tip`,
/// given the conflicting `paths`: oldest first.
pub fn prerequisites(
    repo: &Repo,
    state: &State,
    tip: Oid,
    commit: Oid,
    parent: Oid,
    paths: &[String],
) -> Result<Vec<Prerequisite>> {
    let base = state.base_commit;
    let git_dir = repo.git_dir();
    // The range the branch lacks: what the parent has and the base does not. The stops of one operation
    // share the range's commits, each read once (`prereq_memo`), and the blames of their files
    // (`line_origins`).
    let mut range = RangeMemo::load(git_dir);
    if range.extend(repo, base, parent)?.is_none() {
        range.save(git_dir)?;
        return Ok(Vec::new());
    }
    range.save(git_dir)?;
    let mut kept = LineOrigins::load(git_dir, base);
    let blame = |repo: &Repo, path: &String| -> Result<Option<FileBlame>> {
        let lines = touched_lines(repo, commit, parent, path)?;
        if lines.is_empty() {
            return Ok(None);
        }
        let history = range.path_history(repo, parent, path)?;
        let mut origins = Origins::default();
        kept.seed(path, &mut origins);
        let blamed = origins.blame(repo, &history, parent, &lines)?;
        tracing::debug!(path = %path, diffs = origins.diffs, "blamed");
        Ok(Some((blamed, origins.lines(parent))))
    };
    // The files of a stop are blamed apart from one another: on the machine's cores when there are several.
    let blames = match paths {
        [one] => vec![blame(repo, one)],
        _ => crate::parallel::map_ordered(paths, || repo.for_worker(), |repo, path| blame(repo, path)),
    };
    let mut blamed: BTreeSet<Oid> = BTreeSet::new();
    for (path, b) in paths.iter().zip(blames) {
        let Some((ids, version)) = b? else { continue };
        blamed.extend(ids);
        if let Some(version) = version {
            kept.keep(path, parent, &version);
        }
    }
    kept.save(git_dir)?;
    let missing: Vec<Oid> = blamed
        .into_iter()
        .filter(|id| *id != commit && !range.below(*id))
        .collect();
    let mut presence: Option<Presence> = None;
    let mut out: Vec<(i64, Prerequisite)> = Vec::new();
    for id in missing {
        let presence = match &mut presence {
            Some(p) => p,
            None => {
                let mut memo = CommitMemo::load(repo.git_dir());
                let built = Presence::build_with(repo, state, tip, &[base], &mut memo)?;
                memo.save(repo.git_dir())?;
                presence.insert(built)
            }
        };
        // The paths the range's memo holds usually settle it without diffing the commit again.
        let known = range
            .changed_paths(id)
            .and_then(|paths| presence.why_by_paths(id, paths));
        let c = repo.commit(id)?;
        if c.parents.len() > 1 {
            continue;
        }
        let present = match known {
            Some(why) => why.is_some(),
            None => {
                let changes = match c.parents.first() {
                    Some(p) => repo.diff_trees(Some(repo.commit_tree(*p)?), Some(c.tree))?,
                    None => repo.diff_trees(None, Some(c.tree))?,
                };
                presence.why(repo, id, &changes)?.is_some()
            }
        };
        if present {
            continue;
        }
        let carried_origin = crate::model::provenance::parse(&c.message_lossy())
            .first()
            .is_some_and(|p| presence.recorded.contains_key(&p.commit));
        if carried_origin {
            continue;
        }
        out.push((
            c.committer.time,
            Prerequisite {
                commit: id,
                subject: c.subject(),
            },
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.commit.cmp(&b.1.commit)));
    Ok(out.into_iter().map(|(_, p)| p).collect())
}

/// The prerequisites of a stopped operation's step. A backport's pick is blamed on its upstream parent; a
/// rebase's patch that came from upstream (it records an origin) on its origin's parent, against the new
/// base. Local patches have no upstream parent and give nothing.
pub fn of_stopped(repo: &Repo, stopped: &sequencer::Stopped) -> Result<Vec<Prerequisite>> {
    let Some(step) = stopped.todo.first() else {
        return Ok(Vec::new());
    };
    let (commit, parent) = match stopped.kind.as_str() {
        "backport" if step.new => match step.parent {
            Some(parent) => (step.source, parent),
            None => return Ok(Vec::new()),
        },
        "rebase" => {
            let Some(origin) = step.origin.filter(|o| repo.commit(*o).is_ok()) else {
                return Ok(Vec::new());
            };
            match repo.commit(origin)?.parents.first() {
                Some(parent) => (origin, *parent),
                None => return Ok(Vec::new()),
            }
        }
        _ => return Ok(Vec::new()),
    };
    // The steps still to replay carry their origins too: those are not missing.
    let coming: HashSet<Oid> = stopped.todo.iter().flat_map(|s| [s.origin, s.via]).flatten().collect();
    Ok(
        prerequisites(repo, &stopped.state, stopped.tip, commit, parent, &stopped.conflicts)?
            .into_iter()
            .filter(|p| !coming.contains(&p.commit))
            .collect(),
    )
}

/// The selection with `extra` commits added, all in upstream order (`git rev-list --reverse` from the
/// base to the range's tips).
pub fn merge_selection(
    repo: &Repo,
    base: Oid,
    range: &Range,
    mut selected: Vec<Selected>,
    extra: &[Oid],
) -> Result<Vec<Selected>> {
    let have: HashSet<Oid> = selected.iter().map(|s| s.id).collect();
    for id in extra {
        if !have.contains(id) {
            selected.push(Selected {
                id: *id,
                parents: repo.commit(*id)?.parents,
            });
        }
    }
    let mut order: HashMap<Oid, usize> = HashMap::new();
    for tip in &range.include {
        let walk = repo.commits_between(&[base], *tip)?;
        let n = walk.len();
        for (i, id) in walk.into_iter().enumerate() {
            order.entry(id).or_insert(n - i);
        }
    }
    selected.sort_by_key(|s| order.get(&s.id).copied().unwrap_or(usize::MAX));
    Ok(selected)
}

/// `pq backport --with-prereqs`: plan the backport in memory; while a pick conflicts, add the
/// prerequisites its conflict names (not yet selected) and plan again; then run the backport with them.
/// Returns the report and the prerequisites added, oldest first.
pub fn backport_with_prereqs(
    dir: &Path,
    opts: &BackportOptions,
    progress: &crate::progress::Sink,
) -> Result<(BackportReport, Vec<Prerequisite>)> {
    let mut added: Vec<Prerequisite> = Vec::new();
    let mut extra: Vec<Oid> = opts.extra.clone();
    let mut examined: HashSet<Oid> = HashSet::new();
    loop {
        let plan = backport(
            dir,
            &BackportOptions {
                dry_run: true,
                extra: extra.clone(),
                ..opts.clone()
            },
            progress,
        )?;
        let planned: HashSet<Oid> = plan.lines.iter().map(|l| l.source).collect();
        let ws = Workspace::open(dir)?;
        let (state, _) = ws.require_state()?;
        let mut new = Vec::new();
        for l in plan.lines.iter().filter(|l| l.outcome == Outcome::Conflict) {
            if !examined.insert(l.source) {
                continue;
            }
            let c = ws.repo.commit(l.source)?;
            let Some(parent) = c.parents.first() else { continue };
            for p in prerequisites(&ws.repo, state, ws.head, l.source, *parent, &l.paths)? {
                if !planned.contains(&p.commit) && !extra.contains(&p.commit) && !new.contains(&p) {
                    new.push(p);
                }
            }
        }
        if new.is_empty() {
            break;
        }
        extra.extend(new.iter().map(|p| p.commit));
        added.extend(new);
    }
    let report = backport(dir, &BackportOptions { extra, ..opts.clone() }, progress)?;
    let order: HashMap<Oid, usize> = report.lines.iter().enumerate().map(|(i, l)| (l.source, i)).collect();
    added.sort_by_key(|p| order.get(&p.commit).copied().unwrap_or(usize::MAX));
    Ok((report, added))
}
