//! One error type for the whole crate: what went wrong, the context it happened in, and a hint naming the
//! next step, so the CLI can print one clear line (plus the hint) and pick the exit status.

use std::fmt;

/// Why an operation did not complete. The kind decides the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The user asked for something that cannot be done as asked (bad revision, dirty tree, ...): exit 2.
    Input,
    /// The repository or pq's state is in a shape pq refuses to touch (mid-merge, state disagrees): exit 2.
    State,
    /// Something failed underneath (I/O, object database): exit 2 as well, but worded as a failure.
    Internal,
    /// Ctrl-C or SIGTERM arrived before the operation changed anything: exit 128 + the signal (130).
    Interrupted,
}

#[derive(Debug)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    pub hint: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn input(message: impl Into<String>) -> Self {
        Error {
            kind: Kind::Input,
            message: message.into(),
            hint: None,
        }
    }
    pub fn state(message: impl Into<String>) -> Self {
        Error {
            kind: Kind::State,
            message: message.into(),
            hint: None,
        }
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Error {
            kind: Kind::Internal,
            message: message.into(),
            hint: None,
        }
    }
    pub fn interrupted(message: impl Into<String>) -> Self {
        Error {
            kind: Kind::Interrupted,
            message: message.into(),
            hint: None,
        }
    }
    /// Attach the next step the user should take.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    /// Prefix the message with what we were doing.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::internal(e.to_string())
    }
}

impl From<gix::Error> for Error {
    fn from(e: gix::Error) -> Self {
        Error::internal(format!("git: {e}"))
    }
}

/// Add context to any error convertible into ours.
pub trait ResultExt<T> {
    fn ctx(self, context: impl fmt::Display) -> Result<T>;
}

impl<T, E: Into<Error>> ResultExt<T> for std::result::Result<T, E> {
    fn ctx(self, context: impl fmt::Display) -> Result<T> {
        self.map_err(|e| e.into().context(context))
    }
}
