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
    /// The field (or an element of it) lies between the two values,
    /// inclusive (numbers with numbers, strings with strings).
    Between(FieldPath, Value, Value),
    /// The field is present (whatever its value, `null` included).
    Exists(FieldPath),
    /// The field is present and `null`.
    IsNull(FieldPath),
    /// The field is missing, `null`, or an empty array.
    IsEmpty(FieldPath),
    /// The field (or an element of it) is a string matching the pattern.
    Like(FieldPath, Pattern),
    /// The number of values the field holds (array elements, or 1 for any
    /// other value but `null`, summed over the values a `[]` path
    /// resolves to) lies in the range.
    ValuesCount(FieldPath, CountRange),
    /// The field's text (a string, or the strings of an array) holds the
    /// query's terms: all of them, any of them, or the phrase (see
    /// [`TextMatch`]).
    Text(FieldPath, TextMatch),
    /// The point's id is one of these (sorted, without duplicates).
    HasId(Vec<u64>),
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

    /// `lo <= field <= hi` (for an array field: one element in the range).
    pub fn between(field: &str, lo: impl Into<Value>, hi: impl Into<Value>) -> Filter {
        Filter::Between(FieldPath::from_str_lossy(field), lo.into(), hi.into())
    }

    /// `field` equals none of `values` (also true when it is missing).
    pub fn not_in(field: &str, values: Vec<Value>) -> Filter {
        Filter::not(Filter::is_in(field, values))
    }

    /// `field` is present.
    pub fn exists(field: &str) -> Filter {
        Filter::Exists(FieldPath::from_str_lossy(field))
    }

    /// `field` is present and `null`.
    pub fn is_null(field: &str) -> Filter {
        Filter::IsNull(FieldPath::from_str_lossy(field))
    }

    /// `field` is missing, `null` or `[]`.
    pub fn is_empty(field: &str) -> Filter {
        Filter::IsEmpty(FieldPath::from_str_lossy(field))
    }

    /// `field` (or an element of it) is a string matching `pattern`: `%`
    /// matches any run of characters, `_` one character, `\` escapes the
    /// next one; with `ignore_case`, letters match in either case (ILIKE).
    pub fn like(field: &str, pattern: &str, ignore_case: bool) -> Filter {
        Filter::Like(
            FieldPath::from_str_lossy(field),
            Pattern::new(pattern, ignore_case),
        )
    }

    /// `field` (an array) holds every one of `values` (an empty list:
    /// always true).
    pub fn contains_all(field: &str, values: Vec<Value>) -> Filter {
        Filter::and(values.into_iter().map(|v| Filter::eq(field, v)).collect())
    }

    /// The number of values of `field` lies in `min..=max` (`max` `None`:
    /// no upper bound).
    pub fn values_count(field: &str, min: u64, max: Option<u64>) -> Filter {
        Filter::ValuesCount(
            FieldPath::from_str_lossy(field),
            CountRange {
                min,
                max: max.unwrap_or(u64::MAX),
            },
        )
    }

    /// `field`'s text holds every term of `query` (analyzed as the
    /// field's text index analyzes its text; without a text index, by the
    /// default analyzer: words lowercased).
    pub fn text(field: &str, query: &str) -> Filter {
        Filter::text_match(field, query, TextMode::All)
    }

    /// `field`'s text holds `query`'s terms as `mode` says.
    pub fn text_match(field: &str, query: &str, mode: TextMode) -> Filter {
        Filter::Text(
            FieldPath::from_str_lossy(field),
            TextMatch {
                query: query.to_owned(),
                mode,
            },
        )
    }

    /// The point's id is one of `ids`.
    pub fn has_id(ids: &[u64]) -> Filter {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        Filter::HasId(ids)
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

    /// The field path of a condition, `None` for `has_id`, `and`, `or` and
    /// `not`.
    pub fn field(&self) -> Option<&FieldPath> {
        match self {
            Filter::Eq(p, _)
            | Filter::Ne(p, _)
            | Filter::Lt(p, _)
            | Filter::Lte(p, _)
            | Filter::Gt(p, _)
            | Filter::Gte(p, _)
            | Filter::In(p, _)
            | Filter::Between(p, _, _)
            | Filter::Exists(p)
            | Filter::IsNull(p)
            | Filter::IsEmpty(p)
            | Filter::Like(p, _)
            | Filter::ValuesCount(p, _)
            | Filter::Text(p, _) => Some(p),
            Filter::HasId(_) | Filter::And(_) | Filter::Or(_) | Filter::Not(_) => None,
        }
    }

    /// The payload's top-level keys the filter reads (the first segment of
    /// each field path), sorted and unique; `None` when the filter cannot
    /// be evaluated on a part of the payload (an invalid path).
    pub fn top_keys(&self) -> Option<Vec<&str>> {
        let mut keys = Vec::new();
        let mut stack = vec![self];
        while let Some(f) = stack.pop() {
            if let Some(p) = f.field() {
                keys.push(p.segments().next()?);
            }
            stack.extend(f.children());
        }
        keys.sort_unstable();
        keys.dedup();
        Some(keys)
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
                    .map_err(|e| Error::invalid(format!("filter: {}", e.bare_message())))?;
            }
            let bounds: &[&Value] = match f {
                Filter::Lt(_, v) | Filter::Lte(_, v) | Filter::Gt(_, v) | Filter::Gte(_, v) => {
                    &[v][..]
                }
                Filter::Between(_, lo, hi) => &[lo, hi][..],
                _ => &[],
            };
            for v in bounds {
                if !(v.is_number() || v.is_string()) {
                    return Err(Error::invalid(format!(
                        "filter: field \"{}\": ordering comparison with {v}; expected a number or a string",
                        f.field().map_or("", |p| p.as_str())
                    )));
                }
            }
            stack.extend(f.children().iter().map(|c| (c, depth + 1)));
        }
        Ok(())
    }
}

/// How a `text` condition matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextMode {
    /// Every term of the query is in the field's text.
    All,
    /// At least one term of the query is.
    Any,
    /// The query's terms appear in this order, one after the other, in
    /// one of the field's strings.
    Phrase,
}

impl TextMode {
    /// Its name: `"all"`, `"any"`, `"phrase"`.
    pub fn name(self) -> &'static str {
        match self {
            TextMode::All => "all",
            TextMode::Any => "any",
            TextMode::Phrase => "phrase",
        }
    }
}

/// The argument of a `text` condition. A query without any term (empty,
/// only punctuation, or only stop words of the field's analyzer) matches
/// no point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextMatch {
    /// The query text, analyzed like the field's text.
    pub query: String,
    /// How its terms must appear.
    pub mode: TextMode,
}

/// An inclusive range of value counts (`values_count`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountRange {
    /// The smallest count admitted.
    pub min: u64,
    /// The largest count admitted (`u64::MAX`: no bound).
    pub max: u64,
}

impl CountRange {
    /// Whether `n` lies in the range.
    pub fn contains(&self, n: u64) -> bool {
        self.min <= n && n <= self.max
    }
}

/// A LIKE pattern: `%` any run of characters, `_` one character, `\`
/// escapes the next character (a trailing `\` is itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    ignore_case: bool,
    tokens: Vec<Tok>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Any,
    One,
    Char(char),
}

impl Pattern {
    /// Parses `text`; `ignore_case` for ILIKE.
    pub fn new(text: &str, ignore_case: bool) -> Pattern {
        let source = if ignore_case {
            text.to_lowercase()
        } else {
            text.to_owned()
        };
        let mut tokens = Vec::new();
        let mut chars = source.chars();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '%' => Tok::Any,
                '_' => Tok::One,
                '\\' => Tok::Char(chars.next().unwrap_or('\\')),
                c => Tok::Char(c),
            });
        }
        Pattern {
            text: text.to_owned(),
            ignore_case,
            tokens,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether it matches case-insensitively (ILIKE).
    pub fn ignores_case(&self) -> bool {
        self.ignore_case
    }

    /// Whether `s` matches the whole pattern.
    pub fn matches(&self, s: &str) -> bool {
        if self.ignore_case {
            self.matches_chars(&s.to_lowercase().chars().collect::<Vec<_>>())
        } else {
            self.matches_chars(&s.chars().collect::<Vec<_>>())
        }
    }

    /// Greedy matching with backtracking to the last `%` (linear in the
    /// common cases, `O(len(s) * len(pattern))` at worst).
    fn matches_chars(&self, s: &[char]) -> bool {
        let (mut i, mut t) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while i < s.len() {
            match self.tokens.get(t) {
                Some(Tok::Any) => {
                    star = Some((t, i));
                    t += 1;
                }
                Some(Tok::One) => {
                    i += 1;
                    t += 1;
                }
                Some(Tok::Char(c)) if *c == s[i] => {
                    i += 1;
                    t += 1;
                }
                _ => match star {
                    Some((st, si)) => {
                        t = st + 1;
                        i = si + 1;
                        star = Some((st, si + 1));
                    }
                    None => return false,
                },
            }
        }
        self.tokens[t..].iter().all(|k| *k == Tok::Any)
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
