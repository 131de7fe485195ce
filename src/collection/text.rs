//! Full-text search: BM25 over the text indexes of one or more payload
//! fields, with a boost per field, a match mode and a payload filter.
//!
//! For each field `f` searched, with the analyzer of its text index, the
//! query gives the distinct terms `t`; over the live points of the whole
//! collection (every segment), `n_f` is the number of points with text in
//! `f`, `avg_f` their mean length in terms and `df_f(t)` the number holding
//! `t`. A point `d` with `tf` occurrences of `t` in a text of `len` terms
//! scores
//!
//! ```text
//! score(d) = sum over fields f of boost_f * sum over terms t of
//!            idf_f(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg_f))
//! idf_f(t) = ln(1 + (n_f - df_f(t) + 0.5) / (df_f(t) + 0.5))
//! ```
//!
//! (Lucene's BM25, with `k1` and `b` of each field's index). The match
//! mode decides which points are returned: `any` every point holding a
//! term in a field; `all` the points where one field holds every term
//! (as that field analyzes the query); `phrase` the points where one field
//! holds the terms in order, adjacent, within one string. A returned point
//! scores over every field searched, not only the one that matched.

use super::state::{Loc, Seg, State};
use super::Collection;
use crate::collection::ops::parse_stored;
use crate::error::{Error, Result};
use crate::filter::{text_matches, FieldPath, Filter, TextMatch, TextMode};
use crate::index::text::{bm25, idf, TextIndex};
use crate::index::topk::TopK;
use crate::point::{RawHit, ScoredPoint};
use crate::segment::bitset::Bitset;
use std::cell::RefCell;

/// The largest number of results a text search returns.
pub(crate) const MAX_TEXT_K: usize = 100_000;

/// The longest query text, in bytes (its terms are deduplicated and
/// scored one list each; this bounds the work of one query).
pub(crate) const MAX_QUERY_BYTES: usize = 64 << 10;

/// The largest boost of a field.
pub(crate) const MAX_BOOST: f32 = 1e6;

/// A full-text query.
#[derive(Clone, Debug, PartialEq)]
pub struct TextQuery {
    /// The query text (analyzed as each field's text index analyzes).
    pub query: String,
    /// The fields to search, each with its boost (a finite weight `>= 0`);
    /// each must have a text index.
    pub fields: Vec<(String, f32)>,
    /// Which points match.
    pub mode: TextMode,
    /// How many results, best first.
    pub k: usize,
    /// Only points matching this filter.
    pub filter: Option<Filter>,
    /// Return each point's payload.
    pub with_payload: bool,
}

impl TextQuery {
    /// `query` over `field` (boost 1), any term, top `k`, no filter, no
    /// payloads.
    pub fn new(query: &str, field: &str, k: usize) -> TextQuery {
        TextQuery {
            query: query.to_owned(),
            fields: vec![(field.to_owned(), 1.0)],
            mode: TextMode::Any,
            k,
            filter: None,
            with_payload: false,
        }
    }
}

/// One field of a query, resolved against the collection.
struct FieldPlan<'a> {
    def_id: u64,
    path: &'a FieldPath,
    boost: f32,
    /// Distinct terms with their idf.
    terms: Vec<(String, f32)>,
    avg_len: f32,
    k1: f32,
    b: f32,
    analyzer: &'a crate::index::text::Analyzer,
}

/// Per-thread scratch of one segment's scoring, reset after each use.
#[derive(Default)]
struct Scratch {
    score: Vec<f32>,
    /// Terms of the current field found at each offset.
    count: Vec<u16>,
    /// Offsets touched (a score or a count set).
    touched: Vec<u32>,
    /// Per offset: [`SEEN`] once in `touched`, [`PASS`] once some field
    /// matched in `all` / `phrase` mode.
    flags: Vec<u8>,
}

const SEEN: u8 = 1;
const PASS: u8 = 2;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Collection {
    /// The best `q.k` points for the full-text query `q`, by BM25 (see the
    /// module documentation for the formula and the match modes), best
    /// first; ties by ascending id.
    pub fn text_search(&self, q: &TextQuery) -> Result<Vec<ScoredPoint>> {
        let st = self.state.read();
        self.check_open()?;
        let hits = self.text_hits(&st, q)?;
        scored_points(&st, hits, q.with_payload)
    }

    /// Like [`Collection::text_search`], with payloads as the exact bytes
    /// they were written with.
    pub fn text_search_raw(&self, q: &TextQuery) -> Result<Vec<RawHit>> {
        let st = self.state.read();
        self.check_open()?;
        let hits = self.text_hits(&st, q)?;
        raw_hits(&st, hits, q.with_payload)
    }

    /// The scored locations of [`Collection::text_search`].
    pub(super) fn text_hits(&self, st: &State, q: &TextQuery) -> Result<Vec<(f32, Loc)>> {
        if q.k == 0 || q.k > MAX_TEXT_K {
            return Err(Error::invalid(format!(
                "k is {}; it must be between 1 and {MAX_TEXT_K}",
                q.k
            )));
        }
        if q.fields.is_empty() {
            return Err(Error::invalid(
                "fields is empty; name at least one field with a text index",
            ));
        }
        if let Some(f) = &q.filter {
            f.validate()?;
        }
        if q.query.len() > MAX_QUERY_BYTES {
            return Err(Error::invalid(format!(
                "the query text has {} bytes; at most {MAX_QUERY_BYTES} are searched",
                q.query.len()
            )));
        }
        let mut plans = Vec::with_capacity(q.fields.len());
        for (i, (name, boost)) in q.fields.iter().enumerate() {
            if !(boost.is_finite() && (0.0..=MAX_BOOST).contains(boost)) {
                return Err(Error::invalid(format!(
                    "fields[{i}] (\"{name}\") has boost {boost}; a boost must be a number from 0 to {MAX_BOOST}"
                )));
            }
            let path =
                FieldPath::parse(name).map_err(|e| Error::invalid(format!("fields[{i}]: {e}")))?;
            let def = st
                .field_defs
                .iter()
                .find(|d| d.is_text() && d.path == path)
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "field \"{name}\" has no text index in collection \"{}\"; create one with create_text_index",
                        self.name
                    ))
                })?;
            if plans.iter().any(|p: &FieldPlan<'_>| p.def_id == def.id) {
                return Err(Error::invalid(format!(
                    "field \"{name}\" is named twice in fields"
                )));
            }
            let analyzer = def.text.as_deref().expect("a text index has an analyzer");
            let c = *analyzer.config();
            plans.push(FieldPlan {
                def_id: def.id,
                path: &def.path,
                boost: *boost,
                terms: analyzer
                    .query_terms(&q.query)
                    .into_iter()
                    .map(|t| (t, 0.0))
                    .collect(),
                avg_len: 0.0,
                k1: c.k1,
                b: c.b,
                analyzer,
            });
        }
        let segs = st.segments();
        // Collection-wide statistics over the live points.
        for p in &mut plans {
            let (mut n, mut tokens) = (0u64, 0u64);
            let mut df = vec![0u64; p.terms.len()];
            for s in &segs {
                let Some(t) = text_of(&s.fields, p.def_id) else {
                    continue;
                };
                let (d, l) = t.live_stats(s.deleted);
                n += d;
                tokens += l;
                for (j, (term, _)) in p.terms.iter().enumerate() {
                    df[j] += t.live_df(term, s.deleted);
                }
            }
            p.avg_len = if n > 0 { tokens as f32 / n as f32 } else { 0.0 };
            for (j, (_, w)) in p.terms.iter_mut().enumerate() {
                *w = idf(n, df[j]) * p.boost;
            }
        }
        let mut all: Vec<(f32, u64, Loc)> = Vec::new();
        for s in &segs {
            let found = SCRATCH.with(|scratch| {
                let mut scratch = scratch.borrow_mut();
                self.text_segment(
                    st,
                    q,
                    &plans,
                    s.seg,
                    s.len,
                    s.deleted,
                    &s.fields,
                    &mut scratch,
                )
            })?;
            all.extend(found.into_iter().map(|(sc, loc)| (sc, st.id_at(loc), loc)));
        }
        all.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        all.truncate(q.k);
        Ok(all.into_iter().map(|(s, _, loc)| (s, loc)).collect())
    }

    /// The best `q.k` points of one segment.
    #[allow(clippy::too_many_arguments)]
    fn text_segment(
        &self,
        st: &State,
        q: &TextQuery,
        plans: &[FieldPlan<'_>],
        seg: Seg,
        len: usize,
        deleted: &Bitset,
        fields: &[(u64, &crate::segment::field_index::FieldIndex)],
        sc: &mut Scratch,
    ) -> Result<Vec<(f32, Loc)>> {
        let need_all = q.mode != TextMode::Any;
        let tri = q
            .filter
            .as_ref()
            .and_then(|f| self.candidates(st, f, fields, len, deleted, seg));
        if let Some(lists) = self.pruned_lists(q, plans, fields, &tri) {
            let id_of = |o: u32| st.id_at(seg.at(o));
            let allowed = |o: u32| !deleted.get(o) && tri.as_ref().is_none_or(|t| t.yes.get(o));
            return Ok(max_score(lists, q.k, &allowed, &id_of)
                .into_iter()
                .map(|(s, o)| (s, seg.at(o)))
                .collect());
        }
        if sc.score.len() < len {
            sc.score.resize(len, 0.0);
            sc.count.resize(len, 0);
            sc.flags.resize(len, 0);
        }
        for p in plans {
            let Some(t) = text_of(fields, p.def_id) else {
                continue;
            };
            let nterms = p.terms.len();
            for (term, w) in &p.terms {
                for post in t.postings(term) {
                    let o = post.offset as usize;
                    if deleted.get(post.offset) {
                        continue;
                    }
                    if sc.flags[o] & SEEN == 0 {
                        sc.flags[o] |= SEEN;
                        sc.touched.push(post.offset);
                    }
                    sc.score[o] += bm25(*w, post.tf, t.doc_len(post.offset), p.avg_len, p.k1, p.b);
                    sc.count[o] = sc.count[o].saturating_add(1);
                }
            }
            // Counts are per field: settle which points this field
            // matched, then clear them for the next field.
            for &o in &sc.touched {
                let o = o as usize;
                if sc.count[o] > 0 {
                    if need_all && sc.count[o] as usize >= nterms {
                        sc.flags[o] |= PASS;
                    }
                    sc.count[o] = 0;
                }
            }
        }
        // Candidates, and the scratch reset for the next use.
        let mut cands: Vec<(f32, u32)> = Vec::with_capacity(sc.touched.len());
        for &o in &sc.touched {
            let i = o as usize;
            if !need_all || sc.flags[i] & PASS != 0 {
                cands.push((sc.score[i], o));
            }
            sc.score[i] = 0.0;
            sc.flags[i] = 0;
        }
        sc.touched.clear();
        // Checks that need the payload (filter conditions no index
        // answers, phrases) run in score order until `k` pass.
        let accept = |o: u32| -> Result<bool> {
            let loc = seg.at(o);
            if let Some(f) = &q.filter {
                let ok = match &tri {
                    Some(t) => {
                        t.yes.get(o) || (t.maybe.get(o) && self.matches(st, loc, Some(f))?)
                    }
                    None => self.matches(st, loc, Some(f))?,
                };
                if !ok {
                    return Ok(false);
                }
            }
            if q.mode == TextMode::Phrase {
                let Some(bytes) = st.payload_at(loc)? else {
                    return Ok(false);
                };
                let value = parse_stored(&bytes)?;
                let m = TextMatch {
                    query: q.query.clone(),
                    mode: TextMode::Phrase,
                };
                return Ok(plans
                    .iter()
                    .any(|p| text_matches(p.path, &m, Some(&value), p.analyzer)));
            }
            Ok(true)
        };
        // Best first, equal scores by ascending id (as across segments).
        let by_score = |a: &(f32, u32), b: &(f32, u32)| {
            b.0.total_cmp(&a.0)
                .then_with(|| st.id_at(seg.at(a.1)).cmp(&st.id_at(seg.at(b.1))))
        };
        let mut out = Vec::with_capacity(q.k.min(cands.len()));
        let mut rest = &mut cands[..];
        while out.len() < q.k && !rest.is_empty() {
            let want = (q.k - out.len()).min(rest.len());
            if want < rest.len() {
                rest.select_nth_unstable_by(want - 1, by_score);
            }
            let (head, tail) = rest.split_at_mut(want);
            head.sort_unstable_by(by_score);
            for &(s, o) in head.iter() {
                if accept(o)? {
                    out.push((s, seg.at(o)));
                }
            }
            rest = tail;
        }
        Ok(out)
    }
}

impl Collection {
    /// The posting lists of a segment for [`max_score`], when it applies:
    /// `any` mode, a sealed segment (every list has a bound), and no
    /// filter condition left to check on the payload.
    fn pruned_lists<'a>(
        &self,
        q: &TextQuery,
        plans: &[FieldPlan<'_>],
        fields: &[(u64, &'a crate::segment::field_index::FieldIndex)],
        tri: &Option<super::fields::Tri>,
    ) -> Option<Vec<List<'a>>> {
        if q.mode != TextMode::Any {
            return None;
        }
        match (&q.filter, tri) {
            (None, _) => {}
            (Some(_), Some(t)) if t.maybe.none() => {}
            _ => return None,
        }
        let mut lists = Vec::new();
        for p in plans {
            let Some(t) = text_of(fields, p.def_id) else {
                continue;
            };
            for (term, w) in &p.terms {
                let (post, bound) = t.postings_bound(term);
                let bound = bound?;
                if post.is_empty() {
                    continue;
                }
                lists.push(List {
                    post,
                    pos: 0,
                    orig: lists.len(),
                    // A hair above the bound: float sums in another order
                    // may round past it.
                    ub: bm25(*w, bound.max_tf, bound.min_len, p.avg_len, p.k1, p.b) * 1.000_01,
                    w: *w,
                    k1: p.k1,
                    b: p.b,
                    avg: p.avg_len,
                    ix: t,
                });
            }
        }
        Some(lists)
    }
}

/// One term's postings in one field of a segment, as [`max_score`] walks
/// them.
struct List<'a> {
    post: &'a [crate::index::text::Posting],
    pos: usize,
    /// Its place in the query's field-major, term-minor order: the order
    /// the term-at-a-time path adds scores in, which the final score of a
    /// kept point follows too, so that equal texts score equal bits.
    orig: usize,
    /// No posting scores more.
    ub: f32,
    w: f32,
    k1: f32,
    b: f32,
    avg: f32,
    ix: &'a TextIndex,
}

impl List<'_> {
    #[inline]
    fn doc(&self) -> u32 {
        self.post.get(self.pos).map_or(u32::MAX, |p| p.offset)
    }

    #[inline]
    fn score(&self) -> f32 {
        let p = self.post[self.pos];
        bm25(
            self.w,
            p.tf,
            self.ix.doc_len(p.offset),
            self.avg,
            self.k1,
            self.b,
        )
    }

    /// Moves to the first posting at or past `o` (galloping).
    #[inline]
    fn seek(&mut self, o: u32) {
        let rest = &self.post[self.pos..];
        if rest.first().is_none_or(|p| p.offset >= o) {
            return;
        }
        let mut step = 1;
        while step < rest.len() && rest[step].offset < o {
            step *= 2;
        }
        let lo = step / 2;
        let hi = step.min(rest.len());
        self.pos += lo + rest[lo..hi].partition_point(|p| p.offset < o);
    }
}

/// The best `k` allowed points of the union of `lists` by the sum of their
/// scores, best first (equal scores by ascending `id_of`), with MaxScore
/// pruning: the lists whose bounds together cannot lift a point to the
/// current k-th score are only probed for points the others found.
fn max_score(
    mut lists: Vec<List<'_>>,
    k: usize,
    allowed: &dyn Fn(u32) -> bool,
    id_of: &dyn Fn(u32) -> u64,
) -> Vec<(f32, u32)> {
    lists.sort_by(|a, b| a.ub.total_cmp(&b.ub));
    // prefix[i]: the bounds of lists 0..=i together.
    let mut prefix = Vec::with_capacity(lists.len());
    let mut sum = 0.0f32;
    for l in &lists {
        sum += l.ub;
        prefix.push(sum);
    }
    let mut top = TopK::new(k);
    // Each list's score for the current point, by `orig`.
    let mut parts = vec![0.0f32; lists.len()];
    let mut theta = f32::NEG_INFINITY;
    // Lists 0..first are non-essential: their bounds sum below theta.
    let mut first = 0;
    loop {
        let mut d = u32::MAX;
        for l in &lists[first..] {
            d = d.min(l.doc());
        }
        if d == u32::MAX {
            break;
        }
        let ok = allowed(d);
        let mut score = 0.0f32;
        for l in &mut lists[first..] {
            if l.doc() == d {
                if ok {
                    let s = l.score();
                    score += s;
                    parts[l.orig] = s;
                }
                l.pos += 1;
            }
        }
        if !ok {
            continue;
        }
        let mut skip = false;
        for i in (0..first).rev() {
            if score + prefix[i] < theta {
                skip = true;
                break;
            }
            let l = &mut lists[i];
            l.seek(d);
            if l.doc() == d {
                let s = l.score();
                score += s;
                parts[l.orig] = s;
            }
        }
        // The score in the canonical order (and the parts cleared).
        let mut exact = 0.0f32;
        for p in parts.iter_mut() {
            exact += *p;
            *p = 0.0;
        }
        if skip || exact < theta {
            continue;
        }
        top.offer(exact, id_of(d), d);
        theta = top.threshold();
        while first < lists.len() && prefix[first] < theta {
            first += 1;
        }
    }
    top.into_sorted()
}

/// Scored locations as hits, with parsed payloads when asked for.
pub(super) fn scored_points(
    st: &State,
    hits: Vec<(f32, Loc)>,
    with_payload: bool,
) -> Result<Vec<ScoredPoint>> {
    hits.into_iter()
        .map(|(score, loc)| {
            Ok(ScoredPoint {
                id: st.id_at(loc),
                score,
                payload: if with_payload {
                    st.payload_at(loc)?.map(|b| parse_stored(&b)).transpose()?
                } else {
                    None
                },
            })
        })
        .collect()
}

/// Scored locations as hits, with payload bytes when asked for.
pub(super) fn raw_hits(
    st: &State,
    hits: Vec<(f32, Loc)>,
    with_payload: bool,
) -> Result<Vec<RawHit>> {
    hits.into_iter()
        .map(|(score, loc)| {
            Ok(RawHit {
                id: st.id_at(loc),
                score,
                payload: if with_payload {
                    st.payload_at(loc)?
                } else {
                    None
                },
            })
        })
        .collect()
}

/// The text index `def_id` among a segment's field indexes.
fn text_of<'a>(
    fields: &[(u64, &'a crate::segment::field_index::FieldIndex)],
    def_id: u64,
) -> Option<&'a TextIndex> {
    fields
        .iter()
        .find(|(d, _)| *d == def_id)
        .and_then(|(_, ix)| ix.text())
}
