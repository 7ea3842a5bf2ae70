//! The one error type of the core. Bindings map each variant to a Python exception.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A tokenizer file (or configuration built from one) that we cannot honour.
    /// The message starts with the JSON path of the offending value.
    Config(String),
    /// A file that could not be read.
    Io(String),
    /// A per-call argument that makes no sense (stride too large, missing pair, ...).
    InvalidArgument(String),
    /// A token id that is not in the vocabulary, with its position in the input.
    IdOutOfRange { id: i64, position: usize, vocab_size: usize },
    /// An id or index out of range whose message already says where (e.g. which row of a
    /// batch); bindings raise it as they raise `IdOutOfRange`.
    OutOfRange(String),
    /// A buffer the call needs that cannot be allocated; the message names the argument that
    /// asked for it. (Rust aborts the process on a failed allocation, so sizes from arguments
    /// and files are reserved with `try_reserve` and fail here instead.)
    OutOfMemory(String),
    /// The call was interrupted (Ctrl-C) and stopped early; the binding raises the signal's
    /// exception.
    Interrupted,
}

pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(msg)
            | Error::Io(msg)
            | Error::InvalidArgument(msg)
            | Error::OutOfRange(msg)
            | Error::OutOfMemory(msg) => f.write_str(msg),
            Error::Interrupted => f.write_str("interrupted"),
            Error::IdOutOfRange { id, position, vocab_size } => write!(
                f,
                "token id {id} at position {position} is out of range for a vocabulary of {vocab_size} tokens"
            ),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// Prefixes the message with where it happened (e.g. `texts[3]`).
    pub fn context(self, place: &str) -> Error {
        match self {
            Error::Config(m) => Error::Config(format!("{place}: {m}")),
            Error::Io(m) => Error::Io(format!("{place}: {m}")),
            Error::InvalidArgument(m) => Error::InvalidArgument(format!("{place}: {m}")),
            Error::OutOfMemory(m) => Error::OutOfMemory(format!("{place}: {m}")),
            Error::OutOfRange(m) => Error::OutOfRange(format!("{place}: {m}")),
            other => other,
        }
    }
}
