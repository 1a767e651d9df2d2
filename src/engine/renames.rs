//! Where a path the pick touches went on our side, found the way git's merge-ort narrows rename detection:
//! only for the touched paths that vanished on our side (the sources that matter to this pick), and only
//! against the files our side added since the pick's parent. An exact rename (same blob) settles it; failing
//! that, every addition that could reach the rename similarity is a candidate. The merge's rename tracking
//! then pairs the few sources with these candidates, instead of pairing the whole parent → ours difference
//! as a whole-tree merge does.
//!
//! A tree whose files were reorganised upstream has hundreds of such additions, and the rename tracker diffs
//! every source against every candidate. Most cannot match, which two cheap bounds show without a diff: the
//! tracker's similarity is the bytes of the source's lines that the diff keeps over the larger file's size,
//! so it is at most the smaller size over the larger, and at most the bytes of the lines both files share
//! (counted with multiplicity) over the larger size. A candidate below the threshold on either bound is
//! left out; the tracker would have rejected it, so the pairing is the same.

use std::collections::HashMap;
use std::hash::BuildHasher;

use gix::bstr::{BString, ByteSlice};

use crate::error::Result;
use crate::git::{Entry, Oid, Repo};

/// Candidate destinations on our side for `sources` (touched paths, with their entry in the pick's parent,
/// that are missing from `ours_tree`): files added on our side since `parent_tree`.
pub fn destinations(
    repo: &Repo,
    parent_tree: Oid,
    ours_tree: Oid,
    sources: &[(BString, Entry)],
) -> Result<Vec<(BString, Entry)>> {
    if sources.is_empty() {
        return Ok(Vec::new());
    }
    let added: Vec<(BString, Entry)> = repo
        .diff_trees(Some(parent_tree), Some(ours_tree))?
        .into_iter()
        .filter(|c| c.old.is_none())
        .filter_map(|c| c.new.map(|e| (c.path, e)))
        .collect();
    let threshold = repo.rename_similarity()?;
    let mut out: Vec<(BString, Entry)> = Vec::new();
    let push = |p: &BString, e: &Entry, out: &mut Vec<(BString, Entry)>| {
        if !out.iter().any(|(q, _)| q == p) {
            out.push((p.clone(), *e));
        }
    };
    // Each candidate's lines are counted once however many sources are compared with it.
    let mut counted: HashMap<Oid, Lines> = HashMap::new();
    for (path, entry) in sources {
        let name = basename(path);
        let exact: Vec<&(BString, Entry)> = added.iter().filter(|(_, e)| e.id == entry.id).collect();
        if let Some((p, e)) = exact
            .iter()
            .find(|(p, _)| basename(p) == name)
            .or_else(|| exact.first())
        {
            push(p, e, &mut out);
            continue;
        }
        // Otherwise every addition that may be similar enough: preferring files of the same name would hide
        // a similar file under another name, which git's rename detection would pair (it takes a same-name
        // file only when that one is similar enough, and looks further otherwise).
        let Some(threshold) = threshold else { continue };
        let source = Lines::of(&repo.blob(entry.id)?);
        for (p, e) in &added {
            if may_be_similar(repo, &source, e, threshold, &mut counted)? {
                push(p, e, &mut out);
            }
        }
    }
    Ok(out)
}

/// A line's key: its hash and its length. Lines with equal keys are counted together, which can only
/// raise the shared-bytes bound (equal lengths keep the bytes right), so the bound stays a bound.
type LineKey = (u64, u32);

/// A text file as the multiset of its lines (with their line ends), or `None` counts for a binary file.
struct Lines {
    len: u64,
    counts: Option<HashMap<LineKey, u32, foldhash::fast::FixedState>>,
}

impl Lines {
    fn of(data: &[u8]) -> Lines {
        let binary = data[..data.len().min(8000)].contains(&0);
        let counts = (!binary).then(|| {
            let hasher = foldhash::fast::FixedState::default();
            let mut counts: HashMap<LineKey, u32, _> = HashMap::with_hasher(hasher.clone());
            for l in data.split_inclusive(|&b| b == b'\n') {
                *counts.entry((hasher.hash_one(l), l.len() as u32)).or_default() += 1;
            }
            counts
        });
        Lines {
            len: data.len() as u64,
            counts,
        }
    }
}

/// Whether `candidate` can reach `threshold` similarity with `source` (see the module's note on the bounds).
/// `counted` keeps the candidates' lines already counted.
fn may_be_similar(
    repo: &Repo,
    source: &Lines,
    candidate: &Entry,
    threshold: f32,
    counted: &mut HashMap<Oid, Lines>,
) -> Result<bool> {
    if candidate.is_tree() || candidate.is_submodule() {
        return Ok(false);
    }
    let size = repo.blob_size(candidate.id)?;
    let larger = source.len.max(size).max(1) as f32;
    if (source.len.min(size) as f32) < threshold * larger {
        return Ok(false);
    }
    let Some(source_counts) = &source.counts else {
        return Ok(true);
    };
    let lines = match counted.entry(candidate.id) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(e) => e.insert(Lines::of(&repo.blob(candidate.id)?)),
    };
    let Some(counts) = &lines.counts else {
        return Ok(true);
    };
    let shared: u64 = counts
        .iter()
        .map(|(key, n)| source_counts.get(key).map_or(0, |m| (*m).min(*n) as u64 * key.1 as u64))
        .sum();
    Ok(shared as f32 >= threshold * larger)
}

fn basename(path: &[u8]) -> &[u8] {
    match path.rfind_byte(b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}
