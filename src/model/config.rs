//! pq's configuration: where the packaging lives, how provenance is written, how releases are named.
//!
//! Stored with the branch state; a tracked `pq.toml` at the top of the tree, when present, overrides it key by
//! key, so a team can review its settings like any other change.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::provenance::Style;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Directory holding the packaging (`redhat/`, `debian/`).
    pub packaging: String,
    /// Provenance style for new backports.
    pub style: Style,
    /// Package name for release tags and NVRs (`kernel`, `kernel-lts-generic-61y`).
    pub package: String,
    /// The spec file, relative to the top of the tree (default: `<packaging>/kernel.spec`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
    /// First release of a new version on this branch (ARK 0, Fedora stable 300, LTS rebuilds 1000); in a
    /// source-git tree a `RHEL_RELEASE` value such as `"284.31.1"`.
    pub release_start: ReleaseStartValue,
    /// Changelog style: `auto` (follow the tree), `ark` (`[V-R]`), `fedora` (` - V-R`), `debian`, `ubuntu`.
    pub changelog: String,
    /// Source-git stream, `y`, `z` or `branch` (new_release.sh's ZSTREAM_FLAG); default: Makefile.rhelver's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// Source-git `BUMP_RELEASE`; default: redhat/Makefile.variables' (yes when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bump_release: Option<bool>,
    /// Also write a `debian/changelog` entry.
    pub debian_changelog: bool,
    /// Release commit subject and tag; `{name}` is `<package>-<version>-<release>`.
    pub release_subject: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            packaging: "redhat".into(),
            style: Style::X,
            package: "kernel".into(),
            spec: None,
            release_start: ReleaseStartValue::Number(0),
            changelog: "auto".into(),
            stream: None,
            bump_release: None,
            debian_changelog: false,
            release_subject: "[redhat] {name}".into(),
        }
    }
}

/// `release_start` as written: a number (`300`) or a string (`"284.31.1"`, `"fedora-stable"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ReleaseStartValue {
    Number(u32),
    Text(String),
}

impl ReleaseStartValue {
    /// The plain build number a dist-git spec starts at (a preset name is resolved, `284.31.1` is not one).
    pub fn number(&self) -> Option<u32> {
        match self {
            ReleaseStartValue::Number(n) => Some(*n),
            ReleaseStartValue::Text(t) => t
                .parse()
                .ok()
                .or_else(|| crate::packaging::nvr::ReleaseStart::from_preset(t).map(|s| s.0)),
        }
    }

    pub fn text(&self) -> String {
        match self {
            ReleaseStartValue::Number(n) => n.to_string(),
            ReleaseStartValue::Text(t) => t.clone(),
        }
    }

    pub fn is_default(&self) -> bool {
        *self == ReleaseStartValue::Number(0)
    }
}

impl Config {
    /// Overlay the keys set in a tracked `pq.toml`.
    pub fn overlay(&self, text: &str) -> Result<Config> {
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            Error::input(format!("pq.toml is malformed: {}", e.message().trim()))
                .hint("fix pq.toml (see `pq help config` in the book's Configuration chapter)")
        })?;
        let mut base = toml::Table::try_from(self).expect("config serializes");
        for (k, v) in table {
            if k == "schema" {
                continue;
            }
            base.insert(k, v);
        }
        base.try_into().map_err(|e: toml::de::Error| {
            Error::input(format!("pq.toml is malformed: {}", e.message().trim()))
                .hint("fix pq.toml (see the book's Configuration chapter)")
        })
    }

    pub fn spec_path(&self) -> String {
        self.spec
            .clone()
            .unwrap_or_else(|| format!("{}/kernel.spec", self.packaging.trim_end_matches('/')))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_sets_only_given_keys() {
        let c = Config::default()
            .overlay("packaging = \"debian\"\nstyle = \"rhel\"\n")
            .unwrap();
        assert_eq!(c.packaging, "debian");
        assert_eq!(c.style, Style::Rhel);
        assert_eq!(c.package, "kernel");
    }

    #[test]
    fn overlay_rejects_unknown_keys_and_values() {
        assert!(Config::default().overlay("nonsense = 1\n").is_err());
        assert!(Config::default().overlay("style = \"fancy\"\n").is_err());
        assert!(Config::default().overlay("style = ").is_err());
    }

    #[test]
    fn release_start_takes_a_number_or_a_rhel_release() {
        let c = Config::default()
            .overlay("release_start = \"284.31.1\"\nstream = \"z\"\n")
            .unwrap();
        assert_eq!(c.release_start, ReleaseStartValue::Text("284.31.1".into()));
        assert_eq!(c.release_start.number(), None);
        assert_eq!(c.stream.as_deref(), Some("z"));
        let c = Config::default().overlay("release_start = 300\n").unwrap();
        assert_eq!(c.release_start.number(), Some(300));
        let c = Config::default()
            .overlay("release_start = \"fedora-stable\"\n")
            .unwrap();
        assert_eq!(c.release_start.number(), Some(300));
    }
}
