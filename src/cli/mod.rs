//! The command line: clap definitions (one file per command), rendering as text or JSON, exit statuses.
//! Exit status: 0 done, 1 stopped at a conflict awaiting the user, 2 bad usage or input, 3 an internal or
//! repository error, 4 done but a follow-up step failed (the error kind decides: [`crate::error::Kind`]).

mod abort;
mod adopt;
mod backport;
mod completions;
mod continue_;
mod export;
mod fixes;
mod import;
mod init;
mod log;
mod output;
pub mod paths;
mod range_diff;
mod rebase;
mod redo;
mod release;
mod series;
mod skip;
mod srpm;
mod status;
mod undo;

mod drop;
mod edit;
mod move_;
mod queue;
mod reword;

mod bump;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

pub use output::Output;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
    // Patch formats, for `pq export` and `pq import` (which also take text or json for their report).
    Quilt,
    Debian,
    Suse,
    Spec,
    Mbox,
}

impl Format {
    /// The patch format this names, if it is one.
    pub fn patches(self) -> Option<crate::interop::Format> {
        use crate::interop::Format as F;
        match self {
            Format::Text | Format::Json => None,
            Format::Quilt => Some(F::Quilt),
            Format::Debian => Some(F::Debian),
            Format::Suse => Some(F::Suse),
            Format::Spec => Some(F::Spec),
            Format::Mbox => Some(F::Mbox),
        }
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "pq",
    version,
    about = "A source-git patch queue manager for distribution kernels",
    long_about = "pq keeps a distribution kernel branch as an upstream base plus ordered, named patch series, \
and does the long-haul jobs on it: backporting upstream commits by path, rebasing every series onto a new \
stable release, and cutting releases with changelogs.",
    after_help = "Examples:\n  pq init --base v6.7.1\n  pq backport v6.7..v6.8 lib/zstd\n  pq rebase v6.7.2 --dry-run\n  pq status --format json"
)]
pub struct Cli {
    /// Run as if pq was started in DIR (like git -C)
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Output format: text or json (export and import also take a patch format here; give --format twice
    /// for both, e.g. `--format debian --format json`)
    #[arg(long, global = true, value_enum, action = clap::ArgAction::Append)]
    pub format: Vec<Format>,
    /// Print diagnostics (repeat for more)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    Init(init::Args),
    Adopt(adopt::Args),
    Status(status::Args),
    Series(series::Args),
    Backport(backport::Args),
    Rebase(rebase::Args),
    RangeDiff(range_diff::Args),
    Release(release::Args),
    Srpm(srpm::Args),
    Continue(continue_::Args),
    Skip(skip::Args),
    Abort(abort::Args),
    Undo(undo::Args),
    Log(log::Args),
    Redo(redo::Args),
    Completions(completions::Args),
    Move(move_::Args),
    Drop(drop::Args),
    Reword(reword::Args),
    Edit(edit::Args),
    Export(export::Args),
    Import(import::Args),
    Fixes(fixes::Args),
    Bump(bump::Args),
}

pub use crate::error::{EXIT_FAILURE, EXIT_FOLLOW_UP, EXIT_OK, EXIT_STOPPED, EXIT_USAGE};

/// The command line as the user typed it, for reflogs and the operation log.
fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = vec!["pq".to_string()];
    for a in args {
        if a.contains(' ') {
            out.push(format!("'{a}'"));
        } else {
            out.push(a);
        }
    }
    out.join(" ")
}

pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    let filter = match cli.verbose {
        0 => "warn",
        1 => "pq=debug",
        _ => "debug",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("PQ_LOG").unwrap_or_else(|_| filter.into()))
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
    let dir = cli.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let out_format = if cli.format.contains(&Format::Json) {
        Format::Json
    } else {
        Format::Text
    };
    let mut out = Output::new(out_format);
    out.verbose = cli.verbose;
    let patch_format = cli.format.iter().find_map(|f| f.patches());
    if patch_format.is_some() && !matches!(cli.command, Command::Export(_) | Command::Import(_)) {
        out.error(
            &crate::Error::input(
                "a patch format (quilt, debian, suse, spec, mbox) applies only to pq export and pq import",
            )
            .hint("use --format text or --format json"),
        );
        return EXIT_USAGE;
    }
    let cmd = command_line();
    // Commands that change the repository handle Ctrl-C at safe points; the others just end.
    let reads_only = matches!(
        cli.command,
        Command::Status(_)
            | Command::Series(_)
            | Command::RangeDiff(_)
            | Command::Log(_)
            | Command::Srpm(_)
            | Command::Export(_)
            | Command::Completions(_)
    );
    if !reads_only {
        crate::interrupt::install();
    }
    let result = match &cli.command {
        Command::Init(a) => init::run(&dir, a, &out, &cmd),
        Command::Adopt(a) => adopt::run(&dir, a, &out, &cmd),
        Command::Status(a) => status::run(&dir, a, &out),
        Command::Series(a) => series::run(&dir, a, &out, &cmd),
        Command::Backport(a) => backport::run(&dir, a, &out, &cmd),
        Command::Rebase(a) => rebase::run(&dir, a, &out, &cmd),
        Command::RangeDiff(a) => range_diff::run(&dir, a, &out),
        Command::Release(a) => release::run(&dir, a, &out, &cmd),
        Command::Srpm(a) => srpm::run(&dir, a, &out),
        Command::Continue(a) => continue_::run(&dir, a, &out),
        Command::Skip(a) => skip::run(&dir, a, &out),
        Command::Abort(a) => abort::run(&dir, a, &out),
        Command::Undo(a) => undo::run(&dir, a, &out, &cmd),
        Command::Log(a) => log::run(&dir, a, &out),
        Command::Redo(a) => redo::run(&dir, a, &out, &cmd),
        Command::Completions(a) => completions::run(a),
        Command::Move(a) => move_::run(&dir, a, &out, &cmd),
        Command::Drop(a) => drop::run(&dir, a, &out, &cmd),
        Command::Reword(a) => reword::run(&dir, a, &out, &cmd),
        Command::Edit(a) => edit::run(&dir, a, &out, &cmd),
        Command::Export(a) => export::run(&dir, a, patch_format, &out),
        Command::Import(a) => import::run(&dir, a, patch_format, &out, &cmd),
        Command::Fixes(a) => fixes::run(&dir, a, &out, &cmd),
        Command::Bump(a) => bump::run(&dir, a, &out, &cmd),
    };
    match result {
        Ok(_) if crate::interrupt::requested() => {
            eprintln!("pq: {}", crate::interrupt::finished_anyway());
            crate::interrupt::exit_status()
        }
        Ok(code) => code,
        Err(e) if e.kind == crate::error::Kind::Interrupted || crate::interrupt::requested() => {
            out.error(&e);
            crate::interrupt::exit_status()
        }
        Err(e) => {
            out.error(&e);
            e.exit_code()
        }
    }
}
