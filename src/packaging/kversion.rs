//! The upstream kernel version, as the top-level Makefile and the release tags
//! state it.
//!
//! Display follows `make kernelversion` / `uname -r` without local suffixes:
//! `6.7.1`, `6.8.0-rc3`. Upstream tags drop a zero sublevel (`v6.8-rc3`), RPM's
//! Version field never carries the rc (`6.8.0`; Fedora moves `rc3` into the
//! Release, see `nvr`), so both renderings are separate methods.

use std::cmp::Ordering;
use std::fmt;

use crate::packaging::PackagingError;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KernelVersion {
    pub version: u32,
    pub patchlevel: u32,
    pub sublevel: u32,
    /// `Some(3)` for `-rc3`.
    pub rc: Option<u32>,
    /// Whatever EXTRAVERSION holds besides `-rcN` (usually empty), kept so
    /// Display reproduces `make kernelversion`.
    pub extra: String,
}

impl KernelVersion {
    pub fn new(version: u32, patchlevel: u32, sublevel: u32, rc: Option<u32>) -> Self {
        KernelVersion {
            version,
            patchlevel,
            sublevel,
            rc,
            extra: String::new(),
        }
    }

    /// Reads `VERSION`, `PATCHLEVEL`, `SUBLEVEL` and `EXTRAVERSION` from the
    /// kernel's top-level Makefile. `file` names the Makefile in errors.
    pub fn from_makefile(file: &str, text: &str) -> Result<Self, PackagingError> {
        let mut fields: [Option<(usize, String)>; 4] = Default::default();
        const NAMES: [&str; 4] = ["VERSION", "PATCHLEVEL", "SUBLEVEL", "EXTRAVERSION"];
        let assign = crate::packaging::static_regex!(r"^([A-Z]+)\s*:?=\s*(.*?)\s*$");
        for (idx, line) in text.lines().enumerate() {
            let Some(c) = assign.captures(line) else {
                continue;
            };
            if let Some(slot) = NAMES.iter().position(|n| *n == &c[1]) {
                // The first assignment is the real one; later ones would be
                // in conditionals that the kernel Makefile does not have.
                if fields[slot].is_none() {
                    fields[slot] = Some((idx + 1, c[2].to_string()));
                }
            }
            if fields.iter().all(Option::is_some) {
                break;
            }
        }
        let number = |slot: usize| -> Result<u32, PackagingError> {
            let Some((line, value)) = &fields[slot] else {
                return Err(PackagingError::in_file(
                    file,
                    format!(
                        "has no `{} = N` line: is this the kernel's top-level Makefile?",
                        NAMES[slot]
                    ),
                ));
            };
            value.parse().map_err(|_| {
                PackagingError::at_line(
                    file,
                    *line,
                    format!(
                        "{} = {value} is not a number: it must be a plain decimal like `{} = 1`",
                        NAMES[slot], NAMES[slot]
                    ),
                )
            })
        };
        let version = number(0)?;
        let patchlevel = number(1)?;
        let sublevel = number(2)?;
        let (rc, extra) = match &fields[3] {
            None => (None, String::new()),
            Some((line, value)) => split_extraversion(value).ok_or_else(|| {
                PackagingError::at_line(
                    file,
                    *line,
                    format!("EXTRAVERSION = {value} has a malformed -rc number: write it as `-rcN`"),
                )
            })?,
        };
        Ok(KernelVersion {
            version,
            patchlevel,
            sublevel,
            rc,
            extra,
        })
    }

    /// Parses an upstream tag name: `v6.7`, `v6.7.1`, `v6.8-rc3` (also without
    /// the `v` and with a `refs/tags/` prefix).
    pub fn from_tag(tag: &str) -> Result<Self, PackagingError> {
        let re = crate::packaging::static_regex!(r"^(?:refs/tags/)?v?(\d+)\.(\d+)(?:\.(\d+))?(?:-rc(\d+))?$");
        let c = re.captures(tag).ok_or_else(|| {
            PackagingError::invalid(
                "kernel tag",
                tag,
                "expected an upstream tag such as `v6.7`, `v6.7.1` or `v6.8-rc3`",
            )
        })?;
        let num = |i: usize| -> Result<Option<u32>, PackagingError> {
            c.get(i)
                .map(|m| {
                    m.as_str()
                        .parse()
                        .map_err(|_| PackagingError::invalid("kernel tag", tag, "number out of range"))
                })
                .transpose()
        };
        Ok(KernelVersion {
            version: num(1)?.unwrap_or(0),
            patchlevel: num(2)?.unwrap_or(0),
            sublevel: num(3)?.unwrap_or(0),
            rc: num(4)?,
            extra: String::new(),
        })
    }

    /// `6.8` — the upstream series.
    pub fn base(&self) -> String {
        format!("{}.{}", self.version, self.patchlevel)
    }

    /// `6.8.0` — the numeric part, as RPM's Version field carries it in the
    /// Fedora scheme.
    pub fn numeric(&self) -> String {
        format!("{}.{}.{}", self.version, self.patchlevel, self.sublevel)
    }

    /// The upstream tag for this version: `v6.8-rc3`, `v6.8`, `v6.7.1`.
    pub fn tag_name(&self) -> String {
        let mut s = format!("v{}", self.base());
        if self.sublevel != 0 {
            s.push_str(&format!(".{}", self.sublevel));
        }
        if let Some(rc) = self.rc {
            s.push_str(&format!("-rc{rc}"));
        }
        s
    }

    /// Whether this is a final release (no `-rcN`).
    pub fn is_release(&self) -> bool {
        self.rc.is_none()
    }

    /// Human-readable differences between two descriptions of the version,
    /// e.g. `SUBLEVEL 1 vs 2`; empty when they agree. `extra` is ignored
    /// because tags never carry it.
    pub fn differences(&self, other: &KernelVersion) -> Vec<String> {
        let mut out = Vec::new();
        let mut field = |name: &str, a: String, b: String| {
            if a != b {
                out.push(format!("{name} {a} vs {b}"));
            }
        };
        field("VERSION", self.version.to_string(), other.version.to_string());
        field("PATCHLEVEL", self.patchlevel.to_string(), other.patchlevel.to_string());
        field("SUBLEVEL", self.sublevel.to_string(), other.sublevel.to_string());
        let rc = |r: Option<u32>| r.map_or("none".to_string(), |n| format!("rc{n}"));
        field("rc", rc(self.rc), rc(other.rc));
        out
    }

    /// Checks that the Makefile version (`self`) matches an upstream tag, with
    /// an error that says which one to fix.
    pub fn ensure_matches_tag(&self, makefile: &str, tag: &str) -> Result<(), PackagingError> {
        let tagged = KernelVersion::from_tag(tag)?;
        let diffs = self.differences(&tagged);
        if diffs.is_empty() {
            return Ok(());
        }
        Err(PackagingError::VersionMismatch {
            first: makefile.to_string(),
            first_version: self.to_string(),
            second: format!("tag {tag}"),
            second_version: tagged.to_string(),
            hint: format!(
                "{} differ; check out the tagged commit or pass the tag that matches the Makefile",
                diffs.join(", ")
            ),
        })
    }
}

/// Splits EXTRAVERSION into the rc number and the rest. None when it starts
/// with `-rc` but no number follows.
fn split_extraversion(value: &str) -> Option<(Option<u32>, String)> {
    let Some(rest) = value.strip_prefix("-rc") else {
        return Some((None, value.to_string()));
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let rc = rest[..digits].parse().ok()?;
    Some((Some(rc), rest[digits..].to_string()))
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.numeric())?;
        if let Some(rc) = self.rc {
            write!(f, "-rc{rc}")?;
        }
        f.write_str(&self.extra)
    }
}

impl Ord for KernelVersion {
    /// Upstream order: a release candidate comes before its final release.
    fn cmp(&self, other: &Self) -> Ordering {
        (self.version, self.patchlevel, self.sublevel)
            .cmp(&(other.version, other.patchlevel, other.sublevel))
            .then_with(|| match (self.rc, other.rc) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(&b),
            })
            .then_with(|| self.extra.cmp(&other.extra))
    }
}

impl PartialOrd for KernelVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAKEFILE_HEAD: &str = "# SPDX-License-Identifier: GPL-2.0\nVERSION = 6\nPATCHLEVEL = 8\nSUBLEVEL = 0\nEXTRAVERSION = -rc3\nNAME = Hurr durr I'ma ninja sloth\n\n# *DOCUMENTATION*\nVERSION_FOO = 9\n";

    #[test]
    fn parses_makefile_rc() {
        let v = KernelVersion::from_makefile("Makefile", MAKEFILE_HEAD).unwrap();
        assert_eq!(v, KernelVersion::new(6, 8, 0, Some(3)));
        assert_eq!(v.to_string(), "6.8.0-rc3");
        assert_eq!(v.numeric(), "6.8.0");
        assert_eq!(v.tag_name(), "v6.8-rc3");
        assert!(!v.is_release());
    }

    #[test]
    fn parses_makefile_stable_with_empty_extraversion() {
        let text = "VERSION = 6\nPATCHLEVEL = 7\nSUBLEVEL = 1\nEXTRAVERSION =\n";
        let v = KernelVersion::from_makefile("Makefile", text).unwrap();
        assert_eq!(v, KernelVersion::new(6, 7, 1, None));
        assert_eq!(v.to_string(), "6.7.1");
        assert_eq!(v.tag_name(), "v6.7.1");
    }

    #[test]
    fn keeps_extra_text_in_extraversion() {
        let text = "VERSION = 6\nPATCHLEVEL = 9\nSUBLEVEL = 0\nEXTRAVERSION = -rc1-next\n";
        let v = KernelVersion::from_makefile("Makefile", text).unwrap();
        assert_eq!(v.rc, Some(1));
        assert_eq!(v.extra, "-next");
        assert_eq!(v.to_string(), "6.9.0-rc1-next");
    }

    #[test]
    fn makefile_errors_name_the_line_and_fix() {
        let err =
            KernelVersion::from_makefile("linux/Makefile", "VERSION = 6\nPATCHLEVEL = x\nSUBLEVEL = 0\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "linux/Makefile:2: PATCHLEVEL = x is not a number: it must be a plain decimal like `PATCHLEVEL = 1`"
        );
        let err = KernelVersion::from_makefile("Makefile", "VERSION = 6\nPATCHLEVEL = 1\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Makefile has no `SUBLEVEL = N` line: is this the kernel's top-level Makefile?"
        );
        let err = KernelVersion::from_makefile(
            "Makefile",
            "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\nEXTRAVERSION = -rcX\n",
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("Makefile:4: EXTRAVERSION = -rcX"), "{err}");
    }

    #[test]
    fn parses_tags() {
        assert_eq!(
            KernelVersion::from_tag("v6.7").unwrap(),
            KernelVersion::new(6, 7, 0, None)
        );
        assert_eq!(
            KernelVersion::from_tag("v6.7.1").unwrap(),
            KernelVersion::new(6, 7, 1, None)
        );
        assert_eq!(
            KernelVersion::from_tag("v6.8-rc3").unwrap(),
            KernelVersion::new(6, 8, 0, Some(3))
        );
        assert_eq!(
            KernelVersion::from_tag("refs/tags/v5.14").unwrap(),
            KernelVersion::new(5, 14, 0, None)
        );
        assert_eq!(
            KernelVersion::from_tag("6.1.71").unwrap(),
            KernelVersion::new(6, 1, 71, None)
        );
        for bad in ["v6", "kernel-6.7.1-0", "v6.8-rc", "v6.8.x", ""] {
            let err = KernelVersion::from_tag(bad).unwrap_err();
            assert!(err.to_string().contains("v6.8-rc3"), "{bad}: {err}");
        }
    }

    #[test]
    fn tag_round_trip() {
        for tag in ["v6.7", "v6.7.1", "v6.8-rc3", "v5.14.21"] {
            assert_eq!(KernelVersion::from_tag(tag).unwrap().tag_name(), tag);
        }
    }

    #[test]
    fn reports_disagreement_with_tag() {
        let v = KernelVersion::from_makefile("Makefile", MAKEFILE_HEAD).unwrap();
        v.ensure_matches_tag("Makefile", "v6.8-rc3").unwrap();
        let err = v.ensure_matches_tag("Makefile", "v6.8-rc2").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Makefile says 6.8.0-rc3 but tag v6.8-rc2 says 6.8.0-rc2: rc rc3 vs rc2 differ; check out the tagged commit or pass the tag that matches the Makefile"
        );
        let stable = KernelVersion::new(6, 7, 1, None);
        assert_eq!(
            stable.differences(&KernelVersion::new(6, 8, 0, Some(1))),
            vec!["PATCHLEVEL 7 vs 8", "SUBLEVEL 1 vs 0", "rc none vs rc1"]
        );
    }

    #[test]
    fn orders_rc_before_release() {
        let mut vs = [
            KernelVersion::new(6, 8, 0, None),
            KernelVersion::new(6, 8, 0, Some(10)),
            KernelVersion::new(6, 7, 12, None),
            KernelVersion::new(6, 8, 0, Some(2)),
            KernelVersion::new(6, 8, 1, None),
        ];
        vs.sort();
        let shown: Vec<String> = vs.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["6.7.12", "6.8.0-rc2", "6.8.0-rc10", "6.8.0", "6.8.1"]);
    }
}
