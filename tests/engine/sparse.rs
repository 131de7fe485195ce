//! Named sparse vectors: stored with the point and apart from it, durable,
//! searched exactly (top-k equal to a brute-force dot product written
//! here) across appendable and sealed segments, with filters, deletes and
//! overwrites; refused when malformed; fused in hybrid queries.

use crate::common::util::{assert_err, dump, Rng, TempDir};
use quiver::{
    Collection, CollectionConfig, Database, FieldKind, Filter, Fusion, HybridBranch, HybridQuery,
    Metric, PayloadChange, Point, SearchParams, Selection, SparseColumn, SparseQuery, SparseVector,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

const DIM: usize = 4;

/// A random sparse vector over `vocab` indices (unsorted, as a caller
/// might give it), values of either sign.
fn random_sparse(rng: &mut Rng, vocab: u64, nnz: u64) -> SparseVector {
    let mut idx: Vec<u32> = (0..1 + rng.below(nnz))
        .map(|_| rng.below(vocab) as u32)
        .collect();
    idx.sort_unstable();
    idx.dedup();
    idx.reverse();
    let values = idx
        .iter()
        .map(|_| {
            let v = rng.below(1000) as f32 / 97.0 + 0.01;
            if rng.below(5) == 0 {
                -v
            } else {
                v
            }
        })
        .collect();
    SparseVector::new(idx, values)
}

/// The dot product of two vectors (each sorted here), summed in ascending
/// index order.
fn dot(a: &SparseVector, b: &SparseVector) -> Option<f32> {
    let mut pa: Vec<(u32, f32)> = a.indices.iter().copied().zip(a.values.clone()).collect();
    let mut pb: Vec<(u32, f32)> = b.indices.iter().copied().zip(b.values.clone()).collect();
    pa.sort_by_key(|p| p.0);
    pb.sort_by_key(|p| p.0);
    let mut s = 0.0f32;
    let mut shared = false;
    for (i, x) in &pa {
        if let Ok(j) = pb.binary_search_by_key(i, |p| p.0) {
            s += x * pb[j].1;
            shared = true;
        }
    }
    shared.then_some(s)
}

/// What the collection should hold: id -> (group, sparse vectors by name).
type Model = BTreeMap<u64, (u64, BTreeMap<String, SparseVector>)>;

fn brute(
    model: &Model,
    name: &str,
    q: &SparseVector,
    k: usize,
    group: Option<u64>,
) -> Vec<(u64, f32)> {
    let mut all: Vec<(u64, f32)> = model
        .iter()
        .filter(|(_, (g, _))| group.is_none_or(|want| *g == want))
        .filter_map(|(id, (_, vs))| dot(vs.get(name)?, q).map(|s| (*id, s)))
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.truncate(k);
    all
}

fn check(c: &Collection, model: &Model, rng: &mut Rng, what: &str) {
    for round in 0..40 {
        let name = if round % 4 == 3 { "b" } else { "a" };
        let q = random_sparse(rng, 300, 25);
        let k = 1 + (round * 7) % 40;
        let group = (round % 3 == 0).then_some(round as u64 % 3);
        let mut sq = SparseQuery::new(name, q.clone(), k);
        sq.filter = group.map(|g| Filter::eq("g", g as i64));
        let got: Vec<(u64, f32)> = c
            .sparse_search(&sq)
            .unwrap()
            .iter()
            .map(|h| (h.id, h.score))
            .collect();
        let want = brute(model, name, &q, k, group);
        assert_eq!(got.len(), want.len(), "{what}, round {round}: hit count");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(
                g.0, w.0,
                "{what}, round {round}: ids\n got {got:?}\nwant {want:?}"
            );
            assert_eq!(
                g.1.to_bits(),
                w.1.to_bits(),
                "{what}, round {round}: score of {}",
                g.0
            );
        }
    }
}

fn open(dir: &TempDir) -> (Database, Arc<Collection>) {
    let db = Database::open(dir.path()).unwrap();
    let c = match db.collection("s") {
        Ok(c) => c,
        Err(_) => db
            .create_collection("s", CollectionConfig::new(DIM, Metric::Euclidean))
            .unwrap(),
    };
    (db, c)
}

#[test]
fn sparse_search_equals_brute_force_across_segments_and_reopen() {
    let tmp = TempDir::new("sparse-brute");
    let mut rng = Rng::new(7);
    let mut model = Model::new();
    {
        let (_db, c) = open(&tmp);
        let point = |rng: &mut Rng, id: u64| {
            let mut p = Point::new(id, rng.vector(DIM)).with_payload(json!({"g": id % 3}));
            let mut vs = BTreeMap::new();
            if rng.below(8) != 0 {
                let v = random_sparse(rng, 300, 40);
                p = p.with_sparse("a", v.clone());
                vs.insert("a".to_owned(), v);
            }
            if rng.below(3) == 0 {
                let v = random_sparse(rng, 50, 5);
                p = p.with_sparse("b", v.clone());
                vs.insert("b".to_owned(), v);
            }
            (p, vs)
        };
        let mut batch = Vec::new();
        for id in 0..2500u64 {
            let (p, vs) = point(&mut rng, id);
            batch.push(p);
            model.insert(id, (id % 3, vs));
        }
        c.upsert(&batch[..1500]).unwrap();
        c.optimize().unwrap();
        c.upsert(&batch[1500..]).unwrap();
        check(&c, &model, &mut rng, "sealed + appendable");
        // Overwrites (some now without sparse vectors), deletes, and
        // sparse-only updates, in both kinds of segment.
        let mut over = Vec::new();
        for id in (0..2500u64).step_by(7) {
            let (mut p, mut vs) = point(&mut rng, id);
            if id % 2 == 0 {
                p.sparse.clear();
                vs.clear();
            }
            over.push(p);
            model.insert(id, (id % 3, vs));
        }
        c.upsert(&over).unwrap();
        let gone: Vec<u64> = (3..2500u64).step_by(11).collect();
        c.delete(&gone).unwrap();
        for id in &gone {
            model.remove(id);
        }
        let upd: Vec<u64> = (1..2500u64).step_by(13).chain([99_999]).collect();
        let vectors: Vec<Option<SparseVector>> = upd
            .iter()
            .map(|id| (id % 4 != 0).then(|| random_sparse(&mut rng, 300, 30)))
            .collect();
        let n = c.update_sparse(&upd, "a", &vectors).unwrap();
        let mut existing = 0;
        for (id, v) in upd.iter().zip(&vectors) {
            if let Some((_, vs)) = model.get_mut(id) {
                existing += 1;
                match v {
                    Some(v) => vs.insert("a".to_owned(), v.clone()),
                    None => vs.remove("a"),
                };
            }
        }
        assert_eq!(n, existing, "update_sparse counts the points that exist");
        check(&c, &model, &mut rng, "after overwrites, deletes, updates");
        // The same with a keyword index answering the filter.
        c.create_field_index("g", FieldKind::Integer).unwrap();
        check(&c, &model, &mut rng, "with an index on the filtered field");
    }
    // Reopen: the appendable segment comes back from the log.
    {
        let (_db, c) = open(&tmp);
        check(&c, &model, &mut rng, "after reopen");
        c.optimize().unwrap();
        check(&c, &model, &mut rng, "after merging every segment");
        // Get returns each point's vectors, sorted.
        let all = dump(&c);
        assert_eq!(all.len(), model.len());
        for (id, p) in &all {
            let want: Vec<(String, SparseVector)> = model[id]
                .1
                .iter()
                .map(|(n, v)| {
                    let mut pairs: Vec<(u32, f32)> =
                        v.indices.iter().copied().zip(v.values.clone()).collect();
                    pairs.sort_by_key(|p| p.0);
                    let (i, x) = pairs.into_iter().unzip();
                    (n.clone(), SparseVector::new(i, x))
                })
                .collect();
            assert_eq!(p.sparse, want, "point {id}");
        }
        let ids: Vec<u64> = all.keys().copied().take(50).collect();
        let got = c.get_sparse(&ids, "b").unwrap();
        for (id, v) in ids.iter().zip(got) {
            assert_eq!(
                v.is_some(),
                model[id].1.contains_key("b"),
                "get_sparse of {id}"
            );
        }
    }
    // And once more, all sealed now.
    let (_db, c) = open(&tmp);
    check(&c, &model, &mut rng, "after reopen of sealed segments");
}

#[test]
fn payload_updates_keep_sparse_vectors() {
    let tmp = TempDir::new("sparse-payload");
    let (_db, c) = open(&tmp);
    let v = SparseVector::new(vec![3, 1], vec![0.5, 2.0]);
    c.upsert(&[Point::new(1, vec![0.0; DIM])
        .with_payload(json!({"x": 1}))
        .with_sparse("a", v.clone())])
        .unwrap();
    c.update_payload(
        &Selection::Ids(vec![1]),
        PayloadChange::Set(&json!({"y": 2})),
    )
    .unwrap();
    let p = c.get(&[1]).unwrap().remove(0).unwrap();
    assert_eq!(p.payload, Some(json!({"x": 1, "y": 2})));
    assert_eq!(
        p.sparse,
        vec![(
            "a".to_owned(),
            SparseVector::new(vec![1, 3], vec![2.0, 0.5])
        )]
    );
    // A sparse update keeps the payload and the other vectors.
    c.update_sparse(&[1], "b", &[Some(SparseVector::new(vec![9], vec![1.0]))])
        .unwrap();
    let p = c.get(&[1]).unwrap().remove(0).unwrap();
    assert_eq!(p.payload, Some(json!({"x": 1, "y": 2})));
    assert_eq!(p.sparse.len(), 2);
    c.update_sparse(&[1], "a", &[None]).unwrap();
    let p = c.get(&[1]).unwrap().remove(0).unwrap();
    assert_eq!(
        p.sparse,
        vec![("b".to_owned(), SparseVector::new(vec![9], vec![1.0]))]
    );
    let hits = c
        .sparse_search(&SparseQuery::new(
            "a",
            SparseVector::new(vec![1], vec![1.0]),
            5,
        ))
        .unwrap();
    assert!(
        hits.is_empty(),
        "the removed vector is not searched: {hits:?}"
    );
}

#[test]
fn columns_write_what_points_write() {
    let tmp = TempDir::new("sparse-csr");
    let (_db, c) = open(&tmp);
    let ids = [10u64, 11, 12];
    let vectors = vec![0.5f32; 3 * DIM];
    let payloads = [Some(&br#"{"k":1}"#[..]), None, None];
    // Row 1 of "a" is empty: point 11 has no "a" vector.
    let a = SparseColumn {
        name: "a",
        indptr: &[0, 2, 2, 3],
        indices: &[5, 1, 7],
        values: &[1.0, 2.0, 3.0],
    };
    let b = SparseColumn {
        name: "b",
        indptr: &[0, 1, 2, 2],
        indices: &[4, 4],
        values: &[0.25, 0.5],
    };
    c.upsert_json_sparse(&ids, &vectors, &payloads, &[a, b])
        .unwrap();
    let got = c.get(&ids).unwrap();
    let sp = |i: Vec<u32>, v: Vec<f32>| SparseVector::new(i, v);
    assert_eq!(
        got[0].as_ref().unwrap().sparse,
        vec![
            ("a".to_owned(), sp(vec![1, 5], vec![2.0, 1.0])),
            ("b".to_owned(), sp(vec![4], vec![0.25]))
        ]
    );
    assert_eq!(
        got[1].as_ref().unwrap().sparse,
        vec![("b".to_owned(), sp(vec![4], vec![0.5]))]
    );
    assert_eq!(
        got[2].as_ref().unwrap().sparse,
        vec![("a".to_owned(), sp(vec![7], vec![3.0]))]
    );
    // A column update.
    let col = SparseColumn {
        name: "a",
        indptr: &[0, 0, 1],
        indices: &[2],
        values: &[9.0],
    };
    assert_eq!(c.update_sparse_column(&[10, 11], &col).unwrap(), 2);
    let got = c.get_sparse(&[10, 11, 12], "a").unwrap();
    assert_eq!(
        got,
        vec![
            None,
            Some(sp(vec![2], vec![9.0])),
            Some(sp(vec![7], vec![3.0]))
        ]
    );
}

#[test]
fn bad_sparse_input_is_refused_and_changes_nothing() {
    let tmp = TempDir::new("sparse-bad");
    let (_db, c) = open(&tmp);
    c.upsert(&[
        Point::new(1, vec![0.0; DIM]).with_sparse("a", SparseVector::new(vec![1], vec![1.0]))
    ])
    .unwrap();
    let before = dump(&c);
    let bad_points = [
        SparseVector::new(vec![1, 1], vec![1.0, 2.0]),
        SparseVector::new(vec![1, 2], vec![1.0]),
        SparseVector::new(vec![1], vec![f32::INFINITY]),
        SparseVector::new(vec![1, 2], vec![f32::MAX, f32::MAX]),
    ];
    for (i, v) in bad_points.iter().enumerate() {
        let r = c.upsert(&[
            Point::new(2, vec![0.0; DIM]),
            Point::new(3, vec![0.0; DIM]).with_sparse("a", v.clone()),
        ]);
        let e = r.unwrap_err().to_string();
        assert!(e.contains("point 3 (batch index 1)"), "case {i}: {e}");
        assert!(e.contains("\"a\""), "case {i}: {e}");
    }
    let r = c.upsert(&[Point::new(2, vec![0.0; DIM])
        .with_sparse("a", SparseVector::new(vec![1], vec![1.0]))
        .with_sparse("a", SparseVector::new(vec![2], vec![1.0]))]);
    assert!(r.unwrap_err().to_string().contains("given twice"));
    assert_err(
        c.upsert(&[
            Point::new(2, vec![0.0; DIM]).with_sparse("", SparseVector::new(vec![1], vec![1.0]))
        ]),
        "InvalidArgument",
        "empty name",
    );
    let ids = [5u64, 6];
    let v = vec![0.0f32; 2 * DIM];
    type Case<'a> = (&'a [u64], &'a [u32], &'a [f32], &'a str);
    let cases: [Case<'_>; 5] = [
        (
            &[0, 1],
            &[1],
            &[1.0],
            "indptr has 2 entries; a batch of 2 points needs 3",
        ),
        (&[0, 1, 3], &[1, 2], &[1.0, 2.0], "indptr runs from 0 to 3"),
        (
            &[0, 3, 2],
            &[1, 2],
            &[1.0, 2.0],
            "indptr[1] = 3 is past indptr[2] = 2",
        ),
        (&[0, 1, 2], &[1, 2], &[1.0], "2 indices and 1 values"),
        (&[1, 1, 2], &[1, 2], &[1.0, 2.0], "indptr runs from 1 to 2"),
    ];
    for (indptr, indices, values, want) in cases {
        let col = SparseColumn {
            name: "a",
            indptr,
            indices,
            values,
        };
        let e = c
            .upsert_json_sparse(&ids, &v, &[None, None], &[col])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("columns[0] (\"a\")") && e.contains(want),
            "{want}: {e}"
        );
    }
    let col = SparseColumn {
        name: "a",
        indptr: &[0, 1, 2],
        indices: &[1, 2],
        values: &[1.0, 2.0],
    };
    let e = c
        .upsert_json_sparse(&ids, &v, &[None, None], &[col, col])
        .unwrap_err()
        .to_string();
    assert!(e.contains("columns[1]") && e.contains("given twice"), "{e}");
    assert_err(
        c.update_sparse(
            &[1],
            "a",
            &[Some(SparseVector::new(vec![3, 3], vec![1.0, 1.0]))],
        ),
        "InvalidArgument",
        "duplicate index in an update",
    );
    assert_err(
        c.update_sparse(&[1, 2], "a", &[None]),
        "InvalidArgument",
        "vector count",
    );
    // Searches.
    let q = |v: SparseVector, k: usize| SparseQuery::new("a", v, k);
    assert_err(
        c.sparse_search(&q(SparseVector::new(vec![1], vec![1.0]), 0)),
        "InvalidArgument",
        "k 0",
    );
    assert_err(
        c.sparse_search(&q(SparseVector::new(vec![1, 1], vec![1.0, 1.0]), 3)),
        "InvalidArgument",
        "duplicate query index",
    );
    assert_err(
        c.sparse_search(&q(SparseVector::new(vec![1], vec![f32::NAN]), 3)),
        "InvalidArgument",
        "NaN query",
    );
    assert_err(
        c.sparse_search(&SparseQuery::new(
            "",
            SparseVector::new(vec![1], vec![1.0]),
            3,
        )),
        "InvalidArgument",
        "empty name",
    );
    assert_eq!(dump(&c), before, "nothing changed");
    // An unknown name finds nothing; an empty query too.
    let none = c
        .sparse_search(&SparseQuery::new(
            "zzz",
            SparseVector::new(vec![1], vec![1.0]),
            3,
        ))
        .unwrap();
    assert!(none.is_empty());
    assert!(c
        .sparse_search(&q(SparseVector::default(), 3))
        .unwrap()
        .is_empty());
}

#[test]
fn hybrid_dense_and_sparse_equals_rrf_of_the_branches() {
    let tmp = TempDir::new("sparse-hybrid");
    let (_db, c) = open(&tmp);
    let mut rng = Rng::new(3);
    let pts: Vec<Point> = (0..800u64)
        .map(|id| Point::new(id, rng.vector(DIM)).with_sparse("a", random_sparse(&mut rng, 60, 12)))
        .collect();
    c.upsert(&pts[..500]).unwrap();
    c.optimize().unwrap();
    c.upsert(&pts[500..]).unwrap();
    for round in 0..10 {
        let dense = rng.vector(DIM);
        let sq = SparseQuery::new("a", random_sparse(&mut rng, 60, 12), 30);
        let params = SearchParams::new(30).exact(true);
        let d = c.search(&dense, &params).unwrap();
        let s = c.sparse_search(&sq).unwrap();
        let mut want: BTreeMap<u64, f64> = BTreeMap::new();
        for (w, hits) in [(1.0f64, &d), (2.0, &s)] {
            for (r, h) in hits.iter().enumerate() {
                *want.entry(h.id).or_default() += w / (60.0 + r as f64 + 1.0);
            }
        }
        let mut want: Vec<(u64, f64)> = want.into_iter().collect();
        want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        want.truncate(10);
        let q = HybridQuery {
            branches: vec![
                HybridBranch::Dense {
                    vector: dense,
                    params,
                    weight: 1.0,
                },
                HybridBranch::Sparse {
                    query: sq,
                    weight: 2.0,
                },
            ],
            fusion: Fusion::Rrf { k: 60.0 },
            k: 10,
            with_payload: false,
        };
        let got = c.hybrid_search(&q).unwrap();
        let got_ids: Vec<u64> = got.iter().map(|h| h.id).collect();
        let want_ids: Vec<u64> = want.iter().map(|h| h.0).collect();
        assert_eq!(got_ids, want_ids, "round {round}");
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g.score as f64 - w.1).abs() < 1e-6,
                "round {round}: {} vs {}",
                g.score,
                w.1
            );
        }
    }
    let bad = HybridQuery {
        branches: vec![HybridBranch::Sparse {
            query: SparseQuery::new("a", SparseVector::new(vec![1, 1], vec![1.0, 1.0]), 5),
            weight: 1.0,
        }],
        fusion: Fusion::Rrf { k: 60.0 },
        k: 5,
        with_payload: false,
    };
    let e = c.hybrid_search(&bad).unwrap_err().to_string();
    assert!(
        e.contains("branches[0]") && e.contains("given twice"),
        "{e}"
    );
}
