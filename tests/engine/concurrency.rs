//! Readers running next to writers see whole batches only.

use crate::common::util::{assert_same_points, dump, ids, Rng, TempDir};
use quiver::{
    Collection, CollectionConfig, Database, Filter, HnswConfig, Metric, Point, SearchParams,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

const DIM: usize = 16;
const BATCH: u64 = 100;
const BATCHES: u64 = 40;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn collection_is_send_and_sync() {
    assert_send_sync::<Collection>();
    assert_send_sync::<Arc<Collection>>();
}

fn batch_points(b: u64) -> Vec<Point> {
    let mut rng = Rng::new(1000 + b);
    (b * BATCH..(b + 1) * BATCH)
        .map(|id| Point::new(id, rng.vector(DIM)).with_payload(json!({"batch": b, "id": id})))
        .collect()
}

/// Writer `w` of 2 owns the batches `b % 2 == w`; after every fourth of its
/// batches it deletes its batch from four batches back (in one call).
fn writer_ops(w: u64) -> Vec<(u64, bool)> {
    let mut ops = Vec::new();
    for b in (w..BATCHES).step_by(2) {
        ops.push((b, true));
        if b >= 8 && (b / 2) % 4 == 0 {
            ops.push((b - 8, false));
        }
    }
    ops
}

fn by_batch(ids: &[u64]) -> BTreeMap<u64, u64> {
    let mut m = BTreeMap::new();
    for id in ids {
        *m.entry(id / BATCH).or_insert(0) += 1;
    }
    m
}

#[test]
fn readers_never_see_a_partial_batch() {
    let tmp = TempDir::new("concurrency");
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection(
            "c",
            CollectionConfig::new(DIM, Metric::Euclidean).with_hnsw(HnswConfig {
                m: 8,
                ef_construction: 40,
                ef_search: 40,
            }),
        )
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));

    std::thread::scope(|s| {
        let mut writers = Vec::new();
        for w in 0..2u64 {
            let c = c.clone();
            writers.push(s.spawn(move || {
                for (b, up) in writer_ops(w) {
                    if up {
                        c.upsert(&batch_points(b)).unwrap();
                    } else {
                        let ids: Vec<u64> = (b * BATCH..(b + 1) * BATCH).collect();
                        assert_eq!(
                            c.delete(&ids).unwrap(),
                            BATCH as usize,
                            "delete of batch {b}"
                        );
                    }
                    std::thread::yield_now();
                }
            }));
        }
        // A checkpoint now and then, concurrently with everything else.
        {
            let (c, done) = (c.clone(), done.clone());
            s.spawn(move || {
                while !done.load(Ordering::Acquire) {
                    c.checkpoint().unwrap();
                    std::thread::sleep(std::time::Duration::from_millis(3));
                }
            });
        }
        for r in 0..3u64 {
            let (c, done, reads) = (c.clone(), done.clone(), reads.clone());
            s.spawn(move || {
                let mut rng = Rng::new(r);
                let mut iter = 0u64;
                // At least a few rounds even if the writers are quick.
                while !done.load(Ordering::Acquire) || iter < 5 {
                    iter += 1;
                    let n = c.count().unwrap();
                    assert_eq!(
                        n as u64 % BATCH,
                        0,
                        "reader {r}: count {n} is not whole batches"
                    );

                    // One scroll call is one consistent view.
                    let page = c.scroll(None, 1_000_000, None).unwrap();
                    assert_eq!(page.next, None);
                    for (b, k) in by_batch(&page.ids) {
                        assert_eq!(k, BATCH, "reader {r}: scroll sees {k} points of batch {b}");
                    }

                    let b = rng.below(BATCHES);
                    let f = Filter::from_json(&json!({"field": "batch", "eq": b})).unwrap();
                    let got = c.scroll(None, 1000, Some(&f)).unwrap().ids;
                    assert!(
                        matches!(got.len() as u64, 0 | BATCH),
                        "reader {r}: filtered scroll of batch {b}: {} ids",
                        got.len()
                    );
                    if !got.is_empty() {
                        assert_eq!(got, (b * BATCH..(b + 1) * BATCH).collect::<Vec<_>>());
                    }

                    let q = rng.vector(DIM);
                    let hits = c
                        .search(
                            &q,
                            &SearchParams::new(BATCH as usize)
                                .exact(true)
                                .filter(f.clone()),
                        )
                        .unwrap();
                    assert!(
                        hits.is_empty() || hits.len() as u64 == BATCH,
                        "reader {r}: exact filtered search of batch {b}: {} hits",
                        hits.len()
                    );

                    let want: Vec<u64> = (b * BATCH..(b + 1) * BATCH).collect();
                    let pts = c.get(&want).unwrap();
                    let present = pts.iter().filter(|p| p.is_some()).count();
                    assert!(
                        present == 0 || present == BATCH as usize,
                        "reader {r}: get sees {present} points of batch {b}"
                    );
                    if present > 0 {
                        let expect = batch_points(b);
                        for (p, e) in pts.iter().zip(&expect) {
                            assert_eq!(p.as_ref(), Some(e), "reader {r}: point of batch {b}");
                        }
                    }

                    let before = c.count().unwrap();
                    let hits = c.search(&q, &SearchParams::new(10)).unwrap();
                    assert!(hits.len() <= 10);
                    if before >= 1000 {
                        assert_eq!(
                            hits.len(),
                            10,
                            "reader {r}: {before} points, {} hits",
                            hits.len()
                        );
                    }
                    let hit_ids = ids(&hits);
                    for (i, h) in hits.iter().enumerate() {
                        assert!(h.id < BATCHES * BATCH);
                        assert!(
                            !hit_ids[..i].contains(&h.id),
                            "reader {r}: id {} twice",
                            h.id
                        );
                        assert!(
                            i == 0 || hits[i - 1].score <= h.score,
                            "reader {r}: hits out of order"
                        );
                    }
                    let qs: Vec<f32> = (0..4 * DIM).map(|_| rng.f32()).collect();
                    let res = c.search_batch(&qs, &SearchParams::new(5)).unwrap();
                    assert_eq!(res.len(), 4);
                    reads.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        let results: Vec<_> = writers.into_iter().map(|w| w.join()).collect();
        // Stop the readers before a writer's panic is passed on.
        done.store(true, Ordering::Release);
        for r in results {
            if let Err(p) = r {
                std::panic::resume_unwind(p);
            }
        }
    });
    assert!(reads.load(Ordering::Relaxed) >= 15, "readers ran");

    // The final state is every batch not deleted.
    let mut want = BTreeMap::new();
    for w in 0..2 {
        for (b, up) in writer_ops(w) {
            for p in batch_points(b) {
                if up {
                    want.insert(p.id, p);
                } else {
                    want.remove(&p.id);
                }
            }
        }
    }
    assert_eq!(c.count().unwrap(), want.len());
    assert_same_points(&dump(&c), &want, "after the writers");
    drop(c);
    db.close().unwrap();
    let db = Database::open(tmp.path()).unwrap();
    assert_same_points(&dump(&db.collection("c").unwrap()), &want, "after a reopen");
}

#[test]
fn concurrent_searches_agree_with_serial_ones() {
    let tmp = TempDir::new("concurrency-search");
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection("c", CollectionConfig::new(DIM, Metric::Cosine))
        .unwrap();
    let mut rng = Rng::new(77);
    let pts: Vec<Point> = (0..2000).map(|i| Point::new(i, rng.vector(DIM))).collect();
    // Parallel upserts of disjoint parts.
    std::thread::scope(|s| {
        for part in pts.chunks(250) {
            let c = c.clone();
            s.spawn(move || c.upsert(part).unwrap());
        }
    });
    assert_eq!(c.count().unwrap(), 2000);
    let queries: Vec<Vec<f32>> = (0..40).map(|_| rng.vector(DIM)).collect();
    let serial: Vec<_> = queries
        .iter()
        .map(|q| c.search(q, &SearchParams::new(10)).unwrap())
        .collect();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (c, queries, serial) = (c.clone(), &queries, &serial);
            s.spawn(move || {
                for round in 0..3 {
                    for (i, q) in queries.iter().enumerate().skip(t) {
                        let r = c.search(q, &SearchParams::new(10)).unwrap();
                        assert_eq!(&r, &serial[i], "thread {t} round {round} query {i}");
                    }
                }
            });
        }
    });
}
