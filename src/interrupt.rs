//! Ctrl-C and SIGTERM, handled gracefully: the signal only raises a flag, and the operation looks at it at
//! safe points. Before its ref transaction an operation stops there and leaves the repository exactly as
//! it found it (nothing is visible until the transaction); once the transaction has begun it finishes,
//! work tree included, and the command reports the interrupt afterwards. A second signal ends pq at once,
//! as a kill would (`pq continue` or `pq abort` then recover, as after a crash).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::error::{Error, Result};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static SIGNAL: AtomicUsize = AtomicUsize::new(0);

/// Route SIGINT and SIGTERM to the flag (for commands that change the repository).
pub fn install() {
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // The shutdown handler runs first and only acts on a second signal, when the flag is already up.
        let _ = signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, &REQUESTED);
        let _ = signal_hook::flag::register_usize(sig, &SIGNAL, sig as usize);
        let _ = signal_hook::flag::register(sig, &REQUESTED);
    }
}

/// Whether an interrupt arrived.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// The exit status for an interrupted command: 128 + the signal (130 for Ctrl-C), as shells report it.
pub fn exit_status() -> i32 {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => 130,
        n => 128 + n as i32,
    }
}

fn name() -> &'static str {
    match SIGNAL.load(Ordering::SeqCst) as i32 {
        signal_hook::consts::SIGTERM => "SIGTERM",
        _ => "Ctrl-C",
    }
}

/// A safe point before the operation's ref transaction: stop here, changing nothing, if interrupted.
pub fn check() -> Result<()> {
    if requested() {
        return Err(Error::interrupted(format!(
            "interrupted ({}): stopped before changing anything; the repository is as it was",
            name()
        ))
        .hint("run the command again to start over"));
    }
    Ok(())
}

/// Where [`hold_for_test`] can pause an operation.
#[derive(Clone, Copy)]
pub enum HoldPoint {
    /// Just before the last safe point of a transaction ([`check`] in `Transaction::commit`).
    BeforeCommit,
    /// Once the journal is written, just before the ref transaction: the operation now completes.
    AfterJournal,
}

/// A test hook, inert unless the environment asks for it: with `PQ_TEST_HOLD_BEFORE_COMMIT` (or
/// `PQ_TEST_HOLD_AFTER_JOURNAL`) set to a file path, pq writes its pid to that file on reaching the point and
/// waits there for a signal (at most a minute), then carries on as it would have. A test can then deliver
/// Ctrl-C at a known point instead of after a guessed delay, which lands before the handler is installed on a
/// slow machine or after the operation finished on a fast one. Nothing else reads these variables; unset (as
/// in any real use) the hook costs one environment lookup per transaction.
pub fn hold_for_test(point: HoldPoint) {
    let var = match point {
        HoldPoint::BeforeCommit => "PQ_TEST_HOLD_BEFORE_COMMIT",
        HoldPoint::AfterJournal => "PQ_TEST_HOLD_AFTER_JOURNAL",
    };
    let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) else {
        return;
    };
    if std::fs::write(&path, format!("{}\n", std::process::id())).is_err() {
        return;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !requested() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// What to say when the interrupt came after the transaction began, so the operation was finished.
pub fn finished_anyway() -> String {
    format!(
        "interrupted ({}) after the operation had begun to commit: it was finished, work tree included (`pq undo` takes it back)",
        name()
    )
}
