use std::path::Path;

use crate::cli::Output;

/// Remove patches from the branch, replaying the stack above them (`pq undo` brings them back)
#[derive(clap::Args, Debug)]
#[command(
    after_help = "PATCH is a commit id on the branch (abbreviated or not) or SERIES:N, numbered from 1.\n\n\
Examples:\n  pq drop 1a2b3c4d\n  pq drop local:2 local:3\n  pq drop local:1 --format json"
)]
pub struct Args {
    /// The patches to drop
    #[arg(required = true, value_name = "PATCH")]
    pub patches: Vec<String>,
}

pub fn run(dir: &Path, a: &Args, out: &Output, cmd: &str) -> crate::Result<i32> {
    let r = crate::ops::drop::drop(dir, &a.patches, cmd)?;
    super::queue::report(out, &r, &format!("dropped {} patch(es)", a.patches.len()))
}
