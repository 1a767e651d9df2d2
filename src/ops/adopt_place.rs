//! Where `pq adopt` puts commits it has not seen before, keeping every series contiguous: new commits on
//! top of the stack go to the series the user names, or to a `local` series at the top; new commits among
//! known patches join the series around them (the one below, or the one above at the bottom), since any
//! other series there would split the stack.

use crate::error::{Error, Result};
use crate::model::state::{Patch, PatchKind, Series, State};

/// A free name for a new top series: `local` unless a lower series already holds patches under it (an
/// empty one, as `pq init` leaves on a branch with no commits of its own, is filled), then `local-2`, ...
fn local_name(old: &State, top: Option<&str>) -> String {
    let taken = |n: &str| old.patches.iter().any(|p| p.series == n) && top != Some(n);
    if !taken("local") {
        return "local".into();
    }
    (2..)
        .map(|n| format!("local-{n}"))
        .find(|n| !taken(n))
        .expect("a free name")
}

/// Give each new patch-kind commit (`new[i]`, series still empty) its series, then order the series as
/// the patches now stand. Returns the series the top commits went to (or the last one used).
pub fn place(patches: &mut [Patch], new: &[bool], old: &State, named: Option<&str>) -> Result<Option<String>> {
    let is_patch = |p: &Patch| p.kind == PatchKind::Patch;
    let known: Vec<usize> = (0..patches.len())
        .filter(|&i| !new[i] && is_patch(&patches[i]))
        .collect();
    let last_known = known.last().copied();
    let top_series = last_known.map(|k| patches[k].series.clone());
    let mut used: Option<String> = None;
    let has_top = (0..patches.len()).any(|i| new[i] && is_patch(&patches[i]) && last_known.is_none_or(|k| i > k));
    let top_name = if has_top {
        Some(match named {
            Some(n) => {
                let elsewhere = known.iter().any(|&k| patches[k].series == n) && top_series.as_deref() != Some(n);
                if elsewhere {
                    return Err(Error::input(format!(
                        "series {n} is not at the top of the stack: adding the new commits on top to it would split it"
                    ))
                    .hint("name a new series for them with `pq adopt --series NAME`, or leave --series out (they go to a `local` series at the top)"));
                }
                n.to_string()
            }
            None => match top_series.as_deref() {
                Some(t) if t == "local" || t.starts_with("local-") => t.to_string(),
                t => local_name(old, t),
            },
        })
    } else {
        None
    };
    for i in 0..patches.len() {
        if !(new[i] && is_patch(&patches[i])) {
            continue;
        }
        let series = match last_known {
            Some(k) if i < k => {
                // Among known patches: the series below, or above when nothing known is below.
                match known.iter().rev().find(|&&j| j < i) {
                    Some(&j) => patches[j].series.clone(),
                    None => patches[known[0]].series.clone(),
                }
            }
            _ => top_name.clone().expect("set when there are top commits"),
        };
        patches[i].series = series.clone();
        used = Some(series);
    }
    Ok(top_name.or(used))
}

/// The series in the order their patches now stand; series left without patches keep their place after
/// the one before them; packaging stays last.
pub fn reorder(state: &mut State) {
    let mut order: Vec<String> = Vec::new();
    for p in &state.patches {
        if p.series != "packaging" && !order.contains(&p.series) {
            order.push(p.series.clone());
        }
    }
    let old: Vec<String> = state.series.iter().map(|s| s.name.clone()).collect();
    for (i, name) in old.iter().enumerate() {
        if name == "packaging" || order.contains(name) {
            continue;
        }
        let pos = old[..i]
            .iter()
            .rev()
            .find_map(|prev| order.iter().position(|o| o == prev))
            .map_or(0, |p| p + 1);
        order.insert(pos, name.clone());
    }
    if old.iter().any(|n| n == "packaging") || state.patches.iter().any(|p| p.series == "packaging") {
        order.push("packaging".into());
    }
    state.series = order.into_iter().map(|name| Series { name }).collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(series: &[&str], patches: &[&str]) -> State {
        let mut s: State = State::parse(&format!(
            "schema = 1\nbranch = \"refs/heads/b\"\nbase = \"v1\"\nbase_commit = \"{0}\"\ntip = \"{0}\"\n",
            "a".repeat(40)
        ))
        .unwrap();
        s.series = series.iter().map(|n| Series { name: n.to_string() }).collect();
        s.patches = patches.iter().map(|n| patch(n)).collect();
        s
    }

    fn patch(series: &str) -> Patch {
        Patch {
            commit: crate::git::Oid::from_hex("b".repeat(40).as_bytes()).unwrap(),
            series: series.into(),
            kind: PatchKind::Patch,
            origin: None,
            via: None,
            conflicts: vec![],
        }
    }

    fn names(p: &[Patch]) -> Vec<&str> {
        p.iter().map(|p| p.series.as_str()).collect()
    }

    #[test]
    fn top_commits_go_to_a_new_local_series_or_the_named_one() {
        let old = state(&["local", "backport/x"], &["local", "backport/x"]);
        let mut p = vec![patch("local"), patch("backport/x"), patch("")];
        let new = [false, false, true];
        assert_eq!(place(&mut p, &new, &old, None).unwrap().as_deref(), Some("local-2"));
        assert_eq!(names(&p), ["local", "backport/x", "local-2"]);
        let mut p = vec![patch("local"), patch("backport/x"), patch("")];
        assert!(place(&mut p, &new, &old, Some("local")).is_err());
        let mut p = vec![patch("local"), patch("backport/x"), patch("")];
        place(&mut p, &new, &old, Some("backport/x")).unwrap();
        assert_eq!(names(&p), ["local", "backport/x", "backport/x"]);
        let mut p = vec![patch("local"), patch("backport/x"), patch("")];
        place(&mut p, &new, &old, Some("fixes")).unwrap();
        assert_eq!(names(&p), ["local", "backport/x", "fixes"]);
    }

    #[test]
    fn commits_among_known_patches_join_their_neighbours() {
        let old = state(&["a", "b"], &["a", "b"]);
        let mut p = vec![patch(""), patch("a"), patch(""), patch("b")];
        place(&mut p, &[true, false, true, false], &old, Some("z")).unwrap();
        assert_eq!(names(&p), ["a", "a", "a", "b"]);
    }

    #[test]
    fn reorder_follows_the_patches() {
        let mut s = state(&["a", "empty", "b", "packaging"], &["b", "a", "packaging"]);
        reorder(&mut s);
        let order: Vec<&str> = s.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(order, ["b", "a", "empty", "packaging"]);
    }
}
