//! `pq srpm` (and `pq release --srpm`): the source RPM of a release, the hand-off to Koji, COPR, OBS or mock.
//!
//! A tree with its own entry point (`redhat/Makefile` with a `dist-srpm` target) is built by it: `make -C
//! redhat dist-srpm` with the release's `DIST` and `BUILDID`, in the work tree at the release commit.
//! Otherwise pq assembles `SOURCES` itself and runs `rpmbuild -bs`: the spec (for a source-git tree,
//! genspec.sh's rendering of `kernel.spec.template`), a `Source0` tarball named as the spec names it for the
//! new version and made without the packaging directory, and the packaging directory's files. Every Source
//! and Patch the spec lists (read with `rpmspec -P`) must then be there: the missing ones are named in one
//! error before rpmbuild runs.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};
use crate::git::{Oid, Repo};
use crate::model::config::Config;
use crate::model::store::effective_config;
use crate::ops::release::read_text;
use crate::ops::release::sourcegit;
use crate::ops::Workspace;
use crate::packaging::genspec;
use crate::packaging::spec::{ChangelogLocation, Spec};

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).is_file()))
        .unwrap_or(false)
}

fn need(tool: &str, package: &str) -> Result<()> {
    if on_path(tool) {
        Ok(())
    } else {
        Err(Error::input(format!("{tool} is not installed")).hint(format!(
            "install {package} (`apt-get install rpm` or `dnf install rpm-build`), or build the source RPM elsewhere"
        )))
    }
}

/// A scratch directory under the git dir, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(repo: &Repo) -> Result<Scratch> {
        let p = repo.git_dir().join("pq").join(format!("srpm-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p)?;
        // rpmbuild and git run elsewhere than pq's own directory: absolute paths.
        Ok(Scratch(std::fs::canonicalize(&p)?))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn last_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

/// The Source and Patch file names of a spec as rpm expands them (`rpmspec -P`).
fn spec_sources(spec_file: &Path, sources: &Path, dist: Option<&str>) -> Result<Vec<String>> {
    let mut cmd = Command::new("rpmspec");
    cmd.arg("-P")
        .arg("--define")
        .arg(format!("_sourcedir {}", sources.display()));
    if let Some(d) = dist {
        cmd.arg("--define").arg(format!("dist {d}"));
    }
    let out = cmd.arg(spec_file).output()?;
    if !out.status.success() {
        return Err(
            Error::input(format!("rpmspec -P rejects the spec: {}", last_line(&out.stderr)))
                .hint("fix the spec and run `pq srpm` again"),
        );
    }
    let re = crate::packaging::static_regex!(r"^(?i:(?:source|patch)\d*)\s*:\s*(\S+)\s*$");
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .lines()
        .filter_map(|l| re.captures(l))
        .map(|c| c[1].rsplit('/').next().unwrap_or(&c[1]).to_string())
        .collect())
}

/// `git archive` of `commit` into `<sources>/<file>` (`.tar.xz`, `.tar.gz`, `.tar.bz2` or `.tar`) under
/// `<stem>/`, without `exclude`. gix is built here without its tar writer, so git makes the archive.
fn archive(repo: &Repo, commit: Oid, sources: &Path, file: &str, exclude: &[&str]) -> Result<()> {
    let (stem, compress) = [
        (".tar.xz", Some("xz")),
        (".tar.gz", Some("gzip")),
        (".tar.bz2", Some("bzip2")),
    ]
    .into_iter()
    .find_map(|(ext, tool)| file.strip_suffix(ext).map(|s| (s, tool)))
    .unwrap_or((file.trim_end_matches(".tar"), None));
    let tar = sources.join(format!("{stem}.tar"));
    let mut cmd = Command::new("git");
    cmd.arg("--git-dir")
        .arg(repo.git_dir())
        .args(["archive", "--format=tar", &format!("--prefix={stem}/"), "-o"])
        .arg(&tar)
        .arg(commit.to_string())
        .arg("--")
        .arg(".");
    for e in exclude {
        cmd.arg(format!(":(exclude,top){e}"));
    }
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(Error::internal(format!(
            "git archive failed: {}",
            last_line(&out.stderr)
        )));
    }
    if let Some(tool) = compress {
        let out = Command::new(tool).arg("-f").arg(&tar).output()?;
        if !out.status.success() {
            return Err(Error::internal(format!("{tool} failed: {}", last_line(&out.stderr))));
        }
    }
    Ok(())
}

/// The packaging directory's files, flattened into SOURCES (what ARK's dist-sources copies).
fn copy_packaging(repo: &Repo, tree: Oid, dir: &str, sources: &Path) -> Result<()> {
    if let Some(e) = repo.entry_at(tree, dir.as_bytes())? {
        if e.is_tree() {
            for (path, entry) in repo.flatten_tree(e.id)? {
                if entry.is_tree() || entry.is_submodule() {
                    continue;
                }
                let path = String::from_utf8_lossy(&path).into_owned();
                let file = path.rsplit('/').next().unwrap_or_default();
                if file.is_empty() || file.starts_with('.') {
                    continue;
                }
                std::fs::write(sources.join(file), repo.blob(entry.id)?)?;
            }
        }
    }
    Ok(())
}

fn rpmbuild(work: &Path, sources: &Path, spec_file: &Path, out_dir: &Path, dist: Option<&str>) -> Result<PathBuf> {
    // Every Source and Patch first, so a missing one is named before anything runs.
    let missing: Vec<String> = spec_sources(spec_file, sources, dist)?
        .into_iter()
        .filter(|f| !sources.join(f).exists())
        .collect();
    if !missing.is_empty() {
        return Err(Error::input(format!(
            "the spec lists {} source file{} pq cannot provide: {}",
            missing.len(),
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        ))
        .hint(
            "commit them to the packaging directory, or build with the tree's own tooling (`make -C redhat dist-srpm`)",
        ));
    }
    std::fs::create_dir_all(out_dir)?;
    let out_dir = std::fs::canonicalize(out_dir)?;
    let mut cmd = Command::new("rpmbuild");
    cmd.arg("-bs")
        .arg("--define")
        .arg(format!("_topdir {}", work.display()))
        .arg("--define")
        .arg(format!("_sourcedir {}", sources.display()))
        .arg("--define")
        .arg(format!("_srcrpmdir {}", out_dir.display()));
    if let Some(d) = dist {
        cmd.arg("--define").arg(format!("dist {d}"));
    }
    let out = cmd.arg(spec_file).output()?;
    if !out.status.success() {
        return Err(Error::input(format!("rpmbuild -bs failed: {}", last_line(&out.stderr)))
            .hint("fix the packaging and run `pq srpm` again"));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Wrote: "))
        .map(|p| PathBuf::from(p.trim()))
        .ok_or_else(|| Error::internal("rpmbuild -bs wrote no source RPM"))
}

/// The tree's own entry point, if it has one: a `dist-srpm` target in `<packaging>/Makefile`.
fn has_entry_point(repo: &Repo, tree: Oid, config: &Config) -> Result<bool> {
    let path = format!("{}/Makefile", config.packaging.trim_end_matches('/'));
    Ok(read_text(repo, tree, &path)?.is_some_and(|(t, _)| t.lines().any(|l| l.starts_with("dist-srpm:"))))
}

fn run_entry_point(
    repo: &Repo,
    commit: Oid,
    config: &Config,
    out_dir: &Path,
    dist: Option<&str>,
    local: Option<&str>,
) -> Result<PathBuf> {
    let work = repo
        .workdir()
        .ok_or_else(|| Error::input("the tree's dist-srpm needs a work tree").hint("run `pq srpm` in a checkout"))?;
    if repo.head_commit()? != Some(commit) {
        return Err(
            Error::input("the tree's dist-srpm builds the work tree, which is not at the release commit")
                .hint("check out the release (`git switch --detach TAG`) and run `pq srpm` there"),
        );
    }
    need("make", "make")?;
    let pkgdir = work.join(config.packaging.trim_end_matches('/'));
    let srpms = pkgdir.join("rpm").join("SRPMS");
    let before: Vec<PathBuf> = list_srpms(&srpms);
    let mut cmd = Command::new("make");
    cmd.arg("-C").arg(&pkgdir).arg("dist-srpm");
    // The release's variables: its dist, and its local version as BUILDID (empty: no `.test` suffix).
    if let Some(d) = dist {
        cmd.arg(format!("DIST=.{}", d.trim_start_matches('.')));
    }
    cmd.arg(format!(
        "BUILDID={}",
        local
            .map(|l| format!(".{}", l.trim_start_matches('.')))
            .unwrap_or_default()
    ));
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(
            Error::input(format!("make dist-srpm failed: {}", last_line(&out.stderr)))
                .hint("run `make -C redhat dist-srpm` by hand to see the whole output"),
        );
    }
    let made = list_srpms(&srpms)
        .into_iter()
        .find(|p| !before.contains(p))
        .or_else(|| list_srpms(&srpms).into_iter().next())
        .ok_or_else(|| Error::internal("make dist-srpm wrote no source RPM"))?;
    std::fs::create_dir_all(out_dir)?;
    let dest = out_dir.join(made.file_name().expect("a file"));
    std::fs::copy(&made, &dest)?;
    Ok(dest)
}

fn list_srpms(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "rpm"))
                .collect()
        })
        .unwrap_or_default()
}

/// The source RPM of a source-git release commit.
pub fn build(
    repo: &Repo,
    out_dir: &Path,
    commit: Oid,
    config: &Config,
    dist: Option<&str>,
    local: Option<&str>,
) -> Result<PathBuf> {
    let tree = repo.commit_tree(commit)?;
    if has_entry_point(repo, tree, config)? {
        return run_entry_point(repo, commit, config, out_dir, dist, local);
    }
    need("rpmbuild", "rpm-build")?;
    need("rpmspec", "rpm-build")?;
    let state_branch = repo.head_branch()?.unwrap_or_default();
    let (state, _) = crate::model::store::load(repo, &state_branch)?
        .ok_or_else(|| Error::input("the branch is not initialised").hint("run `pq init` first"))?;
    let who = repo.committer()?;
    let packager = format!("{} <{}>", who.name, who.email);
    // The release commit's own values: RHEL_RELEASE as it stands, nothing bumped.
    let plan = sourcegit::plan(&sourcegit::Inputs {
        repo,
        state: &state,
        config,
        head: commit,
        head_tree: tree,
        dist,
        local,
        packager: &packager,
        date: chrono::Utc::now().fixed_offset(),
        as_built: true,
    })?;
    let (template, _) = read_text(repo, tree, &plan.template)?
        .ok_or_else(|| Error::input(format!("{} is missing", plan.template)).hint("commit the spec template"))?;
    let changelog = read_text(repo, tree, &plan.changelog_path)?
        .map(|(t, _)| t)
        .unwrap_or_default();
    let scratch = Scratch::new(repo)?;
    let sources = scratch.0.join("SOURCES");
    std::fs::create_dir_all(&sources)?;
    let pkgdir = config.packaging.trim_end_matches('/');
    copy_packaging(repo, tree, pkgdir, &sources)?;
    let spec_file = sources.join(format!("{}.spec", plan.package));
    std::fs::write(&spec_file, genspec::render(&template, &plan.spec_vars, &changelog))?;
    // dist-git carries the changelog as `<package>.changelog`, and Makefile.rhelver.
    std::fs::write(sources.join(format!("{}.changelog", plan.package)), &changelog)?;
    if let Some((t, _)) = read_text(repo, tree, sourcegit::RHELVER)? {
        std::fs::write(sources.join(sourcegit::RHELVER), t)?;
    }
    let excludes = [
        ".get_maintainer.conf",
        ".gitattributes",
        ".gitignore",
        ".gitlab-ci.yml",
        "makefile",
        "Makefile.rhelver",
        pkgdir,
        "configs",
        "pq.toml",
    ];
    let tarfile = format!(
        "linux-{}.tar.xz",
        plan.spec_vars.get("TARFILE_RELEASE").unwrap_or_default()
    );
    let kv = format!(
        "{}.{}",
        plan.spec_vars.get("KVERSION").unwrap_or_default(),
        plan.spec_vars.get("KPATCHLEVEL").unwrap_or_default()
    );
    let patch = sources.join(format!("patch-{kv}-redhat.patch"));
    if plan.fedora {
        // Fedora: upstream sources in the tarball, the tree's own changes as one patch (genspec.sh).
        archive(repo, plan.upstream, &sources, &tarfile, &excludes)?;
        let mut cmd = Command::new("git");
        cmd.arg("--git-dir")
            .arg(repo.git_dir())
            .args(["diff", "-p", "--binary", "--no-renames", "--stat"])
            .arg(format!("{}..{}", plan.upstream, commit))
            .arg("--")
            .arg(".");
        for e in excludes {
            cmd.arg(format!(":(exclude,top){e}"));
        }
        let out = cmd.output()?;
        if !out.status.success() {
            return Err(Error::internal(format!("git diff failed: {}", last_line(&out.stderr))));
        }
        std::fs::write(&patch, out.stdout)?;
    } else {
        // RHEL and CentOS: the tarball holds the tree's commits too; the patch is empty.
        archive(repo, commit, &sources, &tarfile, &excludes)?;
        std::fs::write(&patch, b"")?;
    }
    let test_patch = sources.join("linux-kernel-test.patch");
    if !test_patch.exists() {
        std::fs::write(&test_patch, b"")?;
    }
    rpmbuild(&scratch.0, &sources, &spec_file, out_dir, plan.dist.as_deref())
}

/// The source RPM of a tree carrying a dist-git spec (`<packaging>/kernel.spec`).
pub fn build_spec(
    repo: &Repo,
    out_dir: &Path,
    spec_path: &str,
    config: &Config,
    commit: Oid,
    dist: Option<&str>,
) -> Result<PathBuf> {
    let tree = repo.commit_tree(commit)?;
    if has_entry_point(repo, tree, config)? {
        return run_entry_point(repo, commit, config, out_dir, dist, None);
    }
    need("rpmbuild", "rpm-build")?;
    need("rpmspec", "rpm-build")?;
    let scratch = Scratch::new(repo)?;
    let sources = scratch.0.join("SOURCES");
    std::fs::create_dir_all(&sources)?;
    let pkgdir = config.packaging.trim_end_matches('/');
    copy_packaging(repo, tree, pkgdir, &sources)?;
    let (spec_text, _) = read_text(repo, tree, spec_path)?
        .ok_or_else(|| Error::input(format!("{spec_path} is missing")).hint("commit the spec"))?;
    let spec = Spec::new(spec_path, spec_text.clone());
    let spec_file = sources.join(spec_path.rsplit('/').next().unwrap_or("kernel.spec"));
    std::fs::write(&spec_file, &spec_text)?;
    // An included changelog (`%include kernel.changelog`) sits in the packaging directory, copied above.
    if let Ok(ChangelogLocation::External { file, .. }) = spec.changelog_location() {
        if !sources.join(&file).exists() {
            return Err(
                Error::input(format!("{spec_path} includes {file}, which is not in {pkgdir}/"))
                    .hint("commit the changelog file next to the spec"),
            );
        }
    }
    // Source0 as rpm names it for this version, without the packaging directory. Fedora's hand-kept spec
    // names the upstream base (`linux-5.8.tar.xz`) and applies the stable patch (`patch-5.8.19.xz`) on
    // top: then the tarball is that upstream tag's tree and the patch is upstream's diff, so the stable
    // changes are not applied twice (the tree's own changes are the spec's Patch files).
    let names = spec_sources(&spec_file, &sources, dist)?;
    if let Some(src0) = names.first().filter(|n| n.contains(".tar")) {
        let base = src0
            .strip_prefix("linux-")
            .and_then(|n| n.split(".tar").next())
            .filter(|v| !v.is_empty());
        let base_tag = match base {
            Some(v) => repo.ref_target(&format!("refs/tags/v{v}"))?.map(|t| (v.to_string(), t)),
            None => None,
        };
        match base_tag {
            Some((v, tag)) if names.iter().any(|n| n.starts_with("patch-") && n.ends_with(".xz")) => {
                let upstream = repo.resolve_commit(&tag.to_string())?;
                archive(repo, upstream, &sources, src0, &[])?;
                for patch in names.iter().filter(|n| n.starts_with("patch-") && n.ends_with(".xz")) {
                    let to = patch.trim_start_matches("patch-").trim_end_matches(".xz");
                    let Some(to_tag) = repo.ref_target(&format!("refs/tags/v{to}"))? else {
                        continue;
                    };
                    let out = Command::new("git")
                        .arg("--git-dir")
                        .arg(repo.git_dir())
                        .args(["diff", "--binary", "--no-renames"])
                        .arg(format!("{upstream}..{}", repo.resolve_commit(&to_tag.to_string())?))
                        .output()?;
                    if !out.status.success() {
                        return Err(Error::internal(format!(
                            "git diff v{v}..v{to} failed: {}",
                            last_line(&out.stderr)
                        )));
                    }
                    let plain = sources.join(patch.trim_end_matches(".xz"));
                    std::fs::write(&plain, out.stdout)?;
                    let xz = Command::new("xz").arg("-f").arg(&plain).output()?;
                    if !xz.status.success() {
                        return Err(Error::internal(format!("xz failed: {}", last_line(&xz.stderr))));
                    }
                }
            }
            _ => archive(repo, commit, &sources, src0, &[pkgdir, "pq.toml"])?,
        }
    }
    rpmbuild(&scratch.0, &sources, &spec_file, out_dir, dist).map_err(|e| {
        if e.message.contains("source file") {
            e
        } else {
            e.hint("the release commit and tag are made; fix the packaging and run `pq srpm`")
        }
    })
}

pub struct SrpmOptions {
    pub out_dir: PathBuf,
    pub dist: Option<String>,
    pub local: Option<String>,
}

/// `pq srpm`: the source RPM of the branch's newest release (HEAD must be that release commit or later).
pub fn srpm(dir: &Path, opts: &SrpmOptions) -> Result<PathBuf> {
    let ws = Workspace::open(dir)?;
    let (state, _) = ws.require_state()?;
    let state = state.clone();
    let head_tree = ws.head_tree()?;
    let config = effective_config(&ws.repo, &state.config, head_tree)?;
    if sourcegit::detect(&ws.repo, head_tree, &config)? {
        build(
            &ws.repo,
            &opts.out_dir,
            ws.head,
            &config,
            opts.dist.as_deref(),
            opts.local.as_deref(),
        )
    } else {
        let spec_path = config.spec_path();
        if read_text(&ws.repo, head_tree, &spec_path)?.is_none() {
            return Err(Error::input(format!(
                "no spec at {spec_path} and no {}/kernel.spec.template",
                config.packaging
            ))
            .hint("a source RPM needs a spec: set `spec = \"path/to/kernel.spec\"` in pq.toml"));
        }
        build_spec(
            &ws.repo,
            &opts.out_dir,
            &spec_path,
            &config,
            ws.head,
            opts.dist.as_deref(),
        )
    }
}
