use std::path::Path;

use crate::cli::output::{render_lines, render_prerequisites, render_stop};
use crate::cli::{Output, EXIT_OK, EXIT_STOPPED};
use crate::git::short;
use crate::ops::fixes::{fixes, FixesOptions};

/// Upstream follow-ups: commits whose `Fixes:` names something the branch ships but does not carry yet
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Fixes of a carried patch go into that patch's series; fixes of a bug in the base go into `fixes`.\n\n\
A fix an earlier backport declined (`pq skip`ped, or empty) is listed as declined and not picked again; \
`--retry` lists and picks it again.\n\n\
Examples:\n  pq fixes\n  pq fixes --upstream v6.8 --format json\n  pq fixes --upstream origin/master --apply\n  pq fixes --apply --retry"
)]
pub struct Args {
    /// Where upstream is (default: the newest tag of the base's stable line, or the base's upstream branch)
    #[arg(long, value_name = "REV")]
    pub upstream: Option<String>,
    /// Backport them, each into the series of the patch it fixes; conflicts stop as in `pq backport`
    #[arg(long)]
    pub apply: bool,
    /// List and pick again the follow-ups an earlier backport declined (`pq skip`ped or empty)
    #[arg(long)]
    pub retry: bool,
}

pub fn run(dir: &Path, a: &Args, out: &Output, cmd: &str) -> crate::Result<i32> {
    let r = fixes(
        dir,
        &FixesOptions {
            upstream: a.upstream.clone(),
            apply: a.apply,
            retry: a.retry,
            command: cmd.into(),
        },
    )?;
    let stopped = r.applied.iter().find_map(|b| b.stopped.as_ref());
    // A fix that stops names its prerequisites like any backport stop.
    let prereqs = stopped.map(|s| s.prerequisites.clone()).unwrap_or_default();
    if out.json() {
        use super::json;
        out.print_json(&json::Fixes {
            fixes: r
                .fixes
                .iter()
                .map(|f| json::Fix {
                    commit: json::id(&f.commit),
                    subject: f.subject.clone(),
                    fixes: f.fixes.iter().map(json::id).collect(),
                    carried_patch: f.carried_patch.as_ref().map(json::id),
                    in_base: f.in_base,
                })
                .collect(),
            declined: r
                .declined
                .iter()
                .map(|d| json::DeclinedFix {
                    commit: json::id(&d.commit),
                    subject: d.subject.clone(),
                    reason: d.reason.clone(),
                })
                .collect(),
            applied: a.apply.then(|| {
                r.applied
                    .iter()
                    .map(|b| json::FixesApplied {
                        series: b.series.clone(),
                        commits: json::lines(&b.lines),
                        head: b.new_head.as_ref().map(json::id),
                    })
                    .collect()
            }),
            stopped: a.apply.then(|| json::stopped_at(stopped, &prereqs)),
        });
        return Ok(if stopped.is_some() { EXIT_STOPPED } else { EXIT_OK });
    }
    for d in &r.declined {
        println!(
            "declined {} {} (declined by an earlier run: {}; --retry picks it again)",
            short(&d.commit),
            d.subject,
            d.reason
        );
    }
    if r.fixes.is_empty() {
        println!(
            "no follow-up fixes: {} commits up to {} read, none fixes what the branch ships without being carried",
            r.scanned, r.upstream
        );
    }
    for f in &r.fixes {
        println!("{} {}", short(&f.commit), f.subject);
        let targets: Vec<String> = f.fixes.iter().map(short).collect();
        let mut wherein = Vec::new();
        if let Some(p) = f.carried_patch {
            wherein.push(format!("carried as {} in {}", short(&p), f.series));
        }
        if f.in_base {
            wherein.push("in the base".to_string());
        }
        println!("    fixes {} ({})", targets.join(", "), wherein.join("; "));
    }
    if a.apply {
        for b in &r.applied {
            print!("{}", render_lines(&b.lines, false));
        }
        if let Some(s) = stopped {
            eprint!("{}", render_stop("backport", s));
            eprint!("{}", render_prerequisites(&prereqs));
            eprintln!("after it, run `pq fixes --apply` again for the remaining follow-ups");
        }
    } else if !r.fixes.is_empty() {
        println!(
            "{} follow-up fix(es) in {} commits up to {}; pick them with `pq fixes --apply`",
            r.fixes.len(),
            r.scanned,
            r.upstream
        );
    }
    Ok(if stopped.is_some() { EXIT_STOPPED } else { EXIT_OK })
}
