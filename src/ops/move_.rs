//! `pq move PATCH... --to SERIES [--before PATCH | --after PATCH]`: take patches out of their places and
//! put them, in the order given, into a series; the stack from the first changed place up is replayed.

use crate::error::{Error, Result};
use crate::ops::queue::{self, open, require_series, resolve_patch, resolve_patches, Item, QueueReport};

/// Where in the target series the patches go.
pub enum Anchor {
    /// After the series' last patch.
    End,
    Before(String),
    After(String),
}

pub fn move_(dir: &std::path::Path, specs: &[String], to: &str, anchor: &Anchor, command: &str) -> Result<QueueReport> {
    let (ws, state, state_commit) = open(dir)?;
    let target = require_series(&state, to)?;
    let moving = resolve_patches(&ws.repo, &state, specs)?;
    let anchor_at = match anchor {
        Anchor::End => None,
        Anchor::Before(s) | Anchor::After(s) => {
            let a = resolve_patch(&ws.repo, &state, s)?;
            let p = &state.patches[a];
            if moving.contains(&a) {
                return Err(Error::input(format!("'{s}' is one of the patches being moved"))
                    .hint("place them before or after a patch that stays where it is"));
            }
            if p.series != to {
                return Err(Error::input(format!(
                    "'{s}' ({}) is in series {}, not {to}",
                    crate::git::short(&p.commit),
                    p.series
                ))
                .hint(format!(
                    "name a patch of {to} (`pq series show {to}`), or leave out --before/--after to append"
                )));
            }
            Some(a)
        }
    };
    // The stack without the moving patches, then the place to insert them.
    let rest: Vec<usize> = (0..state.patches.len()).filter(|i| !moving.contains(i)).collect();
    let at = match (anchor, anchor_at) {
        (Anchor::Before(_), Some(a)) => rest.iter().position(|&i| i == a).expect("anchor stays"),
        (Anchor::After(_), Some(a)) => rest.iter().position(|&i| i == a).expect("anchor stays") + 1,
        _ => match rest.iter().rposition(|&i| state.patches[i].series == to) {
            Some(last) => last + 1,
            // An empty series: above every patch of the series below it in the order.
            None => rest
                .iter()
                .rposition(|&i| state.series_index(&state.patches[i].series).is_some_and(|s| s < target))
                .map_or(0, |p| p + 1),
        },
    };
    let mut items: Vec<Item> = rest.iter().map(|&i| Item::keep(&state.patches[i])).collect();
    let moved: Vec<Item> = moving
        .iter()
        .map(|&i| {
            let mut item = Item::keep(&state.patches[i]);
            item.patch.series = to.to_string();
            item
        })
        .collect();
    items.splice(at..at, moved);
    let series = state.series.clone();
    queue::rewrite(ws, state, state_commit, command, series, items, Vec::new())
}
