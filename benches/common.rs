//! What the modes of `quiver-bench` share: option parsing, loading a data
//! set, database directories, building a collection, timed searches with
//! recall, exact ground truth, and the memory and disk measurements
//! (`VmRSS`, a counting global allocator, the bytes under a directory).

use crate::wordnet::{self, Wordnet};
use quiver::{Collection, CollectionConfig, CollectionStats, Database, HnswConfig, Metric};
use rayon::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

pub type BoxError = Box<dyn std::error::Error>;

/// Points per upsert (and ids per delete) call when a mode loads a data set.
pub const BATCH: usize = 10_000;
/// Name of the collection every mode creates.
pub const COLLECTION: &str = "bench";

// ---------------------------------------------------------------- options

/// The options of a command line as `(name, value)` pairs, in order; both
/// `--name value` and `--name=value` are accepted. `Ok(None)` when `-h` or
/// `--help` is among them.
pub fn options(args: &[String]) -> Result<Option<Vec<(String, String)>>, String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        if !arg.starts_with("--") {
            return Err(format!("unexpected argument '{arg}'"));
        }
        let (name, value) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), v.to_string()),
            None => match it.next() {
                Some(v) => (arg.clone(), v.clone()),
                None => return Err(format!("{arg} needs a value")),
            },
        };
        out.push((name, value));
    }
    Ok(Some(out))
}

/// The error for an option a mode does not know.
pub fn unknown(name: &str) -> String {
    format!("unknown option '{name}'")
}

/// `s` as an integer > 0.
pub fn positive(opt: &str, s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(format!("{opt}: '{s}' is not a positive integer")),
    }
}

/// `s` as a comma-separated list of integers > 0.
pub fn positive_list(opt: &str, s: &str) -> Result<Vec<usize>, String> {
    s.split(',').map(|x| positive(opt, x)).collect()
}

/// `s` as a number of seconds > 0.
pub fn seconds(opt: &str, s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("{opt}: '{s}' is not a positive number of seconds")),
    }
}

/// The default `--data`: `../shared/data/wordnet` next to the crate.
pub fn default_data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/wordnet")
}

// ---------------------------------------------------------------- data

/// The options of the modes that load a data set and build one collection:
/// `--data DIR`, `--n N`, `--k K`, `--dir DIR`.
pub struct DataOpts {
    /// The data directory.
    pub data: PathBuf,
    /// Only the first `n` base points.
    pub n: Option<usize>,
    /// Neighbours per query.
    pub k: usize,
    /// The database directory (kept), or `None` for a scratch one.
    pub dir: Option<PathBuf>,
}

impl Default for DataOpts {
    fn default() -> Self {
        DataOpts {
            data: default_data_dir(),
            n: None,
            k: 10,
            dir: None,
        }
    }
}

impl DataOpts {
    /// Takes option `name` if it is one of these; `Ok(false)` if not.
    pub fn set(&mut self, name: &str, v: &str) -> Result<bool, String> {
        match name {
            "--data" => self.data = PathBuf::from(v),
            "--n" => self.n = Some(positive(name, v)?),
            "--k" => self.k = positive(name, v)?,
            "--dir" => self.dir = Some(PathBuf::from(v)),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The database directory to use, labelled `label` when scratch.
    pub fn db_dir(&self, label: &str) -> DbDir {
        DbDir::new(self.dir.as_deref(), label)
    }
}

/// A data set loaded for a mode.
pub struct Data {
    /// Vectors, queries and ground truth (payloads not parsed).
    pub w: Wordnet,
    /// Payload JSON text per base point, as in `base.jsonl` (empty unless asked for).
    pub payloads: Vec<String>,
}

/// Loads `o.data` (only the first `o.n` base points if given), reporting
/// on stderr; with `payloads` also the payload text of `base.jsonl`. With
/// `recall`, recall@`o.k` will be measured: the ground truth must hold `k`
/// ids per query, and is recomputed exactly when `n` cuts the base (else it
/// is not used, and not recomputed).
pub fn load(o: &DataOpts, payloads: bool, recall: bool) -> Result<Data, BoxError> {
    let dir = o.data.as_path();
    let t = Instant::now();
    let w = wordnet::load(dir, false)?;
    let payloads = if payloads {
        wordnet::load_payload_text(dir, w.n)?
    } else {
        Vec::new()
    };
    eprintln!(
        "data: {} base, {} queries, dim {} from {} ({:.1} s)",
        w.n,
        w.nq,
        w.dim,
        dir.display(),
        t.elapsed().as_secs_f64()
    );
    let mut data = Data { w, payloads };
    if let Some(n) = o.n {
        if n > data.w.n {
            return Err(format!(
                "--n {n} is larger than the {} base vectors of {}",
                data.w.n,
                dir.display()
            )
            .into());
        }
        data.truncate(n, recall);
    }
    if data.w.nq == 0 {
        return Err(format!("{} has no queries", dir.display()).into());
    }
    if recall && o.k > data.w.gt_k {
        return Err(format!(
            "--k {} is larger than the {} ground-truth ids per query",
            o.k, data.w.gt_k
        )
        .into());
    }
    Ok(data)
}

impl Data {
    /// Keeps the first `n` base points; with `truth`, recomputes the exact
    /// ground truth over them on all cores (as peers.py does for `--n`).
    fn truncate(&mut self, n: usize, truth: bool) {
        let w = &mut self.w;
        if n >= w.n {
            return;
        }
        w.n = n;
        w.base.truncate(n * w.dim);
        self.payloads.truncate(n);
        if truth {
            let t = Instant::now();
            w.gt_k = w.gt_k.min(n);
            w.gt = exact_truth(w, w.gt_k, |_| true);
            eprintln!(
                "ground truth of the first {n} recomputed exactly ({:.1} s)",
                t.elapsed().as_secs_f64()
            );
        }
    }
}

/// Exact top-`k` ids of every query among the base points for which
/// `keep(id)` holds, rows of `k` concatenated (best first), on all cores.
/// Panics unless at least `k` points are kept.
pub fn exact_truth(w: &Wordnet, k: usize, keep: impl Fn(usize) -> bool + Sync) -> Vec<u32> {
    let rows: Vec<Vec<u32>> = (0..w.nq)
        .into_par_iter()
        .map(|q| w.exact_top_k(w.query(q), k, &keep))
        .collect();
    assert!(
        rows.iter().all(|r| r.len() == k),
        "fewer than {k} points kept"
    );
    rows.concat()
}

// ---------------------------------------------------------------- database

/// A database directory: the caller's (kept) or a scratch one (removed when
/// dropped, also on errors).
pub struct DbDir {
    pub path: PathBuf,
    remove: bool,
}

impl DbDir {
    /// `dir` if given (kept), else a fresh directory under the system's
    /// temporary directory named after `label` (removed).
    pub fn new(dir: Option<&Path>, label: &str) -> DbDir {
        match dir {
            Some(d) => DbDir {
                path: d.to_owned(),
                remove: false,
            },
            None => {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.subsec_nanos())
                    .unwrap_or(0);
                let name = format!("quiver-bench-{label}-{}-{nanos}", std::process::id());
                DbDir::scratch(std::env::temp_dir().join(name))
            }
        }
    }

    /// `path`, removed when dropped.
    pub fn scratch(path: PathBuf) -> DbDir {
        DbDir { path, remove: true }
    }

    /// Whether the directory stays after the run.
    pub fn kept(&self) -> bool {
        !self.remove
    }
}

impl Drop for DbDir {
    fn drop(&mut self) {
        if self.remove {
            match std::fs::remove_dir_all(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    eprintln!(
                        "quiver-bench: could not remove {}: {e}",
                        self.path.display()
                    )
                }
                _ => {}
            }
        }
    }
}

/// Opens the database in `dir` (default options) and creates the cosine
/// collection [`COLLECTION`]; an error if it exists already.
pub fn create(
    dir: &Path,
    dim: usize,
    hnsw: HnswConfig,
) -> Result<(Database, Arc<Collection>), BoxError> {
    create_stored(
        dir,
        CollectionConfig::new(dim, Metric::Cosine).with_hnsw(hnsw),
        0,
    )
}

/// Like [`create`], with configuration `config`, in a database whose
/// background graph builds use `build_threads` threads (0: the library's
/// default, half the cores).
pub fn create_stored(
    dir: &Path,
    config: CollectionConfig,
    build_threads: usize,
) -> Result<(Database, Arc<Collection>), BoxError> {
    let options = quiver::DatabaseOptions {
        build_threads,
        ..quiver::DatabaseOptions::default()
    };
    let db = Database::open_with(dir, options)
        .map_err(|e| format!("open database {}: {e}", dir.display()))?;
    if db.list_collections()?.iter().any(|c| c == COLLECTION) {
        return Err(format!(
            "{} already holds a collection '{COLLECTION}': remove it or pass another --dir",
            dir.display()
        )
        .into());
    }
    let coll = db
        .create_collection(COLLECTION, config)
        .map_err(|e| format!("create collection: {e}"))?;
    Ok((db, coll))
}

/// Upserts every base point (id i = row i) through `upsert_json` in batches
/// of [`BATCH`], with `payloads[i]` as the JSON text of point i (none when
/// `payloads` is empty).
pub fn upsert_all(coll: &Collection, w: &Wordnet, payloads: &[String]) -> Result<(), BoxError> {
    let ids: Vec<u64> = (0..w.n as u64).collect();
    let texts: Vec<Option<&[u8]>> = if payloads.is_empty() {
        vec![None; w.n]
    } else {
        payloads.iter().map(|p| Some(p.as_bytes())).collect()
    };
    for start in (0..w.n).step_by(BATCH) {
        let end = (start + BATCH).min(w.n);
        coll.upsert_json(
            &ids[start..end],
            &w.base[start * w.dim..end * w.dim],
            &texts[start..end],
        )
        .map_err(|e| format!("upsert of points {start}..{end}: {e}"))?;
    }
    Ok(())
}

/// One stderr line of what `stats()` says: points, segments, optimizer.
pub fn stats_line(label: &str, s: &CollectionStats) -> String {
    let kinds: Vec<String> = s
        .segments
        .iter()
        .map(|g| format!("{}:{}/{}del", g.kind.as_str(), g.points, g.deleted))
        .collect();
    format!(
        "{label}: stats: live {} deleted {} segments {} [{}] resident {:.1} MiB optimizer {} runs {}{}",
        s.live_points,
        s.deleted_points,
        s.segments.len(),
        kinds.join(" "),
        s.resident_bytes as f64 / MIB,
        s.optimizer.state.as_str(),
        s.optimizer.completed_runs,
        s.optimizer
            .last_error
            .as_deref()
            .map(|e| format!(" last error: {e}"))
            .unwrap_or_default()
    )
}

// ---------------------------------------------------------------- search

/// Recall and throughput of one series of searches.
pub struct Measured {
    /// Mean recall@k over the queries.
    pub recall: f64,
    /// Queries per second, one query per call on this thread.
    pub qps: f64,
}

/// Searches the first `nq` queries, one per call on this thread (as
/// ann-benchmarks and peers.py measure it), and scores them against `gt`
/// (rows of `gt_k` ids).
pub fn search_recall(
    coll: &Collection,
    w: &Wordnet,
    nq: usize,
    k: usize,
    ef: usize,
    gt: &[u32],
    gt_k: usize,
) -> Result<Measured, BoxError> {
    let params = quiver::SearchParams::new(k).ef(ef);
    search_recall_with(coll, w, nq, &params, gt, gt_k)
}

/// Like [`search_recall`] with every parameter given (`params.k` results).
pub fn search_recall_with(
    coll: &Collection,
    w: &Wordnet,
    nq: usize,
    params: &quiver::SearchParams,
    gt: &[u32],
    gt_k: usize,
) -> Result<Measured, BoxError> {
    let k = params.k;
    let mut found: Vec<Vec<u64>> = Vec::with_capacity(nq);
    let t = Instant::now();
    for q in 0..nq {
        let hits = coll.search(w.query(q), params)?;
        found.push(hits.iter().map(|h| h.id).collect());
    }
    let dt = t.elapsed().as_secs_f64();
    let recall = found
        .iter()
        .enumerate()
        .map(|(q, f)| wordnet::recall_at(f, &gt[q * gt_k..(q + 1) * gt_k], k))
        .sum::<f64>()
        / nq as f64;
    Ok(Measured {
        recall,
        qps: nq as f64 / dt,
    })
}

// ---------------------------------------------------------------- memory, disk

/// Bytes in a MiB (what `*_mb` fields count).
const MIB: f64 = (1u64 << 20) as f64;

/// Resident set size of this process in MiB (`VmRSS` of /proc/self/status);
/// NaN where that is not available.
pub fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb * 1024.0 / MIB)
}

/// Bytes of all regular files below `dir` (files that vanish during the
/// walk are skipped), in MiB.
pub fn disk_mb(dir: &Path) -> std::io::Result<f64> {
    fn walk(dir: &Path) -> std::io::Result<u64> {
        let mut total = 0;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let meta = match entry.metadata() {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if meta.is_dir() {
                total += walk(&entry.path())?;
            } else if meta.is_file() {
                total += meta.len();
            }
        }
        Ok(total)
    }
    Ok(walk(dir)? as f64 / MIB)
}

/// The global allocator of `quiver-bench`: the system allocator, counting
/// the bytes currently allocated (one relaxed atomic add per call).
pub struct CountingAlloc;

static LIVE_HEAP: AtomicUsize = AtomicUsize::new(0);

/// Bytes of heap currently allocated by the whole process.
pub fn live_heap_bytes() -> usize {
    LIVE_HEAP.load(Ordering::Relaxed)
}

// SAFETY: every call is forwarded to `System` unchanged; only a counter is
// updated besides, after a successful allocation or before a deallocation.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            LIVE_HEAP.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            LIVE_HEAP.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_HEAP.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            LIVE_HEAP.fetch_add(new_size, Ordering::Relaxed);
            LIVE_HEAP.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

/// Heap bytes the components that scale with dimensions and links hold
/// (vectors, graph, and any quantised codes), per `stats()`.
pub fn index_ram_bytes(s: &CollectionStats) -> u64 {
    s.components
        .iter()
        .filter(|c| c.name == "vectors" || c.name == "graph" || c.name.contains("codes"))
        .map(|c| c.ram_bytes)
        .sum()
}
