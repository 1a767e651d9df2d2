//! Reader for git's commit-graph (`objects/info/commit-graph` or a split chain under
//! `objects/info/commit-graphs/`), including the changed-path Bloom filters.
//!
//! The graph gives parents, commit times and generation numbers without inflating commit
//! objects, and the Bloom filters answer "did this commit possibly touch `path`?" with a
//! handful of bit tests. That is what makes `git rev-list A..B -- path` fast on
//! kernel-sized histories; gix reads neither.
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
//! Like git, do not use the graph in shallow repositories or with replace refs / grafts: its
//! parents are the real ones, not the rewritten ones.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

const HASH_LEN: usize = 20;
/// Tree OID, two parent words, generation/time words.
const CDAT_WIDTH: usize = HASH_LEN + 16;
const PARENT_NONE: u32 = 0x7000_0000;
const HIGH_BIT: u32 = 0x8000_0000;
const BDAT_HEADER: usize = 12;

const fn chunk_id(id: &[u8; 4]) -> u32 {
    u32::from_be_bytes(*id)
}
const ID_OIDF: u32 = chunk_id(b"OIDF");
const ID_OIDL: u32 = chunk_id(b"OIDL");
const ID_CDAT: u32 = chunk_id(b"CDAT");
const ID_EDGE: u32 = chunk_id(b"EDGE");
const ID_GDA2: u32 = chunk_id(b"GDA2");
const ID_GDO2: u32 = chunk_id(b"GDO2");
const ID_BIDX: u32 = chunk_id(b"BIDX");
const ID_BDAT: u32 = chunk_id(b"BDAT");
const ID_BASE: u32 = chunk_id(b"BASE");

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("corrupt commit-graph {}: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: &'static str },
    #[error("unsupported commit-graph {}: {reason}", path.display())]
    Unsupported { path: PathBuf, reason: &'static str },
}

/// Position of a commit in the (possibly split) graph. Positions continue across layers,
/// base layer first. Only the [`CommitGraph`] that produced a position may be given it back
/// (another graph may panic on it); walking by position skips the OID binary search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GraphPos(u32);

impl GraphPos {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

struct BloomChunk {
    /// Offset of BIDX in the layer's data.
    bidx: usize,
    /// Offset of the first filter byte (BDAT after its header).
    filters: usize,
    filters_len: usize,
    hash_version: u32,
    num_hashes: u32,
}

struct Layer {
    data: Vec<u8>,
    /// Number of commits in the layers below this one.
    base: u32,
    len: u32,
    fanout: usize,
    oidl: usize,
    cdat: usize,
    edge: usize,
    edge_len: usize,
    gda2: Option<usize>,
    gdo2: usize,
    gdo2_len: usize,
    bloom: Option<BloomChunk>,
    /// Hashes of the base layers, from BASE.
    bases: Vec<[u8; HASH_LEN]>,
}

fn be32(data: &[u8], off: usize) -> u32 {
    u32::from_be_bytes([data[off], data[off + 1], data[off + 2], data[off + 3]])
}

fn be64(data: &[u8], off: usize) -> u64 {
    (u64::from(be32(data, off)) << 32) | u64::from(be32(data, off + 4))
}

impl Layer {
    /// Validates every size and offset up front so that later accessors can index directly
    /// for any local position `< len`.
    fn parse(path: &Path, data: Vec<u8>) -> Result<Layer, Error> {
        let corrupt = |reason| Error::Corrupt {
            path: path.to_owned(),
            reason,
        };
        if data.len() < 8 || &data[..4] != b"CGPH" {
            return Err(corrupt("bad signature"));
        }
        if data[4] != 1 {
            return Err(Error::Unsupported {
                path: path.to_owned(),
                reason: "file version is not 1",
            });
        }
        if data[5] != 1 {
            return Err(Error::Unsupported {
                path: path.to_owned(),
                reason: "hash is not SHA-1",
            });
        }
        let num_chunks = data[6] as usize;
        let num_bases = data[7] as usize;
        let toc_end = 8 + (num_chunks + 1) * 12;
        if data.len() < toc_end + HASH_LEN {
            return Err(corrupt("truncated chunk table"));
        }
        let body_end = data.len() - HASH_LEN;

        let mut chunks: Vec<(u32, usize, usize)> = Vec::with_capacity(num_chunks);
        for i in 0..num_chunks {
            let entry = 8 + i * 12;
            let id = be32(&data, entry);
            let start = be64(&data, entry + 4);
            let end = be64(&data, entry + 16);
            if id == 0 {
                return Err(corrupt("early chunk table terminator"));
            }
            if start < toc_end as u64 || start > end || end > body_end as u64 {
                return Err(corrupt("chunk offset out of range"));
            }
            chunks.push((id, start as usize, (end - start) as usize));
        }
        if be32(&data, 8 + num_chunks * 12) != 0 {
            return Err(corrupt("missing chunk table terminator"));
        }
        let find = |id: u32| chunks.iter().find(|c| c.0 == id).map(|c| (c.1, c.2));

        let (fanout, fanout_len) = find(ID_OIDF).ok_or_else(|| corrupt("missing OIDF"))?;
        if fanout_len != 256 * 4 {
            return Err(corrupt("bad OIDF size"));
        }
        let mut prev = 0;
        for i in 0..256 {
            let v = be32(&data, fanout + 4 * i);
            if v < prev {
                return Err(corrupt("OIDF not monotonic"));
            }
            prev = v;
        }
        let len = prev;
        let n = len as usize;
        let (oidl, oidl_len) = find(ID_OIDL).ok_or_else(|| corrupt("missing OIDL"))?;
        if oidl_len != n * HASH_LEN {
            return Err(corrupt("bad OIDL size"));
        }
        let (cdat, cdat_len) = find(ID_CDAT).ok_or_else(|| corrupt("missing CDAT"))?;
        if cdat_len != n * CDAT_WIDTH {
            return Err(corrupt("bad CDAT size"));
        }
        let (edge, edge_len) = find(ID_EDGE).unwrap_or((0, 0));
        if edge_len % 4 != 0 {
            return Err(corrupt("bad EDGE size"));
        }
        let gda2 = match find(ID_GDA2) {
            Some((off, l)) if l == n * 4 => Some(off),
            Some(_) => return Err(corrupt("bad GDA2 size")),
            None => None,
        };
        let (gdo2, gdo2_len) = find(ID_GDO2).unwrap_or((0, 0));
        if gdo2_len % 8 != 0 {
            return Err(corrupt("bad GDO2 size"));
        }

        // Like git, a malformed or unknown-version filter section only disables the filters.
        let bloom = match (find(ID_BIDX), find(ID_BDAT)) {
            (Some((bidx, bidx_len)), Some((bdat, bdat_len))) if bidx_len == n * 4 && bdat_len >= BDAT_HEADER => {
                let hash_version = be32(&data, bdat);
                let num_hashes = be32(&data, bdat + 4);
                (hash_version == 1 || hash_version == 2).then_some(BloomChunk {
                    bidx,
                    filters: bdat + BDAT_HEADER,
                    filters_len: bdat_len - BDAT_HEADER,
                    hash_version,
                    num_hashes,
                })
            }
            _ => None,
        };

        let mut bases = Vec::with_capacity(num_bases);
        if num_bases > 0 {
            let (base, base_len) = find(ID_BASE).ok_or_else(|| corrupt("missing BASE"))?;
            if base_len != num_bases * HASH_LEN {
                return Err(corrupt("bad BASE size"));
            }
            for i in 0..num_bases {
                let mut h = [0; HASH_LEN];
                h.copy_from_slice(&data[base + i * HASH_LEN..][..HASH_LEN]);
                bases.push(h);
            }
        }

        Ok(Layer {
            data,
            base: 0,
            len,
            fanout,
            oidl,
            cdat,
            edge,
            edge_len,
            gda2,
            gdo2,
            gdo2_len,
            bloom,
            bases,
        })
    }

    fn checksum(&self) -> &[u8] {
        &self.data[self.data.len() - HASH_LEN..]
    }

    fn oid(&self, local: usize) -> &[u8; HASH_LEN] {
        self.data[self.oidl + local * HASH_LEN..][..HASH_LEN]
            .try_into()
            .expect("slice has hash length")
    }

    fn find(&self, oid: &[u8; HASH_LEN]) -> Option<usize> {
        let first = oid[0] as usize;
        let mut lo = if first == 0 {
            0
        } else {
            be32(&self.data, self.fanout + 4 * (first - 1)) as usize
        };
        let mut hi = be32(&self.data, self.fanout + 4 * first) as usize;
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.oid(mid).cmp(oid) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    fn cdat_word(&self, local: usize, word: usize) -> u32 {
        be32(&self.data, self.cdat + local * CDAT_WIDTH + HASH_LEN + 4 * word)
    }

    fn commit_time(&self, local: usize) -> u64 {
        // 34-bit time: the low 2 bits of the generation word are the high bits.
        (u64::from(self.cdat_word(local, 2) & 3) << 32) | u64::from(self.cdat_word(local, 3))
    }

    /// The filter bytes, or `None` if the layer has no filters or the index is inconsistent
    /// (git also just ignores such a filter).
    fn filter(&self, local: usize) -> Option<(&[u8], &BloomChunk)> {
        let b = self.bloom.as_ref()?;
        let end = be32(&self.data, b.bidx + 4 * local) as usize;
        let start = if local == 0 {
            0
        } else {
            be32(&self.data, b.bidx + 4 * (local - 1)) as usize
        };
        if start > end || end > b.filters_len {
            return None;
        }
        Some((&self.data[b.filters + start..b.filters + end], b))
    }
}

/// A commit-graph file or split chain, read into memory in full (about 100 MB for linux.git
/// with filters; memory-mapping would be a drop-in change of `Layer::data`). Git does not
/// verify the trailing checksums on reads and neither does this; every offset is
/// bounds-checked instead, so corrupt files give errors or unknown answers, never panics.
pub struct CommitGraph {
    /// Base layer first.
    layers: Vec<Layer>,
    total: u32,
    /// Corrected commit dates are only usable if every layer has them (as in git).
    generation_v2: bool,
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

fn parse_hex_hash(line: &[u8]) -> Option<[u8; HASH_LEN]> {
    if line.len() != 2 * HASH_LEN {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0; HASH_LEN];
    for (i, pair) in line.chunks_exact(2).enumerate() {
        out[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

impl CommitGraph {
    /// Opens the commit-graph of a repository's objects dir (`.git/objects`); `Ok(None)` when
    /// there is none.
    ///
    /// Like git, a single `info/commit-graph` file takes precedence over a split chain. For a
    /// chain, layers are used up to the first one that is missing or does not match the chain
    /// (e.g. while `git gc` rewrites it); commits above that are simply not in the graph.
    pub fn open(objects_dir: &Path) -> Result<Option<Self>, Error> {
        let info = objects_dir.join("info");
        let single = info.join("commit-graph");
        if let Some(data) = read_optional(&single)? {
            let layer = Layer::parse(&single, data)?;
            if !layer.bases.is_empty() {
                return Err(Error::Corrupt {
                    path: single,
                    reason: "single commit-graph file claims base layers",
                });
            }
            return Ok(Some(Self::from_layers(vec![layer])));
        }

        let dir = info.join("commit-graphs");
        let chain_path = dir.join("commit-graph-chain");
        let Some(chain) = read_optional(&chain_path)? else {
            return Ok(None);
        };
        let mut hashes = Vec::new();
        for line in chain.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            hashes.push(parse_hex_hash(line).ok_or_else(|| Error::Corrupt {
                path: chain_path.clone(),
                reason: "bad line in commit-graph-chain",
            })?);
        }
        let mut layers: Vec<Layer> = Vec::with_capacity(hashes.len());
        let mut base: u32 = 0;
        for (i, hash) in hashes.iter().enumerate() {
            let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
            let path = dir.join(format!("graph-{hex}.graph"));
            let Some(data) = read_optional(&path)? else {
                break;
            };
            let mut layer = Layer::parse(&path, data)?;
            if layer.checksum() != hash || layer.bases.as_slice() != &hashes[..i] {
                break;
            }
            let Some(next) = base.checked_add(layer.len).filter(|&t| t < PARENT_NONE) else {
                return Err(Error::Corrupt {
                    path,
                    reason: "too many commits",
                });
            };
            layer.base = base;
            base = next;
            layers.push(layer);
        }
        if layers.is_empty() {
            return Ok(None);
        }
        Ok(Some(Self::from_layers(layers)))
    }

    fn from_layers(layers: Vec<Layer>) -> Self {
        let total = layers.iter().map(|l| l.len).sum();
        let generation_v2 = layers.iter().all(|l| l.gda2.is_some());
        CommitGraph {
            layers,
            total,
            generation_v2,
        }
    }

    /// Number of commits in the graph.
    pub fn len(&self) -> usize {
        self.total as usize
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Whether any layer carries changed-path Bloom filters.
    pub fn has_bloom_filters(&self) -> bool {
        self.layers.iter().any(|l| l.bloom.is_some())
    }

    fn layer(&self, pos: GraphPos) -> (&Layer, usize) {
        let layer = self
            .layers
            .iter()
            .rev()
            .find(|l| l.base <= pos.0)
            .expect("base layer starts at 0");
        (layer, (pos.0 - layer.base) as usize)
    }

    /// Position lookup by binary search in OIDF/OIDL of each layer.
    pub fn lookup(&self, oid: &[u8; 20]) -> Option<GraphPos> {
        self.layers
            .iter()
            .rev()
            .find_map(|l| l.find(oid).map(|local| GraphPos(l.base + local as u32)))
    }

    pub fn contains(&self, oid: &[u8; 20]) -> bool {
        self.lookup(oid).is_some()
    }

    pub fn oid_at(&self, pos: GraphPos) -> &[u8; 20] {
        let (layer, local) = self.layer(pos);
        layer.oid(local)
    }

    /// Root tree of the commit.
    pub fn tree_at(&self, pos: GraphPos) -> &[u8; 20] {
        let (layer, local) = self.layer(pos);
        layer.data[layer.cdat + local * CDAT_WIDTH..][..HASH_LEN]
            .try_into()
            .expect("slice has hash length")
    }

    /// Committer time in seconds since the epoch.
    pub fn commit_time_at(&self, pos: GraphPos) -> i64 {
        let (layer, local) = self.layer(pos);
        layer.commit_time(local) as i64
    }

    /// Topological level (generation number v1): 1 for roots, else 1 + max over parents.
    pub fn topo_level_at(&self, pos: GraphPos) -> u32 {
        let (layer, local) = self.layer(pos);
        layer.cdat_word(local, 2) >> 2
    }

    /// The generation number git uses for this graph: the corrected commit date (v2) when
    /// every layer has a GDA2 chunk, otherwise the topological level (v1). A commit's generation
    /// is greater than each of its parents', except that git releases up to at least 2.47
    /// truncate it to 32 bits below a commit dated after 2106. `None` only for corrupt data.
    pub fn generation_at(&self, pos: GraphPos) -> Option<u64> {
        if !self.generation_v2 {
            return Some(u64::from(self.topo_level_at(pos)));
        }
        let (layer, local) = self.layer(pos);
        let gda2 = layer.gda2.expect("generation_v2 implies GDA2 in every layer");
        let raw = be32(&layer.data, gda2 + 4 * local);
        let offset = if raw & HIGH_BIT != 0 {
            let idx = (raw & !HIGH_BIT) as usize;
            if (idx + 1) * 8 > layer.gdo2_len {
                return None;
            }
            be64(&layer.data, layer.gdo2 + idx * 8)
        } else {
            u64::from(raw)
        };
        layer.commit_time(local).checked_add(offset)
    }

    fn checked_pos(&self, raw: u32) -> Option<GraphPos> {
        (raw < self.total).then_some(GraphPos(raw))
    }

    /// Parent positions in order; `None` only if the graph data is inconsistent.
    pub fn parents_at(&self, pos: GraphPos) -> Option<Vec<GraphPos>> {
        let (layer, local) = self.layer(pos);
        let p1 = layer.cdat_word(local, 0);
        let p2 = layer.cdat_word(local, 1);
        let mut out = Vec::with_capacity(2);
        if p1 == PARENT_NONE {
            return (p2 == PARENT_NONE).then_some(out);
        }
        out.push(self.checked_pos(p1)?);
        if p2 == PARENT_NONE {
            return Some(out);
        }
        if p2 & HIGH_BIT == 0 {
            out.push(self.checked_pos(p2)?);
            return Some(out);
        }
        // Octopus: parents 2..n are in EDGE, the last one flagged with the high bit.
        let mut idx = (p2 & !HIGH_BIT) as usize;
        loop {
            if (idx + 1) * 4 > layer.edge_len {
                return None;
            }
            let v = be32(&layer.data, layer.edge + idx * 4);
            out.push(self.checked_pos(v & !HIGH_BIT)?);
            if v & HIGH_BIT != 0 {
                return Some(out);
            }
            idx += 1;
        }
    }

    /// The first parent without allocating, for first-parent walks; `Ok(None)` for a root,
    /// `Err(())` if the graph data is inconsistent.
    #[allow(clippy::result_unit_err)]
    pub fn first_parent_at(&self, pos: GraphPos) -> Result<Option<GraphPos>, ()> {
        let (layer, local) = self.layer(pos);
        match layer.cdat_word(local, 0) {
            PARENT_NONE => Ok(None),
            p => self.checked_pos(p).map(Some).ok_or(()),
        }
    }

    /// Parent OIDs in order, or `None` if the commit is not in the graph.
    pub fn parents(&self, oid: &[u8; 20]) -> Option<Vec<[u8; 20]>> {
        let pos = self.lookup(oid)?;
        let parents = self.parents_at(pos)?;
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

    pub fn maybe_changed_at(&self, pos: GraphPos, keys: &BloomKeys) -> Option<bool> {
        if !keys.usable {
            return None;
        }
        let (layer, local) = self.layer(pos);
        let (filter, settings) = layer.filter(local)?;
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
        parse_hex_hash(s).expect("hex oid")
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
        parents: Vec<[u8; 20]>,
        time: i64,
        /// Files changed versus the first parent (all files for a root).
        changed: Vec<Vec<u8>>,
    }

    /// Every commit with its parents and time from `git log`, and its first-parent diff from
    /// `git diff-tree`, in an order where parents come first.
    fn oracle(repo: &Repo) -> Vec<Commit> {
        let log = repo.run(&["log", "--all", "--topo-order", "--reverse", "--format=%H %P %ct"]);
        let mut commits: Vec<Commit> = log
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|line| {
                let fields: Vec<&[u8]> = line.split(|&b| b == b' ').filter(|f| !f.is_empty()).collect();
                let (time, ids) = fields.split_last().unwrap();
                Commit {
                    oid: unhex(ids[0]),
                    parents: ids[1..].iter().map(|p| unhex(p)).collect(),
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
        let mut corrected: HashMap<[u8; 20], u64> = HashMap::new();
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
            let cd = c
                .parents
                .iter()
                .map(|p| corrected[p] + 1)
                .max()
                .unwrap_or(0)
                .max(c.time as u64);
            level.insert(c.oid, lvl);
            corrected.insert(c.oid, cd);
            assert_eq!(u64::from(graph.topo_level_at(pos)), lvl);
            let expect_gen = if graph.generation_v2 { cd } else { lvl };
            assert_eq!(graph.generation_at(pos), Some(expect_gen));

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
            assert!(graph.layers[0].gdo2_len > 0, "GDO2 exercised");
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
        let base_commit = graph.layers[0].oid(0);
        assert_eq!(graph.maybe_changed(base_commit, &graph.keys(&[b"lib"])), None);

        // A missing top layer leaves the rest usable.
        let chain = fs::read_to_string(repo.objects().join("info/commit-graphs/commit-graph-chain")).unwrap();
        let top = chain.lines().last().unwrap();
        fs::remove_file(repo.objects().join(format!("info/commit-graphs/graph-{top}.graph"))).unwrap();
        let graph = CommitGraph::open(&repo.objects()).unwrap().unwrap();
        assert_eq!(graph.layers.len(), 2);
        assert!(graph.contains(&commits[0].oid));
        assert!(!graph.contains(&commits.last().unwrap().oid));
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
        let oid = *graph.layers[0].oid(0);
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
            (0..g.len() as u32).map(|i| *g.oid_at(GraphPos(i))).collect()
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
                    match mode {
                        0 => data[off % 2048.min(len)] = byte, // header, chunk table, fanout
                        1 => data[off] = byte,
                        2 => data[off] ^= 0x80,
                        _ => data.truncate(off.max(1)),
                    }
                    if off >= data.len() {
                        break;
                    }
                }
                fs::write(&path, &data).unwrap();
                if let Ok(Some(g)) = CommitGraph::open(&repo.objects()) {
                    for oid in &oids {
                        if let Some(pos) = g.lookup(oid) {
                            let _ = g.parents_at(pos);
                            let _ = g.generation_at(pos);
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
        let oids: Vec<[u8; 20]> = (0..graph.len() as u32).map(|i| *graph.oid_at(GraphPos(i))).collect();
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
        let positions: Vec<GraphPos> = picks.iter().map(|o| graph.lookup(o).unwrap()).collect();
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
            .map(GraphPos)
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
