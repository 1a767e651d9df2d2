//! Is the work tree clean? Which paths carry the user's uncommitted changes (staged or not)?
//!
//! pq refuses to touch a path that holds uncommitted work; it compares the index with HEAD and the files
//! with the index (by stat first, by content when the stat is inconclusive), as `git status` does.

use gix::bstr::{BString, ByteSlice};
use gix::index::entry::{Mode, Stage};

use crate::error::Result;
use crate::git::{Oid, Repo};

/// Paths whose index differs from `head_tree`: changes staged but not committed.
pub fn staged_paths(repo: &Repo, head_tree: Option<Oid>) -> Result<Vec<BString>> {
    let index = repo.index()?;
    let mut staged_paths: Vec<BString> = Vec::new();
    staged(
        repo,
        &index,
        head_tree,
        index.tree(),
        b"",
        index.entries(),
        &mut staged_paths,
    )?;
    Ok(staged_paths)
}

/// Paths staged in the index file at `index_path` relative to `head_tree` (a saved copy of the user's index).
pub fn staged_paths_in(repo: &Repo, index_path: &std::path::Path, head_tree: Option<Oid>) -> Result<Vec<BString>> {
    let index = gix::index::File::at(index_path, gix::hash::Kind::Sha1, false, Default::default())
        .map_err(|e| crate::error::Error::internal(format!("reading {}: {e}", index_path.display())))?;
    let mut out: Vec<BString> = Vec::new();
    staged(repo, &index, head_tree, index.tree(), b"", index.entries(), &mut out)?;
    Ok(out)
}

/// Paths whose index or work-tree state differs from `head_tree` (untracked files are not counted).
pub fn dirty_paths(repo: &Repo, head_tree: Option<Oid>) -> Result<Vec<BString>> {
    let Some(workdir) = repo.workdir().map(|p| p.to_path_buf()) else {
        return Ok(Vec::new());
    };
    let index = repo.index()?;
    let mut dirty: Vec<BString> = Vec::new();
    // Staged: index differs from HEAD. Index and tree are walked together, directory by directory, and a
    // directory whose cache-tree entry is valid and names HEAD's subtree is skipped whole: that is how
    // `git status` avoids reading every tree of a 70k-file checkout.
    staged(repo, &index, head_tree, index.tree(), b"", index.entries(), &mut dirty)?;
    // Unstaged: file differs from the index. One lstat per file, spread over the CPUs as git's preload-index
    // does.
    let candidates: Vec<&gix::index::Entry> = index
        .entries()
        .iter()
        .filter(|e| e.stage() == Stage::Unconflicted && e.mode != Mode::COMMIT)
        .collect();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    let chunk = candidates.len().div_ceil(threads).max(2000);
    let workdir = workdir.as_path();
    let index_ref = &index;
    let results: Vec<Result<Vec<BString>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = candidates
            .chunks(chunk)
            .map(|part| scope.spawn(move || unstaged(index_ref, workdir, part)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(crate::error::Error::internal("status thread panicked")))
            })
            .collect()
    });
    let mut unstaged_dirty = Vec::new();
    for r in results {
        unstaged_dirty.extend(r?);
    }
    dirty.extend(same_after_conversion(repo, &index, workdir, unstaged_dirty)?);
    dirty.sort();
    dirty.dedup();
    Ok(dirty)
}

/// Which of `paths` carry uncommitted changes against `head_tree`: what [`dirty_paths`] would report among
/// them, looking only at those paths (a command that will write a few files need not stat every one).
pub fn dirty_among(repo: &Repo, head_tree: Oid, paths: &[BString]) -> Result<Vec<BString>> {
    let Some(workdir) = repo.workdir().map(|p| p.to_path_buf()) else {
        return Ok(Vec::new());
    };
    let index = repo.index()?;
    let mut dirty = Vec::new();
    let mut check = Vec::new();
    for path in paths {
        let range = index.entry_range(path.as_bstr()).unwrap_or(0..0);
        let entries = &index.entries()[range];
        let head = repo.entry_at(head_tree, path)?.filter(|e| !e.is_tree());
        let staged_same = match (entries, head) {
            ([e], Some(h)) => e.stage() == Stage::Unconflicted && h.id == e.id && h.mode == entry_mode(e.mode),
            ([], None) => true,
            _ => false,
        };
        if !staged_same {
            dirty.push(path.clone());
        } else if let [e] = entries {
            if e.mode != Mode::COMMIT {
                check.push(e);
            }
        }
    }
    // As in `dirty_paths`: a file that differs only by what checkout conversion (eol, filters) does is clean.
    let unstaged_dirty = unstaged(&index, &workdir, &check)?;
    dirty.extend(same_after_conversion(repo, &index, &workdir, unstaged_dirty)?);
    dirty.sort();
    dirty.dedup();
    Ok(dirty)
}

fn entry_mode(mode: Mode) -> u32 {
    match mode {
        Mode::FILE_EXECUTABLE => 0o100755,
        Mode::SYMLINK => 0o120000,
        Mode::COMMIT => 0o160000,
        _ => 0o100644,
    }
}

/// Compare the index `entries` under directory `prefix` (empty or ending in `/`) with `tree`, pushing the
/// paths that differ.
fn staged(
    repo: &Repo,
    index: &gix::index::State,
    tree: Option<Oid>,
    cache: Option<&gix::index::extension::Tree>,
    prefix: &[u8],
    entries: &[gix::index::Entry],
    dirty: &mut Vec<BString>,
) -> Result<()> {
    if let (Some(t), Some(c)) = (tree, cache) {
        if c.num_entries.is_some() && c.id == t {
            return Ok(());
        }
    }
    let mut in_tree: std::collections::HashMap<BString, (crate::git::Entry, bool)> = repo
        .tree_entries(tree)?
        .into_iter()
        .map(|(name, e)| (name, (e, false)))
        .collect();
    let mut i = 0;
    while i < entries.len() {
        let path = entries[i].path(index);
        let rest = &path[prefix.len()..];
        match rest.find_byte(b'/') {
            Some(slash) => {
                // Every entry under `prefix/name/` is contiguous in the index's order.
                let name = &rest[..slash];
                let mut j = i + 1;
                while j < entries.len() {
                    let q = entries[j].path(index);
                    if q.len() > prefix.len() + slash
                        && q[..prefix.len() + slash + 1] == path[..prefix.len() + slash + 1]
                    {
                        j += 1;
                    } else {
                        break;
                    }
                }
                let sub = match in_tree.get_mut(name) {
                    Some((e, seen)) if e.is_tree() => {
                        *seen = true;
                        Some(e.id)
                    }
                    _ => None,
                };
                let child = cache.and_then(|c| c.children.iter().find(|t| t.name.as_slice() == name));
                let sub_prefix = &path[..prefix.len() + slash + 1];
                staged(repo, index, sub, child, sub_prefix, &entries[i..j], dirty)?;
                i = j;
            }
            None => {
                let e = &entries[i];
                let same = match in_tree.get_mut(rest) {
                    Some((h, seen)) if !h.is_tree() => {
                        *seen = true;
                        e.stage() == Stage::Unconflicted && h.id == e.id && h.mode == entry_mode(e.mode)
                    }
                    _ => false,
                };
                if !same && dirty.last().map(|d| d.as_bstr()) != Some(path) {
                    dirty.push(path.to_owned());
                }
                i += 1;
            }
        }
    }
    // In HEAD but not in the index: staged deletions.
    for (name, (e, seen)) in in_tree {
        if seen {
            continue;
        }
        let mut path = BString::from(prefix);
        path.extend_from_slice(&name);
        if e.is_tree() {
            for (p, _) in repo.flatten_tree(e.id)? {
                let mut full = path.clone();
                full.push(b'/');
                full.extend_from_slice(&p);
                dirty.push(full);
            }
        } else {
            dirty.push(path);
        }
    }
    Ok(())
}

/// Entries whose file no longer matches the index: by stat, then by content when the stat cannot tell.
/// Of the paths whose bytes differ from the index, those that still differ once converted as `git add`
/// would (`.gitattributes` eol/text, `core.autocrlf`): a file checked out with CRLF is not a change.
fn same_after_conversion(
    repo: &Repo,
    index: &gix::index::State,
    workdir: &std::path::Path,
    candidates: Vec<BString>,
) -> Result<Vec<BString>> {
    if candidates.is_empty() {
        return Ok(candidates);
    }
    let (mut pipeline, _) = repo
        .inner
        .filter_pipeline(None)
        .map_err(|e| crate::error::Error::internal(format!("reading .gitattributes: {e}")))?;
    let mut out = Vec::new();
    for path in candidates {
        let same = (|| -> Option<bool> {
            let e = index.entry_by_path(path.as_bstr())?;
            let rel = gix::path::from_bstr(path.as_bstr()).ok()?;
            let file = workdir.join(&rel);
            let meta = gix::index::fs::Metadata::from_path_no_follow(&file).ok()?;
            if meta.is_symlink() || !exec_bit_matches(&meta, e.mode) {
                return Some(false);
            }
            let f = std::fs::File::open(&file).ok()?;
            let mut bytes = Vec::new();
            use gix::filter::plumbing::pipeline::convert::ToGitOutcome;
            use std::io::Read as _;
            match pipeline.convert_to_git(f, &rel, index).ok()? {
                ToGitOutcome::Unchanged(mut r) => r.read_to_end(&mut bytes).ok()?,
                ToGitOutcome::Process(mut r) => r.read_to_end(&mut bytes).ok()?,
                ToGitOutcome::Buffer(b) => {
                    bytes.extend_from_slice(b);
                    b.len()
                }
            };
            let id = gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::object::Kind::Blob, &bytes).ok()?;
            Some(id == e.id)
        })()
        .unwrap_or(false);
        if !same {
            out.push(path);
        }
    }
    Ok(out)
}

fn unstaged(
    index: &gix::index::State,
    workdir: &std::path::Path,
    entries: &[&gix::index::Entry],
) -> Result<Vec<BString>> {
    let stat_options = gix::index::entry::stat::Options::default();
    let index_time = index.timestamp();
    let mut dirty = Vec::new();
    for e in entries {
        let path = e.path(index);
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
