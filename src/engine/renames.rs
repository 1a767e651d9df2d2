//! Where a path the pick touches went on our side, found the way git's merge-ort narrows rename detection:
//! only for the touched paths that vanished on our side (the sources that matter to this pick), and only
//! against the files our side added since the pick's parent. An exact rename (same blob) settles it; failing
//! that, every addition is a candidate. The merge's rename
//! tracking then pairs the few sources with these candidates, instead of pairing the whole parent → ours
//! difference as a whole-tree merge does.

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
    let mut out: Vec<(BString, Entry)> = Vec::new();
    let push = |p: &BString, e: &Entry, out: &mut Vec<(BString, Entry)>| {
        if !out.iter().any(|(q, _)| q == p) {
            out.push((p.clone(), *e));
        }
    };
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
        // Otherwise every addition: preferring files of the same name would hide a similar file under
        // another name, which git's rename detection would pair (it takes a same-name file only when that
        // one is similar enough, and looks further otherwise).
        for (p, e) in &added {
            push(p, e, &mut out);
        }
    }
    Ok(out)
}

fn basename(path: &[u8]) -> &[u8] {
    match path.rfind_byte(b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}
