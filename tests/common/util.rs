//! Helpers for the engine tests: self-removing temp dirs (std only), a seeded
//! RNG, error matching, collection dumps, brute-force scoring, and the
//! process-wide WordNet collection that the recall, filtered and persistence
//! tests share (built once per test process).
#![allow(dead_code)]

use super::wordnet::{self, Wordnet};
use quiver::{
    Collection, CollectionConfig, Database, Error, Metric, Point, ScoredPoint, SearchParams,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock};

// ---------------------------------------------------------------------------
// Temp dirs
// ---------------------------------------------------------------------------

const PREFIX: &str = "quiver-test-";
static COUNTER: AtomicUsize = AtomicUsize::new(0);
static SWEEP: Once = Once::new();

/// A fresh directory under the system temp dir, named after this process and
/// a counter, removed (with everything in it) on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `<tmp>/quiver-test-<pid>-<n>-<tag>`.
    pub fn new(tag: &str) -> TempDir {
        SWEEP.call_once(sweep_stale_dirs);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tag: String = tag
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = std::env::temp_dir().join(format!("{PREFIX}{}-{n}-{tag}", std::process::id()));
        if path.exists() {
            // Left over by an earlier process that had the same pid.
            std::fs::remove_dir_all(&path).expect("remove stale temp dir");
        }
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the directory.
    pub fn join(&self, p: impl AsRef<Path>) -> PathBuf {
        self.path.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Removes temp dirs of test processes that no longer run (those a killed run
/// or the process-wide fixture, which is never dropped, left behind).
fn sweep_stale_dirs() {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    let me = std::process::id();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != me && !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Copies a directory tree (regular files and directories only).
pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("create copy dir");
    for e in std::fs::read_dir(src).expect("read dir to copy") {
        let e = e.expect("dir entry");
        let to = dst.join(e.file_name());
        let ty = e.file_type().expect("file type");
        if ty.is_dir() {
            copy_dir(&e.path(), &to);
        } else if ty.is_file() {
            std::fs::copy(e.path(), &to).expect("copy file");
        }
    }
}

/// `<db>/collections/<name>`: where the engine keeps a collection's files.
pub fn collection_dir(db: &Path, name: &str) -> PathBuf {
    db.join("collections").join(name)
}

/// The path (relative to the collection directory) of a collection's saved
/// graph: `seg-<id>/graph.qv` of its one sealed segment (exactly one must
/// be there: call `optimize()` first).
pub fn graph_file_name(collection_dir: &Path) -> String {
    let names: Vec<String> = std::fs::read_dir(collection_dir)
        .unwrap_or_else(|e| panic!("{}: {e}", collection_dir.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("seg-") && collection_dir.join(n).join("graph.qv").is_file())
        .map(|n| format!("{n}/graph.qv"))
        .collect();
    assert_eq!(
        names.len(),
        1,
        "{}: graph files {names:?}",
        collection_dir.display()
    );
    names.into_iter().next().unwrap()
}

// ---------------------------------------------------------------------------
// RNG
// ---------------------------------------------------------------------------

/// SplitMix64: small, seeded, good enough for test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `[-1, 1)`.
    pub fn f32(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    /// A vector of `dim` values in `[-1, 1)`.
    pub fn vector(&mut self, dim: usize) -> Vec<f32> {
        (0..dim).map(|_| self.f32()).collect()
    }

    /// A vector of `dim` values, each 0.0 or 1.0.
    pub fn bits(&mut self, dim: usize) -> Vec<f32> {
        (0..dim).map(|_| (self.next_u64() & 1) as f32).collect()
    }
}

/// `n * dim` values in `[-1, 1)`, row-major.
pub fn random_vectors(n: usize, dim: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng::new(seed);
    (0..n * dim).map(|_| r.f32()).collect()
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// The error of `r`; panics (naming `what`) when `r` is `Ok`.
#[track_caller]
pub fn expect_err<T>(r: quiver::Result<T>, what: &str) -> Error {
    match r {
        Ok(_) => panic!("{what}: expected an error, got Ok"),
        Err(e) => e,
    }
}

/// The variant name of an error, for messages and comparisons.
pub fn kind(e: &Error) -> &'static str {
    match e {
        Error::InvalidArgument(_) => "InvalidArgument",
        Error::DimensionMismatch { .. } => "DimensionMismatch",
        Error::NotFound(_) => "NotFound",
        Error::AlreadyExists(_) => "AlreadyExists",
        Error::Closed(_) => "Closed",
        Error::Locked(_) => "Locked",
        Error::Io { .. } => "Io",
        Error::Corrupt(_) => "Corrupt",
        Error::IncompatibleFormat(_) => "IncompatibleFormat",
        Error::Unsupported(_) => "Unsupported",
        Error::ReadOnly(_) => "ReadOnly",
        Error::OutOfMemory(_) => "OutOfMemory",
        Error::Cancelled(_) => "Cancelled",
    }
}

/// Asserts that `r` failed with the error variant `want` (by name).
#[track_caller]
pub fn assert_err<T>(r: quiver::Result<T>, want: &str, what: &str) {
    let e = expect_err(r, what);
    assert_eq!(kind(&e), want, "{what}: wrong error: {e}");
}

// ---------------------------------------------------------------------------
// Collections
// ---------------------------------------------------------------------------

/// Every point of a collection, read with scroll + get, by id.
pub fn dump(c: &Collection) -> BTreeMap<u64, Point> {
    let mut out = BTreeMap::new();
    let mut from = None;
    let mut pages = 0;
    loop {
        let page = c.scroll(from, 1000, None).expect("scroll");
        pages += 1;
        assert!(pages < 1_000_000, "scroll does not end");
        let got = c.get(&page.ids).expect("get");
        for (id, p) in page.ids.iter().zip(got) {
            let p = p.unwrap_or_else(|| panic!("scroll listed id {id}, get says it is missing"));
            assert_eq!(p.id, *id);
            assert!(out.insert(*id, p).is_none(), "scroll listed id {id} twice");
        }
        match page.next {
            Some(n) => from = Some(n),
            None => break,
        }
    }
    out
}

/// True when two points are identical, vectors compared bit for bit.
pub fn same_point(a: &Point, b: &Point) -> bool {
    a.id == b.id
        && a.payload == b.payload
        && a.sparse == b.sparse
        && a.vector.len() == b.vector.len()
        && a.vector
            .iter()
            .zip(&b.vector)
            .all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Asserts two dumps are identical (vectors bitwise), naming the first difference.
#[track_caller]
pub fn assert_same_points(got: &BTreeMap<u64, Point>, want: &BTreeMap<u64, Point>, what: &str) {
    for (id, w) in want {
        match got.get(id) {
            None => panic!("{what}: point {id} is missing"),
            Some(g) => assert!(
                same_point(g, w),
                "{what}: point {id} differs:\n got  {g:?}\n want {w:?}"
            ),
        }
    }
    for id in got.keys() {
        assert!(want.contains_key(id), "{what}: unexpected point {id}");
    }
}

/// Ids of a search result.
pub fn ids(r: &[ScoredPoint]) -> Vec<u64> {
    r.iter().map(|p| p.id).collect()
}

// ---------------------------------------------------------------------------
// Brute force
// ---------------------------------------------------------------------------

/// `v / |v|` (as the engine stores cosine vectors).
pub fn unit(v: &[f32]) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / n).collect()
}

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A score under `metric`'s convention (see the engine's `Metric`).
pub fn score(metric: Metric, a: &[f32], b: &[f32]) -> f32 {
    match metric {
        Metric::Cosine => dot(&unit(a), &unit(b)),
        Metric::Dot => dot(a, b),
        Metric::Euclidean => a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f32>()
            .sqrt(),
        Metric::Hamming => a.iter().zip(b).filter(|(x, y)| x != y).count() as f32,
        Metric::Jaccard => {
            let inter = a
                .iter()
                .zip(b)
                .filter(|(x, y)| **x != 0.0 && **y != 0.0)
                .count();
            let union = a
                .iter()
                .zip(b)
                .filter(|(x, y)| **x != 0.0 || **y != 0.0)
                .count();
            if union == 0 {
                1.0
            } else {
                inter as f32 / union as f32
            }
        }
        #[allow(unreachable_patterns)]
        _ => panic!("no brute-force score for this metric"),
    }
}

/// True when a higher score is better under `metric`.
pub fn higher_is_better(metric: Metric) -> bool {
    matches!(metric, Metric::Cosine | Metric::Dot | Metric::Jaccard)
}

/// `(id, score)` candidates sorted best first (ties by id).
pub fn sort_best_first(c: &mut [(u64, f32)], higher_better: bool) {
    c.sort_by(|a, b| {
        let o = a.1.partial_cmp(&b.1).expect("no NaN score");
        let o = if higher_better { o.reverse() } else { o };
        o.then(a.0.cmp(&b.0))
    });
}

/// Checks that `got` is a correct top-k of `truth` (all candidates with their
/// true scores): `min(k, truth.len())` hits, each a candidate reported with its
/// true score, best first, and the i-th score equal to the i-th best true
/// score (so the set is right up to ties). `tol` is the score tolerance.
#[track_caller]
pub fn assert_exact_topk(
    got: &[ScoredPoint],
    truth: &[(u64, f32)],
    k: usize,
    higher_better: bool,
    tol: f32,
    what: &str,
) {
    let mut sorted = truth.to_vec();
    sort_best_first(&mut sorted, higher_better);
    let want_len = k.min(sorted.len());
    assert_eq!(
        got.len(),
        want_len,
        "{what}: {} hits, expected {want_len} (k = {k}, {} candidates); got {:?}",
        got.len(),
        sorted.len(),
        ids(got)
    );
    let true_score: BTreeMap<u64, f32> = truth.iter().copied().collect();
    let mut seen = std::collections::HashSet::new();
    for (i, h) in got.iter().enumerate() {
        assert!(seen.insert(h.id), "{what}: id {} returned twice", h.id);
        let t = *true_score
            .get(&h.id)
            .unwrap_or_else(|| panic!("{what}: hit {i} is id {}, which is not a candidate", h.id));
        assert!(
            (h.score - t).abs() <= tol,
            "{what}: hit {i} id {} has score {}, true score {t}",
            h.id,
            h.score
        );
        assert!(
            (h.score - sorted[i].1).abs() <= tol,
            "{what}: hit {i} (id {}) has score {}, the {i}-th best true score is {} (id {}); got {:?}",
            h.id,
            h.score,
            sorted[i].1,
            sorted[i].0,
            got.iter().map(|p| (p.id, p.score)).collect::<Vec<_>>()
        );
        if i > 0 {
            let (a, b) = (got[i - 1].score, h.score);
            let ordered = if higher_better { a >= b } else { a <= b };
            assert!(
                ordered,
                "{what}: hits {} and {i} are out of order ({a}, {b})",
                i - 1
            );
        }
    }
}

/// Fraction of `want` (first `k`) that `got` contains.
pub fn recall(got: &[u64], want: &[u64], k: usize) -> f64 {
    let want = &want[..k.min(want.len())];
    if want.is_empty() {
        return 1.0;
    }
    let hit = want.iter().filter(|w| got.contains(w)).count();
    hit as f64 / want.len() as f64
}

// ---------------------------------------------------------------------------
// The shared WordNet collection
// ---------------------------------------------------------------------------

/// Name of the shared WordNet collection.
pub const WORDNET_COLLECTION: &str = "wordnet";

/// The WordNet sample in a cosine collection with default parameters, point
/// `i` = sample row `i` with payload `payloads[i]` (the sample's payload plus
/// `qv_n` (int 0..1000), `qv_x` (float in [0, 1)) and `qv_meta.b` (int 0..7)).
/// The collection was built, searched (`before_close`), closed and reopened:
/// `coll` is the reopened handle.
pub struct WordnetDb {
    pub data: Wordnet,
    pub payloads: Vec<Value>,
    /// Unit-length base vectors, row-major.
    pub unit_base: Vec<f32>,
    /// Unit-length queries, row-major.
    pub unit_queries: Vec<f32>,
    /// `scores[q * n + i]`: cosine similarity of query `q` and point `i`.
    pub scores: Vec<f32>,
    /// `before_close[p][q]`: search of query `q` with `graph_probe_params()[p]`
    /// on the freshly built collection, before the close.
    pub before_close: Vec<Vec<Vec<ScoredPoint>>>,
    pub coll: Arc<Collection>,
    db: Mutex<Database>,
    dir: PathBuf,
}

impl WordnetDb {
    /// Unit-length query `q`.
    pub fn query(&self, q: usize) -> &[f32] {
        &self.unit_queries[q * self.data.dim..(q + 1) * self.data.dim]
    }

    /// Raw query `q` as the sample holds it.
    pub fn raw_query(&self, q: usize) -> &[f32] {
        self.data.query(q)
    }

    /// `(id, cosine)` of every point against query `q` for which `keep(i)` holds.
    pub fn truth(&self, q: usize, keep: impl Fn(usize) -> bool) -> Vec<(u64, f32)> {
        let n = self.data.n;
        (0..n)
            .filter(|&i| keep(i))
            .map(|i| (i as u64, self.scores[q * n + i]))
            .collect()
    }

    /// The database directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// The payload stored for sample row `i`.
pub fn wordnet_payload(base: &Value, i: usize) -> Value {
    let mut p = match base {
        Value::Object(m) => m.clone(),
        other => {
            let mut m = serde_json::Map::new();
            m.insert("orig".into(), other.clone());
            m
        }
    };
    p.insert("qv_n".into(), json!((i * 37) % 1000));
    p.insert("qv_x".into(), json!(((i * 7919) % 10007) as f64 / 10007.0));
    p.insert("qv_meta".into(), json!({"b": i % 7}));
    Value::Object(p)
}

/// Search parameters whose results depend on the exact graph (a small `ef`
/// makes the walk, not just the data, decide the answer), plus the default.
pub fn graph_probe_params() -> Vec<SearchParams> {
    vec![
        SearchParams::new(10),
        SearchParams::new(10).ef(10),
        SearchParams::new(1).ef(1),
        SearchParams::new(3).ef(3),
    ]
}

/// Builds (once per process) and returns the shared WordNet collection.
pub fn wordnet_db() -> &'static WordnetDb {
    static DB: OnceLock<WordnetDb> = OnceLock::new();
    DB.get_or_init(build_wordnet_db)
}

fn build_wordnet_db() -> WordnetDb {
    let data = wordnet::load(&wordnet::sample_dir(), true).expect("load the WordNet sample");
    let (n, dim, nq) = (data.n, data.dim, data.nq);
    assert_eq!(data.payloads.len(), n, "one payload per sample row");
    let payloads: Vec<Value> = (0..n)
        .map(|i| wordnet_payload(&data.payloads[i], i))
        .collect();
    let unit_base: Vec<f32> = (0..n).flat_map(|i| unit(data.base_vec(i))).collect();
    let unit_queries: Vec<f32> = (0..nq).flat_map(|q| unit(data.query(q))).collect();
    let mut scores = vec![0f32; nq * n];
    for q in 0..nq {
        let qv = &unit_queries[q * dim..(q + 1) * dim];
        for i in 0..n {
            scores[q * n + i] = dot(qv, &unit_base[i * dim..(i + 1) * dim]);
        }
    }

    // Never dropped (it lives in a static): the next test process sweeps it.
    let tmp = TempDir::new("wordnet-shared");
    let dir = tmp.path().to_path_buf();
    std::mem::forget(tmp);

    let before_close = {
        let db = Database::open(&dir).expect("open");
        let c = db
            .create_collection(
                WORDNET_COLLECTION,
                CollectionConfig::new(dim, Metric::Cosine),
            )
            .expect("create wordnet collection");
        for start in (0..n).step_by(1000) {
            let end = (start + 1000).min(n);
            let points: Vec<Point> = (start..end)
                .map(|i| {
                    Point::new(i as u64, data.base_vec(i).to_vec())
                        .with_payload(payloads[i].clone())
                })
                .collect();
            c.upsert(&points).expect("upsert wordnet batch");
        }
        assert_eq!(c.count().unwrap(), n);
        // Seal the points into one segment with a graph (what the recall and
        // reopen tests are about).
        c.optimize().expect("optimize");
        let r: Vec<Vec<Vec<ScoredPoint>>> = graph_probe_params()
            .iter()
            .map(|p| {
                (0..nq)
                    .map(|q| c.search(data.query(q), p).expect("search"))
                    .collect()
            })
            .collect();
        drop(c);
        db.close().expect("close");
        r
    };

    let db = Database::open(&dir).expect("reopen");
    let coll = db
        .collection(WORDNET_COLLECTION)
        .expect("wordnet collection after reopen");
    WordnetDb {
        data,
        payloads,
        unit_base,
        unit_queries,
        scores,
        before_close,
        coll,
        db: Mutex::new(db),
        dir,
    }
}
