//! Rendering: text for people, JSON for CI, errors as one line plus a hint, progress bars only on a terminal.

use crate::git::short;
use std::io::IsTerminal;

use serde::Serialize;

use super::Format;
use crate::engine::replay::{Outcome, ReportLine};
use crate::error::Error;

pub struct Output {
    pub format: Format,
    /// `-v` count: with one or more, errors show the chain of causes underneath.
    pub verbose: u8,
}

impl Output {
    pub fn new(format: Format) -> Output {
        Output { format, verbose: 0 }
    }
    pub fn json(&self) -> bool {
        self.format == Format::Json
    }
    pub fn print_json<T: Serialize>(&self, value: &T) {
        println!("{}", serde_json::to_string_pretty(value).expect("serializes"));
    }
    pub fn error(&self, e: &Error) {
        if self.json() {
            let v = serde_json::json!({
                "error": e.message,
                "hint": e.hints.first(),
                "hints": e.hints,
                "causes": e.causes(),
                "exit": e.exit_code(),
            });
            println!("{}", serde_json::to_string_pretty(&v).expect("serializes"));
        }
        eprintln!("error: {}", e.message);
        if self.verbose > 0 {
            for cause in e.causes() {
                eprintln!("caused by: {cause}");
            }
        }
        for h in &e.hints {
            eprintln!("hint: {h}");
        }
    }
    /// Progress bars on stderr for the long phases when it is a terminal and the output is for people;
    /// silent otherwise (piped, redirected, `--format json`).
    pub fn progress(&self) -> crate::progress::Sink {
        if !self.json() && std::io::stderr().is_terminal() {
            std::sync::Arc::new(Bars::default())
        } else {
            crate::progress::silent()
        }
    }
}

/// One indicatif bar per phase, drawn on stderr and cleared when the phase ends.
#[derive(Default)]
pub struct Bars {
    current: std::sync::Mutex<Option<indicatif::ProgressBar>>,
}

impl crate::progress::Progress for Bars {
    fn start(&self, phase: crate::progress::Phase, total: Option<u64>) {
        let bar = match total {
            Some(n) => {
                let b = indicatif::ProgressBar::new(n);
                b.set_style(
                    indicatif::ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} {elapsed}")
                        .expect("template")
                        .progress_chars("=> "),
                );
                b
            }
            None => {
                let b = indicatif::ProgressBar::new_spinner();
                b.set_style(
                    indicatif::ProgressStyle::with_template("{msg:>10} {spinner} {pos} {elapsed}").expect("template"),
                );
                b
            }
        };
        bar.set_message(phase.label());
        bar.tick();
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = current.replace(bar) {
            old.finish_and_clear();
        }
    }
    fn set(&self, done: u64) {
        if let Some(b) = self.current.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            b.set_position(done);
        }
    }
    fn finish(&self) {
        if let Some(b) = self.current.lock().unwrap_or_else(|e| e.into_inner()).take() {
            b.finish_and_clear();
        }
    }
}

pub fn outcome_word(o: Outcome, dry_run: bool) -> &'static str {
    match (o, dry_run) {
        (Outcome::Applied, true) => "would apply",
        (Outcome::Applied, false) => "applied",
        (Outcome::Resolved, _) => "resolved",
        (Outcome::Present, _) => "present",
        (Outcome::Dropped, true) => "would drop",
        (Outcome::Dropped, false) => "dropped",
        (Outcome::Conflict, _) => "conflict",
        (Outcome::Blocked, _) => "blocked",
        (Outcome::Skipped, _) => "skipped",
        (Outcome::Declined, _) => "declined",
    }
}

/// One line per reported step: `applied   1234567890ab zstd: subject`, with the reason or paths after.
pub fn render_lines(lines: &[ReportLine], dry_run: bool) -> String {
    let mut s = String::new();
    for l in lines {
        let word = outcome_word(l.outcome, dry_run);
        s.push_str(&format!("{word:<11} {} {}", short(&l.source), l.subject));
        if let Some(r) = &l.reason {
            s.push_str(&format!(" ({r})"));
        }
        if !l.paths.is_empty() && matches!(l.outcome, Outcome::Conflict | Outcome::Blocked) {
            s.push_str(&format!(" [{}]", l.paths.join(", ")));
        }
        s.push('\n');
    }
    s
}

/// The message printed at a conflict stop, naming the next commands.
pub fn render_stop(op: &str, info: &crate::ops::StopInfo) -> String {
    format!(
        "{op} stopped: {} {} does not apply cleanly (series {})\nconflicts in:\n{}\
resolve the conflicts, `git add` the files, then run `pq continue`;\nor drop this patch with `pq skip`, or undo the whole {op} with `pq abort`.\n",
        short(&info.source),
        info.subject,
        info.series,
        info.paths.iter().map(|p| format!("  {p}\n")).collect::<String>(),
    )
}

/// The prerequisites named at a stop, under it: the upstream commits the branch lacks that last changed
/// the conflicting lines, oldest first. Empty when there are none.
pub fn render_prerequisites(list: &[crate::ops::prereqs::Prerequisite]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let mut s = String::from("upstream commits the branch lacks that last changed these lines (oldest first):\n");
    for p in list {
        s.push_str(&format!("  {} {}\n", short(&p.commit), p.subject));
    }
    s
}
