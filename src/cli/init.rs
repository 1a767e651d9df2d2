use std::path::Path;

use crate::cli::{Output, EXIT_OK};
use crate::ops::init::{init, InitOptions};

/// Adopt the current branch: commits between BASE and HEAD become patches
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  pq init --base v6.7.1 --packaging redhat --series fedora")]
pub struct Args {
    /// The upstream base the branch is built on (tag, branch or commit)
    #[arg(long)]
    pub base: String,
    /// Directory holding the packaging (default: redhat; relative to the current directory, `:/` the top)
    #[arg(long, value_name = "DIR")]
    pub packaging: Option<String>,
    /// Name of the series the existing patches go to
    #[arg(long, default_value = "local")]
    pub series: String,
}

pub fn run(dir: &Path, a: &Args, out: &Output, cmd: &str) -> crate::Result<i32> {
    let r = init(
        dir,
        &InitOptions {
            base: a.base.clone(),
            packaging: match &a.packaging {
                Some(p) => crate::cli::paths::all_from_top(dir, std::slice::from_ref(p))?.pop(),
                None => None,
            },
            series: a.series.clone(),
            command: cmd.into(),
        },
    )?;
    if out.json() {
        out.print_json(&serde_json::json!({
            "branch": r.branch, "base": r.base, "series": r.series,
            "patches": r.patches, "packaging": r.packaging, "releases": r.releases,
        }));
    } else {
        println!(
            "pq now manages {} on {}: {} patch(es) in series {}, {} packaging commit(s), {} release(s)",
            r.branch, r.base, r.patches, r.series, r.packaging, r.releases
        );
        println!("next: `pq status`, or `pq backport RANGE PATH...` to add upstream commits");
    }
    Ok(EXIT_OK)
}
