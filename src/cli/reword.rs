use std::path::Path;

use crate::cli::Output;
use crate::error::Error;
use crate::ops::reword::{cleanup, current, reword};

/// Give a patch a new message, replaying the patches above it
#[derive(clap::Args, Debug)]
#[command(
    after_help = "PATCH is a commit id on the branch (abbreviated or not) or SERIES:N, numbered from 1.\n\
Without -m the message opens in your editor (GIT_EDITOR, core.editor, VISUAL, EDITOR, as git chooses).\n\n\
Examples:\n  pq reword local:2\n  pq reword 1a2b3c4d -m 'zstd: fix the window size check'"
)]
pub struct Args {
    /// The patch to reword
    #[arg(value_name = "PATCH")]
    pub patch: String,
    /// The new message (paragraphs of several -m are joined by blank lines, as `git commit` does)
    #[arg(short = 'm', long = "message", value_name = "MSG")]
    pub message: Vec<String>,
}

pub fn run(dir: &Path, a: &Args, out: &Output, cmd: &str) -> crate::Result<i32> {
    let (id, message) = if a.message.is_empty() {
        let (id, old) = current(dir, &a.patch)?;
        (id, edit_message(dir, &old)?)
    } else {
        (a.patch.clone(), cleanup(a.message.join("\n\n").as_bytes(), None))
    };
    let r = reword(dir, &id, &message, cmd)?;
    super::queue::report(out, &r, &format!("reworded {}", a.patch))
}

/// The editor git would use: GIT_EDITOR, core.editor, VISUAL, EDITOR, then vi.
fn editor(dir: &Path) -> String {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    env("GIT_EDITOR")
        .or_else(|| {
            crate::git::Repo::discover(dir)
                .ok()
                .and_then(|r| r.config_string("core.editor"))
        })
        .or_else(|| env("VISUAL"))
        .or_else(|| env("EDITOR"))
        .unwrap_or_else(|| "vi".to_string())
}

/// Let the user edit `old` in their editor, like `git commit --amend`; comment lines are removed.
fn edit_message(dir: &Path, old: &[u8]) -> crate::Result<Vec<u8>> {
    let repo = crate::git::Repo::discover(dir)?;
    let path = repo.git_dir().join("pq").join("REWORD_EDITMSG");
    std::fs::create_dir_all(path.parent().expect("has a parent"))?;
    let mut text = old.to_vec();
    if !text.ends_with(b"\n") {
        text.push(b'\n');
    }
    text.extend_from_slice(
        b"\n# Please enter the new message for this patch. Lines starting\n\
# with '#' will be ignored, and an empty message aborts the reword.\n",
    );
    std::fs::write(&path, &text)?;
    let ed = editor(dir);
    // The editor is a shell command line (it may carry arguments), run the way git runs it.
    let status = if ed == ":" {
        None
    } else {
        Some(
            std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("{ed} \"$@\""))
                .arg(&ed)
                .arg(&path)
                .status()
                .map_err(|e| {
                    Error::input(format!("could not run the editor '{ed}': {e}")).hint("set GIT_EDITOR or core.editor")
                })?,
        )
    };
    if let Some(s) = status {
        if !s.success() {
            let _ = std::fs::remove_file(&path);
            return Err(Error::input(format!("the editor '{ed}' failed; nothing was changed"))
                .hint("run `pq reword PATCH` again, or give the message with -m"));
        }
    }
    let edited = std::fs::read(&path)?;
    let _ = std::fs::remove_file(&path);
    let comment = repo
        .config_string("core.commentChar")
        .and_then(|c| c.bytes().next())
        .unwrap_or(b'#');
    Ok(cleanup(&edited, Some(comment)))
}
