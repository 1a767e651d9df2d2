use std::path::Path;

use crate::cli::output::{render_lines, render_prerequisites, render_stop};
use crate::cli::{Output, EXIT_OK, EXIT_STOPPED};
use crate::engine::replay::Outcome;
use crate::ops::count;
use crate::ops::rebase::{rebase, RebaseOptions};

/// Replay every series onto a new base, dropping what it already contains
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  pq rebase v6.7.2 --dry-run\n  pq rebase fedora-6.8\n  pq rebase v6.8.1 --format json"
)]
pub struct Args {
    /// The new base (tag, branch or commit)
    pub onto: String,
    /// Replay everything in memory and report, changing nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Rebase even onto a base older than the current one or onto one of the branch's own commits
    #[arg(long)]
    pub force: bool,
}

pub fn run(dir: &Path, a: &Args, out: &Output, cmd: &str) -> crate::Result<i32> {
    let progress = out.progress();
    let r = rebase(
        dir,
        &RebaseOptions {
            onto: a.onto.clone(),
            dry_run: a.dry_run,
            force: a.force,
            command: cmd.into(),
        },
        &progress,
    )?;
    let prereqs = r.stopped.as_ref().map(|s| s.prerequisites.clone()).unwrap_or_default();
    if out.json() {
        out.print_json(&super::json::Rebase {
            old_base: r.old_base.clone(),
            new_base: r.new_base.clone(),
            dry_run: r.dry_run,
            patches: super::json::lines(&r.lines),
            stopped: super::json::stopped_at(r.stopped.as_ref(), &prereqs),
            head: r.new_head.as_ref().map(super::json::id),
        });
    } else {
        print!("{}", render_lines(&r.lines, r.dry_run));
        let applied = count(&r.lines, Outcome::Applied) + count(&r.lines, Outcome::Resolved);
        let dropped = count(&r.lines, Outcome::Dropped);
        let conflicts = count(&r.lines, Outcome::Conflict);
        let blocked = match count(&r.lines, Outcome::Blocked) {
            0 => String::new(),
            n => format!(", {n} blocked by an earlier conflict"),
        };
        let mut per_series: Vec<(String, usize, usize, usize)> = Vec::new();
        for l in &r.lines {
            if !per_series.iter().any(|s| s.0 == l.series) {
                per_series.push((l.series.clone(), 0, 0, 0));
            }
            let s = per_series.iter_mut().find(|s| s.0 == l.series).expect("present");
            match l.outcome {
                Outcome::Applied | Outcome::Resolved => s.1 += 1,
                Outcome::Dropped => s.2 += 1,
                Outcome::Conflict | Outcome::Blocked => s.3 += 1,
                _ => {}
            }
        }
        for (name, a, d, c) in &per_series {
            println!("  {name}: {a} replayed, {d} dropped, {c} conflict(s)");
        }
        if r.dry_run {
            println!("dry run onto {}: {applied} would apply, {dropped} would be dropped, {conflicts} conflict(s){blocked}; nothing changed", r.new_base);
        } else if let Some(s) = &r.stopped {
            eprint!("{}", render_stop("rebase", s));
            eprint!("{}", render_prerequisites(&prereqs));
        } else {
            println!("rebased onto {}: {applied} replayed, {dropped} dropped", r.new_base);
        }
    }
    Ok(if r.stopped.is_some() { EXIT_STOPPED } else { EXIT_OK })
}
