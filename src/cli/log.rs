use std::path::Path;

use crate::cli::{Output, EXIT_OK};

/// List the operations pq recorded, newest first
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  pq log -n 5")]
pub struct Args {
    /// Show at most N entries
    #[arg(short = 'n', default_value_t = 20)]
    pub limit: usize,
}

pub fn run(dir: &Path, a: &Args, out: &Output) -> crate::Result<i32> {
    let ws = crate::ops::Workspace::open(dir)?;
    let log = crate::oplog::list(&ws.repo, a.limit)?;
    if out.json() {
        out.print_json(&super::json::Log::from(&log[..]));
        return Ok(EXIT_OK);
    }
    for e in &log {
        let when = chrono::DateTime::from_timestamp(e.op.time, 0)
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        println!("{} {when} {}", crate::git::short(&e.id), e.op.command);
    }
    Ok(EXIT_OK)
}
