//! One pq at a time per repository: `.git/pq/lock` holds the pid of the process working on it. A lock whose
//! process is gone (killed) is stale and is taken over.

use std::io::Write;
use std::path::PathBuf;

use crate::error::{Error, Result};

pub struct Lock {
    path: PathBuf,
}

fn alive(pid: i32) -> bool {
    // Signal 0 checks for existence without touching the process.
    unsafe { libc::kill(pid, 0) == 0 || *libc::__errno_location() == libc::EPERM }
}

impl Lock {
    pub fn acquire(pq_dir: &std::path::Path) -> Result<Lock> {
        std::fs::create_dir_all(pq_dir)?;
        let path = pq_dir.join("lock");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        loop {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    writeln!(f, "{}", std::process::id())?;
                    f.sync_all()?;
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|s| s.trim().parse::<i32>().ok());
                    let since = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
                    let young = since
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age.as_secs() < 2);
                    let live = match holder {
                        Some(pid) => alive(pid) && pid as u32 != std::process::id(),
                        // Just created, pid not written yet: its owner is alive.
                        None => young,
                    };
                    if live {
                        if std::time::Instant::now() > deadline {
                            let who = holder.map(|p| format!(" (pid {p})")).unwrap_or_default();
                            return Err(Error::state(format!("another pq operation is running{who}"))
                                .hint("wait for it to finish; if it is gone, remove .git/pq/lock"));
                        }
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        continue;
                    }
                    // The holder died (killed mid-operation): take its lock over atomically, and clear the git
                    // lock files it left behind, or the next ref or index update would fail on them.
                    let tmp = path.with_extension(format!("stale.{}", std::process::id()));
                    if std::fs::rename(&path, &tmp).is_ok() {
                        let _ = std::fs::remove_file(&tmp);
                        if let (Some(since), Some(git_dir)) = (since, pq_dir.parent()) {
                            clear_git_locks(git_dir, since);
                        }
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// Remove git lock files (`index.lock`, `HEAD.lock`, `packed-refs.lock`, `refs/**.lock`) created since
/// `since`, when a pq process that held the repository since then died: they are its leftovers. Older lock
/// files are not ours to judge and stay.
fn clear_git_locks(git_dir: &std::path::Path, since: std::time::SystemTime) {
    let recent = |p: &std::path::Path| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t >= since)
    };
    for name in ["index.lock", "HEAD.lock", "packed-refs.lock"] {
        let p = git_dir.join(name);
        if recent(&p) {
            let _ = std::fs::remove_file(&p);
        }
    }
    let mut stack = vec![git_dir.join("refs")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "lock") && recent(&p) {
                let _ = std::fs::remove_file(&p);
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
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
