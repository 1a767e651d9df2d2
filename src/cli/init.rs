use std::path::Path;

use crate::cli::{Output, EXIT_OK};
use crate::ops::init::{init, InitOptions};

/// Adopt the current branch: commits between BASE and HEAD become patches
#[derive(clap::Args, Debug)]
#[command(
    after_help = "A branch with merges is linearised as `git rebase BASE` would (the merges' commits in \
--topo-order, each topic kept together); the commits of a merge named `Merge branch 'X'` or `Merge pull \
request #N from user/X` go to a series X. A merge that resolved a conflict or changed anything of its own is \
refused: linearise it yourself first.\n\nExamples:\n  pq init --base v6.7.1 --packaging redhat --series fedora\n  \
pq init --base v2.40 --no-topics     # every patch in series local, merges or not"
)]
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
    /// Put every patch in --series, instead of a series per merged topic
    #[arg(long)]
    pub no_topics: bool,
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
            topics: !a.no_topics,
        },
    )?;
    if out.json() {
        out.print_json(&serde_json::json!({
            "branch": r.branch, "base": r.base, "series": r.series,
            "patches": r.patches, "packaging": r.packaging, "releases": r.releases,
            "merges_linearised": r.merges,
            "topics": r.topics.iter().map(|(n, c)| serde_json::json!({"series": n, "patches": c})).collect::<Vec<_>>(),
        }));
    } else {
        println!(
            "pq now manages {} on {}: {} patch(es) in series {}, {} packaging commit(s), {} release(s)",
            r.branch, r.base, r.patches, r.series, r.packaging, r.releases
        );
        if r.merges > 0 {
            println!(
                "linearised {} merge(s) as `git rebase {}` would; {} topic series: {}",
                r.merges,
                r.base,
                r.topics.len(),
                r.topics
                    .iter()
                    .map(|(n, c)| format!("{n} ({c})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        println!("next: `pq status`, or `pq backport RANGE PATH...` to add upstream commits");
    }
    Ok(EXIT_OK)
}
