//! `qv_error`: an owned error object (status code + message).

use super::{c_string, free_boxed, FfiError};
use std::ffi::{c_char, CString};

/// An error returned through a `qv_error **err` out-parameter. Owned by the
/// caller, freed with `qv_error_free`.
pub struct qv_error {
    code: i32,
    message: CString,
}

impl qv_error {
    pub(crate) fn new_raw(e: FfiError) -> *mut qv_error {
        Box::into_raw(Box::new(qv_error {
            code: e.code as i32,
            message: c_string(&e.message),
        }))
    }
}

/// The status code of `err` (one of `QV_ERR_*`), or `QV_ERR_INVALID_ARGUMENT`
/// when `err` is NULL.
///
/// Thread safety: safe to call from any thread; an error object is not
/// modified after it is created.
#[no_mangle]
pub unsafe extern "C" fn qv_error_code(err: Option<&qv_error>) -> i32 {
    match err {
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
pub unsafe extern "C" fn qv_error_message(err: Option<&qv_error>) -> *const c_char {
    match err {
        Some(e) => e.message.as_ptr(),
        None => c"".as_ptr(),
    }
}

/// Frees an error object. `qv_error_free(NULL)` does nothing. The error must
/// not be used afterwards.
///
/// Thread safety: the error must not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn qv_error_free(err: Option<Box<qv_error>>) {
    free_boxed(err);
}
