//! debian/changelog releases: Debian's version ordering (dpkg's `verrevcmp`), the next version, and the
//! entry as the Debian kernel team's `debian/bin/stable-update` and `dch` write it:
//!
//! ```text
//! linux (5.10.29-1) unstable; urgency=medium
//!
//!   * New upstream stable update:
//!     https://www.kernel.org/pub/linux/kernel/v5.x/ChangeLog-5.10.29
//!     - <upstream subject>            (one per commit of v5.10.28..v5.10.29^, oldest first)
//!   * <own change> (Closes: #986822) (CVE-2021-3493)
//!
//!  -- Name <email>  Tue, 13 Apr 2021 14:58:33 +0200
//! ```
//!
//! Lines are wrapped at 80 columns; a wrapped item continues under its text.

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};

/// dpkg's order of one character in the non-digit parts: `~` first, then the end, letters, the rest.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => c as i32,
        Some(c) => c as i32 + 256,
    }
}

fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let mut first_diff = 0;
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
            if first_diff == 0 {
                first_diff = a[i] as i32 - b[j] as i32;
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != 0 {
            return first_diff.cmp(&0);
        }
    }
    Ordering::Equal
}

/// Splits `epoch:upstream-revision`.
fn split(v: &str) -> (u64, &str, &str) {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) => (e.parse().unwrap_or(0), r),
        None => (0, v),
    };
    match rest.rsplit_once('-') {
        Some((u, r)) => (epoch, u, r),
        None => (epoch, rest, ""),
    }
}

/// `dpkg --compare-versions`.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    ea.cmp(&eb)
        .then_with(|| verrevcmp(ua, ub))
        .then_with(|| verrevcmp(ra, rb))
}

/// The upstream part of a Debian version (`5.10.28` of `5.10.28-2`).
pub fn upstream(v: &str) -> &str {
    split(v).1
}

/// The next version: a new upstream gets revision `1` (`~exp1` kept for experimental, as stable-update
/// does); the same upstream counts the revision up (`2` → `3`; Ubuntu's `164.174` → `165.175`).
pub fn next_version(current: &str, new_upstream: &str) -> String {
    let (epoch, up, rev) = split(current);
    let epoch = if epoch > 0 { format!("{epoch}:") } else { String::new() };
    if up != new_upstream {
        let exp = if rev.contains("~exp") { "~exp1" } else { "" };
        return format!("{epoch}{new_upstream}-1{exp}");
    }
    let bumped: Vec<String> = if rev
        .split('.')
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        rev.split('.')
            .map(|p| (p.parse::<u64>().unwrap_or(0) + 1).to_string())
            .collect()
    } else {
        // `2~exp1`, `1ubuntu3`: count the last number up.
        let at = rev.rfind(|c: char| !c.is_ascii_digit()).map_or(0, |i| i + 1);
        let n: u64 = rev[at..].parse().unwrap_or(0);
        vec![format!("{}{}", &rev[..at], n + 1)]
    };
    format!("{epoch}{up}-{}", bumped.join("."))
}

/// Greedy wrap at 80 columns: `first` prefixes the first line, `rest` the following ones (both end with
/// their blank).
pub fn wrap(text: &str, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > 80 {
            out.push_str(&line);
            out.push('\n');
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// The stable releases a stable update covers, each with its upstream subjects (oldest first).
pub struct StableUpdate {
    /// `5.10.29`.
    pub version: String,
    pub subjects: Vec<String>,
}

/// One change of the tree's own: subject, `Closes:` bugs and CVEs.
pub struct Change {
    pub subject: String,
    pub closes: Vec<String>,
    pub cves: Vec<String>,
}

/// `Closes: #123, #456` lines and CVE ids (in `CVE:` lines or the subject) of a commit message.
pub fn change(subject: &str, message: &str) -> Change {
    let closes_re = crate::packaging::static_regex!(r"(?i)^\s*closes:\s*(.*)$");
    let bug = crate::packaging::static_regex!(r"#?(\d+)");
    let cve = crate::packaging::static_regex!(r"CVE-\d{4}-\d{4,}");
    let mut closes = Vec::new();
    let mut cves: Vec<String> = Vec::new();
    for line in message.lines().skip(1) {
        if let Some(c) = closes_re.captures(line) {
            for b in bug.captures_iter(&c[1]) {
                let id = format!("#{}", &b[1]);
                if !closes.contains(&id) {
                    closes.push(id);
                }
            }
        }
        if line.starts_with("CVE:") || line.starts_with("CVE-") {
            for m in cve.find_iter(line) {
                if !cves.iter().any(|c| c == m.as_str()) {
                    cves.push(m.as_str().to_string());
                }
            }
        }
    }
    let subject_cves: Vec<&str> = cve.find_iter(subject).map(|m| m.as_str()).collect();
    cves.retain(|c| !subject_cves.contains(&c.as_str()));
    Change {
        subject: subject.trim().to_string(),
        closes,
        cves,
    }
}

pub struct DebianEntry<'a> {
    pub source: &'a str,
    pub version: &'a str,
    pub distribution: &'a str,
    pub urgency: &'a str,
    pub stable: &'a [StableUpdate],
    pub changes: &'a [Change],
    /// A body formatted elsewhere (Ubuntu's grouping), written after the stable part instead of `changes`.
    pub body: Option<&'a str>,
    /// `Name <email>`.
    pub maintainer: &'a str,
    pub date: DateTime<FixedOffset>,
}

/// The entry, ending with the blank line that separates it from the next.
pub fn entry(e: &DebianEntry<'_>) -> String {
    let mut out = format!(
        "{} ({}) {}; urgency={}\n\n",
        e.source, e.version, e.distribution, e.urgency
    );
    let mut items = 0;
    if !e.stable.is_empty() {
        out.push_str("  * New upstream stable update:\n");
        for s in e.stable {
            let major = s.version.split('.').next().unwrap_or("0");
            out.push_str(&format!(
                "    https://www.kernel.org/pub/linux/kernel/v{major}.x/ChangeLog-{}\n",
                s.version
            ));
            for subject in &s.subjects {
                out.push_str(&wrap(subject, "    - ", "      "));
            }
        }
        items += 1;
    }
    if let Some(body) = e.body.filter(|b| !b.is_empty()) {
        out.push_str(body);
        items += 1;
    }
    for c in e.changes.iter().filter(|_| e.body.is_none()) {
        let mut text = c.subject.clone();
        if !c.closes.is_empty() {
            text.push_str(&format!(" (Closes: {})", c.closes.join(", ")));
        }
        if !c.cves.is_empty() {
            text.push_str(&format!(" ({})", c.cves.join(", ")));
        }
        out.push_str(&wrap(&text, "  * ", "    "));
        items += 1;
    }
    if items == 0 {
        // dpkg-parsechangelog wants at least one change line.
        out.push_str("  * No-change rebuild.\n");
    }
    // RFC 2822, as `date -R` writes it; two blanks after the address.
    let date = e.date.format("%a, %d %b %Y %H:%M:%S %z");
    out.push_str(&format!("\n -- {}  {date}\n\n", e.maintainer));
    out
}

/// One commit as Ubuntu's `git-ubuntu-log` reads it.
pub struct UbuntuCommit {
    pub subject: String,
    pub message: String,
}

fn textwrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The body of an Ubuntu entry as kteam-tools' `git-ubuntu-log` groups it: commits (newest first, as git
/// log gives them) grouped under their bugs and CVEs (`BugLink:` lines, `CVE-` lines), groups in the order
/// they are first met, then `Miscellaneous Ubuntu changes` (`UBUNTU:` subjects without a bug) and
/// `Miscellaneous upstream changes`; `UBUNTU: ` is dropped from subjects; wrapped at 76 columns. A bug's
/// title comes from Launchpad in git-ubuntu-log; pq does not go on the network, so a group of Launchpad bugs
/// is titled by its first commit's subject, followed by `(LP: #N)`.
pub fn ubuntu_body(commits: &[UbuntuCommit]) -> String {
    struct Entry {
        subject: String,
        key: Vec<String>,
    }
    let buglink = crate::packaging::static_regex!(r"^BugLink:\s+(\S+)(?:\s+\((.*)\))?\s*$");
    let mut keys: Vec<Vec<String>> = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    for c in commits {
        let mut bugs: Vec<String> = Vec::new();
        let mut ignore = false;
        for line in c.message.lines().skip(1) {
            if let Some(m) = buglink.captures(line) {
                let bug = match m.get(2) {
                    Some(text) => text.as_str().to_string(),
                    None if m[1].contains("launchpad.net") => m[1].rsplit('/').next().unwrap_or("").to_string(),
                    None => continue,
                };
                if !bugs.contains(&bug) {
                    bugs.push(bug);
                }
            } else if line.starts_with("CVE-") {
                let cve = line.trim().to_string();
                if !bugs.contains(&cve) {
                    bugs.push(cve);
                }
            } else if line.starts_with("Ignore:")
                || (line.starts_with("Properties:")
                    && line
                        .split_whitespace()
                        .skip(1)
                        .any(|p| p == "ignore" || p == "no-changelog"))
            {
                ignore = true;
            }
        }
        if ignore {
            continue;
        }
        bugs.sort();
        let key = if bugs.is_empty() {
            vec![if c.subject.starts_with("UBUNTU") {
                "__packaging__"
            } else {
                "__mainline__"
            }
            .to_string()]
        } else {
            if !keys.contains(&bugs) {
                keys.push(bugs.clone());
            }
            bugs
        };
        let subject = match c.subject.strip_prefix("UBUNTU:") {
            Some(rest) => rest.trim().to_string(),
            None => c.subject.clone(),
        };
        entries.push(Entry { subject, key });
    }
    entries.reverse();
    keys.push(vec!["__packaging__".into()]);
    keys.push(vec!["__mainline__".into()]);
    let mut out = String::new();
    for key in &keys {
        let members: Vec<&Entry> = entries.iter().filter(|e| &e.key == key).collect();
        let Some(first) = members.first() else {
            continue;
        };
        let titles: Vec<String> = match key[0].as_str() {
            "__packaging__" => vec!["Miscellaneous Ubuntu changes".into()],
            "__mainline__" => vec!["Miscellaneous upstream changes".into()],
            _ => key
                .iter()
                .map(|b| {
                    if b.bytes().all(|c| c.is_ascii_digit()) {
                        format!("{} (LP: #{b})", first.subject)
                    } else {
                        b.clone()
                    }
                })
                .collect(),
        };
        if !out.is_empty() {
            out.push('\n');
        }
        let title = textwrap(&titles.join(" // "), 76);
        out.push_str(&format!("  * {}\n", title[0]));
        for l in &title[1..] {
            out.push_str(&format!("    {l}\n"));
        }
        for e in members {
            let lines = textwrap(&e.subject, 76);
            out.push_str(&format!("    - {}\n", lines[0]));
            for l in &lines[1..] {
                out.push_str(&format!("      {l}\n"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_ordering() {
        for (a, b) in [
            ("5.10.28-2", "5.10.28-1"),
            ("5.10.29-1", "5.10.28-2"),
            ("6.8-1", "6.8~rc3-1~exp1"),
            ("5.15.0-165.175", "5.15.0-164.174"),
            ("1:1.0-1", "2.0-1"),
            ("1.0-1ubuntu2", "1.0-1ubuntu1"),
            ("1.0a-1", "1.0-1"),
        ] {
            assert_eq!(compare(a, b), Ordering::Greater, "{a} > {b}");
            assert_eq!(compare(b, a), Ordering::Less, "{b} < {a}");
        }
        assert_eq!(compare("5.10.28-1", "5.10.28-1"), Ordering::Equal);
    }

    /// 300 generated pairs, each also asked of `dpkg --compare-versions`.
    #[test]
    fn ordering_agrees_with_dpkg() {
        let found = std::process::Command::new("dpkg").arg("--version").output().is_ok();
        assert!(found, "dpkg is required (apt-get install dpkg)");
        let parts = [
            "5.10", "5.10.28", "5.10.29", "6.8~rc3", "6.8", "1:5.10", "5.15.0", "5.10a",
        ];
        let revs = ["1", "2", "1~exp1", "164.174", "165.175", "1ubuntu2", "0", "10"];
        let mut seed: u64 = 0x9e3779b97f4a7c15;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..300 {
            let a = format!("{}-{}", parts[next(parts.len())], revs[next(revs.len())]);
            let b = format!("{}-{}", parts[next(parts.len())], revs[next(revs.len())]);
            let gt = std::process::Command::new("dpkg")
                .args(["--compare-versions", &a, "gt", &b])
                .status()
                .unwrap()
                .success();
            let eq = std::process::Command::new("dpkg")
                .args(["--compare-versions", &a, "eq", &b])
                .status()
                .unwrap()
                .success();
            let want = if gt {
                Ordering::Greater
            } else if eq {
                Ordering::Equal
            } else {
                Ordering::Less
            };
            assert_eq!(compare(&a, &b), want, "{a} vs {b}");
        }
    }

    #[test]
    fn next_versions() {
        assert_eq!(next_version("5.10.28-2", "5.10.29"), "5.10.29-1");
        assert_eq!(next_version("5.10.28-2", "5.10.28"), "5.10.28-3");
        assert_eq!(next_version("6.1~rc3-1~exp1", "6.1~rc4"), "6.1~rc4-1~exp1");
        assert_eq!(next_version("5.15.0-164.174", "5.15.0"), "5.15.0-165.175");
        assert_eq!(next_version("1.0-1ubuntu3", "1.0"), "1.0-1ubuntu4");
    }

    #[test]
    fn ubuntu_groups_like_git_ubuntu_log() {
        let c = |subject: &str, body: &str| UbuntuCommit {
            subject: subject.into(),
            message: format!("{subject}\n\n{body}"),
        };
        // Newest first, as `git log` gives them.
        let commits = [
            c("f2fs: fix race in concurrent f2fs_stop_gc_thread", "CVE-2024-53218\n"),
            c(
                "UBUNTU: [Packaging] Add pvpanic kernel modules to linux-modules",
                "BugLink: https://bugs.launchpad.net/bugs/2126659\n",
            ),
            c("UBUNTU: SAUCE: fan: vxlan: check memory allocation for map", ""),
            c(
                "kernfs: fix missing kernfs_iattr_rwsem locking",
                "BugLink: https://bugs.launchpad.net/bugs/2125142\n",
            ),
            c(
                "kernfs: switch global kernfs_rwsem lock to per-fs lock",
                "BugLink: https://bugs.launchpad.net/bugs/2125142\n",
            ),
            c("Linux 5.15.193", ""),
        ];
        assert_eq!(
            ubuntu_body(&commits),
            "  * CVE-2024-53218\n    - f2fs: fix race in concurrent f2fs_stop_gc_thread\n\n\
             \x20 * [Packaging] Add pvpanic kernel modules to linux-modules (LP: #2126659)\n    - [Packaging] Add pvpanic kernel modules to linux-modules\n\n\
             \x20 * kernfs: switch global kernfs_rwsem lock to per-fs lock (LP: #2125142)\n    - kernfs: switch global kernfs_rwsem lock to per-fs lock\n    - kernfs: fix missing kernfs_iattr_rwsem locking\n\n\
             \x20 * Miscellaneous Ubuntu changes\n    - SAUCE: fan: vxlan: check memory allocation for map\n\n\
             \x20 * Miscellaneous upstream changes\n    - Linux 5.15.193\n"
        );
    }

    #[test]
    fn wraps_at_80_like_the_real_changelog() {
        let w = wrap(
            "mm/memcg: rename mem_cgroup_split_huge_fixup to split_page_memcg and add nr_pages argument",
            "    - ",
            "      ",
        );
        assert_eq!(
            w,
            "    - mm/memcg: rename mem_cgroup_split_huge_fixup to split_page_memcg and add\n      nr_pages argument\n"
        );
    }
}
