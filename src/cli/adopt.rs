use std::path::Path;

use crate::cli::{Output, EXIT_OK};

/// Re-read a branch that changed outside pq, keeping what pq knew about its patches
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  git commit -m 'fix' && pq adopt\n  git commit -m 'fix' && pq adopt --series fixes"
)]
pub struct Args {
    /// Series for new commits on top of the stack (default: a `local` series at the top); new commits
    /// among known patches join the series around them
    #[arg(long)]
    pub series: Option<String>,
}

pub fn run(dir: &Path, a: &Args, out: &Output, cmd: &str) -> crate::Result<i32> {
    let r = crate::ops::init::adopt(dir, a.series.clone(), cmd)?;
    if out.json() {
        out.print_json(
            &serde_json::json!({"kept": r.kept, "added": r.added, "forgotten": r.forgotten, "series": r.series, "changed": r.changed}),
        );
    } else if !r.changed {
        println!(
            "nothing to adopt: the branch is as pq recorded it ({} patch(es)); nothing changed",
            r.kept
        );
    } else {
        println!(
            "adopted: {} patch(es) kept, {} new in series {}, {} no longer on the branch",
            r.kept, r.added, r.series, r.forgotten
        );
    }
    Ok(EXIT_OK)
}
