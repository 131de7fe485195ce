//! `qv_strings`: an owned list of strings (collection names).

use super::{free_boxed, guard, handle, invalid, qv_error, write_out};
use std::ffi::{c_char, CString};

/// A list of NUL-terminated UTF-8 strings owned by the caller; free with
/// `qv_strings_free`.
pub struct qv_strings {
    items: Vec<CString>,
}

impl qv_strings {
    pub(crate) fn new_raw(items: Vec<String>) -> *mut qv_strings {
        let items = items
            .into_iter()
            .map(|s| CString::new(s.replace('\0', "")).expect("NULs removed"))
            .collect();
        Box::into_raw(Box::new(qv_strings { items }))
    }
}

/// Number of strings in `list` (0 when `list` is NULL).
///
/// Thread safety: a `qv_strings` is immutable; any thread may read it.
#[no_mangle]
pub extern "C" fn qv_strings_count(list: *const qv_strings) -> usize {
    // SAFETY: NULL or a live list from this library.
    unsafe { list.as_ref() }.map_or(0, |l| l.items.len())
}

/// String `index` of `list`: `*str` receives a NUL-terminated UTF-8 string
/// and `*len` (if not NULL) its length in bytes, both borrowed until
/// `qv_strings_free(list)`.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, index out of range).
#[no_mangle]
pub extern "C" fn qv_strings_get(
    list: *const qv_strings,
    index: usize,
    str: *mut *const c_char,
    len: *mut usize,
    err: *mut *mut qv_error,
) -> i32 {
    guard(err, || {
        let l = handle(list, "list")?;
        let s = l.items.get(index).ok_or_else(|| {
            invalid(format!(
                "index {index} is out of range 0..{}",
                l.items.len()
            ))
        })?;
        write_out(str, s.as_ptr(), "str")?;
        if !len.is_null() {
            write_out(len, s.as_bytes().len(), "len")?;
        }
        Ok(())
    })
}

/// Frees a `qv_strings`. `qv_strings_free(NULL)` does nothing.
#[no_mangle]
pub extern "C" fn qv_strings_free(list: *mut qv_strings) {
    free_boxed(list);
}
