//! Interchange with the distributions' patch formats: quilt series, Debian (DEP-3), SUSE kernel-source
//! (`series.conf`), spec `PatchNNNNN:` lines and mbox. Writing turns commits into git-style patch files in
//! memory; reading parses them back and applies them onto trees, never through a work tree.

pub mod apply;
pub mod base85;
pub mod diff;
pub mod export;
pub mod headers;
pub mod import;
pub mod layout;
pub mod patchfile;

/// The formats pq writes and reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Quilt,
    Debian,
    Suse,
    Spec,
    Mbox,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "quilt" => Ok(Format::Quilt),
            "debian" => Ok(Format::Debian),
            "suse" => Ok(Format::Suse),
            "spec" => Ok(Format::Spec),
            "mbox" => Ok(Format::Mbox),
            other => Err(format!(
                "unknown format '{other}' (expected quilt, debian, suse, spec or mbox)"
            )),
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Quilt => "quilt",
            Format::Debian => "debian",
            Format::Suse => "suse",
            Format::Spec => "spec",
            Format::Mbox => "mbox",
        })
    }
}
