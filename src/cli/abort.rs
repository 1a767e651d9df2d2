use std::path::Path;

use crate::cli::{Output, EXIT_OK};

/// Undo the stopped operation: branch, index and work tree back to where they were
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  pq abort")]
pub struct Args {}

pub fn run(dir: &Path, _a: &Args, out: &Output) -> crate::Result<i32> {
    let r = crate::ops::resume::abort(dir)?;
    if out.json() {
        out.print_json(&super::json::Aborted {
            aborted: r.kind,
            head: r.head.to_string(),
        });
    } else {
        println!("{} aborted; back at {}", r.kind, crate::git::short(&r.head));
    }
    Ok(EXIT_OK)
}
