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
    report(dir, out, &r)
}

pub fn report(dir: &Path, out: &Output, r: &crate::ops::resume::ResumeReport) -> crate::Result<i32> {
    let prereqs = if r.stopped.is_some() {
        crate::ops::prereqs::at_stop(dir)?
    } else {
        Vec::new()
    };
    if out.json() {
        out.print_json(&serde_json::json!({
            "operation": r.kind, "commits": r.lines,
            "stopped": r.stopped.as_ref().map(|s| serde_json::json!({"commit": s.source.to_string(), "subject": s.subject, "series": s.series, "conflicts": s.paths, "prerequisites": prereqs})),
            "head": r.new_head.map(|h| h.to_string()),
        }));
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
