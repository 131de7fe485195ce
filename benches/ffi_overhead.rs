//! `quiver-bench ffi`: what the C ABI costs on search.
//!
//! Builds one cosine collection from a WordNet-format data set, closes it,
//! then times the same searches on that on-disk collection through the Rust
//! API (`Collection::search_batch`, and `Collection::search` per query) and
//! through the exported C functions (`qv_collection_search` with caller
//! arrays: all queries in one call, and one call per query), called from
//! Rust exactly as a C program calls them. The two sides alternate for
//! `--rounds` rounds, each opening the database afresh (the C side through
//! `qv_database_open`, which maps the same saved graph) and timing `--reps`
//! batch calls after a warm-up; the medians (and the batch minima) are
//! compared. Both sides must return identical ids.
//!
//! ```text
//! cargo run --release --bin quiver-bench -- ffi --data ../shared/data/wordnet
//! engine=quiver api=rust call=batch nq=1000 k=10 ef=64 threads=2 ms=101.2 qps=9881.4
//! engine=quiver api=c call=batch nq=1000 k=10 ef=64 threads=2 ms=101.9 qps=9813.7
//! engine=quiver api=rust call=single nq=1000 k=10 ef=64 threads=1 ms=190.3 qps=5254.9
//! engine=quiver api=c call=single nq=1000 k=10 ef=64 threads=1 ms=191.0 qps=5235.6
//! engine=quiver c_over_rust_batch=1.007 c_over_rust_batch_min=1.002 c_over_rust_single=1.004 identical=true
//! ```

use crate::common::{self, BoxError, DataOpts, COLLECTION};
use crate::wordnet;
use quiver::ffi::{
    qv_collection, qv_collection_free, qv_collection_search, qv_database, qv_database_close,
    qv_database_free, qv_database_open, qv_database_open_collection, qv_error, qv_error_free,
    qv_error_message, qv_search_params, qv_search_params_init, qv_status,
};
use quiver::{Database, HnswConfig, SearchParams};
use std::mem::MaybeUninit;
use std::path::Path;
use std::time::Instant;

pub const USAGE: &str = "\
usage: quiver-bench ffi [options]

Times search through the Rust API and through the C ABI on one collection
(see benches/ffi_overhead.rs) and prints the ratio C / Rust of the median times.

options:
  --data DIR     data directory (base.f16, queries.f16, gt100.u32)
                 [default: ../shared/data/wordnet next to the crate]
  --ef EF        search ef [default: 64]
  --k K          neighbours per query [default: 10]
  --n N          use only the first N base vectors [default: all]
  --dir DIR      database directory, kept afterwards [default: a temporary
                 directory, removed at the end]
  --nq NQ        use only the first NQ queries [default: all]
  --rounds R     alternating rounds per side [default: 5]
  --reps N       timed batch calls per side and round [default: 3]
  -h, --help     this message";

pub struct FfiArgs {
    data: DataOpts,
    ef: usize,
    nq: Option<usize>,
    rounds: usize,
    reps: usize,
}

/// Parses the options of `ffi`; `Ok(None)` when help was asked for.
pub fn parse(args: &[String]) -> Result<Option<FfiArgs>, String> {
    let mut a = FfiArgs {
        data: DataOpts::default(),
        ef: 64,
        nq: None,
        rounds: 5,
        reps: 3,
    };
    let Some(opts) = common::options(args)? else {
        return Ok(None);
    };
    for (name, v) in opts {
        match name.as_str() {
            "--ef" => a.ef = common::positive(&name, &v)?,
            "--nq" => a.nq = Some(common::positive(&name, &v)?),
            "--rounds" => a.rounds = common::positive(&name, &v)?,
            "--reps" => a.reps = common::positive(&name, &v)?,
            _ if a.data.set(&name, &v)? => {}
            _ => return Err(common::unknown(&name)),
        }
    }
    Ok(Some(a))
}

/// The median of `xs` (sorted in place).
fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    let m = xs.len() / 2;
    if xs.len() % 2 == 1 {
        xs[m]
    } else {
        (xs[m - 1] + xs[m]) / 2.0
    }
}

/// `p` as the out-pointer argument of a C function (`T *` in the header).
fn slot<T: Copy>(p: &mut T) -> Option<&mut MaybeUninit<T>> {
    // SAFETY: `MaybeUninit<T>` has the layout of `T`, and the library
    // writes only initialised values through an out-pointer.
    Some(unsafe { &mut *(p as *mut T).cast::<MaybeUninit<T>>() })
}

/// Turns a C status and error object into a Result (freeing the error).
fn check(status: i32, err: *mut qv_error, what: &str) -> Result<(), BoxError> {
    if status == qv_status::QV_OK as i32 {
        return Ok(());
    }
    // SAFETY: `err` is NULL or the error object of the failed call;
    // `qv_error_message` returns a NUL-terminated string that lives until
    // `qv_error_free(err)`, which comes after the copy and frees it once.
    let msg = unsafe {
        let msg = std::ffi::CStr::from_ptr(qv_error_message(err.as_ref()))
            .to_string_lossy()
            .into_owned();
        qv_error_free((!err.is_null()).then(|| Box::from_raw(err)));
        msg
    };
    Err(format!("{what}: status {status}: {msg}").into())
}

/// The database and collection opened through the C ABI.
struct CHandles {
    db: *mut qv_database,
    coll: *mut qv_collection,
    dim: usize,
}

impl CHandles {
    fn open(dir: &Path, dim: usize) -> Result<CHandles, BoxError> {
        use std::os::unix::ffi::OsStrExt;
        let path = dir.as_os_str().as_bytes();
        let mut h = CHandles {
            db: std::ptr::null_mut(),
            coll: std::ptr::null_mut(),
            dim,
        };
        let mut err = std::ptr::null_mut();
        // SAFETY: valid buffers with their lengths and out-pointers; `h.db`
        // is NULL or the handle the first call returned.
        let s = unsafe {
            qv_database_open(
                path.as_ptr(),
                path.len(),
                std::ptr::null(),
                slot(&mut h.db),
                slot(&mut err),
            )
        };
        check(s, err, "qv_database_open")?;
        let s = unsafe {
            qv_database_open_collection(
                h.db.as_ref(),
                COLLECTION.as_ptr(),
                COLLECTION.len(),
                slot(&mut h.coll),
                slot(&mut err),
            )
        };
        check(s, err, "qv_database_open_collection")?;
        Ok(h)
    }

    /// `qv_collection_search` of all `queries` (row-major) in one call.
    fn search(
        &self,
        queries: &[f32],
        params: &qv_search_params,
        ids: &mut [u64],
        scores: &mut [f32],
        counts: &mut [u32],
    ) -> Result<(), BoxError> {
        let mut err = std::ptr::null_mut();
        // SAFETY: a live collection handle, buffers with their lengths.
        let s = unsafe {
            qv_collection_search(
                self.coll.as_ref(),
                queries.as_ptr(),
                queries.len() / self.dim,
                self.dim,
                params,
                ids.as_mut_ptr(),
                scores.as_mut_ptr(),
                ids.len(),
                counts.as_mut_ptr(),
                slot(&mut err),
            )
        };
        check(s, err, "qv_collection_search")
    }
}

impl Drop for CHandles {
    fn drop(&mut self) {
        // SAFETY: the handles are NULL or live, and freed once, here.
        unsafe {
            qv_collection_free((!self.coll.is_null()).then(|| Box::from_raw(self.coll)));
            qv_database_close(self.db.as_ref(), None);
            qv_database_free((!self.db.is_null()).then(|| Box::from_raw(self.db)));
        }
    }
}

pub fn run(a: &FfiArgs) -> Result<(), BoxError> {
    let w = common::load(&a.data, false, false)?.w;
    let nq = a.nq.unwrap_or(w.nq).min(w.nq);
    let queries = &w.queries[..nq * w.dim];
    eprintln!("using {nq} queries");
    let dir = a.data.db_dir("ffi");
    measure(a, &w, queries, nq, &dir.path)
}

fn measure(
    a: &FfiArgs,
    w: &wordnet::Wordnet,
    queries: &[f32],
    nq: usize,
    dir: &Path,
) -> Result<(), BoxError> {
    let (dim, k, ef) = (w.dim, a.data.k, a.ef);

    // Build once, with the Rust API, and close (a checkpoint saves the graph).
    let t = Instant::now();
    {
        let (db, coll) = common::create(dir, dim, HnswConfig::default())?;
        common::upsert_all(&coll, w, &[])?;
        drop(coll);
        db.close()?;
    }
    eprintln!(
        "build: {} points in {:.1} s",
        w.n,
        t.elapsed().as_secs_f64()
    );

    let rust_params = SearchParams::new(k).ef(ef);
    let mut c_params = MaybeUninit::<qv_search_params>::uninit();
    // SAFETY: an out-pointer; qv_search_params_init writes every field.
    unsafe { qv_search_params_init(Some(&mut c_params)) };
    // SAFETY: qv_search_params_init wrote every field.
    let mut c_params = unsafe { c_params.assume_init() };
    c_params.k = k as u32;
    c_params.ef = ef as u32;

    let mut ids = vec![0u64; nq * k];
    let mut scores = vec![0f32; nq * k];
    let mut counts = vec![0u32; nq];
    let mut rust_ids = vec![u64::MAX; nq * k];
    let (mut rb, mut cb, mut rs, mut cs) = (vec![], vec![], vec![], vec![]);
    let mut identical = true;

    for round in 0..a.rounds {
        // Rust API.
        {
            let db = Database::open(dir)?;
            let coll = db.collection(COLLECTION)?;
            coll.search_batch(queries, &rust_params)?; // warm-up
            let mut hits = Vec::new();
            for _ in 0..a.reps {
                let t = Instant::now();
                hits = coll.search_batch(queries, &rust_params)?;
                rb.push(t.elapsed().as_secs_f64());
            }
            let t = Instant::now();
            for q in 0..nq {
                std::hint::black_box(coll.search(&queries[q * dim..(q + 1) * dim], &rust_params)?);
            }
            rs.push(t.elapsed().as_secs_f64());
            for (q, row) in hits.iter().enumerate() {
                for (j, h) in row.iter().enumerate() {
                    rust_ids[q * k + j] = h.id;
                }
            }
            drop(coll);
            db.close()?;
        }
        // C ABI, same files.
        {
            let h = CHandles::open(dir, dim)?;
            h.search(queries, &c_params, &mut ids, &mut scores, &mut counts)?; // warm-up
            for _ in 0..a.reps {
                let t = Instant::now();
                h.search(queries, &c_params, &mut ids, &mut scores, &mut counts)?;
                cb.push(t.elapsed().as_secs_f64());
            }
            identical &= ids == rust_ids;
            let mut one_ids = vec![0u64; k];
            let mut one_scores = vec![0f32; k];
            let mut one_count = [0u32];
            let t = Instant::now();
            for q in 0..nq {
                h.search(
                    &queries[q * dim..(q + 1) * dim],
                    &c_params,
                    &mut one_ids,
                    &mut one_scores,
                    &mut one_count,
                )?;
                std::hint::black_box(&one_ids);
            }
            cs.push(t.elapsed().as_secs_f64());
        }
        let last = |xs: &[f64]| {
            xs[xs.len() - a.reps..]
                .iter()
                .map(|t| format!("{:.1}", t * 1e3))
                .collect::<Vec<_>>()
                .join(" ")
        };
        eprintln!(
            "round {}: batch ms rust [{}] c [{}]; single ms rust {:.1} c {:.1}",
            round + 1,
            last(&rb),
            last(&cb),
            rs[round] * 1e3,
            cs[round] * 1e3
        );
    }

    let threads = rayon::current_num_threads();
    let min = |xs: &[f64]| xs.iter().copied().fold(f64::INFINITY, f64::min);
    let (rb_min, cb_min) = (min(&rb), min(&cb));
    let (rb, cb, rs, cs) = (
        median(&mut rb),
        median(&mut cb),
        median(&mut rs),
        median(&mut cs),
    );
    for (api, call, t, th) in [
        ("rust", "batch", rb, threads),
        ("c", "batch", cb, threads),
        ("rust", "single", rs, 1),
        ("c", "single", cs, 1),
    ] {
        println!(
            "engine=quiver api={api} call={call} nq={nq} k={k} ef={ef} threads={th} ms={:.1} qps={:.1}",
            t * 1e3,
            nq as f64 / t
        );
    }
    println!(
        "engine=quiver c_over_rust_batch={:.3} c_over_rust_batch_min={:.3} c_over_rust_single={:.3} identical={identical}",
        cb / rb,
        cb_min / rb_min,
        cs / rs
    );
    Ok(())
}
