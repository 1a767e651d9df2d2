//! Bringing the work tree and index from one tree to another, touching only the paths that differ: an
//! unchanged file keeps its mtime (or every kernel rebuild starts from scratch), removed files are deleted,
//! and every other index entry (including staged changes elsewhere) is left as it was.

use std::path::{Path, PathBuf};

use gix::bstr::{BString, ByteSlice};
use gix::index::entry::{Flags, Mode, Stage, Stat};

use crate::error::{Error, Result, ResultExt};
use crate::git::{Entry, MergeOutcome, Oid, Repo, TreeChange};
use crate::progress::{Phase, PhaseGuard};

/// Where one path of the work tree should end up.
fn to_fs_path(workdir: &Path, path: &[u8]) -> Result<PathBuf> {
    let rel = gix::path::from_byte_slice(path)
        .map_err(|_| Error::input(format!("path is not valid on this system: {}", path.to_str_lossy())))?;
    Ok(workdir.join(rel))
}

fn index_mode(mode: u32) -> Mode {
    match mode {
        0o100755 => Mode::FILE_EXECUTABLE,
        0o120000 => Mode::SYMLINK,
        0o160000 => Mode::COMMIT,
        _ => Mode::FILE,
    }
}

/// Writes files the way git's checkout does: a directory is created once (then remembered), an existing
/// file is unlinked and the new one created with its final mode (0666 or 0777, less the umask; no chmod),
/// its content converted for the work tree as `.gitattributes` and `core.autocrlf`/`core.eol` say, and its
/// stat taken from the open file.
pub(crate) struct Writer<'r> {
    repo: &'r Repo,
    workdir: PathBuf,
    dirs: std::collections::HashSet<PathBuf>,
    /// Made on the first file, after the `.gitattributes` files themselves were written.
    filters: Option<gix::filter::Pipeline<'r>>,
}

impl<'r> Writer<'r> {
    pub(crate) fn new(repo: &'r Repo, workdir: &Path) -> Writer<'r> {
        Writer {
            repo,
            workdir: workdir.to_path_buf(),
            dirs: std::collections::HashSet::new(),
            filters: None,
        }
    }

    /// Make sure the directory `dir` exists, creating it and its parents on first sight.
    fn ensure_dir(&mut self, dir: &Path) -> Result<()> {
        if dir == self.workdir || self.dirs.contains(dir) {
            return Ok(());
        }
        // A file standing where a directory must go was removed by the deletions pass already.
        std::fs::create_dir_all(dir).ctx(format!("creating {}", dir.display()))?;
        let mut d = Some(dir);
        while let Some(x) = d {
            if x == self.workdir || !self.dirs.insert(x.to_path_buf()) {
                break;
            }
            d = x.parent();
        }
        Ok(())
    }

    /// Write `entry` at `path` (relative to the work tree) and return the file's stat for the index.
    pub(crate) fn write(&mut self, path: &[u8], entry: &Entry) -> Result<Stat> {
        let file = to_fs_path(&self.workdir, path)?;
        if let Some(parent) = file.parent() {
            self.ensure_dir(parent)?;
        }
        let meta = match entry.mode {
            0o160000 => {
                self.clear(&file, entry)?;
                std::fs::create_dir_all(&file).ctx(format!("creating {}", file.display()))?;
                gix::index::fs::Metadata::from_path_no_follow(&file).ctx(format!("stat {}", file.display()))?
            }
            0o120000 => {
                self.clear(&file, entry)?;
                let target = self.repo.blob(entry.id)?;
                #[cfg(unix)]
                {
                    let target = gix::path::from_byte_slice(&target).map_err(|_| {
                        Error::input(format!("symlink target of {} is not a valid path", file.display()))
                    })?;
                    std::os::unix::fs::symlink(target, &file).ctx(format!("creating symlink {}", file.display()))?;
                }
                #[cfg(not(unix))]
                std::fs::write(&file, &target).ctx(format!("writing {}", file.display()))?;
                gix::index::fs::Metadata::from_path_no_follow(&file).ctx(format!("stat {}", file.display()))?
            }
            mode => {
                let data = self.repo.blob(entry.id)?;
                // Converted before the file is replaced: converting reads `.gitattributes`, which may be
                // this very file.
                let out = self.convert_and_write(path, &data, &file, mode)?;
                gix::index::fs::Metadata::from_file(&out).ctx(format!("stat {}", file.display()))?
            }
        };
        Stat::from_fs(&meta).map_err(|e| Error::internal(format!("stat {}: {e}", file.display())))
    }

    /// Remove what stands at `file` (git unlinks a file it replaces rather than truncating it).
    fn clear(&mut self, file: &Path, entry: &Entry) -> Result<()> {
        if let Ok(meta) = std::fs::symlink_metadata(file) {
            if meta.is_dir() && !entry.is_submodule() {
                std::fs::remove_dir_all(file).ctx(format!("removing {}", file.display()))?;
                self.dirs.retain(|d| !d.starts_with(file));
            } else if !meta.is_dir() {
                std::fs::remove_file(file).ctx(format!("removing {}", file.display()))?;
            }
        }
        Ok(())
    }

    /// Forget the attributes read so far (the `.gitattributes` files just changed).
    fn reload_attributes(&mut self) {
        self.filters = None;
    }

    /// Write the blob's bytes as the work tree holds them (eol, ident, working-tree-encoding, filter
    /// drivers) to a new file at `file`.
    fn convert_and_write(&mut self, path: &[u8], data: &[u8], file: &Path, mode: u32) -> Result<std::fs::File> {
        use gix::filter::plumbing::driver::apply::MaybeDelayed;
        use gix::filter::plumbing::pipeline::convert::ToWorktreeOutcome;
        use std::io::Write as _;
        if self.filters.is_none() {
            let (pipeline, _) = self
                .repo
                .inner
                .filter_pipeline(None)
                .map_err(|e| Error::internal(format!("reading .gitattributes: {e}")))?;
            self.filters = Some(pipeline);
        }
        let filters = self.filters.as_mut().expect("made above");
        let converted = filters
            .convert_to_worktree(data, path.as_bstr(), Default::default())
            .map_err(|e| Error::internal(format!("converting {} for the work tree: {e}", path.as_bstr())))?;
        if let Ok(meta) = std::fs::symlink_metadata(file) {
            if meta.is_dir() {
                std::fs::remove_dir_all(file).ctx(format!("removing {}", file.display()))?;
                self.dirs.retain(|d| !d.starts_with(file));
            } else {
                std::fs::remove_file(file).ctx(format!("removing {}", file.display()))?;
            }
        }
        let mut out = create(file, mode)?;
        let written = match converted {
            ToWorktreeOutcome::Unchanged(b) | ToWorktreeOutcome::Buffer(b) => out.write_all(b),
            ToWorktreeOutcome::Process(MaybeDelayed::Immediate(mut r)) => std::io::copy(&mut r, &mut out).map(|_| ()),
            ToWorktreeOutcome::Process(MaybeDelayed::Delayed(_)) => {
                return Err(Error::internal(format!(
                    "the filter of {} delayed its output, which pq does not ask for",
                    path.as_bstr()
                )));
            }
        };
        written.ctx(format!("writing {}", file.display()))?;
        Ok(out)
    }
}

/// Create `file` with its final mode: 0666 or 0777 less the umask, as git does (no chmod afterwards).
fn create(file: &Path, mode: u32) -> Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(if mode == 0o100755 { 0o777 } else { 0o666 });
    }
    #[cfg(not(unix))]
    let _ = mode;
    o.open(file).ctx(format!("creating {}", file.display()))
}

fn is_attributes(path: &[u8]) -> bool {
    path == b".gitattributes" || path.ends_with(b"/.gitattributes")
}

fn remove_path(workdir: &Path, file: &Path) -> Result<()> {
    match std::fs::symlink_metadata(file) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(file).ctx(format!("removing {}", file.display()))?,
        Ok(_) => std::fs::remove_file(file).ctx(format!("removing {}", file.display()))?,
        Err(_) => {}
    }
    // Remove directories left empty, as git does, but never the top of the work tree.
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == workdir || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(())
}

/// Paths among `changes` where writing would destroy an untracked file of the user's.
pub fn untracked_in_the_way(repo: &Repo, changes: &[TreeChange]) -> Result<Vec<BString>> {
    let Some(workdir) = repo.workdir() else {
        return Ok(Vec::new());
    };
    let index = repo.index()?;
    let mut out = Vec::new();
    for c in changes {
        if c.old.is_none() && c.new.is_some() {
            let file = to_fs_path(workdir, &c.path)?;
            if std::fs::symlink_metadata(&file).is_ok() && index.entry_by_path(c.path.as_bstr()).is_none() {
                out.push(c.path.clone());
            }
        }
    }
    Ok(out)
}

/// Move the work tree and index from `from` to `to`. With `conflict`, the index also gets the conflict's
/// stages (1 base, 2 ours, 3 theirs) for its unresolved paths, as git leaves them at a stop.
pub fn checkout(repo: &Repo, from: Oid, to: Oid, conflict: Option<&MergeOutcome>) -> Result<usize> {
    let changes = repo.diff_trees(Some(from), Some(to))?;
    apply(repo, &changes, conflict)?;
    Ok(changes.len())
}

/// Apply precomputed changes to the work tree and index.
pub fn apply(repo: &Repo, changes: &[TreeChange], conflict: Option<&MergeOutcome>) -> Result<()> {
    let workdir = repo
        .workdir()
        .ok_or_else(|| Error::input("this repository has no work tree").hint("run pq in a non-bare clone"))?
        .to_path_buf();
    let mut index = repo.index_to_edit()?;
    // Deletions first, so a file can turn into a directory (and back) in one pass.
    for c in changes.iter().filter(|c| c.new.is_none()) {
        remove_path(&workdir, &to_fs_path(&workdir, &c.path)?)?;
    }
    let mut new_entries = Vec::new();
    let progress = PhaseGuard::start(repo.progress(), Phase::Checkout, Some(changes.len() as u64));
    let mut writer = Writer::new(repo, &workdir);
    // `.gitattributes` files first: the conversions of the other files follow the new attributes, as git's
    // checkout reads them from what it checks out.
    let (attrs, rest): (Vec<&TreeChange>, Vec<&TreeChange>) = changes
        .iter()
        .filter(|c| c.new.is_some())
        .partition(|c| is_attributes(&c.path));
    if !attrs.is_empty() {
        // Written once to be read, then again below converted by what they themselves say.
        for c in &attrs {
            writer.write(&c.path, &c.new.expect("filtered"))?;
        }
        writer.reload_attributes();
    }
    for (i, c) in attrs.into_iter().chain(rest).enumerate() {
        progress.set(i as u64);
        let entry = c.new.expect("filtered");
        let stat = writer.write(&c.path, &entry)?;
        new_entries.push((c.path.clone(), entry, stat));
    }
    let touched: std::collections::HashSet<&[u8]> = changes.iter().map(|c| c.path.as_slice()).collect();
    index.remove_entries(|_, path, _| touched.contains(path.as_bytes()));
    for (path, entry, stat) in new_entries {
        index.dangerously_push_entry(stat, entry.id, Flags::empty(), index_mode(entry.mode), path.as_bstr());
    }
    index.sort_entries();
    if let Some(outcome) = conflict {
        gix::merge::tree::apply_index_entries(
            &outcome.conflicts,
            gix::merge::tree::TreatAsUnresolved::git(),
            &mut index,
            gix::merge::tree::apply_index_entries::RemovalMode::Prune,
        );
        if !outcome.theirs_only.is_empty() {
            let only: std::collections::HashMap<&[u8], &Entry> =
                outcome.theirs_only.iter().map(|(p, e)| (p.as_slice(), e)).collect();
            index.remove_entries(|_, path, _| only.contains_key(path.as_bytes()));
            for (path, entry) in &outcome.theirs_only {
                index.dangerously_push_entry(
                    Default::default(),
                    entry.id,
                    Flags::from_stage(Stage::Theirs),
                    index_mode(entry.mode),
                    path.as_bstr(),
                );
            }
            index.sort_entries();
        }
    }
    if conflict.is_some() {
        // Conflict stages make the cached tree meaningless.
        index.remove_tree();
    } else {
        invalidate_cache_tree(&mut index, changes.iter().map(|c| c.path.as_slice()));
    }
    index.remove_resolve_undo();
    repo.write_index(index)?;
    Ok(())
}

/// Put every path of `paths` in the work tree and index back to its state in `tree` (used by abort).
pub fn restore_paths(repo: &Repo, tree: Oid, paths: &[BString]) -> Result<()> {
    let workdir = repo
        .workdir()
        .ok_or_else(|| Error::input("this repository has no work tree"))?
        .to_path_buf();
    let mut index = repo.index_to_edit()?;
    let mut new_entries = Vec::new();
    let mut writer = Writer::new(repo, &workdir);
    for p in paths {
        match repo.entry_at(tree, p)? {
            Some(entry) if !entry.is_tree() => {
                let stat = writer.write(p, &entry)?;
                new_entries.push((p.clone(), entry, stat));
            }
            _ => remove_path(&workdir, &to_fs_path(&workdir, p)?)?,
        }
    }
    let touched: std::collections::HashSet<&[u8]> = paths.iter().map(|c| c.as_slice()).collect();
    index.remove_entries(|_, path, _| touched.contains(path.as_bytes()));
    for (path, entry, stat) in new_entries {
        index.dangerously_push_entry(stat, entry.id, Flags::empty(), index_mode(entry.mode), path.as_bstr());
    }
    index.sort_entries();
    invalidate_cache_tree(&mut index, paths.iter().map(|p| p.as_slice()));
    repo.write_index(index)?;
    Ok(())
}

/// Mark the cached tree of every directory above `paths` as out of date and keep the rest: the status check
/// of the next command then reads only the trees of the directories that changed (git does the same).
fn invalidate_cache_tree<'a>(index: &mut gix::index::State, paths: impl Iterator<Item = &'a [u8]>) {
    let Some(root) = index.tree_mut() else { return };
    for path in paths {
        root.num_entries = None;
        let mut node = &mut *root;
        // The last component too: a path that was a directory is invalidated along with its parents.
        for d in path.split(|b| *b == b'/') {
            let Some(pos) = node.children.iter().position(|c| c.name.as_slice() == d) else {
                break;
            };
            node = &mut node.children[pos];
            node.num_entries = None;
        }
    }
}

/// The conflicted paths the index still holds (entries at stages 1-3).
pub fn unmerged_paths(repo: &Repo) -> Result<Vec<BString>> {
    let index = repo.index()?;
    let mut out: Vec<BString> = Vec::new();
    for e in index.entries() {
        if e.stage() != Stage::Unconflicted {
            let p = e.path(&index).to_owned();
            if out.last() != Some(&p) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// A tree made from the index's stage-0 entries, built by editing `base` only where they differ from it.
pub fn tree_from_index(repo: &Repo, base: Oid) -> Result<Oid> {
    let index = repo.index()?;
    let base_files = repo.flatten_tree(base)?;
    let mut base_map: std::collections::HashMap<&[u8], Entry> =
        base_files.iter().map(|(p, e)| (p.as_slice(), *e)).collect();
    let mut edits = Vec::new();
    for e in index.entries() {
        let path = e.path(&index);
        let mode = match e.mode {
            Mode::FILE_EXECUTABLE => 0o100755,
            Mode::SYMLINK => 0o120000,
            Mode::COMMIT => 0o160000,
            _ => 0o100644,
        };
        let entry = Entry { mode, id: e.id };
        match base_map.remove(path.as_bytes()) {
            Some(old) if old == entry => {}
            _ => edits.push((path.to_owned(), Some(entry))),
        }
    }
    for (path, _) in base_map {
        edits.push((BString::from(path), None));
    }
    repo.edit_tree(base, &edits)
}

/// Paths whose entries (any stage, mode or object) differ between the repository's index and the index
/// file at `other`: what an operation changed in the index since `other` was saved.
pub fn index_paths_changed_since(repo: &Repo, other: &Path) -> Result<Vec<BString>> {
    let current = repo.index()?;
    let saved = gix::index::File::at(other, repo.inner.object_hash(), false, Default::default())
        .map_err(|e| Error::internal(format!("reading {}: {e}", other.display())))?;
    let entries = |f: &gix::index::State| -> std::collections::BTreeMap<(BString, u32), (u32, Oid)> {
        f.entries()
            .iter()
            .map(|e| ((e.path(f).to_owned(), e.stage_raw()), (e.mode.bits(), e.id)))
            .collect()
    };
    let a = entries(&current);
    let b = entries(&saved);
    let mut out: Vec<BString> = Vec::new();
    for (k, v) in &a {
        if b.get(k) != Some(v) && !out.contains(&k.0) {
            out.push(k.0.clone());
        }
    }
    for k in b.keys() {
        if !a.contains_key(k) && !out.contains(&k.0) {
            out.push(k.0.clone());
        }
    }
    Ok(out)
}
