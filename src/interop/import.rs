//! Reading a patch queue in each format: which patch files, in which order, in which series, and each
//! file parsed. Everything is read and checked before anything is applied, so bad input changes nothing.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;

use crate::error::{Error, Result};
use crate::interop::patchfile::{self, PatchFile};
use crate::interop::Format;

/// One patch to import.
pub struct Input {
    pub series: Option<String>,
    pub patch: PatchFile,
}

/// What was read.
pub struct Queue {
    pub format: Format,
    pub inputs: Vec<Input>,
    /// Entries not imported, and why (guarded SUSE patches).
    pub notes: Vec<String>,
}

fn display(base: &Path, p: &Path) -> String {
    p.strip_prefix(base).unwrap_or(p).display().to_string()
}

fn read(path: &Path, shown: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::input(format!("cannot read {shown}: {e}")).hint("check the path"))
}

/// Detect the format of `path` (a directory or a file).
pub fn detect(path: &Path) -> Result<Format> {
    if path.is_dir() {
        if path.join("series.conf").is_file() {
            return Ok(Format::Suse);
        }
        if path.join("series").is_file() {
            let debian = path.ends_with("debian/patches");
            return Ok(if debian { Format::Debian } else { Format::Quilt });
        }
        let has_spec = std::fs::read_dir(path)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .any(|e| e.path().extension().is_some_and(|x| x == "spec"))
            })
            .unwrap_or(false);
        if has_spec {
            return Ok(Format::Spec);
        }
        return Err(
            Error::input(format!("{} holds no series, series.conf or spec file", path.display()))
                .hint("name the directory holding the series file, or the mbox or spec file itself"),
        );
    }
    if !path.exists() {
        return Err(Error::input(format!("{} does not exist", path.display())).hint("check the path"));
    }
    if path.extension().is_some_and(|x| x == "spec") {
        return Ok(Format::Spec);
    }
    let head = read(path, &path.display().to_string())?;
    if head.first_line_is_mbox() {
        return Ok(Format::Mbox);
    }
    Ok(Format::Quilt)
}

trait FirstLine {
    fn first_line_is_mbox(&self) -> bool;
}
impl FirstLine for Vec<u8> {
    fn first_line_is_mbox(&self) -> bool {
        patchfile::is_mbox_from(self.split(|b| *b == b'\n').next().unwrap_or(b""))
    }
}

/// A relative path named by an index file must stay under its directory.
fn safe_rel(index: &str, line: usize, rel: &str) -> Result<()> {
    let p = Path::new(rel);
    let ok = !rel.is_empty() && p.components().all(|c| matches!(c, std::path::Component::Normal(_)));
    if !ok {
        return Err(Error::input(format!("{index}:{line}: unsafe patch path '{rel}'"))
            .hint("the series may only name files below its own directory"));
    }
    Ok(())
}

fn missing(index: &str, line: usize, rel: &str) -> Error {
    Error::input(format!("{index}:{line}: names {rel}, which does not exist"))
        .hint("add the patch file or remove the line, then run the command again")
}

/// Read the queue at `path` (relative paths are taken from `base`).
pub fn read_queue(base: &Path, path: &Path, format: Option<Format>) -> Result<Queue> {
    let format = match format {
        Some(f) => f,
        None => detect(path)?,
    };
    let mut inputs = Vec::new();
    let mut notes = Vec::new();
    match format {
        Format::Quilt | Format::Debian => {
            let (dir, single) = if path.is_dir() {
                (path.to_path_buf(), None)
            } else {
                (PathBuf::new(), Some(path))
            };
            if let Some(file) = single {
                let shown = display(base, file);
                let patch = patchfile::parse(&shown, &read(file, &shown)?, 1)?;
                inputs.push(Input { series: None, patch });
            } else {
                let index = dir.join("series");
                let shown_index = display(base, &index);
                let text = String::from_utf8_lossy(&read(&index, &shown_index)?).into_owned();
                for (n, line) in text.lines().enumerate() {
                    let line = line.split('#').next().unwrap_or("").trim();
                    if line.is_empty() {
                        continue;
                    }
                    let mut words = line.split_whitespace();
                    let rel = words.next().unwrap_or("");
                    for opt in words {
                        if opt != "-p1" && opt != "-p" && opt != "1" {
                            return Err(Error::input(format!(
                                "{shown_index}:{}: option '{opt}' is not supported (pq applies patches with -p1)",
                                n + 1
                            ))
                            .hint("regenerate the patch with a/ and b/ prefixes"));
                        }
                    }
                    safe_rel(&shown_index, n + 1, rel)?;
                    let file = dir.join(rel);
                    if !file.is_file() {
                        return Err(missing(&shown_index, n + 1, rel));
                    }
                    let shown = display(base, &file);
                    let patch = patchfile::parse(&shown, &read(&file, &shown)?, 1)?;
                    let series = Path::new(rel)
                        .parent()
                        .map(|p| p.to_string_lossy().into_owned())
                        .filter(|s| !s.is_empty());
                    inputs.push(Input { series, patch });
                }
            }
        }
        Format::Suse => {
            let dir = if path.is_dir() {
                path.to_path_buf()
            } else {
                path.parent().unwrap_or(Path::new(".")).to_path_buf()
            };
            let index = if path.is_dir() {
                dir.join("series.conf")
            } else {
                path.to_path_buf()
            };
            let shown_index = display(base, &index);
            let text = String::from_utf8_lossy(&read(&index, &shown_index)?).into_owned();
            let mut section: Option<String> = None;
            let mut in_banner = false;
            let mut title_taken = false;
            for (n, raw) in text.lines().enumerate() {
                let line = raw.trim();
                if line.starts_with("##") && line.chars().all(|c| c == '#') {
                    in_banner = !in_banner;
                    if in_banner {
                        title_taken = false;
                    }
                    continue;
                }
                if let Some(comment) = line.strip_prefix('#') {
                    let c = comment.trim();
                    if in_banner && !title_taken && !c.is_empty() {
                        section = Some(c.split_whitespace().collect::<Vec<_>>().join("-"));
                        title_taken = true;
                    }
                    continue;
                }
                if line.is_empty() {
                    continue;
                }
                let mut words: Vec<&str> = line.split_whitespace().collect();
                if words.len() > 1 && (words[0].starts_with('+') || words[0].starts_with('-')) {
                    notes.push(format!(
                        "{shown_index}:{}: {} is guarded ({}); not imported",
                        n + 1,
                        words[1],
                        words[0]
                    ));
                    continue;
                }
                let rel = words.remove(0);
                safe_rel(&shown_index, n + 1, rel)?;
                let file = dir.join(rel);
                if !file.is_file() {
                    return Err(missing(&shown_index, n + 1, rel));
                }
                let shown = display(base, &file);
                let patch = patchfile::parse(&shown, &read(&file, &shown)?, 1)?;
                inputs.push(Input {
                    series: section.clone(),
                    patch,
                });
            }
        }
        Format::Spec => {
            let spec = if path.is_dir() {
                let specs: Vec<PathBuf> = std::fs::read_dir(path)?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "spec"))
                    .collect();
                match specs.as_slice() {
                    [one] => one.clone(),
                    _ => {
                        return Err(
                            Error::input(format!("{} does not hold exactly one spec file", path.display()))
                                .hint("name the spec file itself"),
                        )
                    }
                }
            } else {
                path.to_path_buf()
            };
            let dir = spec.parent().unwrap_or(Path::new(".")).to_path_buf();
            let shown_index = display(base, &spec);
            let text = String::from_utf8_lossy(&read(&spec, &shown_index)?).into_owned();
            static TAG: OnceLock<Regex> = OnceLock::new();
            let tag = TAG.get_or_init(|| Regex::new(r"(?i)^Patch(\d*)\s*:\s*(\S+)\s*$").expect("valid"));
            let mut entries: Vec<(u64, usize, String, Option<String>)> = Vec::new();
            let mut series: Option<String> = None;
            for (n, line) in text.lines().enumerate() {
                if let Some(s) = line.strip_prefix("# series ") {
                    series = Some(s.trim().to_string());
                }
                if let Some(c) = tag.captures(line) {
                    let rel = c[2].to_string();
                    if rel.contains('%') {
                        return Err(
                            Error::input(format!("{shown_index}:{}: patch name '{rel}' uses a macro", n + 1))
                                .hint("import the patch files with `pq import DIR/series` or name them literally"),
                        );
                    }
                    entries.push((c[1].parse().unwrap_or(0), n + 1, rel, series.clone()));
                }
            }
            // rpm applies them in number order.
            entries.sort_by_key(|e| e.0);
            for (_, line, rel, series) in entries {
                safe_rel(&shown_index, line, &rel)?;
                let file = dir.join(&rel);
                if !file.is_file() {
                    return Err(missing(&shown_index, line, &rel));
                }
                let shown = display(base, &file);
                let patch = patchfile::parse(&shown, &read(&file, &shown)?, 1)?;
                inputs.push(Input { series, patch });
            }
        }
        Format::Mbox => {
            let shown = display(base, path);
            let text = read(path, &shown)?;
            for (line, msg) in patchfile::split_mbox(&text) {
                let patch = patchfile::parse(&format!("{shown}:{line}"), msg, line)?;
                let series = patch.header("X-pq-series").map(|h| h.value.clone());
                inputs.push(Input { series, patch });
            }
            if inputs.is_empty() {
                return Err(Error::input(format!("{shown} holds no messages"))
                    .hint("an mbox starts with a `From <id> <date>` line, as `git format-patch --stdout` writes"));
            }
        }
    }
    if inputs.is_empty() {
        return Err(Error::input(format!("{} lists no patches", path.display())).hint("nothing to import"));
    }
    Ok(Queue { format, inputs, notes })
}

/// The upstream commit a patch names: `Git-commit:` (SUSE), `Origin:` (DEP-3), or a provenance line in
/// its message (every dialect pq reads). A header that names a commit badly is an error at its line.
pub fn origin(p: &PatchFile) -> Result<Option<crate::git::Oid>> {
    Ok(origin_and_via(p)?.0)
}

/// The origin and, when the patch was picked from a commit that is itself a backport, the commit it was
/// picked from (`via`), as `pq backport` records them: a `cherry-pick -x` line next to another dialect
/// names the via, the other the origin.
pub fn origin_and_via(p: &PatchFile) -> Result<(Option<crate::git::Oid>, Option<crate::git::Oid>)> {
    use crate::model::provenance::{parse, Dialect};
    let provs = parse(&p.message());
    let picked = provs
        .iter()
        .find(|x| x.dialect == Dialect::CherryPick)
        .map(|x| x.commit);
    let other = provs
        .iter()
        .find(|x| x.dialect != Dialect::CherryPick)
        .map(|x| x.commit);
    let from_message = if provs.len() > 1 {
        other
    } else {
        provs.first().map(|x| x.commit)
    };
    let origin = header_origin(p)?.or(from_message);
    let via = picked.filter(|v| Some(*v) != origin);
    Ok((origin, via))
}

fn header_origin(p: &PatchFile) -> Result<Option<crate::git::Oid>> {
    let id = |s: &str| crate::git::Oid::from_hex(s.as_bytes()).ok();
    let is_full = |s: &str| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    if let Some(h) = p.header("Git-commit") {
        let v = h.value.trim();
        if !is_full(v) {
            return Err(
                Error::input(format!("{}:{}: malformed Git-commit header '{v}'", p.name, h.line))
                    .hint("Git-commit names the upstream commit by its full 40-digit id"),
            );
        }
        return Ok(id(v));
    }
    if let Some(h) = p.header("Origin") {
        static HEX: OnceLock<Regex> = OnceLock::new();
        let hex = HEX.get_or_init(|| Regex::new(r"\b[0-9a-f]{40}\b").expect("valid"));
        if let Some(pos) = h.value.find("commit:") {
            let id: String = h.value[pos + 7..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != ',')
                .collect();
            if !is_full(&id) {
                return Err(
                    Error::input(format!("{}:{}: malformed Origin header '{}'", p.name, h.line, h.value))
                        .hint("write it as `Origin: upstream, commit:<40-digit id>`"),
                );
            }
            return Ok(crate::git::Oid::from_hex(id.as_bytes()).ok());
        }
        if let Some(m) = hex.find(&h.value) {
            return Ok(id(m.as_str()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(headers: &str) -> PatchFile {
        patchfile::parse(
            "p.patch",
            format!("{headers}\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n").as_bytes(),
            1,
        )
        .unwrap()
    }

    #[test]
    fn origins_from_every_dialect() {
        let a = "0123456789abcdef0123456789abcdef01234567";
        let got = |h: String| origin(&patch(&h)).unwrap().map(|o| o.to_string());
        assert_eq!(got(format!("Subject: s\nGit-commit: {a}\n")).as_deref(), Some(a));
        assert_eq!(
            got(format!("Subject: s\nOrigin: upstream, commit:{a}\n")).as_deref(),
            Some(a)
        );
        assert_eq!(
            got(format!(
                "Subject: s\nOrigin: upstream, https://git.kernel.org/linus/{a}\n"
            ))
            .as_deref(),
            Some(a)
        );
        assert_eq!(got(format!("Subject: s\n\ncommit {a} upstream.\n")).as_deref(), Some(a));
        assert_eq!(
            origin(&patch("Subject: s\nOrigin: https://bugs.debian.org/863290#5\n")).unwrap(),
            None
        );
        let e = origin(&patch(
            "Subject: s\nDate: Tue, 15 Aug 2023 15:39:01 +0200\nGit-commit: 02c6c244\n",
        ))
        .unwrap_err();
        assert_eq!(e.message, "p.patch:3: malformed Git-commit header '02c6c244'");
    }
}
