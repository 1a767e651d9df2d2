use std::path::{Path, PathBuf};

use crate::cli::output::{render_lines, render_stop};
use crate::cli::{Output, EXIT_OK, EXIT_STOPPED};
use crate::engine::replay::Outcome;
use crate::interop::Format;
use crate::ops::count;
use crate::ops::import::{import, ImportOptions};

/// Turn a quilt, Debian, SUSE, spec or mbox patch queue into commits in new series
#[derive(clap::Args, Debug)]
#[command(
    after_help = "The format is found from PATH: a directory with series.conf (SUSE) or series (quilt, Debian),\n\
a .spec file or a directory holding one (its PatchNNNNN: lines, in number order), or an mbox.\n\
Each subdirectory of a series (each series.conf section) becomes its own series.\n\
A patch that does not apply stops like a backport: resolve, `git add`, `pq continue` (or `pq skip`, `pq abort`).\n\n\
Examples:\n  pq import debian/patches --dry-run\n  pq import ../kernel-source --format suse\n  pq import series.mbox --series upstream/fixes"
)]
pub struct Args {
    /// The series directory, series file, spec or mbox
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Put every patch into this series (default: one per subdirectory or section, else `imported`)
    #[arg(long)]
    pub series: Option<String>,
    /// Apply everything in memory and report which patches would not apply, changing nothing
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(dir: &Path, a: &Args, format: Option<Format>, out: &Output, cmd: &str) -> crate::Result<i32> {
    let progress = out.progress();
    let r = import(
        dir,
        &ImportOptions {
            path: a.path.clone(),
            format,
            series: a.series.clone(),
            dry_run: a.dry_run,
            command: cmd.into(),
        },
        &progress,
    )?;
    let file_of = |source: &crate::git::Oid| -> String {
        r.files
            .iter()
            .find(|(s, _)| s == source)
            .map(|(_, f)| f.clone())
            .unwrap_or_default()
    };
    if out.json() {
        let commits: Vec<serde_json::Value> = r
            .lines
            .iter()
            .map(|l| {
                let mut v = serde_json::to_value(l).expect("serializes");
                v["file"] = serde_json::Value::String(file_of(&l.source));
                v
            })
            .collect();
        out.print_json(&serde_json::json!({
            "format": r.format,
            "dry_run": r.dry_run,
            "series": r.series,
            "commits": commits,
            "notes": r.notes,
            "stopped": r.stopped.as_ref().map(|s| serde_json::json!({"commit": s.source.to_string(), "file": file_of(&s.source), "subject": s.subject, "series": s.series, "conflicts": s.paths})),
            "head": r.new_head.map(|h| h.to_string()),
        }));
    } else {
        for n in &r.notes {
            eprintln!("note: {n}");
        }
        if r.dry_run {
            for l in &r.lines {
                if matches!(l.outcome, Outcome::Conflict | Outcome::Blocked) {
                    println!("would not apply: {} ({})", file_of(&l.source), l.paths.join(", "));
                }
            }
        } else {
            print!("{}", render_lines(&r.lines, false));
        }
        let applied = count(&r.lines, Outcome::Applied) + count(&r.lines, Outcome::Resolved);
        let conflicts = count(&r.lines, Outcome::Conflict) + count(&r.lines, Outcome::Blocked);
        if r.dry_run {
            println!(
                "dry run ({}): {applied} would apply, {conflicts} would not; nothing changed",
                r.format
            );
        } else if let Some(s) = &r.stopped {
            eprintln!("{} does not apply", file_of(&s.source));
            eprint!("{}", render_stop("import", s));
        } else {
            println!(
                "imported {applied} patch(es) ({}) into {}",
                r.format,
                r.series.join(", ")
            );
        }
    }
    Ok(if r.stopped.is_some() { EXIT_STOPPED } else { EXIT_OK })
}
