//! A release of an ARK / CentOS Stream / RHEL source-git tree, as `make dist-release` followed by
//! `make dist-release-tag` cuts it:
//! - `dist-release-changed`: nothing to do when the upstream marker did not move and genlog finds no commit;
//! - `new_release.sh`: the next `RHEL_RELEASE` in `Makefile.rhelver` (y-stream, z-stream, branch, or kept
//!   with `BUMP_RELEASE = no`);
//! - `dist-release-finish`: the genlog entry on top of `redhat/kernel.changelog-X.Y`, the marker in
//!   `redhat/marker`, and one commit `[redhat] <DISTRELEASETAG>` (signed off, like `git commit -s`) of
//!   `Makefile.rhelver`, `redhat/marker`, the changelog file and the spec template;
//! - `dist-release-tag`: `git tag -a -m <DISTRELEASETAG> <DISTRELEASETAG>`.
//!
//! The NVR is the redhat/Makefile's: `<package>-<V.P.S>-<UPSTREAMBUILD><BUILD><DISTLOCALVERSION><DIST>`;
//! the tag carries the dist for RHEL and CentOS, not for Fedora.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use crate::error::{Error, Result};
use crate::git::{Oid, Repo};
use crate::model::config::Config;
use crate::model::state::State;
use crate::packaging::changelog::Commit;
use crate::packaging::genlog::{self, GenlogInput};
use crate::packaging::genspec::{buildid_line, SpecVars};
use crate::packaging::kversion::KernelVersion;
use crate::packaging::rhelver::{self, make_variable, RhelVer, Stream};
use crate::packaging::rpmvercmp::rpmvercmp;

use super::{packaging_error, read_text, FileChange};

pub const RHELVER: &str = "Makefile.rhelver";

/// Whether `tree` is laid out as a source-git tree: `Makefile.rhelver` at the top and the spec template in
/// the packaging directory.
pub fn detect(repo: &Repo, tree: Oid, config: &Config) -> Result<bool> {
    let template = format!("{}/kernel.spec.template", config.packaging.trim_end_matches('/'));
    Ok(repo.entry_at(tree, RHELVER.as_bytes())?.is_some() && repo.entry_at(tree, template.as_bytes())?.is_some())
}

/// Everything the release of a source-git tree is computed from and results in.
pub struct Plan {
    pub package: String,
    pub version: String,
    /// The full Release, dist included: `284.31.1.el9_2`.
    pub release: String,
    /// `DISTRELEASETAG`: commit subject and tag name.
    pub tag: String,
    pub entry: Option<String>,
    pub files: Vec<FileChange>,
    pub warnings: Vec<String>,
    /// The previous release as the changelog names it, for messages.
    pub previous: Option<String>,
    /// Nothing changed since the previous release (dist-release-changed's test).
    pub nothing_changed: bool,
    /// genspec.sh's substitutions for this release.
    pub spec_vars: SpecVars,
    /// The spec template's path and the changelog file's path.
    pub template: String,
    pub changelog_path: String,
    pub dist: Option<String>,
    pub fedora: bool,
    pub marker: String,
    /// The upstream commit the marker names (for a Fedora tarball of upstream sources).
    pub upstream: Oid,
    pub stream: Stream,
}

pub struct Inputs<'a> {
    pub repo: &'a Repo,
    pub state: &'a State,
    pub config: &'a Config,
    pub head: Oid,
    pub head_tree: Oid,
    pub dist: Option<&'a str>,
    pub local: Option<&'a str>,
    pub packager: &'a str,
    pub date: chrono::DateTime<chrono::FixedOffset>,
    /// Describe the release `head` already is (for its SRPM): RHEL_RELEASE as it stands, no checks.
    pub as_built: bool,
}

fn text(repo: &Repo, tree: Oid, path: &str) -> Result<Option<String>> {
    Ok(read_text(repo, tree, path)?.map(|(t, _)| t))
}

/// `git describe` of `id` against version tags: (tag, commits since, abbreviated id). gix's describe needs
/// a feature pq does not build, and this is a short walk over the base's history.
fn describe(repo: &Repo, id: Oid) -> Result<Option<(String, usize, String)>> {
    let mut tags: HashMap<Oid, String> = HashMap::new();
    for (name, target) in repo.tags()? {
        if KernelVersion::from_tag(&name).is_ok() {
            tags.insert(target, name);
        }
    }
    for c in repo.commits_between(&[], id)? {
        if let Some(name) = tags.get(&c) {
            let n = repo.commits_between(&[c], id)?.len();
            return Ok(Some((name.clone(), n, crate::git::short(&id))));
        }
    }
    Ok(None)
}

/// Commits of `hide..tip`, merges left out, in `git log --topo-order` order: a commit is shown only after
/// all its children, and a line of history is followed down before its siblings.
pub fn topo_order(repo: &Repo, hide: &[Oid], tip: Oid) -> Result<Vec<crate::git::CommitInfo>> {
    let ids = repo.commits_between(hide, tip)?;
    let set: HashSet<Oid> = ids.iter().copied().collect();
    let mut infos: HashMap<Oid, crate::git::CommitInfo> = HashMap::new();
    let mut indegree: HashMap<Oid, usize> = ids.iter().map(|i| (*i, 0)).collect();
    for id in &ids {
        let c = repo.commit(*id)?;
        for p in &c.parents {
            if set.contains(p) {
                *indegree.get_mut(p).expect("in set") += 1;
            }
        }
        infos.insert(*id, c);
    }
    // Tips in date order, then LIFO: git's sort_in_topological_order for --topo-order.
    let mut stack: Vec<Oid> = ids.iter().copied().filter(|i| indegree[i] == 0).collect();
    stack.reverse();
    let mut out = Vec::new();
    while let Some(id) = stack.pop() {
        let c = infos.remove(&id).expect("each commit once");
        for p in c.parents.iter().rev() {
            if let Some(d) = indegree.get_mut(p) {
                *d -= 1;
                if *d == 0 {
                    stack.push(*p);
                }
            }
        }
        if c.parents.len() <= 1 {
            out.push(c);
        }
    }
    Ok(out)
}

/// Strip the dist part (`.el9_2`, `.fc43`, `.eln130`) of a release for comparisons across trees that write
/// it in one place and not the other.
fn without_dist(release: &str) -> &str {
    let re = crate::packaging::static_regex!(r"\.(?:el\d|fc\d|eln\d*|module_el)[^-]*$");
    match re.find(release) {
        Some(m) => &release[..m.start()],
        None => release,
    }
}

pub fn plan(i: &Inputs<'_>) -> Result<Plan> {
    let repo = i.repo;
    let tree = i.head_tree;
    let pkgdir = i.config.packaging.trim_end_matches('/').to_string();
    let mut warnings = Vec::new();

    let makefile = text(repo, tree, "Makefile")?.ok_or_else(|| {
        Error::input("the tree has no top-level Makefile to read the kernel version from")
            .hint("pq release works on a kernel tree: run it on a branch built on an upstream kernel")
    })?;
    let kernel = KernelVersion::from_makefile("Makefile", &makefile).map_err(packaging_error)?;
    let rhelver_text = text(repo, tree, RHELVER)?.expect("detected");
    let rhel = RhelVer::parse(RHELVER, &rhelver_text).map_err(packaging_error)?;
    let variables = text(repo, tree, &format!("{pkgdir}/Makefile.variables"))?.unwrap_or_default();
    let var = |name: &str| {
        make_variable(&variables, name)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };

    let package = var("PACKAGE_NAME")
        .or_else(|| var("SPECPACKAGE_NAME"))
        .unwrap_or_else(|| i.config.package.clone());
    let dist = match i.dist {
        Some(d) => Some(format!(".{}", d.trim_start_matches('.'))),
        None => var("DIST").map(|d| format!(".{}", d.trim_start_matches('.'))),
    };
    let fedora = match &dist {
        Some(d) if d.contains(".fc") => true,
        _ => var("DISTRO").as_deref() == Some("fedora"),
    };

    // MARKER and UPSTREAMBUILD, as redhat/Makefile computes them.
    let extra = match kernel.rc {
        Some(rc) => format!("-rc{rc}{}", kernel.extra),
        None => kernel.extra.clone(),
    };
    let mut patchlevel = kernel.patchlevel;
    let tarball_name = if !extra.is_empty() {
        format!("{}.{}{}", kernel.version, kernel.patchlevel, extra)
    } else if kernel.sublevel == 0 {
        format!("{}.{}", kernel.version, kernel.patchlevel)
    } else {
        format!("{}.{}.{}", kernel.version, kernel.patchlevel, kernel.sublevel)
    };
    let mut upstreambuild = if extra.is_empty() {
        String::new()
    } else {
        format!("0{}.", extra.replacen('-', ".", 1))
    };
    let mut marker = format!("v{tarball_name}");
    let base = i.state.base_commit;
    // A base that is not a version tag is a snapshot of upstream (VERSION_ON_UPSTREAM): the marker is the
    // abbreviated commit id git describe names.
    if KernelVersion::from_tag(&i.state.base).is_err() {
        if let Some((_, n, abbrev)) = describe(repo, base)? {
            if n > 0 {
                marker = abbrev;
                if extra.is_empty() {
                    upstreambuild = "0.rc0.".to_string();
                    patchlevel += 1;
                }
                upstreambuild.push_str(&format!("{marker}."));
            }
        }
    }
    let last_marker = text(repo, tree, &format!("{pkgdir}/marker"))?
        .map(|m| m.trim().to_string())
        .unwrap_or_default();
    let rebased = marker != last_marker;
    let specversion = format!("{}.{}.{}", kernel.version, patchlevel, kernel.sublevel);

    // The stream and the next RHEL_RELEASE.
    let stream = match &i.config.stream {
        Some(s) => Stream::parse(s).ok_or_else(|| {
            Error::input(format!("unknown stream `{s}` (configuration key `stream`)"))
                .hint("use `y`, `z` or `branch` in pq.toml, or leave it out to follow ZSTREAM in Makefile.rhelver")
        })?,
        None => rhel.stream(),
    };
    let bump = !i.as_built
        && i.config
            .bump_release
            .unwrap_or_else(|| var("BUMP_RELEASE").as_deref() != Some("no"));
    let mut new_release = rhelver::next_release(&rhel.release, stream, bump).map_err(packaging_error)?;
    if !i.as_built && !i.config.release_start.is_default() && rebased {
        // The first release of a new upstream version starts where the configuration says
        // ("Reset RHEL_RELEASE for the next cycle").
        let start = i.config.release_start.text();
        rhelver::parse_release(&start).ok_or_else(|| {
            Error::input(format!(
                "release_start = \"{start}\" is not a RHEL_RELEASE (`N`, `N.N` or `N.N.N`)"
            ))
            .hint("write it like `release_start = \"284.31.1\"` or `release_start = 0` in pq.toml")
        })?;
        new_release = start;
    }
    let local = i.local.map(|l| format!(".{}", l.trim_start_matches('.')));
    let specbuild = format!("{upstreambuild}{new_release}{}", local.as_deref().unwrap_or(""));
    let baseversion = format!("{specversion}-{specbuild}");
    let dist_s = dist.clone().unwrap_or_default();
    let (disttag, distbaseversion) = if fedora {
        (format!("{package}-{baseversion}"), baseversion.clone())
    } else {
        (
            format!("{package}-{baseversion}{dist_s}"),
            format!("{baseversion}{dist_s}"),
        )
    };
    let release = format!("{specbuild}{dist_s}");

    // The previous release: pq's record, else genlog's grep for `[redhat] kernel-V.P`.
    let changelog_path = format!("{pkgdir}/{package}.changelog-{}.{}", rhel.major, rhel.minor);
    let changelog = text(repo, tree, &changelog_path)?.unwrap_or_default();
    let mut lasttag: Option<Oid> = None;
    if let Some(last) = i.state.releases.last() {
        let c = last.commit;
        if repo.is_ancestor(c, i.head)? {
            lasttag = Some(c);
        }
    }
    if lasttag.is_none() {
        let wanted = format!("[redhat] {package}-{}.{}", kernel.version, kernel.patchlevel);
        let mut at = i.head;
        while at != base {
            let c = repo.commit(at)?;
            if c.subject().starts_with(&wanted) {
                lasttag = Some(at);
                break;
            }
            match c.parents.first() {
                Some(p) => at = *p,
                None => break,
            }
        }
    }
    let mut hide = vec![base];
    hide.extend(lasttag);
    let commits: Vec<Commit> = topo_order(repo, &hide, i.head)?
        .into_iter()
        .map(|c| Commit {
            subject: c.subject(),
            author_name: c.author.name.clone(),
            body: c.message_lossy(),
        })
        .collect();
    let linux = format!(
        "v{specversion}{}{}",
        if upstreambuild.is_empty() { "" } else { "-" },
        upstreambuild.trim_end_matches('.')
    );
    let entry = genlog::entry(&GenlogInput {
        commits: &commits,
        packager: i.packager,
        date: i.date,
        version_release: &distbaseversion,
        linux: rebased.then_some(linux.as_str()),
    });
    let top =
        crate::packaging::changelog::parse_spec_changelog_top(&changelog_path, &changelog).map_err(packaging_error)?;
    let previous = top.as_ref().map(|t| format!("{package}-{}", t.version_release));
    // dist-release-changed: the marker is the same and genlog found nothing.
    let nothing_changed = !rebased && entry.as_ref().is_none_or(|e| e.lines().count() <= 3);

    // Never at or below the current release.
    if let Some(t) = &top {
        if let Some((v, r)) = t.version_release.rsplit_once('-') {
            let (pv, pr) = (v, without_dist(r));
            let order = match rpmvercmp(&specversion, pv) {
                Ordering::Equal => rpmvercmp(without_dist(&release), pr),
                o => o,
            };
            if order != Ordering::Greater && !nothing_changed && !i.as_built {
                return Err(Error::input(format!(
                    "{package}-{specversion}-{release} would not sort after the current {package}-{}: rpm orders it {}",
                    t.version_release,
                    if order == Ordering::Equal { "the same" } else { "lower" }
                ))
                .hint(if bump {
                    "check RHEL_RELEASE in Makefile.rhelver and `stream` / ZSTREAM: a z-stream release needs `ZSTREAM ?= yes`"
                } else {
                    "BUMP_RELEASE is no, so only a new upstream version makes a newer release: set `bump_release = true` in pq.toml"
                }));
            }
        }
    }

    let mut files = Vec::new();
    if new_release != rhel.release {
        files.push(FileChange {
            path: RHELVER.to_string(),
            old: rhelver_text.clone(),
            new: rhelver::set_release(&rhelver_text, &new_release),
        });
    }
    let marker_path = format!("{pkgdir}/marker");
    let old_marker = text(repo, tree, &marker_path)?.unwrap_or_default();
    files.push(FileChange {
        path: marker_path,
        old: old_marker,
        new: format!("{marker}\n"),
    });
    if let Some(e) = &entry {
        files.push(FileChange {
            path: changelog_path.clone(),
            old: changelog.clone(),
            new: format!("{e}{changelog}"),
        });
    }
    files.retain(|f| f.old != f.new);

    // genspec.sh's values, for the SRPM and for checking the NVR with rpmspec.
    let flag = |name: &str, default: &str| var(name).unwrap_or_else(|| default.to_string());
    let mut v = SpecVars::default();
    v.set("BUILDID", buildid_line(local.as_deref()));
    v.set("KVERSION", kernel.version.to_string());
    v.set("KPATCHLEVEL", patchlevel.to_string());
    v.set("BUILD", specbuild.clone());
    v.set(
        "RELEASE",
        format!("{upstreambuild}{new_release}%{{?buildid}}%{{?dist}}"),
    );
    v.set(
        "RELEASED_KERNEL",
        flag("RELEASED_KERNEL", if fedora { "0" } else { "1" }),
    );
    v.set(
        "INCLUDE_FEDORA_FILES",
        flag("INCLUDE_FEDORA_FILES", if fedora { "1" } else { "0" }),
    );
    v.set(
        "INCLUDE_RHEL_FILES",
        flag("INCLUDE_RHEL_FILES", if fedora { "0" } else { "1" }),
    );
    v.set("PATCHLIST_CHANGELOG", "0");
    v.set("INCLUDE_RT_FILES", flag("INCLUDE_RT_FILES", "0"));
    v.set("INCLUDE_AUTOMOTIVE_FILES", flag("INCLUDE_AUTOMOTIVE_FILES", "0"));
    v.set("VERSION", specversion.clone());
    v.set("RPMVERSION", specversion.clone());
    let tarfile_release = if fedora {
        tarball_name.clone()
    } else {
        distbaseversion.clone()
    };
    v.set(
        "KABIVERSION",
        if fedora {
            specversion.clone()
        } else {
            distbaseversion.clone()
        },
    );
    v.set("TARFILE_RELEASE", tarfile_release);
    v.set("PACKAGE_NAME", package.clone());
    v.set("GEMINI", flag("GEMINI", "0"));
    v.set("SELFTESTS_MUST_BUILD", flag("SPECSELFTESTS_MUST_BUILD", "0"));

    if lasttag.is_none() && !i.state.releases.is_empty() {
        warnings.push(
            "the previous release commit is not on this branch any more (rebased?): the changelog lists every commit since the base"
                .to_string(),
        );
    }
    Ok(Plan {
        package,
        version: specversion,
        release,
        tag: disttag,
        entry,
        files,
        warnings,
        previous,
        nothing_changed,
        spec_vars: v,
        template: format!("{pkgdir}/kernel.spec.template"),
        changelog_path,
        dist,
        fedora,
        marker,
        upstream: base,
        stream,
    })
}
