//! Vector search over the segments: each is searched (sealed ones by their
//! graph, appendable ones exactly) and the best `k` of all are kept.
//!
//! With a filter, the conditions on indexed fields are first evaluated on
//! each segment's field indexes (`fields::tri`: sure matches and points to
//! check against their payload). A sealed segment then takes the cheapest
//! plan by estimated cost, in distance computations: an exact scan of the
//! candidates; the graph walked with the candidates as its filter; or the
//! two-hop walk, which computes distances of candidates only. Without any
//! index answering, it follows the filter's selectivity estimated from a
//! sample of its points: an exact scan of the matching points when few
//! match, else the graph with the filter evaluated on visited points.
//! Appendable segments scan their candidates (or every point). Whenever a
//! graph search returns fewer than `k` hits while more points could match,
//! an exact scan replaces it, so a search returns `k` hits whenever `k`
//! points match. [`SegmentPlan`] records what each segment did.

use super::fields::{names_ids, tri, Tri};
use super::ops::{check_vector, parse_stored};
use super::state::{Loc, Seg, State};
use super::Collection;
use crate::collection::config::CollectionKind;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::index::hnsw::{Exact, Hnsw, Near, Scorer, Vectors};
use crate::point::{RawHit, ScoredPoint, SearchParams};
use crate::quant::CodeScorer;
use crate::segment::bitset::Bitset;
use crate::segment::field_index::FieldIndex;
use crate::segment::sealed::Flat;
use rayon::prelude::*;
use std::collections::BinaryHeap;

/// Largest `k` (and `ef`) a search accepts.
pub const MAX_K: usize = 100_000;
const SAMPLE: usize = 256;
/// What evaluating a filter on one stored payload costs, in distance
/// computations (parsing the JSON dominates).
const EVAL_COST: f64 = 4.0;
/// Distances an unfiltered graph walk computes, per unit of `ef * 2m`
/// (measured: about 1,700 at ef 64, m 16 on 100k WordNet points).
const WALK: f64 = 0.85;
/// The two-hop walk's cost against an unfiltered one (reading the links
/// of rejected neighbours).
const TWO_HOP: f64 = 2.0;
/// Below this selectivity the two-hop walk widens its beam (`ef` times
/// `TWO_HOP_SPARSE / selectivity`): at ef 64 on 100k WordNet points its
/// recall@10 was 0.98 at 12 % of the points admitted, 0.94 at 6 %.
const TWO_HOP_SPARSE: f64 = 0.1;
/// An exact scan's cost per candidate against a graph walk's per distance:
/// candidates are read in offset order with their loads overlapped
/// (measured: 125 ns a candidate, 226 ns a distance of an unfiltered walk).
const SCAN_COST: f64 = 0.55;

/// How one segment was searched (see [`Collection::search_explained`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentPlan {
    /// The segment's id.
    pub segment: u64,
    /// `"sealed"`, `"frozen"` or `"appendable"`.
    pub kind: &'static str,
    /// Its live points.
    pub live: usize,
    /// Points its field indexes say match for sure (`None`: no index
    /// answered a condition of the filter).
    pub sure: Option<usize>,
    /// Points whose payload the filter is evaluated on (those an index
    /// could not decide, or all of them without an index).
    pub to_check: usize,
    /// Estimated matching points (exact when nothing is left to check).
    pub estimate: f64,
    /// `"graph"` (no filter), `"graph-indexed"` (the graph, accepting the
    /// index's candidates), `"graph-two-hop"` (the graph, computing
    /// distances of candidates only, reached through two hops), `"graph-filtered"` (the graph, evaluating the
    /// filter on visited points), `"scan-candidates"` (exact over the
    /// index's candidates), `"scan-filtered"` (exact over every point,
    /// evaluating the filter), `"scan"` (exact, no filter), `"none"`
    /// (nothing can match).
    pub plan: &'static str,
    /// The estimated cost of that plan, in distance computations.
    pub cost: f64,
    /// The graph came back short and an exact scan replaced it.
    pub fallback: bool,
}

impl SegmentPlan {
    fn new(segment: u64, kind: &'static str, live: usize) -> SegmentPlan {
        SegmentPlan {
            segment,
            kind,
            live,
            sure: None,
            to_check: 0,
            estimate: live as f64,
            plan: "none",
            cost: 0.0,
            fallback: false,
        }
    }
}

/// A hit before it is turned into a result.
pub(super) struct Hit {
    pub(super) dist: f32,
    pub(super) loc: Loc,
}

impl Collection {
    /// The `params.k` points nearest to `query`, best first.
    pub fn search(&self, query: &[f32], params: &SearchParams) -> Result<Vec<ScoredPoint>> {
        self.check_params(params)?;
        let mut q = query.to_vec();
        check_vector(&self.config, &mut q, &|| "query".to_owned())?;
        let st = self.state.read();
        self.check_open()?;
        let hits = self.search_in(&st, &q, params, None)?;
        self.scored(&st, hits, params.with_payload)
    }

    /// Like [`Collection::search`], also returning how each segment was
    /// searched: the plan the filter planner chose, its estimated cost,
    /// and whether a graph search came back short and was replaced.
    pub fn search_explained(
        &self,
        query: &[f32],
        params: &SearchParams,
    ) -> Result<(Vec<ScoredPoint>, Vec<SegmentPlan>)> {
        self.check_params(params)?;
        let mut q = query.to_vec();
        check_vector(&self.config, &mut q, &|| "query".to_owned())?;
        let st = self.state.read();
        self.check_open()?;
        let mut plans = Vec::new();
        let hits = self.search_in(&st, &q, params, Some(&mut plans))?;
        Ok((self.scored(&st, hits, params.with_payload)?, plans))
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
                let hits = self.search_in(&st, q, params, None)?;
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
                let hits = self.search_in(&st, q, params, None)?;
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

    pub(super) fn check_params(&self, p: &SearchParams) -> Result<()> {
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
        if let Some(o) = p.oversampling {
            if !(1.0..=crate::quant::MAX_OVERSAMPLING).contains(&o) {
                return Err(Error::invalid(format!(
                    "params.oversampling is {o}; it must be between 1 and {}",
                    crate::quant::MAX_OVERSAMPLING
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

    /// The best `k` hits over every segment, closest first; with `plans`,
    /// how each segment was searched.
    pub(super) fn search_in(
        &self,
        st: &State,
        q: &[f32],
        p: &SearchParams,
        mut plans: Option<&mut Vec<SegmentPlan>>,
    ) -> Result<Vec<Hit>> {
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
        let mut record = |plan: SegmentPlan| {
            if let Some(v) = plans.as_deref_mut() {
                v.push(plan);
            }
        };
        for (i, s) in st.sealed.iter().enumerate() {
            let (hits, plan) = self.search_sealed(st, i, &s.deleted, q, p, ef)?;
            record(plan);
            for n in hits {
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
            let fields: Vec<(u64, &FieldIndex)> =
                f.fields.iter().map(|(d, ix)| (*d, &**ix)).collect();
            let (hits, plan) = self.search_exact(
                st,
                &flat,
                f.seg.len(),
                &f.deleted,
                &fields,
                q,
                k,
                filter,
                Seg::Frozen(i),
                &|o| Loc::Frozen(i, o),
            )?;
            record(SegmentPlan {
                segment: f.seg.id,
                kind: "frozen",
                ..plan
            });
            for n in hits {
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
        let fields: Vec<(u64, &FieldIndex)> =
            st.active_fields.iter().map(|(d, ix)| (*d, ix)).collect();
        let (hits, plan) = self.search_exact(
            st,
            &flat,
            st.active.len(),
            &st.active_deleted,
            &fields,
            q,
            k,
            filter,
            Seg::Active,
            &Loc::Active,
        )?;
        record(SegmentPlan {
            segment: st.active.id,
            kind: "appendable",
            ..plan
        });
        for n in hits {
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

    /// The filter's candidates in a segment of `len` offsets from its field
    /// indexes, deleted points removed; `None` when no index answers any
    /// of its conditions.
    pub(super) fn candidates(
        &self,
        st: &State,
        filter: &Filter,
        fields: &[(u64, &FieldIndex)],
        len: usize,
        deleted: &Bitset,
        seg: Seg,
    ) -> Option<Tri> {
        if fields.is_empty() && !names_ids(filter) {
            return None;
        }
        let mut used = false;
        let lookup = |id: u64| st.lookup_in(seg, id);
        let mut t = tri(filter, &st.field_defs, fields, len, &lookup, &mut used);
        if !used {
            return None;
        }
        t.yes.and_not_words(deleted.words());
        t.maybe.and_not_words(deleted.words());
        Some(t)
    }

    /// Exact search of an appendable (active or frozen) segment.
    #[allow(clippy::too_many_arguments)]
    fn search_exact(
        &self,
        st: &State,
        flat: &Flat<'_>,
        len: usize,
        deleted: &Bitset,
        fields: &[(u64, &FieldIndex)],
        q: &[f32],
        k: usize,
        filter: Option<&Filter>,
        seg: Seg,
        loc: &dyn Fn(u32) -> Loc,
    ) -> Result<(Vec<Near>, SegmentPlan)> {
        let live = len - deleted.count();
        let mut plan = SegmentPlan::new(0, "", live);
        let hits = match filter.map(|f| (f, self.candidates(st, f, fields, len, deleted, seg))) {
            None => {
                plan.plan = "scan";
                plan.cost = live as f64;
                self.scan(flat, len, q, k, |o| Ok(!deleted.get(o)))?
            }
            Some((f, None)) => {
                plan.plan = "scan-filtered";
                plan.to_check = live;
                plan.cost = live as f64 * (SCAN_COST + EVAL_COST);
                self.scan(flat, len, q, k, |o| {
                    Ok(!deleted.get(o) && self.matches(st, loc(o), Some(f))?)
                })?
            }
            Some((f, Some(t))) => {
                plan.plan = "scan-candidates";
                plan.sure = Some(t.yes.count());
                plan.to_check = t.maybe.count();
                let sure = plan.sure.unwrap_or(0) as f64;
                // Exact when nothing is left to check; at most every
                // point to check otherwise.
                plan.estimate = sure + plan.to_check as f64;
                plan.cost = SCAN_COST * sure + plan.to_check as f64 * (SCAN_COST + EVAL_COST);
                self.scan_candidates(flat, &t, q, k, &|o| self.matches(st, loc(o), Some(f)))?
            }
        };
        Ok((hits, plan))
    }

    /// Exact search over the candidates of `t`: every sure match, and the
    /// `maybe` offsets `check` admits.
    fn scan_candidates(
        &self,
        flat: &Flat<'_>,
        t: &Tri,
        q: &[f32],
        k: usize,
        check: &dyn Fn(u32) -> Result<bool>,
    ) -> Result<Vec<Near>> {
        let dist = self.config.metric.distance_fn();
        let mut all = t.yes.clone();
        all.or(&t.maybe);
        let list: Vec<u32> = all.iter().collect();
        let mut heap: BinaryHeap<Near> = BinaryHeap::with_capacity(k.min(list.len()) + 1);
        for (j, &o) in list.iter().enumerate() {
            // The candidates are known ahead: their loads overlap. The
            // whole vector is asked for (the hardware prefetcher does not
            // follow a gather of scattered rows).
            if let Some(&next) = list.get(j + PREFETCH_AHEAD) {
                flat.prefetch(next);
            }
            if t.maybe.get(o) && !check(o)? {
                continue;
            }
            let d = dist(q, crate::index::hnsw::Vectors::vector(flat, o));
            keep_best(&mut heap, k, Near { dist: d, id: o });
        }
        Ok(heap.into_sorted_vec())
    }

    fn search_sealed(
        &self,
        st: &State,
        i: usize,
        deleted: &Bitset,
        q: &[f32],
        p: &SearchParams,
        ef: usize,
    ) -> Result<(Vec<Near>, SegmentPlan)> {
        let (k, exact, filter) = (p.k, p.exact, p.filter.as_ref());
        let slot = &st.sealed[i];
        let seg = &slot.seg;
        let live = seg.len() - deleted.count();
        let mut plan = SegmentPlan::new(seg.id, "sealed", live);
        if live == 0 {
            plan.plan = "none";
            return Ok((Vec::new(), plan));
        }
        let flat = seg.flat();
        let graph = seg.graph.as_ref().filter(|_| !exact);
        let walker = Walker {
            exact: Exact {
                vs: &flat,
                q,
                dist: self.config.metric.distance_fn(),
            },
            // The query's scorer on codes only when a walk may use it.
            codes: graph.and_then(|_| seg.code_scorer(q, self.config.metric)),
            oversampling: p.oversampling.unwrap_or(
                self.config
                    .storage
                    .default_oversampling(self.config.dimension),
            ),
            rescore: p.rescore,
        };
        // A walk on codes keeps at least its candidates for rescoring: that
        // is the list the costs below are about.
        let ef = if walker.codes.is_some() {
            ef.max(walker.candidates(k))
        } else {
            ef
        };
        let want = k.min(live);
        let walk_cost = |selectivity: f64| {
            let walk = (ef * 2 * self.config.hnsw.m) as f64 / selectivity;
            2.0 * walk.min(live as f64)
        };
        let hits = match filter {
            None => {
                let accept = |o: u32| !deleted.get(o);
                plan.plan = "graph";
                plan.cost = walk_cost(1.0);
                if let Some(g) = graph {
                    let hits = if deleted.count() == 0 && ef <= POOL_MAX {
                        walker.search_all(g, k, ef)
                    } else {
                        walker.search(g, k, ef, accept)
                    };
                    if hits.len() >= want {
                        return Ok((hits, plan));
                    }
                    plan.fallback = true;
                }
                plan.plan = "scan";
                plan.cost = live as f64;
                self.scan(&flat, seg.len(), q, k, |o| Ok(accept(o)))?
            }
            Some(f) => {
                let fields: Vec<(u64, &FieldIndex)> =
                    slot.fields.iter().map(|(d, ix)| (*d, &**ix)).collect();
                match self.candidates(st, f, &fields, seg.len(), deleted, Seg::Sealed(i)) {
                    Some(t) => {
                        self.search_indexed(st, i, &walker, &t, k, ef, graph, f, &mut plan)?
                    }
                    None => {
                        let matches = |o: u32| -> Result<bool> {
                            Ok(!deleted.get(o) && self.matches(st, Loc::Sealed(i, o), Some(f))?)
                        };
                        let (prefer_scan, any) = self.prefer_scan(seg.len(), live, ef, &matches)?;
                        plan.to_check = live;
                        if let (Some(g), false) = (graph, prefer_scan) {
                            plan.plan = "graph-filtered";
                            let hits = graph_search(g, &walker, k, ef, &matches)?;
                            if hits.len() >= want || !any {
                                return Ok((hits, plan));
                            }
                            plan.fallback = true;
                        }
                        plan.plan = "scan-filtered";
                        plan.cost = live as f64 * (1.0 + EVAL_COST);
                        self.scan(&flat, seg.len(), q, k, matches)?
                    }
                }
            }
        };
        Ok((hits, plan))
    }

    /// A sealed segment's search with the candidates its field indexes
    /// gave: exact over the candidates when they are few enough, else the
    /// graph with the candidates as its filter (and the exact search if
    /// the graph comes back short).
    #[allow(clippy::too_many_arguments)]
    fn search_indexed(
        &self,
        st: &State,
        i: usize,
        walker: &Walker<'_>,
        t: &Tri,
        k: usize,
        ef: usize,
        graph: Option<&crate::index::hnsw::Hnsw>,
        f: &Filter,
        plan: &mut SegmentPlan,
    ) -> Result<Vec<Near>> {
        let sure = t.yes.count();
        let to_check = t.maybe.count();
        plan.sure = Some(sure);
        plan.to_check = to_check;
        if sure + to_check == 0 {
            plan.plan = "none";
            return Ok(Vec::new());
        }
        let check = |o: u32| self.matches(st, Loc::Sealed(i, o), Some(f));
        // The share of the points to check that match, from a sample.
        let share = if to_check == 0 {
            0.0
        } else {
            let sample = t.maybe.sample(64);
            let mut hit = 0usize;
            for &o in &sample {
                hit += usize::from(check(o)?);
            }
            hit as f64 / sample.len() as f64
        };
        let live = plan.live;
        plan.estimate = sure as f64 + share * to_check as f64;
        let exact_cost = SCAN_COST * sure as f64 + to_check as f64 * (SCAN_COST + EVAL_COST);
        let selectivity = (plan.estimate / live as f64).max(1.0 / live as f64);
        // An unfiltered walk computes about `WALK * ef` distances; with a
        // filter, it passes `1 / selectivity` times as many nodes to keep
        // `ef`; the two-hop walk computes distances of admitted nodes only,
        // and reads the links of the rejected ones.
        let walk = WALK * (ef * 2 * self.config.hnsw.m) as f64;
        let graph_cost = (walk / selectivity).min(live as f64)
            * (1.0 + EVAL_COST * to_check as f64 / live as f64);
        // Sparser candidates are harder to reach through two hops: the
        // walk keeps more of them to hold its recall.
        let ef2 = (ef as f64 * (TWO_HOP_SPARSE / selectivity).max(1.0)).ceil();
        let two_hop_cost = TWO_HOP * walk * ef2 / ef as f64;
        if let (Some(g), true, 0) = (graph, two_hop_cost < exact_cost.min(graph_cost), to_check) {
            plan.plan = "graph-two-hop";
            plan.cost = two_hop_cost;
            let hits = walker.two_hop(g, k, ef2 as usize, |o| t.yes.get(o));
            if hits.len() >= k || hits.len() >= sure {
                return Ok(hits);
            }
            plan.fallback = true;
        } else if let (Some(g), true) = (graph, graph_cost < exact_cost) {
            plan.plan = "graph-indexed";
            plan.cost = graph_cost;
            let accept = |o: u32| Ok(t.yes.get(o) || (t.maybe.get(o) && check(o)?));
            let hits = graph_search(g, walker, k, ef, &accept)?;
            if hits.len() >= k || hits.len() >= sure + to_check {
                return Ok(hits);
            }
            plan.fallback = true;
        }
        plan.plan = "scan-candidates";
        plan.cost = exact_cost;
        self.scan_candidates(walker.exact.vs, t, walker.exact.q, k, &check)
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
            keep_best(&mut heap, k, Near { dist: d, id: o });
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

/// Keeps `near` in `heap` (a max-heap of at most `k`) if it is among the
/// `k` closest so far.
#[inline]
fn keep_best(heap: &mut BinaryHeap<Near>, k: usize, near: Near) {
    if heap.len() < k {
        heap.push(near);
    } else if heap.peek().is_some_and(|w| near.dist < w.dist) {
        heap.pop();
        heap.push(near);
    }
}

/// A graph search whose filter can fail (reading a payload): the first
/// error ends it.
fn graph_search(
    g: &Hnsw,
    walker: &Walker<'_>,
    k: usize,
    ef: usize,
    accept: &dyn Fn(u32) -> Result<bool>,
) -> Result<Vec<Near>> {
    let failed = std::cell::Cell::new(None);
    let hits = walker.search(g, k, ef, |o| {
        if let Some(e) = failed.take() {
            // Failed already: accept nothing more.
            failed.set(Some(e));
            return false;
        }
        match accept(o) {
            Ok(m) => m,
            Err(e) => {
                failed.set(Some(e));
                false
            }
        }
    });
    match failed.take() {
        Some(e) => Err(e),
        None => Ok(hits),
    }
}

/// Largest candidate list walked with the sorted pool (its inserts move up
/// to `ef` entries; beyond this the heaps' logarithmic cost wins).
const POOL_MAX: usize = 1024;

/// How a sealed segment's graph is walked for one query: on the exact
/// vectors, or on codes with the best `k × oversampling` candidates
/// rescored exactly (unless `rescore` is off).
struct Walker<'a> {
    exact: Exact<'a, Flat<'a>>,
    codes: Option<CodeScorer<'a>>,
    oversampling: f32,
    rescore: bool,
}

impl Walker<'_> {
    /// Candidates the walk on codes keeps for `k` results.
    fn candidates(&self, k: usize) -> usize {
        ((k as f64 * self.oversampling as f64).ceil() as usize).clamp(k, k.max(MAX_K))
    }

    /// The (up to) `k` best accepted nodes of a best-first walk.
    fn search(&self, g: &Hnsw, k: usize, ef: usize, accept: impl Fn(u32) -> bool) -> Vec<Near> {
        match &self.codes {
            None => g.search_by(&self.exact, k, ef, accept),
            Some(sc) => {
                let c = self.candidates(k);
                self.finish(g.search_by(sc, c, ef.max(c), accept), k)
            }
        }
    }

    /// Like [`Walker::search`] when every node is accepted.
    fn search_all(&self, g: &Hnsw, k: usize, ef: usize) -> Vec<Near> {
        match &self.codes {
            None => g.search_all(&self.exact, k, ef),
            Some(sc) => {
                let c = self.candidates(k);
                self.finish(g.search_all(sc, c, ef.max(c)), k)
            }
        }
    }

    /// Like [`Walker::search`] with the two-hop walk.
    fn two_hop(&self, g: &Hnsw, k: usize, ef: usize, accept: impl Fn(u32) -> bool) -> Vec<Near> {
        match &self.codes {
            None => g.search_two_hop(&self.exact, k, ef, accept),
            Some(sc) => {
                let c = self.candidates(k);
                self.finish(g.search_two_hop(sc, c, ef.max(c), accept), k)
            }
        }
    }

    /// The `k` best of candidates found on codes: rescored on the original
    /// vectors (rows asked for ahead), or as estimated.
    fn finish(&self, mut hits: Vec<Near>, k: usize) -> Vec<Near> {
        if self.rescore {
            for h in hits.iter().take(PREFETCH_AHEAD) {
                self.exact.vs.prefetch(h.id);
            }
            for j in 0..hits.len() {
                if let Some(next) = hits.get(j + PREFETCH_AHEAD) {
                    self.exact.vs.prefetch(next.id);
                }
                hits[j].dist = self.exact.dist(hits[j].id);
            }
            hits.sort_unstable();
        }
        hits.truncate(k);
        hits
    }
}

/// The id at `loc`.
fn id_at(st: &State, loc: Loc) -> u64 {
    st.id_at(loc)
}

/// How many candidates ahead an exact scan asks for the vector.
const PREFETCH_AHEAD: usize = 3;

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
