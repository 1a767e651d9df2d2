//! Reading and writing pq's state in git: `refs/pq/state/<branch>` points at a commit whose tree holds
//! `state.toml`; each change is a new commit on top of the previous one, so `git log -p` on the ref is the
//! state's full history, and `git push origin 'refs/pq/*'` carries it with the branch.

use gix::bstr::ByteSlice;

use crate::error::{Error, Result};
use crate::git::{Entry, Oid, Person, Repo};
use crate::model::config::Config;
use crate::model::state::State;

pub const STATE_FILE: &str = "state.toml";
/// Tracked per-tree configuration overriding the stored one.
pub const CONFIG_FILE: &str = "pq.toml";

pub fn state_ref(branch: &str) -> String {
    format!("refs/pq/state/{}", branch.strip_prefix("refs/heads/").unwrap_or(branch))
}

/// The state of `branch` and the commit holding it, if the branch is initialised.
pub fn load(repo: &Repo, branch: &str) -> Result<Option<(State, Oid)>> {
    let Some(commit) = repo.ref_target(&state_ref(branch))? else {
        return Ok(None);
    };
    let tree = repo.commit_tree(commit)?;
    let entry = repo.entry_at(tree, STATE_FILE.as_bytes())?.ok_or_else(|| {
        Error::corrupt(format!("{} has no {STATE_FILE}", state_ref(branch)))
            .hint("undo the last operation with `pq undo`")
    })?;
    let bytes = repo.blob(entry.id)?;
    let text = bytes
        .to_str()
        .map_err(|_| Error::corrupt("pq state is not UTF-8").hint("undo with `pq undo`"))?;
    let state = State::parse(text)?;
    Ok(Some((state, commit)))
}

/// Write the state as a new commit on top of `parent` (not moving any ref) and return its id.
pub fn write(repo: &Repo, state: &State, parent: Option<Oid>, message: &str, who: &Person) -> Result<Oid> {
    let blob = repo.write_blob(state.to_toml().as_bytes())?;
    let empty = Oid::empty_tree(gix::hash::Kind::Sha1);
    let tree = repo.edit_tree(
        empty,
        &[(
            STATE_FILE.into(),
            Some(Entry {
                mode: 0o100644,
                id: blob,
            }),
        )],
    )?;
    let parents: Vec<Oid> = parent.into_iter().collect();
    repo.write_commit(tree, &parents, who, who, message.as_bytes(), None)
}

/// The effective configuration at `tree`: the stored one, overlaid with a tracked `pq.toml`.
pub fn effective_config(repo: &Repo, stored: &Config, tree: Oid) -> Result<Config> {
    match repo.entry_at(tree, CONFIG_FILE.as_bytes())? {
        Some(e) if !e.is_tree() => {
            let bytes = repo.blob(e.id)?;
            let text = bytes
                .to_str()
                .map_err(|_| Error::input("pq.toml is not UTF-8").hint("fix pq.toml"))?;
            stored.overlay(text)
        }
        _ => Ok(stored.clone()),
    }
}
