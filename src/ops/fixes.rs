//! `pq fixes [--upstream REV] [--apply]`: upstream follow-ups. The commits of BASE..REV whose `Fixes:`
//! trailers name a commit the branch ships (one in its base, or the upstream of a carried patch) and that
//! the branch does not carry yet. One pass over the range's messages; with `--apply` each is backported
//! into the series of the patch it fixes (`fixes` for bugs in the base).

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::engine::trailers::{self, FixesTrailer};
use crate::error::{Error, Result};
use crate::git::lookup::Abbrev;
use crate::git::{Oid, Repo};
use crate::model::provenance;
use crate::model::state::State;
use crate::ops::backport::{backport, BackportOptions, BackportReport, Presence};
use crate::ops::status::newer_in_line;
use crate::ops::Workspace;

/// The series fixes of bugs in the base go to.
pub const BASE_FIXES_SERIES: &str = "fixes";

pub struct FixesOptions {
    pub upstream: Option<String>,
    pub apply: bool,
    /// Report and pick again the fixes an earlier backport declined (skipped, or empty).
    pub retry: bool,
    pub command: String,
}

/// A follow-up an earlier backport declined (`pq skip`ped, or empty): reported, not picked again without
/// `--retry`.
#[derive(Debug, Clone)]
pub struct DeclinedFix {
    pub commit: Oid,
    pub subject: String,
    pub reason: String,
}

/// One upstream follow-up the branch lacks.
#[derive(Debug, Clone, Serialize)]
pub struct Fix {
    #[serde(with = "crate::git::id::hex")]
    pub commit: Oid,
    pub subject: String,
    /// The commits it names that the branch ships (upstream ids: base commits, or carried patches' origins).
    #[serde(serialize_with = "hex_list")]
    pub fixes: Vec<Oid>,
    /// The branch commit carrying the patch it fixes, if it fixes a carried patch.
    #[serde(with = "crate::git::id::hex_opt")]
    pub carried_patch: Option<Oid>,
    /// Whether it fixes a commit of the base.
    pub in_base: bool,
    /// The series `--apply` puts it in.
    #[serde(skip)]
    pub series: String,
}

fn hex_list<S: serde::Serializer>(ids: &[Oid], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(ids.iter().map(|i| i.to_string()))
}

pub struct FixesReport {
    /// The upstream revision as resolved, and how it was named.
    pub upstream: String,
    pub upstream_commit: Oid,
    /// Commits of the range read.
    pub scanned: usize,
    pub fixes: Vec<Fix>,
    /// Follow-ups an earlier run declined, left out of `fixes` (empty with `--retry`).
    pub declined: Vec<DeclinedFix>,
    /// With `--apply`: the backports run, in order; the last one may have stopped at a conflict.
    pub applied: Vec<BackportReport>,
}

/// Where the branch's base continues: `--upstream`, else the newest tag of the base's stable line, else the
/// base's upstream branch (`BASE@{upstream}`).
pub fn default_upstream(repo: &Repo, state: &State) -> Result<String> {
    if let Some(newest) = newer_in_line(repo, &state.base)?.pop() {
        return Ok(newest);
    }
    let tracking = format!("{}@{{upstream}}", state.base);
    if repo.resolve_commit(&tracking).is_ok() {
        return Ok(tracking);
    }
    Err(Error::input(format!(
        "base {} has no newer tag in its stable line and no upstream branch",
        state.base
    ))
    .hint("name where upstream is with `--upstream REV`, e.g. `pq fixes --upstream v6.8`"))
}

/// What the branch ships, for matching `Fixes:` targets against.
struct Shipped<'a> {
    repo: &'a Repo,
    base: Oid,
    /// Upstream id (origin, via, provenance line, or the branch commit itself) → branch commit.
    carried: &'a HashMap<Oid, Oid>,
    /// Subjects of the carried patches' upstreams and branch commits → upstream id.
    carried_subjects: Vec<(String, Oid)>,
    /// Subjects of the base's history, built only when an id does not resolve.
    base_subjects: Option<HashMap<String, Vec<Oid>>>,
    /// Commits of the scanned range (none of them is in the base).
    in_range: &'a std::collections::HashSet<Oid>,
    ancestor_cache: HashMap<Oid, bool>,
}

impl Shipped<'_> {
    fn in_base(&mut self, id: Oid) -> Result<bool> {
        if self.in_range.contains(&id) {
            return Ok(false);
        }
        if let Some(v) = self.ancestor_cache.get(&id) {
            return Ok(*v);
        }
        let v = self.repo.is_ancestor(id, self.base)?;
        self.ancestor_cache.insert(id, v);
        Ok(v)
    }

    fn base_by_subject(&mut self, subject: &str) -> Result<Vec<Oid>> {
        if self.base_subjects.is_none() {
            let mut index: HashMap<String, Vec<Oid>> = HashMap::new();
            for id in self.repo.commits_between(&[], self.base)? {
                index.entry(self.repo.commit(id)?.subject()).or_default().push(id);
            }
            self.base_subjects = Some(index);
        }
        let index = self.base_subjects.as_ref().expect("built above");
        if let Some(head) = subject.strip_suffix("...") {
            let mut v: Vec<Oid> = index
                .iter()
                .filter(|(s, _)| trailers::subject_matches(subject, s) && !head.trim().is_empty())
                .flat_map(|(_, ids)| ids.iter().copied())
                .collect();
            v.sort();
            return Ok(v);
        }
        Ok(index.get(subject).cloned().unwrap_or_default())
    }

    /// The shipped commits a trailer names: by id (a carried upstream or a commit of the repository), and
    /// when the id is unknown or ambiguous, by the quoted subject.
    fn targets(&mut self, t: &FixesTrailer) -> Result<Vec<Oid>> {
        let mut out: Vec<Oid> = self
            .carried
            .keys()
            .filter(|k| k.to_string().starts_with(&t.hex))
            .copied()
            .collect();
        let mut resolved = false;
        let by_id = match self.repo.lookup_commit_prefix(&t.hex)? {
            Abbrev::Commit(id) => {
                resolved = true;
                vec![id]
            }
            Abbrev::Ambiguous(ids) => {
                let mut keep = Vec::new();
                if let Some(subject) = &t.subject {
                    for id in ids {
                        if trailers::subject_matches(subject, &self.repo.commit(id)?.subject()) {
                            keep.push(id);
                        }
                    }
                }
                keep
            }
            Abbrev::Unknown => Vec::new(),
        };
        for id in by_id {
            if self.carried.contains_key(&id) || self.in_base(id)? {
                out.push(id);
            }
        }
        if out.is_empty() && !resolved {
            if let Some(subject) = &t.subject {
                for (s, id) in &self.carried_subjects {
                    if trailers::subject_matches(subject, s) {
                        out.push(*id);
                    }
                }
                if out.is_empty() {
                    out = self.base_by_subject(subject)?;
                }
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// Find the follow-ups (and with `apply`, backport them).
pub fn fixes(dir: &Path, opts: &FixesOptions) -> Result<FixesReport> {
    let (upstream, upstream_commit, scanned, found, declined) = {
        let ws = Workspace::open(dir)?;
        let (state, _) = ws.require_state()?;
        let repo = &ws.repo;
        let upstream = match &opts.upstream {
            Some(u) => u.clone(),
            None => default_upstream(repo, state)?,
        };
        let upstream_commit = repo.resolve_commit(&upstream)?;
        let base = state.base_commit;
        let range = repo.commits_between(&[base], upstream_commit)?;
        let in_range: std::collections::HashSet<Oid> = range.iter().copied().collect();
        let mut presence = Presence::build(repo, state, ws.head, &[base])?;
        // Carried: the branch's own commits too (a Fixes: naming a downstream patch by its id).
        let mut carried = presence.recorded.clone();
        for p in &state.patches {
            carried.entry(p.commit).or_insert(p.commit);
        }
        let mut carried_subjects = Vec::new();
        for (&upstream_id, _) in carried.iter() {
            if let Ok(c) = repo.commit(upstream_id) {
                carried_subjects.push((c.subject(), upstream_id));
            }
        }
        for p in &state.patches {
            let c = repo.commit(p.commit)?;
            let key = p.origin.unwrap_or(p.commit);
            carried_subjects.push((c.subject(), key));
        }
        carried_subjects.sort();
        carried_subjects.dedup();
        let series_of: HashMap<Oid, &str> = state.patches.iter().map(|p| (p.commit, p.series.as_str())).collect();
        let mut shipped = Shipped {
            repo,
            base,
            carried: &carried,
            carried_subjects,
            base_subjects: None,
            in_range: &in_range,
            ancestor_cache: HashMap::new(),
        };
        let mut found = Vec::new();
        let mut declined = Vec::new();
        // Oldest first, the order they would be picked in.
        for &id in range.iter().rev() {
            let c = repo.commit(id)?;
            let message = c.message_lossy();
            let named = trailers::fixes(&message);
            if named.is_empty() || c.parents.len() > 1 {
                continue;
            }
            let mut targets = Vec::new();
            for t in &named {
                targets.extend(shipped.targets(t)?);
            }
            targets.sort();
            targets.dedup();
            if targets.is_empty() {
                continue;
            }
            // Already carried: by id, by the upstream its own provenance names, or by patch-id.
            if carried.contains_key(&id)
                || provenance::parse(&message)
                    .first()
                    .is_some_and(|p| carried.contains_key(&p.commit))
            {
                continue;
            }
            let changes = match c.parents.first() {
                Some(p) => repo.diff_trees(Some(repo.commit_tree(*p)?), Some(c.tree))?,
                None => repo.diff_trees(None, Some(c.tree))?,
            };
            if presence.why(repo, id, &changes)?.is_some() {
                continue;
            }
            if !opts.retry {
                if let Some(d) = crate::ops::declined::find(state, id) {
                    declined.push(DeclinedFix {
                        commit: id,
                        subject: c.subject(),
                        reason: d.reason.clone(),
                    });
                    continue;
                }
            }
            let carried_patch = targets.iter().find_map(|t| carried.get(t).copied());
            let mut in_base = false;
            for t in &targets {
                if !carried.contains_key(t) && shipped.in_base(*t)? {
                    in_base = true;
                }
            }
            let series = carried_patch
                .and_then(|p| series_of.get(&p).map(|s| s.to_string()))
                .unwrap_or_else(|| BASE_FIXES_SERIES.to_string());
            found.push(Fix {
                commit: id,
                subject: c.subject(),
                fixes: targets,
                carried_patch,
                in_base,
                series,
            });
        }
        (upstream, upstream_commit, range.len(), found, declined)
    };
    let mut applied = Vec::new();
    if opts.apply {
        for f in &found {
            let r = backport(
                dir,
                &BackportOptions {
                    ranges: vec![f.commit.to_string()],
                    paths: Vec::new(),
                    series: Some(f.series.clone()),
                    style: None,
                    mainline: None,
                    dry_run: false,
                    retry: opts.retry,
                    command: opts.command.clone(),
                    extra: Vec::new(),
                },
                &crate::progress::silent(),
            )?;
            let stopped = r.stopped.is_some();
            applied.push(r);
            if stopped {
                break;
            }
        }
    }
    Ok(FixesReport {
        upstream,
        upstream_commit,
        scanned,
        fixes: found,
        declined,
        applied,
    })
}
