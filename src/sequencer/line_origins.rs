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
/// Versions kept per file: the last stops' parents.
const VERSIONS: usize = 3;
/// Files kept: the most recently blamed.
const FILES: usize = 64;

/// Per line, the commit that last changed it (`None`: older than the range).
type Lines = Vec<Option<Oid>>;

/// The kept blames of one operation.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LineOrigins {
    base: Option<Oid>,
    /// Most recently blamed last; per file, its versions, most recent last.
    files: Vec<(String, Vec<(Oid, Lines)>)>,
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

    /// Hand `path`'s kept versions to its blame.
    pub fn seed(&self, path: &str, origins: &mut Origins) {
        for (commit, lines) in self.files.iter().filter(|f| f.0 == path).flat_map(|f| &f.1) {
            origins.learn(*commit, lines);
        }
    }

    /// Keep `path`'s version at `commit`.
    pub fn keep(&mut self, path: &str, commit: Oid, lines: Lines) {
        if path.contains('\n') {
            return;
        }
        let mut versions = match self.files.iter().position(|f| f.0 == path) {
            Some(i) => self.files.remove(i).1,
            None => Vec::new(),
        };
        versions.retain(|v| v.0 != commit);
        versions.push((commit, lines));
        if versions.len() > VERSIONS {
            versions.remove(0);
        }
        self.files.push((path.to_string(), versions));
        if self.files.len() > FILES {
            self.files.remove(0);
        }
        self.added = true;
    }

    fn parse(text: &str) -> Option<LineOrigins> {
        let text = text.strip_suffix(&format!("\n{END}\n"))?;
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return None;
        }
        let base = Oid::from_hex(lines.next()?.strip_prefix("b ")?.as_bytes()).ok()?;
        let mut kept = LineOrigins {
            base: Some(base),
            ..LineOrigins::default()
        };
        let mut table: Vec<Oid> = Vec::new();
        for l in lines {
            let (tag, rest) = l.split_at_checked(2)?;
            match tag {
                "f " => {
                    let (commit, path) = rest.split_once(' ')?;
                    let commit = Oid::from_hex(commit.as_bytes()).ok()?;
                    match kept.files.last_mut() {
                        Some(f) if f.0 == path => f.1.push((commit, Vec::new())),
                        _ => kept.files.push((path.to_string(), vec![(commit, Vec::new())])),
                    }
                    table.clear();
                }
                "o " => table.push(Oid::from_hex(rest.as_bytes()).ok()?),
                "r " => {
                    let version = &mut kept.files.last_mut()?.1.last_mut()?.1;
                    for run in rest.split(' ') {
                        let (who, count) = run.split_once(':')?;
                        let who = match who {
                            "-" => None,
                            i => Some(*table.get(i.parse::<usize>().ok()?)?),
                        };
                        let count: usize = count.parse().ok()?;
                        version.extend(std::iter::repeat_n(who, count));
                    }
                }
                _ => return None,
            }
        }
        Some(kept)
    }

    fn render(&self) -> Option<String> {
        let mut out = format!("{HEADER}\nb {}\n", self.base?);
        for (path, versions) in &self.files {
            for (commit, lines) in versions {
                out.push_str(&format!("f {commit} {path}\n"));
                let mut table: HashMap<Oid, usize> = HashMap::new();
                for id in lines.iter().flatten() {
                    if !table.contains_key(id) {
                        table.insert(*id, table.len());
                        out.push_str(&format!("o {id}\n"));
                    }
                }
                let mut runs: Vec<String> = Vec::new();
                let mut i = 0;
                while i < lines.len() {
                    let n = lines[i..].iter().take_while(|l| **l == lines[i]).count();
                    match lines[i] {
                        Some(id) => runs.push(format!("{}:{n}", table[&id])),
                        None => runs.push(format!("-:{n}")),
                    }
                    i += n;
                }
                if !runs.is_empty() {
                    out.push_str(&format!("r {}\n", runs.join(" ")));
                }
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
        kept.keep(
            "lib/a b.c",
            oid(2),
            vec![Some(oid(5)), Some(oid(5)), None, Some(oid(6)), None],
        );
        kept.keep("lib/empty.c", oid(2), vec![]);
        kept.keep("lib/a b.c", oid(3), vec![None, Some(oid(7))]);
        kept.keep("bad\nname", oid(3), vec![None]);
        let text = kept.render().unwrap();
        let back = LineOrigins::parse(&text).unwrap();
        assert_eq!(back.base, kept.base);
        assert_eq!(back.files, kept.files);
        assert_eq!(kept.files[1].1.len(), 2, "both versions of the file are kept");
        assert!(LineOrigins::parse("pq line origins 1\nb 01\ne\n").is_none());
        for cut in 0..text.len() - 1 {
            assert!(LineOrigins::parse(&text[..cut]).is_none(), "cut at {cut}");
        }
        assert!(LineOrigins::parse(&text.replace("r 0:2", "r 9:2")).is_none());
        assert!(LineOrigins::parse("pq line origins 0\n").is_none());
    }

    #[test]
    fn only_the_last_versions_are_kept() {
        let mut kept = LineOrigins::default();
        for n in 0..5 {
            kept.keep("a.c", oid(n), vec![Some(oid(n))]);
        }
        let commits: Vec<Oid> = kept.files[0].1.iter().map(|v| v.0).collect();
        assert_eq!(commits, vec![oid(2), oid(3), oid(4)]);
    }
}
