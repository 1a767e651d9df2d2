//! One error type for the whole crate: what went wrong, the context it happened in, the error underneath
//! (its source chain) and hints naming the next step, so the CLI can print one clear line plus hints and pick
//! the exit status from the kind.

use std::fmt;

/// Why an operation did not complete. The kind decides the exit status (see [`Kind::exit_code`] and the
/// book's "Errors and exit status" chapter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The user asked for something that cannot be done as asked (bad revision, dirty tree, ...): exit 2.
    Input,
    /// The repository is in a shape pq refuses to touch (mid-merge, branch moved, another pq running):
    /// exit 2, the user can fix it.
    State,
    /// Something failed underneath (I/O, the object database, a tool pq runs): exit 3.
    Internal,
    /// Something pq or git wrote is unreadable (a corrupt stop file, journal, state or log entry): exit 3.
    Corrupt,
    /// The operation is done and recorded, but a follow-up step failed (a release whose tag could not be
    /// signed): exit 4.
    FollowUp,
    /// Ctrl-C or SIGTERM arrived before the operation changed anything: exit 128 + the signal (130).
    Interrupted,
}

/// Exit statuses: 0 done, 1 stopped at a conflict awaiting the user, then one per [`Kind`].
pub const EXIT_OK: i32 = 0;
pub const EXIT_STOPPED: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_FAILURE: i32 = 3;
pub const EXIT_FOLLOW_UP: i32 = 4;

impl Kind {
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::Input | Kind::State => EXIT_USAGE,
            Kind::Internal | Kind::Corrupt => EXIT_FAILURE,
            Kind::FollowUp => EXIT_FOLLOW_UP,
            Kind::Interrupted => crate::interrupt::exit_status(),
        }
    }
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    /// Next steps, most useful first.
    pub hints: Vec<String>,
    source: Option<Source>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hints: Vec::new(),
            source: None,
        }
    }
    pub fn input(message: impl Into<String>) -> Self {
        Error::new(Kind::Input, message)
    }
    pub fn state(message: impl Into<String>) -> Self {
        Error::new(Kind::State, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(Kind::Internal, message)
    }
    pub fn corrupt(message: impl Into<String>) -> Self {
        Error::new(Kind::Corrupt, message)
    }
    pub fn follow_up(message: impl Into<String>) -> Self {
        Error::new(Kind::FollowUp, message)
    }
    pub fn interrupted(message: impl Into<String>) -> Self {
        Error::new(Kind::Interrupted, message)
    }
    /// Name the next step, replacing any hint given further down (the caller knows the situation better).
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints = vec![hint.into()];
        self
    }
    /// Add another next step after those already given; they print in order.
    pub fn add_hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }
    /// Prefix the message with what we were doing.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
    /// Keep the error underneath, for `-v` and for callers walking the chain.
    pub fn with_source(mut self, source: impl Into<Source>) -> Self {
        self.source = Some(source.into());
        self
    }
    /// The messages of the errors underneath, outermost first, leaving out repeats of what the message
    /// already says.
    pub fn causes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut next = std::error::Error::source(self);
        while let Some(e) = next {
            let text = e.to_string();
            if !self.message.contains(&text) && !out.contains(&text) {
                out.push(text);
            }
            next = e.source();
        }
        out
    }
    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::internal(e.to_string()).with_source(e)
    }
}

impl From<gix::Error> for Error {
    fn from(e: gix::Error) -> Self {
        Error::internal(format!("git: {e}")).with_source(e)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_pick_exit_codes() {
        assert_eq!(Error::input("x").exit_code(), 2);
        assert_eq!(Error::state("x").exit_code(), 2);
        assert_eq!(Error::internal("x").exit_code(), 3);
        assert_eq!(Error::corrupt("x").exit_code(), 3);
        assert_eq!(Error::follow_up("x").exit_code(), 4);
    }

    #[test]
    fn chain_and_hints() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let e = Error::from(io)
            .context("writing .git/pq/op")
            .hint("zero")
            .hint("one")
            .add_hint("two");
        assert_eq!(e.message, "writing .git/pq/op: denied");
        assert_eq!(e.hints, ["one", "two"]);
        // The cause repeats the message, so it is not listed twice.
        assert!(e.causes().is_empty());
        let e = Error::corrupt("the stop file is unreadable").with_source(std::io::Error::other("disk says no"));
        assert_eq!(e.causes(), ["disk says no"]);
        assert_eq!(e.exit_code(), 3);
    }
}
