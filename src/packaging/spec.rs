//! Reading and editing an RPM spec in the style of Fedora's kernel.spec.
//!
//! Edits touch only the value being changed (or insert whole lines), so a
//! diff of the spec shows exactly the release bump and nothing else. Parsing
//! is line based and does not evaluate `%if`: a macro defined in several
//! conditional branches is reported as ambiguous rather than guessed at.

use std::fmt;
use std::ops::Range;

use crate::packaging::kversion::KernelVersion;
use crate::packaging::nvr::ReleaseParts;
use crate::packaging::PackagingError;

/// `%global` or `%define`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacroKeyword {
    Global,
    Define,
}

/// One macro definition line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroDef {
    /// 1-based line number.
    pub line: usize,
    pub keyword: MacroKeyword,
    pub name: String,
    /// The body as written (macros unexpanded, surrounding blanks trimmed).
    pub value: String,
    /// The body continues on the next line (ends with `\`).
    pub continued: bool,
    value_span: Range<usize>,
}

/// A preamble tag line such as `Version: %{rpmversion}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// 1-based line number.
    pub line: usize,
    /// As written (`Version`, `Source10`, `Patch1000`).
    pub name: String,
    pub value: String,
    value_span: Range<usize>,
}

/// Where the `%changelog` entries live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangelogLocation {
    /// After the `%changelog` line (1-based) of the spec itself.
    Inline { line: usize },
    /// The section pulls its text from another file (ARK keeps it in
    /// `kernel.changelog-X.Y`) through `%include` or `%(cat ...)`, found on
    /// `line`. `file` is the file name with `%{SOURCEn}` resolved through the
    /// Source tags and `%{_sourcedir}/` dropped.
    External { line: usize, file: String },
}

/// A spec value that does not match the kernel tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecMismatch {
    pub file: String,
    pub line: usize,
    /// `%stable_update`, `Version`.
    pub item: String,
    pub found: String,
    pub expected: String,
    pub kernel: String,
}

impl fmt::Display for SpecMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {} is `{}` but the tree is Linux {}: set it to `{}`",
            self.file, self.line, self.item, self.found, self.kernel, self.expected
        )
    }
}

/// Section headers end the preamble (tags) and the `%changelog` section.
const SECTIONS: &[&str] = &[
    "package",
    "description",
    "prep",
    "generate_buildrequires",
    "conf",
    "build",
    "install",
    "check",
    "clean",
    "files",
    "changelog",
    "pre",
    "post",
    "preun",
    "postun",
    "pretrans",
    "posttrans",
    "preuntrans",
    "postuntrans",
    "verifyscript",
    "triggerprein",
    "triggerin",
    "triggerun",
    "triggerpostun",
    "filetriggerin",
    "filetriggerun",
    "filetriggerpostun",
    "transfiletriggerin",
    "transfiletriggerun",
    "transfiletriggerpostun",
    "patchlist",
    "sourcelist",
];

fn section_name(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('%')?;
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let name = &rest[..end];
    SECTIONS.contains(&name).then_some(name)
}

/// A line of the text: 1-based number, byte range without the line ending,
/// and the line ending itself.
struct Line<'a> {
    number: usize,
    start: usize,
    text: &'a str,
    eol: &'a str,
}

fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    let mut start = 0;
    text.split_inclusive('\n').enumerate().map(move |(idx, raw)| {
        let body = raw.strip_suffix('\n').unwrap_or(raw);
        let body = body.strip_suffix('\r').unwrap_or(body);
        let line = Line {
            number: idx + 1,
            start,
            text: body,
            eol: &raw[body.len()..],
        };
        start += raw.len();
        line
    })
}

/// An RPM spec held as text, edited in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    file: String,
    text: String,
}

impl Spec {
    /// `file` is the name used in messages (`kernel.spec`, `redhat/kernel.spec.template`).
    pub fn new(file: impl Into<String>, text: impl Into<String>) -> Spec {
        Spec {
            file: file.into(),
            text: text.into(),
        }
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn into_text(self) -> String {
        self.text
    }

    /// The 1-based line of the `%changelog` header, if any.
    fn changelog_header(&self) -> Option<Line<'_>> {
        lines(&self.text).find(|l| section_name(l.text.trim_end()) == Some("changelog"))
    }

    /// Every `%global`/`%define` line before `%changelog` (changelog text is
    /// prose, not definitions). Parametric macros (`%define foo() ...`) are
    /// left out.
    pub fn macros(&self) -> Vec<MacroDef> {
        let re = crate::packaging::static_regex!(r"^\s*%(global|define)\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s+(.*?))?\s*$");
        let mut out = Vec::new();
        for line in lines(&self.text) {
            if section_name(line.text.trim_end()) == Some("changelog") {
                break;
            }
            let Some(c) = re.captures(line.text) else {
                continue;
            };
            let (value, span) = match c.get(3) {
                Some(m) => (m.as_str(), line.start + m.start()..line.start + m.end()),
                None => ("", line.start + line.text.len()..line.start + line.text.len()),
            };
            out.push(MacroDef {
                line: line.number,
                keyword: if &c[1] == "global" {
                    MacroKeyword::Global
                } else {
                    MacroKeyword::Define
                },
                name: c[2].to_string(),
                value: value.to_string(),
                continued: value.ends_with('\\'),
                value_span: span,
            });
        }
        out
    }

    /// All definitions of one macro, in file order.
    pub fn macro_defs(&self, name: &str) -> Vec<MacroDef> {
        self.macros().into_iter().filter(|m| m.name == name).collect()
    }

    /// The body of the only definition of `name`; None when it is undefined
    /// or defined more than once (in different `%if` branches).
    pub fn macro_value(&self, name: &str) -> Option<String> {
        match self.macro_defs(name).as_slice() {
            [only] => Some(only.value.clone()),
            _ => None,
        }
    }

    /// The one definition of `name`, or an error saying why there is not
    /// exactly one editable definition.
    fn single_def(&self, name: &str) -> Result<MacroDef, PackagingError> {
        let defs = self.macro_defs(name);
        let def = match defs.as_slice() {
            [] => {
                return Err(PackagingError::in_file(
                    &self.file,
                    format!("has no `%global {name}` or `%define {name}` line: add one near the top of the spec"),
                ))
            }
            [only] => only.clone(),
            [first, rest @ ..] => {
                let others: Vec<String> = rest.iter().map(|d| d.line.to_string()).collect();
                return Err(PackagingError::at_line(
                    &self.file,
                    first.line,
                    format!(
                        "%{name} is defined here and again on line {}; pq cannot tell which definition applies: keep a single one and derive the others from it",
                        others.join(", ")
                    ),
                ));
            }
        };
        if def.continued {
            return Err(PackagingError::at_line(
                &self.file,
                def.line,
                format!("%{name} continues onto the next line: put its value on one line so pq can change it"),
            ));
        }
        Ok(def)
    }

    /// Replaces the body of the single definition of `name`.
    pub fn set_macro(&mut self, name: &str, value: &str) -> Result<(), PackagingError> {
        if value.trim().is_empty() || value.contains('\n') || value != value.trim() {
            return Err(PackagingError::invalid(
                "macro value",
                value,
                format!("%{name} needs a one-line, non-empty value without surrounding blanks"),
            ));
        }
        let def = self.single_def(name)?;
        let span = def.value_span;
        if span.is_empty() {
            // `%global name` without a body: add the separating blank too.
            self.text.replace_range(span, &format!(" {value}"));
        } else {
            self.text.replace_range(span, value);
        }
        Ok(())
    }

    /// Deletes the line of the single definition of `name` (for example a
    /// `%define buildid` that a release without a local tag must not carry)
    /// and returns its line number.
    pub fn remove_macro(&mut self, name: &str) -> Result<usize, PackagingError> {
        let def = self.single_def(name)?;
        let line = lines(&self.text).nth(def.line - 1).expect("definition line exists");
        let range = line.start..line.start + line.text.len() + line.eol.len();
        self.text.replace_range(range, "");
        Ok(def.line)
    }

    /// Tags of the main preamble (before the first section), such as
    /// `Name`, `Version`, `Source10`.
    pub fn tags(&self) -> Vec<Tag> {
        let re = crate::packaging::static_regex!(r"^([A-Za-z][A-Za-z0-9]*(?:\([^)]*\))?)\s*:\s*(.*?)\s*$");
        let mut out = Vec::new();
        for line in lines(&self.text) {
            if section_name(line.text.trim_end()).is_some() {
                break;
            }
            let Some(c) = re.captures(line.text) else {
                continue;
            };
            let m = c.get(2).expect("group always matches");
            out.push(Tag {
                line: line.number,
                name: c[1].to_string(),
                value: m.as_str().to_string(),
                value_span: line.start + m.start()..line.start + m.end(),
            });
        }
        out
    }

    /// The first preamble tag named `name` (case-insensitive, as rpm reads it).
    pub fn tag(&self, name: &str) -> Option<Tag> {
        self.tags().into_iter().find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// Replaces a preamble tag's value, keeping the spacing after the colon.
    pub fn set_tag(&mut self, name: &str, value: &str) -> Result<(), PackagingError> {
        if value.trim().is_empty() || value.contains('\n') || value != value.trim() {
            return Err(PackagingError::invalid(
                "tag value",
                value,
                format!("{name}: needs a one-line, non-empty value without surrounding blanks"),
            ));
        }
        let tag = self.tag(name).ok_or_else(|| {
            PackagingError::in_file(
                &self.file,
                format!("has no `{name}:` line before its first section: add one to the preamble"),
            )
        })?;
        self.text.replace_range(tag.value_span, value);
        Ok(())
    }

    /// `Source`/`SourceN` tags.
    pub fn sources(&self) -> Vec<Tag> {
        self.numbered_tags("Source")
    }

    /// `Patch`/`PatchN` tags (those inside `%if` blocks included).
    pub fn patches(&self) -> Vec<Tag> {
        self.numbered_tags("Patch")
    }

    fn numbered_tags(&self, prefix: &str) -> Vec<Tag> {
        self.tags()
            .into_iter()
            .filter(|t| {
                t.name.len() >= prefix.len()
                    && t.name[..prefix.len()].eq_ignore_ascii_case(prefix)
                    && t.name[prefix.len()..].bytes().all(|b| b.is_ascii_digit())
            })
            .collect()
    }

    /// Source files that look like a separately kept changelog
    /// (`kernel.changelog-6.7`).
    pub fn changelog_sources(&self) -> Vec<Tag> {
        self.sources()
            .into_iter()
            .filter(|t| t.value.contains("changelog"))
            .collect()
    }

    /// Finds the `%changelog` section and whether its entries are inline or
    /// included from another file.
    pub fn changelog_location(&self) -> Result<ChangelogLocation, PackagingError> {
        let header = self.changelog_header().ok_or_else(|| self.no_changelog())?;
        let include = crate::packaging::static_regex!(r"^%include\s+(\S+)\s*$|^%\{?\(cat\s+(\S+)\s*\)\}?\s*$");
        for line in lines(&self.text).skip(header.number) {
            if section_name(line.text.trim_end()).is_some() {
                break;
            }
            let trimmed = line.text.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if let Some(c) = include.captures(trimmed) {
                let raw = c.get(1).or_else(|| c.get(2)).expect("one branch matched").as_str();
                return Ok(ChangelogLocation::External {
                    line: line.number,
                    file: self.resolve_source_path(raw),
                });
            }
            break;
        }
        Ok(ChangelogLocation::Inline { line: header.number })
    }

    /// The text of an inline `%changelog` section (without its header line).
    pub fn changelog_text(&self) -> Result<&str, PackagingError> {
        let header = self.changelog_header().ok_or_else(|| self.no_changelog())?;
        let start = header.start + header.text.len() + header.eol.len();
        let end = lines(&self.text)
            .skip(header.number)
            .find(|l| section_name(l.text.trim_end()).is_some())
            .map_or(self.text.len(), |l| l.start);
        Ok(&self.text[start..end])
    }

    /// Inserts `entry` (a formatted changelog entry) at the top of the inline
    /// `%changelog`, with a blank line before the previous entry.
    pub fn insert_changelog_entry(&mut self, entry: &str) -> Result<(), PackagingError> {
        match self.changelog_location()? {
            ChangelogLocation::External { line, file } => Err(PackagingError::at_line(
                &self.file,
                line,
                format!("%changelog takes its entries from {file}: add the entry at the top of that file instead"),
            )),
            ChangelogLocation::Inline { .. } => {
                let header = self.changelog_header().ok_or_else(|| self.no_changelog())?;
                let eol = if header.eol.is_empty() { "\n" } else { header.eol };
                let at = header.start + header.text.len() + header.eol.len();
                let mut insert = String::new();
                if header.eol.is_empty() {
                    insert.push_str(eol);
                }
                let has_previous = !self.changelog_text()?.trim().is_empty();
                insert.push_str(&prepare_entry(entry, eol, has_previous));
                self.text.insert_str(at, &insert);
                Ok(())
            }
        }
    }

    fn no_changelog(&self) -> PackagingError {
        PackagingError::in_file(
            &self.file,
            "has no %changelog section: add `%changelog` at the end of the spec",
        )
    }

    /// Turns `%{SOURCE12}`, `%{S:12}`, `%SOURCE12` into that Source's file
    /// name and drops a leading `%{_sourcedir}/`.
    fn resolve_source_path(&self, raw: &str) -> String {
        let source_ref = crate::packaging::static_regex!(r"^%\{?(?:SOURCE|S:)(\d+)\}?$");
        if let Some(c) = source_ref.captures(raw) {
            let wanted = format!("Source{}", &c[1]);
            if let Some(t) = self
                .sources()
                .into_iter()
                .find(|t| t.name.eq_ignore_ascii_case(&wanted))
            {
                return t.value.rsplit('/').next().unwrap_or(&t.value).to_string();
            }
        }
        for prefix in ["%{_sourcedir}/", "%_sourcedir/"] {
            if let Some(rest) = raw.strip_prefix(prefix) {
                return rest.to_string();
            }
        }
        raw.to_string()
    }

    /// Expands `%{name}`, `%name` and `%{?name}` using this spec's single
    /// definitions. None when anything else is involved (shell, lua,
    /// conditionals, macros defined in several `%if` branches).
    pub fn expand(&self, text: &str) -> Option<String> {
        let defs = self.macros();
        expand_with(
            text,
            &|name| {
                let mut found = defs.iter().filter(|d| d.name == name);
                match (found.next(), found.next()) {
                    (Some(d), None) if !d.continued => Some(d.value.clone()),
                    _ => None,
                }
            },
            0,
        )
    }

    /// Points a Fedora-style kernel.spec at a new build: the version macros
    /// (`released_kernel`, `base_sublevel`, `stable_update` or `rcrev` and
    /// `gitrev`, and ARK's `specversion`/`specrpmversion`, whichever the spec
    /// defines) at `kernel`, `baserelease` at the build number and `buildid`
    /// at the local tag. The dist tag is left to the build's `%{?dist}`.
    /// The spec's own `Release:` layout (Fedora's
    /// `0.rc%{rcrev}.git%{gitrev}.%{baserelease}%{?buildid}%{?dist}`) must be
    /// the one the release was computed for, i.e. the `fedora` pre-release
    /// scheme. Returns the names of the macros changed or added, in order.
    pub fn apply_release(
        &mut self,
        kernel: &KernelVersion,
        release: &ReleaseParts,
    ) -> Result<Vec<String>, PackagingError> {
        let mut values: Vec<(&str, String)> = vec![(
            "released_kernel",
            if kernel.is_release() { "1" } else { "0" }.to_string(),
        )];
        match kernel.rc {
            None => {
                values.push(("base_sublevel", kernel.patchlevel.to_string()));
                values.push(("stable_update", kernel.sublevel.to_string()));
            }
            Some(rc) => {
                if kernel.patchlevel == 0 {
                    return Err(PackagingError::invalid(
                        "kernel version",
                        &kernel.to_string(),
                        "Fedora's base_sublevel cannot describe a release candidate of a new major version (its base is the previous major's last release): edit the spec's version macros by hand",
                    ));
                }
                values.push(("base_sublevel", (kernel.patchlevel - 1).to_string()));
                values.push(("rcrev", rc.to_string()));
                values.push(("gitrev", release.snapshot.unwrap_or(0).to_string()));
            }
        }
        values.push(("specversion", kernel.numeric()));
        values.push(("specrpmversion", kernel.numeric()));

        // Check everything first so a failure leaves the spec untouched.
        let mut edits: Vec<(&str, String)> = Vec::new();
        for (name, value) in values {
            if !self.macro_defs(name).is_empty() {
                self.single_def(name)?;
                edits.push((name, value));
            }
        }
        let baserelease = self.single_def("baserelease")?;
        edits.push(("baserelease", release.number.to_string()));
        let buildid = self.macro_defs("buildid");
        match (&release.local, buildid.as_slice()) {
            (Some(_), [] | [_]) | (None, []) => {}
            (None, [def, ..]) => return Err(PackagingError::at_line(
                &self.file,
                def.line,
                "%buildid is defined but this release has no local tag: remove the line, or release with a local tag",
            )),
            (Some(_), [first, ..]) => {
                return Err(PackagingError::at_line(
                    &self.file,
                    first.line,
                    "%buildid is defined more than once: keep a single definition",
                ))
            }
        }

        let mut changed = Vec::new();
        for (name, value) in edits {
            if self.macro_defs(name).first().map(|d| d.value.as_str()) != Some(value.as_str()) {
                self.set_macro(name, &value)?;
                changed.push(name.to_string());
            }
        }
        if let Some(local) = &release.local {
            let value = format!(".{local}");
            if buildid.is_empty() {
                // Fedora's kernel.spec keeps its (commented-out) buildid line next to
                // baserelease, where Release is assembled from both.
                let line = lines(&self.text)
                    .nth(baserelease.line - 1)
                    .expect("definition line exists");
                let (start, eol) = (line.start, if line.eol.is_empty() { "\n" } else { line.eol });
                self.text.insert_str(start, &format!("%define buildid {value}{eol}"));
                changed.push("buildid".to_string());
            } else if buildid[0].value != value {
                self.set_macro("buildid", &value)?;
                changed.push("buildid".to_string());
            }
        }
        Ok(changed)
    }

    /// Compares the Fedora kernel.spec version macros (and the Version tag,
    /// when it can be expanded) against the tree's kernel version. Macros the
    /// spec does not define, or defines in several branches, are not checked.
    pub fn check_against(&self, kernel: &KernelVersion) -> Vec<SpecMismatch> {
        let released = kernel.is_release();
        let mut expected: Vec<(&str, String)> = vec![("released_kernel", if released { "1" } else { "0" }.to_string())];
        if released {
            expected.push(("base_sublevel", kernel.patchlevel.to_string()));
            expected.push(("stable_update", kernel.sublevel.to_string()));
        } else {
            // An rc is patched onto the previous release: 6.8-rc3 on 6.7.
            if kernel.patchlevel > 0 {
                expected.push(("base_sublevel", (kernel.patchlevel - 1).to_string()));
            }
            expected.push(("rcrev", kernel.rc.unwrap_or(0).to_string()));
        }
        for name in ["specversion", "specrpmversion"] {
            expected.push((name, kernel.numeric()));
        }

        let mut out = Vec::new();
        for (name, want) in expected {
            let defs = self.macro_defs(name);
            let [def] = defs.as_slice() else {
                continue;
            };
            // Values that are themselves macro expressions are left to rpm.
            let Some(found) = self.expand(&def.value) else {
                continue;
            };
            let same = match (found.parse::<u64>(), want.parse::<u64>()) {
                (Ok(a), Ok(b)) => a == b,
                _ => found == want,
            };
            if !same {
                out.push(SpecMismatch {
                    file: self.file.clone(),
                    line: def.line,
                    item: format!("%{name}"),
                    found: def.value.clone(),
                    expected: want,
                    kernel: kernel.to_string(),
                });
            }
        }
        if let Some(tag) = self.tag("Version") {
            if let Some(found) = self.expand(&tag.value) {
                let mut accepted = vec![kernel.numeric()];
                if let Some(rc) = kernel.rc {
                    accepted.push(format!("{}~rc{rc}", kernel.numeric()));
                }
                if !accepted.iter().any(|a| {
                    found.starts_with(a.as_str()) && (found.len() == a.len() || found[a.len()..].starts_with('^'))
                }) {
                    out.push(SpecMismatch {
                        file: self.file.clone(),
                        line: tag.line,
                        item: "Version".to_string(),
                        found,
                        expected: accepted.join("` or `"),
                        kernel: kernel.to_string(),
                    });
                }
            }
        }
        out
    }
}

fn expand_with(text: &str, lookup: &dyn Fn(&str) -> Option<String>, depth: usize) -> Option<String> {
    // Guards against self-referencing definitions.
    if depth > 16 {
        return None;
    }
    let re = crate::packaging::static_regex!(r"%%|%\{(\??)([A-Za-z_][A-Za-z0-9_]*)\}|%([A-Za-z_][A-Za-z0-9_]*)|%");
    let mut out = String::new();
    let mut last = 0;
    for c in re.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        out.push_str(&text[last..m.start()]);
        last = m.end();
        if m.as_str() == "%%" {
            out.push('%');
            continue;
        }
        let optional = c.get(1).is_some_and(|o| !o.as_str().is_empty());
        let name = c.get(2).or_else(|| c.get(3))?.as_str();
        match lookup(name) {
            Some(body) => out.push_str(&expand_with(&body, lookup, depth + 1)?),
            None if optional => {}
            None => return None,
        }
    }
    out.push_str(&text[last..]);
    Some(out)
}

/// The entry's lines with `eol` endings, plus a blank separator line when an
/// older entry follows.
fn prepare_entry(entry: &str, eol: &str, has_previous: bool) -> String {
    let mut out = String::new();
    for line in entry.trim_end_matches(['\n', '\r']).lines() {
        out.push_str(line);
        out.push_str(eol);
    }
    if has_previous {
        out.push_str(eol);
    }
    out
}

/// Puts `entry` at the top of a separately kept changelog file (ARK's
/// `kernel.changelog-X.Y`), blank line included, leaving the rest untouched.
pub fn prepend_changelog_entry(existing: &str, entry: &str) -> String {
    let eol = if existing.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = prepare_entry(entry, eol, !existing.trim().is_empty());
    out.push_str(existing);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packaging::testutil::{require_tool, temp_dir};
    use crate::packaging::KERNEL_SPEC_FIXTURE;

    fn fixture() -> Spec {
        Spec::new("kernel.spec", KERNEL_SPEC_FIXTURE)
    }

    const ENTRY: &str = "* Mon Jan 22 2024 Jane Packager <jane@example.com> [6.7.2-300]\n- net: fix 100%% of the leaks (Jane Doe) [2258001]\n- Linux v6.7.2\nResolves: rhbz#2258001\n";

    #[test]
    fn reads_macros_and_tags() {
        let spec = fixture();
        assert_eq!(spec.macro_value("released_kernel").as_deref(), Some("1"));
        assert_eq!(spec.macro_value("baserelease").as_deref(), Some("300"));
        assert_eq!(spec.macro_value("base_sublevel").as_deref(), Some("7"));
        assert_eq!(spec.macro_value("stable_update").as_deref(), Some("1"));
        assert_eq!(spec.macro_value("rcrev").as_deref(), Some("0"));
        assert_eq!(spec.macro_value("fedora_build").as_deref(), Some("%{baserelease}"));
        // Defined in both branches of `%if 0%{?released_kernel}`.
        assert_eq!(spec.macro_value("rpmversion"), None);
        assert_eq!(spec.macro_defs("rpmversion").len(), 2);
        let def = &spec.macro_defs("baserelease")[0];
        assert_eq!((def.line, def.keyword), (23, MacroKeyword::Global));
        assert_eq!(spec.macro_defs("stable_update")[0].keyword, MacroKeyword::Define);

        assert_eq!(spec.tag("version").unwrap().value, "%{rpmversion}");
        assert_eq!(spec.tag("Release").unwrap().value, "%{specrelease}");
        assert_eq!(spec.tag("Name").unwrap().value, "kernel");
        let patches: Vec<String> = spec.patches().iter().map(|t| t.name.clone()).collect();
        assert_eq!(patches, ["Patch1", "Patch1000", "Patch1001", "Patch1002", "Patch1003"]);
        assert_eq!(spec.sources()[0].value, "linux-%{kversion}.tar.xz");
        assert_eq!(
            spec.expand("linux-%{kversion}.tar.xz%{?dist}").as_deref(),
            Some("linux-6.7.tar.xz")
        );
        assert_eq!(spec.expand("%{rpmversion}"), None);
        assert_eq!(spec.expand("100%%"), Some("100%".into()));
    }

    #[test]
    fn set_macro_changes_only_the_value() {
        let mut spec = fixture();
        spec.set_macro("stable_update", "2").unwrap();
        spec.set_macro("baserelease", "301").unwrap();
        let want = KERNEL_SPEC_FIXTURE
            .replace("%define stable_update 1\n", "%define stable_update 2\n")
            .replace("%global baserelease 300\n", "%global baserelease 301\n");
        assert_eq!(spec.text(), want);
    }

    #[test]
    fn set_macro_and_tag_errors_say_what_to_do() {
        let mut spec = fixture();
        assert_eq!(
            spec.set_macro("nosuch", "1").unwrap_err().to_string(),
            "kernel.spec has no `%global nosuch` or `%define nosuch` line: add one near the top of the spec"
        );
        assert_eq!(
            spec.set_macro("rpmversion", "6.7.2").unwrap_err().to_string(),
            "kernel.spec:37: %rpmversion is defined here and again on line 48; pq cannot tell which definition applies: keep a single one and derive the others from it"
        );
        assert!(spec.set_macro("baserelease", "").is_err());
        assert!(spec.set_macro("baserelease", "1\n2").is_err());
        let mut cont = Spec::new("k.spec", "%define long one \\\n  two\n");
        assert_eq!(
            cont.set_macro("long", "x").unwrap_err().to_string(),
            "k.spec:1: %long continues onto the next line: put its value on one line so pq can change it"
        );
        assert_eq!(
            spec.set_tag("Epoch", "1").unwrap_err().to_string(),
            "kernel.spec has no `Epoch:` line before its first section: add one to the preamble"
        );
        assert_eq!(spec.text(), KERNEL_SPEC_FIXTURE);
    }

    #[test]
    fn set_tag_keeps_layout_and_crlf() {
        let mut spec = Spec::new(
            "x.spec",
            "Name:    foo\r\nVersion:\t1.0  \r\nRelease: 1\r\n\r\n%description\r\nVersion: not a tag\r\n",
        );
        spec.set_tag("version", "2.0").unwrap();
        assert_eq!(
            spec.text(),
            "Name:    foo\r\nVersion:\t2.0  \r\nRelease: 1\r\n\r\n%description\r\nVersion: not a tag\r\n"
        );
        let mut bare = Spec::new("x.spec", "%global empty\n");
        bare.set_macro("empty", "1").unwrap();
        assert_eq!(bare.text(), "%global empty 1\n");
    }

    #[test]
    fn inserts_changelog_entry_at_the_top() {
        let mut spec = fixture();
        spec.insert_changelog_entry(ENTRY).unwrap();
        let want = KERNEL_SPEC_FIXTURE.replace("%changelog\n", &format!("%changelog\n{ENTRY}\n"));
        assert_eq!(spec.text(), want);
        assert!(spec
            .changelog_text()
            .unwrap()
            .starts_with("* Mon Jan 22 2024 Jane Packager"));
    }

    #[test]
    fn changelog_insertion_edge_cases() {
        // Empty section, no newline at the end of the file.
        let mut spec = Spec::new("a.spec", "Name: a\n%changelog");
        spec.insert_changelog_entry("* Mon Jan 22 2024 A <a@b> - 1-1\n- first\n\n")
            .unwrap();
        assert_eq!(
            spec.text(),
            "Name: a\n%changelog\n* Mon Jan 22 2024 A <a@b> - 1-1\n- first\n"
        );
        // CRLF spec stays CRLF.
        let mut spec = Spec::new(
            "b.spec",
            "Name: b\r\n%changelog\r\n* Sun Jan 21 2024 A <a@b> - 1-1\r\n- old\r\n",
        );
        spec.insert_changelog_entry("* Mon Jan 22 2024 A <a@b> - 1-2\n- new")
            .unwrap();
        assert_eq!(
            spec.text(),
            "Name: b\r\n%changelog\r\n* Mon Jan 22 2024 A <a@b> - 1-2\r\n- new\r\n\r\n* Sun Jan 21 2024 A <a@b> - 1-1\r\n- old\r\n"
        );
        let mut none = Spec::new("kernel.spec", "Name: k\n%description\nx\n");
        assert_eq!(
            none.insert_changelog_entry(ENTRY).unwrap_err().to_string(),
            "kernel.spec has no %changelog section: add `%changelog` at the end of the spec"
        );
    }

    #[test]
    fn detects_changelog_kept_in_another_file() {
        let text = KERNEL_SPEC_FIXTURE
            .replace(
                "Source21: kernel-aarch64-fedora.config\n",
                "Source21: kernel-aarch64-fedora.config\nSource50: kernel.changelog-6.7\n",
            )
            .split("%changelog\n")
            .next()
            .unwrap()
            .to_string()
            + "%changelog\n%include %{SOURCE50}\n";
        let mut spec = Spec::new("kernel.spec", text);
        let n = spec.text().lines().count();
        assert_eq!(
            spec.changelog_location().unwrap(),
            ChangelogLocation::External {
                line: n,
                file: "kernel.changelog-6.7".into()
            }
        );
        assert_eq!(spec.changelog_sources()[0].value, "kernel.changelog-6.7");
        assert_eq!(
            spec.insert_changelog_entry(ENTRY).unwrap_err().to_string(),
            format!("kernel.spec:{n}: %changelog takes its entries from kernel.changelog-6.7: add the entry at the top of that file instead")
        );
        let cat = Spec::new(
            "k.spec",
            "Name: k\n%changelog\n# kept in source-git\n%(cat %{_sourcedir}/kernel.changelog-6.8)\n",
        );
        assert_eq!(
            cat.changelog_location().unwrap(),
            ChangelogLocation::External {
                line: 4,
                file: "kernel.changelog-6.8".into()
            }
        );
        assert_eq!(
            fixture().changelog_location().unwrap(),
            ChangelogLocation::Inline { line: 151 }
        );
    }

    #[test]
    fn prepends_to_a_changelog_file() {
        let old = "* Sun Jan 21 2024 A <a@b> [6.7.0-0]\n- old\n";
        assert_eq!(
            prepend_changelog_entry(old, "* new\n- x\n"),
            "* new\n- x\n\n* Sun Jan 21 2024 A <a@b> [6.7.0-0]\n- old\n"
        );
        assert_eq!(prepend_changelog_entry("", "* new\n- x"), "* new\n- x\n");
    }

    #[test]
    fn cross_checks_against_kernel_version() {
        let spec = fixture();
        assert_eq!(spec.check_against(&KernelVersion::new(6, 7, 1, None)), vec![]);
        let found: Vec<String> = spec
            .check_against(&KernelVersion::new(6, 7, 3, None))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            ["kernel.spec:35: %stable_update is `1` but the tree is Linux 6.7.3: set it to `3`"]
        );
        let found: Vec<String> = spec
            .check_against(&KernelVersion::new(6, 8, 0, Some(2)))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "kernel.spec:11: %released_kernel is `1` but the tree is Linux 6.8.0-rc2: set it to `0`",
                "kernel.spec:44: %rcrev is `0` but the tree is Linux 6.8.0-rc2: set it to `2`",
            ]
        );
        let ark = Spec::new(
            "kernel.spec",
            "%define specrpmversion 6.7.0\nName: kernel\nVersion: %{specrpmversion}\n",
        );
        let found: Vec<String> = ark
            .check_against(&KernelVersion::new(6, 7, 1, None))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "kernel.spec:1: %specrpmversion is `6.7.0` but the tree is Linux 6.7.1: set it to `6.7.1`",
                "kernel.spec:3: Version is `6.7.0` but the tree is Linux 6.7.1: set it to `6.7.1`",
            ]
        );
        let tilde = Spec::new("k.spec", "Version: 6.8.0~rc2\n");
        assert!(tilde.check_against(&KernelVersion::new(6, 8, 0, Some(2))).is_empty());
        assert_eq!(
            tilde.check_against(&KernelVersion::new(6, 8, 0, Some(3)))[0].expected,
            "6.8.0` or `6.8.0~rc3"
        );
    }

    fn parts(release: &str) -> ReleaseParts {
        ReleaseParts::parse(release).unwrap()
    }

    #[test]
    fn apply_release_sets_only_what_changed() {
        let mut spec = fixture();
        let changed = spec
            .apply_release(&KernelVersion::new(6, 7, 2, None), &parts("301"))
            .unwrap();
        assert_eq!(changed, ["stable_update", "baserelease"]);
        let want = KERNEL_SPEC_FIXTURE
            .replace("%define stable_update 1\n", "%define stable_update 2\n")
            .replace("%global baserelease 300\n", "%global baserelease 301\n");
        assert_eq!(spec.text(), want);
        assert!(spec.check_against(&KernelVersion::new(6, 7, 2, None)).is_empty());
    }

    #[test]
    fn apply_release_for_an_rc_with_a_local_tag() {
        let mut spec = fixture();
        let kernel = KernelVersion::new(6, 8, 0, Some(3));
        let changed = spec.apply_release(&kernel, &parts("0.rc3.git1.2.hs1.fc39")).unwrap();
        assert_eq!(
            changed,
            ["released_kernel", "rcrev", "gitrev", "baserelease", "buildid"]
        );
        assert!(spec.text().contains("%define buildid .hs1\n%global baserelease 2\n"));
        assert_eq!(spec.macro_value("base_sublevel").as_deref(), Some("7"));
        assert!(spec.check_against(&kernel).is_empty());
        // A second build with another local tag edits the line it added.
        let changed = spec.apply_release(&kernel, &parts("0.rc3.git1.3.hs2")).unwrap();
        assert_eq!(changed, ["baserelease", "buildid"]);
        assert_eq!(spec.macro_value("buildid").as_deref(), Some(".hs2"));
        let err = spec.apply_release(&kernel, &parts("0.rc3.git1.4")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "kernel.spec:23: %buildid is defined but this release has no local tag: remove the line, or release with a local tag"
        );
        assert_eq!(spec.remove_macro("buildid").unwrap(), 23);
        assert_eq!(
            spec.apply_release(&kernel, &parts("0.rc3.git1.4")).unwrap(),
            ["baserelease"]
        );
        assert!(!spec.text().contains("buildid .hs"));
        assert!(spec
            .remove_macro("buildid")
            .unwrap_err()
            .to_string()
            .starts_with("kernel.spec has no `%global buildid`"));
    }

    #[test]
    fn apply_release_refuses_what_it_cannot_express() {
        let mut spec = fixture();
        let err = spec
            .apply_release(&KernelVersion::new(7, 0, 0, Some(1)), &parts("0.rc1.git0.1"))
            .unwrap_err();
        assert!(
            err.to_string().contains("edit the spec's version macros by hand"),
            "{err}"
        );
        let mut no_base = Spec::new("kernel.spec", "%global released_kernel 1\nName: kernel\n");
        assert_eq!(
            no_base
                .apply_release(&KernelVersion::new(6, 7, 1, None), &parts("1"))
                .unwrap_err()
                .to_string(),
            "kernel.spec has no `%global baserelease` or `%define baserelease` line: add one near the top of the spec"
        );
        assert_eq!(no_base.text(), "%global released_kernel 1\nName: kernel\n");
        assert_eq!(spec.text(), KERNEL_SPEC_FIXTURE);
    }

    /// The NVR that `ReleaseScheme` computes is exactly what rpm builds from
    /// the spec once `apply_release` has written it.
    #[test]
    fn rpmspec_builds_the_computed_nvr() {
        use crate::packaging::nvr::{NextRelease, Nvr, PrereleaseStyle, ReleaseScheme, ReleaseStart};
        require_tool("rpmspec", "rpm");
        let scheme = ReleaseScheme {
            package: "kernel".into(),
            start: ReleaseStart::FEDORA_STABLE,
            prerelease: PrereleaseStyle::Fedora,
        };
        let steps: &[(KernelVersion, Option<u32>, Option<&str>)] = &[
            (KernelVersion::new(6, 7, 1, None), None, None),
            (KernelVersion::new(6, 7, 1, None), None, Some("hs1")),
            (KernelVersion::new(6, 7, 2, None), None, None),
            (KernelVersion::new(6, 8, 0, Some(1)), None, None),
            (KernelVersion::new(6, 8, 0, Some(1)), Some(1), Some("hs1")),
            (KernelVersion::new(6, 8, 0, Some(2)), None, None),
            (KernelVersion::new(6, 8, 0, None), None, None),
        ];
        let dir = temp_dir("nvr-spec");
        let mut previous: Vec<Nvr> = Vec::new();
        let mut spec = fixture();
        for (i, (kernel, snapshot, local)) in steps.iter().enumerate() {
            let nvr = scheme
                .next(&NextRelease {
                    kernel,
                    previous: &previous,
                    snapshot: *snapshot,
                    local: *local,
                    dist: Some(".fc39"),
                })
                .unwrap();
            // The macro was added for the local build; a plain build drops it.
            if local.is_none() && !spec.macro_defs("buildid").is_empty() {
                assert_eq!(spec.remove_macro("buildid").unwrap(), 23);
            }
            spec.apply_release(kernel, &nvr.release_parts().unwrap()).unwrap();
            let path = dir.join(format!("step{i}.spec"));
            std::fs::write(&path, spec.text()).unwrap();
            let out = std::process::Command::new("rpmspec")
                .args([
                    "-q",
                    "--srpm",
                    "--qf",
                    "%{name}-%{version}-%{release}\\n",
                    "--define",
                    "dist .fc39",
                ])
                .arg(&path)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(
                String::from_utf8(out.stdout).unwrap().trim(),
                nvr.to_string(),
                "step {i}"
            );
            previous.push(nvr);
        }
        let _ = std::fs::remove_dir_all(&dir);
        let shown: Vec<String> = previous.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "kernel-6.7.1-300.fc39",
                "kernel-6.7.1-301.hs1.fc39",
                "kernel-6.7.2-300.fc39",
                "kernel-6.8.0-0.rc1.git0.300.fc39",
                "kernel-6.8.0-0.rc1.git1.301.hs1.fc39",
                "kernel-6.8.0-0.rc2.git0.302.fc39",
                "kernel-6.8.0-303.fc39",
            ]
        );
    }

    /// The edited fixture still parses with the real rpmspec and yields the
    /// version-release the edits asked for.
    #[test]
    fn rpmspec_accepts_the_edited_spec() {
        require_tool("rpmspec", "rpm");
        let mut released = fixture();
        released.set_macro("stable_update", "2").unwrap();
        released.set_macro("baserelease", "301").unwrap();
        released.insert_changelog_entry(ENTRY).unwrap();
        assert!(released.check_against(&KernelVersion::new(6, 7, 2, None)).is_empty());

        let mut rc = fixture();
        rc.set_macro("released_kernel", "0").unwrap();
        rc.set_macro("rcrev", "3").unwrap();
        rc.set_macro("gitrev", "1").unwrap();
        rc.set_macro("baserelease", "2").unwrap();
        rc.insert_changelog_entry(
            "* Tue Jan 23 2024 Jane Packager <jane@example.com> [6.8.0-0.rc3.git1.2]\n- Linux v6.8-rc3\n",
        )
        .unwrap();

        let dir = temp_dir("rpmspec");
        for (name, spec, nvr) in [
            ("released.spec", &released, "kernel-6.7.2-301.fc39"),
            ("rc.spec", &rc, "kernel-6.8.0-0.rc3.git1.2.fc39"),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, spec.text()).unwrap();
            let parsed = std::process::Command::new("rpmspec")
                .args(["-P", "--define", "dist .fc39"])
                .arg(&path)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&parsed.stderr);
            assert!(parsed.status.success(), "rpmspec -P {name}: {stderr}");
            assert!(!stderr.contains("warning"), "rpmspec -P {name}: {stderr}");
            let parsed = String::from_utf8(parsed.stdout).unwrap();
            assert!(parsed.contains("\n%changelog\n* "), "{parsed}");
            let queried = std::process::Command::new("rpmspec")
                .args([
                    "-q",
                    "--srpm",
                    "--qf",
                    "%{name}-%{version}-%{release}\\n",
                    "--define",
                    "dist .fc39",
                ])
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                queried.status.success(),
                "rpmspec -q {name}: {}",
                String::from_utf8_lossy(&queried.stderr)
            );
            assert_eq!(String::from_utf8(queried.stdout).unwrap().trim(), nvr);
            let changelog = std::process::Command::new("rpmspec")
                .args(["-q", "--srpm", "--qf", "[%{CHANGELOGNAME}\\n]"])
                .arg(&path)
                .output()
                .unwrap();
            let changelog = String::from_utf8(changelog.stdout).unwrap();
            let names: Vec<&str> = changelog.lines().collect();
            assert_eq!(names.len(), 3, "the new entry and both old ones: {changelog}");
            assert!(
                names[0].starts_with("Jane Packager <jane@example.com> ["),
                "{changelog}"
            );
            assert!(names[1].ends_with("[6.7.1-0]"), "{changelog}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
