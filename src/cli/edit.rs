use std::path::Path;

use crate::cli::{Output, EXIT_STOPPED};

/// Stop at a patch to amend it with git; `pq continue` replays the patches above it
#[derive(clap::Args, Debug)]
#[command(
    after_help = "PATCH is a commit id on the branch (abbreviated or not) or SERIES:N, numbered from 1.\n\n\
Examples:\n  pq edit local:3\n  $EDITOR drivers/foo.c && git commit -a --amend --no-edit && pq continue\n  pq abort"
)]
pub struct Args {
    /// The patch to edit
    #[arg(value_name = "PATCH")]
    pub patch: String,
}

pub fn run(dir: &Path, a: &Args, out: &Output, cmd: &str) -> crate::Result<i32> {
    let s = crate::ops::edit::edit(dir, &a.patch, cmd)?;
    if out.json() {
        out.print_json(&super::json::EditStopped {
            stopped: super::json::Stopped {
                commit: super::json::id(&s.commit),
                subject: s.subject.clone(),
                series: s.series.clone(),
                conflicts: Vec::new(),
                prerequisites: None,
                file: None,
                edit: true,
            },
            above: s.above,
        });
    } else {
        eprintln!(
            "stopped at {} {} (series {}) to edit it; HEAD is detached there\n\
amend it with git (e.g. `git commit --amend`), then run `pq continue` to replay the {} patch(es) above;\n\
or put everything back with `pq abort`.",
            crate::git::short(&s.commit),
            s.subject,
            s.series,
            s.above
        );
    }
    Ok(EXIT_STOPPED)
}
