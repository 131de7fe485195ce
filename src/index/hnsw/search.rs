//! Searching the graph: per-thread reusable scratch, greedy descent through
//! the upper layers and the best-first search of one layer.

use super::{Hnsw, Vectors};
use crate::distance::DistanceFn;
use std::cell::RefCell;
use std::cmp::{Ordering as CmpOrdering, Reverse};
use std::collections::BinaryHeap;
use std::sync::atomic::Ordering;

/// A node and its distance to the query; ordered by distance, then id.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Near {
    /// Distance to the query (lower is closer).
    pub dist: f32,
    /// Node id.
    pub id: u32,
}

impl Eq for Near {}

impl PartialOrd for Near {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for Near {
    fn cmp(&self, other: &Self) -> CmpOrdering {
        self.dist
            .total_cmp(&other.dist)
            .then(self.id.cmp(&other.id))
    }
}

/// What a graph walk scores nodes with: the distance of node `id` to the
/// query it was made for (exact on the vectors, or estimated on codes).
pub trait Scorer {
    /// Distance of node `id` to the query (lower is closer).
    fn dist(&self, id: u32) -> f32;
    /// A hint that node `id` will be scored soon.
    #[inline]
    fn prefetch(&self, _id: u32) {}
}

/// Exact distances to `q` on the vectors of `vs`.
pub struct Exact<'a, V: Vectors> {
    /// The vectors.
    pub vs: &'a V,
    /// The query.
    pub q: &'a [f32],
    /// The metric's distance.
    pub dist: DistanceFn,
}

impl<V: Vectors> Scorer for Exact<'_, V> {
    #[inline]
    fn dist(&self, id: u32) -> f32 {
        (self.dist)(self.q, self.vs.vector(id))
    }
    #[inline]
    fn prefetch(&self, id: u32) {
        self.vs.prefetch(id);
    }
}

/// Vectors asked for ahead of the one being scored.
const AHEAD: usize = 4;

/// Reusable per-thread search state: no allocation per visited node.
pub(super) struct Scratch {
    visited: Vec<u32>,
    epoch: u32,
    pool: Pool,
    pub(super) candidates: BinaryHeap<Reverse<Near>>,
    pub(super) results: BinaryHeap<Near>,
    pub(super) links: Vec<u32>,
}

impl Scratch {
    fn new() -> Self {
        Scratch {
            visited: Vec::new(),
            epoch: 0,
            pool: Pool::default(),
            candidates: BinaryHeap::new(),
            results: BinaryHeap::new(),
            links: Vec::new(),
        }
    }

    /// Starts a new search over `capacity` node ids: forgets every visit.
    fn reset(&mut self, capacity: usize) {
        if self.visited.len() < capacity {
            self.visited.resize(capacity, 0);
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.visited.iter_mut().for_each(|v| *v = 0);
            self.epoch = 1;
        }
        self.candidates.clear();
        self.results.clear();
    }

    /// Starts a layer search over `capacity` node ids from `start` (a result
    /// too when `keep`); returns the bound `offer` takes.
    fn begin(&mut self, capacity: usize, start: Near, keep: bool) -> f32 {
        self.reset(capacity);
        self.visit(start.id);
        if keep {
            self.results.push(start);
        }
        self.candidates.push(Reverse(start));
        if keep {
            start.dist
        } else {
            f32::INFINITY
        }
    }

    /// Takes node `near` (at distance `near.dist`) into the walk if it can
    /// still be among the `ef` best: as a candidate to expand, and as a
    /// result when `keep` (it passes the filter). `lower` is the worst
    /// result's distance once there are `ef`.
    #[inline]
    fn offer(&mut self, near: Near, ef: usize, lower: &mut f32, keep: bool) {
        if self.results.len() < ef || near.dist < *lower {
            self.candidates.push(Reverse(near));
            if keep {
                self.results.push(near);
                if self.results.len() > ef {
                    self.results.pop();
                }
            }
            if let Some(w) = self.results.peek() {
                *lower = w.dist;
            }
        }
    }

    /// The `k` best results, closest first (the results are drained).
    fn best(&mut self, k: usize) -> Vec<Near> {
        let mut out: Vec<Near> = self.results.drain().collect();
        out.sort_unstable();
        out.truncate(k);
        out
    }

    /// Whether `id` was visited.
    #[inline]
    fn seen(&self, id: u32) -> bool {
        self.visited[id as usize] == self.epoch
    }

    /// Marks `id` visited; returns false if it already was.
    #[inline]
    fn visit(&mut self, id: u32) -> bool {
        let slot = &mut self.visited[id as usize];
        if *slot == self.epoch {
            false
        } else {
            *slot = self.epoch;
            true
        }
    }
}

/// One entry of a [`Pool`].
#[derive(Clone, Copy)]
struct Entry {
    near: Near,
    expanded: bool,
}

/// The walk's candidates and results in one list, as NSG and DiskANN keep
/// them: the `cap` closest nodes seen so far, sorted, each marked once
/// expanded. A walk expands the closest unexpanded entry until every entry
/// is expanded; a node farther than the `cap`-th is never kept. For a walk
/// in which every node is a result this is the HNSW layer search (whose
/// candidate heap holds nodes it will discard unexpanded once the results
/// bound passes them) with one small sorted array instead of two heaps.
#[derive(Default)]
struct Pool {
    items: Vec<Entry>,
    cap: usize,
    /// No unexpanded entry before this index.
    cursor: usize,
}

impl Pool {
    fn reset(&mut self, cap: usize) {
        self.items.clear();
        self.items.reserve(cap + 1);
        self.cap = cap;
        self.cursor = 0;
    }

    /// Keeps `near` if it is among the `cap` closest, in the total order of
    /// [`Near`] (distance by `total_cmp`, then id), so that any distance,
    /// infinite or NaN, has its place.
    #[inline]
    fn insert(&mut self, near: Near) {
        if self.items.len() == self.cap {
            match self.items.last() {
                Some(last) if near < last.near => {
                    self.items.pop();
                }
                _ => return,
            }
        }
        // At most `len` (a full pool lost its last entry above).
        let at = self.items.partition_point(|e| e.near <= near);
        self.items.insert(
            at,
            Entry {
                near,
                expanded: false,
            },
        );
        self.cursor = self.cursor.min(at);
    }

    /// The closest unexpanded entry, now marked expanded.
    #[inline]
    fn next(&mut self) -> Option<Near> {
        while let Some(e) = self.items.get_mut(self.cursor) {
            self.cursor += 1;
            if !e.expanded {
                e.expanded = true;
                return Some(e.near);
            }
        }
        None
    }

    /// The closest unexpanded entry after `next`, if any (for prefetching).
    #[inline]
    fn peek(&self) -> Option<Near> {
        self.items[self.cursor.min(self.items.len())..]
            .iter()
            .find(|e| !e.expanded)
            .map(|e| e.near)
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
}

/// Runs `f` with this thread's scratch.
pub(super) fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut s) => f(&mut s),
        // Re-entered on this thread (cannot happen through the engine's own
        // calls): fall back to a fresh scratch rather than fail.
        Err(_) => f(&mut Scratch::new()),
    })
}

impl Hnsw {
    /// Greedy walk on `level` from `cur` towards `q` (beam width 1).
    #[inline]
    pub(super) fn greedy<S: Scorer>(
        &self,
        sc: &S,
        cur: &mut Near,
        level: usize,
        links: &mut Vec<u32>,
    ) {
        let mut changed = true;
        while changed {
            changed = false;
            self.neighbours(cur.id, level, links);
            for &n in links.iter() {
                let d = sc.dist(n);
                if d < cur.dist {
                    *cur = Near { dist: d, id: n };
                    changed = true;
                }
            }
        }
    }

    /// Best-first search of one layer from `start`, keeping the `ef` closest
    /// accepted nodes in `s.results` (a max-heap). Nodes `accept` rejects are
    /// walked through but not kept; the search goes on until `ef` nodes are
    /// kept or the reachable graph is exhausted.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn search_layer<S: Scorer, F: Fn(u32) -> bool>(
        &self,
        sc: &S,
        start: Near,
        ef: usize,
        level: usize,
        s: &mut Scratch,
        accept: &F,
    ) {
        let mut lower = s.begin(self.capacity, start, accept(start.id));
        let mut fresh = std::mem::take(&mut s.links);
        while let Some(Reverse(c)) = s.candidates.pop() {
            if c.dist > lower && s.results.len() >= ef {
                break;
            }
            // The next candidate's links are read after this one's
            // neighbours are scored: ask for them now.
            if level == 0 {
                if let Some(Reverse(next)) = s.candidates.peek() {
                    self.prefetch_links(next.id);
                }
            }
            self.expand(sc, c.id, level, s, &mut fresh, |s, near| {
                s.offer(near, ef, &mut lower, accept(near.id))
            });
        }
        s.links = fresh;
    }

    /// Scores the neighbours of `node` on `level` that were not visited yet
    /// (marking them visited), their vectors or codes asked for `AHEAD` at
    /// a time so that the loads overlap, and hands each to `take`. `fresh`
    /// is scratch for their ids.
    #[inline]
    fn expand<S: Scorer>(
        &self,
        sc: &S,
        node: u32,
        level: usize,
        s: &mut Scratch,
        fresh: &mut Vec<u32>,
        mut take: impl FnMut(&mut Scratch, Near),
    ) {
        let l = self.links(node, level);
        if l.is_empty() {
            return;
        }
        let count = (l[0].load(Ordering::Acquire) as usize).min(l.len() - 1);
        fresh.clear();
        for a in &l[1..=count] {
            let n = a.load(Ordering::Acquire);
            if s.visit(n) {
                fresh.push(n);
            }
        }
        for &n in fresh.iter().take(AHEAD) {
            sc.prefetch(n);
        }
        for (j, &n) in fresh.iter().enumerate() {
            if let Some(&next) = fresh.get(j + AHEAD) {
                sc.prefetch(next);
            }
            take(
                s,
                Near {
                    dist: sc.dist(n),
                    id: n,
                },
            );
        }
    }

    /// Greedy descent from the entry point `ep` through layers `top` down
    /// to 1: the start of the layer-0 search.
    fn descend<S: Scorer>(&self, sc: &S, ep: u32, top: usize, s: &mut Scratch) -> Near {
        let mut cur = Near {
            dist: sc.dist(ep),
            id: ep,
        };
        let mut links = std::mem::take(&mut s.links);
        for level in (1..=top).rev() {
            self.greedy(sc, &mut cur, level, &mut links);
        }
        s.links = links;
        cur
    }

    /// Like [`Hnsw::search`] for a filter that admits a minority of the
    /// nodes, cheaply decided (a bitset): on layer 0, distances are
    /// computed only for admitted nodes, and a rejected neighbour is looked
    /// through to its own neighbours (two hops, as ACORN does), so the walk
    /// keeps its connectivity when most neighbours are filtered out without
    /// paying a distance for each of them. At most `2m` admitted nodes are
    /// taken per expanded node. May return fewer than `k` when the admitted
    /// nodes are too sparse to reach; the caller then scans them exactly.
    pub fn search_two_hop<S: Scorer, F: Fn(u32) -> bool>(
        &self,
        sc: &S,
        k: usize,
        ef: usize,
        accept: F,
    ) -> Vec<Near> {
        let Some((ep, top)) = self.entry() else {
            return Vec::new();
        };
        let ef = ef.max(k);
        with_scratch(|s| {
            let cur = self.descend(sc, ep, top, s);
            let mut links = std::mem::take(&mut s.links);
            let mut lower = s.begin(self.capacity, cur, accept(cur.id));
            let limit = self.m0;
            while let Some(Reverse(c)) = s.candidates.pop() {
                if c.dist > lower && s.results.len() >= ef {
                    break;
                }
                links.clear();
                let l = self.links(c.id, 0);
                if l.is_empty() {
                    continue;
                }
                let count = (l[0].load(Ordering::Acquire) as usize).min(l.len() - 1);
                // The link lists of the rejected neighbours are read next:
                // their loads overlap.
                for a in &l[1..=count] {
                    let n = a.load(Ordering::Relaxed);
                    if !s.seen(n) && !accept(n) {
                        self.prefetch_links(n);
                    }
                }
                'gather: for a in &l[1..=count] {
                    let n = a.load(Ordering::Acquire);
                    if !s.visit(n) {
                        continue;
                    }
                    if accept(n) {
                        links.push(n);
                    } else {
                        let l2 = self.links(n, 0);
                        if l2.is_empty() {
                            continue;
                        }
                        let c2 = (l2[0].load(Ordering::Acquire) as usize).min(l2.len() - 1);
                        for b in &l2[1..=c2] {
                            let m = b.load(Ordering::Acquire);
                            if accept(m) && s.visit(m) {
                                links.push(m);
                                if links.len() >= limit {
                                    break 'gather;
                                }
                            }
                        }
                    }
                    if links.len() >= limit {
                        break;
                    }
                }
                for &n in links.iter().take(2) {
                    sc.prefetch(n);
                }
                for (j, &n) in links.iter().enumerate() {
                    if let Some(&next) = links.get(j + 2) {
                        sc.prefetch(next);
                    }
                    let d = sc.dist(n);
                    s.offer(Near { dist: d, id: n }, ef, &mut lower, true);
                }
            }
            s.links = links;
            s.best(k)
        })
    }

    /// The (up to) `k` accepted nodes closest to `q` on the vectors `vs`,
    /// closest first, found with a candidate list of `ef` (raised to `k`).
    pub fn search<V: Vectors, F: Fn(u32) -> bool>(
        &self,
        vs: &V,
        q: &[f32],
        k: usize,
        ef: usize,
        accept: F,
    ) -> Vec<Near> {
        self.search_by(&self.exact(vs, q), k, ef, accept)
    }

    /// Exact distances to `q` on `vs` with this graph's metric.
    pub fn exact<'a, V: Vectors>(&self, vs: &'a V, q: &'a [f32]) -> Exact<'a, V> {
        Exact {
            vs,
            q,
            dist: self.dist,
        }
    }

    /// Like [`Hnsw::search_by`] when every node is a result (no filter, no
    /// deleted node): the layer-0 walk keeps one sorted pool (see [`Pool`]).
    pub fn search_all<S: Scorer>(&self, sc: &S, k: usize, ef: usize) -> Vec<Near> {
        let Some((ep, top)) = self.entry() else {
            return Vec::new();
        };
        with_scratch(|s| {
            let start = self.descend(sc, ep, top, s);
            s.reset(self.capacity);
            s.visit(start.id);
            let mut pool = std::mem::take(&mut s.pool);
            let mut fresh = std::mem::take(&mut s.links);
            pool.reset(ef.max(k));
            pool.insert(start);
            while let Some(c) = pool.next() {
                if let Some(next) = pool.peek() {
                    self.prefetch_links(next.id);
                }
                self.expand(sc, c.id, 0, s, &mut fresh, |_, near| pool.insert(near));
            }
            let out = pool.items.iter().take(k).map(|e| e.near).collect();
            s.pool = pool;
            s.links = fresh;
            out
        })
    }

    /// Like [`Hnsw::search`], scoring with `sc` (its distances are what
    /// the results carry).
    pub fn search_by<S: Scorer, F: Fn(u32) -> bool>(
        &self,
        sc: &S,
        k: usize,
        ef: usize,
        accept: F,
    ) -> Vec<Near> {
        let Some((ep, top)) = self.entry() else {
            return Vec::new();
        };
        with_scratch(|s| {
            let cur = self.descend(sc, ep, top, s);
            self.search_layer(sc, cur, ef.max(k), 0, s, &accept);
            s.best(k)
        })
    }
}

#[cfg(test)]
mod pool_tests {
    use super::{Near, Pool};

    fn ids(p: &Pool) -> Vec<u32> {
        p.items.iter().map(|e| e.near.id).collect()
    }

    #[test]
    fn pool_keeps_the_closest_in_order_whatever_the_distances() {
        let mut p = Pool::default();
        p.reset(3);
        for (id, dist) in [
            (1, 0.5),
            (2, f32::INFINITY),
            (3, 0.1),
            (4, f32::NAN),
            (5, 0.3),
        ] {
            p.insert(Near { dist, id });
        }
        assert_eq!(ids(&p), [3, 5, 1]);
        // Full: NaN, infinity and a tie with the last (higher id) stay out.
        p.insert(Near {
            dist: f32::NAN,
            id: 6,
        });
        p.insert(Near {
            dist: f32::INFINITY,
            id: 7,
        });
        p.insert(Near { dist: 0.5, id: 8 });
        assert_eq!(ids(&p), [3, 5, 1]);
        // Expansion goes closest first; an insert ahead of the cursor is
        // expanded next.
        assert_eq!(p.next().map(|n| n.id), Some(3));
        p.insert(Near { dist: 0.0, id: 9 });
        assert_eq!(ids(&p), [9, 3, 5]);
        assert_eq!(p.peek().map(|n| n.id), Some(9));
        assert_eq!(p.next().map(|n| n.id), Some(9));
        assert_eq!(p.next().map(|n| n.id), Some(5));
        assert_eq!(p.next(), None);
        // Not full: an infinite or NaN distance has its place at the end.
        let mut q = Pool::default();
        q.reset(4);
        q.insert(Near {
            dist: f32::NAN,
            id: 1,
        });
        q.insert(Near {
            dist: f32::INFINITY,
            id: 2,
        });
        q.insert(Near { dist: 1.0, id: 3 });
        assert_eq!(ids(&q), [3, 2, 1]);
    }
}
