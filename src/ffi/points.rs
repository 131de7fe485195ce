//! Point operations: upsert, get, delete, count, scroll; `qv_points`.

use super::{
    free_boxed, guard, handle, invalid, object_out, out, qv_collection, qv_error, slice, slice_mut,
    try_reserve, try_vec, utf8, view_ptr, FfiError, FfiResult,
};
use crate::filter::Filter;
use std::mem::MaybeUninit;

/// Parses an optional filter given as JSON text; NULL or empty = none.
///
/// # Safety
/// As [`slice`].
pub(crate) unsafe fn filter_arg(
    ptr: *const u8,
    len: usize,
    name: &str,
    len_name: &str,
) -> FfiResult<Option<Filter>> {
    if len == 0 {
        return Ok(None);
    }
    // SAFETY: the caller's promise.
    let text = unsafe { utf8(ptr, len, name, len_name) }?;
    Ok(Some(Filter::parse(text)?))
}

/// `n * dim` for a request of `n` rows of `dim` floats; an overflow is a
/// request for more memory than there is.
pub(crate) fn rows_times_dim(n: usize, dim: usize, n_name: &str) -> FfiResult<usize> {
    n.checked_mul(dim).ok_or_else(|| FfiError {
        code: super::qv_status::QV_ERR_OUT_OF_MEMORY,
        message: format!(
            "out of memory: {n_name} is {n}: {n_name} x dimension = {n} x {dim} floats is more than memory can hold"
        ),
    })
}

/// Inserts or replaces `n` points. `ids` holds `n` ids; `vectors` holds
/// `vectors_len` floats, which must be `n * dimension` (row-major; 0 for a
/// metadata-only collection). Payloads are optional: `payload_offsets` is
/// NULL (no payloads) or holds `n + 1` offsets into `payload_data`
/// (`payload_data_len` bytes); the payload of point `i` is the UTF-8 JSON
/// text in bytes `[payload_offsets[i], payload_offsets[i+1])`, and an empty
/// range means no payload. A payload is kept byte for byte as given.
///
/// Every vector value must be finite, and so must the vector's squared
/// norm (the sum of its squared values, in 32-bit floats; for cosine, of
/// the normalised vector), so that no score is NaN.
///
/// The whole batch is checked before anything is written: on any error
/// nothing changes. A repeated id within the batch: the last one wins.
/// Durable when it returns (per the database's sync option). Nothing is
/// retained after the call returns.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL buffer with a non-zero
/// length, non-finite value or squared norm, zero vector under cosine, bad
/// offsets, invalid UTF-8 or JSON in a payload; the message names the point
/// by id and batch index), QV_ERR_DIMENSION_MISMATCH, QV_ERR_CLOSED,
/// QV_ERR_READ_ONLY, QV_ERR_OUT_OF_MEMORY, QV_ERR_IO.
///
/// Thread safety: safe to call concurrently with any call; writes to one
/// collection are serialised, and searches never see half a batch.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_upsert(
    coll: Option<&qv_collection>,
    ids: *const u64,
    n: usize,
    vectors: *const f32,
    vectors_len: usize,
    payload_offsets: *const u64,
    payload_data: *const u8,
    payload_data_len: usize,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        // SAFETY: the caller's promise (see `upsert_with`).
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
                &[],
            )
        }
    })
}

/// The body of `qv_collection_upsert` and `qv_collection_upsert_sparse`.
///
/// # Safety
/// Each pointer holds its documented length.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn upsert_with(
    coll: Option<&qv_collection>,
    ids: *const u64,
    n: usize,
    vectors: *const f32,
    vectors_len: usize,
    payload_offsets: *const u64,
    payload_data: *const u8,
    payload_data_len: usize,
    sparse: &[crate::index::sparse::SparseColumn<'_>],
) -> FfiResult {
    handle(coll, "coll")?.with(|c| {
            let dim = c.config().dimension;
            // Before any slice of `n` elements is formed.
            if n.checked_mul(dim).is_none() {
                return Err(invalid(format!(
                    "n is {n}: n x dimension = {n} x {dim} floats overflows"
                )));
            }
            // SAFETY (all three): each pointer holds its documented length
            // (the caller's promise).
            let ids = unsafe { slice(ids, n, "ids", "n") }?;
            let vectors = unsafe { slice(vectors, vectors_len, "vectors", "vectors_len") }?;
            let data = unsafe { slice(payload_data, payload_data_len, "payload_data", "payload_data_len") }?;
            let mut payloads: Vec<Option<&[u8]>> = try_vec(n, "the payload list")?;
            if payload_offsets.is_null() {
                if !data.is_empty() {
                    return Err(invalid(format!(
                        "payload_data is given (payload_data_len is {}) but payload_offsets is NULL",
                        data.len()
                    )));
                }
                payloads.resize(n, None);
            } else {
                // SAFETY: `payload_offsets` holds n + 1 offsets (the caller's
                // promise); n + 1 does not overflow (`ids` has n elements).
                let offs = unsafe { slice(payload_offsets, n + 1, "payload_offsets", "n + 1") }?;
                for i in 0..n {
                    let (a, b) = (offs[i], offs[i + 1]);
                    if a > b || b > data.len() as u64 {
                        return Err(invalid(format!(
                            "payload_offsets[{i}] is {a} and payload_offsets[{}] is {b}: the payload of point {} (batch index {i}) must be a range within the {} bytes of payload_data",
                            i + 1,
                            ids[i],
                            data.len()
                        )));
                    }
                    payloads.push((a < b).then(|| &data[a as usize..b as usize]));
                }
            }
            Ok(c.upsert_json_sparse(ids, vectors, &payloads, sparse)?)
        })
}

/// Deletes the points with the `n` ids in `ids`; ids that do not exist are
/// ignored. `*deleted` (if `deleted` is not NULL) receives how many existed.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT, QV_ERR_CLOSED,
/// QV_ERR_READ_ONLY, QV_ERR_IO.
///
/// Thread safety: as `qv_collection_upsert`.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_delete(
    coll: Option<&qv_collection>,
    ids: *const u64,
    n: usize,
    deleted: Option<&mut MaybeUninit<u64>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let h = handle(coll, "coll")?;
        // SAFETY: `ids` holds `n` ids (the caller's promise).
        let ids = unsafe { slice(ids, n, "ids", "n") }?;
        let count = h.with(|c| Ok(c.delete(ids)?))?;
        if let Some(d) = deleted {
            d.write(count as u64);
        }
        Ok(())
    })
}

/// Writes the number of points into `*out`.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer), QV_ERR_CLOSED.
///
/// Thread safety: safe to call concurrently with any call.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_count(
    coll: Option<&qv_collection>,
    out: Option<&mut MaybeUninit<u64>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = super::out(out, "out")?;
        let n = handle(coll, "coll")?.with(|c| Ok(c.count()?))?;
        out.write(n as u64);
        Ok(())
    })
}

/// Pages through the ids of the points (matching the optional filter, JSON
/// text of `filter_len` bytes; NULL/0 = all), in ascending order, starting
/// at id `from` (inclusive; 0 starts at the beginning). Writes up to
/// `ids_cap` ids into `ids` and their number into `*count`; `*has_next`
/// receives 1 and `*next` the id to pass as `from` for the next page, or 0
/// and 0 at the end.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, `ids_cap` 0,
/// bad filter), QV_ERR_CLOSED.
///
/// Thread safety: safe to call concurrently with any call; each page is
/// consistent, pages taken while others write may reflect those writes.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_scroll(
    coll: Option<&qv_collection>,
    from: u64,
    filter_json: *const u8,
    filter_len: usize,
    ids: *mut u64,
    ids_cap: usize,
    count: Option<&mut MaybeUninit<usize>>,
    next: Option<&mut MaybeUninit<u64>>,
    has_next: Option<&mut MaybeUninit<u8>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let count = out(count, "count")?;
        let next = out(next, "next")?;
        let has_next = out(has_next, "has_next")?;
        let h = handle(coll, "coll")?;
        // SAFETY: `filter_json` holds `filter_len` bytes (the caller's promise).
        let filter = unsafe { filter_arg(filter_json, filter_len, "filter_json", "filter_len") }?;
        if ids_cap == 0 {
            return Err(invalid("ids_cap is 0; it must be at least 1"));
        }
        // SAFETY: `ids` has room for `ids_cap` ids (the caller's promise).
        let dest = unsafe { slice_mut(ids, ids_cap, "ids", "ids_cap") }?;
        let page = h.with(|c| Ok(c.scroll(Some(from), ids_cap, filter.as_ref())?))?;
        dest[..page.ids.len()].copy_from_slice(&page.ids);
        count.write(page.ids.len());
        next.write(page.next.unwrap_or(0));
        has_next.write(page.next.is_some() as u8);
        Ok(())
    })
}

/// Points read by `qv_collection_get`: owned by the caller, freed with
/// `qv_points_free`; read through `qv_points_get_view`.
pub struct qv_points {
    pub(crate) dimension: u64,
    pub(crate) ids: Vec<u64>,
    pub(crate) found: Vec<u8>,
    pub(crate) vectors: Vec<f32>,
    pub(crate) payload_offsets: Vec<u64>,
    pub(crate) payload_data: Vec<u8>,
    /// A scroll page's cursor for the next page.
    pub(crate) cursor: Option<std::ffi::CString>,
}

/// Borrowed views into a `qv_points`, valid until `qv_points_free`.
/// Entry `i` answers `ids[i]`: `found[i]` is 1 if the point exists (else its
/// vector is zeros and its payload empty); its vector is
/// `vectors[i * dimension .. (i + 1) * dimension]`; its payload is the JSON
/// text in `payload_data[payload_offsets[i] .. payload_offsets[i + 1]]`
/// (empty = no payload), byte for byte as it was written. A pointer is NULL
/// exactly when its length is 0.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_points_view {
    /// Number of entries (the number of ids asked for).
    pub count: u64,
    /// Floats per vector.
    pub dimension: u64,
    /// `count` ids, as asked.
    pub ids: *const u64,
    /// `count` flags, 1 = found.
    pub found: *const u8,
    /// `count * dimension` floats.
    pub vectors: *const f32,
    /// `count + 1` offsets into `payload_data`.
    pub payload_offsets: *const u64,
    /// Concatenated payload JSON texts.
    pub payload_data: *const u8,
    /// Bytes in `payload_data`.
    pub payload_data_len: u64,
}

/// Reads the points with the `n` ids in `ids` (vectors, and payloads byte
/// for byte as they were written). On success `*out` receives a
/// `qv_points` owned by the caller (free it with `qv_points_free`); on
/// failure it is NULL. Ids that do not exist have `found` = 0. Nothing of
/// `ids` is retained after the call returns.
///
/// The result needs about `n * (dimension * 4 + 17)` bytes plus the
/// payloads; when that memory cannot be allocated the call fails with
/// QV_ERR_OUT_OF_MEMORY (ask for fewer ids at a time).
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer), QV_ERR_CLOSED,
/// QV_ERR_OUT_OF_MEMORY.
///
/// Thread safety: safe to call concurrently with any call; sees each write
/// batch whole or not at all.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_get(
    coll: Option<&qv_collection>,
    ids: *const u64,
    n: usize,
    out: Option<&mut MaybeUninit<*mut qv_points>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let p = handle(coll, "coll")?.with(|c| {
            let dim = c.config().dimension;
            // The result buffers first, before the engine reads anything
            // (and before a slice of `n` ids is formed).
            let floats = rows_times_dim(n, dim, "n")?;
            let mut p = qv_points {
                dimension: dim as u64,
                vectors: try_vec(floats, "the vectors of the result")?,
                ids: try_vec(n, "the ids of the result")?,
                found: try_vec(n, "the found flags of the result")?,
                payload_offsets: try_vec(n.saturating_add(1), "the payload offsets of the result")?,
                payload_data: Vec::new(),
                cursor: None,
            };
            // SAFETY: `ids` holds `n` ids (the caller's promise).
            let ids = unsafe { slice(ids, n, "ids", "n") }?;
            let points = c.get_raw(ids)?;
            let payload_bytes = points
                .iter()
                .flatten()
                .filter_map(|p| p.payload.as_ref())
                .map(Vec::len)
                .sum();
            try_reserve(
                &mut p.payload_data,
                payload_bytes,
                "the payloads of the result",
            )?;
            p.ids.extend_from_slice(ids);
            p.payload_offsets.push(0);
            for point in &points {
                match point {
                    Some(point) => {
                        p.found.push(1);
                        p.vectors.extend_from_slice(&point.vector);
                        if let Some(bytes) = &point.payload {
                            p.payload_data.extend_from_slice(bytes);
                        }
                    }
                    None => {
                        p.found.push(0);
                        p.vectors.extend(std::iter::repeat_n(0.0, dim));
                    }
                }
                p.payload_offsets.push(p.payload_data.len() as u64);
            }
            Ok(p)
        })?;
        out.write(Box::into_raw(Box::new(p)));
        Ok(())
    })
}

/// Fills `*view` with borrowed pointers into `points` (valid until
/// `qv_points_free(points)`).
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer).
///
/// Thread safety: a `qv_points` is immutable; any thread may read it.
#[no_mangle]
pub unsafe extern "C" fn qv_points_get_view(
    points: Option<&qv_points>,
    view: Option<&mut MaybeUninit<qv_points_view>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let p = handle(points, "points")?;
        out(view, "view")?.write(qv_points_view {
            count: p.ids.len() as u64,
            dimension: p.dimension,
            ids: view_ptr(&p.ids),
            found: view_ptr(&p.found),
            vectors: view_ptr(&p.vectors),
            payload_offsets: view_ptr(&p.payload_offsets),
            payload_data: view_ptr(&p.payload_data),
            payload_data_len: p.payload_data.len() as u64,
        });
        Ok(())
    })
}

/// Frees a `qv_points`; every view into it becomes invalid.
/// `qv_points_free(NULL)` does nothing.
///
/// Thread safety: the object must not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn qv_points_free(points: Option<Box<qv_points>>) {
    free_boxed(points);
}
