//! `Makefile.rhelver` and the release arithmetic of ARK/RHEL source-git trees, as
//! `redhat/scripts/new_release.sh` does it:
//! - y-stream (`ZSTREAM` unset or `no`): `RHEL_RELEASE` `N` becomes `N+1`;
//! - z-stream (`ZSTREAM = yes`): `Y.Z.z` becomes `Y.(Z+1).1` (a missing part counts as 0: `284` → `284.1.1`);
//! - branch (z-stream built for a named dist-git branch): `Y.Z.z` becomes `Y.Z.(z+1)`;
//! - `BUMP_RELEASE = no` keeps the number (every build then has a new upstream version).
//!
//! The new number is written back with new_release.sh's own substitution: the rest of every line holding
//! `RHEL_RELEASE =` is replaced, nothing else changes.

use crate::packaging::PackagingError;

/// Which of new_release.sh's `ZSTREAM_FLAG` branches applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// `ZSTREAM_FLAG=no`, `YSTREAM_FLAG=yes`.
    Y,
    /// `ZSTREAM_FLAG=yes`.
    Z,
    /// `ZSTREAM_FLAG=branch` (ZSTREAM=yes and RHDISTGIT_BRANCH given).
    Branch,
}

impl Stream {
    /// The value pq.toml's `stream` key takes.
    pub fn parse(value: &str) -> Option<Stream> {
        match value {
            "y" | "ystream" | "no" => Some(Stream::Y),
            "z" | "zstream" | "yes" => Some(Stream::Z),
            "branch" => Some(Stream::Branch),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Stream::Y => "y",
            Stream::Z => "z",
            Stream::Branch => "branch",
        }
    }
}

/// What `Makefile.rhelver` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RhelVer {
    pub major: u32,
    pub minor: u32,
    /// `237`, `284.30.1`.
    pub release: String,
    /// The value of `ZSTREAM ?= ...` (None when the file does not set it: the Makefile's default is no).
    pub zstream: Option<String>,
}

fn assignment<'a>(text: &'a str, name: &str) -> Option<(usize, &'a str)> {
    let re = crate::packaging::static_regex!(r"^([A-Z_]+)\s*[:?]?=\s*(.*?)\s*$");
    text.lines().enumerate().find_map(|(i, l)| {
        let c = re.captures(l)?;
        (c.get(1)?.as_str() == name).then(|| (i + 1, c.get(2).map_or("", |m| m.as_str())))
    })
}

/// The value of `NAME = v`, `NAME := v` or `NAME ?= v` in a Makefile fragment (first assignment).
pub fn make_variable<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    assignment(text, name).map(|(_, v)| v)
}

impl RhelVer {
    pub fn parse(file: &str, text: &str) -> Result<RhelVer, PackagingError> {
        let number = |name: &str| -> Result<u32, PackagingError> {
            let (line, v) = assignment(text, name)
                .ok_or_else(|| PackagingError::in_file(file, format!("has no `{name} = N` line")))?;
            v.parse()
                .map_err(|_| PackagingError::at_line(file, line, format!("{name} = {v} is not a number")))
        };
        let major = number("RHEL_MAJOR")?;
        let minor = number("RHEL_MINOR")?;
        // new_release.sh reads it with `s/^RHEL_RELEASE\ =\ \(.*\)/\1/p`: exactly one blank each side.
        let release = text
            .lines()
            .find_map(|l| l.strip_prefix("RHEL_RELEASE = "))
            .map(str::to_string)
            .ok_or_else(|| PackagingError::in_file(file, "has no `RHEL_RELEASE = N` line"))?;
        parse_release(&release).ok_or_else(|| {
            let line = text.lines().position(|l| l.starts_with("RHEL_RELEASE = ")).unwrap_or(0) + 1;
            PackagingError::at_line(
                file,
                line,
                format!("RHEL_RELEASE = {release} is not `N`, `N.N` or `N.N.N`"),
            )
        })?;
        Ok(RhelVer {
            major,
            minor,
            release,
            zstream: make_variable(text, "ZSTREAM").map(str::to_string),
        })
    }

    /// The stream the file asks for (`ZSTREAM ?= yes` → z-stream).
    pub fn stream(&self) -> Stream {
        match self.zstream.as_deref() {
            Some("yes") => Stream::Z,
            _ => Stream::Y,
        }
    }
}

/// `284.30.1` → [284, 30, 1]; None unless it is one to three decimal numbers.
pub fn parse_release(release: &str) -> Option<Vec<u64>> {
    let parts: Vec<&str> = release.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    parts
        .iter()
        .map(|p| {
            (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        })
        .collect()
}

/// new_release.sh: the next `RHEL_RELEASE` after `current`.
pub fn next_release(current: &str, stream: Stream, bump: bool) -> Result<String, PackagingError> {
    let parts = parse_release(current).ok_or_else(|| {
        PackagingError::invalid(
            "RHEL_RELEASE",
            current,
            "expected `N`, `N.N` or `N.N.N` (like 284.30.1)",
        )
    })?;
    if !bump {
        return Ok(current.to_string());
    }
    let y = parts[0];
    let zmaj = parts.get(1).copied().unwrap_or(0);
    let zmin = parts.get(2).copied().unwrap_or(0);
    Ok(match stream {
        Stream::Y => {
            if parts.len() > 1 {
                // `$((RELEASE + 1))` on `284.30.1` is a shell error: a y-stream build has a plain number.
                return Err(PackagingError::invalid(
                    "RHEL_RELEASE",
                    current,
                    "a y-stream release is a single number; this tree is a z-stream: set `ZSTREAM ?= yes` in Makefile.rhelver or `stream = \"z\"` in pq.toml",
                ));
            }
            (y + 1).to_string()
        }
        Stream::Z => format!("{y}.{}.1", zmaj + 1),
        Stream::Branch => format!("{y}.{zmaj}.{}", zmin + 1),
    })
}

/// new_release.sh's `sed -i -e "s/RHEL_RELEASE\ =.*/RHEL_RELEASE\ =\ $NEW_RELEASE/"`.
pub fn set_release(text: &str, new: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for line in text.split_inclusive('\n') {
        let (body, eol) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        match body.find("RHEL_RELEASE =") {
            Some(at) => {
                out.push_str(&body[..at]);
                out.push_str("RHEL_RELEASE = ");
                out.push_str(new);
            }
            None => out.push_str(body),
        }
        out.push_str(eol);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of a real Makefile.rhelver (comments trimmed).
    const RHEL10: &str = "RHEL_MAJOR = 10\nRHEL_MINOR = 3\n\n#\n# RHEL_RELEASE\n# -------------\n#\n# Do not trim this comment.\nRHEL_RELEASE = 237\n\n#\n# RHEL_REBASE_NUM\nRHEL_REBASE_NUM = 1\n";

    #[test]
    fn reads_the_real_file() {
        let r = RhelVer::parse("Makefile.rhelver", RHEL10).unwrap();
        assert_eq!((r.major, r.minor, r.release.as_str()), (10, 3, "237"));
        assert_eq!(r.stream(), Stream::Y);
        let z = RhelVer::parse(
            "m",
            &RHEL10.replace("RHEL_RELEASE = 237", "RHEL_RELEASE = 284.30.1\nZSTREAM ?= yes"),
        )
        .unwrap();
        assert_eq!(z.stream(), Stream::Z);
    }

    #[test]
    fn new_release_arithmetic() {
        assert_eq!(next_release("237", Stream::Y, true).unwrap(), "238");
        assert_eq!(next_release("284.30.1", Stream::Z, true).unwrap(), "284.31.1");
        assert_eq!(next_release("284", Stream::Z, true).unwrap(), "284.1.1");
        assert_eq!(next_release("284.30.1", Stream::Branch, true).unwrap(), "284.30.2");
        assert_eq!(next_release("284.30", Stream::Branch, true).unwrap(), "284.30.1");
        assert_eq!(next_release("284.30.1", Stream::Z, false).unwrap(), "284.30.1");
        assert!(next_release("284.30.1", Stream::Y, true).is_err());
        assert!(next_release("x", Stream::Y, true).is_err());
    }

    #[test]
    fn writes_back_like_sed() {
        let out = set_release(RHEL10, "238");
        assert!(out.contains("\nRHEL_RELEASE = 238\n"));
        assert_eq!(out.len(), RHEL10.len());
        assert_eq!(out.replace("RHEL_RELEASE = 238", "RHEL_RELEASE = 237"), RHEL10);
        // The comment lines above it (`# RHEL_RELEASE`) have no ` =` and stay.
        assert!(out.contains("# RHEL_RELEASE\n"));
    }
}
