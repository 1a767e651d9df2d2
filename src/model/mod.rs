//! pq's model of a source-git branch: state, configuration, provenance, and where they are stored.

pub mod config;
pub mod provenance;
pub mod state;
pub mod store;
