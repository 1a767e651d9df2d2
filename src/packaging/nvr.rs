//! Name-version-release arithmetic: what the next build of a branch is called.
//!
//! The release number counts builds of one Version and goes back to the
//! branch's start value when the Version changes. Start values keep branches
//! apart under rpm's ordering (Fedora rawhide 1, newest stable 300, N-1 200,
//! N-2 100; enterprise LTS rebuilds 1000; ARK 0), so they are configuration.
//! Pre-releases are written one of two ways:
//! - `fedora`: Version `6.8.0`, Release `0.rc3.git0.N`, or `0.rc3.git2.N` for
//!   the second git snapshot after rc3. The leading `0.` makes every rc build
//!   sort before the final builds of the same Version, whose release continues
//!   the count. `git0` is always written because a letter run sorts before a
//!   number: `0.rc3.git1.2` would sort before a plain `0.rc3.1`.
//! - `tilde`: Version `6.8.0~rc3` (`6.8.0~rc3^git2` for a snapshot), Release `N`.
//!
//! A local tag and a dist tag follow the number: `6.7.1-0.hs1.el9`.

use std::cmp::Ordering;
use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::packaging::kversion::KernelVersion;
use crate::packaging::rpmvercmp::{compare_evr, rpmvercmp};
use crate::packaging::PackagingError;

/// The first release number of a new Version on a branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "StartValue", into = "u32")]
pub struct ReleaseStart(pub u32);

impl ReleaseStart {
    pub const ARK: ReleaseStart = ReleaseStart(0);
    pub const FEDORA_RAWHIDE: ReleaseStart = ReleaseStart(1);
    pub const FEDORA_STABLE: ReleaseStart = ReleaseStart(300);
    pub const FEDORA_STABLE_1: ReleaseStart = ReleaseStart(200);
    pub const FEDORA_STABLE_2: ReleaseStart = ReleaseStart(100);
    pub const ENTERPRISE_LTS: ReleaseStart = ReleaseStart(1000);

    /// Names accepted in configuration instead of a number.
    pub const PRESETS: &'static [(&'static str, ReleaseStart)] = &[
        ("ark", Self::ARK),
        ("rawhide", Self::FEDORA_RAWHIDE),
        ("fedora-stable", Self::FEDORA_STABLE),
        ("fedora-stable-1", Self::FEDORA_STABLE_1),
        ("fedora-stable-2", Self::FEDORA_STABLE_2),
        ("enterprise-lts", Self::ENTERPRISE_LTS),
    ];

    pub fn from_preset(name: &str) -> Option<ReleaseStart> {
        Self::PRESETS.iter().find(|(n, _)| *n == name).map(|&(_, start)| start)
    }
}

impl Default for ReleaseStart {
    fn default() -> Self {
        ReleaseStart::ARK
    }
}

impl From<ReleaseStart> for u32 {
    fn from(start: ReleaseStart) -> u32 {
        start.0
    }
}

/// What a config file may write for a start value: `300` or `"fedora-stable"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum StartValue {
    Number(u32),
    Name(String),
}

impl TryFrom<StartValue> for ReleaseStart {
    type Error = String;

    fn try_from(value: StartValue) -> Result<Self, String> {
        match value {
            StartValue::Number(n) => Ok(ReleaseStart(n)),
            StartValue::Name(name) => ReleaseStart::from_preset(&name).ok_or_else(|| {
                let names: Vec<&str> = ReleaseStart::PRESETS.iter().map(|(n, _)| *n).collect();
                format!(
                    "unknown release start `{name}`: use a number or one of {}",
                    names.join(", ")
                )
            }),
        }
    }
}

/// Where a release candidate's `rcN` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrereleaseStyle {
    /// Release `0.rc3.git0.N`, Version `6.8.0`.
    #[default]
    Fedora,
    /// Version `6.8.0~rc3`, Release `N`.
    Tilde,
}

/// How a branch names its builds; read from pq's TOML configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseScheme {
    /// The RPM Name: `kernel`, `kernel-lts-generic-61y`.
    pub package: String,
    /// First release number of each new Version (a number or a preset name).
    #[serde(default)]
    pub start: ReleaseStart,
    #[serde(default)]
    pub prerelease: PrereleaseStyle,
}

/// A name-version-release, as in the tag `kernel-6.7.1-0.hs1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nvr {
    pub name: String,
    pub version: String,
    pub release: String,
}

impl Nvr {
    /// Parses `name-version-release`, also as a tag name (`refs/tags/` is
    /// dropped). The name may itself contain dashes (`kernel-lts-generic-61y`).
    pub fn parse(s: &str) -> Result<Nvr, PackagingError> {
        let s = s.strip_prefix("refs/tags/").unwrap_or(s);
        let mut parts = s.rsplitn(3, '-');
        let (release, version, name) = match (parts.next(), parts.next(), parts.next()) {
            (Some(r), Some(v), Some(n)) if !r.is_empty() && !v.is_empty() && !n.is_empty() => (r, v, n),
            _ => {
                return Err(PackagingError::invalid(
                    "NVR",
                    s,
                    "expected name-version-release such as `kernel-6.7.1-0.hs1`",
                ))
            }
        };
        if !version.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(PackagingError::invalid(
                "NVR",
                s,
                format!("version `{version}` does not start with a digit; expected name-version-release such as `kernel-5.14.0-403.el9`"),
            ));
        }
        Ok(Nvr {
            name: name.to_string(),
            version: version.to_string(),
            release: release.to_string(),
        })
    }

    /// `6.7.1-0.hs1`, as changelog headers carry it.
    pub fn version_release(&self) -> String {
        format!("{}-{}", self.version, self.release)
    }

    /// The release split into its parts; None when it does not start with a
    /// number (not produced by any scheme pq knows).
    pub fn release_parts(&self) -> Option<ReleaseParts> {
        ReleaseParts::parse(&self.release)
    }

    /// Compares as rpm would decide an upgrade between two builds of one
    /// package (no epoch: pq never writes one).
    pub fn cmp_evr(&self, other: &Nvr) -> Ordering {
        compare_evr(
            (None, &self.version, &self.release),
            (None, &other.version, &other.release),
        )
    }
}

impl fmt::Display for Nvr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.name, self.version, self.release)
    }
}

/// The parts of a Release string: `0.rc2.git1.3.hs1.el9` is rc 2, snapshot 1,
/// number 3, local `hs1`, dist `.el9`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReleaseParts {
    /// Fedora-style pre-release `0.rcN` prefix.
    pub rc: Option<u32>,
    /// Fedora-style `gitN` snapshot inside the pre-release prefix.
    pub snapshot: Option<u32>,
    /// The build counter.
    pub number: u32,
    pub local: Option<String>,
    /// Including its leading dot (`.el9`).
    pub dist: Option<String>,
}

impl ReleaseParts {
    /// Splits a Release. The dist is recognised by its usual shapes (`.el9`,
    /// `.el9_3`, `.fc39`, `.eln130`, `.amzn2023`, `.module_el8...`); anything
    /// between the number and the dist is the local tag.
    pub fn parse(release: &str) -> Option<ReleaseParts> {
        // Compiled once: this runs for every earlier release of the branch.
        static RELEASE: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^(?:0\.rc(\d+)\.(?:git(\d+)\.)?)?(\d+)((?:\.[^.]+)*)$").expect("static regex")
        });
        static DIST: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"^(?:el|fc|eln|amzn|module_el)\d").expect("static regex"));
        let c = RELEASE.captures(release)?;
        let rc = c.get(1).and_then(|m| m.as_str().parse().ok());
        let snapshot = c.get(2).and_then(|m| m.as_str().parse().ok());
        let number = c[3].parse().ok()?;
        let rest: Vec<&str> = c[4].split('.').skip(1).collect();
        let dist_at = rest.iter().position(|p| DIST.is_match(p)).unwrap_or(rest.len());
        let join = |parts: &[&str]| (!parts.is_empty()).then(|| parts.join("."));
        Some(ReleaseParts {
            rc,
            snapshot,
            number,
            local: join(&rest[..dist_at]),
            dist: join(&rest[dist_at..]).map(|d| format!(".{d}")),
        })
    }
}

/// What the next build is made of, besides the scheme.
#[derive(Debug, Clone, Copy)]
pub struct NextRelease<'a> {
    /// The kernel version of the tree being released.
    pub kernel: &'a KernelVersion,
    /// Every earlier release of this branch (other packages are ignored).
    pub previous: &'a [Nvr],
    /// A git snapshot number on top of a release candidate.
    pub snapshot: Option<u32>,
    /// A local tag, `hs1` in `6.7.1-0.hs1`.
    pub local: Option<&'a str>,
    /// A dist tag, `.el9` (the dot is added when missing).
    pub dist: Option<&'a str>,
}

impl ReleaseScheme {
    /// The RPM Version field for a kernel version under this scheme.
    pub fn rpm_version(&self, kernel: &KernelVersion, snapshot: Option<u32>) -> Result<String, PackagingError> {
        let mut version = kernel.numeric();
        match (self.prerelease, kernel.rc, snapshot) {
            (PrereleaseStyle::Tilde, rc, snapshot) => {
                if let Some(rc) = rc {
                    version.push_str(&format!("~rc{rc}"));
                }
                if let Some(git) = snapshot {
                    version.push_str(&format!("^git{git}"));
                }
            }
            (PrereleaseStyle::Fedora, None, Some(_)) => {
                return Err(PackagingError::invalid(
                    "snapshot",
                    &kernel.to_string(),
                    "the fedora pre-release scheme only has snapshots of release candidates (0.rcN.gitM); release the final version without a snapshot, or use prerelease = \"tilde\"",
                ))
            }
            (PrereleaseStyle::Fedora, _, _) => {}
        }
        Ok(version)
    }

    /// Computes the next NVR and checks that it sorts after every earlier
    /// release of the package under rpm's ordering.
    pub fn next(&self, req: &NextRelease<'_>) -> Result<Nvr, PackagingError> {
        let local = req.local.map(validate_local).transpose()?;
        let dist = req.dist.map(normalize_dist).transpose()?;
        let version = self.rpm_version(req.kernel, req.snapshot)?;
        let previous: Vec<&Nvr> = req.previous.iter().filter(|p| p.name == self.package).collect();

        let number = previous
            .iter()
            .filter(|p| p.version == version)
            .filter_map(|p| p.release_parts())
            .map(|parts| parts.number.saturating_add(1))
            .max()
            .map_or(self.start.0, |n| n.max(self.start.0));

        let mut release = String::new();
        if let (PrereleaseStyle::Fedora, Some(rc)) = (self.prerelease, req.kernel.rc) {
            release.push_str(&format!("0.rc{rc}.git{}.", req.snapshot.unwrap_or(0)));
        }
        release.push_str(&number.to_string());
        if let Some(local) = local {
            release.push('.');
            release.push_str(local);
        }
        if let Some(dist) = &dist {
            release.push_str(dist);
        }
        let next = Nvr {
            name: self.package.clone(),
            version,
            release,
        };

        for p in previous {
            if next.cmp_evr(p) != Ordering::Greater {
                return Err(PackagingError::NotNewer {
                    candidate: next.to_string(),
                    previous: p.to_string(),
                    reason: not_newer_reason(&next, p),
                });
            }
        }
        Ok(next)
    }
}

fn not_newer_reason(next: &Nvr, previous: &Nvr) -> String {
    match rpmvercmp(&next.version, &previous.version) {
        Ordering::Less => format!(
            "rpm orders version {} before {}: the tree's kernel version went backwards; release from the branch that carries {} or later, or use a new package name",
            next.version, previous.version, previous.version
        ),
        Ordering::Greater => unreachable!("a newer version always sorts after"),
        Ordering::Equal => format!(
            "both are version {} and rpm orders release {} before (or equal to) {}; a release candidate cannot follow a final build of the same version, and a local or dist tag cannot lift a release over a higher build number",
            next.version, next.release, previous.release
        ),
    }
}

/// A local tag becomes one dot-separated Release component. It must start with
/// a letter so it is never read back as a build number.
fn validate_local(local: &str) -> Result<&str, PackagingError> {
    let ok = local.starts_with(|c: char| c.is_ascii_alphabetic())
        && local.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '+');
    if ok {
        Ok(local)
    } else {
        Err(PackagingError::invalid(
            "local tag",
            local,
            "use letters, digits, `_` or `+`, starting with a letter (like `hs1`); rpm forbids `-` in a release and `.` would split it",
        ))
    }
}

/// Dist tags are written with their leading dot (`%{?dist}` expands to `.el9`).
fn normalize_dist(dist: &str) -> Result<String, PackagingError> {
    let bare = dist.strip_prefix('.').unwrap_or(dist);
    let ok = bare.starts_with(|c: char| c.is_ascii_alphabetic())
        && !bare.ends_with('.')
        && bare
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '+');
    if ok {
        Ok(format!(".{bare}"))
    } else {
        Err(PackagingError::invalid(
            "dist tag",
            dist,
            "use something like `.el9` or `.fc39`: a letter first, then letters, digits, `_` or `.` (no `-`)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packaging::testutil::rpm_vercmp_batch;
    use proptest::prelude::*;

    fn scheme(start: ReleaseStart, prerelease: PrereleaseStyle) -> ReleaseScheme {
        ReleaseScheme {
            package: "kernel".into(),
            start,
            prerelease,
        }
    }

    fn kv(s: &str) -> KernelVersion {
        KernelVersion::from_tag(s).unwrap()
    }

    fn nvrs(list: &[&str]) -> Vec<Nvr> {
        list.iter().map(|s| Nvr::parse(s).unwrap()).collect()
    }

    fn next_of(
        s: &ReleaseScheme,
        kernel: &str,
        previous: &[&str],
        local: Option<&str>,
        dist: Option<&str>,
    ) -> Result<String, PackagingError> {
        let previous = nvrs(previous);
        s.next(&NextRelease {
            kernel: &kv(kernel),
            previous: &previous,
            snapshot: None,
            local,
            dist,
        })
        .map(|n| n.to_string())
    }

    #[test]
    fn parses_nvrs_and_tags() {
        let n = Nvr::parse("kernel-6.7.1-0.hs1").unwrap();
        assert_eq!(
            (n.name.as_str(), n.version.as_str(), n.release.as_str()),
            ("kernel", "6.7.1", "0.hs1")
        );
        assert_eq!(n.version_release(), "6.7.1-0.hs1");
        let n = Nvr::parse("refs/tags/kernel-5.14.0-403.el9").unwrap();
        assert_eq!(n.to_string(), "kernel-5.14.0-403.el9");
        let n = Nvr::parse("kernel-lts-generic-61y-6.1.71-1000.el8").unwrap();
        assert_eq!(n.name, "kernel-lts-generic-61y");
        assert_eq!(n.version, "6.1.71");
        for bad in ["kernel", "kernel-6.7.1", "kernel-v6.7-1", "-6.7-1", "kernel--1"] {
            assert!(Nvr::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Nvr::parse("kernel-6.7").unwrap_err().to_string(),
            "invalid NVR `kernel-6.7`: expected name-version-release such as `kernel-6.7.1-0.hs1`"
        );
    }

    #[test]
    fn splits_release_parts() {
        let p = ReleaseParts::parse("0.rc2.git1.3.hs1.el9").unwrap();
        assert_eq!(
            p,
            ReleaseParts {
                rc: Some(2),
                snapshot: Some(1),
                number: 3,
                local: Some("hs1".into()),
                dist: Some(".el9".into())
            }
        );
        let p = ReleaseParts::parse("403.el9_3").unwrap();
        assert_eq!((p.number, p.local, p.dist), (403, None, Some(".el9_3".into())));
        let p = ReleaseParts::parse("0.hs1").unwrap();
        assert_eq!(
            (p.rc, p.number, p.local.as_deref(), p.dist),
            (None, 0, Some("hs1"), None)
        );
        let p = ReleaseParts::parse("0.rc7.58.fc41").unwrap();
        assert_eq!((p.rc, p.snapshot, p.number), (Some(7), None, 58));
        assert_eq!(ReleaseParts::parse("rc1"), None);
    }

    #[test]
    fn examples_from_the_workflows() {
        let ark = scheme(ReleaseStart::ARK, PrereleaseStyle::Fedora);
        assert_eq!(
            next_of(&ark, "v6.7.1", &[], Some("hs1"), None).unwrap(),
            "kernel-6.7.1-0.hs1"
        );
        assert_eq!(
            next_of(&ark, "v6.7.1", &[], Some("hs1"), Some(".el9")).unwrap(),
            "kernel-6.7.1-0.hs1.el9"
        );
        assert_eq!(
            next_of(&ark, "v6.7.1", &["kernel-6.7.1-0.hs1"], Some("hs1"), None).unwrap(),
            "kernel-6.7.1-1.hs1"
        );
        assert_eq!(
            next_of(&ark, "v6.7.2", &["kernel-6.7.1-4.hs1"], Some("hs1"), None).unwrap(),
            "kernel-6.7.2-0.hs1"
        );

        let stable = scheme(ReleaseStart::FEDORA_STABLE, PrereleaseStyle::Fedora);
        assert_eq!(
            next_of(&stable, "v6.7.1", &["kernel-6.6.9-300.fc39"], None, Some("fc39")).unwrap(),
            "kernel-6.7.1-300.fc39"
        );
        assert_eq!(
            next_of(&stable, "v6.7.1", &["kernel-6.7.1-300.fc39"], None, Some(".fc39")).unwrap(),
            "kernel-6.7.1-301.fc39"
        );

        let rawhide = scheme(ReleaseStart::FEDORA_RAWHIDE, PrereleaseStyle::Fedora);
        assert_eq!(
            next_of(&rawhide, "v6.8-rc2", &["kernel-6.7.0-68.fc40"], None, None).unwrap(),
            "kernel-6.8.0-0.rc2.git0.1"
        );
        // The count carries on through the release candidates into the final.
        let prev = [
            "kernel-6.8.0-0.rc2.git0.1",
            "kernel-6.8.0-0.rc2.git1.2",
            "kernel-6.8.0-0.rc3.git0.3",
        ];
        assert_eq!(
            next_of(&rawhide, "v6.8-rc3", &prev, None, None).unwrap(),
            "kernel-6.8.0-0.rc3.git0.4"
        );
        assert_eq!(next_of(&rawhide, "v6.8", &prev, None, None).unwrap(), "kernel-6.8.0-4");

        let tilde = scheme(ReleaseStart::FEDORA_RAWHIDE, PrereleaseStyle::Tilde);
        assert_eq!(
            next_of(&tilde, "v6.8-rc2", &[], None, None).unwrap(),
            "kernel-6.8.0~rc2-1"
        );
        assert_eq!(
            next_of(&tilde, "v6.8-rc3", &["kernel-6.8.0~rc2-1"], None, None).unwrap(),
            "kernel-6.8.0~rc3-1"
        );
        assert_eq!(
            next_of(&tilde, "v6.8", &["kernel-6.8.0~rc3-2"], None, None).unwrap(),
            "kernel-6.8.0-1"
        );

        let lts = ReleaseScheme {
            package: "kernel-lts-generic-61y".into(),
            start: ReleaseStart::ENTERPRISE_LTS,
            prerelease: PrereleaseStyle::Fedora,
        };
        // Other packages in the list do not count.
        assert_eq!(
            next_of(&lts, "v6.1.71", &["kernel-6.1.71-5.el8"], None, Some(".el8")).unwrap(),
            "kernel-lts-generic-61y-6.1.71-1000.el8"
        );
    }

    #[test]
    fn snapshots_follow_the_scheme() {
        let previous = nvrs(&["kernel-6.8.0-0.rc2.git0.1"]);
        let fedora = scheme(ReleaseStart::FEDORA_RAWHIDE, PrereleaseStyle::Fedora);
        let req = NextRelease {
            kernel: &kv("v6.8-rc2"),
            previous: &previous,
            snapshot: Some(1),
            local: None,
            dist: Some(".fc40"),
        };
        assert_eq!(fedora.next(&req).unwrap().to_string(), "kernel-6.8.0-0.rc2.git1.2.fc40");
        let tilde = scheme(ReleaseStart::FEDORA_RAWHIDE, PrereleaseStyle::Tilde);
        assert_eq!(
            tilde.next(&NextRelease { previous: &[], ..req }).unwrap().to_string(),
            "kernel-6.8.0~rc2^git1-1.fc40"
        );
        let final_req = NextRelease {
            kernel: &kv("v6.8"),
            previous: &[],
            snapshot: Some(3),
            local: None,
            dist: None,
        };
        assert_eq!(tilde.next(&final_req).unwrap().to_string(), "kernel-6.8.0^git3-1");
        assert!(fedora
            .next(&final_req)
            .unwrap_err()
            .to_string()
            .contains("prerelease = \"tilde\""));
    }

    #[test]
    fn refuses_releases_that_would_not_upgrade() {
        let ark = scheme(ReleaseStart::ARK, PrereleaseStyle::Fedora);
        let err = next_of(&ark, "v6.7.1", &["kernel-6.8.0-0"], None, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "kernel-6.7.1-0 would not sort after the earlier release kernel-6.8.0-0: rpm orders version 6.7.1 before 6.8.0: the tree's kernel version went backwards; release from the branch that carries 6.8.0 or later, or use a new package name"
        );
        // An rc after the final build of the same Version.
        let err = next_of(&ark, "v6.8-rc7", &["kernel-6.8.0-3"], None, None).unwrap_err();
        assert!(
            err.to_string()
                .contains("a release candidate cannot follow a final build"),
            "{err}"
        );
        // A release written without `git0` by other tooling outranks any gitN.
        let err = next_of(&ark, "v6.8-rc7", &["kernel-6.8.0-0.rc7.58"], None, None).unwrap_err();
        assert!(
            err.to_string()
                .contains("rpm orders release 0.rc7.git0.59 before (or equal to) 0.rc7.58"),
            "{err}"
        );
    }

    #[test]
    fn rejects_bad_local_and_dist_tags() {
        let ark = scheme(ReleaseStart::ARK, PrereleaseStyle::Fedora);
        for local in ["h-s1", "1hs", "hs.1", ""] {
            let err = next_of(&ark, "v6.7.1", &[], Some(local), None).unwrap_err();
            assert!(
                err.to_string().starts_with(&format!("invalid local tag `{local}`")),
                "{err}"
            );
        }
        for dist in ["-el9", ".", ".el9.", "9el"] {
            let err = next_of(&ark, "v6.7.1", &[], None, Some(dist)).unwrap_err();
            assert!(
                err.to_string().starts_with(&format!("invalid dist tag `{dist}`")),
                "{err}"
            );
        }
    }

    #[test]
    fn scheme_reads_from_toml() {
        let s: ReleaseScheme =
            toml::from_str("package = \"kernel\"\nstart = \"fedora-stable\"\nprerelease = \"tilde\"\n").unwrap();
        assert_eq!(s, scheme(ReleaseStart::FEDORA_STABLE, PrereleaseStyle::Tilde));
        let s: ReleaseScheme = toml::from_str("package = \"kernel-lts-generic-61y\"\nstart = 1000\n").unwrap();
        assert_eq!(
            (s.start, s.prerelease),
            (ReleaseStart::ENTERPRISE_LTS, PrereleaseStyle::Fedora)
        );
        let s: ReleaseScheme = toml::from_str("package = \"kernel\"\n").unwrap();
        assert_eq!(s.start, ReleaseStart::ARK);
        let err = toml::from_str::<ReleaseScheme>("package = \"kernel\"\nstart = \"stable\"\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown release start `stable`: use a number or one of ark, rawhide"),
            "{err}"
        );
        assert!(toml::from_str::<ReleaseScheme>("package = \"kernel\"\nrelease_start = 1\n").is_err());
        assert_eq!(
            toml::to_string(&s).unwrap(),
            "package = \"kernel\"\nstart = 0\nprerelease = \"fedora\"\n"
        );
    }

    /// One step of a branch's life.
    #[derive(Debug, Clone)]
    enum Step {
        Rebuild,
        StableUpdate,
        NextRc,
        Final,
        NewMajor,
        Snapshot,
    }

    fn step() -> impl Strategy<Value = (Step, Option<&'static str>, Option<&'static str>)> {
        let step = prop_oneof![
            Just(Step::Rebuild),
            Just(Step::StableUpdate),
            Just(Step::NextRc),
            Just(Step::Final),
            Just(Step::NewMajor),
            Just(Step::Snapshot),
        ];
        let local = proptest::option::of(prop_oneof![Just("hs1"), Just("hs2"), Just("local"), Just("zz")]);
        let dist = proptest::option::of(prop_oneof![Just(".el9"), Just(".el9_3"), Just(".fc39"), Just("el8")]);
        (step, local, dist)
    }

    fn any_scheme() -> impl Strategy<Value = ReleaseScheme> {
        let start = prop_oneof![
            Just(ReleaseStart::ARK),
            Just(ReleaseStart::FEDORA_RAWHIDE),
            Just(ReleaseStart::FEDORA_STABLE_2),
            Just(ReleaseStart::FEDORA_STABLE),
            Just(ReleaseStart::ENTERPRISE_LTS),
        ];
        let style = prop_oneof![Just(PrereleaseStyle::Fedora), Just(PrereleaseStyle::Tilde)];
        (start, style).prop_map(|(start, prerelease)| scheme(start, prerelease))
    }

    /// Plays a sequence of steps from 6.7 and returns the NVRs in order.
    fn play(s: &ReleaseScheme, steps: &[(Step, Option<&'static str>, Option<&'static str>)]) -> Vec<Nvr> {
        let mut kernel = KernelVersion::new(6, 7, 0, None);
        let mut snapshot: Option<u32> = None;
        let mut released = Vec::new();
        for (step, local, dist) in steps {
            let before = kernel.clone();
            match step {
                Step::Rebuild => {}
                Step::StableUpdate if kernel.rc.is_some() => kernel.rc = None,
                Step::StableUpdate => kernel.sublevel += 1,
                Step::NextRc => match kernel.rc {
                    Some(rc) => kernel.rc = Some(rc + 1),
                    None => kernel = KernelVersion::new(kernel.version, kernel.patchlevel + 1, 0, Some(1)),
                },
                Step::Final => kernel.rc = None,
                Step::NewMajor => kernel = KernelVersion::new(kernel.version + 1, 0, 0, Some(1)),
                // Snapshots only exist on top of a release candidate.
                Step::Snapshot if kernel.rc.is_some() => snapshot = Some(snapshot.map_or(1, |n| n + 1)),
                Step::Snapshot => {}
            }
            if kernel != before {
                snapshot = None;
            }
            let next = s
                .next(&NextRelease {
                    kernel: &kernel,
                    previous: &released,
                    snapshot,
                    local: *local,
                    dist: *dist,
                })
                .unwrap_or_else(|e| panic!("{e}"));
            released.push(next);
        }
        released
    }

    proptest! {
        #[test]
        fn successive_releases_always_sort_increasing(s in any_scheme(), steps in proptest::collection::vec(step(), 1..25)) {
            let released = play(&s, &steps);
            for pair in released.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                prop_assert_eq!(
                    compare_evr((None, &a.version, &a.release), (None, &b.version, &b.release)),
                    Ordering::Less,
                    "{} then {}", a, b
                );
            }
        }
    }

    #[test]
    fn successive_releases_sort_increasing_under_real_rpm() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::{Config, RngSeed, TestRunner};

        let mut runner = TestRunner::new(Config {
            rng_seed: RngSeed::Fixed(0x6b65726e),
            ..Config::default()
        });
        let strategy = (any_scheme(), proptest::collection::vec(step(), 2..20));
        let mut pairs = Vec::new();
        for _ in 0..40 {
            let (s, steps) = strategy.new_tree(&mut runner).unwrap().current();
            let released = play(&s, &steps);
            for pair in released.windows(2) {
                pairs.push((pair[0].version_release(), pair[1].version_release()));
            }
        }
        let real = rpm_vercmp_batch(&pairs);
        for ((a, b), got) in pairs.iter().zip(real) {
            assert_eq!(got, -1, "rpm does not order {a} before {b}");
        }
    }
}
