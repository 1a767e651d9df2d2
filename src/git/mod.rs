//! The gix adapter: everything pq asks of git goes through [`Repo`]. Callers see plain values (ids, paths,
//! commit records), never gix types, so the engine above stays independent of the git library.

pub mod commit_graph;
pub mod id;
mod index;
pub mod lookup;
pub mod pack_walk;
pub mod status;
pub mod text_merge;
pub mod worktree;

use std::path::{Path, PathBuf};

use gix::bstr::{BStr, BString, ByteSlice};
use gix::objs::Write as _;
use gix::prelude::FindExt;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
use gix::refs::Target;

use crate::error::{Error, Result, ResultExt};

pub use gix::ObjectId as Oid;

/// A person and moment, as in a commit header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
    /// Seconds since the epoch.
    pub time: i64,
    /// Offset from UTC in seconds.
    pub offset: i32,
}

/// One commit, decoded.
#[derive(Debug, Clone)]
pub struct CommitInfo {
    pub id: Oid,
    pub tree: Oid,
    pub parents: Vec<Oid>,
    pub author: Person,
    pub committer: Person,
    /// The raw message bytes: non-UTF-8 messages are carried through untouched.
    pub message: BString,
    pub encoding: Option<BString>,
}

impl CommitInfo {
    pub fn subject(&self) -> String {
        let msg = self.message.to_str_lossy();
        msg.lines().next().unwrap_or("").trim().to_string()
    }
    pub fn message_lossy(&self) -> String {
        self.message.to_str_lossy().into_owned()
    }
    pub fn short(&self) -> String {
        short(&self.id)
    }
}

pub use id::short;

/// A tree entry: its mode (git's octal form) and object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Entry {
    pub mode: u32,
    pub id: Oid,
}

impl Entry {
    pub fn is_tree(&self) -> bool {
        self.mode == 0o040000
    }
    pub fn is_submodule(&self) -> bool {
        self.mode == 0o160000
    }
}

/// One ref change for [`Repo::update_refs`].
#[derive(Debug, Clone)]
pub struct RefUpdate {
    pub name: String,
    /// The value we expect the ref to have now (`None`: it must not exist).
    pub old: Option<Oid>,
    /// The new value (`None`: delete).
    pub new: Option<Oid>,
}

/// What git operation, if any, is in progress in the repository (merge, rebase, ...).
pub fn describe_in_progress(state: gix::state::InProgress) -> &'static str {
    use gix::state::InProgress::*;
    match state {
        ApplyMailbox | ApplyMailboxRebase => "git am",
        Bisect => "git bisect",
        CherryPick | CherryPickSequence => "git cherry-pick",
        Merge => "git merge",
        Rebase | RebaseInteractive => "git rebase",
        Revert | RevertSequence => "git revert",
    }
}

/// git keeps fewer objects than this loose and packs the others (`transfer.unpackLimit`'s default).
const UNPACK_LIMIT: usize = 100;

/// Write `objects` as one pack with its index into `pack_dir`, as `git index-pack` would from a fetch: each
/// object deflated whole, at the speed-first level git uses for loose objects. The pack becomes visible
/// when its index is renamed into place; a kill before leaves only a temporary file.
fn write_pack(pack_dir: &Path, objects: &gix::odb::memory::Storage) -> Result<()> {
    use gix_pack::data::output;
    let internal = |what: &str, e: &dyn std::fmt::Display| Error::internal(format!("{what}: {e}"));
    let entries = objects
        .iter()
        .map(|(id, (kind, data))| {
            output::Entry::from_data(
                &output::Count::from_data(*id, None),
                &gix::objs::Data::new(data, *kind, gix::hash::Kind::Sha1),
                gix::zlib::Compression::BEST_SPEED,
            )
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| internal("compressing objects", &e))?;
    let count = u32::try_from(entries.len()).map_err(|e| internal("too many objects", &e))?;
    let mut pack = Vec::new();
    let mut writer = output::bytes::FromEntriesIter::new(
        std::iter::once(Ok(entries)),
        &mut pack,
        count,
        gix_pack::data::Version::V2,
        gix::hash::Kind::Sha1,
    );
    for written in &mut writer {
        written.map_err(|e| internal("writing the pack", &e))?;
    }
    drop(writer);
    let outcome = gix_pack::Bundle::write_to_directory(
        &mut pack.as_slice(),
        Some(pack_dir),
        &mut gix::progress::Discard,
        &std::sync::atomic::AtomicBool::new(false),
        None::<gix::objs::find::Never>,
        gix::hash::Kind::Sha1,
        gix_pack::bundle::write::Options {
            thread_limit: Some(1),
            ..Default::default()
        },
    )
    .map_err(|e| internal(&format!("writing a pack into {}", pack_dir.display()), &e))?;
    // The `.keep` guards a fetched pack until refs point into it; these objects are as safe as loose ones
    // until the transaction that follows makes them reachable.
    if let Some(keep) = outcome.keep_path {
        std::fs::remove_file(&keep).ctx(format!("removing {}", keep.display()))?;
    }
    Ok(())
}

pub struct Repo {
    pub(crate) inner: gix::Repository,
    /// Where long phases (selection, patch-ids, replay, checkout) report progress.
    progress: crate::progress::Sink,
    /// Blob sizes already looked up: rename detection asks for the same candidates pick after pick, and a
    /// packed blob's size costs a walk down its delta chain.
    sizes: std::sync::Mutex<std::collections::HashMap<Oid, u64>>,
    /// The index as pq last wrote it (see `index.rs`).
    written_index: std::sync::Mutex<Option<gix::worktree::Index>>,
}

impl Repo {
    /// Open the repository containing `dir` (like git's discovery, honouring `-C`).
    pub fn discover(dir: &Path) -> Result<Repo> {
        let sha256 = || {
            Error::state("this repository uses SHA-256 object ids; pq works with SHA-1 repositories only")
                .hint("run pq on a SHA-1 repository; a SHA-256 one cannot be converted in place")
        };
        let mut inner = gix::discover(dir).map_err(|e| {
            // gix is built with SHA-1 only, so it cannot open a SHA-256 repository: say so, not "not a
            // repository".
            let mut cause: Option<&dyn std::error::Error> = Some(&e);
            while let Some(c) = cause {
                if c.to_string().contains("extensions.objectFormat") {
                    return sha256();
                }
                cause = c.source();
            }
            Error::input(format!("not a git repository: {} ({e})", dir.display()))
                .hint("run pq inside a git work tree, or pass -C DIR")
                .with_source(e)
        })?;
        if inner.object_hash() != gix::hash::Kind::Sha1 {
            return Err(sha256());
        }
        // Every text content merge of a tree merge is done by `text_merge` with git's rules
        // (`merge_trees_full`); gix's own text merge would only be thrown away, and it is the costliest part
        // of a tree merge. gix's binary driver takes our side and notes a conflict, which the redo then
        // replaces with the real merge. A `merge` attribute or a configured default still wins.
        if inner.config_snapshot().string("merge.default").is_none() {
            let mut config = inner.config_snapshot_mut();
            config
                .set_value(&gix::config::tree::Merge::DEFAULT, "binary")
                .map_err(|e| Error::internal(format!("setting merge.default: {e}")))?;
            config
                .commit()
                .map_err(|e| Error::internal(format!("setting merge.default: {e}")))?;
        }
        // Path lookups during merges and walks re-read the same trees; a cache keeps that cheap. The text
        // merges of a pick read each file's three blobs again right after gix's tree merge has read them, so
        // the cache holds a large pick's blobs too (33 translation files of 830 KB in a util-linux pick).
        inner.object_cache_size_if_unset(96 * 1024 * 1024);
        // Walks read thousands of trees that are deltas of one another; gix's default delta-base cache is a
        // 64-entry list searched linearly. Without a configured limit, use git's own default instead: a
        // 96 MiB cache of delta bases (`core.deltaBaseCacheLimit`).
        if inner.config_snapshot().integer("core.deltaBaseCacheLimit").is_none()
            && std::env::var_os("GIX_PACK_CACHE_MEMORY").is_none()
        {
            inner
                .objects
                .set_pack_cache(|| Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(96 * 1024 * 1024)));
        }
        Ok(Repo {
            inner,
            progress: crate::progress::silent(),
            sizes: Default::default(),
            written_index: std::sync::Mutex::new(None),
        })
    }

    /// A handle on the same repository for another thread (a gix handle is not shared between threads); its
    /// caches start empty.
    pub fn for_worker(&self) -> Repo {
        Repo {
            inner: self.inner.clone(),
            progress: crate::progress::silent(),
            sizes: Default::default(),
            written_index: std::sync::Mutex::new(None),
        }
    }

    /// Report the progress of long phases to `sink` from now on.
    pub fn set_progress(&mut self, sink: crate::progress::Sink) {
        self.progress = sink;
    }

    /// The progress receiver of this repository's operations.
    pub fn progress(&self) -> &dyn crate::progress::Progress {
        self.progress.as_ref()
    }

    pub fn git_dir(&self) -> &Path {
        self.inner.git_dir()
    }
    pub fn common_dir(&self) -> &Path {
        self.inner.common_dir()
    }
    pub fn objects_dir(&self) -> PathBuf {
        self.inner.common_dir().join("objects")
    }
    pub fn workdir(&self) -> Option<&Path> {
        self.inner.workdir()
    }
    pub fn is_bare(&self) -> bool {
        self.inner.is_bare()
    }
    pub fn is_shallow(&self) -> bool {
        self.inner.is_shallow().unwrap_or(false)
    }
    /// The git operation in progress (merge, rebase, cherry-pick, ...), if any.
    pub fn git_operation_in_progress(&self) -> Option<&'static str> {
        self.inner.state().map(describe_in_progress)
    }

    /// Keep written objects in memory until [`Repo::persist_objects`]: a dry run then leaves no trace.
    pub fn enable_object_memory(&mut self) {
        self.inner.objects.enable_object_memory();
    }
    /// Write every object held in memory to the object database and stop buffering: as loose objects when
    /// they are few, else as one pack (a backport of hundreds of commits makes thousands of trees, and a
    /// file per object costs more than the picks themselves), following git's `transfer.unpackLimit`.
    pub fn persist_objects(&mut self) -> Result<usize> {
        let Some(memory) = self.inner.objects.take_object_memory() else {
            return Ok(0);
        };
        let n = memory.len();
        if n < UNPACK_LIMIT {
            for (id, (kind, data)) in memory.iter() {
                let written = self.inner.write_buf(*kind, data).ctx("writing objects")?;
                debug_assert_eq!(written, *id);
            }
        } else {
            write_pack(&self.inner.objects.store_ref().path().join("pack"), &memory)?;
        }
        Ok(n)
    }
    /// Drop objects buffered in memory (dry run), keep buffering.
    pub fn discard_objects(&mut self) {
        self.inner.objects.reset_object_memory();
    }

    // ---- names and revisions ----

    /// The branch HEAD points at (full name like `refs/heads/fedora-6.7`), or None when detached.
    pub fn head_branch(&self) -> Result<Option<String>> {
        let name = self.inner.head_name().ctx("reading HEAD")?;
        Ok(name.map(|n| n.as_bstr().to_str_lossy().into_owned()))
    }
    /// The commit HEAD points at, None on an unborn branch.
    pub fn head_commit(&self) -> Result<Option<Oid>> {
        let head = self.inner.head().ctx("reading HEAD")?;
        Ok(head.id().map(|id| id.detach()))
    }

    /// Resolve a revision to a commit (peeling tags), with a clear error for unknown or ambiguous names.
    pub fn resolve_commit(&self, rev: &str) -> Result<Oid> {
        let id = self.inner.rev_parse_single(BStr::new(rev.as_bytes())).map_err(|e| {
            let text = e.to_string();
            let what = if text.contains("ambiguous") || text.contains("Ambiguous") {
                format!("ambiguous revision '{rev}'")
            } else {
                format!("unknown revision '{rev}'")
            };
            Error::input(what).hint("check the name with `git rev-parse --verify REV^{commit}`")
        })?;
        let object = id.object().ctx(format!("reading {rev}"))?;
        let commit = object.peel_to_kind(gix::object::Kind::Commit).map_err(|_| {
            Error::input(format!("'{rev}' does not name a commit")).hint("name a commit, tag or branch")
        })?;
        Ok(commit.id)
    }

    pub fn ref_target(&self, name: &str) -> Result<Option<Oid>> {
        let r = self.inner.try_find_reference(name).ctx(format!("reading {name}"))?;
        Ok(match r {
            Some(mut r) => Some(r.peel_to_id().ctx(format!("peeling {name}"))?.detach()),
            None => None,
        })
    }

    /// What a ref points at directly, without peeling (an annotated tag's ref gives the tag object), as
    /// ref transactions compare it.
    pub fn ref_direct(&self, name: &str) -> Result<Option<Oid>> {
        let r = self.inner.try_find_reference(name).ctx(format!("reading {name}"))?;
        Ok(r.and_then(|r| r.target().try_id().map(|id| id.to_owned())))
    }

    /// All tags with the commit they point to (annotated tags peeled).
    pub fn tags(&self) -> Result<Vec<(String, Oid)>> {
        let platform = self.inner.references().ctx("listing refs")?;
        let mut out = Vec::new();
        for r in platform.tags().ctx("listing tags")? {
            let Ok(mut r) = r else { continue };
            let name = r.name().shorten().to_str_lossy().into_owned();
            if let Ok(id) = r.peel_to_id() {
                out.push((name, id.detach()));
            }
        }
        Ok(out)
    }

    /// Refs under a prefix (for example `refs/pq/`), with their direct targets.
    pub fn refs_with_prefix(&self, prefix: &str) -> Result<Vec<(String, Oid)>> {
        let platform = self.inner.references().ctx("listing refs")?;
        let mut out = Vec::new();
        for r in platform.prefixed(BStr::new(prefix.as_bytes())).ctx("listing refs")? {
            let Ok(r) = r else { continue };
            if let Some(id) = r.target().try_id() {
                out.push((r.name().as_bstr().to_str_lossy().into_owned(), id.to_owned()));
            }
        }
        Ok(out)
    }

    /// Is `ancestor` reachable from `descendant` (or equal)?
    pub fn is_ancestor(&self, ancestor: Oid, descendant: Oid) -> Result<bool> {
        if ancestor == descendant {
            return Ok(true);
        }
        let base = self.inner.merge_base(ancestor, descendant);
        Ok(matches!(base, Ok(Some(b)) if b.detach() == ancestor))
    }

    pub fn merge_base(&self, a: Oid, b: Oid) -> Result<Option<Oid>> {
        Ok(self.inner.merge_base(a, b).ok().flatten().map(|id| id.detach()))
    }

    /// Commits reachable from `tip` but not from `hide`, newest first (commit-date order, like `git rev-list`).
    pub fn commits_between(&self, hide: &[Oid], tip: Oid) -> Result<Vec<Oid>> {
        let walk = self
            .inner
            .rev_walk([tip])
            .with_hidden(hide.iter().copied())
            .sorting(gix::revision::walk::Sorting::ByCommitTime(Default::default()))
            .all()
            .ctx("walking history")?;
        let mut out = Vec::new();
        let mut oldest = i64::MAX;
        for info in walk {
            let info = info.ctx("walking history")?;
            oldest = oldest.min(info.commit_time.unwrap_or(i64::MIN));
            out.push(info.id);
        }
        if hide.is_empty() || out.is_empty() {
            return Ok(out);
        }
        // gix's walk hands out ancestors of a hidden commit when commit times tie (a batch of patches applied
        // in one second, say). Drop every commit the hidden ones reach, walking them down only to the oldest
        // commit returned: as for `git rev-list`, an ancestor is taken to be no younger than its descendants.
        let reached = self
            .inner
            .rev_walk(hide.iter().copied())
            .sorting(gix::revision::walk::Sorting::ByCommitTimeCutoff {
                order: Default::default(),
                seconds: oldest,
            })
            .all()
            .ctx("walking history")?;
        let mut hidden = std::collections::HashSet::new();
        for info in reached {
            hidden.insert(info.ctx("walking history")?.id);
        }
        out.retain(|id| !hidden.contains(id));
        Ok(out)
    }

    // ---- objects ----

    pub fn commit(&self, id: Oid) -> Result<CommitInfo> {
        let commit = self.inner.find_commit(id).map_err(|e| {
            let err = Error::input(format!("commit {} is missing from the repository ({e})", short(&id)));
            if self.is_shallow() {
                err.hint("this is a shallow clone without that history: fetch it with `git fetch --unshallow`")
            } else {
                err.hint("fetch the history that contains it, or check the revision")
            }
        })?;
        let c = commit.decode().ctx(format!("decoding commit {}", short(&id)))?;
        let person = |s: gix::actor::SignatureRef<'_>| -> Person {
            let time = s.time().unwrap_or_default();
            Person {
                name: s.name.to_str_lossy().into_owned(),
                email: s.email.to_str_lossy().into_owned(),
                time: time.seconds,
                offset: time.offset,
            }
        };
        Ok(CommitInfo {
            id,
            tree: c.tree(),
            parents: c.parents().collect(),
            author: person(c.author().ctx("author")?),
            committer: person(c.committer().ctx("committer")?),
            message: c.message.to_owned(),
            encoding: c.encoding.map(|e| e.to_owned()),
        })
    }

    /// The parents, committer time and tree of a commit, read without decoding the rest (history walks
    /// need nothing else).
    pub fn commit_links(&self, id: Oid) -> Result<(Vec<Oid>, i64, Oid)> {
        use gix::objs::commit::ref_iter::Token;
        use gix::prelude::FindExt;
        let mut buf = Vec::new();
        let iter = self.inner.objects.find_commit_iter(&id, &mut buf).map_err(|e| {
            Error::input(format!("commit {} is missing from the repository ({e})", short(&id)))
                .hint("fetch the history that contains it, or check the revision")
        })?;
        let mut tree = None;
        let mut parents = Vec::new();
        for token in iter {
            match token.ctx(format!("decoding commit {}", short(&id)))? {
                Token::Tree { id } => tree = Some(id),
                Token::Parent { id } => parents.push(id),
                Token::Author { .. } => {}
                Token::Committer { signature } => {
                    let time = signature.time().unwrap_or_default().seconds;
                    let tree = tree.ok_or_else(|| Error::internal(format!("commit {} has no tree", short(&id))))?;
                    return Ok((parents, time, tree));
                }
                _ => break,
            }
        }
        Err(Error::internal(format!("commit {} has no committer", short(&id))))
    }

    /// The tree of a commit.
    pub fn commit_tree(&self, id: Oid) -> Result<Oid> {
        let commit = self
            .inner
            .find_commit(id)
            .ctx(format!("reading commit {}", short(&id)))?;
        Ok(commit.tree_id().ctx("reading tree id")?.detach())
    }

    /// The entry at `path` (slash separated) in `tree`, if any.
    pub fn entry_at(&self, tree: Oid, path: &[u8]) -> Result<Option<Entry>> {
        if path.is_empty() {
            return Ok(Some(Entry {
                mode: 0o040000,
                id: tree,
            }));
        }
        let mut current = tree;
        let mut buf = Vec::new();
        let mut components = path.split(|b| *b == b'/').peekable();
        while let Some(name) = components.next() {
            let data = self.inner.objects.find_tree_iter(&current, &mut buf);
            let iter = match data {
                Ok(iter) => iter,
                Err(_) => return Ok(None),
            };
            let mut found = None;
            for e in iter {
                let e = e.map_err(|e| Error::internal(format!("decoding tree: {e}")))?;
                if e.filename == name {
                    found = Some(Entry {
                        mode: e.mode.value() as u32,
                        id: e.oid.to_owned(),
                    });
                    break;
                }
            }
            let Some(found) = found else { return Ok(None) };
            if components.peek().is_none() {
                return Ok(Some(found));
            }
            if !found.is_tree() {
                return Ok(None);
            }
            current = found.id;
        }
        Ok(None)
    }

    pub fn blob(&self, id: Oid) -> Result<Vec<u8>> {
        let mut blob = self.inner.find_blob(id).ctx(format!("reading blob {}", short(&id)))?;
        Ok(blob.take_data())
    }

    /// A blob's size, from its header (without inflating it when it is packed whole).
    pub fn blob_size(&self, id: Oid) -> Result<u64> {
        if let Some(size) = self.known_sizes().get(&id) {
            return Ok(*size);
        }
        let size = self
            .inner
            .find_header(id)
            .ctx(format!("reading blob {}", short(&id)))?
            .size();
        self.known_sizes().insert(id, size);
        Ok(size)
    }

    fn known_sizes(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<Oid, u64>> {
        self.sizes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The blob sizes looked up so far (to keep across the stops of one operation), sorted by id.
    pub fn blob_sizes_seen(&self) -> Vec<(Oid, u64)> {
        let mut v: Vec<(Oid, u64)> = self.known_sizes().iter().map(|(k, v)| (*k, *v)).collect();
        v.sort();
        v
    }

    /// Blob sizes known from earlier (an object's size never changes, so they need no checking).
    pub fn remember_blob_sizes(&self, sizes: impl IntoIterator<Item = (Oid, u64)>) {
        self.known_sizes().extend(sizes);
    }

    /// The similarity (0..1) at which the tree merge pairs two different files as a rename, or `None` when
    /// it pairs only identical ones (or none).
    pub fn rename_similarity(&self) -> Result<Option<f32>> {
        let options = self.merge_options_like_ort()?;
        Ok(options.rewrites.and_then(|r| r.percentage).filter(|p| *p < 1.0))
    }

    pub fn write_blob(&self, data: &[u8]) -> Result<Oid> {
        Ok(self.inner.write_blob(data).ctx("writing blob")?.detach())
    }

    /// Every file in `tree`, recursively: (path, entry), in git's order.
    pub fn flatten_tree(&self, tree: Oid) -> Result<Vec<(BString, Entry)>> {
        let mut out = Vec::new();
        self.flatten_into(tree, &mut BString::default(), &mut out)?;
        Ok(out)
    }

    fn flatten_into(&self, tree: Oid, prefix: &mut BString, out: &mut Vec<(BString, Entry)>) -> Result<()> {
        let entries = self.tree_entries(Some(tree))?;
        for (name, entry) in entries {
            let len = prefix.len();
            if !prefix.is_empty() {
                prefix.push(b'/');
            }
            prefix.extend_from_slice(&name);
            if entry.is_tree() {
                self.flatten_into(entry.id, prefix, out)?;
            } else {
                out.push((prefix.clone(), entry));
            }
            prefix.truncate(len);
        }
        Ok(())
    }

    /// Paths that differ between two trees (files only, no rename detection), with both sides' entries.
    /// Only subtrees whose ids differ are descended into, so the cost follows the change, not the tree.
    pub fn diff_trees(&self, old: Option<Oid>, new: Option<Oid>) -> Result<Vec<TreeChange>> {
        let mut out = Vec::new();
        self.diff_into(old, new, &mut BString::default(), &mut out)?;
        Ok(out)
    }

    fn tree_entries(&self, tree: Option<Oid>) -> Result<Vec<(BString, Entry)>> {
        let Some(tree) = tree else { return Ok(Vec::new()) };
        let mut buf = Vec::new();
        let iter = self.inner.objects.find_tree_iter(&tree, &mut buf).ctx("reading tree")?;
        let mut v = Vec::new();
        for e in iter {
            let e = e.map_err(|e| Error::internal(format!("decoding tree: {e}")))?;
            v.push((
                e.filename.to_owned(),
                Entry {
                    mode: e.mode.value() as u32,
                    id: e.oid.to_owned(),
                },
            ));
        }
        Ok(v)
    }

    fn diff_into(
        &self,
        old: Option<Oid>,
        new: Option<Oid>,
        prefix: &mut BString,
        out: &mut Vec<TreeChange>,
    ) -> Result<()> {
        let mut a = self.tree_entries(old)?;
        let mut b = self.tree_entries(new)?;
        // Walk both sides in name order together: a lookup per name would be quadratic in large directories.
        a.sort_by(|x, y| x.0.cmp(&y.0));
        b.sort_by(|x, y| x.0.cmp(&y.0));
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let order = match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) => x.0.cmp(&y.0),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            let (name, ea, eb) = match order {
                std::cmp::Ordering::Less => {
                    i += 1;
                    (&a[i - 1].0, Some(a[i - 1].1), None)
                }
                std::cmp::Ordering::Greater => {
                    j += 1;
                    (&b[j - 1].0, None, Some(b[j - 1].1))
                }
                std::cmp::Ordering::Equal => {
                    i += 1;
                    j += 1;
                    (&a[i - 1].0, Some(a[i - 1].1), Some(b[j - 1].1))
                }
            };
            if ea == eb {
                continue;
            }
            let len = prefix.len();
            if !prefix.is_empty() {
                prefix.push(b'/');
            }
            prefix.extend_from_slice(name);
            let ta = ea.filter(|e| e.is_tree());
            let tb = eb.filter(|e| e.is_tree());
            if ta.is_some() || tb.is_some() {
                self.diff_into(ta.map(|e| e.id), tb.map(|e| e.id), prefix, out)?;
            }
            let fa = ea.filter(|e| !e.is_tree());
            let fb = eb.filter(|e| !e.is_tree());
            if fa != fb {
                out.push(TreeChange {
                    path: prefix.clone(),
                    old: fa,
                    new: fb,
                });
            }
            prefix.truncate(len);
        }
        Ok(())
    }

    /// Apply `edits` (path → new entry, or None to delete) to `tree` and write the result.
    pub fn edit_tree(&self, tree: Oid, edits: &[(BString, Option<Entry>)]) -> Result<Oid> {
        if edits.is_empty() {
            return Ok(tree);
        }
        let mut editor = self.inner.edit_tree(tree).ctx("editing tree")?;
        for (path, entry) in edits {
            let p = path.to_str_lossy();
            match entry {
                Some(e) => {
                    let kind = entry_kind(e.mode);
                    editor
                        .upsert(p.as_ref(), kind, e.id)
                        .ctx(format!("editing tree at {p}"))?;
                }
                None => {
                    editor.remove(p.as_ref()).ctx(format!("editing tree at {p}"))?;
                }
            }
        }
        Ok(editor.write().ctx("writing tree")?.detach())
    }

    /// Write a commit object.
    pub fn write_commit(
        &self,
        tree: Oid,
        parents: &[Oid],
        author: &Person,
        committer: &Person,
        message: &[u8],
        encoding: Option<&BStr>,
    ) -> Result<Oid> {
        let sig = |p: &Person| gix::actor::Signature {
            name: p.name.as_str().into(),
            email: p.email.as_str().into(),
            time: gix::date::Time {
                seconds: p.time,
                offset: p.offset,
            },
        };
        let commit = gix::objs::Commit {
            tree,
            parents: parents.iter().copied().collect(),
            author: sig(author),
            committer: sig(committer),
            encoding: encoding.map(|e| e.to_owned()),
            message: message.into(),
            extra_headers: Vec::new(),
        };
        Ok(self.inner.write_object(&commit).ctx("writing commit")?.detach())
    }

    /// Write an annotated tag object pointing at `target` and return its id.
    pub fn write_tag(&self, name: &str, target: Oid, tagger: &Person, message: &str) -> Result<Oid> {
        let tag = gix::objs::Tag {
            target,
            target_kind: gix::object::Kind::Commit,
            name: name.into(),
            tagger: Some(gix::actor::Signature {
                name: tagger.name.as_str().into(),
                email: tagger.email.as_str().into(),
                time: gix::date::Time {
                    seconds: tagger.time,
                    offset: tagger.offset,
                },
            }),
            message: message.into(),
            signature: None,
        };
        Ok(self.inner.write_object(&tag).ctx("writing tag")?.detach())
    }

    /// The committer identity from git's configuration and environment (`GIT_COMMITTER_*`), stamped now.
    pub fn committer(&self) -> Result<Person> {
        let sig = self.inner.committer().ok_or_else(|| {
            Error::input("no committer identity configured")
                .hint("set it with `git config user.name NAME` and `git config user.email EMAIL`")
        })?;
        let sig = sig.ctx("reading committer identity")?;
        let time = sig.time().unwrap_or_default();
        Ok(Person {
            name: sig.name.to_str_lossy().into_owned(),
            email: sig.email.to_str_lossy().into_owned(),
            time: time.seconds,
            offset: time.offset,
        })
    }

    /// A git config value as a string.
    pub fn config_string(&self, key: &str) -> Option<String> {
        self.inner
            .config_snapshot()
            .string(key)
            .map(|s| s.to_str_lossy().into_owned())
    }

    /// Move refs in one transaction, each with a reflog entry carrying `message`. Fails without changing
    /// anything if a ref does not hold the expected old value.
    pub fn update_refs(&self, updates: &[RefUpdate], message: &str) -> Result<()> {
        // The lock files the transaction takes, noted first so a kill mid-way leaves nothing foreign-looking.
        let mut locks: Vec<String> = updates.iter().map(|u| format!("{}.lock", u.name)).collect();
        locks.extend(["packed-refs.lock".to_string(), "HEAD.lock".to_string()]);
        crate::lock::note_git_locks(self.git_dir(), &locks)?;
        let mut edits = Vec::new();
        for u in updates {
            let name: gix::refs::FullName = u
                .name
                .as_str()
                .try_into()
                .map_err(|e| Error::internal(format!("invalid ref name {}: {e}", u.name)))?;
            let expected = match u.old {
                Some(old) => PreviousValue::MustExistAndMatch(Target::Object(old)),
                None => PreviousValue::MustNotExist,
            };
            let change = match u.new {
                Some(new) => Change::Update {
                    log: LogChange {
                        mode: RefLog::AndReference,
                        force_create_reflog: true,
                        message: message.into(),
                    },
                    expected,
                    new: Target::Object(new),
                },
                None => Change::Delete {
                    expected,
                    log: RefLog::AndReference,
                },
            };
            edits.push(RefEdit {
                change,
                name,
                deref: false,
            });
        }
        self.inner.edit_references(edits).map_err(|e| {
            Error::state(format!("could not update refs: {e}"))
                .hint("another process changed the branch meanwhile; run `pq status` and retry")
        })?;
        Ok(())
    }

    /// Point HEAD at a branch (attached) or a commit (detached), with a reflog message.
    pub fn set_head(&self, branch: Option<&str>, commit: Oid, message: &str) -> Result<()> {
        let target = match branch {
            Some(b) => Target::Symbolic(
                b.try_into()
                    .map_err(|e| Error::internal(format!("invalid ref {b}: {e}")))?,
            ),
            None => Target::Object(commit),
        };
        let edit = RefEdit {
            change: Change::Update {
                log: LogChange {
                    mode: RefLog::AndReference,
                    force_create_reflog: false,
                    message: message.into(),
                },
                expected: PreviousValue::Any,
                new: target,
            },
            name: "HEAD".try_into().expect("valid"),
            deref: false,
        };
        crate::lock::note_git_locks(self.git_dir(), &["HEAD.lock".to_string()])?;
        self.inner.edit_reference(edit).ctx("updating HEAD")?;
        Ok(())
    }

    /// Tree-merge options set as git's merge-ort sets them: histogram diff for the content merge unless
    /// `diff.algorithm` is configured (git's porcelain honours it, as `cherry-pick` does), git's default
    /// conflict style unless `merge.conflictStyle` says otherwise, 7-character markers. gix's own default diff
    /// is Myers, which makes conflicts where git merges cleanly.
    pub(crate) fn merge_options_like_ort(&self) -> Result<gix::merge::plumbing::tree::Options> {
        let mut options: gix::merge::plumbing::tree::Options =
            self.inner.tree_merge_options().ctx("merge options")?.into();
        if self.inner.config_snapshot().string("diff.algorithm").is_none() {
            options.blob_merge.text.diff_algorithm = gix::diff::blob::Algorithm::Histogram;
        }
        Ok(options)
    }

    /// The renames that rename detection, set as for a merge (`merge.renames`, `diff.renames`, the
    /// similarity threshold), finds from `old` to `new`: (source, destination) pairs, copies left out.
    pub fn renames(&self, old: Oid, new: Oid) -> Result<Vec<(BString, BString)>> {
        let Some(rewrites) = self.merge_options_like_ort()?.rewrites else {
            return Ok(Vec::new());
        };
        let old = self.inner.find_tree(old).ctx("reading a tree for rename detection")?;
        let new = self.inner.find_tree(new).ctx("reading a tree for rename detection")?;
        let options = gix::diff::Options::default().with_rewrites(Some(rewrites));
        let changes = self
            .inner
            .diff_tree_to_tree(&old, &new, options)
            .ctx("detecting renames")?;
        Ok(changes
            .into_iter()
            .filter_map(|c| match c {
                gix::object::tree::diff::ChangeDetached::Rewrite {
                    source_location,
                    location,
                    copy: false,
                    ..
                } => Some((source_location, location)),
                _ => None,
            })
            .collect())
    }

    /// gix's tree merge, for the cases the fast path hands over (renames on our side and the like).
    pub fn merge_trees_full(
        &self,
        base: Oid,
        ours: Oid,
        theirs: Oid,
        labels: (&str, &str, &str),
    ) -> Result<MergeOutcome> {
        let plumbing = self.merge_options_like_ort()?;
        let text_options = plumbing.blob_merge.text;
        let gix_labels = gix::merge::blob::builtin_driver::text::Labels {
            ancestor: Some(BStr::new(labels.0.as_bytes())),
            current: Some(BStr::new(labels.1.as_bytes())),
            other: Some(BStr::new(labels.2.as_bytes())),
        };
        let mut outcome = self
            .inner
            .merge_trees(base, ours, theirs, gix_labels, plumbing.into())
            .ctx("merging trees")?;
        let written = outcome.tree.write().ctx("writing merged tree")?.detach();
        // gix's text merge places hunks and conflicts differently from git's: redo each content merge as
        // git does, so the verdict and the bytes are git's.
        let edits = text_merge::redo_content_merges(self, &mut outcome.conflicts, &text_options, labels, written)?;
        let tree = if edits.is_empty() {
            written
        } else {
            self.edit_tree(written, &edits)?
        };
        let how = gix::merge::tree::TreatAsUnresolved::git();
        let conflicted = outcome.has_unresolved_conflicts(how);
        let mut paths = Vec::new();
        for c in outcome.conflicts.iter().filter(|c| c.is_unresolved(how)) {
            let p: BString = c.ours.location().to_owned();
            if !paths.contains(&p) {
                paths.push(p);
            }
            let t: BString = c.theirs.location().to_owned();
            if !paths.contains(&t) {
                paths.push(t);
            }
        }
        Ok(MergeOutcome {
            tree,
            conflicted: if conflicted { Some(paths) } else { None },
            conflicts: outcome.conflicts,
            theirs_only: Vec::new(),
        })
    }
}

/// Result of a tree merge: the merged tree (with conflict markers in conflicted files, as git writes them),
/// and, when it did not merge cleanly, the conflicted paths.
pub struct MergeOutcome {
    pub tree: Oid,
    pub conflicted: Option<Vec<BString>>,
    pub(crate) conflicts: Vec<gix::merge::tree::Conflict>,
    /// Files that stop as the picked side's only (index stage 3 alone): a file the pick adds, put where
    /// our side renamed its directory (git's `CONFLICT (file location)`).
    pub(crate) theirs_only: Vec<(BString, Entry)>,
}

/// One path that differs between two trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeChange {
    pub path: BString,
    pub old: Option<Entry>,
    pub new: Option<Entry>,
}

fn entry_kind(mode: u32) -> gix::object::tree::EntryKind {
    use gix::object::tree::EntryKind;
    match mode {
        0o040000 => EntryKind::Tree,
        0o100755 => EntryKind::BlobExecutable,
        0o120000 => EntryKind::Link,
        0o160000 => EntryKind::Commit,
        _ => EntryKind::Blob,
    }
}

/// git run hermetically (no system or user config, fixed identities and dates) for the unit tests of
/// this module and its children; returns stdout as it is and fails the test on a non-zero exit.
#[cfg(test)]
pub(crate) mod test_git {
    use std::path::Path;
    use std::process::Command;

    pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
        let out = run(dir, args);
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Whether `git ARGS` succeeds (for commands a test lets fail, such as a merge that conflicts).
    pub(crate) fn git_ok(dir: &Path, args: &[&str]) -> bool {
        run(dir, args).status.success()
    }

    fn run(dir: &Path, args: &[&str]) -> std::process::Output {
        Command::new("git")
            .current_dir(dir)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "A U Thor")
            .env("GIT_AUTHOR_EMAIL", "author@example.com")
            .env("GIT_COMMITTER_NAME", "C O Mitter")
            .env("GIT_COMMITTER_EMAIL", "committer@example.com")
            .env("GIT_AUTHOR_DATE", "1700000000 +0000")
            .env("GIT_COMMITTER_DATE", "1700000000 +0000")
            .output()
            .expect("git runs")
    }
}

#[cfg(test)]
mod persist_tests {
    use super::test_git::git;
    use super::*;

    /// `n` blobs written in memory and persisted; the same handle must still read them afterwards.
    fn persist(n: usize) -> (tempfile::TempDir, Vec<Oid>) {
        let dir = tempfile::tempdir().expect("temp dir");
        git(dir.path(), &["init", "-q"]);
        let mut repo = Repo::discover(dir.path()).expect("open");
        repo.enable_object_memory();
        let ids: Vec<Oid> = (0..n)
            .map(|i| repo.write_blob(format!("blob {i}\n").as_bytes()).expect("write"))
            .collect();
        assert_eq!(repo.persist_objects().expect("persist"), n);
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(repo.blob(*id).expect("read back"), format!("blob {i}\n").into_bytes());
        }
        (dir, ids)
    }

    fn count(dir: &Path, field: &str) -> usize {
        let counts = git(dir, &["count-objects", "-v"]);
        counts
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}: ")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {field} in {counts}"))
    }

    #[test]
    fn many_objects_become_one_pack_that_git_reads() {
        let n = UNPACK_LIMIT + 50;
        let (dir, ids) = persist(n);
        assert_eq!(count(dir.path(), "count"), 0);
        assert_eq!(count(dir.path(), "in-pack"), n);
        assert_eq!(count(dir.path(), "packs"), 1);
        git(dir.path(), &["fsck", "--full", "--no-dangling"]);
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(
                git(dir.path(), &["cat-file", "-p", &id.to_string()]),
                format!("blob {i}\n")
            );
        }
        let pack_dir = dir.path().join(".git/objects/pack");
        let keep = std::fs::read_dir(&pack_dir)
            .expect("pack dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "keep"))
            .count();
        assert_eq!(keep, 0, "no .keep file is left behind");
    }

    #[test]
    fn few_objects_stay_loose() {
        let (dir, _) = persist(3);
        assert_eq!(count(dir.path(), "count"), 3);
        assert_eq!(count(dir.path(), "in-pack"), 0);
    }
}

#[cfg(test)]
mod walk_tests {
    use super::test_git::git;
    use super::*;

    /// Random histories whose commits all share one commit time (as a batch of applied patches does): the
    /// commits between any hidden set and a tip are `git rev-list`'s.
    #[test]
    fn commits_between_is_rev_list_when_commit_times_tie() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for round in 0..4 {
            let dir = tempfile::tempdir().expect("temp dir");
            let d = dir.path();
            git(d, &["init", "-q", "-b", "main"]);
            let mut commits: Vec<String> = Vec::new();
            for i in 0..40 {
                let tree = git(d, &["write-tree"]).trim().to_string();
                let mut args = vec!["commit-tree".to_string(), tree, "-m".into(), format!("c{round}-{i}")];
                if !commits.is_empty() {
                    args.push("-p".into());
                    args.push(commits[commits.len() - 1 - next(commits.len().min(4))].clone());
                    if commits.len() > 3 && next(3) == 0 {
                        args.push("-p".into());
                        args.push(commits[next(commits.len())].clone());
                    }
                }
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                commits.push(git(d, &args).trim().to_string());
            }
            let repo = Repo::discover(d).expect("open");
            let oid = |s: &String| Oid::from_hex(s.as_bytes()).expect("id");
            for _ in 0..30 {
                let tip = &commits[20 + next(20)];
                let hidden: Vec<&String> = (0..1 + next(3)).map(|_| &commits[next(30)]).collect();
                let mut args = vec!["rev-list", tip.as_str()];
                let negated: Vec<String> = hidden.iter().map(|h| format!("^{h}")).collect();
                args.extend(negated.iter().map(String::as_str));
                let mut want: Vec<Oid> = git(d, &args).lines().map(|l| oid(&l.to_string())).collect();
                let hide: Vec<Oid> = hidden.iter().map(|h| oid(h)).collect();
                let mut got = repo.commits_between(&hide, oid(tip)).expect("walk");
                want.sort();
                got.sort();
                assert_eq!(got, want, "rev-list {args:?}");
            }
        }
    }
}
