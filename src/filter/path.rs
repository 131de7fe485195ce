//! [`FieldPath`]: a dotted payload field path, split into segments once.

use std::fmt;

use serde_json::Value;

use crate::error::{Error, Result};

/// A dotted path to a payload field (`"a.b.c"`), split into its segments
/// when it is built so that evaluation never re-parses it.
///
/// Each segment names a key of a JSON object; the path resolves by looking
/// the segments up one after the other, starting at the payload. A segment
/// written `key[]` steps into every element of the array found under `key`
/// (a value there that is not an array is taken as it is): `tags[].name`
/// resolves to the `name` of each object of the array `tags`, so a path
/// resolves to any number of values. A key that itself contains a `.`, or
/// ends in `[]`, cannot be addressed.
///
/// A path built by [`FieldPath::parse`] is always valid: non-empty, with no
/// empty segment. [`FieldPath::from_str_lossy`] (used by the [`Filter`]
/// builders) accepts any string; an invalid one is kept as written but
/// resolves to nothing, so conditions on it never match.
///
/// [`Filter`]: super::Filter
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPath {
    /// The path as written.
    raw: Box<str>,
    /// The segments; empty if and only if the path is invalid.
    segments: Box<[Segment]>,
}

/// One step of a path: a key, and whether to step into each element of
/// the array found under it (`key[]`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Segment {
    key: Box<str>,
    each: bool,
}

/// The key of a segment as written (`"a"`, `"a[]"`): `None` when it is
/// empty (`""`, `"[]"`) or holds `[` or `]` elsewhere than a final `[]`.
fn segment(raw: &str) -> Option<Segment> {
    let (key, each) = match raw.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (raw, false),
    };
    (!key.is_empty() && !key.contains(['[', ']'])).then(|| Segment {
        key: key.into(),
        each,
    })
}

impl FieldPath {
    /// Parses a dotted path. Fails with [`Error::InvalidArgument`] if the
    /// path is empty, has an empty segment (`"a..b"`, `".a"`, `"a."`,
    /// `"[]"`) or a bracket elsewhere than a segment's final `[]`.
    pub fn parse(path: &str) -> Result<FieldPath> {
        if path.is_empty() {
            return Err(Error::invalid("empty field path"));
        }
        if path.split('.').any(str::is_empty) {
            return Err(Error::invalid(format!(
                "empty segment in field path \"{path}\""
            )));
        }
        if let Some(bad) = path.split('.').find(|s| segment(s).is_none()) {
            return Err(Error::invalid(format!(
                "segment \"{bad}\" of field path \"{path}\": brackets may only end a segment, as in \"tags[].name\""
            )));
        }
        Ok(FieldPath::from_str_lossy(path))
    }

    /// Builds a path from any string, never failing. A string that
    /// [`FieldPath::parse`] would reject gives an invalid path, which keeps
    /// its text (for [`FieldPath::as_str`] and error messages) but resolves
    /// to nothing in every payload.
    pub fn from_str_lossy(path: &str) -> FieldPath {
        let segments = path
            .split('.')
            .map(segment)
            .collect::<Option<Box<[Segment]>>>()
            .unwrap_or_default();
        FieldPath {
            raw: path.into(),
            segments,
        }
    }

    /// The path as written, e.g. `"a.b.c"`.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether the path is valid (what [`FieldPath::parse`] accepts).
    pub fn is_valid(&self) -> bool {
        !self.segments.is_empty()
    }

    /// The keys of a valid path's segments, in order, without their `[]`
    /// (none for an invalid path).
    pub fn segments(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.segments.iter().map(|s| &*s.key)
    }

    /// Whether a segment steps into array elements (`[]`), so that the
    /// path can resolve to more than one value.
    pub fn is_multi(&self) -> bool {
        self.segments.iter().any(|s| s.each)
    }

    /// Looks a path without `[]` up in `payload`: `Some` with the value
    /// found, `None` if a segment is missing, if an intermediate value is
    /// not an object, or if the path is invalid. For a path with `[]`, the
    /// first value [`FieldPath::any`] would visit. Does not allocate.
    pub fn resolve<'a>(&self, payload: &'a Value) -> Option<&'a Value> {
        let mut found = None;
        self.any(payload, &mut |v| {
            found = Some(v);
            true
        });
        found
    }

    /// Calls `f` on each value the path resolves to in `payload`, in
    /// document order, until it returns true; returns whether it did.
    /// Nothing is visited for an invalid path or a missing field. Does
    /// not allocate.
    #[inline]
    pub fn any<'a>(&self, payload: &'a Value, f: &mut dyn FnMut(&'a Value) -> bool) -> bool {
        !self.segments.is_empty() && walk(&self.segments, payload, f)
    }
}

impl FieldPath {
    /// Removes the field the path names from `payload` (from each element
    /// a `[]` segment steps into); returns whether anything was removed.
    /// A final `key[]` removes `key` itself.
    pub fn remove_from(&self, payload: &mut Value) -> bool {
        remove(&self.segments, payload)
    }
}

fn remove(segs: &[Segment], cur: &mut Value) -> bool {
    let Some((first, rest)) = segs.split_first() else {
        return false;
    };
    let Some(obj) = cur.as_object_mut() else {
        return false;
    };
    if rest.is_empty() {
        return obj.remove(&*first.key).is_some();
    }
    let Some(next) = obj.get_mut(&*first.key) else {
        return false;
    };
    match next {
        Value::Array(items) if first.each => {
            let mut any = false;
            for x in items {
                any |= remove(rest, x);
            }
            any
        }
        _ => remove(rest, next),
    }
}

fn walk<'a>(segs: &[Segment], cur: &'a Value, f: &mut dyn FnMut(&'a Value) -> bool) -> bool {
    let Some((first, rest)) = segs.split_first() else {
        return f(cur);
    };
    let Some(next) = cur.as_object().and_then(|o| o.get(&*first.key)) else {
        return false;
    };
    match next {
        Value::Array(items) if first.each => items.iter().any(|x| walk(rest, x, f)),
        _ => walk(rest, next, f),
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl std::str::FromStr for FieldPath {
    type Err = Error;

    fn from_str(s: &str) -> Result<FieldPath> {
        FieldPath::parse(s)
    }
}
