//! `pq backport RANGE [PATH...]`: pick every upstream commit of the range touching the paths, oldest first,
//! into a named series, skipping what the branch already has, recording provenance.

use std::collections::{HashMap, HashSet};

use gix::bstr::BString;

use crate::engine::patch_id::PatchIds;
use crate::engine::replay::{line, Outcome, ReportLine, Step, Who};
use crate::engine::select::{select, Range, Selected};
use crate::error::{Error, Result};
use crate::git::{short, Oid, Repo};
use crate::model::provenance::{self, Style};
use crate::model::state::{PatchKind, State};
use crate::ops::run::{chain, Bar, Replay};
use crate::ops::{message_fields, StopInfo, Transaction, Workspace};
use crate::progress::{Phase, PhaseGuard, Sink};
use crate::sequencer::commit_memo::CommitMemo;

#[derive(Clone)]
pub struct BackportOptions {
    pub ranges: Vec<String>,
    pub paths: Vec<String>,
    pub series: Option<String>,
    pub style: Option<Style>,
    pub mainline: Option<usize>,
    pub dry_run: bool,
    /// Pick again the commits an earlier run declined (empty picks, `pq skip`).
    pub retry: bool,
    pub command: String,
    /// Commits to pick besides the selection (prerequisites), placed among it in upstream order.
    pub extra: Vec<Oid>,
}

pub struct BackportReport {
    pub series: String,
    pub lines: Vec<ReportLine>,
    pub stopped: Option<StopInfo>,
    pub new_head: Option<Oid>,
    pub dry_run: bool,
}

/// Default series name from the paths: `lib/zstd` → `backport/lib-zstd`.
pub fn default_series(paths: &[String], ranges: &[String]) -> String {
    let from: Vec<String> = if paths.is_empty() {
        ranges.to_vec()
    } else {
        paths.to_vec()
    };
    let name: Vec<String> = from
        .iter()
        .map(|p| {
            p.trim_matches('/')
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect::<String>()
        })
        .collect();
    // A range's `..` (and a leading or trailing `.`) would not make a valid ref-like name.
    let name = name.join("+").replace("..", "-");
    format!("backport/{}", name.trim_matches('.'))
}

/// Parse `A..B`, `A` (a single commit) into a range.
pub fn parse_range(repo: &Repo, spec: &str) -> Result<Range> {
    if spec.contains("...") {
        return Err(
            Error::input(format!("symmetric ranges are not supported: '{spec}'")).hint("write the range as A..B")
        );
    }
    if let Some((a, b)) = spec.split_once("..") {
        let a = if a.is_empty() { "HEAD" } else { a };
        let b = if b.is_empty() { "HEAD" } else { b };
        Ok(Range {
            include: vec![repo.resolve_commit(b)?],
            exclude: vec![repo.resolve_commit(a)?],
        })
    } else {
        let c = repo.resolve_commit(spec)?;
        let info = repo.commit(c)?;
        // Exactly this commit (`C^@..C`, as `git cherry-pick C`): hiding only the first parent would bring
        // in the whole side branch of a merge.
        Ok(Range {
            include: vec![c],
            exclude: info.parents.clone(),
        })
    }
}

/// Why a selected commit is already on the branch, if it is.
pub(crate) struct Presence {
    /// Upstream ids recorded on the branch (state origins, provenance lines), mapped to the commit saying so.
    pub(crate) recorded: HashMap<Oid, Oid>,
    /// Patch-ids of branch commits, by the paths they touch, computed lazily.
    by_path: HashMap<BString, Vec<Oid>>,
    /// The sorted paths each of those commits changes: two changes with the same patch-id change the same
    /// paths (each file's `diff --git` line is hashed), so only commits with a commit's own set are compared.
    path_sets: HashMap<Oid, Vec<BString>>,
    pids: PatchIds,
    /// Commits of the branch not reachable from the range's bottom: a selected commit (which is in the
    /// range) is an ancestor of the branch exactly when it is one of these.
    own: HashSet<Oid>,
}

impl Presence {
    pub(crate) fn build(repo: &Repo, state: &State, head: Oid, exclude: &[Oid]) -> Result<Presence> {
        Presence::build_with(repo, state, head, exclude, &mut CommitMemo::default())
    }

    /// [`Presence::build`] reading the branch commits through `memo` (kept between the stops of one
    /// operation, where the branch grows by a few picks each time).
    pub(crate) fn build_with(
        repo: &Repo,
        state: &State,
        head: Oid,
        exclude: &[Oid],
        memo: &mut CommitMemo,
    ) -> Result<Presence> {
        let mut recorded = HashMap::new();
        for p in &state.patches {
            for id in [&p.origin, &p.via].into_iter().flatten() {
                recorded.insert(*id, p.commit);
            }
        }
        // Everything on the branch that is not in the upstream range's bottom: the stable backports below
        // our base and our own patches.
        let own = repo.commits_between(exclude, head)?;
        let mut presence = Presence {
            recorded,
            by_path: HashMap::new(),
            path_sets: HashMap::new(),
            pids: PatchIds::open(repo),
            own: HashSet::new(),
        };
        presence.compare_with(repo, &own, memo)?;
        presence.own = own.into_iter().collect();
        Ok(presence)
    }

    /// Also look for the selected commits' changes among `commits` (by provenance and patch-id).
    fn compare_with(&mut self, repo: &Repo, commits: &[Oid], memo: &mut CommitMemo) -> Result<()> {
        for &id in commits {
            if self.path_sets.contains_key(&id) {
                continue;
            }
            let seen = memo.get(repo, id)?;
            for o in &seen.origins {
                self.recorded.entry(*o).or_insert(id);
            }
            if let Some(paths) = &seen.paths {
                for path in paths {
                    self.by_path.entry(path.clone()).or_default().push(id);
                }
                self.path_sets.insert(id, path_set(paths.iter()));
            }
        }
        Ok(())
    }

    /// What [`Presence::why`] says of `commit` when the paths its change touches are enough to tell:
    /// `Some(None)` when no branch commit changes exactly those paths (then no patch-id can match). `None`
    /// when it takes the change itself.
    pub(crate) fn why_by_paths(&self, commit: Oid, paths: &[BString]) -> Option<Option<String>> {
        if self.recorded.contains_key(&commit) || self.own.contains(&commit) || paths.is_empty() {
            return None;
        }
        self.same_paths(&path_set(paths.iter())).is_empty().then_some(None)
    }

    /// The branch commits that change exactly `paths` (sorted, distinct, not empty): the only ones whose
    /// patch-id can equal a change to those paths.
    fn same_paths(&self, paths: &[BString]) -> Vec<Oid> {
        let mut candidates: Vec<Oid> = self
            .by_path
            .get(&paths[0])
            .into_iter()
            .flatten()
            .copied()
            .filter(|cand| self.path_sets.get(cand).is_some_and(|p| p == paths))
            .collect();
        candidates.sort();
        candidates.dedup();
        candidates
    }

    pub(crate) fn why(
        &mut self,
        repo: &Repo,
        commit: Oid,
        changes: &[crate::git::TreeChange],
    ) -> Result<Option<String>> {
        if let Some(by) = self.recorded.get(&commit) {
            return Ok(Some(if *by == commit {
                "already on the branch".to_string()
            } else {
                format!("recorded as picked by {}", short(by))
            }));
        }
        if self.own.contains(&commit) {
            return Ok(Some("already an ancestor of the branch".into()));
        }
        if changes.is_empty() {
            return Ok(Some("empty commit".into()));
        }
        // The patch-id reads and diffs every blob the commit touches: only worth it for a branch commit
        // changing exactly the same paths, which in a backport is the exception.
        let candidates = self.same_paths(&path_set(changes.iter().map(|c| &c.path)));
        if candidates.is_empty() {
            return Ok(None);
        }
        let c = repo.commit(commit)?;
        let parent_tree = match c.parents.first() {
            Some(p) => Some(repo.commit_tree(*p)?),
            None => None,
        };
        // A candidate is diffed only when its lines added minus removed per file (read from the blobs' line
        // counts) agree with the commit's; ids already cached are compared directly.
        let mut pid = None;
        for cand in candidates {
            let cc = repo.commit(cand)?;
            let cand_parent = match cc.parents.first() {
                Some(p) => Some(repo.commit_tree(*p)?),
                None => None,
            };
            let mut cand_changes = None;
            if self.pids.known(parent_tree, c.tree).is_none() || self.pids.known(cand_parent, cc.tree).is_none() {
                let theirs_changes = repo.diff_trees(cand_parent, Some(cc.tree))?;
                if !self.pids.balances_may_agree(repo, changes, &theirs_changes)? {
                    continue;
                }
                cand_changes = Some(theirs_changes);
            }
            if pid.is_none() {
                let Some(p) = self.pids.of_trees(repo, parent_tree, c.tree, Some(changes))? else {
                    return Ok(Some("empty commit".into()));
                };
                pid = Some(p);
            }
            let theirs = self
                .pids
                .of_trees(repo, cand_parent, cc.tree, cand_changes.as_deref())?;
            if theirs == pid {
                return Ok(Some(format!("same change as {} (patch-id)", crate::git::short(&cand))));
            }
        }
        Ok(None)
    }
}

/// The sorted, distinct paths of a change.
fn path_set<'a>(paths: impl Iterator<Item = &'a BString>) -> Vec<BString> {
    let mut set: Vec<BString> = paths.cloned().collect();
    set.sort();
    set.dedup();
    set
}

/// The first tag (by date) containing `commit`, for SUSE's `Patch-mainline:`.
fn first_tag_containing(repo: &Repo, tags: &[(String, Oid, i64)], commit: Oid) -> Option<String> {
    tags.iter()
        .find(|(_, t, _)| repo.is_ancestor(commit, *t).unwrap_or(false))
        .map(|(n, _, _)| n.clone())
}

pub fn backport(dir: &std::path::Path, opts: &BackportOptions, progress: &Sink) -> Result<BackportReport> {
    let mut ws = Workspace::open_for(dir, opts.dry_run)?;
    ws.repo.set_progress(progress.clone());
    let (state, _) = ws.require_state()?;
    let state = state.clone();
    let repo = &ws.repo;
    if opts.ranges.is_empty() {
        return Err(Error::input("no range given").hint("e.g. `pq backport v6.7..v6.8 lib/zstd`"));
    }
    let mut ranges = Vec::new();
    for r in &opts.ranges {
        ranges.push(parse_range(repo, r)?);
    }
    let range = Range {
        include: ranges.iter().flat_map(|r| r.include.clone()).collect(),
        exclude: ranges.iter().flat_map(|r| r.exclude.clone()).collect(),
    };
    let paths: Vec<Vec<u8>> = opts
        .paths
        .iter()
        .map(|p| p.trim_end_matches('/').as_bytes().to_vec())
        .collect();
    for (p, raw) in opts.paths.iter().zip(&paths) {
        let mut found = false;
        for id in range.include.iter().chain(&range.exclude) {
            if repo.entry_at(repo.commit_tree(*id)?, raw)?.is_some() {
                found = true;
            }
        }
        if !found {
            return Err(
                Error::input(format!("path '{p}' matches nothing at either end of the range"))
                    .hint("check the spelling; paths are relative to the current directory (`:/PATH` from the top), as in git"),
            );
        }
    }
    let mut selected = select(repo, &range, &paths)?;
    if !opts.extra.is_empty() {
        selected = crate::ops::prereqs::merge_selection(repo, state.base_commit, &range, selected, &opts.extra)?;
    }
    let series = opts
        .series
        .clone()
        .unwrap_or_else(|| default_series(&opts.paths, &opts.ranges));
    crate::ops::validate::series_name(&series)?;
    if selected.is_empty() {
        return Ok(BackportReport {
            series,
            lines: Vec::new(),
            stopped: None,
            new_head: None,
            dry_run: opts.dry_run,
        });
    }
    if series == "packaging" {
        return Err(Error::input("the series name 'packaging' is reserved").hint("choose another with --series NAME"));
    }
    let dirty = ws.dirty()?;
    let style = opts.style.unwrap_or(state.config.style);
    let who = repo.committer()?;

    // Plan: which selected commits to pick, which are already present, which are merges.
    let mut presence = Presence::build(repo, &state, ws.head, &range.exclude)?;
    // Like `git cherry`, also compare with the branch's commits that the range's top lacks: when a bottom is
    // not an ancestor of the top (a tag on a stable branch), the commits below it may already carry some
    // of the range's changes (their backports).
    let mut bottom_below_top = true;
    for b in &range.exclude {
        for t in &range.include {
            bottom_below_top &= repo.is_ancestor(*b, *t)?;
        }
    }
    if !bottom_below_top {
        let below = repo.commits_between(&range.include, ws.head)?;
        presence.compare_with(repo, &below, &mut CommitMemo::default())?;
    }
    let tags = if style == Style::Suse {
        sorted_tags(repo)?
    } else {
        Vec::new()
    };
    let mut report: Vec<ReportLine> = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut known_changes: HashMap<Oid, Vec<crate::git::TreeChange>> = HashMap::new();
    let mut planned: HashSet<Oid> = HashSet::new();
    let planning = PhaseGuard::start(repo.progress(), Phase::PatchIds, Some(selected.len() as u64));
    for (i, Selected { id, parents }) in selected.iter().enumerate() {
        planning.set(i as u64);
        crate::interrupt::check()?;
        let c = repo.commit(*id)?;
        let parent = match (parents.len(), opts.mainline) {
            (0, _) => None,
            (1, _) => Some(parents[0]),
            (n, Some(m)) if m >= 1 && m <= n => Some(c.parents[m - 1]),
            (_, Some(m)) => {
                return Err(Error::input(format!("commit {} has no parent number {m}", c.short()))
                    .hint("--mainline counts parents from 1, like `git cherry-pick -m`"))
            }
            (_, None) => {
                let step = plan_step(&c, None, &series, style, None)?;
                report.push(line(
                    &step,
                    Outcome::Skipped,
                    Some("merge commit (pick it with --mainline N)".into()),
                ));
                continue;
            }
        };
        let parent = parent.map(|p| c.parents.iter().copied().find(|q| *q == p).unwrap_or(p));
        let parent_tree = match parent {
            Some(p) => Some(repo.commit_tree(p)?),
            None => None,
        };
        let changes = repo.diff_trees(parent_tree, Some(c.tree))?;
        let mainline_tag = if style == Style::Suse {
            first_tag_containing(repo, &tags, *id)
        } else {
            None
        };
        let step = plan_step(&c, parent, &series, style, mainline_tag.as_deref())?;
        let origin = step.origin.unwrap_or(step.source);
        if let Some(why) = presence.why(repo, *id, &changes)? {
            report.push(line(&step, Outcome::Present, Some(why)));
            continue;
        }
        if origin != step.source {
            if let Some(by) = presence.recorded.get(&origin) {
                report.push(line(
                    &step,
                    Outcome::Present,
                    Some(format!("its upstream {} is recorded by {}", short(&origin), short(by))),
                ));
                continue;
            }
        }
        if !opts.retry {
            if let Some(d) = crate::ops::declined::find(&state, step.source) {
                report.push(line(
                    &step,
                    Outcome::Declined,
                    Some(format!(
                        "declined by an earlier run: {}; `--retry` picks it again",
                        d.reason
                    )),
                ));
                continue;
            }
        }
        if !planned.insert(origin) {
            report.push(line(
                &step,
                Outcome::Present,
                Some(format!("upstream {} is picked earlier in this run", short(&origin))),
            ));
            continue;
        }
        known_changes.insert(*id, changes);
        steps.push(step);
    }
    drop(planning);

    // Nothing to pick (a re-run of a finished backport): report, and leave the series above alone.
    if steps.is_empty() {
        return Ok(BackportReport {
            series,
            lines: report,
            stopped: None,
            new_head: None,
            dry_run: opts.dry_run,
        });
    }

    // Where the series sits: new picks go after its last patch, and everything above is replayed.
    let insert_at = match state.patches.iter().rposition(|p| p.series == series) {
        Some(i) => i + 1,
        None => state.patches.len(),
    };
    let start = if insert_at == 0 {
        state.base_commit
    } else {
        state.patches[insert_at - 1].commit
    };
    let mut replays = Vec::new();
    for p in &state.patches[insert_at..] {
        replays.push(replay_step(repo, p)?);
    }
    steps.extend(replays);
    if !opts.dry_run {
        // Replays of the series above write what they wrote before except where a new pick meets them.
        let picks: Vec<Step> = steps.iter().filter(|s| s.new).cloned().collect();
        let written = crate::ops::preflight::paths_of_steps(repo, &picks, &known_changes)?;
        crate::ops::preflight::check(repo, &dirty, ws.head_tree()?, &written)?;
    }

    let mut new_state = state.clone();
    new_state.ensure_series(&series);
    if let (Some(pos), Some(pkg)) = (new_state.series_index(&series), new_state.series_index("packaging")) {
        if pos > pkg {
            let s = new_state.series.remove(pos);
            new_state.series.insert(pkg, s);
        }
    }
    new_state.config.style = state.config.style;

    let tx = Transaction::begin(&mut ws, &opts.command)?;
    let repo = &ws.repo;
    let run = chain(repo, start, state.patches[..insert_at].to_vec(), Vec::new())?;
    let replay = Replay::execute(repo, run, steps, &who, opts.dry_run, &known_changes, Bar::Own)?;
    let mut lines = report;
    lines.extend(
        replay
            .run
            .report
            .iter()
            .filter(|l| l.series == series || l.outcome != Outcome::Applied)
            .cloned(),
    );
    // Report in selection order (oldest first), replays of the series above after the new picks.
    let order: HashMap<Oid, usize> = selected.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
    lines.sort_by_key(|l| order.get(&l.source).copied().unwrap_or(usize::MAX));
    let unchanged = replay.done() && replay.run.patches.len() == state.patches.len() && replay.run.tip == ws.head;
    crate::ops::declined::record(&mut new_state, &replay.run.report, &replay.steps);
    let ended = replay.finish(
        tx,
        &mut ws.repo,
        "backport",
        new_state,
        &dirty,
        opts.dry_run || unchanged,
    )?;
    Ok(BackportReport {
        series,
        lines,
        stopped: ended.stopped,
        new_head: ended.new_head,
        dry_run: opts.dry_run,
    })
}

fn sorted_tags(repo: &Repo) -> Result<Vec<(String, Oid, i64)>> {
    let mut tags: Vec<(String, Oid, i64)> = Vec::new();
    for (name, id) in repo.tags()? {
        if name.starts_with('v') {
            let time = repo.commit(id).map(|c| c.committer.time).unwrap_or(0);
            tags.push((name, id, time));
        }
    }
    tags.sort_by_key(|t| t.2);
    Ok(tags)
}

/// A new pick of upstream commit `c`.
fn plan_step(
    c: &crate::git::CommitInfo,
    parent: Option<Oid>,
    series: &str,
    style: Style,
    mainline_tag: Option<&str>,
) -> Result<Step> {
    let (message, raw) = message_fields(&c.message);
    let existing = provenance::parse(&message);
    let source = c.id;
    // A commit that is itself a backport names its upstream: the state records the chain (origin, via).
    // The message gets no second upstream line in the styles that name the upstream, but style x is
    // git's `cherry-pick -x`, which always names the commit it picked (as xfsprogs' libxfs syncs, which
    // carry `Source kernel commit:`, show when picked).
    let annotated = existing.is_empty() || style == Style::X;
    let (origin, via) = match existing.first() {
        Some(p) => (p.commit, Some(source)),
        None => (source, None),
    };
    let new_message = if annotated {
        provenance::annotate(&message, &source, style, mainline_tag)
    } else {
        message.clone()
    };
    // A message in another encoding gets the same provenance line, added to its own bytes.
    let raw = match (raw, annotated) {
        (Some(raw), true) => Some(provenance::edit_raw(&raw, |m| {
            provenance::annotate(m, &source, style, mainline_tag)
        })),
        (raw, _) => raw,
    };
    Ok(Step {
        source,
        parent,
        series: series.to_string(),
        kind: PatchKind::Patch,
        origin: Some(origin),
        via,
        subject: c.subject(),
        message: new_message,
        message_raw: raw,
        encoding: c.encoding.as_ref().map(|e| e.to_string()),
        author: Who::from(&c.author),
        new: true,
        conflicts: Vec::new(),
    })
}

/// Replaying an existing patch of the branch as it is.
pub fn replay_step(repo: &Repo, p: &crate::model::state::Patch) -> Result<Step> {
    let c = repo.commit(p.commit)?;
    let (message, raw) = message_fields(&c.message);
    Ok(Step {
        source: p.commit,
        parent: c.parents.first().copied(),
        series: p.series.clone(),
        kind: p.kind,
        origin: p.origin,
        via: p.via,
        subject: c.subject(),
        message,
        message_raw: raw,
        encoding: c.encoding.as_ref().map(|e| e.to_string()),
        author: Who::from(&c.author),
        new: false,
        conflicts: p.conflicts.clone(),
    })
}
