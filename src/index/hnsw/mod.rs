//! Our HNSW graph (Malkov & Yashunin, 2016).
//!
//! Storage is flat: layer 0 is one `u32` array with `1 + 2m` entries per node
//! (a count, then the neighbours); a node on higher layers has one more array
//! with `1 + m` entries per extra layer. Entries are atomics so that searches
//! read the graph without locks while inserts (parallel, one lock per node
//! being relinked) change it: a writer stores the neighbours first and the
//! count last, a reader loads the count and then the neighbours, so a reader
//! always sees valid node ids. A node's vector is written before the node is
//! linked anywhere, and every link is stored with release and loaded with
//! acquire ordering (plain moves on x86), so whoever reads a link to a node
//! also sees that node's vector.
//!
//! Nodes are never removed: a deleted point stays in the graph as a waypoint
//! (searches walk through it but do not return it), which keeps the graph
//! navigable however many points are deleted.

mod insert;
mod persist;
mod search;
#[cfg(test)]
mod tests;

pub use search::{Exact, Near, Scorer};

use crate::distance::DistanceFn;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::OnceLock;

/// Where the graph reads vectors from: one vector per node id.
pub trait Vectors: Sync {
    /// The vector of node `id`; `id` is below the graph's capacity and was
    /// written before it was linked.
    fn vector(&self, id: u32) -> &[f32];
    /// A hint that `id`'s vector will be read soon.
    #[inline]
    fn prefetch(&self, _id: u32) {}
}

/// A hint that the two cache lines at `p` will be read soon (a no-op off
/// x86_64). Any address is fine: a prefetch never faults.
#[inline]
pub fn prefetch_two_lines(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetch is a hint and never faults, whatever the address.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch(p.cast(), _MM_HINT_T0);
        _mm_prefetch(p.wrapping_add(64).cast(), _MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// A hint that the `len` bytes from `p` will be read soon: every cache
/// line of them, two at a time. Any address is fine, as for
/// [`prefetch_two_lines`].
#[inline]
pub fn prefetch_bytes(p: *const u8, len: usize) {
    for off in (0..len).step_by(128) {
        prefetch_two_lines(p.wrapping_add(off));
    }
}

/// Highest layer a node may get.
pub const MAX_LEVEL: usize = 24;
const NO_ENTRY: u64 = u64::MAX;

/// Graph parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Links per node on layers above 0.
    pub m: usize,
    /// Candidate list size while inserting.
    pub ef_construction: usize,
}

/// A hierarchical navigable small-world graph over node ids `0..capacity`.
pub struct Hnsw {
    params: Params,
    m0: usize,
    dist: DistanceFn,
    capacity: usize,
    level0: Vec<AtomicU32>,
    levels: Vec<AtomicU8>,
    upper: Vec<OnceLock<Box<[AtomicU32]>>>,
    locks: Vec<Mutex<()>>,
    /// `level << 32 | node`, or `NO_ENTRY`.
    entry: AtomicU64,
    entry_lock: Mutex<()>,
    seed: u64,
}

impl Hnsw {
    /// An empty graph with room for `capacity` nodes.
    pub fn new(params: Params, dist: DistanceFn, capacity: usize) -> Hnsw {
        let mut h = Hnsw {
            params,
            m0: params.m * 2,
            dist,
            capacity: 0,
            level0: Vec::new(),
            levels: Vec::new(),
            upper: Vec::new(),
            locks: Vec::new(),
            entry: AtomicU64::new(NO_ENTRY),
            entry_lock: Mutex::new(()),
            seed: 0x9E37_79B9_7F4A_7C15,
        };
        h.grow(capacity);
        h
    }

    /// Parameters of this graph.
    pub fn params(&self) -> Params {
        self.params
    }

    /// Heap bytes the graph holds.
    pub fn ram_bytes(&self) -> u64 {
        let upper: usize = self
            .upper
            .iter()
            .filter_map(|u| u.get())
            .map(|b| b.len() * 4)
            .sum();
        (self.level0.capacity() * 4
            + self.levels.capacity()
            + self.upper.capacity() * std::mem::size_of::<OnceLock<Box<[AtomicU32]>>>()
            + self.locks.capacity() * std::mem::size_of::<Mutex<()>>()
            + upper) as u64
    }

    /// Number of node ids the graph has room for.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Makes room for node ids up to `capacity` (needs exclusive access).
    pub fn grow(&mut self, capacity: usize) {
        if capacity <= self.capacity {
            return;
        }
        self.level0
            .resize_with(capacity * (self.m0 + 1), || AtomicU32::new(0));
        self.levels.resize_with(capacity, || AtomicU8::new(0));
        self.upper.resize_with(capacity, OnceLock::new);
        self.locks.resize_with(capacity, || Mutex::new(()));
        self.capacity = capacity;
    }

    /// The entry point and the top layer, if the graph has a node.
    #[inline]
    pub fn entry(&self) -> Option<(u32, usize)> {
        let e = self.entry.load(Ordering::Acquire);
        (e != NO_ENTRY).then_some((e as u32, (e >> 32) as usize))
    }

    fn set_entry(&self, node: u32, level: usize) {
        self.entry
            .store(((level as u64) << 32) | node as u64, Ordering::Release);
    }

    /// The layer count of `node` minus one (0 for a layer-0-only node).
    #[inline]
    pub fn level(&self, node: u32) -> usize {
        self.levels[node as usize].load(Ordering::Acquire) as usize
    }

    #[inline]
    fn max_links(&self, level: usize) -> usize {
        if level == 0 {
            self.m0
        } else {
            self.params.m
        }
    }

    /// The link list of `node` on `level`: `[count, n1, n2, ...]`.
    #[inline]
    fn links(&self, node: u32, level: usize) -> &[AtomicU32] {
        if level == 0 {
            let w = self.m0 + 1;
            let start = node as usize * w;
            &self.level0[start..start + w]
        } else {
            let w = self.params.m + 1;
            match self.upper[node as usize].get() {
                Some(u) if u.len() >= level * w => &u[(level - 1) * w..level * w],
                _ => &[],
            }
        }
    }

    /// A hint that `node`'s layer-0 links will be read soon.
    #[inline]
    pub(super) fn prefetch_links(&self, node: u32) {
        prefetch_two_lines(
            self.level0
                .as_ptr()
                .wrapping_add(node as usize * (self.m0 + 1))
                .cast(),
        );
    }

    /// Reads the neighbours of `node` on `level` into `out` (cleared first).
    #[inline]
    pub fn neighbours(&self, node: u32, level: usize, out: &mut Vec<u32>) {
        out.clear();
        let l = self.links(node, level);
        if l.is_empty() {
            return;
        }
        let n = (l[0].load(Ordering::Acquire) as usize).min(l.len() - 1);
        out.extend(l[1..=n].iter().map(|a| a.load(Ordering::Acquire)));
    }

    /// Deterministic random layer for `node`: floor(-ln(U) / ln(m)).
    fn random_level(&self, node: u32) -> usize {
        // splitmix64 of (seed, node): uniform 53-bit fraction in (0, 1].
        let mut z = self
            .seed
            .wrapping_add((node as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let u = ((z >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        let ml = 1.0 / (self.params.m as f64).ln();
        ((-u.ln() * ml) as usize).min(MAX_LEVEL)
    }
}
