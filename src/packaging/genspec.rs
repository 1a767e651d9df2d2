//! `redhat/scripts/genspec/genspec.sh`: the spec of an ARK/RHEL source-git release, made from
//! `redhat/kernel.spec.template` by replacing its `%%SPECxxx%%` placeholders and putting the changelog
//! (without its `Resolves:` lines) where `%%SPECCHANGELOG%%` stands.

use crate::packaging::genlog::strip_resolves;

/// The values genspec.sh substitutes, named without their `SPEC` prefix (`VERSION` for `%%SPECVERSION%%`).
#[derive(Debug, Clone, Default)]
pub struct SpecVars {
    pub pairs: Vec<(&'static str, String)>,
}

impl SpecVars {
    pub fn set(&mut self, name: &'static str, value: impl Into<String>) {
        let value = value.into();
        match self.pairs.iter_mut().find(|(n, _)| *n == name) {
            Some(p) => p.1 = value,
            None => self.pairs.push((name, value)),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

/// The placeholders genspec.sh knows; a template naming any other is left as it is (rpm then refuses it).
pub const PLACEHOLDERS: &[&str] = &[
    "BUILDID",
    "KVERSION",
    "KPATCHLEVEL",
    "BUILD",
    "RELEASE",
    "RELEASED_KERNEL",
    "INCLUDE_FEDORA_FILES",
    "INCLUDE_RHEL_FILES",
    "PATCHLIST_CHANGELOG",
    "INCLUDE_RT_FILES",
    "INCLUDE_AUTOMOTIVE_FILES",
    "VERSION",
    "RPMVERSION",
    "KABIVERSION",
    "TARFILE_RELEASE",
    "PACKAGE_NAME",
    "GEMINI",
    "SELFTESTS_MUST_BUILD",
];

/// The spec genspec.sh writes from `template`, `vars` and the full changelog file text.
pub fn render(template: &str, vars: &SpecVars, changelog: &str) -> String {
    let stripped = strip_resolves(changelog);
    let mut out = String::with_capacity(template.len() + stripped.len());
    for line in template.split_inclusive('\n') {
        if line.contains("%%SPECCHANGELOG%%") {
            // sed's `r` then `d`: the file's lines replace the placeholder's line.
            out.push_str(&stripped);
            if !stripped.is_empty() && !stripped.ends_with('\n') {
                out.push('\n');
            }
            continue;
        }
        let mut l = line.to_string();
        for name in PLACEHOLDERS {
            let key = format!("%%SPEC{name}%%");
            if l.contains(&key) {
                l = l.replace(&key, vars.get(name).unwrap_or(""));
            }
        }
        out.push_str(&l);
    }
    out
}

/// `%define buildid .hs1`, or genspec.sh's commented line when there is no local version.
pub fn buildid_line(local: Option<&str>) -> String {
    match local {
        Some(l) if !l.is_empty() => format!("%define buildid {l}"),
        _ => "# define buildid .local".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_and_inserts_the_changelog_without_resolves() {
        let template = "%%SPECBUILDID%%\n%define pkgrelease %%SPECBUILD%%\n%define specrelease %%SPECRELEASE%%\nVersion: %%SPECVERSION%%\n%changelog\n%%SPECCHANGELOG%%\n\n###\n";
        let mut v = SpecVars::default();
        v.set("BUILDID", buildid_line(None));
        v.set("BUILD", "284.31.1");
        v.set("RELEASE", "284.31.1%{?buildid}%{?dist}");
        v.set("VERSION", "5.14.0");
        let log = "* Fri Aug 25 2023 A <a@b> [5.14.0-284.31.1.el9_2]\n- x (A) [1234]\nResolves: rhbz#1234\n\n";
        assert_eq!(
            render(template, &v, log),
            "# define buildid .local\n%define pkgrelease 284.31.1\n%define specrelease 284.31.1%{?buildid}%{?dist}\nVersion: 5.14.0\n%changelog\n* Fri Aug 25 2023 A <a@b> [5.14.0-284.31.1.el9_2]\n- x (A) [1234]\n\n\n###\n"
        );
    }
}
