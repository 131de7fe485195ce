//! Library and ABI versions.

use std::ffi::c_char;

/// Version of the ABI described by this header. Changes only when existing
/// functions or structs change incompatibly. 2: `qv_search_params` gained
/// `oversampling` and `rescore` (its size changed), and
/// `qv_collection_config.reserved` became `storage`. 3:
/// `qv_collection_config` gained `pq_subspaces` and `pq_centroids` (its
/// size changed). 4: `qv_hybrid_branch` gained the sparse branch's fields
/// (its size changed; `qv_hybrid_branch_init` writes the new size).
pub const QV_ABI_VERSION: u32 = 4;

/// The library version ("0.1.0"), a static NUL-terminated string; never free it.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub extern "C" fn qv_version() -> *const c_char {
    static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr() as *const c_char
}

/// The ABI version the library was built with; compare with the header's
/// `QV_ABI_VERSION` to detect a mismatched library at run time.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub extern "C" fn qv_abi_version() -> u32 {
    QV_ABI_VERSION
}

#[cfg(test)]
mod tests {
    #[test]
    fn qv_version_is_the_crate_version() {
        // SAFETY: qv_version returns a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(super::qv_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
