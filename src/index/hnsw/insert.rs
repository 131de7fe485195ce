//! Inserting nodes: layer choice, neighbour selection by the HNSW heuristic,
//! and reverse links with pruning. Safe to run on many threads at once.

use super::search::{with_scratch, Near};
use super::{Hnsw, Vectors};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering};

impl Hnsw {
    /// Inserts node `id`, whose vector `vs` already holds. `id` must be below
    /// the capacity and not inserted before.
    pub fn insert<V: Vectors>(&self, vs: &V, id: u32) {
        let level = self.random_level(id);
        if level > 0 {
            let w = self.params.m + 1;
            self.upper[id as usize]
                .get_or_init(|| (0..level * w).map(|_| AtomicU32::new(0)).collect());
        }
        self.levels[id as usize].store(level as u8, Ordering::Release);

        let (ep, top) = match self.entry() {
            Some(e) => e,
            None => {
                let _g = self.entry_lock.lock();
                match self.entry() {
                    Some(e) => e,
                    None => {
                        self.set_entry(id, level);
                        return;
                    }
                }
            }
        };
        let q = vs.vector(id);
        let mut cur = Near {
            dist: (self.dist)(q, vs.vector(ep)),
            id: ep,
        };
        let sc = self.exact(vs, q);
        with_scratch(|s| {
            let mut links = std::mem::take(&mut s.links);
            for l in (level + 1..=top).rev() {
                self.greedy(&sc, &mut cur, l, &mut links);
            }
            s.links = links;
            let mut found: Vec<Near> = Vec::with_capacity(self.params.ef_construction);
            for l in (0..=level.min(top)).rev() {
                self.search_layer(&sc, cur, self.params.ef_construction, l, s, &|n| n != id);
                found.clear();
                found.extend(s.results.drain());
                found.sort_unstable();
                if found.is_empty() {
                    continue;
                }
                cur = found[0];
                let chosen = self.select(vs, &found, self.params.m);
                {
                    // Concurrent inserts may have linked to `id` on this
                    // level already (they found it through its upper
                    // layers): keep those links, or such a node could end up
                    // reachable from nowhere.
                    let _g = self.locks[id as usize].lock();
                    let list = self.links(id, l);
                    let count = if list.is_empty() {
                        0
                    } else {
                        (list[0].load(Ordering::Acquire) as usize).min(list.len() - 1)
                    };
                    if count == 0 {
                        write_links(list, &chosen);
                    } else {
                        let mut all: Vec<u32> = chosen.clone();
                        for a in &list[1..=count] {
                            let n = a.load(Ordering::Acquire);
                            if !all.contains(&n) {
                                all.push(n);
                            }
                        }
                        let max = self.max_links(l);
                        if all.len() > max {
                            let mut cands: Vec<Near> = all
                                .iter()
                                .map(|&n| Near {
                                    dist: (self.dist)(q, vs.vector(n)),
                                    id: n,
                                })
                                .collect();
                            cands.sort_unstable();
                            all = self.select(vs, &cands, max);
                        }
                        write_links(list, &all);
                    }
                }
                for &n in &chosen {
                    self.link_back(vs, n, id, l);
                }
            }
        });

        if level > top {
            let _g = self.entry_lock.lock();
            if self.entry().is_none_or(|(_, t)| level > t) {
                self.set_entry(id, level);
            }
        }
    }

    /// Inserts many nodes in parallel on the rayon pool.
    pub fn insert_many<V: Vectors>(&self, vs: &V, ids: &[u32]) {
        // The first node of an empty graph goes in alone so that the others
        // all find an entry point.
        let (first, rest) = match (self.entry(), ids.split_first()) {
            (None, Some((f, r))) => (Some(*f), r),
            _ => (None, ids),
        };
        if let Some(f) = first {
            self.insert(vs, f);
        }
        rest.par_iter()
            .with_min_len(16)
            .for_each(|&id| self.insert(vs, id));
    }

    /// The HNSW neighbour-selection heuristic: walking `sorted` (closest
    /// first), keep a candidate only if it is closer to the base than to every
    /// candidate kept so far; at most `max` are kept.
    fn select<V: Vectors>(&self, vs: &V, sorted: &[Near], max: usize) -> Vec<u32> {
        let mut kept: Vec<u32> = Vec::with_capacity(max);
        for c in sorted {
            if kept.len() >= max {
                break;
            }
            let vc = vs.vector(c.id);
            if kept
                .iter()
                .all(|&k| (self.dist)(vc, vs.vector(k)) >= c.dist)
            {
                kept.push(c.id);
            }
        }
        kept
    }

    /// Adds `new` to the links of `node` on `level`, pruning with the
    /// heuristic when the list is full.
    fn link_back<V: Vectors>(&self, vs: &V, node: u32, new: u32, level: usize) {
        let _g = self.locks[node as usize].lock();
        let l = self.links(node, level);
        if l.is_empty() {
            return;
        }
        let max = self.max_links(level);
        let count = (l[0].load(Ordering::Acquire) as usize).min(max);
        if l[1..=count]
            .iter()
            .any(|a| a.load(Ordering::Acquire) == new)
        {
            return;
        }
        if count < max {
            l[count + 1].store(new, Ordering::Release);
            l[0].store(count as u32 + 1, Ordering::Release);
            return;
        }
        let base = vs.vector(node);
        let mut cands: Vec<Near> = l[1..=count]
            .iter()
            .map(|a| a.load(Ordering::Acquire))
            .chain(std::iter::once(new))
            .map(|n| Near {
                dist: (self.dist)(base, vs.vector(n)),
                id: n,
            })
            .collect();
        cands.sort_unstable();
        let chosen = self.select(vs, &cands, max);
        write_links(l, &chosen);
    }
}

/// Stores `ids` as the content of link list `l` (neighbours first, count last).
fn write_links(l: &[AtomicU32], ids: &[u32]) {
    if l.is_empty() {
        return;
    }
    let n = ids.len().min(l.len() - 1);
    for (slot, &id) in l[1..=n].iter().zip(ids) {
        slot.store(id, Ordering::Release);
    }
    l[0].store(n as u32, Ordering::Release);
}
