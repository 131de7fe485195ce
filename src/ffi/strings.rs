//! `qv_strings`: an owned list of strings (collection names).

use super::{c_string, free_boxed, guard, handle, invalid, out, qv_error};
use std::ffi::{c_char, CString};
use std::mem::MaybeUninit;

/// A list of NUL-terminated UTF-8 strings owned by the caller; free with
/// `qv_strings_free`.
pub struct qv_strings {
    items: Vec<CString>,
}

impl qv_strings {
    pub(crate) fn new_raw(items: Vec<String>) -> *mut qv_strings {
        let items = items.iter().map(|s| c_string(s)).collect();
        Box::into_raw(Box::new(qv_strings { items }))
    }
}

/// Number of strings in `list` (0 when `list` is NULL).
///
/// Thread safety: a `qv_strings` is immutable; any thread may read it.
#[no_mangle]
pub unsafe extern "C" fn qv_strings_count(list: Option<&qv_strings>) -> usize {
    list.map_or(0, |l| l.items.len())
}

/// String `index` of `list`: `*str` receives a NUL-terminated UTF-8 string
/// and `*len` (if `len` is not NULL) its length in bytes; the string is
/// borrowed from `list` and valid until `qv_strings_free(list)`.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL `list` or `str`, index
/// out of range).
///
/// Thread safety: as `qv_strings_count`.
#[no_mangle]
pub unsafe extern "C" fn qv_strings_get(
    list: Option<&qv_strings>,
    index: usize,
    str: Option<&mut MaybeUninit<*const c_char>>,
    len: Option<&mut MaybeUninit<usize>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let l = handle(list, "list")?;
        let str = out(str, "str")?;
        let s = l.items.get(index).ok_or_else(|| {
            invalid(format!(
                "index {index} is out of range: the list has {} strings",
                l.items.len()
            ))
        })?;
        str.write(s.as_ptr());
        if let Some(len) = len {
            len.write(s.as_bytes().len());
        }
        Ok(())
    })
}

/// Frees a `qv_strings`; the strings borrowed from it become invalid.
/// `qv_strings_free(NULL)` does nothing.
///
/// Thread safety: the list must not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn qv_strings_free(list: Option<Box<qv_strings>>) {
    free_boxed(list);
}
