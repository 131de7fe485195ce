//! Vector search: graph or exact scan, and the plan for filtered search.
//!
//! With a filter, the plan follows the estimated selectivity (from a fixed
//! sample of up to 256 live points): when few points match, scanning exactly
//! the matching points is cheaper than a graph walk that must pass many
//! non-matching nodes, and it is exact; otherwise the graph is searched with
//! the filter applied during the walk. Whenever a graph search returns fewer
//! than `k` hits, an exact scan replaces it, so a search returns `k` hits
//! whenever `k` points match.

use super::state::{State, VectorView};
use super::Collection;
use crate::collection::config::CollectionKind;
use crate::collection::ops::check_vector;
use crate::error::{Error, Result};
use crate::filter::{estimate_selectivity, Filter};
use crate::index::hnsw::Near;
use crate::point::{ScoredPoint, SearchParams};
use rayon::prelude::*;
use std::collections::BinaryHeap;

/// Largest `k` (and `ef`) a search accepts.
pub const MAX_K: usize = 100_000;
const SAMPLE: usize = 256;

impl Collection {
    /// The `params.k` points nearest to `query`, best first.
    pub fn search(&self, query: &[f32], params: &SearchParams) -> Result<Vec<ScoredPoint>> {
        self.check_params(params)?;
        let mut q = query.to_vec();
        check_vector(&self.config, &mut q, &|| "query".to_owned())?;
        let st = self.state.read();
        self.check_open()?;
        Ok(self.search_in(&st, &q, params))
    }

    /// Searches `queries.len() / dimension` queries (row-major) in parallel;
    /// one result list per query, in order.
    pub fn search_batch(
        &self,
        queries: &[f32],
        params: &SearchParams,
    ) -> Result<Vec<Vec<ScoredPoint>>> {
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
        qs.par_chunks(dim)
            .with_max_len(1)
            .map(|q| {
                let st = self.state.read();
                self.check_open()?;
                Ok(self.search_in(&st, q, params))
            })
            .collect()
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
                "k = {} is out of range 1..={MAX_K}",
                p.k
            )));
        }
        if let Some(ef) = p.ef {
            if ef == 0 || ef > MAX_K {
                return Err(Error::invalid(format!(
                    "ef = {ef} is out of range 1..={MAX_K}"
                )));
            }
        }
        Ok(())
    }

    fn search_in(&self, st: &State, q: &[f32], p: &SearchParams) -> Vec<ScoredPoint> {
        let metric = self.config.metric;
        self.find(st, q, p)
            .into_iter()
            .map(|n| ScoredPoint {
                id: st.id_of(n.id),
                score: metric.score(n.dist),
                payload: if p.with_payload {
                    st.payload_of(n.id).cloned()
                } else {
                    None
                },
            })
            .collect()
    }

    fn find(&self, st: &State, q: &[f32], p: &SearchParams) -> Vec<Near> {
        let (Some(graph), Some(vectors)) = (&st.graph, &st.vectors) else {
            return Vec::new();
        };
        let k = p.k;
        let ef = p.ef.unwrap_or(self.config.hnsw.ef_search).max(k);
        let vs = VectorView(vectors);
        let want = k.min(st.live());
        match &p.filter {
            None => {
                let accept = |s: u32| st.alive[s as usize];
                if p.exact {
                    return self.scan(st, q, k, accept);
                }
                let hits = graph.search(&vs, q, k, ef, accept);
                if hits.len() < want {
                    self.scan(st, q, k, accept)
                } else {
                    hits
                }
            }
            Some(f) => {
                let accept = |s: u32| st.alive[s as usize] && f.matches(st.payload_of(s));
                if p.exact || self.prefer_scan(st, f, ef) {
                    return self.scan(st, q, k, accept);
                }
                let hits = graph.search(&vs, q, k, ef, accept);
                if hits.len() < want {
                    self.scan(st, q, k, accept)
                } else {
                    hits
                }
            }
        }
    }

    /// Exact search over the slots `accept` admits.
    fn scan(&self, st: &State, q: &[f32], k: usize, accept: impl Fn(u32) -> bool) -> Vec<Near> {
        let dist = self.config.metric.distance_fn();
        let mut heap: BinaryHeap<Near> = BinaryHeap::with_capacity(k + 1);
        for slot in 0..st.slot_count as u32 {
            if !accept(slot) {
                continue;
            }
            let d = dist(q, st.vector_of(slot));
            if heap.len() < k {
                heap.push(Near { dist: d, id: slot });
            } else if heap.peek().is_some_and(|w| d < w.dist) {
                heap.pop();
                heap.push(Near { dist: d, id: slot });
            }
        }
        heap.into_sorted_vec()
    }

    /// Whether an exact scan of the points matching `f` is expected to cost
    /// less than a filtered graph search. Costs are in distance computations,
    /// counting one filter evaluation as one: the scan evaluates the filter
    /// on every live point and computes the distance of each match; the
    /// graph search computes about `ef * 2m` distances to find `ef` hits
    /// without a filter, so about `ef * 2m / selectivity` with one.
    fn prefer_scan(&self, st: &State, f: &Filter, ef: usize) -> bool {
        let live = st.live();
        if live == 0 {
            return true;
        }
        let step = (st.slot_count / SAMPLE).max(1);
        let sample = (0..st.slot_count as u32)
            .step_by(step)
            .filter(|&s| st.alive[s as usize])
            .map(|s| st.payload_of(s));
        let (matched, sampled) = estimate_selectivity(f, sample);
        if matched == 0 {
            return true;
        }
        let selectivity = matched as f64 / sampled as f64;
        let scan_cost = live as f64 * (1.0 + selectivity);
        let walk = (ef * 2 * self.config.hnsw.m) as f64 / selectivity;
        let graph_cost = 2.0 * walk.min(live as f64);
        scan_cost <= graph_cost
    }
}
