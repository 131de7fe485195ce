//! Named sparse vectors: `qv_collection_upsert_sparse`,
//! `qv_collection_update_sparse`, `qv_collection_get_sparse` (`qv_sparse`),
//! `qv_collection_sparse_search`.

use super::points::{filter_arg, upsert_with};
use super::{
    check_reserved, flag, free_boxed, guard, handle, invalid, object_out, option_struct, out,
    qv_collection, qv_error, qv_results, slice, try_vec, utf8, view_ptr, FfiResult,
};
use crate::collection::SparseQuery;
use crate::index::sparse::{SparseColumn, SparseVector};
use std::mem::MaybeUninit;

/// The sparse vectors of one name for a batch of `n` points, in
/// compressed sparse row form: point `i`'s vector is the `indices` and
/// `values` from `indptr[i]` to `indptr[i + 1]` (an empty row: that point
/// gets no vector of this name). Indices within a row may come in any
/// order (they are stored sorted); an index twice in one row is an error.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_sparse_column {
    /// The vectors' name, `name_len` bytes of UTF-8 (1 to 256 bytes, no
    /// control characters).
    pub name: *const u8,
    /// Bytes in `name`.
    pub name_len: u64,
    /// `n + 1` row starts: `indptr[0]` is 0, they never decrease, and
    /// `indptr[n]` is the number of entries in `indices` and `values`.
    pub indptr: *const u64,
    /// `indptr[n]` indices.
    pub indices: *const u32,
    /// `indptr[n]` finite values.
    pub values: *const f32,
}

/// The engine's columns from the caller's array.
///
/// # Safety
/// `columns` holds `ncolumns` structs whose pointers hold their documented
/// lengths for a batch of `n` points.
unsafe fn columns_arg<'a>(
    columns: *const qv_sparse_column,
    ncolumns: usize,
    n: usize,
    name: &str,
) -> FfiResult<Vec<SparseColumn<'a>>> {
    // SAFETY (all): the caller's promise.
    let raw = unsafe { slice(columns, ncolumns, name, "ncolumns") }?;
    let mut out = Vec::with_capacity(raw.len());
    for (c, col) in raw.iter().enumerate() {
        let at = |f: &str| {
            if ncolumns == 1 && name == "column" {
                format!("column->{f}")
            } else {
                format!("{name}[{c}].{f}")
            }
        };
        let nl = usize::try_from(col.name_len)
            .map_err(|_| invalid(format!("{} is too large", at("name_len"))))?;
        let cname = unsafe { utf8(col.name, nl, &at("name"), &at("name_len")) }?;
        let rows = n.checked_add(1).ok_or_else(|| invalid("n is too large"))?;
        let indptr = unsafe { slice(col.indptr, rows, &at("indptr"), "n + 1") }?;
        let nnz = usize::try_from(indptr[n]).map_err(|_| {
            invalid(format!(
                "{} is {}: too large",
                at(&format!("indptr[{n}]")),
                indptr[n]
            ))
        })?;
        let len_name = at(&format!("indptr[{n}]"));
        let indices = unsafe { slice(col.indices, nnz, &at("indices"), &len_name) }?;
        let values = unsafe { slice(col.values, nnz, &at("values"), &len_name) }?;
        out.push(SparseColumn {
            name: cname,
            indptr,
            indices,
            values,
        });
    }
    Ok(out)
}

/// `qv_collection_upsert` with named sparse vectors: `columns` holds
/// `ncolumns` `qv_sparse_column`s (each a different name), each with a row
/// per point of the batch. The other arguments, the checks and the rules
/// are those of `qv_collection_upsert`; a point keeps only the sparse
/// vectors given here (an upsert replaces the whole point). Every sparse
/// value must be finite, and so must the sum of a vector's squared
/// values. A point has at most 64 sparse vectors of at most 1,048,576
/// entries each. Nothing of the arguments is retained after the call.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (as `qv_collection_upsert`,
/// and: a bad column name, a name twice, indptr not running from 0 to the
/// entries given or decreasing, an index twice in a row, a value that is
/// not finite; the message names the column as `columns[i]` or
/// `columns[i] ("name")`, and the point by id and batch index),
/// QV_ERR_DIMENSION_MISMATCH, QV_ERR_CLOSED, QV_ERR_READ_ONLY,
/// QV_ERR_OUT_OF_MEMORY, QV_ERR_IO.
///
/// Thread safety: as `qv_collection_upsert`.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_upsert_sparse(
    coll: Option<&qv_collection>,
    ids: *const u64,
    n: usize,
    vectors: *const f32,
    vectors_len: usize,
    payload_offsets: *const u64,
    payload_data: *const u8,
    payload_data_len: usize,
    columns: *const qv_sparse_column,
    ncolumns: usize,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        // SAFETY: the caller's promise (every pointer holds its documented
        // length).
        let cols = unsafe { columns_arg(columns, ncolumns, n, "columns") }?;
        unsafe {
            upsert_with(
                coll,
                ids,
                n,
                vectors,
                vectors_len,
                payload_offsets,
                payload_data,
                payload_data_len,
                &cols,
            )
        }
    })
}

/// Sets the sparse vector named `column->name` of each of the `n` points
/// `ids` to its row of `*column` (an empty row removes the point's vector
/// of that name), leaving the dense vector, the payload and the other
/// sparse vectors as they are. Ids that do not exist are ignored; a
/// repeated id takes its last row. `*updated` (if not NULL) receives how
/// many of the points existed. Everything is checked first: on any error
/// nothing changes. Atomic and durable when it returns; the points
/// rewritten, with their vectors and payloads, must fit in one write of
/// 1 GiB. Nothing of the arguments is retained.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, a bad column
/// as for `qv_collection_upsert_sparse`, a point over the limits),
/// QV_ERR_CLOSED, QV_ERR_READ_ONLY, QV_ERR_IO.
///
/// Thread safety: as `qv_collection_upsert`; it reads and rewrites the
/// points as one write (no concurrent write comes between).
#[no_mangle]
pub unsafe extern "C" fn qv_collection_update_sparse(
    coll: Option<&qv_collection>,
    ids: *const u64,
    n: usize,
    column: *const qv_sparse_column,
    updated: Option<&mut MaybeUninit<u64>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let h = handle(coll, "coll")?;
        if column.is_null() {
            return Err(invalid("column is NULL"));
        }
        // SAFETY: the caller's promise.
        let ids = unsafe { slice(ids, n, "ids", "n") }?;
        let cols = unsafe { columns_arg(column, 1, n, "column") }?;
        let count = h.with(|c| Ok(c.update_sparse_column(ids, &cols[0])?))?;
        if let Some(u) = updated {
            u.write(count as u64);
        }
        Ok(())
    })
}

/// Sparse vectors read by `qv_collection_get_sparse`: owned by the caller,
/// freed with `qv_sparse_free`; read through `qv_sparse_get_view`.
pub struct qv_sparse {
    indptr: Vec<u64>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

/// Borrowed views into a `qv_sparse`, valid until `qv_sparse_free`: row
/// `i` (for `ids[i]` of the call) is `indices` and `values` from
/// `indptr[i]` to `indptr[i + 1]`, sorted by index; an empty row means the
/// point does not exist or has no vector of that name. `indptr` has
/// `count + 1` entries. A pointer is NULL exactly when its length is 0.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_sparse_view {
    /// Rows (the `n` of the call).
    pub count: u64,
    /// `count + 1` row starts.
    pub indptr: *const u64,
    /// `indptr[count]` indices.
    pub indices: *const u32,
    /// `indptr[count]` values.
    pub values: *const f32,
}

/// Reads the sparse vectors named `name` (`name_len` bytes of UTF-8) of
/// the `n` points `ids`. On success `*out` receives a `qv_sparse` owned
/// by the caller (free with `qv_sparse_free`; on failure `*out` is NULL)
/// with one row per id. Nothing of `ids` is retained.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, bad name),
/// QV_ERR_CLOSED, QV_ERR_OUT_OF_MEMORY.
///
/// Thread safety: safe to call concurrently with any call; sees each write
/// whole or not at all.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_get_sparse(
    coll: Option<&qv_collection>,
    ids: *const u64,
    n: usize,
    name: *const u8,
    name_len: usize,
    out: Option<&mut MaybeUninit<*mut qv_sparse>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise.
        let name = unsafe { utf8(name, name_len, "name", "name_len") }?;
        let ids = unsafe { slice(ids, n, "ids", "n") }?;
        let mut indptr = try_vec(n + 1, "the rows of the result")?;
        let rows = h.with(|c| Ok(c.get_sparse(ids, name)?))?;
        let nnz: usize = rows.iter().flatten().map(SparseVector::len).sum();
        let mut s = qv_sparse {
            indptr: Vec::new(),
            indices: try_vec(nnz, "the indices of the result")?,
            values: try_vec(nnz, "the values of the result")?,
        };
        indptr.push(0);
        for r in &rows {
            if let Some(v) = r {
                s.indices.extend_from_slice(&v.indices);
                s.values.extend_from_slice(&v.values);
            }
            indptr.push(s.indices.len() as u64);
        }
        s.indptr = indptr;
        out.write(Box::into_raw(Box::new(s)));
        Ok(())
    })
}

/// Fills `*view` with borrowed pointers into `sparse` (valid until
/// `qv_sparse_free(sparse)`).
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer).
///
/// Thread safety: a `qv_sparse` is immutable; any thread may read it.
#[no_mangle]
pub unsafe extern "C" fn qv_sparse_get_view(
    sparse: Option<&qv_sparse>,
    view: Option<&mut MaybeUninit<qv_sparse_view>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let s = handle(sparse, "sparse")?;
        out(view, "view")?.write(qv_sparse_view {
            count: (s.indptr.len() - 1) as u64,
            indptr: view_ptr(&s.indptr),
            indices: view_ptr(&s.indices),
            values: view_ptr(&s.values),
        });
        Ok(())
    })
}

/// Frees a `qv_sparse`; every view into it becomes invalid.
/// `qv_sparse_free(NULL)` does nothing.
///
/// Thread safety: the object must not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn qv_sparse_free(sparse: Option<Box<qv_sparse>>) {
    free_boxed(sparse);
}

/// Per-call sparse search parameters. Initialise with
/// `qv_sparse_search_params_init`, then set at least `name`.
///
/// Versioning: as `qv_search_params` (`struct_size`, `reserved` 0).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_sparse_search_params {
    /// `sizeof(qv_sparse_search_params)`, set by the init function.
    pub struct_size: u32,
    /// Results, 1 to 100000. Default 10.
    pub k: u32,
    /// 1 = include payloads, 0 = not (default).
    pub with_payload: u32,
    /// Reserved: must be 0.
    pub reserved: u32,
    /// The name of the sparse vectors searched, `name_len` bytes of UTF-8.
    pub name: *const u8,
    /// Bytes in `name`.
    pub name_len: u64,
    /// Optional payload filter as UTF-8 JSON text (`filter_len` bytes);
    /// NULL or length 0 = no filter.
    pub filter_json: *const u8,
    /// Bytes in `filter_json`.
    pub filter_len: u64,
}

/// Fills `*params` with the defaults (k 10, no payloads, no name, no
/// filter) and its `struct_size`. Does nothing when NULL.
///
/// Thread safety: safe from any thread (it writes only `*params`).
#[no_mangle]
pub unsafe extern "C" fn qv_sparse_search_params_init(
    params: Option<&mut MaybeUninit<qv_sparse_search_params>>,
) {
    if let Some(p) = params {
        p.write(qv_sparse_search_params {
            struct_size: std::mem::size_of::<qv_sparse_search_params>() as u32,
            k: 10,
            with_payload: 0,
            reserved: 0,
            name: std::ptr::null(),
            name_len: 0,
            filter_json: std::ptr::null(),
            filter_len: 0,
        });
    }
}

/// What the arguments of a sparse query are called in errors: those of
/// `qv_collection_sparse_search`, or a hybrid branch's fields.
pub(crate) struct QueryArgs {
    pub indices: String,
    pub values: String,
    pub nnz: String,
    pub params: String,
}

impl QueryArgs {
    /// The arguments of `qv_collection_sparse_search`.
    fn call() -> QueryArgs {
        QueryArgs {
            indices: "indices".into(),
            values: "values".into(),
            nnz: "nnz".into(),
            params: "params".into(),
        }
    }
}

/// The engine's query from the caller's vector and struct.
///
/// # Safety
/// `indices` and `values` hold `nnz` entries; `params` is NULL or an
/// initialised struct whose pointers hold their documented lengths.
pub(crate) unsafe fn sparse_query(
    indices: *const u32,
    values: *const f32,
    nnz: usize,
    params: *const qv_sparse_search_params,
    a: &QueryArgs,
) -> FfiResult<SparseQuery> {
    // SAFETY (all): the caller's promise.
    let indices = unsafe { slice(indices, nnz, &a.indices, &a.nnz) }?;
    let values = unsafe { slice(values, nnz, &a.values, &a.nnz) }?;
    let p = unsafe { option_struct(params, &a.params, "qv_sparse_search_params") }?
        .ok_or_else(|| invalid(format!("{} is NULL", a.params)))?;
    let field = |f: &str| format!("{}.{f}", a.params);
    check_reserved(p.reserved, &field("reserved"))?;
    let nl = usize::try_from(p.name_len).map_err(|_| {
        invalid(format!(
            "{} is {}: too large",
            field("name_len"),
            p.name_len
        ))
    })?;
    let name = unsafe { utf8(p.name, nl, &field("name"), &field("name_len")) }?;
    let filter_len = usize::try_from(p.filter_len).map_err(|_| {
        invalid(format!(
            "{} is {}: too large",
            field("filter_len"),
            p.filter_len
        ))
    })?;
    Ok(SparseQuery {
        name: name.to_owned(),
        vector: SparseVector::new(indices.to_vec(), values.to_vec()),
        k: p.k as usize,
        filter: unsafe {
            filter_arg(
                p.filter_json,
                filter_len,
                &field("filter_json"),
                &field("filter_len"),
            )
        }?,
        with_payload: flag(p.with_payload, &field("with_payload"))?,
    })
}

/// Exact sparse vector search: the best `params->k` points by the dot
/// product of their sparse vector `params->name` with the query (`nnz`
/// entries of `indices` and `values`, in any order; an index twice is an
/// error), among the points that share at least one index with the query
/// and match `params->filter_json`, best first (equal scores by ascending
/// id), as one query of a new `qv_results` in `*out`, owned by the caller
/// (free with `qv_results_free`; on failure `*out` is NULL). Scores are
/// dot products (higher is better), summed in ascending index order. A
/// name no point carries, or an empty query, finds nothing (QV_OK, no
/// hits).
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, bad name, k
/// out of range, an index twice, a value not finite, bad filter, bad
/// params struct), QV_ERR_CLOSED, QV_ERR_IO, QV_ERR_OUT_OF_MEMORY.
///
/// Thread safety: safe to call concurrently with any other call on the
/// same collection, including writes.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_sparse_search(
    coll: Option<&qv_collection>,
    indices: *const u32,
    values: *const f32,
    nnz: usize,
    params: *const qv_sparse_search_params,
    out: Option<&mut MaybeUninit<*mut qv_results>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise (see `sparse_query`).
        let q = unsafe { sparse_query(indices, values, nnz, params, &QueryArgs::call()) }?;
        let hits = h.with(|c| Ok(c.sparse_search_raw(&q)?))?;
        out.write(Box::into_raw(Box::new(qv_results::one_query(hits)?)));
        Ok(())
    })
}
