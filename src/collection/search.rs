//! Vector search over the segments: each is searched (sealed ones by their
//! graph, appendable ones exactly) and the best `k` of all are kept.
//!
//! With a filter, each sealed segment follows its estimated selectivity
//! (from a sample of up to 256 of its live points): when few points match,
//! scanning exactly the matching points is cheaper than a graph walk that
//! must pass many non-matching nodes, and it is exact; otherwise the graph
//! is searched with the filter applied during the walk. Whenever a graph
//! search returns fewer than `k` hits while more points could match, an
//! exact scan replaces it, so a search returns `k` hits whenever `k`
//! points match.

use super::ops::{check_vector, parse_stored};
use super::state::{Loc, State};
use super::Collection;
use crate::collection::config::CollectionKind;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::index::hnsw::Near;
use crate::point::{RawHit, ScoredPoint, SearchParams};
use crate::segment::bitset::Bitset;
use crate::segment::sealed::Flat;
use rayon::prelude::*;
use std::collections::BinaryHeap;

/// Largest `k` (and `ef`) a search accepts.
pub const MAX_K: usize = 100_000;
const SAMPLE: usize = 256;

/// A hit before it is turned into a result.
struct Hit {
    dist: f32,
    loc: Loc,
}

impl Collection {
    /// The `params.k` points nearest to `query`, best first.
    pub fn search(&self, query: &[f32], params: &SearchParams) -> Result<Vec<ScoredPoint>> {
        self.check_params(params)?;
        let mut q = query.to_vec();
        check_vector(&self.config, &mut q, &|| "query".to_owned())?;
        let st = self.state.read();
        self.check_open()?;
        let hits = self.search_in(&st, &q, params)?;
        self.scored(&st, hits, params.with_payload)
    }

    /// Searches `queries.len() / dimension` queries (row-major) in parallel;
    /// one result list per query, in order.
    pub fn search_batch(
        &self,
        queries: &[f32],
        params: &SearchParams,
    ) -> Result<Vec<Vec<ScoredPoint>>> {
        let qs = self.check_queries(queries, params)?;
        qs.par_chunks(self.config.dimension)
            .with_max_len(1)
            .map(|q| {
                let st = self.state.read();
                self.check_open()?;
                let hits = self.search_in(&st, q, params)?;
                self.scored(&st, hits, params.with_payload)
            })
            .collect()
    }

    /// Like [`Collection::search_batch`], with payloads as the exact bytes
    /// they were written with.
    pub fn search_batch_raw(
        &self,
        queries: &[f32],
        params: &SearchParams,
    ) -> Result<Vec<Vec<RawHit>>> {
        let qs = self.check_queries(queries, params)?;
        let metric = self.config.metric;
        qs.par_chunks(self.config.dimension)
            .with_max_len(1)
            .map(|q| {
                let st = self.state.read();
                self.check_open()?;
                let hits = self.search_in(&st, q, params)?;
                hits.into_iter()
                    .map(|h| {
                        Ok(RawHit {
                            id: id_at(&st, h.loc),
                            score: metric.score(h.dist),
                            payload: if params.with_payload {
                                st.payload_at(h.loc)?
                            } else {
                                None
                            },
                        })
                    })
                    .collect()
            })
            .collect()
    }

    fn check_queries(&self, queries: &[f32], params: &SearchParams) -> Result<Vec<f32>> {
        self.check_params(params)?;
        let dim = self.config.dimension;
        if !queries.len().is_multiple_of(dim) {
            return Err(Error::DimensionMismatch {
                context: format!(
                    "query matrix of {} floats is not a whole number of rows",
                    queries.len()
                ),
                expected: dim,
                got: queries.len() % dim,
            });
        }
        let mut qs = queries.to_vec();
        for (i, q) in qs.chunks_mut(dim).enumerate() {
            check_vector(&self.config, q, &|| format!("query {i}"))?;
        }
        self.check_open()?;
        Ok(qs)
    }

    fn check_params(&self, p: &SearchParams) -> Result<()> {
        if self.config.kind == CollectionKind::MetadataOnly {
            return Err(Error::Unsupported(format!(
                "collection \"{}\" is metadata-only: it has no vectors to search; use scroll with a filter",
                self.name
            )));
        }
        if p.k == 0 || p.k > MAX_K {
            return Err(Error::invalid(format!(
                "params.k is {}; it must be between 1 and {MAX_K}",
                p.k
            )));
        }
        if let Some(ef) = p.ef {
            if ef == 0 || ef > MAX_K {
                return Err(Error::invalid(format!(
                    "params.ef is {ef}; it must be between 1 and {MAX_K}"
                )));
            }
        }
        Ok(())
    }

    fn scored(&self, st: &State, hits: Vec<Hit>, with_payload: bool) -> Result<Vec<ScoredPoint>> {
        let metric = self.config.metric;
        hits.into_iter()
            .map(|h| {
                Ok(ScoredPoint {
                    id: id_at(st, h.loc),
                    score: metric.score(h.dist),
                    payload: if with_payload {
                        st.payload_at(h.loc)?
                            .map(|b| parse_stored(&b))
                            .transpose()?
                    } else {
                        None
                    },
                })
            })
            .collect()
    }

    /// The best `k` hits over every segment, closest first.
    fn search_in(&self, st: &State, q: &[f32], p: &SearchParams) -> Result<Vec<Hit>> {
        let k = p.k;
        let ef = p.ef.unwrap_or(self.config.hnsw.ef_search).max(k);
        let filter = p.filter.as_ref();
        let mut best: BinaryHeap<(HeapDist, usize)> = BinaryHeap::with_capacity(k.min(1024) + 1);
        let mut all: Vec<Hit> = Vec::new();
        let mut push = |h: Hit, all: &mut Vec<Hit>| {
            if best.len() < k || best.peek().is_some_and(|w| h.dist < w.0 .0) {
                best.push((HeapDist(h.dist), all.len()));
                all.push(h);
                if best.len() > k {
                    best.pop();
                }
            }
        };
        for (i, s) in st.sealed.iter().enumerate() {
            for n in self.search_sealed(st, i, &s.deleted, q, k, ef, p.exact, filter)? {
                push(
                    Hit {
                        dist: n.dist,
                        loc: Loc::Sealed(i, n.id),
                    },
                    &mut all,
                );
            }
        }
        for (i, f) in st.frozen.iter().enumerate() {
            let flat = Flat {
                data: f.seg.vectors(),
                dim: self.config.dimension,
            };
            let accept = |o: u32| -> Result<bool> {
                Ok(!f.deleted.get(o) && self.matches(st, Loc::Frozen(i, o), filter)?)
            };
            for n in self.scan(&flat, f.seg.len(), q, k, accept)? {
                push(
                    Hit {
                        dist: n.dist,
                        loc: Loc::Frozen(i, n.id),
                    },
                    &mut all,
                );
            }
        }
        let flat = Flat {
            data: st.active.vectors(),
            dim: self.config.dimension,
        };
        let accept = |o: u32| -> Result<bool> {
            Ok(!st.active_deleted.get(o) && self.matches(st, Loc::Active(o), filter)?)
        };
        for n in self.scan(&flat, st.active.len(), q, k, accept)? {
            push(
                Hit {
                    dist: n.dist,
                    loc: Loc::Active(n.id),
                },
                &mut all,
            );
        }
        let mut out: Vec<Hit> = best
            .into_iter()
            .map(|(_, i)| {
                std::mem::replace(
                    &mut all[i],
                    Hit {
                        dist: 0.0,
                        loc: Loc::Active(0),
                    },
                )
            })
            .collect();
        out.sort_by(|a, b| {
            a.dist
                .total_cmp(&b.dist)
                .then_with(|| id_at(st, a.loc).cmp(&id_at(st, b.loc)))
        });
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn search_sealed(
        &self,
        st: &State,
        i: usize,
        deleted: &Bitset,
        q: &[f32],
        k: usize,
        ef: usize,
        exact: bool,
        filter: Option<&Filter>,
    ) -> Result<Vec<Near>> {
        let seg = &st.sealed[i].seg;
        let live = seg.len() - deleted.count();
        if live == 0 {
            return Ok(Vec::new());
        }
        let flat = seg.flat();
        let want = k.min(live);
        match filter {
            None => {
                let accept = |o: u32| !deleted.get(o);
                if !exact {
                    if let Some(g) = &seg.graph {
                        let hits = g.search(&flat, q, k, ef, accept);
                        if hits.len() >= want {
                            return Ok(hits);
                        }
                    }
                }
                self.scan(&flat, seg.len(), q, k, |o| Ok(accept(o)))
            }
            Some(f) => {
                let matches = |o: u32| -> Result<bool> {
                    Ok(!deleted.get(o) && self.matches(st, Loc::Sealed(i, o), Some(f))?)
                };
                let (prefer_scan, any) = self.prefer_scan(seg.len(), live, ef, &matches)?;
                if !exact && !prefer_scan {
                    if let Some(g) = &seg.graph {
                        let failed = std::cell::Cell::new(None);
                        let hits = g.search(&flat, q, k, ef, |o| match matches(o) {
                            Ok(m) => m,
                            Err(e) => {
                                failed.set(Some(e));
                                false
                            }
                        });
                        if let Some(e) = failed.take() {
                            return Err(e);
                        }
                        if hits.len() >= want || !any {
                            return Ok(hits);
                        }
                    }
                }
                self.scan(&flat, seg.len(), q, k, matches)
            }
        }
    }

    /// Exact search over the offsets `accept` admits.
    fn scan(
        &self,
        flat: &Flat<'_>,
        len: usize,
        q: &[f32],
        k: usize,
        accept: impl Fn(u32) -> Result<bool>,
    ) -> Result<Vec<Near>> {
        let dist = self.config.metric.distance_fn();
        let mut heap: BinaryHeap<Near> = BinaryHeap::with_capacity(k.min(len) + 1);
        for o in 0..len as u32 {
            if !accept(o)? {
                continue;
            }
            let d = dist(q, crate::index::hnsw::Vectors::vector(flat, o));
            if heap.len() < k {
                heap.push(Near { dist: d, id: o });
            } else if heap.peek().is_some_and(|w| d < w.dist) {
                heap.pop();
                heap.push(Near { dist: d, id: o });
            }
        }
        Ok(heap.into_sorted_vec())
    }

    /// Whether an exact scan of the matching points is expected to cost
    /// less than a filtered graph search, and whether the sample saw any
    /// match. Costs are in distance computations, counting one filter
    /// evaluation as one: the scan evaluates the filter on every point and
    /// computes the distance of each match; the graph search computes about
    /// `ef * 2m` distances to find `ef` hits without a filter, so about
    /// `ef * 2m / selectivity` with one.
    fn prefer_scan(
        &self,
        len: usize,
        live: usize,
        ef: usize,
        matches: &impl Fn(u32) -> Result<bool>,
    ) -> Result<(bool, bool)> {
        let step = (len / SAMPLE).max(1);
        let (mut matched, mut sampled) = (0usize, 0usize);
        for o in (0..len as u32).step_by(step) {
            sampled += 1;
            matched += usize::from(matches(o)?);
        }
        if matched == 0 {
            return Ok((true, false));
        }
        let selectivity = matched as f64 / sampled as f64;
        let scan_cost = live as f64 * (1.0 + selectivity);
        let walk = (ef * 2 * self.config.hnsw.m) as f64 / selectivity;
        let graph_cost = 2.0 * walk.min(live as f64);
        Ok((scan_cost <= graph_cost, true))
    }
}

/// The id at `loc`.
fn id_at(st: &State, loc: Loc) -> u64 {
    match loc {
        Loc::Active(o) => st.active.id(o),
        Loc::Frozen(i, o) => st.frozen[i].seg.id(o),
        Loc::Sealed(i, o) => st.sealed[i].seg.id(o),
    }
}

/// A distance ordered for a max-heap of the best hits.
#[derive(Clone, Copy, PartialEq)]
struct HeapDist(f32);

impl Eq for HeapDist {}

impl PartialOrd for HeapDist {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for HeapDist {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}
