//! git's commit-graph through gix (`gix-commitgraph`: parents, commit times, root trees, generation
//! numbers), plus what gix does not read: the changed-path Bloom filters (the BIDX and BDAT chunks).
//!
//! The graph gives parents, commit times and trees without inflating commit objects, and the Bloom filters
//! answer "did this commit possibly touch `path`?" with a handful of bit tests. That is what makes
//! `git rev-list A..B -- path` fast on kernel-sized histories.
//!
//! # Bloom filter semantics
//!
//! A commit's filter records the paths that differ between the commit and its **first
//! parent** (for a root commit: every path in its tree). For merges nothing is recorded about
//! the other parents. Callers must therefore only use [`CommitGraph::maybe_changed`] for the
//! first-parent TREESAME test of history simplification, exactly where git uses it
//! (`rev_compare_tree` with `nth_parent == 0`), and fall back to a real tree diff whenever
//! the answer is `None` or `Some(true)`.
//!
//! Paths are literal, repository-relative, `/`-separated byte strings without a leading `/`
//! (`lib/zstd`). Filters are only meaningful for literal pathspecs: callers must not use them
//! for pathspecs with wildcards or magic (`:(glob)`, `:(icase)`, ...), which is also where git
//! refuses to use them. A path also matches changes below it, because git adds every leading
//! directory of a changed path to the filter.
//!
//! Like git, the graph is not used when `core.commitGraph` is false, in shallow repositories, or with
//! replace refs or grafts: its parents are the real ones, not the rewritten ones ([`CommitGraph::for_repo`]).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use gix::commitgraph::Position;

const BDAT_HEADER: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("unusable commit-graph {}: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
}

/// The changed-path filters of one graph file, memory-mapped.
struct Bloom {
    data: memmap2::Mmap,
    /// Offset of BIDX in `data`.
    bidx: usize,
    /// Offset of the first filter byte (BDAT after its header).
    filters: usize,
    filters_len: usize,
    hash_version: u32,
    num_hashes: u32,
}

/// One file of the graph: where its commits start among the graph's positions, and its filters.
struct Layer {
    /// Number of commits in the layers below this one.
    base: u32,
    len: u32,
    bloom: Option<Bloom>,
}

fn be32(data: &[u8], off: usize) -> u32 {
    u32::from_be_bytes([data[off], data[off + 1], data[off + 2], data[off + 3]])
}

impl Bloom {
    /// The filters of a graph file with `len` commits, if it has usable ones. Like git, a malformed or
    /// unknown-version filter section only disables the filters.
    fn read(data: memmap2::Mmap, len: u32) -> Option<Bloom> {
        // gix has checked the header; the chunk table starts after its 8 bytes.
        let num_chunks = u32::from(*data.get(6)?);
        let index = gix_chunk::file::Index::from_bytes(&data, 8, num_chunks).ok()?;
        let bidx = index.usize_offset_by_id(*b"BIDX").ok()?;
        let bdat = index.usize_offset_by_id(*b"BDAT").ok()?;
        if bidx.len() != len as usize * 4 || bdat.len() < BDAT_HEADER || bidx.end > data.len() || bdat.end > data.len()
        {
            return None;
        }
        let hash_version = be32(&data, bdat.start);
        let num_hashes = be32(&data, bdat.start + 4);
        (hash_version == 1 || hash_version == 2).then_some(Bloom {
            bidx: bidx.start,
            filters: bdat.start + BDAT_HEADER,
            filters_len: bdat.len() - BDAT_HEADER,
            hash_version,
            num_hashes,
            data,
        })
    }

    /// The filter bytes of the file's `local`-th commit, or `None` if the index is inconsistent (git also
    /// just ignores such a filter).
    fn filter(&self, local: usize) -> Option<&[u8]> {
        let end = be32(&self.data, self.bidx + 4 * local) as usize;
        let start = if local == 0 {
            0
        } else {
            be32(&self.data, self.bidx + 4 * (local - 1)) as usize
        };
        if start > end || end > self.filters_len {
            return None;
        }
        Some(&self.data[self.filters + start..self.filters + end])
    }
}

/// A commit-graph file or split chain: gix's reader for the commits, and the filters beside it.
pub struct CommitGraph {
    graph: gix::commitgraph::Graph,
    /// Base layer first.
    layers: Vec<Layer>,
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match fs::read(path) {
        Ok(data) => Ok(Some(data)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// The graph's files, base layer first: a single `info/commit-graph` takes precedence over a split chain
/// (as in git and gix).
fn layer_paths(info: &Path) -> Result<Vec<PathBuf>, Error> {
    let single = info.join("commit-graph");
    if single.is_file() {
        return Ok(vec![single]);
    }
    let dir = info.join("commit-graphs");
    let chain_path = dir.join("commit-graph-chain");
    let Some(chain) = read_optional(&chain_path)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for line in chain.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        // Only a hash names a file here: never a path read from the repository.
        if line.len() != 40 || !line.iter().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Corrupt {
                path: chain_path,
                reason: "bad line in commit-graph-chain".into(),
            });
        }
        out.push(dir.join(format!("graph-{}.graph", String::from_utf8_lossy(line))));
    }
    Ok(out)
}

impl CommitGraph {
    /// The repository's commit-graph if git would use it: not with `core.commitGraph=false`, in a shallow
    /// clone, or with replace refs (unless `GIT_NO_REPLACE_OBJECTS` is set) or grafts, whose parents the
    /// graph does not know. `None` too when there is none or it cannot be read: the caller reads commits.
    pub fn for_repo(repo: &super::Repo) -> Option<CommitGraph> {
        let config = repo.inner.config_snapshot();
        if !config.boolean("core.commitGraph").unwrap_or(true) || repo.is_shallow() {
            return None;
        }
        if repo.inner.common_dir().join("info/grafts").exists() {
            return None;
        }
        let replaced = std::env::var_os("GIT_NO_REPLACE_OBJECTS").is_none()
            && repo
                .inner
                .references()
                .ok()
                .and_then(|r| r.prefixed("refs/replace/").ok().map(|mut i| i.next().is_some()))
                .unwrap_or(true);
        if replaced {
            return None;
        }
        Self::open(&repo.objects_dir()).ok().flatten()
    }

    /// Opens the commit-graph of an objects dir (`.git/objects`); `Ok(None)` when there is none. A split
    /// chain with a missing or mismatched layer (`git gc` rewriting it) is an error, as in gix.
    pub fn open(objects_dir: &Path) -> Result<Option<Self>, Error> {
        let paths = layer_paths(&objects_dir.join("info"))?;
        if paths.is_empty() {
            return Ok(None);
        }
        let mut files = Vec::with_capacity(paths.len());
        let mut layers = Vec::with_capacity(paths.len());
        let mut base = 0u32;
        for path in paths {
            let io_err = |source| Error::Io {
                path: path.clone(),
                source,
            };
            let file = fs::File::open(&path).map_err(io_err)?;
            // Two maps of one open file: gix reads the commits from one, the filters come from the other,
            // and both show the same bytes even if git replaces the file meanwhile.
            // SAFETY: git never writes into a graph file in place; it writes a new one and renames it.
            let (commits, filters) = unsafe { (memmap2::Mmap::map(&file), memmap2::Mmap::map(&file)) };
            let graph_file =
                gix::commitgraph::File::new(commits.map_err(io_err)?, path.clone()).map_err(|e| Error::Corrupt {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            let len = graph_file.num_commits();
            layers.push(Layer {
                base,
                len,
                bloom: Bloom::read(filters.map_err(io_err)?, len),
            });
            base = base.saturating_add(len);
            files.push(graph_file);
        }
        let graph = gix::commitgraph::Graph::new(files).map_err(|e| Error::Corrupt {
            path: objects_dir.join("info"),
            reason: e.to_string(),
        })?;
        Ok(Some(CommitGraph { graph, layers }))
    }

    /// Number of commits in the graph.
    pub fn len(&self) -> usize {
        self.graph.num_commits() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether any layer carries changed-path Bloom filters.
    pub fn has_bloom_filters(&self) -> bool {
        self.layers.iter().any(|l| l.bloom.is_some())
    }

    pub fn lookup(&self, oid: &[u8; 20]) -> Option<Position> {
        self.graph.lookup(gix::hash::oid::from_bytes_unchecked(oid))
    }

    pub fn contains(&self, oid: &[u8; 20]) -> bool {
        self.lookup(oid).is_some()
    }

    pub fn oid_at(&self, pos: Position) -> &[u8; 20] {
        self.graph.id_at(pos).as_bytes().try_into().expect("SHA-1 graph")
    }

    /// Root tree of the commit.
    pub fn tree_at(&self, pos: Position) -> [u8; 20] {
        self.graph
            .commit_at(pos)
            .root_tree_id()
            .as_bytes()
            .try_into()
            .expect("SHA-1 graph")
    }

    /// Committer time in seconds since the epoch.
    pub fn commit_time_at(&self, pos: Position) -> i64 {
        self.graph.commit_at(pos).committer_timestamp() as i64
    }

    /// Topological level (generation number v1): 1 for roots, else 1 + max over parents.
    pub fn topo_level_at(&self, pos: Position) -> u32 {
        self.graph.commit_at(pos).generation()
    }

    /// Parent positions in order; `None` only if the graph data is inconsistent.
    pub fn parents_at(&self, pos: Position) -> Option<Vec<Position>> {
        self.graph.commit_at(pos).iter_parents().collect::<Result<_, _>>().ok()
    }

    /// The first parent, for first-parent walks; `Ok(None)` for a root, `Err(())` if the graph data is
    /// inconsistent.
    #[allow(clippy::result_unit_err)]
    pub fn first_parent_at(&self, pos: Position) -> Result<Option<Position>, ()> {
        self.graph.commit_at(pos).parent1().map_err(|_| ())
    }

    /// Parent OIDs in order, or `None` if the commit is not in the graph.
    pub fn parents(&self, oid: &[u8; 20]) -> Option<Vec<[u8; 20]>> {
        let parents = self.parents_at(self.lookup(oid)?)?;
        Some(parents.into_iter().map(|p| *self.oid_at(p)).collect())
    }

    /// Committer time, or `None` if the commit is not in the graph.
    pub fn commit_time(&self, oid: &[u8; 20]) -> Option<i64> {
        self.lookup(oid).map(|pos| self.commit_time_at(pos))
    }

    /// Precomputes the Bloom keys of a literal pathspec (see [`BloomKeys::new`]).
    pub fn keys(&self, paths: &[&[u8]]) -> BloomKeys {
        BloomKeys::new(paths)
    }

    /// `None` = the commit is not in the graph or has no usable filter (answer unknown: do the
    /// tree diff); `Some(false)` = definitely none of `paths` changed versus the FIRST parent
    /// (or, for a root commit, none of them exists); `Some(true)` = maybe.
    ///
    /// Only valid for the first-parent TREESAME test; see the module docs.
    pub fn maybe_changed(&self, oid: &[u8; 20], paths: &BloomKeys) -> Option<bool> {
        self.maybe_changed_at(self.lookup(oid)?, paths)
    }

    pub fn maybe_changed_at(&self, pos: Position, keys: &BloomKeys) -> Option<bool> {
        if !keys.usable {
            return None;
        }
        let layer = self.layers.iter().rev().find(|l| l.base <= pos.0)?;
        let local = (pos.0 - layer.base) as usize;
        if local >= layer.len as usize {
            return None;
        }
        let settings = layer.bloom.as_ref()?;
        let filter = settings.filter(local)?;
        // Zero-length filters were written by git 2.27/2.28 both for commits without changes
        // and for commits with too many; git ignores them, and so must we.
        if filter.is_empty() {
            return None;
        }
        // A filter of git's "too many changes" marker (one 0xff byte) needs no special case:
        // every bit test hits, so the answer is "maybe".
        let hit = |set: &[(u32, u32)]| {
            set.iter()
                .all(|&(h0, h1)| filter_has(filter, settings.num_hashes, h0, h1))
        };
        for (i, range) in keys.ranges.iter().enumerate() {
            if hit(&keys.v2[range.clone()]) {
                return Some(true);
            }
            // A version-1 filter hashed bytes >= 0x80 as signed chars where `char` is signed
            // (x86) and correctly elsewhere (arm64): the writer is unknown, so accept either.
            if settings.hash_version == 1 && keys.v1_differs[i] && hit(&keys.v1[range.clone()]) {
                return Some(true);
            }
        }
        Some(false)
    }
}

/// Double hashing as in git's `fill_bloom_key` + `bloom_filter_contains`: bit `i` is
/// `(h0 + i * h1) mod (8 * len)`, least significant bit first within each byte.
#[inline]
fn filter_has(filter: &[u8], num_hashes: u32, h0: u32, h1: u32) -> bool {
    let bits = filter.len() as u64 * 8;
    (0..num_hashes).all(|i| {
        let bit = u64::from(h0.wrapping_add(i.wrapping_mul(h1))) % bits;
        filter[(bit / 8) as usize] & (1 << (bit % 8)) != 0
    })
}

const SEED0: u32 = 0x293a_e76f;
const SEED1: u32 = 0x7e64_6e2c;

/// 32-bit murmur3. With `signed_chars` it reproduces git's version-1 filters as written where
/// `char` is signed (x86): every byte >= 0x80 was sign-extended to 32 bits before being
/// shifted into place, polluting the higher bytes of the block or tail word.
fn murmur3(seed: u32, data: &[u8], signed_chars: bool) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let widen = |b: u8| {
        if signed_chars {
            b as i8 as u32
        } else {
            u32::from(b)
        }
    };
    let mut h = seed;
    let mut blocks = data.chunks_exact(4);
    for b in &mut blocks {
        let k = (widen(b[0]) | widen(b[1]) << 8 | widen(b[2]) << 16 | widen(b[3]) << 24)
            .wrapping_mul(C1)
            .rotate_left(15)
            .wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let mut k = 0u32;
        for (i, &b) in tail.iter().enumerate().rev() {
            k ^= widen(b) << (8 * i);
        }
        h ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

fn key(data: &[u8], signed_chars: bool) -> (u32, u32) {
    (murmur3(SEED0, data, signed_chars), murmur3(SEED1, data, signed_chars))
}

/// Precomputed hashes of a literal pathspec, so the per-commit check is only bit tests.
///
/// For each path, the keys of the path and of each of its leading directories are kept, and a
/// filter "maybe" contains the path only if ALL of them hit (a changed `a/b/c` always adds
/// `a/b` and `a`), which is what git's `bloom_filter_contains_vec` does. The pathspec is
/// "maybe changed" if any of its paths is. Keys do not depend on the graph's settings: the
/// number of hashes is applied per filter.
#[derive(Clone, Debug)]
pub struct BloomKeys {
    /// `(hash0, hash1)` per key, correct murmur3 (filter version 2, and version 1 written
    /// where `char` is unsigned).
    v2: Vec<(u32, u32)>,
    /// Same layout, version-1 signed-char variant.
    v1: Vec<(u32, u32)>,
    ranges: Vec<std::ops::Range<usize>>,
    v1_differs: Vec<bool>,
    usable: bool,
}

impl BloomKeys {
    /// `paths` are literal repository-relative paths like `lib/zstd`; one trailing `/` is
    /// ignored, as git does. An empty pathspec or an empty path (the whole tree) cannot be
    /// answered from filters, and such keys make every check return `None`.
    pub fn new(paths: &[&[u8]]) -> BloomKeys {
        let mut keys = BloomKeys {
            v2: Vec::new(),
            v1: Vec::new(),
            ranges: Vec::with_capacity(paths.len()),
            v1_differs: Vec::with_capacity(paths.len()),
            usable: !paths.is_empty(),
        };
        for &path in paths {
            let path = path.strip_suffix(b"/").unwrap_or(path);
            if path.is_empty() {
                keys.usable = false;
            }
            let start = keys.v2.len();
            let mut differs = false;
            let mut prefix_ends: Vec<usize> = vec![path.len()];
            prefix_ends.extend(
                path.iter()
                    .enumerate()
                    .rev()
                    .filter(|&(i, &b)| b == b'/' && i > 0)
                    .map(|(i, _)| i),
            );
            for end in prefix_ends {
                let part = &path[..end];
                let k2 = key(part, false);
                let k1 = key(part, true);
                differs |= k1 != k2;
                keys.v2.push(k2);
                keys.v1.push(k1);
            }
            keys.ranges.push(start..keys.v2.len());
            keys.v1_differs.push(differs);
        }
        keys
    }

    /// Whether filters can answer for this pathspec at all.
    pub fn is_usable(&self) -> bool {
        self.usable
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashMap};
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::process::{Command, Stdio};
    use std::time::Instant;

    // ---- hashing, against git's t0095-bloom.sh vectors ----

    fn add_key(filter: &mut [u8], num_hashes: u32, (h0, h1): (u32, u32)) {
        let bits = filter.len() as u64 * 8;
        for i in 0..num_hashes {
            let bit = u64::from(h0.wrapping_add(i.wrapping_mul(h1))) % bits;
            filter[(bit / 8) as usize] |= 1 << (bit % 8);
        }
    }

    #[test]
    fn murmur3_matches_git_vectors() {
        for signed in [false, true] {
            assert_eq!(murmur3(0, b"", signed), 0);
            assert_eq!(murmur3(0, b"Hello world!", signed), 0x627b_0c2c);
            assert_eq!(
                murmur3(0, b"The quick brown fox jumps over the lazy dog", signed),
                0x2e4f_f723
            );
        }
        let (h0, h1) = key(b"", false);
        let hashes: Vec<u32> = (0..7u32).map(|i| h0.wrapping_add(i.wrapping_mul(h1))).collect();
        assert_eq!(
            hashes,
            [0x5615800c, 0x5b966560, 0x61174ab4, 0x66983008, 0x6c19155c, 0x7199fab0, 0x771ae004]
        );
        for (data, expect) in [
            (&b""[..], [0x11, 0x11]),
            (b" ", [0x51, 0x55]),
            (b"Hello world!", [0x92, 0x6c]),
            (b"file.txt", [0xa5, 0x4a]),
        ] {
            let mut filter = [0u8; 2];
            add_key(&mut filter, 7, key(data, false));
            assert_eq!(filter, expect, "{:?}", String::from_utf8_lossy(data));
            assert!(filter_has(&filter, 7, key(data, false).0, key(data, false).1));
        }
    }

    #[test]
    fn version1_hash_differs_for_high_bytes() {
        // High bytes in the tail and inside full blocks both change the version-1 hash.
        assert_ne!(key("dir/é".as_bytes(), true), key("dir/é".as_bytes(), false));
        assert_ne!(key("é/dir".as_bytes(), true), key("é/dir".as_bytes(), false));
        assert_eq!(key(b"lib/zstd", true), key(b"lib/zstd", false));
        // git's t0095 vector for the seven bytes 0x99..0xff (version 2 only; the version-1
        // hash is checked against filters git wrote, in the repository tests).
        let seven = [0x99u8, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];
        assert_eq!(murmur3(0, &seven, false), 0xa183_ccfd);
        assert_ne!(murmur3(0, &seven, true), 0xa183_ccfd);
    }

    #[test]
    fn keys_cover_leading_directories() {
        let k = BloomKeys::new(&[b"a/b/c", b"lib/"]);
        assert!(k.is_usable());
        assert_eq!(k.ranges, vec![0..3, 3..4]);
        assert_eq!(k.v2[1], key(b"a/b", false));
        assert_eq!(k.v2[2], key(b"a", false));
        assert_eq!(k.v2[3], key(b"lib", false));
        assert!(!BloomKeys::new(&[]).is_usable());
        assert!(!BloomKeys::new(&[b"x", b"/"]).is_usable());
    }

    // ---- repositories built with real git ----

    struct Repo {
        dir: tempfile::TempDir,
    }

    impl Repo {
        fn path(&self) -> PathBuf {
            self.dir.path().join("repo")
        }
        fn objects(&self) -> PathBuf {
            self.path().join(".git/objects")
        }
        fn cmd(&self) -> Command {
            let mut c = Command::new("git");
            c.current_dir(self.path())
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("HOME", self.dir.path())
                .env("XDG_CONFIG_HOME", self.dir.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_LITERAL_PATHSPECS", "1")
                .env("GIT_AUTHOR_NAME", "A U Thor")
                .env("GIT_AUTHOR_EMAIL", "author@example.com")
                .env("GIT_COMMITTER_NAME", "C O Mitter")
                .env("GIT_COMMITTER_EMAIL", "committer@example.com")
                .env("GIT_AUTHOR_DATE", "1700000000 +0000")
                .env("GIT_COMMITTER_DATE", "1700000000 +0000");
            c
        }
        fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Vec<u8> {
            self.run_input(args, &[])
        }
        fn run_input<S: AsRef<OsStr>>(&self, args: &[S], input: &[u8]) -> Vec<u8> {
            use std::io::Write;
            let mut child = self
                .cmd()
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("git runs");
            let mut stdin = child.stdin.take().unwrap();
            let input = input.to_vec();
            let writer = std::thread::spawn(move || stdin.write_all(&input));
            let out = child.wait_with_output().unwrap();
            writer.join().unwrap().unwrap();
            assert!(
                out.status.success(),
                "git {:?}: {}",
                args.iter().map(|a| a.as_ref().to_owned()).collect::<Vec<_>>(),
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }
        fn new(stream: &[u8]) -> Repo {
            let repo = Repo {
                dir: tempfile::tempdir().unwrap(),
            };
            fs::create_dir(repo.path()).unwrap();
            repo.run(&["init", "-q", "-b", "main"]);
            repo.run_input(&["fast-import", "--quiet"], stream);
            repo
        }
        fn clear_graphs(&self) {
            let info = self.objects().join("info");
            let _ = fs::remove_file(info.join("commit-graph"));
            let _ = fs::remove_dir_all(info.join("commit-graphs"));
        }
    }

    fn hex(oid: &[u8; 20]) -> String {
        oid.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(s: &[u8]) -> [u8; 20] {
        let id = gix::ObjectId::from_hex(s).expect("hex oid");
        id.as_bytes().try_into().expect("SHA-1")
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn chance(&mut self, percent: u64) -> bool {
            self.next() % 100 < percent
        }
    }

    // Directory and file names are disjoint so a path is never both. Non-ASCII names of
    // varying lengths put high bytes both inside murmur3 blocks and in the tail.
    const DIRS: &[&str] = &["lib", "zstd", "d0", "dé", "ü", "s p", "Ωmega", "abc€", "x"];
    const FILES: &[&str] = &[
        "a", "b.c", "é", "fé", "x€", "README", "é.txt", "abcé", "abcdé", "f1", "Makefile", "ñ",
    ];

    struct Options {
        commits: usize,
        pool: usize,
        specials: bool,
    }

    /// A fast-import stream with a main line, side branches merged back, empty commits and,
    /// with `specials`, an octopus merge with a second root, a commit with > 512 changed
    /// paths, a commit time beyond 32 bits and clock skew.
    fn history(seed: u64, opt: &Options) -> Vec<u8> {
        let mut rng = Rng(seed | 1);
        let mut pool = BTreeSet::new();
        while pool.len() < opt.pool {
            let mut p = String::new();
            for _ in 0..rng.below(4) {
                p.push_str(DIRS[rng.below(DIRS.len())]);
                p.push('/');
            }
            p.push_str(FILES[rng.below(FILES.len())]);
            pool.insert(p);
        }
        let pool: Vec<String> = pool.into_iter().collect();

        let mut out = Vec::new();
        let mut mark = 0usize;
        let mut counter = 0u64;
        let mut time = 1_600_000_000u64;
        // Branch name -> (tip mark, files present).
        let mut branches: HashMap<&str, (usize, BTreeSet<String>)> = HashMap::new();

        let mut commit = |out: &mut Vec<u8>,
                          rng: &mut Rng,
                          branch: &'static str,
                          parents: &[usize],
                          files: &mut BTreeSet<String>,
                          adds: &[String],
                          dels: &[String],
                          time: u64|
         -> usize {
            mark += 1;
            out.extend_from_slice(format!("commit refs/heads/{branch}\nmark :{mark}\n").as_bytes());
            out.extend_from_slice(
                format!(
                    "committer C O Mitter <c@example.com> {time} +0000\ndata 4\nc{:03}\n",
                    mark % 1000
                )
                .as_bytes(),
            );
            for (i, p) in parents.iter().enumerate() {
                let verb = if i == 0 { "from" } else { "merge" };
                out.extend_from_slice(format!("{verb} :{p}\n").as_bytes());
            }
            for d in dels {
                if files.remove(d) {
                    out.extend_from_slice(format!("D {d}\n").as_bytes());
                }
            }
            for a in adds {
                counter += 1;
                let body = format!("{counter} {}\n", rng.next());
                out.extend_from_slice(format!("M 100644 inline {a}\ndata {}\n{body}\n", body.len()).as_bytes());
                files.insert(a.clone());
            }
            out.push(b'\n');
            mark
        };

        let pick =
            |rng: &mut Rng, n: usize| -> Vec<String> { (0..n).map(|_| pool[rng.below(pool.len())].clone()).collect() };
        let mut files = BTreeSet::new();
        let adds = pick(&mut rng, 10);
        let root = commit(&mut out, &mut rng, "main", &[], &mut files, &adds, &[], time);
        branches.insert("main", (root, files));

        for i in 1..opt.commits {
            time += 100;
            let mut t = time;
            if opt.specials && i % 10 == 7 {
                t -= 5000; // clock skew: corrected commit dates differ from commit times
            }
            if opt.specials && i == opt.commits / 2 {
                // Children get corrected-date offsets above 2^31: the GDO2 overflow chunk.
                t = 4_000_000_000;
            }
            if opt.specials && i == opt.commits - 1 {
                // Needs the 34-bit time. Only the tip: git before 2.5x truncated the corrected
                // dates of descendants of such commits to 32 bits.
                t = 5_000_000_000;
            }
            let (main_tip, mut main_files) = branches.remove("main").unwrap();
            let side = branches.remove("side");
            let r = rng.below(100);
            let mut side_merged = false;
            let (name, result) = if opt.specials && i == opt.commits / 3 {
                let big: Vec<String> = (0..600).map(|k| format!("big/sub{}/f{k}", k % 7)).collect();
                let m = commit(&mut out, &mut rng, "main", &[main_tip], &mut main_files, &big, &[], t);
                ("main", (m, main_files))
            } else if opt.specials && i == opt.commits / 3 + 1 {
                let dels: Vec<String> = (0..40).map(|k| format!("big/sub{}/f{k}", k % 7)).collect();
                let m = commit(&mut out, &mut rng, "main", &[main_tip], &mut main_files, &[], &dels, t);
                ("main", (m, main_files))
            } else if opt.specials && i == opt.commits * 2 / 3 {
                // A second root, then an octopus merging it, the side branch and an old commit.
                let mut orphan_files = BTreeSet::new();
                let adds = pick(&mut rng, 3);
                let o1 = commit(&mut out, &mut rng, "orphan", &[], &mut orphan_files, &adds, &[], t);
                let adds = pick(&mut rng, 2);
                let o2 = commit(&mut out, &mut rng, "orphan", &[o1], &mut orphan_files, &adds, &[], t);
                let mut parents = vec![main_tip, o2];
                if let Some((s, _)) = &side {
                    parents.push(*s);
                }
                parents.push(2);
                side_merged = true;
                let adds = pick(&mut rng, 2);
                let m = commit(&mut out, &mut rng, "main", &parents, &mut main_files, &adds, &[], t);
                ("main", (m, main_files))
            } else if r < 5 {
                let m = commit(&mut out, &mut rng, "main", &[main_tip], &mut main_files, &[], &[], t);
                ("main", (m, main_files))
            } else if r < 25 {
                let (tip, mut f) = side.clone().unwrap_or((main_tip, main_files.clone()));
                let n = 1 + rng.below(3);
                let adds = pick(&mut rng, n);
                let s = commit(&mut out, &mut rng, "side", &[tip], &mut f, &adds, &[], t);
                branches.insert("main", (main_tip, main_files));
                ("side", (s, f))
            } else if r < 35 && side.is_some() {
                let (s, side_files) = side.clone().unwrap();
                // Bring some of the side branch's files over, as a merge would.
                let mut adds: Vec<String> = side_files.iter().filter(|_| rng.chance(30)).cloned().collect();
                adds.truncate(4);
                side_merged = true;
                let m = commit(
                    &mut out,
                    &mut rng,
                    "main",
                    &[main_tip, s],
                    &mut main_files,
                    &adds,
                    &[],
                    t,
                );
                ("main", (m, main_files))
            } else {
                let n = 1 + rng.below(5);
                let adds = pick(&mut rng, n);
                let dels: Vec<String> = if rng.chance(25) {
                    let present: Vec<&String> = main_files.iter().collect();
                    (0..1 + rng.below(2))
                        .map(|_| present[rng.below(present.len())].clone())
                        .collect()
                } else {
                    Vec::new()
                };
                let m = commit(
                    &mut out,
                    &mut rng,
                    "main",
                    &[main_tip],
                    &mut main_files,
                    &adds,
                    &dels,
                    t,
                );
                ("main", (m, main_files))
            };
            if name == "side" {
                branches.insert("side", result);
            } else {
                branches.insert("main", result);
                // A side branch that was merged starts over.
                if let Some(s) = side.filter(|_| !side_merged) {
                    branches.insert("side", s);
                }
            }
        }
        out
    }

    struct Commit {
        oid: [u8; 20],
        tree: [u8; 20],
        parents: Vec<[u8; 20]>,
        time: i64,
        /// Files changed versus the first parent (all files for a root).
        changed: Vec<Vec<u8>>,
    }

    /// Every commit with its tree, parents and time from `git log`, and its first-parent diff from
    /// `git diff-tree`, in an order where parents come first.
    fn oracle(repo: &Repo) -> Vec<Commit> {
        let log = repo.run(&["log", "--all", "--topo-order", "--reverse", "--format=%H %T %P %ct"]);
        let mut commits: Vec<Commit> = log
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|line| {
                let fields: Vec<&[u8]> = line.split(|&b| b == b' ').filter(|f| !f.is_empty()).collect();
                let (time, ids) = fields.split_last().unwrap();
                Commit {
                    oid: unhex(ids[0]),
                    tree: unhex(ids[1]),
                    parents: ids[2..].iter().map(|p| unhex(p)).collect(),
                    time: std::str::from_utf8(time).unwrap().parse().unwrap(),
                    changed: Vec::new(),
                }
            })
            .collect();
        let mut input = String::new();
        for c in &commits {
            input.push_str(&hex(&c.oid));
            if let Some(p) = c.parents.first() {
                input.push(' ');
                input.push_str(&hex(p));
            }
            input.push('\n');
        }
        let out = repo.run_input(
            &[
                "diff-tree",
                "--stdin",
                "--always",
                "-r",
                "--root",
                "--no-renames",
                "--name-only",
                "-z",
            ],
            input.as_bytes(),
        );
        let index: HashMap<Vec<u8>, usize> = commits
            .iter()
            .enumerate()
            .map(|(i, c)| (hex(&c.oid).into_bytes(), i))
            .collect();
        let mut current = None;
        for token in out.split(|&b| b == 0).filter(|t| !t.is_empty()) {
            let token = token.strip_prefix(b"\n").unwrap_or(token);
            if let Some(&i) = index.get(token) {
                current = Some(i);
            } else {
                commits[current.expect("header first")].changed.push(token.to_vec());
            }
        }
        commits
    }

    fn touches(changed: &[Vec<u8>], path: &[u8]) -> bool {
        changed
            .iter()
            .any(|f| f.as_slice() == path || (f.starts_with(path) && f.get(path.len()) == Some(&b'/')))
    }

    /// Number of distinct entries git puts into the filter: files plus leading directories.
    fn filter_entries(changed: &[Vec<u8>]) -> usize {
        let mut set = BTreeSet::new();
        for f in changed {
            set.insert(f.clone());
            for (i, &b) in f.iter().enumerate() {
                if b == b'/' {
                    set.insert(f[..i].to_vec());
                }
            }
        }
        set.len()
    }

    /// The paths to query: everything ever touched, every directory, and near misses.
    fn query_paths(commits: &[Commit]) -> Vec<Vec<u8>> {
        let mut set = BTreeSet::new();
        for c in commits {
            for f in &c.changed {
                if f.starts_with(b"big/") && !f.ends_with(b"/f7") {
                    continue; // keep the 600 big files from dominating the checks
                }
                set.insert(f.clone());
                for (i, &b) in f.iter().enumerate() {
                    if b == b'/' {
                        set.insert(f[..i].to_vec());
                    }
                }
            }
        }
        for extra in [
            "nope", "lib/nope", "dé/zzz", "li", "lib/zst", "a/b/c/d", "é/x", "ü/é", "READM",
        ] {
            set.insert(extra.as_bytes().to_vec());
        }
        set.into_iter().collect()
    }

    #[derive(Default, Debug)]
    struct Stats {
        commits: usize,
        checks: usize,
        unknown: usize,
        definitely_not: usize,
        maybe_changed: usize,
        false_positive: usize,
        unchanged: usize,
    }

    impl Stats {
        fn fp_rate(&self) -> f64 {
            self.false_positive as f64 / self.unchanged.max(1) as f64
        }
    }

    /// Checks graph metadata against `git log` and every (commit, path) filter answer against
    /// the real first-parent diff.
    fn check_graph(graph: &CommitGraph, commits: &[Commit], paths: &[Vec<u8>], rng: &mut Rng) -> Stats {
        let mut stats = Stats::default();
        assert_eq!(graph.len(), commits.len());
        let mut level: HashMap<[u8; 20], u64> = HashMap::new();
        let keys: Vec<BloomKeys> = paths.iter().map(|p| graph.keys(&[p])).collect();
        for c in commits {
            assert!(graph.contains(&c.oid));
            let pos = graph.lookup(&c.oid).unwrap();
            assert_eq!(graph.oid_at(pos), &c.oid);
            assert_eq!(
                graph.parents(&c.oid).as_deref(),
                Some(c.parents.as_slice()),
                "{}",
                hex(&c.oid)
            );
            assert_eq!(graph.commit_time(&c.oid), Some(c.time));

            // Parents come first in `commits`, so their generations are known.
            let lvl = 1 + c.parents.iter().map(|p| level[p]).max().unwrap_or(0);
            level.insert(c.oid, lvl);
            assert_eq!(u64::from(graph.topo_level_at(pos)), lvl);
            assert_eq!(graph.tree_at(pos), c.tree, "{}", hex(&c.oid));

            stats.commits += 1;
            let too_many = filter_entries(&c.changed) > 512;
            for (path, k) in paths.iter().zip(&keys) {
                let changed = touches(&c.changed, path);
                let answer = graph.maybe_changed(&c.oid, k);
                stats.checks += 1;
                match answer {
                    None => stats.unknown += 1,
                    Some(false) => {
                        assert!(
                            !changed,
                            "false negative: {} {:?}",
                            hex(&c.oid),
                            String::from_utf8_lossy(path)
                        );
                        stats.definitely_not += 1;
                    }
                    Some(true) => stats.maybe_changed += 1,
                }
                if answer.is_some() && !changed && !too_many {
                    stats.unchanged += 1;
                    if answer == Some(true) {
                        stats.false_positive += 1;
                    }
                }
                if too_many {
                    assert_ne!(answer, Some(false), "too-many marker must answer maybe");
                }
            }
            // Multi-path pathspecs: "definitely not" only if no path changed.
            for _ in 0..3 {
                let chosen: Vec<&[u8]> = (0..2 + rng.below(2))
                    .map(|_| paths[rng.below(paths.len())].as_slice())
                    .collect();
                if graph.maybe_changed(&c.oid, &graph.keys(&chosen)) == Some(false) {
                    assert!(chosen.iter().all(|p| !touches(&c.changed, p)));
                }
            }
        }
        let mut absent = [0x5au8; 20];
        for _ in 0..100 {
            absent[..8].copy_from_slice(&rng.next().to_le_bytes());
            if !commits.iter().any(|c| c.oid == absent) {
                assert!(!graph.contains(&absent));
                assert_eq!(graph.parents(&absent), None);
                assert_eq!(graph.maybe_changed(&absent, &keys[0]), None);
            }
        }
        stats
    }

    /// Confirms the diff-tree parsing on a sample with `git diff-tree --quiet`, one process
    /// per pair, so the oracle itself is not trusted blindly.
    fn spot_check_oracle(repo: &Repo, commits: &[Commit], paths: &[Vec<u8>], rng: &mut Rng, n: usize) {
        for _ in 0..n {
            let c = &commits[rng.below(commits.len())];
            let path = &paths[rng.below(paths.len())];
            let mut cmd = repo.cmd();
            cmd.arg("diff-tree").arg("--quiet").arg("-r").arg("--no-renames");
            match c.parents.first() {
                Some(p) => cmd.arg(hex(p)),
                None => cmd.arg("--root"),
            };
            cmd.arg(hex(&c.oid)).arg("--").arg(OsStr::from_bytes(path));
            let status = cmd.status().unwrap();
            assert_eq!(
                status.code() == Some(1),
                touches(&c.changed, path),
                "oracle disagrees with git diff-tree --quiet for {} {:?}",
                hex(&c.oid),
                String::from_utf8_lossy(path)
            );
        }
    }

    fn big_repo() -> Repo {
        let stream = history(
            0x5eed_cafe,
            &Options {
                commits: 400,
                pool: 120,
                specials: true,
            },
        );
        Repo::new(&stream)
    }

    fn report(name: &str, s: &Stats) {
        eprintln!(
            "{name}: {} commits, {} checks, {} unknown, {} definitely-not, {} maybe, false positives {}/{} = {:.3}%",
            s.commits,
            s.checks,
            s.unknown,
            s.definitely_not,
            s.maybe_changed,
            s.false_positive,
            s.unchanged,
            100.0 * s.fp_rate()
        );
    }

    #[test]
    fn single_file_graphs_agree_with_git() {
        let repo = big_repo();
        let commits = oracle(&repo);
        let paths = query_paths(&commits);
        let mut rng = Rng(42);
        spot_check_oracle(&repo, &commits, &paths, &mut rng, 150);
        assert!(commits.iter().any(|c| c.parents.len() > 2), "octopus present");
        assert!(commits.iter().filter(|c| c.parents.is_empty()).count() >= 2);
        assert!(commits.iter().any(|c| filter_entries(&c.changed) > 512));
        assert!(commits.iter().any(|c| c.changed.is_empty()));
        assert!(commits.iter().any(|c| c.time > u32::MAX as i64));

        assert!(CommitGraph::open(&repo.objects()).unwrap().is_none());

        for (name, config) in [
            ("v1", "commitGraph.changedPathsVersion=1"),
            ("v2", "commitGraph.changedPathsVersion=2"),
        ] {
            repo.clear_graphs();
            repo.run(&["-c", config, "commit-graph", "write", "--reachable", "--changed-paths"]);
            let graph = CommitGraph::open(&repo.objects()).unwrap().unwrap();
            assert!(graph.has_bloom_filters());
            assert_eq!(graph.layers.len(), 1);
            let want = if name == "v1" { 1 } else { 2 };
            assert_eq!(graph.layers[0].bloom.as_ref().unwrap().hash_version, want);
            let stats = check_graph(&graph, &commits, &paths, &mut rng);
            report(name, &stats);
            assert_eq!(stats.unknown, 0);
            assert!(stats.definitely_not > stats.checks / 2);
            assert!(stats.fp_rate() < 0.05, "{stats:?}");
        }

        // Without --changed-paths: metadata works, filters answer unknown.
        repo.clear_graphs();
        repo.run(&["commit-graph", "write", "--reachable"]);
        let graph = CommitGraph::open(&repo.objects()).unwrap().unwrap();
        assert!(!graph.has_bloom_filters());
        let stats = check_graph(&graph, &commits, &paths, &mut rng);
        assert_eq!(stats.unknown, stats.checks);

        // A commit made after the graph was written is not in it.
        repo.clear_graphs();
        repo.run(&["commit-graph", "write", "--reachable", "--changed-paths"]);
        let new = repo.run(&["commit-tree", "main^{tree}", "-p", "main", "-m", "new"]);
        let new = unhex(new.trim_ascii_end());
        let graph = CommitGraph::open(&repo.objects()).unwrap().unwrap();
        assert!(!graph.contains(&new));
        assert_eq!(graph.maybe_changed(&new, &graph.keys(&[b"lib"])), None);
        assert_eq!(graph.commit_time(&new), None);
        assert_eq!(graph.parents(&new), None);
    }

    #[test]
    fn split_chain_agrees_with_git() {
        let repo = big_repo();
        let commits = oracle(&repo);
        let paths = query_paths(&commits);
        let mut rng = Rng(7);
        let first = hex(&commits[commits.len() / 3].oid) + "\n";
        let second = hex(&commits[2 * commits.len() / 3].oid) + "\n";
        // Base layer without filters, then two layers with them.
        repo.run_input(
            &["commit-graph", "write", "--split=no-merge", "--stdin-commits"],
            first.as_bytes(),
        );
        repo.run_input(
            &[
                "commit-graph",
                "write",
                "--split=no-merge",
                "--stdin-commits",
                "--changed-paths",
            ],
            second.as_bytes(),
        );
        repo.run(&[
            "commit-graph",
            "write",
            "--split=no-merge",
            "--reachable",
            "--changed-paths",
        ]);
        assert!(!repo.objects().join("info/commit-graph").exists());

        let graph = CommitGraph::open(&repo.objects()).unwrap().unwrap();
        assert_eq!(graph.layers.len(), 3);
        assert!(graph.layers[0].bloom.is_none());
        assert!(graph.layers[1].bloom.is_some() && graph.layers[2].bloom.is_some());
        let stats = check_graph(&graph, &commits, &paths, &mut rng);
        report("split", &stats);
        assert_eq!(stats.unknown, graph.layers[0].len as usize * paths.len());
        assert!(stats.fp_rate() < 0.05, "{stats:?}");

        // Commits in the base layer answer unknown; their parents resolve across layers.
        let base_commit = graph.oid_at(Position(0));
        assert_eq!(graph.maybe_changed(base_commit, &graph.keys(&[b"lib"])), None);

        // A missing layer makes the graph unusable (as in gix): commits are then read from their objects.
        let chain = fs::read_to_string(repo.objects().join("info/commit-graphs/commit-graph-chain")).unwrap();
        let top = chain.lines().last().unwrap();
        fs::remove_file(repo.objects().join(format!("info/commit-graphs/graph-{top}.graph"))).unwrap();
        assert!(CommitGraph::open(&repo.objects()).is_err());
    }

    #[test]
    fn the_graph_is_left_alone_where_git_leaves_it() {
        let repo = Repo::new(&history(
            5,
            &Options {
                commits: 20,
                pool: 10,
                specials: false,
            },
        ));
        repo.run(&["commit-graph", "write", "--reachable", "--changed-paths"]);
        let used = || CommitGraph::for_repo(&crate::git::Repo::discover(&repo.path()).unwrap()).is_some();
        assert!(used());
        let git_dir = repo.path().join(".git");
        let tip = String::from_utf8(repo.run(&["rev-parse", "main"])).unwrap();
        let below = String::from_utf8(repo.run(&["rev-parse", "main~1"])).unwrap();

        repo.run(&["config", "core.commitGraph", "false"]);
        assert!(!used(), "core.commitGraph=false");
        repo.run(&["config", "core.commitGraph", "true"]);
        assert!(used());

        repo.run(&["replace", tip.trim(), below.trim()]);
        assert!(!used(), "replace refs");
        repo.run(&["replace", "-d", tip.trim()]);
        assert!(used());

        fs::write(git_dir.join("shallow"), &below).unwrap();
        assert!(!used(), "shallow");
        fs::remove_file(git_dir.join("shallow")).unwrap();

        fs::create_dir_all(git_dir.join("info")).unwrap();
        fs::write(git_dir.join("info/grafts"), &tip).unwrap();
        assert!(!used(), "grafts");
        fs::remove_file(git_dir.join("info/grafts")).unwrap();
        assert!(used());
    }

    #[test]
    fn zero_length_filter_is_unknown() {
        let repo = Repo::new(&history(
            3,
            &Options {
                commits: 20,
                pool: 20,
                specials: false,
            },
        ));
        repo.run(&["commit-graph", "write", "--reachable", "--changed-paths"]);
        let path = repo.objects().join("info/commit-graph");
        let mut data = fs::read(&path).unwrap();
        // Make commit 0's filter empty by setting its BIDX end to 0, as git 2.27 wrote for
        // commits with no or too many changes.
        let graph = CommitGraph::open(&repo.objects()).unwrap().unwrap();
        let bidx = graph.layers[0].bloom.as_ref().unwrap().bidx;
        let oid = *graph.oid_at(Position(0));
        let keys = graph.keys(&[b"definitely/not/there"]);
        assert!(graph.maybe_changed(&oid, &keys).is_some());
        data[bidx..bidx + 4].copy_from_slice(&[0; 4]);
        fs::write(&path, &data).unwrap();
        let graph = CommitGraph::open(&repo.objects()).unwrap().unwrap();
        assert_eq!(graph.maybe_changed(&oid, &keys), None);
    }

    #[test]
    fn corrupt_graphs_do_not_panic() {
        use proptest::test_runner::{Config, TestRunner};
        let repo = Repo::new(&history(
            11,
            &Options {
                commits: 60,
                pool: 30,
                specials: true,
            },
        ));
        repo.run(&["commit-graph", "write", "--reachable", "--changed-paths"]);
        let path = repo.objects().join("info/commit-graph");
        let good = fs::read(&path).unwrap();
        let oids: Vec<[u8; 20]> = {
            let g = CommitGraph::open(&repo.objects()).unwrap().unwrap();
            (0..g.len() as u32).map(|i| *g.oid_at(Position(i))).collect()
        };
        let keys = BloomKeys::new(&[b"lib", "dé/é".as_bytes()]);
        let len = good.len();
        let mut runner = TestRunner::new(Config {
            cases: 300,
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = proptest::collection::vec((0..len, proptest::num::u8::ANY, 0u8..4), 1..8);
        runner
            .run(&strategy, |edits| {
                let mut data = good.clone();
                for (off, byte, mode) in edits {
                    // Offsets wrap at the current length: an earlier edit may have truncated the file.
                    let n = data.len();
                    match mode {
                        0 => data[off % 2048.min(n)] = byte, // header, chunk table, fanout
                        1 => data[off % n] = byte,
                        2 => data[off % n] ^= 0x80,
                        _ => data.truncate(off.max(1)),
                    }
                }
                fs::write(&path, &data).unwrap();
                if let Ok(Some(g)) = CommitGraph::open(&repo.objects()) {
                    for oid in &oids {
                        if let Some(pos) = g.lookup(oid) {
                            let _ = g.parents_at(pos);
                            let _ = g.topo_level_at(pos);
                            let _ = g.first_parent_at(pos);
                            let _ = g.commit_time_at(pos);
                            let _ = g.tree_at(pos);
                            let _ = g.maybe_changed_at(pos, &keys);
                        }
                    }
                }
                Ok(())
            })
            .unwrap();
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 6, failure_persistence: None, ..Default::default() })]
        #[test]
        fn random_histories_have_no_false_negatives(seed in proptest::num::u64::ANY, commits in 5usize..60, v2 in proptest::bool::ANY) {
            let repo = Repo::new(&history(seed, &Options { commits, pool: 25, specials: commits > 30 }));
            let version = if v2 { "commitGraph.changedPathsVersion=2" } else { "commitGraph.changedPathsVersion=1" };
            repo.run(&["-c", version, "commit-graph", "write", "--reachable", "--changed-paths"]);
            let commits = oracle(&repo);
            let paths = query_paths(&commits);
            let graph = CommitGraph::open(&repo.objects()).unwrap().unwrap();
            let stats = check_graph(&graph, &commits, &paths, &mut Rng(seed));
            proptest::prop_assert_eq!(stats.unknown, 0);
        }
    }

    /// `cargo test --release -- --ignored --nocapture bench` prints lookup speed.
    #[test]
    #[ignore]
    fn bench_lookups() {
        let repo = Repo::new(&history(
            99,
            &Options {
                commits: 20_000,
                pool: 3000,
                specials: false,
            },
        ));
        repo.run(&[
            "-c",
            "commitGraph.changedPathsVersion=2",
            "commit-graph",
            "write",
            "--reachable",
            "--changed-paths",
        ]);
        let t = Instant::now();
        let graph = CommitGraph::open(&repo.objects()).unwrap().unwrap();
        eprintln!("open: {:?} for {} commits", t.elapsed(), graph.len());
        let oids: Vec<[u8; 20]> = (0..graph.len() as u32).map(|i| *graph.oid_at(Position(i))).collect();
        let keys = graph.keys(&[b"lib/zstd", b"d0/x"]);
        let mut rng = Rng(1);
        let picks: Vec<[u8; 20]> = (0..100_000).map(|_| oids[rng.below(oids.len())]).collect();

        let t = Instant::now();
        let found = picks.iter().filter(|o| graph.contains(o)).count();
        eprintln!("100k contains: {:?}", t.elapsed());
        let t = Instant::now();
        let maybe = picks
            .iter()
            .filter(|o| graph.maybe_changed(o, &keys) == Some(true))
            .count();
        eprintln!("100k maybe_changed (oid): {:?} ({maybe} maybe)", t.elapsed());
        let positions: Vec<Position> = picks.iter().map(|o| graph.lookup(o).unwrap()).collect();
        let t = Instant::now();
        let maybe_at = positions
            .iter()
            .filter(|&&p| graph.maybe_changed_at(p, &keys) == Some(true))
            .count();
        eprintln!("100k maybe_changed_at (pos): {:?}", t.elapsed());
        let t = Instant::now();
        let parents: usize = positions.iter().map(|&p| graph.parents_at(p).unwrap().len()).sum();
        eprintln!("100k parents_at: {:?} ({parents} parents)", t.elapsed());
        assert_eq!(found, picks.len());
        assert_eq!(maybe, maybe_at);

        // A first-parent walk of the whole history by position.
        let t = Instant::now();
        let mut pos = graph.lookup(&oids[0]);
        let tip = (0..graph.len() as u32)
            .map(Position)
            .max_by_key(|&p| graph.topo_level_at(p))
            .unwrap();
        pos = pos.and(Some(tip));
        let (mut walked, mut hits) = (0, 0);
        while let Some(p) = pos {
            walked += 1;
            hits += usize::from(graph.maybe_changed_at(p, &keys) != Some(false));
            let _ = graph.commit_time_at(p);
            pos = graph.first_parent_at(p).unwrap();
        }
        eprintln!(
            "first-parent walk of {walked} commits with filter test: {:?} ({hits} maybe)",
            t.elapsed()
        );
    }
}
