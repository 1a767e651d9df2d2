//! Turn a branch with merges into the linear stack pq manages, as `git rebase BASE` would: the non-merge
//! commits of `BASE..HEAD` in git's `--topo-order` (each merged topic kept together, after the mainline
//! commits it was merged next to), replayed onto BASE. Commits whose parent is unchanged keep their id.
//!
//! Linearising may only drop the merges themselves. A merge whose tree is not the clean automatic merge of
//! its parents (it resolved a conflict, or changed something on its own) carries work the linear stack
//! would lose, so it is refused, as is a replay that conflicts or ends on another tree than HEAD's.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;

use crate::engine::pick::{pick, Labels, PickOutcome};
use crate::error::{Error, Result};
use crate::git::{CommitInfo, Oid, Person, Repo};

/// The linear stack standing for `BASE..HEAD`.
pub struct Linear {
    /// The commits, oldest first: the originals where their parent did not change, new ones otherwise.
    pub commits: Vec<CommitInfo>,
    /// The new tip (HEAD itself when there was no merge).
    pub head: Oid,
    /// How many merges were linearised away.
    pub merges: usize,
    /// The topic (from the merge's subject) each commit of `commits` was merged with, by new commit id.
    pub topics: HashMap<Oid, String>,
    /// Commits already made by an earlier one, left out as `git rebase` leaves them out.
    pub dropped: Vec<CommitInfo>,
}

/// The topic a merge commit names: `Merge branch 'X'` → X, `Merge pull request #N from user/branch` →
/// branch, made into a series name (no spaces or special characters; never the reserved `packaging`).
pub fn topic_of(subject: &str) -> Option<String> {
    static RE: OnceLock<[Regex; 2]> = OnceLock::new();
    let [branch, pull] = RE.get_or_init(|| {
        [
            Regex::new(r"^Merge (?:remote-tracking )?branch '([^']+)'").expect("regex"),
            Regex::new(r"^Merge pull request #\d+ from [^/\s]+/(\S+)").expect("regex"),
        ]
    });
    let raw = branch
        .captures(subject)
        .or_else(|| pull.captures(subject))
        .map(|c| c[1].to_string())?;
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-/".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    name = name
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .collect::<Vec<_>>()
        .join("/");
    let name = name.trim_matches(|c| c == '-' || c == '.').to_string();
    match name.as_str() {
        "" => None,
        "packaging" => Some("topic/packaging".into()),
        _ => Some(name),
    }
}

/// git's `--topo-order` (`sort_in_topological_order` in graph order) over `ids`, newest first: a commit
/// comes after all its children, and a merge's second-parent line is emptied before its first parent's.
fn topo_order(ids: &[Oid], commits: &HashMap<Oid, CommitInfo>) -> Vec<Oid> {
    let mut indegree: HashMap<Oid, usize> = ids.iter().map(|i| (*i, 1)).collect();
    for id in ids {
        for p in &commits[id].parents {
            if let Some(d) = indegree.get_mut(p) {
                *d += 1;
            }
        }
    }
    let mut stack: Vec<Oid> = ids.iter().filter(|i| indegree[*i] == 1).copied().collect();
    stack.reverse();
    let mut out = Vec::with_capacity(ids.len());
    while let Some(c) = stack.pop() {
        for p in &commits[&c].parents {
            if let Some(d) = indegree.get_mut(p) {
                *d -= 1;
                if *d == 1 {
                    stack.push(*p);
                }
            }
        }
        out.push(c);
    }
    out
}

fn refuse(what: String, base: &str) -> Error {
    Error::input(what).hint(format!(
        "linearise the branch yourself with `git rebase {base}` (re-doing that merge's resolution), or pass a --base that contains the merge"
    ))
}

/// The linear stack for `base..head`. `base_name` is how the user named the base (for hints), `who` the
/// committer of rewritten commits. Writes objects only (the caller's transaction moves the branch).
pub fn linearise(repo: &Repo, base: Oid, base_name: &str, head: Oid, who: &Person) -> Result<Linear> {
    let newest_first = repo.commits_between(&[base], head)?;
    let mut commits = HashMap::with_capacity(newest_first.len());
    for id in &newest_first {
        commits.insert(*id, repo.commit(*id)?);
    }
    let merges: Vec<Oid> = newest_first
        .iter()
        .filter(|i| commits[*i].parents.len() > 1)
        .copied()
        .collect();
    if merges.is_empty() {
        let list: Vec<CommitInfo> = newest_first.iter().rev().map(|i| commits[i].clone()).collect();
        return Ok(Linear {
            commits: list,
            head,
            merges: 0,
            topics: HashMap::new(),
            dropped: Vec::new(),
        });
    }
    let order: Vec<Oid> = topo_order(&newest_first, &commits).into_iter().rev().collect();

    // Every merge must be the automatic merge of its parents, or linearising would lose what it did.
    let mut topic_by_commit: HashMap<Oid, String> = HashMap::new();
    for m in order.iter().filter(|i| commits[*i].parents.len() > 1) {
        let c = &commits[m];
        if c.parents.len() > 2 {
            return Err(refuse(
                format!(
                    "merge {} ({}) is an octopus merge; pq linearises two-parent merges only",
                    c.short(),
                    c.subject()
                ),
                base_name,
            ));
        }
        let (p1, p2) = (c.parents[0], c.parents[1]);
        let mb = repo.merge_base(p1, p2)?.ok_or_else(|| {
            refuse(
                format!("merge {} ({}) joins unrelated histories", c.short(), c.subject()),
                base_name,
            )
        })?;
        let auto = repo.merge_trees_full(
            repo.commit_tree(mb)?,
            repo.commit_tree(p1)?,
            repo.commit_tree(p2)?,
            ("base", "ours", "theirs"),
        )?;
        if auto.conflicted.is_some() {
            return Err(refuse(
                format!(
                    "merge {} ({}) resolved a conflict; linearising would lose the resolution",
                    c.short(),
                    c.subject()
                ),
                base_name,
            ));
        }
        if auto.tree != c.tree {
            return Err(refuse(
                format!(
                    "merge {} ({}) differs from the automatic merge of its parents; linearising would lose that change",
                    c.short(),
                    c.subject()
                ),
                base_name,
            ));
        }
        // The topic: what the second parent brings that the first does not have. The oldest merge naming a
        // commit wins, so a topic merged into another keeps its own name.
        if let Some(name) = topic_of(&c.subject()) {
            for t in repo.commits_between(&[p1, base], p2)? {
                if commits.get(&t).is_some_and(|x| x.parents.len() == 1) {
                    topic_by_commit.entry(t).or_insert_with(|| name.clone());
                }
            }
        }
    }

    // Replay the non-merge commits onto the base, as `git rebase` does.
    let mut tip = base;
    let mut tip_tree = repo.commit_tree(base)?;
    let mut out = Vec::new();
    let mut topics = HashMap::new();
    let mut dropped = Vec::new();
    for id in order.iter().filter(|i| commits[*i].parents.len() <= 1) {
        let c = &commits[id];
        let parent = c.parents.first().copied();
        let new = if parent == Some(tip) {
            c.clone()
        } else {
            let parent_tree = match parent {
                Some(p) => repo.commit_tree(p)?,
                None => Oid::empty_tree(gix::hash::Kind::Sha1),
            };
            let labels = Labels::for_commit(&c.short(), &c.subject());
            let tree = match pick(repo, tip_tree, parent_tree, c.tree, &labels)? {
                PickOutcome::Clean { tree } => tree,
                PickOutcome::Conflict { paths, .. } => {
                    let list: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
                    return Err(refuse(
                        format!(
                            "linearising the merges reorders {} ({}), which then conflicts in {}",
                            c.short(),
                            c.subject(),
                            list.join(", ")
                        ),
                        base_name,
                    ));
                }
            };
            if tree == tip_tree && parent_tree != c.tree {
                dropped.push(c.clone());
                continue;
            }
            let new_id = repo.write_commit(
                tree,
                &[tip],
                &c.author,
                who,
                &c.message,
                c.encoding.as_ref().map(|e| e.as_ref()),
            )?;
            let mut n = c.clone();
            n.id = new_id;
            n.tree = tree;
            n.parents = vec![tip];
            n.committer = who.clone();
            n
        };
        if let Some(t) = topic_by_commit.get(id) {
            topics.insert(new.id, t.clone());
        }
        tip = new.id;
        tip_tree = new.tree;
        out.push(new);
    }
    let head_tree = repo.commit_tree(head)?;
    if tip_tree != head_tree {
        return Err(refuse(
            "the linearised branch would not have the same files as HEAD".into(),
            base_name,
        ));
    }
    Ok(Linear {
        commits: out,
        head: tip,
        merges: merges.len(),
        topics,
        dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::topic_of;

    #[test]
    fn topics_from_merge_subjects() {
        assert_eq!(
            topic_of("Merge branch 'RHEL-21064' into 'os-build'").as_deref(),
            Some("RHEL-21064")
        );
        assert_eq!(
            topic_of("Merge branch 'stable/v2.40-meson' of https://github.com/x/util-linux into stable/v2.40")
                .as_deref(),
            Some("stable/v2.40-meson")
        );
        assert_eq!(
            topic_of("Merge pull request #123 from user/fix-lsfd").as_deref(),
            Some("fix-lsfd")
        );
        assert_eq!(topic_of("Merge branch 'a b/../c'").as_deref(), Some("a-b/c"));
        assert_eq!(topic_of("Merge branch 'packaging'").as_deref(), Some("topic/packaging"));
        assert_eq!(topic_of("Merge tag 'v6.8' into x"), None);
        assert_eq!(topic_of("fix: a bug"), None);
    }
}
