//! Progress of the long phases of an operation (selecting commits, computing patch-ids, replaying,
//! updating the work tree). The library only reports it; whoever drives the library decides how to show it
//! (the CLI draws a bar on a terminal and nothing otherwise).

use std::sync::Arc;

/// A long phase of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Walking history for the commits to take (units: commits walked; total unknown).
    Selecting,
    /// Computing patch-ids to recognise changes already present (units: commits).
    PatchIds,
    /// Picking or replaying commits in memory (units: steps).
    Replaying,
    /// Writing the work tree and index (units: paths).
    Checkout,
}

impl Phase {
    /// A short label for the phase, as shown next to a progress bar.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Selecting => "selecting",
            Phase::PatchIds => "patch-ids",
            Phase::Replaying => "replaying",
            Phase::Checkout => "checkout",
        }
    }
}

/// Receives progress. Calls come from the thread running the operation, often (once per unit): an
/// implementation should be cheap and throttle its own drawing.
pub trait Progress: Send + Sync {
    /// A phase begins, with its number of units when known in advance.
    fn start(&self, phase: Phase, total: Option<u64>);
    /// `done` units of the current phase are finished.
    fn set(&self, done: u64);
    /// The current phase is over.
    fn finish(&self);
}

/// A shared handle to a progress receiver.
pub type Sink = Arc<dyn Progress>;

/// Reports nowhere: the default, and what tests and scripts get.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: Phase, _: Option<u64>) {}
    fn set(&self, _: u64) {}
    fn finish(&self) {}
}

/// A sink that reports nowhere.
pub fn silent() -> Sink {
    Arc::new(Silent)
}

/// Reports a phase for the lifetime of the value: started on creation, finished when dropped (also on an
/// early return with an error, so a bar never outlives its phase).
pub struct PhaseGuard<'a> {
    sink: &'a dyn Progress,
}

impl<'a> PhaseGuard<'a> {
    pub fn start(sink: &'a dyn Progress, phase: Phase, total: Option<u64>) -> PhaseGuard<'a> {
        sink.start(phase, total);
        PhaseGuard { sink }
    }
    pub fn set(&self, done: u64) {
        self.sink.set(done);
    }
}

impl Drop for PhaseGuard<'_> {
    fn drop(&mut self) {
        self.sink.finish();
    }
}
