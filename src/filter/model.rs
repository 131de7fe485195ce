//! The [`Filter`] tree and its builders.

use std::fmt;

use serde_json::Value;

use super::path::FieldPath;
use super::MAX_DEPTH;
use crate::error::{Error, Result};

/// A condition on a point's JSON payload. See the [module
/// documentation](super) for the JSON form and the exact semantics.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// The field equals the value (or, for an array field, one of its
    /// elements does).
    Eq(FieldPath, Value),
    /// Exactly `not eq`: also matches when the field is missing.
    Ne(FieldPath, Value),
    /// The field (or an element of it) is less than the value.
    Lt(FieldPath, Value),
    /// The field (or an element of it) is less than or equal to the value.
    Lte(FieldPath, Value),
    /// The field (or an element of it) is greater than the value.
    Gt(FieldPath, Value),
    /// The field (or an element of it) is greater than or equal to the value.
    Gte(FieldPath, Value),
    /// `eq` holds for at least one of the values (none: never matches).
    In(FieldPath, Vec<Value>),
    /// Every sub-filter matches (none: always matches).
    And(Vec<Filter>),
    /// At least one sub-filter matches (none: never matches).
    Or(Vec<Filter>),
    /// The sub-filter does not match.
    Not(Box<Filter>),
}

/// Builders. They never fail: the field path is taken with
/// [`FieldPath::from_str_lossy`], so an invalid path (empty, or with an
/// empty segment) gives a condition that never matches (and `ne` on it
/// always matches). [`Filter::validate`] reports such paths;
/// [`Filter::from_json`] rejects them.
impl Filter {
    /// `field == value`.
    pub fn eq(field: &str, value: impl Into<Value>) -> Filter {
        Filter::Eq(FieldPath::from_str_lossy(field), value.into())
    }

    /// `field != value` (also true when the field is missing).
    pub fn ne(field: &str, value: impl Into<Value>) -> Filter {
        Filter::Ne(FieldPath::from_str_lossy(field), value.into())
    }

    /// `field < value`.
    pub fn lt(field: &str, value: impl Into<Value>) -> Filter {
        Filter::Lt(FieldPath::from_str_lossy(field), value.into())
    }

    /// `field <= value`.
    pub fn lte(field: &str, value: impl Into<Value>) -> Filter {
        Filter::Lte(FieldPath::from_str_lossy(field), value.into())
    }

    /// `field > value`.
    pub fn gt(field: &str, value: impl Into<Value>) -> Filter {
        Filter::Gt(FieldPath::from_str_lossy(field), value.into())
    }

    /// `field >= value`.
    pub fn gte(field: &str, value: impl Into<Value>) -> Filter {
        Filter::Gte(FieldPath::from_str_lossy(field), value.into())
    }

    /// `field` equals one of `values`.
    pub fn is_in(field: &str, values: Vec<Value>) -> Filter {
        Filter::In(FieldPath::from_str_lossy(field), values)
    }

    /// All of `filters` (an empty list matches everything).
    pub fn and(filters: Vec<Filter>) -> Filter {
        Filter::And(filters)
    }

    /// Any of `filters` (an empty list matches nothing).
    pub fn or(filters: Vec<Filter>) -> Filter {
        Filter::Or(filters)
    }

    /// The negation of `filter` (also `!filter`).
    #[allow(clippy::should_implement_trait)] // `std::ops::Not` is implemented too
    pub fn not(filter: Filter) -> Filter {
        Filter::Not(Box::new(filter))
    }

    /// The field path of a condition, `None` for `and`, `or` and `not`.
    pub fn field(&self) -> Option<&FieldPath> {
        match self {
            Filter::Eq(p, _)
            | Filter::Ne(p, _)
            | Filter::Lt(p, _)
            | Filter::Lte(p, _)
            | Filter::Gt(p, _)
            | Filter::Gte(p, _)
            | Filter::In(p, _) => Some(p),
            Filter::And(_) | Filter::Or(_) | Filter::Not(_) => None,
        }
    }

    /// The sub-filters of `and`, `or` and `not` (none for a condition).
    pub fn children(&self) -> &[Filter] {
        match self {
            Filter::And(fs) | Filter::Or(fs) => fs,
            Filter::Not(f) => std::slice::from_ref(&**f),
            _ => &[],
        }
    }

    /// Checks what [`Filter::from_json`] would check of a filter built in
    /// code: every field path is valid, `lt`, `lte`, `gt` and `gte` compare
    /// with a number or a string, and the tree is at most [`MAX_DEPTH`]
    /// levels deep. Iterative, so safe on any depth. A filter that passes
    /// round-trips through [`Filter::to_json`] and [`Filter::from_json`].
    pub fn validate(&self) -> Result<()> {
        let mut stack: Vec<(&Filter, usize)> = vec![(self, 1)];
        while let Some((f, depth)) = stack.pop() {
            if depth > MAX_DEPTH {
                return Err(Error::invalid(format!(
                    "filter: filter nested deeper than {MAX_DEPTH} levels"
                )));
            }
            if let Some(p) = f.field() {
                FieldPath::parse(p.as_str())
                    .map_err(|e| Error::invalid(format!("filter: {}", bare(&e))))?;
            }
            if let Filter::Lt(p, v) | Filter::Lte(p, v) | Filter::Gt(p, v) | Filter::Gte(p, v) = f {
                if !(v.is_number() || v.is_string()) {
                    return Err(Error::invalid(format!(
                        "filter: field \"{p}\": ordering comparison with {v}; expected a number or a string"
                    )));
                }
            }
            stack.extend(f.children().iter().map(|c| (c, depth + 1)));
        }
        Ok(())
    }
}

/// The message of an [`Error::InvalidArgument`] without its prefix.
pub(super) fn bare(e: &Error) -> String {
    match e {
        Error::InvalidArgument(m) => m.clone(),
        other => other.to_string(),
    }
}

/// `!f` is [`Filter::not`]`(f)`.
impl std::ops::Not for Filter {
    type Output = Filter;

    fn not(self) -> Filter {
        Filter::Not(Box::new(self))
    }
}

/// Writes the JSON form ([`Filter::to_json`]).
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

/// Parses the JSON form ([`Filter::parse`]).
impl std::str::FromStr for Filter {
    type Err = Error;

    fn from_str(s: &str) -> Result<Filter> {
        Filter::parse(s)
    }
}
