//! Which upstream commits a conflicting pick depends on: the commits that last changed, in the picked
//! commit's parent, the lines its hunks touch and their context, as `git blame` on the parent shows them.
//!
//! The blame is computed forward, over the range's history that the stops of one operation already hold
//! (see [`crate::sequencer::prereq_memo`]): a version of the file takes, for each line, the origin of the
//! line it continues in the first parent whose version has it unchanged (whole-file line diffs, Myers with
//! git's slider heuristics, as gix-blame and `git blame` make them), and a line no parent has is the
//! commit's own. A parent whose version is the same blob hands over all of it. That is `git blame`'s
//! rule read from the other end, so each line ends at the commit `git blame` names for it. Computed
//! forward, what one stop learnt serves the next one, whose parent descends from it: a backport with
//! hundreds of stops diffs each version of a file once instead of once per stop, which gix's backward
//! blame (`gix::blame::file`, whose diffs are private) cannot do.

use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use gix_imara_diff::{Algorithm, Diff, InternedInput};

use crate::error::Result;
use crate::git::{Oid, Repo};

/// Lines of context around each hunk, as `git diff`'s default `-U3`.
pub const CONTEXT: usize = 3;

/// The old-side line ranges (0-based, end exclusive) of the hunks of `old` → `new`, each with `context`
/// lines around it: the `-a,b` of git's unified hunk headers. The line diff is the one `git diff` makes
/// (imara-diff's Myers with git's slider heuristics, hunks closer than twice the context joined), so the
/// ranges are the ones `git diff` prints: a plain Myers diff can place a moved block differently and end a
/// hunk a line short. Hunks that only add lines to an empty file have no old lines and give nothing.
pub fn hunk_ranges(old: impl AsRef<[u8]>, new: impl AsRef<[u8]>, context: usize) -> Vec<Range<u32>> {
    let input = InternedInput::new(old.as_ref(), new.as_ref());
    let mut diff = Diff::compute(Algorithm::Myers, &input);
    diff.postprocess_lines(&input);
    let changes: Vec<_> = diff.hunks().collect();
    let na = input.before.len() as u32;
    let context = context as u32;
    let mut out = Vec::new();
    let mut i = 0;
    while i < changes.len() {
        let mut j = i;
        while j + 1 < changes.len() && changes[j + 1].before.start - changes[j].before.end <= 2 * context {
            j += 1;
        }
        let start = changes[i].before.start.saturating_sub(context);
        let end = (changes[j].before.end + context).min(na);
        if start < end {
            out.push(start..end);
        }
        i = j + 1;
    }
    out
}

/// For each line of `new`, the line of `old` it continues unchanged, if any: the unchanged runs of the
/// whole-file diff `old` → `new` that blame passes on to a parent.
fn unchanged_lines(old: &[u8], new: &[u8]) -> Vec<Option<u32>> {
    let input = InternedInput::new(old, new);
    let mut diff = Diff::compute(Algorithm::Myers, &input);
    diff.postprocess_lines(&input);
    let mut out = Vec::with_capacity(input.after.len());
    let mut before = 0u32;
    for hunk in diff.hunks() {
        while (out.len() as u32) < hunk.after.start {
            out.push(Some(before));
            before += 1;
        }
        out.resize(hunk.after.end as usize, None);
        before = hunk.before.end;
    }
    while out.len() < input.after.len() {
        out.push(Some(before));
        before += 1;
    }
    out
}

/// The history a file is blamed over: the commits of the range with their parents (a commit it does not
/// know is below the range), and the file's entry (mode, blob) at each of them and at their parents.
pub trait History {
    /// `id`'s parents, in order, if `id` is in the range.
    fn parents(&self, id: Oid) -> Option<&[Oid]>;
    /// The file's entry at `id` (a commit of the range or one of their parents); `None` if it is absent.
    /// A walk asks for a commit's entry before those of its parents.
    fn entry(&self, id: Oid) -> Result<Option<(u16, Oid)>>;
}

/// What a commit's version of the file holds: who last changed each of its lines.
#[derive(Debug, Clone)]
pub enum Version {
    /// The commit has no such file.
    Absent,
    /// The commit is below the range: every line is older than it.
    Below,
    /// Per line, an index into [`Origins`]' commits, or [`BELOW`].
    Lines(Rc<[u32]>),
}

/// A line older than the range.
pub const BELOW: u32 = u32::MAX;

/// The forward blame of one file over a range: every version worked out so far, by commit.
#[derive(Debug, Default)]
pub struct Origins {
    commits: Vec<Oid>,
    index: HashMap<Oid, u32>,
    known: HashMap<Oid, Version>,
    /// Blob diffs made (what the blame costs).
    pub diffs: usize,
    /// The blob read last: a version is worked out right after its parent's, whose blob is the one it
    /// diffs against, so each blob of a line of history is inflated once.
    last_blob: Option<(Oid, Rc<[u8]>)>,
}

impl Origins {
    fn intern(&mut self, id: Oid) -> u32 {
        let next = self.commits.len() as u32;
        *self.index.entry(id).or_insert_with(|| {
            self.commits.push(id);
            next
        })
    }

    /// Take `commit`'s version as known: per line, the commit that last changed it (`None`: below the range).
    pub fn learn(&mut self, commit: Oid, lines: &[Option<Oid>]) {
        let lines: Rc<[u32]> = lines.iter().map(|l| l.map_or(BELOW, |id| self.intern(id))).collect();
        self.known.insert(commit, Version::Lines(lines));
    }

    /// Per line of `commit`'s version (worked out before), the commit that last changed it.
    pub fn lines(&self, commit: Oid) -> Option<Vec<Option<Oid>>> {
        match self.known.get(&commit)? {
            Version::Lines(l) => Some(l.iter().map(|i| self.commit(*i)).collect()),
            _ => None,
        }
    }

    fn commit(&self, i: u32) -> Option<Oid> {
        (i != BELOW).then(|| self.commits[i as usize])
    }

    /// The commits that last changed `lines` (0-based, end exclusive) of `commit`'s version; lines older
    /// than the range give nothing.
    pub fn blame(
        &mut self,
        repo: &Repo,
        history: &impl History,
        commit: Oid,
        lines: &[Range<u32>],
    ) -> Result<Vec<Oid>> {
        let version = self.version(repo, history, commit)?;
        let Version::Lines(origins) = version else {
            return Ok(Vec::new());
        };
        let mut out: Vec<Oid> = lines
            .iter()
            .flat_map(|r| origins.get(r.start as usize..(r.end as usize).min(origins.len())))
            .flatten()
            .filter_map(|i| self.commit(*i))
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// `commit`'s version, working out those of its ancestors it needs first (depth first, without
    /// recursion: a range can be thousands of commits deep).
    pub fn version(&mut self, repo: &Repo, history: &impl History, commit: Oid) -> Result<Version> {
        let mut stack = vec![commit];
        while let Some(&id) = stack.last() {
            if self.known.contains_key(&id) {
                stack.pop();
                continue;
            }
            let Some(parents) = history.parents(id) else {
                self.known.insert(id, Version::Below);
                stack.pop();
                continue;
            };
            let Some((_, blob)) = history.entry(id)? else {
                self.known.insert(id, Version::Absent);
                stack.pop();
                continue;
            };
            let mut entries = Vec::with_capacity(parents.len());
            for p in parents {
                entries.push(history.entry(*p)?);
            }
            // The first parent holding the same blob hands over every line.
            if let Some(same) = parents
                .iter()
                .zip(&entries)
                .find(|(_, e)| e.is_some_and(|(_, b)| b == blob))
                .map(|(p, _)| p)
            {
                match self.known.get(same) {
                    Some(v) => {
                        let v = v.clone();
                        self.known.insert(id, v);
                        stack.pop();
                    }
                    None => stack.push(*same),
                }
                continue;
            }
            let missing: Vec<Oid> = parents
                .iter()
                .zip(&entries)
                .filter(|(p, e)| e.is_some() && !self.known.contains_key(*p))
                .map(|(p, _)| *p)
                .collect();
            if !missing.is_empty() {
                stack.extend(missing);
                continue;
            }
            let own = self.intern(id);
            let new = self.read_blob(repo, blob)?;
            let mut lines: Option<Vec<u32>> = None;
            let mut open: usize = usize::MAX;
            for (p, entry) in parents.iter().zip(&entries) {
                if open == 0 {
                    break;
                }
                let Some((_, parent_blob)) = *entry else {
                    continue;
                };
                let from = self.known[p].clone();
                if matches!(from, Version::Absent) {
                    continue;
                }
                let old = self.read_blob(repo, parent_blob)?;
                let map = unchanged_lines(&old, &new);
                self.diffs += 1;
                let lines = lines.get_or_insert_with(|| vec![own; map.len()]);
                open = 0;
                for (line, old) in lines.iter_mut().zip(&map) {
                    if *line != own {
                        continue;
                    }
                    match (old, &from) {
                        (Some(_), Version::Below) => *line = BELOW,
                        (Some(o), Version::Lines(origin)) => *line = origin.get(*o as usize).copied().unwrap_or(own),
                        _ => open += 1,
                    }
                }
            }
            let lines = match lines {
                Some(l) => l,
                // No parent has the file: every line is the commit's own.
                None => vec![own; InternedInput::new(&new[..], &b""[..]).before.len()],
            };
            self.known.insert(id, Version::Lines(lines.into()));
            self.last_blob = Some((blob, new));
            stack.pop();
        }
        Ok(self.known[&commit].clone())
    }

    fn read_blob(&self, repo: &Repo, id: Oid) -> Result<Rc<[u8]>> {
        match &self.last_blob {
            Some((b, data)) if *b == id => Ok(data.clone()),
            _ => Ok(repo.blob(id)?.into()),
        }
    }
}

/// The line ranges of `path` in `parent` that `commit`'s change touches, with [`CONTEXT`]: what its
/// prerequisites are blamed on. Nothing for a path `parent` lacks (the commit adds it), a directory or
/// submodule, or a binary file.
pub fn touched_lines(repo: &Repo, commit: Oid, parent: Oid, path: &str) -> Result<Vec<Range<u32>>> {
    let Some(old) = repo.entry_at(repo.commit_tree(parent)?, path.as_bytes())? else {
        return Ok(Vec::new());
    };
    if old.is_tree() || old.is_submodule() {
        return Ok(Vec::new());
    }
    let new = match repo.entry_at(repo.commit_tree(commit)?, path.as_bytes())? {
        Some(e) if !e.is_tree() && !e.is_submodule() => repo.blob(e.id)?,
        _ => Vec::new(),
    };
    let old = repo.blob(old.id)?;
    if old.contains(&0) || new.contains(&0) {
        return Ok(Vec::new());
    }
    Ok(hunk_ranges(&old, &new, CONTEXT))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::Path;

    use super::*;
    use crate::git::test_git::{git, git_ok};
    use crate::sequencer::prereq_memo::RangeMemo;

    #[test]
    fn hunks_with_context() {
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let new = old.replace("10\n", "ten\n");
        assert_eq!(hunk_ranges(&old, &new, 3), vec![6..13]);
        let new = old.replace("1\n2\n", "one\n2\n").replace("20\n", "twenty\n");
        assert_eq!(hunk_ranges(&old, &new, 3), vec![0..4, 16..20]);
        assert_eq!(hunk_ranges("", "a\n", 3), Vec::<Range<u32>>::new());
        assert_eq!(hunk_ranges(&old, &old, 3), Vec::<Range<u32>>::new());
    }

    /// A block moved up past two changed lines: git ends the hunk after the moved block's old place plus
    /// three lines of context, as `git diff --no-index` prints it.
    #[test]
    fn hunks_follow_git_diff_on_a_moved_block() {
        let old = "a\nb\nc\nd\nx = f(y)\ne\nif bad(x)\n\treturn\n\nt(x)\ng\nh\n";
        let new = "a\nb\nc\nd\nz = g(y)\nif bad(z)\n\treturn\n\ne\nx = z\nt(x)\ng\nh\n";
        let git = "@@ -2,11 +2,12 @@";
        let r = hunk_ranges(old, new, 3);
        let parts: Vec<&str> = git[4..].split([',', ' ']).collect();
        let start: u32 = parts[0].parse::<u32>().unwrap() - 1;
        let len: u32 = parts[1].parse().unwrap();
        assert_eq!(r, vec![start..start + len]);
    }

    #[test]
    fn unchanged_lines_map_new_to_old() {
        let map = unchanged_lines(b"a\nb\nc\nd\n", b"a\nx\nc\nd\ne\n");
        assert_eq!(map, vec![Some(0), None, Some(2), Some(3), None]);
        assert_eq!(unchanged_lines(b"", b"a\n"), vec![None]);
        assert_eq!(unchanged_lines(b"a\nb", b"a\nb"), vec![Some(0), Some(1)]);
    }

    /// A small xorshift generator: the histories are random but the same on every run.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// Edit `path` at random: new lines (each unique, so every diff has one answer and git's Myers and
    /// imara-diff's agree), lines removed, lines replaced.
    fn edit(dir: &Path, path: &str, rng: &mut Rng, fresh: &mut usize) {
        let text = std::fs::read_to_string(dir.join(path)).unwrap_or_default();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for _ in 0..1 + rng.below(4) {
            *fresh += 1;
            let at = rng.below(lines.len() + 1);
            match rng.below(3) {
                0 if !lines.is_empty() && at < lines.len() => {
                    lines.remove(at);
                }
                1 if at < lines.len() => lines[at] = format!("line {fresh}"),
                _ => {
                    for k in 0..1 + rng.below(3) {
                        lines.insert(at, format!("line {fresh}.{k}"));
                    }
                }
            }
        }
        std::fs::write(
            dir.join(path),
            lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .unwrap();
    }

    /// Per line of `path` at `commit`, the commit `git blame` names, or `None` for a line older than
    /// `base..commit`.
    fn git_blame(dir: &Path, base: &str, commit: &str, path: &str) -> Vec<Option<Oid>> {
        let range: HashSet<String> = git(dir, &["rev-list", &format!("{base}..{commit}")])
            .lines()
            .map(str::to_string)
            .collect();
        git(dir, &["blame", "--line-porcelain", commit, "--", path])
            .lines()
            .filter(|l| l.len() > 41 && l.as_bytes()[40] == b' ' && l[..40].bytes().all(|b| b.is_ascii_hexdigit()))
            .map(|l| {
                range
                    .contains(&l[..40])
                    .then(|| Oid::from_hex(&l.as_bytes()[..40]).unwrap())
            })
            .collect()
    }

    /// The cost of a stop is the versions its parent adds: a blame that starts from the previous stop's
    /// version (in memory or kept on disk) diffs only the commits in between.
    #[test]
    fn a_later_stop_diffs_only_the_new_versions() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        git(d, &["init", "-q", "-b", "main"]);
        let mut lines: Vec<String> = (0..40).map(|i| format!("base {i}")).collect();
        let mut write = |n: usize| {
            if n > 0 {
                lines[n % 40] = format!("edit {n}");
            }
            std::fs::write(d.join("f.c"), lines.join("\n") + "\n").unwrap();
            git(d, &["add", "-A"]);
            git(d, &["commit", "-q", "-m", &format!("c{n}")]);
            Oid::from_hex(git(d, &["rev-parse", "HEAD"]).trim().as_bytes()).unwrap()
        };
        let base = write(0);
        let ids: Vec<Oid> = (1..=20).map(&mut write).collect();
        let repo = Repo::discover(d).unwrap();
        let mut memo = RangeMemo::default();
        memo.extend(&repo, base, ids[9]).unwrap();
        let mut origins = Origins::default();
        let history = memo.path_history(&repo, ids[9], "f.c").unwrap();
        origins.version(&repo, &history, ids[9]).unwrap();
        assert_eq!(origins.diffs, 10);
        memo.extend(&repo, base, ids[19]).unwrap();
        let history = memo.path_history(&repo, ids[19], "f.c").unwrap();
        origins.version(&repo, &history, ids[19]).unwrap();
        assert_eq!(origins.diffs, 20, "ten more");
        // From the version kept on disk, as the next process starts.
        let mut fresh = Origins::default();
        fresh.learn(ids[9], &origins.lines(ids[9]).unwrap());
        fresh.version(&repo, &history, ids[19]).unwrap();
        assert_eq!(fresh.diffs, 10);
        assert_eq!(fresh.lines(ids[19]), origins.lines(ids[19]));
    }

    /// Forward blame against `git blame` at every commit of random histories: branches, merges that take
    /// both sides, merges with lines of their own, a file that appears on a branch and one that is deleted
    /// and created again. One [`Origins`] per file serves every commit, as it serves the stops of one
    /// operation.
    #[test]
    fn forward_blame_is_git_blame_on_random_histories() {
        let mut merges = 0;
        for seed in 1..=10u64 {
            let tmp = tempfile::tempdir().unwrap();
            let d = tmp.path();
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut fresh = 0;
            git(d, &["init", "-q", "-b", "main"]);
            std::fs::write(
                d.join("f.c"),
                (0..30).map(|i| format!("base {i}\n")).collect::<String>(),
            )
            .unwrap();
            std::fs::write(d.join("g.c"), "g base\n").unwrap();
            git(d, &["add", "-A"]);
            git(d, &["commit", "-q", "-m", "base"]);
            git(d, &["tag", "base"]);
            let mut branches = vec!["main".to_string()];
            for step in 0..40 {
                let on = branches[rng.below(branches.len())].clone();
                git(d, &["checkout", "-q", &on]);
                match rng.below(10) {
                    0 if branches.len() < 4 => {
                        let name = format!("b{step}");
                        git(d, &["checkout", "-q", "-b", &name]);
                        branches.push(name);
                    }
                    1 | 2 if branches.len() > 1 => {
                        let other = branches[rng.below(branches.len())].clone();
                        if other == on || !git_ok(d, &["merge", "-q", "--no-ff", "--no-edit", "-X", "ours", &other]) {
                            git_ok(d, &["merge", "--abort"]);
                            continue;
                        }
                        if rng.below(2) == 0 {
                            edit(d, "f.c", &mut rng, &mut fresh);
                            git(d, &["commit", "-q", "-a", "--amend", "--no-edit"]);
                        }
                    }
                    3 => {
                        if d.join("g.c").exists() {
                            git(d, &["rm", "-q", "g.c"]);
                        } else {
                            edit(d, "g.c", &mut rng, &mut fresh);
                            git(d, &["add", "g.c"]);
                        }
                        git(d, &["commit", "-q", "-m", &format!("g {step}")]);
                    }
                    _ => {
                        let path = if rng.below(4) == 0 && d.join("g.c").exists() {
                            "g.c"
                        } else {
                            "f.c"
                        };
                        edit(d, path, &mut rng, &mut fresh);
                        git(d, &["commit", "-q", "-a", "-m", &format!("edit {step}")]);
                    }
                }
            }
            let repo = Repo::discover(d).unwrap();
            let base = repo.resolve_commit("base").unwrap();
            let mut memo = RangeMemo::default();
            let mut origins: HashMap<&str, Origins> = HashMap::new();
            let all = git(d, &["rev-list", "--reverse", "--topo-order", "base..", "--branches"]);
            for commit in all.lines() {
                let id = Oid::from_hex(commit.as_bytes()).unwrap();
                merges += usize::from(repo.commit(id).unwrap().parents.len() > 1);
                memo.extend(&repo, base, id).unwrap();
                for path in ["f.c", "g.c"] {
                    if !git_ok(d, &["cat-file", "-e", &format!("{commit}:{path}")]) {
                        continue;
                    }
                    let history = memo.path_history(&repo, id, path).unwrap();
                    let o = origins.entry(path).or_default();
                    let version = o.version(&repo, &history, id).unwrap();
                    let theirs = git_blame(d, "base", commit, path);
                    let ours = match version {
                        Version::Below => vec![None; theirs.len()],
                        _ => o.lines(id).unwrap(),
                    };
                    assert_eq!(ours, theirs, "seed {seed}, {path} at {commit}");
                }
            }
        }
        assert!(merges >= 10, "only {merges} merges");
    }
}
