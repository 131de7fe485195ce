//! Search quality on real embeddings: the WordNet sample (5,000 384-d
//! vectors, 100 queries, exact top-100 ground truth) in a cosine collection
//! with the default parameters.

use crate::common::util::{assert_exact_topk, ids, wordnet_db};
use crate::common::wordnet::recall_at;
use quiver::{Filter, SearchParams};
use serde_json::json;

/// Mean recall@k over all queries at `params`, and the queries below 0.8.
fn recall_over_queries(params: &SearchParams, k: usize) -> (f64, Vec<(usize, f64)>) {
    let w = wordnet_db();
    let mut sum = 0.0;
    let mut low = Vec::new();
    for q in 0..w.data.nq {
        let r = w.coll.search(w.raw_query(q), params).unwrap();
        assert_eq!(r.len(), k, "query {q}: {} hits", r.len());
        // Every hit carries its true score, best first, no id twice.
        let truth: Vec<(u64, f32)> = r
            .iter()
            .map(|h| (h.id, w.scores[q * w.data.n + h.id as usize]))
            .collect();
        for (i, h) in r.iter().enumerate() {
            assert!(
                (h.score - truth[i].1).abs() < 1e-4,
                "query {q} hit {i}: score {} vs true {}",
                h.score,
                truth[i].1
            );
            if i > 0 {
                assert!(r[i - 1].score >= h.score, "query {q}: hits out of order");
                assert!(
                    !r[..i].iter().any(|p| p.id == h.id),
                    "query {q}: id {} twice",
                    h.id
                );
            }
        }
        let rec = recall_at(&ids(&r), w.data.gt_row(q), k);
        sum += rec;
        if rec < 0.8 {
            low.push((q, rec));
        }
    }
    (sum / w.data.nq as f64, low)
}

#[test]
fn ground_truth_matches_the_sample() {
    // The test's own brute force agrees with the shipped ground truth, so the
    // checks below measure the engine, not a mismatch of conventions.
    let w = wordnet_db();
    for q in 0..w.data.nq {
        let gt = w.data.gt_row(q);
        let best = w
            .truth(q, |_| true)
            .iter()
            .map(|t| t.1)
            .fold(f32::MIN, f32::max);
        let s0 = w.scores[q * w.data.n + gt[0] as usize];
        assert!(
            (s0 - best).abs() < 1e-4,
            "query {q}: gt[0] = {} has cosine {s0}, the best is {best}",
            gt[0]
        );
        let s9 = w.scores[q * w.data.n + gt[9] as usize];
        assert!(s9 <= s0 + 1e-6);
    }
}

#[test]
fn recall_at_10_with_default_ef() {
    let (mean, low) = recall_over_queries(&SearchParams::new(10), 10);
    eprintln!("WordNet recall@10 at the default ef: {mean:.4}; queries below 0.8: {low:?}");
    assert!(
        mean >= 0.95,
        "mean recall@10 {mean:.4} < 0.95 (queries below 0.8: {low:?})"
    );
    assert!(
        low.len() <= 3,
        "{} queries with recall@10 < 0.8: {low:?}",
        low.len()
    );
}

#[test]
fn recall_grows_with_ef() {
    let (base, _) = recall_over_queries(&SearchParams::new(10), 10);
    let (high, low) = recall_over_queries(&SearchParams::new(10).ef(256), 10);
    eprintln!("WordNet recall@10 at ef 256: {high:.4}");
    assert!(high >= 0.99, "recall@10 at ef 256 is {high:.4}");
    assert!(
        high >= base,
        "ef 256 ({high:.4}) worse than the default ({base:.4})"
    );
    assert!(low.is_empty(), "queries below 0.8 at ef 256: {low:?}");
    // k = 1 and k = 50 work too.
    let (r1, _) = recall_over_queries(&SearchParams::new(1).ef(64), 1);
    assert!(r1 >= 0.95, "recall@1 {r1:.4}");
    let (r50, _) = recall_over_queries(&SearchParams::new(50), 50);
    assert!(r50 >= 0.9, "recall@50 at ef = k: {r50:.4}");
}

#[test]
fn exact_search_equals_ground_truth() {
    let w = wordnet_db();
    for q in 0..w.data.nq {
        let truth = w.truth(q, |_| true);
        for k in [1, 10, 100] {
            let r = w
                .coll
                .search(w.raw_query(q), &SearchParams::new(k).exact(true))
                .unwrap();
            assert_exact_topk(&r, &truth, k, true, 1e-4, &format!("exact query {q} k {k}"));
            // Against the shipped ground truth, allowing ties at the boundary.
            let kth = r[k - 1].score;
            for g in &w.data.gt_row(q)[..k] {
                let s = w.scores[q * w.data.n + *g as usize];
                assert!(
                    r.iter().any(|h| h.id == *g as u64) || (s - kth).abs() < 1e-4,
                    "exact query {q} k {k}: ground-truth id {g} (cosine {s}) missing, k-th score {kth}"
                );
            }
        }
    }
}

#[test]
fn batch_search_equals_single_searches() {
    let w = wordnet_db();
    let nq = w.data.nq;
    let flat: Vec<f32> = (0..nq).flat_map(|q| w.raw_query(q).to_vec()).collect();
    let filter = Filter::from_json(&json!({"field": "qv_n", "lt": 300})).unwrap();
    let params = [
        SearchParams::new(10),
        SearchParams::new(7).ef(100).with_payload(true),
        SearchParams::new(10).exact(true),
        SearchParams::new(5).filter(filter),
    ];
    for (pi, p) in params.iter().enumerate() {
        let batch = w.coll.search_batch(&flat, p).unwrap();
        assert_eq!(batch.len(), nq, "params {pi}: one result list per query");
        for (q, got) in batch.iter().enumerate() {
            let single = w.coll.search(w.raw_query(q), p).unwrap();
            assert_eq!(
                got, &single,
                "params {pi} query {q}: batch differs from single search"
            );
        }
    }
    // One query, and no query at all.
    let one = w
        .coll
        .search_batch(w.raw_query(3), &SearchParams::new(4))
        .unwrap();
    assert_eq!(
        one,
        vec![w
            .coll
            .search(w.raw_query(3), &SearchParams::new(4))
            .unwrap()]
    );
    let none = w.coll.search_batch(&[], &SearchParams::new(4)).unwrap();
    assert!(none.is_empty());
}

#[test]
fn payloads_in_hits_are_the_stored_ones() {
    let w = wordnet_db();
    for q in 0..10 {
        let r = w
            .coll
            .search(w.raw_query(q), &SearchParams::new(10).with_payload(true))
            .unwrap();
        for h in &r {
            assert_eq!(
                h.payload.as_ref(),
                Some(&w.payloads[h.id as usize]),
                "query {q} id {}",
                h.id
            );
        }
    }
    let got = w.coll.get(&[0, 4999, 1234]).unwrap();
    for (g, i) in got.iter().zip([0usize, 4999, 1234]) {
        let g = g.as_ref().unwrap();
        assert_eq!(g.payload.as_ref(), Some(&w.payloads[i]));
        let want = &w.unit_base[i * w.data.dim..(i + 1) * w.data.dim];
        let err = g
            .vector
            .iter()
            .zip(want)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(
            err < 1e-5,
            "stored vector {i} is the unit vector (max error {err})"
        );
    }
}
