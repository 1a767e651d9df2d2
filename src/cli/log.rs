use std::path::Path;

use crate::cli::{Output, EXIT_OK};
use crate::ops::short_branch;

/// List the operations pq recorded on this branch, newest first
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  pq log -n 5\n  pq log --all   # every branch's operations")]
pub struct Args {
    /// Show at most N entries
    #[arg(short = 'n', default_value_t = 20)]
    pub limit: usize,
    /// Show the operations of every branch (the default on a detached HEAD)
    #[arg(long)]
    pub all: bool,
}

pub fn run(dir: &Path, a: &Args, out: &Output) -> crate::Result<i32> {
    // The log belongs to the repository: read it without requiring a branch (a detached HEAD is fine).
    let repo = crate::git::Repo::discover(dir)?;
    let branch = match crate::sequencer::load(repo.git_dir()).ok().flatten() {
        Some(s) => Some(s.branch),
        None => repo.head_branch()?,
    };
    let only = if a.all { None } else { branch };
    let mut log = crate::oplog::list(&repo, usize::MAX)?;
    if let Some(b) = &only {
        log.retain(|e| e.op.branch().as_deref() == Some(b.as_str()));
    }
    log.truncate(a.limit);
    if out.json() {
        let v: Vec<_> = log
            .iter()
            .map(|e| serde_json::json!({"id": e.id.to_string(), "branch": e.op.branch(), "command": e.op.command, "time": e.op.time, "user": e.op.user, "refs": e.op.refs, "undoes": e.op.undoes.map(|u| u.to_string()), "redoes": e.op.redoes.map(|u| u.to_string())}))
            .collect();
        out.print_json(&v);
        return Ok(EXIT_OK);
    }
    let width = log
        .iter()
        .map(|e| e.op.branch().map(|b| short_branch(&b).len()).unwrap_or(1))
        .max()
        .unwrap_or(0);
    for e in &log {
        let when = chrono::DateTime::from_timestamp(e.op.time, 0)
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        let b =
            e.op.branch()
                .map(|b| short_branch(&b).to_string())
                .unwrap_or("-".into());
        println!("{} {when} {b:<width$} {}", crate::git::short(&e.id), e.op.command);
    }
    Ok(EXIT_OK)
}
