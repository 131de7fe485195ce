//! Bad input is rejected with the documented error and changes nothing.

use crate::common::util::{assert_err, assert_same_points, dump, expect_err, kind, Rng, TempDir};
use quiver::{
    Collection, CollectionConfig, CollectionKind, Database, Error, Filter, HnswConfig, Metric,
    Point, SearchParams,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

const DIM: usize = 4;

/// A database with collection "c" (euclidean, 4-d) holding ids 0..20.
fn setup(tag: &str, metric: Metric) -> (TempDir, Database, Arc<Collection>) {
    let tmp = TempDir::new(tag);
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection("c", CollectionConfig::new(DIM, metric))
        .unwrap();
    let mut rng = Rng::new(1);
    let pts: Vec<Point> = (0..20)
        .map(|i| Point::new(i, rng.vector(DIM)).with_payload(json!({"i": i})))
        .collect();
    c.upsert(&pts).unwrap();
    (tmp, db, c)
}

/// Asserts nothing changed, then that nothing changed after a reopen either
/// (the rejected writes did not reach the log).
#[track_caller]
fn assert_unchanged(
    tmp: &TempDir,
    db: Database,
    c: Arc<Collection>,
    before: &BTreeMap<u64, Point>,
) {
    assert_eq!(c.count().unwrap(), before.len(), "count changed");
    assert_same_points(&dump(&c), before, "after rejected writes");
    drop(c);
    drop(db);
    let db = Database::open(tmp.path()).unwrap();
    let c = db.collection("c").unwrap();
    assert_same_points(&dump(&c), before, "after rejected writes and a reopen");
}

#[track_caller]
fn assert_dim_mismatch<T>(r: quiver::Result<T>, expected: usize, got: usize, what: &str) {
    match expect_err(r, what) {
        Error::DimensionMismatch {
            expected: e,
            got: g,
            ..
        } => {
            assert_eq!((e, g), (expected, got), "{what}: expected/got in the error")
        }
        e => panic!("{what}: expected DimensionMismatch, got {e}"),
    }
}

#[test]
fn wrong_dimension_is_rejected_and_writes_nothing() {
    let (tmp, db, c) = setup("bad-dim", Metric::Euclidean);
    let before = dump(&c);
    assert_dim_mismatch(c.upsert(&[Point::new(100, vec![1.; 3])]), 4, 3, "3 floats");
    assert_dim_mismatch(c.upsert(&[Point::new(100, vec![1.; 5])]), 4, 5, "5 floats");
    assert_dim_mismatch(c.upsert(&[Point::new(100, vec![])]), 4, 0, "no vector");
    // One bad point in the middle of a batch of good ones, some overwriting.
    let mut batch: Vec<Point> = (15..25)
        .map(|i| Point::new(i, vec![9.; 4]).with_payload(json!({"new": i})))
        .collect();
    batch.insert(5, Point::new(99, vec![1.; 7]));
    assert_dim_mismatch(c.upsert(&batch), 4, 7, "batch with one 7-float point");
    assert_dim_mismatch(
        c.search(&[1.; 3], &SearchParams::new(3)),
        4,
        3,
        "3-float query",
    );
    assert_dim_mismatch(
        c.search(&[1.; 5], &SearchParams::new(3).exact(true)),
        4,
        5,
        "5-float exact query",
    );
    assert_dim_mismatch(c.search(&[], &SearchParams::new(3)), 4, 0, "empty query");
    let e = expect_err(
        c.search_batch(&[1.; 7], &SearchParams::new(3)),
        "7 floats for 4-d queries",
    );
    assert!(
        matches!(
            e,
            Error::DimensionMismatch { .. } | Error::InvalidArgument(_)
        ),
        "search_batch: {e}"
    );
    assert_unchanged(&tmp, db, c, &before);
}

#[test]
fn non_finite_values_are_rejected() {
    for metric in [
        Metric::Euclidean,
        Metric::Cosine,
        Metric::Dot,
        Metric::Hamming,
        Metric::Jaccard,
    ] {
        let (tmp, db, c) = setup("bad-nan", metric);
        let before = dump(&c);
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for pos in [0, 3] {
                let mut v = vec![0.5; DIM];
                v[pos] = bad;
                let what = format!("{metric:?}: {bad} at {pos}");
                assert_err(
                    c.upsert(&[Point::new(100, v.clone())]),
                    "InvalidArgument",
                    &what,
                );
                // Overwriting an existing point with a bad vector leaves it alone.
                assert_err(
                    c.upsert(&[Point::new(3, v.clone())]),
                    "InvalidArgument",
                    &what,
                );
                assert_err(
                    c.upsert_flat(&[100, 101], &[v.clone(), vec![0.5; DIM]].concat(), None),
                    "InvalidArgument",
                    &what,
                );
                assert_err(
                    c.search(&v, &SearchParams::new(3)),
                    "InvalidArgument",
                    &format!("{what}, query"),
                );
                assert_err(
                    c.search(&v, &SearchParams::new(3).exact(true)),
                    "InvalidArgument",
                    &format!("{what}, exact query"),
                );
                let two = [vec![0.5; DIM], v.clone()].concat();
                assert_err(
                    c.search_batch(&two, &SearchParams::new(3)),
                    "InvalidArgument",
                    &format!("{what}, batch query"),
                );
            }
        }
        // A good batch with one bad point at the end changes nothing.
        let mut batch: Vec<Point> = (10..30)
            .map(|i| Point::new(i, vec![0.25; DIM]).with_payload(json!({"new": true})))
            .collect();
        batch.push(Point::new(5, vec![1., f32::NAN, 1., 1.]));
        assert_err(c.upsert(&batch), "InvalidArgument", "batch ending in NaN");
        assert_unchanged(&tmp, db, c, &before);
    }
}

/// Finite values whose squares overflow f32: under the dot product two
/// such vectors would score +inf + -inf = NaN. Refused for every metric
/// but cosine (which normalises first), in vectors and in queries; large
/// values whose squared norm is finite are fine and score no NaN.
#[test]
fn vectors_whose_squared_norm_overflows_are_rejected() {
    for metric in [
        Metric::Euclidean,
        Metric::Dot,
        Metric::Hamming,
        Metric::Jaccard,
    ] {
        let (tmp, db, c) = setup("bad-huge", metric);
        let before = dump(&c);
        let huge = vec![1e30, -1e30, 1.0, 1.0];
        let what = format!("{metric:?}");
        let batch = [
            Point::new(100, vec![0.5; DIM]),
            Point::new(101, huge.clone()),
        ];
        let e = expect_err(c.upsert(&batch), &what);
        assert_eq!(kind(&e), "InvalidArgument", "{what}: {e}");
        let msg = e.to_string();
        assert!(
            msg.contains("point 101 (batch index 1)") && msg.contains("squared norm"),
            "{what}: {msg}"
        );
        assert_err(
            c.upsert_flat(&[100, 101], &[vec![0.5; DIM], huge.clone()].concat(), None),
            "InvalidArgument",
            &what,
        );
        let e = expect_err(
            c.search_batch(
                &[vec![0.5; DIM], huge.clone()].concat(),
                &SearchParams::new(3),
            ),
            &what,
        );
        assert!(e.to_string().contains("query 1"), "{what}: {e}");
        assert_err(
            c.search(&huge, &SearchParams::new(3).exact(true)),
            "InvalidArgument",
            &what,
        );
        // Large but finite squared norms: accepted, and no score is NaN.
        let big = [
            Point::new(200, vec![1.8e19, 0.0, 0.0, 0.0]),
            Point::new(201, vec![1.3e19, -1.3e19, 0.0, 0.0]),
        ];
        c.upsert(&big).unwrap();
        for q in [[1.3e19, 1.3e19, 0.0, 0.0], [-1.8e19, 0.0, 0.0, 0.0]] {
            for exact in [false, true] {
                let hits = c.search(&q, &SearchParams::new(30).exact(exact)).unwrap();
                assert_eq!(hits.len(), 22, "{what}");
                assert!(hits.iter().all(|h| !h.score.is_nan()), "{what}: {hits:?}");
            }
        }
        c.delete(&[200, 201]).unwrap();
        assert_unchanged(&tmp, db, c, &before);
    }
    // Cosine keeps the direction of huge values.
    let (_tmp, _db, c) = setup("bad-huge-cos", Metric::Cosine);
    c.upsert(&[Point::new(100, vec![1e30, 1e30, 0.0, 0.0])])
        .unwrap();
    let hits = c
        .search(&[3e38, 3e38, 0.0, 0.0], &SearchParams::new(1).exact(true))
        .unwrap();
    assert_eq!(hits[0].id, 100);
    assert!((hits[0].score - 1.0).abs() < 1e-5, "{hits:?}");
}

#[test]
fn k_zero_is_rejected() {
    let (_tmp, db, c) = setup("bad-k", Metric::Euclidean);
    for exact in [false, true] {
        assert_err(
            c.search(&[0.; 4], &SearchParams::new(0).exact(exact)),
            "InvalidArgument",
            "k = 0",
        );
        assert_err(
            c.search_batch(&[0.; 8], &SearchParams::new(0).exact(exact)),
            "InvalidArgument",
            "batch k = 0",
        );
    }
    let empty = db
        .create_collection("empty", CollectionConfig::new(2, Metric::Dot))
        .unwrap();
    assert_err(
        empty.search(&[0.; 2], &SearchParams::new(0)),
        "InvalidArgument",
        "k = 0 on an empty collection",
    );
    // A large k is fine: everything, best first.
    assert_eq!(
        c.search(&[0.; 4], &SearchParams::new(1000)).unwrap().len(),
        20
    );
    assert_eq!(
        c.search(&[0.; 4], &SearchParams::new(1000).exact(true))
            .unwrap()
            .len(),
        20
    );
    assert!(empty
        .search(&[0.; 2], &SearchParams::new(5))
        .unwrap()
        .is_empty());
    assert_err(c.scroll(None, 0, None), "InvalidArgument", "scroll limit 0");
}

#[test]
fn unknown_collection_is_not_found() {
    let tmp = TempDir::new("bad-unknown");
    let db = Database::open(tmp.path()).unwrap();
    assert_err(db.collection("nope"), "NotFound", "collection");
    assert_err(db.drop_collection("nope"), "NotFound", "drop_collection");
    db.create_collection("yes", CollectionConfig::new(2, Metric::Dot))
        .unwrap();
    assert_err(db.collection("Yes"), "NotFound", "names are case-sensitive");
    assert_err(db.collection("ye"), "NotFound", "a prefix");
}

#[test]
fn bad_collection_names_are_rejected() {
    let tmp = TempDir::new("bad-names");
    let dir = tmp.join("db");
    let db = Database::open(&dir).unwrap();
    let long = "x".repeat(300);
    let bad = [
        "",
        "a/b",
        "/abs",
        "..",
        ".",
        "../escape",
        "x\0",
        "a\\b",
        long.as_str(),
    ];
    for name in bad {
        let e = expect_err(
            db.create_collection(name, CollectionConfig::new(2, Metric::Dot)),
            &format!("create {name:?}"),
        );
        assert_eq!(kind(&e), "InvalidArgument", "create {name:?}: {e}");
    }
    assert!(db.list_collections().unwrap().is_empty());
    assert!(
        !tmp.join("escape").exists() && !dir.join("escape").exists(),
        "a bad name created a directory"
    );
    // Usual names work.
    let ok = ["a", "Alpha-1_b", "with.dot", &"y".repeat(64)].map(String::from);
    for name in &ok {
        db.create_collection(name, CollectionConfig::new(2, Metric::Dot))
            .unwrap_or_else(|e| panic!("create {name:?}: {e}"));
    }
    let mut want = ok.to_vec();
    want.sort();
    assert_eq!(db.list_collections().unwrap(), want);
}

#[test]
fn create_twice_is_already_exists() {
    let tmp = TempDir::new("bad-twice");
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection("c", CollectionConfig::new(2, Metric::Dot))
        .unwrap();
    c.upsert(&[Point::new(1, vec![1., 2.])]).unwrap();
    assert_err(
        db.create_collection("c", CollectionConfig::new(2, Metric::Dot)),
        "AlreadyExists",
        "same config",
    );
    assert_err(
        db.create_collection("c", CollectionConfig::metadata_only()),
        "AlreadyExists",
        "other config",
    );
    assert_eq!(
        c.count().unwrap(),
        1,
        "the existing collection is untouched"
    );
    drop(c);
    db.close().unwrap();
    let db = Database::open(tmp.path()).unwrap();
    assert_err(
        db.create_collection("c", CollectionConfig::new(3, Metric::Cosine)),
        "AlreadyExists",
        "after reopen",
    );
    let c = db.collection("c").unwrap();
    assert_eq!((c.count().unwrap(), c.config().dimension), (1, 2));
}

#[test]
fn invalid_configs_are_rejected() {
    let tmp = TempDir::new("bad-config");
    let db = Database::open(tmp.path()).unwrap();
    let h = HnswConfig::default();
    let bad = [
        ("dimension 0", CollectionConfig::new(0, Metric::Cosine)),
        (
            "dimension 65537",
            CollectionConfig::new(65_537, Metric::Dot),
        ),
        (
            "m 1",
            CollectionConfig::new(4, Metric::Dot).with_hnsw(HnswConfig { m: 1, ..h }),
        ),
        (
            "m 129",
            CollectionConfig::new(4, Metric::Dot).with_hnsw(HnswConfig { m: 129, ..h }),
        ),
        (
            "ef_construction 0",
            CollectionConfig::new(4, Metric::Dot).with_hnsw(HnswConfig {
                ef_construction: 0,
                ..h
            }),
        ),
        (
            "ef_search 0",
            CollectionConfig::new(4, Metric::Dot).with_hnsw(HnswConfig { ef_search: 0, ..h }),
        ),
        (
            "metadata-only with a dimension",
            CollectionConfig {
                dimension: 5,
                metric: Metric::Cosine,
                hnsw: h,
                kind: CollectionKind::MetadataOnly,
                storage: quiver::quant::StorageMode::F32,
                quantizer: quiver::quant::QuantizerConfig::default(),
            },
        ),
    ];
    for (what, config) in bad {
        assert_err(db.create_collection("c", config), "InvalidArgument", what);
    }
    assert!(db.list_collections().unwrap().is_empty());
    assert!(
        db.create_collection("c", CollectionConfig::new(4, Metric::Dot))
            .is_ok(),
        "the name is still free"
    );
}

#[test]
fn upsert_flat_length_mismatches() {
    let (tmp, db, c) = setup("bad-flat", Metric::Euclidean);
    let before = dump(&c);
    let v = |n: usize| vec![0.5f32; n];
    for (n_floats, what) in [
        (3 * DIM - 1, "one float short"),
        (4 * DIM, "a vector too many"),
        (0, "no floats"),
    ] {
        let e = expect_err(c.upsert_flat(&[100, 101, 102], &v(n_floats), None), what);
        assert!(
            matches!(
                e,
                Error::DimensionMismatch { .. } | Error::InvalidArgument(_)
            ),
            "{what}: {e}"
        );
    }
    let e = expect_err(c.upsert_flat(&[], &v(DIM), None), "vectors without ids");
    assert!(
        matches!(
            e,
            Error::DimensionMismatch { .. } | Error::InvalidArgument(_)
        ),
        "{e}"
    );
    let p = |n: usize| vec![Some(json!({"p": 1})); n];
    assert_err(
        c.upsert_flat(&[100, 101, 102], &v(3 * DIM), Some(&p(2))),
        "InvalidArgument",
        "two payloads for three ids",
    );
    assert_err(
        c.upsert_flat(&[100, 101, 102], &v(3 * DIM), Some(&p(4))),
        "InvalidArgument",
        "four payloads for three ids",
    );
    assert_err(
        c.upsert_flat(&[1, 2], &v(2 * DIM), Some(&[])),
        "InvalidArgument",
        "no payloads for two ids",
    );
    assert_unchanged(&tmp, db, c, &before);
}

#[test]
fn bad_filters_are_rejected() {
    let bad = [
        "",
        "{",
        "[]",
        "42",
        "null",
        "{}",
        r#"{"field": "a"}"#,
        r#"{"field": 5, "eq": 1}"#,
        r#"{"field": "", "eq": 1}"#,
        r#"{"eq": 1}"#,
        r#"{"field": "a", "eq": 1, "extra": 2}"#,
        r#"{"field": "a", "in": 3}"#,
        r#"{"field": "a", "like": 3}"#,
        r#"{"and": 5}"#,
        r#"{"and": [5]}"#,
        r#"{"or": {"field": "a", "eq": 1}}"#,
        r#"{"or": [{"field": "a"}]}"#,
        r#"{"not": [{"field": "a", "eq": 1}]}"#,
        r#"{"not": 1}"#,
        r#"{"bogus": 1}"#,
        r#"{"field": "a", "eq": 1} trailing"#,
    ];
    for s in bad {
        assert_err(
            Filter::parse(s),
            "InvalidArgument",
            &format!("Filter::parse({s:?})"),
        );
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(s) {
            assert_err(
                Filter::from_json(&v),
                "InvalidArgument",
                &format!("Filter::from_json({s})"),
            );
        }
    }
    // And the good forms parse.
    for s in [
        r#"{"field": "a", "eq": 1}"#,
        r#"{"field": "a.b.c", "ne": "x"}"#,
        r#"{"field": "a", "lt": 1.5}"#,
        r#"{"field": "a", "lte": 1}"#,
        r#"{"field": "a", "gt": -1}"#,
        r#"{"field": "a", "gte": 0}"#,
        r#"{"field": "a", "in": [1, "x", true]}"#,
        r#"{"and": [{"field": "a", "eq": 1}, {"or": [{"field": "b", "eq": 2}, {"not": {"field": "c", "eq": 3}}]}]}"#,
    ] {
        Filter::parse(s).unwrap_or_else(|e| panic!("Filter::parse({s}): {e}"));
    }
}
