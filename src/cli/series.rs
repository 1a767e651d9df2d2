use crate::git::short;
use std::path::Path;

use crate::cli::{Output, EXIT_OK};
use crate::ops::series_edit;

/// List the series, or the patches of one series; create, rename, drop and reorder series
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  pq series\n  pq series show backport/lib-zstd\n  pq series --format json\n  \
pq series new fixes --after local\n  pq series rename backport/lib-zstd zstd\n  pq series order zstd local\n  pq series drop fixes"
)]
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
    /// Create an empty series (at the top of the stack, below packaging, unless --after)
    New {
        /// The new series' name (a valid git ref component, e.g. `backport/lib-zstd`)
        name: String,
        /// Place it just after this series
        #[arg(long, value_name = "SERIES")]
        after: Option<String>,
    },
    /// Rename a series; its patches and what pq knows of them stay
    Rename {
        /// The series' current name
        old: String,
        /// Its new name
        new: String,
    },
    /// Drop a series and all its patches, replaying the stack above (`pq undo` brings them back)
    Drop {
        /// The series to drop
        name: String,
    },
    /// Put series in a new order; series not named keep their places
    Order {
        /// The series, bottom of the stack first
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
    },
}

pub fn run(dir: &Path, a: &Args, out: &Output, cmd: &str) -> crate::Result<i32> {
    let only = match &a.action {
        None => None,
        Some(Action::Show { name }) => Some(name.as_str()),
        Some(Action::New { name, after }) => {
            let r = series_edit::new(dir, name, after.as_deref(), cmd)?;
            return super::queue::report(out, &r, &format!("created series {name}"));
        }
        Some(Action::Rename { old, new }) => {
            let r = series_edit::rename(dir, old, new, cmd)?;
            return super::queue::report(out, &r, &format!("renamed series {old} to {new}"));
        }
        Some(Action::Drop { name }) => {
            let r = series_edit::drop(dir, name, cmd)?;
            return super::queue::report(out, &r, &format!("dropped series {name}"));
        }
        Some(Action::Order { names }) => {
            let r = series_edit::order(dir, names, cmd)?;
            return super::queue::report(out, &r, "reordered the series");
        }
    };
    let views = crate::ops::status::series(dir, only)?;
    if out.json() {
        out.print_json(&super::json::SeriesList::from(&views[..]));
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
