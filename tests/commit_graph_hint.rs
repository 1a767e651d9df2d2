//! `pq status` suggests writing a commit-graph with changed-path Bloom filters when the repository lacks one
//! (a fresh clone), and stays quiet once `git commit-graph write --reachable --changed-paths` has run.

mod common;

use common::*;

const COMMAND: &str = "git commit-graph write --reachable --changed-paths";

fn repo() -> TestRepo {
    let r = TestRepo::new();
    r.write("src/a.c", "int a;\n");
    r.commit("base");
    r.git(&["tag", "base"]);
    r.write("src/a.c", "int a = 1;\n");
    r.commit("a local change");
    r.pq_ok(&["init", "--base", "base"]);
    r
}

fn hint_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with("hint:")).collect()
}

#[test]
fn no_commit_graph_is_reported_with_the_command() {
    let r = repo();
    assert!(!r.git_dir().join("objects/info/commit-graph").exists());
    let text = r.pq_ok(&["status"]);
    assert_eq!(
        hint_lines(&text),
        vec![format!(
            "hint: no commit-graph: `{COMMAND}` makes backport and rebase read far less history"
        )],
        "{text}"
    );
    let json = r.pq_json(&["status"], 0);
    assert_eq!(json["commit_graph"]["present"], false, "{json}");
    assert_eq!(json["commit_graph"]["changed_paths"], false, "{json}");
    assert_eq!(json["commit_graph"]["suggest"], COMMAND, "{json}");
}

#[test]
fn a_commit_graph_without_bloom_filters_is_reported() {
    let r = repo();
    r.git(&["commit-graph", "write", "--reachable", "--no-changed-paths"]);
    let text = r.pq_ok(&["status"]);
    assert_eq!(
        hint_lines(&text),
        vec![format!(
            "hint: the commit-graph has no changed-path Bloom filters: `{COMMAND}` makes backport and rebase \
read far less history"
        )],
        "{text}"
    );
    let json = r.pq_json(&["status"], 0);
    assert_eq!(json["commit_graph"]["present"], true, "{json}");
    assert_eq!(json["commit_graph"]["changed_paths"], false, "{json}");
    assert_eq!(json["commit_graph"]["suggest"], COMMAND, "{json}");
}

#[test]
fn the_suggested_command_silences_the_hint() {
    let r = repo();
    // Exactly what the hint says to run (split chains, as `git maintenance` writes, count too).
    let args: Vec<&str> = COMMAND.split(' ').skip(1).collect();
    r.git(&args);
    let text = r.pq_ok(&["status"]);
    assert!(hint_lines(&text).is_empty(), "{text}");
    let json = r.pq_json(&["status"], 0);
    assert_eq!(json["commit_graph"]["present"], true, "{json}");
    assert_eq!(json["commit_graph"]["changed_paths"], true, "{json}");
    assert!(json["commit_graph"]["suggest"].is_null(), "{json}");

    std::fs::remove_file(r.git_dir().join("objects/info/commit-graph")).unwrap();
    r.git(&["commit-graph", "write", "--reachable", "--split", "--changed-paths"]);
    let s = &r;
    assert!(s
        .git_dir()
        .join("objects/info/commit-graphs/commit-graph-chain")
        .exists());
    let json = s.pq_json(&["status"], 0);
    assert_eq!(json["commit_graph"]["changed_paths"], true, "{json}");
    assert!(json["commit_graph"]["suggest"].is_null(), "{json}");
}

#[test]
fn a_commit_graph_git_would_not_use_is_reported_as_ignored() {
    let r = repo();
    let args: Vec<&str> = COMMAND.split(' ').skip(1).collect();
    r.git(&args);
    r.git(&["config", "core.commitGraph", "false"]);
    let text = r.pq_ok(&["status"]);
    assert_eq!(
        hint_lines(&text),
        vec![
            "hint: the commit-graph is not used (core.commitGraph is false): `git config core.commitGraph true` \
makes backport and rebase read far less history"
        ],
        "{text}"
    );
    let json = r.pq_json(&["status"], 0);
    assert_eq!(json["commit_graph"]["present"], true, "{json}");
    assert_eq!(json["commit_graph"]["ignored"], "core.commitGraph is false", "{json}");
    assert_eq!(
        json["commit_graph"]["suggest"], "git config core.commitGraph true",
        "{json}"
    );
    // Following the hint brings the graph back into use, and the hint goes.
    r.git(&["config", "core.commitGraph", "true"]);
    let text = r.pq_ok(&["status"]);
    assert!(hint_lines(&text).is_empty(), "{text}");
    assert!(r.pq_json(&["status"], 0)["commit_graph"]["ignored"].is_null());
}
