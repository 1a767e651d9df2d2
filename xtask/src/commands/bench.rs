//! `cargo xtask bench [backport|rebase|select|interop|drop|fixes|bump|stops|all] [--files N --commits N] [--picks N] [--runs N] [--clone fresh|graph|both] [--keep DIR]`
//!
//! Runs pq and the git CLI on the same generated repository, side by side, and prints wall and CPU times,
//! the cost per pick and the ratios git / pq. Each measurement runs on a fresh clone: the backport and rebase
//! jobs both as cloned (no commit-graph) and with a commit-graph carrying Bloom filters (as a maintainer's
//! clone has after `git maintenance`), the other jobs with the commit-graph. The trees both tools produce are
//! compared: a benchmark of a wrong answer is worthless. Results also go to `target/bench/results.md`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use xtask::fixture::{kernel, KernelFixture, KernelOptions};

use super::clock::{Clock, Time};
use super::workspace_root;

const USAGE: &str =
    "usage: cargo xtask bench [backport|rebase|rebase-major|select|interop|drop|fixes|bump|stops|all] [--files N --commits N] [--picks N]
                         [--runs N] [--small-files N] [--keep DIR] [--pq BIN]

  --files N, --commits N  size of the main fixture (default: the large preset, 70 000 files / 20 000 commits)
  --small-files N         files of the second, smaller tree for the per-pick comparison (default 5000; 0: skip)
  --picks N               backport only the first N commits of the range (default: all of them)
  --runs N                runs per measurement, the median is reported (default 3; a git run over 20 s
                          is not repeated)
  --clone fresh|graph|both
                          how the backport and rebase jobs' clones are prepared: as cloned (no
                          commit-graph), with `git commit-graph write --reachable --changed-paths`, or
                          both, one row each (default both; the other jobs always have the commit-graph)
  --keep DIR              generate the fixtures and clones in DIR and keep them
  --pq BIN                time this pq binary instead of building target/release/pq (before/after comparisons)

  cargo xtask bench cherry --repo DIR --branch B --base OLD --onto NEW [--runs N] [--keep DIR] [--pq BIN]
                          a real repository instead of the fixture: `pq init --base OLD` on B (merges
                          linearised) and `pq rebase NEW --dry-run` (cold and warm patch-id cache, without
                          and with a commit-graph) vs `git cherry NEW HEAD OLD`, on a fresh clone of DIR

  cargo xtask bench stops [--repo DIR --onto REV --range RANGE [--path P]...] [--runs N] [--pq BIN]
                          a backport that stops on conflicts: `git cherry-pick -x` per commit with `--skip`
                          at each stop vs `pq backport` with `pq skip` at each stop, on fresh clones, compared
                          pick by pick; the fixture's lib/zstd range, or a real repository, e.g. --repo curl
                          --onto curl-8_5_0 --range curl-8_6_0..curl-8_12_0 --path lib/vtls";

/// A git measurement longer than this is taken once: three runs of a 90 s backport buy no insight.
const LONG_RUN: Duration = Duration::from_secs(20);

struct Options {
    jobs: Vec<String>,
    files: Option<usize>,
    commits: Option<usize>,
    small_files: usize,
    picks: Option<usize>,
    runs: usize,
    keep: Option<PathBuf>,
    pq: Option<PathBuf>,
    /// The clone preparations the backport and rebase jobs run under.
    graphs: Vec<Graph>,
    external: External,
}

/// How a benchmark clone is prepared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Graph {
    /// As `git clone` leaves it: no commit-graph, so every commit and tree is read from the pack.
    Fresh,
    /// With `git commit-graph write --reachable --changed-paths`, as `git maintenance` leaves it.
    Bloom,
}

impl Graph {
    fn label(self) -> &'static str {
        match self {
            Graph::Fresh => "fresh",
            Graph::Bloom => "commit-graph",
        }
    }
}

/// The real repository of the `cherry` and `stops` jobs.
#[derive(Default)]
struct External {
    repo: Option<PathBuf>,
    branch: Option<String>,
    base: Option<String>,
    onto: Option<String>,
    /// The `stops` job's range and paths.
    range: Option<String>,
    paths: Vec<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        jobs: Vec::new(),
        files: None,
        commits: None,
        small_files: 5000,
        picks: None,
        runs: 3,
        keep: None,
        pq: None,
        graphs: vec![Graph::Fresh, Graph::Bloom],
        external: External::default(),
    };
    let mut i = 0;
    let value = |i: &mut usize, flag: &str| -> Result<String, String> {
        *i += 1;
        args.get(*i)
            .cloned()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
    };
    let number = |s: String, flag: &str| -> Result<usize, String> {
        s.parse().map_err(|_| format!("{flag}: expected a number, got {s:?}"))
    };
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "backport" | "rebase" | "rebase-major" | "select" | "interop" | "drop" | "fixes" | "bump" => {
                o.jobs.push(a.to_string())
            }
            "all" => o.jobs.extend(
                [
                    "backport",
                    "rebase",
                    "rebase-major",
                    "select",
                    "interop",
                    "drop",
                    "fixes",
                    "bump",
                    "stops",
                ]
                .map(String::from),
            ),
            "--files" => o.files = Some(number(value(&mut i, a)?, a)?),
            "--commits" => o.commits = Some(number(value(&mut i, a)?, a)?),
            "--small-files" => o.small_files = number(value(&mut i, a)?, a)?,
            "--picks" => o.picks = Some(number(value(&mut i, a)?, a)?),
            "--runs" => o.runs = number(value(&mut i, a)?, a)?.max(1),
            "--keep" => o.keep = Some(PathBuf::from(value(&mut i, a)?)),
            "--pq" => o.pq = Some(PathBuf::from(value(&mut i, a)?)),
            "--clone" => {
                o.graphs = match value(&mut i, a)?.as_str() {
                    "fresh" => vec![Graph::Fresh],
                    "graph" => vec![Graph::Bloom],
                    "both" => vec![Graph::Fresh, Graph::Bloom],
                    other => return Err(format!("--clone: expected fresh, graph or both, got {other:?}")),
                }
            }
            "cherry" | "stops" => o.jobs.push(a.to_string()),
            "--range" => o.external.range = Some(value(&mut i, a)?),
            "--path" => o.external.paths.push(value(&mut i, a)?),
            "--repo" => o.external.repo = Some(PathBuf::from(value(&mut i, a)?)),
            "--branch" => o.external.branch = Some(value(&mut i, a)?),
            "--base" => o.external.base = Some(value(&mut i, a)?),
            "--onto" => o.external.onto = Some(value(&mut i, a)?),
            "-h" | "--help" => return Err(USAGE.to_string()),
            _ => return Err(format!("unexpected argument {a:?}\n{USAGE}")),
        }
        i += 1;
    }
    if o.jobs.is_empty() {
        o.jobs
            .extend(["backport", "rebase", "select", "interop", "drop"].map(String::from));
    }
    o.jobs.dedup();
    let e = &o.external;
    let named = [e.repo.is_some(), e.branch.is_some(), e.base.is_some(), e.onto.is_some()];
    let cherry = o.jobs.iter().any(|j| j == "cherry");
    if cherry && !named.iter().all(|x| *x) {
        return Err(format!(
            "the cherry job needs --repo, --branch, --base and --onto\n{USAGE}"
        ));
    }
    let stops_elsewhere = o.jobs.iter().any(|j| j == "stops") && e.repo.is_some();
    if stops_elsewhere && (e.onto.is_none() || e.range.is_none()) {
        return Err(format!(
            "the stops job on a repository needs --repo, --onto and --range\n{USAGE}"
        ));
    }
    if !stops_elsewhere && (e.range.is_some() || !e.paths.is_empty()) {
        return Err(format!("--range and --path are for the stops job with --repo\n{USAGE}"));
    }
    if !cherry && !stops_elsewhere && named.iter().any(|x| *x) {
        return Err(format!(
            "--repo, --branch, --base and --onto are for the cherry job\n{USAGE}"
        ));
    }
    Ok(o)
}

/// Runs a command to completion, failing with its stderr.
fn run_ok(cmd: &mut Command, what: &str) -> Result<String, String> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    run_ok(xtask::git::git(dir).args(args), &format!("git {}", args.join(" ")))
}

/// Times one run of a command; stdout is discarded, stderr kept for the error.
fn timed(cmd: &mut Command, what: &str) -> Result<Time, String> {
    let clock = Clock::start();
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    let t = clock.stop();
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(t)
}

/// Times `git rev-list ... | git cherry-pick -x --stdin`, the whole pipeline.
fn timed_git_pipeline(dir: &Path, rev_list: &[&str], cherry_pick: &[&str]) -> Result<Time, String> {
    let clock = Clock::start();
    let mut producer = xtask::git::git(dir)
        .args(rev_list)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("git rev-list: {e}"))?;
    let pipe = producer.stdout.take().expect("piped");
    let out = xtask::git::git(dir)
        .args(cherry_pick)
        .stdin(Stdio::from(pipe))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("git cherry-pick: {e}"))?;
    let produced = producer.wait().map_err(|e| format!("git rev-list: {e}"))?;
    let t = clock.stop();
    if !out.status.success() || !produced.success() {
        return Err(format!(
            "git {} | git {} failed: {}",
            rev_list.join(" "),
            cherry_pick.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(t)
}

struct Bench {
    pq: PathBuf,
    work: PathBuf,
    clones: usize,
}

impl Bench {
    /// A fresh clone of `fx` on `branch`, with local branches for everything the jobs name and a commit-graph
    /// with changed-path Bloom filters (pq's selection and git's rev-list both use it).
    fn clone(&mut self, fx: &KernelFixture, branch: &str) -> Result<PathBuf, String> {
        self.clone_with(fx, branch, Graph::Bloom)
    }

    /// A fresh clone of `fx` on `branch`, with local branches for everything the jobs name, prepared as
    /// `graph` says.
    fn clone_with(&mut self, fx: &KernelFixture, branch: &str, graph: Graph) -> Result<PathBuf, String> {
        self.clones += 1;
        let dir = self.work.join(format!("clone-{}", self.clones));
        // A clone left by an earlier run with --keep is stale: start from scratch.
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| format!("removing {}: {e}", dir.display()))?;
        }
        let src = fx.dir.to_string_lossy().into_owned();
        let dst = dir.to_string_lossy().into_owned();
        git(&self.work, &["clone", "--no-hardlinks", "-q", "-b", branch, &src, &dst])?;
        for b in fx.branches.keys() {
            if b != branch {
                git(&dir, &["branch", "-q", b, &format!("origin/{b}")])?;
            }
        }
        // A local clone copies the source's objects directory, its commit-graph included: remove it, then
        // write one where asked, so both preparations are what their names say.
        let info = dir.join(".git/objects/info");
        let _ = std::fs::remove_file(info.join("commit-graph"));
        let _ = std::fs::remove_dir_all(info.join("commit-graphs"));
        if graph == Graph::Bloom {
            git(&dir, &["commit-graph", "write", "--reachable", "--changed-paths"])?;
        }
        settle();
        Ok(dir)
    }

    /// Clones are removed at the end, not between runs: on ext4, creating files right after deleting a
    /// 70k-file checkout is measurably slower (the allocator skips recently freed inodes), which would
    /// penalise whichever run comes next.
    fn remove(&self, _dir: &Path) {}

    fn pq(&self, dir: &Path) -> Command {
        let mut cmd = Command::new(&self.pq);
        xtask::git::hermetic(&mut cmd);
        cmd.current_dir(dir);
        cmd
    }

    fn pq_init(&self, dir: &Path, base: &str) -> Result<(), String> {
        run_ok(self.pq(dir).args(["init", "--base", base]), "pq init")?;
        settle();
        Ok(())
    }
}

/// Flush the clone's dirty pages before a timed run: otherwise the kernel writes the fresh 70k-file checkout
/// back while the command runs, and whichever tool runs first pays for it.
fn settle() {
    let _ = Command::new("sync").status();
}

fn tree_of(dir: &Path, rev: &str) -> Result<String, String> {
    git(dir, &["rev-parse", &format!("{rev}^{{tree}}")])
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The median wall time and the median CPU time of several runs.
fn median_time(v: &[Time]) -> Time {
    Time {
        wall: median(v.iter().map(|t| t.wall).collect()),
        cpu: median(v.iter().map(|t| t.cpu).collect()),
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

/// `wall / CPU` seconds.
fn both(t: Time) -> String {
    format!("{} / {}", secs(t.wall), secs(t.cpu))
}

fn per_pick(d: Duration, n: usize) -> String {
    if n == 0 {
        return "-".into();
    }
    format!("{:.2}", d.as_secs_f64() * 1000.0 / n as f64)
}

/// One row of the results table.
struct Row {
    job: String,
    tree: String,
    /// How the clones were prepared: [`Graph::label`].
    clone: &'static str,
    what: String,
    n: usize,
    git: Time,
    git_runs: usize,
    pq: Time,
    pq_runs: usize,
    note: String,
}

fn ratio(git: Duration, pq: Duration) -> String {
    format!("{:.1}×", git.as_secs_f64() / pq.as_secs_f64().max(1e-9))
}

impl Row {
    fn markdown(&self) -> String {
        format!(
            "| {} | {} | {} | {} | {} | {} ({}) | {} ({}) | {} | {} | {} | {} | {} |",
            self.job,
            self.tree,
            self.clone,
            self.what,
            self.n,
            both(self.git),
            runs(self.git_runs),
            both(self.pq),
            runs(self.pq_runs),
            per_pick(self.git.wall, self.n),
            per_pick(self.pq.wall, self.n),
            ratio(self.git.wall, self.pq.wall),
            ratio(self.git.cpu, self.pq.cpu),
            self.note
        )
    }
}

fn runs(n: usize) -> String {
    if n == 1 {
        "1 run".into()
    } else {
        format!("median of {n}")
    }
}

const HEADER: &str =
    "| job | tree | clone | git command vs pq command | picks | git s wall / CPU | pq s wall / CPU | git ms/pick | pq ms/pick | git / pq wall | git / pq CPU | note |
|---|---|---|---|---|---|---|---|---|---|---|---|";

struct Mismatch(String);

/// Repeats `f` up to `runs` times (once when a run is longer than [`LONG_RUN`]) and returns the medians.
fn measure(runs: usize, mut f: impl FnMut(usize) -> Result<Time, String>) -> Result<(Time, usize), String> {
    let mut times = Vec::new();
    for i in 0..runs {
        let t = f(i)?;
        times.push(t);
        if t.wall > LONG_RUN {
            break;
        }
    }
    Ok((median_time(&times), times.len()))
}

fn tree_label(fx: &KernelFixture) -> String {
    format!("{} files", fx.files)
}

fn bench_backport(
    b: &mut Bench,
    fx: &KernelFixture,
    opts: &Options,
    rows: &mut Vec<Row>,
    mismatches: &mut Vec<Mismatch>,
    graph: Graph,
) -> Result<(), String> {
    let path = fx.clean_backport_path.clone();
    let tip = match opts.picks {
        Some(n) if n < fx.clean_backport_count && n > 0 => {
            // The range ends at the n-th commit, so both tools select exactly the first n.
            let list = git(&fx.dir, &["rev-list", "--reverse", "v6.7..v6.8", "--", &path])?;
            list.lines().nth(n - 1).expect("n < count").to_string()
        }
        _ => "v6.8".to_string(),
    };
    let range = format!("v6.7..{tip}");
    let count: usize = git(&fx.dir, &["rev-list", "--count", "--no-merges", &range, "--", &path])?
        .parse()
        .map_err(|e| format!("rev-list --count: {e}"))?;
    println!(
        "backport: {count} commits of {range} -- {path} onto fedora-6.7 ({}, {})",
        tree_label(fx),
        graph.label()
    );
    let mut git_tree = String::new();
    let (git_t, git_runs) = measure(opts.runs, |i| {
        let dir = b.clone_with(fx, "fedora-6.7", graph)?;
        let t = timed_git_pipeline(
            &dir,
            &["rev-list", "--reverse", "--no-merges", &range, "--", &path],
            &["cherry-pick", "-x", "--stdin"],
        )?;
        git_tree = tree_of(&dir, "HEAD")?;
        println!("  git cherry-pick run {}: {} s", i + 1, both(t));
        b.remove(&dir);
        Ok(t)
    })?;
    let mut pq_tree = String::new();
    let (pq_t, pq_runs) = measure(opts.runs, |i| {
        let dir = b.clone_with(fx, "fedora-6.7", graph)?;
        b.pq_init(&dir, "v6.7.1")?;
        let t = timed(b.pq(&dir).args(["backport", &range, &path]), "pq backport")?;
        pq_tree = tree_of(&dir, "fedora-6.7")?;
        let head = tree_of(&dir, "HEAD")?;
        if head != pq_tree {
            return Err("pq left HEAD off the branch".into());
        }
        println!("  pq backport run {}: {} s", i + 1, both(t));
        b.remove(&dir);
        Ok(t)
    })?;
    if git_tree != pq_tree {
        mismatches.push(Mismatch(format!(
            "backport on {} ({}): git's tree {git_tree} != pq's tree {pq_tree}",
            tree_label(fx),
            graph.label()
        )));
    }
    rows.push(Row {
        job: "backport".into(),
        tree: tree_label(fx),
        clone: graph.label(),
        what: "`git rev-list …` piped to `git cherry-pick -x --stdin` vs `pq backport RANGE PATH`".into(),
        n: count,
        git: git_t,
        git_runs,
        pq: pq_t,
        pq_runs,
        note: tree_note(git_tree == pq_tree),
    });
    Ok(())
}

/// The stack branch onto `onto`: the next stable release (few files change) or the next major release
/// (tens of thousands of files change, so the final work-tree update dominates). Only the stack's packaging
/// commit applies cleanly on the major release, so that rebase carries just it (`keep`: the first N patches).
fn bench_rebase(
    b: &mut Bench,
    fx: &KernelFixture,
    opts: &Options,
    rows: &mut Vec<Row>,
    mismatches: &mut Vec<Mismatch>,
    (onto, keep): (&str, Option<usize>),
    graph: Graph,
) -> Result<(), String> {
    let branch = fx.stack_branch.clone();
    let n = keep.unwrap_or(fx.stack_patches);
    // A clone on the stack branch, cut to its first `keep` patches.
    let clone = |b: &mut Bench| -> Result<PathBuf, String> {
        let dir = b.clone_with(fx, &branch, graph)?;
        if let Some(k) = keep {
            let list = git(&dir, &["rev-list", "--reverse", &format!("v6.7.1..{branch}")])?;
            let cut = list
                .lines()
                .nth(k - 1)
                .ok_or("the stack is shorter than asked")?
                .to_string();
            git(&dir, &["reset", "-q", "--hard", &cut])?;
            settle();
        }
        Ok(dir)
    };
    println!(
        "rebase: {branch} ({n} patch(es) on v6.7.1) onto {onto} ({}, {})",
        tree_label(fx),
        graph.label()
    );
    let mut git_tree = String::new();
    let (git_t, git_runs) = measure(opts.runs, |i| {
        let dir = clone(b)?;
        let t = timed(
            xtask::git::git(&dir).args(["rebase", "-q", "--onto", onto, "v6.7.1"]),
            "git rebase",
        )?;
        git_tree = tree_of(&dir, "HEAD")?;
        println!("  git rebase run {}: {} s", i + 1, both(t));
        b.remove(&dir);
        Ok(t)
    })?;
    let mut replay_tree = String::new();
    let (replay_t, replay_runs) = measure(opts.runs, |i| {
        let dir = clone(b)?;
        let old = git(&dir, &["rev-parse", "HEAD"])?;
        let clock = Clock::start();
        let updates = git(&dir, &["replay", "--onto", onto, &format!("v6.7.1..{branch}")])?;
        // `update refs/heads/B NEW OLD`
        let new = updates
            .lines()
            .find_map(|l| l.split_whitespace().nth(2).map(str::to_string))
            .ok_or("git replay printed no ref update")?;
        git(&dir, &["update-ref", &format!("refs/heads/{branch}"), &new, &old])?;
        git(&dir, &["read-tree", "-m", "-u", &old, &new])?;
        let t = clock.stop();
        replay_tree = tree_of(&dir, "HEAD")?;
        println!("  git replay + read-tree run {}: {} s", i + 1, both(t));
        b.remove(&dir);
        Ok(t)
    })?;
    let mut pq_tree = String::new();
    let (pq_t, pq_runs) = measure(opts.runs, |i| {
        let dir = clone(b)?;
        b.pq_init(&dir, "v6.7.1")?;
        let t = timed(b.pq(&dir).args(["rebase", onto]), "pq rebase")?;
        pq_tree = tree_of(&dir, "HEAD")?;
        println!("  pq rebase run {}: {} s", i + 1, both(t));
        b.remove(&dir);
        Ok(t)
    })?;
    for (name, tree) in [("git rebase", &git_tree), ("git replay", &replay_tree)] {
        if *tree != pq_tree {
            mismatches.push(Mismatch(format!(
                "rebase onto {onto} on {} ({}): {name}'s tree {tree} != pq's tree {pq_tree}",
                tree_label(fx),
                graph.label()
            )));
        }
    }
    let note = |t: &String| tree_note(*t == pq_tree);
    let job = if onto == "v6.7.2" { "rebase" } else { "rebase (major)" };
    rows.push(Row {
        job: job.into(),
        tree: tree_label(fx),
        clone: graph.label(),
        what: format!("`git rebase --onto {onto} v6.7.1` vs `pq rebase {onto}`"),
        n,
        git: git_t,
        git_runs,
        pq: pq_t,
        pq_runs,
        note: note(&git_tree),
    });
    rows.push(Row {
        job: format!("{job} (floor)"),
        tree: tree_label(fx),
        clone: graph.label(),
        what: format!("`git replay` + `git read-tree -m -u` vs `pq rebase {onto}`"),
        n,
        git: replay_t,
        git_runs: replay_runs,
        pq: pq_t,
        pq_runs,
        note: note(&replay_tree),
    });
    Ok(())
}

/// Export and import of the stack branch's patches: `git format-patch` vs `pq export` (mbox and quilt), and
/// `git am` vs `pq import` of the same mbox onto a fresh branch at the base (trees compared).
fn bench_interop(
    b: &mut Bench,
    fx: &KernelFixture,
    opts: &Options,
    rows: &mut Vec<Row>,
    mismatches: &mut Vec<Mismatch>,
) -> Result<(), String> {
    let branch = fx.stack_branch.clone();
    let dir = b.clone(fx, &branch)?;
    b.pq_init(&dir, "v6.7.1")?;
    let n: usize = git(&dir, &["rev-list", "--count", &format!("v6.7.1..{branch}")])?
        .parse()
        .map_err(|e| format!("rev-list --count: {e}"))?;
    println!("interop: {branch} ({n} commits on v6.7.1) ({})", tree_label(fx));
    let out = b.work.join("interop-out");
    let (git_t, git_runs) = measure(opts.runs, |i| {
        let _ = std::fs::remove_dir_all(&out);
        let t = timed(
            xtask::git::git(&dir).args([
                "format-patch",
                "-q",
                "-o",
                out.to_str().unwrap(),
                &format!("v6.7.1..{branch}"),
            ]),
            "git format-patch",
        )?;
        println!("  git format-patch run {}: {} s", i + 1, both(t));
        Ok(t)
    })?;
    let mbox = b.work.join("interop.mbox");
    let mut exported = 0;
    for format in ["mbox", "quilt"] {
        let (pq_t, pq_runs) = measure(opts.runs, |i| {
            let _ = std::fs::remove_dir_all(&out);
            let target = if format == "mbox" { mbox.clone() } else { out.clone() };
            let t = timed(
                b.pq(&dir)
                    .args(["export", "--format", format, "-o", target.to_str().unwrap()]),
                "pq export",
            )?;
            println!("  pq export --format {format} run {}: {} s", i + 1, both(t));
            Ok(t)
        })?;
        exported = std::fs::read(&mbox)
            .map(|m| m.windows(6).filter(|w| w == b"\nFrom ").count() + 1)
            .unwrap_or(0);
        rows.push(Row {
            job: "export".into(),
            tree: tree_label(fx),
            clone: Graph::Bloom.label(),
            what: format!("`git format-patch` vs `pq export --format {format}`"),
            n,
            git: git_t,
            git_runs,
            pq: pq_t,
            pq_runs,
            note: format!("pq writes {exported} (the packaging commit is not a patch)"),
        });
    }
    b.remove(&dir);
    let mut git_tree = String::new();
    let (am_t, am_runs) = measure(opts.runs, |i| {
        let dir = b.clone(fx, &branch)?;
        git(&dir, &["checkout", "-q", "-b", "am", "v6.7.1"])?;
        settle();
        let t = timed(
            xtask::git::git(&dir).args(["am", "-q", mbox.to_str().unwrap()]),
            "git am",
        )?;
        git_tree = tree_of(&dir, "HEAD")?;
        println!("  git am run {}: {} s", i + 1, both(t));
        b.remove(&dir);
        Ok(t)
    })?;
    let mut pq_tree = String::new();
    let (imp_t, imp_runs) = measure(opts.runs, |i| {
        let dir = b.clone(fx, &branch)?;
        git(&dir, &["checkout", "-q", "-b", "imported", "v6.7.1"])?;
        b.pq_init(&dir, "v6.7.1")?;
        let t = timed(b.pq(&dir).args(["import", mbox.to_str().unwrap()]), "pq import")?;
        pq_tree = tree_of(&dir, "HEAD")?;
        println!("  pq import run {}: {} s", i + 1, both(t));
        b.remove(&dir);
        Ok(t)
    })?;
    if git_tree != pq_tree {
        mismatches.push(Mismatch(format!(
            "import: git am's tree {git_tree} != pq import's {pq_tree}"
        )));
    }
    rows.push(Row {
        job: "import".into(),
        tree: tree_label(fx),
        clone: Graph::Bloom.label(),
        what: "`git am` vs `pq import` (the same mbox)".into(),
        n: exported,
        git: am_t,
        git_runs: am_runs,
        pq: imp_t,
        pq_runs: imp_runs,
        note: tree_note(git_tree == pq_tree),
    });
    Ok(())
}

/// Dropping the second patch of the stack: `git rebase -i` with that todo line deleted against `pq drop`.
fn bench_drop(
    b: &mut Bench,
    fx: &KernelFixture,
    opts: &Options,
    rows: &mut Vec<Row>,
    mismatches: &mut Vec<Mismatch>,
) -> Result<(), String> {
    let branch = fx.stack_branch.clone();
    let n = fx.stack_patches;
    println!(
        "drop: the second of {branch}'s {n} patches on v6.7.1 ({})",
        tree_label(fx)
    );
    let second = |dir: &Path| -> Result<String, String> {
        let list = git(dir, &["rev-list", "--reverse", "v6.7.1..HEAD"])?;
        list.lines()
            .nth(1)
            .map(str::to_string)
            .ok_or_else(|| "the stack has fewer than 2 patches".to_string())
    };
    let mut git_tree = String::new();
    let (git_t, git_runs) = measure(opts.runs, |i| {
        let dir = b.clone(fx, &branch)?;
        let t = timed(
            xtask::git::git(&dir)
                .env("GIT_SEQUENCE_EDITOR", "sed -i 2d")
                .args(["rebase", "-q", "-i", "v6.7.1"]),
            "git rebase -i",
        )?;
        git_tree = tree_of(&dir, "HEAD")?;
        println!("  git rebase -i run {}: {} s", i + 1, both(t));
        b.remove(&dir);
        Ok(t)
    })?;
    let mut pq_tree = String::new();
    let (pq_t, pq_runs) = measure(opts.runs, |i| {
        let dir = b.clone(fx, &branch)?;
        b.pq_init(&dir, "v6.7.1")?;
        let id = second(&dir)?;
        let t = timed(b.pq(&dir).args(["drop", &id]), "pq drop")?;
        pq_tree = tree_of(&dir, "HEAD")?;
        println!("  pq drop run {}: {} s", i + 1, both(t));
        b.remove(&dir);
        Ok(t)
    })?;
    if git_tree != pq_tree {
        mismatches.push(Mismatch(format!(
            "drop on {}: git rebase -i's tree {git_tree} != pq's tree {pq_tree}",
            tree_label(fx)
        )));
    }
    rows.push(Row {
        job: "drop".into(),
        tree: tree_label(fx),
        clone: Graph::Bloom.label(),
        what: "`git rebase -i v6.7.1` with the 2nd todo line deleted vs `pq drop <2nd patch>`".into(),
        n: n.saturating_sub(2),
        git: git_t,
        git_runs,
        pq: pq_t,
        pq_runs,
        note: tree_note(git_tree == pq_tree),
    });
    Ok(())
}

/// Five directories of the tree at v6.7 to select on: the clean backport path and four others spread over
/// the tree, so the walk compares several paths per commit (a typical `pq backport` of a driver family).
fn five_paths(fx: &KernelFixture) -> Result<Vec<String>, String> {
    let dirs = git(&fx.dir, &["ls-tree", "-r", "-d", "--name-only", "v6.7"])?;
    let dirs: Vec<&str> = dirs
        .lines()
        .filter(|d| d.matches('/').count() == 1 && !fx.clean_backport_path.starts_with(*d))
        .collect();
    if dirs.len() < 4 {
        return Err("the fixture has fewer than four second-level directories".into());
    }
    let mut paths = vec![fx.clean_backport_path.clone()];
    paths.extend((0..4).map(|i| dirs[(2 * i + 1) * dirs.len() / 8].to_string()));
    Ok(paths)
}

/// The upstream commits in pq's JSON report, in order.
fn sources(json: &str) -> Vec<String> {
    json.split("\"source\": \"")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(str::to_string))
        .collect()
}

fn bench_select(
    b: &mut Bench,
    fx: &KernelFixture,
    opts: &Options,
    rows: &mut Vec<Row>,
    mismatches: &mut Vec<Mismatch>,
) -> Result<(), String> {
    let dir = b.clone(fx, "fedora-6.7")?;
    b.pq_init(&dir, "v6.7.1")?;
    let sets = vec![vec![fx.clean_backport_path.clone()], five_paths(fx)?];
    for graph in [true, false] {
        if !graph {
            // A fresh clone: no commit-graph at all.
            let info = dir.join(".git/objects/info");
            let _ = std::fs::remove_file(info.join("commit-graph"));
            let _ = std::fs::remove_dir_all(info.join("commit-graphs"));
        }
        let label = if graph { "with commit-graph" } else { "no commit-graph" };
        for paths in &sets {
            let shown = if paths.len() == 1 {
                paths[0].clone()
            } else {
                format!("{} paths", paths.len())
            };
            println!(
                "select: v6.7..v6.8 -- {} ({}, {label})",
                paths.join(" "),
                tree_label(fx)
            );
            let mut rev_list = vec!["rev-list", "--reverse", "v6.7..v6.8", "--"];
            rev_list.extend(paths.iter().map(String::as_str));
            let mut backport = vec!["backport", "v6.7..v6.8"];
            backport.extend(paths.iter().map(String::as_str));
            backport.extend(["--dry-run", "--format", "json"]);
            // Both must select the same commits, or the timings compare different answers.
            let listed: Vec<String> = git(&dir, &rev_list)?.lines().map(str::to_string).collect();
            let picked = sources(&run_ok(b.pq(&dir).args(&backport), "pq backport --dry-run")?);
            let same = listed == picked;
            if !same {
                mismatches.push(Mismatch(format!(
                    "select -- {shown} ({label}): git lists {} commits, pq {}",
                    listed.len(),
                    picked.len()
                )));
            }
            let (git_t, git_runs) = measure(opts.runs, |_| {
                timed(xtask::git::git(&dir).args(&rev_list), "git rev-list")
            })?;
            let (pq_t, pq_runs) = measure(opts.runs, |_| {
                timed(b.pq(&dir).args(&backport), "pq backport --dry-run")
            })?;
            println!("  git rev-list {} s, pq dry run {} s", both(git_t), both(pq_t));
            rows.push(Row {
                job: "select".into(),
                tree: tree_label(fx),
                clone: if graph {
                    Graph::Bloom.label()
                } else {
                    Graph::Fresh.label()
                },
                what: format!(
                    "`git rev-list --reverse v6.7..v6.8 -- {shown}` vs `pq backport --dry-run --format json`"
                ),
                n: listed.len(),
                git: git_t,
                git_runs,
                pq: pq_t,
                pq_runs,
                note: if same {
                    "same commits; pq's dry run also checks the work tree, plans and picks in memory".into()
                } else {
                    "SELECTIONS DIFFER".into()
                },
            });
        }
    }
    b.remove(&dir);
    Ok(())
}

/// A real repository: `pq init` on a branch with merges and a rebase dry run onto the next release, against
/// `git cherry` (which answers the same question: which of our commits upstream already has).
fn bench_cherry(
    b: &mut Bench,
    opts: &Options,
    rows: &mut Vec<Row>,
    mismatches: &mut Vec<Mismatch>,
) -> Result<(), String> {
    let e = &opts.external;
    let (Some(repo), Some(branch), Some(base), Some(onto)) = (&e.repo, &e.branch, &e.base, &e.onto) else {
        return Err(format!(
            "the cherry job needs --repo, --branch, --base and --onto\n{USAGE}"
        ));
    };
    let name = repo
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = if name == "repo" || name == ".git" {
        repo.parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(name)
    } else {
        name
    };
    b.clones += 1;
    let dir = b.work.join(format!("clone-{}", b.clones));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("removing {}: {e}", dir.display()))?;
    }
    let src = repo.to_string_lossy().into_owned();
    let dst = dir.to_string_lossy().into_owned();
    git(&b.work, &["clone", "-q", "-b", branch, &src, &dst])?;
    settle();
    let merges = git(&dir, &["rev-list", "--count", "--merges", &format!("{base}..HEAD")])?;
    let commits = git(&dir, &["rev-list", "--count", "--no-merges", &format!("{base}..HEAD")])?;
    let n: usize = commits.parse().map_err(|e| format!("rev-list --count: {e}"))?;
    println!("cherry: {name} {branch} ({n} commits, {merges} merges on {base}) onto {onto}");

    let t_init = timed(b.pq(&dir).args(["init", "--base", base]), "pq init")?;
    println!("  pq init {} s", both(t_init));
    let (t_cherry, cherry_runs) = measure(opts.runs, |_| {
        timed(xtask::git::git(&dir).args(["cherry", onto, "HEAD", base]), "git cherry")
    })?;
    let cherry = git(&dir, &["cherry", onto, "HEAD", base])?;
    let equivalent: Vec<&str> = cherry.lines().filter_map(|l| l.strip_prefix("- ")).collect();
    println!(
        "  git cherry {} s ({} of {n} found upstream)",
        both(t_cherry),
        equivalent.len()
    );

    let cache = dir.join(".git/pq/cache");
    let dry = |label: &str, cold: bool| -> Result<(Time, String), String> {
        if cold {
            let _ = std::fs::remove_dir_all(&cache);
        }
        let clock = Clock::start();
        let out = run_ok(
            b.pq(&dir).args(["rebase", onto, "--dry-run", "--format", "json"]),
            "pq rebase --dry-run",
        )?;
        let t = clock.stop();
        println!("  pq rebase --dry-run ({label}) {} s", both(t));
        Ok((t, out))
    };
    let (t_cold, out) = dry("no commit-graph, first run", true)?;
    let (t_warm, _) = dry("no commit-graph, second run", false)?;
    git(&dir, &["commit-graph", "write", "--reachable", "--changed-paths"])?;
    let (t_graph_cold, _) = dry("commit-graph, first run", true)?;
    let (t_graph_warm, _) = dry("commit-graph, second run", false)?;

    // Every commit git cherry finds upstream must be dropped by pq: the dropped lines' commits. (Parsed as
    // JSON: a subject may hold braces, like `NS_GET_{PARENT,USERNS}`.)
    let report: serde_json::Value =
        serde_json::from_str(&out).map_err(|e| format!("pq rebase --dry-run --format json: {e}"))?;
    let dropped: Vec<String> = report["patches"]
        .as_array()
        .ok_or("pq rebase --dry-run --format json: no patches")?
        .iter()
        .filter(|p| p["outcome"] == "dropped")
        .filter_map(|p| p["source"].as_str().map(str::to_string))
        .collect();
    let missed: Vec<&&str> = equivalent
        .iter()
        .filter(|c| !dropped.iter().any(|d| d == **c))
        .collect();
    if !missed.is_empty() {
        mismatches.push(Mismatch(format!(
            "cherry on {name}: pq keeps {} commit(s) git cherry finds upstream: {}",
            missed.len(),
            missed.iter().map(|c| &c[..12]).collect::<Vec<_>>().join(" ")
        )));
    }
    let note = format!(
        "{} merges linearised; pq drops {}, git cherry finds {} upstream{}",
        merges,
        dropped.len(),
        equivalent.len(),
        if missed.is_empty() { "" } else { "; PQ MISSES SOME" }
    );
    let what = |w: &str| format!("`git cherry {onto} HEAD {base}` vs `pq rebase {onto} --dry-run` ({w})");
    for (w, graph, t) in [
        ("cold cache", Graph::Fresh, t_cold),
        ("cached", Graph::Fresh, t_warm),
        ("cold cache", Graph::Bloom, t_graph_cold),
        ("cached", Graph::Bloom, t_graph_warm),
    ] {
        rows.push(Row {
            job: "cherry".into(),
            tree: name.clone(),
            clone: graph.label(),
            what: what(w),
            n,
            git: t_cherry,
            git_runs: cherry_runs,
            pq: t,
            pq_runs: 1,
            note: note.clone(),
        });
    }
    rows.push(Row {
        job: "init".into(),
        tree: name.clone(),
        clone: Graph::Fresh.label(),
        what: format!("`git cherry {onto} HEAD {base}` vs `pq init --base {base}` (on {branch})"),
        n,
        git: t_cherry,
        git_runs: cherry_runs,
        pq: t_init,
        pq_runs: 1,
        note: format!("{merges} merges linearised"),
    });
    if opts.keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// A backport that stops on conflicts, skipped at every stop: git's `cherry-pick -x` loop with `cherry-pick
/// --skip` against `pq backport` with `pq skip`, on fresh clones (no commit-graph), compared pick by pick.
fn bench_stops(
    b: &mut Bench,
    fx: Option<&KernelFixture>,
    opts: &Options,
    rows: &mut Vec<Row>,
    mismatches: &mut Vec<Mismatch>,
) -> Result<(), String> {
    let e = &opts.external;
    let (repo, onto, range, paths, tree) = match (&e.repo, &e.onto, &e.range) {
        (Some(repo), Some(onto), Some(range)) => (
            repo.clone(),
            onto.clone(),
            range.clone(),
            e.paths.clone(),
            // A bare mirror is often `NAME/repo` or `NAME.git`: name it by the directory that says what it is.
            repo.components()
                .rev()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .find(|n| n != "repo" && n != ".git")
                .unwrap_or_default(),
        ),
        _ => {
            let fx = fx.ok_or("the stops job needs the fixture or --repo")?;
            (
                fx.dir.clone(),
                "fedora-6.7".to_string(),
                "v6.7..v6.8".to_string(),
                vec!["lib/zstd".to_string()],
                tree_label(fx),
            )
        }
    };
    let repo = repo.canonicalize().map_err(|e| format!("{}: {e}", repo.display()))?;
    println!("stops: {range} -- {} onto {onto} ({tree})", paths.join(" "));
    let mut last = None;
    let mut git_times = Vec::new();
    let mut pq_times = Vec::new();
    for i in 0..opts.runs {
        b.clones += 1;
        let work = b.work.join(format!("stops-{}", b.clones));
        let c = super::compare::backport_with_stops(&b.pq, &repo, &work, &onto, &range, &paths)?;
        let _ = std::fs::remove_dir_all(&work);
        println!(
            "  run {}: git {} s, pq {} s ({} stops)",
            i + 1,
            both(c.git_time),
            both(c.pq_time),
            c.stops
        );
        git_times.push(c.git_time);
        pq_times.push(c.pq_time);
        let long = c.git_time.wall > LONG_RUN;
        last = Some(c);
        if long {
            break;
        }
    }
    let c = last.expect("at least one run");
    for d in &c.differences {
        mismatches.push(Mismatch(format!("stops on {tree}: {d}")));
    }
    rows.push(Row {
        job: "stops".into(),
        tree,
        clone: Graph::Fresh.label(),
        what: format!(
            "`git cherry-pick -x` per commit + `--skip` at each stop vs `pq backport` + `pq skip` ({range} -- {}, {} stops; fresh clones without a commit-graph)",
            paths.join(" "),
            c.stops
        ),
        n: c.commits,
        git_runs: git_times.len(),
        git: median_time(&git_times),
        pq_runs: pq_times.len(),
        pq: median_time(&pq_times),
        note: if c.differences.is_empty() {
            "same picks, stops and trees".into()
        } else {
            format!("{} PICKS DIFFER", c.differences.len())
        },
    });
    Ok(())
}

fn generate(base: &Path, files: Option<usize>, commits: Option<usize>, large: bool) -> Result<KernelFixture, String> {
    let mut o = if large {
        KernelOptions::large()
    } else {
        KernelOptions::small()
    };
    o.files = files;
    o.commits = commits;
    // The source is only cloned from: no work tree needed.
    o.checkout = None;
    let (f, c) = o.dimensions();
    let dir = base.join(format!("kernel-{f}f-{c}c"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("removing {}: {e}", dir.display()))?;
    }
    print!("generating a {f}-file / {c}-commit fixture... ");
    let _ = std::io::stdout().flush();
    let fx = kernel(&dir, &o).map_err(|e| format!("generating the fixture: {e}"))?;
    println!("{:.1} s", fx.timings.total.as_secs_f64());
    Ok(fx)
}

fn cpu_count() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

pub fn run(args: &[String]) -> Result<(), String> {
    let opts = parse(args)?;
    let root = workspace_root();
    let pq = match &opts.pq {
        Some(bin) => bin
            .canonicalize()
            .map_err(|e| format!("pq binary {}: {e}", bin.display()))?,
        None => super::build_pq_release(&root)?,
    };
    let work = match &opts.keep {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("pq-bench-{}", std::process::id())),
    };
    std::fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;
    let work = work
        .canonicalize()
        .map_err(|e| format!("resolving {}: {e}", work.display()))?;
    let mut b = Bench {
        pq,
        work: work.clone(),
        clones: 0,
    };
    let result = run_jobs(&mut b, &opts);
    if opts.keep.is_none() {
        let _ = std::fs::remove_dir_all(&work);
    } else {
        println!("fixtures kept in {}", work.display());
    }
    result
}

fn run_jobs(b: &mut Bench, opts: &Options) -> Result<(), String> {
    // Jobs on a real repository need no fixture.
    let elsewhere = |j: &String| j == "cherry" || (j == "stops" && opts.external.repo.is_some());
    if opts.jobs.iter().all(elsewhere) {
        let mut rows = Vec::new();
        let mut mismatches = Vec::new();
        for job in &opts.jobs {
            match job.as_str() {
                "cherry" => bench_cherry(b, opts, &mut rows, &mut mismatches)?,
                _ => bench_stops(b, None, opts, &mut rows, &mut mismatches)?,
            }
        }
        return report(b, rows, mismatches);
    }
    let main = generate(&b.work, opts.files, opts.commits, true)?;
    let small = if opts.jobs.iter().any(|j| j == "backport") && opts.small_files > 0 && opts.small_files < main.files {
        Some(generate(&b.work, Some(opts.small_files), opts.commits, true)?)
    } else {
        None
    };
    let mut rows = Vec::new();
    let mut mismatches = Vec::new();
    for job in &opts.jobs {
        match job.as_str() {
            "backport" => {
                for &graph in &opts.graphs {
                    if let Some(s) = &small {
                        bench_backport(b, s, opts, &mut rows, &mut mismatches, graph)?;
                    }
                    bench_backport(b, &main, opts, &mut rows, &mut mismatches, graph)?;
                }
            }
            "rebase" => {
                for &graph in &opts.graphs {
                    bench_rebase(b, &main, opts, &mut rows, &mut mismatches, ("v6.7.2", None), graph)?;
                }
            }
            "rebase-major" => {
                for &graph in &opts.graphs {
                    bench_rebase(b, &main, opts, &mut rows, &mut mismatches, ("v6.8", Some(1)), graph)?;
                }
            }
            "select" => bench_select(b, &main, opts, &mut rows, &mut mismatches)?,
            "drop" => bench_drop(b, &main, opts, &mut rows, &mut mismatches)?,
            "interop" => bench_interop(b, &main, opts, &mut rows, &mut mismatches)?,
            "bump" => bench_bump(b, &main, opts, &mut rows, &mut mismatches)?,
            "fixes" => bench_fixes(b, opts, &mut rows)?,
            "cherry" => bench_cherry(b, opts, &mut rows, &mut mismatches)?,
            "stops" => bench_stops(b, Some(&main), opts, &mut rows, &mut mismatches)?,
            _ => unreachable!("parsed"),
        }
    }
    report(b, rows, mismatches)
}

fn report(b: &Bench, rows: Vec<Row>, mismatches: Vec<Mismatch>) -> Result<(), String> {
    let git_version = git(&b.work, &["--version"])?;
    let machine = format!(
        "{} CPU(s), {}; {}; wall and CPU (user + system) times of whole commands, each on a fresh clone, as cloned (\"fresh\": no commit-graph) or with a commit-graph with changed-path Bloom filters",
        cpu_count(),
        cpu_model(),
        git_version
    );
    let mut md = String::new();
    md.push_str(HEADER);
    md.push('\n');
    for r in &rows {
        md.push_str(&r.markdown());
        md.push('\n');
    }
    md.push_str(&format!("\nMachine: {machine}.\n"));
    md.push_str(&format!(
        "A git measurement over {} s is taken once (\"1 run\"); others are the median of the runs shown.\n",
        LONG_RUN.as_secs()
    ));
    println!("\n{md}");
    let out_dir = workspace_root().join("target/bench");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("creating {}: {e}", out_dir.display()))?;
    let out = out_dir.join("results.md");
    std::fs::write(&out, &md).map_err(|e| format!("writing {}: {e}", out.display()))?;
    println!("written to {}", out.display());
    if !mismatches.is_empty() {
        for m in &mismatches {
            eprintln!("!!! MISMATCH: {}", m.0);
        }
        return Err(format!(
            "{} result(s) differ between git and pq: the timings above compare different answers",
            mismatches.len()
        ));
    }
    Ok(())
}

/// `pq bump` over three branches on v6.7.1 (`fedora-6.7`, checked out, `fedora-6.7-stack` and a copy of it)
/// against three `git rebase --onto v6.7.2 v6.7.1 BRANCH` runs, the checked-out branch last so that both
/// end on it. Every branch's tree must agree.
fn bench_bump(
    b: &mut Bench,
    fx: &KernelFixture,
    opts: &Options,
    rows: &mut Vec<Row>,
    mismatches: &mut Vec<Mismatch>,
) -> Result<(), String> {
    let current = "fedora-6.7";
    let others = [fx.stack_branch.as_str(), "fedora-6.7-copy"];
    let all = [others[0], others[1], current];
    println!("bump: {} onto v6.7.2 ({})", all.join(", "), tree_label(fx));
    let prepare = |b: &mut Bench| -> Result<PathBuf, String> {
        let dir = b.clone(fx, current)?;
        git(&dir, &["branch", "-q", "fedora-6.7-copy", others[0]])?;
        Ok(dir)
    };
    let n: usize = {
        let dir = prepare(b)?;
        let mut n = 0;
        for br in all {
            n += git(&dir, &["rev-list", "--count", &format!("v6.7.1..{br}")])?
                .trim()
                .parse::<usize>()
                .map_err(|e| e.to_string())?;
        }
        b.remove(&dir);
        n
    };
    let mut git_trees = Vec::new();
    let (git_t, git_runs) = measure(opts.runs, |i| {
        let dir = prepare(b)?;
        let clock = Clock::start();
        for br in all {
            run_ok(
                xtask::git::git(&dir).args(["rebase", "-q", "--onto", "v6.7.2", "v6.7.1", br]),
                "git rebase",
            )?;
        }
        let t = clock.stop();
        git_trees = all.iter().map(|br| tree_of(&dir, br)).collect::<Result<_, _>>()?;
        println!("  3 × git rebase run {}: {} s", i + 1, both(t));
        b.remove(&dir);
        Ok(t)
    })?;
    let mut pq_trees = Vec::new();
    let (pq_t, pq_runs) = measure(opts.runs, |i| {
        let dir = prepare(b)?;
        for br in others {
            git(&dir, &["switch", "-q", br])?;
            b.pq_init(&dir, "v6.7.1")?;
        }
        git(&dir, &["switch", "-q", current])?;
        b.pq_init(&dir, "v6.7.1")?;
        let t = timed(b.pq(&dir).args(["bump", others[0], others[1], current]), "pq bump")?;
        pq_trees = all.iter().map(|br| tree_of(&dir, br)).collect::<Result<_, _>>()?;
        println!("  pq bump run {}: {} s", i + 1, both(t));
        b.remove(&dir);
        Ok(t)
    })?;
    let same = git_trees == pq_trees;
    if !same {
        mismatches.push(Mismatch(format!(
            "bump on {}: git rebase's trees {git_trees:?} != pq's {pq_trees:?}",
            tree_label(fx)
        )));
    }
    rows.push(Row {
        job: "bump (3 branches)".into(),
        tree: tree_label(fx),
        clone: Graph::Bloom.label(),
        what: "3 × `git rebase --onto v6.7.2 v6.7.1 BRANCH` vs `pq bump B1 B2 B3`".into(),
        n,
        git: git_t,
        git_runs,
        pq: pq_t,
        pq_runs,
        note: if same {
            "same trees on all three branches".into()
        } else {
            "TREES DIFFER".into()
        },
    });
    Ok(())
}

/// `pq fixes` on the real xfsprogs history (the corpus bundle): a branch on v6.1.0 carrying the clean
/// picks of `pq backport v6.3.0..v6.5.0 libxfs`, follow-ups looked for up to v6.5.0; against the loop
/// chkfix-style scripts run, one `git log --grep` over the same range per carried commit (for its own id
/// and each upstream id its message records).
fn bench_fixes(b: &mut Bench, opts: &Options, rows: &mut Vec<Row>) -> Result<(), String> {
    let bundle = xtask::oracle::corpus_file("xfsprogs.bundle");
    let dir = b.work.join("xfsprogs");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("removing {}: {e}", dir.display()))?;
    }
    git(
        &b.work,
        &["clone", "-q", &bundle.to_string_lossy(), &dir.to_string_lossy()],
    )?;
    git(&dir, &["checkout", "-q", "-b", "stable-6.1", "v6.1.0"])?;
    b.pq_init(&dir, "v6.1.0")?;
    // The clean picks: skip every conflict.
    let mut status = b
        .pq(&dir)
        .args(["backport", "v6.3.0..v6.5.0", "libxfs"])
        .output()
        .map_err(|e| format!("pq backport: {e}"))?
        .status;
    while status.code() == Some(1) {
        status = b
            .pq(&dir)
            .arg("skip")
            .output()
            .map_err(|e| format!("pq skip: {e}"))?
            .status;
    }
    if !status.success() {
        return Err("pq backport on xfsprogs failed".into());
    }
    git(&dir, &["commit-graph", "write", "--reachable", "--changed-paths"])?;
    let range = "v6.1.0..v6.5.0";
    // The ids the loop greps for: each carried commit and the upstream ids its message records.
    let mut ids: Vec<String> = Vec::new();
    for c in git(&dir, &["rev-list", "v6.1.0..HEAD"])?.lines() {
        ids.push(c.to_string());
        for l in git(&dir, &["log", "-1", "--format=%B", c])?.lines() {
            let l = l.trim();
            for (pre, post) in [("(cherry picked from commit ", ")"), ("Source kernel commit: ", "")] {
                if let Some(id) = l.strip_prefix(pre).and_then(|s| s.strip_suffix(post)) {
                    ids.push(id.to_string());
                }
            }
        }
    }
    println!(
        "fixes: xfsprogs stable-6.1 ({} carried ids), follow-ups in {range}",
        ids.len()
    );
    let mut loop_found: std::collections::BTreeSet<String> = Default::default();
    let (git_t, git_runs) = measure(opts.runs, |_| {
        let clock = Clock::start();
        for id in &ids {
            let out = git(
                &dir,
                &[
                    "log",
                    "--format=%H",
                    "-i",
                    &format!("--grep=^fixes: *{}", &id[..12]),
                    range,
                ],
            )?;
            loop_found.extend(out.lines().map(str::to_string));
        }
        Ok(clock.stop())
    })?;
    let mut pq_json = String::new();
    let (pq_t, pq_runs) = measure(opts.runs, |_| {
        let clock = Clock::start();
        pq_json = run_ok(
            b.pq(&dir).args(["fixes", "--upstream", "v6.5.0", "--format", "json"]),
            "pq fixes",
        )?;
        Ok(clock.stop())
    })?;
    let v: serde_json::Value = serde_json::from_str(&pq_json).map_err(|e| format!("pq fixes json: {e}"))?;
    let fixes = v["fixes"].as_array().cloned().unwrap_or_default();
    let of_carried: std::collections::BTreeSet<String> = fixes
        .iter()
        .filter(|f| !f["carried_patch"].is_null())
        .filter_map(|f| f["commit"].as_str().map(str::to_string))
        .collect();
    let in_base = fixes.iter().filter(|f| f["in_base"] == true).count();
    println!(
        "  git loop {} s ({} ids), pq fixes {} s: pq {} follow-ups ({} of carried patches, {in_base} of base commits), the loop's grep {}",
        both(git_t),
        ids.len(),
        both(pq_t),
        fixes.len(),
        of_carried.len(),
        loop_found.len()
    );
    let missed: Vec<&String> = loop_found.difference(&of_carried).collect();
    rows.push(Row {
        job: "fixes".into(),
        tree: "xfsprogs".into(),
        clone: Graph::Bloom.label(),
        what: format!("{} × `git log -i --grep='^fixes: ID' {range}` vs `pq fixes --upstream v6.5.0`", ids.len()),
        n: ids.len(),
        git: git_t,
        git_runs,
        pq: pq_t,
        pq_runs,
        note: format!(
            "pq: {} follow-ups ({} of carried patches, {in_base} of base bugs, which the loop cannot see); the loop: {} commits{}",
            fixes.len(),
            of_carried.len(),
            loop_found.len(),
            if missed.is_empty() {
                ", all among pq's".to_string()
            } else {
                format!(", {} not among pq's (carried already)", missed.len())
            }
        ),
    });
    Ok(())
}

/// A row's note on whether git and pq ended on the same tree.
fn tree_note(same: bool) -> String {
    if same { "same tree" } else { "TREES DIFFER" }.into()
}
