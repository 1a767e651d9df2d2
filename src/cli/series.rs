use crate::git::short;
use std::path::Path;

use crate::cli::{Output, EXIT_OK};

/// List the series, or the patches of one series
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  pq series\n  pq series show backport/lib-zstd\n  pq series --format json")]
pub struct Args {
    #[command(subcommand)]
    pub action: Option<Action>,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Patches of one series in order: short id, subject, upstream origin
    Show {
        /// The series name
        name: String,
    },
}

pub fn run(dir: &Path, a: &Args, out: &Output) -> crate::Result<i32> {
    let only = a.action.as_ref().map(|Action::Show { name }| name.as_str());
    let views = crate::ops::status::series(dir, only)?;
    if out.json() {
        out.print_json(&views);
        return Ok(EXIT_OK);
    }
    for v in &views {
        if only.is_none() {
            println!("{} ({} patch(es))", v.name, v.patches.len());
            continue;
        }
        for p in &v.patches {
            let origin = match &p.origin {
                Some(o) if *o != p.commit => format!("  [upstream {}]", short(o)),
                _ => String::new(),
            };
            println!("{} {}{}", p.short, p.subject, origin);
        }
    }
    Ok(EXIT_OK)
}
