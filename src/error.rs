//! The one error type of the engine. Every variant carries enough context to
//! tell the caller what was wrong without reading the source; `code()` maps it
//! to the stable status codes the C ABI exposes.

use std::path::Path;

/// Result alias used throughout the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An argument is malformed (bad name, NaN, k = 0, bad JSON, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A vector's length does not match the collection's dimension.
    #[error("dimension mismatch: {context}: got {got} floats, collection expects {expected}")]
    DimensionMismatch {
        /// Which input was wrong (e.g. "point 42").
        context: String,
        /// The number of floats expected: the collection's dimension, or
        /// for a flat batch that is not a whole number of rows, batch size
        /// times dimension.
        expected: usize,
        /// The number of floats passed.
        got: usize,
    },
    /// A named object (collection) does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A named object (collection) exists already.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// The handle was closed or the collection dropped.
    #[error("closed: {0}")]
    Closed(String),
    /// The database directory is held by another `Database`, in this process or another.
    #[error("locked: {0}")]
    Locked(String),
    /// An operating-system I/O error, with the file or step it happened on.
    #[error("io error: {context}: {source}")]
    Io {
        /// What was being done, usually with the path.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file's content fails its checks (checksum, bounds, structure).
    #[error("corrupt: {0}")]
    Corrupt(String),
    /// A file is not ours (bad magic) or has a format version we cannot read.
    #[error("incompatible format: {0}")]
    IncompatibleFormat(String),
    /// The operation does not apply to this collection (e.g. vector search on a metadata-only collection).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The collection refuses writes until it is reopened: an I/O error
    /// after a log append (failed fsync, disk full) or a caught panic left
    /// its state uncertain. The message carries the original cause.
    #[error("read-only: {0}")]
    ReadOnly(String),
    /// Memory for a result of the requested size could not be reserved.
    #[error("out of memory: {0}")]
    OutOfMemory(String),
    /// The caller's progress callback asked a long operation to stop; it
    /// changed nothing.
    #[error("cancelled: {0}")]
    Cancelled(String),
}

impl Error {
    /// The message of an [`Error::InvalidArgument`] without its
    /// "invalid argument: " prefix (for another error, its whole text), to
    /// be put after the name of the argument it is about.
    pub(crate) fn bare_message(&self) -> String {
        match self {
            Error::InvalidArgument(m) => m.clone(),
            other => other.to_string(),
        }
    }

    /// Builds an [`Error::Io`] with a context that names what was done to which path.
    pub fn io(what: &str, path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            context: format!("{what} {}", path.display()),
            source,
        }
    }

    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid(msg: impl Into<String>) -> Error {
        Error::InvalidArgument(msg.into())
    }

    /// Shorthand for [`Error::Corrupt`].
    pub fn corrupt(msg: impl Into<String>) -> Error {
        Error::Corrupt(msg.into())
    }

    /// The stable numeric status code of this error (the C ABI's `QV_ERR_*`).
    pub fn code(&self) -> i32 {
        match self {
            Error::InvalidArgument(_) => 1,
            Error::DimensionMismatch { .. } => 2,
            Error::NotFound(_) => 3,
            Error::AlreadyExists(_) => 4,
            Error::Closed(_) => 5,
            Error::Io { .. } => 6,
            Error::Corrupt(_) => 7,
            Error::IncompatibleFormat(_) => 8,
            Error::Locked(_) => 9,
            Error::Unsupported(_) => 10,
            Error::OutOfMemory(_) => 12,
            Error::ReadOnly(_) => 15,
            Error::Cancelled(_) => 16,
        }
    }
}
