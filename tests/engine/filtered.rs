//! Filtered search on the WordNet sample against brute force: categories from
//! the most common (~12 %) down to the rarest, and compound filters.

use crate::common::util::{assert_exact_topk, ids, recall, sort_best_first, wordnet_db, WordnetDb};
use quiver::{Filter, SearchParams};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const K: usize = 10;

fn category(p: &Value) -> &str {
    p.get("category")
        .and_then(Value::as_str)
        .expect("every sample payload has a string category")
}

/// Category counts, most common first (ties by name).
fn categories(w: &WordnetDb) -> Vec<(String, usize)> {
    let mut m: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &w.payloads {
        *m.entry(category(p)).or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = m.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// The category whose count is closest to `target`.
fn closest(cats: &[(String, usize)], target: usize) -> String {
    cats.iter()
        .min_by_key(|(_, n)| n.abs_diff(target))
        .unwrap()
        .0
        .clone()
}

/// Filters matching at most this many points (about 1 % of the sample) must
/// give exactly the brute-force top k at the default ef, query by query.
const EXACT_UP_TO: usize = 60;

/// Checks default and exact filtered search for `queries` against brute
/// force over the points for which `keep` holds. Exact search, and default
/// search when at most `EXACT_UP_TO` points match, must equal brute force
/// (up to ties); otherwise every hit must match with its true score, and mean
/// recall@k must reach `min_recall`. Fewer than k matches: exactly all of them.
fn check_filter(
    name: &str,
    filter: Filter,
    keep: &dyn Fn(&Value) -> bool,
    queries: usize,
    min_recall: f64,
) {
    let w = wordnet_db();
    let matching: Vec<usize> = (0..w.data.n).filter(|&i| keep(&w.payloads[i])).collect();
    let is_match = |id: u64| keep(&w.payloads[id as usize]);

    // Scroll with the filter lists exactly the matching ids.
    let page = w.coll.scroll(None, 10_000, Some(&filter)).unwrap();
    let want: Vec<u64> = matching.iter().map(|&i| i as u64).collect();
    assert_eq!(page.ids, want, "{name}: scroll with the filter");

    let mut sum = 0.0;
    for q in 0..queries {
        let truth: Vec<(u64, f32)> = matching
            .iter()
            .map(|&i| (i as u64, w.scores[q * w.data.n + i]))
            .collect();
        let what = format!("{name} ({} matches) query {q}", matching.len());

        let exact = w
            .coll
            .search(
                w.raw_query(q),
                &SearchParams::new(K).exact(true).filter(filter.clone()),
            )
            .unwrap();
        assert_exact_topk(&exact, &truth, K, true, 1e-4, &format!("{what}, exact"));

        let r = w
            .coll
            .search(
                w.raw_query(q),
                &SearchParams::new(K)
                    .filter(filter.clone())
                    .with_payload(true),
            )
            .unwrap();
        if matching.len() <= EXACT_UP_TO {
            // Few match: the exact top k (all of them when fewer than k), best first.
            assert_exact_topk(&r, &truth, K, true, 1e-4, &what);
        } else {
            assert_eq!(r.len(), K, "{what}: {:?}", ids(&r));
        }
        for (i, h) in r.iter().enumerate() {
            assert!(
                is_match(h.id),
                "{what}: hit {i} id {} does not match the filter",
                h.id
            );
            let s = w.scores[q * w.data.n + h.id as usize];
            assert!(
                (h.score - s).abs() < 1e-4,
                "{what}: hit {i} score {} vs true {s}",
                h.score
            );
            assert!(i == 0 || r[i - 1].score >= h.score, "{what}: out of order");
            // The hit's own payload (exact equality of every value, floats
            // included, is recall::payloads_in_hits_are_the_stored_ones).
            let p = h
                .payload
                .as_ref()
                .unwrap_or_else(|| panic!("{what}: no payload for {}", h.id));
            assert_eq!(p["id"], json!(h.id), "{what}: payload of {}", h.id);
            assert!(
                keep(p),
                "{what}: the returned payload of {} does not match",
                h.id
            );
        }
        let mut sorted = truth.clone();
        sort_best_first(&mut sorted, true);
        let best: Vec<u64> = sorted.iter().map(|t| t.0).collect();
        sum += recall(&ids(&r), &best, K);
    }
    let mean = sum / queries as f64;
    eprintln!(
        "filter {name}: {} matches, recall@{K} {mean:.4}",
        matching.len()
    );
    assert!(
        mean >= min_recall,
        "{name} ({} matches): mean filtered recall@{K} {mean:.4} < {min_recall}",
        matching.len()
    );
}

fn eq(field: &str, v: Value) -> Filter {
    Filter::from_json(&json!({"field": field, "eq": v})).unwrap()
}

#[test]
fn category_filters_from_common_to_rarest() {
    let w = wordnet_db();
    let cats = categories(w);
    let n = w.data.n;
    eprintln!(
        "{} categories; largest {:?}, rarest {:?}",
        cats.len(),
        cats.first(),
        cats.last()
    );
    let largest = cats[0].clone();
    assert!(
        largest.1 * 100 >= n * 5,
        "the sample's largest category is only {} of {n}",
        largest.1
    );
    let rarest = cats.last().unwrap().clone();
    assert!(
        rarest.1 * 1000 <= n * 2,
        "the sample's rarest category still has {} of {n}",
        rarest.1
    );
    let mut picks = vec![
        largest.0.clone(),
        closest(&cats, n / 100),
        closest(&cats, n / 1000),
        rarest.0.clone(),
    ];
    // A few more spread over the range.
    picks.push(closest(&cats, n / 20));
    picks.push(closest(&cats, n / 300));
    picks.dedup();
    for c in &picks {
        let count = cats.iter().find(|x| &x.0 == c).unwrap().1;
        let queries = if count > 200 { 40 } else { w.data.nq };
        let cc = c.clone();
        check_filter(
            &format!("category == {c}"),
            eq("category", json!(c)),
            &move |p| category(p) == cc,
            queries,
            0.98,
        );
    }
}

#[test]
fn filter_matching_nothing_returns_nothing() {
    let w = wordnet_db();
    let f = eq("category", json!("no.such.category"));
    for exact in [false, true] {
        let r = w
            .coll
            .search(
                w.raw_query(0),
                &SearchParams::new(K).filter(f.clone()).exact(exact),
            )
            .unwrap();
        assert!(r.is_empty(), "exact {exact}: {r:?}");
    }
    let f = eq("no_such_field", json!(1));
    assert!(w
        .coll
        .search(w.raw_query(0), &SearchParams::new(K).filter(f.clone()))
        .unwrap()
        .is_empty());
    assert!(w.coll.scroll(None, 100, Some(&f)).unwrap().ids.is_empty());
    // Type matters: the number 3 is not the string "3".
    let f = Filter::from_json(&json!({"field": "qv_meta.b", "eq": "3"})).unwrap();
    assert!(w.coll.scroll(None, 100, Some(&f)).unwrap().ids.is_empty());
}

#[test]
fn compound_filters_match_brute_force() {
    let w = wordnet_db();
    let cats = categories(w);
    let n = w.data.n;
    let big = cats[0].0.clone();
    let pct1 = closest(&cats, n / 100);
    let pct01 = closest(&cats, n / 1000);
    let rare = cats.last().unwrap().0.clone();
    let num = |p: &Value, f: &str| p[f].as_f64().unwrap();
    let cat = |p: &Value| category(p).to_string();

    type Pred = Box<dyn Fn(&Value) -> bool>;
    let cases: Vec<(&str, Value, Pred)> = vec![
        (
            "and(category == largest, qv_n < 500)",
            json!({"and": [{"field": "category", "eq": big}, {"field": "qv_n", "lt": 500}]}),
            {
                let b = big.clone();
                Box::new(move |p| cat(p) == b && num(p, "qv_n") < 500.0)
            },
        ),
        (
            "or(category == ~0.1%, category == rarest)",
            json!({"or": [{"field": "category", "eq": pct01}, {"field": "category", "eq": rare}]}),
            {
                let (a, b) = (pct01.clone(), rare.clone());
                Box::new(move |p| cat(p) == a || cat(p) == b)
            },
        ),
        (
            "not(category == largest)",
            json!({"not": {"field": "category", "eq": big}}),
            {
                let b = big.clone();
                Box::new(move |p| cat(p) != b)
            },
        ),
        (
            "category != largest",
            json!({"field": "category", "ne": big}),
            {
                let b = big.clone();
                Box::new(move |p| cat(p) != b)
            },
        ),
        (
            "category in [~1%, ~0.1%, rarest]",
            json!({"field": "category", "in": [pct1, pct01, rare]}),
            {
                let s = [pct1.clone(), pct01.clone(), rare.clone()];
                Box::new(move |p| s.contains(&cat(p)))
            },
        ),
        (
            "100 <= qv_n < 150",
            json!({"and": [{"field": "qv_n", "gte": 100}, {"field": "qv_n", "lt": 150}]}),
            Box::new(move |p| (100.0..150.0).contains(&num(p, "qv_n"))),
        ),
        (
            "qv_n > 990",
            json!({"field": "qv_n", "gt": 990}),
            Box::new(move |p| num(p, "qv_n") > 990.0),
        ),
        (
            "qv_n <= 4",
            json!({"field": "qv_n", "lte": 4}),
            Box::new(move |p| num(p, "qv_n") <= 4.0),
        ),
        (
            "0.25 < qv_x <= 0.3",
            json!({"and": [{"field": "qv_x", "gt": 0.25}, {"field": "qv_x", "lte": 0.3}]}),
            Box::new(move |p| {
                let x = num(p, "qv_x");
                x > 0.25 && x <= 0.3
            }),
        ),
        (
            "qv_meta.b == 3 (nested path)",
            json!({"field": "qv_meta.b", "eq": 3}),
            Box::new(move |p| p["qv_meta"]["b"] == json!(3)),
        ),
        (
            "qv_n in [1, 2, 3, 500, 999]",
            json!({"field": "qv_n", "in": [1, 2, 3, 500, 999]}),
            Box::new(move |p| [1.0, 2.0, 3.0, 500.0, 999.0].contains(&num(p, "qv_n"))),
        ),
        (
            "or(and(qv_meta.b == 0, qv_n < 100), category == ~1%)",
            json!({"or": [{"and": [{"field": "qv_meta.b", "eq": 0}, {"field": "qv_n", "lt": 100}]}, {"field": "category", "eq": pct1}]}),
            {
                let c = pct1.clone();
                Box::new(move |p| {
                    (p["qv_meta"]["b"] == json!(0) && num(p, "qv_n") < 100.0) || cat(p) == c
                })
            },
        ),
        (
            "and(not(in [largest, ~1%]), qv_meta.b != 6, qv_x < 0.5)",
            json!({"and": [{"not": {"field": "category", "in": [big, pct1]}}, {"field": "qv_meta.b", "ne": 6}, {"field": "qv_x", "lt": 0.5}]}),
            {
                let s = [big.clone(), pct1.clone()];
                Box::new(move |p| {
                    !s.contains(&cat(p)) && p["qv_meta"]["b"] != json!(6) && num(p, "qv_x") < 0.5
                })
            },
        ),
    ];
    for (name, json, pred) in cases {
        let f = Filter::from_json(&json).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_filter(name, f, &*pred, 20, 0.95);
    }
}

#[test]
fn filter_builders_equal_json_filters() {
    let w = wordnet_db();
    let big = categories(w)[0].0.clone();
    let built = Filter::and(vec![
        Filter::eq("category", json!(big)),
        Filter::eq("qv_meta.b", json!(2)),
    ]);
    let parsed = Filter::parse(&format!(
        r#"{{"and": [{{"field": "category", "eq": "{big}"}}, {{"field": "qv_meta.b", "eq": 2}}]}}"#
    ))
    .unwrap();
    let a = w.coll.scroll(None, 10_000, Some(&built)).unwrap();
    let b = w.coll.scroll(None, 10_000, Some(&parsed)).unwrap();
    assert_eq!(a, b);
    assert!(!a.ids.is_empty());
    for q in 0..5 {
        let ra = w
            .coll
            .search(w.raw_query(q), &SearchParams::new(K).filter(built.clone()))
            .unwrap();
        let rb = w
            .coll
            .search(w.raw_query(q), &SearchParams::new(K).filter(parsed.clone()))
            .unwrap();
        assert_eq!(ra, rb);
    }
}
