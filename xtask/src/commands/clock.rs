//! Timing of measured commands: wall time and the CPU time of the child processes that ran them.

use std::time::{Duration, Instant};

/// Wall time and CPU time (user + system, of the child processes) of one measurement. CPU time is the
/// reliable figure on a shared machine: other users' load stretches wall time, not CPU time.
#[derive(Clone, Copy, Debug, Default)]
pub struct Time {
    pub wall: Duration,
    pub cpu: Duration,
}

/// User + system time of every child process waited for so far (`getrusage(RUSAGE_CHILDREN)`): the
/// difference across a measurement is what its commands cost, git's own subprocesses included.
pub fn children_cpu() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Started before the measured commands, stopped after they have all been waited for.
pub struct Clock {
    start: Instant,
    cpu: Duration,
}

impl Clock {
    pub fn start() -> Clock {
        Clock {
            start: Instant::now(),
            cpu: children_cpu(),
        }
    }
    pub fn stop(&self) -> Time {
        Time {
            wall: self.start.elapsed(),
            cpu: children_cpu().saturating_sub(self.cpu),
        }
    }
}
