//! `quiver-bench ann`: recall and single-thread QPS per ef, build and reopen
//! time, and memory, in peers.py's line format (see the usage text).

use crate::common::{self, BoxError, DataOpts, COLLECTION};
use quiver::{Database, HnswConfig, SearchParams};
use std::time::Instant;

pub const USAGE: &str = "\
usage: quiver-bench ann [options]

Builds a cosine collection from a WordNet-format data directory (all points
with their payload text from base.jsonl, upsert_json in batches of 10,000).
Right after the upserts, before the optimizer is done, the middle --ef value
is measured on the first 200 queries:
  engine=quiver phase=after-ingest ef=64 recall@10=0.9512 qps=812.3
Then optimize() runs, and one line per ef follows in peers.py's format
(build_s = wall time of all upserts + optimize()):
  engine=quiver m=16 efc=200 ef=64 threads=1 recall@10=0.9914 qps=4874.1 build_s=26.4
then memory, once the ef lines are done:
  engine=quiver rss_mb=312.4 heap_per_point=212.5
(rss_mb: VmRSS in MiB, the benchmark's own copy of the base vectors freed
before, its queries and ground truth still held; heap_per_point: heap bytes
the database holds right after optimize(), minus the stats() ram_bytes of
the vectors, graph and codes components, per live point), and finally the
time to reopen the database (open + collection + one search):
  engine=quiver reopen_s=0.123

options:
  --data DIR     data directory (base.f16, base.jsonl, queries.f16, gt100.u32)
                 [default: ../shared/data/wordnet next to the crate]
  --ef LIST      comma-separated search ef values [default: 16,32,64,128,256]
  --m M          HNSW links per node [default: 16]
  --efc EF       HNSW construction ef [default: 200]
  --storage S    storage mode: f32, f16, bf16, sq8, binary, pq (PQ with the
                 default subspaces) or pqM (M subspaces, e.g. pq48)
                 [default: f32]; the lines then carry storage=S, and the
                 memory line ram_bytes_per_point= (resident vectors or codes
                 plus the graph, per point)
  --oversampling X  candidates rescored per result in quantized modes
                 [default: the engine's for the mode]
  --build-threads N  threads of the background graph builds (the
                 database option build_threads) [default: 0, the library's
                 default: half the cores]
  --train M      after the ef lines, time train_quantizer with M PQ
                 subspaces (pq storage only) and print the ef lines again:
                   engine=quiver storage=pqM train_s=3.1
  --n N          use only the first N base vectors (exact ground truth of the
                 subset is recomputed by brute force) [default: all]
  --k K          neighbours per query for recall@K [default: 10]
  --dir DIR      database directory, kept afterwards [default: a temporary
                 directory, removed at the end]
  --open DIR     search the collection an earlier run left in DIR (its
                 --dir) instead of building one: only the ef lines (without
                 build_s) and rss_mb are printed (to profile the search alone)
  -h, --help     this message";

/// Queries of the after-ingest measurement (quick: the optimizer is busy).
const AFTER_INGEST_QUERIES: usize = 200;

pub struct AnnArgs {
    data: DataOpts,
    efs: Vec<usize>,
    m: usize,
    efc: usize,
    open: Option<std::path::PathBuf>,
    storage: quiver::quant::StorageMode,
    quantizer: quiver::quant::QuantizerConfig,
    oversampling: Option<f32>,
    train: Option<usize>,
    build_threads: usize,
}

/// Parses `--storage`: a mode name, or `pqM` for PQ with M subspaces.
fn parse_storage(v: &str) -> Option<(quiver::quant::StorageMode, quiver::quant::QuantizerConfig)> {
    use quiver::quant::{QuantizerConfig, StorageMode};
    if let Some(mode) = StorageMode::parse(v) {
        return Some((mode, QuantizerConfig::default()));
    }
    let m: usize = v.strip_prefix("pq")?.parse().ok().filter(|&m| m > 0)?;
    Some((
        StorageMode::Pq,
        QuantizerConfig {
            pq_subspaces: m,
            ..QuantizerConfig::default()
        },
    ))
}

/// Parses the options of `ann`; `Ok(None)` when help was asked for.
pub fn parse(args: &[String]) -> Result<Option<AnnArgs>, String> {
    let mut a = AnnArgs {
        data: DataOpts::default(),
        efs: vec![16, 32, 64, 128, 256],
        m: 16,
        efc: 200,
        open: None,
        storage: quiver::quant::StorageMode::F32,
        quantizer: quiver::quant::QuantizerConfig::default(),
        oversampling: None,
        train: None,
        build_threads: 0,
    };
    let Some(opts) = common::options(args)? else {
        return Ok(None);
    };
    for (name, v) in opts {
        match name.as_str() {
            "--ef" => a.efs = common::positive_list(&name, &v)?,
            "--m" => a.m = common::positive(&name, &v)?,
            "--efc" => a.efc = common::positive(&name, &v)?,
            "--open" => a.open = Some(v.into()),
            "--storage" => {
                (a.storage, a.quantizer) = parse_storage(&v).ok_or_else(|| {
                    format!("--storage {v}: expected f32, f16, bf16, sq8, binary, pq or pqM")
                })?
            }
            "--train" => a.train = Some(common::positive(&name, &v)?),
            "--build-threads" => a.build_threads = common::positive(&name, &v)?,
            "--oversampling" => {
                a.oversampling = Some(
                    v.parse::<f32>()
                        .ok()
                        .filter(|x| *x >= 1.0)
                        .ok_or_else(|| format!("--oversampling {v}: expected a number >= 1"))?,
                )
            }
            _ if a.data.set(&name, &v)? => {}
            _ => return Err(common::unknown(&name)),
        }
    }
    Ok(Some(a))
}

impl AnnArgs {
    /// The search parameters of one ef line.
    fn params(&self, k: usize, ef: usize) -> SearchParams {
        let mut p = SearchParams::new(k).ef(ef);
        p.oversampling = self.oversampling;
        p
    }

    fn config_of(&self, dim: usize) -> quiver::CollectionConfig {
        quiver::CollectionConfig::new(dim, quiver::Metric::Cosine)
            .with_storage(self.storage)
            .with_quantizer(self.quantizer)
    }
}

/// ` storage=S` for quantized modes (f32 lines keep peers.py's format);
/// PQ says its subspaces (`pq48`).
fn label(c: &quiver::CollectionConfig) -> String {
    use quiver::quant::StorageMode;
    match c.storage {
        StorageMode::F32 => String::new(),
        StorageMode::Pq if c.quantizer.pq_subspaces > 0 => {
            format!(" storage=pq{}", c.quantizer.pq_subspaces)
        }
        StorageMode::Pq if c.dimension > 0 => {
            format!(" storage=pq{}", c.quantizer.subspaces(c.dimension))
        }
        s => format!(" storage={}", s.as_str()),
    }
}

/// One line per `--ef` value in peers.py's format, `tail` appended.
fn ef_lines(
    a: &AnnArgs,
    coll: &quiver::Collection,
    w: &crate::wordnet::Wordnet,
    tail: &str,
) -> Result<(), BoxError> {
    let k = a.data.k;
    for &ef in &a.efs {
        let m = common::search_recall_with(coll, w, w.nq, &a.params(k, ef), &w.gt, w.gt_k)?;
        println!(
            "engine=quiver{} m={} efc={} ef={ef} threads=1 recall@{}={:.4} qps={:.1}{tail}",
            label(&coll.config()),
            a.m,
            a.efc,
            k,
            m.recall,
            m.qps
        );
    }
    Ok(())
}

/// `--open DIR`: the ef lines of the collection an earlier run left in `DIR`.
fn run_open(a: &AnnArgs, dir: &std::path::Path) -> Result<(), BoxError> {
    let w = common::load(&a.data, false, true)?.w;
    let db = Database::open(dir).map_err(|e| format!("open database {}: {e}", dir.display()))?;
    let coll = db
        .collection(COLLECTION)
        .map_err(|e| format!("open collection: {e}"))?;
    eprintln!("{}", common::stats_line("opened", &coll.stats()?));
    ef_lines(a, &coll, &w, "")?;
    println!("engine=quiver rss_mb={:.1}", common::rss_mb());
    eprintln!(
        "{}",
        common::stats_line("after the searches", &coll.stats()?)
    );
    drop(coll);
    db.close().map_err(|e| format!("close: {e}"))?;
    Ok(())
}

pub fn run(a: &AnnArgs) -> Result<(), BoxError> {
    eprintln!(
        "distance kernel: {}; sq8 kernel: {}; f16 kernels: {}; binary kernel: {}",
        quiver::distance::kernel_name(),
        quiver::quant::sq8::dot_kernel_name(),
        quiver::quant::half::kernels(quiver::quant::half::Format::F16).name,
        quiver::quant::binary::kernel().0
    );
    if let Some(dir) = &a.open {
        return run_open(a, dir);
    }
    let k = a.data.k;
    let common::Data {
        mut w,
        mut payloads,
    } = common::load(&a.data, true, true)?;
    let threads = rayon::current_num_threads(); // starts the pool before the heap baseline
    let dir = a.data.db_dir("ann");

    // Heap held by the benchmark itself; what grows beyond it is the database's.
    let heap_before = common::live_heap_bytes();
    let hnsw = HnswConfig {
        m: a.m,
        ef_construction: a.efc,
        ..HnswConfig::default()
    };
    let (db, coll) = common::create_stored(
        &dir.path,
        a.config_of(w.dim).with_hnsw(hnsw),
        a.build_threads,
    )?;

    let t = Instant::now();
    common::upsert_all(&coll, &w, &payloads)?;
    let upsert_s = t.elapsed().as_secs_f64();
    eprintln!(
        "upserts: {} points in {upsert_s:.1} s on {threads} threads",
        w.n
    );

    let mid_ef = a.efs[a.efs.len() / 2];
    let nq = w.nq.min(AFTER_INGEST_QUERIES);
    let m = common::search_recall_with(&coll, &w, nq, &a.params(k, mid_ef), &w.gt, w.gt_k)?;
    println!(
        "engine=quiver{} phase=after-ingest ef={mid_ef} recall@{}={:.4} qps={:.1}",
        label(&coll.config()),
        k,
        m.recall,
        m.qps
    );

    let t = Instant::now();
    coll.optimize().map_err(|e| format!("optimize: {e}"))?;
    let optimize_s = t.elapsed().as_secs_f64();
    let build_s = upsert_s + optimize_s;
    eprintln!("optimize: {optimize_s:.1} s; build_s = {build_s:.1}");
    coll.wait_optimized()?; // nothing should be left; not timed

    let stats = coll.stats()?;
    eprintln!("{}", common::stats_line("after optimize", &stats));
    let db_heap = common::live_heap_bytes().saturating_sub(heap_before) as u64;
    // Only the heap part: the resident copies are not allocator memory.
    let index_ram = common::index_ram_bytes(&stats).saturating_sub(stats.resident_bytes);
    let heap_per_point = db_heap.saturating_sub(index_ram) as f64 / stats.live_points.max(1) as f64;
    eprintln!(
        "heap: database {:.1} MiB, of which vectors/graph/codes {:.1} MiB, over {} live points",
        db_heap as f64 / (1 << 20) as f64,
        index_ram as f64 / (1 << 20) as f64,
        stats.live_points
    );
    // The base vectors and payload text are not needed any more: free them
    // so that rss_mb is mostly the database's.
    w.base = Vec::new();
    payloads.clear();
    payloads.shrink_to_fit();

    ef_lines(a, &coll, &w, &format!(" build_s={build_s:.1}"))?;
    let stats = coll.stats()?;
    let graph_ram: u64 = stats
        .components
        .iter()
        .filter(|c| c.name == "graph")
        .map(|c| c.ram_bytes)
        .sum();
    println!(
        "engine=quiver{} rss_mb={:.1} heap_per_point={heap_per_point:.1} ram_bytes_per_point={:.1}",
        label(&coll.config()),
        common::rss_mb(),
        (stats.resident_bytes + graph_ram) as f64 / stats.live_points.max(1) as f64
    );

    if let Some(m) = a.train {
        let params = quiver::quant::QuantizerConfig {
            pq_subspaces: m,
            ..coll.config().quantizer
        };
        let t = Instant::now();
        coll.train_quantizer(params, &mut |_, _| true)
            .map_err(|e| format!("train_quantizer: {e}"))?;
        println!(
            "engine=quiver{} train_s={:.1}",
            label(&coll.config()),
            t.elapsed().as_secs_f64()
        );
        ef_lines(a, &coll, &w, "")?;
    }

    // Reopen: open + collection + one search, after a clean close.
    let check = SearchParams::new(k).ef(*a.efs.last().expect("at least one ef"));
    let ids = |hits: Vec<quiver::ScoredPoint>| hits.iter().map(|h| h.id).collect::<Vec<_>>();
    let before = ids(coll.search(w.query(0), &check)?);
    drop(coll);
    db.close().map_err(|e| format!("close: {e}"))?;
    let t = Instant::now();
    let db = Database::open(&dir.path)
        .map_err(|e| format!("reopen database {}: {e}", dir.path.display()))?;
    let coll = db
        .collection(COLLECTION)
        .map_err(|e| format!("reopen collection: {e}"))?;
    let after = coll.search(w.query(0), &check)?;
    let reopen_s = t.elapsed().as_secs_f64();
    println!("engine=quiver reopen_s={reopen_s:.3}");
    let after = ids(after);
    if after != before {
        eprintln!("warning: query 0 after reopen returned {after:?}, before close {before:?}");
    }
    drop(coll);
    db.close().map_err(|e| format!("close after reopen: {e}"))?;
    if dir.kept() {
        eprintln!("database kept in {}", dir.path.display());
    }
    Ok(())
}
