//! The JSON form of a [`Filter`]: parsing with error locations, and
//! serialising back.

use std::fmt;

use serde_json::{Map, Value};

use super::model::{CountRange, Filter, Pattern, TextMatch, TextMode};
use super::path::FieldPath;
use super::MAX_DEPTH;
use crate::error::{Error, Result};

/// The condition operators, which go next to `"field"`.
const CONDITION_OPS: &str =
    "eq, ne, lt, lte, gt, gte, between, in, nin, exists, is_null, is_empty, like, ilike, contains_any, contains_all, values_count, text, text_any, phrase";

impl Filter {
    /// Builds a filter from its JSON form (see the [module
    /// documentation](super)). Errors are [`Error::InvalidArgument`] whose
    /// message starts with the JSON path of the offending node, e.g.
    /// `filter.and[2]: unknown operator "eqq" ...`.
    pub fn from_json(v: &Value) -> Result<Filter> {
        parse_node(v, &Loc::Root, 1)
    }

    /// Parses JSON text into a filter. Text that is not JSON gives an
    /// [`Error::InvalidArgument`] with serde_json's message (which includes
    /// its nesting limit of 128 arrays and objects); otherwise as
    /// [`Filter::from_json`].
    pub fn parse(json: &str) -> Result<Filter> {
        let v: Value = serde_json::from_str(json)
            .map_err(|e| Error::invalid(format!("filter: invalid JSON: {e}")))?;
        Filter::from_json(&v)
    }

    /// The JSON form of the filter; [`Filter::from_json`] gives back an
    /// equal filter whenever [`Filter::validate`] accepts it (always for a
    /// filter that came from JSON).
    pub fn to_json(&self) -> Value {
        let cond = |op: &str, p: &FieldPath, v: Value| {
            let mut m = Map::new();
            m.insert("field".into(), Value::String(p.as_str().into()));
            m.insert(op.into(), v);
            Value::Object(m)
        };
        let one = |op: &str, v: Value| {
            let mut m = Map::new();
            m.insert(op.into(), v);
            Value::Object(m)
        };
        let list = |fs: &[Filter]| Value::Array(fs.iter().map(Filter::to_json).collect());
        match self {
            Filter::Eq(p, v) => cond("eq", p, v.clone()),
            Filter::Ne(p, v) => cond("ne", p, v.clone()),
            Filter::Lt(p, v) => cond("lt", p, v.clone()),
            Filter::Lte(p, v) => cond("lte", p, v.clone()),
            Filter::Gt(p, v) => cond("gt", p, v.clone()),
            Filter::Gte(p, v) => cond("gte", p, v.clone()),
            Filter::In(p, vs) => cond("in", p, Value::Array(vs.clone())),
            Filter::Between(p, lo, hi) => {
                cond("between", p, Value::Array(vec![lo.clone(), hi.clone()]))
            }
            Filter::Exists(p) => cond("exists", p, Value::Bool(true)),
            Filter::IsNull(p) => cond("is_null", p, Value::Bool(true)),
            Filter::IsEmpty(p) => cond("is_empty", p, Value::Bool(true)),
            Filter::Like(p, pat) => cond(
                if pat.ignores_case() { "ilike" } else { "like" },
                p,
                Value::String(pat.as_str().into()),
            ),
            Filter::ValuesCount(p, r) => {
                let mut m = Map::new();
                if r.min > 0 {
                    m.insert("gte".into(), Value::from(r.min));
                }
                if r.max < u64::MAX {
                    m.insert("lte".into(), Value::from(r.max));
                }
                cond("values_count", p, Value::Object(m))
            }
            Filter::Text(p, m) => cond(
                match m.mode {
                    TextMode::All => "text",
                    TextMode::Any => "text_any",
                    TextMode::Phrase => "phrase",
                },
                p,
                Value::String(m.query.clone()),
            ),
            Filter::HasId(ids) => one(
                "has_id",
                Value::Array(ids.iter().map(|&i| Value::from(i)).collect()),
            ),
            Filter::And(fs) => one("and", list(fs)),
            Filter::Or(fs) => one("or", list(fs)),
            Filter::Not(f) => one("not", f.to_json()),
        }
    }
}

/// Where a node sits in the filter document, as a chain of parents; only
/// formatted when there is an error to report.
enum Loc<'a> {
    Root,
    Key(&'a Loc<'a>, &'a str),
    Index(&'a Loc<'a>, usize),
}

impl fmt::Display for Loc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Loc::Root => f.write_str("filter"),
            Loc::Key(parent, k) => write!(f, "{parent}.{k}"),
            Loc::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

fn err(loc: &Loc<'_>, msg: impl fmt::Display) -> Error {
    Error::invalid(format!("{loc}: {msg}"))
}

/// "a string", "an array", ... for error messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_node(v: &Value, loc: &Loc<'_>, depth: usize) -> Result<Filter> {
    if depth > MAX_DEPTH {
        return Err(err(
            loc,
            format_args!("filter nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    let obj = match v {
        Value::Object(o) => o,
        other => {
            return Err(err(
                loc,
                format_args!("expected a filter object, got {}", kind(other)),
            ))
        }
    };
    let mut field: Option<&Value> = None;
    let mut op: Option<(&str, &Value)> = None;
    for (key, val) in obj {
        match key.as_str() {
            "field" => field = Some(val),
            "eq" | "ne" | "lt" | "lte" | "gt" | "gte" | "between" | "in" | "nin" | "exists"
            | "is_null" | "is_empty" | "like" | "ilike" | "contains_any" | "contains_all"
            | "values_count" | "text" | "text_any" | "phrase" | "has_id" | "and" | "or" | "not" => {
                if let Some((prev, _)) = op {
                    return Err(err(
                        loc,
                        format_args!("more than one operator: \"{prev}\" and \"{key}\""),
                    ));
                }
                op = Some((key, val));
            }
            _ => {
                return Err(err(
                    loc,
                    format_args!(
                        "unknown operator \"{key}\" (expected \"field\" with one of \
                         {CONDITION_OPS}, or one of has_id, and, or, not)"
                    ),
                ))
            }
        }
    }
    let Some((op, arg)) = op else {
        return Err(match field {
            Some(_) => err(
                loc,
                format_args!("\"field\" without an operator (one of {CONDITION_OPS})"),
            ),
            None => err(loc, "empty filter object"),
        });
    };
    let here = Loc::Key(loc, op);
    match op {
        "has_id" => {
            if field.is_some() {
                return Err(err(loc, "\"field\" cannot go with \"has_id\""));
            }
            let Value::Array(items) = arg else {
                return Err(err(
                    &here,
                    format_args!("expected an array of point ids, got {}", kind(arg)),
                ));
            };
            let ids = items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_u64().ok_or_else(|| {
                        err(
                            &Loc::Index(&here, i),
                            format_args!(
                                "expected a point id (an integer from 0 to 2^64-1), got {v}"
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<u64>>>()?;
            Ok(Filter::has_id(&ids))
        }
        "and" | "or" | "not" => {
            if field.is_some() {
                return Err(err(loc, format_args!("\"field\" cannot go with \"{op}\"")));
            }
            if op == "not" {
                return Ok(Filter::Not(Box::new(parse_node(arg, &here, depth + 1)?)));
            }
            let Value::Array(items) = arg else {
                return Err(err(
                    &here,
                    format_args!("expected an array of filters, got {}", kind(arg)),
                ));
            };
            let filters = items
                .iter()
                .enumerate()
                .map(|(i, item)| parse_node(item, &Loc::Index(&here, i), depth + 1))
                .collect::<Result<Vec<_>>>()?;
            Ok(if op == "and" {
                Filter::And(filters)
            } else {
                Filter::Or(filters)
            })
        }
        _ => {
            let Some(field) = field else {
                return Err(err(
                    loc,
                    format_args!("operator \"{op}\" needs a \"field\""),
                ));
            };
            let path = parse_path(field, &Loc::Key(loc, "field"))?;
            parse_condition(op, path, arg, &here)
        }
    }
}

fn parse_path(v: &Value, loc: &Loc<'_>) -> Result<FieldPath> {
    let Value::String(s) = v else {
        return Err(err(loc, format_args!("expected a string, got {}", kind(v))));
    };
    FieldPath::parse(s).map_err(|e| err(loc, e.bare_message()))
}

fn parse_condition(op: &str, path: FieldPath, arg: &Value, loc: &Loc<'_>) -> Result<Filter> {
    let ordered = || match arg {
        Value::Number(_) | Value::String(_) => Ok(arg.clone()),
        other => Err(err(
            loc,
            format_args!("expected a number or a string, got {}", kind(other)),
        )),
    };
    let list = || match arg {
        Value::Array(vs) => Ok(vs.clone()),
        other => Err(err(
            loc,
            format_args!("expected an array, got {}", kind(other)),
        )),
    };
    let flag = || match arg {
        Value::Bool(b) => Ok(*b),
        other => Err(err(
            loc,
            format_args!("expected true or false, got {}", kind(other)),
        )),
    };
    let negate_unless = |yes: bool, f: Filter| if yes { f } else { Filter::Not(Box::new(f)) };
    Ok(match op {
        "between" => match arg {
            Value::Array(b) if b.len() == 2 => {
                for (i, v) in b.iter().enumerate() {
                    if !(v.is_number() || v.is_string()) {
                        return Err(err(
                            &Loc::Index(loc, i),
                            format_args!("expected a number or a string, got {}", kind(v)),
                        ));
                    }
                }
                Filter::Between(path, b[0].clone(), b[1].clone())
            }
            other => {
                return Err(err(
                    loc,
                    format_args!("expected [low, high], got {}", kind(other)),
                ))
            }
        },
        "values_count" => Filter::ValuesCount(path, parse_count_range(arg, loc)?),
        "text" | "text_any" | "phrase" => match arg {
            Value::String(s) => Filter::Text(
                path,
                TextMatch {
                    query: s.clone(),
                    mode: match op {
                        "text" => TextMode::All,
                        "text_any" => TextMode::Any,
                        _ => TextMode::Phrase,
                    },
                },
            ),
            other => {
                return Err(err(
                    loc,
                    format_args!("expected the query text (a string), got {}", kind(other)),
                ))
            }
        },
        "nin" => Filter::Not(Box::new(Filter::In(path, list()?))),
        "contains_any" => Filter::In(path, list()?),
        "contains_all" => Filter::And(
            list()?
                .into_iter()
                .map(|v| Filter::Eq(path.clone(), v))
                .collect(),
        ),
        "exists" => negate_unless(flag()?, Filter::Exists(path)),
        "is_null" => negate_unless(flag()?, Filter::IsNull(path)),
        "is_empty" => negate_unless(flag()?, Filter::IsEmpty(path)),
        "like" | "ilike" => match arg {
            Value::String(s) => Filter::Like(path, Pattern::new(s, op == "ilike")),
            other => {
                return Err(err(
                    loc,
                    format_args!("expected a pattern string, got {}", kind(other)),
                ))
            }
        },
        "eq" => Filter::Eq(path, arg.clone()),
        "ne" => Filter::Ne(path, arg.clone()),
        "lt" => Filter::Lt(path, ordered()?),
        "lte" => Filter::Lte(path, ordered()?),
        "gt" => Filter::Gt(path, ordered()?),
        "gte" => Filter::Gte(path, ordered()?),
        _ => match arg {
            Value::Array(vs) => Filter::In(path, vs.clone()),
            other => {
                return Err(err(
                    loc,
                    format_args!("expected an array, got {}", kind(other)),
                ))
            }
        },
    })
}

/// `{"gte": 2, "lt": 5}`: any of `eq`, `lt`, `lte`, `gt`, `gte` with a
/// non-negative integer, combined.
fn parse_count_range(arg: &Value, loc: &Loc<'_>) -> Result<CountRange> {
    let Value::Object(m) = arg else {
        return Err(err(
            loc,
            format_args!(
                "expected an object of bounds such as {{\"gte\": 2}}, got {}",
                kind(arg)
            ),
        ));
    };
    let mut r = CountRange {
        min: 0,
        max: u64::MAX,
    };
    for (k, v) in m {
        let here = Loc::Key(loc, k);
        let Some(n) = v.as_u64() else {
            return Err(err(
                &here,
                format_args!("expected a count (a non-negative integer), got {v}"),
            ));
        };
        match k.as_str() {
            "eq" => {
                r.min = r.min.max(n);
                r.max = r.max.min(n);
            }
            "gte" => r.min = r.min.max(n),
            "gt" => r.min = r.min.max(n.saturating_add(1)),
            "lte" => r.max = r.max.min(n),
            // `lt 0` admits nothing: an empty range.
            "lt" => match n.checked_sub(1) {
                Some(m) => r.max = r.max.min(m),
                None => {
                    r.min = 1;
                    r.max = 0;
                }
            },
            other => {
                return Err(err(
                    loc,
                    format_args!("unknown bound \"{other}\" (expected eq, lt, lte, gt or gte)"),
                ))
            }
        }
    }
    Ok(r)
}
