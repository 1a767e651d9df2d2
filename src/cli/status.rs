use std::path::Path;

use crate::cli::{Output, EXIT_OK};

/// Show the base, the series, any operation in progress and whether the work tree is clean
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  pq status\n  pq status --format json")]
pub struct Args {}

pub fn run(dir: &Path, _a: &Args, out: &Output) -> crate::Result<i32> {
    let st = crate::ops::status::status(dir)?;
    if out.json() {
        out.print_json(&super::json::Status::from(&st));
        return Ok(EXIT_OK);
    }
    let branch = st.branch.as_deref().unwrap_or_default();
    if st.detached {
        let why = match (&st.stopped, &st.branch, &st.switch_to) {
            (Some(s), _, _) => format!("pq {} on branch {branch} is stopped", s.operation),
            (None, Some(b), _) => format!("pq works on branch {b}"),
            (None, None, Some(b)) => format!("not on a branch; pq works on one: `git switch {b}`"),
            (None, None, None) => "not on a branch; pq works on one: `git switch BRANCH`".to_string(),
        };
        println!("HEAD detached at {} ({why})", crate::git::short(&st.head));
    } else {
        println!("On branch {branch}");
    }
    if st.branch.is_none() {
        // Nothing of pq's to show without a branch: the work tree below, as `git status` shows it.
    } else if !st.initialised {
        println!("not managed by pq: adopt it with `pq init --base REV`");
    } else {
        let base = st.base.clone().unwrap_or_default();
        match st.newer_tags.last() {
            Some(newest) => println!(
                "Base: {base} ({} newer in its line, newest {newest}: `pq rebase {newest} --dry-run` to preview)",
                st.newer_tags.len()
            ),
            None => println!("Base: {base}"),
        }
        println!("Series:");
        for s in &st.series {
            println!("  {:<28} {} patch(es)", s.name, s.patches);
        }
        if let Some(r) = &st.last_release {
            println!("Last release: {r} ({} in all)", st.releases);
        }
    }
    if let Some(d) = &st.disagreement {
        println!("warning: {d}\n  re-adopt the branch with `pq adopt`");
    }
    if let Some(s) = &st.stopped {
        println!(
            "{} in progress (`{}`): stopped at {} {} (series {}), {} more to go",
            s.operation,
            s.command,
            crate::git::short(&s.commit),
            s.subject,
            s.series,
            s.remaining
        );
        if st.pick_abandoned {
            println!("  the pick was given up with `git cherry-pick --abort`: nothing of it is left to resolve");
            println!(
                "  drop it and carry on with `pq skip`, or undo the whole {} with `pq abort`",
                s.operation
            );
        } else {
            for p in &st.unmerged_paths {
                println!("  unmerged: {p}");
            }
            for p in s.conflicts.iter().filter(|p| !st.unmerged_paths.contains(p)) {
                println!("  resolved: {p}");
            }
            println!("  resolve and `git add`, then `pq continue`; or `pq skip`, `pq abort`");
        }
    }
    if st.interrupted {
        println!("an operation was interrupted before updating the work tree: run `pq continue` or `pq abort`");
    }
    if st.clean {
        println!("Work tree clean");
    } else if st.stopped.is_none() {
        println!("Uncommitted changes in {} path(s)", st.dirty_paths.len());
    } else {
        println!(
            "Work tree not clean: {} changed path(s) against HEAD",
            st.dirty_paths.len()
        );
    }
    if let Some(why) = &st.commit_graph.ignored {
        match &st.commit_graph.suggest {
            Some(cmd) => println!(
                "hint: the commit-graph is not used ({why}): `{cmd}` makes backport and rebase read far less history"
            ),
            None => println!("note: the commit-graph is not used ({why}), as git does not use it either"),
        }
    } else if let Some(cmd) = &st.commit_graph.suggest {
        let what = if st.commit_graph.present {
            "the commit-graph has no changed-path Bloom filters"
        } else {
            "no commit-graph"
        };
        println!("hint: {what}: `{cmd}` makes backport and rebase read far less history");
    }
    Ok(EXIT_OK)
}
