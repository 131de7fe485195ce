//! Collections, points, scroll and the score convention of every metric.

use crate::common::util::{
    assert_err, assert_exact_topk, collection_dir, expect_err, higher_is_better, ids, kind, score,
    Rng, TempDir,
};
use quiver::{
    CollectionConfig, CollectionKind, Database, Filter, HnswConfig, Metric, Point, SearchParams,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn filter(v: Value) -> Filter {
    Filter::from_json(&v).expect("valid filter")
}

#[test]
fn create_list_get_drop_collections() {
    let tmp = TempDir::new("crud-collections");
    let db = Database::open(tmp.path()).unwrap();
    assert!(db.list_collections().unwrap().is_empty());

    let hnsw = HnswConfig {
        m: 8,
        ef_construction: 50,
        ef_search: 20,
    };
    let beta = db
        .create_collection(
            "beta",
            CollectionConfig::new(4, Metric::Euclidean).with_hnsw(hnsw),
        )
        .unwrap();
    let alpha = db
        .create_collection("alpha", CollectionConfig::new(3, Metric::Cosine))
        .unwrap();
    let meta = db
        .create_collection("meta", CollectionConfig::metadata_only())
        .unwrap();
    assert_eq!(
        db.list_collections().unwrap(),
        vec!["alpha", "beta", "meta"],
        "sorted"
    );

    assert_eq!(alpha.name(), "alpha");
    assert_eq!(alpha.config(), CollectionConfig::new(3, Metric::Cosine));
    assert_eq!(beta.config().hnsw, hnsw);
    assert_eq!(meta.config().kind, CollectionKind::MetadataOnly);
    assert_eq!(alpha.count().unwrap(), 0);

    // collection() hands out the same collection.
    beta.upsert(&[Point::new(1, vec![1., 2., 3., 4.])]).unwrap();
    let beta2 = db.collection("beta").unwrap();
    assert_eq!(beta2.name(), "beta");
    assert_eq!(beta2.config(), beta.config());
    assert_eq!(beta2.count().unwrap(), 1);
    assert_eq!(
        beta2.get(&[1]).unwrap()[0].as_ref().unwrap().vector,
        vec![1., 2., 3., 4.]
    );

    assert_err(db.collection("gamma"), "NotFound", "collection(gamma)");
    assert_err(
        db.drop_collection("gamma"),
        "NotFound",
        "drop_collection(gamma)",
    );

    // Drop: gone from the list, its files gone, its handles closed.
    assert!(
        collection_dir(tmp.path(), "beta").is_dir(),
        "collections/beta exists on disk"
    );
    db.drop_collection("beta").unwrap();
    assert_eq!(db.list_collections().unwrap(), vec!["alpha", "meta"]);
    assert_err(
        db.collection("beta"),
        "NotFound",
        "collection(beta) after drop",
    );
    assert_err(db.drop_collection("beta"), "NotFound", "second drop");
    assert!(
        !collection_dir(tmp.path(), "beta").exists(),
        "dropped collection's directory removed"
    );
    for h in [&beta, &beta2] {
        assert_err(h.get(&[1]), "Closed", "get on a dropped collection");
        assert_err(
            h.upsert(&[Point::new(2, vec![0.; 4])]),
            "Closed",
            "upsert on dropped",
        );
        assert_err(h.delete(&[1]), "Closed", "delete on dropped");
        assert_err(h.scroll(None, 10, None), "Closed", "scroll on dropped");
        assert_err(
            h.search(&[0.; 4], &SearchParams::new(1)),
            "Closed",
            "search on dropped",
        );
        assert_err(
            h.search_batch(&[0.; 4], &SearchParams::new(1)),
            "Closed",
            "search_batch on dropped",
        );
        assert_err(
            h.upsert_flat(&[3], &[0.; 4], None),
            "Closed",
            "upsert_flat on dropped",
        );
        assert_err(h.count(), "Closed", "count on dropped");
        assert_err(h.checkpoint(), "Closed", "checkpoint on dropped");
    }

    // The name is free again; the new collection is empty and old handles stay closed.
    let beta3 = db
        .create_collection("beta", CollectionConfig::new(2, Metric::Dot))
        .unwrap();
    assert_eq!(beta3.count().unwrap(), 0);
    assert_eq!(beta3.config().dimension, 2);
    assert_eq!(beta3.get(&[1]).unwrap(), vec![None]);
    assert_err(beta.get(&[1]), "Closed", "old handle after re-create");
    assert_eq!(
        db.list_collections().unwrap(),
        vec!["alpha", "beta", "meta"]
    );
    assert_eq!(alpha.count().unwrap(), 0, "other collections untouched");
    db.close().unwrap();
}

#[test]
fn handles_are_closed_after_database_close() {
    let tmp = TempDir::new("crud-close-handles");
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection("c", CollectionConfig::new(2, Metric::Euclidean))
        .unwrap();
    c.upsert(&[Point::new(1, vec![1., 1.])]).unwrap();
    db.close().unwrap();
    assert_err(c.get(&[1]), "Closed", "get after close");
    assert_err(
        c.upsert(&[Point::new(2, vec![1., 1.])]),
        "Closed",
        "upsert after close",
    );
    assert_err(
        c.search(&[1., 1.], &SearchParams::new(1)),
        "Closed",
        "search after close",
    );
    assert_err(c.count(), "Closed", "count after close");
    assert_err(c.scroll(None, 5, None), "Closed", "scroll after close");
    // The outstanding handle does not keep the database locked.
    let db = Database::open(tmp.path()).expect("reopen while an old handle is alive");
    let c2 = db.collection("c").unwrap();
    assert_eq!(
        c2.get(&[1]).unwrap()[0].as_ref().unwrap().vector,
        vec![1., 1.]
    );
    assert_eq!(
        c2.get(&[2]).unwrap(),
        vec![None],
        "upsert on the closed handle wrote nothing"
    );
}

#[test]
fn upsert_get_delete_count() {
    let tmp = TempDir::new("crud-points");
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection("pts", CollectionConfig::new(3, Metric::Euclidean))
        .unwrap();
    let mk = |i: u64| {
        let p = Point::new(i, vec![i as f32, -(i as f32) / 3.0, 0.25]);
        if i == 15 {
            p
        } else {
            p.with_payload(json!({"i": i, "name": format!("p{i}"), "tags": ["x", i % 3], "nested": {"deep": {"v": i * 2}}}))
        }
    };
    let points: Vec<Point> = (10..20).map(mk).collect();
    c.upsert(&points).unwrap();
    assert_eq!(c.count().unwrap(), 10);

    let got = c.get(&[12, 99, 15, 10, 12]).unwrap();
    assert_eq!(
        got,
        vec![Some(mk(12)), None, Some(mk(15)), Some(mk(10)), Some(mk(12))]
    );
    assert_eq!(
        got[2].as_ref().unwrap().payload,
        None,
        "point without payload"
    );
    assert_eq!(c.get(&[]).unwrap(), vec![]);

    assert_eq!(c.delete(&[12, 13, 99]).unwrap(), 2, "two of three existed");
    assert_eq!(c.count().unwrap(), 8);
    assert_eq!(
        c.get(&[12, 13, 14]).unwrap(),
        vec![None, None, Some(mk(14))]
    );
    assert_eq!(c.delete(&[12]).unwrap(), 0, "already deleted");
    assert_eq!(c.delete(&[]).unwrap(), 0);
    assert_eq!(c.count().unwrap(), 8);
    // Deleted points are never found.
    let r = c
        .search(&mk(12).vector, &SearchParams::new(10).exact(true))
        .unwrap();
    assert!(
        !ids(&r).contains(&12) && !ids(&r).contains(&13),
        "deleted ids in results: {:?}",
        ids(&r)
    );
    let r = c.search(&mk(12).vector, &SearchParams::new(10)).unwrap();
    assert!(
        !ids(&r).contains(&12) && !ids(&r).contains(&13),
        "deleted ids in results: {:?}",
        ids(&r)
    );
    assert_eq!(r.len(), 8, "k = 10 over 8 points returns all 8");

    // Re-inserting a deleted id brings it back.
    c.upsert(&[mk(12)]).unwrap();
    assert_eq!(c.count().unwrap(), 9);
    assert_eq!(c.get(&[12]).unwrap(), vec![Some(mk(12))]);

    // An empty batch is a no-op.
    c.upsert(&[]).unwrap();
    assert_eq!(c.count().unwrap(), 9);

    // upsert_flat, with and without payloads.
    c.upsert_flat(&[100, 101], &[1., 2., 3., 4., 5., 6.], None)
        .unwrap();
    let pl = [Some(json!({"flat": true})), None];
    c.upsert_flat(&[102, 103], &[7., 8., 9., 10., 11., 12.], Some(&pl))
        .unwrap();
    assert_eq!(c.count().unwrap(), 13);
    let got = c.get(&[100, 101, 102, 103]).unwrap();
    let want = vec![
        Some(Point::new(100, vec![1., 2., 3.])),
        Some(Point::new(101, vec![4., 5., 6.])),
        Some(Point::new(102, vec![7., 8., 9.]).with_payload(json!({"flat": true}))),
        Some(Point::new(103, vec![10., 11., 12.])),
    ];
    assert_eq!(got, want);

    // Payloads come back in search hits only when asked for.
    let r = c.search(&[7., 8., 9.], &SearchParams::new(1)).unwrap();
    assert_eq!((r[0].id, r[0].payload.clone()), (102, None));
    assert!(
        r[0].score.abs() < 1e-6,
        "distance to itself: {}",
        r[0].score
    );
    let r = c
        .search(&[7., 8., 9.], &SearchParams::new(1).with_payload(true))
        .unwrap();
    assert_eq!(r[0].payload, Some(json!({"flat": true})));
    let r = c
        .search(
            &mk(11).vector,
            &SearchParams::new(1).with_payload(true).exact(true),
        )
        .unwrap();
    assert_eq!((r[0].id, r[0].payload.clone()), (11, mk(11).payload));
    db.close().unwrap();
}

#[test]
fn extreme_ids() {
    let tmp = TempDir::new("crud-extreme-ids");
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection("x", CollectionConfig::new(2, Metric::Euclidean))
        .unwrap();
    let all = [
        0u64,
        1,
        u32::MAX as u64,
        u32::MAX as u64 + 1,
        u64::MAX - 1,
        u64::MAX,
    ];
    let pts: Vec<Point> = all
        .iter()
        .enumerate()
        .map(|(i, &id)| Point::new(id, vec![i as f32, 0.]).with_payload(json!({"i": i})))
        .collect();
    c.upsert(&pts).unwrap();
    assert_eq!(c.count().unwrap(), all.len());
    let got = c.get(&all).unwrap();
    for (p, g) in pts.iter().zip(&got) {
        assert_eq!(g.as_ref(), Some(p));
    }
    for limit in [1, 2, 4, 100] {
        let mut seen: Vec<u64> = Vec::new();
        let mut from = None;
        for _ in 0..=all.len() + 1 {
            let page = c.scroll(from, limit, None).unwrap();
            assert!(page.ids.len() <= limit);
            seen.extend(&page.ids);
            match page.next {
                Some(n) => from = Some(n),
                None => break,
            }
        }
        assert_eq!(seen, all.to_vec(), "scroll limit {limit}");
    }
    let page = c.scroll(Some(u64::MAX), 10, None).unwrap();
    assert_eq!(page.ids, vec![u64::MAX]);
    assert_eq!(page.next, None);
    let r = c
        .search(&[5., 0.], &SearchParams::new(1).exact(true))
        .unwrap();
    assert_eq!(r[0].id, u64::MAX);
    assert_eq!(c.delete(&[u64::MAX, 0]).unwrap(), 2);
    assert_eq!(c.get(&[u64::MAX, 0]).unwrap(), vec![None, None]);
    assert_eq!(c.count().unwrap(), all.len() - 2);
}

/// Collects a whole scroll, checking each page; returns the ids in order.
fn scroll_all(
    c: &quiver::Collection,
    from: Option<u64>,
    limit: usize,
    f: Option<&Filter>,
    max_ids: usize,
) -> Vec<u64> {
    let mut out: Vec<u64> = Vec::new();
    let mut cursor = from;
    let mut pages = 0;
    loop {
        let page = c.scroll(cursor, limit, f).unwrap();
        pages += 1;
        assert!(
            pages <= max_ids / limit.max(1) + 3,
            "scroll (limit {limit}) does not end"
        );
        assert!(
            page.ids.len() <= limit,
            "page of {} ids, limit {limit}",
            page.ids.len()
        );
        for w in page.ids.windows(2) {
            assert!(w[0] < w[1], "page not strictly ascending: {:?}", page.ids);
        }
        if let (Some(last), Some(first)) = (out.last(), page.ids.first()) {
            assert!(
                first > last,
                "page starts at {first}, previous page ended at {last}"
            );
        }
        if let (Some(from), Some(first)) = (cursor, page.ids.first()) {
            assert!(
                *first >= from,
                "page starts at {first} below its cursor {from}"
            );
        }
        out.extend(&page.ids);
        match page.next {
            Some(n) => {
                assert!(!page.ids.is_empty(), "an empty page with a next cursor");
                assert!(
                    n > *page.ids.last().unwrap(),
                    "cursor {n} does not move past the page"
                );
                cursor = Some(n);
            }
            None => break,
        }
    }
    out
}

#[test]
fn scroll_pages_cover_every_id_once() {
    let tmp = TempDir::new("crud-scroll");
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection("s", CollectionConfig::new(2, Metric::Dot))
        .unwrap();
    assert_eq!(
        c.scroll(None, 10, None).unwrap(),
        quiver::ScrollPage {
            ids: vec![],
            next: None
        }
    );

    let mut rng = Rng::new(7);
    let mut want = BTreeSet::new();
    want.insert(0u64);
    while want.len() < 1000 {
        want.insert(rng.below(1_000_000));
    }
    // Inserted in random order, in several batches.
    let mut order: Vec<u64> = want.iter().copied().collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    for chunk in order.chunks(150) {
        let pts: Vec<Point> = chunk
            .iter()
            .map(|&id| {
                Point::new(id, vec![1., id as f32]).with_payload(json!({"par": id % 2, "id": id}))
            })
            .collect();
        c.upsert(&pts).unwrap();
    }
    assert_eq!(c.count().unwrap(), 1000);
    let all: Vec<u64> = want.iter().copied().collect();
    for limit in [1, 7, 100, 999, 1000, 5000] {
        let got = scroll_all(&c, None, limit, None, 1000);
        assert_eq!(got, all, "unfiltered scroll, limit {limit}");
    }
    // Unfiltered pages are full except the last.
    let page = c.scroll(None, 100, None).unwrap();
    assert_eq!(page.ids, all[..100].to_vec());

    // From an arbitrary point (not an id).
    let got = scroll_all(&c, Some(500_001), 33, None, 1000);
    let tail: Vec<u64> = all.iter().copied().filter(|&i| i >= 500_001).collect();
    assert_eq!(got, tail);

    // Filtered.
    let even = filter(json!({"field": "par", "eq": 0}));
    let want_even: Vec<u64> = all.iter().copied().filter(|i| i % 2 == 0).collect();
    for limit in [1, 7, 250, 2000] {
        assert_eq!(
            scroll_all(&c, None, limit, Some(&even), 1000),
            want_even,
            "filtered, limit {limit}"
        );
    }
    let range = filter(
        json!({"and": [{"field": "id", "gte": 100_000}, {"field": "id", "lt": 200_000}, {"field": "par", "eq": 1}]}),
    );
    let want_range: Vec<u64> = all
        .iter()
        .copied()
        .filter(|&i| (100_000..200_000).contains(&i) && i % 2 == 1)
        .collect();
    assert_eq!(scroll_all(&c, None, 9, Some(&range), 1000), want_range);
    let none = filter(json!({"field": "par", "eq": 7}));
    assert_eq!(
        c.scroll(None, 10, Some(&none)).unwrap().ids,
        Vec::<u64>::new()
    );

    // Deleted ids disappear from the scroll.
    let del: Vec<u64> = all.iter().copied().step_by(3).collect();
    assert_eq!(c.delete(&del).unwrap(), del.len());
    let left: Vec<u64> = all.iter().copied().filter(|i| !del.contains(i)).collect();
    assert_eq!(scroll_all(&c, None, 64, None, 1000), left);
    let left_even: Vec<u64> = left.iter().copied().filter(|i| i % 2 == 0).collect();
    assert_eq!(scroll_all(&c, None, 64, Some(&even), 1000), left_even);
}

#[test]
fn duplicate_ids_in_one_batch_last_wins() {
    let tmp = TempDir::new("crud-dups");
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection("d", CollectionConfig::new(2, Metric::Euclidean))
        .unwrap();
    c.upsert(&[
        Point::new(5, vec![1., 1.]).with_payload(json!({"v": 1})),
        Point::new(6, vec![2., 2.]),
        Point::new(5, vec![3., 3.]).with_payload(json!({"v": 2})),
        Point::new(5, vec![4., 4.]).with_payload(json!({"v": 3})),
    ])
    .unwrap();
    assert_eq!(c.count().unwrap(), 2);
    assert_eq!(
        c.get(&[5]).unwrap(),
        vec![Some(
            Point::new(5, vec![4., 4.]).with_payload(json!({"v": 3}))
        )]
    );
    assert_eq!(scroll_all(&c, None, 10, None, 10), vec![5, 6]);
    // The earlier versions are not searchable.
    for exact in [true, false] {
        let r = c
            .search(&[1., 1.], &SearchParams::new(10).exact(exact))
            .unwrap();
        assert_eq!(ids(&r), vec![6, 5], "exact {exact}");
        assert!((r[1].score - 18f32.sqrt()).abs() < 1e-5, "{r:?}");
    }
    let r = c
        .scroll(None, 10, Some(&filter(json!({"field": "v", "eq": 1}))))
        .unwrap();
    assert!(r.ids.is_empty(), "old payload still matches: {:?}", r.ids);
    // Same for upsert_flat.
    c.upsert_flat(
        &[7, 7],
        &[5., 5., 6., 6.],
        Some(&[Some(json!({"w": 1})), Some(json!({"w": 2}))]),
    )
    .unwrap();
    assert_eq!(c.count().unwrap(), 3);
    assert_eq!(
        c.get(&[7]).unwrap(),
        vec![Some(
            Point::new(7, vec![6., 6.]).with_payload(json!({"w": 2}))
        )]
    );
}

#[test]
fn upsert_overwrites_existing_point() {
    let tmp = TempDir::new("crud-overwrite");
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection("o", CollectionConfig::new(4, Metric::Euclidean))
        .unwrap();
    let mut rng = Rng::new(11);
    let pts: Vec<Point> = (0..300)
        .map(|i| Point::new(i, rng.vector(4)).with_payload(json!({"gen": 0, "i": i})))
        .collect();
    c.upsert(&pts).unwrap();
    let old7 = pts[7].clone();
    let new7 = Point::new(7, vec![10., 10., 10., 10.]).with_payload(json!({"gen": 1, "i": 7}));
    c.upsert(std::slice::from_ref(&new7)).unwrap();
    assert_eq!(
        c.count().unwrap(),
        300,
        "overwrite does not change the count"
    );
    assert_eq!(c.get(&[7]).unwrap(), vec![Some(new7.clone())]);
    for exact in [true, false] {
        let r = c
            .search(&new7.vector, &SearchParams::new(1).exact(exact))
            .unwrap();
        assert_eq!(r[0].id, 7, "exact {exact}: the new vector is found");
        assert!(r[0].score.abs() < 1e-5, "exact {exact}: {r:?}");
        let r = c
            .search(&old7.vector, &SearchParams::new(5).exact(exact))
            .unwrap();
        assert!(
            r.iter().all(|h| h.id != 7 || h.score > 1.0),
            "exact {exact}: old vector of 7 still found: {r:?}"
        );
        assert!(r[0].id != 7);
    }
    let gen1 = filter(json!({"field": "gen", "eq": 1}));
    assert_eq!(c.scroll(None, 10, Some(&gen1)).unwrap().ids, vec![7]);
    let gen0_i7 = filter(json!({"and": [{"field": "gen", "eq": 0}, {"field": "i", "eq": 7}]}));
    assert!(c.scroll(None, 10, Some(&gen0_i7)).unwrap().ids.is_empty());
    let r = c
        .search(&old7.vector, &SearchParams::new(10).filter(gen1.clone()))
        .unwrap();
    assert_eq!(ids(&r), vec![7]);

    // An upsert replaces the whole point: without a payload, the payload is gone.
    c.upsert(&[Point::new(7, vec![0.5; 4])]).unwrap();
    assert_eq!(
        c.get(&[7]).unwrap(),
        vec![Some(Point::new(7, vec![0.5; 4]))]
    );
    assert!(c.scroll(None, 10, Some(&gen1)).unwrap().ids.is_empty());
    assert_eq!(c.count().unwrap(), 300);

    // Overwrite many at once, mixed with new ids.
    let batch: Vec<Point> = (250..350)
        .map(|i| Point::new(i, vec![i as f32; 4]).with_payload(json!({"gen": 2, "i": i})))
        .collect();
    c.upsert(&batch).unwrap();
    assert_eq!(c.count().unwrap(), 350);
    let got = c.get(&(250..350).collect::<Vec<_>>()).unwrap();
    for (g, w) in got.iter().zip(&batch) {
        assert_eq!(g.as_ref(), Some(w));
    }
}

#[test]
fn metadata_only_collection() {
    let tmp = TempDir::new("crud-meta");
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection("m", CollectionConfig::metadata_only())
        .unwrap();
    let pts: Vec<Point> = (0..50)
        .map(|i| Point {
            id: i,
            vector: vec![],
            payload: Some(json!({"kind": if i % 5 == 0 { "x" } else { "y" }, "n": i})),
            sparse: vec![],
        })
        .collect();
    c.upsert(&pts).unwrap();
    c.upsert_flat(
        &[100, 101],
        &[],
        Some(&[Some(json!({"kind": "x", "n": 100})), None]),
    )
    .unwrap();
    assert_eq!(c.count().unwrap(), 52);
    assert_eq!(
        c.get(&[3, 100, 101, 999]).unwrap(),
        vec![
            Some(pts[3].clone()),
            Some(Point {
                id: 100,
                vector: vec![],
                payload: Some(json!({"kind": "x", "n": 100})),
                sparse: vec![],
            }),
            Some(Point {
                id: 101,
                vector: vec![],
                payload: None,
                sparse: vec![],
            }),
            None,
        ]
    );
    let x = filter(json!({"field": "kind", "eq": "x"}));
    let want: Vec<u64> = (0..50).filter(|i| i % 5 == 0).chain([100]).collect();
    assert_eq!(scroll_all(&c, None, 3, Some(&x), 100), want);
    let big = filter(json!({"and": [{"field": "kind", "eq": "y"}, {"field": "n", "gt": 40}]}));
    assert_eq!(
        scroll_all(&c, None, 100, Some(&big), 100),
        vec![41, 42, 43, 44, 46, 47, 48, 49]
    );
    assert_eq!(c.delete(&[0, 5, 1]).unwrap(), 3);
    assert_eq!(c.count().unwrap(), 49);
    assert_eq!(scroll_all(&c, None, 4, Some(&x), 100), want[2..].to_vec());

    assert_err(
        c.search(&[], &SearchParams::new(3)),
        "Unsupported",
        "search on metadata-only",
    );
    assert_err(
        c.search(&[1.0], &SearchParams::new(3)),
        "Unsupported",
        "search on metadata-only",
    );
    assert_err(
        c.search_batch(&[], &SearchParams::new(3)),
        "Unsupported",
        "search_batch on metadata-only",
    );
    assert_err(
        c.upsert(&[Point::new(7, vec![1.0, 2.0])]),
        "DimensionMismatch",
        "a vector in a metadata-only collection",
    );
    assert_eq!(c.count().unwrap(), 49);
}

/// One hand-computed case: `points` in a `metric` collection, `query`, and the
/// expected `(id, score)` of every point, best first.
fn metric_case(metric: Metric, points: &[(u64, Vec<f32>)], query: &[f32], want: &[(u64, f32)]) {
    let tmp = TempDir::new("crud-metric");
    let db = Database::open(tmp.path()).unwrap();
    let dim = query.len();
    let c = db
        .create_collection("m", CollectionConfig::new(dim, metric))
        .unwrap();
    let pts: Vec<Point> = points
        .iter()
        .map(|(id, v)| Point::new(*id, v.clone()))
        .collect();
    c.upsert(&pts).unwrap();
    for exact in [true, false] {
        let r = c
            .search(query, &SearchParams::new(points.len() + 3).exact(exact))
            .unwrap();
        let got: Vec<(u64, f32)> = r.iter().map(|h| (h.id, h.score)).collect();
        assert_eq!(got.len(), want.len(), "{metric:?} exact {exact}: {got:?}");
        for (g, w) in got.iter().zip(want) {
            assert!(
                g.0 == w.0 && (g.1 - w.1).abs() < 1e-5,
                "{metric:?} exact {exact}: got {got:?}, want {want:?}"
            );
        }
        let r = c.search(query, &SearchParams::new(2).exact(exact)).unwrap();
        assert_eq!(
            ids(&r),
            vec![want[0].0, want[1].0],
            "{metric:?} exact {exact}: top 2"
        );
    }
}

#[test]
fn metric_cosine_scores() {
    let s = std::f32::consts::FRAC_1_SQRT_2;
    metric_case(
        Metric::Cosine,
        &[
            (1, vec![1., 0.]),
            (2, vec![0., 3.]),
            (3, vec![2., 2.]),
            (4, vec![-5., 0.]),
            (5, vec![-1., 1.]),
        ],
        &[4., 0.],
        &[(1, 1.0), (3, s), (2, 0.0), (5, -s), (4, -1.0)],
    );
    // Stored vectors are unit length; zero vectors are rejected.
    let tmp = TempDir::new("crud-cosine-store");
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection("c", CollectionConfig::new(2, Metric::Cosine))
        .unwrap();
    c.upsert(&[Point::new(1, vec![3., 4.])]).unwrap();
    let v = c.get(&[1]).unwrap()[0].clone().unwrap().vector;
    assert!(
        (v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6,
        "stored {v:?}"
    );
    assert_err(
        c.upsert(&[Point::new(2, vec![0., 0.])]),
        "InvalidArgument",
        "zero vector in a cosine collection",
    );
    assert_eq!(c.count().unwrap(), 1);
}

#[test]
fn metric_euclidean_scores() {
    metric_case(
        Metric::Euclidean,
        &[
            (1, vec![0., 0.]),
            (2, vec![3., 4.]),
            (3, vec![1., 1.]),
            (4, vec![-6., -8.]),
            (5, vec![0., -2.]),
        ],
        &[0., 0.],
        &[(1, 0.0), (3, 2f32.sqrt()), (5, 2.0), (2, 5.0), (4, 10.0)],
    );
    metric_case(
        Metric::Euclidean,
        &[
            (10, vec![1., 2., 3.]),
            (20, vec![1., 2., 4.5]),
            (30, vec![-1., 2., 3.]),
        ],
        &[1., 2., 3.],
        &[(10, 0.0), (20, 1.5), (30, 2.0)],
    );
}

#[test]
fn metric_dot_scores() {
    // Dot vectors are stored as given (not normalised).
    metric_case(
        Metric::Dot,
        &[
            (1, vec![1., 2.]),
            (2, vec![3., -1.5]),
            (3, vec![-2., -2.]),
            (4, vec![10., 0.]),
            (5, vec![0., 0.]),
        ],
        &[1., 1.],
        &[(4, 10.0), (1, 3.0), (2, 1.5), (5, 0.0), (3, -4.0)],
    );
    let tmp = TempDir::new("crud-dot-store");
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection("c", CollectionConfig::new(2, Metric::Dot))
        .unwrap();
    c.upsert(&[Point::new(1, vec![10., 0.])]).unwrap();
    assert_eq!(
        c.get(&[1]).unwrap()[0].as_ref().unwrap().vector,
        vec![10., 0.]
    );
}

#[test]
fn metric_hamming_scores() {
    metric_case(
        Metric::Hamming,
        &[
            (1, vec![1., 0., 1., 0., 1., 1.]),
            (2, vec![1., 1., 1., 1., 1., 1.]),
            (3, vec![0., 1., 0., 1., 0., 0.]),
            (4, vec![1., 0., 1., 0., 1., 0.]),
            (5, vec![0., 0., 1., 1., 1., 0.]),
        ],
        &[1., 0., 1., 0., 1., 1.],
        &[(1, 0.0), (4, 1.0), (2, 2.0), (5, 3.0), (3, 6.0)],
    );
}

#[test]
fn metric_jaccard_scores() {
    // Sets of non-zero positions: query {0, 1}.
    metric_case(
        Metric::Jaccard,
        &[
            (1, vec![1., 1., 0., 0.]),
            (2, vec![1., 0., 0., 0.]),
            (3, vec![0., 1., 1., 1.]),
            (4, vec![0., 0., 1., 1.]),
            (5, vec![1., 1., 1., 0.]),
        ],
        &[1., 1., 0., 0.],
        &[(1, 1.0), (5, 2.0 / 3.0), (2, 0.5), (3, 0.25), (4, 0.0)],
    );
    // Magnitudes and signs do not matter, only which positions are non-zero.
    metric_case(
        Metric::Jaccard,
        &[
            (1, vec![7., -1., 0.]),
            (2, vec![0.5, 0., 0.]),
            (3, vec![0., 0., 9.]),
        ],
        &[2., -5., 0.],
        &[(1, 1.0), (2, 0.5), (3, 0.0)],
    );
    // Two all-zero vectors have similarity 1.
    metric_case(
        Metric::Jaccard,
        &[(1, vec![0., 0., 0.]), (2, vec![-3., 0., 0.])],
        &[0., 0., 0.],
        &[(1, 1.0), (2, 0.0)],
    );
}

/// Exact search over random data agrees with the documented score of each metric.
#[test]
fn metrics_agree_with_brute_force() {
    let tmp = TempDir::new("crud-metric-bf");
    let db = Database::open(tmp.path()).unwrap();
    let dim = 12;
    for (mi, metric) in [
        Metric::Cosine,
        Metric::Euclidean,
        Metric::Dot,
        Metric::Hamming,
        Metric::Jaccard,
    ]
    .into_iter()
    .enumerate()
    {
        let c = db
            .create_collection(&format!("m{mi}"), CollectionConfig::new(dim, metric))
            .unwrap();
        let mut rng = Rng::new(100 + mi as u64);
        let binary = matches!(metric, Metric::Hamming | Metric::Jaccard);
        let vecs: Vec<Vec<f32>> = (0..300)
            .map(|_| {
                if binary {
                    rng.bits(dim)
                } else {
                    rng.vector(dim)
                }
            })
            .collect();
        let pts: Vec<Point> = vecs
            .iter()
            .enumerate()
            .map(|(i, v)| Point::new(i as u64 * 3, v.clone()))
            .collect();
        c.upsert(&pts).unwrap();
        for q in 0..10 {
            let query = if binary {
                rng.bits(dim)
            } else {
                rng.vector(dim)
            };
            let truth: Vec<(u64, f32)> = vecs
                .iter()
                .enumerate()
                .map(|(i, v)| (i as u64 * 3, score(metric, &query, v)))
                .collect();
            let r = c
                .search(&query, &SearchParams::new(10).exact(true))
                .unwrap();
            assert_exact_topk(
                &r,
                &truth,
                10,
                higher_is_better(metric),
                1e-4,
                &format!("{metric:?} query {q}"),
            );
        }
    }
}

/// Payload values come back exactly as given, before and after a reopen:
/// floats bit for bit, 64-bit integers, unicode, nesting.
#[test]
fn payload_values_round_trip_exactly() {
    let tmp = TempDir::new("crud-payload-values");
    let mut rng = Rng::new(21);
    let mut payloads = vec![
        json!({"f": 90.28571428571429, "g": 0.1, "h": 1e300, "i": 5e-324, "j": -0.0, "k": 2.5}),
        json!({"u": u64::MAX, "n": i64::MIN, "z": 0, "big": 9_007_199_254_740_993u64}),
        json!({"s": "héllo \u{1F600} \"quoted\" \\ \n tab\t", "empty": "", "null": null, "t": true}),
        json!({"a": [1, [2, [3, {"deep": [null, false]}]]], "o": {"x": {"y": {"z": "w"}}}}),
        json!({}),
    ];
    // Random floats, the kind most likely to expose a lossy parser.
    for _ in 0..50 {
        let x = f64::from_bits(rng.next_u64() >> 2) * if rng.below(2) == 0 { 1.0 } else { -1.0 };
        let y = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 1000.0;
        payloads.push(json!({"x": x, "y": y, "xs": [x / 3.0, y / 7.0]}));
    }
    let pts: Vec<Point> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| Point::new(i as u64, vec![i as f32, 1.0]).with_payload(p.clone()))
        .collect();
    let check = |c: &quiver::Collection, what: &str| {
        let got = c.get(&(0..pts.len() as u64).collect::<Vec<_>>()).unwrap();
        for (g, p) in got.iter().zip(&pts) {
            let g = g.as_ref().unwrap();
            assert_eq!(
                serde_json::to_string(&g.payload).unwrap(),
                serde_json::to_string(&p.payload).unwrap(),
                "{what}: payload of point {}",
                p.id
            );
            assert_eq!(g.payload, p.payload, "{what}: payload of point {}", p.id);
        }
        let r = c
            .search(&[3.0, 1.0], &SearchParams::new(1).with_payload(true))
            .unwrap();
        assert_eq!(
            r[0].payload, pts[3].payload,
            "{what}: payload in a search hit"
        );
    };
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection("p", CollectionConfig::new(2, Metric::Euclidean))
        .unwrap();
    c.upsert(&pts).unwrap();
    check(&c, "before reopen");
    drop(c);
    db.close().unwrap();
    let db = Database::open(tmp.path()).unwrap();
    check(&db.collection("p").unwrap(), "after reopen");
}

/// Payload bytes come back exactly as written (whitespace, key order,
/// number spelling, escapes), from the appendable segment, from a sealed
/// segment and after a reopen; a payload must be an object or null.
#[test]
fn payload_bytes_are_kept_exactly_and_must_be_objects() {
    let tmp = TempDir::new("crud-payload-bytes");
    let texts: Vec<&[u8]> = vec![
        b"{ \"b\" : 1,\n  \"a\" : [1.50, 2e3, -0.0] }",
        b"{\"z\":\"\\u00e9t\\u00e9\",\"y\":null}",
        "{\"emoji\": \"\u{1F600}\", \"k\": {}}".as_bytes(),
        b"{}",
        b"  {\"padded\": true}  ",
    ];
    let ids: Vec<u64> = (0..texts.len() as u64).collect();
    let vectors: Vec<f32> = ids.iter().flat_map(|&i| [i as f32, 1.0]).collect();
    let payloads: Vec<Option<&[u8]>> = texts.iter().map(|t| Some(*t)).collect();
    let check = |c: &quiver::Collection, what: &str| {
        let got = c.get_raw(&ids).unwrap();
        for (i, g) in got.iter().enumerate() {
            let g = g
                .as_ref()
                .unwrap_or_else(|| panic!("{what}: point {i} missing"));
            assert_eq!(
                g.payload.as_deref(),
                Some(texts[i]),
                "{what}: payload of point {i}"
            );
        }
        let hits = c
            .search_batch_raw(&[1.0, 1.0], &SearchParams::new(1).with_payload(true))
            .unwrap();
        assert_eq!(
            hits[0][0].payload.as_deref(),
            Some(texts[1]),
            "{what}: search hit"
        );
    };
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection("p", CollectionConfig::new(2, Metric::Euclidean))
        .unwrap();
    c.upsert_json(&ids, &vectors, &payloads).unwrap();
    check(&c, "appendable segment");
    // `null` means no payload; other non-objects are refused, naming the point.
    c.upsert_json(&[100], &[9.0, 9.0], &[Some(b"null")])
        .unwrap();
    assert_eq!(
        c.get_raw(&[100]).unwrap()[0].as_ref().unwrap().payload,
        None
    );
    for bad in [&b"[1, 2]"[..], b"\"text\"", b"42", b"true", b"{\"a\": 1"] {
        let e = expect_err(
            c.upsert_json(&[7, 200], &[0.0, 0.0, 1.0, 1.0], &[None, Some(bad)]),
            "non-object payload",
        );
        assert_eq!(kind(&e), "InvalidArgument", "{e}");
        let m = e.to_string();
        assert!(
            m.contains("point 200") && m.contains("batch index 1"),
            "{m}"
        );
        assert!(
            c.get_raw(&[7, 200]).unwrap().iter().all(Option::is_none),
            "nothing written"
        );
    }
    let e = expect_err(
        c.upsert(&[Point::new(300, vec![0.0, 0.0]).with_payload(json!([1]))]),
        "array payload",
    );
    assert!(e.to_string().contains("must be a JSON object"), "{e}");
    c.optimize().unwrap();
    check(&c, "sealed segment");
    drop(c);
    db.close().unwrap();
    let db = Database::open(tmp.path()).unwrap();
    check(&db.collection("p").unwrap(), "after reopen");
}
