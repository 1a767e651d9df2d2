use clap::CommandFactory;

use crate::cli::{Cli, EXIT_OK};

/// Print shell completions
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  pq completions bash > /etc/bash_completion.d/pq")]
pub struct Args {
    /// The shell
    pub shell: clap_complete::Shell,
}

pub fn run(a: &Args) -> crate::Result<i32> {
    clap_complete::generate(a.shell, &mut Cli::command(), "pq", &mut std::io::stdout());
    Ok(EXIT_OK)
}
