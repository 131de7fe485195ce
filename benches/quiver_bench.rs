//! quiver-bench: recall and throughput of Quiver on a data set in the WordNet
//! format, printed in the same line format as `shared/bench/peers.py` so the
//! two can be compared side by side.
//!
//! ```text
//! cargo run --release --bin quiver-bench -- ann --data ../shared/data/wordnet --ef 16,32,64,128,256
//! engine=quiver m=16 efc=200 ef=64 threads=1 recall@10=0.9914 qps=4874.1 build_s=26.4
//! ...
//! engine=quiver reopen_s=0.123
//! ```
//!
//! Build inserts every base vector (with its payload) through `upsert_flat`
//! in batches of 10,000, on all cores (the engine parallelises inside a
//! batch); `build_s` is the wall time of all upserts plus a final checkpoint.
//! Search is one query per call on one thread, as ann-benchmarks (and
//! peers.py) measure it. Only result lines go to stdout; progress and notes
//! go to stderr.
//!
//! `quiver-bench ffi` compares search through the C ABI with the Rust API on
//! one collection (see `benches/ffi_overhead.rs`).

#[path = "../tests/common/wordnet.rs"]
mod wordnet;

mod ffi_overhead;

use quiver::{CollectionConfig, Database, HnswConfig, Metric, SearchParams};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

const USAGE: &str = "\
usage: quiver-bench ann [options]

Builds a cosine collection from a WordNet-format data directory, then prints
one line per ef in peers.py's format:
  engine=quiver m=16 efc=200 ef=64 threads=1 recall@10=0.9914 qps=4874.1 build_s=26.4
and finally the time to reopen the database:
  engine=quiver reopen_s=0.123

options:
  --data DIR     data directory (base.f16, base.jsonl, queries.f16, gt100.u32)
                 [default: ../shared/data/wordnet next to the crate]
  --ef LIST      comma-separated search ef values [default: 16,32,64,128,256]
  --m M          HNSW links per node [default: 16]
  --efc EF       HNSW construction ef [default: 200]
  --n N          use only the first N base vectors (exact ground truth of the
                 subset is recomputed by brute force) [default: all]
  --k K          neighbours per query for recall@K [default: 10]
  --dir DIR      database directory, kept afterwards [default: a temporary
                 directory, removed at the end]
  -h, --help     this message";

/// Points per `upsert_flat` call while building.
const BATCH: usize = 10_000;
/// Name of the collection the benchmark creates.
const COLLECTION: &str = "bench";

type BoxError = Box<dyn std::error::Error>;

struct AnnArgs {
    data: PathBuf,
    efs: Vec<usize>,
    m: usize,
    efc: usize,
    n: Option<usize>,
    k: usize,
    dir: Option<PathBuf>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("ann") => match parse_ann(&args[1..]) {
            Ok(Some(a)) => match run_ann(&a) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("quiver-bench: error: {e}");
                    1
                }
            },
            Ok(None) => {
                println!("{USAGE}");
                0
            }
            Err(e) => {
                eprintln!("quiver-bench: {e}\n\n{USAGE}");
                2
            }
        },
        Some("ffi") => match ffi_overhead::parse(&args[1..]) {
            Ok(Some(a)) => match ffi_overhead::run(&a) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("quiver-bench: error: {e}");
                    1
                }
            },
            Ok(None) => {
                println!("{}", ffi_overhead::USAGE);
                0
            }
            Err(e) => {
                eprintln!("quiver-bench: {e}\n\n{}", ffi_overhead::USAGE);
                2
            }
        },
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            0
        }
        Some(other) => {
            eprintln!(
                "quiver-bench: unknown command '{other}' (expected 'ann' or 'ffi')\n\n{USAGE}"
            );
            2
        }
        None => {
            eprintln!("quiver-bench: missing command\n\n{USAGE}");
            2
        }
    };
    std::process::exit(code);
}

/// Parses the options of `ann`; `Ok(None)` when help was asked for.
fn parse_ann(args: &[String]) -> Result<Option<AnnArgs>, String> {
    let mut a = AnnArgs {
        data: Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/wordnet"),
        efs: vec![16, 32, 64, 128, 256],
        m: 16,
        efc: 200,
        n: None,
        k: 10,
        dir: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        // Accept both "--opt value" and "--opt=value".
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        if !name.starts_with("--") {
            return Err(format!("unexpected argument '{arg}'"));
        }
        let mut value = || -> Result<String, String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it
                    .next()
                    .cloned()
                    .ok_or_else(|| format!("{name} needs a value")),
            }
        };
        match name {
            "--data" => a.data = PathBuf::from(value()?),
            "--dir" => a.dir = Some(PathBuf::from(value()?)),
            "--ef" => {
                let v = value()?;
                a.efs = v
                    .split(',')
                    .map(|s| positive("--ef", s.trim()))
                    .collect::<Result<_, _>>()?;
            }
            "--m" => a.m = positive(name, &value()?)?,
            "--efc" => a.efc = positive(name, &value()?)?,
            "--n" => a.n = Some(positive(name, &value()?)?),
            "--k" => a.k = positive(name, &value()?)?,
            _ => return Err(format!("unknown option '{name}'")),
        }
    }
    Ok(Some(a))
}

fn positive(opt: &str, s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(format!("{opt}: '{s}' is not a positive integer")),
    }
}

/// Removes the temporary database directory when dropped (also on errors).
struct TempDir(Option<PathBuf>);

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            if let Err(e) = std::fs::remove_dir_all(&p) {
                eprintln!("quiver-bench: could not remove {}: {e}", p.display());
            }
        }
    }
}

fn run_ann(a: &AnnArgs) -> Result<(), BoxError> {
    eprintln!("distance kernel: {}", quiver::distance::kernel_name());
    let t = Instant::now();
    let mut w = wordnet::load(&a.data, true)?;
    eprintln!(
        "data: {} base, {} queries, dim {} from {} ({:.1} s)",
        w.n,
        w.nq,
        w.dim,
        a.data.display(),
        t.elapsed().as_secs_f64()
    );
    if let Some(n) = a.n {
        if n > w.n {
            return Err(format!(
                "--n {n} is larger than the {} base vectors of {}",
                w.n,
                a.data.display()
            )
            .into());
        }
        if n < w.n {
            let t = Instant::now();
            subset(&mut w, n);
            eprintln!(
                "ground truth of the first {n} recomputed exactly ({:.1} s)",
                t.elapsed().as_secs_f64()
            );
        }
    }
    if a.k > w.gt_k {
        return Err(format!(
            "--k {} is larger than the {} ground-truth ids per query",
            a.k, w.gt_k
        )
        .into());
    }
    if w.nq == 0 {
        return Err(format!("{} has no queries", a.data.display()).into());
    }

    // Database directory: the caller's (kept) or a fresh temporary one (removed).
    let (dir, _cleanup) = match &a.dir {
        Some(d) => (d.clone(), TempDir(None)),
        None => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let d =
                std::env::temp_dir().join(format!("quiver-bench-{}-{nanos}", std::process::id()));
            (d.clone(), TempDir(Some(d)))
        }
    };

    let db = Database::open(&dir).map_err(|e| format!("open database {}: {e}", dir.display()))?;
    if db.list_collections()?.iter().any(|c| c == COLLECTION) {
        return Err(format!(
            "{} already holds a collection '{COLLECTION}': remove it or pass another --dir",
            dir.display()
        )
        .into());
    }
    let hnsw = HnswConfig {
        m: a.m,
        ef_construction: a.efc,
        ..HnswConfig::default()
    };
    let config = CollectionConfig::new(w.dim, Metric::Cosine).with_hnsw(hnsw);
    let coll = db
        .create_collection(COLLECTION, config)
        .map_err(|e| format!("create collection: {e}"))?;

    // Build: all upserts plus a final checkpoint, wall time.
    let payloads: Vec<Option<serde_json::Value>> = std::mem::take(&mut w.payloads)
        .into_iter()
        .map(Some)
        .collect();
    let ids: Vec<u64> = (0..w.n as u64).collect();
    let t = Instant::now();
    for start in (0..w.n).step_by(BATCH) {
        let end = (start + BATCH).min(w.n);
        coll.upsert_flat(
            &ids[start..end],
            &w.base[start * w.dim..end * w.dim],
            Some(&payloads[start..end]),
        )
        .map_err(|e| format!("upsert of points {start}..{end}: {e}"))?;
    }
    coll.checkpoint().map_err(|e| format!("checkpoint: {e}"))?;
    let build_s = t.elapsed().as_secs_f64();
    drop(payloads);
    eprintln!(
        "build: {} points in {build_s:.1} s on {} threads",
        w.n,
        rayon::current_num_threads()
    );

    // Search: one query per call, this thread only.
    for &ef in &a.efs {
        let params = SearchParams::new(a.k).ef(ef);
        let mut found: Vec<Vec<u64>> = Vec::with_capacity(w.nq);
        let t = Instant::now();
        for q in 0..w.nq {
            let hits = coll.search(w.query(q), &params)?;
            found.push(hits.iter().map(|h| h.id).collect());
        }
        let dt = t.elapsed().as_secs_f64();
        let recall = (0..w.nq)
            .map(|q| wordnet::recall_at(&found[q], w.gt_row(q), a.k))
            .sum::<f64>()
            / w.nq as f64;
        println!(
            "engine=quiver m={} efc={} ef={ef} threads=1 recall@{}={recall:.4} qps={:.1} build_s={build_s:.1}",
            a.m,
            a.efc,
            a.k,
            w.nq as f64 / dt
        );
    }

    // Reopen: open + collection + one search, after a clean close.
    let check = SearchParams::new(a.k).ef(*a.efs.last().expect("at least one ef"));
    let before: Vec<u64> = coll
        .search(w.query(0), &check)?
        .iter()
        .map(|h| h.id)
        .collect();
    drop(coll);
    db.close().map_err(|e| format!("close: {e}"))?;
    let t = Instant::now();
    let db = Database::open(&dir).map_err(|e| format!("reopen database {}: {e}", dir.display()))?;
    let coll = db
        .collection(COLLECTION)
        .map_err(|e| format!("reopen collection: {e}"))?;
    let after = coll.search(w.query(0), &check)?;
    let reopen_s = t.elapsed().as_secs_f64();
    println!("engine=quiver reopen_s={reopen_s:.3}");
    let after: Vec<u64> = after.iter().map(|h| h.id).collect();
    if after != before {
        eprintln!("warning: query 0 after reopen returned {after:?}, before close {before:?}");
    }
    drop(coll);
    db.close().map_err(|e| format!("close after reopen: {e}"))?;
    if a.dir.is_some() {
        eprintln!("database kept in {}", dir.display());
    }
    Ok(())
}

/// Keeps the first `n` base points and recomputes the exact ground truth
/// over them on all cores (like peers.py does for `--n`).
fn subset(w: &mut wordnet::Wordnet, n: usize) {
    w.n = n;
    w.base.truncate(n * w.dim);
    w.payloads.truncate(n);
    let k = w.gt_k.min(n);
    let rows: Vec<Vec<u32>> = (0..w.nq)
        .into_par_iter()
        .map(|q| w.exact_top_k(w.query(q), k, |_| true))
        .collect();
    w.gt = rows.concat();
    w.gt_k = k;
}
