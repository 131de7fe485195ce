//! Payload filters: the [`Filter`] model, its JSON form, and its evaluation
//! against a point's `serde_json::Value` payload.
//!
//! # JSON form
//!
//! ```json
//! {"field": "category", "eq": "noun.animal"}
//! {"field": "year", "gte": 2000}
//! {"field": "tags", "in": ["a", "b"]}
//! {"and": [f, ...]}   {"or": [f, ...]}   {"not": f}
//! ```
//!
//! A condition is an object with `"field"` (a dotted path, see below) and
//! exactly one of the operators `eq`, `ne`, `lt`, `lte`, `gt`, `gte`,
//! `between`, `in`, `nin`, `contains_any`, `contains_all`, `like`, `ilike`,
//! `exists`, `is_null`, `is_empty`, `text`, `text_any`, `phrase`. `eq`, `ne` take any JSON value; `lt`,
//! `lte`, `gt`, `gte` a number or a string; `between` `[low, high]` of
//! those; `in`, `nin`, `contains_any`, `contains_all` an array; `like`,
//! `ilike` a pattern string; `text`, `text_any`, `phrase` a query string; `exists`, `is_null`, `is_empty` `true` or
//! `false` (`false` negates). `nin` is `not in`, `contains_any` is `in`,
//! `contains_all` is an `and` of `eq`. `and` and `or` take an array of filters, `not` one
//! filter, and stand alone in their object. Anything else — an unknown or
//! extra key, two operators, a wrong type, an invalid path, nesting deeper
//! than [`MAX_DEPTH`] levels — is an [`Error::InvalidArgument`] whose
//! message starts with the JSON path of the bad node, such as
//! `filter.and[2]: unknown operator "eqq" ...` or
//! `filter.or[0].field: empty segment in field path "a..b"`.
//! [`Filter::parse`] reads JSON text, [`Filter::from_json`] a parsed value,
//! [`Filter::to_json`] writes the form back.
//!
//! # Semantics
//!
//! * **Fields** resolve by dotted path through JSON objects: `"a.b.c"` is
//!   `payload["a"]["b"]["c"]`. Paths do not index into arrays; a key that
//!   contains a `.` cannot be addressed. A field is *missing* if any step
//!   is absent or not an object, and every field of a point without a
//!   payload is missing.
//! * **`eq`** matches when the field equals the value: numbers by value
//!   (`1 == 1.0`, integers and floats compared exactly), strings, bools and
//!   `null` by equality, arrays and objects element by element with the
//!   same rules. A missing field never matches; `{"eq": null}` matches a
//!   field that is present and `null`.
//! * **Arrays**: if the field's value is an array, a condition matches when
//!   the array as a whole or ANY of its elements (one level) matches, as in
//!   Qdrant: `{"field": "tags", "eq": "x"}` matches `{"tags": ["x", "y"]}`.
//!   An empty array matches no `eq`, `lt`, ... nor `in`.
//! * **`ne`** is exactly `not eq`: it matches a missing field, and an array
//!   field only if no element equals the value.
//! * **`lt`, `lte`, `gt`, `gte`** compare numbers numerically and strings
//!   lexicographically (bytewise, i.e. by Unicode code point). A number is
//!   never compared with a string: mismatched types, and missing fields,
//!   never match.
//! * **`in`** matches when `eq` matches any of the listed values; an empty
//!   list matches nothing.
//! * **`between`** matches when the value or one element lies in the range,
//!   bounds included (one element in range, not one above the low and
//!   another below the high bound).
//! * **`like`** matches a string (or a string element) against a pattern:
//!   `%` any run of characters, `_` one character, `\` escapes the next;
//!   `ilike` compares lowercased.
//! * **`exists`**: the field is present (any value, `null` included);
//!   **`is_null`**: present and `null`; **`is_empty`**: missing, `null` or
//!   `[]`.
//! * **`and`** matches when all sub-filters match (empty: everything);
//!   **`or`** when at least one does (empty: nothing); **`not`** negates.
//!
//! # Builders
//!
//! [`Filter::eq`], [`Filter::and`], ... never fail and never panic: they
//! take the path with [`FieldPath::from_str_lossy`], and an invalid path
//! (empty, or with an empty segment such as `"a..b"`) gives a condition on
//! a field that is always missing (so `eq` never matches, `ne` always
//! does). [`Filter::validate`] reports invalid paths, ordering comparisons
//! with other values than numbers and strings, and excessive depth, i.e.
//! exactly what [`Filter::from_json`] would reject.
//!
//! # Cost
//!
//! Paths are split into segments once, when the filter is built;
//! [`Filter::matches`] only walks the payload and compares values, and
//! never allocates. Evaluation recurses once per nesting level, which
//! [`Filter::from_json`] bounds by [`MAX_DEPTH`].
//!
//! [`Error::InvalidArgument`]: crate::error::Error::InvalidArgument

mod eval;
mod json;
mod model;
mod path;
#[cfg(test)]
mod tests;

pub use eval::{
    compare_numbers, compare_strings, compare_values, estimate_selectivity, parse_datetime,
    text_matches, values_equal, Analyzers,
};
pub(crate) use json::kind as json_kind;
pub use model::{CountRange, Filter, Pattern, TextMatch, TextMode};
pub use path::FieldPath;

/// How deep a filter parsed from JSON may nest: the top-level filter is
/// level 1, each `and`, `or` or `not` adds one level for its sub-filters.
/// (JSON text is also subject to serde_json's own limit of 128 nested
/// arrays and objects, which a 64-level chain of `and` just fits.)
pub const MAX_DEPTH: usize = 64;
