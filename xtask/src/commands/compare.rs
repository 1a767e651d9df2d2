//! `cargo xtask compare-picks --repo PATH --onto REV [--pq BIN] [--keep DIR] RANGE [-- PATHS...]`
//!
//! A backport done twice on fresh clones of a real repository: once by git's own loop (`git cherry-pick -x`
//! for each commit of `git rev-list --reverse RANGE -- PATHS`, `git cherry-pick --skip` at every stop) and
//! once by pq (`pq backport RANGE PATHS`, `pq skip` at every stop). It reports, pick by pick, whether both
//! stopped on the same commits and made the same trees, and the wall time of each whole run. Nothing of the
//! repository is kept unless `--keep` names a directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::clock::{Clock, Time};
use super::{build_pq_release, workspace_root};

const USAGE: &str =
    "usage: cargo xtask compare-picks --repo PATH --onto REV [--pq BIN] [--keep DIR] RANGE [-- PATHS...]

  --repo PATH   repository to clone (never modified)
  --onto REV    where the branch starts (a tag or commit of that repository)
  --pq BIN      use this pq binary instead of building target/release/pq
  --keep DIR    make the clones in DIR and keep them (default: a temporary directory, removed at the end)

example: cargo xtask compare-picks --repo /tmp/curl --onto curl-8_5_0 curl-8_6_0..curl-8_12_0 -- lib/vtls";

struct Options {
    repo: PathBuf,
    onto: String,
    range: String,
    paths: Vec<String>,
    pq: Option<PathBuf>,
    keep: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let (mut repo, mut onto, mut range, mut pq, mut keep) = (None, None, None, None, None);
    let mut paths = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let mut value = || {
            i += 1;
            args.get(i)
                .cloned()
                .ok_or_else(|| format!("{a} needs a value\n{USAGE}"))
        };
        match a {
            "--repo" => repo = Some(PathBuf::from(value()?)),
            "--onto" => onto = Some(value()?),
            "--pq" => pq = Some(PathBuf::from(value()?)),
            "--keep" => keep = Some(PathBuf::from(value()?)),
            "--" => {
                paths.extend(args[i + 1..].iter().cloned());
                break;
            }
            "-h" | "--help" => return Err(USAGE.into()),
            _ if a.starts_with('-') => return Err(format!("unexpected option {a:?}\n{USAGE}")),
            _ if range.is_none() => range = Some(a.to_string()),
            _ => paths.push(a.to_string()),
        }
        i += 1;
    }
    Ok(Options {
        repo: repo.ok_or_else(|| format!("--repo is required\n{USAGE}"))?,
        onto: onto.ok_or_else(|| format!("--onto is required\n{USAGE}"))?,
        range: range.ok_or_else(|| format!("a RANGE is required\n{USAGE}"))?,
        paths,
        pq,
        keep,
    })
}

fn output(cmd: &mut Command, what: &str) -> Result<Output, String> {
    cmd.stdin(Stdio::null()).output().map_err(|e| format!("{what}: {e}"))
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = output(xtask::git::git(dir).args(args), "git")?;
    if !out.status.success() {
        return Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

/// What became of one upstream commit.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pick {
    /// Committed, with this tree.
    Applied(String),
    /// Stopped on a conflict (then skipped).
    Stopped,
    /// Nothing committed and no stop: already there (pq), or an empty pick git skipped.
    Nothing,
}

impl Pick {
    fn word(&self) -> &'static str {
        match self {
            Pick::Applied(_) => "applied",
            Pick::Stopped => "stopped",
            Pick::Nothing => "nothing",
        }
    }
}

fn clone(src: &Path, dst: &Path, onto: &str) -> Result<(), String> {
    let (s, d) = (src.to_string_lossy(), dst.to_string_lossy());
    git(Path::new("."), &["clone", "-q", "--no-checkout", &s, &d])?;
    git(dst, &["checkout", "-q", "-b", "compare", onto])?;
    // A local clone copies the source's commit-graph; a fresh clone over the network has none.
    let info = dst.join(".git/objects/info");
    let _ = std::fs::remove_file(info.join("commit-graph"));
    let _ = std::fs::remove_dir_all(info.join("commit-graphs"));
    Ok(())
}

/// Upstream commit → what each `(cherry picked from commit X)` commit on `onto..HEAD` holds.
fn picked_trees(dir: &Path, onto: &str) -> Result<HashMap<String, String>, String> {
    let log = git(dir, &["log", "--format=%T %B%x00", &format!("{onto}..HEAD")])?;
    let mut out = HashMap::new();
    for record in log.split('\0') {
        let record = record.trim_start();
        let Some((tree, body)) = record.split_once(' ') else {
            continue;
        };
        for line in body.lines() {
            if let Some(rest) = line.strip_prefix("(cherry picked from commit ") {
                out.insert(rest.trim_end_matches(')').to_string(), tree.to_string());
            }
        }
    }
    Ok(out)
}

fn git_loop(dir: &Path, commits: &[String]) -> Result<(HashMap<String, Pick>, Time), String> {
    let mut result = HashMap::new();
    let clock = Clock::start();
    for c in commits {
        let out = output(xtask::git::git(dir).args(["cherry-pick", "-x", c]), "git cherry-pick")?;
        if out.status.success() {
            result.insert(c.clone(), Pick::Applied(git(dir, &["rev-parse", "HEAD^{tree}"])?));
            continue;
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        // An empty pick (the change is already there) also stops git; pq passes over it without stopping.
        let empty = stderr.contains("now empty") || stderr.contains("nothing to commit");
        result.insert(c.clone(), if empty { Pick::Nothing } else { Pick::Stopped });
        git(dir, &["cherry-pick", "--skip"])?;
    }
    Ok((result, clock.stop()))
}

struct PqRun {
    picks: HashMap<String, Pick>,
    total: Time,
    skips: Vec<Duration>,
}

fn pq_loop(pq: &Path, dir: &Path, o: &Options, commits: &[String]) -> Result<PqRun, String> {
    let cmd = |args: &[&str]| {
        let mut c = Command::new(pq);
        xtask::git::hermetic(&mut c);
        c.current_dir(dir).args(args);
        c
    };
    let init = output(&mut cmd(&["init", "--base", &o.onto]), "pq init")?;
    if !init.status.success() {
        return Err(format!("pq init failed: {}", String::from_utf8_lossy(&init.stderr)));
    }
    let mut stops = Vec::new();
    let mut skips = Vec::new();
    let mut args = vec!["backport", o.range.as_str()];
    args.extend(o.paths.iter().map(String::as_str));
    let clock = Clock::start();
    let mut out = output(&mut cmd(&args), "pq backport")?;
    loop {
        match out.status.code() {
            Some(0) => break,
            Some(1) => {
                let head = std::fs::read_to_string(dir.join(".git/CHERRY_PICK_HEAD"))
                    .map_err(|e| format!("pq stopped without CHERRY_PICK_HEAD: {e}"))?;
                stops.push(head.trim().to_string());
                let t = Instant::now();
                out = output(&mut cmd(&["skip"]), "pq skip")?;
                skips.push(t.elapsed());
            }
            _ => return Err(format!("pq failed: {}", String::from_utf8_lossy(&out.stderr))),
        }
    }
    let total = clock.stop();
    let trees = picked_trees(dir, &o.onto)?;
    let mut picks = HashMap::new();
    for c in commits {
        let pick = if stops.contains(c) {
            Pick::Stopped
        } else if let Some(t) = trees.get(c) {
            Pick::Applied(t.clone())
        } else {
            Pick::Nothing
        };
        picks.insert(c.clone(), pick);
    }
    Ok(PqRun { picks, total, skips })
}

pub fn run(args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    let pq = match &o.pq {
        Some(p) => p.clone(),
        None => build_pq_release(&workspace_root())?,
    };
    // pq runs inside the clones: a relative path would no longer name it there.
    let pq = std::fs::canonicalize(&pq).map_err(|e| format!("{}: {e}", pq.display()))?;
    let repo = std::fs::canonicalize(&o.repo).map_err(|e| format!("{}: {e}", o.repo.display()))?;
    let work = match &o.keep {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("pq-compare-{}", std::process::id())),
    };
    if work.exists() {
        std::fs::remove_dir_all(&work).map_err(|e| format!("removing {}: {e}", work.display()))?;
    }
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let result = compare(&pq, &repo, &work, &o);
    if o.keep.is_none() {
        let _ = std::fs::remove_dir_all(&work);
    }
    result
}

/// A backport with its stops done both ways on fresh clones of `repo` in `work`.
pub struct Comparison {
    pub commits: usize,
    pub git_time: Time,
    pub pq_time: Time,
    pub skips: Vec<Duration>,
    pub stops: usize,
    /// Picks with the same outcome (and the same tree when applied) both ways, and the others, described.
    pub same: usize,
    pub differences: Vec<String>,
    pub counts: Vec<((&'static str, &'static str), usize)>,
}

/// Run git's cherry-pick loop and pq's backport (skipping at every stop on both sides) on two fresh clones
/// of `repo` branched at `onto`, and compare them pick by pick.
pub fn backport_with_stops(
    pq: &Path,
    repo: &Path,
    work: &Path,
    onto: &str,
    range: &str,
    paths: &[String],
) -> Result<Comparison, String> {
    let o = Options {
        repo: repo.to_path_buf(),
        onto: onto.to_string(),
        range: range.to_string(),
        paths: paths.to_vec(),
        pq: None,
        keep: None,
    };
    let (gdir, pdir) = (work.join("git"), work.join("pq"));
    clone(repo, &gdir, &o.onto)?;
    clone(repo, &pdir, &o.onto)?;
    let mut rev_list = vec!["rev-list", "--reverse", "--no-merges", o.range.as_str(), "--"];
    rev_list.extend(o.paths.iter().map(String::as_str));
    let listed = git(&gdir, &rev_list)?;
    let commits: Vec<String> = listed.lines().map(str::to_string).collect();
    let (git_picks, git_time) = git_loop(&gdir, &commits)?;
    let pq_run = pq_loop(pq, &pdir, &o, &commits)?;
    let (mut same, mut differences) = (0, Vec::new());
    let mut counts: HashMap<(&str, &str), usize> = HashMap::new();
    for c in &commits {
        let (g, p) = (&git_picks[c], &pq_run.picks[c]);
        *counts.entry((g.word(), p.word())).or_default() += 1;
        if g == p {
            same += 1;
            continue;
        }
        let subject = git(&gdir, &["log", "-1", "--format=%s", c])?;
        let mut d = format!("{} git {} pq {}  {}", &c[..12], g.word(), p.word(), subject);
        if let (Pick::Applied(_), Pick::Applied(_)) = (g, p) {
            d.push_str(" (different trees)");
        }
        differences.push(d);
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort();
    Ok(Comparison {
        commits: commits.len(),
        git_time,
        pq_time: pq_run.total,
        stops: pq_run.skips.len(),
        skips: pq_run.skips,
        same,
        differences,
        counts,
    })
}

fn compare(pq: &Path, repo: &Path, work: &Path, o: &Options) -> Result<(), String> {
    println!("{} -- {} onto {}", o.range, o.paths.join(" "), o.onto);
    let c = backport_with_stops(pq, repo, work, &o.onto, &o.range, &o.paths)?;
    println!("{} commits", c.commits);
    println!(
        "git cherry-pick -x loop: {:.2} s (CPU {:.2} s)",
        c.git_time.wall.as_secs_f64(),
        c.git_time.cpu.as_secs_f64()
    );
    println!(
        "pq backport + pq skip:   {:.2} s (CPU {:.2} s; {} skips, mean {:.3} s, max {:.3} s)",
        c.pq_time.wall.as_secs_f64(),
        c.pq_time.cpu.as_secs_f64(),
        c.skips.len(),
        mean(&c.skips),
        c.skips.iter().max().copied().unwrap_or_default().as_secs_f64()
    );
    for d in &c.differences {
        println!("  DIFF {d}");
    }
    for ((g, p), n) in &c.counts {
        println!("  git {g:8} pq {p:8} {n:5}");
    }
    println!(
        "{} same, {} different; git {:.2} s, pq {:.2} s ({:.1}x)",
        c.same,
        c.differences.len(),
        c.git_time.wall.as_secs_f64(),
        c.pq_time.wall.as_secs_f64(),
        c.git_time.wall.as_secs_f64() / c.pq_time.wall.as_secs_f64().max(1e-9)
    );
    if !c.differences.is_empty() {
        return Err(format!("{} picks differ", c.differences.len()));
    }
    Ok(())
}

fn mean(v: &[Duration]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.iter().map(Duration::as_secs_f64).sum::<f64>() / v.len() as f64
}
