//! Field indexes: for one payload field of one segment, the offsets of the
//! points holding each value.
//!
//! A field index has a kind (`keyword`: strings, `integer`, `float`,
//! `bool`). For each point it takes the field's value, or each element of
//! it when it is an array (one level, as the filter's array rule), and
//! files every element of its kind under that value. A point with an
//! element of any other type (a string in an integer index, `null`, an
//! object, a nested array, an integer a float cannot hold exactly) is put
//! on the index's `other` list: the planner re-checks those points against
//! their payload, so an index answers a condition exactly whatever the
//! data holds. A point without the field is in none of them.
//!
//! An appendable segment's index grows with each write (offsets only grow);
//! a sealed segment's is built whole, stored in `seg-<id>/field-<n>.qv`
//! (`n`: the index's id in the manifest) and decoded into sorted arrays.

use crate::error::{Error, Result};
use crate::filter::{
    compare_numbers, compare_strings, parse_datetime, FieldPath, Filter, TextMode,
};
use crate::index::text::{Analyzer, TextConfig, TextIndex};
use serde_json::{Number, Value};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use super::bits::Bits;

/// What values a field index holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// Strings.
    Keyword = 1,
    /// Integers (`i64`; floats with an integral value count as integers).
    Integer = 2,
    /// Numbers, as `f64` (integers a double holds exactly).
    Float = 3,
    /// Booleans.
    Bool = 4,
    /// RFC 3339 datetime strings, as instants (nanoseconds since 1970,
    /// years 1677 to 2262; other strings and datetimes are re-checked).
    Datetime = 5,
    /// Full text: the terms of its strings, for BM25 search and `text`
    /// conditions (see [`crate::index::text`]).
    Text = 6,
}

impl FieldKind {
    /// Every kind.
    pub const ALL: [FieldKind; 6] = [
        FieldKind::Keyword,
        FieldKind::Integer,
        FieldKind::Float,
        FieldKind::Bool,
        FieldKind::Datetime,
        FieldKind::Text,
    ];

    /// Its name: `"keyword"`, `"integer"`, `"float"`, `"bool"`,
    /// `"datetime"`.
    pub fn name(self) -> &'static str {
        match self {
            FieldKind::Keyword => "keyword",
            FieldKind::Integer => "integer",
            FieldKind::Float => "float",
            FieldKind::Bool => "bool",
            FieldKind::Datetime => "datetime",
            FieldKind::Text => "text",
        }
    }

    /// The kind called `name`.
    pub fn parse(name: &str) -> Result<FieldKind> {
        FieldKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown field index kind \"{name}\"; use keyword, integer, float, bool, datetime or text"
                ))
            })
    }

    /// The kind with code `code` (the C ABI's `QV_FIELD_*`).
    pub fn from_code(code: u32) -> Option<FieldKind> {
        FieldKind::ALL.into_iter().find(|k| *k as u32 == code)
    }
}

/// A declared field index of a collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldIndexDef {
    /// Its id (names its files), unique in the collection's life.
    pub id: u64,
    /// The payload field.
    pub path: FieldPath,
    /// What it holds.
    pub kind: FieldKind,
    /// The analyzer of a text index (`None` for other kinds).
    pub text: Option<Arc<Analyzer>>,
}

impl FieldIndexDef {
    /// A definition of a value index (any kind but text).
    pub fn value(id: u64, path: FieldPath, kind: FieldKind) -> FieldIndexDef {
        let text =
            (kind == FieldKind::Text).then(|| Arc::new(Analyzer::new(TextConfig::default())));
        FieldIndexDef {
            id,
            path,
            kind,
            text,
        }
    }

    /// A definition of a text index analyzing with `config`.
    pub fn text(id: u64, path: FieldPath, config: TextConfig) -> FieldIndexDef {
        FieldIndexDef {
            id,
            path,
            kind: FieldKind::Text,
            text: Some(Arc::new(Analyzer::new(config))),
        }
    }

    /// True for a text index.
    pub fn is_text(&self) -> bool {
        self.kind == FieldKind::Text
    }
}

/// One element of a field, classified for an index kind.
enum Elem<'a> {
    Key(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
    Other,
}

fn classify(kind: FieldKind, v: &Value) -> Elem<'_> {
    match (kind, v) {
        (FieldKind::Keyword, Value::String(s)) => Elem::Key(s),
        (FieldKind::Integer, Value::Number(n)) => integer_of(n).map_or(Elem::Other, Elem::Int),
        (FieldKind::Float, Value::Number(n)) => float_of(n).map_or(Elem::Other, Elem::Float),
        (FieldKind::Bool, Value::Bool(b)) => Elem::Bool(*b),
        (FieldKind::Datetime, Value::String(s)) => parse_datetime(s)
            .and_then(|t| i64::try_from(t).ok())
            .map_or(Elem::Other, Elem::Int),
        _ => Elem::Other,
    }
}

/// The `i64` equal to `n`, if there is one.
fn integer_of(n: &Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    if n.is_u64() {
        return None;
    }
    let f = n.as_f64()?;
    // Exactly representable as i64: integral and within [-2^63, 2^63).
    (f.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f))
        .then_some(f as i64)
}

/// The `f64` equal to `n`, if there is one.
fn float_of(n: &Number) -> Option<f64> {
    let f = n.as_f64()?;
    let exact = match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => integer_of(&Number::from_f64(f)?) == Some(i),
        (None, Some(u)) => f < 1.8446744073709552e19 && f as u64 == u && f.fract() == 0.0,
        _ => true,
    };
    exact.then_some(f)
}

fn cmp_int(x: i64, v: &Number) -> Ordering {
    compare_numbers(&Number::from(x), v).unwrap_or(Ordering::Less)
}

fn cmp_float(x: f64, v: &Number) -> Ordering {
    Number::from_f64(x)
        .and_then(|n| compare_numbers(&n, v))
        .unwrap_or(Ordering::Less)
}

/// Sets the offsets of the `(value, offset)` pairs whose value `x` has
/// `accept(cmp(x))`; when `sorted` (by value), the accepted values are one
/// run, found by binary search.
fn matching_run<T: Copy>(
    items: &[(T, u32)],
    sorted: bool,
    cmp: impl Fn(T) -> Ordering,
    accept: impl Fn(Ordering) -> bool,
    yes: &mut Bits,
) {
    if !sorted {
        for &(x, o) in items {
            if accept(cmp(x)) {
                yes.set(o);
            }
        }
        return;
    }
    let lo = items.partition_point(|&(x, _)| {
        let c = cmp(x);
        c == Ordering::Less && !accept(c)
    });
    for &(x, o) in &items[lo..] {
        let c = cmp(x);
        if accept(c) {
            yes.set(o);
        } else if c == Ordering::Greater {
            break;
        }
    }
}

/// Where `x` stands against a range, from its order against the low and
/// the high bound: below (`Less`), inside (`Equal`), above (`Greater`).
fn in_range(to_lo: Ordering, to_hi: Ordering) -> Ordering {
    if to_lo == Ordering::Less {
        Ordering::Less
    } else if to_hi == Ordering::Greater {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

/// Keyword postings.
enum Keys {
    /// Appendable: a map.
    Map(HashMap<Box<str>, Vec<u32>>),
    /// Sealed: keys sorted and concatenated, postings flat.
    Sorted {
        blob: String,
        /// End of key `i` in `blob`.
        key_ends: Vec<u32>,
        /// End of key `i`'s offsets in `postings`.
        post_ends: Vec<u32>,
        postings: Vec<u32>,
    },
}

/// The field index of one segment.
pub struct FieldIndex {
    kind: FieldKind,
    /// Offsets `0..len` were given to it.
    len: u32,
    keys: Keys,
    /// `(value, offset)`, sorted by value once sealed.
    ints: Vec<(i64, u32)>,
    floats: Vec<(f64, u32)>,
    /// Offsets holding false, true.
    bools: [Vec<u32>; 2],
    /// Offsets with an element of another type, ascending.
    other: Vec<u32>,
    sorted: bool,
    /// The postings of a text index.
    text: Option<Box<TextIndex>>,
}

const MAGIC: u32 = 0x5146_4958; // "XIFQ"

impl FieldIndex {
    /// An empty index (of an appendable segment).
    pub fn new(kind: FieldKind) -> FieldIndex {
        FieldIndex {
            kind,
            len: 0,
            keys: Keys::Map(HashMap::new()),
            ints: Vec::new(),
            floats: Vec::new(),
            bools: [Vec::new(), Vec::new()],
            other: Vec::new(),
            sorted: false,
            text: None,
        }
    }

    /// An empty index of definition `def` (of an appendable segment).
    pub fn for_def(def: &FieldIndexDef) -> FieldIndex {
        let mut ix = FieldIndex::new(def.kind);
        if def.kind == FieldKind::Text {
            let a = def
                .text
                .clone()
                .unwrap_or_else(|| Arc::new(Analyzer::new(TextConfig::default())));
            ix.text = Some(Box::new(TextIndex::new(a)));
        }
        ix
    }

    /// The postings of a text index (`None` for other kinds).
    pub fn text(&self) -> Option<&TextIndex> {
        self.text.as_deref()
    }

    /// Its kind.
    pub fn kind(&self) -> FieldKind {
        self.kind
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
        debug_assert!(offset >= self.len && !self.sorted);
        self.len = offset + 1;
        if let Some(t) = &mut self.text {
            t.add(offset, path, payload);
            return;
        }
        let Some(payload) = payload else { return };
        let mut other = false;
        path.any(payload, &mut |v| {
            let elems: &[Value] = match v {
                Value::Array(items) => items,
                single => std::slice::from_ref(single),
            };
            for e in elems {
                if !self.file(offset, e) {
                    other = true;
                }
            }
            false
        });
        if other {
            self.other.push(offset);
        }
    }

    /// Files one element; false if it is not of the index's kind.
    fn file(&mut self, offset: u32, e: &Value) -> bool {
        match classify(self.kind, e) {
            Elem::Key(k) => {
                if let Keys::Map(m) = &mut self.keys {
                    let list = m.entry(k.into()).or_default();
                    if list.last() != Some(&offset) {
                        list.push(offset);
                    }
                }
            }
            Elem::Int(i) => self.ints.push((i, offset)),
            Elem::Float(f) => self.floats.push((f, offset)),
            Elem::Bool(b) => {
                let list = &mut self.bools[usize::from(b)];
                if list.last() != Some(&offset) {
                    list.push(offset);
                }
            }
            Elem::Other => return false,
        }
        true
    }

    /// Covers offsets up to `len` (points past the last one given had no
    /// payload or no field).
    pub fn extend_to(&mut self, len: u32) {
        self.len = self.len.max(len);
        if let Some(t) = &mut self.text {
            t.extend_to(len);
        }
    }

    /// The sealed form: sorted arrays.
    pub fn seal(mut self) -> FieldIndex {
        if let Some(t) = self.text.take() {
            self.text = Some(Box::new(t.seal()));
        }
        if let Keys::Map(m) = &mut self.keys {
            let mut entries: Vec<(Box<str>, Vec<u32>)> = m.drain().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            let mut blob = String::new();
            let (mut key_ends, mut post_ends, mut postings) = (Vec::new(), Vec::new(), Vec::new());
            for (k, list) in entries {
                blob.push_str(&k);
                key_ends.push(blob.len() as u32);
                postings.extend_from_slice(&list);
                post_ends.push(postings.len() as u32);
            }
            self.keys = Keys::Sorted {
                blob,
                key_ends,
                post_ends,
                postings,
            };
        }
        self.ints.sort_unstable();
        self.floats
            .sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        self.ints.shrink_to_fit();
        self.floats.shrink_to_fit();
        self.other.shrink_to_fit();
        for b in &mut self.bools {
            b.shrink_to_fit();
        }
        self.sorted = true;
        self
    }

    /// Heap bytes.
    pub fn ram_bytes(&self) -> u64 {
        let keys = match &self.keys {
            Keys::Map(m) => m
                .iter()
                .map(|(k, v)| k.len() + 16 + 24 + v.capacity() * 4 + 16)
                .sum::<usize>(),
            Keys::Sorted {
                blob,
                key_ends,
                post_ends,
                postings,
            } => {
                blob.capacity()
                    + (key_ends.capacity() + post_ends.capacity() + postings.capacity()) * 4
            }
        };
        (keys
            + self.text.as_ref().map_or(0, |t| t.ram_bytes() as usize)
            + self.ints.capacity() * 16
            + self.floats.capacity() * 16
            + (self.bools[0].capacity() + self.bools[1].capacity() + self.other.capacity()) * 4)
            as u64
    }

    /// The points whose field matches condition `f` for sure (`yes`) and
    /// those that must be checked against their payload (`maybe`: the
    /// `other` list), within `0..bits` offsets; `None` when the index
    /// cannot answer `f` (not a condition, or one comparing with an array
    /// or an object, which can match an array field as a whole).
    pub fn lookup(&self, f: &Filter, bits: usize) -> Option<(Bits, Bits)> {
        if let Some(t) = &self.text {
            // A text index answers `text` conditions only: `all` and `any`
            // exactly, `phrase` with the points holding all its terms.
            let Filter::Text(_, m) = f else { return None };
            let terms = t.analyzer().query_terms(&m.query);
            let all = t.matching(&terms, m.mode != TextMode::Any, bits);
            return Some(if m.mode == TextMode::Phrase {
                (Bits::zeros(bits), all)
            } else {
                (all, Bits::zeros(bits))
            });
        }
        if matches!(f, Filter::Text(..)) {
            return None;
        }
        if self.kind == FieldKind::Datetime {
            return self.lookup_datetime(f, bits);
        }
        let mut yes = Bits::zeros(bits);
        match f {
            Filter::Eq(_, v) => self.eq_into(v, &mut yes)?,
            Filter::In(_, vs) => {
                for v in vs {
                    self.eq_into(v, &mut yes)?;
                }
            }
            Filter::Lt(_, v) => self.range_into(v, |o| o == Ordering::Less, &mut yes)?,
            Filter::Lte(_, v) => self.range_into(v, |o| o != Ordering::Greater, &mut yes)?,
            Filter::Gt(_, v) => self.range_into(v, |o| o == Ordering::Greater, &mut yes)?,
            Filter::Gte(_, v) => self.range_into(v, |o| o != Ordering::Less, &mut yes)?,
            Filter::Between(_, lo, hi) => self.between_into(lo, hi, &mut yes)?,
            Filter::Like(_, pat) => {
                if self.kind == FieldKind::Keyword {
                    self.keys_into(|k| pat.matches(k), &mut yes);
                }
            }
            _ => return None,
        }
        let mut maybe = Bits::zeros(bits);
        for &o in &self.other {
            maybe.set(o);
        }
        Some((yes, maybe))
    }

    /// [`FieldIndex::lookup`] of a datetime index, which holds instants,
    /// not the strings: `eq` and `in` (string equality) give the points
    /// with an equal instant to check; ordering comparisons with a
    /// datetime are answered by instant, with another string not at all.
    fn lookup_datetime(&self, f: &Filter, bits: usize) -> Option<(Bits, Bits)> {
        let mut yes = Bits::zeros(bits);
        let mut maybe = Bits::zeros(bits);
        for &o in &self.other {
            maybe.set(o);
        }
        let instant = |v: &Value| -> Option<Option<i128>> {
            match v {
                Value::String(s) => Some(parse_datetime(s)),
                Value::Array(_) | Value::Object(_) => None,
                _ => Some(None),
            }
        };
        let run = |t: i128, accept: &dyn Fn(Ordering) -> bool, out: &mut Bits| {
            matching_run(
                &self.ints,
                self.sorted,
                |x| i128::from(x).cmp(&t),
                accept,
                out,
            )
        };
        let range = |v: &Value, accept: &dyn Fn(Ordering) -> bool, yes: &mut Bits| -> Option<()> {
            match v {
                Value::String(s) => run(parse_datetime(s)?, accept, yes),
                // A datetime string never compares with a number.
                Value::Number(_) => {}
                _ => return None,
            }
            Some(())
        };
        match f {
            Filter::Eq(_, v) => {
                if let Some(t) = instant(v)? {
                    run(t, &|o| o == Ordering::Equal, &mut maybe);
                }
            }
            Filter::In(_, vs) => {
                for v in vs {
                    if let Some(t) = instant(v)? {
                        run(t, &|o| o == Ordering::Equal, &mut maybe);
                    }
                }
            }
            Filter::Lt(_, v) => range(v, &|o| o == Ordering::Less, &mut yes)?,
            Filter::Lte(_, v) => range(v, &|o| o != Ordering::Greater, &mut yes)?,
            Filter::Gt(_, v) => range(v, &|o| o == Ordering::Greater, &mut yes)?,
            Filter::Gte(_, v) => range(v, &|o| o != Ordering::Less, &mut yes)?,
            Filter::Between(_, lo, hi) => match (lo, hi) {
                (Value::String(a), Value::String(b)) => {
                    let (a, b) = (parse_datetime(a)?, parse_datetime(b)?);
                    matching_run(
                        &self.ints,
                        self.sorted,
                        |x| in_range(i128::from(x).cmp(&a), i128::from(x).cmp(&b)),
                        |o| o == Ordering::Equal,
                        &mut yes,
                    );
                }
                (Value::String(_) | Value::Number(_), Value::String(_) | Value::Number(_)) => {}
                _ => return None,
            },
            _ => return None,
        }
        Some((yes, maybe))
    }

    fn eq_into(&self, v: &Value, yes: &mut Bits) -> Option<()> {
        match (self.kind, v) {
            (_, Value::Array(_) | Value::Object(_)) => return None,
            (FieldKind::Keyword, Value::String(s)) => match &self.keys {
                Keys::Map(m) => m
                    .get(s.as_str())
                    .iter()
                    .flat_map(|l| l.iter())
                    .for_each(|&o| yes.set(o)),
                Keys::Sorted { .. } => {
                    if let Some(i) = self.key_position(s) {
                        self.key_postings(i).iter().for_each(|&o| yes.set(o));
                    }
                }
            },
            (FieldKind::Integer | FieldKind::Float, Value::Number(n)) => {
                self.numbers_into(|o| o == Ordering::Equal, n, yes)
            }
            (FieldKind::Bool, Value::Bool(b)) => {
                self.bools[usize::from(*b)].iter().for_each(|&o| yes.set(o))
            }
            // Another type: no value of this index equals it.
            _ => {}
        }
        Some(())
    }

    fn range_into(
        &self,
        v: &Value,
        accept: impl Fn(Ordering) -> bool,
        yes: &mut Bits,
    ) -> Option<()> {
        match (self.kind, v) {
            (FieldKind::Keyword, Value::String(s)) => match &self.keys {
                Keys::Map(m) => {
                    for (k, list) in m {
                        if accept(compare_strings(k, s)) {
                            list.iter().for_each(|&o| yes.set(o));
                        }
                    }
                }
                Keys::Sorted { key_ends, .. } => {
                    for i in 0..key_ends.len() {
                        if accept(compare_strings(self.key(i), s)) {
                            self.key_postings(i).iter().for_each(|&o| yes.set(o));
                        }
                    }
                }
            },
            (FieldKind::Integer | FieldKind::Float, Value::Number(n)) => {
                self.numbers_into(accept, n, yes)
            }
            (_, Value::String(_) | Value::Number(_)) => {}
            // Bools, null, arrays and objects never compare.
            _ => return None,
        }
        Some(())
    }

    /// Sets the offsets of every key `pick` selects (keyword indexes).
    fn keys_into(&self, pick: impl Fn(&str) -> bool, yes: &mut Bits) {
        match &self.keys {
            Keys::Map(m) => {
                for (k, list) in m {
                    if pick(k) {
                        list.iter().for_each(|&o| yes.set(o));
                    }
                }
            }
            Keys::Sorted { key_ends, .. } => {
                for i in 0..key_ends.len() {
                    if pick(self.key(i)) {
                        self.key_postings(i).iter().for_each(|&o| yes.set(o));
                    }
                }
            }
        }
    }

    /// `lo <= x <= hi`, element by element.
    fn between_into(&self, lo: &Value, hi: &Value, yes: &mut Bits) -> Option<()> {
        match (self.kind, lo, hi) {
            (FieldKind::Keyword, Value::String(a), Value::String(b)) => self.keys_into(
                |k| {
                    compare_strings(k, a) != Ordering::Less
                        && compare_strings(k, b) != Ordering::Greater
                },
                yes,
            ),
            (FieldKind::Integer, Value::Number(a), Value::Number(b)) => matching_run(
                &self.ints,
                self.sorted,
                |x| in_range(cmp_int(x, a), cmp_int(x, b)),
                |o| o == Ordering::Equal,
                yes,
            ),
            (FieldKind::Float, Value::Number(a), Value::Number(b)) => matching_run(
                &self.floats,
                self.sorted,
                |x| in_range(cmp_float(x, a), cmp_float(x, b)),
                |o| o == Ordering::Equal,
                yes,
            ),
            (_, Value::String(_) | Value::Number(_), Value::String(_) | Value::Number(_)) => {}
            _ => return None,
        }
        Some(())
    }

    /// Sets the offsets whose number `x` has `accept(x.cmp(n))`.
    fn numbers_into(&self, accept: impl Fn(Ordering) -> bool, n: &Number, yes: &mut Bits) {
        match self.kind {
            FieldKind::Integer => {
                matching_run(&self.ints, self.sorted, |x| cmp_int(x, n), accept, yes)
            }
            FieldKind::Float => {
                matching_run(&self.floats, self.sorted, |x| cmp_float(x, n), accept, yes)
            }
            _ => {}
        }
    }

    fn key(&self, i: usize) -> &str {
        match &self.keys {
            Keys::Sorted { blob, key_ends, .. } => {
                let a = if i == 0 { 0 } else { key_ends[i - 1] as usize };
                &blob[a..key_ends[i] as usize]
            }
            Keys::Map(_) => "",
        }
    }

    fn key_postings(&self, i: usize) -> &[u32] {
        match &self.keys {
            Keys::Sorted {
                post_ends,
                postings,
                ..
            } => {
                let a = if i == 0 { 0 } else { post_ends[i - 1] as usize };
                &postings[a..post_ends[i] as usize]
            }
            Keys::Map(_) => &[],
        }
    }

    fn key_position(&self, s: &str) -> Option<usize> {
        let Keys::Sorted { key_ends, .. } = &self.keys else {
            return None;
        };
        let (mut lo, mut hi) = (0, key_ends.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.key(mid).cmp(s) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// For ordered scrolls: each offset holding a value of a numeric or
    /// datetime index, with its sort key (an order-preserving `u64` of its
    /// smallest value, or of the largest negated when `descending`, so that
    /// ascending keys are the wanted order). Empty for other kinds.
    pub fn sort_keys(&self, descending: bool) -> Vec<(u32, u64)> {
        let encoded: Box<dyn Iterator<Item = (u32, u64)> + '_> = match self.kind {
            FieldKind::Integer | FieldKind::Datetime => {
                Box::new(self.ints.iter().map(|&(x, o)| (o, (x as u64) ^ (1 << 63))))
            }
            FieldKind::Float => Box::new(self.floats.iter().map(|&(x, o)| {
                let b = x.to_bits();
                (o, if b >> 63 == 1 { !b } else { b | (1 << 63) })
            })),
            _ => return Vec::new(),
        };
        // Per offset, the smallest key (u64::MAX: none yet; a real key of
        // u64::MAX is the largest anyway, so it is kept as well).
        let mut best = vec![u64::MAX; self.len as usize];
        let mut has = super::bits::Bits::zeros(self.len as usize);
        for (o, k) in encoded {
            let k = if descending { !k } else { k };
            let slot = &mut best[o as usize];
            *slot = (*slot).min(k);
            has.set(o);
        }
        has.iter().map(|o| (o, best[o as usize])).collect()
    }

    /// The bytes of a sealed index's file.
    pub fn encode(&self) -> Vec<u8> {
        debug_assert!(self.sorted);
        let mut out = Vec::new();
        let put32 = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
        let put64 = |out: &mut Vec<u8>, v: u64| out.extend_from_slice(&v.to_le_bytes());
        put32(&mut out, MAGIC);
        put32(&mut out, self.kind as u32);
        put64(&mut out, self.len as u64);
        let list = |out: &mut Vec<u8>, l: &[u32]| {
            put64(out, l.len() as u64);
            l.iter().for_each(|&v| put32(out, v));
        };
        list(&mut out, &self.other);
        match self.kind {
            FieldKind::Keyword => {
                if let Keys::Sorted {
                    blob,
                    key_ends,
                    post_ends,
                    postings,
                } = &self.keys
                {
                    put64(&mut out, blob.len() as u64);
                    out.extend_from_slice(blob.as_bytes());
                    list(&mut out, key_ends);
                    list(&mut out, post_ends);
                    list(&mut out, postings);
                }
            }
            FieldKind::Integer | FieldKind::Datetime => {
                put64(&mut out, self.ints.len() as u64);
                for &(x, o) in &self.ints {
                    out.extend_from_slice(&x.to_le_bytes());
                    put32(&mut out, o);
                }
            }
            FieldKind::Float => {
                put64(&mut out, self.floats.len() as u64);
                for &(x, o) in &self.floats {
                    out.extend_from_slice(&x.to_le_bytes());
                    put32(&mut out, o);
                }
            }
            FieldKind::Bool => {
                list(&mut out, &self.bools[0]);
                list(&mut out, &self.bools[1]);
            }
            FieldKind::Text => {
                if let Some(t) = &self.text {
                    t.encode(&mut out);
                }
            }
        }
        out
    }

    /// Decodes a sealed index of definition `def` over `len` offsets;
    /// `what` names the file in errors.
    pub fn decode(b: &[u8], def: &FieldIndexDef, len: u32, what: &str) -> Result<FieldIndex> {
        let kind = def.kind;
        let bad = |why: &str| Error::corrupt(format!("{what}: {why}"));
        let mut r = Reader { b, at: 0 };
        if r.u32().ok_or_else(|| bad("too short"))? != MAGIC {
            return Err(bad("not a field index"));
        }
        let k = r.u32().ok_or_else(|| bad("too short"))?;
        if k != kind as u32 {
            return Err(bad(&format!(
                "holds kind {k}, the manifest says {}",
                kind.name()
            )));
        }
        let n = r.u64().ok_or_else(|| bad("too short"))?;
        if n != len as u64 {
            return Err(bad(&format!("covers {n} points, the segment has {len}")));
        }
        let offset_list = |r: &mut Reader| -> Result<Vec<u32>> {
            let l = r.list().ok_or_else(|| bad("truncated list"))?;
            if l.iter().any(|&o| o >= len) || l.windows(2).any(|w| w[0] >= w[1]) {
                return Err(bad("offsets out of range or out of order"));
            }
            Ok(l)
        };
        let mut ix = FieldIndex::new(kind);
        ix.len = len;
        ix.sorted = true;
        ix.other = offset_list(&mut r)?;
        match kind {
            FieldKind::Text => {
                let a = def
                    .text
                    .clone()
                    .unwrap_or_else(|| Arc::new(Analyzer::new(TextConfig::default())));
                let t = TextIndex::decode(&b[r.at..], len, a, &|w| bad(w))?;
                r.at = b.len();
                ix.text = Some(Box::new(t));
            }
            FieldKind::Keyword => {
                let blen = r.u64().ok_or_else(|| bad("too short"))? as usize;
                let blob = r.bytes(blen).ok_or_else(|| bad("truncated keys"))?;
                let blob =
                    String::from_utf8(blob.to_vec()).map_err(|_| bad("keys are not UTF-8"))?;
                let key_ends = r.list().ok_or_else(|| bad("truncated key table"))?;
                let post_ends = r.list().ok_or_else(|| bad("truncated postings table"))?;
                let postings = r.list().ok_or_else(|| bad("truncated postings"))?;
                let ordered = |l: &[u32], end: usize| {
                    l.windows(2).all(|w| w[0] <= w[1])
                        && l.last().map_or(end == 0, |&e| e as usize == end)
                };
                if key_ends.len() != post_ends.len()
                    || !ordered(&key_ends, blob.len())
                    || !ordered(&post_ends, postings.len())
                    || key_ends.iter().any(|&e| !blob.is_char_boundary(e as usize))
                    || postings.iter().any(|&o| o >= len)
                {
                    return Err(bad("inconsistent keyword tables"));
                }
                ix.keys = Keys::Sorted {
                    blob,
                    key_ends,
                    post_ends,
                    postings,
                };
            }
            FieldKind::Integer | FieldKind::Float | FieldKind::Datetime => {
                let count = r.u64().ok_or_else(|| bad("too short"))? as usize;
                if count > b.len() / 12 {
                    return Err(bad("truncated values"));
                }
                for _ in 0..count {
                    let x = r.u64().ok_or_else(|| bad("truncated values"))?;
                    let o = r.u32().ok_or_else(|| bad("truncated values"))?;
                    if o >= len {
                        return Err(bad("offset out of range"));
                    }
                    if kind != FieldKind::Float {
                        ix.ints.push((x as i64, o));
                    } else {
                        ix.floats.push((f64::from_bits(x), o));
                    }
                }
                let sorted = if kind != FieldKind::Float {
                    ix.ints.windows(2).all(|w| w[0] <= w[1])
                } else {
                    ix.floats.iter().all(|x| x.0.is_finite())
                        && ix.floats.windows(2).all(|w| w[0].0 <= w[1].0)
                };
                if !sorted {
                    return Err(bad("values out of order"));
                }
            }
            FieldKind::Bool => {
                ix.bools[0] = offset_list(&mut r)?;
                ix.bools[1] = offset_list(&mut r)?;
            }
        }
        if r.at != b.len() {
            return Err(bad("trailing bytes"));
        }
        Ok(ix)
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.b.get(self.at..end)?;
        self.at = end;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.bytes(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.bytes(8)?.try_into().ok()?))
    }
    fn list(&mut self) -> Option<Vec<u32>> {
        let n = usize::try_from(self.u64()?).ok()?;
        if n > (self.b.len() - self.at) / 4 {
            return None;
        }
        (0..n).map(|_| self.u32()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(kind: FieldKind) -> FieldIndexDef {
        FieldIndexDef::value(1, FieldPath::parse("f").unwrap(), kind)
    }

    fn build(kind: FieldKind, payloads: &[Value]) -> FieldIndex {
        let path = FieldPath::parse("f").unwrap();
        let mut ix = FieldIndex::new(kind);
        for (o, p) in payloads.iter().enumerate() {
            ix.add(o as u32, &path, Some(p));
        }
        ix
    }

    /// The index's answer (yes plus the maybes that match) equals the
    /// filter evaluated on every payload, appendable and sealed, and after
    /// a round trip through the file format.
    #[test]
    fn lookups_agree_with_evaluation() {
        let payloads = vec![
            json!({"f": "a"}),
            json!({"f": ["b", "c"]}),
            json!({"f": 3}),
            json!({"f": 3.0}),
            json!({"f": 2.5}),
            json!({"f": [1, "a", null]}),
            json!({"f": true}),
            json!({"f": [false, true]}),
            json!({"g": 1}),
            json!({"f": 18446744073709551615u64}),
            json!({"f": -7}),
            json!({"f": {"x": 1}}),
            json!({"f": "é"}),
            json!({"f": "2024-01-01T10:00:00+02:00"}),
            json!({"f": ["2024-01-01T08:00:00Z", "x"]}),
            json!({"f": "2300-01-01T00:00:00Z"}),
            json!({"f": "2024-01-01T08:00:00.000Z"}),
        ];
        let values = [
            json!("a"),
            json!("b"),
            json!("é"),
            json!(3),
            json!(2.5),
            json!(-7),
            json!(true),
            json!(false),
            json!(null),
            json!(1e30),
            json!("2024-01-01T08:00:00Z"),
            json!("2024-01-01"),
            json!("2299-12-31T23:59:59.999999999-01:00"),
        ];
        for kind in FieldKind::ALL.into_iter().filter(|&k| k != FieldKind::Text) {
            let mem = build(kind, &payloads);
            let sealed = build(kind, &payloads).seal();
            let bytes = sealed.encode();
            let decoded =
                FieldIndex::decode(&bytes, &def(kind), payloads.len() as u32, "t").unwrap();
            for v in &values {
                let conds = [
                    Filter::eq("f", v.clone()),
                    Filter::lt("f", v.clone()),
                    Filter::lte("f", v.clone()),
                    Filter::gt("f", v.clone()),
                    Filter::gte("f", v.clone()),
                    Filter::is_in("f", vec![v.clone(), json!("c")]),
                    Filter::between("f", v.clone(), json!(3)),
                    Filter::between("f", json!("a"), v.clone()),
                    Filter::between("f", json!(-10), v.clone()),
                    Filter::like("f", v.as_str().unwrap_or("%"), false),
                    Filter::like("f", "_", false),
                    Filter::like("f", "É%", true),
                ];
                for c in &conds {
                    let want: Vec<u32> = (0..payloads.len() as u32)
                        .filter(|&o| c.matches(Some(&payloads[o as usize])))
                        .collect();
                    for (form, ix) in [
                        ("appendable", &mem),
                        ("sealed", &sealed),
                        ("decoded", &decoded),
                    ] {
                        // None: the index cannot answer; every point is checked.
                        let (yes, maybe) = ix.lookup(c, payloads.len()).unwrap_or_else(|| {
                            (Bits::zeros(payloads.len()), Bits::ones(payloads.len()))
                        });
                        let got: Vec<u32> = (0..payloads.len() as u32)
                            .filter(|&o| {
                                yes.get(o)
                                    || (maybe.get(o) && c.matches(Some(&payloads[o as usize])))
                            })
                            .collect();
                        assert_eq!(got, want, "{} {form} {c:?}", kind.name());
                        assert!(
                            yes.iter().all(|o| c.matches(Some(&payloads[o as usize]))),
                            "{} {form} {c:?}: a sure match does not match",
                            kind.name()
                        );
                    }
                }
            }
            assert!(mem.lookup(&Filter::eq("f", json!([1])), 13).is_none());
        }
    }

    /// A `[]` path indexes the values of every element.
    #[test]
    fn array_of_objects_paths_are_indexed() {
        let path = FieldPath::parse("tags[].name").unwrap();
        let payloads = [
            json!({"tags": [{"name": "a"}, {"name": "b"}]}),
            json!({"tags": [{"name": "b"}, {"other": 1}]}),
            json!({"tags": {"name": "a"}}),
            json!({"tags": [{"name": 3}]}),
            json!({}),
        ];
        let mut ix = FieldIndex::new(FieldKind::Keyword);
        for (o, p) in payloads.iter().enumerate() {
            ix.add(o as u32, &path, Some(p));
        }
        let ix = ix.seal();
        for v in ["a", "b", "c"] {
            let f = Filter::eq("tags[].name", v);
            let (yes, maybe) = ix.lookup(&f, payloads.len()).unwrap();
            let want: Vec<u32> = (0..5)
                .filter(|&o| f.matches(Some(&payloads[o as usize])))
                .collect();
            assert_eq!(yes.iter().collect::<Vec<_>>(), want, "{v}");
            assert_eq!(maybe.iter().collect::<Vec<_>>(), [3]);
        }
    }

    #[test]
    fn damaged_files_are_refused() {
        let ix = build(FieldKind::Keyword, &[json!({"f": "a"}), json!({"f": "b"})]).seal();
        let bytes = ix.encode();
        assert!(FieldIndex::decode(&bytes, &def(FieldKind::Keyword), 2, "t").is_ok());
        assert!(FieldIndex::decode(&bytes, &def(FieldKind::Integer), 2, "t").is_err());
        assert!(FieldIndex::decode(&bytes, &def(FieldKind::Keyword), 3, "t").is_err());
        for cut in 0..bytes.len() {
            assert!(FieldIndex::decode(&bytes[..cut], &def(FieldKind::Keyword), 2, "t").is_err());
        }
        let mut b = bytes.clone();
        let last = b.len() - 4;
        b[last..].copy_from_slice(&7u32.to_le_bytes());
        assert!(FieldIndex::decode(&b, &def(FieldKind::Keyword), 2, "t").is_err());
    }
}
