//! Subcommands of the xtask binary, one module each.

pub mod fixture;
