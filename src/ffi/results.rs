//! `qv_results`: owned search results, read through borrowed views.

use super::{free_boxed, guard, handle, out, qv_error, try_reserve, try_vec, view_ptr, FfiResult};
use crate::point::RawHit;
use std::mem::MaybeUninit;

/// Search results owned by the caller: free with `qv_results_free`; read
/// through `qv_results_get_view`.
pub struct qv_results {
    offsets: Vec<u64>,
    ids: Vec<u64>,
    scores: Vec<f32>,
    payload_offsets: Vec<u64>,
    payload_data: Vec<u8>,
}

impl qv_results {
    /// Empty results with room, reserved fallibly, for `queries` queries of
    /// up to `hits` hits in all (more are reserved as they come).
    pub(crate) fn with_capacity(queries: usize, hits: usize) -> FfiResult<qv_results> {
        let mut r = qv_results {
            offsets: try_vec(
                queries.saturating_add(1),
                "the query offsets of the results",
            )?,
            ids: try_vec(hits, "the ids of the results")?,
            scores: try_vec(hits, "the scores of the results")?,
            payload_offsets: try_vec(hits.saturating_add(1), "the payload offsets of the results")?,
            payload_data: Vec::new(),
        };
        r.offsets.push(0);
        r.payload_offsets.push(0);
        Ok(r)
    }

    /// The results of one query, `hits`.
    pub(crate) fn one_query(hits: Vec<RawHit>) -> FfiResult<qv_results> {
        let mut r = qv_results::with_capacity(1, hits.len())?;
        r.extend(std::slice::from_ref(&hits))?;
        Ok(r)
    }

    /// Appends the hits of the next queries.
    pub(crate) fn extend(&mut self, all: &[Vec<RawHit>]) -> FfiResult {
        let hits: usize = all.iter().map(Vec::len).sum();
        let bytes: usize = all
            .iter()
            .flatten()
            .filter_map(|h| h.payload.as_ref())
            .map(Vec::len)
            .sum();
        // No-ops when `with_capacity` reserved enough.
        try_reserve(
            &mut self.offsets,
            all.len(),
            "the query offsets of the results",
        )?;
        try_reserve(&mut self.ids, hits, "the ids of the results")?;
        try_reserve(&mut self.scores, hits, "the scores of the results")?;
        try_reserve(
            &mut self.payload_offsets,
            hits,
            "the payload offsets of the results",
        )?;
        try_reserve(&mut self.payload_data, bytes, "the payloads of the results")?;
        for query in all {
            for h in query {
                self.ids.push(h.id);
                self.scores.push(h.score);
                if let Some(p) = &h.payload {
                    self.payload_data.extend_from_slice(p);
                }
                self.payload_offsets.push(self.payload_data.len() as u64);
            }
            self.offsets.push(self.ids.len() as u64);
        }
        Ok(())
    }
}

/// Borrowed views into a `qv_results`, valid until `qv_results_free`.
/// The hits of query `q` are entries `[offsets[q], offsets[q + 1])` of `ids`
/// and `scores`, best first. The payload of hit `j` is the JSON text in
/// `payload_data[payload_offsets[j] .. payload_offsets[j + 1]]`, byte for
/// byte as it was written (empty when the point has none or payloads were
/// not asked for). A pointer is NULL exactly when its length is 0.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_results_view {
    /// Number of queries.
    pub num_queries: u64,
    /// Total number of hits.
    pub num_hits: u64,
    /// `num_queries + 1` offsets into `ids` / `scores`.
    pub offsets: *const u64,
    /// `num_hits` ids.
    pub ids: *const u64,
    /// `num_hits` scores.
    pub scores: *const f32,
    /// `num_hits + 1` offsets into `payload_data`.
    pub payload_offsets: *const u64,
    /// Concatenated payload JSON texts.
    pub payload_data: *const u8,
    /// Bytes in `payload_data`.
    pub payload_data_len: u64,
}

/// Fills `*view` with borrowed pointers into `results` (valid until
/// `qv_results_free(results)`).
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer).
///
/// Thread safety: a `qv_results` is immutable; any thread may read it.
#[no_mangle]
pub unsafe extern "C" fn qv_results_get_view(
    results: Option<&qv_results>,
    view: Option<&mut MaybeUninit<qv_results_view>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let r = handle(results, "results")?;
        out(view, "view")?.write(qv_results_view {
            num_queries: (r.offsets.len() - 1) as u64,
            num_hits: r.ids.len() as u64,
            offsets: view_ptr(&r.offsets),
            ids: view_ptr(&r.ids),
            scores: view_ptr(&r.scores),
            payload_offsets: view_ptr(&r.payload_offsets),
            payload_data: view_ptr(&r.payload_data),
            payload_data_len: r.payload_data.len() as u64,
        });
        Ok(())
    })
}

/// Frees a `qv_results`; every view into it becomes invalid.
/// `qv_results_free(NULL)` does nothing.
///
/// Thread safety: the object must not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn qv_results_free(results: Option<Box<qv_results>>) {
    free_boxed(results);
}
