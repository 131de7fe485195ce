//! The C ABI. This is the only module with `extern "C"`, raw pointers and
//! pointer reads; it checks every argument, calls the engine, maps errors to
//! status codes and hands out owned buffers. It holds no engine logic.
//!
//! Conventions (see `include/quiver.h`):
//! - every fallible function returns an `int32_t` status (`QV_OK` = 0) and
//!   takes an optional trailing `qv_error **err`: when it is not NULL, it is
//!   set to NULL on success and to a new error object on failure;
//! - every buffer comes with an explicit length; NULL is accepted only for
//!   an empty buffer;
//! - no panic crosses the boundary: every body runs inside [`guard`].
#![allow(non_camel_case_types)]
// The functions below check their pointer arguments themselves and document
// what the caller must guarantee; marking them `unsafe` would add nothing on
// the C side.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod collection;
mod database;
mod error;
mod points;
mod results;
mod search;
mod strings;
mod version;

pub use collection::*;
pub use database::*;
pub use error::*;
pub use points::*;
pub use results::*;
pub use search::*;
pub use strings::*;
pub use version::*;

use crate::error::Error;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Status codes returned by every fallible function. New codes may be added
/// in later versions; treat an unknown non-zero code as a generic error.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum qv_status {
    /// Success.
    QV_OK = 0,
    /// An argument is malformed: NULL pointer with a non-zero length, k == 0,
    /// NaN, bad name, invalid UTF-8 or JSON, unknown enum value, ...
    QV_ERR_INVALID_ARGUMENT = 1,
    /// A vector's length differs from the collection's dimension.
    QV_ERR_DIMENSION_MISMATCH = 2,
    /// The named collection does not exist.
    QV_ERR_NOT_FOUND = 3,
    /// The named collection exists already.
    QV_ERR_ALREADY_EXISTS = 4,
    /// The handle, its database or its collection was closed or dropped.
    QV_ERR_CLOSED = 5,
    /// An operating-system I/O error.
    QV_ERR_IO = 6,
    /// A file fails its checks.
    QV_ERR_CORRUPT = 7,
    /// A file is not a quiver file or has a format version this build cannot read.
    QV_ERR_INCOMPATIBLE_FORMAT = 8,
    /// The database directory is open already (in this process or another).
    QV_ERR_LOCKED = 9,
    /// The operation does not apply (e.g. vector search on a metadata-only collection).
    QV_ERR_UNSUPPORTED = 10,
    /// Reserved for the query language.
    QV_ERR_QUERY_SYNTAX = 11,
    /// A result buffer of the requested size could not be allocated.
    QV_ERR_OUT_OF_MEMORY = 12,
    /// A bug in the library.
    QV_ERR_INTERNAL = 13,
    /// The library panicked; the call had no effect it acknowledges.
    QV_ERR_PANIC = 14,
    /// The collection refuses writes until it is reopened (an I/O error after
    /// a log append, such as a failed fsync or a full disk, or a caught
    /// panic); the message carries the cause.
    QV_ERR_READ_ONLY = 15,
}

/// An error of the C layer: an engine error or one of the codes only the C
/// layer has.
pub(crate) struct FfiError {
    pub code: qv_status,
    pub message: String,
}

impl From<Error> for FfiError {
    fn from(e: Error) -> Self {
        let code = match &e {
            Error::InvalidArgument(_) => qv_status::QV_ERR_INVALID_ARGUMENT,
            Error::DimensionMismatch { .. } => qv_status::QV_ERR_DIMENSION_MISMATCH,
            Error::NotFound(_) => qv_status::QV_ERR_NOT_FOUND,
            Error::AlreadyExists(_) => qv_status::QV_ERR_ALREADY_EXISTS,
            Error::Closed(_) => qv_status::QV_ERR_CLOSED,
            Error::Io { .. } => qv_status::QV_ERR_IO,
            Error::Corrupt(_) => qv_status::QV_ERR_CORRUPT,
            Error::IncompatibleFormat(_) => qv_status::QV_ERR_INCOMPATIBLE_FORMAT,
            Error::Locked(_) => qv_status::QV_ERR_LOCKED,
            Error::Unsupported(_) => qv_status::QV_ERR_UNSUPPORTED,
            Error::OutOfMemory(_) => qv_status::QV_ERR_OUT_OF_MEMORY,
            Error::ReadOnly(_) => qv_status::QV_ERR_READ_ONLY,
        };
        FfiError {
            code,
            message: e.to_string(),
        }
    }
}

pub(crate) type FfiResult<T = ()> = std::result::Result<T, FfiError>;

pub(crate) fn invalid(msg: impl Into<String>) -> FfiError {
    FfiError {
        code: qv_status::QV_ERR_INVALID_ARGUMENT,
        message: format!("invalid argument: {}", msg.into()),
    }
}

pub(crate) fn closed(what: &str) -> FfiError {
    FfiError {
        code: qv_status::QV_ERR_CLOSED,
        message: format!("closed: this {what} handle was closed"),
    }
}

pub(crate) fn out_of_memory(what: &str, bytes: usize) -> FfiError {
    FfiError {
        code: qv_status::QV_ERR_OUT_OF_MEMORY,
        message: format!("out of memory: cannot allocate {bytes} bytes for {what}"),
    }
}

/// Runs `body`, catching panics, and reports its outcome as a status code
/// and (when `err` is not NULL) an error object.
pub(crate) fn guard(err: *mut *mut qv_error, body: impl FnOnce() -> FfiResult) -> i32 {
    if !err.is_null() {
        // SAFETY: the caller passes either NULL or a writable `qv_error *`.
        unsafe { *err = std::ptr::null_mut() };
    }
    let outcome = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(r) => r,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(FfiError {
                code: qv_status::QV_ERR_PANIC,
                message: format!("internal panic: {what}"),
            })
        }
    };
    match outcome {
        Ok(()) => qv_status::QV_OK as i32,
        Err(e) => {
            let code = e.code as i32;
            if !err.is_null() {
                // SAFETY: as above.
                unsafe { *err = qv_error::new_raw(e) };
            }
            code
        }
    }
}

/// The pointer of a view array: NULL when it is empty (Rust's dangling
/// pointer for an empty buffer must not reach C: some callers, Go's
/// runtime among them, reject such values).
pub(crate) fn view_ptr<T>(v: &[T]) -> *const T {
    if v.is_empty() {
        std::ptr::null()
    } else {
        v.as_ptr()
    }
}

/// Frees an object this library handed out as `Box::into_raw`; NULL is a
/// no-op. A panic in a destructor (closing a database checkpoints) is
/// swallowed: a `_free` function has no way to report it.
pub(crate) fn free_boxed<T>(ptr: *mut T) {
    if !ptr.is_null() {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: `ptr` came from `Box::into_raw` in this library and is
            // freed once, by the contract of every `_free` function.
            drop(unsafe { Box::from_raw(ptr) });
        }));
    }
}

/// A borrowed slice from a C pointer and length. NULL is accepted for an
/// empty slice only; the pointer must be aligned for `T`.
pub(crate) fn slice<'a, T>(ptr: *const T, len: usize, name: &str) -> FfiResult<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(invalid(format!("`{name}` is NULL but its length is {len}")));
    }
    if !(ptr as usize).is_multiple_of(std::mem::align_of::<T>()) {
        return Err(invalid(format!(
            "`{name}` is not aligned to {} bytes",
            std::mem::align_of::<T>()
        )));
    }
    if len
        .checked_mul(std::mem::size_of::<T>())
        .is_none_or(|b| b > isize::MAX as usize)
    {
        return Err(invalid(format!("`{name}` length {len} is too large")));
    }
    // SAFETY: non-NULL, aligned, size checked; the caller guarantees that
    // `ptr` points to `len` readable values for the duration of the call.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A borrowed mutable slice for results written into caller memory.
pub(crate) fn slice_mut<'a, T>(ptr: *mut T, len: usize, name: &str) -> FfiResult<&'a mut [T]> {
    slice(ptr as *const T, len, name)?;
    if len == 0 {
        return Ok(&mut []);
    }
    // SAFETY: checked by `slice`; the caller guarantees the memory is
    // writable and not aliased during the call.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

/// A borrowed UTF-8 string from a pointer and a byte length.
pub(crate) fn utf8<'a>(ptr: *const u8, len: usize, name: &str) -> FfiResult<&'a str> {
    let bytes = slice(ptr, len, name)?;
    std::str::from_utf8(bytes).map_err(|e| invalid(format!("`{name}` is not valid UTF-8: {e}")))
}

/// The handle behind a pointer, or an error naming the argument.
pub(crate) fn handle<'a, T>(ptr: *const T, name: &str) -> FfiResult<&'a T> {
    if ptr.is_null() {
        return Err(invalid(format!("`{name}` is NULL")));
    }
    // SAFETY: non-NULL; the caller guarantees it came from this library and
    // was not freed.
    Ok(unsafe { &*ptr })
}

/// Writes `value` through an out-pointer, which must not be NULL.
pub(crate) fn write_out<T>(ptr: *mut T, value: T, name: &str) -> FfiResult {
    if ptr.is_null() {
        return Err(invalid(format!("`{name}` (an out-pointer) is NULL")));
    }
    // SAFETY: non-NULL; the caller guarantees it is writable.
    unsafe { ptr.write(value) };
    Ok(())
}

/// Checks an out-pointer before any work is done, so that a call fails
/// before it changes anything.
pub(crate) fn check_out<T>(ptr: *mut T, name: &str) -> FfiResult {
    if ptr.is_null() {
        Err(invalid(format!("`{name}` (an out-pointer) is NULL")))
    } else {
        Ok(())
    }
}

/// Checks an out-pointer for a new object and sets it to NULL, so that the
/// caller finds NULL there whenever the call fails.
pub(crate) fn clear_out<T>(ptr: *mut *mut T, name: &str) -> FfiResult {
    check_out(ptr, name)?;
    // SAFETY: non-NULL (checked); writable by contract.
    unsafe { ptr.write(std::ptr::null_mut()) };
    Ok(())
}

/// Checks the `struct_size` of an extensible option struct.
pub(crate) fn check_struct_size(got: u32, min: usize, name: &str) -> FfiResult {
    if (got as usize) < min {
        return Err(invalid(format!(
            "`{name}.struct_size` is {got}, expected at least {min}; initialise the struct with its _init function"
        )));
    }
    Ok(())
}
