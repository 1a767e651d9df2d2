//! Packaging arithmetic for distribution kernels: RPM version ordering, kernel
//! version parsing, next version-release computation, kernel.spec editing and
//! changelog entries. Everything here is pure (text in, text out) so that the
//! git-facing parts of pq can stay thin and these rules can be tested exhaustively.

/// A regex compiled once, on first use: parsers run per commit and per line.
macro_rules! static_regex {
    ($re:expr) => {{
        static RE: std::sync::LazyLock<regex::Regex> =
            std::sync::LazyLock::new(|| regex::Regex::new($re).expect("static regex"));
        &*RE
    }};
}
pub(crate) use static_regex;

pub mod changelog;
pub mod debian;
pub mod error;
pub mod genlog;
pub mod genspec;
pub mod kversion;
pub mod nvr;
pub mod rhelver;
pub mod rpmvercmp;
pub mod spec;
#[cfg(test)]
mod testutil;

pub use error::PackagingError;

/// The realistic Fedora/ARK-style kernel.spec used by the tests here and by
/// fixture repositories elsewhere in pq.
pub const KERNEL_SPEC_FIXTURE: &str = include_str!("testdata/kernel.spec");
