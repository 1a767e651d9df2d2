//! The single error type of the packaging library. Messages name the file and
//! line at fault and say what to change, because they end up in front of a
//! maintainer in the middle of a release.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PackagingError {
    /// A line of a file that is there but malformed.
    #[error("{file}:{line}: {message}")]
    AtLine { file: String, line: usize, message: String },
    /// Something a file should contain is missing altogether; the message
    /// reads on from the file name ("has no ...").
    #[error("{file} {message}")]
    InFile { file: String, message: String },
    /// A value handed in by the caller (config, command line) is unusable.
    #[error("invalid {what} `{value}`: {message}")]
    Invalid {
        what: &'static str,
        value: String,
        message: String,
    },
    /// Two descriptions of the kernel version disagree.
    #[error("{first} says {first_version} but {second} says {second_version}: {hint}")]
    VersionMismatch {
        first: String,
        first_version: String,
        second: String,
        second_version: String,
        hint: String,
    },
    /// The computed release would not upgrade an earlier one.
    #[error("{candidate} would not sort after the earlier release {previous}: {reason}")]
    NotNewer {
        candidate: String,
        previous: String,
        reason: String,
    },
}

impl PackagingError {
    pub(crate) fn at_line(file: &str, line: usize, message: impl Into<String>) -> Self {
        PackagingError::AtLine {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }

    pub(crate) fn in_file(file: &str, message: impl Into<String>) -> Self {
        PackagingError::InFile {
            file: file.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn invalid(what: &'static str, value: &str, message: impl Into<String>) -> Self {
        PackagingError::Invalid {
            what,
            value: value.to_string(),
            message: message.into(),
        }
    }
}
