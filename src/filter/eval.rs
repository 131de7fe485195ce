//! Evaluating a [`Filter`] against a payload, and the value comparisons it
//! rests on. Nothing here allocates but the analysis of `text` conditions.

use std::cmp::Ordering;

use serde_json::{Number, Value};

use super::model::{Filter, TextMatch, TextMode};
use super::path::FieldPath;
use crate::index::text::{field_strings, Analyzer, TextConfig};

/// Which analyzer reads the text of a field in `text` conditions: the
/// field's text index's (`None`: the default analyzer).
pub type Analyzers<'a> = &'a dyn Fn(&FieldPath) -> Option<&'a Analyzer>;

fn default_analyzer() -> &'static Analyzer {
    static A: std::sync::OnceLock<Analyzer> = std::sync::OnceLock::new();
    A.get_or_init(|| Analyzer::new(TextConfig::default()))
}

fn no_analyzers(_: &FieldPath) -> Option<&'static Analyzer> {
    None
}

impl Filter {
    /// Whether a point with payload `payload` (`None`: no payload, every
    /// field missing) satisfies the filter, for filters that do not name
    /// ids: `has_id` never matches here (use [`Filter::matches_point`]).
    /// `text` conditions analyze with the default analyzer. Allocates only
    /// for `text` conditions.
    pub fn matches(&self, payload: Option<&Value>) -> bool {
        self.eval(None, payload, &no_analyzers)
    }

    /// Whether the point `id` with payload `payload` satisfies the filter.
    /// Allocates only for `text` conditions.
    pub fn matches_point(&self, id: u64, payload: Option<&Value>) -> bool {
        self.eval(Some(id), payload, &no_analyzers)
    }

    /// [`Filter::matches_point`] with `text` conditions analyzed by
    /// `analyzers` (a collection passes its text indexes' analyzers).
    pub fn matches_point_with(
        &self,
        id: u64,
        payload: Option<&Value>,
        analyzers: Analyzers<'_>,
    ) -> bool {
        self.eval(Some(id), payload, analyzers)
    }

    fn eval(&self, id: Option<u64>, payload: Option<&Value>, an: Analyzers<'_>) -> bool {
        match self {
            Filter::Eq(p, v) => eq_matches(p, v, payload),
            Filter::Ne(p, v) => !eq_matches(p, v, payload),
            Filter::Lt(p, v) => ord_matches(p, v, payload, |o| o == Ordering::Less),
            Filter::Lte(p, v) => ord_matches(p, v, payload, |o| o != Ordering::Greater),
            Filter::Gt(p, v) => ord_matches(p, v, payload, |o| o == Ordering::Greater),
            Filter::Gte(p, v) => ord_matches(p, v, payload, |o| o != Ordering::Less),
            Filter::In(p, vs) => field_any(p, payload, |x| vs.iter().any(|v| values_equal(x, v))),
            Filter::Between(p, lo, hi) => field_any(p, payload, |x| {
                compare_values(x, lo).is_some_and(|o| o != Ordering::Less)
                    && compare_values(x, hi).is_some_and(|o| o != Ordering::Greater)
            }),
            Filter::Exists(p) => values_any(p, payload, |_| true),
            Filter::IsNull(p) => values_any(p, payload, Value::is_null),
            Filter::IsEmpty(p) => !values_any(p, payload, |v| match v {
                Value::Null => false,
                Value::Array(items) => !items.is_empty(),
                _ => true,
            }),
            Filter::Like(p, pat) => {
                field_any(p, payload, |x| x.as_str().is_some_and(|s| pat.matches(s)))
            }
            Filter::ValuesCount(p, range) => range.contains(values_count(p, payload)),
            Filter::Text(p, m) => text_matches(p, m, payload, an(p).unwrap_or(default_analyzer())),
            Filter::HasId(ids) => id.is_some_and(|id| ids.binary_search(&id).is_ok()),
            Filter::And(fs) => fs.iter().all(|f| f.eval(id, payload, an)),
            Filter::Or(fs) => fs.iter().any(|f| f.eval(id, payload, an)),
            Filter::Not(f) => !f.eval(id, payload, an),
        }
    }
}

/// Whether the text of field `p` holds the terms of `m`.
pub fn text_matches(p: &FieldPath, m: &TextMatch, payload: Option<&Value>, a: &Analyzer) -> bool {
    let want = match m.mode {
        TextMode::Phrase => a.terms_of(&m.query),
        _ => a.query_terms(&m.query),
    };
    if want.is_empty() || payload.is_none() {
        return false;
    }
    let mut found = vec![false; want.len()];
    let mut phrase = false;
    field_strings(p, payload, &mut |s| {
        if phrase {
            return;
        }
        if m.mode == TextMode::Phrase {
            let have = a.terms_of(s);
            phrase = have.windows(want.len()).any(|w| w == want.as_slice());
            return;
        }
        a.terms(s, &mut |t| {
            for (i, w) in want.iter().enumerate() {
                if w == t {
                    found[i] = true;
                }
            }
        });
    });
    match m.mode {
        TextMode::Phrase => phrase,
        TextMode::All => found.iter().all(|&f| f),
        TextMode::Any => found.iter().any(|&f| f),
    }
}

/// How many values the field holds: the elements of each array it
/// resolves to, plus one for each other value but `null`.
pub(super) fn values_count(p: &FieldPath, payload: Option<&Value>) -> u64 {
    let mut n = 0u64;
    values_any(p, payload, |v| {
        n += match v {
            Value::Null => 0,
            Value::Array(items) => items.len() as u64,
            _ => 1,
        };
        false
    });
    n
}

/// Whether `pred` holds for one of the values `p` resolves to (not
/// looking into arrays).
#[inline]
fn values_any(
    p: &FieldPath,
    payload: Option<&Value>,
    mut pred: impl FnMut(&Value) -> bool,
) -> bool {
    payload.is_some_and(|v| p.any(v, &mut pred))
}

/// Counts how many of the `sample` payloads `filter` matches: returns
/// `(matched, sampled)`. The caller picks the sample (e.g. every n-th live
/// point) and derives the selectivity as `matched / sampled`.
pub fn estimate_selectivity<'a>(
    filter: &Filter,
    sample: impl Iterator<Item = Option<&'a Value>>,
) -> (usize, usize) {
    sample.fold((0, 0), |(matched, sampled), payload| {
        (matched + usize::from(filter.matches(payload)), sampled + 1)
    })
}

#[inline]
fn eq_matches(p: &FieldPath, v: &Value, payload: Option<&Value>) -> bool {
    field_any(p, payload, |x| values_equal(x, v))
}

#[inline]
fn ord_matches(
    p: &FieldPath,
    v: &Value,
    payload: Option<&Value>,
    accept: impl Fn(Ordering) -> bool,
) -> bool {
    field_any(p, payload, |x| compare_values(x, v).is_some_and(&accept))
}

/// Resolves `p` in `payload` and applies `pred` to each value found and,
/// if that is an array, to each of its elements (one level): true if any
/// passes. A missing field passes nothing.
#[inline]
fn field_any(p: &FieldPath, payload: Option<&Value>, pred: impl Fn(&Value) -> bool) -> bool {
    values_any(p, payload, |x| match x {
        Value::Array(items) => pred(x) || items.iter().any(&pred),
        x => pred(x),
    })
}

/// JSON equality with numbers compared by value (`1 == 1.0`), recursively
/// inside arrays and objects.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y) == Some(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Null, Value::Null) => true,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| values_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, xv)| y.get(k).is_some_and(|yv| values_equal(xv, yv)))
        }
        _ => false,
    }
}

/// The order of two numbers or two strings (by value; strings by instant
/// when both are datetimes, see [`compare_strings`]); `None` for any other
/// pair.
pub fn compare_values(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y),
        (Value::String(x), Value::String(y)) => Some(compare_strings(x, y)),
        _ => None,
    }
}

/// The order of two strings in `lt`, `lte`, `gt`, `gte` and `between`:
/// by instant when both are datetimes ([`parse_datetime`]), otherwise by
/// Unicode code point (bytewise).
pub fn compare_strings(a: &str, b: &str) -> Ordering {
    match (parse_datetime(a), parse_datetime(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// Parses an RFC 3339 datetime, `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`
/// (`T` may be `t` or a space, `Z` may be `z`; without an offset the time
/// is UTC), or a date `YYYY-MM-DD` (midnight UTC), into nanoseconds since
/// 1970-01-01T00:00:00Z. Fractions beyond nanoseconds are truncated; a
/// leap second (`:60`) counts as the next second's start. `None` for any
/// other string. Does not allocate.
pub fn parse_datetime(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let d = b.get(r)?;
        d.iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let mut secs = days * 86_400;
    let mut nanos = 0i64;
    if b.len() > 10 {
        if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let (h, m, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if h > 23 || m > 59 || sec > 60 {
            return None;
        }
        secs += h * 3600 + m * 60 + sec;
        let mut i = 19;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                if i - start < 9 {
                    nanos = nanos * 10 + i64::from(b[i] - b'0');
                }
                i += 1;
            }
            if i == start {
                return None;
            }
            for _ in (i - start)..9 {
                nanos *= 10;
            }
        }
        match b.get(i) {
            None => {}
            Some(b'Z' | b'z') if i + 1 == b.len() => {}
            Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
                let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
                if oh > 23 || om > 59 {
                    return None;
                }
                let off = oh * 3600 + om * 60;
                secs += if sign == b'+' { -off } else { off };
            }
            _ => return None,
        }
    }
    Some(i128::from(secs) * 1_000_000_000 + i128::from(nanos))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given date of the proleptic Gregorian
/// calendar (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Exact numeric order of two JSON numbers, integers (`i64` or `u64`) and
/// floats mixed, without rounding the integer to a float.
pub fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    match (integer(a), integer(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        (Some(x), None) => compare_int_float(x, b.as_f64()?),
        (None, Some(y)) => compare_int_float(y, a.as_f64()?).map(Ordering::reverse),
        (None, None) => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

#[inline]
fn integer(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// Orders an integer of at most 65 bits against a float, exactly.
fn compare_int_float(i: i128, f: f64) -> Option<Ordering> {
    const TWO_POW_65: f64 = 36_893_488_147_419_103_232.0;
    if f.is_nan() {
        return None;
    }
    if f >= TWO_POW_65 {
        return Some(Ordering::Less);
    }
    if f <= -TWO_POW_65 {
        return Some(Ordering::Greater);
    }
    let whole = f.trunc();
    // Exact: `whole` is an integer of magnitude below 2^65.
    match i.cmp(&(whole as i128)) {
        Ordering::Equal => 0.0f64.partial_cmp(&(f - whole)),
        other => Some(other),
    }
}
