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

/// Where the changelog is: Debian's `debian/changelog`, or Ubuntu kernel trees' `debian.master/changelog`
/// (their `debian/changelog` is generated from it).
pub const CHANGELOGS: [&str; 2] = ["debian.master/changelog", "debian/changelog"];

fn changelog_path(repo: &Repo, tree: Oid) -> Result<Option<&'static str>> {
    for p in CHANGELOGS {
        if repo.entry_at(tree, p.as_bytes())?.is_some() {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

pub fn detect(repo: &Repo, tree: Oid, config: &Config) -> Result<bool> {
    if matches!(config.changelog.as_str(), "debian" | "ubuntu") {
        return Ok(true);
    }
    let has_spec = repo.entry_at(tree, config.spec_path().as_bytes())?.is_some();
    Ok(!has_spec && changelog_path(repo, tree)?.is_some())
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
    /// `changelog = "ubuntu"` in pq.toml (otherwise an `ABI.upload` revision like `164.174` says so).
    pub ubuntu: bool,
}

pub fn plan(i: &Inputs<'_>) -> Result<Plan> {
    let repo = i.repo;
    let path = changelog_path(repo, i.head_tree)?
        .ok_or_else(|| Error::input("no debian/changelog").hint("start one with `dch --create`"))?;
    let (text, _) = read_text(repo, i.head_tree, path)?.expect("found above");
    let top = parse_debian_changelog_top(path, &text).map_err(packaging_error)?;
    let (makefile, _) = read_text(repo, i.head_tree, "Makefile")?.ok_or_else(|| {
        Error::input("the tree has no top-level Makefile to read the kernel version from")
            .hint("pq release works on a kernel tree: run it on a branch built on an upstream kernel")
    })?;
    let kernel = KernelVersion::from_makefile("Makefile", &makefile).map_err(packaging_error)?;
    let new_upstream = upstream_of(&kernel);
    let old_upstream = debian::upstream(&top.version).to_string();
    let revision = top.version.rsplit_once('-').map_or("", |(_, r)| r);
    let abi_upload = crate::packaging::static_regex!(r"^\d+\.\d+$");
    let ubuntu = i.ubuntu || abi_upload.is_match(revision);
    // Ubuntu keeps `5.15.0` as the upstream part of every 5.15 stable update (the sublevel is in the
    // tree, not the version).
    let same_upstream = old_upstream == new_upstream
        || old_upstream == kernel.numeric()
        || (ubuntu && old_upstream == format!("{}.0", kernel.base()));
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
    let mut ubuntu_commits = Vec::new();
    for id in repo.commits_between(&hide, i.head)? {
        let c = repo.commit(id)?;
        let subject = c.subject();
        if ubuntu {
            // Ubuntu lists every commit, its own packaging ones too; not its release commits.
            if c.parents.len() <= 1 && !subject.starts_with("UBUNTU: Ubuntu-") {
                ubuntu_commits.push(debian::UbuntuCommit {
                    subject,
                    message: c.message_lossy(),
                });
            }
            continue;
        }
        if c.parents.len() > 1 || subject.starts_with("[debian]") {
            continue;
        }
        let touched = repo.diff_trees(
            c.parents.first().map(|p| repo.commit_tree(*p)).transpose()?,
            Some(c.tree),
        )?;
        if !touched.is_empty() && touched.iter().all(|t| t.path.starts_with(b"debian")) {
            continue;
        }
        changes.push(debian::change(&subject, &c.message_lossy()));
    }
    // Oldest first.
    changes.reverse();
    let body = ubuntu.then(|| debian::ubuntu_body(&ubuntu_commits));
    let nothing_changed = same_upstream && changes.is_empty() && ubuntu_commits.is_empty();
    if ubuntu {
        stable.clear();
    }
    let entry = debian::entry(&DebianEntry {
        source: &top.package,
        version: &version,
        distribution: &top.distribution,
        urgency: top.urgency.as_deref().unwrap_or("medium"),
        stable: &stable,
        changes: &changes,
        body: body.as_deref(),
        maintainer: i.maintainer,
        date: i.date,
    });
    Ok(Plan {
        source: top.package.clone(),
        subject: if ubuntu {
            format!("UBUNTU: Ubuntu-{version}")
        } else {
            format!("Release {} ({version}).", top.package)
        },
        tag: if ubuntu {
            format!("Ubuntu-{}", version.replace('~', "_").replace(':', "%"))
        } else {
            tag_name(&version)
        },
        previous: format!("{} {}", top.package, top.version),
        files: vec![FileChange {
            path: path.to_string(),
            old: text.clone(),
            new: format!("{entry}{text}"),
        }],
        entry,
        version,
        warnings,
        nothing_changed,
    })
}
