//! Which commits a backport takes: exactly what `git rev-list --reverse A..B -- PATHS` lists, with git's
//! default history simplification, computed without spawning git.
//!
//! The walk reads parents, dates and trees from the commit-graph when there is one, and asks its
//! changed-path Bloom filters first whether a commit may touch the paths, so most commits are decided
//! without decompressing a single object; without a commit-graph it falls back to reading commits and
//! comparing the trees at the given paths.

use std::collections::{BinaryHeap, HashMap};

use crate::error::Result;
use crate::git::commit_graph::{BloomKeys, CommitGraph};
use crate::git::pack_walk::WalkReader;
use crate::git::{Entry, Oid, Repo};
use crate::progress::{Phase, PhaseGuard};

/// A revision range as the user wrote it, resolved.
#[derive(Debug, Clone)]
pub struct Range {
    pub include: Vec<Oid>,
    pub exclude: Vec<Oid>,
}

/// One selected commit and whether it is a merge (reported and skipped unless a mainline is chosen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    pub id: Oid,
    pub parents: Vec<Oid>,
}

const UNINTERESTING: u8 = 1;
const SEEN: u8 = 2;
const TREESAME: u8 = 4;
const ADDED: u8 = 8;

struct Node {
    flags: u8,
    parents: Vec<Oid>,
    time: i64,
    tree: Oid,
    loaded: bool,
}

/// Commit facts, from the commit-graph when it knows the commit, else from the object itself.
struct History<'r> {
    repo: &'r Repo,
    graph: Option<CommitGraph>,
    keys: Option<BloomKeys>,
    nodes: HashMap<Oid, Node>,
    trees: PathTrees<'r>,
}

/// The paths as a tree of directory names: each node lists the names looked up in one directory.
struct Dir {
    kids: Vec<Vec<u8>>,
    /// Per kid: the node of the names looked up below it, or None where the kid is itself a path (anything
    /// under it counts).
    below: Vec<Option<usize>>,
}

/// The entries along the paths, remembered per tree. Without Bloom filters every commit's tree is compared
/// with its parent's at the paths, as git's tree diff limited to a pathspec does: from the root, descending
/// only into directories whose ids differ. Neighbouring commits share most of those trees (each root tree is
/// compared twice, once as the child and once as the parent), so each tree is decoded once, and all the
/// names wanted in it are found in one pass.
struct PathTrees<'r> {
    nodes: Vec<Dir>,
    /// A path is the whole tree: only the root ids matter.
    whole: bool,
    /// (tree, node) → the entry of each of the node's kids in that tree.
    seen: HashMap<(Oid, u32), Box<[Option<Entry>]>>,
    reader: WalkReader<'r>,
    scratch: Vec<Option<Entry>>,
}

impl<'r> PathTrees<'r> {
    fn new(repo: &'r Repo, paths: &[Vec<u8>]) -> PathTrees<'r> {
        let mut nodes = vec![Dir {
            kids: Vec::new(),
            below: Vec::new(),
        }];
        let mut whole = false;
        for p in paths {
            if p.is_empty() {
                whole = true;
                continue;
            }
            let comps: Vec<&[u8]> = p.split(|b| *b == b'/').collect();
            let mut n = 0;
            for (i, c) in comps.iter().enumerate() {
                let last = i + 1 == comps.len();
                let k = match nodes[n].kids.iter().position(|k| k.as_slice() == *c) {
                    Some(k) => k,
                    None => {
                        nodes[n].kids.push(c.to_vec());
                        nodes[n].below.push(Some(usize::MAX));
                        nodes[n].kids.len() - 1
                    }
                };
                if last {
                    // A path covers everything under it, including longer paths given too.
                    nodes[n].below[k] = None;
                    break;
                }
                match nodes[n].below[k] {
                    None => break,
                    Some(usize::MAX) => {
                        nodes.push(Dir {
                            kids: Vec::new(),
                            below: Vec::new(),
                        });
                        let new = nodes.len() - 1;
                        nodes[n].below[k] = Some(new);
                        n = new;
                    }
                    Some(next) => n = next,
                }
            }
        }
        PathTrees {
            nodes,
            whole,
            seen: HashMap::new(),
            reader: WalkReader::new(repo),
            scratch: Vec::new(),
        }
    }

    /// The entry of kid `k` of `node` in `tree` (the empty tree when None).
    fn kid(&mut self, tree: Option<Oid>, node: usize, k: usize) -> Result<Option<Entry>> {
        let Some(tree) = tree else { return Ok(None) };
        let key = (tree, node as u32);
        if let Some(e) = self.seen.get(&key) {
            return Ok(e[k]);
        }
        self.reader.children(&tree, &self.nodes[node].kids, &mut self.scratch)?;
        let e = self.scratch[k];
        self.seen.insert(key, self.scratch.clone().into_boxed_slice());
        Ok(e)
    }

    /// Do trees `a` and `b` hold the same entries (or none) at every path? Descends only while the
    /// directories on the way differ: a directory with the same id on both sides settles it.
    fn same(&mut self, a: Oid, b: Oid) -> Result<bool> {
        if a == b || self.whole {
            return Ok(a == b);
        }
        self.same_below(Some(a), Some(b), 0)
    }

    fn same_below(&mut self, a: Option<Oid>, b: Option<Oid>, node: usize) -> Result<bool> {
        if a == b {
            return Ok(true);
        }
        for k in 0..self.nodes[node].kids.len() {
            let ea = self.kid(a, node, k)?;
            let eb = self.kid(b, node, k)?;
            if ea == eb {
                continue;
            }
            let Some(sub) = self.nodes[node].below[k] else {
                return Ok(false);
            };
            // Below a file (or nothing) the paths have no entry.
            let ta = ea.filter(Entry::is_tree).map(|e| e.id);
            let tb = eb.filter(Entry::is_tree).map(|e| e.id);
            if !self.same_below(ta, tb, sub)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

impl<'r> History<'r> {
    fn load(&mut self, id: Oid) -> Result<()> {
        if self.nodes.get(&id).is_some_and(|n| n.loaded) {
            return Ok(());
        }
        let raw: &[u8; 20] = id.as_bytes().try_into().expect("sha1");
        let from_graph = self.graph.as_ref().and_then(|g| {
            let pos = g.lookup(raw)?;
            let parents = g.parents_at(pos)?;
            let parents: Vec<Oid> = parents
                .into_iter()
                .map(|p| Oid::from_bytes_or_panic(g.oid_at(p)))
                .collect();
            Some((
                parents,
                g.commit_time_at(pos),
                Oid::from_bytes_or_panic(&g.tree_at(pos)),
            ))
        });
        let (parents, time, tree) = match from_graph {
            Some(v) => v,
            None => self.trees.reader.commit_links(&id)?,
        };
        let node = self.nodes.entry(id).or_insert(Node {
            flags: 0,
            parents: Vec::new(),
            time,
            tree,
            loaded: false,
        });
        node.parents = parents;
        node.time = time;
        node.tree = tree;
        node.loaded = true;
        Ok(())
    }

    fn node(&self, id: &Oid) -> &Node {
        &self.nodes[id]
    }

    /// Is `commit` unchanged at `paths` relative to its `nth` parent?
    fn treesame(&mut self, commit: Oid, parent: Oid, nth: usize) -> Result<bool> {
        if nth == 0 {
            if let (Some(g), Some(keys)) = (&self.graph, &self.keys) {
                let raw: &[u8; 20] = commit.as_bytes().try_into().expect("sha1");
                if g.maybe_changed(raw, keys) == Some(false) {
                    return Ok(true);
                }
            }
        }
        self.load(parent)?;
        let a = self.node(&commit).tree;
        let b = self.node(&parent).tree;
        if a == b {
            return Ok(true);
        }
        self.trees.same(a, b)
    }
}

fn entry(repo: &Repo, tree: Oid, path: &[u8]) -> Result<Option<Entry>> {
    repo.entry_at(tree, path)
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Queued {
    time: i64,
    // Reversed insertion order so that equal dates pop first-in first-out, as git's date queue does.
    seq: std::cmp::Reverse<u64>,
    id: Oid,
}

/// List the commits of `range` touching `paths` (all commits when `paths` is empty), oldest first.
pub fn select(repo: &Repo, range: &Range, paths: &[Vec<u8>]) -> Result<Vec<Selected>> {
    let started = std::time::Instant::now();
    let graph = CommitGraph::for_repo(repo);
    let keys = match (&graph, paths.is_empty()) {
        (Some(g), false) if g.has_bloom_filters() => {
            let refs: Vec<&[u8]> = paths.iter().map(|p| p.as_slice()).collect();
            Some(g.keys(&refs))
        }
        _ => None,
    };
    let mut h = History {
        repo,
        graph,
        keys,
        nodes: HashMap::new(),
        trees: PathTrees::new(repo, paths),
    };
    let mut queue = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |h: &mut History<'_>, queue: &mut BinaryHeap<Queued>, id: Oid, flags: u8| -> Result<()> {
        h.load(id)?;
        let node = h.nodes.get_mut(&id).expect("loaded");
        node.flags |= flags;
        if node.flags & ADDED != 0 {
            return Ok(());
        }
        node.flags |= ADDED;
        seq += 1;
        queue.push(Queued {
            time: node.time,
            seq: std::cmp::Reverse(seq),
            id,
        });
        Ok(())
    };
    for id in &range.exclude {
        push(&mut h, &mut queue, *id, UNINTERESTING)?;
    }
    for id in &range.include {
        push(&mut h, &mut queue, *id, 0)?;
    }

    let mut order: Vec<Oid> = Vec::new();
    let mut slop = 5;
    let progress = PhaseGuard::start(repo.progress(), Phase::Selecting, None);
    let mut walked = 0u64;
    while let Some(Queued { id, .. }) = queue.pop() {
        walked += 1;
        progress.set(walked);
        let flags = h.node(&id).flags;
        h.nodes.get_mut(&id).expect("loaded").flags |= SEEN;
        let parents = h.node(&id).parents.clone();
        if flags & UNINTERESTING != 0 {
            for p in &parents {
                mark_uninteresting(&mut h, *p)?;
                push(&mut h, &mut queue, *p, UNINTERESTING)?;
            }
        } else {
            let kept = simplify(&mut h, id, &parents, paths)?;
            for p in &kept {
                push(&mut h, &mut queue, *p, 0)?;
            }
            order.push(id);
        }
        // Stop once only uninteresting commits remain (with a little slop for clock skew, as git does).
        if queue.iter().all(|q| h.node(&q.id).flags & UNINTERESTING != 0) {
            slop -= 1;
            if slop == 0 {
                break;
            }
        } else {
            slop = 5;
        }
    }
    tracing::debug!(
        walked,
        trees = h.trees.seen.len(),
        from_packs = h.trees.reader.from_packs,
        from_store = h.trees.reader.from_store,
        ms = started.elapsed().as_millis() as u64,
        "selection"
    );
    let mut out: Vec<Selected> = order
        .into_iter()
        .filter(|id| {
            let n = h.node(id);
            n.flags & UNINTERESTING == 0 && (paths.is_empty() || n.flags & TREESAME == 0)
        })
        .map(|id| Selected {
            id,
            parents: h.node(&id).parents.clone(),
        })
        .collect();
    out.reverse();
    Ok(out)
}

/// Propagate UNINTERESTING to `id` and everything already known below it.
fn mark_uninteresting(h: &mut History<'_>, id: Oid) -> Result<()> {
    let mut stack = vec![id];
    while let Some(c) = stack.pop() {
        let Some(node) = h.nodes.get_mut(&c) else { continue };
        if node.flags & UNINTERESTING != 0 && node.flags & SEEN == 0 {
            continue;
        }
        let was = node.flags & UNINTERESTING != 0;
        node.flags |= UNINTERESTING;
        if node.flags & SEEN != 0 && !was {
            stack.extend(node.parents.clone());
        }
    }
    Ok(())
}

/// git's try_to_simplify_commit: decide TREESAME and which parents the walk follows.
fn simplify(h: &mut History<'_>, id: Oid, parents: &[Oid], paths: &[Vec<u8>]) -> Result<Vec<Oid>> {
    if paths.is_empty() {
        return Ok(parents.to_vec());
    }
    if parents.is_empty() {
        // A root commit is shown when it has anything at the paths.
        let tree = h.node(&id).tree;
        let mut has = false;
        for p in paths {
            if entry(h.repo, tree, p)?.is_some() {
                has = true;
            }
        }
        if !has {
            h.nodes.get_mut(&id).expect("loaded").flags |= TREESAME;
        }
        return Ok(Vec::new());
    }
    let mut relevant_parents = 0;
    let mut relevant_change = false;
    let mut irrelevant_change = false;
    for (nth, p) in parents.iter().enumerate() {
        h.load(*p)?;
        let relevant = h.node(p).flags & UNINTERESTING == 0;
        if relevant {
            relevant_parents += 1;
        }
        if h.treesame(id, *p, nth)? {
            if relevant {
                // Follow only this parent: the others did not contribute to the paths' final state.
                let node = h.nodes.get_mut(&id).expect("loaded");
                node.parents = vec![*p];
                node.flags |= TREESAME;
                return Ok(vec![*p]);
            }
            continue;
        }
        if relevant {
            relevant_change = true;
        } else {
            irrelevant_change = true;
        }
    }
    let treesame = if relevant_parents > 0 {
        !relevant_change
    } else {
        !irrelevant_change
    };
    if treesame {
        h.nodes.get_mut(&id).expect("loaded").flags |= TREESAME;
    }
    Ok(parents.to_vec())
}
