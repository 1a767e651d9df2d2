//! Subcommands of the xtask binary, one module each.

pub mod bench;
pub mod demo;
pub mod fixture;
pub mod test;
