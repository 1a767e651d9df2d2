//! `pq series new|rename|drop|order`: the series themselves. New and rename change pq's record only;
//! drop and order rewrite the stack through [`crate::ops::queue::rewrite`].

use crate::error::{Error, Result};
use crate::model::state::Series;
use crate::ops::queue::{self, grouped, open, require_series, Item, QueueReport};
use crate::ops::validate::series_name as validate_series_name;

/// The series that holds packaging and release commits; pq places new series below it.
const PACKAGING: &str = "packaging";

/// `pq series new NAME [--after SERIES]`: an empty series, after SERIES or at the top of the stack (below
/// the packaging series).
pub fn new(dir: &std::path::Path, name: &str, after: Option<&str>, command: &str) -> Result<QueueReport> {
    let (ws, state, state_commit) = open(dir)?;
    validate_series_name(name)?;
    refuse_existing(&state, name)?;
    let mut series = state.series.clone();
    let at = match after {
        Some(a) => require_series(&state, a)? + 1,
        None => state.series_index(PACKAGING).unwrap_or(series.len()),
    };
    series.insert(at, Series { name: name.to_string() });
    let items = state.patches.iter().map(Item::keep).collect();
    queue::rewrite(ws, state, state_commit, command, series, items, Vec::new())
}

/// `pq series rename OLD NEW`: the patches keep their commits and provenance, so everything pq knows about
/// them (what a backport finds present, what a rebase drops) carries over.
pub fn rename(dir: &std::path::Path, old: &str, new: &str, command: &str) -> Result<QueueReport> {
    let (ws, state, state_commit) = open(dir)?;
    require_series(&state, old)?;
    validate_series_name(new)?;
    if old == PACKAGING || new == PACKAGING {
        return Err(
            Error::input("the 'packaging' series cannot be renamed, nor another renamed to it")
                .hint("pq keeps packaging and release commits in 'packaging'; choose another name"),
        );
    }
    refuse_existing(&state, new)?;
    let series = state
        .series
        .iter()
        .map(|s| Series {
            name: if s.name == old { new.to_string() } else { s.name.clone() },
        })
        .collect();
    let items = state
        .patches
        .iter()
        .map(|p| {
            let mut i = Item::keep(p);
            if i.patch.series == old {
                i.patch.series = new.to_string();
            }
            i
        })
        .collect();
    queue::rewrite(ws, state, state_commit, command, series, items, Vec::new())
}

/// `pq series drop NAME`: the series and all its patches; the stack above is replayed without them.
pub fn drop(dir: &std::path::Path, name: &str, command: &str) -> Result<QueueReport> {
    let (ws, state, state_commit) = open(dir)?;
    require_series(&state, name)?;
    if name == PACKAGING {
        return Err(Error::input("the 'packaging' series cannot be dropped")
            .hint("drop single packaging commits with `pq drop PATCH`"));
    }
    let series = state.series.iter().filter(|s| s.name != name).cloned().collect();
    let reason = format!("series {name} dropped with `pq series drop`");
    let (gone, kept): (Vec<_>, Vec<_>) = state.patches.iter().partition(|p| p.series == name);
    let items = kept.into_iter().map(Item::keep).collect();
    let removed = gone.into_iter().map(|p| (p.clone(), reason.clone())).collect();
    queue::rewrite(ws, state, state_commit, command, series, items, removed)
}

/// `pq series order NAME...`: the named series take the places they held, in the order given (series not
/// named keep theirs); the stack is regrouped series by series.
pub fn order(dir: &std::path::Path, names: &[String], command: &str) -> Result<QueueReport> {
    let (ws, state, state_commit) = open(dir)?;
    let mut slots = Vec::with_capacity(names.len());
    for n in names {
        let i = require_series(&state, n)?;
        if slots.contains(&i) {
            return Err(Error::input(format!("series '{n}' is named twice")).hint("name each series once"));
        }
        slots.push(i);
    }
    let mut sorted = slots.clone();
    sorted.sort_unstable();
    let mut series = state.series.clone();
    for (slot, n) in sorted.iter().zip(names) {
        series[*slot] = Series { name: n.clone() };
    }
    if series == state.series {
        let items = state.patches.iter().map(Item::keep).collect();
        return queue::rewrite(ws, state, state_commit, command, series, items, Vec::new());
    }
    let items = grouped(&state.patches, &series);
    queue::rewrite(ws, state, state_commit, command, series, items, Vec::new())
}

fn refuse_existing(state: &crate::model::state::State, name: &str) -> Result<()> {
    if state.series_index(name).is_some() {
        return Err(Error::input(format!("series '{name}' already exists")).hint(format!(
            "choose another name; `pq series show {name}` lists its patches"
        )));
    }
    Ok(())
}
