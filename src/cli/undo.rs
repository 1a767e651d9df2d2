use std::path::Path;

use crate::cli::{Output, EXIT_OK};

/// Undo the last operation (repeat to go further back)
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  pq undo\n  pq log && pq undo --to 1a2b3c4d5e6f")]
pub struct Args {
    /// Undo every operation down to and including this one (an id from `pq log`)
    #[arg(long, value_name = "ID")]
    pub to: Option<String>,
}

pub fn run(dir: &Path, a: &Args, out: &Output, cmd: &str) -> crate::Result<i32> {
    let r = crate::ops::undo::undo(dir, a.to.as_deref(), cmd, false)?;
    if out.json() {
        out.print_json(&super::json::Undone {
            undone: r.undone.clone(),
            head: r.head.to_string(),
        });
    } else {
        for u in &r.undone {
            println!("undid {u}");
        }
        println!("branch at {}", crate::git::short(&r.head));
    }
    Ok(EXIT_OK)
}
