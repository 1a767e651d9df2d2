//! Directories our side renamed, found as merge-ort finds them for a pick. A file the pick adds under a
//! directory our side no longer has goes where our side moved that directory: the directory that most of
//! its renamed files went to. With git's default `merge.directoryRenames=conflict` the pick then stops with
//! the file staged as the picked side's only (git's `CONFLICT (file location)`); with `true` it moves
//! silently, with `false` it stays where the pick put it.
//!
//! In a backport "our side renamed a directory" is the common shape of an upstream move seen backwards: the
//! pick's parent has `drivers/new/`, our older tree still has `drivers/old/`, and a fix adding a file to
//! `drivers/new/` belongs in `drivers/old/`.
//!
//! Renames are looked for only from the files of the removed directories (the sources that matter to this
//! pick) to the files our side added since the pick's parent, through [`renames::destinations`]; the
//! counting follows merge-ort: each rename votes for its directory and, while the trailing directory
//! names agree, for their parents; a removed directory goes to the destination with the most votes, and
//! nowhere on a tie.
//!
//! A tie between destinations moves nothing and stops the pick, as git's `CONFLICT (directory rename
//! split)` does (nothing is unmerged: the added file is staged where the pick put it). Not reproduced (the
//! file then stays where the pick put it): a destination that collides with a file (git's implicit-rename
//! conflicts), and directories the picked side itself renamed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use gix::bstr::{BString, ByteSlice};

use crate::engine::renames;
use crate::error::Result;
use crate::git::{Oid, Repo, TreeChange};

/// What `merge.directoryRenames` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `false`: never move a file for a directory rename.
    Off,
    /// `conflict` (git's default): move it and stop there.
    Conflict,
    /// `true`: move it as part of a clean merge.
    Apply,
}

impl Mode {
    pub fn of(repo: &Repo) -> Mode {
        match repo
            .config_string("merge.directoryRenames")
            .as_deref()
            .map(str::to_ascii_lowercase)
        {
            Some(v) if ["false", "no", "off", "0"].contains(&v.as_str()) => Mode::Off,
            Some(v) if ["true", "yes", "on", "1"].contains(&v.as_str()) => Mode::Apply,
            _ => Mode::Conflict,
        }
    }
}

/// How relevant a removed directory is (merge-ort's `dirs_removed` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Relevance {
    /// Removed, but the pick adds nothing under it.
    None,
    /// The pick adds files only in directories below it.
    Ancestor,
    /// The pick adds a file directly in it.
    OwnFiles,
}

/// What our side's directory renames do to a pick.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Relocations {
    /// Each file the pick adds under a directory our side renamed, and its new path: (from, to).
    pub moved: Vec<(BString, BString)>,
    /// Removed directories the pick adds files under whose files went to several places, none with a
    /// majority (git stops on them).
    pub split: Vec<BString>,
}

impl Relocations {
    pub fn is_empty(&self) -> bool {
        self.moved.is_empty() && self.split.is_empty()
    }
}

/// Where our side's directory renames send the files the pick adds (in `changes`).
pub fn relocations(repo: &Repo, ours_tree: Oid, parent_tree: Oid, changes: &[TreeChange]) -> Result<Relocations> {
    // The directories, present in the parent and absent on our side, that the pick adds files under.
    let mut removed: HashMap<BString, Relevance> = HashMap::new();
    let mut tops: BTreeSet<BString> = BTreeSet::new();
    let mut added: Vec<&BString> = Vec::new();
    for c in changes
        .iter()
        .filter(|c| c.old.is_none() && c.new.is_some_and(|e| !e.is_tree()))
    {
        let dirs = ancestors(&c.path);
        let Some(own) = dirs.last() else { continue };
        if repo.entry_at(ours_tree, own)?.is_some() {
            continue;
        }
        let mut first_gone = None;
        for (i, d) in dirs.iter().enumerate() {
            if repo.entry_at(ours_tree, d)?.is_none() {
                first_gone = Some(i);
                break;
            }
        }
        let Some(first_gone) = first_gone else { continue };
        let mut any = false;
        for (i, d) in dirs.iter().enumerate().skip(first_gone) {
            if !repo.entry_at(parent_tree, d)?.is_some_and(|e| e.is_tree()) {
                continue;
            }
            any = true;
            let r = if i + 1 == dirs.len() {
                Relevance::OwnFiles
            } else {
                Relevance::Ancestor
            };
            let slot = removed.entry(d.clone()).or_insert(r);
            *slot = (*slot).max(r);
        }
        if any {
            tops.insert(dirs[first_gone].clone());
            added.push(&c.path);
        }
    }
    if added.is_empty() {
        return Ok(Relocations::default());
    }
    // Every file of those directories is gone on our side: the rename sources. The other directories below
    // them are removed too, without relevance.
    let mut sources = Vec::new();
    for top in &tops {
        let Some(tree) = repo.entry_at(parent_tree, top)?.filter(|e| e.is_tree()) else {
            continue;
        };
        for (rel, entry) in repo.flatten_tree(tree.id)? {
            let path: BString = [top.as_slice(), b"/", rel.as_slice()].concat().into();
            for d in ancestors(&path) {
                if d.len() > top.len() || d == *top {
                    removed.entry(d).or_insert(Relevance::None);
                }
            }
            sources.push((path, entry));
        }
    }
    let destinations = renames::destinations(repo, parent_tree, ours_tree, &sources)?;
    if destinations.is_empty() {
        return Ok(Relocations::default());
    }
    let empty = Oid::empty_tree(gix::hash::Kind::Sha1);
    let source_edits: Vec<_> = sources.iter().map(|(p, e)| (p.clone(), Some(*e))).collect();
    let destination_edits: Vec<_> = destinations.iter().map(|(p, e)| (p.clone(), Some(*e))).collect();
    let old = repo.edit_tree(empty, &source_edits)?;
    let new = repo.edit_tree(empty, &destination_edits)?;
    let pairs = repo.renames(old, new)?;
    let (dir_renames, split) = directory_renames(&pairs, &removed);
    let mut out: Vec<(BString, BString)> = Vec::new();
    for path in added {
        let Some(to) = relocated(path, &dir_renames) else {
            continue;
        };
        // A destination that is taken (git's implicit-rename collisions) is left to the plain merge.
        let taken = repo.entry_at(ours_tree, &to)?.is_some()
            || changes.iter().any(|c| c.path == to)
            || out.iter().any(|(_, t)| *t == to);
        if !taken {
            out.push((path.clone(), to));
        }
    }
    Ok(Relocations { moved: out, split })
}

/// The directories of `path` from the top down (`a`, `a/b` for `a/b/f`).
fn ancestors(path: &[u8]) -> Vec<BString> {
    path.char_indices()
        .filter(|(_, _, c)| *c == '/')
        .map(|(i, _, _)| BString::from(&path[..i]))
        .collect()
}

fn dirname(path: &[u8]) -> &[u8] {
    path.rfind_byte(b'/').map_or(&b""[..], |i| &path[..i])
}

fn basename(path: &[u8]) -> &[u8] {
    path.rfind_byte(b'/').map_or(path, |i| &path[i + 1..])
}

/// Where each removed directory went, from the renames out of them: merge-ort's counting (a rename votes for
/// its directory, and for each parent as long as the trailing directory names agree and the directory is
/// removed; only directories the pick adds files to directly count beyond the first level), then the
/// destination with the most votes. Directories whose top destinations tie come back apart (split).
fn directory_renames(
    pairs: &[(BString, BString)],
    removed: &HashMap<BString, Relevance>,
) -> (HashMap<BString, BString>, Vec<BString>) {
    let mut counts: BTreeMap<BString, BTreeMap<BString, usize>> = BTreeMap::new();
    for (src, dst) in pairs {
        let (mut old, mut new): (&[u8], &[u8]) = (src, dst);
        let mut first = true;
        loop {
            let (old_parent, new_parent) = (dirname(old), dirname(new));
            let old_removed = removed.get(old_parent);
            if old_removed.is_none() {
                break;
            }
            if !first {
                // Going up a level needs the level just left to have the same name on both sides.
                if basename(old) != basename(new) {
                    break;
                }
            }
            let relevance = old_removed.copied().unwrap_or(Relevance::None);
            if relevance == Relevance::OwnFiles || first {
                *counts
                    .entry(old_parent.into())
                    .or_default()
                    .entry(new_parent.into())
                    .or_default() += 1;
            }
            first = false;
            if relevance == Relevance::None || old_parent.is_empty() || new_parent.is_empty() {
                break;
            }
            (old, new) = (old_parent, new_parent);
        }
    }
    let (mut out, mut split) = (HashMap::new(), Vec::new());
    for (source_dir, targets) in counts {
        if removed.get(&source_dir).is_none_or(|r| *r == Relevance::None) {
            continue;
        }
        let max = targets.values().copied().max().unwrap_or(0);
        let best: Vec<&BString> = targets.iter().filter(|(_, n)| **n == max).map(|(d, _)| d).collect();
        match best.as_slice() {
            _ if max == 0 => {}
            [one] => {
                out.insert(source_dir, (*one).clone());
            }
            _ => split.push(source_dir),
        }
    }
    (out, split)
}

/// `path` moved by the deepest renamed directory above it, as merge-ort's `check_dir_renamed` and
/// `apply_dir_rename` do.
fn relocated(path: &[u8], dir_renames: &HashMap<BString, BString>) -> Option<BString> {
    let mut dir = path;
    while let Some(i) = dir.rfind_byte(b'/') {
        dir = &dir[..i];
        if let Some(to) = dir_renames.get(dir) {
            let rest = &path[dir.len() + 1..];
            return Some(if to.is_empty() {
                rest.into()
            } else {
                [to.as_slice(), b"/", rest].concat().into()
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(BString, BString)> {
        list.iter()
            .map(|(a, b)| (BString::from(*a), BString::from(*b)))
            .collect()
    }

    #[test]
    fn the_majority_destination_wins_and_a_tie_moves_nothing() {
        let removed: HashMap<BString, Relevance> = [("a/foo".into(), Relevance::OwnFiles)].into();
        let (renames, split) = directory_renames(
            &pairs(&[
                ("a/foo/1.c", "b/bar/1.c"),
                ("a/foo/2.c", "b/bar/2.c"),
                ("a/foo/3.c", "c/3.c"),
            ]),
            &removed,
        );
        assert_eq!(renames.get(&BString::from("a/foo")), Some(&BString::from("b/bar")));
        assert!(split.is_empty());
        let (renames, split) = directory_renames(&pairs(&[("a/foo/1.c", "b/1.c"), ("a/foo/2.c", "c/2.c")]), &removed);
        assert!(renames.is_empty());
        assert_eq!(split, vec![BString::from("a/foo")]);
    }

    #[test]
    fn parents_count_while_the_trailing_names_agree() {
        let removed: HashMap<BString, Relevance> = [
            ("a/b/c/d".into(), Relevance::OwnFiles),
            ("a/b/c/d/e".into(), Relevance::OwnFiles),
            ("a/b/c".into(), Relevance::OwnFiles),
        ]
        .into();
        let (renames, _) = directory_renames(&pairs(&[("a/b/c/d/e/foo.c", "a/b/some/thing/else/e/foo.c")]), &removed);
        assert_eq!(
            renames.get(&BString::from("a/b/c/d/e")),
            Some(&BString::from("a/b/some/thing/else/e"))
        );
        assert_eq!(
            renames.get(&BString::from("a/b/c/d")),
            Some(&BString::from("a/b/some/thing/else"))
        );
        assert_eq!(
            renames.get(&BString::from("a/b/c")),
            None,
            "`d` and `else` differ: stop there"
        );
    }

    #[test]
    fn a_path_moves_with_its_deepest_renamed_directory() {
        let renames: HashMap<BString, BString> = [
            ("x".into(), "y".into()),
            ("x/sub".into(), "z".into()),
            ("top".into(), "".into()),
        ]
        .into();
        assert_eq!(relocated(b"x/sub/f.c", &renames), Some("z/f.c".into()));
        assert_eq!(relocated(b"x/other/f.c", &renames), Some("y/other/f.c".into()));
        assert_eq!(relocated(b"top/f.c", &renames), Some("f.c".into()));
        assert_eq!(relocated(b"f.c", &renames), None);
        assert_eq!(ancestors(b"a/b/f"), vec![BString::from("a"), BString::from("a/b")]);
    }
}
