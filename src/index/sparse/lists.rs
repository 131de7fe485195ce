//! The inverted index of sparse vectors, per name, and exact top-k search
//! by dot product.
//!
//! - [`GrowingIndex`] (appendable segments): a posting list per index, in
//!   a hash map, appended to on every write. Searched term at a time into
//!   a dense accumulator.
//! - [`SealedIndex`] (sealed segments): built once when the segment opens
//!   from its `sparse.qv` file (the stored vectors are the primary data;
//!   the lists are derived and never written). Each posting list is cut
//!   into blocks of [`BLOCK`] postings with the largest and smallest value
//!   of each block, and searched document at a time with block-max
//!   MaxScore: the lists are ordered by their upper bound (query weight
//!   times the list's extreme value); once `k` hits are held, lists whose
//!   bounds together cannot lift a point past the `k`-th score are only
//!   probed for points found in the others, and a point is dropped when
//!   its partial score plus the block maxima of the lists not yet read
//!   stays below the `k`-th score.
//!
//! Both are exact: every score returned is the dot product summed in
//! ascending index order, the same bits as [`super::SparseVector::dot`],
//! and equal scores are ordered by ascending point id. A point is a
//! candidate when it shares at least one index with the query.

use super::{decode, SparseVector};
use crate::error::Result;
use crate::index::topk::TopK;
use std::cell::RefCell;
use std::collections::HashMap;

/// Postings per block of a sealed list.
const BLOCK: usize = 64;

/// What a search asks of each point, besides its score.
pub struct Gate<'a> {
    /// Cheap checks done before a point is scored (deleted, a filter an
    /// index answers): `false` = not a candidate.
    pub cheap: &'a dyn Fn(u32) -> bool,
    /// Checks done only for a point good enough to be kept (a filter that
    /// needs the payload).
    pub accept: &'a dyn Fn(u32) -> Result<bool>,
    /// The point id at an offset (equal scores go by ascending id).
    pub id_of: &'a dyn Fn(u32) -> u64,
}

/// Posting lists by index: `(offset, value)`, ascending by offset.
type Postings = HashMap<u32, Vec<(u32, f32)>>;

/// The sparse vectors of an appendable segment, by name.
#[derive(Default)]
pub struct GrowingIndex {
    names: HashMap<String, Postings>,
    postings: usize,
}

impl GrowingIndex {
    /// Files the vectors of the point at `offset` (offsets only grow);
    /// `blob` was checked when written.
    pub fn add(&mut self, offset: u32, blob: &[u8]) -> Result<()> {
        for v in decode(blob, &|| format!("offset {offset}"))? {
            let lists = match self.names.get_mut(v.name) {
                Some(l) => l,
                None => self.names.entry(v.name.to_owned()).or_default(),
            };
            for (i, x) in v.iter() {
                lists.entry(i).or_default().push((offset, x));
            }
            self.postings += v.len();
        }
        Ok(())
    }

    /// True when some point carries a vector called `name`.
    pub fn has(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }

    /// Heap bytes, estimated.
    pub fn ram_bytes(&self) -> u64 {
        let lists: usize = self.names.values().map(|m| m.len()).sum();
        (self.postings * 8 + lists * 48) as u64
    }

    /// The best `k` points of `len` offsets for `query` (sorted), best
    /// first.
    pub fn search(
        &self,
        name: &str,
        query: &SparseVector,
        len: usize,
        k: usize,
        gate: &Gate<'_>,
    ) -> Result<Vec<(f32, u32)>> {
        let Some(lists) = self.names.get(name) else {
            return Ok(Vec::new());
        };
        let mut cands = SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            if s.acc.len() < len {
                s.acc.resize(len, 0.0);
                s.seen.resize(len, false);
            }
            let Scratch { acc, seen, touched } = &mut *s;
            // Left dirty only by a search that panicked midway.
            for &o in touched.iter() {
                acc[o as usize] = 0.0;
                seen[o as usize] = false;
            }
            touched.clear();
            // Ascending index order: each point's sum is in canonical
            // order.
            for (&t, &w) in query.indices.iter().zip(&query.values) {
                let Some(list) = lists.get(&t) else { continue };
                for &(o, x) in list {
                    let i = o as usize;
                    if !seen[i] {
                        if !(gate.cheap)(o) {
                            continue;
                        }
                        seen[i] = true;
                        touched.push(o);
                    }
                    acc[i] += w * x;
                }
            }
            let mut cands = Vec::with_capacity(touched.len());
            for &o in touched.iter() {
                let i = o as usize;
                cands.push((acc[i], o));
                acc[i] = 0.0;
                seen[i] = false;
            }
            touched.clear();
            cands
        });
        best_accepted(&mut cands, k, gate)
    }
}

#[derive(Default)]
struct Scratch {
    acc: Vec<f32>,
    seen: Vec<bool>,
    touched: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The best `k` of `cands` (score, offset) that `gate.accept` passes,
/// best first, equal scores by ascending id; `accept` runs in score order
/// and only until `k` pass.
pub fn best_accepted(
    cands: &mut [(f32, u32)],
    k: usize,
    gate: &Gate<'_>,
) -> Result<Vec<(f32, u32)>> {
    let by_score = |a: &(f32, u32), b: &(f32, u32)| {
        b.0.total_cmp(&a.0)
            .then_with(|| (gate.id_of)(a.1).cmp(&(gate.id_of)(b.1)))
    };
    let mut out = Vec::with_capacity(k.min(cands.len()));
    let mut rest = cands;
    while out.len() < k && !rest.is_empty() {
        let want = (k - out.len()).min(rest.len());
        if want < rest.len() {
            rest.select_nth_unstable_by(want - 1, by_score);
        }
        let (head, tail) = rest.split_at_mut(want);
        head.sort_unstable_by(by_score);
        for &(s, o) in head.iter() {
            if (gate.accept)(o)? {
                out.push((s, o));
            }
        }
        rest = tail;
    }
    Ok(out)
}

/// The posting lists of one name in a sealed segment.
#[derive(Default)]
struct Lists {
    /// Indices with a list, ascending.
    terms: Vec<u32>,
    /// List `t` is postings `starts[t]..starts[t + 1]`.
    starts: Vec<usize>,
    docs: Vec<u32>,
    vals: Vec<f32>,
    /// Per block (of [`BLOCK`] postings from each list's start): its last
    /// offset, largest and smallest value. List `t`'s blocks are
    /// `bstarts[t]..bstarts[t + 1]`.
    bstarts: Vec<usize>,
    blast: Vec<u32>,
    bmax: Vec<f32>,
    bmin: Vec<f32>,
}

/// The sparse vectors of a sealed segment, by name.
#[derive(Default)]
pub struct SealedIndex {
    names: Vec<(String, Lists)>,
}

impl SealedIndex {
    /// Builds the lists from the encoded vectors of offsets `0..n`
    /// (`blob(o)`: `None` = no sparse vector); a blob that breaks the
    /// format is corruption, named by `what(o)`.
    pub fn build<'a>(
        n: usize,
        blob: &dyn Fn(u32) -> Option<&'a [u8]>,
        what: &dyn Fn(u32) -> String,
    ) -> Result<SealedIndex> {
        let mut by_name: HashMap<&'a str, Postings> = HashMap::new();
        for o in 0..n as u32 {
            let Some(b) = blob(o) else { continue };
            for v in decode(b, &|| what(o))? {
                let lists = by_name.entry(v.name).or_default();
                for (i, x) in v.iter() {
                    lists.entry(i).or_default().push((o, x));
                }
            }
        }
        let mut names: Vec<(String, Lists)> = by_name
            .into_iter()
            .map(|(name, map)| (name.to_owned(), Lists::from_map(map)))
            .collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(SealedIndex { names })
    }

    fn lists(&self, name: &str) -> Option<&Lists> {
        self.names
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|i| &self.names[i].1)
    }

    /// True when some point carries a vector called `name`.
    pub fn has(&self, name: &str) -> bool {
        self.lists(name).is_some()
    }

    /// Heap bytes.
    pub fn ram_bytes(&self) -> u64 {
        self.names
            .iter()
            .map(|(n, l)| {
                n.len()
                    + l.terms.len() * 4
                    + l.starts.len() * 8
                    + l.docs.len() * 8
                    + l.bstarts.len() * 8
                    + l.blast.len() * 12
            })
            .sum::<usize>() as u64
    }

    /// The best `k` points for `query` (sorted), best first (block-max
    /// MaxScore, see the module's documentation).
    pub fn search(
        &self,
        name: &str,
        query: &SparseVector,
        k: usize,
        gate: &Gate<'_>,
    ) -> Result<Vec<(f32, u32)>> {
        let Some(l) = self.lists(name) else {
            return Ok(Vec::new());
        };
        let mut cursors = Vec::new();
        let mut magnitude = 0.0f32;
        for (orig, (&t, &w)) in query.indices.iter().zip(&query.values).enumerate() {
            let Ok(ti) = l.terms.binary_search(&t) else {
                continue;
            };
            let (a, b) = (l.starts[ti], l.starts[ti + 1]);
            let (ba, bb) = (l.bstarts[ti], l.bstarts[ti + 1]);
            let c = Cursor {
                docs: &l.docs[a..b],
                vals: &l.vals[a..b],
                blast: &l.blast[ba..bb],
                bmax: &l.bmax[ba..bb],
                bmin: &l.bmin[ba..bb],
                w,
                pos: 0,
                sblk: 0,
                ub: 0.0,
                orig,
            };
            let ub = (0..c.blast.len())
                .map(|j| c.block_bound(j))
                .fold(0.0f32, f32::max);
            let amax = (0..c.blast.len())
                .map(|j| (c.w * c.bmax[j]).abs().max((c.w * c.bmin[j]).abs()))
                .fold(0.0f32, f32::max);
            magnitude += amax;
            cursors.push(Cursor { ub, ..c });
        }
        // Every sum the pruning compares (a partial score plus bounds, in
        // list order) and every final score (in index order) is a sum of
        // at most `m` terms of absolute value at most `amax` each: its
        // rounding error is below `m * EPSILON * magnitude`. Pruning drops
        // a point only when its bound is below the k-th score by twice
        // that (and a little more for the comparison's own rounding), so
        // that no point whose exact-order score could reach the k-th is
        // dropped, however much its terms cancel.
        let m = cursors.len() as f32;
        let slack = 2.0 * (m + 2.0) * f32::EPSILON * magnitude + f32::MIN_POSITIVE;
        max_score(cursors, query.len(), k, gate, slack)
    }
}

impl Lists {
    fn from_map(map: Postings) -> Lists {
        let mut terms: Vec<u32> = map.keys().copied().collect();
        terms.sort_unstable();
        let total: usize = map.values().map(Vec::len).sum();
        let mut l = Lists {
            starts: Vec::with_capacity(terms.len() + 1),
            docs: Vec::with_capacity(total),
            vals: Vec::with_capacity(total),
            bstarts: Vec::with_capacity(terms.len() + 1),
            ..Lists::default()
        };
        for t in &terms {
            l.starts.push(l.docs.len());
            l.bstarts.push(l.blast.len());
            // Offsets were visited in ascending order: each list is sorted.
            let list = &map[t];
            for chunk in list.chunks(BLOCK) {
                l.blast.push(chunk[chunk.len() - 1].0);
                l.bmax
                    .push(chunk.iter().map(|p| p.1).fold(f32::MIN, f32::max));
                l.bmin
                    .push(chunk.iter().map(|p| p.1).fold(f32::MAX, f32::min));
            }
            for &(o, x) in list {
                l.docs.push(o);
                l.vals.push(x);
            }
        }
        l.starts.push(l.docs.len());
        l.bstarts.push(l.blast.len());
        l.terms = terms;
        l
    }
}

/// A query term's walk along its list.
struct Cursor<'a> {
    docs: &'a [u32],
    vals: &'a [f32],
    blast: &'a [u32],
    bmax: &'a [f32],
    bmin: &'a [f32],
    /// The query's value for this index.
    w: f32,
    pos: usize,
    /// The block a shallow seek reached (never behind `pos`'s block).
    sblk: usize,
    /// The largest contribution of the list (>= 0).
    ub: f32,
    /// Its place in the query (ascending index order).
    orig: usize,
}

impl Cursor<'_> {
    #[inline]
    fn doc(&self) -> u32 {
        self.docs.get(self.pos).copied().unwrap_or(u32::MAX)
    }

    #[inline]
    fn score(&self) -> f32 {
        self.w * self.vals[self.pos]
    }

    /// The largest contribution of block `j` (>= 0).
    #[inline]
    fn block_bound(&self, j: usize) -> f32 {
        (self.w * self.bmax[j]).max(self.w * self.bmin[j]).max(0.0)
    }

    /// Moves to the first posting at or past offset `d`.
    fn seek(&mut self, d: u32) {
        if self.doc() >= d {
            return;
        }
        let mut blk = self.sblk.max(self.pos / BLOCK);
        while blk < self.blast.len() && self.blast[blk] < d {
            blk += 1;
        }
        self.sblk = blk;
        if blk == self.blast.len() {
            self.pos = self.docs.len();
            return;
        }
        let start = self.pos.max(blk * BLOCK);
        let end = ((blk + 1) * BLOCK).min(self.docs.len());
        self.pos = start + self.docs[start..end].partition_point(|&x| x < d);
    }

    /// The bound of the block that would hold offset `d` (0 when the list
    /// has no posting at or past `d`), without reading postings.
    fn shallow_bound(&mut self, d: u32) -> f32 {
        let mut blk = self.sblk.max(self.pos / BLOCK);
        while blk < self.blast.len() && self.blast[blk] < d {
            blk += 1;
        }
        self.sblk = blk;
        if blk == self.blast.len() {
            0.0
        } else {
            self.block_bound(blk)
        }
    }
}

/// Block-max MaxScore over `lists` (see the module documentation);
/// `slack` bounds the rounding of the sums it compares.
fn max_score(
    mut lists: Vec<Cursor<'_>>,
    nterms: usize,
    k: usize,
    gate: &Gate<'_>,
    slack: f32,
) -> Result<Vec<(f32, u32)>> {
    // `a < b` beyond the rounding of either: what pruning may drop.
    let surely_below = |a: f32, b: f32| a + slack < b;
    lists.sort_by(|a, b| a.ub.total_cmp(&b.ub));
    // prefix[i]: the bounds of lists 0..=i together.
    let mut prefix = Vec::with_capacity(lists.len());
    let mut sum = 0.0f32;
    for l in &lists {
        sum += l.ub;
        prefix.push(sum);
    }
    let mut top = TopK::new(k);
    // Each list's product for the current point, by query position.
    let mut parts = vec![0.0f32; nterms];
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
        let ok = (gate.cheap)(d);
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
        if first > 0 {
            let mut bound = score;
            for l in &mut lists[..first] {
                bound += l.shallow_bound(d);
            }
            skip = surely_below(bound, theta);
        }
        if !skip {
            for i in (0..first).rev() {
                if surely_below(score + prefix[i], theta) {
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
        let id = (gate.id_of)(d);
        // The filter that needs the payload runs only for a point that
        // would be kept.
        if !top.admits(exact, id) || !(gate.accept)(d)? {
            continue;
        }
        top.offer(exact, id, d);
        theta = top.threshold();
        while first < lists.len() && surely_below(prefix[first], theta) {
            first += 1;
        }
    }
    Ok(top.into_sorted())
}

#[cfg(test)]
mod tests {
    use super::super::{check_named, encode};
    use super::*;

    /// A small deterministic generator.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn random_vector(r: &mut Rng, vocab: u64, nnz: usize, signed: bool) -> SparseVector {
        let mut idx: Vec<u32> = (0..nnz).map(|_| r.below(vocab) as u32).collect();
        idx.sort_unstable();
        idx.dedup();
        let values = idx
            .iter()
            .map(|_| {
                let v = (r.below(1000) as f32 + 1.0) / 100.0;
                if signed && r.below(4) == 0 {
                    -v
                } else {
                    v
                }
            })
            .collect();
        SparseVector::new(idx, values)
    }

    fn brute(
        docs: &[Option<SparseVector>],
        q: &SparseVector,
        k: usize,
        keep: &dyn Fn(u32) -> bool,
    ) -> Vec<(f32, u32)> {
        let mut all: Vec<(f32, u32)> = docs
            .iter()
            .enumerate()
            .filter_map(|(o, d)| {
                let d = d.as_ref()?;
                let shared = d.indices.iter().any(|i| q.indices.binary_search(i).is_ok());
                (shared && keep(o as u32)).then(|| (q.dot(d), o as u32))
            })
            .collect();
        // Ids are 1000 + offset.
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        all.truncate(k);
        all
    }

    #[test]
    fn both_indexes_equal_brute_force() {
        let mut r = Rng(0x9e3779b97f4a7c15);
        for signed in [false, true] {
            let n = 3000;
            let docs: Vec<Option<SparseVector>> = (0..n)
                .map(|_| (r.below(10) != 0).then(|| random_vector(&mut r, 500, 30, signed)))
                .collect();
            let blobs: Vec<Option<Vec<u8>>> = docs
                .iter()
                .map(|d| {
                    d.as_ref().and_then(|v| {
                        encode(&check_named(vec![("s".into(), v.clone())], &String::new).unwrap())
                    })
                })
                .collect();
            let sealed =
                SealedIndex::build(n, &|o| blobs[o as usize].as_deref(), &|o| format!("{o}"))
                    .unwrap();
            let mut growing = GrowingIndex::default();
            for (o, b) in blobs.iter().enumerate() {
                if let Some(b) = b {
                    growing.add(o as u32, b).unwrap();
                }
            }
            for round in 0..60 {
                let q = random_vector(&mut r, 520, 1 + round % 40, signed);
                let k = 1 + (round * 7) % 50;
                let odd = round % 3 == 0;
                let keep = |o: u32| !odd || o % 2 == 1;
                let cheap = |o: u32| keep(o);
                let accept = |_: u32| Ok(true);
                let id_of = |o: u32| 1000 + o as u64;
                let gate = Gate {
                    cheap: &cheap,
                    accept: &accept,
                    id_of: &id_of,
                };
                let want = brute(&docs, &q, k, &keep);
                let s = sealed.search("s", &q, k, &gate).unwrap();
                let g = growing.search("s", &q, n, k, &gate).unwrap();
                assert_eq!(s, want, "sealed, round {round}, signed {signed}");
                assert_eq!(g, want, "growing, round {round}, signed {signed}");
                // A lazy check (payload filter) gives the same answer as a
                // cheap one.
                let all = |_: u32| true;
                let lazy = |o: u32| Ok(keep(o));
                let gate = Gate {
                    cheap: &all,
                    accept: &lazy,
                    id_of: &id_of,
                };
                assert_eq!(sealed.search("s", &q, k, &gate).unwrap(), want);
                assert_eq!(growing.search("s", &q, n, k, &gate).unwrap(), want);
            }
            assert!(sealed
                .search(
                    "other",
                    &docs[1].clone().unwrap_or_default(),
                    5,
                    &Gate {
                        cheap: &|_| true,
                        accept: &|_| Ok(true),
                        id_of: &|o| o as u64,
                    }
                )
                .unwrap()
                .is_empty());
        }
    }

    #[test]
    fn pruning_survives_cancelling_terms() {
        // Offset 0 scores 6; offset 2 scores 8 only after 1e8 - 1e8
        // cancels; offset 1 lifts list 3's bound. A margin relative to the
        // k-th score (6) instead of to the terms' size drops offset 2.
        let docs = [
            SparseVector::new(vec![4], vec![6.0]),
            SparseVector::new(vec![1, 3], vec![-1e8, 1e8]),
            SparseVector::new(vec![1, 2, 3], vec![1e8, 5.0, -1e8]),
        ];
        let blobs: Vec<Vec<u8>> = docs
            .iter()
            .map(|v| encode(&[("s".to_owned(), v.clone())]).unwrap())
            .collect();
        let sealed =
            SealedIndex::build(3, &|o| Some(&blobs[o as usize][..]), &|o| format!("{o}")).unwrap();
        let q = SparseVector::new(vec![1, 2, 3, 4], vec![1.0; 4]);
        let gate = Gate {
            cheap: &|_| true,
            accept: &|_| Ok(true),
            id_of: &|o| o as u64,
        };
        let opt: Vec<Option<SparseVector>> = docs.iter().cloned().map(Some).collect();
        let want = brute(&opt, &q, 1, &|_| true);
        assert_eq!(want[0].1, 2, "the brute force's best is offset 2: {want:?}");
        assert_eq!(sealed.search("s", &q, 1, &gate).unwrap(), want);
        for k in 1..=3 {
            assert_eq!(
                sealed.search("s", &q, k, &gate).unwrap(),
                brute(&opt, &q, k, &|_| true)
            );
        }
    }

    #[test]
    fn equal_scores_go_by_id() {
        let v = SparseVector::new(vec![1, 2], vec![1.0, 1.0]);
        let blob = encode(&[("s".to_owned(), v.clone())]).unwrap();
        let n = 500;
        let sealed = SealedIndex::build(n, &|_| Some(&blob[..]), &|o| format!("{o}")).unwrap();
        // Ids descending with the offset: the best ids are the last offsets.
        let id_of = |o: u32| (n as u64) - o as u64;
        let gate = Gate {
            cheap: &|_| true,
            accept: &|_| Ok(true),
            id_of: &id_of,
        };
        let hits = sealed.search("s", &v, 3, &gate).unwrap();
        let offsets: Vec<u32> = hits.iter().map(|h| h.1).collect();
        assert_eq!(offsets, vec![499, 498, 497]);
    }
}
