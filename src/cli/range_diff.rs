use crate::git::short;
use std::path::Path;

use crate::cli::{Output, EXIT_OK};

/// After a rebase: each old patch next to its new self (= same, ! changed, < dropped)
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  pq rebase v6.7.2 && pq range-diff")]
pub struct Args {}

pub fn run(dir: &Path, _a: &Args, out: &Output) -> crate::Result<i32> {
    let r = crate::ops::range_diff::range_diff(dir)?;
    if out.json() {
        out.print_json(&super::json::RangeDiff {
            operation: r.operation.clone(),
            pairs: r
                .pairs
                .iter()
                .map(|p| super::json::RangeDiffPair {
                    old: super::json::id(&p.old),
                    new: p.new.as_ref().map(super::json::id),
                    subject: p.subject.clone(),
                    status: p.status.to_string(),
                    reason: p.reason.clone(),
                    interdiff: p.interdiff.clone(),
                })
                .collect(),
        });
        return Ok(EXIT_OK);
    }
    println!("{}", r.operation);
    for p in &r.pairs {
        let new = p.new.as_ref().map(short).unwrap_or_else(|| "-".repeat(12));
        let reason = p.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
        println!("{} {} {} {}{}", short(&p.old), p.status, new, p.subject, reason);
        for line in p.interdiff.lines() {
            println!("    {line}");
        }
    }
    Ok(EXIT_OK)
}
