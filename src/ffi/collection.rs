//! `qv_collection`: a handle to one collection, its configuration, and the
//! maintenance calls (checkpoint, optimize, verify).

use super::{
    closed, free_boxed, guard, handle, invalid, object_out, option_struct, qv_database, qv_error,
    utf8, FfiResult,
};
use crate::collection::config::{CollectionConfig, CollectionKind, HnswConfig};
use crate::collection::Collection;
use crate::database::Database;
use crate::distance::Metric;
use crate::quant::{QuantizerConfig, StorageMode};
use parking_lot::RwLock;
use std::mem::MaybeUninit;
use std::sync::Arc;

/// `qv_collection_config.metric`: cosine similarity (score: higher is closer).
pub const QV_METRIC_COSINE: u32 = 0;
/// `qv_collection_config.metric`: L2 distance (score: lower is closer).
pub const QV_METRIC_EUCLIDEAN: u32 = 1;
/// `qv_collection_config.metric`: dot product (score: higher is closer).
pub const QV_METRIC_DOT: u32 = 2;
/// `qv_collection_config.metric`: number of differing positions (lower is closer).
pub const QV_METRIC_HAMMING: u32 = 3;
/// `qv_collection_config.metric`: Jaccard similarity of the non-zero positions (higher is closer).
pub const QV_METRIC_JACCARD: u32 = 4;
/// `qv_collection_config.kind`: points with vectors (default).
pub const QV_KIND_VECTOR: u32 = 0;
/// `qv_collection_config.kind`: payloads only, no vectors (dimension 0).
pub const QV_KIND_METADATA_ONLY: u32 = 1;
/// `qv_collection_config.storage`: vectors stored and walked as 32-bit
/// floats (default).
pub const QV_STORAGE_F32: u32 = 0;
/// `qv_collection_config.storage`: sealed segments walk one-byte codes per
/// dimension (trained per segment) and rescore the best candidates on the
/// original vectors, which stay on disk. Metrics cosine, dot, euclidean.
pub const QV_STORAGE_SQ8: u32 = 1;
/// `qv_collection_config.storage`: IEEE half floats (2 bytes per
/// dimension, 11 significant bits, values up to 65504), rescored on the
/// originals. Metrics cosine, dot, euclidean.
pub const QV_STORAGE_F16: u32 = 2;
/// `qv_collection_config.storage`: bfloat16 (2 bytes per dimension, 8
/// significant bits, the range of f32), rescored on the originals. Metrics
/// cosine, dot, euclidean.
pub const QV_STORAGE_BF16: u32 = 3;
/// `qv_collection_config.storage`: one bit per dimension (the sign around
/// the segment's mean) plus 8 bytes per point; searches oversample more
/// (default oversampling 5, 10 below 256 dimensions) and rescore on the originals. Metrics cosine,
/// dot, euclidean.
pub const QV_STORAGE_BINARY: u32 = 4;
/// `qv_collection_config.storage`: product quantization, one byte per
/// subspace (`pq_subspaces`, `pq_centroids`), trained by k-means per
/// segment; searches oversample more (default oversampling 5) and rescore
/// on the originals. Metrics cosine, dot, euclidean.
pub const QV_STORAGE_PQ: u32 = 5;

/// Configuration of a new collection. Initialise with
/// `qv_collection_config_init`, then set at least `dimension`.
///
/// Versioning: `struct_size` must be `sizeof(qv_collection_config)` of this
/// library's version. A caller built against a
/// newer quiver.h, whose struct is larger, gets QV_ERR_INVALID_ARGUMENT
/// from an older library (saying both sizes) rather than a collection
/// without the settings it asked for.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_collection_config {
    /// `sizeof(qv_collection_config)`, set by the init function.
    pub struct_size: u32,
    /// `QV_KIND_VECTOR` or `QV_KIND_METADATA_ONLY`.
    pub kind: u32,
    /// Floats per vector, 1 to 65536 (0 for metadata-only collections).
    pub dimension: u32,
    /// One of `QV_METRIC_*`. Default cosine.
    pub metric: u32,
    /// HNSW links per node, 2 to 128. Default 16.
    pub hnsw_m: u32,
    /// HNSW build candidate list, 1 to 10000. Default 200.
    pub hnsw_ef_construction: u32,
    /// Default search candidate list, 1 to 10000. Default 64.
    pub hnsw_ef_search: u32,
    /// One of `QV_STORAGE_*`: how sealed segments store what searches walk.
    /// Default `QV_STORAGE_F32`. Fixed at creation.
    pub storage: u32,
    /// `QV_STORAGE_PQ`: subspaces (code bytes per point); must divide
    /// `dimension`. 0 (default) picks the largest divisor of the dimension
    /// not above dimension / 8 (48 for 384). Used by QV_STORAGE_PQ only, but
    /// checked in every mode. Changed later by qv_collection_train_quantizer.
    pub pq_subspaces: u32,
    /// `QV_STORAGE_PQ`: centroids per subspace, 2 to 256. Default 256.
    pub pq_centroids: u32,
}

/// A handle to a collection. Keeps its database alive.
pub struct qv_collection {
    inner: RwLock<Option<(Arc<Collection>, Arc<Database>)>>,
}

impl qv_collection {
    pub(crate) fn new_raw(c: Arc<Collection>, db: Arc<Database>) -> *mut qv_collection {
        Box::into_raw(Box::new(qv_collection {
            inner: RwLock::new(Some((c, db))),
        }))
    }

    /// Runs `f` with the collection, holding this handle's lock so that a
    /// concurrent close waits for it.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&Collection) -> FfiResult<R>) -> FfiResult<R> {
        let g = self.inner.read();
        let (c, _) = g.as_ref().ok_or_else(|| closed("collection"))?;
        f(c)
    }

    /// The collection and its database, without holding this handle's
    /// lock: for calls that run the caller's callback, which may use this
    /// handle (a close meanwhile then waits for nothing; the call sees the
    /// collection closed at its next check).
    pub(crate) fn detach(&self) -> FfiResult<(Arc<Collection>, Arc<Database>)> {
        let g = self.inner.read();
        g.as_ref()
            .map(|(c, d)| (Arc::clone(c), Arc::clone(d)))
            .ok_or_else(|| closed("collection"))
    }
}

fn metric_from(v: u32) -> FfiResult<Metric> {
    Ok(match v {
        QV_METRIC_COSINE => Metric::Cosine,
        QV_METRIC_EUCLIDEAN => Metric::Euclidean,
        QV_METRIC_DOT => Metric::Dot,
        QV_METRIC_HAMMING => Metric::Hamming,
        QV_METRIC_JACCARD => Metric::Jaccard,
        _ => {
            return Err(invalid(format!(
                "config.metric is {v}; it must be one of QV_METRIC_COSINE (0), QV_METRIC_EUCLIDEAN (1), QV_METRIC_DOT (2), QV_METRIC_HAMMING (3), QV_METRIC_JACCARD (4)"
            )))
        }
    })
}

fn metric_to(m: Metric) -> u32 {
    match m {
        Metric::Cosine => QV_METRIC_COSINE,
        Metric::Euclidean => QV_METRIC_EUCLIDEAN,
        Metric::Dot => QV_METRIC_DOT,
        Metric::Hamming => QV_METRIC_HAMMING,
        Metric::Jaccard => QV_METRIC_JACCARD,
    }
}

/// Fills `*config` with the defaults (vector kind, dimension 0 — to be set —,
/// cosine, m 16, ef_construction 200, ef_search 64, f32 storage,
/// pq_subspaces 0 = automatic, pq_centroids 256) and its `struct_size`.
/// Does nothing when `config` is NULL.
///
/// Thread safety: safe from any thread (it writes only `*config`).
#[no_mangle]
pub unsafe extern "C" fn qv_collection_config_init(
    config: Option<&mut MaybeUninit<qv_collection_config>>,
) {
    if let Some(c) = config {
        let d = HnswConfig::default();
        c.write(qv_collection_config {
            struct_size: std::mem::size_of::<qv_collection_config>() as u32,
            kind: QV_KIND_VECTOR,
            dimension: 0,
            metric: QV_METRIC_COSINE,
            hnsw_m: d.m as u32,
            hnsw_ef_construction: d.ef_construction as u32,
            hnsw_ef_search: d.ef_search as u32,
            storage: QV_STORAGE_F32,
            pq_subspaces: 0,
            pq_centroids: 256,
        });
    }
}

/// Creates collection `name` (`name_len` bytes of UTF-8: 1 to 64 ASCII
/// letters, digits, `_`, `-`, `.`, not starting with `.`) with `config`
/// (read during the call only). On success `*out` receives a new handle
/// owned by the caller (release it with `qv_collection_free`); on failure it
/// is NULL.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, bad name, field
/// out of range, unknown enum value, wrong struct_size, a quantized storage
/// with metric hamming or jaccard or without vectors, pq_subspaces not
/// dividing the dimension, pq_centroids outside 2 to 256: checked in every
/// storage mode), QV_ERR_ALREADY_EXISTS, QV_ERR_CLOSED, QV_ERR_IO.
///
/// Thread safety: safe to call concurrently with any call on `db`.
#[no_mangle]
pub unsafe extern "C" fn qv_database_create_collection(
    db: Option<&qv_database>,
    name: *const u8,
    name_len: usize,
    config: *const qv_collection_config,
    out: Option<&mut MaybeUninit<*mut qv_collection>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        // SAFETY: `name` holds `name_len` bytes (the caller's promise).
        let name = unsafe { utf8(name, name_len, "name", "name_len") }?;
        // SAFETY: NULL or a config struct (the caller's promise).
        let cfg = unsafe { option_struct(config, "config", "qv_collection_config") }?
            .ok_or_else(|| invalid("config is NULL"))?;
        let storage = StorageMode::ALL
            .get(cfg.storage as usize)
            .copied()
            .ok_or_else(|| {
                invalid(format!(
                    "config.storage is {}; it must be one of QV_STORAGE_F32 (0), QV_STORAGE_SQ8 (1), QV_STORAGE_F16 (2), QV_STORAGE_BF16 (3), QV_STORAGE_BINARY (4), QV_STORAGE_PQ (5)",
                    cfg.storage
                ))
            })?;
        let kind = match cfg.kind {
            QV_KIND_VECTOR => CollectionKind::Vector,
            QV_KIND_METADATA_ONLY => CollectionKind::MetadataOnly,
            k => {
                return Err(invalid(format!(
                    "config.kind is {k}; it must be QV_KIND_VECTOR (0) or QV_KIND_METADATA_ONLY (1)"
                )))
            }
        };
        let config = CollectionConfig {
            dimension: cfg.dimension as usize,
            metric: metric_from(cfg.metric)?,
            hnsw: HnswConfig {
                m: cfg.hnsw_m as usize,
                ef_construction: cfg.hnsw_ef_construction as usize,
                ef_search: cfg.hnsw_ef_search as usize,
            },
            kind,
            storage,
            quantizer: QuantizerConfig {
                pq_subspaces: cfg.pq_subspaces as usize,
                pq_centroids: cfg.pq_centroids as usize,
                ..QuantizerConfig::default()
            },
        };
        handle(db, "db")?.with(|d| {
            let c = d.create_collection(name, config)?;
            out.write(qv_collection::new_raw(c, Arc::clone(d)));
            Ok(())
        })
    })
}

/// Writes the collection's configuration into `*out` (`struct_size` set).
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer), QV_ERR_CLOSED.
///
/// Thread safety: safe to call concurrently with any call.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_get_config(
    coll: Option<&qv_collection>,
    out: Option<&mut MaybeUninit<qv_collection_config>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = super::out(out, "out")?;
        handle(coll, "coll")?.with(|c| {
            c.check_open()?;
            let cfg = c.config();
            out.write(qv_collection_config {
                struct_size: std::mem::size_of::<qv_collection_config>() as u32,
                kind: match cfg.kind {
                    CollectionKind::Vector => QV_KIND_VECTOR,
                    CollectionKind::MetadataOnly => QV_KIND_METADATA_ONLY,
                },
                dimension: cfg.dimension as u32,
                metric: metric_to(cfg.metric),
                hnsw_m: cfg.hnsw.m as u32,
                hnsw_ef_construction: cfg.hnsw.ef_construction as u32,
                hnsw_ef_search: cfg.hnsw.ef_search as u32,
                storage: StorageMode::ALL
                    .iter()
                    .position(|&m| m == cfg.storage)
                    .expect("every mode is in ALL") as u32,
                pq_subspaces: cfg.quantizer.pq_subspaces as u32,
                pq_centroids: cfg.quantizer.pq_centroids as u32,
            });
            Ok(())
        })
    })
}

/// Makes everything written so far part of the on-disk checkpoint and
/// empties the write-ahead log (this also happens by itself as the log grows,
/// and on close).
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL handle), QV_ERR_CLOSED,
/// QV_ERR_READ_ONLY, QV_ERR_IO.
///
/// Thread safety: safe to call concurrently with any call; searches go on,
/// writes wait.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_checkpoint(
    coll: Option<&qv_collection>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || handle(coll, "coll")?.with(|c| Ok(c.checkpoint()?)))
}

/// Optimizes the collection now and waits for it: seals the segment that
/// takes new writes, merges small segments, drops deleted and overwritten
/// points (vacuum), builds their index, and returns once the new segments
/// are committed. The background optimizer does the same work by itself;
/// call this to force it, e.g. after a bulk load.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL handle), QV_ERR_CLOSED,
/// QV_ERR_READ_ONLY, QV_ERR_OUT_OF_MEMORY, QV_ERR_IO (on failure the
/// collection is unchanged: its old segments stay in use).
///
/// Thread safety: safe to call concurrently with any call on the
/// collection; searches and writes go on while it runs. It may run long:
/// `qv_collection_close` on this handle waits for it to return.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_optimize(
    coll: Option<&qv_collection>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || handle(coll, "coll")?.with(|c| Ok(c.optimize()?)))
}

/// Blocks until the background optimizer has no work left for the
/// collection (nothing pending, nothing running), then returns. The
/// outcome of the background runs is in `qv_collection_stats`
/// (optimizer_state, optimizer_runs, optimizer_error).
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL handle), QV_ERR_CLOSED
/// (also when the collection is closed or dropped while waiting).
///
/// Thread safety: safe to call concurrently with any call on the
/// collection; it waits as long as writes keep the optimizer busy.
/// `qv_collection_close` on this handle waits for it to return.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_wait_optimized(
    coll: Option<&qv_collection>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        handle(coll, "coll")?.with(|c| Ok(c.wait_optimized()?))
    })
}

/// Reads every block of every file of the collection and checks it
/// (checksums, bounds, structure). Changes nothing.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL handle), QV_ERR_CLOSED,
/// QV_ERR_CORRUPT (the message names the file and the offset of the first
/// bad block), QV_ERR_IO.
///
/// Thread safety: safe to call concurrently with any call on the
/// collection; it checks the files of one consistent state. It reads the
/// whole collection from disk: `qv_collection_close` on this handle waits
/// for it to return.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_verify(
    coll: Option<&qv_collection>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || handle(coll, "coll")?.with(|c| Ok(c.verify()?)))
}

/// Closes this handle: waits for calls in flight on it (except
/// qv_collection_train_quantizer, which runs to its end on its own); later
/// calls with it return QV_ERR_CLOSED. Other handles to the same collection are not
/// affected. The handle stays valid until `qv_collection_free`. Closing
/// twice, or NULL, returns QV_OK.
///
/// Thread safety: safe to call while other threads use the handle.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_close(
    coll: Option<&qv_collection>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        if let Some(h) = coll {
            let taken = h.inner.write().take();
            drop(taken);
        }
        Ok(())
    })
}

/// Releases the handle (closing it if needed). When it was the last
/// reference to a database whose handle was freed, the database closes.
/// `qv_collection_free(NULL)` does nothing.
///
/// Thread safety: the handle must not be used after this call, nor
/// concurrently with it.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_free(coll: Option<Box<qv_collection>>) {
    free_boxed(coll);
}

/// Parameters of `qv_collection_train_quantizer`. Initialise with
/// `qv_train_params_init`, then change what you need.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_train_params {
    /// `sizeof(qv_train_params)`, set by the init function.
    pub struct_size: u32,
    /// PQ subspaces (code bytes per point), dividing the dimension; 0
    /// (default) picks the largest divisor not above dimension / 8.
    pub pq_subspaces: u32,
    /// PQ centroids per subspace, 2 to 256. Default 256.
    pub pq_centroids: u32,
    /// k-means iterations, 1 to 100. Default 12.
    pub pq_iterations: u32,
}

/// Fills `*params` with the defaults (pq_subspaces 0 = automatic,
/// pq_centroids 256, pq_iterations 12) and its `struct_size`. Does nothing
/// when NULL.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn qv_train_params_init(params: Option<&mut MaybeUninit<qv_train_params>>) {
    if let Some(p) = params {
        let d = QuantizerConfig::default();
        p.write(qv_train_params {
            struct_size: std::mem::size_of::<qv_train_params>() as u32,
            pq_subspaces: d.pq_subspaces as u32,
            pq_centroids: d.pq_centroids as u32,
            pq_iterations: d.pq_iterations as u32,
        });
    }
}

/// Progress of a long operation: `done` of `total` steps. Return nonzero
/// to go on, 0 to cancel.
pub type qv_progress_fn =
    Option<unsafe extern "C" fn(user_data: *mut std::ffi::c_void, done: u64, total: u64) -> i32>;

/// Retrains the quantizer of every sealed segment of a quantized
/// collection with `params` (NULL: the collection's current parameters),
/// re-encodes their codes, and keeps `params` for the segments sealed later
/// (persisted in the collection). Blocks until done. Segments are trained
/// automatically when they are sealed; call this to change PQ's parameters
/// or to retrain on today's data. The appendable segment (the latest
/// writes, searched exactly) is not affected: `qv_collection_optimize`
/// seals it first if wanted.
///
/// `progress` (may be NULL) is called with (`user_data`, steps done, total
/// steps) as training steps finish: one per PQ subspace per segment, one
/// per segment in the other modes. It runs on the calling thread (the
/// training runs on the library's threads meanwhile), `done` rising by one
/// each call. Returning 0 cancels: the callback is not called again, the
/// call returns QV_ERR_CANCELLED and nothing has changed. Once training is
/// done the codes are written (not cancellable) and the callback is not
/// called again. A collection without sealed segments has nothing to
/// train: the call returns QV_OK without calling the callback. The
/// callback may search and read any collection, this one included
/// (through this handle or another); it must not call, on this
/// collection, qv_collection_optimize, _wait_optimized, _checkpoint,
/// _train_quantizer, _create_field_index or _drop_field_index, nor close
/// its database: those wait for the training, which waits for the
/// callback. Closing this handle meanwhile (from the callback or another
/// thread) is safe and does not wait: the training goes on to its end,
/// and later calls through the handle (the callback's too) return
/// QV_ERR_CLOSED.
///
/// Searches go on throughout and see the old codes or the new ones; writes
/// go on too. A crash midway leaves each segment with its old or its new
/// codes, both valid. An I/O error while the codes are written (after
/// training) is returned with the new parameters kept and some segments
/// recoded: every segment stays searchable, and calling again completes
/// it.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL handle, wrong
/// struct_size, a parameter out of range: the message names it),
/// QV_ERR_UNSUPPORTED (an f32 collection: nothing to train),
/// QV_ERR_CANCELLED, QV_ERR_CLOSED, QV_ERR_READ_ONLY, QV_ERR_IO.
///
/// Thread safety: safe to call concurrently with any call; concurrent
/// training and optimization of one collection take turns.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_train_quantizer(
    coll: Option<&qv_collection>,
    params: *const qv_train_params,
    progress: qv_progress_fn,
    user_data: *mut std::ffi::c_void,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        // SAFETY: NULL or a params struct (the caller's promise).
        let p = unsafe { option_struct(params, "params", "qv_train_params") }?;
        let mut report = |done: u64, total: u64| -> bool {
            match progress {
                None => true,
                // SAFETY: the caller's callback with its own user_data, on
                // the caller's thread.
                Some(f) => unsafe { f(user_data, done, total) != 0 },
            }
        };
        let (c, _db) = handle(coll, "coll")?.detach()?;
        let params = match p {
            None => c.config().quantizer,
            Some(p) => QuantizerConfig {
                pq_subspaces: p.pq_subspaces as usize,
                pq_centroids: p.pq_centroids as usize,
                pq_iterations: p.pq_iterations as usize,
            },
        };
        Ok(c.train_quantizer(params, &mut report)?)
    })
}
