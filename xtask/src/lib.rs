//! Developer tasks for pq.
//!
//! This crate is both the `cargo xtask` binary and a library used by pq's
//! integration tests (as a dev-dependency) to generate realistic
//! source-git kernel repositories:
//!
//! ```no_run
//! let dir = std::path::Path::new("/tmp/kernel");
//! let fx = xtask::fixture::kernel(dir, &xtask::fixture::KernelOptions::small()).unwrap();
//! println!("conflicting pick: {}", fx.sha("zstd_conflict_1"));
//! ```

pub mod fixture;
pub mod git;
pub mod oracle;
pub mod walkthrough;
