//! Searching the graph: per-thread reusable scratch, greedy descent through
//! the upper layers and the best-first search of one layer.

use super::{Hnsw, Vectors};
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

/// Reusable per-thread search state: no allocation per visited node.
pub(super) struct Scratch {
    visited: Vec<u32>,
    epoch: u32,
    pub(super) candidates: BinaryHeap<Reverse<Near>>,
    pub(super) results: BinaryHeap<Near>,
    pub(super) links: Vec<u32>,
}

impl Scratch {
    fn new() -> Self {
        Scratch {
            visited: Vec::new(),
            epoch: 0,
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
    pub(super) fn greedy<V: Vectors>(
        &self,
        vs: &V,
        q: &[f32],
        cur: &mut Near,
        level: usize,
        links: &mut Vec<u32>,
    ) {
        let mut changed = true;
        while changed {
            changed = false;
            self.neighbours(cur.id, level, links);
            for &n in links.iter() {
                let d = (self.dist)(q, vs.vector(n));
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
    pub(super) fn search_layer<V: Vectors, F: Fn(u32) -> bool>(
        &self,
        vs: &V,
        q: &[f32],
        start: Near,
        ef: usize,
        level: usize,
        s: &mut Scratch,
        accept: &F,
    ) {
        let mut lower = s.begin(self.capacity, start, accept(start.id));
        while let Some(Reverse(c)) = s.candidates.pop() {
            if c.dist > lower && s.results.len() >= ef {
                break;
            }
            let l = self.links(c.id, level);
            if l.is_empty() {
                continue;
            }
            let count = (l[0].load(Ordering::Acquire) as usize).min(l.len() - 1);
            if count > 0 {
                vs.prefetch(l[1].load(Ordering::Relaxed));
            }
            for j in 1..=count {
                let n = l[j].load(Ordering::Acquire);
                if j < count {
                    vs.prefetch(l[j + 1].load(Ordering::Relaxed));
                }
                if !s.visit(n) {
                    continue;
                }
                let d = (self.dist)(q, vs.vector(n));
                s.offer(Near { dist: d, id: n }, ef, &mut lower, accept(n));
            }
        }
    }

    /// Greedy descent from the entry point `ep` through layers `top` down
    /// to 1: the start of the layer-0 search.
    fn descend<V: Vectors>(&self, vs: &V, q: &[f32], ep: u32, top: usize, s: &mut Scratch) -> Near {
        let mut cur = Near {
            dist: (self.dist)(q, vs.vector(ep)),
            id: ep,
        };
        let mut links = std::mem::take(&mut s.links);
        for level in (1..=top).rev() {
            self.greedy(vs, q, &mut cur, level, &mut links);
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
    pub fn search_two_hop<V: Vectors, F: Fn(u32) -> bool>(
        &self,
        vs: &V,
        q: &[f32],
        k: usize,
        ef: usize,
        accept: F,
    ) -> Vec<Near> {
        let Some((ep, top)) = self.entry() else {
            return Vec::new();
        };
        let ef = ef.max(k);
        with_scratch(|s| {
            let cur = self.descend(vs, q, ep, top, s);
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
                    vs.prefetch(n);
                }
                for (j, &n) in links.iter().enumerate() {
                    if let Some(&next) = links.get(j + 2) {
                        vs.prefetch(next);
                    }
                    let d = (self.dist)(q, vs.vector(n));
                    s.offer(Near { dist: d, id: n }, ef, &mut lower, true);
                }
            }
            s.links = links;
            s.best(k)
        })
    }

    /// The (up to) `k` accepted nodes closest to `q`, closest first, found
    /// with a candidate list of `ef` (raised to `k`).
    pub fn search<V: Vectors, F: Fn(u32) -> bool>(
        &self,
        vs: &V,
        q: &[f32],
        k: usize,
        ef: usize,
        accept: F,
    ) -> Vec<Near> {
        let Some((ep, top)) = self.entry() else {
            return Vec::new();
        };
        with_scratch(|s| {
            let cur = self.descend(vs, q, ep, top, s);
            self.search_layer(vs, q, cur, ef.max(k), 0, s, &accept);
            s.best(k)
        })
    }
}
