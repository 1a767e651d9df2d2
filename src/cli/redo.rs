use std::path::Path;

use crate::cli::{Output, EXIT_OK};

/// Re-apply what the last `pq undo` on this branch took back
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  pq undo && pq redo\n  pq undo; pq undo; pq redo   # one step forward again")]
pub struct Args {}

pub fn run(dir: &Path, _a: &Args, out: &Output, cmd: &str) -> crate::Result<i32> {
    let r = crate::ops::redo::redo(dir, cmd)?;
    if out.json() {
        out.print_json(&serde_json::json!({"redone": r.undone, "head": r.head.to_string()}));
    } else {
        for u in &r.undone {
            println!("redid {u}");
        }
        println!("branch at {}", crate::git::short(&r.head));
    }
    Ok(EXIT_OK)
}
