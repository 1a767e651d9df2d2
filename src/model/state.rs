//! pq's state for one branch: the upstream base, the ordered series and their patches, release history.
//!
//! It is kept as `state.toml` in a commit on `refs/pq/state/<branch>` (see [`crate::model::store`]), never in
//! the branch itself: a tracked file listing the branch's own commit ids would go stale at every rewrite.
//! Each change to the state is a new commit on that ref, so the ref's history is the state's history.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::git::Oid;
use crate::model::config::Config;

/// The schema this version of pq reads and writes.
pub const SCHEMA: u32 = 1;

/// What a commit on the branch is, to pq.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PatchKind {
    /// A change to the sources.
    #[default]
    Patch,
    /// A change only to the packaging directory.
    Packaging,
    /// A release commit made by `pq release` (changelog and version bump).
    Release,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patch {
    /// The commit on the branch.
    #[serde(with = "crate::git::id::hex")]
    pub commit: Oid,
    /// The series it belongs to.
    pub series: String,
    #[serde(default, skip_serializing_if = "is_default_kind")]
    pub kind: PatchKind,
    /// The upstream commit it is a backport of.
    #[serde(default, with = "crate::git::id::hex_opt", skip_serializing_if = "Option::is_none")]
    pub origin: Option<Oid>,
    /// The downstream commit it was picked from when that was not the upstream one (a stable backport).
    #[serde(default, with = "crate::git::id::hex_opt", skip_serializing_if = "Option::is_none")]
    pub via: Option<Oid>,
    /// Paths resolved by hand when it was picked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<String>,
}

fn is_default_kind(k: &PatchKind) -> bool {
    *k == PatchKind::Patch
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    pub name: String,
}

/// A patch a rebase dropped, kept so nothing disappears silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dropped {
    #[serde(with = "crate::git::id::hex")]
    pub commit: Oid,
    pub series: String,
    pub subject: String,
    #[serde(default, with = "crate::git::id::hex_opt", skip_serializing_if = "Option::is_none")]
    pub origin: Option<Oid>,
    pub reason: String,
    /// The base it was dropped at.
    pub base: String,
}

/// An upstream commit a backport chose not to pick (its pick came out empty, or the user skipped it with
/// `pq skip`), kept so a re-run of the backport does not pick it again unless asked to (`--retry`).
/// Added within schema 1: older files simply have none, and older pq versions ignore the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declined {
    /// The upstream commit.
    #[serde(with = "crate::git::id::hex")]
    pub commit: Oid,
    pub series: String,
    pub subject: String,
    pub reason: String,
}

/// One release made by `pq release`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    #[serde(with = "crate::git::id::hex")]
    pub commit: Oid,
    pub nvr: String,
    pub tag: String,
    /// The base the release was made on (a changed base later yields `- Linux vX.Y.Z`).
    pub base: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub schema: u32,
    /// The branch, as a full ref name.
    pub branch: String,
    /// The upstream base as the user named it (`v6.7.1`, `fedora-6.8`).
    pub base: String,
    /// The commit the base resolved to.
    #[serde(with = "crate::git::id::hex")]
    pub base_commit: Oid,
    /// The branch tip this state describes; anything else means the branch moved outside pq.
    #[serde(with = "crate::git::id::hex")]
    pub tip: Oid,
    #[serde(default)]
    pub config: Config,
    /// Series in stack order, bottom first.
    #[serde(default)]
    pub series: Vec<Series>,
    /// Every commit between base and tip, oldest first.
    #[serde(default)]
    pub patches: Vec<Patch>,
    #[serde(default)]
    pub releases: Vec<Release>,
    #[serde(default)]
    pub dropped: Vec<Dropped>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declined: Vec<Declined>,
}

impl State {
    pub fn parse(text: &str) -> Result<State> {
        #[derive(Deserialize)]
        struct Probe {
            schema: Option<u32>,
        }
        let probe: Probe = toml::from_str(text).map_err(|e| {
            Error::corrupt(format!("pq state is malformed: {}", first_line(&e.to_string())))
                .hint("inspect it with `git show refs/pq/state/<branch>:state.toml`, or undo with `pq undo`")
        })?;
        match probe.schema {
            Some(SCHEMA) => {}
            Some(n) if n > SCHEMA => {
                return Err(Error::state(format!(
                    "pq state has schema {n}, newer than this pq understands ({SCHEMA})"
                ))
                .hint("upgrade pq"))
            }
            Some(n) => return Err(Error::corrupt(format!("pq state has unknown schema {n}"))),
            None => {
                return Err(Error::corrupt("pq state has no `schema` field").hint("re-adopt the branch with `pq adopt`"))
            }
        }
        let state: State = toml::from_str(text).map_err(|e| {
            Error::corrupt(format!("pq state is malformed: {}", first_line(&e.to_string())))
                .hint("inspect it with `git show refs/pq/state/<branch>:state.toml`, or undo with `pq undo`")
        })?;
        state.validate()?;
        Ok(state)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("state serializes")
    }

    /// Checks serde cannot express: every patch's series is defined.
    pub fn validate(&self) -> Result<()> {
        for p in &self.patches {
            if !self.series.iter().any(|s| s.name == p.series) {
                return Err(Error::corrupt(format!(
                    "pq state lists patch {} in series '{}', which it does not define",
                    crate::git::short(&p.commit),
                    p.series
                ))
                .hint("re-adopt the branch with `pq adopt`"));
            }
        }
        Ok(())
    }

    pub fn branch_short(&self) -> &str {
        self.branch.strip_prefix("refs/heads/").unwrap_or(&self.branch)
    }

    pub fn patches_in<'a>(&'a self, series: &'a str) -> impl Iterator<Item = &'a Patch> + 'a {
        self.patches.iter().filter(move |p| p.series == series)
    }

    /// Make sure a series exists; new ones go on top of the stack, below the packaging series if any.
    pub fn ensure_series(&mut self, name: &str) {
        if !self.series.iter().any(|s| s.name == name) {
            self.series.push(Series { name: name.to_string() });
        }
    }

    /// Position of a series in the stack.
    pub fn series_index(&self, name: &str) -> Option<usize> {
        self.series.iter().position(|s| s.name == name)
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(c: char) -> Oid {
        crate::git::id::parse(&c.to_string().repeat(40)).unwrap()
    }

    fn sample() -> State {
        State {
            schema: SCHEMA,
            branch: "refs/heads/fedora-6.7".into(),
            base: "v6.7.1".into(),
            base_commit: id('a'),
            tip: id('b'),
            config: Config::default(),
            series: vec![
                Series { name: "local".into() },
                Series {
                    name: "packaging".into(),
                },
            ],
            patches: vec![Patch {
                commit: id('b'),
                series: "local".into(),
                kind: PatchKind::Patch,
                origin: Some(id('c')),
                via: None,
                conflicts: vec![],
            }],
            releases: vec![],
            dropped: vec![],
            declined: vec![],
        }
    }

    #[test]
    fn roundtrip() {
        let s = sample();
        assert_eq!(State::parse(&s.to_toml()).unwrap(), s);
    }

    #[test]
    fn schema_1_files_without_declined_still_read() {
        let mut s = sample();
        s.declined.push(Declined {
            commit: Oid::from_hex("d".repeat(40).as_bytes()).unwrap(),
            series: "local".into(),
            subject: "x".into(),
            reason: "skipped with `pq skip`".into(),
        });
        let text = s.to_toml();
        assert!(text.contains("[[declined]]"), "{text}");
        assert_eq!(State::parse(&text).unwrap(), s);
        let old = sample().to_toml();
        assert!(!old.contains("declined"), "{old}");
        assert!(State::parse(&old).unwrap().declined.is_empty());
    }

    #[test]
    fn future_schema_is_refused() {
        let text = sample().to_toml().replace("schema = 1", "schema = 7");
        let err = State::parse(&text).unwrap_err();
        assert!(err.message.contains("newer than this pq"), "{}", err.message);
    }

    #[test]
    fn malformed_is_one_line() {
        let err = State::parse("schema = 1\nbranch = [").unwrap_err();
        assert!(!err.message.contains('\n'));
        let err = State::parse("schema = 1\n").unwrap_err();
        assert!(err.message.starts_with("pq state is malformed"), "{}", err.message);
    }

    #[test]
    fn invalid_commit_ids_are_refused() {
        // Found by the fuzzer: a non-ASCII character inside an id used to panic when the id was abbreviated.
        let good = "b".repeat(40);
        let text = sample().to_toml();
        let bad = text.replacen(
            &format!("commit = \"{good}\""),
            "commit = \"bbbbbbbbbbb\u{fffd}bbbbbbbbbbbbbbbbbbbbbbbbbbbb\"",
            1,
        );
        assert_ne!(bad, text);
        let err = State::parse(&bad).unwrap_err();
        assert!(err.message.contains("invalid object id"), "{}", err.message);
        assert!(!err.message.contains('\n'));
        let bad = text.replace(&format!("tip = \"{good}\""), "tip = \"1234\"");
        assert_ne!(bad, text);
        assert!(State::parse(&bad).is_err());
    }

    #[test]
    fn unknown_series_is_refused() {
        let mut s = sample();
        s.patches[0].series = "nope".into();
        assert!(State::parse(&s.to_toml()).is_err());
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = State::parse(&s);
        }
    }
}
