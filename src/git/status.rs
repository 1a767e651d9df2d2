//! Is the work tree clean? Which paths carry the user's uncommitted changes (staged or not)?
//!
//! pq refuses to touch a path that holds uncommitted work; it compares the index with HEAD (here, see
//! [`staged`]) and the files with the index (gix's index-worktree status: stat, racy-git, filters, exec bit).

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
    if repo.workdir().is_none() {
        return Ok(Vec::new());
    }
    let index = repo.index()?;
    let mut dirty: Vec<BString> = Vec::new();
    // Staged: index differs from HEAD. Index and tree are walked together, directory by directory, and a
    // directory whose cache-tree entry is valid and names HEAD's subtree is skipped whole: that is how
    // `git status` avoids reading every tree of a 70k-file checkout.
    staged(repo, &index, head_tree, index.tree(), b"", index.entries(), &mut dirty)?;
    dirty.extend(unstaged(repo, &index)?);
    dirty.sort();
    dirty.dedup();
    Ok(dirty)
}

/// Which of `paths` carry uncommitted changes against `head_tree`: what [`dirty_paths`] would report among
/// them, looking only at those paths (a command that will write a few files need not stat every one).
pub fn dirty_among(repo: &Repo, head_tree: Oid, paths: &[BString]) -> Result<Vec<BString>> {
    if repo.workdir().is_none() {
        return Ok(Vec::new());
    }
    let index = repo.index()?;
    let mut dirty = Vec::new();
    // gix's status walks every entry of the index it is given (a pathspec only filters them one by one), so
    // it is given an index holding only the entries to check: the cost grows with `paths`, not the tree.
    let mut check = gix::index::State::new(index.object_hash());
    check.set_timestamp(index.timestamp());
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
                check.dangerously_push_entry(e.stat, e.id, e.flags, e.mode, e.path(&index));
            }
        }
    }
    check.sort_entries();
    dirty.extend(unstaged(repo, &check)?);
    dirty.sort();
    dirty.dedup();
    Ok(dirty)
}

// Kept: the tree entry mode an index entry would be committed with, to compare with `Repo::entry_at`.
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
// Kept: gix's tree-index status first turns the whole tree into an index and ignores the cache-tree.
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

/// Paths of `index` whose file no longer matches its entry, as gix's index-worktree status sees them: stat
/// first, content through the `.gitattributes`/`core.autocrlf` conversion when the stat is inconclusive
/// (racy-git), exec bit per `core.fileMode`. Submodules are not looked into (pq never writes inside one).
fn unstaged(repo: &Repo, index: &gix::index::State) -> Result<Vec<BString>> {
    use gix::status::plumbing::index_as_worktree::{traits::HashEq, EntryStatus};
    use gix::status::plumbing::index_as_worktree_with_renames::{Entry, Recorder};
    let mut recorder = Recorder { records: Vec::new() };
    let interrupt = std::sync::atomic::AtomicBool::new(false);
    repo.inner
        .index_worktree_status(
            index,
            None::<&str>,
            &mut recorder,
            // Always hash (through the filters) when the stat differs: a CRLF checkout has another size.
            HashEq,
            NoSubmodules,
            &mut gix::progress::Discard,
            &interrupt,
            gix::status::index_worktree::Options::default(),
        )
        .map_err(|e| crate::error::Error::internal(format!("comparing the work tree with the index: {e}")))?;
    Ok(recorder
        .records
        .into_iter()
        .filter_map(|r| match r {
            Entry::Modification {
                entry,
                rela_path,
                status,
                ..
            } if entry.mode != Mode::COMMIT && !matches!(status, EntryStatus::NeedsUpdate(_)) => {
                Some(rela_path.to_owned())
            }
            _ => None,
        })
        .collect())
}

/// Submodules count as clean, as pq has always treated them: gix's own submodule status would open each one.
#[derive(Clone)]
struct NoSubmodules;

impl gix::status::plumbing::index_as_worktree::traits::SubmoduleStatus for NoSubmodules {
    type Output = ();
    fn status(&mut self, _: &gix::index::Entry, _: &gix::bstr::BStr) -> gix::error::Result<Option<()>> {
        Ok(None)
    }
}
