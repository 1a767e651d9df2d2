//! Where exported patches go: series names become directory names that cannot leave the output directory.

/// A series name as a relative directory: each `/`-separated component keeps letters, digits, `.`, `_`
/// and `-` (others become `-`), and components that are empty or all dots are dropped.
pub fn series_dir(series: &str) -> String {
    let parts: Vec<String> = series
        .split('/')
        .map(|c| {
            c.chars()
                .map(|ch| {
                    if ch.is_ascii_alphanumeric() || ch == '.' || ch == '_' || ch == '-' {
                        ch
                    } else {
                        '-'
                    }
                })
                .collect::<String>()
        })
        .filter(|c| !c.is_empty() && !c.chars().all(|ch| ch == '.'))
        .collect();
    if parts.is_empty() {
        "series".to_string()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_inside() {
        assert_eq!(series_dir("backport/lib-zstd"), "backport/lib-zstd");
        assert_eq!(series_dir("../../x"), "x");
        assert_eq!(series_dir("/abs//a b"), "abs/a-b");
        assert_eq!(series_dir(".."), "series");
    }

    proptest::proptest! {
        #[test]
        fn never_escapes(s in "\\PC*") {
            let d = series_dir(&s);
            proptest::prop_assert!(!d.starts_with('/'));
            proptest::prop_assert!(d.split('/').all(|c| !c.is_empty() && c != "." && c != ".."));
        }
    }
}
