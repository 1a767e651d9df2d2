//! Remembered conflict resolutions, like `git rerere`: when a pick stopped and the user resolved it, the
//! conflicted file (markers normalised) and its resolution are recorded; when the same conflict comes up
//! again, typically on the next rebase, the resolution is applied and the pick goes on by itself.
//!
//! Records live on `refs/pq/rerere` (a commit whose tree maps a conflict's id to the resolved blob), so a
//! clone that fetches `refs/pq/*` shares them.

use std::collections::HashMap;

use gix::bstr::{BString, ByteSlice};
use sha1::{Digest, Sha1};

use crate::error::Result;
use crate::git::{Entry, Oid, Person, RefUpdate, Repo};

pub const RERERE_REF: &str = "refs/pq/rerere";

/// The id of a conflicted file: its content with the marker labels removed and each conflict's two sides in
/// a fixed order, so the same conflict met through other commits (other labels, sides swapped) matches.
pub fn conflict_id(content: &[u8]) -> Option<String> {
    let mut out: Vec<u8> = Vec::new();
    let mut in_conflict = false;
    let mut ours: Vec<&[u8]> = Vec::new();
    let mut theirs: Vec<&[u8]> = Vec::new();
    let mut side = 0; // 1 ours, 2 base (dropped), 3 theirs
    let mut found = false;
    for line in content.lines_with_terminator() {
        if line.starts_with(b"<<<<<<<") {
            in_conflict = true;
            found = true;
            side = 1;
            continue;
        }
        if in_conflict && line.starts_with(b"|||||||") {
            side = 2;
            continue;
        }
        if in_conflict && line.starts_with(b"=======") {
            side = 3;
            continue;
        }
        if in_conflict && line.starts_with(b">>>>>>>") {
            let (a, b) = if ours.concat() <= theirs.concat() {
                (&ours, &theirs)
            } else {
                (&theirs, &ours)
            };
            out.extend_from_slice(b"<<<<<<<\n");
            for l in a.iter() {
                out.extend_from_slice(l);
            }
            out.extend_from_slice(b"=======\n");
            for l in b.iter() {
                out.extend_from_slice(l);
            }
            out.extend_from_slice(b">>>>>>>\n");
            ours.clear();
            theirs.clear();
            in_conflict = false;
            continue;
        }
        match (in_conflict, side) {
            (false, _) => out.extend_from_slice(line),
            (true, 1) => ours.push(line),
            (true, 3) => theirs.push(line),
            _ => {}
        }
    }
    if !found {
        return None;
    }
    Some(hex::encode(Sha1::digest(&out)))
}

mod hex {
    pub fn encode(bytes: impl AsRef<[u8]>) -> String {
        bytes.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The recorded resolutions.
#[derive(Default)]
pub struct Rerere {
    pub commit: Option<Oid>,
    pub tree: Option<Oid>,
    pub resolutions: HashMap<String, Oid>,
}

impl Rerere {
    pub fn load(repo: &Repo) -> Result<Rerere> {
        let Some(commit) = repo.ref_target(RERERE_REF)? else {
            return Ok(Rerere::default());
        };
        let tree = repo.commit_tree(commit)?;
        let mut resolutions = HashMap::new();
        for (path, entry) in repo.flatten_tree(tree)? {
            resolutions.insert(path.to_str_lossy().into_owned(), entry.id);
        }
        Ok(Rerere {
            commit: Some(commit),
            tree: Some(tree),
            resolutions,
        })
    }

    /// Try to resolve every conflicted path of `tree` with a recorded resolution; the resolved tree when
    /// all of them are known.
    pub fn resolve(&self, repo: &Repo, tree: Oid, paths: &[BString]) -> Result<Option<Oid>> {
        if self.resolutions.is_empty() {
            return Ok(None);
        }
        let mut edits = Vec::new();
        for p in paths {
            let Some(entry) = repo.entry_at(tree, p)? else {
                return Ok(None);
            };
            let Some(id) = conflict_id(&repo.blob(entry.id)?) else {
                return Ok(None);
            };
            let Some(resolved) = self.resolutions.get(&id) else {
                return Ok(None);
            };
            edits.push((
                p.clone(),
                Some(Entry {
                    mode: entry.mode,
                    id: *resolved,
                }),
            ));
        }
        Ok(Some(repo.edit_tree(tree, &edits)?))
    }

    /// Record resolutions: (conflicted blob, resolved blob) pairs. Returns the ref update to apply.
    pub fn record(&self, repo: &Repo, pairs: &[(Oid, Oid)], who: &Person) -> Result<Option<RefUpdate>> {
        let mut edits = Vec::new();
        for (conflicted, resolved) in pairs {
            if let Some(id) = conflict_id(&repo.blob(*conflicted)?) {
                if self.resolutions.get(&id) != Some(resolved) {
                    edits.push((
                        BString::from(id),
                        Some(Entry {
                            mode: 0o100644,
                            id: *resolved,
                        }),
                    ));
                }
            }
        }
        if edits.is_empty() {
            return Ok(None);
        }
        let base = self.tree.unwrap_or_else(|| Oid::empty_tree(gix::hash::Kind::Sha1));
        let tree = repo.edit_tree(base, &edits)?;
        let parents: Vec<Oid> = self.commit.into_iter().collect();
        let commit = repo.write_commit(tree, &parents, who, who, b"pq: record conflict resolutions\n", None)?;
        Ok(Some(RefUpdate {
            name: RERERE_REF.into(),
            old: self.commit,
            new: Some(commit),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_side_order_do_not_matter() {
        let a = b"x\n<<<<<<< HEAD\none\n=======\ntwo\n>>>>>>> 1234567 (fix)\ny\n";
        let b = b"x\n<<<<<<< HEAD\ntwo\n=======\none\n>>>>>>> abcdef0 (other)\ny\n";
        let c = b"x\n<<<<<<< HEAD\none\n||||||| parent of 1234567\nzero\n=======\ntwo\n>>>>>>> 1234567 (fix)\ny\n";
        assert_eq!(conflict_id(a), conflict_id(b));
        assert_eq!(conflict_id(a), conflict_id(c));
        assert_ne!(
            conflict_id(a),
            conflict_id(b"x\n<<<<<<< HEAD\none\n=======\nthree\n>>>>>>> z\ny\n")
        );
        assert_eq!(conflict_id(b"no markers\n"), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = conflict_id(&s);
        }
    }
}
