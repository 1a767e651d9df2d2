//! The blame of a stop's conflicted files, kept for the next stops of the same operation
//! (`.git/pq/op/line-origins`): per file, who last changed each line of the picked commit's parent. The
//! next stop's parent usually descends from it, so its blame (computed forward, see
//! [`crate::engine::blame`]) starts there and diffs only the versions in between.
//!
//! A version is keyed by commit id (and the file by the range's base), so it never goes stale; a missing
//! or unreadable file is ignored. Nothing is written without the stop directory.

use std::collections::HashMap;
use std::path::Path;

use crate::engine::blame::Origins;
use crate::error::Result;
use crate::git::Oid;
use crate::lock::write_cache;

const FILE: &str = "line-origins";
const HEADER: &str = "pq line origins 1";
/// The file's last line: a file cut short (it is not synced to disk) has none and is ignored.
const END: &str = "e";
/// Versions kept per recently blamed file: the last stops' parents.
const VERSIONS: usize = 3;
/// Files that keep [`VERSIONS`] versions: the most recently blamed.
const RECENT_FILES: usize = 64;
/// Files kept at all, the older ones with their last version only: a long backport's stops blame
/// hundreds of files, and a file met again after many others is then blamed from where it was left
/// rather than from the base (a version is a few hundred bytes of runs).
const FILES: usize = 1024;

/// Per line, the commit that last changed it (`None`: older than the range).
type Lines = Vec<Option<Oid>>;

/// One kept version of a file, in its written form (its `o` and `r` lines): only the files a stop blames
/// are decoded, the others are written back as they were read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    commit: Oid,
    text: String,
}

/// The kept blames of one operation.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LineOrigins {
    base: Option<Oid>,
    /// Most recently blamed last; per file, its versions, most recent last.
    files: Vec<(String, Vec<Version>)>,
    added: bool,
}

impl LineOrigins {
    /// The blames kept for the range above `base`.
    pub fn load(git_dir: &Path, base: Oid) -> LineOrigins {
        let kept = std::fs::read_to_string(super::dir(git_dir).join(FILE))
            .ok()
            .and_then(|t| Self::parse(&t))
            .filter(|k| k.base == Some(base));
        kept.unwrap_or(LineOrigins {
            base: Some(base),
            ..LineOrigins::default()
        })
    }

    /// Hand `path`'s kept versions to its blame (a version that does not decode is left out).
    pub fn seed(&self, path: &str, origins: &mut Origins) {
        for v in self.files.iter().filter(|f| f.0 == path).flat_map(|f| &f.1) {
            if let Some(lines) = decode(&v.text) {
                origins.learn(v.commit, &lines);
            }
        }
    }

    /// Keep `path`'s version at `commit`.
    pub fn keep(&mut self, path: &str, commit: Oid, lines: &[Option<Oid>]) {
        if path.contains('\n') {
            return;
        }
        let mut versions = match self.files.iter().position(|f| f.0 == path) {
            Some(i) => self.files.remove(i).1,
            None => Vec::new(),
        };
        versions.retain(|v| v.commit != commit);
        versions.push(Version {
            commit,
            text: encode(lines),
        });
        if versions.len() > VERSIONS {
            versions.remove(0);
        }
        self.files.push((path.to_string(), versions));
        if let Some(i) = self.files.len().checked_sub(RECENT_FILES + 1) {
            let older = &mut self.files[i].1;
            older.drain(..older.len().saturating_sub(1));
        }
        if self.files.len() > FILES {
            self.files.remove(0);
        }
        self.added = true;
    }

    fn parse(text: &str) -> Option<LineOrigins> {
        let text = text.strip_suffix(&format!("\n{END}\n"))?;
        let mut lines = text.split('\n');
        if lines.next() != Some(HEADER) {
            return None;
        }
        let base = Oid::from_hex(lines.next()?.strip_prefix("b ")?.as_bytes()).ok()?;
        let mut kept = LineOrigins {
            base: Some(base),
            ..LineOrigins::default()
        };
        for l in lines {
            if let Some(rest) = l.strip_prefix("f ") {
                let (commit, path) = rest.split_once(' ')?;
                let version = Version {
                    commit: Oid::from_hex(commit.as_bytes()).ok()?,
                    text: String::new(),
                };
                match kept.files.last_mut() {
                    Some(f) if f.0 == path => f.1.push(version),
                    _ => kept.files.push((path.to_string(), vec![version])),
                }
            } else if l.starts_with("o ") || l.starts_with("r ") {
                let text = &mut kept.files.last_mut()?.1.last_mut()?.text;
                text.push_str(l);
                text.push('\n');
            } else {
                return None;
            }
        }
        Some(kept)
    }

    fn render(&self) -> Option<String> {
        let mut out = format!("{HEADER}\nb {}\n", self.base?);
        for (path, versions) in &self.files {
            for v in versions {
                out.push_str(&format!("f {} {path}\n", v.commit));
                out.push_str(&v.text);
            }
        }
        out.push_str(END);
        out.push('\n');
        Some(out)
    }

    /// Keep the blames for the next stop, if there is something new (the stop directory must exist). Not
    /// synced to disk: a file a crash cuts short is ignored.
    pub fn save(&self, git_dir: &Path) -> Result<()> {
        let dir = super::dir(git_dir);
        if !self.added || !dir.is_dir() {
            return Ok(());
        }
        match self.render() {
            Some(text) => write_cache(&dir.join(FILE), text.as_bytes()),
            None => Ok(()),
        }
    }
}

/// A version's lines as `o ID` lines (the commits it names, numbered in order) and one `r` line of runs
/// `INDEX:COUNT` (`-` for lines older than the range).
fn encode(lines: &[Option<Oid>]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let mut table: HashMap<Oid, usize> = HashMap::new();
    for id in lines.iter().flatten() {
        if !table.contains_key(id) {
            table.insert(*id, table.len());
            let _ = writeln!(out, "o {id}");
        }
    }
    let mut i = 0;
    let mut first = true;
    while i < lines.len() {
        let n = lines[i..].iter().take_while(|l| **l == lines[i]).count();
        out.push_str(if first { "r " } else { " " });
        first = false;
        let _ = match lines[i] {
            Some(id) => write!(out, "{}:{n}", table[&id]),
            None => write!(out, "-:{n}"),
        };
        i += n;
    }
    if !first {
        out.push('\n');
    }
    out
}

fn decode(text: &str) -> Option<Lines> {
    let mut table: Vec<Oid> = Vec::new();
    let mut out = Vec::new();
    for l in text.lines() {
        if let Some(id) = l.strip_prefix("o ") {
            table.push(Oid::from_hex(id.as_bytes()).ok()?);
        } else {
            for run in l.strip_prefix("r ")?.split(' ') {
                let (who, count) = run.split_once(':')?;
                let who = match who {
                    "-" => None,
                    i => Some(*table.get(i.parse::<usize>().ok()?)?),
                };
                out.extend(std::iter::repeat_n(who, count.parse().ok()?));
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(n: u8) -> Oid {
        Oid::from_bytes_or_panic(&[n; 20])
    }

    #[test]
    fn kept_blames_round_trip_and_a_corrupt_file_is_ignored() {
        let mut kept = LineOrigins {
            base: Some(oid(1)),
            ..LineOrigins::default()
        };
        let first = vec![Some(oid(5)), Some(oid(5)), None, Some(oid(6)), None];
        kept.keep("lib/a b.c", oid(2), &first);
        kept.keep("lib/empty.c", oid(2), &[]);
        kept.keep("lib/a b.c", oid(3), &[None, Some(oid(7))]);
        kept.keep("bad\nname", oid(3), &[None]);
        let text = kept.render().unwrap();
        let back = LineOrigins::parse(&text).unwrap();
        assert_eq!(back.base, kept.base);
        assert_eq!(back.files, kept.files);
        assert_eq!(kept.files[1].1.len(), 2, "both versions of the file are kept");
        let decoded: Vec<Lines> = back.files[1].1.iter().map(|v| decode(&v.text).unwrap()).collect();
        assert_eq!(decoded, vec![first, vec![None, Some(oid(7))]]);
        assert_eq!(decode(&back.files[0].1[0].text), Some(vec![]));
        assert!(LineOrigins::parse("pq line origins 1\nb 01\ne\n").is_none());
        for cut in 0..text.len() - 1 {
            assert!(LineOrigins::parse(&text[..cut]).is_none(), "cut at {cut}");
        }
        assert!(decode("r 9:2\n").is_none(), "no such commit");
        assert!(decode("o zz\nr 0:2\n").is_none());
        assert!(LineOrigins::parse("pq line origins 0\n").is_none());
    }

    #[test]
    fn only_the_last_versions_are_kept() {
        let mut kept = LineOrigins::default();
        for n in 0..5 {
            kept.keep("a.c", oid(n), &[Some(oid(n))]);
        }
        let commits: Vec<Oid> = kept.files[0].1.iter().map(|v| v.commit).collect();
        assert_eq!(commits, vec![oid(2), oid(3), oid(4)]);
    }

    #[test]
    fn older_files_keep_their_last_version_until_the_limit() {
        let mut kept = LineOrigins::default();
        for round in 0..2u8 {
            for f in 0..RECENT_FILES + 2 {
                kept.keep(&format!("f{f}.c"), oid(round), &[Some(oid(round))]);
            }
        }
        let versions = |path: &str| -> Vec<Oid> {
            let f = kept.files.iter().find(|f| f.0 == path).unwrap();
            f.1.iter().map(|v| v.commit).collect()
        };
        assert_eq!(
            versions("f0.c"),
            vec![oid(1)],
            "fell out of the recent files: last version only"
        );
        assert_eq!(versions("f1.c"), vec![oid(1)]);
        assert_eq!(versions("f2.c"), vec![oid(0), oid(1)], "still recent");
        assert_eq!(kept.files.len(), RECENT_FILES + 2);
        for f in 0..FILES + 10 {
            kept.keep(&format!("g{f}.c"), oid(3), &[None]);
        }
        assert_eq!(kept.files.len(), FILES);
        assert!(
            kept.files.iter().all(|f| f.0.starts_with('g')),
            "the oldest files go first"
        );
    }
}
