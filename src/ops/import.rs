//! `pq import [--format F] PATH [--series NAME]`: each patch of a quilt, Debian, SUSE, spec or mbox queue
//! becomes a commit (its author, date and message; its origin recorded), appended to the branch in new
//! series. Patches are applied in memory; one that does not apply is merged three-way and stops like a
//! backport, for `pq continue`, `pq skip` or `pq abort`.

use std::path::{Path, PathBuf};

use crate::engine::replay::{ReportLine, Step, Who};
use crate::error::{Error, Result};
use crate::git::Person;
use crate::interop::apply::{apply, parse_diff, Applied};
use crate::interop::import::{origin_and_via, read_queue};
use crate::interop::Format;
use crate::model::provenance;
use crate::model::state::PatchKind;
use crate::ops::run::{chain, Bar, Replay};
use crate::ops::{StopInfo, Transaction, Workspace};

pub struct ImportOptions {
    pub path: PathBuf,
    pub format: Option<Format>,
    pub series: Option<String>,
    pub dry_run: bool,
    pub command: String,
}

pub struct ImportReport {
    pub format: Format,
    pub lines: Vec<ReportLine>,
    /// The patch file of each line, by the line's source.
    pub files: Vec<(crate::git::Oid, String)>,
    pub series: Vec<String>,
    pub notes: Vec<String>,
    pub stopped: Option<StopInfo>,
    pub new_head: Option<crate::git::Oid>,
    pub dry_run: bool,
}

const DEFAULT_SERIES: &str = "imported";

pub fn import(dir: &Path, opts: &ImportOptions, progress: &crate::progress::Sink) -> Result<ImportReport> {
    let mut ws = Workspace::open_for(dir, opts.dry_run)?;
    ws.repo.set_progress(progress.clone());
    let (state, _) = ws.require_state()?;
    let state = state.clone();
    let path = if opts.path.is_absolute() {
        opts.path.clone()
    } else {
        dir.join(&opts.path)
    };
    let queue = read_queue(dir, &path, opts.format)?;

    // Check everything before applying anything.
    let mut parsed = Vec::new();
    let mut series_order: Vec<String> = Vec::new();
    for input in &queue.inputs {
        let p = &input.patch;
        let files = parse_diff(&p.name, &p.diff, p.diff_line)?;
        if files.is_empty() {
            return Err(
                Error::input(format!("{}:{}: no file changes in this patch", p.name, p.diff_line))
                    .hint("remove the patch from the series or fix it"),
            );
        }
        let (origin, via) = origin_and_via(p)?;
        let series = opts
            .series
            .clone()
            .or_else(|| input.series.clone())
            .unwrap_or_else(|| DEFAULT_SERIES.to_string());
        if !series_order.contains(&series) {
            series_order.push(series.clone());
        }
        parsed.push((p, files, origin, via, series));
    }
    for s in &series_order {
        crate::ops::validate::series_name(s)?;
        if s == "packaging" {
            return Err(
                Error::input("the series name 'packaging' is reserved").hint("choose another with --series NAME")
            );
        }
        // Appending is only for series the branch does not carry yet (or that are empty): a series' patches
        // stay together in the queue.
        if state.patches_in(s).next().is_some() {
            return Err(Error::input(format!("the branch already has a series named '{s}'"))
                .hint("import into a new series with --series NAME"));
        }
    }
    let dirty = if opts.dry_run { Vec::new() } else { ws.dirty()? };
    let tx = Transaction::begin(&mut ws, &opts.command)?;
    let who = tx.who().clone();
    let repo = &ws.repo;

    // Plan: apply each patch on the tree the previous ones give. A patch that applies becomes its commit
    // directly (execute recreates the same object); one that does not gets a preimage/postimage pair for
    // the three-way merge, and the ones after it are planned without it.
    let mut tree = ws.head_tree()?;
    let mut prev = ws.head;
    let mut steps = Vec::new();
    let mut files_of = Vec::new();
    let total = parsed.len();
    // One bar over both halves: applying the patch files to their bases, then replaying them.
    let replaying = crate::progress::PhaseGuard::start(
        progress.as_ref(),
        crate::progress::Phase::Replaying,
        Some(total as u64 * 2),
    );
    for (i, (p, files, origin, via, series)) in parsed.iter().enumerate() {
        replaying.set(i as u64);
        let author = match (&p.author, p.date) {
            (Some((name, email)), Some((time, offset))) => Person {
                name: name.clone(),
                email: email.clone(),
                time,
                offset,
            },
            (Some((name, email)), None) => Person {
                name: name.clone(),
                email: email.clone(),
                ..who.clone()
            },
            (None, Some((time, offset))) => Person {
                time,
                offset,
                ..who.clone()
            },
            (None, None) => who.clone(),
        };
        let mut message = p.message();
        // The origin stays in the commit, not only in pq's state: a header-only origin gets a line in the
        // configured style.
        if let Some(o) = origin {
            if !provenance::parse(&message).iter().any(|x| &x.commit == o) {
                message = provenance::annotate(&message, o, state.config.style, None);
            }
        }
        let (source, parent) = match apply(repo, tree, &p.name, files)? {
            Applied::Clean(new_tree) => {
                let c = repo.write_commit(new_tree, &[prev], &author, &who, message.as_bytes(), None)?;
                let parent = prev;
                tree = new_tree;
                prev = c;
                (c, parent)
            }
            Applied::Failed { pre, post, .. } => {
                let parent = repo.write_commit(pre, &[prev], &author, &who, message.as_bytes(), None)?;
                let c = repo.write_commit(post, &[parent], &author, &who, message.as_bytes(), None)?;
                (c, parent)
            }
        };
        files_of.push((source, p.name.clone()));
        steps.push(Step {
            source,
            parent: Some(parent),
            series: series.clone(),
            kind: PatchKind::Patch,
            origin: *origin,
            via: *via,
            subject: p.subject.clone(),
            message,
            message_raw: None,
            encoding: None,
            author: Who::from(&author),
            new: true,
            conflicts: Vec::new(),
        });
    }

    if !opts.dry_run {
        // Before the first change, every path the whole import writes: a stop at one patch leaves the
        // later ones to `pq continue`, which must not meet the user's changes.
        let written = crate::ops::preflight::paths_of_steps(repo, &steps, &Default::default())?;
        crate::ops::preflight::check(repo, &dirty, ws.head_tree()?, &written)?;
    }
    let mut new_state = state.clone();
    for s in &series_order {
        new_state.ensure_series(s);
        if let (Some(pos), Some(pkg)) = (new_state.series_index(s), new_state.series_index("packaging")) {
            if pos > pkg {
                let moved = new_state.series.remove(pos);
                new_state.series.insert(pkg, moved);
            }
        }
    }
    let run = chain(&ws.repo, ws.head, state.patches.clone(), Vec::new())?;
    let replay = Replay::execute(
        &ws.repo,
        run,
        steps,
        &who,
        opts.dry_run,
        &Default::default(),
        Bar::Within(&replaying, total),
    )?;
    drop(replaying);
    let lines = replay.run.report.clone();
    let unchanged = replay.done() && replay.run.tip == ws.head;
    let ended = replay.finish(tx, &mut ws.repo, "import", new_state, &dirty, opts.dry_run || unchanged)?;
    Ok(ImportReport {
        format: queue.format,
        lines,
        files: files_of,
        series: series_order,
        notes: queue.notes,
        stopped: ended.stopped,
        new_head: ended.new_head,
        dry_run: opts.dry_run,
    })
}
