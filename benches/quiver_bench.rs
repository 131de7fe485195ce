//! quiver-bench: measurements of Quiver, printed one result per line as
//! `key=value` fields (the format of `shared/bench/peers.py`, so that the
//! two can be compared side by side) on stdout; progress and notes go to
//! stderr. One module per mode:
//!
//! - `ann` (`benches/ann.rs`): builds a cosine collection from a data set in
//!   the WordNet format (payload text through `upsert_json`, batches of
//!   10,000, on all cores), measures once right after the upserts (the
//!   middle ef, 200 queries: `phase=after-ingest`), then calls `optimize()`
//!   and prints recall@k and single-thread QPS per ef; `build_s` is the wall
//!   time of the upserts plus `optimize()`. Then a memory line (`rss_mb`,
//!   and `heap_per_point`: the heap the database holds outside its vectors,
//!   graph and codes, per live point, measured with the counting allocator
//!   below right after `optimize()`), and the time to reopen.
//! - `churn` (`benches/churn.rs`): builds the same collection, re-upserts
//!   every point `--rounds` times, deletes every other id, and after each
//!   phase (optimizer idle) prints disk MiB, RSS MiB, recall and QPS.
//! - `ingest` (`benches/ingest.rs`): upserts per second of T threads writing
//!   small batches of random points with the default sync (an fsync per
//!   batch), for each T of a list.
//! - `filtered` (`benches/filtered.rs`): filtered search with the filters of
//!   `shared/bench/filtered_peers.py`, without field indexes (`index=none`)
//!   and with indexes on `category` and `id`, with the plan chosen.
//! - `text` (`benches/text.rs`): BM25 search of the relevance queries
//!   over text indexes on `words`, `text` and both, in the line format of
//!   `shared/bench/text_peers.py`.
//! - `hybrid` (`benches/hybrid.rs`): dense, text and hybrid search (each
//!   fusion) of the relevance queries, MRR@10 and QPS.
//! - `sparse` (`benches/sparse.rs`): exact sparse vector search of
//!   BM25-weighted term-id vectors, checked against a brute force, with
//!   QPS and latency percentiles.
//! - `ffi` (`benches/ffi_overhead.rs`): search through the C ABI against the
//!   Rust API on one collection.
//!
//! ```text
//! cargo run --release --bin quiver-bench -- ann --data ../shared/data/wordnet --ef 16,32,64,128,256
//! engine=quiver phase=after-ingest ef=64 recall@10=0.9512 qps=812.3
//! engine=quiver m=16 efc=200 ef=64 threads=1 recall@10=0.9914 qps=4874.1 build_s=26.4
//! ...
//! engine=quiver rss_mb=312.4 heap_per_point=212.5
//! engine=quiver reopen_s=0.123
//! cargo run --release --bin quiver-bench -- churn --data ../shared/data/wordnet --rounds 3
//! engine=quiver phase=fresh ef=32 disk_mb=181.2 rss_mb=402.7 recall@10=0.9701 qps=6120.4
//! engine=quiver phase=reupsert-1 ef=32 disk_mb=183.0 rss_mb=405.1 recall@10=0.9698 qps=6090.2
//! ...
//! engine=quiver phase=half-deleted ef=32 disk_mb=95.4 rss_mb=380.0 recall@10=0.9750 qps=7010.8
//! cargo run --release --bin quiver-bench -- ingest --threads 1,8 --batch 1
//! engine=quiver mode=ingest threads=1 batch=1 upserts_per_s=480.2 points_per_s=480.2
//! engine=quiver mode=ingest threads=8 batch=1 upserts_per_s=1520.3 points_per_s=1520.3
//! ```
//!
//! `quiver-bench torture --kills N` is the long kill -9 torture (the test
//! suite runs a short one; machinery in `tests/common/torture.rs`).
//!
//! The binary's global allocator counts live heap bytes (one relaxed atomic
//! add per allocation and free, in every mode); `common.rs` holds what the
//! modes share.

#[path = "../tests/common/wordnet.rs"]
mod wordnet;

#[path = "../tests/common/torture.rs"]
mod torture;

mod ann;
mod churn;
mod common;
mod ffi_overhead;
mod filtered;
mod graph;
mod hybrid;
mod ingest;
mod sparse;
mod text;
mod torture_cmd;

use common::BoxError;

#[global_allocator]
static ALLOC: common::CountingAlloc = common::CountingAlloc;

const USAGE: &str = "\
usage: quiver-bench COMMAND [options]     (quiver-bench COMMAND --help: its options)

Results go to stdout, one line each of key=value fields (peers.py's format);
progress and notes go to stderr.

commands:
  ann      recall@k and single-thread QPS per ef of a collection built from a
           WordNet-format data set: once right after the upserts
           (phase=after-ingest), then per ef after optimize(), with build_s;
           memory (rss_mb, heap_per_point) and the time to reopen
  churn    the same collection re-upserted --rounds times, then half deleted:
           disk_mb, rss_mb, recall@k and QPS after each phase
  ingest   upserts/s and points/s of 1, 8, ... threads writing small batches
           of random points, an fsync per batch (the default sync)
  filtered recall@k, short results and QPS of filtered searches (the filters
           of shared/bench/filtered_peers.py), without field indexes and
           with indexes on category and id, and the plan chosen
  text     BM25 full-text search on relevance.jsonl: MRR@10, recall@10 and
           single-thread QPS for fields words, text and text+words
  hybrid   dense, text and hybrid (each fusion) search on relevance.jsonl:
           MRR@10, recall@10 and single-thread QPS
  sparse   exact sparse vector search (BM25-weighted term ids of the
           payloads) against a brute-force dot product: exact matches,
           MRR@10, single-thread QPS, p50/p99 latency
  graph    WordNet relations as edges: load edges/s, neighbour lookups
           p50/p99, BFS depth 3 and shortest-path QPS (checked against a
           reference), search_expand and rank_traversal QPS
  ffi      search through the C ABI against the Rust API on one collection
  torture  the long kill -9 torture: a writer child killed at random moments,
           every acknowledged write checked after each reopen";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let code = match args.first().map(String::as_str) {
        Some("ann") => command(rest, ann::USAGE, ann::parse, ann::run),
        Some("churn") => command(rest, churn::USAGE, churn::parse, churn::run),
        Some("ingest") => command(rest, ingest::USAGE, ingest::parse, ingest::run),
        Some("filtered") => command(rest, filtered::USAGE, filtered::parse, filtered::run),
        Some("text") => command(rest, text::USAGE, text::parse, text::run),
        Some("hybrid") => command(rest, hybrid::USAGE, hybrid::parse, hybrid::run),
        Some("sparse") => command(rest, sparse::USAGE, sparse::parse, sparse::run),
        Some("graph") => command(rest, graph::USAGE, graph::parse, graph::run),
        Some("ffi") => command(
            rest,
            ffi_overhead::USAGE,
            ffi_overhead::parse,
            ffi_overhead::run,
        ),
        Some("torture") => command(
            rest,
            torture_cmd::TORTURE_USAGE,
            torture_cmd::parse_torture,
            torture_cmd::run_torture,
        ),
        Some("torture-child") => torture_cmd::torture_child(rest),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            0
        }
        Some(other) => {
            eprintln!("quiver-bench: unknown command '{other}'\n\n{USAGE}");
            2
        }
        None => {
            eprintln!("quiver-bench: missing command\n\n{USAGE}");
            2
        }
    };
    std::process::exit(code);
}

/// Parses a command's options and runs it; the process exit code (2 for a
/// usage error, 1 for a failed run).
fn command<A>(
    args: &[String],
    usage: &str,
    parse: fn(&[String]) -> Result<Option<A>, String>,
    run: fn(&A) -> Result<(), BoxError>,
) -> i32 {
    match parse(args) {
        Ok(Some(a)) => match run(&a) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("quiver-bench: error: {e}");
                1
            }
        },
        Ok(None) => {
            println!("{usage}");
            0
        }
        Err(e) => {
            eprintln!("quiver-bench: {e}\n\n{usage}");
            2
        }
    }
}
