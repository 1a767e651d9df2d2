//! Mail-style patch headers: RFC 2822 dates, `NNNN-subject.patch` names as `git format-patch` makes them,
//! and the header lines each distribution derives from a commit's trailers and recorded origin.

use std::sync::OnceLock;

use regex::Regex;

use crate::git::Person;

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Tue, 15 Aug 2023 15:39:01 +0200`, in the author's own offset, as git writes `Date:`.
pub fn rfc2822(time: i64, offset: i32) -> String {
    let local = time + i64::from(offset);
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.unsigned_abs();
    format!(
        "{}, {} {} {} {:02}:{:02}:{:02} {}{:02}{:02}",
        DAYS[days.rem_euclid(7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        sign,
        off / 3600,
        off % 3600 / 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parse an RFC 2822 date (as `Date:` headers carry it) into seconds and offset.
pub fn parse_date(s: &str) -> Option<(i64, i32)> {
    let d = chrono::DateTime::parse_from_rfc2822(s.trim()).ok()?;
    Some((d.timestamp(), d.offset().local_minus_utc()))
}

/// `Name <email>`.
pub fn person(p: &Person) -> String {
    format!("{} <{}>", p.name, p.email)
}

/// Parse `Name <email>` (or a bare address) from a `From:` header.
pub fn parse_person(s: &str) -> Option<(String, String)> {
    let s = s.trim();
    if let (Some(lt), Some(gt)) = (s.rfind('<'), s.rfind('>')) {
        if lt < gt {
            let name = s[..lt].trim().trim_matches('"').to_string();
            let email = s[lt + 1..gt].trim().to_string();
            return Some((name, email));
        }
    }
    if s.contains('@') && !s.contains(' ') {
        return Some((String::new(), s.to_string()));
    }
    None
}

/// `git format-patch`'s file name: `NNNN-` + the subject with every run of characters other than letters,
/// digits, `.` and `_` turned into one `-`, trimmed, the whole name at most 64 bytes with `.patch`.
pub fn patch_name(n: usize, subject: &str) -> String {
    let mut slug = String::new();
    let mut dash = false;
    for c in subject.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            slug.push(c);
        } else {
            dash = true;
        }
    }
    // No `..` (a path component of dots must never come out of a subject).
    while slug.contains("..") {
        slug = slug.replace("..", ".");
    }
    let prefix = format!("{n:04}-");
    // git keeps the name (with `.patch`) under 64 bytes.
    let max = 63usize.saturating_sub(prefix.len() + ".patch".len());
    let mut slug: String = slug.chars().take(max).collect();
    while slug.ends_with(['.', '-']) {
        slug.pop();
    }
    let slug = slug.trim_start_matches(['.', '-']);
    if slug.is_empty() {
        format!("{prefix}patch.patch")
    } else {
        format!("{prefix}{slug}.patch")
    }
}

/// The trailers of a message: `Key: value` lines of its last paragraph.
pub fn trailers(message: &str) -> Vec<(String, String)> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$").expect("valid"));
    let mut out = Vec::new();
    for para in message.trim_end().split("\n\n").skip(1) {
        for line in para.lines() {
            if let Some(c) = re.captures(line) {
                out.push((c[1].to_string(), c[2].trim().to_string()));
            }
        }
    }
    out
}

/// DEP-3 fields a trailer maps to, in the order they are written.
pub fn dep3_fields(message: &str, origin: Option<&str>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(o) = origin {
        out.push(("Origin".to_string(), format!("upstream, commit:{o}")));
    }
    for (k, v) in trailers(message) {
        let field = match k.to_ascii_lowercase().as_str() {
            "bug" | "buglink" => "Bug",
            "bug-debian" | "closes" => "Bug-Debian",
            "bug-ubuntu" => "Bug-Ubuntu",
            "forwarded" => "Forwarded",
            "applied-upstream" => "Applied-Upstream",
            _ => continue,
        };
        let pair = (field.to_string(), v);
        if !out.contains(&pair) {
            out.push(pair);
        }
    }
    out
}

/// SUSE `References:` ids from the trailers: CVE ids, bugzilla numbers (`bsc#N`, `bz#N`, `LP#N`) and JIRA
/// keys, each once, in the order met.
pub fn suse_references(message: &str) -> Vec<String> {
    static CVE: OnceLock<Regex> = OnceLock::new();
    static JIRA: OnceLock<Regex> = OnceLock::new();
    static NUM: OnceLock<Regex> = OnceLock::new();
    let cve = CVE.get_or_init(|| Regex::new(r"CVE-\d{4}-\d{4,}").expect("valid"));
    let jira = JIRA.get_or_init(|| Regex::new(r"\b([A-Z][A-Z0-9]+-\d+)\b").expect("valid"));
    let num = NUM.get_or_init(|| Regex::new(r"(\d{3,})\s*$").expect("valid"));
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    for (k, v) in trailers(message) {
        match k.to_ascii_lowercase().as_str() {
            "references" => v
                .split_whitespace()
                .for_each(|r| add(r.trim_end_matches(',').to_string())),
            "cve" => cve.find_iter(&v).for_each(|m| add(m.as_str().to_string())),
            "jira" => {
                if let Some(c) = jira.captures(&v) {
                    add(format!("jsc#{}", &c[1]));
                }
            }
            "bugzilla" | "bug" => {
                if let Some(c) = num.captures(&v) {
                    let prefix = if v.contains("suse") { "bsc" } else { "bz" };
                    add(format!("{prefix}#{}", &c[1]));
                }
            }
            "buglink" => {
                if let Some(c) = num.captures(&v) {
                    add(format!("LP#{}", &c[1]));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_match_git() {
        // git log --format=%aD for these moments.
        assert_eq!(rfc2822(1_692_106_741, 7200), "Tue, 15 Aug 2023 15:39:01 +0200");
        assert_eq!(rfc2822(1_601_767_627, 0), "Sat, 3 Oct 2020 23:27:07 +0000");
        assert_eq!(rfc2822(0, -18_000), "Wed, 31 Dec 1969 19:00:00 -0500");
        assert_eq!(
            parse_date("Tue, 15 Aug 2023 15:39:01 +0200"),
            Some((1_692_106_741, 7200))
        );
    }

    #[test]
    fn names_follow_format_patch() {
        assert_eq!(
            patch_name(1, "xfs: fix a [bug] in foo()"),
            "0001-xfs-fix-a-bug-in-foo.patch"
        );
        assert_eq!(patch_name(12, "../../etc/passwd"), "0012-etc-passwd.patch");
        assert_eq!(patch_name(3, "!!!"), "0003-patch.patch");
        let long = patch_name(1, &"word ".repeat(40));
        // What git 2.47's format-patch names the same subject.
        assert_eq!(long, "0001-word-word-word-word-word-word-word-word-word-word-wo.patch");
    }

    #[test]
    fn people() {
        assert_eq!(
            parse_person("Jane Doe <jane@example.org>"),
            Some(("Jane Doe".into(), "jane@example.org".into()))
        );
        assert_eq!(parse_person("nobody"), None);
    }

    #[test]
    fn derived_headers() {
        let msg = "s\n\nbody\n\nBugLink: https://bugs.launchpad.net/bugs/2131077\nCVE: CVE-2023-4563\nJIRA: https://issues.redhat.com/browse/RHEL-16691\nBugzilla: https://bugzilla.redhat.com/show_bug.cgi?id=2428677\nForwarded: not-needed\n";
        assert_eq!(
            dep3_fields(msg, Some("abc")),
            vec![
                ("Origin".into(), "upstream, commit:abc".into()),
                ("Bug".into(), "https://bugs.launchpad.net/bugs/2131077".into()),
                ("Forwarded".into(), "not-needed".into()),
            ]
        );
        assert_eq!(
            suse_references(msg),
            vec!["LP#2131077", "CVE-2023-4563", "jsc#RHEL-16691", "bz#2428677"]
        );
    }

    proptest::proptest! {
        #[test]
        fn names_are_safe(n in 0usize..10000, s in "\\PC*") {
            let name = patch_name(n, &s);
            proptest::prop_assert!(!name.contains('/') && !name.contains(".."));
            proptest::prop_assert!(name.len() <= 64);
        }
        #[test]
        fn dates_roundtrip(t in -2_000_000_000i64..4_000_000_000, o in -50_400i32..50_400) {
            let o = o / 60 * 60;
            proptest::prop_assert_eq!(parse_date(&rfc2822(t, o)), Some((t, o)));
        }
    }
}
