use std::path::Path;

use crate::cli::Output;

/// Drop the patch the operation stopped at and carry on
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  pq skip")]
pub struct Args {}

pub fn run(dir: &Path, _a: &Args, out: &Output) -> crate::Result<i32> {
    let progress = out.progress();
    let r = crate::ops::resume::skip(dir, &progress)?;
    super::continue_::report(out, &r)
}
