//! `qv_error`: an owned error object (status code + message).

use super::{free_boxed, FfiError};
use std::ffi::{c_char, CString};

/// An error returned through a `qv_error **err` out-parameter. Owned by the
/// caller, freed with `qv_error_free`.
pub struct qv_error {
    code: i32,
    message: CString,
}

impl qv_error {
    pub(crate) fn new_raw(e: FfiError) -> *mut qv_error {
        let message = CString::new(e.message.replace('\0', "\\0"))
            .unwrap_or_else(|_| CString::from(c"error message unavailable"));
        Box::into_raw(Box::new(qv_error {
            code: e.code as i32,
            message,
        }))
    }
}

/// The status code of `err` (one of `QV_ERR_*`), or `QV_ERR_INVALID_ARGUMENT`
/// when `err` is NULL.
///
/// Thread safety: safe to call from any thread; an error object is not
/// modified after it is created.
#[no_mangle]
pub extern "C" fn qv_error_code(err: *const qv_error) -> i32 {
    // SAFETY: NULL or a live error object from this library.
    match unsafe { err.as_ref() } {
        Some(e) => e.code,
        None => super::qv_status::QV_ERR_INVALID_ARGUMENT as i32,
    }
}

/// The message of `err`: NUL-terminated UTF-8 that says what failed and why,
/// with context ("dimension mismatch: point 7 (batch index 2): got 96 floats,
/// collection expects 128"). Borrowed: valid until `qv_error_free(err)`.
/// Returns a static empty string when `err` is NULL.
///
/// Thread safety: as `qv_error_code`.
#[no_mangle]
pub extern "C" fn qv_error_message(err: *const qv_error) -> *const c_char {
    // SAFETY: NULL or a live error object from this library.
    match unsafe { err.as_ref() } {
        Some(e) => e.message.as_ptr(),
        None => c"".as_ptr(),
    }
}

/// Frees an error object. `qv_error_free(NULL)` does nothing. The error must
/// not be used afterwards.
#[no_mangle]
pub extern "C" fn qv_error_free(err: *mut qv_error) {
    free_boxed(err);
}
