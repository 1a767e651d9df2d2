//! Path arguments as git takes them: relative to the current directory (the `-C` directory), `:/` for the
//! top of the work tree (`:/lib/zstd`, or `:/` alone for the whole tree). pq works with paths from the top.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// Where `cwd` sits inside the work tree `top`, as path components (empty at the top).
fn prefix(top: &Path, cwd: &Path) -> Vec<String> {
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let (top, cwd) = (canon(top), canon(cwd));
    match cwd.strip_prefix(&top) {
        Ok(rest) => rest
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// `arg` as a path from the top of the work tree `top`, for a command run in `cwd`.
pub fn from_top(top: &Path, cwd: &Path, arg: &str) -> Result<String> {
    let outside = || {
        Error::input(format!("path '{arg}' is outside the repository"))
            .hint("name paths inside the work tree, relative to the current directory or from the top as `:/PATH`")
    };
    let (mut parts, rest): (Vec<String>, &str) = if let Some(r) = arg.strip_prefix(":/") {
        (Vec::new(), r)
    } else if Path::new(arg).is_absolute() {
        let top_c = top.canonicalize().unwrap_or_else(|_| top.to_path_buf());
        let p = PathBuf::from(arg);
        let rel = p
            .strip_prefix(&top_c)
            .or_else(|_| p.strip_prefix(top))
            .map_err(|_| outside())?;
        return Ok(rel.to_string_lossy().trim_end_matches('/').to_string());
    } else {
        (prefix(top, cwd), arg)
    };
    for c in rest.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or_else(outside)?;
            }
            other => parts.push(other.to_string()),
        }
    }
    Ok(parts.join("/"))
}

/// Every path argument of a command, from the top; `dir` is where pq runs (`-C`).
pub fn all_from_top(dir: &Path, args: &[String]) -> Result<Vec<String>> {
    if args.is_empty() {
        return Ok(Vec::new());
    }
    let repo = crate::git::Repo::discover(dir)?;
    let Some(top) = repo.workdir() else {
        return Ok(args.to_vec());
    };
    args.iter().map(|a| from_top(top, dir, a)).collect()
}

#[cfg(test)]
mod tests {
    use super::from_top;

    #[test]
    fn like_git_pathspecs() {
        let tmp = tempfile::tempdir().unwrap();
        let top = tmp.path();
        std::fs::create_dir_all(top.join("libmount/src")).unwrap();
        let sub = top.join("libmount");
        assert_eq!(from_top(top, &sub, "src").unwrap(), "libmount/src");
        assert_eq!(from_top(top, &sub, "./src/").unwrap(), "libmount/src");
        assert_eq!(from_top(top, &sub, "../lib").unwrap(), "lib");
        assert_eq!(from_top(top, &sub, ":/lib/zstd").unwrap(), "lib/zstd");
        assert_eq!(from_top(top, &sub, ":/").unwrap(), "");
        assert_eq!(from_top(top, top, "lib/zstd").unwrap(), "lib/zstd");
        assert_eq!(
            from_top(top, &sub, &top.join("libmount/src").to_string_lossy()).unwrap(),
            "libmount/src"
        );
        assert!(from_top(top, &sub, "../../etc").is_err());
        assert!(from_top(top, &sub, "/etc").is_err());
    }
}
