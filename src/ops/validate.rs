//! Checks on what the user names before anything is planned: series names (they end up in ref-like
//! places and file names, so they follow git's rules for ref names) and rebase targets that would
//! silently drop or rewind the stack.

use crate::error::{Error, Result};
use crate::git::{Oid, Repo};

/// Why `name` is not acceptable as a series name, following `git check-ref-format` (a series name may have
/// several `/`-separated components, like a branch name).
fn series_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("it is empty");
    }
    if name.starts_with('-') {
        return Some("it cannot begin with '-' (it would read as an option)");
    }
    if name == "@" {
        return Some("'@' alone is not a valid name");
    }
    if name.starts_with('/') || name.ends_with('/') {
        return Some("it cannot begin or end with '/'");
    }
    if name.ends_with('.') {
        return Some("it cannot end with '.'");
    }
    if name.contains("//") {
        return Some("it cannot contain '//'");
    }
    if name.contains("..") {
        return Some("it cannot contain '..'");
    }
    if name.contains("@{") {
        return Some("it cannot contain '@{'");
    }
    if name.chars().any(|c| c.is_ascii_control() || c == '\u{7f}') {
        return Some("it cannot contain control characters");
    }
    if name.chars().any(|c| c == ' ') {
        return Some("it cannot contain spaces");
    }
    if name
        .chars()
        .any(|c| matches!(c, '~' | '^' | ':' | '?' | '*' | '[' | '\\'))
    {
        return Some("it cannot contain any of ~ ^ : ? * [ \\");
    }
    for component in name.split('/') {
        if component.starts_with('.') {
            return Some("no '/'-separated part can begin with '.'");
        }
        if component.ends_with(".lock") {
            return Some("no '/'-separated part can end with '.lock'");
        }
    }
    None
}

/// Refuse a series name git would not accept as a ref name.
pub fn series_name(name: &str) -> Result<()> {
    match series_name_problem(name) {
        None => Ok(()),
        Some(why) => Err(Error::input(format!("invalid series name {name:?}: {why}"))
            .hint("series names follow git's branch-name rules, e.g. `--series backport/lib-zstd`")),
    }
}

/// Refuse a rebase that would go backwards or onto the branch's own commits, unless `force`.
pub fn rebase_target(
    repo: &Repo,
    onto: &str,
    new_base: Oid,
    old_base: Oid,
    old_base_name: &str,
    head: Oid,
    force: bool,
) -> Result<()> {
    if force {
        return Ok(());
    }
    if new_base != old_base && repo.is_ancestor(old_base, new_base)? && repo.is_ancestor(new_base, head)? {
        return Err(Error::input(format!(
            "{onto} is one of the branch's own commits: rebasing onto it would drop the patches below it"
        ))
        .hint(format!(
            "name an upstream release to move to, e.g. a tag newer than {old_base_name} (or `pq rebase {onto} --force` to insist)"
        )));
    }
    if new_base != old_base && repo.is_ancestor(new_base, old_base)? {
        return Err(Error::input(format!(
            "{onto} is older than the base {old_base_name}: the rebase would move the branch backwards"
        ))
        .hint(format!(
            "name a release newer than {old_base_name} (or `pq rebase {onto} --force` to insist)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::series_name_problem;

    #[test]
    fn series_names_follow_git_ref_rules() {
        for ok in [
            "local",
            "backport/lib-zstd",
            "fedora",
            "a.b",
            "x_y",
            "backport/lib-zstd+fs",
        ] {
            assert_eq!(series_name_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "a b",
            "../x",
            "x/..",
            ".hidden",
            "a/.b",
            "x.lock",
            "a/b.lock/c",
            "a//b",
            "/a",
            "a/",
            "a.",
            "a~1",
            "a^",
            "a:b",
            "a?",
            "a*",
            "a[",
            "a\\b",
            "a@{1}",
            "@",
            "tab\there",
            "-x",
            "end.lock",
        ] {
            assert!(series_name_problem(bad).is_some(), "{bad:?} accepted");
        }
    }

    #[test]
    fn agrees_with_git_check_ref_format() {
        // The oracle: `git check-ref-format --allow-onelevel refs/heads/NAME` (names as branch names).
        for name in [
            "local", "a b", "../x", ".x", "x.lock", "a//b", "a@{b", "a~", "ok/fine", "a..b", "a.",
        ] {
            let git = std::process::Command::new("git")
                .args(["check-ref-format", &format!("refs/heads/{name}")])
                .status()
                .expect("git runs")
                .success();
            assert_eq!(series_name_problem(name).is_none(), git, "{name:?}");
        }
    }
}
