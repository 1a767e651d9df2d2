//! `git blame` of one file, cheap to repeat over the same history: the blame walk reads, for every commit it
//! passes, the file's entry in the commit's tree, descending from the root tree each time. A backport that
//! stops often blames the same files over the same upstream range at every stop. [`PathEntries`] remembers
//! the file's entry per root tree (keyed by tree id, so it never goes stale), and the blame reads trees
//! through [`OnePathOdb`], which answers a root tree it knows with a tree holding only the path to the file:
//! the walk then decides "changed or not" from the memo, without decoding a real tree.

use std::cell::RefCell;
use std::collections::HashMap;

use super::Oid;

/// A file's entry (`mode`, blob id) in root trees, or its absence there.
#[derive(Debug, Default, Clone)]
pub struct PathEntries {
    entries: HashMap<Oid, Option<(u16, Oid)>>,
    added: bool,
}

impl PathEntries {
    pub fn from_entries(entries: HashMap<Oid, Option<(u16, Oid)>>) -> PathEntries {
        PathEntries { entries, added: false }
    }

    pub fn entries(&self) -> &HashMap<Oid, Option<(u16, Oid)>> {
        &self.entries
    }

    /// Whether a root tree was read since [`PathEntries::from_entries`].
    pub fn learnt(&self) -> bool {
        self.added
    }
}

/// The object database as the blame of `path` sees it: root trees it has a memo for are served as
/// synthetic trees holding only `path` (each level's id is the hash of its own content, so two root trees
/// with the same entry at `path` lead to the same subtrees, and a tree diff finds exactly the file's
/// change); everything else comes from the real database, and a real root tree read is remembered.
///
/// Only root trees are ever asked for by id from outside: every subtree the blame descends into is one of
/// the synthetic ones, so any other tree asked for is a commit's root tree.
pub(super) struct OnePathOdb<'a> {
    inner: &'a gix::OdbHandle,
    path: &'a [u8],
    hash: gix::hash::Kind,
    memo: RefCell<&'a mut PathEntries>,
    synthetic: RefCell<HashMap<Oid, Vec<u8>>>,
}

impl<'a> OnePathOdb<'a> {
    pub(super) fn new(
        inner: &'a gix::OdbHandle,
        hash: gix::hash::Kind,
        path: &'a [u8],
        memo: &'a mut PathEntries,
    ) -> Self {
        OnePathOdb {
            inner,
            path,
            hash,
            memo: RefCell::new(memo),
            synthetic: RefCell::new(HashMap::new()),
        }
    }

    /// The synthetic root tree for `entry`, registering the subtrees below it.
    fn root_for(&self, entry: Option<(u16, Oid)>) -> gix::error::Result<Vec<u8>> {
        let Some((mode, id)) = entry else {
            return Ok(Vec::new());
        };
        let names: Vec<&[u8]> = self.path.split(|b| *b == b'/').collect();
        let mut child_mode = mode;
        let mut child_id = id;
        let mut synthetic = self.synthetic.borrow_mut();
        for (depth, name) in names.iter().enumerate().rev() {
            let mut bytes = format!("{child_mode:o} ").into_bytes();
            bytes.extend_from_slice(name);
            bytes.push(0);
            bytes.extend_from_slice(child_id.as_bytes());
            if depth == 0 {
                return Ok(bytes);
            }
            let id = gix::objs::compute_hash(self.hash, gix::objs::Kind::Tree, &bytes)?;
            synthetic.insert(id, bytes);
            child_mode = 0o040000;
            child_id = id;
        }
        unreachable!("a path has at least one component")
    }

    /// The file's entry in the real root tree `data`.
    fn lookup(&self, data: &[u8]) -> gix::error::Result<Option<(u16, Oid)>> {
        let mut buf = Vec::new();
        let iter = gix::objs::TreeRefIter::from_bytes(data, self.hash);
        let entry = iter.lookup_entry(self.inner, &mut buf, self.path.split(|b| *b == b'/'))?;
        Ok(entry.map(|e| (e.mode.value(), e.oid)))
    }
}

impl gix::objs::Find for OnePathOdb<'_> {
    fn try_find<'b>(
        &self,
        id: &gix::hash::oid,
        buffer: &'b mut Vec<u8>,
    ) -> gix::error::Result<Option<gix::objs::Data<'b>>> {
        let tree = |buffer: &'b mut Vec<u8>, bytes: &[u8]| {
            buffer.clear();
            buffer.extend_from_slice(bytes);
            Some(gix::objs::Data::new(buffer, gix::objs::Kind::Tree, self.hash))
        };
        if let Some(bytes) = self.synthetic.borrow().get(id) {
            return Ok(tree(buffer, bytes));
        }
        let known = self.memo.borrow().entries.get(id).copied();
        if let Some(entry) = known {
            let root = self.root_for(entry)?;
            return Ok(tree(buffer, &root));
        }
        // Read into a buffer of our own, then put it back: the data is returned as it is for anything but a
        // tree, and a tree's bytes are replaced by the synthetic ones.
        let mut own = std::mem::take(buffer);
        let found = self
            .inner
            .try_find(id, &mut own)?
            .map(|d| (d.kind, d.data.as_ptr() as usize, d.data.len()));
        *buffer = own;
        let Some((kind, at, len)) = found else {
            return Ok(None);
        };
        let start = buffer.as_ptr() as usize;
        if at < start || at + len > start + buffer.len() {
            // Not in the buffer (the trait places it there; never seen otherwise): ask again as it is.
            return self.inner.try_find(id, buffer);
        }
        let range = at - start..at - start + len;
        if kind != gix::objs::Kind::Tree {
            return Ok(Some(gix::objs::Data::new(&buffer[range], kind, self.hash)));
        }
        let entry = self.lookup(&buffer[range])?;
        {
            let mut memo = self.memo.borrow_mut();
            memo.entries.insert(id.to_owned(), entry);
            memo.added = true;
        }
        let root = self.root_for(entry)?;
        Ok(tree(buffer, &root))
    }
}

impl gix::objs::FindHeader for OnePathOdb<'_> {
    fn try_header(&self, id: &gix::hash::oid) -> gix::error::Result<Option<gix::objs::Header>> {
        if let Some(bytes) = self.synthetic.borrow().get(id) {
            return Ok(Some(gix::objs::Header {
                kind: gix::objs::Kind::Tree,
                size: bytes.len() as u64,
            }));
        }
        let known = self.memo.borrow().entries.get(id).copied();
        if let Some(entry) = known {
            return Ok(Some(gix::objs::Header {
                kind: gix::objs::Kind::Tree,
                size: self.root_for(entry)?.len() as u64,
            }));
        }
        self.inner.try_header(id)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_git::git;
    use super::super::Repo;
    use super::*;

    /// The commits `git blame` names for every line of `path` at HEAD, in line order.
    fn git_blame(dir: &std::path::Path, path: &str) -> Vec<String> {
        git(dir, &["blame", "-l", "-s", "HEAD", "--", path])
            .lines()
            .map(|l| l.trim_start_matches('^').split(' ').next().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn blame_through_the_memo_is_git_blame_and_reads_no_known_tree_again() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q"]);
        let write = |name: &str, text: &str| {
            let p = d.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        let lines = |n: usize, tag: &str| -> String { (0..n).map(|i| format!("{tag} {i}\n")).collect() };
        write("lib/vtls/a.c", &lines(12, "one"));
        write("other.c", "x\n");
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", "one"]);
        // Commits that leave the file alone, one that changes it, a side branch merged back, a deletion
        // and a re-creation: every kind of step the walk takes.
        for i in 0..3 {
            write("other.c", &format!("x {i}\n"));
            git(d, &["commit", "-q", "-am", &format!("other {i}")]);
        }
        let mut text = lines(12, "one");
        text = text.replace("one 3\n", "two 3\n");
        write("lib/vtls/a.c", &text);
        git(d, &["commit", "-q", "-am", "two"]);
        git(d, &["checkout", "-q", "-b", "side"]);
        write("lib/vtls/a.c", &text.replace("one 8\n", "side 8\n"));
        git(d, &["commit", "-q", "-am", "side"]);
        git(d, &["checkout", "-q", "-"]);
        write("other.c", "y\n");
        git(d, &["commit", "-q", "-am", "main"]);
        git(d, &["merge", "-q", "--no-edit", "side"]);
        git(d, &["rm", "-q", "lib/vtls/a.c"]);
        git(d, &["commit", "-q", "-m", "gone"]);
        write(
            "lib/vtls/a.c",
            &text.replace("one 8\n", "side 8\n").replace("one 10\n", "back 10\n"),
        );
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", "back"]);
        write(
            "lib/vtls/a.c",
            &text.replace("one 8\n", "side 8\n").replace("one 1\n", "last 1\n"),
        );
        git(d, &["commit", "-q", "-am", "last"]);

        let repo = Repo::discover(d).unwrap();
        let head = repo.resolve_commit("HEAD").unwrap();
        let oracle = git_blame(d, "lib/vtls/a.c");
        let ranges = vec![0..12u32; 1];
        let by_line = |blamed: Vec<super::super::lookup::Blamed>| -> Vec<String> {
            let mut out = vec![String::new(); 12];
            for b in blamed {
                for l in b.lines {
                    out[l as usize] = b.commit.to_string();
                }
            }
            out
        };
        let mut memo = PathEntries::default();
        let first = repo
            .blame_lines_with(head, b"lib/vtls/a.c", &ranges, None, &mut memo)
            .unwrap();
        assert_eq!(by_line(first), oracle);
        assert!(memo.learnt());
        let known = memo.entries().len();
        // Again from the memo alone: the same answer, and no root tree read for real.
        let mut again = PathEntries::from_entries(memo.entries().clone());
        let second = repo
            .blame_lines_with(head, b"lib/vtls/a.c", &ranges, None, &mut again)
            .unwrap();
        assert_eq!(by_line(second), oracle);
        assert!(!again.learnt(), "every root tree came from the memo");
        assert_eq!(again.entries().len(), known);
    }
}
