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
                    match holder {
                        Some(pid) if alive(pid) && pid as u32 != std::process::id() => {
                            if std::time::Instant::now() > deadline {
                                return Err(Error::state(format!("another pq operation is running (pid {pid})"))
                                    .hint("wait for it to finish; if it is gone, remove .git/pq/lock"));
                            }
                            std::thread::sleep(std::time::Duration::from_millis(50));
                        }
                        _ => {
                            // Stale (the holder died) or half-written: take it over atomically.
                            let tmp = path.with_extension(format!("stale.{}", std::process::id()));
                            if std::fs::rename(&path, &tmp).is_ok() {
                                let _ = std::fs::remove_file(&tmp);
                            }
                        }
                    }
                }
                Err(e) => return Err(e.into()),
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
