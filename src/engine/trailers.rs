//! `Fixes:` trailers: `Fixes: <hex> ("subject")` names the commit a fix repairs (kernel
//! submitting-patches). Real history writes them loosely: short ids, a leading `commit`, missing or curly
//! quotes, a missing closing parenthesis; the parser accepts what `verify_fixes.sh` accepts and reduces the
//! subject the same way, so an id that does not resolve can still be matched by its subject.

use std::sync::OnceLock;

use regex::Regex;

/// One `Fixes:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixesTrailer {
    /// The id as written, lower-cased: 8 to 40 hex digits.
    pub hex: String,
    /// The quoted subject, without parentheses and quotes; None when the line has none.
    pub subject: Option<String>,
}

fn pattern() -> &'static Regex {
    static P: OnceLock<Regex> = OnceLock::new();
    P.get_or_init(|| {
        Regex::new(r"(?mi)^[ \t]*fixes:[ \t]*(?:commit[ \t]+)?([0-9a-f]{8,40})\b[ \t]*(.*?)[ \t\r]*$")
            .expect("valid regex")
    })
}

/// Every `Fixes:` trailer in a commit message, in order, without repeats.
pub fn fixes(message: &str) -> Vec<FixesTrailer> {
    let mut out: Vec<FixesTrailer> = Vec::new();
    for cap in pattern().captures_iter(message) {
        let t = FixesTrailer {
            hex: cap[1].to_ascii_lowercase(),
            subject: reduce_subject(&cap[2]),
        };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// `("subject")` → `subject`, as verify_fixes.sh reduces it: the part inside the parentheses (a missing
/// closing one tolerated), then matching straight or curly quotes removed (a missing closing one tolerated).
pub fn reduce_subject(rest: &str) -> Option<String> {
    let mut s = rest.trim();
    if let Some(inner) = s.strip_prefix('(') {
        s = match inner.rfind(')') {
            Some(end) => &inner[..end],
            None => inner,
        };
    }
    let s = s.trim();
    let pairs = [
        ('"', '"'),
        ('\u{201C}', '\u{201D}'),
        ('\'', '\''),
        ('\u{2018}', '\u{2019}'),
    ];
    let mut out = s;
    for (open, close) in pairs {
        if let Some(inner) = s.strip_prefix(open) {
            out = inner.strip_suffix(close).unwrap_or(inner);
            break;
        }
    }
    let out = out.trim();
    (!out.is_empty()).then(|| out.to_string())
}

/// Does a commit's subject match the subject quoted in a trailer? Exact after trimming, or a prefix when
/// the quote was cut short with `...` (verify_fixes.sh's ellipsis rule).
pub fn subject_matches(quoted: &str, subject: &str) -> bool {
    let subject = subject.trim();
    if let Some(head) = quoted.strip_suffix("...") {
        let head = head.trim_end();
        return !head.is_empty() && subject.starts_with(head);
    }
    quoted == subject
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(msg: &str) -> FixesTrailer {
        let v = fixes(msg);
        assert_eq!(v.len(), 1, "{msg:?} → {v:?}");
        v.into_iter().next().unwrap()
    }

    #[test]
    fn kernel_form() {
        let t = one("xfs: fix\n\nbody\n\nFixes: 1234567890ab (\"xfs: broken thing\")\nSigned-off-by: A <a@b>\n");
        assert_eq!(t.hex, "1234567890ab");
        assert_eq!(t.subject.as_deref(), Some("xfs: broken thing"));
    }

    #[test]
    fn loose_forms() {
        assert_eq!(one("Fixes: commit DEADBEEF00 (\"x\")").hex, "deadbeef00");
        assert_eq!(one("fixes: deadbeef00").subject, None);
        assert_eq!(
            one("Fixes: deadbeef00 (\"cut short").subject.as_deref(),
            Some("cut short")
        );
        assert_eq!(
            one("Fixes: deadbeef00 (\u{201C}curly\u{201D})").subject.as_deref(),
            Some("curly")
        );
        assert_eq!(
            one("  Fixes: deadbeef00 (\"a (b) c\")").subject.as_deref(),
            Some("a (b) c")
        );
        assert_eq!(one("Fixes: deadbeef00 no parens").subject.as_deref(), Some("no parens"));
    }

    #[test]
    fn refuses_short_long_and_misplaced() {
        assert!(fixes("Fixes: 1234567 (\"seven\")").is_empty());
        assert!(fixes(&format!("Fixes: {} (\"41\")", "a".repeat(41))).is_empty());
        assert!(fixes("This Fixes: 1234567890ab").is_empty());
        assert!(fixes("Fixes: bug #123").is_empty());
    }

    #[test]
    fn several_and_repeats() {
        let v = fixes("Fixes: aaaaaaaa11 (\"a\")\nFixes: bbbbbbbb22 (\"b\")\nFixes: aaaaaaaa11 (\"a\")\n");
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn subjects() {
        assert!(subject_matches("xfs: a", "xfs: a"));
        assert!(subject_matches("xfs: a long sub...", "xfs: a long subject"));
        assert!(!subject_matches("xfs: a", "xfs: ab"));
        assert!(!subject_matches("...", "anything"));
    }
}
