//! Field indexes: create, drop and list them (`qv_field_indexes`).

use super::{
    c_string, free_boxed, guard, handle, invalid, object_out, out, qv_collection, qv_error, utf8,
};
use crate::segment::field_index::FieldKind;
use std::ffi::{c_char, CString};
use std::mem::MaybeUninit;

/// Field index kind: strings (equality, `in`, ordering by code point).
pub const QV_FIELD_KEYWORD: u32 = 1;
/// Field index kind: integers (a float with an integral value counts).
pub const QV_FIELD_INTEGER: u32 = 2;
/// Field index kind: numbers, as doubles.
pub const QV_FIELD_FLOAT: u32 = 3;
/// Field index kind: booleans.
pub const QV_FIELD_BOOL: u32 = 4;
/// Field index kind: RFC 3339 datetime strings, compared as instants
/// (`lt`, `lte`, `gt`, `gte`, `between` with datetime strings).
pub const QV_FIELD_DATETIME: u32 = 5;
/// Field index kind: full text (BM25 search and `text` conditions), with
/// the default analyzer when created by `qv_collection_create_field_index`
/// (`qv_collection_create_text_index` takes the analyzer's options).
pub const QV_FIELD_TEXT: u32 = 6;

/// One field index, as `qv_field_indexes_get` returns it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_field_index_view {
    /// The payload field (dotted path, NUL-terminated UTF-8), borrowed from
    /// the list.
    pub field: *const c_char,
    /// One of `QV_FIELD_*`.
    pub kind: u32,
    /// Reserved: 0.
    pub reserved: u32,
    /// Bytes of heap its per-segment indexes hold.
    pub ram_bytes: u64,
    /// Bytes of its files.
    pub disk_bytes: u64,
}

/// The field indexes of a collection, owned by the caller: free with
/// `qv_field_indexes_free`.
pub struct qv_field_indexes {
    views: Vec<qv_field_index_view>,
    _fields: Vec<CString>,
}

/// Creates an index of kind `kind` (one of `QV_FIELD_*`) on the payload
/// field `field` (`field_len` bytes of UTF-8, a dotted path such as
/// `"meta.lang"`; an array field indexes each element) and builds it over
/// every point before returning. Searches and writes go on meanwhile
/// (writes wait while the newest segment is indexed, at the end); the
/// background optimizer waits. Durable when it returns. Filters with
/// conditions on the field then use it (see the README's filter planner).
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, bad UTF-8, an
/// empty path or an empty path segment, unknown kind),
/// QV_ERR_ALREADY_EXISTS (the field has an index of that family: a value
/// index, or a text index for QV_FIELD_TEXT), QV_ERR_CLOSED,
/// QV_ERR_READ_ONLY, QV_ERR_IO, QV_ERR_CORRUPT (a stored payload does not
/// parse). On failure nothing is created.
///
/// Thread safety: safe to call concurrently with any call on the
/// collection.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_create_field_index(
    coll: Option<&qv_collection>,
    field: *const u8,
    field_len: usize,
    kind: u32,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        // SAFETY: `field` holds `field_len` bytes (the caller's promise).
        let field = unsafe { utf8(field, field_len, "field", "field_len") }?;
        let kind = FieldKind::from_code(kind).ok_or_else(|| {
            invalid(format!(
                "kind is {kind}; it must be QV_FIELD_KEYWORD (1), QV_FIELD_INTEGER (2), QV_FIELD_FLOAT (3), QV_FIELD_BOOL (4), QV_FIELD_DATETIME (5) or QV_FIELD_TEXT (6)"
            ))
        })?;
        handle(coll, "coll")?.with(|c| Ok(c.create_field_index(field, kind)?))
    })
}

/// Drops the value index (any kind but QV_FIELD_TEXT; see
/// `qv_collection_drop_text_index`) on the payload field `field`
/// (`field_len` bytes of UTF-8) and removes its files. Durable when it returns; searches go on
/// without it.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, bad UTF-8 or
/// path), QV_ERR_NOT_FOUND (no index on that field), QV_ERR_CLOSED,
/// QV_ERR_READ_ONLY, QV_ERR_IO.
///
/// Thread safety: safe to call concurrently with any call on the
/// collection.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_drop_field_index(
    coll: Option<&qv_collection>,
    field: *const u8,
    field_len: usize,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        // SAFETY: `field` holds `field_len` bytes (the caller's promise).
        let field = unsafe { utf8(field, field_len, "field", "field_len") }?;
        handle(coll, "coll")?.with(|c| Ok(c.drop_field_index(field)?))
    })
}

/// Lists the collection's field indexes in creation order. On success
/// `*out` receives a `qv_field_indexes` owned by the caller (read it with
/// `qv_field_indexes_count` / `qv_field_indexes_get`, free it with
/// `qv_field_indexes_free`); on failure it is NULL.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer), QV_ERR_CLOSED.
///
/// Thread safety: safe to call concurrently with any call on the
/// collection; the list does not change afterwards.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_list_field_indexes(
    coll: Option<&qv_collection>,
    out: Option<&mut MaybeUninit<*mut qv_field_indexes>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let list = handle(coll, "coll")?.with(|c| Ok(c.field_indexes()?))?;
        let fields: Vec<CString> = list.iter().map(|i| c_string(&i.field)).collect();
        let views = list
            .iter()
            .zip(&fields)
            .map(|(i, f)| qv_field_index_view {
                field: f.as_ptr(),
                kind: i.kind as u32,
                reserved: 0,
                ram_bytes: i.ram_bytes,
                disk_bytes: i.disk_bytes,
            })
            .collect();
        out.write(Box::into_raw(Box::new(qv_field_indexes {
            views,
            _fields: fields,
        })));
        Ok(())
    })
}

/// Number of indexes in `list` (0 when `list` is NULL).
///
/// Thread safety: a `qv_field_indexes` is immutable; any thread may read it.
#[no_mangle]
pub unsafe extern "C" fn qv_field_indexes_count(list: Option<&qv_field_indexes>) -> usize {
    list.map_or(0, |l| l.views.len())
}

/// Writes index `index` of `list` into `*view` (its `field` string is
/// borrowed from `list`, valid until `qv_field_indexes_free(list)`).
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, index out of
/// range).
///
/// Thread safety: as `qv_field_indexes_count`.
#[no_mangle]
pub unsafe extern "C" fn qv_field_indexes_get(
    list: Option<&qv_field_indexes>,
    index: usize,
    view: Option<&mut MaybeUninit<qv_field_index_view>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let l = handle(list, "list")?;
        let view = out(view, "view")?;
        let v = l.views.get(index).ok_or_else(|| {
            invalid(format!(
                "index {index} is out of range: the list has {} field indexes",
                l.views.len()
            ))
        })?;
        view.write(*v);
        Ok(())
    })
}

/// Frees a `qv_field_indexes`; the strings borrowed from it become
/// invalid. `qv_field_indexes_free(NULL)` does nothing.
///
/// Thread safety: the list must not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn qv_field_indexes_free(list: Option<Box<qv_field_indexes>>) {
    free_boxed(list);
}
