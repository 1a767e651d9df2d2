//! RPM version comparison, ported from rpm's rpmio/rpmvercmp.c so that pq
//! agrees with `rpm -U` and dnf about which build is newer.

use std::cmp::Ordering;

/// rpm's own character classes are ASCII-only (risalpha/risdigit), so any
/// other byte, including UTF-8, is a separator.
fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

/// Compares two version (or release) strings exactly as rpm's `rpmvercmp`:
/// - the strings are split into runs of ASCII digits and runs of ASCII letters;
///   every other byte separates runs and only its presence matters;
/// - numeric runs compare as numbers (leading zeros dropped, any length);
///   letter runs compare bytewise; a numeric run beats a letter run;
/// - `~` sorts before anything, even the end of the string (`6.8~rc2 < 6.8`);
/// - `^` sorts after the end of the string but before any further run
///   (`1.0 < 1.0^git1 < 1.0.1`);
/// - if all runs match, the string with something left over is newer.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let a = a.as_bytes();
    let b = b.as_bytes();
    // Index past the end reads as NUL, like the C string walk.
    let at = |s: &[u8], i: usize| -> u8 { s.get(i).copied().unwrap_or(0) };
    let (mut one, mut two) = (0usize, 0usize);

    while at(a, one) != 0 || at(b, two) != 0 {
        while at(a, one) != 0 && !is_alnum(at(a, one)) && at(a, one) != b'~' && at(a, one) != b'^' {
            one += 1;
        }
        while at(b, two) != 0 && !is_alnum(at(b, two)) && at(b, two) != b'~' && at(b, two) != b'^' {
            two += 1;
        }
        let (c1, c2) = (at(a, one), at(b, two));

        // Tilde: whoever has it is older, even against the end of the string.
        if c1 == b'~' || c2 == b'~' {
            if c1 != b'~' {
                return Ordering::Greater;
            }
            if c2 != b'~' {
                return Ordering::Less;
            }
            one += 1;
            two += 1;
            continue;
        }

        // Caret: like tilde, except that against the end of the string the
        // caret side is newer (a post-release snapshot of that base).
        if c1 == b'^' || c2 == b'^' {
            if c1 == 0 {
                return Ordering::Less;
            }
            if c2 == 0 {
                return Ordering::Greater;
            }
            if c1 != b'^' {
                return Ordering::Greater;
            }
            if c2 != b'^' {
                return Ordering::Less;
            }
            one += 1;
            two += 1;
            continue;
        }

        if c1 == 0 || c2 == 0 {
            break;
        }

        // Take a run of the kind that starts `a`'s segment from both sides.
        let isnum = c1.is_ascii_digit();
        let same_kind = |c: u8| {
            if isnum {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let mut end1 = one;
        while end1 < a.len() && same_kind(a[end1]) {
            end1 += 1;
        }
        let mut end2 = two;
        while end2 < b.len() && same_kind(b[end2]) {
            end2 += 1;
        }

        // `b` has a run of the other kind here: numbers beat letters.
        if end2 == two {
            return if isnum { Ordering::Greater } else { Ordering::Less };
        }

        let (mut s1, mut s2) = (&a[one..end1], &b[two..end2]);
        if isnum {
            while s1.first() == Some(&b'0') {
                s1 = &s1[1..];
            }
            while s2.first() == Some(&b'0') {
                s2 = &s2[1..];
            }
            // More significant digits means a bigger number.
            match s1.len().cmp(&s2.len()) {
                Ordering::Equal => {}
                other => return other,
            }
        }
        match s1.cmp(s2) {
            Ordering::Equal => {}
            other => return other,
        }
        one = end1;
        two = end2;
    }

    // All runs matched; only separators differed, or one side has more.
    match (at(a, one), at(b, two)) {
        (0, 0) => Ordering::Equal,
        (0, _) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// An epoch-version-release triple as rpm compares installed packages.
/// A missing epoch counts as 0, as in rpm.
pub type Evr<'a> = (Option<u32>, &'a str, &'a str);

/// Compares two packages' (epoch, version, release): epochs numerically, then
/// versions, then releases with [`rpmvercmp`].
pub fn compare_evr(a: Evr<'_>, b: Evr<'_>) -> Ordering {
    a.0.unwrap_or(0)
        .cmp(&b.0.unwrap_or(0))
        .then_with(|| rpmvercmp(a.1, b.1))
        .then_with(|| rpmvercmp(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packaging::testutil::rpm_vercmp_batch;
    use proptest::prelude::*;
    use Ordering::{Equal, Greater, Less};

    /// Hand-checked cases, including the ones that matter for kernels.
    const CASES: &[(&str, &str, Ordering)] = &[
        ("1.0", "1.0", Equal),
        ("1.0", "2.0", Less),
        ("2.0.1", "2.0", Greater),
        ("2.0.1a", "2.0.1", Greater),
        ("5.5p1", "5.5p2", Less),
        ("5.5p10", "5.5p1", Greater),
        ("10xyz", "10.1xyz", Less),
        ("xyz10", "xyz10.1", Less),
        ("1.0a", "1.0.a", Equal),
        ("1.0", "1_0", Equal),
        ("1..0", "1.0", Equal),
        ("1.0", "1.0.", Equal),
        ("2_0", "2.0.1", Less),
        ("a", "1", Less),
        ("1", "a", Greater),
        ("a+", "a_", Equal),
        ("+", "_", Equal),
        ("", "", Equal),
        ("", "0", Less),
        ("1.002", "1.2", Equal),
        ("1.010", "1.9", Greater),
        ("12345678901234567890", "12345678901234567889", Greater),
        ("6.8~rc2", "6.8", Less),
        ("6.8~rc2", "6.8~rc3", Less),
        ("6.8~rc10", "6.8~rc9", Greater),
        ("1.0~rc1", "1.0~rc1~git1", Greater),
        ("1.0~", "1.0", Less),
        ("1.0~", "1.0~~", Greater),
        ("1.0^git1", "1.0", Greater),
        ("1.0^git1", "1.0.1", Less),
        ("1.0^git1", "1.0^git2", Less),
        ("1.0^git1", "1.0~rc1", Greater),
        ("1.0^", "1.0", Greater),
        ("1.0^", "1.0^git1", Less),
        ("1.0^git1~pre", "1.0^git1", Less),
        ("300.fc39", "200.fc39", Greater),
        ("300.fc39", "301.fc39", Less),
        ("1.fc40", "300.fc39", Less),
        ("0.rc2.git1.3.fc23", "0.rc2.git2.1.fc23", Less),
        ("0.rc2.git1.3.fc23", "0.rc3.git0.1.fc23", Less),
        ("0.rc7.58.fc41", "59.fc41", Less),
        ("0.rc7.git0.1.fc23", "1.fc23", Less),
        ("0.hs1", "0", Greater),
        ("0.hs1.el9", "1.el9", Less),
        ("403.el9", "403.el9_3", Less),
        ("6.7.1", "6.7.10", Less),
        ("6.7.9", "6.8.0", Less),
        ("5.14.0", "6.1.71", Less),
        ("1.0α", "1.0", Equal),
    ];

    #[test]
    fn hand_written_cases() {
        for &(a, b, want) in CASES {
            assert_eq!(rpmvercmp(a, b), want, "rpmvercmp({a:?}, {b:?})");
            assert_eq!(rpmvercmp(b, a), want.reverse(), "rpmvercmp({b:?}, {a:?})");
        }
    }

    #[test]
    fn evr_compares_epoch_first_then_version_then_release() {
        assert_eq!(compare_evr((Some(1), "1.0", "1"), (None, "9.0", "9")), Greater);
        assert_eq!(compare_evr((None, "1.0", "1"), (Some(0), "1.0", "1")), Equal);
        assert_eq!(
            compare_evr((None, "6.7.1", "300.fc39"), (None, "6.7.1", "301.fc39")),
            Less
        );
        assert_eq!(
            compare_evr((None, "6.8.0", "0.rc1.1"), (None, "6.7.12", "300")),
            Greater
        );
    }

    /// Version-ish strings over an alphabet that hits every branch of the
    /// algorithm: digits (with leading zeros), letters, both special
    /// separators and plain separators.
    fn version_string() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                4 => "[0-9]{1,3}",
                2 => "[a-c]{1,2}",
                1 => Just("0".to_string()),
                2 => Just(".".to_string()),
                1 => Just("~".to_string()),
                1 => Just("^".to_string()),
                1 => Just("_".to_string()),
                1 => Just("+".to_string()),
            ],
            1..7,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn antisymmetric_and_reflexive(a in version_string(), b in version_string()) {
            prop_assert_eq!(rpmvercmp(&a, &b), rpmvercmp(&b, &a).reverse());
            prop_assert_eq!(rpmvercmp(&a, &a), Equal);
        }

        #[test]
        fn tilde_suffix_sorts_before_base(a in "[0-9]{1,2}(\\.[0-9]{1,2}){0,2}", s in "[a-z]{1,3}[0-9]?") {
            let pre = format!("{a}~{s}");
            let post = format!("{a}^{s}");
            prop_assert_eq!(rpmvercmp(&pre, &a), Less);
            prop_assert_eq!(rpmvercmp(&post, &a), Greater);
            prop_assert_eq!(rpmvercmp(&post, &format!("{a}.0")), Less);
        }
    }

    /// Every hand-written case, a few hundred generated pairs and pairs built
    /// from near-identical strings, checked against the real rpm when it is
    /// installed.
    #[test]
    fn agrees_with_real_rpm() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::{Config, TestRunner};

        // rpm.vercmp parses `[epoch:]version[-release]` and rejects empty
        // strings, so the pairs stay within rpmvercmp's own alphabet.
        let mut pairs: Vec<(String, String)> = CASES
            .iter()
            .filter(|(a, b, _)| !a.is_empty() && !b.is_empty())
            .map(|&(a, b, _)| (a.to_string(), b.to_string()))
            .collect();
        let mut runner = TestRunner::new(Config {
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x7071),
            ..Config::default()
        });
        let strategy = (version_string(), version_string());
        for i in 0..400 {
            let (a, b) = strategy.new_tree(&mut runner).unwrap().current();
            // Half the pairs share a prefix so that the later branches
            // (separators, ~, ^, leftovers) are reached, not just the first run.
            let b = if i % 2 == 0 { format!("{a}{b}") } else { b };
            pairs.push((a, b));
        }
        let real = rpm_vercmp_batch(&pairs);
        let mut disagreements = Vec::new();
        for ((a, b), want) in pairs.iter().zip(real) {
            let ours = rpmvercmp(a, b) as i32;
            if ours != want {
                disagreements.push(format!("{a:?} vs {b:?}: rpm {want}, ours {ours}"));
            }
        }
        assert!(disagreements.is_empty(), "disagreements:\n{}", disagreements.join("\n"));
    }

    #[test]
    fn evr_agrees_with_real_rpm() {
        let triples: &[(Evr, Evr)] = &[
            ((None, "6.7.1", "300.fc39"), (None, "6.7.1", "301.fc39")),
            ((Some(1), "1.0", "1"), (None, "9.0", "9")),
            ((None, "6.8.0", "0.rc7.58.fc41"), (None, "6.8.0", "59.fc41")),
            ((None, "6.7.1", "0.hs1"), (None, "6.7.1", "1")),
            ((Some(2), "5.14.0", "403.el9"), (Some(2), "5.14.0", "403.el9_3")),
        ];
        let render = |e: &Evr| match e.0 {
            Some(epoch) => format!("{epoch}:{}-{}", e.1, e.2),
            None => format!("{}-{}", e.1, e.2),
        };
        let pairs: Vec<(String, String)> = triples.iter().map(|(a, b)| (render(a), render(b))).collect();
        let real = rpm_vercmp_batch(&pairs);
        for ((a, b), want) in triples.iter().zip(real) {
            assert_eq!(compare_evr(*a, *b) as i32, want, "{a:?} vs {b:?}");
        }
    }
}
