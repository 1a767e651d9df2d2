//! pq: a source-git patch queue manager for distribution kernels.
//!
//! The library holds the model and the operations and prints nothing; the `pq` binary's CLI layer
//! (`cli`) parses arguments and renders results.

pub mod cli;
pub mod engine;
pub mod error;
pub mod git;
pub mod interop;
pub mod interrupt;
pub mod lock;
pub mod model;
pub mod oplog;
pub mod ops;
pub mod packaging;
pub mod parallel;
pub mod progress;
pub mod sequencer;

pub use error::{Error, Result};
