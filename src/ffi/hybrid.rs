//! Hybrid search (dense and text branches fused) and multi-query search:
//! `qv_collection_hybrid_search`, `qv_collection_multi_query_search`.

use super::search::params_arg;
use super::sparse::{qv_sparse_search_params, sparse_query, QueryArgs};
use super::text::{qv_text_search_params, text_query};
use super::{
    check_reserved, flag, guard, handle, invalid, object_out, option_struct, qv_collection,
    qv_error, qv_results, qv_search_params, slice, FfiResult,
};
use crate::collection::{HybridBranch, HybridQuery};
use crate::fusion::{Fusion, MultiFusion};
use std::mem::MaybeUninit;

/// Hybrid branch kind: a dense vector search.
pub const QV_BRANCH_DENSE: u32 = 1;
/// Hybrid branch kind: a full-text search.
pub const QV_BRANCH_TEXT: u32 = 2;
/// Hybrid branch kind: a sparse vector search.
pub const QV_BRANCH_SPARSE: u32 = 3;

/// Fusion: reciprocal rank fusion, `weight / (rrf_k + rank)` summed over
/// the branches (rank from 1).
pub const QV_FUSION_RRF: u32 = 1;
/// Fusion: each branch's scores min-max normalised to [0, 1], weighted sum.
pub const QV_FUSION_RSF: u32 = 2;
/// Fusion: each branch's scores normalised by mean ± 3 standard
/// deviations (clamped to [0, 1]), weighted sum.
pub const QV_FUSION_DBSF: u32 = 3;
/// Fusion: weighted sum of the raw scores (distances negated).
pub const QV_FUSION_WEIGHTED: u32 = 4;

/// Multi-query fusion: the mean of a point's scores over the lists that
/// hold it (in the metric's orientation).
pub const QV_MULTI_AVERAGE: u32 = 1;
/// Multi-query fusion: a point's best score.
pub const QV_MULTI_MAX: u32 = 2;
/// Multi-query fusion: reciprocal rank fusion with `rrf_k`.
pub const QV_MULTI_RRF: u32 = 3;
/// Multi-query fusion: sum of `weights[i]` × score of query `i`
/// (distances negated).
pub const QV_MULTI_WEIGHTED: u32 = 4;

/// One branch of a hybrid search. Initialise with `qv_hybrid_branch_init`,
/// set `kind`, then the fields of that kind; the others stay NULL / 0.
///
/// Versioning: `struct_size` must be `sizeof(qv_hybrid_branch)` of this
/// library's version in every element of the array (the struct grew in
/// ABI version 4); `reserved` must be 0.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_hybrid_branch {
    /// `sizeof(qv_hybrid_branch)`, set by the init function.
    pub struct_size: u32,
    /// `QV_BRANCH_DENSE`, `QV_BRANCH_TEXT` or `QV_BRANCH_SPARSE`.
    pub kind: u32,
    /// Its weight in the fusion: finite, >= 0. Default 1.
    pub weight: f32,
    /// Reserved: must be 0.
    pub reserved: u32,
    /// Dense: the query vector, `dim` floats (the collection's dimension).
    pub vector: *const f32,
    /// Dense: floats in `vector`.
    pub dim: u64,
    /// Dense: its search parameters (`k` = its candidate depth, `ef`,
    /// `exact`, filter, oversampling, rescore; `with_payload` ignored).
    pub search: *const qv_search_params,
    /// Text: the query text, `query_len` bytes of UTF-8.
    pub query: *const u8,
    /// Text: bytes in `query`.
    pub query_len: u64,
    /// Text: its parameters (`k` = its candidate depth, fields, mode,
    /// filter; `with_payload` ignored).
    pub text: *const qv_text_search_params,
    /// Sparse: the query's indices, `sparse_nnz` of them (any order).
    pub sparse_indices: *const u32,
    /// Sparse: the query's values, `sparse_nnz` of them.
    pub sparse_values: *const f32,
    /// Sparse: entries in the query.
    pub sparse_nnz: u64,
    /// Sparse: its parameters (`name`, `k` = its candidate depth, filter;
    /// `with_payload` ignored).
    pub sparse: *const qv_sparse_search_params,
}

/// Fills `*branch` with the defaults (no kind yet, weight 1, every pointer
/// NULL) and its `struct_size`. Does nothing when NULL.
///
/// Thread safety: safe from any thread (it writes only `*branch`).
#[no_mangle]
pub unsafe extern "C" fn qv_hybrid_branch_init(branch: Option<&mut MaybeUninit<qv_hybrid_branch>>) {
    if let Some(b) = branch {
        b.write(qv_hybrid_branch {
            struct_size: std::mem::size_of::<qv_hybrid_branch>() as u32,
            kind: 0,
            weight: 1.0,
            reserved: 0,
            vector: std::ptr::null(),
            dim: 0,
            search: std::ptr::null(),
            query: std::ptr::null(),
            query_len: 0,
            text: std::ptr::null(),
            sparse_indices: std::ptr::null(),
            sparse_values: std::ptr::null(),
            sparse_nnz: 0,
            sparse: std::ptr::null(),
        });
    }
}

/// Parameters of a hybrid search. Initialise with
/// `qv_hybrid_params_init`, then set `branches` and `nbranches`.
///
/// Versioning: as `qv_search_params` (`struct_size`, `reserved` 0).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_hybrid_params {
    /// `sizeof(qv_hybrid_params)`, set by the init function.
    pub struct_size: u32,
    /// Fused results, 1 to 100000. Default 10.
    pub k: u32,
    /// `QV_FUSION_RRF` (default), `QV_FUSION_RSF`, `QV_FUSION_DBSF` or
    /// `QV_FUSION_WEIGHTED`.
    pub fusion: u32,
    /// RRF's constant, > 0 (ignored by the other fusions). Default 60.
    pub rrf_k: f32,
    /// 1 = include payloads, 0 = not (default).
    pub with_payload: u32,
    /// Reserved: must be 0.
    pub reserved: u32,
    /// The branches, `nbranches` entries (at least one).
    pub branches: *const qv_hybrid_branch,
    /// Entries in `branches`.
    pub nbranches: u64,
}

/// Fills `*params` with the defaults (k 10, RRF with k 60, no payloads,
/// no branches) and its `struct_size`. Does nothing when NULL.
///
/// Thread safety: safe from any thread (it writes only `*params`).
#[no_mangle]
pub unsafe extern "C" fn qv_hybrid_params_init(params: Option<&mut MaybeUninit<qv_hybrid_params>>) {
    if let Some(p) = params {
        p.write(qv_hybrid_params {
            struct_size: std::mem::size_of::<qv_hybrid_params>() as u32,
            k: 10,
            fusion: QV_FUSION_RRF,
            rrf_k: 60.0,
            with_payload: 0,
            reserved: 0,
            branches: std::ptr::null(),
            nbranches: 0,
        });
    }
}

fn fusion_arg(code: u32, rrf_k: f32, name: &str) -> FfiResult<Fusion> {
    Ok(match code {
        QV_FUSION_RRF => Fusion::Rrf { k: rrf_k },
        QV_FUSION_RSF => Fusion::RelativeScore,
        QV_FUSION_DBSF => Fusion::Dbsf,
        QV_FUSION_WEIGHTED => Fusion::Weighted,
        f => {
            return Err(invalid(format!(
                "{name} is {f}; it must be QV_FUSION_RRF (1), QV_FUSION_RSF (2), QV_FUSION_DBSF (3) or QV_FUSION_WEIGHTED (4)"
            )))
        }
    })
}

/// The engine's query from the caller's struct.
///
/// # Safety
/// `params` is NULL or an initialised struct whose pointers hold their
/// documented lengths.
unsafe fn hybrid_query(params: *const qv_hybrid_params) -> FfiResult<HybridQuery> {
    // SAFETY (all): the caller's promise.
    let p = unsafe { option_struct(params, "params", "qv_hybrid_params") }?
        .ok_or_else(|| invalid("params is NULL"))?;
    check_reserved(p.reserved, "params.reserved")?;
    let n = usize::try_from(p.nbranches)
        .map_err(|_| invalid(format!("params.nbranches is {}: too many", p.nbranches)))?;
    if n == 0 {
        return Err(invalid(
            "params.nbranches is 0; give at least one dense, text or sparse branch",
        ));
    }
    let raw = unsafe { slice(p.branches, n, "params.branches", "params.nbranches") }?;
    let ours = std::mem::size_of::<qv_hybrid_branch>();
    let mut branches = Vec::with_capacity(n);
    for (i, b) in raw.iter().enumerate() {
        let at = |f: &str| format!("params.branches[{i}].{f}");
        if b.struct_size as usize != ours {
            return Err(invalid(format!(
                "{} is {}, but this library's qv_hybrid_branch has {ours} bytes: initialise each branch with qv_hybrid_branch_init (the struct grew in ABI version 4)",
                at("struct_size"),
                b.struct_size
            )));
        }
        check_reserved(b.reserved, &at("reserved"))?;
        branches.push(match b.kind {
            QV_BRANCH_DENSE => {
                let dim = usize::try_from(b.dim)
                    .map_err(|_| invalid(format!("{} is too large", at("dim"))))?;
                let vector = unsafe { slice(b.vector, dim, &at("vector"), &at("dim")) }?;
                let mut params =
                    unsafe { params_arg(b.search) }.map_err(|e| e.prefixed(&at("search: ")))?;
                params.with_payload = false;
                HybridBranch::Dense {
                    vector: vector.to_vec(),
                    params,
                    weight: b.weight,
                }
            }
            QV_BRANCH_TEXT => {
                let len = usize::try_from(b.query_len)
                    .map_err(|_| invalid(format!("{} is too large", at("query_len"))))?;
                let mut query = unsafe { text_query(b.query, len, b.text) }
                    .map_err(|e| e.prefixed(&at("text: ")))?;
                query.with_payload = false;
                HybridBranch::Text {
                    query,
                    weight: b.weight,
                }
            }
            QV_BRANCH_SPARSE => {
                let nnz = usize::try_from(b.sparse_nnz)
                    .map_err(|_| invalid(format!("{} is too large", at("sparse_nnz"))))?;
                let names = QueryArgs {
                    indices: at("sparse_indices"),
                    values: at("sparse_values"),
                    nnz: at("sparse_nnz"),
                    params: at("sparse"),
                };
                let mut query = unsafe {
                    sparse_query(b.sparse_indices, b.sparse_values, nnz, b.sparse, &names)
                }?;
                query.with_payload = false;
                HybridBranch::Sparse {
                    query,
                    weight: b.weight,
                }
            }
            k => {
                return Err(invalid(format!(
                    "{} is {k}; it must be QV_BRANCH_DENSE (1), QV_BRANCH_TEXT (2) or QV_BRANCH_SPARSE (3)",
                    at("kind")
                )))
            }
        });
    }
    Ok(HybridQuery {
        branches,
        fusion: fusion_arg(p.fusion, p.rrf_k, "params.fusion")?,
        k: p.k as usize,
        with_payload: flag(p.with_payload, "params.with_payload")?,
    })
}

/// Hybrid search: runs every branch of `params` (dense vector searches
/// and full-text searches, each with its own parameters, filter and
/// candidate depth `k`) on one snapshot of the collection (a write lands
/// before all of them or after all of them), fuses their rankings with
/// `params->fusion` (each branch weighted by its `weight`), and returns
/// the best `params->k` points, best first (equal fused scores by
/// ascending id), as one query of a new `qv_results` in `*out`, owned by
/// the caller (free with `qv_results_free`; on failure `*out` is NULL).
/// Scores are the fused scores (higher is better). With
/// `params->with_payload` 1 each hit carries its payload, byte for byte.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, no branch, a
/// bad branch kind or struct size, k out of range, a weight negative or
/// not finite, rrf_k not > 0, bad fusion, or any error of
/// `qv_collection_search` / `qv_collection_text_search` for a branch,
/// named `params.branches[i]...`), QV_ERR_DIMENSION_MISMATCH,
/// QV_ERR_UNSUPPORTED (a dense branch on a metadata-only collection),
/// QV_ERR_CLOSED, QV_ERR_IO, QV_ERR_OUT_OF_MEMORY.
///
/// Thread safety: safe to call concurrently with any other call on the
/// same collection, including writes.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_hybrid_search(
    coll: Option<&qv_collection>,
    params: *const qv_hybrid_params,
    out: Option<&mut MaybeUninit<*mut qv_results>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise (see `hybrid_query`).
        let q = unsafe { hybrid_query(params) }?;
        let hits = h.with(|c| Ok(c.hybrid_search_raw(&q)?))?;
        out.write(Box::into_raw(Box::new(qv_results::one_query(hits)?)));
        Ok(())
    })
}

/// Parameters of a multi-query search. Initialise with
/// `qv_multi_query_params_init`.
///
/// Versioning: as `qv_search_params` (`struct_size`, `reserved` 0).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_multi_query_params {
    /// `sizeof(qv_multi_query_params)`, set by the init function.
    pub struct_size: u32,
    /// `QV_MULTI_AVERAGE`, `QV_MULTI_MAX`, `QV_MULTI_RRF` (default) or
    /// `QV_MULTI_WEIGHTED`.
    pub fusion: u32,
    /// RRF's constant, > 0 (QV_MULTI_RRF only). Default 60.
    pub rrf_k: f32,
    /// Hits each query contributes, at least the search's `k`; 0 (the
    /// default) = the search's `k`.
    pub candidates: u32,
    /// QV_MULTI_WEIGHTED: one weight per query (`nweights` = nq), finite
    /// and >= 0; NULL otherwise.
    pub weights: *const f32,
    /// Entries in `weights`.
    pub nweights: u64,
    /// Reserved: must be 0.
    pub reserved: u32,
    /// Reserved: must be 0.
    pub reserved2: u32,
}

/// Fills `*params` with the defaults (RRF with k 60, candidates = the
/// search's k, no weights) and its `struct_size`. Does nothing when NULL.
///
/// Thread safety: safe from any thread (it writes only `*params`).
#[no_mangle]
pub unsafe extern "C" fn qv_multi_query_params_init(
    params: Option<&mut MaybeUninit<qv_multi_query_params>>,
) {
    if let Some(p) = params {
        p.write(qv_multi_query_params {
            struct_size: std::mem::size_of::<qv_multi_query_params>() as u32,
            fusion: QV_MULTI_RRF,
            rrf_k: 60.0,
            candidates: 0,
            weights: std::ptr::null(),
            nweights: 0,
            reserved: 0,
            reserved2: 0,
        });
    }
}

/// Multi-query search: searches each of the `nq` query vectors (row-major
/// in `queries`, `nq * dim` floats, `dim` the collection's dimension) with
/// `search` on one snapshot and fuses their result lists with
/// `multi->fusion` (NULL `multi`: the defaults of
/// `qv_multi_query_params_init`) into one ranking of `search->k` points,
/// best first, returned as one query of a new `qv_results` in `*out`,
/// owned by the caller (free with `qv_results_free`; on failure `*out` is
/// NULL). QV_MULTI_AVERAGE and QV_MULTI_MAX return scores in the metric's
/// orientation (distances stay distances, smallest first); QV_MULTI_RRF
/// and QV_MULTI_WEIGHTED return higher-is-better scores.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, nq == 0, bad
/// fusion, rrf_k not > 0, candidates below k, weights not one per query or
/// negative, any error of `qv_collection_search`),
/// QV_ERR_DIMENSION_MISMATCH, QV_ERR_UNSUPPORTED (metadata-only
/// collection), QV_ERR_CLOSED, QV_ERR_OUT_OF_MEMORY.
///
/// Thread safety: safe to call concurrently with any other call on the
/// same collection, including writes.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_multi_query_search(
    coll: Option<&qv_collection>,
    queries: *const f32,
    nq: usize,
    dim: usize,
    search: *const qv_search_params,
    multi: *const qv_multi_query_params,
    out: Option<&mut MaybeUninit<*mut qv_results>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let h = handle(coll, "coll")?;
        // SAFETY (all): each pointer holds its documented length (the
        // caller's promise).
        let p = unsafe { params_arg(search) }?;
        if nq == 0 {
            return Err(invalid("nq is 0; it must be at least 1"));
        }
        let len = nq
            .checked_mul(dim)
            .ok_or_else(|| invalid(format!("nq x dim = {nq} x {dim} overflows")))?;
        let flat = unsafe { slice(queries, len, "queries", "nq x dim") }?;
        let m = unsafe { option_struct(multi, "multi", "qv_multi_query_params") }?;
        let (how, candidates) = match m {
            None => (MultiFusion::Rrf { k: 60.0 }, None),
            Some(m) => {
                check_reserved(m.reserved, "multi.reserved")?;
                check_reserved(m.reserved2, "multi.reserved2")?;
                let how = match m.fusion {
                    QV_MULTI_AVERAGE => MultiFusion::Average,
                    QV_MULTI_MAX => MultiFusion::Max,
                    QV_MULTI_RRF => MultiFusion::Rrf { k: m.rrf_k },
                    QV_MULTI_WEIGHTED => {
                        let n = usize::try_from(m.nweights)
                            .map_err(|_| invalid("multi.nweights is too large"))?;
                        let w = unsafe { slice(m.weights, n, "multi.weights", "multi.nweights") }?;
                        MultiFusion::Weighted(w.to_vec())
                    }
                    f => {
                        return Err(invalid(format!(
                            "multi.fusion is {f}; it must be QV_MULTI_AVERAGE (1), QV_MULTI_MAX (2), QV_MULTI_RRF (3) or QV_MULTI_WEIGHTED (4)"
                        )))
                    }
                };
                (how, (m.candidates > 0).then_some(m.candidates as usize))
            }
        };
        let qs: Vec<Vec<f32>> = if dim == 0 {
            vec![Vec::new(); nq]
        } else {
            flat.chunks_exact(dim).map(<[f32]>::to_vec).collect()
        };
        let hits = h.with(|c| Ok(c.multi_query_search_raw(&qs, &p, candidates, &how)?))?;
        out.write(Box::into_raw(Box::new(qv_results::one_query(hits)?)));
        Ok(())
    })
}
