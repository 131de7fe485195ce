//! Close and reopen: everything comes back identical; the directory lock; the
//! saved graph is what a reopened collection searches.

use crate::common::util::{
    assert_err, assert_same_points, collection_dir, dump, graph_file_name, graph_probe_params,
    wordnet_db, Rng, TempDir, WORDNET_COLLECTION,
};
use quiver::{
    CollectionConfig, Database, Filter, HnswConfig, Metric, Point, ScoredPoint, SearchParams,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

const DIM: usize = 24;

/// Everything observable about a database, for before/after comparisons.
#[derive(Debug)]
struct Snapshot {
    names: Vec<String>,
    counts: Vec<usize>,
    points: Vec<BTreeMap<u64, Point>>,
    /// `get` of ids 0..2000 (missing ones included) of collection "vec".
    gets: Vec<Option<Point>>,
    searches: Vec<Vec<ScoredPoint>>,
}

fn queries() -> Vec<Vec<f32>> {
    let mut rng = Rng::new(99);
    (0..30).map(|_| rng.vector(DIM)).collect()
}

fn snapshot(db: &Database) -> Snapshot {
    let names = db.list_collections().unwrap();
    let mut counts = Vec::new();
    let mut points = Vec::new();
    for n in &names {
        let c = db.collection(n).unwrap();
        counts.push(c.count().unwrap());
        let d = dump(&c);
        assert_eq!(d.len(), c.count().unwrap(), "{n}: count agrees with scroll");
        points.push(d);
    }
    let c = db.collection("vec").unwrap();
    let all: Vec<u64> = (0..2000).collect();
    let gets = c.get(&all).unwrap();
    let tag_a = Filter::from_json(&json!({"field": "tag", "eq": "a"})).unwrap();
    let nested = Filter::from_json(
        &json!({"and": [{"field": "nested.x", "gte": 3}, {"not": {"field": "tag", "eq": "c"}}]}),
    )
    .unwrap();
    let mut searches = Vec::new();
    for q in queries() {
        searches.push(c.search(&q, &SearchParams::new(10)).unwrap());
        searches.push(
            c.search(&q, &SearchParams::new(10).ef(100).with_payload(true))
                .unwrap(),
        );
        searches.push(c.search(&q, &SearchParams::new(10).exact(true)).unwrap());
        searches.push(
            c.search(&q, &SearchParams::new(5).filter(tag_a.clone()))
                .unwrap(),
        );
        searches.push(
            c.search(
                &q,
                &SearchParams::new(7)
                    .filter(nested.clone())
                    .with_payload(true),
            )
            .unwrap(),
        );
    }
    let flat: Vec<f32> = queries().concat();
    searches.extend(c.search_batch(&flat, &SearchParams::new(3)).unwrap());
    let e = db.collection("euc").unwrap();
    searches.push(e.search(&[0.5; 5], &SearchParams::new(10)).unwrap());
    Snapshot {
        names,
        counts,
        points,
        gets,
        searches,
    }
}

#[track_caller]
fn assert_same_snapshot(after: &Snapshot, before: &Snapshot, what: &str) {
    assert_eq!(after.names, before.names, "{what}: collections");
    assert_eq!(after.counts, before.counts, "{what}: counts");
    for (i, (a, b)) in after.points.iter().zip(&before.points).enumerate() {
        assert_same_points(a, b, &format!("{what}: collection {}", before.names[i]));
    }
    assert_eq!(after.gets, before.gets, "{what}: get of ids 0..2000");
    for (i, (a, b)) in after.searches.iter().zip(&before.searches).enumerate() {
        assert_eq!(a, b, "{what}: search {i} differs");
    }
    assert_eq!(after.searches.len(), before.searches.len());
}

fn payload(i: u64) -> Option<serde_json::Value> {
    if i.is_multiple_of(5) {
        None
    } else {
        let tag = ["a", "b", "c"][(i % 3) as usize];
        Some(json!({"i": i, "tag": tag, "nested": {"x": i % 10}, "f": i as f64 / 7.0}))
    }
}

/// Fills a fresh database: a cosine collection with upserts, deletes and
/// overwrites, a small euclidean one, a metadata-only one.
fn fill(db: &Database) {
    let c = db
        .create_collection(
            "vec",
            CollectionConfig::new(DIM, Metric::Cosine).with_hnsw(HnswConfig {
                m: 8,
                ef_construction: 64,
                ef_search: 32,
            }),
        )
        .unwrap();
    let mut rng = Rng::new(5);
    for start in (0..1500u64).step_by(250) {
        let pts: Vec<Point> = (start..start + 250)
            .map(|i| Point {
                id: i,
                vector: rng.vector(DIM),
                payload: payload(i),
                sparse: vec![],
            })
            .collect();
        c.upsert(&pts).unwrap();
    }
    let del: Vec<u64> = (0..1500)
        .filter(|i| i % 7 == 0)
        .chain([5000, 5001])
        .collect();
    assert_eq!(c.delete(&del).unwrap(), del.len() - 2);
    // Overwrites, and re-inserts of some deleted ids.
    let over: Vec<Point> = (1000..1100)
        .chain((0..100).filter(|i| i % 7 == 0))
        .map(|i| {
            Point::new(i, rng.vector(DIM))
                .with_payload(json!({"i": i, "tag": "a", "over": true, "nested": {"x": 9}}))
        })
        .collect();
    c.upsert(&over).unwrap();
    let flat_ids: Vec<u64> = (1500..1520).collect();
    let flat_vecs: Vec<f32> = (0..20 * DIM).map(|_| rng.f32()).collect();
    c.upsert_flat(&flat_ids, &flat_vecs, None).unwrap();

    let e = db
        .create_collection("euc", CollectionConfig::new(5, Metric::Euclidean))
        .unwrap();
    e.upsert(
        &(0..10)
            .map(|i| Point::new(i, vec![i as f32 / 10.0; 5]))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    e.delete(&[3]).unwrap();

    let m = db
        .create_collection("meta", CollectionConfig::metadata_only())
        .unwrap();
    m.upsert(
        &(0..50)
            .map(|i| Point {
                id: i * 1000,
                vector: vec![],
                payload: payload(i + 1),
                sparse: vec![],
            })
            .collect::<Vec<_>>(),
    )
    .unwrap();
}

/// More changes on a reopened database.
fn more(db: &Database) {
    let c = db.collection("vec").unwrap();
    let mut rng = Rng::new(6);
    let pts: Vec<Point> = (1600..1800)
        .map(|i| Point {
            id: i,
            vector: rng.vector(DIM),
            payload: payload(i),
            sparse: vec![],
        })
        .collect();
    c.upsert(&pts).unwrap();
    c.delete(&(1..300).step_by(3).collect::<Vec<u64>>())
        .unwrap();
    c.upsert(&[Point::new(1, rng.vector(DIM)).with_payload(json!({"tag": "b", "again": 1}))])
        .unwrap();
    db.collection("meta").unwrap().delete(&[0, 1000]).unwrap();
}

fn round_trip(tag: &str, explicit_close: bool) {
    let tmp = TempDir::new(tag);
    let dir = tmp.join("db");
    let finish = |db: Database| {
        if explicit_close {
            db.close().unwrap();
        } else {
            drop(db);
        }
    };

    let db = Database::open(&dir).expect("open creates the directory");
    fill(&db);
    let before = snapshot(&db);
    assert_eq!(before.names, vec!["euc", "meta", "vec"]);
    finish(db);

    let db = Database::open(&dir).unwrap();
    let after = snapshot(&db);
    assert_same_snapshot(&after, &before, "first reopen");

    // Keep working on the reopened database, then reopen again.
    more(&db);
    let before2 = snapshot(&db);
    assert_ne!(before2.counts, before.counts);
    finish(db);
    let db = Database::open(&dir).unwrap();
    assert_same_snapshot(&snapshot(&db), &before2, "second reopen");

    // A reopen with no change in between changes nothing either.
    finish(db);
    let db = Database::open(&dir).unwrap();
    assert_same_snapshot(&snapshot(&db), &before2, "third reopen");
    db.close().unwrap();
}

#[test]
fn reopen_after_close_is_identical() {
    round_trip("persist-close", true);
}

#[test]
fn reopen_after_drop_without_close_is_identical() {
    round_trip("persist-drop", false);
}

#[test]
fn reopen_after_checkpoint_and_more_writes() {
    let tmp = TempDir::new("persist-ckpt");
    let db = Database::open(tmp.path()).unwrap();
    fill(&db);
    for n in db.list_collections().unwrap() {
        db.collection(&n).unwrap().checkpoint().unwrap();
    }
    // Changes after the checkpoint live in the log only until the close.
    more(&db);
    let before = snapshot(&db);
    drop(db);
    let db = Database::open(tmp.path()).unwrap();
    assert_same_snapshot(&snapshot(&db), &before, "reopen");
}

#[test]
fn second_open_is_locked() {
    let tmp = TempDir::new("persist-lock");
    let dir = tmp.join("db");
    let db = Database::open(&dir).unwrap();
    db.create_collection("c", CollectionConfig::new(2, Metric::Dot))
        .unwrap();
    assert_err(Database::open(&dir), "Locked", "second open");
    assert_err(
        Database::open(dir.join(".")),
        "Locked",
        "second open through another path",
    );
    let link = tmp.join("link");
    std::os::unix::fs::symlink(&dir, &link).unwrap();
    assert_err(
        Database::open(&link),
        "Locked",
        "second open through a symlink",
    );
    // Another directory is not affected.
    let other = Database::open(tmp.join("other")).unwrap();
    drop(other);
    // The first handle still works.
    assert_eq!(db.list_collections().unwrap(), vec!["c"]);
    db.close().unwrap();

    let db = Database::open(&dir).expect("open after close");
    assert_eq!(db.list_collections().unwrap(), vec!["c"]);
    assert_err(
        Database::open(&dir),
        "Locked",
        "second open of the reopened database",
    );
    drop(db);
    let db = Database::open(&link).expect("open after drop");
    assert_eq!(db.list_collections().unwrap(), vec!["c"]);
}

#[test]
fn dropped_collection_stays_dropped() {
    let tmp = TempDir::new("persist-dropcoll");
    let db = Database::open(tmp.path()).unwrap();
    let g = db
        .create_collection("gone", CollectionConfig::new(3, Metric::Euclidean))
        .unwrap();
    g.upsert(&[Point::new(1, vec![1., 2., 3.])]).unwrap();
    let k = db
        .create_collection("kept", CollectionConfig::new(3, Metric::Euclidean))
        .unwrap();
    k.upsert(&[Point::new(1, vec![1., 2., 3.])]).unwrap();
    db.drop_collection("gone").unwrap();
    drop((g, k));
    db.close().unwrap();

    let db = Database::open(tmp.path()).unwrap();
    assert_eq!(db.list_collections().unwrap(), vec!["kept"]);
    assert_err(
        db.collection("gone"),
        "NotFound",
        "dropped collection after reopen",
    );
    let g = db
        .create_collection("gone", CollectionConfig::new(2, Metric::Dot))
        .unwrap();
    assert_eq!(g.count().unwrap(), 0);
    assert_eq!(g.get(&[1]).unwrap(), vec![None]);
    drop(g);
    drop(db);
    let db = Database::open(tmp.path()).unwrap();
    let g = db.collection("gone").unwrap();
    assert_eq!(
        (g.count().unwrap(), g.config().dimension, g.config().metric),
        (0, 2, Metric::Dot)
    );
}

#[test]
fn config_survives_reopen() {
    let tmp = TempDir::new("persist-config");
    let hnsw = HnswConfig {
        m: 5,
        ef_construction: 77,
        ef_search: 33,
    };
    let configs = [
        (
            "a",
            CollectionConfig::new(7, Metric::Hamming).with_hnsw(hnsw),
        ),
        ("b", CollectionConfig::new(65_536, Metric::Jaccard)),
        ("c", CollectionConfig::new(1, Metric::Dot)),
        ("d", CollectionConfig::new(3, Metric::Euclidean)),
        ("e", CollectionConfig::new(3, Metric::Cosine)),
        ("f", CollectionConfig::metadata_only()),
    ];
    let db = Database::open(tmp.path()).unwrap();
    for (n, c) in &configs {
        db.create_collection(n, c.clone()).unwrap();
    }
    db.close().unwrap();
    let db = Database::open(tmp.path()).unwrap();
    for (n, c) in &configs {
        assert_eq!(&db.collection(n).unwrap().config(), c, "config of {n}");
    }
}

/// The WordNet collection was built, searched, closed and reopened (see
/// `wordnet_db`): the reopened collection answers exactly as before, also
/// at tiny `ef` where the answer depends on the graph's exact links — which
/// a rebuilt graph would not reproduce (inserts run in parallel).
#[test]
fn wordnet_reopen_uses_saved_graph() {
    let w = wordnet_db();
    assert_eq!(w.coll.count().unwrap(), w.data.n);
    for (pi, p) in graph_probe_params().iter().enumerate() {
        for q in 0..w.data.nq {
            let r = w.coll.search(w.raw_query(q), p).unwrap();
            assert_eq!(
                r, w.before_close[pi][q],
                "params {p:?}, query {q}: results differ after reopen"
            );
        }
    }
    let cdir = collection_dir(w.dir(), WORDNET_COLLECTION);
    let graph = cdir.join(graph_file_name(&cdir));
    let len = std::fs::metadata(&graph).map(|m| m.len()).unwrap_or(0);
    // Layer 0 alone holds (1 + 2m) u32 per node.
    let min = (w.data.n * (1 + 2 * 16) * 4) as u64;
    assert!(
        len >= min,
        "{}: {len} bytes, a saved graph of {} nodes needs >= {min}",
        graph.display(),
        w.data.n
    );
    check_files(w.dir(), WORDNET_COLLECTION);
}

/// The documented files of a collection are all there.
fn check_files(db: &Path, name: &str) {
    let dir = collection_dir(db, name);
    let graph = graph_file_name(&dir);
    let seg = graph.trim_end_matches("/graph.qv");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    for prefix in ["manifest-", "log-"] {
        assert!(
            names
                .iter()
                .any(|n| n.starts_with(prefix) && n.ends_with(".qv")),
            "{}: no {prefix}*.qv in {names:?}",
            dir.display()
        );
    }
    for f in [
        "collection.json".to_owned(),
        format!("{seg}/ids.qv"),
        format!("{seg}/vectors.qv"),
        format!("{seg}/payloads.qv"),
        graph.clone(),
    ] {
        assert!(dir.join(&f).is_file(), "{} missing", dir.join(&f).display());
    }
    assert!(db.join("LOCK").exists(), "LOCK file");
}

/// Closing releases the lock at once even while the process spawns child
/// processes (a child briefly holds copies of every descriptor between fork
/// and exec; with flock, the lock must be released explicitly, not just by
/// closing the descriptor).
#[test]
fn close_releases_the_lock_while_processes_are_spawned() {
    let tmp = TempDir::new("persist-lock-spawn");
    let dir = tmp.join("db");
    Database::open(&dir).unwrap().close().unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut locked = 0;
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = std::process::Command::new("true").status();
                }
            });
        }
        for i in 0..300 {
            match Database::open(&dir) {
                Ok(db) => {
                    if i % 2 == 0 {
                        db.close().unwrap();
                    } else {
                        drop(db);
                    }
                }
                Err(quiver::Error::Locked(_)) => locked += 1,
                Err(e) => panic!("open {i}: {e}"),
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    assert_eq!(
        locked, 0,
        "{locked} of 300 reopens right after a close failed with Locked"
    );
}

/// `SyncPolicy::Never` skips the fsyncs, not the writes: a clean close or a
/// drop still leaves everything on disk.
#[test]
fn sync_never_persists_on_close_and_drop() {
    use quiver::{DatabaseOptions, SyncPolicy};
    let tmp = TempDir::new("persist-sync-never");
    let opts = DatabaseOptions {
        sync: SyncPolicy::Never,
        ..DatabaseOptions::default()
    };
    let db = Database::open_with(tmp.path(), opts).unwrap();
    fill(&db);
    let before = snapshot(&db);
    db.close().unwrap();
    let db = Database::open_with(tmp.path(), opts).unwrap();
    assert_same_snapshot(&snapshot(&db), &before, "reopen after close");
    more(&db);
    let before = snapshot(&db);
    drop(db);
    let db = Database::open(tmp.path()).unwrap();
    assert_same_snapshot(&snapshot(&db), &before, "reopen after drop");
}

/// A stored point the saved graph lacks is indexed again on open: with the
/// graph file deleted, the reopened collection rebuilds it from the stored
/// vectors and searches as well as the original.
#[test]
fn missing_graph_is_rebuilt_from_stored_vectors() {
    let tmp = TempDir::new("persist-missing-graph");
    let data = crate::common::wordnet::load(&crate::common::wordnet::sample_dir(), false).unwrap();
    let n = 2000;
    let ids: Vec<u64> = (0..n as u64).collect();
    {
        let db = Database::open(tmp.path()).unwrap();
        let c = db
            .create_collection("g", CollectionConfig::new(data.dim, Metric::Cosine))
            .unwrap();
        c.upsert_flat(&ids, &data.base[..n * data.dim], None)
            .unwrap();
        c.optimize().unwrap();
        db.close().unwrap();
    }
    let cdir = collection_dir(tmp.path(), "g");
    let graph = graph_file_name(&cdir);
    std::fs::remove_file(cdir.join(&graph)).unwrap();
    let db = Database::open(tmp.path()).unwrap();
    let c = db.collection("g").unwrap();
    assert_eq!(c.count().unwrap(), n);
    let rebuilt = c.stats().unwrap().rebuilt_on_open;
    assert!(
        rebuilt.len() == 1 && rebuilt[0].contains("graph rebuilt"),
        "the rebuild is reported in stats: {rebuilt:?}"
    );
    assert!(cdir.join(&graph).is_file(), "the rebuilt graph is saved");
    let (mut hits, mut total) = (0, 0);
    for q in 0..data.nq {
        let query = data.query(q);
        let exact = c.search(query, &SearchParams::new(10).exact(true)).unwrap();
        let approx = c.search(query, &SearchParams::new(10)).unwrap();
        total += exact.len();
        hits += approx
            .iter()
            .filter(|h| exact.iter().any(|e| e.id == h.id))
            .count();
    }
    let recall = hits as f64 / total as f64;
    assert!(
        recall >= 0.95,
        "recall@10 after rebuilding the graph: {recall}"
    );
    // The next checkpoint saves the rebuilt graph again.
    db.close().unwrap();
    assert!(!graph_file_name(&cdir).is_empty());
}
