use std::path::Path;

use crate::cli::json;
use crate::cli::output::{render_lines, render_stop};
use crate::cli::{Output, EXIT_OK, EXIT_STOPPED};
use crate::engine::replay::Outcome;
use crate::model::provenance::Style;
use crate::ops::backport::{backport, BackportOptions};
use crate::ops::count;
use crate::ops::prereqs::{backport_with_prereqs, Prerequisite};

/// Cherry-pick upstream commits touching PATHs, oldest first, into a series
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  pq backport v6.7..v6.8 lib/zstd\n  pq backport v6.7..v6.8 lib/zstd --dry-run --format json\n  pq backport 1234abcd --series backports/fixes --style rhel\n  pq backport --with-prereqs v6.7..v6.8 lib/zstd"
)]
pub struct Args {
    /// Range (A..B) or single commit, then paths (relative to the current directory, `:/PATH` from the
    /// top, as in git); write `--` before paths that look like revisions
    #[arg(required = true, value_name = "RANGE|PATH")]
    pub args: Vec<String>,
    /// Series the picks are appended to (default: backport/<paths>)
    #[arg(long)]
    pub series: Option<String>,
    /// Provenance style: x, rhel, suse or stable (default: from the configuration)
    #[arg(long)]
    pub style: Option<Style>,
    /// Pick merge commits relative to parent N (like git cherry-pick -m)
    #[arg(long, short = 'm', value_name = "N")]
    pub mainline: Option<usize>,
    /// Pick everything in memory and report, changing nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Before a pick that would conflict, pick the upstream commits that last changed its lines, recursively
    #[arg(long)]
    pub with_prereqs: bool,
    /// Pick again the commits an earlier run declined (empty picks and `pq skip`ped ones)
    #[arg(long)]
    pub retry: bool,
}

/// Split the positional arguments: ranges first (anything with `..`, or the first argument), then paths.
fn split(args: &[String]) -> (Vec<String>, Vec<String>) {
    let mut ranges = Vec::new();
    let mut paths = Vec::new();
    let mut in_paths = false;
    for (i, a) in args.iter().enumerate() {
        if a == "--" {
            in_paths = true;
            continue;
        }
        // `../x`, `./x` and `:/x` are paths, however many dots they hold.
        let pathlike = a.starts_with("../") || a.starts_with("./") || a.starts_with(":/") || a == "..";
        if !in_paths && !pathlike && (a.contains("..") || i == 0) {
            ranges.push(a.clone());
        } else {
            in_paths = true;
            paths.push(a.clone());
        }
    }
    (ranges, paths)
}

pub fn run(dir: &Path, a: &Args, out: &Output, cmd: &str) -> crate::Result<i32> {
    let (ranges, paths) = split(&a.args);
    // `:/` alone names the whole tree, as no path does.
    let mut paths = crate::cli::paths::all_from_top(dir, &paths)?;
    paths.retain(|p| !p.is_empty());
    let opts = BackportOptions {
        ranges,
        paths,
        series: a.series.clone(),
        style: a.style,
        mainline: a.mainline,
        dry_run: a.dry_run,
        retry: a.retry,
        command: cmd.into(),
        extra: Vec::new(),
    };
    let progress = out.progress();
    let (r, added) = if a.with_prereqs {
        backport_with_prereqs(dir, &opts, &progress)?
    } else {
        (backport(dir, &opts, &progress)?, Vec::new())
    };
    let prereqs = r.stopped.as_ref().map(|s| s.prerequisites.clone()).unwrap_or_default();
    if out.json() {
        let mut stopped = json::stopped(r.stopped.as_ref());
        if let Some(s) = &mut stopped {
            s.prerequisites = Some(prereqs.iter().map(json::Commit::from).collect());
        }
        out.print_json(&json::Backport {
            series: r.series.clone(),
            dry_run: r.dry_run,
            commits: json::lines(&r.lines),
            stopped,
            head: r.new_head.as_ref().map(json::id),
            prerequisites_added: added.iter().map(json::Commit::from).collect(),
        });
    } else if r.lines.is_empty() && r.stopped.is_none() {
        println!("nothing to backport: no commit in the range touches the paths");
    } else {
        print!("{}", render_lines(&r.lines, r.dry_run));
        if !added.is_empty() {
            println!("prerequisites added ({}):", added.len());
            print!("{}", render_prereqs(&added));
        }
        let applied = count(&r.lines, Outcome::Applied) + count(&r.lines, Outcome::Resolved);
        let present = count(&r.lines, Outcome::Present);
        let conflicts = count(&r.lines, Outcome::Conflict);
        // Blocked picks are not conflicts of their own; skipped merges and declined picks are counted too, so
        // the summary accounts for every selected commit.
        let mut extra = String::new();
        for (n, what) in [
            (count(&r.lines, Outcome::Blocked), "blocked by an earlier conflict"),
            (count(&r.lines, Outcome::Skipped), "skipped"),
            (count(&r.lines, Outcome::Declined), "declined earlier"),
        ] {
            if n > 0 {
                extra.push_str(&format!(", {n} {what}"));
            }
        }
        if r.dry_run {
            println!(
                "dry run: {applied} would apply, {present} already present, {conflicts} conflict(s){extra}; nothing changed"
            );
        } else if let Some(s) = &r.stopped {
            eprint!("{}", render_stop("backport", s));
            if !prereqs.is_empty() {
                eprintln!("upstream commits the branch lacks that last changed these lines (oldest first):");
                eprint!("{}", render_prereqs(&prereqs));
                eprintln!(
                    "to pick them first: `pq abort`, then `pq backport --with-prereqs {}`",
                    a.args.join(" ")
                );
            }
        } else if applied == 0 {
            println!(
                "nothing picked into {}: {present} already present{extra}; nothing changed",
                r.series
            );
        } else {
            println!("{applied} picked into {}, {present} already present{extra}", r.series);
        }
    }
    Ok(if r.stopped.is_some() { EXIT_STOPPED } else { EXIT_OK })
}

fn render_prereqs(list: &[Prerequisite]) -> String {
    list.iter()
        .map(|p| format!("  {} {}\n", crate::git::short(&p.commit), p.subject))
        .collect()
}
