use std::path::Path;

use crate::cli::Output;
use crate::ops::move_::{move_, Anchor};

/// Move patches into a series (or elsewhere in their own), replaying the stack above
#[derive(clap::Args, Debug)]
#[command(
    after_help = "PATCH is a commit id on the branch (abbreviated or not) or SERIES:N, numbered from 1.\n\n\
Examples:\n  pq move 1a2b3c4d --to backport/lib-zstd\n  pq move local:3 local:4 --to fixes --before fixes:1\n  pq move local:5 --to local --after local:1"
)]
pub struct Args {
    /// The patches to move, in the order they are to take
    #[arg(required = true, value_name = "PATCH")]
    pub patches: Vec<String>,
    /// The series they go into
    #[arg(long, value_name = "SERIES")]
    pub to: String,
    /// Put them just before this patch of SERIES (default: after its last patch)
    #[arg(long, value_name = "PATCH", conflicts_with = "after")]
    pub before: Option<String>,
    /// Put them just after this patch of SERIES
    #[arg(long, value_name = "PATCH")]
    pub after: Option<String>,
}

pub fn run(dir: &Path, a: &Args, out: &Output, cmd: &str) -> crate::Result<i32> {
    let anchor = match (&a.before, &a.after) {
        (Some(b), _) => Anchor::Before(b.clone()),
        (_, Some(x)) => Anchor::After(x.clone()),
        _ => Anchor::End,
    };
    let r = move_(dir, &a.patches, &a.to, &anchor, cmd)?;
    super::queue::report(out, &r, &format!("moved {} patch(es) to {}", a.patches.len(), a.to))
}
