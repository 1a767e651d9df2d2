//! A release of a tree packaged for Debian, with `debian/changelog` and no spec: the next version
//! (`stable-update`'s `<upstream>-1` when the upstream base moved, the revision counted up otherwise), an
//! entry listing the upstream stable commits the way `debian/bin/stable-update` does and the tree's own
//! changes with their `Closes:` and CVE ids, one commit `Release <source> (<version>).` and the tag
//! git-buildpackage names (`debian/<version>`, `~` written `_` and `:` written `%`).

use std::cmp::Ordering;

use crate::error::{Error, Result};
use crate::git::{Oid, Repo};
use crate::model::config::Config;
use crate::model::state::State;
use crate::packaging::changelog::parse_debian_changelog_top;
use crate::packaging::debian::{self, DebianEntry, StableUpdate};
use crate::packaging::kversion::KernelVersion;

use super::{packaging_error, read_text, FileChange};

pub const CHANGELOG: &str = "debian/changelog";

pub fn detect(repo: &Repo, tree: Oid, config: &Config) -> Result<bool> {
    if matches!(config.changelog.as_str(), "debian" | "ubuntu") {
        return Ok(true);
    }
    let has_spec = repo.entry_at(tree, config.spec_path().as_bytes())?.is_some();
    Ok(!has_spec && repo.entry_at(tree, CHANGELOG.as_bytes())?.is_some())
}

pub struct Plan {
    pub source: String,
    pub version: String,
    pub previous: String,
    pub entry: String,
    pub files: Vec<FileChange>,
    pub tag: String,
    pub subject: String,
    pub warnings: Vec<String>,
    pub nothing_changed: bool,
}

/// `debian/5.10.29-1`: git-buildpackage's `debian/%(version)s` with its substitutions.
pub fn tag_name(version: &str) -> String {
    format!("debian/{}", version.replace('~', "_").replace(':', "%"))
}

/// The Debian upstream version of a kernel: `5.10`, `5.10.29`, `6.8~rc3`.
fn upstream_of(k: &KernelVersion) -> String {
    let mut s = if k.sublevel == 0 { k.base() } else { k.numeric() };
    if let Some(rc) = k.rc {
        s.push_str(&format!("~rc{rc}"));
    }
    s
}

/// Subjects of `v<from>..v<to>^`, oldest first (stable-update's `git log --reverse v{cur}..v{next}^`): the
/// release commit itself is left out.
fn stable_subjects(repo: &Repo, from: &str, to: &str) -> Result<Option<Vec<String>>> {
    let (Some(a), Some(b)) = (
        repo.ref_target(&format!("refs/tags/v{from}"))?,
        repo.ref_target(&format!("refs/tags/v{to}"))?,
    ) else {
        return Ok(None);
    };
    let a = repo.resolve_commit(&a.to_string())?;
    let b = repo.resolve_commit(&b.to_string())?;
    let Some(tip) = repo.commit(b)?.parents.first().copied() else {
        return Ok(Some(Vec::new()));
    };
    let mut out = Vec::new();
    for id in repo.commits_between(&[a], tip)?.into_iter().rev() {
        let c = repo.commit(id)?;
        if c.parents.len() <= 1 {
            out.push(c.subject());
        }
    }
    Ok(Some(out))
}

pub struct Inputs<'a> {
    pub repo: &'a Repo,
    pub state: &'a State,
    pub head: Oid,
    pub head_tree: Oid,
    pub maintainer: &'a str,
    pub date: chrono::DateTime<chrono::FixedOffset>,
}

pub fn plan(i: &Inputs<'_>) -> Result<Plan> {
    let repo = i.repo;
    let (text, _) = read_text(repo, i.head_tree, CHANGELOG)?
        .ok_or_else(|| Error::input("no debian/changelog").hint("start one with `dch --create`"))?;
    let top = parse_debian_changelog_top(CHANGELOG, &text).map_err(packaging_error)?;
    let (makefile, _) = read_text(repo, i.head_tree, "Makefile")?.ok_or_else(|| {
        Error::input("the tree has no top-level Makefile to read the kernel version from")
            .hint("pq release works on a kernel tree: run it on a branch built on an upstream kernel")
    })?;
    let kernel = KernelVersion::from_makefile("Makefile", &makefile).map_err(packaging_error)?;
    let new_upstream = upstream_of(&kernel);
    let old_upstream = debian::upstream(&top.version).to_string();
    // Ubuntu keeps `5.15.0` as its upstream part where Debian writes `5.15`.
    let same_upstream = old_upstream == new_upstream || old_upstream == kernel.numeric();
    let version = debian::next_version(&top.version, if same_upstream { &old_upstream } else { &new_upstream });
    if debian::compare(&version, &top.version) != Ordering::Greater {
        return Err(Error::input(format!(
            "{} {version} would not sort after the current {} {}",
            top.package, top.package, top.version
        ))
        .hint("the tree's kernel version went backwards: release from the branch that carries it"));
    }

    // The stable releases between the old upstream and the new one, each with its upstream commits.
    let mut warnings = Vec::new();
    let mut stable = Vec::new();
    if !same_upstream {
        if let (Ok(old), true) = (KernelVersion::from_tag(&old_upstream), kernel.rc.is_none()) {
            if old.base() == kernel.base() && old.rc.is_none() && old.sublevel < kernel.sublevel {
                for s in old.sublevel + 1..=kernel.sublevel {
                    let from = if s - 1 == 0 {
                        kernel.base()
                    } else {
                        format!("{}.{}", kernel.base(), s - 1)
                    };
                    let to = format!("{}.{s}", kernel.base());
                    match stable_subjects(repo, &from, &to)? {
                        Some(subjects) => stable.push(StableUpdate { version: to, subjects }),
                        None => warnings.push(format!(
                            "tags v{from} and v{to} are not both in the repository: the entry does not list the stable commits of {to}"
                        )),
                    }
                }
            }
        }
    }

    // The tree's own changes since the previous release, packaging commits left out.
    let mut hide = vec![i.state.base_commit];
    if let Some(last) = i.state.releases.last() {
        if repo.is_ancestor(last.commit, i.head)? {
            hide = vec![last.commit];
        }
    }
    let mut changes = Vec::new();
    for id in repo.commits_between(&hide, i.head)?.into_iter().rev() {
        let c = repo.commit(id)?;
        let subject = c.subject();
        if c.parents.len() > 1 || subject.starts_with("[debian]") {
            continue;
        }
        let touched = repo.diff_trees(
            c.parents.first().map(|p| repo.commit_tree(*p)).transpose()?,
            Some(c.tree),
        )?;
        if !touched.is_empty() && touched.iter().all(|t| t.path.starts_with(b"debian/")) {
            continue;
        }
        changes.push(debian::change(&subject, &c.message_lossy()));
    }
    let nothing_changed = same_upstream && changes.is_empty();
    let entry = debian::entry(&DebianEntry {
        source: &top.package,
        version: &version,
        distribution: &top.distribution,
        urgency: top.urgency.as_deref().unwrap_or("medium"),
        stable: &stable,
        changes: &changes,
        maintainer: i.maintainer,
        date: i.date,
    });
    Ok(Plan {
        source: top.package.clone(),
        subject: format!("Release {} ({version}).", top.package),
        tag: tag_name(&version),
        previous: format!("{} {}", top.package, top.version),
        files: vec![FileChange {
            path: CHANGELOG.to_string(),
            old: text.clone(),
            new: format!("{entry}{text}"),
        }],
        entry,
        version,
        warnings,
        nothing_changed,
    })
}
