//! What the prerequisites report at a stop remembers for the next stop of the same operation, beside its
//! state (`.git/pq/op/branch-commits`): for each branch commit it read, the upstream commits its message
//! records and the paths it changes. Without it every stop diffs every pick made so far. A commit's id fixes
//! both, so an entry never goes stale; a missing or unreadable file is ignored.

use std::collections::HashMap;
use std::path::Path;

use gix::bstr::BString;

use crate::error::Result;
use crate::git::{Oid, Repo};
use crate::lock::write_atomic;

const FILE: &str = "branch-commits";
const HEADER: &[u8] = b"pq branch commits 1";

/// A branch commit as the presence check sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Upstream commits its message records as picked (provenance lines), in order.
    pub origins: Vec<Oid>,
    /// The paths it changes against its parent; `None` for a root or merge commit (not compared).
    pub paths: Option<Vec<BString>>,
}

#[derive(Default)]
pub struct CommitMemo {
    seen: HashMap<Oid, Seen>,
    added: bool,
}

impl CommitMemo {
    /// The memo kept by an earlier stop of the operation, or an empty one.
    pub fn load(git_dir: &Path) -> CommitMemo {
        let mut memo = CommitMemo::default();
        let Ok(bytes) = std::fs::read(super::dir(git_dir).join(FILE)) else {
            return memo;
        };
        let mut lines = bytes.split(|b| *b == b'\n');
        if lines.next() != Some(HEADER) {
            return memo;
        }
        let mut current: Option<(Oid, Seen)> = None;
        for l in lines {
            let (tag, rest) = match (l.get(..2), l.get(2..)) {
                (Some(t), Some(r)) => (t, r),
                _ => continue,
            };
            match tag {
                b"c " | b"m " => {
                    if let Some((id, s)) = current.take() {
                        memo.seen.insert(id, s);
                    }
                    let Ok(id) = Oid::from_hex(rest) else {
                        return CommitMemo::default();
                    };
                    let paths = (tag == b"c ").then(Vec::new);
                    current = Some((
                        id,
                        Seen {
                            origins: Vec::new(),
                            paths,
                        },
                    ));
                }
                b"o " => match (&mut current, Oid::from_hex(rest)) {
                    (Some((_, s)), Ok(o)) => s.origins.push(o),
                    _ => return CommitMemo::default(),
                },
                b"p " => match &mut current {
                    Some((_, Seen { paths: Some(p), .. })) => p.push(BString::from(rest)),
                    _ => return CommitMemo::default(),
                },
                _ => return CommitMemo::default(),
            }
        }
        if let Some((id, s)) = current {
            memo.seen.insert(id, s);
        }
        memo
    }

    /// `id` as the memo has it, read and diffed if it is new.
    pub fn get(&mut self, repo: &Repo, id: Oid) -> Result<&Seen> {
        match self.seen.entry(id) {
            std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
            std::collections::hash_map::Entry::Vacant(e) => {
                let c = repo.commit(id)?;
                let origins = crate::model::provenance::parse(&c.message_lossy())
                    .into_iter()
                    .map(|p| p.commit)
                    .collect();
                let paths = if c.parents.len() == 1 {
                    let pt = repo.commit_tree(c.parents[0])?;
                    Some(
                        repo.diff_trees(Some(pt), Some(c.tree))?
                            .into_iter()
                            .map(|c| c.path)
                            .collect(),
                    )
                } else {
                    None
                };
                self.added = true;
                Ok(e.insert(Seen { origins, paths }))
            }
        }
    }

    /// Keep the memo for the next stop, if it learnt something (the stop directory must exist).
    pub fn save(&self, git_dir: &Path) -> Result<()> {
        let dir = super::dir(git_dir);
        if !self.added || !dir.is_dir() {
            return Ok(());
        }
        let mut out: Vec<u8> = HEADER.to_vec();
        out.push(b'\n');
        let mut ids: Vec<&Oid> = self.seen.keys().collect();
        ids.sort();
        for id in ids {
            let s = &self.seen[id];
            // A path with a line break cannot be written on a line: that commit is read again next time.
            if s.paths.iter().flatten().any(|p| p.contains(&b'\n')) {
                continue;
            }
            out.extend_from_slice(format!("{} {id}\n", if s.paths.is_some() { "c" } else { "m" }).as_bytes());
            for o in &s.origins {
                out.extend_from_slice(format!("o {o}\n").as_bytes());
            }
            for p in s.paths.iter().flatten() {
                out.extend_from_slice(b"p ");
                out.extend_from_slice(p);
                out.push(b'\n');
            }
        }
        write_atomic(&dir.join(FILE), &out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(n: u8) -> Oid {
        Oid::from_bytes_or_panic(&[n; 20])
    }

    #[test]
    fn saved_memo_loads_back_and_a_corrupt_one_is_ignored() {
        let tmp = tempfile::tempdir().unwrap();
        let git_dir = tmp.path();
        std::fs::create_dir_all(super::super::dir(git_dir)).unwrap();
        let mut memo = CommitMemo::default();
        let picked = Seen {
            origins: vec![oid(9)],
            paths: Some(vec![BString::from("lib/a b.c"), BString::from(&b"raw\xff"[..])]),
        };
        let merge = Seen {
            origins: Vec::new(),
            paths: None,
        };
        let odd = Seen {
            origins: Vec::new(),
            paths: Some(vec![BString::from("new\nline")]),
        };
        memo.seen.insert(oid(1), picked.clone());
        memo.seen.insert(oid(2), merge.clone());
        memo.seen.insert(oid(3), odd);
        memo.added = true;
        memo.save(git_dir).unwrap();
        let back = CommitMemo::load(git_dir);
        assert_eq!(back.seen.len(), 2, "the path with a line break is not kept");
        assert_eq!(back.seen[&oid(1)], picked);
        assert_eq!(back.seen[&oid(2)], merge);

        std::fs::write(super::super::dir(git_dir).join(FILE), "pq branch commits 1\nc zz\n").unwrap();
        assert!(CommitMemo::load(git_dir).seen.is_empty());
    }
}
