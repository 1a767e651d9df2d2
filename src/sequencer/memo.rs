//! What a stopped operation remembers to make its resumption cheap, beside its state: the blob sizes rename
//! detection looked up (`.git/pq/op/blob-sizes`). The picks after a stop compare the same files our side
//! added, and a packed blob's size costs a walk down its delta chain. It is a cache only: a missing or
//! unreadable file is ignored, and an object's size never changes, so an entry never goes stale.

use std::path::Path;

use crate::error::Result;
use crate::git::{Oid, Repo};
use crate::lock::write_atomic;

const FILE: &str = "blob-sizes";
const HEADER: &str = "pq blob sizes 1";

/// Give `repo` the sizes kept by an earlier stop of the operation, if any.
pub fn load(git_dir: &Path, repo: &Repo) {
    let Ok(text) = std::fs::read_to_string(super::dir(git_dir).join(FILE)) else {
        return;
    };
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return;
    }
    repo.remember_blob_sizes(lines.filter_map(|l| {
        let (id, size) = l.split_once(' ')?;
        Some((Oid::from_hex(id.as_bytes()).ok()?, size.parse().ok()?))
    }));
}

/// Keep the sizes `repo` has looked up for the next resumption (the stop directory must exist).
pub fn save(git_dir: &Path, repo: &Repo) -> Result<()> {
    let sizes = repo.blob_sizes_seen();
    if sizes.is_empty() {
        return Ok(());
    }
    let mut text = String::with_capacity(HEADER.len() + 1 + sizes.len() * 52);
    text.push_str(HEADER);
    text.push('\n');
    for (id, size) in sizes {
        text.push_str(&format!("{id} {size}\n"));
    }
    write_atomic(&super::dir(git_dir).join(FILE), text.as_bytes())
}
