//! Hybrid search: several branches (dense vector searches, full-text
//! searches, sparse vector searches), each with its own parameters, filter and candidate depth,
//! run on one snapshot of the collection and merged by a rank fusion
//! ([`crate::fusion`]); and multi-query dense search, several query vectors
//! fused into one ranking.

use super::ops::{check_vector, parse_stored};
use super::sparse::SparseQuery;
use super::state::{Loc, State};
use super::text::TextQuery;
use super::Collection;
use crate::error::{Error, Result};
use crate::fusion::{fuse, fuse_multi, Branch, Fusion, MultiFusion};
use crate::point::{RawHit, ScoredPoint, SearchParams};

/// One branch of a hybrid query; its candidate depth is its own `k`.
#[derive(Clone, Debug)]
pub enum HybridBranch {
    /// A dense vector search (`params.k` candidates, its own `ef`, filter,
    /// exact flag, oversampling and rescoring).
    Dense {
        /// The query vector.
        vector: Vec<f32>,
        /// Its search parameters.
        params: SearchParams,
        /// Its weight in the fusion (finite, `>= 0`).
        weight: f32,
    },
    /// A full-text search (`query.k` candidates).
    Text {
        /// The text query.
        query: TextQuery,
        /// Its weight in the fusion (finite, `>= 0`).
        weight: f32,
    },
    /// A sparse vector search (`query.k` candidates).
    Sparse {
        /// The sparse query.
        query: SparseQuery,
        /// Its weight in the fusion (finite, `>= 0`).
        weight: f32,
    },
}

/// A hybrid query.
#[derive(Clone, Debug)]
pub struct HybridQuery {
    /// The branches (at least one).
    pub branches: Vec<HybridBranch>,
    /// How their rankings are merged.
    pub fusion: Fusion,
    /// How many fused results, best first.
    pub k: usize,
    /// Return each point's payload.
    pub with_payload: bool,
}

impl Collection {
    /// Runs every branch of `q` on one snapshot of the collection (a write
    /// lands before all of them or after all of them), then fuses their
    /// rankings with `q.fusion` (see [`crate::fusion::fuse`]): the best
    /// `q.k` points, best first, each with its fused score (higher is
    /// better).
    pub fn hybrid_search(&self, q: &HybridQuery) -> Result<Vec<ScoredPoint>> {
        let st = self.state.read();
        self.check_open()?;
        let (fused, locs) = self.hybrid_in(&st, q)?;
        self.fused_points(&st, fused, &locs, q.with_payload)
    }

    /// Like [`Collection::hybrid_search`], with payloads as the exact bytes
    /// they were written with.
    pub fn hybrid_search_raw(&self, q: &HybridQuery) -> Result<Vec<RawHit>> {
        let st = self.state.read();
        self.check_open()?;
        let (fused, locs) = self.hybrid_in(&st, q)?;
        self.fused_raw(&st, fused, &locs, q.with_payload)
    }

    /// The fused ranking, and where each candidate is.
    fn hybrid_in(&self, st: &State, q: &HybridQuery) -> Result<(Vec<(u64, f32)>, Locs)> {
        if q.branches.is_empty() {
            return Err(Error::invalid(
                "branches is empty; give at least one dense, text or sparse branch",
            ));
        }
        check_k(q.k, "k")?;
        q.fusion.validate()?;
        // Weights first: no branch runs for a query that is refused.
        for (i, b) in q.branches.iter().enumerate() {
            let w = match b {
                HybridBranch::Dense { weight, .. }
                | HybridBranch::Text { weight, .. }
                | HybridBranch::Sparse { weight, .. } => *weight,
            };
            if !(w.is_finite() && w >= 0.0) {
                return Err(Error::invalid(format!(
                    "branches[{i}].weight is {w}; a weight must be finite and >= 0"
                )));
            }
        }
        // Per branch: its hits (id, score), whether higher is better, its
        // weight.
        let mut lists: Vec<BranchHits> = Vec::with_capacity(q.branches.len());
        let mut locs = Locs::new();
        for (i, b) in q.branches.iter().enumerate() {
            let in_branch = |e: Error| match e {
                Error::InvalidArgument(m) => Error::invalid(format!("branches[{i}]: {m}")),
                Error::DimensionMismatch {
                    context,
                    expected,
                    got,
                } => Error::DimensionMismatch {
                    context: format!("branches[{i}]: {context}"),
                    expected,
                    got,
                },
                e => e,
            };
            match b {
                HybridBranch::Dense {
                    vector,
                    params,
                    weight,
                } => {
                    self.check_params(params).map_err(in_branch)?;
                    let mut v = vector.clone();
                    check_vector(&self.config, &mut v, &|| "vector".to_owned())
                        .map_err(in_branch)?;
                    let hits = self.search_in(st, &v, params, None).map_err(in_branch)?;
                    let metric = self.config.metric;
                    lists.push((
                        hits.iter()
                            .map(|h| {
                                let id = st.id_at(h.loc);
                                locs.insert(id, h.loc);
                                (id, metric.score(h.dist))
                            })
                            .collect(),
                        metric.higher_is_better(),
                        *weight,
                    ));
                }
                HybridBranch::Text { .. } | HybridBranch::Sparse { .. } => {
                    let (hits, weight) = match b {
                        HybridBranch::Text { query, weight } => (self.text_hits(st, query), weight),
                        HybridBranch::Sparse { query, weight } => {
                            (self.sparse_hits(st, query), weight)
                        }
                        HybridBranch::Dense { .. } => unreachable!("matched above"),
                    };
                    let hits = hits.map_err(in_branch)?;
                    lists.push((
                        hits.iter()
                            .map(|&(s, loc)| {
                                let id = st.id_at(loc);
                                locs.insert(id, loc);
                                (id, s)
                            })
                            .collect(),
                        true,
                        *weight,
                    ));
                }
            }
        }
        let branches: Vec<Branch<'_>> = lists
            .iter()
            .map(|(hits, hib, w)| Branch::new(hits, *hib).with_weight(*w))
            .collect();
        Ok((fuse(&branches, q.fusion, q.k)?, locs))
    }

    /// Searches each of `queries` (vectors of the collection's dimension)
    /// with `params` on one snapshot and fuses their result lists with
    /// `how` (see [`crate::fusion::fuse_multi`]): the best `params.k`
    /// points, best first. Each query contributes its best
    /// `candidates` hits (at least `params.k`; `None`: `params.k`).
    /// Scores follow [`MultiFusion::higher_is_better`].
    pub fn multi_query_search(
        &self,
        queries: &[Vec<f32>],
        params: &SearchParams,
        candidates: Option<usize>,
        how: &MultiFusion,
    ) -> Result<Vec<ScoredPoint>> {
        let qs = self.check_multi(queries, params, candidates)?;
        let st = self.state.read();
        self.check_open()?;
        let (fused, locs) = self.multi_in(&st, &qs, params, candidates, how)?;
        self.fused_points(&st, fused, &locs, params.with_payload)
    }

    /// Like [`Collection::multi_query_search`], with payloads as the exact
    /// bytes they were written with.
    pub fn multi_query_search_raw(
        &self,
        queries: &[Vec<f32>],
        params: &SearchParams,
        candidates: Option<usize>,
        how: &MultiFusion,
    ) -> Result<Vec<RawHit>> {
        let qs = self.check_multi(queries, params, candidates)?;
        let st = self.state.read();
        self.check_open()?;
        let (fused, locs) = self.multi_in(&st, &qs, params, candidates, how)?;
        self.fused_raw(&st, fused, &locs, params.with_payload)
    }

    /// The checked (and, for cosine, normalised) query vectors.
    fn check_multi(
        &self,
        queries: &[Vec<f32>],
        params: &SearchParams,
        candidates: Option<usize>,
    ) -> Result<Vec<Vec<f32>>> {
        if queries.is_empty() {
            return Err(Error::invalid("queries is empty; give at least one vector"));
        }
        self.check_params(params)?;
        let depth = candidates.unwrap_or(params.k);
        if depth < params.k || depth > super::search::MAX_K {
            return Err(Error::invalid(format!(
                "candidates is {depth}; it must be between params.k ({}) and {}",
                params.k,
                super::search::MAX_K
            )));
        }
        if queries.len().saturating_mul(depth) > MAX_MULTI_HITS {
            return Err(Error::invalid(format!(
                "{} queries x {depth} candidates = more than {MAX_MULTI_HITS} hits to fuse; search fewer queries or candidates at a time",
                queries.len()
            )));
        }
        let mut qs = Vec::with_capacity(queries.len());
        for (i, v) in queries.iter().enumerate() {
            let mut v = v.clone();
            check_vector(&self.config, &mut v, &|| format!("query {i}"))?;
            qs.push(v);
        }
        Ok(qs)
    }

    fn multi_in(
        &self,
        st: &State,
        qs: &[Vec<f32>],
        params: &SearchParams,
        candidates: Option<usize>,
        how: &MultiFusion,
    ) -> Result<(Vec<(u64, f32)>, Locs)> {
        let p = SearchParams {
            k: candidates.unwrap_or(params.k),
            ..params.clone()
        };
        let metric = self.config.metric;
        let mut lists = Vec::with_capacity(qs.len());
        let mut locs = Locs::new();
        for v in qs {
            let hits = self.search_in(st, v, &p, None)?;
            lists.push(
                hits.iter()
                    .map(|h| {
                        let id = st.id_at(h.loc);
                        locs.insert(id, h.loc);
                        (id, metric.score(h.dist))
                    })
                    .collect::<Vec<_>>(),
            );
        }
        let refs: Vec<&[(u64, f32)]> = lists.iter().map(Vec::as_slice).collect();
        let fused = fuse_multi(&refs, metric.higher_is_better(), how, params.k)?;
        Ok((fused, locs))
    }

    fn fused_points(
        &self,
        st: &State,
        fused: Vec<(u64, f32)>,
        locs: &Locs,
        with_payload: bool,
    ) -> Result<Vec<ScoredPoint>> {
        fused
            .into_iter()
            .map(|(id, score)| {
                let payload = if with_payload {
                    st.payload_at(locs[&id])?
                        .map(|b| parse_stored(&b))
                        .transpose()?
                } else {
                    None
                };
                Ok(ScoredPoint { id, score, payload })
            })
            .collect()
    }

    fn fused_raw(
        &self,
        st: &State,
        fused: Vec<(u64, f32)>,
        locs: &Locs,
        with_payload: bool,
    ) -> Result<Vec<RawHit>> {
        fused
            .into_iter()
            .map(|(id, score)| {
                let payload = if with_payload {
                    st.payload_at(locs[&id])?
                } else {
                    None
                };
                Ok(RawHit { id, score, payload })
            })
            .collect()
    }
}

/// One branch's hits (id, score), whether its higher scores are better, its
/// weight.
type BranchHits = (Vec<(u64, f32)>, bool, f32);

/// The most hits one multi-query search fuses (queries x candidates).
const MAX_MULTI_HITS: usize = 1 << 22;

/// Where each candidate of the branches is (every fused id is one).
type Locs = std::collections::HashMap<u64, Loc>;

fn check_k(k: usize, name: &str) -> Result<()> {
    if k == 0 || k > super::search::MAX_K {
        return Err(Error::invalid(format!(
            "{name} is {k}; it must be between 1 and {}",
            super::search::MAX_K
        )));
    }
    Ok(())
}
