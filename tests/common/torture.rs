//! The kill -9 torture (DESIGN.md, "Tests"): a writer child process applies
//! a deterministic random sequence of operations to one collection, the
//! parent SIGKILLs it at random moments (also while it opens and recovers the
//! database), reopens the database and checks every acknowledged write.
//!
//! Shared by the test suite (`tests/engine/torture.rs`, a few hundred kill
//! points) and the benchmark binary (`quiver-bench torture --kills N`, which
//! `#[path]`-includes this file), so it uses nothing but `quiver`, `std`,
//! `serde_json` and `rayon`.
//!
//! # Operations
//!
//! Upserts of 1..=500 points (mostly small batches; ids from `0..1000`, so
//! most overwrite, repeats within a batch included: the last one wins) with
//! payloads of 0..=2000 bytes (JSON objects with varied whitespace, key
//! order, escapes, non-ASCII text, numbers as written, or none) and, for
//! about half of the points, one or two named sparse vectors (`"s"`, `"t"`:
//! 1..=8 entries over indices `0..64`, given unsorted, values of both
//! signs, now and then an empty one, which is none), written through
//! `upsert_json_sparse` as compressed-sparse-row columns; deletes; bad
//! upserts that must fail and change nothing (NaN, short vector, bad JSON,
//! non-object payload, a sparse vector with an index given twice or a
//! non-finite or overflowing value); sparse vector updates (`update_sparse`
//! of one name on some ids, some missing, some rows `None` or empty:
//! removals; read-modify-writes that keep the vector and payload); payload
//! updates by filter (set `qv_tag` / `qv_n` on the points matching a filter
//! on `qv_tag`, `has_id` or a field's existence: read-modify-writes that
//! keep the sparse vectors), deletes by filter, edge batches (`add_edges`
//! of 1..=50 edges, ids from `0..256` so that many replace, repeats within
//! a batch included: the last one wins; three labels, one non-ASCII;
//! weights such as 0, -0, a subnormal, 1e30; properties as JSON object
//! text with varied whitespace and escapes, kept byte for byte; end points
//! from a pool of 1..=6 ids, mostly hubs `0..24` or the last upsert's ids,
//! now and then one that is not a point: then the call must fail with
//! `NotFound` and change nothing, as the model decides when it runs), bad
//! edge batches (an empty or control-character or over-long label, a
//! negative, NaN or infinite weight, properties that are not a JSON object,
//! in any edge of the batch: `InvalidArgument`), edge removals
//! (`remove_edges`, ids that are not edges included), `optimize`,
//! `checkpoint`, `wait_optimized`, and close/reopen cycles. A delete (also
//! by filter) takes the edges in and out of the deleted points; upserts
//! and payload updates keep them. The collection has an integer
//! field index on `qv_tag`, created when the child opens it (so also killed
//! while it is created or backfilled).
//!
//! # Kill moments
//!
//! Each child is killed per a [`Plan`]: during its `Database::open` (which
//! recovers what the last kill left when the parent checked a copy), a short
//! random delay after its n-th call (mostly inside the next call), just after
//! it began an optimize/checkpoint/reopen, or up to [`Config::max_late`]
//! after it opened, when the background optimizer has had time to start.
//!
//! # Protocol
//!
//! Operation `i` of a run is `op(seed, i)`: its kind and content (ids,
//! vectors, payload bytes) follow from the seed and `i` alone, so the parent
//! recomputes what the child wrote and nothing but op numbers crosses the
//! pipe. The child writes one line per event on its stdout, each flushed:
//! `opening` (before `Database::open`), `db <µs>` (after it), `ready <µs>`
//! (database and collection open), `begin <i>` before a call, `ack <i> [<n>]` after it returned Ok
//! (`n`: the count `delete`, `update_sparse`, `update_payload`,
//! `delete_where` or `remove_edges` returned), `fail <i> <code> <message>` after it
//! returned an error, and `error <message>` before it gives up. Each line
//! starts with [`TAG`], so other output (libtest's) is ignored.
//!
//! # What the parent checks after each kill
//!
//! The parent keeps a model (id -> vector, payload bytes, sparse vectors;
//! edge id -> edge) of the acknowledged writes. The one call in flight when the child died may or
//! may not have taken effect: the reopened collection must equal the model
//! or the model with that call applied *whole*, and the parent adopts
//! whichever it shows. A call that returned an error must never show (nor
//! an `add_edges` in flight that the model says must fail).
//! Then: `get_raw` over the whole id range (latest vector bit for bit,
//! payload bytes as written, deleted and never-written ids absent),
//! `get_sparse` of each name and `get` over the same range (each point's
//! sparse vectors, sorted by index, bit for bit, and no others), `count`,
//! `scroll`, `stats().live_points`, `count_where` and `scroll` with filters
//! on the indexed `qv_tag` (against the model), `text`, `text_any` and
//! `phrase` conditions and BM25 text searches on the text-indexed `k` (the
//! points they find against the model), sparse searches (random queries of
//! each name, one with a filter on `qv_tag`, one with a small `k` so that
//! the sealed segments' pruning is at work, now and then of a name no
//! point carries) that must return exactly the ids and score bits of a
//! brute-force dot product over the model (the products of the shared
//! indices summed in ascending index order; only points sharing an index;
//! equal scores by ascending id), a graph search (`exact = false`) with
//! each stored vector that must find that point at distance 0 and return
//! only live ids, `search_batch_raw` payloads, the edges (`find_edges`
//! without a condition: every edge by ascending id, each between live
//! points, equal to the model field for field, the weight bit for bit, the
//! properties byte for byte; `get_edges` over the edge id range,
//! `edge_count`, `stats().edges`; `degree` and `find_edges` by source,
//! target and label of three points), traversals against a walk over the
//! model (breadth first of depth 2 from two points and depth first of
//! depth 3 from one, in a random direction, now and then along one label,
//! from depth 0 or 1, now and then with a small limit: neighbours by
//! ascending edge id, a loop once, each point once with its depth, origin
//! and path), and `verify()`. The parent's open
//! time (with the recovery) is recorded after each kill.
//!
//! Payload bytes are compared exactly, except on the contract branch's shim
//! (`src/collection/contract_shim.rs` present), whose `get_raw` re-serialises
//! the parsed JSON: there they are compared as parsed JSON values, and a
//! non-object payload may be accepted (the new engine must refuse it).
#![allow(dead_code)]

use quiver::{
    Collection, CollectionConfig, Database, Direction, Edge, Error, FieldKind, Filter, HnswConfig,
    Metric, Order, PayloadChange, Point, SearchParams, Selection, SparseColumn, SparseQuery,
    SparseVector, TextConfig, TextMode, TextQuery, Traversal, Visit,
};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The collection the torture writes.
pub const COLLECTION: &str = "torture";
/// Vector dimension (Euclidean: vectors are stored exactly as given).
pub const DIM: usize = 8;
/// Point ids are drawn from `0..ID_RANGE`, so most upserts overwrite.
pub const ID_RANGE: u64 = 1000;
/// Largest upsert batch.
pub const MAX_BATCH: u64 = 500;
/// Largest payload, in bytes.
pub const MAX_PAYLOAD: u64 = 2000;
/// Largest delete batch.
pub const MAX_DELETE: u64 = 100;
/// The names of the sparse vectors, in ascending order.
pub const SPARSE_NAMES: [&str; 2] = ["s", "t"];
/// Sparse vector indices are drawn from `0..SPARSE_VOCAB`.
pub const SPARSE_VOCAB: u64 = 64;
/// Most entries of a sparse vector.
pub const SPARSE_MAX_NNZ: u64 = 8;
/// Largest `update_sparse` batch.
pub const MAX_SPARSE_UPDATE: u64 = 100;
/// Edge ids are drawn from `0..EDGE_RANGE`, so many edge writes replace.
pub const EDGE_RANGE: u64 = 256;
/// Point ids `0..EDGE_HUBS` are the end points of many edges.
pub const EDGE_HUBS: u64 = 24;
/// Largest `add_edges` batch.
pub const MAX_EDGE_BATCH: u64 = 50;
/// Largest `remove_edges` batch.
pub const MAX_EDGE_REMOVE: u64 = 30;
/// The labels of the edges.
pub const EDGE_LABELS: [&str; 3] = ["hypernym", "similar", "près"];
/// Marks the child's protocol lines.
pub const TAG: &str = "QVTORTURE ";
/// `ef` of the self-search check.
pub const SEARCH_EF: usize = 64;
/// With [`Config::serial_inserts`] off, the fraction of points a graph
/// search with the point's own vector may miss even at `ef` = 512 (an exact
/// search must still find them), per check and over a run. The torture
/// found that parallel inserts into the HNSW graph leave some points
/// unreachable, without any crash (see
/// `parallel_insert_leaves_every_point_reachable` in tests/engine/torture.rs);
/// with serial inserts every point must be found.
pub const MAX_UNREACHABLE_PARALLEL: f64 = 0.05;
/// A child gives up (and the parent reports it) when not killed by then.
const CHILD_LIFETIME: Duration = Duration::from_secs(120);
/// The signal the parent kills with.
const SIGKILL: i32 = 9;
/// The parent gives up on a child that shows no progress for this long.
const STALL: Duration = Duration::from_secs(60);

/// The collection's configuration.
pub fn config() -> CollectionConfig {
    CollectionConfig::new(DIM, Metric::Euclidean).with_hnsw(HnswConfig {
        m: 8,
        ef_construction: 48,
        ef_search: 48,
    })
}

/// True on the contract branch, whose shim re-serialises payloads in
/// `get_raw` and accepts non-object payloads (see the module docs).
pub fn legacy_engine() -> bool {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/collection/contract_shim.rs")
        .exists()
}

// ---------------------------------------------------------------------------
// RNG
// ---------------------------------------------------------------------------

/// SplitMix64.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut r = Rng(seed ^ 0x2545_F491_4F6C_DD1D);
        r.next_u64();
        r
    }

    /// The next 64 random bits.
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

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `pct` percent.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Log-uniform in `1..=max`: small values are common, `max` possible.
    pub fn log_uniform(&mut self, max: u64) -> u64 {
        let v = (max as f64 + 1.0).powf(self.unit()).floor() as u64;
        v.clamp(1, max)
    }

    /// Uniform in `[-1, 1)`, 24 random bits.
    pub fn f32(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------

/// How a deliberately bad upsert is bad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bad {
    /// One vector holds a NaN or an infinity.
    NonFinite,
    /// One point's vector is one float short (`upsert` of `Point`s).
    Dimension,
    /// The flat vector array is one float short (`upsert_json`).
    FlatLength,
    /// One payload is not JSON (cut, invalid UTF-8, trailing garbage, ...).
    NotJson,
    /// One payload is JSON but not an object.
    NotObject,
    /// One sparse vector gives an index twice, or holds a non-finite value
    /// (or one whose square overflows).
    Sparse,
}

/// How a deliberately bad `add_edges` batch is bad (one edge of it, not
/// necessarily the last with its id: the batch is checked whole).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadEdge {
    /// An empty label, one with a control character, or one too long.
    Label,
    /// A negative, NaN or infinite weight.
    Weight,
    /// Properties that are not JSON, or JSON but not an object.
    Properties,
}

/// A point's sparse vectors as an op gives them: names distinct, indices
/// in any order.
pub type Sparse = Vec<(&'static str, SparseVector)>;

/// One operation of the sequence.
#[derive(Clone, Debug)]
pub enum Op {
    /// `upsert_json_sparse` (or `upsert` for [`Bad::Dimension`]); the last
    /// occurrence of a repeated id wins.
    Upsert {
        /// Point ids, repeats allowed.
        ids: Vec<u64>,
        /// `ids.len() * DIM` floats.
        vectors: Vec<f32>,
        /// The payload bytes of each point (`None`: no payload).
        payloads: Vec<Option<Vec<u8>>>,
        /// The sparse vectors of each point.
        sparse: Vec<Sparse>,
        /// Set when the call must fail.
        bad: Option<Bad>,
    },
    /// `update_sparse` of the vectors called `name` (`None` or an empty
    /// vector: removal); ids that do not exist are ignored, the last
    /// occurrence of a repeated id wins.
    UpdateSparse {
        /// Point ids, repeats allowed.
        ids: Vec<u64>,
        /// One of [`SPARSE_NAMES`].
        name: &'static str,
        /// One per id.
        vectors: Vec<Option<SparseVector>>,
    },
    /// `delete`.
    Delete(Vec<u64>),
    /// `update_payload` by filter, setting the keys of the object.
    SetPayloadWhere(Filter, Value),
    /// `delete_where`.
    DeleteWhere(Filter),
    /// `add_edges`; the last edge with an id wins. Whether it must succeed
    /// depends on the model when it runs: an end point that is not a
    /// point then makes it fail (`NotFound`) and change nothing.
    AddEdges {
        /// Edge ids repeat (within the batch too).
        edges: Vec<Edge>,
        /// Set when the call must fail whatever the model.
        bad: Option<BadEdge>,
    },
    /// `remove_edges` (ids that are not edges are ignored).
    RemoveEdges(Vec<u64>),
    /// `optimize()`.
    Optimize,
    /// `checkpoint()`.
    Checkpoint,
    /// `wait_optimized()`.
    WaitOptimized,
    /// Close the collection and the database, open them again.
    Reopen,
}

/// What the outcome of an operation must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// It must succeed.
    Ok,
    /// It must fail and change nothing.
    Fail,
    /// Either (a non-object payload on the legacy engine).
    Either,
}

/// The kind of operation `i` (the first draw of its generator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A valid upsert.
    Upsert,
    /// A small valid upsert (1..=3 points).
    SmallUpsert,
    /// An upsert that must fail.
    BadUpsert,
    /// A delete.
    Delete,
    /// A payload update by filter.
    SetPayloadWhere,
    /// A sparse vector update.
    UpdateSparse,
    /// A delete by filter.
    DeleteWhere,
    /// An edge batch (that may have to fail: a missing end point).
    AddEdges,
    /// An edge batch with a bad edge.
    BadAddEdges,
    /// An edge removal.
    RemoveEdges,
    /// `optimize()`.
    Optimize,
    /// `checkpoint()`.
    Checkpoint,
    /// `wait_optimized()`.
    WaitOptimized,
    /// Close and reopen.
    Reopen,
}

impl Kind {
    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Upsert => "upsert",
            Kind::SmallUpsert => "small-upsert",
            Kind::BadUpsert => "bad-upsert",
            Kind::Delete => "delete",
            Kind::SetPayloadWhere => "set-payload-where",
            Kind::UpdateSparse => "update-sparse",
            Kind::DeleteWhere => "delete-where",
            Kind::AddEdges => "add-edges",
            Kind::BadAddEdges => "bad-add-edges",
            Kind::RemoveEdges => "remove-edges",
            Kind::Optimize => "optimize",
            Kind::Checkpoint => "checkpoint",
            Kind::WaitOptimized => "wait-optimized",
            Kind::Reopen => "reopen",
        }
    }

    /// Operations that rewrite files rather than append to the log.
    pub fn is_maintenance(self) -> bool {
        matches!(
            self,
            Kind::Optimize | Kind::Checkpoint | Kind::WaitOptimized | Kind::Reopen
        )
    }
}

fn op_rng(seed: u64, i: u64) -> Rng {
    Rng::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i.wrapping_mul(0xD6E8_FEB8_6659_FD93))
}

fn kind_of(r: &mut Rng) -> Kind {
    match r.below(100) {
        0..=41 => Kind::Upsert,
        42..=45 => Kind::UpdateSparse,
        46..=49 => Kind::SetPayloadWhere,
        50..=53 => Kind::SmallUpsert,
        54..=66 => Kind::Delete,
        67..=68 => Kind::DeleteWhere,
        69..=74 => Kind::BadUpsert,
        75..=81 => Kind::AddEdges,
        82 => Kind::BadAddEdges,
        83..=85 => Kind::RemoveEdges,
        86..=90 => Kind::Optimize,
        91..=92 => Kind::Checkpoint,
        93 => Kind::WaitOptimized,
        _ => Kind::Reopen,
    }
}

/// The kind of operation `i`, without generating its content.
pub fn op_kind(seed: u64, i: u64) -> Kind {
    kind_of(&mut op_rng(seed, i))
}

/// Operation `i` of the sequence of `seed`.
pub fn op(seed: u64, i: u64) -> Op {
    let mut r = op_rng(seed, i);
    match kind_of(&mut r) {
        Kind::Upsert => {
            let n = if r.chance(90) {
                r.log_uniform(MAX_BATCH)
            } else {
                r.range(1, MAX_BATCH)
            };
            upsert(&mut r, n, None)
        }
        Kind::SmallUpsert => {
            let n = r.range(1, 3);
            upsert(&mut r, n, None)
        }
        Kind::BadUpsert => {
            let bad = r.pick(&[
                Bad::NonFinite,
                Bad::Dimension,
                Bad::FlatLength,
                Bad::NotJson,
                Bad::NotObject,
                Bad::Sparse,
            ]);
            let n = r.log_uniform(MAX_BATCH);
            upsert(&mut r, n, Some(bad))
        }
        Kind::Delete => {
            let n = r.log_uniform(MAX_DELETE);
            let ids = if r.chance(25) {
                // A run of consecutive ids (partly past the range end).
                let from = r.below(ID_RANGE);
                (from..from + n).collect()
            } else {
                (0..n).map(|_| r.below(ID_RANGE)).collect()
            };
            Op::Delete(ids)
        }
        Kind::UpdateSparse => {
            let n = r.log_uniform(MAX_SPARSE_UPDATE);
            let ids: Vec<u64> = if r.chance(25) {
                // A run of consecutive ids (partly past the range end).
                let from = r.below(ID_RANGE);
                (from..from + n).collect()
            } else {
                (0..n).map(|_| r.below(ID_RANGE)).collect()
            };
            let name = r.pick(&SPARSE_NAMES);
            let vectors = ids
                .iter()
                .map(|_| match r.below(10) {
                    0..=2 => None,
                    3 => Some(SparseVector::default()),
                    _ => Some(random_sparse(&mut r)),
                })
                .collect();
            Op::UpdateSparse { ids, name, vectors }
        }
        Kind::SetPayloadWhere => {
            let f = payload_filter(&mut r);
            let mut set = serde_json::Map::new();
            set.insert("qv_tag".into(), Value::from(r.below(TAGS)));
            if r.chance(50) {
                set.insert("qv_n".into(), Value::from(r.below(1000)));
            }
            Op::SetPayloadWhere(f, Value::Object(set))
        }
        Kind::DeleteWhere => {
            // A tag and a few ids: it must not empty the collection.
            let ids: Vec<u64> = (0..r.range(1, 60)).map(|_| r.below(ID_RANGE)).collect();
            Op::DeleteWhere(Filter::and(vec![
                Filter::eq("qv_tag", r.below(TAGS)),
                Filter::has_id(&ids),
            ]))
        }
        Kind::AddEdges => add_edges(&mut r, seed, i, None),
        Kind::BadAddEdges => {
            let bad = r.pick(&[BadEdge::Label, BadEdge::Weight, BadEdge::Properties]);
            add_edges(&mut r, seed, i, Some(bad))
        }
        Kind::RemoveEdges => {
            let n = r.log_uniform(MAX_EDGE_REMOVE);
            let ids = if r.chance(25) {
                // A run of consecutive ids (partly past the range end).
                let from = r.below(EDGE_RANGE);
                (from..from + n).collect()
            } else {
                (0..n).map(|_| r.below(EDGE_RANGE)).collect()
            };
            Op::RemoveEdges(ids)
        }
        Kind::Optimize => Op::Optimize,
        Kind::Checkpoint => Op::Checkpoint,
        Kind::WaitOptimized => Op::WaitOptimized,
        Kind::Reopen => Op::Reopen,
    }
}

/// The ids of the last valid upsert before op `i` (within 30 ops), which
/// are likely points when op `i` runs.
fn recent_upsert_ids(seed: u64, i: u64) -> Vec<u64> {
    for j in (i.saturating_sub(30)..i).rev() {
        if matches!(op_kind(seed, j), Kind::Upsert | Kind::SmallUpsert) {
            if let Op::Upsert { ids, .. } = op(seed, j) {
                return ids;
            }
        }
    }
    Vec::new()
}

/// An `add_edges` batch of 1..=[`MAX_EDGE_BATCH`] edges among a pool of
/// 1..=6 end points: some from the [`EDGE_HUBS`] (so that the graph has
/// connected parts and high-degree points whose deletes take many edges),
/// some from the last upsert's ids, some anywhere in the id range, now and
/// then one past it (never a point); the call must fail with `NotFound`
/// whenever one of them is not a point then.
fn add_edges(r: &mut Rng, seed: u64, i: u64, bad: Option<BadEdge>) -> Op {
    let recent = recent_upsert_ids(seed, i);
    let pool: Vec<u64> = (0..r.range(1, 6))
        .map(|_| match r.below(100) {
            0..=34 => r.below(EDGE_HUBS),
            35..=74 if !recent.is_empty() => recent[r.below(recent.len() as u64) as usize],
            35..=96 => r.below(ID_RANGE),
            _ => ID_RANGE + r.below(8),
        })
        .collect();
    let n = if r.chance(50) {
        r.log_uniform(MAX_EDGE_BATCH)
    } else {
        r.range(1, MAX_EDGE_BATCH)
    } as usize;
    let mut edges: Vec<Edge> = Vec::with_capacity(n);
    for _ in 0..n {
        let id = match edges.last() {
            // The same id again: the later edge wins.
            Some(e) if r.chance(10) => e.id,
            _ => r.below(EDGE_RANGE),
        };
        let source = pool[r.below(pool.len() as u64) as usize];
        let target = if r.chance(5) {
            source
        } else {
            pool[r.below(pool.len() as u64) as usize]
        };
        let weight = match r.below(10) {
            0 => 0.0,
            1 => -0.0,
            2 => f32::MIN_POSITIVE / 4.0,
            3 => 1e30,
            4..=5 => 1.0,
            _ => r.f32().abs() * 8.0,
        };
        let mut e = Edge::new(id, source, target, r.pick(&EDGE_LABELS)).with_weight(weight);
        if r.chance(35) {
            let props = match r.below(8) {
                0 => "{}".to_string(),
                1 => " {\n} ".to_string(),
                _ => {
                    let len = r.log_uniform(300) as usize + 1;
                    json_object(r, len)
                }
            };
            e = e.with_properties(&props);
        }
        edges.push(e);
    }
    if let Some(b) = bad {
        let e = &mut edges[r.below(n as u64) as usize];
        match b {
            BadEdge::Label => {
                e.label = r.pick(&["", "a\u{7}b", "\n", "x\tlabel"]).to_string();
                if r.chance(25) {
                    e.label = "x".repeat(257);
                }
            }
            BadEdge::Weight => {
                e.weight = r.pick(&[-1.0, -f32::MIN_POSITIVE, f32::NAN, f32::INFINITY]);
            }
            BadEdge::Properties => {
                let p = r.pick(&[
                    "[1, 2]",
                    "42",
                    "\"text\"",
                    "null",
                    "",
                    "{",
                    "{\"a\": 1,}",
                    "{} x",
                ]);
                e.properties = Some(p.to_string());
            }
        }
    }
    Op::AddEdges { edges, bad }
}

/// Values of the indexed `qv_tag` field.
const TAGS: u64 = 4;

/// The filter of a payload update: on the indexed tag, on ids, or on a
/// field of the random payloads.
fn payload_filter(r: &mut Rng) -> Filter {
    match r.below(4) {
        0 => Filter::eq("qv_tag", r.below(TAGS)),
        1 => {
            let ids: Vec<u64> = (0..r.range(1, 80)).map(|_| r.below(ID_RANGE)).collect();
            Filter::has_id(&ids)
        }
        2 => Filter::and(vec![
            Filter::exists("~pad"),
            Filter::lt("qv_tag", r.below(TAGS)),
        ]),
        _ => Filter::or(vec![
            Filter::is_empty("qv_tag"),
            Filter::between("qv_n", 0, r.below(1000)),
        ]),
    }
}

/// The parsed payload of a model entry (payloads the model holds are JSON
/// objects: the writes that made them were acknowledged).
fn parsed(e: &Entry) -> Option<Value> {
    e.payload
        .as_deref()
        .map(|b| serde_json::from_slice(b).expect("a stored payload is JSON"))
}

fn upsert(r: &mut Rng, n: u64, bad: Option<Bad>) -> Op {
    let n = n as usize;
    let ids: Vec<u64> = (0..n).map(|_| r.below(ID_RANGE)).collect();
    let mut vectors: Vec<f32> = (0..n * DIM).map(|_| r.f32()).collect();
    let mut payloads: Vec<Option<Vec<u8>>> = (0..n).map(|_| random_payload(r)).collect();
    let mut sparse: Vec<Sparse> = (0..n).map(|_| point_sparse(r)).collect();
    // The bad point is the last occurrence of its id: the old engine
    // validates only those (see `bad_vector_of_a_superseded_duplicate_is_refused`
    // in tests/engine/torture.rs), and the torture is about crashes.
    let at = r.below(n as u64) as usize;
    let at = ids.iter().rposition(|&x| x == ids[at]).unwrap_or(at);
    match bad {
        Some(Bad::NonFinite) => {
            let v = r.pick(&[f32::NAN, f32::INFINITY, f32::NEG_INFINITY]);
            vectors[at * DIM + r.below(DIM as u64) as usize] = v;
        }
        Some(Bad::NotJson) => {
            let b: &[u8] = r.pick(&[
                &b"{\"a\": 1"[..],
                b"{\"s\": \"\xff\xfe\"}",
                b"{} x",
                b"",
                b"{'a': 1}",
                b"{\"a\": 1,}",
                b"{\"a\" 1}",
            ]);
            payloads[at] = Some(b.to_vec());
        }
        Some(Bad::NotObject) => {
            let b: &[u8] = r.pick(&[&b"[1, 2]"[..], b"\"text\"", b"42", b"true", b" [] "]);
            payloads[at] = Some(b.to_vec());
        }
        Some(Bad::Sparse) => {
            let name = r.pick(&SPARSE_NAMES);
            let mut v = random_sparse(r);
            let j = r.below(v.len() as u64) as usize;
            match r.below(5) {
                0 | 1 => {
                    // An index given twice, anywhere.
                    let at = r.below(v.len() as u64 + 1) as usize;
                    let value = sparse_value(r, false);
                    v.indices.insert(at, v.indices[j]);
                    v.values.insert(at, value);
                }
                2 => v.values[j] = f32::NAN,
                3 => v.values[j] = r.pick(&[f32::INFINITY, f32::NEG_INFINITY]),
                // Finite, but its square is not.
                _ => v.values[j] = r.pick(&[3e19, -3e19, f32::MAX]),
            }
            sparse[at].retain(|(n, _)| *n != name);
            sparse[at].push((name, v));
        }
        // Cut when the call is made.
        Some(Bad::Dimension) | Some(Bad::FlatLength) | None => {}
    }
    Op::Upsert {
        ids,
        vectors,
        payloads,
        sparse,
        bad,
    }
}

/// The sparse vectors of an upserted point: none (45%), `"s"`, `"t"` or
/// both (in either order), each now and then empty (the same as none).
fn point_sparse(r: &mut Rng) -> Sparse {
    let names: &[&'static str] = match r.below(100) {
        0..=44 => &[],
        45..=69 => &["s"],
        70..=84 => &["t"],
        85..=92 => &["s", "t"],
        _ => &["t", "s"],
    };
    names
        .iter()
        .map(|&n| {
            let v = if r.chance(4) {
                SparseVector::default()
            } else {
                random_sparse(r)
            };
            (n, v)
        })
        .collect()
}

/// A sparse vector of 1..=[`SPARSE_MAX_NNZ`] distinct indices below
/// [`SPARSE_VOCAB`], in random order, with non-zero values of both signs:
/// multiples of 1/8 (exact sums, so equal scores are common) or 24-bit
/// fractions (sums that depend on their order).
pub fn random_sparse(r: &mut Rng) -> SparseVector {
    let nnz = r.range(1, SPARSE_MAX_NNZ) as usize;
    let mut indices: Vec<u32> = Vec::with_capacity(nnz);
    while indices.len() < nnz {
        let i = r.below(SPARSE_VOCAB) as u32;
        if !indices.contains(&i) {
            indices.push(i);
        }
    }
    let coarse = r.chance(50);
    let values = indices.iter().map(|_| sparse_value(r, coarse)).collect();
    SparseVector::new(indices, values)
}

/// A non-zero value of either sign (see [`random_sparse`]).
fn sparse_value(r: &mut Rng, coarse: bool) -> f32 {
    let v = if coarse {
        r.range(1, 16) as f32 / 8.0
    } else {
        loop {
            let x = r.f32().abs();
            if x != 0.0 {
                break x;
            }
        }
    };
    if r.chance(30) {
        -v
    } else {
        v
    }
}

/// `v` sorted by index (as the engine stores it).
fn sorted_sparse(v: &SparseVector) -> SparseVector {
    let mut pairs: Vec<(u32, f32)> = v.indices.iter().copied().zip(v.values.clone()).collect();
    pairs.sort_by_key(|p| p.0);
    SparseVector::new(
        pairs.iter().map(|p| p.0).collect(),
        pairs.iter().map(|p| p.1).collect(),
    )
}

/// A point's sparse vectors as the engine stores them: empty ones
/// dropped, sorted by name, each sorted by index.
fn stored_sparse(s: &Sparse) -> Vec<(String, SparseVector)> {
    let mut out: Vec<(String, SparseVector)> = s
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(n, v)| (n.to_string(), sorted_sparse(v)))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

impl Op {
    /// The operation's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Op::Upsert { bad: Some(_), .. } => Kind::BadUpsert,
            Op::Upsert { ids, .. } if ids.len() <= 3 => Kind::SmallUpsert,
            Op::Upsert { .. } => Kind::Upsert,
            Op::Delete(_) => Kind::Delete,
            Op::UpdateSparse { .. } => Kind::UpdateSparse,
            Op::SetPayloadWhere(..) => Kind::SetPayloadWhere,
            Op::DeleteWhere(_) => Kind::DeleteWhere,
            Op::AddEdges { bad: None, .. } => Kind::AddEdges,
            Op::AddEdges { bad: Some(_), .. } => Kind::BadAddEdges,
            Op::RemoveEdges(_) => Kind::RemoveEdges,
            Op::Optimize => Kind::Optimize,
            Op::Checkpoint => Kind::Checkpoint,
            Op::WaitOptimized => Kind::WaitOptimized,
            Op::Reopen => Kind::Reopen,
        }
    }

    /// A short description for messages.
    pub fn describe(&self) -> String {
        match self {
            Op::Upsert { ids, bad: None, .. } => format!("upsert of {} points", ids.len()),
            Op::Upsert {
                ids, bad: Some(b), ..
            } => format!("bad upsert of {} points ({b:?})", ids.len()),
            Op::Delete(ids) => format!("delete of {} ids", ids.len()),
            Op::UpdateSparse { ids, name, vectors } => format!(
                "update_sparse of \"{name}\" on {} ids ({} removals)",
                ids.len(),
                vectors
                    .iter()
                    .filter(|v| v.as_ref().is_none_or(|v| v.is_empty()))
                    .count()
            ),
            Op::SetPayloadWhere(f, v) => format!("set payload {v} where {f}"),
            Op::DeleteWhere(f) => format!("delete where {f}"),
            Op::AddEdges { edges, bad } => {
                let mut ends: Vec<u64> = edges.iter().flat_map(|e| [e.source, e.target]).collect();
                ends.sort_unstable();
                ends.dedup();
                format!(
                    "add_edges of {} edges between points {ends:?}{}",
                    edges.len(),
                    bad.map(|b| format!(" (bad {b:?})")).unwrap_or_default()
                )
            }
            Op::RemoveEdges(ids) => format!("remove_edges of {} ids", ids.len()),
            Op::Optimize => "optimize".into(),
            Op::Checkpoint => "checkpoint".into(),
            Op::WaitOptimized => "wait_optimized".into(),
            Op::Reopen => "close and reopen".into(),
        }
    }

    /// The first end point of an `add_edges` that is not a point of
    /// `model` (which makes the call fail).
    fn missing_end(&self, model: &Model) -> Option<u64> {
        match self {
            Op::AddEdges { edges, .. } => edges
                .iter()
                .flat_map(|e| [e.source, e.target])
                .find(|p| !model.points.contains_key(p)),
            _ => None,
        }
    }

    /// What its outcome must be when it runs on `model`.
    pub fn expect(&self, legacy: bool, model: &Model) -> Expect {
        match self {
            Op::Upsert {
                bad: Some(Bad::NotObject),
                ..
            } if legacy => Expect::Either,
            Op::Upsert { bad: Some(_), .. } => Expect::Fail,
            Op::AddEdges { bad: Some(_), .. } => Expect::Fail,
            Op::AddEdges { .. } if self.missing_end(model).is_some() => Expect::Fail,
            _ => Expect::Ok,
        }
    }

    /// The error codes a failing call on `model` may return.
    fn expected_codes(&self, model: &Model) -> Vec<i32> {
        let dim = Error::DimensionMismatch {
            context: String::new(),
            expected: 0,
            got: 0,
        }
        .code();
        let invalid = Error::InvalidArgument(String::new()).code();
        let not_found = Error::NotFound(String::new()).code();
        match self {
            Op::Upsert { bad: Some(b), .. } => vec![match b {
                Bad::Dimension | Bad::FlatLength => dim,
                Bad::NonFinite | Bad::NotJson | Bad::NotObject | Bad::Sparse => invalid,
            }],
            // A bad edge and a missing end point: either error will do.
            Op::AddEdges { bad, .. } => {
                let mut codes = Vec::new();
                if bad.is_some() {
                    codes.push(invalid);
                }
                if self.missing_end(model).is_some() {
                    codes.push(not_found);
                }
                codes
            }
            _ => Vec::new(),
        }
    }

    /// Applies the operation to a model (one it succeeds on); for a
    /// delete, returns how many of its ids existed.
    pub fn apply(&self, model: &mut Model) -> Option<usize> {
        let Model {
            points: model,
            edges,
        } = model;
        match self {
            Op::Upsert {
                ids,
                vectors,
                payloads,
                sparse,
                ..
            } => {
                for (j, id) in ids.iter().enumerate() {
                    model.insert(
                        *id,
                        Entry {
                            vector: vectors[j * DIM..(j + 1) * DIM].to_vec(),
                            payload: payloads[j].clone(),
                            sparse: stored_sparse(&sparse[j]),
                        },
                    );
                }
                None
            }
            Op::Delete(ids) => {
                let gone: HashSet<u64> = ids
                    .iter()
                    .copied()
                    .filter(|id| model.remove(id).is_some())
                    .collect();
                // A point's edges go with it.
                edges.retain(|_, e| !gone.contains(&e.source) && !gone.contains(&e.target));
                Some(gone.len())
            }
            Op::UpdateSparse { ids, name, vectors } => {
                // In order, so that the last occurrence of an id wins.
                let mut existed = HashSet::new();
                for (id, v) in ids.iter().zip(vectors) {
                    let Some(e) = model.get_mut(id) else { continue };
                    existed.insert(*id);
                    e.sparse.retain(|(n, _)| n != name);
                    if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                        e.sparse.push((name.to_string(), sorted_sparse(v)));
                        e.sparse.sort_by(|a, b| a.0.cmp(&b.0));
                    }
                }
                Some(existed.len())
            }
            Op::SetPayloadWhere(f, set) => {
                let mut n = 0;
                for (id, e) in model.iter_mut() {
                    let v = parsed(e);
                    if !f.matches_point(*id, v.as_ref()) {
                        continue;
                    }
                    n += 1;
                    let mut obj = v.unwrap_or_else(|| Value::Object(Default::default()));
                    if let (Value::Object(m), Value::Object(s)) = (&mut obj, set) {
                        for (k, x) in s {
                            m.insert(k.clone(), x.clone());
                        }
                    }
                    let bytes = serde_json::to_vec(&obj).expect("JSON serialises");
                    // The engine keeps the bytes when the payload is unchanged.
                    if e.payload.as_deref() != Some(&bytes[..]) {
                        e.payload = Some(bytes);
                    }
                }
                Some(n)
            }
            Op::DeleteWhere(f) => {
                let gone: Vec<u64> = model
                    .iter()
                    .filter(|(id, e)| f.matches_point(**id, parsed(e).as_ref()))
                    .map(|(id, _)| *id)
                    .collect();
                for id in &gone {
                    model.remove(id);
                }
                edges.retain(|_, e| !gone.contains(&e.source) && !gone.contains(&e.target));
                Some(gone.len())
            }
            Op::AddEdges { edges: batch, .. } => {
                // In order: the last edge with an id wins.
                for e in batch {
                    edges.insert(e.id, e.clone());
                }
                None
            }
            Op::RemoveEdges(ids) => {
                let gone: HashSet<u64> = ids
                    .iter()
                    .copied()
                    .filter(|id| edges.remove(id).is_some())
                    .collect();
                Some(gone.len())
            }
            _ => None,
        }
    }

    /// True when the operation can change the collection's content.
    pub fn writes(&self) -> bool {
        matches!(
            self,
            Op::Upsert { .. }
                | Op::Delete(_)
                | Op::UpdateSparse { .. }
                | Op::SetPayloadWhere(..)
                | Op::DeleteWhere(_)
                | Op::AddEdges { .. }
                | Op::RemoveEdges(_)
        )
    }
}

// ---------------------------------------------------------------------------
// Payloads: JSON objects of 2..=2000 bytes, varied whitespace, key order,
// escapes and non-ASCII text
// ---------------------------------------------------------------------------

const WS: &[&str] = &["", "", "", " ", "  ", "\n", "\t", "\r\n  ", " \n\t "];
/// String pieces; the ones with a backslash are JSON escapes.
const STR_PIECES: &[&str] = &[
    "a",
    "Zz",
    "quiver",
    " ",
    "é",
    "ß",
    "Ωμέγα",
    "日本語",
    "🦀",
    "ﬁ",
    "ü",
    "Ж",
    "\u{2028}",
    "\\n",
    "\\t",
    "\\\"",
    "\\\\",
    "\\/",
    "\\u00e9",
    "\\ud83e\\udd80",
    "\\u0000",
    "\\b\\f\\r",
    "0",
    "x y",
];
/// Key pieces: no escapes, so equal text means equal keys.
const KEY_PIECES: &[&str] = &["k", "id", "tag", "é", "日本", "🦀", "_", "0", "Zz", " "];
const FLOATS: &[&str] = &[
    "0.5",
    "1.50",
    "-0.0",
    "1e3",
    "-2.5E-3",
    "3.14159",
    "0.1",
    "1E+2",
    "100.000",
    "-7.25e-12",
];

fn ws(r: &mut Rng, s: &mut String) {
    s.push_str(r.pick(WS));
}

fn json_string(r: &mut Rng, pieces: &[&str], max: u64) -> String {
    let mut s = String::from("\"");
    for _ in 0..r.range(0, max) {
        s.push_str(r.pick(pieces));
    }
    s.push('"');
    s
}

fn json_value(r: &mut Rng, depth: u32) -> String {
    match r.below(12) {
        0..=2 => json_string(r, STR_PIECES, 12),
        3 => match r.below(4) {
            0 => (r.below(200) as i64 - 100).to_string(),
            1 => (r.next_u64() as i64 >> r.below(60)).to_string(),
            2 => u64::MAX.to_string(),
            _ => i64::MIN.to_string(),
        },
        4 => r.pick(FLOATS).to_string(),
        5 => r.pick(&["true", "false", "null"]).to_string(),
        6 | 7 if depth < 2 => {
            let mut s = String::from("[");
            ws(r, &mut s);
            for k in 0..r.below(5) {
                if k > 0 {
                    s.push(',');
                    ws(r, &mut s);
                }
                s.push_str(&json_value(r, depth + 1));
                ws(r, &mut s);
            }
            s.push(']');
            s
        }
        8 | 9 if depth < 2 => {
            let mut s = String::from("{");
            ws(r, &mut s);
            let mut keys = HashSet::new();
            for _ in 0..r.below(5) {
                let m = member(r, depth + 1, &mut keys);
                if keys.len() > 1 {
                    s.push(',');
                    ws(r, &mut s);
                }
                s.push_str(&m);
                ws(r, &mut s);
            }
            s.push('}');
            s
        }
        _ => json_string(r, STR_PIECES, 4),
    }
}

/// `"key": value` with a key not in `keys` (which it joins).
fn member(r: &mut Rng, depth: u32, keys: &mut HashSet<String>) -> String {
    let key = loop {
        let k = json_string(r, KEY_PIECES, 4);
        if keys.insert(k.clone()) {
            break k;
        }
    };
    let mut s = key;
    ws(r, &mut s);
    s.push(':');
    ws(r, &mut s);
    s.push_str(&json_value(r, depth));
    s
}

/// No payload (15%), or a JSON object of 2..=2000 bytes (mostly small).
pub fn random_payload(r: &mut Rng) -> Option<Vec<u8>> {
    if r.chance(15) {
        return None;
    }
    let len = if r.chance(80) {
        1 + r.log_uniform(MAX_PAYLOAD - 1)
    } else {
        r.range(2, MAX_PAYLOAD)
    } as usize;
    Some(json_object(r, len).into_bytes())
}

/// A JSON object of exactly `len >= 2` bytes.
pub fn json_object(r: &mut Rng, len: usize) -> String {
    let mut head = String::new();
    if r.chance(10) {
        ws(r, &mut head);
    }
    head.push('{');
    ws(r, &mut head);
    let mut tail = String::new();
    ws(r, &mut tail);
    tail.push('}');
    if r.chance(10) {
        ws(r, &mut tail);
    }
    if head.len() + tail.len() > len {
        head = "{".into();
        tail = "}".into();
    }
    let mut body = String::new();
    let mut keys = HashSet::new();
    let mut sep = String::from(",");
    ws(r, &mut sep);
    for _ in 0..100 {
        let m = member(r, 0, &mut keys);
        let extra = if body.is_empty() { 0 } else { sep.len() };
        if head.len() + body.len() + extra + m.len() + tail.len() > len {
            break;
        }
        if !body.is_empty() {
            body.push_str(&sep);
        }
        body.push_str(&m);
    }
    // Fill up to exactly `len` bytes: a padding member, then spaces.
    let room = len - head.len() - body.len() - tail.len();
    let extra = if body.is_empty() { 0 } else { sep.len() };
    let pad_member = "\"~pad\":\"\"".len();
    if room >= extra + pad_member {
        if !body.is_empty() {
            body.push_str(&sep);
        }
        body.push_str("\"~pad\":\"");
        body.push_str(&"x".repeat(room - extra - pad_member));
        body.push('"');
    }
    let room = len - head.len() - body.len() - tail.len();
    body.push_str(&" ".repeat(room));
    let s = head + &body + &tail;
    debug_assert_eq!(s.len(), len);
    s
}

// ---------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------

/// A point as the model expects it.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The vector, as written (Euclidean: stored as given).
    pub vector: Vec<f32>,
    /// The payload bytes, as written.
    pub payload: Option<Vec<u8>>,
    /// The sparse vectors as stored: sorted by name, each by index, none
    /// empty.
    pub sparse: Vec<(String, SparseVector)>,
}

/// The points of the collection, by id.
pub type Points = BTreeMap<u64, Entry>;

/// The edges of the collection, by id.
pub type Edges = BTreeMap<u64, Edge>;

/// The expected content of the collection.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// The points.
    pub points: Points,
    /// The edges (their end points are points).
    pub edges: Edges,
}

fn same_vector(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Payload equality: bytes, or parsed JSON when `exact` is false.
pub fn same_payload(exact: bool, a: Option<&[u8]>, b: Option<&[u8]>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            x == y
                || (!exact
                    && matches!(
                        (
                            serde_json::from_slice::<serde_json::Value>(x),
                            serde_json::from_slice::<serde_json::Value>(y),
                        ),
                        (Ok(p), Ok(q)) if p == q
                    ))
        }
        _ => false,
    }
}

/// Sparse vectors equal name for name, index for index, value bit for bit.
fn same_sparse(a: &[(String, SparseVector)], b: &[(String, SparseVector)]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((na, va), (nb, vb))| {
            na == nb && va.indices == vb.indices && same_vector(&va.values, &vb.values)
        })
}

fn same_entry(exact: bool, a: &Entry, b: &Entry) -> bool {
    same_vector(&a.vector, &b.vector)
        && same_payload(exact, a.payload.as_deref(), b.payload.as_deref())
        && same_sparse(&a.sparse, &b.sparse)
}

fn show_sparse(s: &[(String, SparseVector)]) -> String {
    if s.is_empty() {
        return "no sparse vectors".into();
    }
    let parts: Vec<String> = s
        .iter()
        .map(|(n, v)| {
            let e: Vec<String> = v
                .indices
                .iter()
                .zip(&v.values)
                .map(|(i, x)| format!("{i}:{x:?}"))
                .collect();
            format!("{n} {{{}}}", e.join(", "))
        })
        .collect();
    parts.join(", ")
}

/// The ids and score bits a sparse search must return: a brute-force dot
/// product over the model (the products of the shared indices summed in
/// ascending index order), only points with a vector `name` that shares an
/// index with `query` and match `filter`, best first, equal scores by
/// ascending id, the first `k`.
fn sparse_brute(
    model: &Points,
    name: &str,
    query: &SparseVector,
    filter: Option<&Filter>,
    k: usize,
) -> Vec<(u64, u32)> {
    let q = sorted_sparse(query);
    let mut hits: Vec<(u64, f32)> = Vec::new();
    for (id, e) in model {
        let Some((_, v)) = e.sparse.iter().find(|(n, _)| n == name) else {
            continue;
        };
        let (mut i, mut j, mut score, mut shared) = (0, 0, 0.0f32, false);
        while i < v.indices.len() && j < q.indices.len() {
            match v.indices[i].cmp(&q.indices[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    score += v.values[i] * q.values[j];
                    shared = true;
                    i += 1;
                    j += 1;
                }
            }
        }
        if !shared || filter.is_some_and(|f| !f.matches_point(*id, parsed(e).as_ref())) {
            continue;
        }
        hits.push((*id, score));
    }
    hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    hits.truncate(k);
    hits.into_iter().map(|(id, s)| (id, s.to_bits())).collect()
}

/// Edges equal field for field, the weight bit for bit, the properties
/// byte for byte.
fn same_edge(a: &Edge, b: &Edge) -> bool {
    a.id == b.id
        && a.source == b.source
        && a.target == b.target
        && a.label == b.label
        && a.weight.to_bits() == b.weight.to_bits()
        && a.properties == b.properties
}

fn same_state(exact: bool, a: &Model, b: &Model) -> bool {
    a.points.len() == b.points.len()
        && a.points
            .iter()
            .zip(&b.points)
            .all(|((ia, ea), (ib, eb))| ia == ib && same_entry(exact, ea, eb))
        && a.edges.len() == b.edges.len()
        && a.edges
            .iter()
            .zip(&b.edges)
            .all(|((ia, ea), (ib, eb))| ia == ib && same_edge(ea, eb))
}

fn show_edge(e: &Edge) -> String {
    format!(
        "edge {} {} -> {} \"{}\" weight {:?}{}",
        e.id,
        e.source,
        e.target,
        e.label.escape_debug(),
        e.weight,
        e.properties
            .as_deref()
            .map(|p| format!(", properties {}", show_payload(Some(p.as_bytes()))))
            .unwrap_or_default()
    )
}

/// The neighbours of `p` along `dir` over edges with a label in `labels`
/// (any when empty): (edge id, point at the other end) by ascending edge
/// id, an edge from `p` to itself once.
fn model_steps(edges: &Edges, p: u64, dir: Direction, labels: &[String]) -> Vec<(u64, u64)> {
    edges
        .values()
        .filter(|e| labels.is_empty() || labels.contains(&e.label))
        .filter_map(|e| {
            if dir != Direction::In && e.source == p {
                Some((e.id, e.target))
            } else if dir != Direction::Out && e.target == p {
                Some((e.id, e.source))
            } else {
                None
            }
        })
        .collect()
}

/// What `traverse(starts, t)` must return over the model (no filter:
/// every end point is a point): breadth first each point once at its
/// least depth, by the first path found; depth first each point at the
/// depth the walk first reached it; neighbours by ascending edge id; the
/// first `t.limit` of the walk.
fn traverse_model(edges: &Edges, starts: &[u64], t: &Traversal) -> Vec<Visit> {
    // Point -> (depth, origin, path).
    let mut reached: BTreeMap<u64, (u32, u64, Vec<u64>)> = BTreeMap::new();
    let mut order: Vec<u64> = Vec::new();
    let hop_labels = |d: usize| match t.hop_labels.get(d) {
        Some(ls) if !ls.is_empty() => ls.clone(),
        _ => t.labels.clone(),
    };
    match t.order {
        Order::BreadthFirst => {
            let mut queue = VecDeque::new();
            for &s in starts {
                if reached.insert(s, (0, s, Vec::new())).is_none() {
                    order.push(s);
                    queue.push_back(s);
                }
            }
            while let Some(p) = queue.pop_front() {
                let (d, origin, path) = reached[&p].clone();
                if d as usize >= t.max_depth {
                    continue;
                }
                for (edge, q) in model_steps(edges, p, t.direction, &hop_labels(d as usize)) {
                    if reached.contains_key(&q) {
                        continue;
                    }
                    let mut path = path.clone();
                    path.push(edge);
                    reached.insert(q, (d + 1, origin, path));
                    order.push(q);
                    queue.push_back(q);
                }
            }
        }
        Order::DepthFirst => {
            fn dfs(
                edges: &Edges,
                t: &Traversal,
                hop_labels: &dyn Fn(usize) -> Vec<String>,
                p: u64,
                reached: &mut BTreeMap<u64, (u32, u64, Vec<u64>)>,
                order: &mut Vec<u64>,
            ) {
                let (d, origin, path) = reached[&p].clone();
                if d as usize >= t.max_depth {
                    return;
                }
                for (edge, q) in model_steps(edges, p, t.direction, &hop_labels(d as usize)) {
                    if reached.contains_key(&q) {
                        continue;
                    }
                    let mut path = path.clone();
                    path.push(edge);
                    reached.insert(q, (d + 1, origin, path));
                    order.push(q);
                    dfs(edges, t, hop_labels, q, reached, order);
                }
            }
            for &s in starts {
                if reached.insert(s, (0, s, Vec::new())).is_none() {
                    order.push(s);
                    dfs(edges, t, &hop_labels, s, &mut reached, &mut order);
                }
            }
        }
    }
    order
        .into_iter()
        .filter(|p| reached[p].0 as usize >= t.min_depth)
        .take(t.limit)
        .map(|p| {
            let (depth, origin, path) = reached[&p].clone();
            Visit {
                id: p,
                depth,
                origin,
                path,
                score: None,
            }
        })
        .collect()
}

fn show_payload(p: Option<&[u8]>) -> String {
    match p {
        None => "no payload".into(),
        Some(b) => {
            let s = String::from_utf8_lossy(b);
            let short: String = s.chars().take(120).collect();
            format!(
                "{} bytes {short:?}{}",
                b.len(),
                if short.len() < s.len() { "..." } else { "" }
            )
        }
    }
}

// ---------------------------------------------------------------------------
// The child
// ---------------------------------------------------------------------------

fn say(out: &mut impl Write, msg: &str) {
    // A write error (the parent is gone) ends the child.
    if writeln!(out, "{TAG}{msg}")
        .and_then(|_| out.flush())
        .is_err()
    {
        std::process::exit(3);
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// Opens the database and the collection, creating it if needed.
pub fn open_collection(dir: &Path) -> quiver::Result<(Database, Arc<Collection>)> {
    let db = Database::open(dir)?;
    let c = collection_of(&db)?;
    Ok((db, c))
}

/// The torture's collection of `db`, created if needed, with its field
/// index on `qv_tag` and its text index on `k` (each created if missing:
/// a kill may have come first).
pub fn collection_of(db: &Database) -> quiver::Result<Arc<Collection>> {
    let c = match db.collection(COLLECTION) {
        Ok(c) => c,
        Err(Error::NotFound(_)) => db.create_collection(COLLECTION, config())?,
        Err(e) => return Err(e),
    };
    match c.create_field_index("qv_tag", FieldKind::Integer) {
        Ok(()) | Err(Error::AlreadyExists(_)) => {}
        Err(e) => return Err(e),
    }
    match c.create_text_index(TEXT_FIELD, TextConfig::default()) {
        Ok(()) | Err(Error::AlreadyExists(_)) => Ok(c),
        Err(e) => Err(e),
    }
}

/// The text-indexed field (a key the random payloads often have).
const TEXT_FIELD: &str = "k";

/// Text queries of the check, from the pieces of the random strings.
const TEXT_QUERIES: &[&str] = &["quiver", "a zz", "quiver a", "ß"];

pub fn run_op(c: &Collection, op: &Op) -> quiver::Result<Option<usize>> {
    match op {
        Op::Upsert {
            ids,
            vectors,
            payloads,
            sparse,
            bad,
        } => {
            if *bad == Some(Bad::Dimension) {
                let at = ids.len() / 2;
                let points: Vec<Point> = ids
                    .iter()
                    .enumerate()
                    .map(|(j, &id)| {
                        let cut = if j == at { DIM - 1 } else { DIM };
                        let mut p = Point::new(id, vectors[j * DIM..j * DIM + cut].to_vec());
                        if let Some(v) = payloads[j]
                            .as_deref()
                            .and_then(|b| serde_json::from_slice(b).ok())
                        {
                            p = p.with_payload(v);
                        }
                        for (n, v) in &sparse[j] {
                            p = p.with_sparse(n, v.clone());
                        }
                        p
                    })
                    .collect();
                return c.upsert(&points).map(|_| None);
            }
            let v = if *bad == Some(Bad::FlatLength) {
                &vectors[..vectors.len() - 1]
            } else {
                &vectors[..]
            };
            let p: Vec<Option<&[u8]>> = payloads.iter().map(|p| p.as_deref()).collect();
            // One compressed-sparse-row column per name (an empty row: no
            // vector of that name).
            let csr: Vec<(Vec<u64>, Vec<u32>, Vec<f32>)> = SPARSE_NAMES
                .iter()
                .map(|name| {
                    let (mut indptr, mut indices, mut values) =
                        (vec![0u64], Vec::new(), Vec::new());
                    for s in sparse {
                        if let Some((_, v)) = s.iter().find(|(n, _)| n == name) {
                            indices.extend_from_slice(&v.indices);
                            values.extend_from_slice(&v.values);
                        }
                        indptr.push(indices.len() as u64);
                    }
                    (indptr, indices, values)
                })
                .collect();
            let columns: Vec<SparseColumn<'_>> = SPARSE_NAMES
                .iter()
                .zip(&csr)
                .map(|(name, (indptr, indices, values))| SparseColumn {
                    name,
                    indptr,
                    indices,
                    values,
                })
                .collect();
            c.upsert_json_sparse(ids, v, &p, &columns).map(|_| None)
        }
        Op::Delete(ids) => c.delete(ids).map(Some),
        Op::UpdateSparse { ids, name, vectors } => c.update_sparse(ids, name, vectors).map(Some),
        Op::SetPayloadWhere(f, set) => c
            .update_payload(&Selection::Filter(f.clone()), PayloadChange::Set(set))
            .map(Some),
        Op::DeleteWhere(f) => c.delete_where(f).map(Some),
        Op::AddEdges { edges, .. } => c.add_edges(edges).map(|_| None),
        Op::RemoveEdges(ids) => c.remove_edges(ids).map(Some),
        Op::Optimize => c.optimize().map(|_| None),
        Op::Checkpoint => c.checkpoint().map(|_| None),
        Op::WaitOptimized => c.wait_optimized().map(|_| None),
        Op::Reopen => unreachable!("the child loop reopens"),
    }
}

/// The writer child: opens `dir` and applies operations `start..` of `seed`
/// until it is killed, reporting each on stdout (see the module docs).
pub fn child_main(dir: &Path, seed: u64, start: u64) -> ! {
    let mut out = std::io::stdout().lock();
    // Whatever wrote to stdout before (libtest) may not have ended its line.
    let _ = writeln!(out);
    let die = |out: &mut std::io::StdoutLock, msg: String| -> ! {
        say(out, &format!("error {}", one_line(&msg)));
        std::process::exit(2)
    };
    say(&mut out, "opening");
    let t = Instant::now();
    let db = Database::open(dir).unwrap_or_else(|e| die(&mut out, format!("open: {e}")));
    say(&mut out, &format!("db {}", t.elapsed().as_micros()));
    let c = collection_of(&db).unwrap_or_else(|e| die(&mut out, format!("collection: {e}")));
    say(&mut out, &format!("ready {}", t.elapsed().as_micros()));
    let mut db = Some(db);
    let mut coll = Some(c);
    let deadline = Instant::now() + CHILD_LIFETIME;
    let mut i = start;
    while Instant::now() < deadline {
        let op = op(seed, i);
        say(&mut out, &format!("begin {i}"));
        let r = if let Op::Reopen = op {
            drop(coll.take());
            let d = db.take().expect("the database is open");
            if let Err(e) = d.close() {
                die(&mut out, format!("op {i}: close: {e}"));
            }
            drop(d);
            let (d, c) = open_collection(dir)
                .unwrap_or_else(|e| die(&mut out, format!("op {i}: reopen: {e}")));
            db = Some(d);
            coll = Some(c);
            Ok(None)
        } else {
            run_op(coll.as_ref().expect("the collection is open"), &op)
        };
        match r {
            Ok(None) => say(&mut out, &format!("ack {i}")),
            Ok(Some(n)) => say(&mut out, &format!("ack {i} {n}")),
            Err(e) => say(
                &mut out,
                &format!("fail {i} {} {}", e.code(), one_line(&e.to_string())),
            ),
        }
        i += 1;
    }
    die(&mut out, format!("not killed within {CHILD_LIFETIME:?}"))
}

// ---------------------------------------------------------------------------
// The parent
// ---------------------------------------------------------------------------

/// A protocol line from the child.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    /// About to open the database.
    Opening,
    /// `Database::open` returned, after this many microseconds.
    Db(u64),
    /// Database and collection open, after this many microseconds.
    Ready(u64),
    /// About to call operation `i`.
    Begin(u64),
    /// Operation `i` returned Ok (with `delete`'s count).
    Ack(u64, Option<usize>),
    /// Operation `i` returned an error: code, message.
    Fail(u64, i32, String),
    /// The child gave up.
    Error(String),
}

fn parse_line(raw: &str) -> Option<Result<Line, String>> {
    let at = raw.find(TAG)?;
    let msg = &raw[at + TAG.len()..];
    let (word, rest) = msg.split_once(' ').unwrap_or((msg, ""));
    let num = |s: &str| s.trim().parse::<u64>().ok();
    let line = match word {
        "opening" => Some(Line::Opening),
        "db" => num(rest).map(Line::Db),
        "ready" => num(rest).map(Line::Ready),
        "begin" => num(rest).map(Line::Begin),
        "ack" => {
            let mut it = rest.split_whitespace();
            match (it.next().and_then(num), it.next()) {
                (Some(i), None) => Some(Line::Ack(i, None)),
                (Some(i), Some(n)) => n.parse().ok().map(|n| Line::Ack(i, Some(n))),
                _ => None,
            }
        }
        "fail" => {
            let mut it = rest.splitn(3, ' ');
            match (
                it.next().and_then(num),
                it.next().and_then(|c| c.parse().ok()),
            ) {
                (Some(i), Some(code)) => Some(Line::Fail(i, code, it.next().unwrap_or("").into())),
                _ => None,
            }
        }
        "error" => Some(Line::Error(rest.into())),
        _ => None,
    };
    Some(line.ok_or_else(|| format!("bad protocol line {raw:?}")))
}

/// When to kill the child.
#[derive(Clone, Copy, Debug)]
pub enum Plan {
    /// This long after it announced `opening`: during `Database::open` and
    /// the recovery of what the last kill left.
    InOpen(Duration),
    /// This long after its `n`-th finished call (`n = 0`: after `ready`).
    AfterCalls(u64, Duration),
    /// This long after it began an optimize, checkpoint, wait or reopen
    /// (or after 20 calls without one).
    InMaintenance(Duration),
    /// This long after `ready`: the background optimizer has time to run.
    Late(Duration),
}

impl Plan {
    fn name(&self) -> &'static str {
        match self {
            Plan::InOpen(_) => "in-open",
            Plan::AfterCalls(..) => "after-calls",
            Plan::InMaintenance(_) => "in-maintenance",
            Plan::Late(_) => "late",
        }
    }
}

/// Builds the command that runs `child_main(dir, seed, start)`.
pub type ChildCommand = Box<dyn Fn(&Path, u64, u64) -> Command>;

/// What a torture run does.
pub struct Config {
    /// The database directory (created if missing).
    pub dir: PathBuf,
    /// Where the parent copies the database to check it without recovering
    /// the original (so that the next child recovers it).
    pub probe_dir: PathBuf,
    /// Kill points.
    pub kills: u64,
    /// Seed of the operations and of the parent's choices.
    pub seed: u64,
    /// Longest [`Plan::Late`] delay.
    pub max_late: Duration,
    /// Start over in a fresh database every this many kills (0: never).
    /// Bounds the run time on the old engine, whose files (and search
    /// time) grow with everything ever written.
    pub fresh_every: u64,
    /// Let the first kill of a fresh database land anywhere, also in its
    /// creation (see `interrupted_database_creation_is_resumed`); when
    /// false it lands after the first acknowledged call.
    pub kill_during_creation: bool,
    /// Graph inserts on one thread, in the child (`RAYON_NUM_THREADS=1`) and
    /// in the parent's open (recovery), so that every point must be found by
    /// a graph search: works around the parallel-insert defect (see
    /// [`MAX_UNREACHABLE_PARALLEL`]) until it is fixed.
    pub serial_inserts: bool,
    /// Builds the command that runs `child_main(dir, seed, start)`.
    pub child: ChildCommand,
}

/// What happened at one kill point.
#[derive(Clone, Debug)]
pub struct Kill {
    /// 0-based kill number.
    pub n: u64,
    /// The plan's name.
    pub plan: &'static str,
    /// Where the child was: "open", "between calls", "op 12 (upsert of 3 points)".
    pub at: String,
    /// Whether the call in flight had taken effect (None: none was in flight,
    /// or it cannot change the content).
    pub in_flight_applied: Option<bool>,
    /// `Database::open` + `collection()` in the parent after the kill.
    pub open: Duration,
    /// Points after the kill.
    pub points: usize,
    /// Calls the child acknowledged before it died.
    pub acked: u64,
    /// Whether the parent checked a copy (the original is recovered by the next child).
    pub on_copy: bool,
    /// Wall time of the child's run.
    pub child_time: Duration,
    /// Wall time of the check (copy, open, checks, close).
    pub check_time: Duration,
    /// Bytes in the database directory.
    pub disk_bytes: u64,
}

/// Totals of a run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Kill points.
    pub kills: u64,
    /// Calls acknowledged.
    pub acked: u64,
    /// Calls that failed (as they had to).
    pub failed: u64,
    /// Writing calls in flight at a kill.
    pub in_flight: u64,
    /// ... of which had taken effect.
    pub in_flight_applied: u64,
    /// Kills while the child was in `Database::open` (also a reopen's).
    pub in_open: u64,
    /// Kills between two calls.
    pub between_calls: u64,
    /// Kills during a call, by kind.
    pub in_call: BTreeMap<&'static str, u64>,
    /// The parent's open time after each kill.
    pub open_times: Vec<Duration>,
    /// The child's open times (they include recovering a copy-checked kill).
    pub child_open_times: Vec<Duration>,
    /// Self-searches that missed at `ef` = [`SEARCH_EF`] and found the point
    /// only with a larger `ef`.
    pub search_retries: u64,
    /// Self-searches made (one per point per kill).
    pub self_searches: u64,
    /// ... that did not find the point even with `ef` = 512: it is not
    /// reachable in the graph (exact search finds it). See [`MAX_UNREACHABLE_PARALLEL`].
    pub unreachable: u64,
    /// Sparse searches checked against the brute force.
    pub sparse_searches: u64,
    /// ... and the hits they returned.
    pub sparse_hits: u64,
    /// `add_edges` calls refused (as they had to be) because an end point
    /// was not a point.
    pub edges_not_found: u64,
    /// Edges checked after the kills (summed).
    pub edges_checked: u64,
    /// Traversals checked against the model.
    pub traversals: u64,
    /// ... and the points they returned.
    pub traversal_visits: u64,
    /// Points at the end.
    pub points: usize,
    /// Edges at the end.
    pub edges: usize,
    /// Fresh databases started after the first (see [`Config::fresh_every`]).
    pub databases: u64,
    /// Operations issued (next op number).
    pub ops: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Payloads were compared as JSON values (legacy engine).
    pub payloads_as_json: bool,
}

fn mean_max(v: &[Duration]) -> (f64, f64) {
    let ms = |d: &Duration| d.as_secs_f64() * 1e3;
    let max = v.iter().map(ms).fold(0.0, f64::max);
    let mean = if v.is_empty() {
        0.0
    } else {
        v.iter().map(ms).sum::<f64>() / v.len() as f64
    };
    (mean, max)
}

impl Report {
    /// Mean and max of the parent's open times, in ms.
    pub fn open_ms(&self) -> (f64, f64) {
        mean_max(&self.open_times)
    }

    /// One line: `torture kills=... open_ms_mean=... open_ms_max=...`.
    pub fn summary(&self) -> String {
        let (mean, max) = self.open_ms();
        let (cmean, cmax) = mean_max(&self.child_open_times);
        let calls: Vec<String> = self
            .in_call
            .iter()
            .map(|(k, n)| format!("{k}:{n}"))
            .collect();
        format!(
            "torture kills={} ops={} acked={} failed={} in_flight_applied={}/{} kills_in_open={} \
             kills_between_calls={} kills_in_call={} databases={} points={} search_retries={} unreachable={}/{} \
             sparse_searches={} sparse_hits={} edges={} edges_checked={} edges_not_found={} \
             traversals={} traversal_visits={} open_ms_mean={mean:.2} open_ms_max={max:.2} \
             child_open_ms_mean={cmean:.2} child_open_ms_max={cmax:.2} payloads={} elapsed_s={:.1}",
            self.kills,
            self.ops,
            self.acked,
            self.failed,
            self.in_flight_applied,
            self.in_flight,
            self.in_open,
            self.between_calls,
            calls.join(","),
            self.databases + 1,
            self.points,
            self.search_retries,
            self.unreachable,
            self.self_searches,
            self.sparse_searches,
            self.sparse_hits,
            self.edges,
            self.edges_checked,
            self.edges_not_found,
            self.traversals,
            self.traversal_visits,
            if self.payloads_as_json {
                "json-values"
            } else {
                "bytes"
            },
            self.elapsed.as_secs_f64()
        )
    }
}

/// The state of a run between kills.
struct Torture<'a> {
    cfg: &'a Config,
    rng: Rng,
    legacy: bool,
    model: Model,
    next_op: u64,
    /// Outcome of each op so far, for diagnostics: b'a' acked, b'f' failed,
    /// b'y'/b'n' in flight and applied or not.
    outcome: Vec<u8>,
    created: bool,
    /// The first op of the current database.
    epoch_start: u64,
    /// One thread, for the parent's open with `serial_inserts`.
    serial_pool: rayon::ThreadPool,
    child_open_ema: Duration,
    /// The same, for the creation of a fresh database.
    create_ema: Duration,
    /// `Database::open` of a fresh directory.
    db_create_ema: Duration,
    report: Report,
}

/// Runs the torture; `progress` sees each kill point. Returns the totals,
/// or a description of the first violation (with the seed to repeat it).
pub fn run(cfg: &Config, mut progress: impl FnMut(&Kill, &Report)) -> Result<Report, String> {
    let legacy = legacy_engine();
    let mut t = Torture {
        cfg,
        rng: Rng::new(cfg.seed ^ 0x7061_7265_6e74),
        legacy,
        model: Model::default(),
        next_op: 0,
        outcome: Vec::new(),
        created: false,
        epoch_start: 0,
        serial_pool: rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .map_err(|e| format!("a one-thread pool: {e}"))?,
        child_open_ema: Duration::from_millis(2),
        create_ema: Duration::from_millis(5),
        db_create_ema: Duration::from_millis(1),
        report: Report {
            payloads_as_json: legacy,
            ..Report::default()
        },
    };
    let started = Instant::now();
    for n in 0..cfg.kills {
        if n > 0 && cfg.fresh_every > 0 && n % cfg.fresh_every == 0 {
            std::fs::remove_dir_all(&cfg.dir)
                .map_err(|e| format!("remove {}: {e}", cfg.dir.display()))?;
            t.model = Model::default();
            t.created = false;
            t.epoch_start = t.next_op;
            t.report.databases += 1;
        }
        let kill = t
            .round(n)
            .map_err(|e| format!("torture seed {} kill {n}: {e}", cfg.seed))?;
        t.report.kills += 1;
        t.report.points = t.model.points.len();
        t.report.edges = t.model.edges.len();
        t.report.ops = t.next_op;
        t.report.elapsed = started.elapsed();
        progress(&kill, &t.report);
    }
    Ok(t.report)
}

impl Torture<'_> {
    fn plan(&mut self) -> Plan {
        let r = &mut self.rng;
        let short = |r: &mut Rng| Duration::from_micros(r.below(2000));
        if !self.created {
            if !self.cfg.kill_during_creation {
                return Plan::AfterCalls(r.range(1, 5), Duration::ZERO);
            }
            if r.chance(50) {
                // Within the creation of the database directory.
                let window = self.db_create_ema.as_micros() as u64 * 3 / 2 + 100;
                return Plan::InOpen(Duration::from_micros(r.below(window)));
            }
        }
        match r.below(100) {
            0..=24 => {
                let ema = if self.created {
                    self.child_open_ema
                } else {
                    self.create_ema
                };
                let window = ema.as_micros() as u64 * 3 / 2 + 200;
                Plan::InOpen(Duration::from_micros(r.below(window)))
            }
            25..=69 => Plan::AfterCalls(r.below(16), short(r)),
            70..=84 => Plan::InMaintenance(short(r)),
            _ => {
                let max = self.cfg.max_late.as_millis().max(21) as u64;
                Plan::Late(Duration::from_millis(r.range(20, max)))
            }
        }
    }

    fn round(&mut self, n: u64) -> Result<Kill, String> {
        let plan = self.plan();
        let start = self.next_op;
        let t_child = Instant::now();
        let lines = self.run_child(start, plan)?;
        let child_time = t_child.elapsed();

        // Replay the protocol against the model.
        let mut in_flight: Option<u64> = None;
        let mut expected = start;
        let mut acked = 0;
        let mut last: Option<&Line> = None;
        for line in &lines {
            match line {
                Line::Opening => {}
                Line::Db(us) => {
                    if !self.created {
                        let d = Duration::from_micros(*us);
                        self.db_create_ema = (self.db_create_ema * 3 + d) / 4;
                    }
                }
                Line::Ready(us) => {
                    let d = Duration::from_micros(*us);
                    self.report.child_open_times.push(d);
                    let ema = if self.created {
                        &mut self.child_open_ema
                    } else {
                        &mut self.create_ema
                    };
                    *ema = (*ema * 3 + d) / 4;
                    self.created = true;
                }
                Line::Begin(i) => {
                    if *i != expected || in_flight.is_some() {
                        return Err(format!(
                            "protocol: begin {i}, expected begin {expected} (in flight {in_flight:?})"
                        ));
                    }
                    in_flight = Some(*i);
                }
                Line::Ack(i, count) => {
                    if in_flight != Some(*i) {
                        return Err(format!(
                            "protocol: ack {i} while {in_flight:?} is in flight"
                        ));
                    }
                    let op = op(self.cfg.seed, *i);
                    if op.expect(self.legacy, &self.model) == Expect::Fail {
                        return Err(match op.missing_end(&self.model) {
                            Some(p) if !matches!(op, Op::AddEdges { bad: Some(_), .. }) => {
                                format!(
                                    "op {i} ({}) was acknowledged, but its end point {p} is not a point (the last writes of it: {})",
                                    op.describe(),
                                    self.point_history(p, *i)
                                )
                            }
                            _ => format!(
                                "op {i} ({}) was acknowledged: bad input must be refused",
                                op.describe()
                            ),
                        });
                    }
                    let existed = op.apply(&mut self.model);
                    if existed != *count {
                        return Err(format!(
                            "op {i} ({}) returned {count:?}, the model says {existed:?} of its ids existed",
                            op.describe()
                        ));
                    }
                    self.set_outcome(*i, b'a');
                    acked += 1;
                    in_flight = None;
                    expected = i + 1;
                }
                Line::Fail(i, code, msg) => {
                    if in_flight != Some(*i) {
                        return Err(format!(
                            "protocol: fail {i} while {in_flight:?} is in flight"
                        ));
                    }
                    let op = op(self.cfg.seed, *i);
                    if op.expect(self.legacy, &self.model) == Expect::Ok {
                        return Err(format!("op {i} ({}) failed: {msg}", op.describe()));
                    }
                    let codes = op.expected_codes(&self.model);
                    if !codes.contains(code) {
                        return Err(format!(
                            "op {i} ({}) failed with code {code} (want one of {codes:?}): {msg}",
                            op.describe(),
                        ));
                    }
                    if *code == Error::NotFound(String::new()).code() {
                        self.report.edges_not_found += 1;
                    }
                    self.set_outcome(*i, b'f');
                    self.report.failed += 1;
                    in_flight = None;
                    expected = i + 1;
                }
                Line::Error(msg) => return Err(format!("the child gave up: {msg}")),
            }
            last = Some(line);
        }
        self.report.acked += acked;
        let in_flight_op = in_flight.map(|i| (i, op(self.cfg.seed, i)));
        let at = match (last, &in_flight_op) {
            (None, _) => "before open".to_string(),
            (Some(Line::Opening), _) => {
                self.report.in_open += 1;
                "Database::open".to_string()
            }
            (Some(Line::Db(_)), _) => {
                self.report.in_open += 1;
                "collection open".to_string()
            }
            (_, Some((i, op))) => {
                if op.kind() == Kind::Reopen {
                    self.report.in_open += 1;
                }
                *self.report.in_call.entry(op.kind().name()).or_default() += 1;
                format!("op {i} ({})", op.describe())
            }
            _ => {
                self.report.between_calls += 1;
                "between calls".to_string()
            }
        };
        self.next_op = in_flight.map_or(expected, |i| i + 1);

        // Check, on a copy now and then, so that the next child recovers
        // what the kill left rather than what the parent's close wrote.
        let t_check = Instant::now();
        let disk_bytes = dir_size(&self.cfg.dir);
        let on_copy = self.rng.chance(40);
        let dir = if on_copy {
            let _ = std::fs::remove_dir_all(&self.cfg.probe_dir);
            copy_dir(&self.cfg.dir, &self.cfg.probe_dir)?;
            self.cfg.probe_dir.clone()
        } else {
            self.cfg.dir.clone()
        };
        let (open, applied) = self
            .check(&dir, in_flight_op.as_ref())
            .map_err(|e| format!("after a kill at {at} (plan {plan:?}): {e}"))?;
        if on_copy {
            let _ = std::fs::remove_dir_all(&self.cfg.probe_dir);
        }
        if let (Some((i, _)), Some(a)) = (&in_flight_op, applied) {
            self.set_outcome(*i, if a { b'y' } else { b'n' });
            self.report.in_flight += 1;
            self.report.in_flight_applied += a as u64;
        }
        self.report.open_times.push(open);
        Ok(Kill {
            n,
            plan: plan.name(),
            at,
            in_flight_applied: applied,
            open,
            points: self.model.points.len(),
            acked,
            on_copy,
            child_time,
            check_time: t_check.elapsed(),
            disk_bytes,
        })
    }

    fn set_outcome(&mut self, i: u64, o: u8) {
        let i = i as usize;
        if self.outcome.len() <= i {
            self.outcome.resize(i + 1, b'?');
        }
        self.outcome[i] = o;
    }

    /// Runs a child from op `start`, kills it per `plan`, returns its lines.
    fn run_child(&mut self, start: u64, plan: Plan) -> Result<Vec<Line>, String> {
        let seed = self.cfg.seed;
        let mut cmd = (self.cfg.child)(&self.cfg.dir, seed, start);
        if self.cfg.serial_inserts {
            cmd.env("RAYON_NUM_THREADS", "1");
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawn the child: {e}"))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel::<Result<Line, String>>();
        let reader = std::thread::spawn(move || {
            for raw in BufReader::new(stdout).lines() {
                let Ok(raw) = raw else { break };
                if let Some(l) = parse_line(&raw) {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
            }
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });

        let mut lines = Vec::new();
        let mut problem: Option<String> = None;
        let mut calls = 0u64;
        let mut last_progress = Instant::now();
        loop {
            let left = STALL.saturating_sub(last_progress.elapsed());
            let line = match rx.recv_timeout(left) {
                Ok(Ok(l)) => l,
                Ok(Err(e)) => {
                    problem = Some(e);
                    break;
                }
                Err(RecvTimeoutError::Timeout) => {
                    problem = Some(format!("the child made no progress for {STALL:?}"));
                    break;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    problem = Some("the child exited before it was killed".into());
                    break;
                }
            };
            last_progress = Instant::now();
            if matches!(line, Line::Ack(..) | Line::Fail(..)) {
                calls += 1;
            }
            if let Line::Error(_) = line {
                lines.push(line);
                break;
            }
            let fire = match (&plan, &line) {
                (Plan::InOpen(d), Line::Opening) => Some(*d),
                (Plan::AfterCalls(0, d), Line::Ready(_)) => Some(*d),
                (Plan::AfterCalls(k, d), Line::Ack(..) | Line::Fail(..)) if calls >= *k => Some(*d),
                (Plan::InMaintenance(d), Line::Begin(i))
                    if op_kind(seed, *i).is_maintenance() || calls >= 20 =>
                {
                    Some(*d)
                }
                (Plan::Late(d), Line::Ready(_)) => Some(*d),
                _ => None,
            };
            lines.push(line);
            if let Some(d) = fire {
                if !d.is_zero() {
                    std::thread::sleep(d);
                }
                break;
            }
        }
        let _ = child.kill(); // SIGKILL
        let status = child
            .wait()
            .map_err(|e| format!("wait for the child: {e}"))?;
        reader.join().expect("stdout reader");
        // Lines written before the kill are part of what happened.
        for l in rx.try_iter() {
            match l {
                Ok(l) => lines.push(l),
                Err(e) => problem = problem.or(Some(e)),
            }
        }
        let stderr = err_reader.join().expect("stderr reader");
        if let Some(Line::Error(msg)) = lines.iter().find(|l| matches!(l, Line::Error(_))) {
            problem = Some(format!("the child gave up: {msg}"));
        }
        if problem.is_none() && status.signal() != Some(SIGKILL) {
            problem = Some(format!("the child ended with {status}, not by SIGKILL"));
        }
        match problem {
            None => Ok(lines),
            Some(p) => {
                let tail: Vec<String> = lines
                    .iter()
                    .rev()
                    .take(5)
                    .rev()
                    .map(|l| format!("{l:?}"))
                    .collect();
                Err(format!(
                    "child from op {start} (plan {plan:?}): {p}\nstatus {status}\nlast lines: {}\nchild stderr:\n{stderr}",
                    tail.join(", ")
                ))
            }
        }
    }

    /// Opens `dir` and checks it against the model (plus the op in flight,
    /// which it adopts when applied). Returns the open time and, for a
    /// writing op in flight, whether it was applied.
    fn check(
        &mut self,
        dir: &Path,
        in_flight: Option<&(u64, Op)>,
    ) -> Result<(Duration, Option<bool>), String> {
        let t = Instant::now();
        let created = self.created;
        let opened = || -> Result<(Database, Option<Arc<Collection>>), String> {
            let db = Database::open(dir).map_err(|e| format!("Database::open: {e}"))?;
            match db.collection(COLLECTION) {
                Ok(c) => Ok((db, Some(c))),
                Err(Error::NotFound(_)) if !created => Ok((db, None)),
                Err(e) => Err(format!("collection: {e}")),
            }
        };
        let (db, c) = if self.cfg.serial_inserts {
            self.serial_pool.install(opened)?
        } else {
            opened()?
        };
        let open = t.elapsed();
        let Some(c) = c else {
            return Ok((open, None));
        };
        let exact = !self.legacy;

        // The whole id range, by get_raw.
        let all: Vec<u64> = (0..ID_RANGE).collect();
        let got = c.get_raw(&all).map_err(|e| format!("get_raw: {e}"))?;
        if got.len() != all.len() {
            return Err(format!(
                "get_raw of {} ids returned {}",
                all.len(),
                got.len()
            ));
        }
        // The sparse vectors, by get_sparse of each name and by get (which
        // must agree, and with get_raw on which points exist).
        let mut by_name = Vec::with_capacity(SPARSE_NAMES.len());
        for name in SPARSE_NAMES {
            let v = c
                .get_sparse(&all, name)
                .map_err(|e| format!("get_sparse \"{name}\": {e}"))?;
            if v.len() != all.len() {
                return Err(format!(
                    "get_sparse \"{name}\" of {} ids returned {}",
                    all.len(),
                    v.len()
                ));
            }
            by_name.push(v);
        }
        let points = c.get(&all).map_err(|e| format!("get: {e}"))?;
        if points.len() != all.len() {
            return Err(format!(
                "get of {} ids returned {}",
                all.len(),
                points.len()
            ));
        }
        let mut state = Model::default();
        for (k, (id, (raw, point))) in all.iter().zip(got.into_iter().zip(points)).enumerate() {
            let sparse: Vec<(String, SparseVector)> = SPARSE_NAMES
                .iter()
                .zip(&by_name)
                .filter_map(|(n, col)| col[k].clone().map(|v| (n.to_string(), v)))
                .collect();
            match (raw, point) {
                (Some(raw), Some(point)) => {
                    if raw.id != *id || point.id != *id {
                        return Err(format!(
                            "get_raw / get of id {id} returned point {} / {}",
                            raw.id, point.id
                        ));
                    }
                    if !same_vector(&point.vector, &raw.vector) {
                        return Err(format!(
                            "point {id}: get returns vector {:?}, get_raw {:?}",
                            point.vector, raw.vector
                        ));
                    }
                    if !same_sparse(&point.sparse, &sparse) {
                        return Err(format!(
                            "point {id}: get returns {}, get_sparse {}",
                            show_sparse(&point.sparse),
                            show_sparse(&sparse)
                        ));
                    }
                    state.points.insert(
                        *id,
                        Entry {
                            vector: raw.vector,
                            payload: raw.payload,
                            sparse,
                        },
                    );
                }
                (None, None) if sparse.is_empty() => {}
                (None, None) => {
                    return Err(format!(
                        "point {id} does not exist, but get_sparse returns {}",
                        show_sparse(&sparse)
                    ))
                }
                (raw, point) => {
                    return Err(format!(
                        "point {id}: get_raw finds it: {}, get finds it: {}",
                        raw.is_some(),
                        point.is_some()
                    ))
                }
            }
        }

        // Every edge, by find_edges without a condition: by ascending id,
        // each once, between points.
        let listed = c
            .find_edges(None, None, None)
            .map_err(|e| format!("find_edges: {e}"))?;
        for (k, e) in listed.iter().enumerate() {
            if k > 0 && listed[k - 1].id >= e.id {
                return Err(format!(
                    "find_edges lists edge {} after edge {}, not by ascending id",
                    e.id,
                    listed[k - 1].id
                ));
            }
            if let Some(p) = [e.source, e.target]
                .into_iter()
                .find(|p| !state.points.contains_key(p))
            {
                return Err(format!(
                    "{} joins point {p}, which is not in the collection; the last writes of the edge: {}",
                    show_edge(e),
                    self.edge_history(e.id)
                ));
            }
        }
        state.edges = listed.into_iter().map(|e| (e.id, e)).collect();

        // The model, or the model with the op in flight applied whole.
        let mut applied = None;
        if !same_state(exact, &state, &self.model) {
            let alt = in_flight
                .filter(|(_, op)| {
                    op.writes() && op.expect(self.legacy, &self.model) != Expect::Fail
                })
                .map(|(_, op)| {
                    let mut m = self.model.clone();
                    op.apply(&mut m);
                    m
                });
            match alt {
                Some(m) if same_state(exact, &state, &m) => {
                    self.model = m;
                    applied = Some(true);
                }
                _ => {
                    let flight = in_flight
                        .map(|(i, op)| format!("op {i} ({}) was in flight", op.describe()))
                        .unwrap_or_else(|| "no call was in flight".into());
                    return Err(format!(
                        "the collection is not the acknowledged state ({flight}): {}",
                        self.difference(&state, exact)
                    ));
                }
            }
        } else if in_flight.is_some_and(|(_, op)| op.writes()) {
            applied = Some(false);
        }
        let model = &self.model.points;
        let edges = &self.model.edges;
        if let Some(e) = edges
            .values()
            .find(|e| !model.contains_key(&e.source) || !model.contains_key(&e.target))
        {
            return Err(format!(
                "the torture's model holds {} between points it does not hold",
                show_edge(e)
            ));
        }
        self.report.edges_checked += edges.len() as u64;

        // Edges by count, by id (the whole id range), by end point and
        // label, and the degrees of a few points.
        let n = c.edge_count().map_err(|e| format!("edge_count: {e}"))?;
        if n != edges.len() {
            return Err(format!("edge_count {n}, the model holds {}", edges.len()));
        }
        let ids: Vec<u64> = (0..EDGE_RANGE).collect();
        let got = c.get_edges(&ids).map_err(|e| format!("get_edges: {e}"))?;
        if got.len() != ids.len() {
            return Err(format!(
                "get_edges of {} ids returned {}",
                ids.len(),
                got.len()
            ));
        }
        for (id, g) in ids.iter().zip(&got) {
            let want = edges.get(id);
            let same = match (g, want) {
                (Some(g), Some(w)) => same_edge(g, w),
                (None, None) => true,
                _ => false,
            };
            if !same {
                return Err(format!(
                    "get_edges of edge {id}: {}, the model has {}",
                    g.as_ref().map_or("none".into(), show_edge),
                    want.map_or("none".into(), show_edge)
                ));
            }
        }
        // End points of edges mostly (else any point).
        let ends: Vec<u64> = edges.values().flat_map(|e| [e.source, e.target]).collect();
        let pick_point = |rng: &mut Rng| -> Option<u64> {
            if !ends.is_empty() && rng.chance(80) {
                Some(ends[rng.below(ends.len() as u64) as usize])
            } else if !model.is_empty() {
                model
                    .keys()
                    .nth(rng.below(model.len() as u64) as usize)
                    .copied()
            } else {
                None
            }
        };
        for _ in 0..3 {
            let Some(p) = pick_point(&mut self.rng) else {
                break;
            };
            let label = self.rng.pick(&EDGE_LABELS);
            let want_in = edges.values().filter(|e| e.target == p);
            let want_out = edges.values().filter(|e| e.source == p);
            let want = (want_in.clone().count(), want_out.clone().count());
            let want_label = (
                want_in.clone().filter(|e| e.label == label).count(),
                want_out.clone().filter(|e| e.label == label).count(),
            );
            let got = c.degree(p, None).map_err(|e| format!("degree: {e}"))?;
            let got_label = c
                .degree(p, Some(label))
                .map_err(|e| format!("degree: {e}"))?;
            if got != want || got_label != want_label {
                return Err(format!(
                    "degree of point {p}: (in, out) {got:?}, with label \"{label}\" {got_label:?}; the model has {want:?} and {want_label:?}"
                ));
            }
            let lists = [
                (Some(p), None, None),
                (None, Some(p), None),
                (Some(p), None, Some(label)),
                (None, Some(p), Some(label)),
            ];
            for (source, target, label) in lists {
                let found = c
                    .find_edges(source, target, label)
                    .map_err(|e| format!("find_edges: {e}"))?;
                let want: Vec<&Edge> = edges
                    .values()
                    .filter(|e| {
                        source.is_none_or(|s| e.source == s)
                            && target.is_none_or(|t| e.target == t)
                            && label.is_none_or(|l| e.label == l)
                    })
                    .collect();
                if found.len() != want.len()
                    || !found.iter().zip(&want).all(|(a, b)| same_edge(a, b))
                {
                    return Err(format!(
                        "find_edges(source {source:?}, target {target:?}, label {label:?}): {} edges {:?}, the model has {:?}",
                        found.len(),
                        found.iter().map(|e| e.id).collect::<Vec<_>>(),
                        want.iter().map(|e| e.id).collect::<Vec<_>>()
                    ));
                }
            }
        }
        // Traversals against a walk over the model: breadth first of depth
        // 2 from two points, depth first of depth 3 from one.
        for order in [Order::BreadthFirst, Order::DepthFirst] {
            let starts: Vec<u64> = match order {
                Order::BreadthFirst => (0..2).filter_map(|_| pick_point(&mut self.rng)).collect(),
                Order::DepthFirst => pick_point(&mut self.rng).into_iter().collect(),
            };
            if starts.is_empty() {
                break;
            }
            let r = &mut self.rng;
            let t = Traversal {
                order,
                min_depth: r.below(2) as usize,
                max_depth: if order == Order::BreadthFirst { 2 } else { 3 },
                direction: r.pick(&[Direction::Out, Direction::In, Direction::Both]),
                labels: if r.chance(30) {
                    vec![r.pick(&EDGE_LABELS).to_string()]
                } else {
                    Vec::new()
                },
                limit: if r.chance(20) {
                    r.range(1, 8) as usize
                } else {
                    1000
                },
                ..Traversal::default()
            };
            let want = traverse_model(edges, &starts, &t);
            let got = c
                .traverse(&starts, &t)
                .map_err(|e| format!("traverse: {e}"))?;
            if got != want {
                let at = got
                    .iter()
                    .zip(&want)
                    .position(|(a, b)| a != b)
                    .unwrap_or(got.len().min(want.len()));
                return Err(format!(
                    "traverse from {starts:?} ({t:?}): {} points, the walk over the model {}; first difference at {at}: {:?}, want {:?}",
                    got.len(),
                    want.len(),
                    got.get(at),
                    want.get(at)
                ));
            }
            self.report.traversals += 1;
            self.report.traversal_visits += got.len() as u64;
        }

        // Counts and listing.
        let count = c.count().map_err(|e| format!("count: {e}"))?;
        if count != model.len() {
            return Err(format!("count {count}, the model holds {}", model.len()));
        }
        let page = c
            .scroll(None, (2 * ID_RANGE) as usize, None)
            .map_err(|e| format!("scroll: {e}"))?;
        if page.next.is_some() || !page.ids.iter().copied().eq(model.keys().copied()) {
            return Err(format!(
                "scroll lists {} ids (next {:?}), the model holds {}",
                page.ids.len(),
                page.next,
                model.len()
            ));
        }
        // Filters on the indexed tag (the index, when it exists, must agree
        // with the payloads), by count and by scroll.
        for tag in 0..=TAGS {
            let f = if tag == TAGS {
                Filter::is_empty("qv_tag")
            } else {
                Filter::eq("qv_tag", tag)
            };
            let want: Vec<u64> = model
                .iter()
                .filter(|(id, e)| f.matches_point(**id, parsed(e).as_ref()))
                .map(|(id, _)| *id)
                .collect();
            let n = c
                .count_where(Some(&f))
                .map_err(|e| format!("count_where: {e}"))?;
            let ids = c
                .scroll(None, (2 * ID_RANGE) as usize, Some(&f))
                .map_err(|e| format!("scroll: {e}"))?
                .ids;
            if n != want.len() || ids != want {
                return Err(format!(
                    "{f}: count_where {n}, scroll {} ids, the model has {}",
                    ids.len(),
                    want.len()
                ));
            }
        }
        // Text conditions and text searches on the text-indexed field find
        // the points of the model (the default analyzer on both sides); the
        // index may not exist yet after a kill that came first.
        let indexed = c
            .field_indexes()
            .map_err(|e| format!("field_indexes: {e}"))?
            .iter()
            .any(|i| i.kind == FieldKind::Text && i.field == TEXT_FIELD);
        for q in TEXT_QUERIES {
            for mode in [TextMode::All, TextMode::Any, TextMode::Phrase] {
                let f = Filter::text_match(TEXT_FIELD, q, mode);
                let want: Vec<u64> = model
                    .iter()
                    .filter(|(id, e)| f.matches_point(**id, parsed(e).as_ref()))
                    .map(|(id, _)| *id)
                    .collect();
                let n = c
                    .count_where(Some(&f))
                    .map_err(|e| format!("count_where: {e}"))?;
                let mut found: Vec<u64> = if indexed {
                    c.text_search(&TextQuery {
                        mode,
                        ..TextQuery::new(q, TEXT_FIELD, (2 * ID_RANGE) as usize)
                    })
                    .map_err(|e| format!("text_search: {e}"))?
                    .iter()
                    .map(|h| h.id)
                    .collect()
                } else {
                    want.clone()
                };
                found.sort_unstable();
                if n != want.len() || found != want {
                    return Err(format!(
                        "{f}: count_where {n}, text_search {} ids, the model has {}",
                        found.len(),
                        want.len()
                    ));
                }
            }
        }
        // Sparse searches against a brute-force dot product over the model:
        // one with k past the id range, one with a filter on the indexed
        // tag, one with a small k (the sealed segments' pruning at work);
        // now and then of a name no point carries.
        for q in 0..3 {
            let name = if self.rng.chance(5) {
                "u"
            } else {
                self.rng.pick(&SPARSE_NAMES)
            };
            let vector = random_sparse(&mut self.rng);
            let filter = (q == 1).then(|| Filter::eq("qv_tag", self.rng.below(TAGS)));
            let k = if q == 2 {
                self.rng.range(1, 20) as usize
            } else {
                (2 * ID_RANGE) as usize
            };
            let want = sparse_brute(model, name, &vector, filter.as_ref(), k);
            let query = SparseQuery {
                filter: filter.clone(),
                ..SparseQuery::new(name, vector.clone(), k)
            };
            let found: Vec<(u64, u32)> = c
                .sparse_search(&query)
                .map_err(|e| format!("sparse_search: {e}"))?
                .iter()
                .map(|h| (h.id, h.score.to_bits()))
                .collect();
            if found != want {
                let at = found
                    .iter()
                    .zip(&want)
                    .position(|(a, b)| a != b)
                    .unwrap_or(found.len().min(want.len()));
                let show = |h: Option<&(u64, u32)>| match h {
                    Some((id, bits)) => format!("id {id} score {:?}", f32::from_bits(*bits)),
                    None => "nothing".into(),
                };
                return Err(format!(
                    "sparse_search of \"{name}\" with {} (sorted {}), k {k}, filter {}: {} hits, brute force over the model {}; first difference at rank {at}: found {}, want {}",
                    show_sparse(&[(name.to_string(), vector.clone())]),
                    show_sparse(&[(name.to_string(), sorted_sparse(&vector))]),
                    filter.map_or("none".to_string(), |f| f.to_string()),
                    found.len(),
                    want.len(),
                    show(found.get(at)),
                    show(want.get(at)),
                ));
            }
            self.report.sparse_searches += 1;
            self.report.sparse_hits += found.len() as u64;
        }
        let stats = c.stats().map_err(|e| format!("stats: {e}"))?;
        if stats.live_points != model.len() as u64 || stats.edges != edges.len() as u64 {
            return Err(format!(
                "stats: live_points {}, edges {}; the model holds {} and {}",
                stats.live_points,
                stats.edges,
                model.len(),
                edges.len()
            ));
        }

        // Every point is found by a graph search with its own vector, and
        // no search returns a point that is not there.
        if !model.is_empty() {
            let k = self.rng.range(1, 10) as usize;
            let params = SearchParams::new(k)
                .ef(SEARCH_EF.max(k))
                .exact(false)
                .with_payload(false);
            let flat: Vec<f32> = model.values().flat_map(|e| e.vector.clone()).collect();
            let res = c
                .search_batch(&flat, &params)
                .map_err(|e| format!("search_batch: {e}"))?;
            if res.len() != model.len() {
                return Err(format!(
                    "search_batch of {} queries returned {}",
                    model.len(),
                    res.len()
                ));
            }
            let mut unreachable = Vec::new();
            for ((id, e), hits) in model.iter().zip(&res) {
                if let Some(h) = hits.iter().find(|h| !model.contains_key(&h.id)) {
                    return Err(format!(
                        "search with the vector of {id} returned id {}, which is not in the collection",
                        h.id
                    ));
                }
                if hits.iter().any(|h| h.id == *id && h.score == 0.0) {
                    continue;
                }
                let wide = c
                    .search(
                        &e.vector,
                        &SearchParams::new(10).ef(512).with_payload(false),
                    )
                    .map_err(|e| format!("search: {e}"))?;
                if wide.iter().any(|h| h.id == *id && h.score == 0.0) {
                    self.report.search_retries += 1;
                    continue;
                }
                // Not reachable in the graph: the point must be there for an
                // exact search, and such points must stay rare.
                let exact_hits = c
                    .search(
                        &e.vector,
                        &SearchParams::new(1).exact(true).with_payload(false),
                    )
                    .map_err(|e| format!("exact search: {e}"))?;
                if exact_hits.first().map(|h| (h.id, h.score)) != Some((*id, 0.0)) {
                    return Err(format!(
                        "an exact search with the vector of point {id} does not find it: {exact_hits:?}"
                    ));
                }
                unreachable.push(*id);
            }
            self.report.self_searches += model.len() as u64;
            self.report.unreachable += unreachable.len() as u64;
            let tolerance = if self.cfg.serial_inserts {
                0.0
            } else {
                MAX_UNREACHABLE_PARALLEL
            };
            let allowed = (model.len() as f64 * tolerance).floor() as usize;
            if unreachable.len() > allowed {
                return Err(format!(
                    "{} of {} points are not found by a graph search with their own vector (k {k}, ef {SEARCH_EF}, then k 10, ef 512), more than {allowed}: {unreachable:?}",
                    unreachable.len(),
                    model.len()
                ));
            }
            let total_allowed = (self.report.self_searches as f64 * tolerance).floor() as u64;
            if self.report.unreachable > total_allowed {
                return Err(format!(
                    "{} of {} self-searches so far did not find the point (more than {total_allowed}); now: {unreachable:?}",
                    self.report.unreachable, self.report.self_searches
                ));
            }

            // Payloads through search_batch_raw, for a sample.
            let sample: Vec<(&u64, &Entry)> =
                model.iter().step_by((model.len() / 16).max(1)).collect();
            let flat: Vec<f32> = sample.iter().flat_map(|(_, e)| e.vector.clone()).collect();
            let res = c
                .search_batch_raw(
                    &flat,
                    &SearchParams::new(1).ef(SEARCH_EF).with_payload(true),
                )
                .map_err(|e| format!("search_batch_raw: {e}"))?;
            for ((id, e), hits) in sample.iter().zip(&res) {
                if let Some(h) = hits.first().filter(|h| h.id == **id) {
                    if !same_payload(exact, h.payload.as_deref(), e.payload.as_deref()) {
                        return Err(format!(
                            "search_batch_raw: point {id} has payload {}, written {}",
                            show_payload(h.payload.as_deref()),
                            show_payload(e.payload.as_deref())
                        ));
                    }
                }
            }
        }
        c.verify().map_err(|e| format!("verify: {e}"))?;
        drop(c);
        db.close().map_err(|e| format!("close: {e}"))?;
        Ok((open, applied))
    }

    /// The first difference between `state` and the model, with which op
    /// wrote what the collection holds.
    fn difference(&self, state: &Model, exact: bool) -> String {
        let (state, edges) = (&state.points, &state.edges);
        for (id, want) in &self.model.points {
            match state.get(id) {
                None => {
                    return format!(
                        "point {id} is missing ({} points, the model holds {}); the model's was written by {}",
                        state.len(),
                        self.model.points.len(),
                        self.origin(*id, &want.vector)
                    )
                }
                Some(got)
                    if same_vector(&got.vector, &want.vector)
                        && same_payload(exact, got.payload.as_deref(), want.payload.as_deref())
                        && !same_sparse(&got.sparse, &want.sparse) =>
                {
                    return format!(
                        "point {id}'s sparse vectors differ:\n  holds   {}\n  model   {}\n  the last writes of the point: {}",
                        show_sparse(&got.sparse),
                        show_sparse(&want.sparse),
                        self.sparse_history(*id)
                    )
                }
                Some(got) if !same_entry(exact, got, want) => {
                    return format!(
                        "point {id} differs:\n  holds   {:?}, {} — written by {}\n  model   {:?}, {} — written by {}",
                        got.vector,
                        show_payload(got.payload.as_deref()),
                        self.origin(*id, &got.vector),
                        want.vector,
                        show_payload(want.payload.as_deref()),
                        self.origin(*id, &want.vector)
                    )
                }
                Some(_) => {}
            }
        }
        for (id, got) in state {
            if !self.model.points.contains_key(id) {
                return format!(
                    "point {id} should not be there ({} points, the model holds {}); it was written by {}",
                    state.len(),
                    self.model.points.len(),
                    self.origin(*id, &got.vector)
                );
            }
        }
        let ids: std::collections::BTreeSet<u64> = edges
            .keys()
            .chain(self.model.edges.keys())
            .copied()
            .collect();
        for id in ids {
            let (got, want) = (edges.get(&id), self.model.edges.get(&id));
            let same = match (got, want) {
                (Some(g), Some(w)) => same_edge(g, w),
                (None, None) => true,
                _ => false,
            };
            if !same {
                return format!(
                    "edge {id} differs ({} edges, the model holds {}):\n  holds   {}\n  model   {}\n  the last writes of the edge: {}",
                    edges.len(),
                    self.model.edges.len(),
                    got.map_or("none".into(), show_edge),
                    want.map_or("none".into(), show_edge),
                    self.edge_history(id)
                );
            }
        }
        "no difference (payload comparison?)".into()
    }

    /// The last few ops of this database that wrote edge `id` or deleted
    /// one of its end points (as the model has it), newest first, with
    /// what became of them.
    fn edge_history(&self, id: u64) -> String {
        let ends: Vec<u64> = self
            .model
            .edges
            .get(&id)
            .map(|e| vec![e.source, e.target])
            .unwrap_or_default();
        let mut out = Vec::new();
        for i in (self.epoch_start..self.next_op).rev() {
            let o = op(self.cfg.seed, i);
            let did = match &o {
                Op::AddEdges { edges, .. } => edges
                    .iter()
                    .rposition(|e| e.id == id)
                    .map(|j| format!("writes {}", show_edge(&edges[j]))),
                Op::RemoveEdges(ids) => ids.contains(&id).then(|| "removes it".to_string()),
                Op::Delete(ids) => ids
                    .iter()
                    .find(|p| ends.contains(p))
                    .map(|p| format!("deletes its end point {p}")),
                Op::DeleteWhere(_) => Some("deletes by filter".to_string()),
                _ => None,
            };
            if let Some(did) = did {
                out.push(format!(
                    "op {i} ({}, {}): {did}",
                    o.describe(),
                    self.outcome_of(i)
                ));
                if out.len() == 5 {
                    break;
                }
            }
        }
        if out.is_empty() {
            "none".into()
        } else {
            out.join("; ")
        }
    }

    /// The last few ops of this database before op `upto` that wrote or
    /// deleted point `id`, newest first, with what became of them.
    fn point_history(&self, id: u64, upto: u64) -> String {
        let mut out = Vec::new();
        for i in (self.epoch_start..upto).rev() {
            let o = op(self.cfg.seed, i);
            let hit = match &o {
                Op::Upsert { ids, .. } | Op::Delete(ids) => ids.contains(&id),
                Op::DeleteWhere(_) => true,
                _ => false,
            };
            if hit {
                out.push(format!("op {i} ({}, {})", o.describe(), self.outcome_of(i)));
                if out.len() == 4 {
                    break;
                }
            }
        }
        if out.is_empty() {
            "none".into()
        } else {
            out.join("; ")
        }
    }

    /// What became of op `i`.
    fn outcome_of(&self, i: u64) -> &'static str {
        match self.outcome.get(i as usize) {
            Some(b'a') => "acknowledged",
            Some(b'f') => "FAILED",
            Some(b'y') => "in flight, applied",
            Some(b'n') => "in flight, not applied",
            _ => "in flight at this kill",
        }
    }

    /// The last few ops that wrote `id` (upserts, sparse updates,
    /// deletes), newest first, with what became of them and what they gave
    /// the point.
    fn sparse_history(&self, id: u64) -> String {
        let mut out = Vec::new();
        for i in (self.epoch_start..self.next_op).rev() {
            let o = op(self.cfg.seed, i);
            let gave = match &o {
                Op::Upsert { ids, sparse, .. } => ids
                    .iter()
                    .rposition(|x| *x == id)
                    .map(|j| show_sparse(&stored_sparse(&sparse[j]))),
                Op::UpdateSparse { ids, name, vectors } => {
                    ids.iter().rposition(|x| *x == id).map(|j| {
                        match vectors[j].as_ref().filter(|v| !v.is_empty()) {
                            Some(v) => show_sparse(&[(name.to_string(), sorted_sparse(v))]),
                            None => format!("removes \"{name}\""),
                        }
                    })
                }
                Op::Delete(ids) => ids.contains(&id).then(|| "deletes it".to_string()),
                _ => None,
            };
            if let Some(gave) = gave {
                out.push(format!(
                    "op {i} ({}, {}): {gave}",
                    o.describe(),
                    self.outcome_of(i)
                ));
                if out.len() == 4 {
                    break;
                }
            }
        }
        if out.is_empty() {
            "none".into()
        } else {
            out.join("; ")
        }
    }

    /// Which op wrote `vector` for `id`, and what became of it.
    fn origin(&self, id: u64, vector: &[f32]) -> String {
        for i in (self.epoch_start..self.next_op).rev() {
            if let Op::Upsert { ids, vectors, .. } = op(self.cfg.seed, i) {
                let hit = ids.iter().enumerate().any(|(j, x)| {
                    *x == id && same_vector(&vectors[j * DIM..(j + 1) * DIM], vector)
                });
                if hit {
                    let what = self.outcome_of(i);
                    let deleted_after = (i + 1..self.next_op).find(|&d| {
                        matches!(op(self.cfg.seed, d), Op::Delete(ref ids) if ids.contains(&id))
                            && self.outcome.get(d as usize) == Some(&b'a')
                    });
                    return format!(
                        "op {i} ({}, {what}){}",
                        op(self.cfg.seed, i).describe(),
                        deleted_after
                            .map(|d| format!(", deleted by acknowledged op {d}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        "no op".into()
    }
}

/// Bytes of the regular files under `dir`.
pub fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

/// Copies a directory tree (regular files and directories).
pub fn copy_dir(src: &Path, dst: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dst).map_err(|e| format!("create {}: {e}", dst.display()))?;
    let entries = std::fs::read_dir(src).map_err(|e| format!("read {}: {e}", src.display()))?;
    for e in entries {
        let e = e.map_err(|e| format!("read {}: {e}", src.display()))?;
        let to = dst.join(e.file_name());
        let ty = e.file_type().map_err(|e| format!("file type: {e}"))?;
        if ty.is_dir() {
            copy_dir(&e.path(), &to)?;
        } else if ty.is_file() {
            std::fs::copy(e.path(), &to)
                .map_err(|err| format!("copy {}: {err}", e.path().display()))?;
        }
    }
    Ok(())
}
