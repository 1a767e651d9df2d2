//! The changelog entry of ARK/RHEL source-git trees, as `redhat/scripts/genspec/genlog.sh` and `genlog.py`
//! write it into `redhat/kernel.changelog-X.Y`:
//!
//! ```text
//! * Fri Aug 25 2023 Name <email> [5.14.0-284.30.1.el9_2]
//! - subject (Author) [z-bugs z-jiras bugs jiras] {CVEs}
//! - Linux v6.18.6                      (only when the upstream marker moved)
//! Resolves: rhbz#N, RHEL-N
//! <blank line>
//! ```
//!
//! Commits come newest first (`git log --topo-order`); `%` is doubled; lines whose subject starts `[redhat]`
//! and lines for architectures RHEL does not ship are dropped after the tickets were collected (so their
//! tickets stay on the `Resolves:` line, as in genlog.sh); `[Fedora]` is deleted from every line. Tickets:
//! `Bugzilla:` (4-8 digit ids or bugzilla URLs), `JIRA:` (issues.redhat.com or redhat.atlassian.net URLs),
//! their `Z-` forms and `CVE:`. With z-stream tickets present an entry lists them first and `Resolves:`
//! names only them (the z-stream genlog.py); otherwise `Resolves:` is every ticket, sorted as text (the
//! current genlog.py). When no `- ` line is left, genlog.sh writes nothing at all: so does this.
//! `Resolves:` lines belong to the changelog file only: genspec.sh strips them from the spec.

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset};

use crate::packaging::changelog::Commit;

/// Tickets of one commit, as genlog.py reads them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tickets {
    pub bugs: BTreeSet<String>,
    pub zbugs: BTreeSet<String>,
    pub jiras: BTreeSet<String>,
    pub zjiras: BTreeSet<String>,
    pub cves: BTreeSet<String>,
}

fn bz_ids(rest: &str, out: &mut BTreeSet<String>) {
    let re = crate::packaging::static_regex!(
        r"(?: (\d{4,8})\b)|(?: https?://bugzilla\.redhat\.com/(?:show_bug\.cgi\?id=)?(\d{4,8}))"
    );
    for c in re.captures_iter(rest) {
        if let Some(m) = c.get(1).or_else(|| c.get(2)) {
            out.insert(m.as_str().to_string());
        }
    }
}

fn jira_ids(rest: &str, out: &mut BTreeSet<String>) {
    let re = crate::packaging::static_regex!(
        r"^ https://(?:issues\.redhat\.com|redhat\.atlassian\.net)/(?:browse|projects/RHEL/issues)/(RHEL-\d{1,8})\s*$"
    );
    if let Some(c) = re.captures(rest) {
        out.insert(c[1].to_string());
    }
}

/// The tickets named in a commit message's body (the subject line is not read).
pub fn tickets(message: &str) -> Tickets {
    let mut t = Tickets::default();
    let cve = crate::packaging::static_regex!(r"^CVE-[0-9]+-[0-9]+");
    for line in message.lines().skip(1) {
        if let Some(rest) = line.strip_prefix("Bugzilla:").filter(|r| r.starts_with(' ')) {
            bz_ids(rest, &mut t.bugs);
        } else if let Some(rest) = line.strip_prefix("Z-Bugzilla:").filter(|r| r.starts_with(' ')) {
            bz_ids(rest, &mut t.zbugs);
        } else if let Some(rest) = line.strip_prefix("JIRA:") {
            jira_ids(rest, &mut t.jiras);
        } else if let Some(rest) = line.strip_prefix("Z-JIRA:") {
            jira_ids(rest, &mut t.zjiras);
        } else if let Some(rest) = line.strip_prefix("CVE: ") {
            for item in rest.split_whitespace() {
                if let Some(m) = cve.find(item) {
                    t.cves.insert(m.as_str().to_string());
                }
            }
        }
    }
    t
}

const UNSUPPORTED_ARCHES: &[&str] = &[
    "alpha",
    "arc",
    "arm",
    "avr32",
    "blackfin",
    "c6x",
    "cris",
    "frv",
    "h8300",
    "hexagon",
    "ia64",
    "m32r",
    "m68k",
    "metag",
    "microblaze",
    "mips",
    "mn10300",
    "openrisc",
    "parisc",
    "score",
    "sh",
    "sparc",
    "tile",
    "um",
    "unicore32",
    "xtensa",
];

fn hidden(line: &str) -> bool {
    if line.starts_with("- [redhat]") {
        return true;
    }
    UNSUPPORTED_ARCHES.iter().any(|a| {
        line.strip_prefix("- [")
            .and_then(|r| r.strip_prefix(a))
            .is_some_and(|r| r.starts_with(']'))
    })
}

/// What one entry is made of.
pub struct GenlogInput<'a> {
    /// Non-merge commits since the previous release, newest first (`git log --topo-order`).
    pub commits: &'a [Commit],
    /// `Name <email>`, the committer.
    pub packager: &'a str,
    pub date: DateTime<FixedOffset>,
    /// `DISTBASEVERSION`: `5.14.0-284.31.1.el9_2`, `6.18.6-0`.
    pub version_release: &'a str,
    /// `v6.18.6`, `v6.18.0-0.rc7.6bda50f4333f` when the upstream marker moved.
    pub linux: Option<&'a str>,
}

/// The entry genlog.sh writes, ending with its blank line; None when it would write nothing.
pub fn entry(input: &GenlogInput<'_>) -> Option<String> {
    let mut lines: Vec<String> = Vec::new();
    let (mut bugs, mut zbugs, mut jiras, mut zjiras) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for c in input.commits {
        let t = tickets(&c.body);
        let mut line = format!("- {} ({})", c.subject.trim(), c.author_name.trim()).replace('%', "%%");
        let mut ids: Vec<&str> = Vec::new();
        for set in [&t.zbugs, &t.zjiras, &t.bugs, &t.jiras] {
            ids.extend(set.iter().map(String::as_str));
        }
        if !ids.is_empty() {
            line.push_str(&format!(" [{}]", ids.join(" ")));
        }
        if !t.cves.is_empty() {
            line.push_str(&format!(
                " {{{}}}",
                t.cves.iter().cloned().collect::<Vec<_>>().join(" ")
            ));
        }
        lines.push(line);
        bugs.extend(t.bugs);
        zbugs.extend(t.zbugs);
        jiras.extend(t.jiras);
        zjiras.extend(t.zjiras);
    }
    let resolves: Vec<String> = if zbugs.is_empty() && zjiras.is_empty() {
        let all: BTreeSet<String> = bugs.iter().map(|b| format!("rhbz#{b}")).chain(jiras).collect();
        all.into_iter().collect()
    } else {
        zbugs.iter().map(|b| format!("rhbz#{b}")).chain(zjiras).collect()
    };
    let mut kept: Vec<String> = lines
        .into_iter()
        .filter(|l| !hidden(l))
        .map(|l| l.replace("[Fedora]", ""))
        .collect();
    if let Some(linux) = input.linux {
        kept.push(format!("- Linux {linux}"));
    }
    if kept.is_empty() {
        return None;
    }
    let date = input.date.date_naive().format("%a %b %d %Y");
    let mut out = format!("* {date} {} [{}]\n", input.packager, input.version_release).replace("[Fedora]", "");
    for l in kept {
        out.push_str(&l);
        out.push('\n');
    }
    out.push_str(&format!("Resolves: {}\n\n", resolves.join(", ")));
    Some(out)
}

/// genspec.sh's `grep -v -e "^Resolves: "`: the changelog as the spec carries it.
pub fn strip_resolves(changelog: &str) -> String {
    changelog
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("Resolves: "))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn commit(subject: &str, author: &str, body: &str) -> Commit {
        Commit {
            subject: subject.into(),
            author_name: author.into(),
            body: format!("{subject}\n\n{body}"),
        }
    }

    fn date() -> DateTime<FixedOffset> {
        FixedOffset::east_opt(0)
            .unwrap()
            .with_ymd_and_hms(2023, 8, 25, 12, 0, 0)
            .unwrap()
    }

    #[test]
    fn zstream_entry_like_the_rhel_9_2_changelog() {
        let commits = [
            commit(
                "sched/core: Add __always_inline to schedule_loop()",
                "Crystal Wood",
                "Z-Bugzilla: https://bugzilla.redhat.com/show_bug.cgi?id=2233928\nBugzilla: https://bugzilla.redhat.com/2232098\n",
            ),
            commit(
                "arm64: efi: Make efi_rt_lock a raw_spinlock",
                "Mark Salter",
                "Z-Bugzilla: 2213499\nBugzilla: 2188323\nCVE: CVE-2023-21102\n",
            ),
            commit("[redhat] configs: hide me", "Someone", "Z-Bugzilla: 2231850\n"),
        ];
        let e = entry(&GenlogInput {
            commits: &commits,
            packager: "Herton R. Krzesinski <herton@redhat.com>",
            date: date(),
            version_release: "5.14.0-284.30.1.el9_2",
            linux: None,
        })
        .unwrap();
        assert_eq!(
            e,
            "* Fri Aug 25 2023 Herton R. Krzesinski <herton@redhat.com> [5.14.0-284.30.1.el9_2]\n\
             - sched/core: Add __always_inline to schedule_loop() (Crystal Wood) [2233928 2232098]\n\
             - arm64: efi: Make efi_rt_lock a raw_spinlock (Mark Salter) [2213499 2188323] {CVE-2023-21102}\n\
             Resolves: rhbz#2213499, rhbz#2231850, rhbz#2233928\n\n"
        );
    }

    #[test]
    fn ystream_resolves_sorted_as_text_and_linux_line_before_it() {
        let commits = [
            commit(
                "nvmet: nul-terminate the NQNs",
                "Maurizio Lombardi",
                "JIRA: https://issues.redhat.com/browse/RHEL-16691\nCVE: CVE-2023-6121\n",
            ),
            commit("net: 100% fix", "Jane Doe", "Bugzilla: 2428677\n"),
            commit("[sparc] something", "Jane Doe", ""),
        ];
        let e = entry(&GenlogInput {
            commits: &commits,
            packager: "Justin M. Forbes <jforbes@fedoraproject.org>",
            date: date(),
            version_release: "6.18.6-0",
            linux: Some("v6.18.6"),
        })
        .unwrap();
        assert_eq!(
            e,
            "* Fri Aug 25 2023 Justin M. Forbes <jforbes@fedoraproject.org> [6.18.6-0]\n\
             - nvmet: nul-terminate the NQNs (Maurizio Lombardi) [RHEL-16691] {CVE-2023-6121}\n\
             - net: 100%% fix (Jane Doe) [2428677]\n\
             - Linux v6.18.6\n\
             Resolves: RHEL-16691, rhbz#2428677\n\n"
        );
        assert_eq!(
            strip_resolves(&e),
            e.replace("Resolves: RHEL-16691, rhbz#2428677\n", "")
        );
    }

    #[test]
    fn nothing_left_writes_nothing() {
        let commits = [commit("[redhat] kernel-6.18.5-0", "Bot", "")];
        let input = GenlogInput {
            commits: &commits,
            packager: "A <a@b>",
            date: date(),
            version_release: "6.18.6-0",
            linux: None,
        };
        assert_eq!(entry(&input), None);
        // A release with only a new upstream base still has its `- Linux` line, and an empty Resolves.
        let e = entry(&GenlogInput {
            linux: Some("v6.18.6"),
            ..input
        })
        .unwrap();
        assert!(e.ends_with("- Linux v6.18.6\nResolves: \n\n"), "{e}");
    }
}
