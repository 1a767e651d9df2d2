//! One pq at a time per repository, and no git lock file deleted that pq did not create.
//!
//! `.git/pq/lock` is held with an advisory lock (`flock`, through `fs4`): the kernel releases it when its
//! holder exits or is killed, so a dead holder never blocks anyone and two waiting processes cannot both
//! take it over. The file holds the holder's pid while held (for the message a waiting pq prints) and is
//! emptied on a clean release; a pid still in it when pq gets the lock means the last holder was killed.
//!
//! Before pq takes one of git's lock files (a ref transaction's `refs/…​.lock`, `packed-refs.lock`,
//! `HEAD.lock`, `index.lock`) it notes the name in `.git/pq/git-locks`. A killed pq leaves those lock files
//! behind, and the next pq removes them — only those it noted, and only when created after the note. Any
//! other git lock file is someone else's (a `git commit` running now, or a git that crashed): pq leaves it
//! alone, refuses to start and says which file it is.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How long a second pq waits for the first before giving up.
const WAIT: Duration = Duration::from_secs(2);
/// The notes of git lock files pq is about to take, relative to `.git/pq/`.
const NOTES: &str = "git-locks";

pub struct Lock {
    file: std::fs::File,
    pq_dir: PathBuf,
}

impl Lock {
    /// Take the repository's pq lock (`pq_dir` is `.git/pq`), waiting briefly for a running pq; clear the
    /// git lock files a killed pq left; refuse when another process holds one of git's locks.
    pub fn acquire(pq_dir: &Path) -> Result<Lock> {
        std::fs::create_dir_all(pq_dir)?;
        let path = pq_dir.join("lock");
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        let deadline = Instant::now() + WAIT;
        loop {
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => break,
                Err(fs4::TryLockError::WouldBlock) => {
                    if Instant::now() > deadline {
                        let who = read_pid(&mut file).map(|p| format!(" (pid {p})")).unwrap_or_default();
                        return Err(Error::state(format!("another pq operation is running{who}"))
                            .hint("wait for it to finish, then run the command again"));
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(fs4::TryLockError::Error(e)) => {
                    return Err(Error::from(e).context(format!("locking {}", path.display())))
                }
            }
        }
        let lock = Lock {
            file,
            pq_dir: pq_dir.to_path_buf(),
        };
        // Ours now. Whatever a killed holder noted, it can no longer be using.
        let git_dir = pq_dir.parent().unwrap_or(pq_dir);
        let cleared = clear_noted_git_locks(git_dir, &pq_dir.join(NOTES));
        if let Some(foreign) = foreign_git_lock(git_dir, &cleared) {
            let shown = foreign.strip_prefix(git_dir).unwrap_or(&foreign).display().to_string();
            return Err(Error::state(format!(
                "git's lock file .git/{shown} exists: another git command is running in this repository, or one crashed"
            ))
            .hint("wait for it to finish and run the command again")
            .add_hint(format!(
                "if no git command is running, remove .git/{shown} (pq removes only lock files it created)"
            )));
        }
        let mut f = &lock.file;
        f.set_len(0)?;
        f.rewind()?;
        writeln!(f, "{}", std::process::id())?;
        Ok(lock)
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // A clean end: no git lock of ours is left, and an empty lock file says the holder did not die.
        let _ = std::fs::remove_dir_all(self.pq_dir.join(NOTES));
        let _ = self.file.set_len(0);
        let _ = fs4::FileExt::unlock(&self.file);
    }
}

fn read_pid(file: &mut std::fs::File) -> Option<u32> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

/// Note that pq is about to take git's lock files `names` (relative to the git dir, e.g.
/// `refs/heads/main.lock`), so that a pq killed while holding them has them removed by the next one.
///
/// Each note is a file of its own in `.git/pq/git-locks/`: its modification time comes from the same
/// file-system clock as the lock files' own, so "created after the note" is a comparison of like with like.
pub fn note_git_locks(git_dir: &Path, names: &[String]) -> Result<()> {
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = git_dir.join("pq").join(NOTES);
    std::fs::create_dir_all(&dir)?;
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut text = names.join("\n");
    text.push('\n');
    std::fs::write(dir.join(format!("{}-{seq}", std::process::id())), text)?;
    Ok(())
}

/// Remove the git lock files a killed pq noted and then created (a lock file older than its note is not
/// the one pq was about to take); return what was removed. The notes go with them.
fn clear_noted_git_locks(git_dir: &Path, notes: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(notes) else {
        return removed;
    };
    for e in entries.flatten() {
        let (Ok(text), Ok(noted)) = (
            std::fs::read_to_string(e.path()),
            e.metadata().and_then(|m| m.modified()),
        ) else {
            continue;
        };
        for name in text.lines() {
            // Only lock files, and only below the git dir: the notes are ours, but never trust a path.
            if !name.ends_with(".lock") || name.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
                continue;
            }
            let path = git_dir.join(name);
            let created_after = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= noted);
            if created_after && std::fs::remove_file(&path).is_ok() {
                tracing::debug!("removed {} left by a killed pq", path.display());
                removed.push(path);
            }
        }
    }
    let _ = std::fs::remove_dir_all(notes);
    removed
}

/// A git lock file that is not pq's: `index.lock`, `HEAD.lock`, `packed-refs.lock` or one below `refs/`.
fn foreign_git_lock(git_dir: &Path, ours: &[PathBuf]) -> Option<PathBuf> {
    let foreign = |p: &Path| p.exists() && !ours.iter().any(|o| o == p);
    for name in ["index.lock", "HEAD.lock", "packed-refs.lock"] {
        let p = git_dir.join(name);
        if foreign(&p) {
            return Some(p);
        }
    }
    let mut stack = vec![git_dir.join("refs")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "lock") && foreign(&p) {
                return Some(p);
            }
        }
    }
    None
}

/// Write a file so that readers see either the old or the new content, never half of it.
pub fn write_atomic(path: &std::path::Path, data: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Write a file another process may read at any moment, replacing it whole, without syncing it to disk:
/// for caches that are checked when read and rebuilt when missing or damaged.
pub fn write_cache(path: &std::path::Path, data: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, data)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    fn git_dir() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("refs/heads")).unwrap();
        d
    }

    #[test]
    fn a_second_lock_waits_then_fails() {
        let d = git_dir();
        let pq = d.path().join("pq");
        let first = Lock::acquire(&pq).unwrap();
        let err = Lock::acquire(&pq).err().expect("held");
        assert!(
            err.message.contains(&format!("pid {}", std::process::id())),
            "{}",
            err.message
        );
        drop(first);
        assert_eq!(
            std::fs::read_to_string(pq.join("lock")).unwrap(),
            "",
            "emptied on release"
        );
        Lock::acquire(&pq).unwrap();
    }

    #[test]
    fn noted_locks_are_cleared_foreign_ones_kept_and_reported() {
        let d = git_dir();
        let pq = d.path().join("pq");
        note_git_locks(
            d.path(),
            &["refs/heads/main.lock".into(), "index.lock".into(), "../x.lock".into()],
        )
        .unwrap();
        std::fs::write(d.path().join("refs/heads/main.lock"), "").unwrap();
        // Taken by someone else before pq's note: not pq's, whatever the name.
        let old = d.path().join("HEAD.lock");
        std::fs::write(&old, "").unwrap();
        note_git_locks(d.path(), &["HEAD.lock".into()]).unwrap();
        let f = std::fs::File::options().write(true).open(&old).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(60)).unwrap();
        let err = Lock::acquire(&pq).err().expect("a foreign lock refuses");
        assert!(err.message.contains(".git/HEAD.lock"), "{}", err.message);
        assert_eq!(err.hints.len(), 2);
        assert!(
            !d.path().join("refs/heads/main.lock").exists(),
            "pq's own leftover is removed"
        );
        assert!(old.exists(), "a foreign lock survives");
        std::fs::remove_file(&old).unwrap();
        Lock::acquire(&pq).unwrap();
    }
}
