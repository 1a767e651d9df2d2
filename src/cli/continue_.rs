use std::path::Path;

use crate::cli::output::{render_lines, render_prerequisites, render_stop};
use crate::cli::{Output, EXIT_OK, EXIT_STOPPED};

/// Commit the resolved conflict and carry on with the stopped operation
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  $EDITOR lib/zstd/compress.c && git add lib/zstd/compress.c && pq continue")]
pub struct Args {}

pub fn run(dir: &Path, _a: &Args, out: &Output) -> crate::Result<i32> {
    let progress = out.progress();
    let r = crate::ops::resume::continue_(dir, &progress)?;
    report(out, &r)
}

pub fn report(out: &Output, r: &crate::ops::resume::ResumeReport) -> crate::Result<i32> {
    let prereqs = r.stopped.as_ref().map(|s| s.prerequisites.clone()).unwrap_or_default();
    if out.json() {
        out.print_json(&super::json::Resumed {
            operation: r.kind.clone(),
            commits: super::json::lines(&r.lines),
            stopped: super::json::stopped_at(r.stopped.as_ref(), &prereqs),
            head: r.new_head.as_ref().map(super::json::id),
        });
    } else {
        print!("{}", render_lines(&r.lines, false));
        match &r.stopped {
            Some(s) => {
                eprint!("{}", render_stop(&r.kind, s));
                eprint!("{}", render_prerequisites(&prereqs));
            }
            None => println!("{} complete", r.kind),
        }
    }
    Ok(if r.stopped.is_some() { EXIT_STOPPED } else { EXIT_OK })
}
