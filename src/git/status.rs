//! Is the work tree clean? Which paths carry the user's uncommitted changes (staged or not)?
//!
//! pq refuses to touch a path that holds uncommitted work; it compares the index with HEAD and the files
//! with the index (by stat first, by content when the stat is inconclusive), as `git status` does.

use gix::bstr::{BString, ByteSlice};
use gix::index::entry::{Mode, Stage};

use crate::error::{Result, ResultExt};
use crate::git::{Oid, Repo};

/// Paths whose index or work-tree state differs from `head_tree` (untracked files are not counted).
pub fn dirty_paths(repo: &Repo, head_tree: Option<Oid>) -> Result<Vec<BString>> {
    let Some(workdir) = repo.workdir().map(|p| p.to_path_buf()) else {
        return Ok(Vec::new());
    };
    let index = repo.inner.index_or_empty().ctx("reading the index")?;
    let head_files = match head_tree {
        Some(t) => repo.flatten_tree(t)?,
        None => Vec::new(),
    };
    let mut head: std::collections::HashMap<&[u8], crate::git::Entry> =
        head_files.iter().map(|(p, e)| (p.as_slice(), *e)).collect();
    let mut dirty: Vec<BString> = Vec::new();
    let stat_options = gix::index::entry::stat::Options::default();
    let index_time = index.timestamp();
    for e in index.entries() {
        let path = e.path(&index);
        if e.stage() != Stage::Unconflicted {
            if dirty.last().map(|d| d.as_bstr()) != Some(path) {
                dirty.push(path.to_owned());
            }
            head.remove(path.as_bytes());
            continue;
        }
        let mode = match e.mode {
            Mode::FILE_EXECUTABLE => 0o100755,
            Mode::SYMLINK => 0o120000,
            Mode::COMMIT => 0o160000,
            _ => 0o100644,
        };
        // Staged: index differs from HEAD.
        match head.remove(path.as_bytes()) {
            Some(h) if h.id == e.id && h.mode == mode => {}
            _ => {
                dirty.push(path.to_owned());
                continue;
            }
        }
        if e.mode == Mode::COMMIT {
            continue;
        }
        // Unstaged: file differs from the index.
        let Ok(rel) = gix::path::from_bstr(path) else { continue };
        let file = workdir.join(rel);
        let Ok(meta) = gix::index::fs::Metadata::from_path_no_follow(&file) else {
            dirty.push(path.to_owned());
            continue;
        };
        let Ok(stat) = gix::index::entry::Stat::from_fs(&meta) else {
            dirty.push(path.to_owned());
            continue;
        };
        let racy = i64::from(stat.mtime.secs) >= index_time.seconds();
        if !racy && e.stat.matches(&stat, stat_options) {
            continue;
        }
        let actual = if meta.is_symlink() {
            std::fs::read_link(&file)
                .ok()
                .and_then(|t| gix::path::into_bstr(t).ok().map(|b| b.to_vec()))
        } else {
            std::fs::read(&file).ok()
        };
        let same = match actual {
            Some(bytes) => {
                let id = gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::object::Kind::Blob, &bytes)
                    .map_err(|e| crate::error::Error::internal(format!("hashing: {e}")))?;
                id == e.id && exec_bit_matches(&meta, e.mode)
            }
            None => false,
        };
        if !same {
            dirty.push(path.to_owned());
        }
    }
    // Deleted from the index but in HEAD: staged deletion.
    for (path, _) in head {
        dirty.push(BString::from(path));
    }
    dirty.sort();
    dirty.dedup();
    Ok(dirty)
}

#[cfg(unix)]
fn exec_bit_matches(meta: &gix::index::fs::Metadata, mode: Mode) -> bool {
    if mode == Mode::SYMLINK {
        return true;
    }
    meta.is_executable() == (mode == Mode::FILE_EXECUTABLE)
}

#[cfg(not(unix))]
fn exec_bit_matches(_meta: &gix::index::fs::Metadata, _mode: Mode) -> bool {
    true
}
