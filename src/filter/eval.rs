//! Evaluating a [`Filter`] against a payload, and the value comparisons it
//! rests on. Nothing here allocates.

use std::cmp::Ordering;

use serde_json::{Number, Value};

use super::model::Filter;
use super::path::FieldPath;

impl Filter {
    /// Whether `payload` satisfies the filter; `None` is a point without a
    /// payload, in which every field is missing. Never allocates.
    pub fn matches(&self, payload: Option<&Value>) -> bool {
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
            Filter::Exists(p) => payload.and_then(|v| p.resolve(v)).is_some(),
            Filter::IsNull(p) => matches!(payload.and_then(|v| p.resolve(v)), Some(Value::Null)),
            Filter::IsEmpty(p) => match payload.and_then(|v| p.resolve(v)) {
                None | Some(Value::Null) => true,
                Some(Value::Array(items)) => items.is_empty(),
                Some(_) => false,
            },
            Filter::Like(p, pat) => {
                field_any(p, payload, |x| x.as_str().is_some_and(|s| pat.matches(s)))
            }
            Filter::And(fs) => fs.iter().all(|f| f.matches(payload)),
            Filter::Or(fs) => fs.iter().any(|f| f.matches(payload)),
            Filter::Not(f) => !f.matches(payload),
        }
    }
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

/// Resolves `p` in `payload` and applies `pred` to the value found and, if
/// that is an array, to each of its elements (one level): true if any
/// passes. A missing
/// field passes nothing.
#[inline]
fn field_any(p: &FieldPath, payload: Option<&Value>, pred: impl Fn(&Value) -> bool) -> bool {
    match payload.and_then(|v| p.resolve(v)) {
        None => false,
        Some(x @ Value::Array(items)) => pred(x) || items.iter().any(&pred),
        Some(x) => pred(x),
    }
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

/// The order of two numbers or two strings (by value, and by Unicode code
/// point, i.e. bytewise); `None` for any other pair.
pub fn compare_values(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y),
        (Value::String(x), Value::String(y)) => Some(x.as_str().cmp(y.as_str())),
        _ => None,
    }
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
