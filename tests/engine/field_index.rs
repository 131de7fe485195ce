//! Field indexes and the filter planner on the WordNet sample: indexed
//! search, count and scroll equal brute force for random filters over
//! sealed, frozen and appendable segments; indexes are maintained on
//! writes, backfilled while writers go on, survive reopen, are rebuilt when
//! their file is lost, and the planner's choice is visible.

use crate::common::util::{dot, unit, wordnet_payload, Rng, TempDir};
use crate::common::wordnet;
use quiver::{
    Collection, CollectionConfig, Database, DatabaseOptions, Error, FieldKind, Filter, Metric,
    Point, SearchParams, SegmentLimits,
};
use serde_json::{json, Value};
use std::sync::Arc;

const K: usize = 10;

struct Sample {
    n: usize,
    dim: usize,
    base: Vec<f32>,
    queries: Vec<Vec<f32>>,
    payloads: Vec<Value>,
}

fn sample() -> &'static Sample {
    static S: std::sync::OnceLock<Sample> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let d = wordnet::load(&wordnet::sample_dir(), true).expect("sample");
        let mut payloads: Vec<Value> = (0..d.n)
            .map(|i| wordnet_payload(&d.payloads[i], i))
            .collect();
        // Mixed types in one field, for the indexes' "other" list.
        for (i, p) in payloads.iter_mut().enumerate() {
            let mixed = match i % 11 {
                0 => json!("seven"),
                1 => json!(null),
                2 => json!([i % 5, "x"]),
                3 => json!(i as f64 + 0.5),
                _ => json!(i % 13),
            };
            p["mixed"] = mixed;
            p["flag"] = json!(i % 3 == 0);
            p["when"] = json!(match i % 17 {
                0 => "not a date".to_string(),
                1 => "2400-01-01T00:00:00Z".to_string(),
                _ => datetime(i),
            });
            let tags: Vec<Value> = p["words"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| json!({"name": w, "len": w.as_str().unwrap().len()}))
                .collect();
            p["tags"] = json!(tags);
        }
        Sample {
            n: d.n,
            dim: d.dim,
            base: (0..d.n).flat_map(|i| d.base_vec(i).to_vec()).collect(),
            queries: (0..8).map(|q| d.query(q).to_vec()).collect(),
            payloads,
        }
    })
}

/// An RFC 3339 datetime in 2020..2024 with one of three UTC offsets.
fn datetime(i: usize) -> String {
    let offset = ["Z", "+02:00", "-05:30"][i % 3];
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}{offset}",
        2020 + i % 5,
        1 + i % 12,
        1 + i % 28,
        i % 24,
        i % 60,
        (i * 7) % 60
    )
}

fn options() -> DatabaseOptions {
    DatabaseOptions {
        limits: SegmentLimits {
            appendable_points: 700,
            ..SegmentLimits::default()
        },
        ..DatabaseOptions::default()
    }
}

fn upsert(c: &Collection, range: std::ops::Range<usize>) {
    let s = sample();
    for start in range.clone().step_by(250) {
        let end = (start + 250).min(range.end);
        let pts: Vec<Point> = (start..end)
            .map(|i| {
                Point::new(i as u64, s.base[i * s.dim..(i + 1) * s.dim].to_vec())
                    .with_payload(s.payloads[i].clone())
            })
            .collect();
        c.upsert(&pts).unwrap();
    }
}

/// A random filter over indexed and unindexed fields.
fn random_filter(rng: &mut Rng, depth: usize) -> Filter {
    let s = sample();
    let pick = |rng: &mut Rng| s.payloads[rng.below(s.n as u64) as usize].clone();
    let r = rng.below(if depth == 0 { 21 } else { 24 });
    match r {
        15 => Filter::gte("when", datetime(rng.below(5000) as usize)),
        16 => {
            let (a, b) = (rng.below(5000) as usize, rng.below(5000) as usize);
            Filter::between("when", datetime(a.min(b)), datetime(a.max(b)))
        }
        17 => Filter::eq("tags[].name", pick(rng)["words"][0].clone()),
        18 => Filter::gt("tags[].len", json!(rng.below(12))),
        19 => {
            if rng.below(2) == 0 {
                Filter::values_count("words", 1 + rng.below(3), Some(2 + rng.below(3)))
            } else {
                let p = pick(rng);
                let words = p["words"].as_array().unwrap();
                Filter::contains_all("words", words.iter().take(2).cloned().collect())
            }
        }
        20 => Filter::has_id(
            &(0..1 + rng.below(40))
                .map(|_| rng.below(s.n as u64 + 10))
                .collect::<Vec<_>>(),
        ),
        0 => Filter::eq("category", pick(rng)["category"].clone()),
        1 => Filter::is_in(
            "category",
            vec![pick(rng)["category"].clone(), pick(rng)["category"].clone()],
        ),
        2 => Filter::lt("id", json!(rng.below(6000))),
        3 => Filter::gte("qv_x", json!(rng.below(1000) as f64 / 1000.0)),
        4 => Filter::eq("words", pick(rng)["words"][0].clone()),
        5 => Filter::eq("mixed", json!(rng.below(13))),
        6 => Filter::ne("pos", json!("noun")),
        7 => Filter::eq("flag", json!(rng.below(2) == 0)),
        // Unindexed.
        8 => Filter::lte("qv_n", json!(rng.below(1000))),
        9 => {
            let lo = rng.below(5000);
            Filter::between("id", json!(lo), json!(lo + rng.below(2000)))
        }
        10 => Filter::between("qv_x", json!(0.25), json!(0.5)),
        11 => Filter::like(
            "category",
            &format!("{}%", ["noun", "verb.c", "adj"][rng.below(3) as usize]),
            false,
        ),
        12 => Filter::like("words", "%_ing", rng.below(2) == 0),
        13 => Filter::not_in("pos", vec![json!("noun"), json!("verb")]),
        14 => [
            Filter::exists("mixed"),
            Filter::is_null("mixed"),
            Filter::is_empty("mixed"),
        ][rng.below(3) as usize]
            .clone(),
        21 => Filter::and((0..2).map(|_| random_filter(rng, depth - 1)).collect()),
        22 => Filter::or((0..2).map(|_| random_filter(rng, depth - 1)).collect()),
        _ => Filter::not(random_filter(rng, depth - 1)),
    }
}

/// Checks search (exact and default), count and scroll with `f` against
/// brute force over the first `n` sample points.
fn check(c: &Collection, f: &Filter, n: usize, what: &str) -> (usize, Vec<&'static str>) {
    let s = sample();
    let matching: Vec<u64> = (0..n)
        .filter(|&i| f.matches_point(i as u64, Some(&s.payloads[i])))
        .map(|i| i as u64)
        .collect();
    let page = c.scroll(None, 10_000, Some(f)).unwrap();
    assert_eq!(page.ids, matching, "{what}: scroll with {f:?}");
    let mut plans = Vec::new();
    for (qi, q) in s.queries.iter().take(2).enumerate() {
        let uq = unit(q);
        let mut truth: Vec<(f32, u64)> = matching
            .iter()
            .map(|&i| {
                let v = unit(&s.base[i as usize * s.dim..(i as usize + 1) * s.dim]);
                (dot(&uq, &v), i)
            })
            .collect();
        truth.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let want = K.min(matching.len());
        let exact = c
            .search(q, &SearchParams::new(K).exact(true).filter(f.clone()))
            .unwrap();
        assert_eq!(exact.len(), want, "{what}: exact search with {f:?}");
        for (h, t) in exact.iter().zip(&truth) {
            assert!(
                (h.score - t.0).abs() < 1e-4,
                "{what}: exact hit {} vs {}",
                h.id,
                t.1
            );
        }
        let (r, p) = c
            .search_explained(q, &SearchParams::new(K).filter(f.clone()))
            .unwrap();
        assert_eq!(
            r.len(),
            want,
            "{what}: query {qi}, {f:?} came back short: {p:?}"
        );
        for h in &r {
            assert!(
                matching.binary_search(&h.id).is_ok(),
                "{what}: hit {} does not match {f:?}",
                h.id
            );
        }
        plans.extend(p.iter().map(|p| p.plan));
    }
    (matching.len(), plans)
}

#[test]
fn indexed_filters_equal_brute_force_in_every_kind_of_segment() {
    let s = sample();
    let tmp = TempDir::new("field-index-random");
    let db = Database::open_with(tmp.join("db"), options()).unwrap();
    let c = db
        .create_collection("w", CollectionConfig::new(s.dim, Metric::Cosine))
        .unwrap();
    // Defined before any write: maintained by the writes.
    c.create_field_index("category", FieldKind::Keyword)
        .unwrap();
    c.create_field_index("id", FieldKind::Integer).unwrap();
    upsert(&c, 0..3000);
    c.optimize().unwrap();
    upsert(&c, 3000..4600);
    // Defined on a populated collection: backfilled.
    c.create_field_index("words", FieldKind::Keyword).unwrap();
    c.create_field_index("qv_x", FieldKind::Float).unwrap();
    c.create_field_index("mixed", FieldKind::Integer).unwrap();
    c.create_field_index("pos", FieldKind::Keyword).unwrap();
    c.create_field_index("flag", FieldKind::Bool).unwrap();
    c.create_field_index("when", FieldKind::Datetime).unwrap();
    c.create_field_index("tags[].name", FieldKind::Keyword)
        .unwrap();
    upsert(&c, 4600..s.n);
    let listed: Vec<(String, FieldKind)> = c
        .field_indexes()
        .unwrap()
        .into_iter()
        .map(|i| (i.field, i.kind))
        .collect();
    assert_eq!(listed.len(), 9);
    assert_eq!(listed[0], ("category".to_string(), FieldKind::Keyword));
    let st = c.stats().unwrap();
    assert!(st.segments.len() >= 2, "{:?}", st.segments);

    let mut rng = Rng::new(0xF1E1D);
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..60 {
        let f = random_filter(&mut rng, 2);
        let (_, plans) = check(&c, &f, s.n, &format!("filter {i}"));
        seen.extend(plans);
    }
    eprintln!("plans seen: {seen:?}");
    assert!(
        seen.contains("scan-candidates") && seen.contains("graph-indexed"),
        "{seen:?}"
    );

    // The same after reopen (sealed indexes read back from their files).
    drop(c);
    db.close().unwrap();
    let db = Database::open_with(tmp.join("db"), options()).unwrap();
    let c = db.collection("w").unwrap();
    assert!(c.stats().unwrap().rebuilt_on_open.is_empty());
    let mut rng = Rng::new(0xF1E1D);
    for i in 0..20 {
        let f = random_filter(&mut rng, 2);
        check(&c, &f, s.n, &format!("after reopen, filter {i}"));
    }
}

#[test]
fn planner_choices_follow_selectivity() {
    let s = sample();
    let tmp = TempDir::new("field-index-plans");
    let db = Database::open(tmp.join("db")).unwrap();
    let c = db
        .create_collection("w", CollectionConfig::new(s.dim, Metric::Cosine))
        .unwrap();
    upsert(&c, 0..s.n);
    c.optimize().unwrap();
    c.create_field_index("category", FieldKind::Keyword)
        .unwrap();
    c.create_field_index("id", FieldKind::Integer).unwrap();
    let sealed_plan = |f: Filter| {
        // A small ef makes the graph the cheaper plan for common values on
        // a segment this small (5,000 points).
        let (r, plans) = c
            .search_explained(&s.queries[0], &SearchParams::new(K).ef(16).filter(f))
            .unwrap();
        let p = plans.into_iter().find(|p| p.kind == "sealed").unwrap();
        (r.len(), p)
    };
    let (n, p) = sealed_plan(Filter::lt("id", json!(40)));
    assert_eq!(
        (n, p.plan, p.sure, p.to_check),
        (10, "scan-candidates", Some(40), 0),
        "{p:?}"
    );
    assert_eq!(p.estimate, 40.0);
    let (n, p) = sealed_plan(Filter::lt("id", json!(4000)));
    assert_eq!(
        (n, p.plan, p.sure),
        (10, "graph-indexed", Some(4000)),
        "{p:?}"
    );
    // An unindexed condition in an `and` is checked on the candidates only.
    let (_, p) = sealed_plan(Filter::and(vec![
        Filter::lt("id", json!(100)),
        Filter::lt("qv_n", json!(500)),
    ]));
    assert_eq!(
        (p.plan, p.sure, p.to_check),
        ("scan-candidates", Some(0), 100),
        "{p:?}"
    );
    // Without an index on the field: the payload path.
    let (_, p) = sealed_plan(Filter::lt("qv_n", json!(500)));
    assert_eq!(p.sure, None, "{p:?}");
    assert!(
        p.plan == "graph-filtered" || p.plan == "scan-filtered",
        "{p:?}"
    );
    let (_, p) = sealed_plan(Filter::eq("category", json!("no.such.thing")));
    assert_eq!((p.plan, p.sure), ("none", Some(0)), "{p:?}");
}

#[test]
fn backfill_while_writers_go_on_then_reopen_and_rebuild() {
    let s = sample();
    let tmp = TempDir::new("field-index-backfill");
    let dir = tmp.join("db");
    {
        let db = Database::open_with(&dir, options()).unwrap();
        let c = db
            .create_collection("w", CollectionConfig::new(s.dim, Metric::Cosine))
            .unwrap();
        upsert(&c, 0..3500);
        c.optimize().unwrap();
        let writer = {
            let c = Arc::clone(&c);
            std::thread::spawn(move || upsert(&c, 3500..s.n))
        };
        c.create_field_index("category", FieldKind::Keyword)
            .unwrap();
        c.create_field_index("id", FieldKind::Integer).unwrap();
        writer.join().unwrap();
        let f = Filter::or(vec![
            Filter::eq("category", json!("noun.animal")),
            Filter::gte("id", json!(4990)),
        ]);
        let (n, _) = check(&c, &f, s.n, "after a backfill beside a writer");
        assert!(n > 10);
        assert!(matches!(
            c.create_field_index("category", FieldKind::Keyword),
            Err(Error::AlreadyExists(_))
        ));
        assert!(matches!(
            c.create_field_index("a..b", FieldKind::Keyword),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            c.drop_field_index("nope"),
            Err(Error::NotFound(_))
        ));
        c.optimize().unwrap();
        db.close().unwrap();
    }
    // Lose one field index file: rebuilt on open, and said so.
    let cdir = dir.join("collections").join("w");
    let seg = std::fs::read_dir(&cdir)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("seg-"))
        .unwrap()
        .path();
    let field_file = std::fs::read_dir(&seg)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("field-"))
        .unwrap()
        .path();
    std::fs::remove_file(&field_file).unwrap();
    {
        let db = Database::open_with(&dir, options()).unwrap();
        let c = db.collection("w").unwrap();
        let rebuilt = c.stats().unwrap().rebuilt_on_open;
        assert!(
            rebuilt.iter().any(|r| r.contains("field index")),
            "{rebuilt:?}"
        );
        assert!(field_file.exists());
        let f = Filter::and(vec![
            Filter::eq("category", json!("noun.artifact")),
            Filter::lt("id", json!(2500)),
        ]);
        check(&c, &f, s.n, "after the rebuild");
        c.drop_field_index("category").unwrap();
        assert_eq!(c.field_indexes().unwrap().len(), 1);
        check(&c, &f, s.n, "after dropping one index");
        db.close().unwrap();
    }
    let db = Database::open_with(&dir, options()).unwrap();
    let c = db.collection("w").unwrap();
    let listed: Vec<String> = c
        .field_indexes()
        .unwrap()
        .into_iter()
        .map(|i| i.field)
        .collect();
    assert_eq!(listed, vec!["id".to_string()]);
}

/// A failed creation (a stored payload that no longer parses) changes
/// nothing: no definition, no file, no index in any segment.
#[test]
fn a_failed_creation_leaves_nothing_behind() {
    let tmp = TempDir::new("field-index-failed");
    let dir = tmp.join("db");
    let seg_dir = {
        let db = Database::open(&dir).unwrap();
        let c = db
            .create_collection("w", CollectionConfig::new(2, Metric::Euclidean))
            .unwrap();
        let pts: Vec<Point> = (0..50u64)
            .map(|i| Point::new(i, vec![i as f32, 1.0]).with_payload(json!({ "a": i })))
            .collect();
        c.upsert(&pts).unwrap();
        c.optimize().unwrap();
        c.upsert(&[Point::new(99, vec![0.5, 0.5]).with_payload(json!({"a": 99}))])
            .unwrap();
        db.close().unwrap();
        std::fs::read_dir(dir.join("collections").join("w"))
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().starts_with("seg-"))
            .unwrap()
            .path()
    };
    // The first payload's `{` (after the 64-byte header and 51 offsets).
    let p = seg_dir.join("payloads.qv");
    let mut b = std::fs::read(&p).unwrap();
    let at = 64 + 51 * 8;
    assert_eq!(b[at], b'{');
    b[at] = b'x';
    std::fs::write(&p, &b).unwrap();

    let db = Database::open(&dir).unwrap();
    let c = db.collection("w").unwrap();
    match c.create_field_index("a", FieldKind::Integer) {
        Err(Error::Corrupt(m)) => assert!(m.contains("segment") && m.contains("offset 0"), "{m}"),
        other => panic!("want Corrupt, got {other:?}"),
    }
    assert!(c.field_indexes().unwrap().is_empty());
    let leftovers: Vec<_> = std::fs::read_dir(&seg_dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("field-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(!c
        .stats()
        .unwrap()
        .components
        .iter()
        .any(|x| x.name == "field_indexes" && x.ram_bytes > 0));
    // The collection works as before.
    let r = c.search(&[0.5, 0.5], &SearchParams::new(1)).unwrap();
    assert_eq!(r.iter().map(|h| h.id).collect::<Vec<_>>(), vec![99]);
}
