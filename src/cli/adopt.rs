use std::path::Path;

use crate::cli::{Output, EXIT_OK};

/// Re-read a branch that changed outside pq, keeping what pq knew about its patches
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  git commit -m 'fix' && pq adopt --series local")]
pub struct Args {
    /// Series for commits pq has not seen before (default: the topmost series)
    #[arg(long)]
    pub series: Option<String>,
}

pub fn run(dir: &Path, a: &Args, out: &Output, cmd: &str) -> crate::Result<i32> {
    let r = crate::ops::init::adopt(dir, a.series.clone(), cmd)?;
    if out.json() {
        out.print_json(&super::json::Adopted {
            kept: r.kept,
            added: r.added,
            forgotten: r.forgotten,
            series: r.series.clone(),
        });
    } else {
        println!(
            "adopted: {} patch(es) kept, {} new in series {}, {} no longer on the branch",
            r.kept, r.added, r.series, r.forgotten
        );
    }
    Ok(EXIT_OK)
}
