//! `pq release`: cut a release of the branch. The version comes from the tree's own Makefile, the release
//! number from the earlier releases (pq's state, or the spec's newest changelog entry for trees pq did not
//! release before), the changelog entry from the commits since the previous release. One release commit
//! (only the packaging files change) and an annotated tag land in the same ref transaction as the state.
//!
//! After `pq rebase` the previous release commit is no longer in the branch (rebase does not replay release
//! commits). Its changelog entries are carried forward: they are read from that commit (still reachable
//! through its tag and the operation log) and the new entry goes on top of them.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, FixedOffset, TimeZone};
use gix::bstr::BString;

use crate::error::{Error, Result};
use crate::git::{Entry, Oid, Person, RefUpdate, Repo};
use crate::model::config::Config;
use crate::model::state::{Patch, PatchKind, Release, State};
use crate::model::store::effective_config;
use crate::ops::{short_branch, Transaction, Workspace};
use crate::packaging::changelog::{
    format_entry, parse_debian_changelog_top, parse_spec_changelog_top, ChangelogStyle, Commit, DebianTarget,
    EntryInput,
};
use crate::packaging::kversion::KernelVersion;
use crate::packaging::nvr::{NextRelease, Nvr, PrereleaseStyle, ReleaseParts, ReleaseScheme, ReleaseStart};
use crate::packaging::spec::{prepend_changelog_entry, ChangelogLocation, Spec};
use crate::packaging::PackagingError;

pub mod debian;
pub mod sourcegit;

pub struct ReleaseOptions {
    pub dist: Option<String>,
    pub local: Option<String>,
    pub dry_run: bool,
    pub sign: bool,
    pub srpm: Option<PathBuf>,
    pub force: bool,
    pub command: String,
}

/// One packaging file the release changes.
#[derive(Debug, Clone)]
pub struct FileChange {
    pub path: String,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Default)]
pub struct ReleaseReport {
    pub branch: String,
    pub nvr: String,
    pub version: String,
    pub release: String,
    pub tag: String,
    /// The RPM changelog entry written.
    pub changelog: String,
    /// The debian/changelog entry, when one is written.
    pub debian_changelog: Option<String>,
    pub files: Vec<FileChange>,
    pub warnings: Vec<String>,
    /// The release commit (not on a dry run).
    pub commit: Option<Oid>,
    pub dry_run: bool,
    /// Set when there was nothing to release: the previous release's name.
    pub nothing_changed: Option<String>,
    /// Outcome of `git tag -s`, when signing was asked for.
    pub signed: Option<std::result::Result<(), String>>,
    /// The source RPM written with `--srpm`, or why building it failed (the release stands either way).
    pub srpm: Option<std::result::Result<PathBuf, Error>>,
}

pub(crate) fn packaging_error(e: PackagingError) -> Error {
    let hint = match &e {
        PackagingError::NotNewer { .. } => {
            "release with a higher number (`--local`), or fix the earlier release recorded in the spec's %changelog"
        }
        PackagingError::AtLine { .. } | PackagingError::InFile { .. } => {
            "fix the file at the place named, commit, and run `pq release` again"
        }
        _ => "check the values given on the command line and in pq.toml",
    };
    Error::input(e.to_string()).hint(hint)
}

pub(crate) fn read_text(repo: &Repo, tree: Oid, path: &str) -> Result<Option<(String, Entry)>> {
    let Some(entry) = repo.entry_at(tree, path.as_bytes())? else {
        return Ok(None);
    };
    if entry.is_tree() {
        return Ok(None);
    }
    let bytes = repo.blob(entry.id)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::input(format!("{path} is not UTF-8 text")).hint("convert it to UTF-8 and commit"))?;
    Ok(Some((text, entry)))
}

/// `6.7.1-0` (or `1:6.7.1-0`) from a changelog header as an NVR of `package`.
fn nvr_from_header(package: &str, vr: &str) -> Option<Nvr> {
    let vr = vr.split_once(':').map_or(vr, |(_, rest)| rest);
    let (version, release) = vr.rsplit_once('-')?;
    if version.is_empty() || release.is_empty() {
        return None;
    }
    Some(Nvr {
        name: package.to_string(),
        version: version.to_string(),
        release: release.to_string(),
    })
}

/// The directory part of a path in the tree (`redhat` for `redhat/kernel.spec`).
fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn join(dir: &str, file: &str) -> String {
    if dir.is_empty() {
        file.to_string()
    } else {
        format!("{dir}/{file}")
    }
}

/// Where the RPM changelog of a tree lives and what it holds.
struct ChangelogFile {
    /// None: inline in the spec; Some: the included file.
    external: Option<String>,
    text: String,
}

fn locate_changelog(repo: &Repo, tree: Oid, spec: &Spec, spec_path: &str, config: &Config) -> Result<ChangelogFile> {
    match spec.changelog_location().map_err(|e| {
        packaging_error(e).hint(format!(
            "add a `%changelog` section at the end of {spec_path}, commit it, and run `pq release` again"
        ))
    })? {
        ChangelogLocation::Inline { .. } => Ok(ChangelogFile {
            external: None,
            text: spec.changelog_text().map_err(packaging_error)?.to_string(),
        }),
        ChangelogLocation::External { line, file } => {
            // ARK keeps kernel.changelog-X.Y next to the spec; sources may also sit in the packaging dir.
            let candidates = [join(parent_dir(spec_path), &file), join(&config.packaging, &file)];
            for c in &candidates {
                if let Some((text, _)) = read_text(repo, tree, c)? {
                    return Ok(ChangelogFile {
                        external: Some(c.clone()),
                        text,
                    });
                }
            }
            Err(Error::input(format!(
                "{spec_path}:{line}: %changelog includes {file}, which is not in the tree (looked for {})",
                candidates.join(" and ")
            ))
            .hint("commit the changelog file next to the spec, or make the %changelog section inline"))
        }
    }
}

/// Split a changelog text into entries: each starts at a `* ` header and runs to the next blank line.
fn entry_blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with('*') {
            if let Some(c) = current.take() {
                out.push(c);
            }
            current = Some(format!("{line}\n"));
        } else if line.trim().is_empty() {
            if let Some(c) = current.take() {
                out.push(c);
            }
        } else if let Some(c) = current.as_mut() {
            c.push_str(line);
            c.push('\n');
        }
    }
    out.extend(current);
    out
}

/// The changelog to continue after a rebase dropped the previous release commit: the old release's text,
/// with entries that only the current tree has (added by packaging commits since) placed above it.
fn carry_forward(current: &str, old: &str) -> String {
    let old_headers: HashSet<String> = entry_blocks(old)
        .iter()
        .filter_map(|b| b.lines().next().map(str::to_string))
        .collect();
    let mut out = String::new();
    for b in entry_blocks(current) {
        if b.lines().next().is_some_and(|h| !old_headers.contains(h)) {
            out.push_str(&b);
            out.push('\n');
        }
    }
    out.push_str(old);
    out
}

/// Replace the inline `%changelog` section's text of a spec.
fn replace_inline_changelog(spec: &Spec, new_text: &str) -> Result<Spec> {
    let section = spec.changelog_text().map_err(packaging_error)?;
    let start = section.as_ptr() as usize - spec.text().as_ptr() as usize;
    let end = start + section.len();
    let mut text = String::with_capacity(spec.text().len() + new_text.len());
    text.push_str(&spec.text()[..start]);
    text.push_str(new_text);
    text.push_str(&spec.text()[end..]);
    Ok(Spec::new(spec.file(), text))
}

fn person_date(p: &Person) -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt(p.offset).unwrap_or_else(|| FixedOffset::east_opt(0).expect("utc"));
    offset
        .timestamp_opt(p.time, 0)
        .single()
        .unwrap_or_else(|| offset.timestamp_opt(0, 0).single().expect("epoch"))
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).is_file()))
        .unwrap_or(false)
}

/// What the previous release is and which commits came since.
struct Since {
    commits: Vec<crate::git::CommitInfo>,
    /// The previous release's name, for "nothing changed since ...".
    previous: Option<String>,
    /// The spec changelog of a release commit a rebase dropped, to carry forward.
    carried: Option<Oid>,
}

fn commits_since(repo: &Repo, state: &State, head: Oid, top: Option<&Nvr>) -> Result<Since> {
    let base = state.base_commit;
    let mut hide = vec![base];
    let mut exclude: HashSet<(String, String, i64)> = HashSet::new();
    let mut carried = None;
    let mut previous = top.map(|n| n.to_string());
    if let Some(last) = state.releases.last() {
        previous = Some(last.tag.clone());
        let rel = last.commit;
        if repo.is_ancestor(rel, head)? {
            hide = vec![rel];
        } else {
            // Dropped by a rebase: leave out the commits that release already listed (matched by subject,
            // author and author time, which a rebase keeps).
            carried = Some(rel);
            for id in repo.commits_between(&[base], rel)? {
                let c = repo.commit(id)?;
                exclude.insert((c.subject(), c.author.email.clone(), c.author.time));
            }
        }
    } else if let Some(p) = state.patches.iter().rev().find(|p| p.kind == PatchKind::Release) {
        // A release commit pq did not make (adopted with `pq init`): ARK's tooling starts from it too.
        let rel = p.commit;
        if repo.is_ancestor(rel, head)? {
            hide = vec![rel];
            previous = Some(repo.commit(rel)?.subject());
        }
    }
    let mut commits = Vec::new();
    for id in repo.commits_between(&hide, head)?.into_iter().rev() {
        let c = repo.commit(id)?;
        if c.parents.len() > 1 {
            continue;
        }
        if exclude.contains(&(c.subject(), c.author.email.clone(), c.author.time)) {
            continue;
        }
        commits.push(c);
    }
    Ok(Since {
        commits,
        previous,
        carried,
    })
}

pub fn release(dir: &Path, opts: &ReleaseOptions) -> Result<ReleaseReport> {
    let mut ws = Workspace::open_for(dir, opts.dry_run)?;
    let (state, _) = ws.require_state()?;
    let state = state.clone();
    let repo = &ws.repo;
    let head = ws.head;
    let head_tree = ws.head_tree()?;
    let config = effective_config(repo, &state.config, head_tree)?;
    let mut warnings: Vec<String> = Vec::new();

    if opts.srpm.is_some() && !opts.dry_run && !on_path("rpmbuild") {
        return Err(
            Error::input("rpmbuild is not installed: install rpm-build (Fedora) or rpm (Debian)")
                .hint("or release without --srpm and build the source RPM elsewhere"),
        );
    }

    if sourcegit::detect(repo, head_tree, &config)? {
        return release_source_git(ws, state, config, opts);
    }
    if debian::detect(repo, head_tree, &config)? {
        let ubuntu = config.changelog == "ubuntu";
        return release_debian(ws, state, opts, ubuntu);
    }

    // The version, from the tree itself.
    let (makefile, _) = read_text(repo, head_tree, "Makefile")?.ok_or_else(|| {
        Error::input("the tree has no top-level Makefile to read the kernel version from")
            .hint("pq release works on a kernel tree: run it on a branch built on an upstream kernel")
    })?;
    let kernel = KernelVersion::from_makefile("Makefile", &makefile).map_err(packaging_error)?;
    if let Ok(tagged) = KernelVersion::from_tag(&state.base) {
        let diffs = kernel.differences(&tagged);
        if !diffs.is_empty() {
            warnings.push(format!(
                "the Makefile says {kernel} but the base {} says {tagged} ({})",
                state.base,
                diffs.join(", ")
            ));
        }
    }

    // The spec and its changelog.
    let spec_path = config.spec_path();
    let (spec_text, _) = read_text(repo, head_tree, &spec_path)?.ok_or_else(|| {
        Error::input(format!("no spec file at {spec_path} (configuration key `spec`)")).hint(format!(
            "set `spec = \"path/to/kernel.spec\"` in a tracked pq.toml, or commit the spec at {spec_path}"
        ))
    })?;
    let spec = Spec::new(spec_path.clone(), spec_text.clone());
    let changelog = locate_changelog(repo, head_tree, &spec, &spec_path, &config)?;
    let changelog_name = changelog.external.clone().unwrap_or_else(|| spec_path.clone());
    let top = parse_spec_changelog_top(&changelog_name, &changelog.text).map_err(packaging_error)?;
    let style = match config.changelog.as_str() {
        "fedora" => ChangelogStyle::FedoraDistGit,
        "ark" => ChangelogStyle::Ark,
        // The default follows the format the tree already uses.
        "auto" => top.as_ref().map_or(ChangelogStyle::Ark, |h| h.style.style()),
        other => {
            return Err(Error::input(format!(
                "unknown changelog style `{other}` (configuration key `changelog`)"
            ))
            .hint("use `auto`, `ark` (`[V-R]` headers) or `fedora` (` - V-R` headers) in pq.toml"))
        }
    };
    let top_nvr = top
        .as_ref()
        .and_then(|h| nvr_from_header(&config.package, &h.version_release));

    // What came since the previous release.
    let since = commits_since(repo, &state, head, top_nvr.as_ref())?;
    let base_moved = match state.releases.last() {
        Some(last) => last.base != state.base,
        // A tree pq did not release before: its newest changelog entry names the last version built.
        None => top_nvr.as_ref().is_some_and(|t| t.version != kernel.numeric()),
    };
    if since.commits.is_empty() && !base_moved && !opts.force {
        return Ok(ReleaseReport {
            branch: short_branch(&ws.branch).to_string(),
            nothing_changed: Some(since.previous.unwrap_or_else(|| state.base.clone())),
            dry_run: opts.dry_run,
            ..Default::default()
        });
    }
    if !opts.dry_run {
        refuse_dirty(&ws)?;
    }

    // The NVR.
    let mut previous: Vec<Nvr> = Vec::new();
    for r in &state.releases {
        if let Ok(n) = Nvr::parse(&r.nvr) {
            previous.push(n);
        }
    }
    previous.extend(top_nvr.clone());
    // Fedora keeps each branch in its own hundred (rawhide 1, stable 300, N-1 200, N-2 100): a new version
    // starts at the hundred the spec's build number is in, unless pq.toml says otherwise.
    let spec_number = spec
        .macro_value("baserelease")
        .or_else(|| spec.macro_value("pkgrelease"))
        .and_then(|v| v.parse::<u32>().ok());
    let start = if config.release_start.is_default() {
        spec_number.map_or(0, |b| if b >= 100 { b / 100 * 100 } else { b.min(1) })
    } else {
        config.release_start.number().ok_or_else(|| {
            Error::input(format!(
                "release_start = \"{}\" is not a build number for {spec_path}",
                config.release_start.text()
            ))
            .hint("a dist-git spec counts builds with one number: write `release_start = 300` in pq.toml")
        })?
    };
    let generated = generated_release(&spec, &kernel, &config, opts)?;
    let nvr = match &generated {
        Some(g) => {
            let nvr = Nvr {
                name: config.package.clone(),
                version: kernel.numeric(),
                release: format!(
                    "{}{}{}",
                    g.number,
                    g.local.as_deref().unwrap_or(""),
                    g.dist.as_deref().unwrap_or("")
                ),
            };
            for p in previous.iter().filter(|p| p.name == nvr.name) {
                if nvr.cmp_evr(p) != std::cmp::Ordering::Greater {
                    return Err(packaging_error(PackagingError::NotNewer {
                        candidate: nvr.to_string(),
                        previous: p.to_string(),
                        reason: "rpm orders it at or below the earlier release".into(),
                    }));
                }
            }
            nvr
        }
        None => {
            let scheme = ReleaseScheme {
                package: config.package.clone(),
                start: ReleaseStart(start),
                prerelease: PrereleaseStyle::Fedora,
            };
            scheme
                .next(&NextRelease {
                    kernel: &kernel,
                    previous: &previous,
                    snapshot: None,
                    local: opts.local.as_deref(),
                    dist: opts.dist.as_deref(),
                })
                .map_err(packaging_error)?
        }
    };
    let name = nvr.to_string();
    let tag_ref = format!("refs/tags/{name}");
    if repo.ref_target(&tag_ref)?.is_some() {
        return Err(Error::input(format!("tag {name} already exists")).hint(
            "pq does not move a release tag: release with --local to make a different name, or delete the tag if it was a mistake (`git tag -d`)",
        ));
    }
    let parts = match &generated {
        Some(g) => ReleaseParts {
            rc: None,
            snapshot: None,
            number: 0,
            local: g.local.as_ref().map(|l| l.trim_start_matches('.').to_string()),
            dist: g.dist.clone(),
        },
        None => ReleaseParts::parse(&nvr.release)
            .ok_or_else(|| Error::internal(format!("cannot split the release {} into its parts", nvr.release)))?,
    };

    // The changelog entry.
    let who = repo.committer()?;
    let packager = format!("{} <{}>", who.name, who.email);
    let date = person_date(&who);
    let commits: Vec<Commit> = since
        .commits
        .iter()
        .map(|c| Commit {
            subject: c.subject(),
            author_name: c.author.name.clone(),
            body: c.message_lossy(),
        })
        .collect();
    // Fedora's headers name the build without its dist (`- 6.7.1-300`).
    let vr = match (&style, &parts.dist) {
        (ChangelogStyle::FedoraDistGit, Some(d)) => {
            let full = nvr.version_release();
            full[..full.len() - d.len()].to_string()
        }
        _ => nvr.version_release(),
    };
    let linux = kernel.to_string();
    let input = EntryInput {
        commits: &commits,
        packager: &packager,
        date,
        version_release: &vr,
        linux_base: base_moved.then_some(linux.as_str()),
    };
    let mut entry = format_entry(&style, &input).map_err(packaging_error)?;
    if changelog.external.is_none() {
        // genspec.sh strips `Resolves:` lines from the spec's changelog: they belong in the changelog file.
        entry = crate::packaging::genlog::strip_resolves(&entry);
    }

    // The spec edits.
    for m in spec.check_against(&kernel) {
        warnings.push(format!(
            "{}:{}: {} was `{}` but the tree is Linux {} (the release sets `{}`)",
            m.file, m.line, m.item, m.found, m.kernel, m.expected
        ));
    }
    let mut new_spec = spec.clone();
    if parts.local.is_none() && !new_spec.macro_defs("buildid").is_empty() {
        let line = new_spec.remove_macro("buildid").map_err(packaging_error)?;
        warnings.push(format!(
            "{spec_path}:{line}: removed the %buildid definition: this release has no local tag"
        ));
    }
    if let Some(g) = &generated {
        apply_generated(&mut new_spec, &kernel, g).map_err(packaging_error)?;
    } else if !new_spec.macro_defs("baserelease").is_empty() {
        new_spec.apply_release(&kernel, &parts).map_err(packaging_error)?;
    } else {
        // A spec that writes its Version and Release literally.
        let mut release = nvr.release.clone();
        if let Some(d) = &parts.dist {
            release.truncate(release.len() - d.len());
        }
        let keeps_buildid = spec.tag("Release").is_some_and(|t| t.value.contains("%{?buildid}"));
        if keeps_buildid {
            // `%{?buildid}` stays in Release; the local tag goes into its definition.
            if let Some(local) = &parts.local {
                release.truncate(release.len() - local.len() - 1);
                set_buildid(&mut new_spec, &format!(".{local}")).map_err(packaging_error)?;
            }
            new_spec
                .set_tag("Release", &format!("{release}%{{?buildid}}%{{?dist}}"))
                .map_err(packaging_error)?;
        } else {
            new_spec
                .set_tag("Release", &format!("{release}%{{?dist}}"))
                .map_err(packaging_error)?;
        }
        if new_spec.tag("Version").is_some_and(|t| !t.value.contains('%')) {
            new_spec.set_tag("Version", &nvr.version).map_err(packaging_error)?;
        }
    }
    let mut files: Vec<FileChange> = Vec::new();
    let old_text = match since.carried {
        Some(rel) => carried_changelog(repo, rel, &spec_path, &changelog, &mut warnings)?,
        None => None,
    };
    match &changelog.external {
        None => {
            if let Some(old) = &old_text {
                new_spec = replace_inline_changelog(&new_spec, &carry_forward(&changelog.text, old))?;
            }
            new_spec.insert_changelog_entry(&entry).map_err(packaging_error)?;
        }
        Some(path) => {
            let base_text = match &old_text {
                Some(old) => carry_forward(&changelog.text, old),
                None => changelog.text.clone(),
            };
            files.push(FileChange {
                path: path.clone(),
                old: changelog.text.clone(),
                new: prepend_changelog_entry(&base_text, &entry),
            });
        }
    }
    files.insert(
        0,
        FileChange {
            path: spec_path.clone(),
            old: spec_text.clone(),
            new: new_spec.into_text(),
        },
    );
    let mut debian_entry = None;
    if config.debian_changelog {
        let path = "debian/changelog".to_string();
        let existing = read_text(repo, head_tree, &path)?.map(|(t, _)| t);
        let target = match &existing {
            Some(t) if !t.trim().is_empty() => parse_debian_changelog_top(&path, t).map_err(packaging_error)?.target(),
            _ => DebianTarget {
                package: config.package.clone(),
                distribution: "UNRELEASED".into(),
                urgency: "medium".into(),
            },
        };
        let d = format_entry(&ChangelogStyle::Debian(target), &input).map_err(packaging_error)?;
        let old = existing.unwrap_or_default();
        files.push(FileChange {
            path,
            new: format!("{d}{old}"),
            old,
        });
        debian_entry = Some(d);
    }
    files.retain(|f| f.old != f.new);
    if on_path("rpmspec") {
        check_with_rpmspec(&files, &spec_path, &spec_text, &changelog, &nvr, parts.dist.as_deref())?;
    }

    let mut report = ReleaseReport {
        branch: short_branch(&ws.branch).to_string(),
        nvr: name.clone(),
        version: nvr.version.clone(),
        release: nvr.release.clone(),
        tag: name.clone(),
        changelog: entry,
        debian_changelog: debian_entry,
        files,
        warnings,
        commit: None,
        dry_run: opts.dry_run,
        nothing_changed: None,
        signed: None,
        srpm: None,
    };
    if opts.dry_run {
        return Ok(report);
    }

    // Execute: objects only, then one transaction and one work-tree update.
    let subject = config.release_subject.replace("{name}", &name);
    let commit = commit_release(
        &mut ws,
        &state,
        &report.files,
        &format!("{subject}\n"),
        &name,
        &name,
        opts,
    )?;
    report.commit = Some(commit);
    let dist = parts.dist.clone();
    finish_extras(&ws, &mut report, opts, commit, |repo, dir| {
        crate::ops::srpm::build_spec(repo, dir, &spec_path, &config, commit, dist.as_deref())
    });
    Ok(report)
}

/// `make dist-release && make dist-release-tag` on a source-git tree (see `sourcegit`).
fn release_source_git(mut ws: Workspace, state: State, config: Config, opts: &ReleaseOptions) -> Result<ReleaseReport> {
    let head = ws.head;
    let head_tree = ws.head_tree()?;
    let who = ws.repo.committer()?;
    let packager = format!("{} <{}>", who.name, who.email);
    let plan = sourcegit::plan(&sourcegit::Inputs {
        repo: &ws.repo,
        state: &state,
        config: &config,
        head,
        head_tree,
        dist: opts.dist.as_deref(),
        local: opts.local.as_deref(),
        packager: &packager,
        date: person_date(&who),
        as_built: false,
    })?;
    let branch_name = short_branch(&ws.branch).to_string();
    if plan.nothing_changed && !opts.force {
        return Ok(ReleaseReport {
            branch: branch_name,
            nothing_changed: Some(plan.previous.unwrap_or_else(|| state.base.clone())),
            dry_run: opts.dry_run,
            ..Default::default()
        });
    }
    if !opts.dry_run {
        refuse_dirty(&ws)?;
    }
    let tag_ref = format!("refs/tags/{}", plan.tag);
    if ws.repo.ref_target(&tag_ref)?.is_some() {
        return Err(Error::input(format!("tag {} already exists", plan.tag)).hint(
            "pq does not move a release tag: release with --local to make a different name, or delete the tag if it was a mistake (`git tag -d`)",
        ));
    }
    let name = format!("{}-{}-{}", plan.package, plan.version, plan.release);
    let mut report = ReleaseReport {
        branch: branch_name,
        nvr: name.clone(),
        version: plan.version.clone(),
        release: plan.release.clone(),
        tag: plan.tag.clone(),
        changelog: plan.entry.clone().unwrap_or_default(),
        files: plan.files.clone(),
        warnings: plan.warnings.clone(),
        dry_run: opts.dry_run,
        ..Default::default()
    };
    if opts.dry_run {
        return Ok(report);
    }
    // `git commit -s`: dist-release-finish signs off the release commit.
    let message = format!("[redhat] {}\n\nSigned-off-by: {packager}\n", plan.tag);
    let commit = commit_release(&mut ws, &state, &report.files, &message, &plan.tag, &name, opts)?;
    report.commit = Some(commit);
    finish_extras(&ws, &mut report, opts, commit, |repo, dir| {
        crate::ops::srpm::build(repo, dir, commit, &config, opts.dist.as_deref(), opts.local.as_deref())
    });
    Ok(report)
}

/// A release of a tree packaged only for Debian (see `debian`).
fn release_debian(mut ws: Workspace, state: State, opts: &ReleaseOptions, ubuntu: bool) -> Result<ReleaseReport> {
    if opts.srpm.is_some() || opts.dist.is_some() || opts.local.is_some() {
        return Err(
            Error::input("--srpm, --dist and --local are for RPM packaging; this tree has only debian/")
                .hint("run `pq release` without them"),
        );
    }
    let head = ws.head;
    let head_tree = ws.head_tree()?;
    let who = ws.repo.committer()?;
    let maintainer = format!("{} <{}>", who.name, who.email);
    let plan = debian::plan(&debian::Inputs {
        repo: &ws.repo,
        state: &state,
        head,
        head_tree,
        maintainer: &maintainer,
        date: person_date(&who),
        ubuntu,
    })?;
    let branch_name = short_branch(&ws.branch).to_string();
    if plan.nothing_changed && !opts.force {
        return Ok(ReleaseReport {
            branch: branch_name,
            nothing_changed: Some(plan.previous),
            dry_run: opts.dry_run,
            ..Default::default()
        });
    }
    if !opts.dry_run {
        refuse_dirty(&ws)?;
    }
    if ws.repo.ref_target(&format!("refs/tags/{}", plan.tag))?.is_some() {
        return Err(Error::input(format!("tag {} already exists", plan.tag))
            .hint("pq does not move a release tag: delete the tag if it was a mistake (`git tag -d`)"));
    }
    let name = format!("{} {}", plan.source, plan.version);
    let mut report = ReleaseReport {
        branch: branch_name,
        nvr: name.clone(),
        version: plan.version.clone(),
        release: plan
            .version
            .rsplit_once('-')
            .map_or(String::new(), |(_, r)| r.to_string()),
        tag: plan.tag.clone(),
        changelog: plan.entry.clone(),
        files: plan.files.clone(),
        warnings: plan.warnings.clone(),
        dry_run: opts.dry_run,
        ..Default::default()
    };
    if opts.dry_run {
        return Ok(report);
    }
    let commit = commit_release(
        &mut ws,
        &state,
        &report.files,
        &format!("{}\n", plan.subject),
        &plan.tag,
        &name,
        opts,
    )?;
    report.commit = Some(commit);
    finish_extras(&ws, &mut report, opts, commit, |_, _| {
        Err(Error::input("no source RPM for a Debian tree"))
    });
    Ok(report)
}

fn refuse_dirty(ws: &Workspace) -> Result<()> {
    let dirty = ws.dirty()?;
    if let Some(first) = dirty.first() {
        let more = if dirty.len() > 1 {
            format!(" (and {} more)", dirty.len() - 1)
        } else {
            String::new()
        };
        return Err(Error::input(format!("uncommitted changes in {first}{more}"))
            .hint("commit or stash them (`git stash`), then run `pq release` again"));
    }
    Ok(())
}

/// The release commit and its annotated tag (`git tag -a -m TAG TAG`), with pq's record of the release, in
/// one transaction.
#[allow(clippy::too_many_arguments)]
fn commit_release(
    ws: &mut Workspace,
    state: &State,
    files: &[FileChange],
    message: &str,
    tag_name: &str,
    nvr: &str,
    opts: &ReleaseOptions,
) -> Result<Oid> {
    let head = ws.head;
    let head_tree = ws.head_tree()?;
    let tx = Transaction::begin(ws, &opts.command)?;
    let repo = &ws.repo;
    let who = tx.who().clone();
    let mut edits: Vec<(BString, Option<Entry>)> = Vec::new();
    for f in files {
        let mode = repo
            .entry_at(head_tree, f.path.as_bytes())?
            .map_or(0o100644, |e| e.mode);
        let id = repo.write_blob(f.new.as_bytes())?;
        edits.push((f.path.as_str().into(), Some(Entry { mode, id })));
    }
    let tree = repo.edit_tree(head_tree, &edits)?;
    let commit = repo.write_commit(tree, &[head], &who, &who, message.as_bytes(), None)?;
    let tag = repo.write_tag(tag_name, commit, &who, &format!("{tag_name}\n"))?;
    let mut new_state = state.clone();
    new_state.releases.push(Release {
        commit,
        nvr: nvr.to_string(),
        tag: tag_name.to_string(),
        base: state.base.clone(),
    });
    new_state.ensure_series("packaging");
    new_state.patches.push(Patch {
        commit,
        series: "packaging".into(),
        kind: PatchKind::Release,
        origin: None,
        via: None,
        conflicts: Vec::new(),
    });
    let mut tx = tx;
    tx.move_branch(commit);
    tx.set_state(new_state);
    tx.update_ref(RefUpdate {
        name: format!("refs/tags/{tag_name}"),
        old: None,
        new: Some(tag),
    });
    tx.commit(&mut ws.repo)?;
    Ok(commit)
}

/// Signing and the source RPM, after the release stands.
fn finish_extras(
    ws: &Workspace,
    report: &mut ReleaseReport,
    opts: &ReleaseOptions,
    commit: Oid,
    srpm: impl FnOnce(&Repo, &Path) -> Result<PathBuf>,
) {
    let sign = opts.sign
        || ws
            .repo
            .config_string("tag.gpgSign")
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1"));
    if sign {
        report.signed = Some(sign_tag(&ws.repo, &report.tag, commit));
    }
    if let Some(dir) = &opts.srpm {
        report.srpm = Some(srpm(&ws.repo, dir));
    }
}

/// The changelog text of the release commit a rebase dropped (None, with a warning, when it is gone).
fn carried_changelog(
    repo: &Repo,
    rel: Oid,
    spec_path: &str,
    current: &ChangelogFile,
    warnings: &mut Vec<String>,
) -> Result<Option<String>> {
    let tree = match repo.commit_tree(rel) {
        Ok(t) => t,
        Err(_) => {
            warnings.push(format!(
                "the previous release commit {} is gone: its changelog entries are not carried forward",
                crate::git::short(&rel)
            ));
            return Ok(None);
        }
    };
    let path = current.external.as_deref().unwrap_or(spec_path);
    let Some((text, _)) = read_text(repo, tree, path)? else {
        warnings.push(format!(
            "the previous release commit {} has no {path}: its changelog entries are not carried forward",
            crate::git::short(&rel)
        ));
        return Ok(None);
    };
    if current.external.is_some() {
        return Ok(Some(text));
    }
    let old = Spec::new(path, text);
    Ok(old.changelog_text().ok().map(str::to_string))
}

/// Replace the tag with a signed one. gix cannot sign (that needs gpg or ssh-keygen, configured the way git
/// configures them), so this one step runs `git tag -s`, after the transaction that created the unsigned tag.
fn sign_tag(repo: &Repo, name: &str, commit: Oid) -> std::result::Result<(), String> {
    let dir = repo.workdir().unwrap_or(repo.git_dir());
    crate::lock::note_git_locks(repo.git_dir(), &[format!("refs/tags/{name}.lock")]).map_err(|e| e.message)?;
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["tag", "-s", "-f", "-m", name, name, &commit.to_string()])
        .output()
        .map_err(|e| format!("could not run git: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(err
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("git tag -s failed")
            .trim()
            .to_string())
    }
}

/// An ARK-generated spec (Fedora and RHEL dist-git): `pkgrelease`, `specrelease`, `tarfile_release` and
/// `kabiversion` are written by genspec.sh from the same numbers, so they move together.
struct Generated {
    /// `101`, `284.31.1`.
    number: String,
    /// `.hs1`.
    local: Option<String>,
    /// `.el9_2`.
    dist: Option<String>,
    /// RHEL writes the dist into tarfile_release and kabiversion (`5.14.0-284.30.1.el9_2`), Fedora does not.
    rhel: bool,
}

fn generated_release(
    spec: &Spec,
    kernel: &KernelVersion,
    config: &Config,
    opts: &ReleaseOptions,
) -> Result<Option<Generated>> {
    if spec.macro_defs("pkgrelease").is_empty() || !spec.macro_defs("baserelease").is_empty() {
        return Ok(None);
    }
    let old = spec.macro_value("pkgrelease").unwrap_or_default();
    // A local version in the old build number (`100.hs1`) is not part of the count.
    let count: String = old.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let count = count.trim_end_matches('.').to_string();
    let rhel = spec.macro_value("tarfile_release").is_some_and(|t| t.contains('-'));
    let same_version = spec.macro_value("specversion").as_deref() == Some(kernel.numeric().as_str());
    let number = if count.contains('.') || rhel {
        let stream = match &config.stream {
            Some(s) => crate::packaging::rhelver::Stream::parse(s).ok_or_else(|| {
                Error::input(format!("unknown stream `{s}` (configuration key `stream`)"))
                    .hint("use `y`, `z` or `branch` in pq.toml")
            })?,
            None if count.matches('.').count() == 2 => crate::packaging::rhelver::Stream::Z,
            None => crate::packaging::rhelver::Stream::Y,
        };
        crate::packaging::rhelver::next_release(&count, stream, config.bump_release.unwrap_or(true))
            .map_err(packaging_error)?
    } else {
        let n: u32 = count.parse().unwrap_or(0);
        if same_version {
            (n + 1).to_string()
        } else if !config.release_start.is_default() {
            config.release_start.text()
        } else if n >= 100 {
            (n / 100 * 100).to_string()
        } else {
            n.min(1).to_string()
        }
    };
    let dist = opts.dist.as_deref().map(|d| format!(".{}", d.trim_start_matches('.')));
    let local = opts.local.as_deref().map(|l| format!(".{}", l.trim_start_matches('.')));
    Ok(Some(Generated {
        number,
        local,
        dist,
        rhel,
    }))
}

fn apply_generated(spec: &mut Spec, kernel: &KernelVersion, g: &Generated) -> std::result::Result<(), PackagingError> {
    let version = kernel.numeric();
    let build = format!("{}{}", g.number, g.local.as_deref().unwrap_or(""));
    let dist = g.dist.as_deref().unwrap_or("");
    let tarball = if g.rhel {
        format!("{version}-{build}{dist}")
    } else if kernel.sublevel == 0 {
        kernel.base()
    } else {
        version.clone()
    };
    let kabi = if g.rhel { tarball.clone() } else { version.clone() };
    let values = [
        ("specrpmversion", version.clone()),
        ("specversion", version.clone()),
        ("patchversion", kernel.base()),
        ("kversion", kernel.version.to_string()),
        ("patchlevel", kernel.patchlevel.to_string()),
        ("pkgrelease", build),
        ("specrelease", format!("{}%{{?buildid}}%{{?dist}}", g.number)),
        ("tarfile_release", tarball),
        ("kabiversion", kabi),
    ];
    for (name, value) in values {
        if !spec.macro_defs(name).is_empty() {
            spec.set_macro(name, &value)?;
        }
    }
    if let Some(local) = &g.local {
        set_buildid(spec, local)?;
    }
    Ok(())
}

/// `%define buildid .hs1`: replaces a definition, or genspec.sh's commented `# define buildid .local` line, or
/// goes on top of the spec.
fn set_buildid(spec: &mut Spec, value: &str) -> std::result::Result<(), PackagingError> {
    if !spec.macro_defs("buildid").is_empty() {
        return spec.set_macro("buildid", value);
    }
    let text = spec.text();
    let line = format!("%define buildid {value}");
    let new = match text.find("# define buildid .local") {
        Some(at) => {
            let end = text[at..].find('\n').map_or(text.len(), |e| at + e);
            format!("{}{line}{}", &text[..at], &text[end..])
        }
        None => format!("{line}\n{text}"),
    };
    *spec = Spec::new(spec.file(), new);
    Ok(())
}

/// rpm's own reading of the spec pq is about to commit must name the release pq tags.
fn check_with_rpmspec(
    files: &[FileChange],
    spec_path: &str,
    spec_text: &str,
    changelog: &ChangelogFile,
    nvr: &Nvr,
    dist: Option<&str>,
) -> Result<()> {
    let tmp = std::env::temp_dir().join(format!("pq-rpmspec-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let _cleanup = RemoveOnDrop(tmp.clone());
    let new_spec = files
        .iter()
        .find(|f| f.path == spec_path)
        .map_or(spec_text, |f| f.new.as_str());
    let spec_file = tmp.join("check.spec");
    std::fs::write(&spec_file, new_spec)?;
    if let Some(path) = &changelog.external {
        let text = files
            .iter()
            .find(|f| &f.path == path)
            .map_or(changelog.text.as_str(), |f| f.new.as_str());
        std::fs::write(tmp.join(path.rsplit('/').next().unwrap_or(path)), text)?;
    }
    let out = Command::new("rpmspec")
        .args(["-q", "--srpm", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}"])
        .arg("--define")
        .arg(format!("_sourcedir {}", tmp.display()))
        .arg("--define")
        .arg(format!("dist {}", dist.unwrap_or("%{nil}")))
        .arg(&spec_file)
        .output()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(Error::input(format!(
            "rpmspec rejects the spec pq would write: {}",
            err.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim()
        ))
        .hint(format!(
            "fix {spec_path} so `rpmspec -P` accepts it, commit, and run `pq release` again"
        )));
    }
    let rpm_nvr = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let want = nvr.to_string();
    if rpm_nvr != want {
        return Err(Error::input(format!(
            "rpm evaluates the spec pq would write as {rpm_nvr}, but the release is {want}"
        ))
        .hint(format!(
            "make {spec_path}'s Version and Release follow its macros (a hard-coded number?), commit, and run `pq release` again"
        )));
    }
    Ok(())
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
