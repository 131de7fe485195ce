//! [`FieldPath`]: a dotted payload field path, split into segments once.

use std::fmt;

use serde_json::Value;

use crate::error::{Error, Result};

/// A dotted path to a payload field (`"a.b.c"`), split into its segments
/// when it is built so that evaluation never re-parses it.
///
/// Each segment names a key of a JSON object; the path resolves by looking
/// the segments up one after the other, starting at the payload. Paths do
/// not index into arrays, and a key that itself contains a `.` cannot be
/// addressed.
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
    segments: Box<[Box<str>]>,
}

impl FieldPath {
    /// Parses a dotted path. Fails with [`Error::InvalidArgument`] if the
    /// path is empty or has an empty segment (`"a..b"`, `".a"`, `"a."`).
    pub fn parse(path: &str) -> Result<FieldPath> {
        if path.is_empty() {
            return Err(Error::invalid("empty field path"));
        }
        if path.split('.').any(str::is_empty) {
            return Err(Error::invalid(format!(
                "empty segment in field path \"{path}\""
            )));
        }
        Ok(FieldPath::from_str_lossy(path))
    }

    /// Builds a path from any string, never failing. A string that
    /// [`FieldPath::parse`] would reject gives an invalid path, which keeps
    /// its text (for [`FieldPath::as_str`] and error messages) but resolves
    /// to nothing in every payload.
    pub fn from_str_lossy(path: &str) -> FieldPath {
        let valid = !path.is_empty() && !path.split('.').any(str::is_empty);
        let segments = if valid {
            path.split('.').map(Box::from).collect()
        } else {
            Box::default()
        };
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

    /// The segments of a valid path, in order (none for an invalid path).
    pub fn segments(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.segments.iter().map(|s| &**s)
    }

    /// Looks the path up in `payload`: `Some` with the value found, `None`
    /// if a segment is missing, if an intermediate value is not an object,
    /// or if the path is invalid. Does not allocate.
    #[inline]
    pub fn resolve<'a>(&self, payload: &'a Value) -> Option<&'a Value> {
        let (first, rest) = self.segments.split_first()?;
        let mut cur = payload.as_object()?.get(&**first)?;
        for seg in rest {
            cur = cur.as_object()?.get(&**seg)?;
        }
        Some(cur)
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
