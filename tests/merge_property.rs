//! pq's content merge against git's merge-ort on random three-way edits of small files: both sides edit a
//! common base (lines replaced, deleted, inserted, drawn from a small vocabulary so that repeated lines like
//! `}` and blank lines make the diff choose between alignments), then pq picks `base → theirs` onto `ours`
//! and `git merge-tree --write-tree --merge-base=BASE OURS THEIRS` merges the same trees.
//!
//! Compared: the verdict (clean or conflicted), and the merged bytes, conflict markers included, in each
//! conflict style (`merge`, `diff3`, `zdiff3`), with LF and CRLF line ends and files that end without one.
//! gix's own text merge differs from git here (hunks placed by the indent heuristic, conflicts not split
//! around shared lines); pq's content merge (`pq::git::text_merge`) is the one under test.

mod common;

use common::*;
use pq::engine::pick::{pick, Labels, PickOutcome};
use pq::git::{Entry, Oid, Repo};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const FILE: &str = "f.c";

/// Lines the generator draws from: a few that repeat everywhere (like braces and blank lines in C) and a few
/// that are rare, so both ambiguous and unique anchors occur.
const VOCAB: &[&str] = &[
    "}",
    "",
    "{",
    "\treturn 0;",
    "\tint x;",
    "a();",
    "b();",
    "c();",
    "d();",
    "e();",
    "f();",
    "g();",
];

/// One edit applied to a list of lines, by position modulo its length.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, Vec<usize>),
    Delete(usize, usize),
    Insert(usize, Vec<usize>),
}

fn edit() -> impl Strategy<Value = Edit> {
    let lines = || prop::collection::vec(0..VOCAB.len() + 6, 1..4);
    prop_oneof![
        (any::<usize>(), lines()).prop_map(|(at, l)| Edit::Replace(at, l)),
        (any::<usize>(), 1usize..4).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), lines()).prop_map(|(at, l)| Edit::Insert(at, l)),
    ]
}

/// Line `i` of the vocabulary, or past its end one of a few lines unique to `side` (so sides add distinct
/// lines as often as equal ones).
fn line(i: usize, side: &str) -> String {
    match VOCAB.get(i) {
        Some(l) => (*l).to_string(),
        None => format!("{side}_{}();", i - VOCAB.len()),
    }
}

fn apply(base: &[String], edits: &[Edit], side: &str) -> Vec<String> {
    let mut v = base.to_vec();
    for e in edits {
        let at = |n: usize, len: usize| if len == 0 { 0 } else { n % len };
        match e {
            Edit::Replace(n, l) if !v.is_empty() => {
                let i = at(*n, v.len());
                v.splice(i..i + 1, l.iter().map(|&k| line(k, side)));
            }
            Edit::Delete(n, k) if !v.is_empty() => {
                let i = at(*n, v.len());
                let end = (i + k).min(v.len());
                v.drain(i..end);
            }
            Edit::Insert(n, l) => {
                let i = at(*n, v.len() + 1);
                v.splice(i..i, l.iter().map(|&k| line(k, side)));
            }
            _ => {}
        }
    }
    v
}

/// The file's bytes: lines ended by LF or CRLF, the last one possibly without an end.
fn text(lines: &[String], crlf: bool, unterminated: bool) -> Vec<u8> {
    let mut s = String::new();
    for (i, l) in lines.iter().enumerate() {
        s.push_str(l);
        if i + 1 < lines.len() || !unterminated {
            s.push_str(if crlf { "\r\n" } else { "\n" });
        }
    }
    s.into_bytes()
}

/// One merge's result: clean or not, and the file's bytes.
#[derive(Debug, PartialEq)]
struct Merged {
    clean: bool,
    content: Vec<u8>,
}

struct Bench {
    r: TestRepo,
    repo: Repo,
}

impl Bench {
    fn new(style: &str) -> Bench {
        let r = TestRepo::new();
        r.git(&["config", "merge.conflictStyle", style]);
        let repo = Repo::discover(&r.dir).unwrap();
        Bench { r, repo }
    }

    fn tree(&self, content: &[u8]) -> Oid {
        let id = self.repo.write_blob(content).unwrap();
        let empty = Oid::empty_tree(gix::hash::Kind::Sha1);
        self.repo
            .edit_tree(empty, &[(FILE.into(), Some(Entry { mode: 0o100644, id }))])
            .unwrap()
    }

    fn file(&self, tree: Oid) -> Vec<u8> {
        let entry = self.repo.entry_at(tree, FILE.as_bytes()).unwrap();
        entry.map(|e| self.repo.blob(e.id).unwrap()).unwrap_or_default()
    }

    /// Both merges of `base → theirs` onto `ours`. git labels the markers with the names it was given (here
    /// tree ids), so pq gets the same labels.
    fn both(&self, base: &[u8], ours: &[u8], theirs: &[u8]) -> (Merged, Merged) {
        let [b, o, t] = [self.tree(base), self.tree(ours), self.tree(theirs)];
        let labels = Labels {
            base: b.to_string(),
            ours: o.to_string(),
            theirs: t.to_string(),
        };
        let pq = match pick(&self.repo, o, b, t, &labels).unwrap() {
            PickOutcome::Clean { tree } => Merged {
                clean: true,
                content: self.file(tree),
            },
            PickOutcome::Conflict { tree, .. } => Merged {
                clean: false,
                content: self.file(tree),
            },
        };
        let out = self.r.git_out(&[
            "merge-tree",
            "--write-tree",
            &format!("--merge-base={b}"),
            &o.to_string(),
            &t.to_string(),
        ]);
        let code = out.status.code().unwrap();
        assert!(
            code == 0 || code == 1,
            "git merge-tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let tree: Oid = stdout.lines().next().unwrap().parse().unwrap();
        let git = Merged {
            clean: code == 0,
            content: self.file(tree),
        };
        (pq, git)
    }
}

/// The file with every conflict region replaced by one of its sides (`ours` true: the part after `<<<<<<<`;
/// false: the part after `=======`).
fn resolve(content: &[u8], ours: bool) -> Vec<u8> {
    #[derive(PartialEq)]
    enum In {
        Outside,
        Ours,
        Base,
        Theirs,
    }
    let mut at = In::Outside;
    let mut out = Vec::new();
    for l in content.split_inclusive(|&b| b == b'\n') {
        let marker = |m: &[u8]| l.starts_with(m) && matches!(l.get(7), None | Some(b' ') | Some(b'\n'));
        if marker(b"<<<<<<<") {
            at = In::Ours;
        } else if marker(b"|||||||") && at == In::Ours {
            at = In::Base;
        } else if marker(b"=======") && (at == In::Ours || at == In::Base) {
            at = In::Theirs;
        } else if marker(b">>>>>>>") && at == In::Theirs {
            at = In::Outside;
        } else if at == In::Outside || (at == In::Ours && ours) || (at == In::Theirs && !ours) {
            out.extend_from_slice(l);
        }
    }
    out
}

/// Everything about the two merges that must agree; `Err` says what did not.
fn compare(pq: &Merged, git: &Merged) -> Result<(), String> {
    if pq.clean != git.clean {
        return Err(format!("verdict: pq clean {}, git clean {}", pq.clean, git.clean));
    }
    // Resolving every conflict to one side must agree before the markers can: it tells a different
    // alignment of the changes from different marker placement.
    for ours in [true, false] {
        if resolve(&pq.content, ours) != resolve(&git.content, ours) {
            return Err(format!(
                "conflicts resolved to {} differ",
                if ours { "ours" } else { "theirs" }
            ));
        }
    }
    if pq.content != git.content {
        return Err(if pq.clean {
            "clean merges differ"
        } else {
            "conflict markers differ"
        }
        .into());
    }
    Ok(())
}

/// A base, each side's edits, CRLF line ends, and which of base, ours, theirs lack a final line end.
type Case = (Vec<usize>, Vec<Edit>, Vec<Edit>, bool, [bool; 3]);

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(0..VOCAB.len(), 0..14),
        prop::collection::vec(edit(), 1..4),
        prop::collection::vec(edit(), 1..4),
        prop::bool::weighted(0.15),
        [
            prop::bool::weighted(0.15),
            prop::bool::weighted(0.15),
            prop::bool::weighted(0.15),
        ],
    )
}

fn run(style: &str, cases: u32) {
    let bench = Bench::new(style);
    // A fixed seed: the one remaining known difference (see `known_difference_in_hunk_placement`) must not
    // make the suite flaky; a new generator or seed is checked by running this with other seeds locally.
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let counts = std::cell::Cell::new((0, 0));
    runner
        .run(&case(), |(base, o, t, crlf, open)| {
            let base: Vec<String> = base.iter().map(|&i| line(i, "base")).collect();
            let (ours, theirs) = (apply(&base, &o, "ours"), apply(&base, &t, "theirs"));
            let (pq, git) = bench.both(
                &text(&base, crlf, open[0]),
                &text(&ours, crlf, open[1]),
                &text(&theirs, crlf, open[2]),
            );
            compare(&pq, &git).map_err(|e| {
                TestCaseError::fail(format!(
                    "{e}\n--- pq\n{}--- git\n{}",
                    String::from_utf8_lossy(&pq.content),
                    String::from_utf8_lossy(&git.content)
                ))
            })?;
            let (clean, conflicted) = counts.get();
            counts.set(if pq.clean {
                (clean + 1, conflicted)
            } else {
                (clean, conflicted + 1)
            });
            Ok(())
        })
        .unwrap();
    let (clean, conflicted) = counts.get();
    eprintln!("{style}: {clean} clean, {conflicted} conflicted, all as git merged them");
    assert!(
        clean > cases / 10 && conflicted > cases / 10,
        "the generator must produce both outcomes"
    );
}

/// Random three-way edits with git's default conflict style: same verdict, same bytes, markers included.
#[test]
fn content_merge_agrees_with_merge_ort() {
    run("merge", 400);
}

/// The same with the base shown in conflicts (`merge.conflictStyle`), where git does not split conflicts.
#[test]
fn content_merge_agrees_with_merge_ort_diff3() {
    run("diff3", 150);
}

#[test]
fn content_merge_agrees_with_merge_ort_zdiff3() {
    run("zdiff3", 150);
}

/// Known difference, found by the property test with random seeds (about one case in several thousand):
/// here both merges conflict in the same first region, but pq also reports a second, one-line region that
/// git merges cleanly; the two diffs place an ambiguous `{` insertion among repeated `{` lines differently.
/// Pinned so it is seen when fixed: the verdict agrees, the bytes do not yet.
#[test]
fn known_difference_in_hunk_placement() {
    let bench = Bench::new("merge");
    let base = "}\n}\n}\n}\n\nf();\n{\n{\n{\n\nf();\nf();\n";
    let lines: Vec<String> = base.lines().map(String::from).collect();
    let ours = apply(&lines, &[Edit::Insert(6037011390303674213, vec![0])], "ours");
    let theirs = apply(
        &lines,
        &[
            Edit::Delete(6439124264386954659, 2),
            Edit::Insert(6133453757808034102, vec![2]),
        ],
        "theirs",
    );
    let (pq, git) = bench.both(
        &text(&lines, false, false),
        &text(&ours, false, false),
        &text(&theirs, false, false),
    );
    assert!(!pq.clean && !git.clean, "both conflict");
    assert_eq!(markers(&git.content), 1);
    assert_eq!(
        markers(&pq.content),
        2,
        "pq still marks the extra region; if this fails, it may be fixed"
    );
}

fn markers(content: &[u8]) -> usize {
    content
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"<<<<<<<"))
        .count()
}
