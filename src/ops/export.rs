//! `pq export --format F [-o PATH] [SERIES...]`: write the queue's patches in a distribution's format.
//! Reads only; writes files under the output path and nowhere else.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result, ResultExt};
use crate::git::Repo;
use crate::interop::diff::{tree_diff, BinaryMode};
use crate::interop::export::{edit_spec, render, Item};
use crate::interop::Format;
use crate::model::state::PatchKind;
use crate::ops::{message_fields, Workspace};

pub struct ExportOptions {
    pub format: Format,
    pub output: Option<PathBuf>,
    pub series: Vec<String>,
    /// First `PatchNNNNN:` number (spec).
    pub patch_start: u32,
}

#[derive(serde::Serialize)]
pub struct ExportReport {
    pub format: Format,
    pub output: String,
    /// Files written, relative to the output path.
    pub files: Vec<String>,
    pub patches: usize,
    /// Binary changes the format cannot carry.
    pub left_out: Vec<LeftOut>,
    /// The spec file edited (spec format).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
}

/// A binary change left out of a patch.
#[derive(serde::Serialize)]
pub struct LeftOut {
    /// The patch file, relative to the output path.
    pub file: String,
    /// The path in the tree.
    pub path: String,
}

fn default_output(format: Format, packaging: &str) -> &str {
    match format {
        Format::Quilt => "patches",
        Format::Debian => "debian/patches",
        Format::Suse => ".",
        Format::Spec => packaging,
        Format::Mbox => "patches.mbox",
    }
}

/// The first release tag (by commit date) containing `commit`.
fn first_tag(repo: &Repo, tags: &[(String, crate::git::Oid, i64)], commit: crate::git::Oid) -> Option<String> {
    tags.iter()
        .find(|(_, t, _)| repo.is_ancestor(commit, *t).unwrap_or(false))
        .map(|(n, _, _)| n.clone())
}

pub fn export(dir: &Path, opts: &ExportOptions) -> Result<ExportReport> {
    let ws = Workspace::open(dir)?;
    let (state, _) = ws.require_state()?;
    let repo = &ws.repo;
    for s in &opts.series {
        if !state.series.iter().any(|x| &x.name == s) {
            let known: Vec<&str> = state.series.iter().map(|x| x.name.as_str()).collect();
            return Err(Error::input(format!("no series named '{s}'"))
                .hint(format!("the series are: {} (see `pq series`)", known.join(", "))));
        }
    }
    let binary = match opts.format {
        Format::Mbox => BinaryMode::Git,
        Format::Debian => BinaryMode::Omit,
        Format::Quilt | Format::Suse | Format::Spec => BinaryMode::Text,
    };
    let mut tags: Option<Vec<(String, crate::git::Oid, i64)>> = None;
    let mut items = Vec::new();
    for p in &state.patches {
        if p.kind != PatchKind::Patch || (!opts.series.is_empty() && !opts.series.contains(&p.series)) {
            continue;
        }
        let c = repo.commit(p.commit)?;
        let parent_tree = match c.parents.first() {
            Some(q) => Some(repo.commit_tree(*q)?),
            None => None,
        };
        let d = tree_diff(repo, parent_tree, c.tree, binary)?;
        let mainline = match (&p.origin, opts.format) {
            (Some(o), Format::Suse) => {
                let tags = match &mut tags {
                    Some(t) => t,
                    None => {
                        let mut t: Vec<(String, crate::git::Oid, i64)> = Vec::new();
                        for (name, id) in repo.tags()? {
                            let time = repo.commit(id).map(|c| c.committer.time).unwrap_or(0);
                            t.push((name, id, time));
                        }
                        t.sort_by(|a, b| (a.2, &a.0).cmp(&(b.2, &b.0)));
                        tags.insert(t)
                    }
                };
                match repo.commit(*o) {
                    Ok(_) => first_tag(repo, tags, *o),
                    Err(_) => None,
                }
            }
            _ => None,
        };
        let (message, _) = message_fields(&c.message);
        items.push(Item {
            commit: p.commit,
            series: p.series.clone(),
            author: c.author.clone(),
            message,
            origin: p.origin,
            mainline,
            diff: d.text,
            omitted: d.omitted,
        });
    }
    let files = render(opts.format, &items);
    let out_rel = opts
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(default_output(opts.format, &state.config.packaging)));
    let out = if out_rel.is_absolute() {
        out_rel.clone()
    } else {
        dir.join(&out_rel)
    };
    let mut written = Vec::new();
    let mut left_out = Vec::new();
    let mut spec = None;
    if opts.format == Format::Mbox {
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent).ctx(format!("creating {}", parent.display()))?;
        }
        std::fs::write(&out, &files.files[0].1).ctx(format!("writing {}", out.display()))?;
        written.push(out_rel.display().to_string());
    } else {
        // Read the spec before writing anything, so a missing one changes nothing.
        let spec_file = if opts.format == Format::Spec {
            Some(find_spec(&out, &state.config.spec_path())?)
        } else {
            None
        };
        for (rel, bytes) in &files.files {
            let path = out.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).ctx(format!("creating {}", parent.display()))?;
            }
            // Same bytes: leave the file (and its mtime) alone.
            if std::fs::read(&path).ok().as_deref() != Some(bytes.as_slice()) {
                std::fs::write(&path, bytes).ctx(format!("writing {}", path.display()))?;
            }
            written.push(rel.clone());
        }
        if let Some(spec_path) = spec_file {
            let text = std::fs::read_to_string(&spec_path).ctx(format!("reading {}", spec_path.display()))?;
            let edited = edit_spec(&text, &files.patches, opts.patch_start);
            if edited != text {
                std::fs::write(&spec_path, edited).ctx(format!("writing {}", spec_path.display()))?;
            }
            spec = Some(spec_path.display().to_string());
        }
    }
    for (it, (file, _)) in items.iter().zip(files.patches.iter()) {
        for p in &it.omitted {
            left_out.push(LeftOut {
                file: file.clone(),
                path: p.to_string(),
            });
        }
    }
    Ok(ExportReport {
        format: opts.format,
        output: out_rel.display().to_string(),
        files: written,
        patches: items.len(),
        left_out,
        spec,
    })
}

/// The spec in the output directory: the configured spec's file name if present, else the only `*.spec`.
fn find_spec(out: &Path, configured: &str) -> Result<PathBuf> {
    let name = Path::new(configured).file_name().map(PathBuf::from).unwrap_or_default();
    if out.join(&name).is_file() {
        return Ok(out.join(name));
    }
    let specs: Vec<PathBuf> = std::fs::read_dir(out)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "spec"))
                .collect()
        })
        .unwrap_or_default();
    match specs.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::input(format!("no spec file in {}", out.display()))
            .hint("name the packaging directory holding the spec with -o DIR")),
        _ => Err(Error::input(format!("several spec files in {}", out.display()))
            .hint("set `spec` in pq.toml to the one to edit")),
    }
}
