use std::path::Path;

use crate::cli::output::{render_lines, render_prerequisites};
use crate::cli::{Output, EXIT_OK, EXIT_STOPPED};
use crate::engine::replay::Outcome;
use crate::git::short;
use crate::ops::bump::{bump, BumpOptions, BumpOutcome};
use crate::ops::count;

/// Move every branch pq manages (or those named) onto the newest tag of its base's stable line
#[derive(clap::Args, Debug)]
#[command(
    long_about = "Move every branch pq manages (or those named) onto the newest tag of its base's stable line \
(a branch on v6.7.1 goes to v6.7.4 when that is the newest v6.7.y tag), each replayed as `pq rebase` would, \
one operation-log entry per branch.\n\n\
Branches that replay cleanly are moved without being checked out; the current branch also gets its work \
tree updated. If branches stop at a conflict, one of them is left stopped and checked out (the current \
branch if it is one, otherwise the first): finish it with `pq continue`, `pq skip` or `pq abort`. Any other \
branch that would stop is not started, and the report names the command for it. Refused, changing nothing, \
when uncommitted changes are in the way.",
    after_help = "Examples:\n  pq bump --dry-run\n  pq bump\n  pq bump fedora-6.7 fedora-6.6 --format json"
)]
pub struct Args {
    /// Branches to bump (default: every branch pq manages)
    #[arg(value_name = "BRANCH")]
    pub branches: Vec<String>,
    /// Replay everything in memory and report, changing nothing
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(dir: &Path, a: &Args, out: &Output, cmd: &str) -> crate::Result<i32> {
    let progress = out.progress();
    let r = bump(
        dir,
        &BumpOptions {
            branches: a.branches.clone(),
            dry_run: a.dry_run,
            command: cmd.into(),
        },
        &progress,
    )?;
    let stopped = r.branches.iter().any(|b| b.outcome == BumpOutcome::Stopped);
    if out.json() {
        out.print_json(&r);
    } else {
        for b in &r.branches {
            let to = b.new_base.as_deref().unwrap_or(&b.old_base);
            let applied = count(&b.patches, Outcome::Applied);
            let dropped = count(&b.patches, Outcome::Dropped);
            let what = match b.outcome {
                BumpOutcome::UpToDate => {
                    format!("{}: {} is the newest of its line, nothing to do", b.branch, b.old_base)
                }
                BumpOutcome::Bumped => format!(
                    "{}: {} -> {to}: {applied} replayed, {dropped} dropped",
                    b.branch, b.old_base
                ),
                BumpOutcome::WouldBump => format!(
                    "{}: {} -> {to}: {applied} would apply, {dropped} would be dropped",
                    b.branch, b.old_base
                ),
                BumpOutcome::Stopped => format!("{}: {} -> {to}: stopped at a conflict", b.branch, b.old_base),
                BumpOutcome::WouldStop => format!("{}: {} -> {to}: would stop at a conflict", b.branch, b.old_base),
                BumpOutcome::NotStarted => format!(
                    "{}: {} -> {to}: not started (it would stop at a conflict, and another branch is stopped)",
                    b.branch, b.old_base
                ),
            };
            println!("{what}");
            for l in render_lines(&b.patches, r.dry_run).lines() {
                println!("  {l}");
            }
        }
        for b in &r.branches {
            if let Some(s) = &b.stopped {
                let paths = s.conflicts.join(", ");
                let lead = match b.outcome {
                    BumpOutcome::Stopped => "stopped at",
                    _ => "would stop at",
                };
                eprintln!(
                    "{}: {lead} {} {} (series {}) [{paths}]",
                    b.branch,
                    short(&s.commit),
                    s.subject,
                    s.series
                );
                eprint!("{}", render_prerequisites(&s.prerequisites));
            }
            if let Some(next) = &b.next {
                eprintln!("{}: {next}", b.branch);
            }
        }
        if r.dry_run {
            println!("dry run: nothing changed");
        }
    }
    Ok(if stopped { EXIT_STOPPED } else { EXIT_OK })
}
