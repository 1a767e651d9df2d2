//! Changelog entries in the formats the distribution trees already use:
//! ARK/Fedora RPM `%changelog` entries and debian/changelog entries, plus
//! reading the newest existing entry so a release continues in the tree's
//! own style.
//!
//! The RPM body follows ARK's genlog: one `- subject (Author)` line per
//! commit, ticket ids from `Bugzilla:`/`JIRA:` lines in `[...]`, CVEs in
//! `{...}`, ids sorted as text, a `Resolves:` line with every ticket.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate};
use regex::Regex;

use crate::packaging::PackagingError;

/// The part of a commit a changelog needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub subject: String,
    pub author_name: String,
    /// The full commit message (subject line included or not).
    pub body: String,
}

/// Ticket references found in a commit message. Z-stream tickets
/// (`Z-Bugzilla:`, `Z-JIRA:`) are kept apart because an entry that has any
/// resolves only those, as in RHEL's z-stream branches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trailers {
    /// Bugzilla numbers (`2428677`).
    pub bugzilla: BTreeSet<String>,
    pub z_bugzilla: BTreeSet<String>,
    /// JIRA keys (`RHEL-16691`).
    pub jira: BTreeSet<String>,
    pub z_jira: BTreeSet<String>,
    /// `CVE-2023-6121`.
    pub cves: BTreeSet<String>,
}

impl Trailers {
    pub fn is_empty(&self) -> bool {
        self.bugzilla.is_empty()
            && self.z_bugzilla.is_empty()
            && self.jira.is_empty()
            && self.z_jira.is_empty()
            && self.cves.is_empty()
    }

    /// Ticket ids in ARK's `[...]` order: z-stream first, Bugzilla before JIRA.
    fn ticket_ids(&self) -> Vec<&str> {
        [&self.z_bugzilla, &self.z_jira, &self.bugzilla, &self.jira]
            .into_iter()
            .flat_map(|set| set.iter().map(String::as_str))
            .collect()
    }
}

/// Finds `Bugzilla:`, `JIRA:`, `CVE:` (and `Z-` variants) lines in a commit
/// message. Every unindented line is considered, not only the final
/// paragraph: RHEL-style backports put these lines at the top of the body,
/// before the quoted upstream message, while git-style trailers sit at the
/// end. Indented lines (a quoted upstream message) are ignored. Bugzilla
/// accepts bare numbers and bugzilla URLs; JIRA accepts keys and
/// `/browse/KEY` URLs.
pub fn parse_trailers(message: &str) -> Trailers {
    // Compiled once: this runs for every commit of a release.
    static PATTERNS: LazyLock<[Regex; 5]> = LazyLock::new(|| {
        [
            r"^\d+$",
            r"^https?://bugzilla\.redhat\.com/(?:show_bug\.cgi\?id=)?(\d+)$",
            r"^[A-Z][A-Z0-9]*-\d+$",
            r"^https?://[^/\s]+/(?:browse|projects/[A-Z0-9]+/issues)/([A-Z][A-Z0-9]*-\d+)$",
            r"^CVE-\d{4}-\d{4,}$",
        ]
        .map(|re| Regex::new(re).expect("static regex"))
    });
    let [number, bz_url, key, jira_url, cve] = &*PATTERNS;

    let mut t = Trailers::default();
    for line in message.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        // `Bugzilla: 123` but not `Bugzilla:123` nor ` Bugzilla: 123`.
        if !value.starts_with(' ') {
            continue;
        }
        let tokens = value
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|s| !s.is_empty());
        match name {
            "Bugzilla" | "Z-Bugzilla" => {
                let set = if name == "Bugzilla" {
                    &mut t.bugzilla
                } else {
                    &mut t.z_bugzilla
                };
                for tok in tokens {
                    if number.is_match(tok) {
                        set.insert(tok.to_string());
                    } else if let Some(c) = bz_url.captures(tok) {
                        set.insert(c[1].to_string());
                    }
                }
            }
            "JIRA" | "Z-JIRA" => {
                let set = if name == "JIRA" { &mut t.jira } else { &mut t.z_jira };
                for tok in tokens {
                    if key.is_match(tok) {
                        set.insert(tok.to_string());
                    } else if let Some(c) = jira_url.captures(tok) {
                        set.insert(c[1].to_string());
                    }
                }
            }
            "CVE" => t
                .cves
                .extend(tokens.filter(|tok| cve.is_match(tok)).map(str::to_string)),
            _ => {}
        }
    }
    t
}

/// Which kind of entry to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangelogStyle {
    /// `* Sun Jan 18 2026 Name <email> [6.18.6-0]` (kernel-ark, kernel.changelog-X.Y).
    Ark,
    /// `* Mon Jan 22 2024 Name <email> - 6.7.1-300` (Fedora dist-git).
    FedoraDistGit,
    /// `linux (6.8.0-132.133) noble; urgency=medium`.
    Debian(DebianTarget),
}

/// The parts of a debian/changelog header besides the version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebianTarget {
    /// Source package, `linux`.
    pub package: String,
    /// `noble`, `unstable`, `UNRELEASED`.
    pub distribution: String,
    /// `medium` unless the tree says otherwise.
    pub urgency: String,
}

/// Everything an entry is made of.
#[derive(Debug, Clone, Copy)]
pub struct EntryInput<'a> {
    /// Non-merge commits since the last release, oldest first.
    pub commits: &'a [Commit],
    /// `Name <email>`.
    pub packager: &'a str,
    /// RPM headers use only the date; Debian's trailer uses all of it.
    pub date: DateTime<FixedOffset>,
    /// `6.18.6-0`, `6.8.0-132.133`.
    pub version_release: &'a str,
    /// `v6.18.6` (or `6.18.6`) when the upstream base moved.
    pub linux_base: Option<&'a str>,
}

/// Formats one changelog entry, ending with a newline. Debian entries also end
/// with the blank line that separates them from the next entry; RPM entries do
/// not (`Spec::insert_changelog_entry` adds the separator).
pub fn format_entry(style: &ChangelogStyle, input: &EntryInput<'_>) -> Result<String, PackagingError> {
    let packager = crate::packaging::static_regex!(r"^[^<>\n]*[^<>\s] <[^<>\s@]+@[^<>\s]+>$");
    if !packager.is_match(input.packager) {
        return Err(PackagingError::invalid(
            "packager",
            input.packager,
            "write it as `Name <email>` (set user.name and user.email, or pass the packager explicitly)",
        ));
    }
    if input.version_release.is_empty() || input.version_release.contains(char::is_whitespace) {
        return Err(PackagingError::invalid(
            "version-release",
            input.version_release,
            "expected something like `6.7.1-300` without blanks",
        ));
    }
    let base = input.linux_base.map(|b| format!("v{}", b.trim_start_matches('v')));
    match style {
        ChangelogStyle::Ark | ChangelogStyle::FedoraDistGit => Ok(format_rpm(style, input, base)),
        ChangelogStyle::Debian(target) => format_debian(target, input, base),
    }
}

fn rpm_escape(s: &str) -> String {
    s.replace('%', "%%")
}

fn format_rpm(style: &ChangelogStyle, input: &EntryInput<'_>, base: Option<String>) -> String {
    let date = input.date.date_naive().format("%a %b %d %Y");
    let packager = rpm_escape(input.packager);
    let mut out = match style {
        ChangelogStyle::FedoraDistGit => {
            format!("* {date} {packager} - {}\n", input.version_release)
        }
        _ => format!("* {date} {packager} [{}]\n", input.version_release),
    };
    let mut all = Trailers::default();
    for commit in input.commits {
        // Packaging commits are the tree's own housekeeping, not changes to the kernel.
        if commit.subject.starts_with("[redhat]") {
            continue;
        }
        let t = parse_trailers(&commit.body);
        out.push_str(&format!(
            "- {} ({})",
            rpm_escape(commit.subject.trim()),
            rpm_escape(commit.author_name.trim())
        ));
        let ids = t.ticket_ids();
        if !ids.is_empty() {
            out.push_str(&format!(" [{}]", ids.join(" ")));
        }
        if !t.cves.is_empty() {
            out.push_str(&format!(
                " {{{}}}",
                t.cves.iter().cloned().collect::<Vec<_>>().join(" ")
            ));
        }
        out.push('\n');
        all.bugzilla.extend(t.bugzilla);
        all.z_bugzilla.extend(t.z_bugzilla);
        all.jira.extend(t.jira);
        all.z_jira.extend(t.z_jira);
    }
    if let Some(base) = base {
        if *style == ChangelogStyle::FedoraDistGit {
            // Fedora dist-git names the new upstream first (`- Linux v5.8.18`, then the fixes).
            let at = out.find('\n').map_or(out.len(), |i| i + 1);
            out.insert_str(at, &format!("- Linux {base}\n"));
        } else {
            out.push_str(&format!("- Linux {base}\n"));
        }
    }
    // A z-stream release resolves only its z-stream tickets.
    let (bzs, jiras) = if all.z_bugzilla.is_empty() && all.z_jira.is_empty() {
        (&all.bugzilla, &all.jira)
    } else {
        (&all.z_bugzilla, &all.z_jira)
    };
    let resolves: Vec<String> = bzs
        .iter()
        .map(|b| format!("rhbz#{b}"))
        .chain(jiras.iter().cloned())
        .collect();
    if !resolves.is_empty() {
        out.push_str(&format!("Resolves: {}\n", resolves.join(", ")));
    }
    out
}

fn format_debian(
    target: &DebianTarget,
    input: &EntryInput<'_>,
    base: Option<String>,
) -> Result<String, PackagingError> {
    let word = crate::packaging::static_regex!(r"^[A-Za-z0-9][A-Za-z0-9.+~:_-]*$");
    if !word.is_match(&target.package) {
        return Err(PackagingError::invalid(
            "Debian source package",
            &target.package,
            "use the Source: name from debian/control, like `linux`",
        ));
    }
    if !word.is_match(&target.distribution) {
        return Err(PackagingError::invalid(
            "Debian distribution",
            &target.distribution,
            "use a suite name such as `noble`, `unstable` or `UNRELEASED`",
        ));
    }
    if !word.is_match(&target.urgency) {
        return Err(PackagingError::invalid(
            "Debian urgency",
            &target.urgency,
            "use low, medium, high, emergency or critical",
        ));
    }
    let mut out = format!(
        "{} ({}) {}; urgency={}\n\n",
        target.package, input.version_release, target.distribution, target.urgency
    );
    let mut items = 0;
    if let Some(base) = base {
        out.push_str(&format!("  * Linux {base}\n"));
        items += 1;
    }
    for commit in input.commits {
        out.push_str(&format!("  * {}\n", commit.subject.trim()));
        items += 1;
    }
    // dpkg-parsechangelog wants at least one change line.
    if items == 0 {
        out.push_str("  * No-change rebuild.\n");
    }
    // RFC 2822 with a two-digit day, as `date -R` writes it.
    let date = input.date.format("%a, %d %b %Y %H:%M:%S %z");
    out.push_str(&format!("\n -- {}  {date}\n\n", input.packager));
    Ok(out)
}

/// How an RPM changelog header names the version-release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecHeaderStyle {
    /// `... <email> [6.18.6-0]`
    Ark,
    /// `... <email> - 6.7.1-300`
    Fedora,
}

impl SpecHeaderStyle {
    pub fn style(self) -> ChangelogStyle {
        match self {
            SpecHeaderStyle::Ark => ChangelogStyle::Ark,
            SpecHeaderStyle::Fedora => ChangelogStyle::FedoraDistGit,
        }
    }
}

/// The newest entry's header of an RPM changelog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecEntryHeader {
    /// 1-based line within the text handed in.
    pub line: usize,
    pub style: SpecHeaderStyle,
    pub date: NaiveDate,
    /// `Name <email>`.
    pub packager: String,
    /// `6.7.1-300`, epoch included if written (`2:1.0-1`).
    pub version_release: String,
}

/// Reads the first entry header of a `%changelog` section's text (or of a
/// kernel.changelog-X.Y file). Ok(None) when there are no entries yet. `file`
/// names the text in errors.
pub fn parse_spec_changelog_top(file: &str, text: &str) -> Result<Option<SpecEntryHeader>, PackagingError> {
    let re = crate::packaging::static_regex!(
        r"^\*\s+((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+[A-Z][a-z]{2}\s+\d{1,2})\s+(?:\d{1,2}:\d{2}:\d{2}\s+[A-Z]{2,5}\s+)?(\d{4})\s+(.*?)\s*(?:\[(\S+)\]|\s-\s+(\S+))\s*$"
    );
    // rpm also accepts a time and zone before the year (`* Mon Nov  2 10:50:44 CST 2020`), as Fedora's
    // kernel.spec had it for years.
    for (idx, line) in text.lines().enumerate() {
        if !line.starts_with('*') {
            continue;
        }
        let c = re.captures(line).ok_or_else(|| {
            PackagingError::at_line(
                file,
                idx + 1,
                "changelog header is neither `* Day Mon DD YYYY Name <email> [V-R]` nor `* Day Mon DD YYYY Name <email> - V-R`: fix it so pq can tell the format",
            )
        })?;
        let date_text = format!("{} {}", c[1].split_whitespace().collect::<Vec<_>>().join(" "), &c[2]);
        let date = NaiveDate::parse_from_str(&date_text, "%a %b %d %Y").map_err(|_| {
            PackagingError::at_line(
                file,
                idx + 1,
                format!("`{date_text}` is not a valid date: write it as `Mon Jan 22 2024`, with the right weekday"),
            )
        })?;
        let (style, vr) = match (c.get(4), c.get(5)) {
            (Some(vr), _) => (SpecHeaderStyle::Ark, vr.as_str()),
            (None, Some(vr)) => (SpecHeaderStyle::Fedora, vr.as_str()),
            (None, None) => unreachable!("the regex requires one of the two"),
        };
        return Ok(Some(SpecEntryHeader {
            line: idx + 1,
            style,
            date,
            packager: c[3].to_string(),
            version_release: vr.to_string(),
        }));
    }
    Ok(None)
}

/// The newest entry's header of a debian/changelog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebianEntryHeader {
    pub package: String,
    pub version: String,
    pub distribution: String,
    pub urgency: Option<String>,
}

impl DebianEntryHeader {
    /// The target to write the next entry for, keeping package, suite and urgency.
    pub fn target(&self) -> DebianTarget {
        DebianTarget {
            package: self.package.clone(),
            distribution: self.distribution.clone(),
            urgency: self.urgency.clone().unwrap_or_else(|| "medium".to_string()),
        }
    }
}

/// Reads the first entry header of a debian/changelog.
pub fn parse_debian_changelog_top(file: &str, text: &str) -> Result<DebianEntryHeader, PackagingError> {
    let re = crate::packaging::static_regex!(r"^(\S+) \(([^()\s]+)\) ([^;]+);(.*)$");
    let urgency = crate::packaging::static_regex!(r"(?:^|[\s,])urgency=([A-Za-z]+)");
    let Some((idx, line)) = text.lines().enumerate().find(|(_, l)| !l.trim().is_empty()) else {
        return Err(PackagingError::in_file(
            file,
            "is empty: start it with `dch --create` or an entry like `linux (6.8.0-1.1) noble; urgency=medium`",
        ));
    };
    let c = re.captures(line).ok_or_else(|| {
        PackagingError::at_line(
            file,
            idx + 1,
            "expected an entry header like `linux (6.8.0-132.133) noble; urgency=medium`",
        )
    })?;
    Ok(DebianEntryHeader {
        package: c[1].to_string(),
        version: c[2].to_string(),
        distribution: c[3].trim().to_string(),
        urgency: urgency.captures(&c[4]).map(|u| u[1].to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packaging::testutil::{have_tool, temp_dir};
    use chrono::TimeZone;

    fn date(y: i32, m: u32, d: u32, h: u32) -> DateTime<FixedOffset> {
        FixedOffset::east_opt(0)
            .unwrap()
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .unwrap()
    }

    fn commit(subject: &str, author: &str, body: &str) -> Commit {
        Commit {
            subject: subject.into(),
            author_name: author.into(),
            body: body.into(),
        }
    }

    fn ark_commits() -> Vec<Commit> {
        vec![
            commit(
                "Backport of Intel ISH HID patches to support sensors on Lenovo platforms",
                "Vishnu Sankar",
                "Backport of Intel ISH HID patches to support sensors on Lenovo platforms\n\nBugzilla: https://bugzilla.redhat.com/2428677\nSigned-off-by: Vishnu Sankar <vishnu@example.com>\n",
            ),
            commit("[redhat] kernel-6.18.5-0", "Justin M. Forbes", "[redhat] kernel-6.18.5-0\n"),
            commit(
                "nvmet: nul-terminate the NQNs passed in the connect command",
                "Maurizio Lombardi",
                "nvmet: nul-terminate the NQNs passed in the connect command\n\nJIRA: https://issues.redhat.com/browse/RHEL-16691\nCVE: CVE-2023-6121\nUpstream Status: v6.7-rc3\n\ncommit 1c22e0295a5eb571c27b53c7371f95699ef705ff\nAuthor: Maurizio Lombardi <mlombard@redhat.com>\n\n    The host may send tampered NQNs.\n    JIRA: RHEL-99999\n",
            ),
        ]
    }

    #[test]
    fn ark_entry_matches_the_reference_shape() {
        let commits = ark_commits();
        let input = EntryInput {
            commits: &commits,
            packager: "Justin M. Forbes <jforbes@fedoraproject.org>",
            date: date(2026, 1, 18, 12),
            version_release: "6.18.6-0",
            linux_base: Some("v6.18.6"),
        };
        let entry = format_entry(&ChangelogStyle::Ark, &input).unwrap();
        insta::assert_snapshot!(entry, @r"
        * Sun Jan 18 2026 Justin M. Forbes <jforbes@fedoraproject.org> [6.18.6-0]
        - Backport of Intel ISH HID patches to support sensors on Lenovo platforms (Vishnu Sankar) [2428677]
        - nvmet: nul-terminate the NQNs passed in the connect command (Maurizio Lombardi) [RHEL-16691] {CVE-2023-6121}
        - Linux v6.18.6
        Resolves: rhbz#2428677, RHEL-16691
        ");
        assert!(entry.ends_with("RHEL-16691\n"));
    }

    #[test]
    fn fedora_header_variant_and_escaping() {
        let commits = vec![
            commit(
                "mm: fix 100% CPU in kswapd",
                "Ann %Author",
                "mm: fix\n\nBugzilla: 2258001 2258002, 2258001\nCVE: CVE-2024-0001 CVE-2023-9999\n",
            ),
            commit("drm/i915: quirk", "Bob", "drm/i915: quirk\n"),
        ];
        let input = EntryInput {
            commits: &commits,
            packager: "Jane Packager <jane@example.com>",
            date: date(2024, 1, 22, 10),
            version_release: "6.7.1-300",
            linux_base: Some("6.7.1"),
        };
        let entry = format_entry(&ChangelogStyle::FedoraDistGit, &input).unwrap();
        insta::assert_snapshot!(entry, @r"
        * Mon Jan 22 2024 Jane Packager <jane@example.com> - 6.7.1-300
        - Linux v6.7.1
        - mm: fix 100%% CPU in kswapd (Ann %%Author) [2258001 2258002] {CVE-2023-9999 CVE-2024-0001}
        - drm/i915: quirk (Bob)
        Resolves: rhbz#2258001, rhbz#2258002
        ");
    }

    #[test]
    fn no_tickets_means_no_resolves_line() {
        let commits = vec![commit("x86: fix build", "Dev", "x86: fix build\n")];
        let input = EntryInput {
            commits: &commits,
            packager: "Jane Packager <jane@example.com>",
            date: date(2024, 3, 5, 10),
            version_release: "6.8.0-0.rc3.git0.1",
            linux_base: None,
        };
        let entry = format_entry(&ChangelogStyle::Ark, &input).unwrap();
        insta::assert_snapshot!(entry, @r"
        * Tue Mar 05 2024 Jane Packager <jane@example.com> [6.8.0-0.rc3.git0.1]
        - x86: fix build (Dev)
        ");
    }

    #[test]
    fn z_stream_tickets_take_over_resolves() {
        let commits = vec![
            commit("a", "A", "a\n\nZ-JIRA: https://issues.redhat.com/browse/RHEL-200\nJIRA: https://issues.redhat.com/browse/RHEL-100\n"),
            commit("b", "B", "b\n\nBugzilla: 123456\n"),
        ];
        let input = EntryInput {
            commits: &commits,
            packager: "Z <z@example.com>",
            date: date(2024, 1, 22, 10),
            version_release: "5.14.0-403.1.el9",
            linux_base: None,
        };
        let entry = format_entry(&ChangelogStyle::Ark, &input).unwrap();
        insta::assert_snapshot!(entry, @r"
        * Mon Jan 22 2024 Z <z@example.com> [5.14.0-403.1.el9]
        - a (A) [RHEL-200 RHEL-100]
        - b (B) [123456]
        Resolves: RHEL-200
        ");
    }

    #[test]
    fn parses_trailers() {
        let t = parse_trailers(
            "subject\n\nBugzilla: 1196266 https://bugzilla.redhat.com/show_bug.cgi?id=1200397\nBugzilla: see below\nJIRA: RHEL-16691, https://issues.redhat.com/browse/RHEL-1\nCVE: CVE-2015-2150 not-a-cve\n  JIRA: RHEL-5\nJIRA:RHEL-6\njira: RHEL-7\n",
        );
        assert_eq!(t.bugzilla.iter().collect::<Vec<_>>(), ["1196266", "1200397"]);
        assert_eq!(t.jira.iter().collect::<Vec<_>>(), ["RHEL-1", "RHEL-16691"]);
        assert_eq!(t.cves.iter().collect::<Vec<_>>(), ["CVE-2015-2150"]);
        assert!(parse_trailers("just a subject").is_empty());
    }

    #[test]
    fn debian_entry() {
        let commits = vec![commit(
            "Add intel-speed-select to linux-tools-$(uname -r) (LP: #2131077)",
            "X",
            "",
        )];
        let target = DebianTarget {
            package: "linux".into(),
            distribution: "noble".into(),
            urgency: "medium".into(),
        };
        let input = EntryInput {
            commits: &commits,
            packager: "Name <email@example.com>",
            date: date(2024, 1, 22, 10),
            version_release: "6.8.0-132.133",
            linux_base: None,
        };
        let entry = format_entry(&ChangelogStyle::Debian(target.clone()), &input).unwrap();
        assert_eq!(
            entry,
            "linux (6.8.0-132.133) noble; urgency=medium\n\n  * Add intel-speed-select to linux-tools-$(uname -r) (LP: #2131077)\n\n -- Name <email@example.com>  Mon, 22 Jan 2024 10:00:00 +0000\n\n"
        );
        let empty = format_entry(
            &ChangelogStyle::Debian(target),
            &EntryInput {
                commits: &[],
                date: FixedOffset::east_opt(3600)
                    .unwrap()
                    .with_ymd_and_hms(2024, 2, 3, 4, 5, 6)
                    .unwrap(),
                ..input
            },
        )
        .unwrap();
        insta::assert_snapshot!(empty, @r"
        linux (6.8.0-132.133) noble; urgency=medium

          * No-change rebuild.

         -- Name <email@example.com>  Sat, 03 Feb 2024 04:05:06 +0100
        ");
    }

    #[test]
    fn rejects_bad_inputs() {
        let base = EntryInput {
            commits: &[],
            packager: "Jane",
            date: date(2024, 1, 22, 10),
            version_release: "1-1",
            linux_base: None,
        };
        assert_eq!(
            format_entry(&ChangelogStyle::Ark, &base).unwrap_err().to_string(),
            "invalid packager `Jane`: write it as `Name <email>` (set user.name and user.email, or pass the packager explicitly)"
        );
        let ok_packager = EntryInput {
            packager: "Jane <j@example.com>",
            ..base
        };
        assert!(format_entry(
            &ChangelogStyle::Ark,
            &EntryInput {
                version_release: "1 -1",
                ..ok_packager
            }
        )
        .is_err());
        let bad_suite = DebianTarget {
            package: "linux".into(),
            distribution: "no ble".into(),
            urgency: "medium".into(),
        };
        assert!(format_entry(&ChangelogStyle::Debian(bad_suite), &ok_packager).is_err());
    }

    #[test]
    fn reads_the_top_rpm_entry() {
        let text = crate::packaging::KERNEL_SPEC_FIXTURE
            .split("%changelog\n")
            .nth(1)
            .unwrap();
        let top = parse_spec_changelog_top("kernel.spec", text).unwrap().unwrap();
        assert_eq!(top.style, SpecHeaderStyle::Ark);
        assert_eq!(top.version_release, "6.7.1-0");
        assert_eq!(top.packager, "Justin M. Forbes <jforbes@fedoraproject.org>");
        assert_eq!(top.date, NaiveDate::from_ymd_opt(2024, 1, 20).unwrap());
        assert_eq!(top.style.style(), ChangelogStyle::Ark);

        let fedora = "\n* Mon Jan 22 2024 Jane Packager <jane@example.com> - 6.7.1-300\n- Linux v6.7.1\n";
        let top = parse_spec_changelog_top("kernel.spec", fedora).unwrap().unwrap();
        assert_eq!(
            (top.line, top.style, top.version_release.as_str()),
            (2, SpecHeaderStyle::Fedora, "6.7.1-300")
        );
        let epoch = parse_spec_changelog_top("x", "* Thu Jan  4 2024 A B <a@b.c> - 2:1.0-1\n")
            .unwrap()
            .unwrap();
        assert_eq!(epoch.version_release, "2:1.0-1");

        assert_eq!(parse_spec_changelog_top("kernel.spec", "\n").unwrap(), None);
        assert_eq!(
            parse_spec_changelog_top("kernel.spec", "* Mon Jan 22 2024 Jane <j@x.org>\n").unwrap_err().to_string(),
            "kernel.spec:1: changelog header is neither `* Day Mon DD YYYY Name <email> [V-R]` nor `* Day Mon DD YYYY Name <email> - V-R`: fix it so pq can tell the format"
        );
        assert!(parse_spec_changelog_top("k", "* Tue Jan 22 2024 J <j@x.org> [1-1]\n")
            .unwrap_err()
            .to_string()
            .contains("with the right weekday"));
    }

    #[test]
    fn reads_the_top_debian_entry() {
        let text =
            "linux (6.8.0-132.133) noble; urgency=medium\n\n  * x\n\n -- A <a@b.c>  Mon, 22 Jan 2024 10:00:00 +0000\n";
        let top = parse_debian_changelog_top("debian/changelog", text).unwrap();
        assert_eq!(
            top,
            DebianEntryHeader {
                package: "linux".into(),
                version: "6.8.0-132.133".into(),
                distribution: "noble".into(),
                urgency: Some("medium".into())
            }
        );
        assert_eq!(top.target().urgency, "medium");
        assert_eq!(
            parse_debian_changelog_top("debian/changelog", "garbage\n")
                .unwrap_err()
                .to_string(),
            "debian/changelog:1: expected an entry header like `linux (6.8.0-132.133) noble; urgency=medium`"
        );
        assert!(parse_debian_changelog_top("debian/changelog", "")
            .unwrap_err()
            .to_string()
            .starts_with("debian/changelog is empty"));
    }

    /// The real dpkg-parsechangelog reads a new entry on top of an older one.
    #[test]
    fn dpkg_parsechangelog_accepts_the_entry() {
        if !have_tool("dpkg-parsechangelog") {
            eprintln!("skipping dpkg_parsechangelog_accepts_the_entry: dpkg-parsechangelog is not installed (apt-get install dpkg-dev)");
            return;
        }
        let older = "linux (6.8.0-131.132) noble; urgency=medium\n\n  * Older change\n\n -- Old Packager <old@example.com>  Fri, 19 Jan 2024 09:00:00 +0000\n";
        let top = parse_debian_changelog_top("debian/changelog", older).unwrap();
        let commits = vec![commit(
            "UBUNTU: [Packaging] Add intel-speed-select to linux-tools",
            "X",
            "",
        )];
        let entry = format_entry(
            &ChangelogStyle::Debian(top.target()),
            &EntryInput {
                commits: &commits,
                packager: "Name Surname <name@example.com>",
                date: FixedOffset::west_opt(5 * 3600)
                    .unwrap()
                    .with_ymd_and_hms(2024, 1, 22, 10, 0, 0)
                    .unwrap(),
                version_release: "6.8.0-132.133",
                linux_base: Some("v6.8.1"),
            },
        )
        .unwrap();
        let dir = temp_dir("dpkg");
        let path = dir.join("changelog");
        std::fs::write(&path, format!("{entry}{older}")).unwrap();
        let out = std::process::Command::new("dpkg-parsechangelog")
            .arg("-l")
            .arg(&path)
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains("warning"), "{stderr}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        for want in [
            "Source: linux\n",
            "Version: 6.8.0-132.133\n",
            "Distribution: noble\n",
            "Urgency: medium\n",
            "Maintainer: Name Surname <name@example.com>\n",
            "Date: Mon, 22 Jan 2024 10:00:00 -0500\n",
            "  * Linux v6.8.1\n",
            "  * UBUNTU: [Packaging] Add intel-speed-select to linux-tools\n",
        ] {
            assert!(stdout.contains(want), "missing {want:?} in:\n{stdout}");
        }
        assert!(
            !stdout.contains("Older change"),
            "only the top entry is reported:\n{stdout}"
        );
    }
}
