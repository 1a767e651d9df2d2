//! `pq reword PATCH [-m MSG]`: give a patch a new message; the patch and those above it are replayed with
//! their trees unchanged. The editor is the command line's business; this module cleans the message the way
//! git does and rewrites the stack.

use crate::error::{Error, Result};
use crate::ops::queue::{self, open, resolve_patch, Item, QueueReport};

/// The patch a reword names (full id) and its current message, refusing as the reword itself would.
pub fn current(dir: &std::path::Path, spec: &str) -> Result<(String, Vec<u8>)> {
    let (ws, state, _) = open(dir)?;
    let i = resolve_patch(&ws.repo, &state, spec)?;
    let id = state.patches[i].commit;
    let c = ws.repo.commit(id)?;
    Ok((id.to_string(), c.message.to_vec()))
}

pub fn reword(dir: &std::path::Path, spec: &str, message: &[u8], command: &str) -> Result<QueueReport> {
    let (ws, state, state_commit) = open(dir)?;
    let at = resolve_patch(&ws.repo, &state, spec)?;
    if message.is_empty() {
        return Err(Error::input("the new message is empty; nothing was changed")
            .hint("give the patch a message, e.g. `pq reword PATCH -m 'subject'`"));
    }
    let old = ws.repo.commit(state.patches[at].commit)?.message;
    let mut items: Vec<Item> = state.patches.iter().map(Item::keep).collect();
    if old.as_slice() != message {
        items[at].message = Some(message.to_vec());
    }
    let series = state.series.clone();
    queue::rewrite(ws, state, state_commit, command, series, items, Vec::new())
}

/// git's message clean-up (`strbuf_stripspace`): trailing whitespace off every line, runs of blank lines
/// made one, blank lines at the start and end removed, a final newline; with `comment` set, lines starting
/// with that character removed too (git's `--cleanup=strip`, used when the message came from an editor).
pub fn cleanup(message: &[u8], comment: Option<u8>) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(message.len());
    let mut blank_run = false;
    for line in message.split(|&b| b == b'\n') {
        if comment.is_some_and(|c| line.first() == Some(&c)) {
            continue;
        }
        let end = line.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |p| p + 1);
        let line = &line[..end];
        if line.is_empty() {
            blank_run = !out.is_empty();
            continue;
        }
        if blank_run {
            out.push(b'\n');
            blank_run = false;
        }
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cleanup;

    #[test]
    fn cleanup_matches_git_stripspace() {
        assert_eq!(cleanup(b"subject", None), b"subject\n");
        assert_eq!(
            cleanup(b"\n\n subject  \n\n\n\nbody\t\n\n", None),
            b" subject\n\nbody\n"
        );
        assert_eq!(cleanup(b"s\n# comment\nb\n", Some(b'#')), b"s\nb\n");
        assert_eq!(cleanup(b"s\n# kept\n", None), b"s\n# kept\n");
        assert_eq!(cleanup(b"# only\n\n", Some(b'#')), b"");
        assert_eq!(cleanup(b"", None), b"");
    }
}
