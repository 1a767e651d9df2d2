//! Reading the trees and commits of a history walk straight from the packs, delta bases first.
//!
//! gix's pack cache keeps only the objects asked for, never the bases it decoded on the way. A walk from new
//! to old reads each object's delta base next, and in packs whose chains run from old to new (`git
//! fast-import`, and so clones copied from such a pack) every read then re-inflates the whole remaining chain:
//! quadratic in the chain length (up to 50). git keeps every base it decodes in its delta-base cache
//! (`core.deltaBaseCacheLimit`, 96 MiB); this reader does the same by decoding a chain from its base upward,
//! caching each step. Objects in no pack (loose, in memory, in an alternate) come from gix as before.

use std::collections::HashSet;

use gix::objs::commit::ref_iter::Token;
use gix::prelude::FindExt;

use super::{short, Entry, Oid, Repo};
use crate::error::{Error, Result, ResultExt};

/// git's default `core.deltaBaseCacheLimit`.
const DELTA_BASE_CACHE: usize = 96 * 1024 * 1024;

pub struct WalkReader<'r> {
    repo: &'r Repo,
    packs: Vec<gix_pack::Bundle>,
    cache: gix_pack::cache::lru::MemoryCappedHashmap,
    /// Pack entries (pack, data offset) decoded so far, so most likely in `cache`.
    decoded: HashSet<(u32, u64)>,
    inflate: gix::zlib::Inflate,
    chain: Vec<gix_pack::data::Entry>,
    buf: Vec<u8>,
    /// Objects decoded from the packs, from gix (for statistics).
    pub from_packs: u64,
    pub from_store: u64,
}

impl<'r> WalkReader<'r> {
    pub fn new(repo: &'r Repo) -> WalkReader<'r> {
        let mut packs = Vec::new();
        if let Ok(dir) = std::fs::read_dir(repo.objects_dir().join("pack")) {
            let mut idx: Vec<_> = dir
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "idx"))
                .collect();
            idx.sort();
            for path in idx {
                // A pack that cannot be opened here (being written, or damaged) is left to gix.
                if let Ok(mut b) = gix_pack::Bundle::at(&path, gix::hash::Kind::Sha1) {
                    b.pack.id = packs.len() as u32;
                    packs.push(b);
                }
            }
        }
        WalkReader {
            repo,
            packs,
            cache: gix_pack::cache::lru::MemoryCappedHashmap::new(DELTA_BASE_CACHE),
            decoded: HashSet::new(),
            inflate: Default::default(),
            chain: Vec::new(),
            buf: Vec::new(),
            from_packs: 0,
            from_store: 0,
        }
    }

    /// Decode `id` from a pack into `self.buf`; its kind, or None if no pack has it or it cannot be decoded
    /// here.
    fn decode_packed(&mut self, id: &Oid) -> Option<gix::objs::Kind> {
        for b in &self.packs {
            let Some(ix) = b.index.lookup(id) else { continue };
            let mut entry = b.pack.entry(b.index.pack_offset_at_index(ix)).ok()?;
            // The chain down to a full object or to an entry decoded before.
            self.chain.clear();
            loop {
                let known = self.decoded.contains(&(b.pack.id, entry.data_offset));
                let base = match entry.header {
                    gix_pack::data::entry::Header::OfsDelta { base_distance } if !known => {
                        entry.checked_base_pack_offset(base_distance)
                    }
                    gix_pack::data::entry::Header::RefDelta { base_id } if !known => {
                        match b.index.lookup(base_id) {
                            Some(bx) => Some(b.index.pack_offset_at_index(bx)),
                            // A base outside this pack: leave it to gix.
                            None => return None,
                        }
                    }
                    _ => None,
                };
                self.chain.push(entry);
                let Some(base) = base else { break };
                entry = b.pack.entry(base).ok()?;
            }
            // Base first, so that each step finds the one below it in the cache.
            let resolve = |base: &gix::hash::oid, _: &mut Vec<u8>| {
                Ok(b.index
                    .lookup(base)
                    .and_then(|bx| b.pack.entry(b.index.pack_offset_at_index(bx)).ok())
                    .map(gix_pack::data::decode::entry::ResolvedBase::InPack))
            };
            let mut kind = None;
            for e in self.chain.iter().rev() {
                let outcome = b
                    .pack
                    .decode_entry(e.clone(), &mut self.buf, &mut self.inflate, &resolve, &mut self.cache)
                    .ok()?;
                self.decoded.insert((b.pack.id, e.data_offset));
                kind = Some(outcome.kind);
            }
            self.from_packs += 1;
            return kind;
        }
        None
    }

    /// The raw data of tree `id` in `self.buf`; false if the repository does not have it.
    fn load_tree(&mut self, id: &Oid) -> bool {
        if let Some(kind) = self.decode_packed(id) {
            return kind == gix::objs::Kind::Tree;
        }
        self.from_store += 1;
        self.repo.inner.objects.find_tree_iter(id, &mut self.buf).is_ok()
    }

    /// The entries named `names` directly in `tree` (None where it has no such entry, or where the tree is
    /// missing), decoding the tree once.
    pub fn children(&mut self, tree: &Oid, names: &[Vec<u8>], out: &mut Vec<Option<Entry>>) -> Result<()> {
        out.clear();
        out.resize(names.len(), None);
        if !self.load_tree(tree) {
            return Ok(());
        }
        let mut left = names.len();
        for e in gix::objs::TreeRefIter::from_bytes(&self.buf, gix::hash::Kind::Sha1) {
            let e = e.map_err(|e| Error::internal(format!("decoding tree {}: {e}", short(tree))))?;
            if let Some(i) = names.iter().position(|n| n.as_slice() == e.filename.as_ref() as &[u8]) {
                out[i] = Some(Entry {
                    mode: e.mode.value() as u32,
                    id: e.oid.to_owned(),
                });
                left -= 1;
                if left == 0 {
                    break;
                }
            }
        }
        Ok(())
    }

    /// The parents, committer time and tree of a commit (as [`Repo::commit_links`]).
    pub fn commit_links(&mut self, id: &Oid) -> Result<(Vec<Oid>, i64, Oid)> {
        if self.decode_packed(id) != Some(gix::objs::Kind::Commit) {
            self.from_store += 1;
            return self.repo.commit_links(*id);
        }
        let mut tree = None;
        let mut parents = Vec::new();
        for token in gix::objs::CommitRefIter::from_bytes(&self.buf, gix::hash::Kind::Sha1) {
            match token.ctx(format!("decoding commit {}", short(id)))? {
                Token::Tree { id } => tree = Some(id),
                Token::Parent { id } => parents.push(id),
                Token::Author { .. } => {}
                Token::Committer { signature } => {
                    let time = signature.time().unwrap_or_default().seconds;
                    let tree = tree.ok_or_else(|| Error::internal(format!("commit {} has no tree", short(id))))?;
                    return Ok((parents, time, tree));
                }
                _ => break,
            }
        }
        Err(Error::internal(format!("commit {} has no committer", short(id))))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_git::git;
    use super::*;
    use std::io::Write as _;
    use std::path::Path;
    use std::process::{Command, Stdio};

    /// `n` commits written by `git fast-import`, which deltifies each tree against its previous version:
    /// chains run from old to new, the order in which a walk from the tip reads them last.
    fn imported(dir: &Path, n: usize) {
        git(dir, &["init", "-q", "-b", "main"]);
        let mut stream = String::new();
        for i in 0..n {
            stream += &format!(
                "commit refs/heads/main\nmark :{m}\ncommitter C <c@example.com> {t} +0000\ndata 3\nc{d:02}\n",
                m = i + 1,
                t = 1_700_000_000 + i,
                d = i % 100
            );
            if i > 0 {
                stream += &format!("from :{i}\n");
            }
            stream += &format!("M 100644 inline dir/sub/f{}\ndata 2\n{}\n", i % 7, i % 10);
            stream += &format!("M 100644 inline top{}\ndata 2\n{}\n", i % 3, i % 10);
        }
        let mut child = Command::new("git")
            .current_dir(dir)
            .args(["fast-import", "--quiet", "--depth=50"])
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stdin(Stdio::piped())
            .spawn()
            .expect("git fast-import runs");
        child.stdin.take().unwrap().write_all(stream.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success());
    }

    fn ls(dir: &Path, tree: &str, name: &str) -> Option<Entry> {
        let out = git(dir, &["ls-tree", tree, "--", name]);
        let line = out.lines().next()?;
        let (meta, _) = line.split_once('\t')?;
        let f: Vec<&str> = meta.split(' ').collect();
        Some(Entry {
            mode: u32::from_str_radix(f[0], 8).unwrap(),
            id: Oid::from_hex(f[2].as_bytes()).unwrap(),
        })
    }

    /// Every commit's links and its trees' entries, read newest first, equal git's.
    fn check_against_git(dir: &Path) -> (u64, u64) {
        let repo = Repo::discover(dir).expect("open");
        let mut reader = WalkReader::new(&repo);
        let names = vec![b"dir".to_vec(), b"top1".to_vec(), b"missing".to_vec()];
        let mut got = Vec::new();
        for line in git(dir, &["rev-list", "--all"]).lines() {
            let id = Oid::from_hex(line.as_bytes()).unwrap();
            let (parents, time, tree) = reader.commit_links(&id).expect("commit");
            assert_eq!((parents, time, tree), repo.commit_links(id).expect("commit"));
            reader.children(&tree, &names, &mut got).expect("tree");
            let t = tree.to_string();
            assert_eq!(got, vec![ls(dir, &t, "dir"), ls(dir, &t, "top1"), None], "{line}");
            let sub = got[0].expect("dir").id;
            reader.children(&sub, &[b"sub".to_vec()], &mut got).expect("tree");
            assert_eq!(got, vec![ls(dir, &format!("{t}:dir"), "sub")]);
        }
        // A tree that is not there reads as empty, as a missing directory does.
        reader
            .children(&Oid::null(gix::hash::Kind::Sha1), &names, &mut got)
            .unwrap();
        assert_eq!(got, vec![None, None, None]);
        (reader.from_packs, reader.from_store)
    }

    #[test]
    fn old_to_new_delta_chains_read_like_git() {
        let dir = tempfile::tempdir().expect("temp dir");
        imported(dir.path(), 120);
        // The pack really has long chains, from old to new.
        let packs = git(dir.path(), &["count-objects", "-v"]);
        assert!(packs.contains("packs: 1"), "{packs}");
        let idx = std::fs::read_dir(dir.path().join(".git/objects/pack"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "idx"))
            .unwrap();
        let verify = git(dir.path(), &["verify-pack", "-v", idx.to_str().unwrap()]);
        assert!(verify.contains("chain length = 30"), "{verify}");
        let (packed, stored) = check_against_git(dir.path());
        // Only the missing tree was asked of gix.
        assert!(packed > 0 && stored == 1, "{packed} from packs, {stored} from gix");
    }

    #[test]
    fn repacked_and_loose_objects_read_like_git() {
        let dir = tempfile::tempdir().expect("temp dir");
        imported(dir.path(), 60);
        git(dir.path(), &["repack", "-adfq"]);
        // A commit on top, loose: read through gix.
        git(dir.path(), &["read-tree", "main"]);
        std::fs::write(dir.path().join("top1"), "loose\n").unwrap();
        let blob = git(dir.path(), &["hash-object", "-w", "top1"]);
        let info = format!("100644,{},top1", blob.trim());
        git(dir.path(), &["update-index", "--add", "--cacheinfo", &info]);
        let tree = git(dir.path(), &["write-tree"]);
        let commit = git(dir.path(), &["commit-tree", tree.trim(), "-p", "main", "-m", "loose"]);
        git(dir.path(), &["update-ref", "refs/heads/main", commit.trim()]);
        let (packed, stored) = check_against_git(dir.path());
        assert!(packed > 0 && stored > 1, "{packed} from packs, {stored} from gix");
    }
}
