//! Editing the queue: the machinery shared by `pq series new|rename|drop|order`, `pq move`, `pq drop`,
//! `pq reword` and `pq edit`. Each command works out the stack it wants (which patches, in which order, in
//! which series, with which messages); [`rewrite`] keeps the unchanged bottom of the stack as it is, replays
//! the rest in memory, and ends in one transaction and one work-tree update, or a stop at a conflict.

use std::collections::HashMap;

use crate::engine::replay::{line, Outcome, ReportLine};
use crate::error::{Error, Result};
use crate::git::short;
use crate::git::{Oid, Repo};
use crate::model::state::{Dropped, Patch, Series, State};
use crate::ops::backport::replay_step;
use crate::ops::run::{chain, Bar, Replay};
use crate::ops::{message_fields, short_branch, StopInfo, Transaction, Workspace};

/// The kind recorded for a queue edit stopped at a conflict.
pub const KIND: &str = "queue edit";

/// Does a stopped operation of this kind keep the messages of patches resolved by hand (no `Conflicts:`
/// section added)? Queue edits do, as `git rebase -i` does: they reorder patches, they do not pick new ones.
pub fn keeps_messages(kind: &str) -> bool {
    kind == KIND || kind == crate::ops::edit::KIND
}

/// One patch of the stack a command wants.
#[derive(Debug, Clone)]
pub struct Item {
    /// The patch as it is now, with the series it is to be in.
    pub patch: Patch,
    /// A new message, for `pq reword`.
    pub message: Option<Vec<u8>>,
}

impl Item {
    pub fn keep(patch: &Patch) -> Item {
        Item {
            patch: patch.clone(),
            message: None,
        }
    }
}

/// What a queue edit did.
pub struct QueueReport {
    /// Patches replayed (applied, resolved, dropped because empty) and patches removed.
    pub lines: Vec<ReportLine>,
    pub stopped: Option<StopInfo>,
    pub new_head: Option<Oid>,
    /// Nothing to do: the queue already was as asked.
    pub unchanged: bool,
    /// Series in their new order.
    pub series: Vec<String>,
}

/// Load the branch for a queue edit: lock, no operation stopped, state agreeing with the branch.
pub fn open(dir: &std::path::Path) -> Result<(Workspace, State, Oid)> {
    let ws = Workspace::open_for_change(dir)?;
    let (state, state_commit) = ws.require_state()?;
    let state = state.clone();
    Ok((ws, state, state_commit))
}

/// Make the queue `items` with series `series`: keep the longest unchanged bottom of the stack, replay the
/// rest onto it, then commit (branch, state and log in one transaction, one work-tree update) or stop at a
/// conflict like a rebase. `removed` are patches left out on purpose, recorded in the state's dropped list.
pub fn rewrite(
    mut ws: Workspace,
    state: State,
    state_commit: Oid,
    command: &str,
    series: Vec<Series>,
    items: Vec<Item>,
    removed: Vec<(Patch, String)>,
) -> Result<QueueReport> {
    let names: Vec<String> = series.iter().map(|s| s.name.clone()).collect();
    let same_patches = items.len() == state.patches.len()
        && items
            .iter()
            .zip(&state.patches)
            .all(|(i, p)| i.message.is_none() && i.patch == *p);
    if same_patches && series == state.series {
        return Ok(QueueReport {
            lines: Vec::new(),
            stopped: None,
            new_head: Some(ws.head),
            unchanged: true,
            series: names,
        });
    }
    let dirty = ws.dirty()?;
    let who = ws.repo.committer()?;
    // The bottom of the stack that stays as it is: same commits in the same places, messages untouched.
    // Moving a patch to another series changes pq's record only, not the commit.
    let keep = items
        .iter()
        .zip(&state.patches)
        .take_while(|(i, p)| i.message.is_none() && i.patch.commit == p.commit)
        .count();
    let start = match keep {
        0 => state.base_commit,
        k => state.patches[k - 1].commit,
    };
    let mut steps = Vec::with_capacity(items.len() - keep);
    for item in &items[keep..] {
        let mut step = replay_step(&ws.repo, &item.patch)?;
        if let Some(m) = &item.message {
            let (text, raw) = message_fields(&m.clone().into());
            step.subject = text.lines().next().unwrap_or("").to_string();
            step.message = text;
            step.message_raw = raw;
        }
        steps.push(step);
    }
    let mut lines = Vec::new();
    let mut new_state = state.clone();
    new_state.series = series;
    for (p, reason) in &removed {
        let subject = ws.repo.commit(p.commit)?.subject();
        let mut l = line(&replay_step(&ws.repo, p)?, Outcome::Dropped, Some(reason.clone()));
        l.subject = subject.clone();
        lines.push(l);
        new_state.dropped.push(Dropped {
            commit: p.commit,
            series: p.series.clone(),
            subject,
            origin: p.origin,
            reason: reason.clone(),
            base: state.base.clone(),
        });
    }

    let tx = Transaction::begin(&mut ws, command)?;
    let repo = &ws.repo;
    let run = chain(
        repo,
        start,
        items[..keep].iter().map(|i| i.patch.clone()).collect(),
        Vec::new(),
    )?;
    let replay = Replay::execute(repo, run, steps, &who, false, &HashMap::new(), Bar::Own)?;
    lines.extend(replay.run.report.iter().cloned());
    if replay.done() {
        // Release commits that were replayed are known by their new ids.
        let moved: HashMap<Oid, Oid> = replay
            .run
            .report
            .iter()
            .filter_map(|l| l.new.map(|n| (l.source, n)))
            .collect();
        for r in &mut new_state.releases {
            if let Some(n) = moved.get(&r.commit) {
                r.commit = *n;
            }
        }
    }
    let _ = state_commit;
    let ended = replay.finish(tx, &mut ws.repo, KIND, new_state, &dirty, false)?;
    Ok(QueueReport {
        lines,
        stopped: ended.stopped,
        new_head: ended.new_head,
        unchanged: false,
        series: names,
    })
}

/// The stack grouped by series in the order of `series`, each series' patches in their current order.
pub fn grouped(patches: &[Patch], series: &[Series]) -> Vec<Item> {
    let mut out = Vec::with_capacity(patches.len());
    for s in series {
        out.extend(patches.iter().filter(|p| p.series == s.name).map(Item::keep));
    }
    out
}

/// Find a patch of the branch: `SERIES:N` (1-based), or a commit id, abbreviated or not (or any revision
/// naming a commit on the branch). Returns its index in the stack.
pub fn resolve_patch(repo: &Repo, state: &State, spec: &str) -> Result<usize> {
    let branch = short_branch(&state.branch);
    if let Some((series, n)) = spec.rsplit_once(':') {
        if state.series_index(series).is_some() {
            let count = state.patches_in(series).count();
            let n: usize = n.parse().map_err(|_| {
                Error::input(format!("'{spec}': '{n}' is not a patch number")).hint(format!(
                    "number the patches of {series} from 1 (`pq series show {series}` lists them)"
                ))
            })?;
            if n == 0 || n > count {
                return Err(Error::input(format!(
                    "series {series} has {count} patch(es); there is no {series}:{n}"
                ))
                .hint(format!("`pq series show {series}` lists them, numbered from 1")));
            }
            let idx = state
                .patches
                .iter()
                .enumerate()
                .filter(|(_, p)| p.series == series)
                .nth(n - 1)
                .map(|(i, _)| i)
                .expect("counted");
            return Ok(idx);
        }
    }
    let not_on_branch = || {
        Error::input(format!("'{spec}' is not a patch on {branch}"))
            .hint("name a patch by its commit id or as SERIES:N (`pq series show SERIES` lists them, numbered from 1)")
    };
    let lower = spec.to_ascii_lowercase();
    if lower.len() >= 4 && lower.bytes().all(|b| b.is_ascii_hexdigit()) {
        let hits: Vec<usize> = state
            .patches
            .iter()
            .enumerate()
            .filter(|(_, p)| p.commit.to_string().starts_with(&lower))
            .map(|(i, _)| i)
            .collect();
        match hits.len() {
            1 => return Ok(hits[0]),
            0 => {}
            _ => {
                return Err(Error::input(format!("'{spec}' names more than one patch on {branch}"))
                    .hint("give more digits of the commit id"))
            }
        }
    }
    // Any other way of naming a commit (`HEAD~2`, a tag): it must be one of the branch's patches.
    let id = repo.resolve_commit(spec).map_err(|_| not_on_branch())?;
    state
        .patches
        .iter()
        .position(|p| p.commit == id)
        .ok_or_else(not_on_branch)
}

/// Resolve several patches, refusing the same one twice; indexes in the order given.
pub fn resolve_patches(repo: &Repo, state: &State, specs: &[String]) -> Result<Vec<usize>> {
    let mut out: Vec<usize> = Vec::with_capacity(specs.len());
    for s in specs {
        let i = resolve_patch(repo, state, s)?;
        if out.contains(&i) {
            return Err(Error::input(format!(
                "'{s}' names patch {} a second time",
                short(&state.patches[i].commit)
            ))
            .hint("name each patch once"));
        }
        out.push(i);
    }
    Ok(out)
}

/// Refuse an unknown series, naming the ones there are.
pub fn require_series(state: &State, name: &str) -> Result<usize> {
    state.series_index(name).ok_or_else(|| {
        let names: Vec<&str> = state.series.iter().map(|s| s.name.as_str()).collect();
        Error::input(format!("no series named '{name}'")).hint(format!("the series are: {}", names.join(", ")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(c: char, series: &str) -> Patch {
        Patch {
            commit: Oid::from_hex(c.to_string().repeat(40).as_bytes()).unwrap(),
            series: series.into(),
            kind: Default::default(),
            origin: None,
            via: None,
            conflicts: vec![],
        }
    }

    #[test]
    fn grouping_follows_series_order_and_keeps_patch_order() {
        let patches = vec![patch('a', "x"), patch('b', "y"), patch('c', "x"), patch('d', "z")];
        let series: Vec<Series> = ["z", "x", "y"].iter().map(|n| Series { name: n.to_string() }).collect();
        let got: Vec<char> = grouped(&patches, &series)
            .iter()
            .map(|i| i.patch.commit.to_string().chars().next().unwrap())
            .collect();
        assert_eq!(got, ['d', 'a', 'c', 'b']);
    }
}
