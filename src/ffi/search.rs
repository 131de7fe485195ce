//! Vector search, in two result modes: caller-provided arrays, and an owned
//! `qv_results`.

use super::points::filter_arg;
use super::{
    check_reserved, flag, guard, handle, invalid, object_out, option_struct, qv_collection,
    qv_error, qv_results, slice, slice_mut, FfiResult,
};
use crate::collection::ops::check_vector;
use crate::collection::Collection;
use crate::point::{RawHit, SearchParams};
use std::mem::MaybeUninit;

/// The id written into the unused result slots of `qv_collection_search`.
pub const QV_NO_ID: u64 = u64::MAX;

/// Per-call search parameters. Initialise with `qv_search_params_init`, then
/// set at least `k`.
///
/// Versioning: `struct_size` must be `sizeof(qv_search_params)` of this
/// library's version, and `reserved` must be 0. A caller built against a
/// newer quiver.h, whose struct is larger, gets QV_ERR_INVALID_ARGUMENT
/// from an older library (saying both sizes) rather than a search that
/// ignores the parameters it does not know.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_search_params {
    /// `sizeof(qv_search_params)`, set by the init function.
    pub struct_size: u32,
    /// Results per query, 1 to 100000. Default 10.
    pub k: u32,
    /// HNSW candidate list size, 1 to 100000, or 0 (the default) for the
    /// collection's `hnsw_ef_search`. Raised to `k` when smaller.
    pub ef: u32,
    /// 1 = exact (brute-force) search, 0 = graph search (default).
    pub exact: u32,
    /// 1 = include payloads (owned-results mode only), 0 = not (default).
    pub with_payload: u32,
    /// Reserved: must be 0.
    pub reserved: u32,
    /// Optional payload filter as UTF-8 JSON text (`filter_len` bytes, no NUL
    /// needed); NULL or length 0 = no filter. Example:
    /// `{"field": "category", "eq": "noun.animal"}`.
    pub filter_json: *const u8,
    /// Bytes in `filter_json`.
    pub filter_len: u64,
    /// Quantized storage modes (every `QV_STORAGE_*` but F32): the walk on
    /// codes keeps the best `k × oversampling` candidates for rescoring, 1
    /// to 100, or 0 (the default) for the mode's default: 2 for F16 and
    /// BF16, 3 for SQ8, 5 for PQ, 5 for BINARY (10 below 256 dimensions). Checked in every mode, used
    /// only in quantized ones.
    pub oversampling: f32,
    /// Quantized storage modes: 1 (the default) = rescore the candidates on
    /// the original vectors, so the scores returned are exact; 0 = return
    /// the scores estimated on the codes (faster, approximate). Ignored in
    /// f32 mode, whose scores are always exact.
    pub rescore: u32,
}

/// Fills `*params` with the defaults (k 10, collection's ef, graph search,
/// no payloads, no filter, the storage mode's default oversampling and
/// rescoring in quantized modes) and its `struct_size`. Does nothing when NULL.
///
/// Thread safety: safe from any thread (it writes only `*params`).
#[no_mangle]
pub unsafe extern "C" fn qv_search_params_init(params: Option<&mut MaybeUninit<qv_search_params>>) {
    if let Some(p) = params {
        p.write(qv_search_params {
            struct_size: std::mem::size_of::<qv_search_params>() as u32,
            k: 10,
            ef: 0,
            exact: 0,
            with_payload: 0,
            reserved: 0,
            filter_json: std::ptr::null(),
            filter_len: 0,
            oversampling: 0.0,
            rescore: 1,
        });
    }
}

/// The engine's parameters from the caller's struct.
///
/// # Safety
/// `p` is NULL or a `qv_search_params` (see [`option_struct`]) whose filter
/// pointer holds `filter_len` bytes.
pub(crate) unsafe fn params_arg(p: *const qv_search_params) -> FfiResult<SearchParams> {
    // SAFETY: the caller's promise.
    let p = unsafe { option_struct(p, "params", "qv_search_params") }?
        .ok_or_else(|| invalid("params is NULL"))?;
    check_reserved(p.reserved, "params.reserved")?;
    let filter_len = usize::try_from(p.filter_len).map_err(|_| {
        invalid(format!(
            "params.filter_len is {}: more bytes than memory can hold",
            p.filter_len
        ))
    })?;
    let oversampling = if p.oversampling == 0.0 {
        None
    } else if p.oversampling.is_nan() {
        return Err(invalid(
            "params.oversampling is NaN; it must be between 1 and 100, or 0 for the default",
        ));
    } else {
        Some(p.oversampling)
    };
    Ok(SearchParams {
        k: p.k as usize,
        ef: (p.ef > 0).then_some(p.ef as usize),
        exact: flag(p.exact, "params.exact")?,
        with_payload: flag(p.with_payload, "params.with_payload")?,
        oversampling,
        rescore: flag(p.rescore, "params.rescore")?,
        // SAFETY: the caller's promise.
        filter: unsafe {
            filter_arg(
                p.filter_json,
                filter_len,
                "params.filter_json",
                "params.filter_len",
            )
        }?,
    })
}

/// The query matrix of `nq` rows of `dim` floats.
///
/// # Safety
/// `queries` is NULL or holds `nq * dim` floats.
unsafe fn query_matrix<'a>(queries: *const f32, nq: usize, dim: usize) -> FfiResult<&'a [f32]> {
    if nq == 0 {
        return Err(invalid("nq is 0; it must be at least 1"));
    }
    let len = nq
        .checked_mul(dim)
        .ok_or_else(|| invalid(format!("nq x dim = {nq} x {dim} overflows")))?;
    // SAFETY: the caller's promise.
    unsafe { slice(queries, len, "queries", "nq x dim") }
}

/// Hits the engine holds at once for one call: a large batch is searched
/// in chunks of queries, so that the engine's own result lists (which it
/// allocates infallibly) stay small whatever nq * k the caller asks for.
const CHUNK_HITS: usize = 1 << 18;

/// Checks the batch and returns the number of queries per engine call.
///
/// The engine checks each chunk itself; when there are several, the whole
/// batch is checked first (as the engine would: parameters, then every
/// query), so that an error comes before any search and names a query by
/// its index in the batch, not in its chunk.
fn prepare(
    c: &Collection,
    queries: &[f32],
    nq: usize,
    dim: usize,
    p: &SearchParams,
) -> FfiResult<usize> {
    let cdim = c.config().dimension;
    if dim != cdim && cdim != 0 {
        return Err(crate::Error::DimensionMismatch {
            context: "each query (dim)".to_owned(),
            expected: cdim,
            got: dim,
        }
        .into());
    }
    let chunk = (CHUNK_HITS / p.k.max(1)).max(rayon::current_num_threads());
    if nq <= chunk || dim == 0 {
        return Ok(nq);
    }
    c.search_batch_raw(&[], p)?;
    let mut q = Vec::with_capacity(dim);
    for (i, row) in queries.chunks_exact(dim).enumerate() {
        q.clear();
        q.extend_from_slice(row);
        check_vector(&c.config(), &mut q, &|| format!("query {i}"))?;
    }
    Ok(chunk)
}

/// Searches `queries` (checked by [`prepare`]) `chunk` queries at a time,
/// handing the hits of each chunk to `sink`, in order.
fn search_chunked(
    c: &Collection,
    queries: &[f32],
    dim: usize,
    chunk: usize,
    p: &SearchParams,
    mut sink: impl FnMut(Vec<Vec<RawHit>>) -> FfiResult,
) -> FfiResult {
    if dim == 0 {
        return sink(c.search_batch_raw(queries, p)?);
    }
    for part in queries.chunks(chunk * dim) {
        sink(c.search_batch_raw(part, p)?)?;
    }
    Ok(())
}

/// Searches `nq` queries (row-major in `queries`, `nq * dim` floats; `dim`
/// must equal the collection's dimension) and writes `k` results per query
/// into caller-owned arrays: `ids` and `scores` hold `out_len` entries, which
/// must be at least `nq * k`; the results of query `i` are at
/// `[i * k, i * k + counts[i])`, best first; `counts` holds `nq` entries.
/// Slots past `counts[i]` are set to `QV_NO_ID` / NaN (a score is never
/// NaN). Several queries run in parallel. Payloads are not returned in this
/// mode (`with_payload` is ignored). Nothing is retained after the call
/// returns.
///
/// Scores: cosine similarity and dot product (higher is closer), L2
/// distance and Hamming distance (lower is closer), Jaccard similarity
/// (higher is closer).
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, nq == 0, k or
/// ef out of range, `out_len` < nq * k, non-finite query value or squared
/// norm, bad filter, bad params struct), QV_ERR_DIMENSION_MISMATCH,
/// QV_ERR_UNSUPPORTED (metadata-only collection), QV_ERR_CLOSED,
/// QV_ERR_OUT_OF_MEMORY. On failure the output arrays are unspecified.
///
/// Thread safety: safe to call concurrently with any other call on the same
/// collection, including writes.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_search(
    coll: Option<&qv_collection>,
    queries: *const f32,
    nq: usize,
    dim: usize,
    params: *const qv_search_params,
    ids: *mut u64,
    scores: *mut f32,
    out_len: usize,
    counts: *mut u32,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let h = handle(coll, "coll")?;
        // SAFETY (all): each pointer holds its documented length (the
        // caller's promise); the output arrays are ours during the call.
        let mut p = unsafe { params_arg(params) }?;
        p.with_payload = false;
        let qs = unsafe { query_matrix(queries, nq, dim) }?;
        let k = p.k;
        let need = nq
            .checked_mul(k)
            .ok_or_else(|| invalid(format!("nq x params.k = {nq} x {k} overflows")))?;
        if out_len < need {
            return Err(invalid(format!(
                "out_len is {out_len}, but nq x params.k = {nq} x {k} = {need} slots are needed"
            )));
        }
        let ids = unsafe { slice_mut(ids, need, "ids", "nq x params.k") }?;
        let scores = unsafe { slice_mut(scores, need, "scores", "nq x params.k") }?;
        let counts = unsafe { slice_mut(counts, nq, "counts", "nq") }?;
        h.with(|c| {
            let chunk = prepare(c, qs, nq, dim, &p)?;
            let mut i = 0;
            search_chunked(c, qs, dim, chunk, &p, |results| {
                for hits in &results {
                    let row_ids = &mut ids[i * k..(i + 1) * k];
                    let row_scores = &mut scores[i * k..(i + 1) * k];
                    row_ids.fill(QV_NO_ID);
                    row_scores.fill(f32::NAN);
                    for (j, hit) in hits.iter().enumerate() {
                        row_ids[j] = hit.id;
                        row_scores[j] = hit.score;
                    }
                    counts[i] = hits.len() as u32;
                    i += 1;
                }
                Ok(())
            })
        })
    })
}

/// Searches like `qv_collection_search`, returning the results as a new
/// `qv_results` in `*out`, owned by the caller (free with
/// `qv_results_free`; on failure `*out` is NULL), with each hit's payload,
/// byte for byte as it was written, when `params->with_payload` is 1.
///
/// The results need 20 bytes per hit, at most nq * k hits (k capped by the
/// number of points), plus the payloads; they are allocated before the
/// search runs, and when that fails the call returns QV_ERR_OUT_OF_MEMORY
/// (search fewer queries at a time).
///
/// Returns as `qv_collection_search`.
///
/// Thread safety: as `qv_collection_search`.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_search_results(
    coll: Option<&qv_collection>,
    queries: *const f32,
    nq: usize,
    dim: usize,
    params: *const qv_search_params,
    out: Option<&mut MaybeUninit<*mut qv_results>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let h = handle(coll, "coll")?;
        // SAFETY (both): each pointer holds its documented length (the
        // caller's promise).
        let p = unsafe { params_arg(params) }?;
        let qs = unsafe { query_matrix(queries, nq, dim) }?;
        let r = h.with(|c| {
            let chunk = prepare(c, qs, nq, dim, &p)?;
            // The parameters' own errors (k or ef out of range, a
            // metadata-only collection) come before QV_ERR_OUT_OF_MEMORY:
            // an empty batch checks them.
            c.search_batch_raw(&[], &p)?;
            // Then the result buffers, sized by the request, so that a
            // search whose results cannot be held fails before it runs.
            let per_query = p.k.min(c.count()?);
            let mut r = qv_results::with_capacity(nq, nq.saturating_mul(per_query))?;
            search_chunked(c, qs, dim, chunk, &p, |hits| r.extend(&hits))?;
            Ok(r)
        })?;
        out.write(Box::into_raw(Box::new(r)));
        Ok(())
    })
}
