//! Rank fusion for hybrid search: several ranked hit lists merged into one.
//!
//! Two entry points:
//!
//! * [`fuse`] merges the hits of different *branches* of a hybrid search
//!   (say a dense vector search and a sparse or keyword search), each with
//!   its own weight and score orientation, by one of the [`Fusion`] methods.
//! * [`fuse_multi`] merges the result lists of the *same* dense search run
//!   with several query vectors (one list per query), by one of the
//!   [`MultiFusion`] methods.
//!
//! Both return the best `limit` ids with their fused scores, best first,
//! ties broken by ascending id; every id found in any input list is a
//! candidate. The inputs are checked before anything is computed: weights
//! must be finite and `>= 0`, the RRF constant `k` finite and `> 0`, every
//! score finite (a NaN or infinite score is refused, naming its list and
//! position), an id may appear at most once in one list, and `limit` must be
//! at least 1.
//!
//! # Orientation
//!
//! A list's scores are *higher-is-better* (cosine or dot similarity, a text
//! relevance score) or *lower-is-better* (euclidean distance, hamming
//! distance). The score-based methods first orient every score so that
//! higher is better: `o = s` for a higher-is-better list, `o = -s` for a
//! lower-is-better one. All formulas below are written with `o`.
//!
//! # [`fuse`]: branch fusion
//!
//! For a branch `b` with weight `w_b` and hits `h_b` (best first), an id `d`
//! gets the sum, over the branches `b` whose hits hold `d`, of
//! `w_b * c_b(d)`, where the contribution `c_b(d)` is:
//!
//! * [`Fusion::Rrf`] (reciprocal rank fusion): `c = 1 / (k + rank)`, where
//!   `rank` is `d`'s position in `h_b` counted from 1. Only positions
//!   matter, not the scores (two hits with equal scores still get ranks `r`
//!   and `r + 1`), so hits must be passed in the branch's own best-first
//!   order. The usual `k` is 60 (Qdrant's and velesdb's default).
//! * [`Fusion::RelativeScore`] (relative score fusion): the branch's
//!   oriented scores min-max normalised,
//!   `c = (o - min) / (max - min)`, so its best hit gets 1 and its worst 0;
//!   when all its scores are equal (one hit, for instance) each hit gets 1.
//! * [`Fusion::Dbsf`] (distribution-based score fusion): the branch's
//!   oriented scores normalised by their mean `μ` plus or minus three
//!   population standard deviations `σ = sqrt(Σ (o - μ)² / n)`:
//!   `c = clamp((o - (μ - 3σ)) / (6σ), 0, 1)`; when all its scores are equal
//!   (`σ = 0`) each hit gets 1.
//! * [`Fusion::Weighted`]: the oriented raw score, `c = o` (the negated
//!   distance for a lower-is-better branch).
//!
//! Ids are ranked by decreasing fused score (higher is better, whatever the
//! branches' orientations). A branch of weight 0 adds nothing to any score,
//! but the ids it holds remain candidates (with what the other branches give
//! them, or 0). The RRF and score-normalising fusions only use the scores
//! *within* a branch, so branches with scores on different scales mix
//! freely; [`Fusion::Weighted`] adds raw scores, so it is meaningful only
//! when the branches' scales are comparable (or the weights make them so).
//!
//! # [`fuse_multi`]: multi-query fusion
//!
//! The lists come from one search, so they share one orientation
//! (`higher_is_better`) and scale. For an id `d`, over the lists `q` that
//! hold it (a list that does not hold `d` contributes nothing, not a zero
//! score), with `s_q(d)` its raw score in list `q`:
//!
//! * [`MultiFusion::Average`]: the mean of `s_q(d)` over the lists holding
//!   `d` (not over all lists: an id found by one query is not penalised for
//!   being absent from the others).
//! * [`MultiFusion::Max`]: the best `s_q(d)`: the largest for
//!   higher-is-better scores, the smallest for distances.
//! * [`MultiFusion::Rrf`]: `Σ 1 / (k + rank_q(d))`, as [`Fusion::Rrf`] with
//!   every weight 1.
//! * [`MultiFusion::Weighted`]: `Σ w_q * o_q(d)`, as [`Fusion::Weighted`]
//!   (distances negated), with one weight per list.
//!
//! Average and Max return scores in the lists' own orientation (distances
//! stay distances, the smallest first); RRF and Weighted return
//! higher-is-better scores. [`MultiFusion::higher_is_better`] tells which.
//! The returned list is best first in every case.
//!
//! Scores are accumulated in `f64` and rounded to `f32` before the ranking,
//! so the returned list is exactly ordered by its returned scores (best
//! first), then by ascending id; a zero score is always `+0.0`. (Only
//! [`Fusion::Weighted`] and [`MultiFusion::Weighted`] can produce a fused
//! score beyond `f32`'s range, from huge scores times huge weights; it is
//! returned as an infinity.)

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use crate::error::{Error, Result};

#[cfg(test)]
mod tests;

/// The customary RRF constant `k` (Qdrant's and velesdb's default), which
/// [`Fusion::parse`] and [`Fusion::default`] give. Private: cbindgen would
/// put a public constant into the C header.
const DEFAULT_RRF_K: f32 = 60.0;

/// One branch of a hybrid search: its ranked hits, best first, as the
/// branch returned them, with the branch's weight and score orientation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Branch<'a> {
    /// `(point id, score)` pairs, best first; an id may appear only once.
    pub hits: &'a [(u64, f32)],
    /// The branch's weight in the fused score: finite and `>= 0` (1 is
    /// neutral, 0 makes the branch contribute nothing).
    pub weight: f32,
    /// Whether a higher score is better (similarities, relevance scores);
    /// `false` for distance-like scores (euclidean, hamming), where the
    /// lowest score is the best.
    pub higher_is_better: bool,
}

impl<'a> Branch<'a> {
    /// A branch of weight 1.
    pub fn new(hits: &'a [(u64, f32)], higher_is_better: bool) -> Branch<'a> {
        Branch {
            hits,
            weight: 1.0,
            higher_is_better,
        }
    }

    /// The same branch with weight `weight`.
    pub fn with_weight(self, weight: f32) -> Branch<'a> {
        Branch { weight, ..self }
    }
}

/// How [`fuse`] combines the branches (formulas in the [module
/// documentation](self)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fusion {
    /// Reciprocal rank fusion: `Σ weight / (k + rank)`, rank counted from 1.
    Rrf {
        /// The rank offset, finite and `> 0` (usually 60);
        /// a larger `k` flattens the difference between top and lower ranks.
        k: f32,
    },
    /// Relative score fusion: `Σ weight * ` the branch's scores min-max
    /// normalised to `[0, 1]` (best 1; all-equal scores give 1).
    RelativeScore,
    /// Distribution-based score fusion: `Σ weight * ` the branch's scores
    /// normalised over mean ± 3 population standard deviations, clamped to
    /// `[0, 1]` (all-equal scores give 1).
    Dbsf,
    /// `Σ weight * ` raw score (negated for lower-is-better branches).
    Weighted,
}

impl Default for Fusion {
    /// RRF with `k` = 60.
    fn default() -> Fusion {
        Fusion::Rrf { k: DEFAULT_RRF_K }
    }
}

impl Fusion {
    /// Parses a fusion name, case-insensitive, surrounding blanks ignored:
    /// `"rrf"` (with `k` = 60), `"rsf"` or
    /// `"relative_score"`, `"dbsf"`, `"weighted"`.
    pub fn parse(name: &str) -> Result<Fusion> {
        let n = name.trim().to_ascii_lowercase();
        match n.as_str() {
            "rrf" => Ok(Fusion::default()),
            "rsf" | "relative_score" => Ok(Fusion::RelativeScore),
            "dbsf" => Ok(Fusion::Dbsf),
            "weighted" => Ok(Fusion::Weighted),
            _ => Err(Error::invalid(format!(
                "unknown fusion {name:?}; expected one of \"rrf\", \"rsf\" (or \"relative_score\"), \"dbsf\", \"weighted\""
            ))),
        }
    }

    /// The canonical name, which [`Fusion::parse`] reads back (for RRF,
    /// without its `k`): `"rrf"`, `"rsf"`, `"dbsf"` or `"weighted"`.
    pub fn name(&self) -> &'static str {
        match self {
            Fusion::Rrf { .. } => "rrf",
            Fusion::RelativeScore => "rsf",
            Fusion::Dbsf => "dbsf",
            Fusion::Weighted => "weighted",
        }
    }

    /// Checks the parameters: RRF's `k` must be finite and `> 0`.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Fusion::Rrf { k } => check_k(k),
            _ => Ok(()),
        }
    }
}

/// How [`fuse_multi`] combines the result lists of one search run with
/// several query vectors (formulas in the [module documentation](self)).
#[derive(Clone, Debug, PartialEq)]
pub enum MultiFusion {
    /// The mean of an id's scores over the lists that hold it, in the
    /// lists' orientation.
    Average,
    /// An id's best score over the lists (the lowest for distances), in the
    /// lists' orientation.
    Max,
    /// Reciprocal rank fusion with every list of weight 1: `Σ 1 / (k + rank)`.
    Rrf {
        /// The rank offset, finite and `> 0` (usually 60).
        k: f32,
    },
    /// `Σ weight * ` score (distances negated), one weight per list, each
    /// finite and `>= 0`; higher-is-better result.
    Weighted(Vec<f32>),
}

impl MultiFusion {
    /// Whether the scores [`fuse_multi`] returns in this mode are
    /// higher-is-better, for input scores of orientation
    /// `input_higher_is_better`: Average and Max keep the input's
    /// orientation, RRF and Weighted always return higher-is-better scores.
    pub fn higher_is_better(&self, input_higher_is_better: bool) -> bool {
        match self {
            MultiFusion::Average | MultiFusion::Max => input_higher_is_better,
            MultiFusion::Rrf { .. } | MultiFusion::Weighted(_) => true,
        }
    }
}

/// Fuses the branches' hits with `fusion`: every id found in any branch
/// gets its fused score (see the [module documentation](self)); returns the
/// best `limit` `(id, fused score)` pairs, highest fused score first, ties
/// broken by ascending id.
///
/// Fails with `InvalidArgument`, before computing anything, if `limit` is
/// 0, RRF's `k` is not finite and `> 0`, a branch's weight is not finite
/// and `>= 0`, or a score is not finite; and if an id appears twice in one
/// branch. Each message names the branch by its index in `branches`.
pub fn fuse(branches: &[Branch<'_>], fusion: Fusion, limit: usize) -> Result<Vec<(u64, f32)>> {
    check_limit(limit)?;
    fusion.validate()?;
    for (i, b) in branches.iter().enumerate() {
        check_weight("branch", i, b.weight)?;
        check_scores("branch", i, b.hits)?;
    }
    let total: usize = branches.iter().map(|b| b.hits.len()).sum();
    let mut acc = Accumulator::with_capacity(total);
    for (i, b) in branches.iter().enumerate() {
        if b.hits.is_empty() {
            continue;
        }
        let w = f64::from(b.weight);
        let hib = b.higher_is_better;
        let add = |acc: &mut Accumulator, f: &dyn Fn(usize, f64) -> f64| {
            acc.add("branch", i, b.hits, Combine::Sum, |pos, s| {
                w * f(pos, orient(s, hib))
            })
        };
        match fusion {
            Fusion::Rrf { k } => {
                let k = f64::from(k);
                add(&mut acc, &|pos, _| 1.0 / (k + (pos + 1) as f64))?;
            }
            Fusion::RelativeScore => {
                let (lo, hi) = oriented_range(b.hits, hib);
                if lo == hi {
                    add(&mut acc, &|_, _| 1.0)?;
                } else {
                    add(&mut acc, &|_, o| (o - lo) / (hi - lo))?;
                }
            }
            Fusion::Dbsf => {
                let (lo, hi) = oriented_range(b.hits, hib);
                if lo == hi {
                    // σ = 0, tested on the range: a mean computed from
                    // equal values need not equal them exactly.
                    add(&mut acc, &|_, _| 1.0)?;
                } else {
                    let n = b.hits.len() as f64;
                    let mean = b.hits.iter().map(|h| orient(h.1, hib)).sum::<f64>() / n;
                    let var = b
                        .hits
                        .iter()
                        .map(|h| (orient(h.1, hib) - mean).powi(2))
                        .sum::<f64>()
                        / n;
                    let sigma = var.sqrt();
                    let low = mean - 3.0 * sigma;
                    let width = 6.0 * sigma;
                    add(&mut acc, &|_, o| ((o - low) / width).clamp(0.0, 1.0))?;
                }
            }
            Fusion::Weighted => add(&mut acc, &|_, o| o)?,
        }
    }
    Ok(acc.finish(limit, |a| a.value, false))
}

/// Fuses the result lists of one dense search run with several query
/// vectors (`lists[q]` holds query `q`'s hits, best first), whose scores
/// share the orientation `higher_is_better`; returns the best `limit`
/// `(id, fused score)` pairs, best first, ties broken by ascending id. The
/// returned scores are higher-is-better for RRF and Weighted, and keep the
/// input orientation for Average and Max (with distances, the smallest
/// first); see [`MultiFusion::higher_is_better`] and the [module
/// documentation](self) for the formulas.
///
/// Fails with `InvalidArgument`, before computing anything, if `limit` is
/// 0, RRF's `k` is not finite and `> 0`, Weighted does not have exactly one
/// weight per list or a weight is not finite and `>= 0`, or a score is not
/// finite; and if an id appears twice in one list. Each message names the
/// list as "query" and its index in `lists`.
pub fn fuse_multi(
    lists: &[&[(u64, f32)]],
    higher_is_better: bool,
    how: &MultiFusion,
    limit: usize,
) -> Result<Vec<(u64, f32)>> {
    check_limit(limit)?;
    match how {
        MultiFusion::Rrf { k } => check_k(*k)?,
        MultiFusion::Weighted(weights) => {
            if weights.len() != lists.len() {
                return Err(Error::invalid(format!(
                    "weighted fusion has {} weights for {} queries; give one weight per query",
                    weights.len(),
                    lists.len()
                )));
            }
            for (i, &w) in weights.iter().enumerate() {
                check_weight("query", i, w)?;
            }
        }
        MultiFusion::Average | MultiFusion::Max => {}
    }
    for (i, hits) in lists.iter().enumerate() {
        check_scores("query", i, hits)?;
    }
    let total: usize = lists.iter().map(|l| l.len()).sum();
    let mut acc = Accumulator::with_capacity(total);
    let hib = higher_is_better;
    for (i, hits) in lists.iter().enumerate() {
        match how {
            MultiFusion::Average => {
                acc.add("query", i, hits, Combine::Sum, |_, s| orient(s, hib))?
            }
            MultiFusion::Max => acc.add("query", i, hits, Combine::Max, |_, s| orient(s, hib))?,
            MultiFusion::Rrf { k } => {
                let k = f64::from(*k);
                acc.add("query", i, hits, Combine::Sum, |pos, _| {
                    1.0 / (k + (pos + 1) as f64)
                })?
            }
            MultiFusion::Weighted(weights) => {
                let w = f64::from(weights[i]);
                acc.add("query", i, hits, Combine::Sum, |_, s| w * orient(s, hib))?
            }
        }
    }
    let flip = !how.higher_is_better(higher_is_better);
    Ok(match how {
        MultiFusion::Average => acc.finish(limit, |a| a.value / f64::from(a.count), flip),
        _ => acc.finish(limit, |a| a.value, flip),
    })
}

/// A score turned higher-is-better.
fn orient(s: f32, higher_is_better: bool) -> f64 {
    let s = f64::from(s);
    if higher_is_better {
        s
    } else {
        -s
    }
}

/// The smallest and largest oriented score of non-empty `hits`.
fn oriented_range(hits: &[(u64, f32)], higher_is_better: bool) -> (f64, f64) {
    hits.iter()
        .map(|h| orient(h.1, higher_is_better))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), o| {
            (lo.min(o), hi.max(o))
        })
}

fn check_limit(limit: usize) -> Result<()> {
    if limit == 0 {
        return Err(Error::invalid("fusion limit is 0; it must be at least 1"));
    }
    Ok(())
}

fn check_k(k: f32) -> Result<()> {
    if !(k.is_finite() && k > 0.0) {
        return Err(Error::invalid(format!(
            "rrf k is {k}; it must be finite and > 0 (usually {DEFAULT_RRF_K})"
        )));
    }
    Ok(())
}

/// `label` is "branch" or "query", `i` the list's index.
fn check_weight(label: &str, i: usize, w: f32) -> Result<()> {
    if !(w.is_finite() && w >= 0.0) {
        return Err(Error::invalid(format!(
            "{label} {i} weight is {w}; weights must be finite and >= 0"
        )));
    }
    Ok(())
}

fn check_scores(label: &str, i: usize, hits: &[(u64, f32)]) -> Result<()> {
    if let Some(pos) = hits.iter().position(|h| !h.1.is_finite()) {
        let (id, s) = hits[pos];
        return Err(Error::invalid(format!(
            "{label} {i}: the score at position {pos} (id {id}) is {s}; scores must be finite"
        )));
    }
    Ok(())
}

/// How a list's contribution joins an id's accumulated value.
#[derive(Clone, Copy)]
enum Combine {
    Sum,
    Max,
}

/// An id's accumulated state.
struct Acc {
    /// The sum or the maximum of the contributions (higher is better).
    value: f64,
    /// How many lists hold the id.
    count: u32,
    /// The index of the last list that held the id (to catch an id twice
    /// in one list).
    list: usize,
}

struct Accumulator {
    map: HashMap<u64, Acc>,
}

impl Accumulator {
    fn with_capacity(n: usize) -> Accumulator {
        Accumulator {
            map: HashMap::with_capacity(n),
        }
    }

    /// Adds list `i`'s hits, `contribution(position, score)` each. Lists
    /// must be added in increasing `i`.
    fn add(
        &mut self,
        label: &str,
        i: usize,
        hits: &[(u64, f32)],
        how: Combine,
        mut contribution: impl FnMut(usize, f32) -> f64,
    ) -> Result<()> {
        for (pos, &(id, s)) in hits.iter().enumerate() {
            let c = contribution(pos, s);
            match self.map.entry(id) {
                Entry::Vacant(e) => {
                    e.insert(Acc {
                        value: c,
                        count: 1,
                        list: i,
                    });
                }
                Entry::Occupied(mut e) => {
                    let a = e.get_mut();
                    if a.list == i {
                        let first = hits.iter().position(|h| h.0 == id).unwrap_or(pos);
                        return Err(Error::invalid(format!(
                            "{label} {i} holds id {id} at positions {first} and {pos}; an id may appear only once in one {label}'s hits"
                        )));
                    }
                    a.list = i;
                    a.count += 1;
                    match how {
                        Combine::Sum => a.value += c,
                        Combine::Max => a.value = a.value.max(c),
                    }
                }
            }
        }
        Ok(())
    }

    /// The best `limit` ids by `score` (higher is better), rounded to f32,
    /// ties by ascending id; the scores negated on output if `flip`.
    fn finish(self, limit: usize, score: impl Fn(&Acc) -> f64, flip: bool) -> Vec<(u64, f32)> {
        // `+ 0.0` turns -0.0 into +0.0; no score is NaN (finite inputs).
        let mut out: Vec<(u64, f32)> = self
            .map
            .iter()
            .map(|(&id, a)| (id, score(a) as f32 + 0.0))
            .collect();
        let best_first = |a: &(u64, f32), b: &(u64, f32)| {
            b.1.partial_cmp(&a.1)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.0.cmp(&b.0))
        };
        if limit < out.len() {
            out.select_nth_unstable_by(limit, best_first);
            out.truncate(limit);
        }
        out.sort_unstable_by(best_first);
        if flip {
            for h in &mut out {
                h.1 = -h.1 + 0.0;
            }
        }
        out
    }
}
