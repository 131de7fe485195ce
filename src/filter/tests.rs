use serde_json::{json, Value};

use super::*;
use crate::error::Error;

fn m(f: &Filter, payload: Value) -> bool {
    f.matches(Some(&payload))
}

/// Parses `text` and returns the message of the InvalidArgument it must give.
fn err_of(text: &str) -> String {
    match Filter::parse(text) {
        Err(Error::InvalidArgument(msg)) => msg,
        other => panic!("{text}: expected InvalidArgument, got {other:?}"),
    }
}

fn nested_not(levels: usize) -> Value {
    let mut v = json!({"field": "a", "eq": 1});
    for _ in 1..levels {
        v = json!({ "not": v });
    }
    v
}

#[test]
fn field_path_parse_and_resolve() {
    let p = FieldPath::parse("a.b.c").unwrap();
    assert_eq!(p.as_str(), "a.b.c");
    assert_eq!(p.to_string(), "a.b.c");
    assert_eq!(p.segments().collect::<Vec<_>>(), ["a", "b", "c"]);
    assert!(p.is_valid());
    let doc = json!({"a": {"b": {"c": 7}}, "x": 1});
    assert_eq!(p.resolve(&doc), Some(&json!(7)));
    assert_eq!(
        FieldPath::parse("a.b").unwrap().resolve(&doc),
        Some(&json!({"c": 7}))
    );
    assert_eq!(FieldPath::parse("a.z").unwrap().resolve(&doc), None);
    assert_eq!(
        FieldPath::parse("x.y").unwrap().resolve(&doc),
        None,
        "through a number"
    );
    assert_eq!(
        FieldPath::parse("a").unwrap().resolve(&json!([1])),
        None,
        "root not an object"
    );
    let arr = json!({"a": [{"b": 1}]});
    assert_eq!(
        FieldPath::parse("a.b").unwrap().resolve(&arr),
        None,
        "no descent into arrays"
    );
    assert_eq!(FieldPath::parse("a.0").unwrap().resolve(&arr), None);
    assert!("k".parse::<FieldPath>().is_ok());
    let odd = FieldPath::parse(" sp ace ").unwrap();
    assert_eq!(odd.resolve(&json!({" sp ace ": true})), Some(&json!(true)));
}

#[test]
fn field_path_errors() {
    for (path, want) in [
        ("", "empty field path"),
        ("a..b", "empty segment in field path \"a..b\""),
        (".a", "empty segment in field path \".a\""),
        ("a.", "empty segment in field path \"a.\""),
        (".", "empty segment in field path \".\""),
    ] {
        match FieldPath::parse(path) {
            Err(Error::InvalidArgument(msg)) => assert_eq!(msg, want),
            other => panic!("{path:?}: {other:?}"),
        }
    }
}

#[test]
fn lossy_paths_never_resolve() {
    for raw in ["", "a..b", "a.", ".a"] {
        let p = FieldPath::from_str_lossy(raw);
        assert!(!p.is_valid());
        assert_eq!(p.as_str(), raw);
        assert_eq!(p.resolve(&json!({"a": {"": {"b": 1}}, "": 1})), None);
    }
    let doc = json!({"a": {"": {"b": 1}}});
    assert!(!m(&Filter::eq("a..b", 1), doc.clone()));
    assert!(m(&Filter::ne("a..b", 1), doc.clone()));
    assert!(!m(&Filter::eq("", 1), doc));
    assert_eq!(
        FieldPath::from_str_lossy("a.b"),
        FieldPath::parse("a.b").unwrap()
    );
}

#[test]
fn eq_and_ne() {
    let doc = json!({"s": "x", "n": 3, "f": 2.5, "b": true, "z": null, "o": {"k": [1, 2]}});
    assert!(m(&Filter::eq("s", "x"), doc.clone()));
    assert!(!m(&Filter::eq("s", "y"), doc.clone()));
    assert!(m(&Filter::eq("n", 3), doc.clone()));
    assert!(m(&Filter::eq("f", 2.5), doc.clone()));
    assert!(m(&Filter::eq("b", true), doc.clone()));
    assert!(!m(&Filter::eq("b", false), doc.clone()));
    assert!(m(&Filter::eq("z", Value::Null), doc.clone()));
    assert!(!m(&Filter::eq("missing", Value::Null), doc.clone()));
    assert!(
        m(&Filter::eq("o", json!({"k": [1.0, 2]})), doc.clone()),
        "deep, numeric"
    );
    assert!(!m(&Filter::eq("o", json!({"k": [1]})), doc.clone()));
    assert!(!m(
        &Filter::eq("o", json!({"k": [1, 2], "j": 0})),
        doc.clone()
    ));

    assert!(!m(&Filter::ne("s", "x"), doc.clone()));
    assert!(m(&Filter::ne("s", "y"), doc.clone()));
    assert!(
        m(&Filter::ne("missing", "x"), doc.clone()),
        "ne matches a missing field"
    );
    assert!(m(&Filter::ne("s", 1), doc), "ne across types");
    assert!(Filter::ne("s", "x").matches(None));
    assert!(!Filter::eq("s", "x").matches(None));
}

#[test]
fn numeric_equality_and_order_across_int_and_float() {
    let doc = json!({"i": 1, "f": 1.0, "neg": -3, "big": u64::MAX, "half": 0.5});
    assert!(m(&Filter::eq("i", 1.0), doc.clone()));
    assert!(m(&Filter::eq("f", 1), doc.clone()));
    assert!(m(&Filter::eq("neg", -3.0), doc.clone()));
    assert!(!m(&Filter::eq("i", 1.0000001), doc.clone()));
    assert!(m(&Filter::eq("big", u64::MAX), doc.clone()));
    assert!(
        !m(&Filter::eq("big", u64::MAX - 1), doc.clone()),
        "no rounding to f64"
    );
    assert!(m(&Filter::lt("big", 1e20), doc.clone()));
    assert!(m(&Filter::gt("big", 1.8e19), doc.clone()));
    assert!(m(&Filter::gt("neg", -3.5), doc.clone()));
    assert!(m(&Filter::lt("neg", -2.5), doc.clone()));
    assert!(m(&Filter::gt("neg", i64::MIN), doc.clone()));
    assert!(m(&Filter::lt("neg", u64::MAX), doc.clone()));
    assert!(m(&Filter::lt("half", 1), doc.clone()));
    assert!(m(&Filter::gt("half", 0), doc.clone()));
    assert!(m(&Filter::lte("i", 1.0), doc.clone()));
    assert!(m(&Filter::gte("f", 1), doc.clone()));
    assert!(!m(&Filter::gt("i", 1.0), doc.clone()));
    assert!(m(&Filter::gt("i", -1e300), doc.clone()));
    assert!(m(&Filter::lt("i", 1e300), doc));
    let n = |v: Value| match v {
        Value::Number(n) => n,
        _ => unreachable!(),
    };
    use std::cmp::Ordering::*;
    assert_eq!(compare_values(&json!(2), &json!(2.0)), Some(Equal));
    assert_eq!(
        eval::compare_numbers(&n(json!(-0.0)), &n(json!(0))),
        Some(Equal)
    );
    assert_eq!(
        eval::compare_numbers(&n(json!(i64::MIN)), &n(json!(u64::MAX))),
        Some(Less)
    );
    assert_eq!(
        eval::compare_numbers(&n(json!(2.5)), &n(json!(2))),
        Some(Greater)
    );
    assert_eq!(
        eval::compare_numbers(&n(json!(-2.5)), &n(json!(-2))),
        Some(Less)
    );
    assert_eq!(
        eval::compare_numbers(&n(json!(-2)), &n(json!(-2.5))),
        Some(Greater)
    );
}

#[test]
fn ordering_operators() {
    let doc = json!({"n": 10, "s": "m"});
    for (f, want) in [
        (Filter::lt("n", 11), true),
        (Filter::lt("n", 10), false),
        (Filter::lte("n", 10), true),
        (Filter::lte("n", 9), false),
        (Filter::gt("n", 9), true),
        (Filter::gt("n", 10), false),
        (Filter::gte("n", 10), true),
        (Filter::gte("n", 11), false),
        (Filter::lt("s", "n"), true),
        (Filter::lt("s", "m"), false),
        (Filter::lte("s", "m"), true),
        (Filter::gt("s", "l"), true),
        (Filter::gt("s", "ma"), false),
        (Filter::gte("s", "m"), true),
        (Filter::gt("s", "M"), true),
    ] {
        assert_eq!(m(&f, doc.clone()), want, "{f}");
    }
}

#[test]
fn type_mismatch_never_matches() {
    let doc = json!({"n": 10, "s": "10", "b": true, "z": null, "o": {"a": 1}});
    for f in [
        Filter::eq("n", "10"),
        Filter::eq("s", 10),
        Filter::eq("b", 1),
        Filter::eq("z", false),
        Filter::eq("z", 0),
        Filter::lt("n", "99"),
        Filter::gt("s", 1),
        Filter::gte("b", 0),
        Filter::lte("z", 0),
        Filter::lt("o", 5),
        Filter::lt("b", true),
        Filter::is_in("n", vec![json!("10"), json!(true)]),
    ] {
        assert!(!m(&f, doc.clone()), "{f}");
    }
}

#[test]
fn missing_fields_and_no_payload() {
    for f in [
        Filter::eq("x", 1),
        Filter::lt("x", 1),
        Filter::lte("x", 1),
        Filter::gt("x", 1),
        Filter::gte("x", 1),
        Filter::is_in("x", vec![json!(1)]),
        Filter::eq("a.b.c", 1),
    ] {
        assert!(!m(&f, json!({"a": {"b": 1}})), "{f}");
        assert!(!f.matches(None), "{f}");
        assert!(!m(&f, json!(null)), "{f}");
        assert!(m(&Filter::not(f.clone()), json!({})), "{f}");
    }
}

#[test]
fn nested_paths() {
    let doc = json!({"meta": {"lang": "en", "stats": {"views": 120}}});
    assert!(m(&Filter::eq("meta.lang", "en"), doc.clone()));
    assert!(m(&Filter::gt("meta.stats.views", 100), doc.clone()));
    assert!(!m(&Filter::gt("meta.stats.views.x", 100), doc.clone()));
    assert!(!m(&Filter::eq("meta.lang.x", "en"), doc.clone()));
    assert!(!m(&Filter::eq("lang", "en"), doc));
}

#[test]
fn arrays_match_any_element() {
    let doc = json!({"tags": ["a", "b"], "nums": [1, 5, 9.5], "empty": [], "nested": [[1, 2], 3]});
    assert!(m(&Filter::eq("tags", "a"), doc.clone()));
    assert!(m(&Filter::eq("tags", "b"), doc.clone()));
    assert!(!m(&Filter::eq("tags", "c"), doc.clone()));
    assert!(
        m(&Filter::eq("tags", json!(["a", "b"])), doc.clone()),
        "whole array"
    );
    assert!(!m(&Filter::ne("tags", "a"), doc.clone()));
    assert!(m(&Filter::ne("tags", "c"), doc.clone()));
    assert!(m(&Filter::gt("nums", 9), doc.clone()));
    assert!(!m(&Filter::gt("nums", 9.5), doc.clone()));
    assert!(m(&Filter::lt("nums", 2), doc.clone()));
    assert!(m(&Filter::lte("nums", 1.0), doc.clone()));
    assert!(m(&Filter::gte("nums", 9.5), doc.clone()));
    assert!(m(
        &Filter::is_in("nums", vec![json!(7), json!(5.0)]),
        doc.clone()
    ));
    assert!(!m(&Filter::eq("empty", 1), doc.clone()));
    assert!(!m(&Filter::lt("empty", 1), doc.clone()));
    assert!(m(&Filter::ne("empty", 1), doc.clone()));
    assert!(m(&Filter::eq("empty", json!([])), doc.clone()));
    assert!(m(&Filter::eq("nested", json!([1, 2])), doc.clone()));
    assert!(m(&Filter::eq("nested", 3), doc.clone()));
    assert!(!m(&Filter::eq("nested", 1), doc.clone()), "one level only");
    assert!(!m(&Filter::lt("nested", 2), doc), "one level only");
}

#[test]
fn in_operator() {
    let doc = json!({"c": "noun.animal", "n": 2});
    assert!(m(
        &Filter::is_in("c", vec![json!("verb"), json!("noun.animal")]),
        doc.clone()
    ));
    assert!(!m(&Filter::is_in("c", vec![json!("verb")]), doc.clone()));
    assert!(!m(&Filter::is_in("c", vec![]), doc.clone()));
    assert!(m(&Filter::is_in("n", vec![json!(2.0)]), doc.clone()));
    assert!(m(&Filter::not(Filter::is_in("n", vec![json!(3)])), doc));
}

#[test]
fn and_or_not() {
    let doc = json!({"a": 1, "b": "x"});
    let yes = Filter::eq("a", 1);
    let no = Filter::eq("a", 2);
    assert!(m(&Filter::and(vec![]), doc.clone()));
    assert!(Filter::and(vec![]).matches(None));
    assert!(!m(&Filter::or(vec![]), doc.clone()));
    assert!(m(
        &Filter::and(vec![yes.clone(), Filter::eq("b", "x")]),
        doc.clone()
    ));
    assert!(!m(&Filter::and(vec![yes.clone(), no.clone()]), doc.clone()));
    assert!(m(&Filter::or(vec![no.clone(), yes.clone()]), doc.clone()));
    assert!(!m(&Filter::or(vec![no.clone(), no.clone()]), doc.clone()));
    assert!(!m(&Filter::not(yes.clone()), doc.clone()));
    assert!(m(&Filter::not(no.clone()), doc.clone()));
    assert!(m(&Filter::not(Filter::not(yes)), doc.clone()));
    assert!(m(&Filter::not(Filter::or(vec![])), doc));
    assert_eq!(!Filter::eq("a", 1), Filter::not(Filter::eq("a", 1)));
}

#[test]
fn parse_json_form() {
    let f = Filter::parse(
        r#"{"and": [
            {"field": "category", "eq": "noun.animal"},
            {"or": [{"field": "meta.year", "gte": 2000}, {"not": {"field": "x", "in": [1, "a"]}}]},
            {"field": "k", "ne": null}, {"field": "k", "lt": "z"}, {"field": "k", "lte": 1.5},
            {"field": "k", "gt": -1}
        ]}"#,
    )
    .unwrap();
    let want = Filter::and(vec![
        Filter::eq("category", "noun.animal"),
        Filter::or(vec![
            Filter::gte("meta.year", 2000),
            Filter::not(Filter::is_in("x", vec![json!(1), json!("a")])),
        ]),
        Filter::ne("k", Value::Null),
        Filter::lt("k", "z"),
        Filter::lte("k", 1.5),
        Filter::gt("k", -1),
    ]);
    assert_eq!(f, want);
    assert_eq!(
        "{\"field\":\"a\",\"eq\":1}".parse::<Filter>().unwrap(),
        Filter::eq("a", 1)
    );
    assert_eq!(
        Filter::from_json(&json!({"field": "a", "eq": [1, {"b": 2}]})).unwrap(),
        Filter::eq("a", json!([1, {"b": 2}]))
    );
}

#[test]
fn json_round_trip() {
    let filters = [
        Filter::eq("a", "x"),
        Filter::ne("a.b", Value::Null),
        Filter::lt("a", 1),
        Filter::lte("a", 1.5),
        Filter::gt("a", "m"),
        Filter::gte("a", -7),
        Filter::is_in("a", vec![json!(1), json!("x"), json!(null), json!([1])]),
        Filter::is_in("a", vec![]),
        Filter::and(vec![]),
        Filter::or(vec![]),
        Filter::not(Filter::and(vec![
            Filter::eq("x", true),
            Filter::or(vec![Filter::eq("y", json!({"k": 1}))]),
        ])),
    ];
    for f in filters {
        f.validate().unwrap();
        let j = f.to_json();
        assert_eq!(Filter::from_json(&j).unwrap(), f, "{j}");
        assert_eq!(Filter::parse(&f.to_string()).unwrap(), f);
    }
    assert_eq!(
        Filter::eq("c", "v").to_json(),
        json!({"field": "c", "eq": "v"})
    );
    assert_eq!(
        Filter::is_in("c", vec![json!(1)]).to_json(),
        json!({"field": "c", "in": [1]})
    );
    assert_eq!(
        Filter::not(Filter::and(vec![])).to_json(),
        json!({"not": {"and": []}})
    );
}

#[test]
fn error_messages_carry_their_location() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"and": [{"field": "a", "eq": 1}, {"field": "a", "eq": 1}, {"field": "a", "eqq": 1}]}"#,
            "filter.and[2]: unknown operator \"eqq\"",
        ),
        (
            r#"{"field": "a", "eq": 1, "extra": 2}"#,
            "filter: unknown operator \"extra\"",
        ),
        (r#"{"bogus": 1}"#, "filter: unknown operator \"bogus\""),
        (
            r#"{"field": "a", "eq": 1, "lt": 2}"#,
            "filter: more than one operator: \"eq\" and \"lt\"",
        ),
        (
            r#"{"and": [], "or": []}"#,
            "filter: more than one operator: \"and\" and \"or\"",
        ),
        (
            r#"{"and": [], "field": "a"}"#,
            "filter: \"field\" cannot go with \"and\"",
        ),
        (
            r#"{"not": {"field": "a", "eq": 1}, "field": "a"}"#,
            "filter: \"field\" cannot go with \"not\"",
        ),
        (
            r#"{"field": "a"}"#,
            "filter: \"field\" without an operator (one of eq, ne, lt, lte, gt, gte, between, in, nin, exists, is_null, is_empty, like, ilike, contains_any, contains_all, values_count, text, text_any, phrase)",
        ),
        (r#"{}"#, "filter: empty filter object"),
        (r#"{"eq": 1}"#, "filter: operator \"eq\" needs a \"field\""),
        (
            r#"{"or": [{"in": [1]}]}"#,
            "filter.or[0]: operator \"in\" needs a \"field\"",
        ),
        (
            r#"{"field": 3, "eq": 1}"#,
            "filter.field: expected a string, got a number",
        ),
        (
            r#"{"field": "", "eq": 1}"#,
            "filter.field: empty field path",
        ),
        (
            r#"{"or": [{"field": "a..b", "eq": 1}]}"#,
            "filter.or[0].field: empty segment in field path \"a..b\"",
        ),
        (
            r#"{"not": {"field": "a.", "eq": 1}}"#,
            "filter.not.field: empty segment in field path \"a.\"",
        ),
        (
            r#"{"field": "a", "in": "x"}"#,
            "filter.in: expected an array, got a string",
        ),
        (
            r#"{"field": "a", "in": {"x": 1}}"#,
            "filter.in: expected an array, got an object",
        ),
        (
            r#"{"field": "a", "lt": true}"#,
            "filter.lt: expected a number or a string, got a bool",
        ),
        (
            r#"{"field": "a", "lte": null}"#,
            "filter.lte: expected a number or a string, got null",
        ),
        (
            r#"{"field": "a", "gt": [1]}"#,
            "filter.gt: expected a number or a string, got an array",
        ),
        (
            r#"{"field": "a", "gte": {}}"#,
            "filter.gte: expected a number or a string, got an object",
        ),
        (
            r#"{"and": {"field": "a", "eq": 1}}"#,
            "filter.and: expected an array of filters, got an object",
        ),
        (
            r#"{"or": "x"}"#,
            "filter.or: expected an array of filters, got a string",
        ),
        (
            r#"{"not": [{"field": "a", "eq": 1}]}"#,
            "filter.not: expected a filter object, got an array",
        ),
        (
            r#"{"and": [1]}"#,
            "filter.and[0]: expected a filter object, got a number",
        ),
        (
            r#"{"and": [{"or": [{"not": null}]}]}"#,
            "filter.and[0].or[0].not: expected a filter object, got null",
        ),
        (r#"[]"#, "filter: expected a filter object, got an array"),
        (r#""eq""#, "filter: expected a filter object, got a string"),
    ];
    for (text, want) in cases {
        let msg = err_of(text);
        assert!(msg.starts_with(want), "{text}\n got: {msg}\nwant: {want}");
    }
    let msg = err_of(r#"{"field": "a", "eqq": 1}"#);
    assert!(
        msg.contains("eq, ne, lt, lte, gt, gte, between, in, nin, exists, is_null, is_empty, like, ilike, contains_any, contains_all, values_count, text, text_any, phrase") && msg.contains("has_id, and, or, not"),
        "{msg}"
    );
}

#[test]
fn invalid_json_text() {
    for text in ["", "{", "{\"field\": \"a\", \"eq\": }", "nul", "{} x"] {
        let msg = err_of(text);
        assert!(msg.starts_with("filter: invalid JSON: "), "{text}: {msg}");
        assert!(
            msg.contains("line 1"),
            "serde's message with its position: {msg}"
        );
    }
    let e = Filter::parse("{").unwrap_err();
    assert_eq!(e.code(), 1);
    assert!(e
        .to_string()
        .starts_with("invalid argument: filter: invalid JSON"));
}

#[test]
fn nesting_depth_limit() {
    assert!(Filter::from_json(&nested_not(MAX_DEPTH)).is_ok());
    let msg = match Filter::from_json(&nested_not(MAX_DEPTH + 1)) {
        Err(Error::InvalidArgument(msg)) => msg,
        other => panic!("{other:?}"),
    };
    let at = format!(
        "filter{}: filter nested deeper than 64 levels",
        ".not".repeat(MAX_DEPTH)
    );
    assert_eq!(msg, at);
    // Far deeper values are rejected after MAX_DEPTH frames, not by the stack.
    assert!(Filter::from_json(&nested_not(1000)).is_err());

    // Text: a chain of 64 `and`s is accepted.
    let chain = |n: usize| {
        format!(
            "{}{}{}",
            "{\"and\":[".repeat(n - 1),
            r#"{"field":"a","eq":1}"#,
            "]}".repeat(n - 1)
        )
    };
    let f = Filter::parse(&chain(MAX_DEPTH)).unwrap();
    assert!(f.matches(Some(&json!({"a": 1}))));
    // One more `and` is past serde_json's limit of 128 nested containers.
    assert!(err_of(&chain(MAX_DEPTH + 1)).contains("recursion limit exceeded"));
    // A chain of 65 `not`s is within serde's limit and rejected by ours.
    let nots = |n: usize| {
        format!(
            "{}{}{}",
            "{\"not\":".repeat(n - 1),
            r#"{"field":"a","eq":1}"#,
            "}".repeat(n - 1)
        )
    };
    assert!(Filter::parse(&nots(MAX_DEPTH)).is_ok());
    assert!(err_of(&nots(MAX_DEPTH + 1)).contains("nested deeper than 64 levels"));
    // Absurdly deep text is rejected by serde_json's own limit.
    let deep = format!("{}{}", "{\"not\":".repeat(100_000), "}".repeat(100_000));
    assert!(err_of(&deep).starts_with("filter: invalid JSON: recursion limit exceeded"));
    let deep = "[".repeat(1_000_000);
    assert!(err_of(&deep).starts_with("filter: invalid JSON"));
}

#[test]
fn validate_built_filters() {
    assert!(Filter::and(vec![
        Filter::eq("a.b", 1),
        Filter::not(Filter::lt("c", "x"))
    ])
    .validate()
    .is_ok());
    let msg = Filter::or(vec![Filter::eq("a", 1), Filter::eq("a..b", 1)])
        .validate()
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("empty segment in field path \"a..b\""),
        "{msg}"
    );
    let msg = Filter::not(Filter::eq("", 1))
        .validate()
        .unwrap_err()
        .to_string();
    assert!(msg.contains("empty field path"), "{msg}");
    let msg = Filter::gt("a", true).validate().unwrap_err().to_string();
    assert!(msg.contains("expected a number or a string"), "{msg}");
    let mut deep = Filter::eq("a", 1);
    for _ in 1..MAX_DEPTH {
        deep = Filter::not(deep);
    }
    assert!(deep.validate().is_ok());
    deep = Filter::not(deep);
    assert!(deep
        .validate()
        .unwrap_err()
        .to_string()
        .contains("deeper than 64"));
    for _ in 0..1000 {
        deep = Filter::not(deep);
    }
    assert!(deep.validate().is_err());
}

#[test]
fn accessors() {
    let f = Filter::and(vec![Filter::eq("a", 1), Filter::not(Filter::eq("b", 2))]);
    assert_eq!(f.field(), None);
    assert_eq!(f.children().len(), 2);
    assert_eq!(f.children()[0].field().map(FieldPath::as_str), Some("a"));
    assert_eq!(f.children()[1].children(), [Filter::eq("b", 2)]);
    assert!(Filter::eq("a", 1).children().is_empty());
}

#[test]
fn selectivity_estimate() {
    let payloads: Vec<Option<Value>> = (0..100)
        .map(|i| {
            if i % 10 == 0 {
                None
            } else {
                Some(json!({"i": i}))
            }
        })
        .collect();
    let f = Filter::lt("i", 50);
    assert_eq!(
        estimate_selectivity(&f, payloads.iter().map(Option::as_ref)),
        (45, 100)
    );
    assert_eq!(
        estimate_selectivity(&Filter::and(vec![]), payloads.iter().map(Option::as_ref)),
        (100, 100)
    );
    assert_eq!(estimate_selectivity(&f, std::iter::empty()), (0, 0));
}

#[test]
fn values_equal_helper() {
    assert!(values_equal(
        &json!({"a": [1, 2.0]}),
        &json!({"a": [1.0, 2]})
    ));
    assert!(!values_equal(&json!({"a": 1}), &json!({"b": 1})));
    assert!(!values_equal(&json!([1, 2]), &json!([2, 1])));
    assert!(!values_equal(&json!(null), &json!(false)));
}

#[test]
fn between_exists_null_empty_like_and_their_sugar() {
    let p = |s: &str| Filter::parse(s).unwrap();
    let between = p(r#"{"field": "n", "between": [2, 4]}"#);
    assert!(
        m(&between, json!({"n": 2}))
            && m(&between, json!({"n": 4.0}))
            && m(&between, json!({"n": 3}))
    );
    assert!(
        !m(&between, json!({"n": 5})) && !m(&between, json!({"n": "3"})) && !m(&between, json!({}))
    );
    // An array matches when ONE element is in the range (not one above the
    // low and another below the high bound).
    assert!(m(&between, json!({"n": [9, 3]})) && !m(&between, json!({"n": [1, 9]})));
    let s = p(r#"{"field": "s", "between": ["b", "d"]}"#);
    assert!(m(&s, json!({"s": "c"})) && m(&s, json!({"s": "d"})) && !m(&s, json!({"s": "da"})));

    let nin = p(r#"{"field": "t", "nin": ["a", "b"]}"#);
    assert!(m(&nin, json!({"t": "c"})) && m(&nin, json!({})) && !m(&nin, json!({"t": ["c", "a"]})));
    let any = p(r#"{"field": "t", "contains_any": ["a", "z"]}"#);
    assert!(m(&any, json!({"t": ["c", "a"]})) && !m(&any, json!({"t": ["c"]})));
    let all = p(r#"{"field": "t", "contains_all": ["a", "c"]}"#);
    assert!(m(&all, json!({"t": ["c", "b", "a"]})) && !m(&all, json!({"t": ["a"]})));

    for (payload, exists, null, empty) in [
        (json!({}), false, false, true),
        (json!({"f": null}), true, true, true),
        (json!({"f": []}), true, false, true),
        (json!({"f": [null]}), true, false, false),
        (json!({"f": 0}), true, false, false),
        (json!({"f": ""}), true, false, false),
    ] {
        assert_eq!(
            m(&p(r#"{"field": "f", "exists": true}"#), payload.clone()),
            exists,
            "{payload}"
        );
        assert_eq!(
            m(&p(r#"{"field": "f", "exists": false}"#), payload.clone()),
            !exists,
            "{payload}"
        );
        assert_eq!(
            m(&p(r#"{"field": "f", "is_null": true}"#), payload.clone()),
            null,
            "{payload}"
        );
        assert_eq!(
            m(&p(r#"{"field": "f", "is_empty": true}"#), payload.clone()),
            empty,
            "{payload}"
        );
        assert_eq!(
            m(&p(r#"{"field": "f", "is_empty": false}"#), payload.clone()),
            !empty,
            "{payload}"
        );
    }
    assert!(
        Filter::exists("f").matches(Some(&json!({"f": 1}))) && !Filter::exists("f").matches(None)
    );

    let like =
        |pat: &str, s: &str, ci: bool| Filter::like("s", pat, ci).matches(Some(&json!({ "s": s })));
    assert!(like("ab%", "abc", false) && like("ab%", "ab", false) && !like("ab%", "a", false));
    assert!(like("%b%", "abc", false) && like("a_c", "abc", false) && !like("a_c", "abbc", false));
    assert!(like("%", "", false) && !like("_", "", false) && like("%a%a%", "banana", false));
    assert!(like("100\\%", "100%", false) && !like("100\\%", "1000", false));
    assert!(like("a\\_c", "a_c", false) && !like("a\\_c", "abc", false));
    assert!(!like("AB%", "abc", false) && like("AB%", "abc", true) && like("é_", "ÉT", true));
    assert!(like("_", "é", false), "_ is one character, not one byte");
    let arr = Filter::like("s", "x%", false);
    assert!(arr.matches(Some(&json!({"s": ["a", "xy"]}))) && !arr.matches(Some(&json!({"s": 5}))));

    for f in [
        between,
        Filter::between("a", "x", "y"),
        Filter::exists("a.b"),
        Filter::is_null("a"),
        Filter::is_empty("a"),
        Filter::like("a", "x\\%_%", false),
        Filter::like("a", "Ab%", true),
    ] {
        assert_eq!(
            Filter::from_json(&f.to_json()).unwrap(),
            f,
            "{}",
            f.to_json()
        );
    }

    for (text, want) in [
        (
            r#"{"field": "a", "between": [1]}"#,
            "filter.between: expected [low, high], got an array",
        ),
        (
            r#"{"field": "a", "between": [1, null]}"#,
            "filter.between[1]: expected a number or a string, got null",
        ),
        (
            r#"{"field": "a", "exists": 1}"#,
            "filter.exists: expected true or false, got a number",
        ),
        (
            r#"{"field": "a", "like": 3}"#,
            "filter.like: expected a pattern string, got a number",
        ),
        (
            r#"{"field": "a", "nin": "x"}"#,
            "filter.nin: expected an array, got a string",
        ),
        (
            r#"{"exists": true}"#,
            "filter: operator \"exists\" needs a \"field\"",
        ),
    ] {
        let got = err_of(text);
        assert!(got.starts_with(want), "{text}: {got}");
    }
    assert!(Filter::between("a", json!([1]), 2).validate().is_err());
}

#[test]
fn array_of_objects_paths() {
    let doc = json!({"tags": [{"name": "red", "w": 1}, {"name": "blue", "w": [2, 3]}, 7], "one": {"name": "x"}});
    let p = FieldPath::parse("tags[].name").unwrap();
    assert!(p.is_multi());
    let mut seen = Vec::new();
    p.any(&doc, &mut |v| {
        seen.push(v.clone());
        false
    });
    assert_eq!(seen, [json!("red"), json!("blue")]);
    assert!(m(&Filter::eq("tags[].name", "blue"), doc.clone()));
    assert!(!m(&Filter::eq("tags[].name", "green"), doc.clone()));
    assert!(m(&Filter::ne("tags[].name", "green"), doc.clone()));
    assert!(m(&Filter::gte("tags[].w", 3), doc.clone()));
    assert!(!m(&Filter::gt("tags[].w", 3), doc.clone()));
    assert!(m(&Filter::like("tags[].name", "bl%", false), doc.clone()));
    assert!(m(&Filter::exists("tags[].name"), doc.clone()));
    assert!(!m(&Filter::exists("tags[].size"), doc.clone()));
    // A non-array under `[]` is taken as it is.
    assert!(m(&Filter::eq("one[].name", "x"), doc.clone()));
    assert_eq!(
        super::eval::values_count(&FieldPath::parse("tags[].w").unwrap(), Some(&doc)),
        3
    );
    for bad in ["[]", "a[]b", "a[0]", "a]", "a.[].b"] {
        let e = FieldPath::parse(bad).unwrap_err().to_string();
        assert!(
            e.contains(bad) || bad.starts_with('[') || bad.contains(".["),
            "{bad}: {e}"
        );
        assert!(!FieldPath::from_str_lossy(bad).is_valid(), "{bad}");
    }
    let e = err_of(r#"{"field": "tags[0].name", "eq": 1}"#);
    assert!(e.starts_with("filter.field: segment \"tags[0]\""), "{e}");
}

#[test]
fn values_count_operator() {
    let f = Filter::parse(r#"{"field": "words", "values_count": {"gte": 2, "lt": 4}}"#).unwrap();
    assert_eq!(f, Filter::values_count("words", 2, Some(3)));
    assert!(!m(&f, json!({"words": ["a"]})));
    assert!(m(&f, json!({"words": ["a", "b"]})));
    assert!(m(&f, json!({"words": ["a", "b", "c"]})));
    assert!(!m(&f, json!({"words": ["a", "b", "c", "d"]})));
    let zero = Filter::parse(r#"{"field": "words", "values_count": {"eq": 0}}"#).unwrap();
    assert!(m(&zero, json!({})));
    assert!(m(&zero, json!({"words": null})));
    assert!(m(&zero, json!({"words": []})));
    assert!(!m(&zero, json!({"words": "a"})));
    let none = Filter::parse(r#"{"field": "w", "values_count": {"lt": 0}}"#).unwrap();
    assert!(!m(&none, json!({})));
    assert!(m(
        &Filter::parse(r#"{"field": "w", "values_count": {"gt": 0}}"#).unwrap(),
        json!({"w": {"x": 1}})
    ));
    for f in [f, zero, none, Filter::values_count("w", 0, None)] {
        assert_eq!(Filter::from_json(&f.to_json()).unwrap(), f, "{f}");
    }
    assert!(err_of(r#"{"field": "w", "values_count": 2}"#)
        .starts_with("filter.values_count: expected an object of bounds"));
    assert!(err_of(r#"{"field": "w", "values_count": {"gte": -1}}"#)
        .starts_with("filter.values_count.gte: expected a count"));
    assert!(err_of(r#"{"field": "w", "values_count": {"ge": 1}}"#)
        .starts_with("filter.values_count: unknown bound \"ge\""));
}

#[test]
fn has_id_operator() {
    let f = Filter::parse(r#"{"has_id": [5, 1, 5, 18446744073709551615]}"#).unwrap();
    assert_eq!(f, Filter::HasId(vec![1, 5, u64::MAX]));
    assert!(f.matches_point(5, None));
    assert!(f.matches_point(u64::MAX, Some(&json!({}))));
    assert!(!f.matches_point(2, None));
    // Without an id, has_id matches nothing.
    assert!(!f.matches(None));
    let g = Filter::and(vec![Filter::has_id(&[1, 2]), Filter::eq("a", 1)]);
    assert!(g.matches_point(2, Some(&json!({"a": 1}))));
    assert!(!g.matches_point(3, Some(&json!({"a": 1}))));
    assert!(Filter::not(Filter::has_id(&[1])).matches_point(2, None));
    assert_eq!(Filter::from_json(&f.to_json()).unwrap(), f);
    assert!(err_of(r#"{"has_id": [1, -2]}"#).starts_with("filter.has_id[1]: expected a point id"));
    assert!(err_of(r#"{"has_id": 1}"#).starts_with("filter.has_id: expected an array of point ids"));
    assert!(err_of(r#"{"field": "a", "has_id": [1]}"#)
        .starts_with("filter: \"field\" cannot go with \"has_id\""));
}

#[test]
fn datetimes_parse_and_compare_as_instants() {
    let t = |s: &str| parse_datetime(s);
    assert_eq!(t("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(t("1970-01-01"), Some(0));
    assert_eq!(t("1970-01-01T00:00:01.5Z"), Some(1_500_000_000));
    assert_eq!(t("1970-01-01 01:00:00+01:00"), Some(0));
    assert_eq!(t("1969-12-31T23:00:00-01:00"), Some(0));
    assert_eq!(t("1970-01-01t00:00:00.123456789123z"), Some(123_456_789));
    assert_eq!(t("2000-03-01T00:00:00Z"), Some(951_868_800 * 1_000_000_000));
    assert_eq!(t("2024-02-29"), Some(1_709_164_800 * 1_000_000_000));
    assert_eq!(t("0000-01-01"), Some(-62_167_219_200 * 1_000_000_000));
    for bad in [
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "2024-01-32",
        "2024-1-01",
        "2024-01-01T24:00:00Z",
        "2024-01-01T10:00Z",
        "2024-01-01T10:00:00.Z",
        "2024-01-01T10:00:00+0100",
        "2024-01-01T10:00:00Zx",
        "2024-01-01X10:00:00",
        "noon",
        "",
    ] {
        assert_eq!(t(bad), None, "{bad}");
    }
    // Ordering by instant when both are datetimes, bytewise otherwise.
    let late_paris = json!({"t": "2024-01-01T10:30:00+02:00"}); // 08:30Z
    assert!(m(
        &Filter::lt("t", "2024-01-01T09:00:00Z"),
        late_paris.clone()
    ));
    assert!(!m(
        &Filter::gt("t", "2024-01-01T09:00:00Z"),
        late_paris.clone()
    ));
    assert!(m(
        &Filter::between("t", "2024-01-01", "2024-01-02"),
        late_paris.clone()
    ));
    assert!(m(&Filter::gt("t", "2024"), late_paris.clone()));
    // eq stays string equality.
    assert!(!m(
        &Filter::eq("t", "2024-01-01T08:30:00Z"),
        late_paris.clone()
    ));
    assert!(m(
        &Filter::between("t", "2024-01-01T08:30:00Z", "2024-01-01T08:30:00Z"),
        late_paris
    ));
    assert_eq!(
        compare_strings("2024-01-01T00:00:00.5Z", "2024-01-01T00:00:00.25Z"),
        std::cmp::Ordering::Greater
    );
}

#[test]
fn text_conditions_parse_round_trip_and_match() {
    for (json, mode) in [
        (r#"{"field": "t", "text": "Red fish"}"#, TextMode::All),
        (r#"{"field": "t", "text_any": "Red fish"}"#, TextMode::Any),
        (r#"{"field": "t", "phrase": "Red fish"}"#, TextMode::Phrase),
    ] {
        let f = Filter::parse(json).unwrap();
        assert_eq!(f, Filter::text_match("t", "Red fish", mode));
        assert_eq!(Filter::from_json(&f.to_json()).unwrap(), f);
    }
    let e = Filter::parse(r#"{"field": "t", "text": 3}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("filter.text") && e.contains("a string"), "{e}");
    let doc = json!({"t": ["one red", "fish two"], "u": "blue fish red"});
    assert!(Filter::text("t", "fish RED").matches(Some(&doc)));
    assert!(Filter::text_match("t", "green fish", TextMode::Any).matches(Some(&doc)));
    assert!(!Filter::text("t", "green fish").matches(Some(&doc)));
    // A phrase does not span two strings of an array.
    assert!(!Filter::text_match("t", "red fish", TextMode::Phrase).matches(Some(&doc)));
    assert!(Filter::text_match("u", "fish red", TextMode::Phrase).matches(Some(&doc)));
    assert!(!Filter::text_match("u", "red fish", TextMode::Phrase).matches(Some(&doc)));
    assert!(!Filter::text("t", " ... ").matches(Some(&doc)));
    assert!(!Filter::text("t", "red").matches(None));
}
