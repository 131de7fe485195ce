//! Full-text indexes: for one payload field of one segment, the postings
//! (offset, term frequency) of every term and the length of each point's
//! text, from which BM25 scores are computed.
//!
//! A text index takes the field's strings: a string value, or each string
//! element of an array value (other values are not text and are skipped).
//! Each string is analyzed by the index's [`Analyzer`]; a point's length
//! is its number of terms over all its strings. Positions are not stored:
//! a phrase condition is answered with the points holding every term of
//! the phrase, then checked against the payload.
//!
//! An appendable segment's index grows with each write (offsets only
//! grow); a sealed segment's is built whole, stored in its field index
//! file and decoded into sorted arrays.
//!
//! The statistics BM25 needs (number of points with text, total length,
//! document frequency of a term) are taken over the live points of every
//! segment at query time ([`TextIndex::live_stats`],
//! [`TextIndex::live_df`]), so a score does not depend on how the points
//! happen to be split into segments, nor on deleted copies.

pub mod analyzer;

pub use analyzer::{Analyzer, TextConfig};

use analyzer::TOKENIZER_VERSION;

/// The first word of a sealed text index's bytes (then the tokenizer
/// version): `QVTX`.
const TEXT_MAGIC: u32 = u32::from_le_bytes(*b"QVTX");

use crate::error::{Error, Result};
use crate::filter::FieldPath;
use crate::segment::bits::Bits;
use crate::segment::bitset::Bitset;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// One posting: a point (segment offset) holding a term, and how often.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Posting {
    /// The segment offset.
    pub offset: u32,
    /// Occurrences of the term in the point's text (at least 1).
    pub tf: u32,
}

enum Terms {
    /// Appendable: a map.
    Map(HashMap<Box<str>, Vec<Posting>>),
    /// Sealed: terms sorted and concatenated, postings flat.
    Sorted {
        blob: String,
        /// End of term `i` in `blob`.
        term_ends: Vec<u32>,
        /// End of term `i`'s postings in `postings`.
        post_ends: Vec<u32>,
        postings: Vec<Posting>,
        /// Per term: the largest term frequency and the shortest text
        /// among its postings (for score upper bounds).
        bounds: Vec<Bound>,
    },
}

/// What bounds the BM25 of a term over its postings: the largest term
/// frequency and the shortest text among them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    /// The largest term frequency.
    pub max_tf: u32,
    /// The shortest text length.
    pub min_len: u32,
}

fn bounds_of(post_ends: &[u32], postings: &[Posting], doc_len: &[u32]) -> Vec<Bound> {
    let mut start = 0usize;
    post_ends
        .iter()
        .map(|&e| {
            let list = &postings[start..e as usize];
            start = e as usize;
            Bound {
                max_tf: list.iter().map(|p| p.tf).max().unwrap_or(0),
                min_len: list
                    .iter()
                    .map(|p| doc_len.get(p.offset as usize).copied().unwrap_or(0))
                    .min()
                    .unwrap_or(0),
            }
        })
        .collect()
}

/// The text index of one field of one segment.
pub struct TextIndex {
    analyzer: Arc<Analyzer>,
    /// Offsets `0..len()` were given to it.
    len: u32,
    /// Terms of each offset's text (0: no text).
    doc_len: Vec<u32>,
    /// Offsets with at least one term.
    docs: u32,
    /// Sum of `doc_len`.
    tokens: u64,
    terms: Terms,
}

/// Calls `out` with each string the field `path` holds in `payload`: a
/// string value, or the string elements of an array value.
pub fn field_strings<'a>(
    path: &FieldPath,
    payload: Option<&'a Value>,
    out: &mut dyn FnMut(&'a str),
) {
    let Some(payload) = payload else { return };
    path.any(payload, &mut |v| {
        match v {
            Value::String(s) => out(s),
            Value::Array(items) => {
                for e in items {
                    if let Value::String(s) = e {
                        out(s);
                    }
                }
            }
            _ => {}
        }
        false
    });
}

impl TextIndex {
    /// An empty index (of an appendable segment).
    pub fn new(analyzer: Arc<Analyzer>) -> TextIndex {
        TextIndex {
            analyzer,
            len: 0,
            doc_len: Vec::new(),
            docs: 0,
            tokens: 0,
            terms: Terms::Map(HashMap::new()),
        }
    }

    /// Its analyzer.
    pub fn analyzer(&self) -> &Arc<Analyzer> {
        &self.analyzer
    }

    /// Offsets given to it: `0..len()`.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// True when no offset was given to it.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Files the point at `offset` (above every offset given before) with
    /// payload `payload`.
    pub fn add(&mut self, offset: u32, path: &FieldPath, payload: Option<&Value>) {
        debug_assert!(offset >= self.len);
        self.extend_to(offset);
        let mut counts: HashMap<String, u32> = HashMap::new();
        let mut n = 0u32;
        field_strings(path, payload, &mut |s| {
            self.analyzer.terms(s, &mut |t| {
                n = n.saturating_add(1);
                match counts.get_mut(t) {
                    Some(c) => *c += 1,
                    None => {
                        counts.insert(t.to_owned(), 1);
                    }
                }
            })
        });
        self.doc_len.push(n);
        self.len = offset + 1;
        if n == 0 {
            return;
        }
        self.docs += 1;
        self.tokens += u64::from(n);
        if let Terms::Map(m) = &mut self.terms {
            for (t, tf) in counts {
                m.entry(t.into_boxed_str())
                    .or_default()
                    .push(Posting { offset, tf });
            }
        }
    }

    /// Covers offsets up to `len` (points past the last one given had no
    /// text).
    pub fn extend_to(&mut self, len: u32) {
        if len > self.len {
            self.doc_len.resize(len as usize, 0);
            self.len = len;
        }
    }

    /// The sealed form: sorted arrays.
    pub fn seal(mut self) -> TextIndex {
        if let Terms::Map(m) = &mut self.terms {
            let mut entries: Vec<(Box<str>, Vec<Posting>)> = m.drain().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            let mut blob = String::new();
            let (mut term_ends, mut post_ends, mut postings) = (Vec::new(), Vec::new(), Vec::new());
            for (t, list) in entries {
                blob.push_str(&t);
                term_ends.push(blob.len() as u32);
                postings.extend_from_slice(&list);
                post_ends.push(postings.len() as u32);
            }
            blob.shrink_to_fit();
            let bounds = bounds_of(&post_ends, &postings, &self.doc_len);
            self.terms = Terms::Sorted {
                blob,
                term_ends,
                post_ends,
                postings,
                bounds,
            };
        }
        self.doc_len.shrink_to_fit();
        self
    }

    /// Heap bytes.
    pub fn ram_bytes(&self) -> u64 {
        let terms = match &self.terms {
            Terms::Map(m) => m
                .iter()
                .map(|(k, v)| k.len() + 16 + 24 + v.capacity() * 8 + 16)
                .sum::<usize>(),
            Terms::Sorted {
                blob,
                term_ends,
                post_ends,
                postings,
                bounds,
            } => {
                blob.capacity()
                    + (term_ends.capacity() + post_ends.capacity()) * 4
                    + postings.capacity() * 8
                    + bounds.capacity() * 8
            }
        };
        (terms + self.doc_len.capacity() * 4) as u64
    }

    /// Number of distinct terms.
    pub fn term_count(&self) -> usize {
        match &self.terms {
            Terms::Map(m) => m.len(),
            Terms::Sorted { term_ends, .. } => term_ends.len(),
        }
    }

    /// The postings of `term`, ascending by offset (deleted points
    /// included).
    pub fn postings(&self, term: &str) -> &[Posting] {
        self.postings_bound(term).0
    }

    /// The postings of `term` and, in a sealed index, what bounds their
    /// scores.
    pub fn postings_bound(&self, term: &str) -> (&[Posting], Option<Bound>) {
        match &self.terms {
            Terms::Map(m) => (m.get(term).map_or(&[], |v| v.as_slice()), None),
            Terms::Sorted {
                blob,
                term_ends,
                post_ends,
                postings,
                bounds,
            } => {
                let key = |i: usize| {
                    let a = if i == 0 { 0 } else { term_ends[i - 1] as usize };
                    &blob[a..term_ends[i] as usize]
                };
                let (mut lo, mut hi) = (0, term_ends.len());
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    match key(mid).cmp(term) {
                        std::cmp::Ordering::Less => lo = mid + 1,
                        std::cmp::Ordering::Greater => hi = mid,
                        std::cmp::Ordering::Equal => {
                            let a = if mid == 0 {
                                0
                            } else {
                                post_ends[mid - 1] as usize
                            };
                            return (&postings[a..post_ends[mid] as usize], Some(bounds[mid]));
                        }
                    }
                }
                (
                    &[],
                    Some(Bound {
                        max_tf: 0,
                        min_len: 0,
                    }),
                )
            }
        }
    }

    /// Terms in the text of offset `o` (0 past the end).
    #[inline]
    pub fn doc_len(&self, o: u32) -> u32 {
        self.doc_len.get(o as usize).copied().unwrap_or(0)
    }

    /// Points with text and their total length, among the offsets that
    /// `deleted` does not hold.
    pub fn live_stats(&self, deleted: &Bitset) -> (u64, u64) {
        let (mut docs, mut tokens) = (u64::from(self.docs), self.tokens);
        if deleted.count() > 0 {
            for (i, &w) in deleted.words().iter().enumerate() {
                let mut w = w;
                while w != 0 {
                    let o = i as u32 * 64 + w.trailing_zeros();
                    w &= w - 1;
                    let l = self.doc_len(o);
                    if l > 0 {
                        docs -= 1;
                        tokens -= u64::from(l);
                    }
                }
            }
        }
        (docs, tokens)
    }

    /// Live points holding `term`.
    pub fn live_df(&self, term: &str, deleted: &Bitset) -> u64 {
        let p = self.postings(term);
        if deleted.count() == 0 {
            return p.len() as u64;
        }
        p.iter().filter(|x| !deleted.get(x.offset)).count() as u64
    }

    /// The points holding every term (`all`) or one of them, within
    /// `0..bits` offsets (an empty `terms` matches none).
    pub fn matching(&self, terms: &[String], all: bool, bits: usize) -> Bits {
        let mut out = Bits::zeros(bits);
        if terms.is_empty() {
            return out;
        }
        if !all {
            for t in terms {
                self.postings(t).iter().for_each(|p| out.set(p.offset));
            }
            return out;
        }
        let mut lists: Vec<&[Posting]> = terms.iter().map(|t| self.postings(t)).collect();
        lists.sort_by_key(|l| l.len());
        'next: for p in lists[0] {
            for l in &lists[1..] {
                if l.binary_search_by_key(&p.offset, |x| x.offset).is_err() {
                    continue 'next;
                }
            }
            out.set(p.offset);
        }
        out
    }

    /// Appends the sealed index's bytes to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let put32 = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
        let put64 = |out: &mut Vec<u8>, v: u64| out.extend_from_slice(&v.to_le_bytes());
        let Terms::Sorted {
            blob,
            term_ends,
            post_ends,
            postings,
            ..
        } = &self.terms
        else {
            debug_assert!(false, "encode of an unsealed text index");
            return;
        };
        put32(out, TEXT_MAGIC);
        put32(out, TOKENIZER_VERSION);
        put64(out, self.doc_len.len() as u64);
        self.doc_len.iter().for_each(|&v| put32(out, v));
        put64(out, blob.len() as u64);
        out.extend_from_slice(blob.as_bytes());
        put64(out, term_ends.len() as u64);
        term_ends.iter().for_each(|&v| put32(out, v));
        post_ends.iter().for_each(|&v| put32(out, v));
        put64(out, postings.len() as u64);
        for p in postings {
            put32(out, p.offset);
            put32(out, p.tf);
        }
    }

    /// Decodes [`TextIndex::encode`] of an index over `len` offsets from
    /// `b`; `bad` makes the error for a damaged file.
    pub fn decode(
        b: &[u8],
        len: u32,
        analyzer: Arc<Analyzer>,
        bad: &dyn Fn(&str) -> Error,
    ) -> Result<TextIndex> {
        let mut at = 0usize;
        let mut take = |n: usize| -> Result<&[u8]> {
            let end = at.checked_add(n).filter(|&e| e <= b.len());
            let end = end.ok_or_else(|| bad("truncated text index"))?;
            let s = &b[at..end];
            at = end;
            Ok(s)
        };
        let u64_at = |s: &[u8]| u64::from_le_bytes(s.try_into().expect("8 bytes"));
        let u32s = |s: &[u8]| -> Vec<u32> {
            s.chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect()
        };
        let count = |n: u64, size: usize, left: usize| -> Result<usize> {
            usize::try_from(n)
                .ok()
                .filter(|&n| n.checked_mul(size).is_some_and(|x| x <= left))
                .ok_or_else(|| bad("truncated text index"))
        };
        let u32_at = |s: &[u8]| u32::from_le_bytes(s.try_into().expect("4 bytes"));
        if u32_at(take(4)?) != TEXT_MAGIC {
            return Err(bad(
                "text index of an older format (its words were split by tokenizer version 1)",
            ));
        }
        let v = u32_at(take(4)?);
        if v != TOKENIZER_VERSION {
            return Err(bad(&format!(
                "text index built by tokenizer version {v}; this library splits words by version {TOKENIZER_VERSION}"
            )));
        }
        let n = u64_at(take(8)?);
        if n != u64::from(len) {
            return Err(bad(&format!(
                "text index covers {n} points, the segment has {len}"
            )));
        }
        let doc_len = u32s(take(
            (len as usize)
                .checked_mul(4)
                .ok_or_else(|| bad("truncated text index"))?,
        )?);
        let blen = u64_at(take(8)?);
        let blen = count(blen, 1, b.len())?;
        let blob =
            String::from_utf8(take(blen)?.to_vec()).map_err(|_| bad("terms are not UTF-8"))?;
        let nterms = u64_at(take(8)?);
        let nterms = count(nterms, 8, b.len())?;
        let term_ends = u32s(take(nterms * 4)?);
        let post_ends = u32s(take(nterms * 4)?);
        let np = u64_at(take(8)?);
        let np = count(np, 8, b.len())?;
        let raw = take(np * 8)?;
        let postings: Vec<Posting> = raw
            .chunks_exact(8)
            .map(|c| Posting {
                offset: u32::from_le_bytes(c[..4].try_into().expect("4 bytes")),
                tf: u32::from_le_bytes(c[4..].try_into().expect("4 bytes")),
            })
            .collect();
        if at != b.len() {
            return Err(bad("trailing bytes after the text index"));
        }
        let ordered = |l: &[u32], end: usize| {
            l.windows(2).all(|w| w[0] <= w[1]) && l.last().map_or(end == 0, |&e| e as usize == end)
        };
        if !ordered(&term_ends, blob.len())
            || !ordered(&post_ends, postings.len())
            || term_ends
                .iter()
                .any(|&e| !blob.is_char_boundary(e as usize))
        {
            return Err(bad("inconsistent text index tables"));
        }
        let mut ix = TextIndex {
            analyzer,
            len,
            docs: doc_len.iter().filter(|&&l| l > 0).count() as u32,
            tokens: doc_len.iter().map(|&l| u64::from(l)).sum(),
            doc_len,
            terms: Terms::Sorted {
                blob,
                term_ends,
                post_ends,
                postings,
                bounds: Vec::new(),
            },
        };
        // Terms strictly ascending; each list's offsets ascending, in range,
        // with a length of their own and a frequency of at least 1.
        if let Terms::Sorted {
            blob,
            term_ends,
            post_ends,
            postings,
            ..
        } = &ix.terms
        {
            let mut prev: Option<&str> = None;
            let mut start = 0usize;
            for i in 0..term_ends.len() {
                let a = if i == 0 { 0 } else { term_ends[i - 1] as usize };
                let t = &blob[a..term_ends[i] as usize];
                if t.is_empty() || prev.is_some_and(|p| p >= t) {
                    return Err(bad("text index terms out of order"));
                }
                prev = Some(t);
                let list = &postings[start..post_ends[i] as usize];
                start = post_ends[i] as usize;
                if list.is_empty()
                    || list.windows(2).any(|w| w[0].offset >= w[1].offset)
                    || list.iter().any(|p| {
                        p.tf == 0 || p.offset >= len || ix.doc_len[p.offset as usize] < p.tf
                    })
                {
                    return Err(bad("text index postings out of order or out of range"));
                }
            }
        }
        ix.doc_len.shrink_to_fit();
        if let Terms::Sorted {
            post_ends,
            postings,
            bounds,
            ..
        } = &mut ix.terms
        {
            *bounds = bounds_of(post_ends, postings, &ix.doc_len);
        }
        Ok(ix)
    }
}

/// BM25 of one term in one point: `idf * tf * (k1 + 1) / (tf + k1 * (1 -
/// b + b * len / avg_len))`.
#[inline]
pub fn bm25(idf: f32, tf: u32, len: u32, avg_len: f32, k1: f32, b: f32) -> f32 {
    let tf = tf as f32;
    let norm = if avg_len > 0.0 {
        1.0 - b + b * len as f32 / avg_len
    } else {
        1.0
    };
    idf * tf * (k1 + 1.0) / (tf + k1 * norm)
}

/// Lucene's BM25 idf: `ln(1 + (n - df + 0.5) / (df + 0.5))` for `n`
/// points with text of which `df` hold the term.
#[inline]
pub fn idf(n: u64, df: u64) -> f32 {
    let (n, df) = (n as f64, df as f64);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln() as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn index(payloads: &[Value]) -> TextIndex {
        let path = FieldPath::parse("t").unwrap();
        let mut ix = TextIndex::new(Arc::new(Analyzer::new(TextConfig::default())));
        for (o, p) in payloads.iter().enumerate() {
            ix.add(o as u32, &path, Some(p));
        }
        ix
    }

    #[test]
    fn postings_lengths_and_round_trip() {
        let payloads = [
            json!({"t": "red fish blue fish"}),
            json!({"t": ["red", "green apple"]}),
            json!({"t": 3}),
            json!({"u": "red"}),
            json!({"t": ["...", {"x": "red"}]}),
            json!({"t": "Fish"}),
        ];
        let mem = index(&payloads);
        let check = |ix: &TextIndex, form: &str| {
            assert_eq!(
                ix.postings("fish"),
                [Posting { offset: 0, tf: 2 }, Posting { offset: 5, tf: 1 }],
                "{form}"
            );
            assert_eq!(ix.postings("red").len(), 2, "{form}");
            assert!(ix.postings("x").is_empty(), "{form}");
            assert_eq!(
                (0..7).map(|o| ix.doc_len(o)).collect::<Vec<_>>(),
                [4, 3, 0, 0, 0, 1, 0],
                "{form}"
            );
            assert_eq!(ix.live_stats(&Bitset::default()), (3, 8), "{form}");
            let mut del = Bitset::default();
            del.set(0);
            del.set(2);
            assert_eq!(ix.live_stats(&del), (2, 4), "{form}");
            assert_eq!(ix.live_df("fish", &del), 1, "{form}");
            let terms = |s: &[&str]| s.iter().map(|t| t.to_string()).collect::<Vec<_>>();
            let all = ix.matching(&terms(&["red", "fish"]), true, 6);
            assert_eq!(all.iter().collect::<Vec<_>>(), [0], "{form}");
            let any = ix.matching(&terms(&["apple", "fish"]), false, 6);
            assert_eq!(any.iter().collect::<Vec<_>>(), [0, 1, 5], "{form}");
            assert!(ix.matching(&[], false, 6).none(), "{form}");
        };
        check(&mem, "appendable");
        let sealed = mem.seal();
        check(&sealed, "sealed");
        let mut bytes = Vec::new();
        sealed.encode(&mut bytes);
        let an = Arc::clone(sealed.analyzer());
        let bad = |w: &str| Error::corrupt(w.to_owned());
        let decoded = TextIndex::decode(&bytes, 6, Arc::clone(&an), &bad).unwrap();
        check(&decoded, "decoded");
        assert!(TextIndex::decode(&bytes, 5, Arc::clone(&an), &bad).is_err());
        for cut in 0..bytes.len() {
            assert!(TextIndex::decode(&bytes[..cut], 6, Arc::clone(&an), &bad).is_err());
        }
        // A posting pointing past the segment.
        let mut b = bytes.clone();
        let l = b.len();
        b[l - 8..l - 4].copy_from_slice(&9u32.to_le_bytes());
        assert!(TextIndex::decode(&b, 6, Arc::clone(&an), &bad).is_err());
        // An index of other splitting rules is refused (and so rebuilt).
        let mut v = bytes.clone();
        v[4..8].copy_from_slice(&1u32.to_le_bytes());
        let e = TextIndex::decode(&v, 6, Arc::clone(&an), &bad)
            .err()
            .expect("refused");
        assert!(e.to_string().contains("tokenizer version 1"), "{e}");
        // The format before versions started with the point count.
        let old = &bytes[8..];
        let e = TextIndex::decode(old, 6, an, &bad).err().expect("refused");
        assert!(e.to_string().contains("older format"), "{e}");
    }

    #[test]
    fn bm25_formula() {
        // tf 1 in an average-length point: idf * (k1 + 1) / (1 + k1).
        assert!((bm25(2.0, 1, 10, 10.0, 1.2, 0.75) - 2.0).abs() < 1e-6);
        assert!(bm25(1.0, 1, 5, 10.0, 1.2, 0.75) > bm25(1.0, 1, 20, 10.0, 1.2, 0.75));
        assert!((idf(10, 10) - (1.0f64 + 0.5 / 10.5).ln() as f32).abs() < 1e-6);
    }
}
