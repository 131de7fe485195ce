//! The C ABI. This is the only module with `extern "C"`, raw pointers and
//! pointer reads; it checks every argument, calls the engine, maps errors to
//! status codes and hands out owned buffers. It holds no engine logic. One
//! file per object of the header.
//!
//! Conventions (see `include/quiver.h`):
//! - every exported function is `unsafe extern "C"`: it trusts the pointers
//!   the caller passes. NULL-ability is in the types, as in wasmtime's
//!   c-api: a handle is `Option<&T>`, an out-pointer `Option<&mut
//!   MaybeUninit<T>>` (the caller's memory may be uninitialised), an object
//!   given back to be freed `Option<Box<T>>`; a buffer is a raw pointer with
//!   a length, read through [`slice`]; an extensible option struct is a raw
//!   pointer, read through [`option_struct`] once its `struct_size` is known;
//! - every fallible function returns an `int32_t` status (`QV_OK` = 0) and
//!   takes an optional trailing `qv_error **err`: when it is not NULL, it is
//!   set to NULL on success and to a new error object on failure;
//! - every buffer comes with an explicit length; NULL is accepted only for
//!   an empty buffer;
//! - no panic crosses the boundary: [`catch`] is the one place that catches
//!   panics, used by [`guard`] (around every fallible body) and by
//!   [`free_boxed`] (behind every `qv_*_free`).
//!
//! The caller's obligations (the `# Safety` of every function here) are the
//! header's, stated once in its conventions and per argument in each doc
//! comment: a pointer is NULL or valid for the documented length and
//! access, a handle came from this library and was not freed, memory passed
//! for writing is not read or written by another thread during the call.
#![allow(non_camel_case_types)]
// See "The caller's obligations" above: repeating them as a `# Safety`
// section in every doc comment would copy them into every function of the
// header.
#![allow(clippy::missing_safety_doc)]

mod collection;
mod database;
mod error;
mod fields;
mod graph;
mod hybrid;
mod payload;
mod points;
mod results;
mod search;
mod sparse;
mod stats;
mod strings;
mod text;
mod version;

pub use collection::*;
pub use database::*;
pub use error::*;
pub use fields::*;
pub use graph::*;
pub use hybrid::*;
pub use points::*;
pub use results::*;
pub use search::*;
pub use sparse::*;
pub use stats::*;
pub use strings::*;
pub use text::*;
pub use version::*;

use crate::error::Error;
use std::ffi::CString;
use std::mem::MaybeUninit;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Status codes returned by every fallible function. New codes may be added
/// in later versions; treat an unknown non-zero code as a generic error.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum qv_status {
    /// Success.
    QV_OK = 0,
    /// An argument is malformed: NULL pointer with a non-zero length, k == 0,
    /// NaN, bad name, invalid UTF-8 or JSON, unknown enum value, non-zero
    /// reserved field, wrong struct_size, ...
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
    /// A file fails its checks; the message names the file and the offset.
    QV_ERR_CORRUPT = 7,
    /// A file is not a quiver file or has a format version this build cannot read.
    QV_ERR_INCOMPATIBLE_FORMAT = 8,
    /// The database directory is open already (in this process or another).
    QV_ERR_LOCKED = 9,
    /// The operation does not apply (e.g. vector search on a metadata-only collection).
    QV_ERR_UNSUPPORTED = 10,
    /// Reserved for the query language.
    QV_ERR_QUERY_SYNTAX = 11,
    /// Memory for a result of the requested size could not be allocated;
    /// nothing changed, and a smaller request may succeed.
    QV_ERR_OUT_OF_MEMORY = 12,
    /// A bug in the library.
    QV_ERR_INTERNAL = 13,
    /// The library panicked; the call had no effect it acknowledges.
    QV_ERR_PANIC = 14,
    /// The collection refuses writes until it is reopened: an I/O error
    /// after a log append (such as a failed fsync or a full disk), or a
    /// caught panic, left its state uncertain. The message carries the
    /// cause, which qv_collection_stats also reports (read_only_cause).
    /// Reads and searches still work. Reopening the collection (closing the
    /// database and opening it again) recovers from the log.
    QV_ERR_READ_ONLY = 15,
    /// A long operation (such as qv_collection_train_quantizer) stopped
    /// because its progress callback returned 0; it changed nothing.
    QV_ERR_CANCELLED = 16,
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
            Error::Cancelled(_) => qv_status::QV_ERR_CANCELLED,
        };
        FfiError {
            code,
            message: e.to_string(),
        }
    }
}

impl FfiError {
    /// The error with `context` before its message (after the kind's
    /// prefix, such as `invalid argument: `).
    pub(crate) fn prefixed(mut self, context: &str) -> FfiError {
        match self.message.split_once(": ") {
            Some((kind, rest)) => self.message = format!("{kind}: {context}{rest}"),
            None => self.message = format!("{context}{}", self.message),
        }
        self
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

/// Reserves room for `additional` more elements in `v`, or fails with
/// QV_ERR_OUT_OF_MEMORY naming `what`: buffers sized by the caller's
/// request are never allocated infallibly (that would abort the host).
pub(crate) fn try_reserve<T>(v: &mut Vec<T>, additional: usize, what: &str) -> FfiResult {
    v.try_reserve_exact(additional).map_err(|_| {
        let bytes = (additional as u128) * (std::mem::size_of::<T>() as u128);
        FfiError {
            code: qv_status::QV_ERR_OUT_OF_MEMORY,
            message: format!(
                "out of memory: cannot allocate {bytes} bytes for {what} ({additional} entries)"
            ),
        }
    })
}

/// A vector with room for exactly `n` elements, reserved fallibly (see
/// [`try_reserve`]).
pub(crate) fn try_vec<T>(n: usize, what: &str) -> FfiResult<Vec<T>> {
    let mut v = Vec::new();
    try_reserve(&mut v, n, what)?;
    Ok(v)
}

/// Runs `f`, turning a panic into an error with the panic status. The one
/// place where this layer catches panics.
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> FfiResult<R> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        FfiError {
            code: qv_status::QV_ERR_PANIC,
            message: format!("internal panic: {what}"),
        }
    })
}

/// Runs `body`, catching panics, and reports its outcome as a status code
/// and (when `err` is not NULL) an error object.
pub(crate) fn guard(
    mut err: Option<&mut MaybeUninit<*mut qv_error>>,
    body: impl FnOnce() -> FfiResult,
) -> i32 {
    if let Some(slot) = err.as_deref_mut() {
        slot.write(std::ptr::null_mut());
    }
    match catch(body).and_then(|r| r) {
        Ok(()) => qv_status::QV_OK as i32,
        Err(e) => {
            let code = e.code as i32;
            if let Some(slot) = err {
                slot.write(qv_error::new_raw(e));
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

/// Frees an object this library handed out (NULL is a no-op). A panic in a
/// destructor (closing a database checkpoints) is swallowed: a `_free`
/// function has no way to report it.
pub(crate) fn free_boxed<T>(object: Option<Box<T>>) {
    if let Some(b) = object {
        let _ = catch(move || drop(b));
    }
}

/// A UTF-8 string as a C string; a NUL inside (which C cannot represent)
/// becomes the two characters `\0`.
pub(crate) fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "\\0")).expect("NULs were replaced")
}

/// A borrowed slice from a C pointer `ptr` (the argument `name`) and a
/// length `len` (given by the argument or expression `len_name`). NULL is
/// accepted for an empty slice only; the pointer must be aligned for `T`.
///
/// # Safety
/// When `len` > 0 and `ptr` is not NULL, `ptr` points to `len` readable
/// values of `T` that stay valid and unmodified for `'a`.
pub(crate) unsafe fn slice<'a, T>(
    ptr: *const T,
    len: usize,
    name: &str,
    len_name: &str,
) -> FfiResult<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(invalid(format!("{name} is NULL but {len_name} is {len}")));
    }
    if !(ptr as usize).is_multiple_of(std::mem::align_of::<T>()) {
        return Err(invalid(format!(
            "{name} is not aligned to {} bytes",
            std::mem::align_of::<T>()
        )));
    }
    if len
        .checked_mul(std::mem::size_of::<T>())
        .is_none_or(|b| b > isize::MAX as usize)
    {
        return Err(invalid(format!(
            "{len_name} is {len}: more elements of {name} than memory can hold"
        )));
    }
    // SAFETY: non-NULL, aligned, size checked; the rest is the caller's
    // promise above.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A borrowed mutable slice for results written into caller memory; checks
/// as [`slice`].
///
/// # Safety
/// As [`slice`], and the memory is writable and not accessed by anyone
/// else for `'a`.
pub(crate) unsafe fn slice_mut<'a, T>(
    ptr: *mut T,
    len: usize,
    name: &str,
    len_name: &str,
) -> FfiResult<&'a mut [T]> {
    // SAFETY: the caller's promise covers the checks' reads (there are none).
    unsafe { slice(ptr as *const T, len, name, len_name) }?;
    if len == 0 {
        return Ok(&mut []);
    }
    // SAFETY: checked by `slice`; writable and unaliased by the caller's promise.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

/// A borrowed UTF-8 string from a pointer and a byte length.
///
/// # Safety
/// As [`slice`].
pub(crate) unsafe fn utf8<'a>(
    ptr: *const u8,
    len: usize,
    name: &str,
    len_name: &str,
) -> FfiResult<&'a str> {
    // SAFETY: the caller's promise.
    let bytes = unsafe { slice(ptr, len, name, len_name) }?;
    std::str::from_utf8(bytes).map_err(|e| invalid(format!("{name} is not valid UTF-8: {e}")))
}

/// The handle behind an argument, or an error naming the argument.
pub(crate) fn handle<'a, T>(h: Option<&'a T>, name: &str) -> FfiResult<&'a T> {
    h.ok_or_else(|| invalid(format!("{name} is NULL")))
}

/// An out-pointer the call must write, checked before any work is done so
/// that a call fails before it changes anything.
pub(crate) fn out<'a, T>(
    slot: Option<&'a mut MaybeUninit<T>>,
    name: &str,
) -> FfiResult<&'a mut MaybeUninit<T>> {
    slot.ok_or_else(|| invalid(format!("{name} (an out-pointer) is NULL")))
}

/// The out-pointer of a new object, set to NULL at once, so that the caller
/// finds NULL there whenever the call fails.
pub(crate) fn object_out<'a, T>(
    slot: Option<&'a mut MaybeUninit<*mut T>>,
    name: &str,
) -> FfiResult<&'a mut MaybeUninit<*mut T>> {
    let slot = out(slot, name)?;
    slot.write(std::ptr::null_mut());
    Ok(slot)
}

/// An extensible option struct of the header (`T`, named `type_name`, the
/// argument `arg`): NULL, or a struct whose first field, `struct_size`,
/// must be exactly `size_of::<T>()`. The size is read before the struct,
/// so a caller's struct of another size is never read past its end.
///
/// A smaller size means the struct was not initialised with its `_init`
/// function (this is the first version of every option struct); a larger
/// one, that the caller was built against a newer quiver.h, whose fields
/// this library cannot honour.
///
/// # Safety
/// `ptr` is NULL or points to a readable, aligned `u32` `struct_size`
/// followed by the rest of a struct of that many bytes.
pub(crate) unsafe fn option_struct<'a, T>(
    ptr: *const T,
    arg: &str,
    type_name: &str,
) -> FfiResult<Option<&'a T>> {
    if ptr.is_null() {
        return Ok(None);
    }
    if !(ptr as usize).is_multiple_of(std::mem::align_of::<T>()) {
        return Err(invalid(format!(
            "{arg} is not aligned to {} bytes",
            std::mem::align_of::<T>()
        )));
    }
    // SAFETY: every option struct starts with its u32 struct_size, which
    // the caller's struct has whatever its version.
    let got = unsafe { ptr.cast::<u32>().read() } as usize;
    let ours = std::mem::size_of::<T>();
    if got < ours {
        return Err(invalid(format!(
            "{arg}.struct_size is {got}, but {type_name} has {ours} bytes: initialise the struct with {type_name}_init before setting its fields"
        )));
    }
    if got > ours {
        return Err(invalid(format!(
            "{arg}.struct_size is {got}, but this library's {type_name} has {ours} bytes: the caller was built against a newer quiver.h than this library (version {}); use the header of this version or a newer library",
            env!("CARGO_PKG_VERSION")
        )));
    }
    // SAFETY: the caller's struct has exactly our size and is aligned.
    Ok(Some(unsafe { &*ptr }))
}

/// Checks that the reserved field `name` of an option struct is 0.
pub(crate) fn check_reserved(value: u32, name: &str) -> FfiResult {
    if value != 0 {
        return Err(invalid(format!(
            "{name} is {value}; it must be 0 (reserved for a later version)"
        )));
    }
    Ok(())
}

/// Reads a flag field of an option struct: 0 or 1.
pub(crate) fn flag(value: u32, name: &str) -> FfiResult<bool> {
    match value {
        0 => Ok(false),
        1 => Ok(true),
        v => Err(invalid(format!("{name} is {v}; it must be 0 or 1"))),
    }
}
