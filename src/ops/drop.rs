//! `pq drop PATCH...`: remove patches from the stack; the patches above them are replayed. Each dropped
//! patch is kept in the state's dropped list, and `pq undo` brings it back.

use crate::error::Result;
use crate::ops::queue::{self, open, resolve_patches, Item, QueueReport};

pub fn drop(dir: &std::path::Path, specs: &[String], command: &str) -> Result<QueueReport> {
    let (ws, state, state_commit) = open(dir)?;
    let gone = resolve_patches(&ws.repo, &state, specs)?;
    let reason = "dropped with `pq drop`".to_string();
    let mut items = Vec::with_capacity(state.patches.len());
    let mut removed = Vec::new();
    for (i, p) in state.patches.iter().enumerate() {
        if gone.contains(&i) {
            removed.push((p.clone(), reason.clone()));
        } else {
            items.push(Item::keep(p));
        }
    }
    let series = state.series.clone();
    queue::rewrite(ws, state, state_commit, command, series, items, removed)
}
