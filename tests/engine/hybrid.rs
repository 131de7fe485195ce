//! Hybrid search (dense + text branches) and multi-query search on the
//! WordNet sample: the fused rankings equal the fusion formulas computed
//! here, independently of the library's fusion code, from the branches'
//! own results; bad queries are refused.

use crate::common::util::{assert_err, TempDir};
use crate::common::wordnet;
use quiver::{
    Collection, CollectionConfig, Database, Filter, Fusion, HybridBranch, HybridQuery, Metric,
    MultiFusion, Point, SearchParams, TextConfig, TextQuery,
};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

const K: usize = 10;
const DEPTH: usize = 40;

fn build(tmp: &TempDir, metric: Metric) -> (Database, Arc<Collection>, wordnet::Wordnet) {
    let d = wordnet::load(&wordnet::sample_dir(), true).expect("sample");
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection("h", CollectionConfig::new(d.dim, metric))
        .unwrap();
    c.create_text_index("words", TextConfig::default()).unwrap();
    c.create_text_index("text", TextConfig::default()).unwrap();
    let pts: Vec<Point> = (0..d.n)
        .map(|i| Point::new(i as u64, d.base_vec(i).to_vec()).with_payload(d.payloads[i].clone()))
        .collect();
    c.upsert(&pts[..3000]).unwrap();
    c.optimize().unwrap();
    c.upsert(&pts[3000..]).unwrap();
    (db, c, d)
}

fn texts() -> Vec<String> {
    std::fs::read_to_string(wordnet::sample_dir().join("relevance.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// A branch's hits best first, whether higher is better, its weight.
type Ranked = (Vec<(u64, f32)>, bool, f64);

/// The fusion formulas of `quiver::fusion`, written again here in f64.
fn fused(branches: &[Ranked], fusion: Fusion) -> Vec<(u64, f64)> {
    let mut total: HashMap<u64, f64> = HashMap::new();
    for (hits, higher, w) in branches {
        let o: Vec<f64> = hits
            .iter()
            .map(|h| {
                if *higher {
                    f64::from(h.1)
                } else {
                    -f64::from(h.1)
                }
            })
            .collect();
        let n = o.len() as f64;
        let (min, max) = o
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        let mean = o.iter().sum::<f64>() / n;
        let sd = (o.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt();
        for (rank, (h, &x)) in hits.iter().zip(&o).enumerate() {
            let c = match fusion {
                Fusion::Rrf { k } => 1.0 / (f64::from(k) + rank as f64 + 1.0),
                Fusion::RelativeScore if max > min => (x - min) / (max - min),
                Fusion::RelativeScore => 1.0,
                Fusion::Dbsf if max > min => ((x - (mean - 3.0 * sd)) / (6.0 * sd)).clamp(0.0, 1.0),
                Fusion::Dbsf => 1.0,
                Fusion::Weighted => x,
            };
            *total.entry(h.0).or_default() += w * c;
        }
    }
    let mut v: Vec<(u64, f64)> = total.into_iter().collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(K);
    v
}

/// Same scores position by position; the same ids except among equal
/// scores.
fn same_ranking(got: &[(u64, f32)], want: &[(u64, f64)], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let by_id: HashMap<u64, f64> = want.iter().copied().collect();
    for (i, (&(id, s), &(wid, ws))) in got.iter().zip(want).enumerate() {
        let tol = 1e-5 * ws.abs().max(1.0);
        assert!(
            (f64::from(s) - ws).abs() <= tol,
            "{what}: position {i}: {id} {s} vs {wid} {ws}"
        );
        if id != wid {
            let r = by_id.get(&id).copied().unwrap_or(f64::NAN);
            assert!(
                (r - ws).abs() <= tol,
                "{what}: position {i}: {id} instead of {wid}"
            );
        }
    }
}

fn pairs(h: &[quiver::ScoredPoint]) -> Vec<(u64, f32)> {
    h.iter().map(|p| (p.id, p.score)).collect()
}

#[test]
fn fused_rankings_equal_the_formulas() {
    for metric in [Metric::Cosine, Metric::Euclidean] {
        let tmp = TempDir::new("hybrid");
        let (_db, c, d) = build(&tmp, metric);
        let texts = texts();
        let noun = Filter::eq("pos", "noun");
        for (q, text) in texts.iter().enumerate().take(d.nq.min(40)) {
            let v = d.query(q).to_vec();
            let dense_p = SearchParams::new(DEPTH).ef(64);
            let text_q = TextQuery {
                fields: vec![("words".into(), 1.0), ("text".into(), 0.5)],
                ..TextQuery::new(text, "words", DEPTH)
            };
            // A filter on the text branch in one query in four.
            let text_q = if q % 4 == 0 {
                TextQuery {
                    filter: Some(noun.clone()),
                    ..text_q
                }
            } else {
                text_q
            };
            let dense = pairs(&c.search(&v, &dense_p).unwrap());
            let text = pairs(&c.text_search(&text_q).unwrap());
            for fusion in [
                Fusion::Rrf { k: 60.0 },
                Fusion::Rrf { k: 5.0 },
                Fusion::RelativeScore,
                Fusion::Dbsf,
                Fusion::Weighted,
            ] {
                for (wd, wt) in [(1.0, 1.0), (0.3, 1.7)] {
                    let want = fused(
                        &[
                            (dense.clone(), metric == Metric::Cosine, wd),
                            (text.clone(), true, wt),
                        ],
                        fusion,
                    );
                    let got = c
                        .hybrid_search(&HybridQuery {
                            branches: vec![
                                HybridBranch::Dense {
                                    vector: v.clone(),
                                    params: dense_p.clone(),
                                    weight: wd as f32,
                                },
                                HybridBranch::Text {
                                    query: text_q.clone(),
                                    weight: wt as f32,
                                },
                            ],
                            fusion,
                            k: K,
                            with_payload: q == 0,
                        })
                        .unwrap();
                    if q == 0 {
                        for h in &got {
                            assert_eq!(h.payload.as_ref(), Some(&d.payloads[h.id as usize]));
                        }
                    }
                    same_ranking(
                        &pairs(&got),
                        &want,
                        &format!("{metric:?} query {q} {fusion:?} {wd}/{wt}"),
                    );
                }
            }
            // Multi-query: this query and two neighbours' vectors.
            let vs: Vec<Vec<f32>> = (0..3).map(|j| d.query((q + j) % d.nq).to_vec()).collect();
            let lists: Vec<Vec<(u64, f32)>> = vs
                .iter()
                .map(|x| pairs(&c.search(x, &SearchParams::new(DEPTH).ef(64)).unwrap()))
                .collect();
            let higher = metric == Metric::Cosine;
            let mut all: HashMap<u64, Vec<f64>> = HashMap::new();
            for l in &lists {
                for &(id, s) in l {
                    all.entry(id).or_default().push(f64::from(s));
                }
            }
            let sign = if higher { -1.0 } else { 1.0 };
            let mut avg: Vec<(u64, f64)> = all
                .iter()
                .map(|(&id, s)| (id, s.iter().sum::<f64>() / s.len() as f64))
                .collect();
            avg.sort_by(|a, b| (sign * a.1).total_cmp(&(sign * b.1)).then(a.0.cmp(&b.0)));
            avg.truncate(K);
            let mut max: Vec<(u64, f64)> = all
                .iter()
                .map(|(&id, s)| {
                    let best =
                        s.iter()
                            .copied()
                            .fold(if higher { f64::MIN } else { f64::MAX }, |a, b| {
                                if higher {
                                    a.max(b)
                                } else {
                                    a.min(b)
                                }
                            });
                    (id, best)
                })
                .collect();
            max.sort_by(|a, b| (sign * a.1).total_cmp(&(sign * b.1)).then(a.0.cmp(&b.0)));
            max.truncate(K);
            let rrf = fused(
                &lists
                    .iter()
                    .map(|l| (l.clone(), higher, 1.0))
                    .collect::<Vec<_>>(),
                Fusion::Rrf { k: 60.0 },
            );
            for (how, want) in [
                (MultiFusion::Average, avg),
                (MultiFusion::Max, max),
                (MultiFusion::Rrf { k: 60.0 }, rrf),
            ] {
                let got = c
                    .multi_query_search(&vs, &SearchParams::new(K).ef(64), Some(DEPTH), &how)
                    .unwrap();
                same_ranking(
                    &pairs(&got),
                    &want,
                    &format!("{metric:?} multi {q} {how:?}"),
                );
            }
        }
    }
}

#[test]
fn bad_hybrid_queries_are_refused() {
    let tmp = TempDir::new("hybrid-bad");
    let (_db, c, d) = build(&tmp, Metric::Cosine);
    let v = d.query(0).to_vec();
    let dense = |v: Vec<f32>, w: f32| HybridBranch::Dense {
        vector: v,
        params: SearchParams::new(10),
        weight: w,
    };
    let q = |branches: Vec<HybridBranch>, k: usize| HybridQuery {
        branches,
        fusion: Fusion::Rrf { k: 60.0 },
        k,
        with_payload: false,
    };
    assert_err(
        c.hybrid_search(&q(vec![], 10)),
        "InvalidArgument",
        "no branch",
    );
    assert_err(
        c.hybrid_search(&q(vec![dense(v.clone(), 1.0)], 0)),
        "InvalidArgument",
        "k 0",
    );
    assert_err(
        c.hybrid_search(&q(vec![dense(v.clone(), -1.0)], 10)),
        "InvalidArgument",
        "negative weight",
    );
    assert_err(
        c.hybrid_search(&q(vec![dense(vec![1.0; 3], 1.0)], 10)),
        "DimensionMismatch",
        "dimension",
    );
    let e = c
        .hybrid_search(&q(
            vec![
                dense(v.clone(), 1.0),
                HybridBranch::Text {
                    query: TextQuery::new("x", "pos", 10),
                    weight: 1.0,
                },
            ],
            10,
        ))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("branches[1]") && e.contains("no text index"),
        "{e}"
    );
    let mut bad = q(vec![dense(v.clone(), 1.0)], 10);
    bad.fusion = Fusion::Rrf { k: 0.0 };
    assert_err(c.hybrid_search(&bad), "InvalidArgument", "rrf k 0");
    assert_err(
        c.multi_query_search(&[], &SearchParams::new(10), None, &MultiFusion::Average),
        "InvalidArgument",
        "no query",
    );
    assert_err(
        c.multi_query_search(
            std::slice::from_ref(&v),
            &SearchParams::new(10),
            Some(5),
            &MultiFusion::Max,
        ),
        "InvalidArgument",
        "depth below k",
    );
    assert_err(
        c.multi_query_search(
            &[v.clone(), v.clone()],
            &SearchParams::new(10),
            None,
            &MultiFusion::Weighted(vec![1.0]),
        ),
        "InvalidArgument",
        "one weight for two queries",
    );
    // A single dense branch under RRF keeps the search's order.
    let alone = c.search(&v, &SearchParams::new(10)).unwrap();
    let fusedone = c
        .hybrid_search(&q(vec![dense(v.clone(), 1.0)], 10))
        .unwrap();
    assert_eq!(
        alone.iter().map(|h| h.id).collect::<Vec<_>>(),
        fusedone.iter().map(|h| h.id).collect::<Vec<_>>()
    );
}
