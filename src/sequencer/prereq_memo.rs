//! What the prerequisites report at a stop keeps for the next stops of the same operation, beside its state
//! (`.git/pq/op/upstream-commits`): the upstream range from the base to the picked commit's parent only grows
//! from one stop to the next. Each of its commits is read once per operation: its tree, parents, commit
//! time and the paths it changes against its parent. From that, a stop knows without reading trees
//!
//! - a lower bound of the range's commit times (where blame may stop),
//! - whether a blamed commit is in the range (otherwise it is an ancestor of the base),
//! - a conflicted file's entry at every commit of the range, read from a tree only at the commits that
//!   change it: the history its blame runs over (see [`crate::engine::blame`]).
//!
//! Every entry is keyed by commit id (and the memo by its base), so it never goes stale; a missing or
//! unreadable file is ignored. Nothing is written without the stop directory (a dry run keeps it in memory).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use gix::bstr::{BString, ByteSlice};

use crate::engine::blame::History;
use crate::error::Result;
use crate::git::{Oid, Repo};
use crate::lock::write_cache;

const FILE: &str = "upstream-commits";
const HEADER: &[u8] = b"pq upstream commits 2";
/// The last stops' parents kept: a stop at one of them has nothing to walk.
const TIPS: usize = 8;

/// One commit of the range.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Upstream {
    tree: Oid,
    time: i64,
    parents: Vec<Oid>,
    /// The paths it changes against its only parent; `None` for a merge or a root (not compared).
    changed: Option<Vec<BString>>,
}

/// A commit read by a walk: its id, parents, commit time and tree.
type WalkedCommit = (Oid, Vec<Oid>, i64, Oid);

/// The upstream ranges `base..parent` of the stops of one operation.
#[derive(Debug, Default)]
pub struct RangeMemo {
    base: Option<Oid>,
    /// Every commit of `base..tip`, for every tip in `tips`.
    commits: HashMap<Oid, Upstream>,
    tips: Vec<Oid>,
    added: bool,
    /// Read from a whole file: what this process learns is appended to it.
    on_disk: bool,
    /// Commits and tips learnt since the memo was read, in order.
    new_commits: Vec<Oid>,
    new_tips: Vec<Oid>,
}

impl RangeMemo {
    /// Learn `base..parent`, reading only the commits the memo does not know (every commit of
    /// `base..parent` is either new to this walk or below a tip walked before). Returns a lower bound of its
    /// commit times, `None` if the memo knows no commit at all.
    pub fn extend(&mut self, repo: &Repo, base: Oid, parent: Oid) -> Result<Option<i64>> {
        if self.base != Some(base) {
            *self = RangeMemo {
                base: Some(base),
                ..RangeMemo::default()
            };
        }
        if !self.tips.contains(&parent) {
            let walked = match self.walk_down(repo, base, parent)? {
                Some(new) => new,
                None => {
                    // Only the base is hidden: the walk's second pass, which drops what the hidden
                    // commits reach, costs as much as their history above the range.
                    let mut new = Vec::new();
                    for id in repo.commits_between(&[base], parent)? {
                        if !self.commits.contains_key(&id) {
                            let (parents, time, tree) = repo.commit_links(id)?;
                            new.push((id, parents, time, tree));
                        }
                    }
                    new
                }
            };
            // Oldest first, so that a commit's parent tree is in the memo already.
            for (id, parents, time, tree) in walked.into_iter().rev() {
                let changed = match parents.as_slice() {
                    [p] => {
                        let parent_tree = match self.commits.get(p) {
                            Some(u) => u.tree,
                            None => repo.commit_links(*p)?.2,
                        };
                        Some(
                            repo.diff_trees(Some(parent_tree), Some(tree))?
                                .into_iter()
                                .map(|c| c.path)
                                .collect(),
                        )
                    }
                    _ => None,
                };
                self.commits.insert(
                    id,
                    Upstream {
                        tree,
                        time,
                        parents,
                        changed,
                    },
                );
                self.new_commits.push(id);
            }
            self.tips.push(parent);
            self.new_tips.push(parent);
            self.added = true;
        }
        Ok(self.commits.values().map(|u| u.time).min())
    }

    /// The commits of `base..parent` the memo lacks, found by walking down from `parent` only until the
    /// memo's commits or the base: every commit met that way is in the range, because a commit whose
    /// parents are all in the range (or are the base) is not an ancestor of the base. `None` when that
    /// cannot show it: the memo is empty, or the walk meets a root, a commit older than every one the
    /// memo holds (likely below the base, on a side branch that forked before it) or too many commits;
    /// then the caller walks the range with git's rules. This spares each stop a walk that, to hide the
    /// last stop's range, reads every commit of it again.
    fn walk_down(&self, repo: &Repo, base: Oid, parent: Oid) -> Result<Option<Vec<WalkedCommit>>> {
        const MOST: usize = 512;
        let Some(oldest) = self.commits.values().map(|u| u.time).min() else {
            return Ok(None);
        };
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![parent];
        while let Some(id) = stack.pop() {
            if id == base || self.commits.contains_key(&id) || !seen.insert(id) {
                continue;
            }
            let (parents, time, tree) = repo.commit_links(id)?;
            if parents.is_empty() || time < oldest || out.len() == MOST {
                return Ok(None);
            }
            stack.extend(parents.iter().rev().copied());
            out.push((id, parents, time, tree));
        }
        Ok(Some(out))
    }

    /// Is `id`, an ancestor of the parent last given to [`RangeMemo::extend`], outside the range (an
    /// ancestor of the base)?
    pub fn below(&self, id: Oid) -> bool {
        !self.commits.contains_key(&id)
    }

    /// The paths `id` (a commit of the range with one parent) changes, as a tree diff from its parent
    /// lists them; `None` for a merge or a commit the memo does not hold.
    pub fn changed_paths(&self, id: Oid) -> Option<&[BString]> {
        self.commits.get(&id)?.changed.as_deref()
    }

    /// `path`'s history over the range, read as a blame walks it: from `parent` down (see
    /// [`PathHistory`]).
    pub fn path_history<'a>(&'a self, repo: &'a Repo, parent: Oid, path: &str) -> Result<PathHistory<'a>> {
        let history = PathHistory {
            memo: self,
            repo,
            path: path.as_bytes().to_vec(),
            at: RefCell::new(HashMap::new()),
        };
        let entry = history.lookup(parent)?;
        history.at.borrow_mut().insert(parent, entry);
        Ok(history)
    }

    pub fn load(git_dir: &Path) -> RangeMemo {
        let Ok(bytes) = std::fs::read(super::dir(git_dir).join(FILE)) else {
            return RangeMemo::default();
        };
        Self::parse(&bytes).unwrap_or_default()
    }

    /// The memo a file holds, up to its last complete block (each ends with an `e` line: an append cut
    /// short by a crash leaves the blocks before it).
    fn parse(bytes: &[u8]) -> Option<RangeMemo> {
        let end = bytes.windows(3).rposition(|w| w == b"\ne\n")?;
        let mut lines = bytes[..end + 1].split(|b| *b == b'\n');
        if lines.next() != Some(HEADER) {
            return None;
        }
        let mut memo = RangeMemo::default();
        let id = |b: &[u8]| Oid::from_hex(b).ok();
        let mut current: Option<(Oid, Upstream)> = None;
        for l in lines.filter(|l| !l.is_empty()) {
            if l == b"e" {
                continue;
            }
            let (tag, rest) = (l.get(..2)?, l.get(2..)?);
            match tag {
                b"b " => memo.base = Some(id(rest)?),
                b"t " => memo.tips.push(id(rest)?),
                b"c " | b"m " => {
                    if let Some((c, u)) = current.take() {
                        memo.commits.insert(c, u);
                    }
                    let mut f = rest.split(|b| *b == b' ');
                    let c = id(f.next()?)?;
                    let tree = id(f.next()?)?;
                    let time = f.next()?.to_str().ok()?.parse().ok()?;
                    let parents = f.map(id).collect::<Option<Vec<_>>>()?;
                    let changed = (tag == b"c ").then(Vec::new);
                    current = Some((
                        c,
                        Upstream {
                            tree,
                            time,
                            parents,
                            changed,
                        },
                    ));
                }
                b"p " => current.as_mut()?.1.changed.as_mut()?.push(BString::from(rest)),
                _ => return None,
            }
        }
        if let Some((c, u)) = current {
            memo.commits.insert(c, u);
        }
        memo.base?;
        memo.on_disk = true;
        Some(memo)
    }

    /// The whole memo as a file.
    fn render(&self) -> Option<Vec<u8>> {
        let base = self.base?;
        let mut out = HEADER.to_vec();
        out.extend_from_slice(format!("\nb {base}\n").as_bytes());
        let mut ids: Vec<Oid> = self.commits.keys().copied().collect();
        ids.sort();
        let first = self.tips.len().saturating_sub(TIPS);
        self.render_block(&ids, &self.tips[first..], &mut out);
        Some(out)
    }

    /// `commits` and `tips` as one block of the file, ending with its `e` line. A path with a line break
    /// cannot be written on a line: such a commit is left out, and so are the block's tips, whose walks
    /// would otherwise never read it again.
    fn render_block(&self, commits: &[Oid], tips: &[Oid], out: &mut Vec<u8>) {
        use std::io::Write;
        let broken = |u: &Upstream| u.changed.iter().flatten().any(|p| p.contains(&b'\n'));
        if !commits.iter().any(|id| broken(&self.commits[id])) {
            for t in tips {
                let _ = writeln!(out, "t {t}");
            }
        }
        for id in commits {
            let u = &self.commits[id];
            if broken(u) {
                continue;
            }
            let tag = if u.changed.is_some() { "c" } else { "m" };
            let _ = write!(out, "{tag} {id} {} {}", u.tree, u.time);
            for p in &u.parents {
                let _ = write!(out, " {p}");
            }
            out.push(b'\n');
            for p in u.changed.iter().flatten() {
                out.extend_from_slice(b"p ");
                out.extend_from_slice(p);
                out.push(b'\n');
            }
        }
        out.extend_from_slice(b"e\n");
    }

    /// Keep the memo for the next stop, if it learnt something (the stop directory must exist): appended
    /// to the file it was read from, so a stop writes only what it learnt, or written whole. A memo is
    /// checked when read, so it is not synced to disk: after a crash it is read back in part or not at
    /// all.
    pub fn save(&mut self, git_dir: &Path) -> Result<()> {
        let dir = super::dir(git_dir);
        if !self.added || !dir.is_dir() {
            return Ok(());
        }
        let path = dir.join(FILE);
        if self.on_disk && path.is_file() {
            use std::io::Write;
            let mut block = Vec::new();
            self.render_block(&self.new_commits, &self.new_tips, &mut block);
            std::fs::OpenOptions::new()
                .append(true)
                .open(&path)?
                .write_all(&block)?;
        } else if let Some(bytes) = self.render() {
            write_cache(&path, &bytes)?;
        }
        self.on_disk = true;
        self.added = false;
        self.new_commits.clear();
        self.new_tips.clear();
        Ok(())
    }
}

/// One path's history over the range: its entry at a commit, worked out when a blame walking down from
/// the start commit reaches it. A commit's parents get their entries when the commit's is asked for:
/// the commit's own where it does not touch the path (the memo has the paths it changes), otherwise read
/// from the parent's tree. So trees are read only at the commits that change the path (and at merges),
/// and only as far down as the blame goes: to the last stop's kept blame, usually a few commits.
pub struct PathHistory<'a> {
    memo: &'a RangeMemo,
    repo: &'a Repo,
    path: Vec<u8>,
    at: RefCell<HashMap<Oid, Option<(u16, Oid)>>>,
}

impl PathHistory<'_> {
    fn lookup(&self, id: Oid) -> Result<Option<(u16, Oid)>> {
        let tree = match self.memo.commits.get(&id) {
            Some(u) => u.tree,
            None => self.repo.commit_links(id)?.2,
        };
        Ok(self.repo.entry_at(tree, &self.path)?.map(|e| (e.mode as u16, e.id)))
    }
}

impl History for PathHistory<'_> {
    fn parents(&self, id: Oid) -> Option<&[Oid]> {
        self.memo.commits.get(&id).map(|u| u.parents.as_slice())
    }

    fn entry(&self, id: Oid) -> Result<Option<(u16, Oid)>> {
        let known = self.at.borrow().get(&id).copied();
        let entry = match known {
            Some(e) => e,
            // Not reached from the start commit (a blame asks only for those): read it.
            None => {
                let e = self.lookup(id)?;
                self.at.borrow_mut().insert(id, e);
                e
            }
        };
        if let Some(u) = self.memo.commits.get(&id) {
            let unchanged = u.changed.as_ref().is_some_and(|c| !touches(c, &self.path));
            for p in &u.parents {
                if self.at.borrow().contains_key(p) {
                    continue;
                }
                let e = if unchanged { entry } else { self.lookup(*p)? };
                self.at.borrow_mut().insert(*p, e);
            }
        }
        Ok(entry)
    }
}

/// Whether a change at one of `changed` can change the entry at `path`: the path itself, a directory
/// above it replaced by something else, or something below it (the path is a directory).
fn touches(changed: &[BString], path: &[u8]) -> bool {
    changed.iter().any(|c| {
        let c: &[u8] = c.as_ref();
        c == path
            || (path.starts_with(c) && path.get(c.len()) == Some(&b'/'))
            || (c.starts_with(path) && c.get(path.len()) == Some(&b'/'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::test_git::git;

    fn oid(n: u8) -> Oid {
        Oid::from_bytes_or_panic(&[n; 20])
    }

    #[test]
    fn memo_round_trips_and_a_corrupt_one_is_ignored() {
        let commits: HashMap<Oid, Upstream> = [
            (
                oid(2),
                Upstream {
                    tree: oid(12),
                    time: 1_700_000_000,
                    parents: vec![oid(3)],
                    changed: Some(vec![BString::from("lib/a b.c"), BString::from(&b"raw\xff"[..])]),
                },
            ),
            (
                oid(3),
                Upstream {
                    tree: oid(13),
                    time: 1_600_000_000,
                    parents: vec![oid(4), oid(5)],
                    changed: None,
                },
            ),
            (
                oid(6),
                Upstream {
                    tree: oid(16),
                    time: 1,
                    parents: vec![],
                    changed: Some(vec![]),
                },
            ),
        ]
        .into_iter()
        .collect();
        let memo = RangeMemo {
            base: Some(oid(1)),
            commits,
            tips: vec![oid(2), oid(7)],
            added: true,
            ..RangeMemo::default()
        };
        let back = RangeMemo::parse(&memo.render().unwrap()).unwrap();
        assert_eq!(back.base, memo.base);
        assert_eq!(back.tips, memo.tips);
        assert_eq!(back.commits, memo.commits);
        assert!(RangeMemo::parse(b"pq upstream commits 2\nb zz\ne\n").is_none());
        assert!(
            RangeMemo::parse(b"pq upstream commits 2\nt 0101010101010101010101010101010101010101\ne\n").is_none(),
            "no base"
        );
        assert!(RangeMemo::parse(b"pq upstream commits 1\n").is_none());
        let unended = format!("pq upstream commits 2\nb {}\n", oid(1));
        assert!(RangeMemo::parse(unended.as_bytes()).is_none(), "no complete block");
    }

    /// A memo read from its file appends what it learns; an append cut short leaves the blocks before it.
    #[test]
    fn a_stop_appends_what_it_learns_and_a_torn_append_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q", "-b", "main"]);
        let mut ids = Vec::new();
        for name in ["base", "one", "two", "three"] {
            std::fs::write(d.join(name), name).unwrap();
            git(d, &["add", "-A"]);
            git(d, &["commit", "-q", "-m", name]);
            ids.push(Oid::from_hex(git(d, &["rev-parse", "HEAD"]).trim().as_bytes()).unwrap());
        }
        let repo = Repo::discover(d).unwrap();
        let git_dir = repo.git_dir().to_path_buf();
        std::fs::create_dir_all(super::super::dir(&git_dir)).unwrap();
        let file = super::super::dir(&git_dir).join(FILE);
        let mut memo = RangeMemo::load(&git_dir);
        memo.extend(&repo, ids[0], ids[1]).unwrap();
        memo.save(&git_dir).unwrap();
        let first = std::fs::read(&file).unwrap();
        let mut memo = RangeMemo::load(&git_dir);
        assert!(memo.on_disk);
        memo.extend(&repo, ids[0], ids[3]).unwrap();
        memo.save(&git_dir).unwrap();
        let both = std::fs::read(&file).unwrap();
        assert!(both.starts_with(&first), "appended, not rewritten");
        let back = RangeMemo::load(&git_dir);
        assert_eq!(back.commits, memo.commits);
        assert_eq!(back.tips, vec![ids[1], ids[3]]);
        // Cut the second block anywhere before its end: the first block is what is read.
        for cut in first.len()..both.len() - 1 {
            let torn = RangeMemo::parse(&both[..cut]).unwrap();
            assert_eq!(torn.commits.len(), 1, "cut at {cut}");
            assert_eq!(torn.tips, vec![ids[1]]);
        }
    }

    /// A path's entry at every commit a blame walks down to, against `git rev-parse COMMIT:PATH`: paths
    /// unchanged, changed, changed and reverted, changed on a merged side branch, created, absent.
    #[test]
    fn a_path_history_holds_the_entry_at_every_commit() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q"]);
        let write = |name: &str, text: &str| std::fs::write(d.join(name), text).unwrap();
        for f in ["same.c", "changed.c", "reverted.c", "side.c", "other.c"] {
            write(f, "a\n");
        }
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", "base"]);
        git(d, &["tag", "base"]);
        write("changed.c", "b\n");
        write("reverted.c", "b\n");
        git(d, &["commit", "-q", "-am", "one"]);
        git(d, &["checkout", "-q", "-b", "side"]);
        write("side.c", "b\n");
        git(d, &["commit", "-q", "-am", "side"]);
        git(d, &["checkout", "-q", "-"]);
        write("reverted.c", "a\n");
        write("other.c", "b\n");
        write("new.c", "a\n");
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", "two"]);
        git(d, &["merge", "-q", "--no-edit", "side"]);
        let repo = Repo::discover(d).unwrap();
        let base = repo.resolve_commit("base").unwrap();
        let head = repo.resolve_commit("HEAD").unwrap();
        let mut memo = RangeMemo::default();
        memo.extend(&repo, base, head).unwrap();
        let mut checked = 0;
        for p in [
            "same.c",
            "absent.c",
            "changed.c",
            "reverted.c",
            "side.c",
            "other.c",
            "new.c",
        ] {
            let history = memo.path_history(&repo, head, p).unwrap();
            let mut stack = vec![head];
            let mut seen = std::collections::HashSet::new();
            while let Some(id) = stack.pop() {
                if !seen.insert(id) {
                    continue;
                }
                let want = crate::git::test_git::git_ok(d, &["cat-file", "-e", &format!("{id}:{p}")])
                    .then(|| git(d, &["rev-parse", &format!("{id}:{p}")]).trim().to_string());
                let have = history.entry(id).unwrap().map(|(_, blob)| blob.to_string());
                assert_eq!(have, want, "{p} at {id}");
                checked += 1;
                stack.extend(history.parents(id).into_iter().flatten());
            }
        }
        assert_eq!(checked, 7 * 5, "four commits of the range and the base, per path");
    }

    /// Stop after stop, the memo holds exactly `git rev-list base..parent`: on the main line, after a
    /// merge of a branch that forked above the base, and after one that forked below it (the walk down
    /// cannot tell those commits from the base's ancestors and the range walk takes over).
    #[test]
    fn the_memo_holds_the_range_of_every_stop() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q", "-b", "main"]);
        let commit = |name: &str| {
            std::fs::write(d.join(name), name).unwrap();
            git(d, &["add", "-A"]);
            git(d, &["commit", "-q", "-m", name]);
            git(d, &["rev-parse", "HEAD"]).trim().to_string()
        };
        commit("old");
        git(d, &["branch", "early"]);
        commit("base");
        git(d, &["tag", "base"]);
        let mut tips = vec![commit("one")];
        git(d, &["checkout", "-q", "-b", "late"]);
        commit("late1");
        commit("late2");
        git(d, &["checkout", "-q", "early"]);
        commit("early1");
        git(d, &["checkout", "-q", "main"]);
        tips.push(commit("two"));
        git(d, &["merge", "-q", "--no-edit", "late"]);
        tips.push(git(d, &["rev-parse", "HEAD"]).trim().to_string());
        tips.push(commit("three"));
        git(d, &["merge", "-q", "--no-edit", "early"]);
        tips.push(git(d, &["rev-parse", "HEAD"]).trim().to_string());
        tips.push(commit("four"));
        let repo = Repo::discover(d).unwrap();
        let base = repo.resolve_commit("base").unwrap();
        let mut memo = RangeMemo::default();
        for tip in &tips {
            let id = Oid::from_hex(tip.as_bytes()).unwrap();
            memo.extend(&repo, base, id).unwrap();
            let mut want: Vec<String> = git(d, &["rev-list", &format!("base..{tip}")])
                .lines()
                .map(str::to_string)
                .collect();
            want.sort();
            let mut have: Vec<String> = memo.commits.keys().map(|c| c.to_string()).collect();
            have.sort();
            assert_eq!(have, want, "at {tip}");
        }
    }

    #[test]
    fn what_touches_a_path() {
        let c = |v: &[&str]| v.iter().map(|s| BString::from(*s)).collect::<Vec<_>>();
        assert!(touches(&c(&["lib/vtls/a.c"]), b"lib/vtls/a.c"));
        assert!(
            touches(&c(&["lib/vtls"]), b"lib/vtls/a.c"),
            "the directory became a file"
        );
        assert!(
            touches(&c(&["lib/vtls/a.c/x"]), b"lib/vtls/a.c"),
            "the file became a directory"
        );
        assert!(!touches(
            &c(&["lib/vtls/a.cc", "lib/vtl", "lib/vtls/a"]),
            b"lib/vtls/a.c"
        ));
    }
}
