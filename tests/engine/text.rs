//! Full-text search on the WordNet sample: BM25 top-10 ids and scores
//! equal a reference BM25 computed here from the live payloads (over
//! sealed, frozen and appendable segments, with overwrites and deletes,
//! an index backfilled on a populated collection, and after reopen);
//! `text` filter conditions equal their evaluation on every payload; bad
//! requests are refused.
//!
//! The reference uses the engine's analyzer for tokenization (the
//! analyzer has unit tests of its own); everything else (statistics over
//! the live points, idf, the BM25 formula, match modes, top-k order) is
//! computed independently, in f64.

use crate::common::util::{assert_err, TempDir};
use crate::common::wordnet;
use quiver::index::text::Analyzer;
use quiver::{
    CollectionConfig, Database, DatabaseOptions, Filter, Metric, Point, SearchParams,
    SegmentLimits, TextConfig, TextMode, TextQuery,
};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

const K: usize = 10;

fn options() -> DatabaseOptions {
    DatabaseOptions {
        limits: SegmentLimits {
            appendable_points: 1500,
            ..SegmentLimits::default()
        },
        ..DatabaseOptions::default()
    }
}

/// Relevance query texts of the sample.
fn queries() -> Vec<String> {
    let p = wordnet::sample_dir().join("relevance.jsonl");
    std::fs::read_to_string(p)
        .expect("relevance.jsonl of the sample")
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["text"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// The strings of a field (a string or the strings of an array).
fn strings<'a>(p: &'a Value, field: &str) -> Vec<&'a str> {
    match p.get(field) {
        Some(Value::String(s)) => vec![s],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
}

/// A point with text: id, term frequencies, length, the terms of each
/// string.
type Doc = (u64, HashMap<String, u32>, usize, Vec<Vec<String>>);

/// A searched field: name, boost, analyzer.
type Searched<'a> = (&'a str, f64, &'a Analyzer);

/// One field's text of every live point, analyzed once.
struct Prepared {
    docs: Vec<Doc>,
    avg: f64,
}

impl Prepared {
    fn new(live: &BTreeMap<u64, Value>, field: &str, an: &Analyzer) -> Prepared {
        let mut docs = Vec::new();
        for (&id, p) in live {
            let per: Vec<Vec<String>> = strings(p, field).iter().map(|s| an.terms_of(s)).collect();
            let len: usize = per.iter().map(Vec::len).sum();
            if len == 0 {
                continue;
            }
            let mut tf = HashMap::new();
            for t in per.iter().flatten() {
                *tf.entry(t.clone()).or_insert(0) += 1;
            }
            docs.push((id, tf, len, per));
        }
        let avg = docs.iter().map(|d| d.2).sum::<usize>() as f64 / docs.len() as f64;
        Prepared { docs, avg }
    }
}

/// BM25 over the live points, as the module documentation of
/// `collection::text` defines it: `fields` are (prepared text, analyzer,
/// boost).
fn reference(
    query: &str,
    fields: &[(&Prepared, &Analyzer, f64)],
    mode: TextMode,
    k1: f64,
    b: f64,
) -> Vec<(u64, f64)> {
    let mut score: BTreeMap<u64, f64> = BTreeMap::new();
    let mut pass: BTreeMap<u64, bool> = BTreeMap::new();
    for &(prep, an, boost) in fields {
        let terms = an.query_terms(query);
        let n = prep.docs.len() as f64;
        for t in &terms {
            let df = prep.docs.iter().filter(|d| d.1.contains_key(t)).count() as f64;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            for (id, tfs, len, _) in &prep.docs {
                if let Some(&tf) = tfs.get(t) {
                    let (tf, len) = (f64::from(tf), *len as f64);
                    *score.entry(*id).or_default() +=
                        boost * idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * len / prep.avg));
                }
            }
        }
        let want = an.terms_of(query);
        for (id, tfs, _, per) in &prep.docs {
            let ok = match mode {
                TextMode::Any => terms.iter().any(|t| tfs.contains_key(t)),
                TextMode::All => !terms.is_empty() && terms.iter().all(|t| tfs.contains_key(t)),
                TextMode::Phrase => {
                    !want.is_empty() && per.iter().any(|s| s.windows(want.len()).any(|w| w == want))
                }
            };
            if ok {
                pass.insert(*id, true);
            }
        }
    }
    let mut out: Vec<(u64, f64)> = score
        .into_iter()
        .filter(|(id, _)| pass.contains_key(id))
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// Quiver's top-k against the reference ranking: each returned score
/// equals the reference score of that point, and the scores are the
/// reference's best scores position by position (so ids differ only
/// between equal scores). Returns how many positions have the same id.
fn agree(got: &[(u64, f32)], want: &[(u64, f64)], what: &str) -> usize {
    assert_eq!(got.len(), want.len().min(K), "{what}: result count");
    let by_id: HashMap<u64, f64> = want.iter().copied().collect();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-4 * b.abs().max(1.0);
    let mut same = 0;
    for (i, &(id, s)) in got.iter().enumerate() {
        let r = *by_id
            .get(&id)
            .unwrap_or_else(|| panic!("{what}: id {id} at {i} does not match the query"));
        assert!(
            close(f64::from(s), r),
            "{what}: id {id} scores {s}, reference {r}"
        );
        assert!(
            close(r, want[i].1),
            "{what}: position {i} holds id {id} (reference score {r}), the reference's is {} ({})",
            want[i].0,
            want[i].1
        );
        same += usize::from(want[i].0 == id);
    }
    same
}

fn pairs(hits: &[quiver::ScoredPoint]) -> Vec<(u64, f32)> {
    hits.iter().map(|h| (h.id, h.score)).collect()
}

#[test]
fn bm25_top10_equals_a_reference_over_segments_writes_and_reopen() {
    let d = wordnet::load(&wordnet::sample_dir(), true).expect("sample");
    let tmp = TempDir::new("text-bm25");
    let mut live: BTreeMap<u64, Value> = BTreeMap::new();
    let point = |i: usize, payload: &Value| {
        Point::new(i as u64, d.base_vec(i).to_vec()).with_payload(payload.clone())
    };
    let qs = queries();
    let stem = TextConfig {
        stemming: true,
        ..TextConfig::default()
    };
    let plain = Analyzer::new(TextConfig::default());
    let stemmed = Analyzer::new(stem);
    let check = |c: &quiver::Collection, live: &BTreeMap<u64, Value>, stage: &str| {
        let words = Prepared::new(live, "words", &plain);
        let text = Prepared::new(live, "text", &stemmed);
        let (mut same, mut total) = (0, 0);
        for (qi, q) in qs.iter().enumerate() {
            let shapes: [(&[Searched<'_>], TextMode); 4] = [
                (&[("words", 1.0, &plain)], TextMode::Any),
                (&[("text", 1.0, &stemmed)], TextMode::Any),
                (
                    &[("text", 1.0, &stemmed), ("words", 2.0, &plain)],
                    TextMode::Any,
                ),
                (
                    &[("text", 0.5, &stemmed), ("words", 1.0, &plain)],
                    TextMode::All,
                ),
            ];
            let prep = |f: &str| if f == "words" { &words } else { &text };
            // Every query in `any` mode; a subset in the slower shapes.
            for (si, (fields, mode)) in shapes.iter().enumerate() {
                if si > 0 && qi % 4 != si {
                    continue;
                }
                let refs: Vec<(&Prepared, &Analyzer, f64)> =
                    fields.iter().map(|f| (prep(f.0), f.2, f.1)).collect();
                let want = reference(q, &refs, *mode, 1.2, 0.75);
                let got = c
                    .text_search(&TextQuery {
                        query: q.clone(),
                        fields: fields
                            .iter()
                            .map(|f| (f.0.to_owned(), f.1 as f32))
                            .collect(),
                        mode: *mode,
                        k: K,
                        filter: None,
                        with_payload: false,
                    })
                    .unwrap();
                same += agree(
                    &pairs(&got),
                    &want,
                    &format!("{stage} query {qi} shape {si}"),
                );
                total += got.len();
            }
        }
        // With a filter (answered by a keyword index once there is one).
        let noun = Filter::eq("pos", "noun");
        for (qi, q) in qs.iter().enumerate().step_by(5) {
            let want: Vec<(u64, f64)> =
                reference(q, &[(&words, &plain, 1.0)], TextMode::Any, 1.2, 0.75)
                    .into_iter()
                    .filter(|(id, _)| noun.matches(live.get(id)))
                    .collect();
            let got = c
                .text_search(&TextQuery {
                    filter: Some(noun.clone()),
                    ..TextQuery::new(q, "words", K)
                })
                .unwrap();
            same += agree(&pairs(&got), &want, &format!("{stage} query {qi} filtered"));
            total += got.len();
        }
        // Phrases: two adjacent words of a definition find it.
        for (i, (&id, p)) in live.iter().enumerate().step_by(97) {
            let words = plain.terms_of(p["text"].as_str().unwrap());
            if words.len() < 3 {
                continue;
            }
            let phrase = format!(
                "{} {}",
                words[i % (words.len() - 1)],
                words[i % (words.len() - 1) + 1]
            );
            let want = reference(
                &phrase,
                &[(&text, &stemmed, 1.0)],
                TextMode::Phrase,
                1.2,
                0.75,
            );
            let got = c
                .text_search(&TextQuery {
                    mode: TextMode::Phrase,
                    ..TextQuery::new(&phrase, "text", K)
                })
                .unwrap();
            assert!(
                want.iter().any(|w| w.0 == id),
                "{stage}: phrase \"{phrase}\" of {id}"
            );
            agree(&pairs(&got), &want, &format!("{stage} phrase \"{phrase}\""));
        }
        eprintln!("{stage}: {same} of {total} top-{K} positions hold the reference's id");
        assert!(same * 100 >= total * 99, "{stage}: {same} of {total}");
    };

    {
        let db = Database::open_with(tmp.path(), options()).unwrap();
        let c = db
            .create_collection("t", CollectionConfig::new(d.dim, Metric::Cosine))
            .unwrap();
        c.create_text_index("words", TextConfig::default()).unwrap();
        // 3000 points, sealed; then the `text` index is backfilled.
        let pts: Vec<Point> = (0..3000).map(|i| point(i, &d.payloads[i])).collect();
        c.upsert(&pts).unwrap();
        c.optimize().unwrap();
        c.create_text_index("text", stem).unwrap();
        for i in 0..3000 {
            live.insert(i as u64, d.payloads[i].clone());
        }
        // The rest in batches (frozen and appendable segments), then
        // overwrites (with another point's text) and deletes.
        for start in (3000..d.n).step_by(250) {
            let pts: Vec<Point> = (start..(start + 250).min(d.n))
                .map(|i| point(i, &d.payloads[i]))
                .collect();
            c.upsert(&pts).unwrap();
            for i in start..(start + 250).min(d.n) {
                live.insert(i as u64, d.payloads[i].clone());
            }
        }
        let mut over = Vec::new();
        for i in (0..d.n).step_by(17) {
            let mut p = d.payloads[i].clone();
            p["text"] = d.payloads[(i * 7 + 3) % d.n]["text"].clone();
            live.insert(i as u64, p.clone());
            over.push(point(i, &p));
        }
        c.upsert(&over).unwrap();
        let gone: Vec<u64> = (5..d.n as u64).step_by(23).collect();
        c.delete(&gone).unwrap();
        for id in &gone {
            live.remove(id);
        }
        let segs = c.stats().unwrap().segments.len();
        assert!(segs >= 3, "points are spread over {segs} segments");
        check(&c, &live, "written");
        db.close().unwrap();
    }
    let db = Database::open_with(tmp.path(), options()).unwrap();
    let c = db.collection("t").unwrap();
    check(&c, &live, "reopened");
    c.optimize().unwrap();
    check(&c, &live, "optimized");
    c.create_field_index("pos", quiver::FieldKind::Keyword)
        .unwrap();
    check(&c, &live, "optimized, pos indexed");
}

#[test]
fn text_conditions_agree_with_evaluation_with_and_without_an_index() {
    let d = wordnet::load(&wordnet::sample_dir(), true).expect("sample");
    let tmp = TempDir::new("text-filter");
    let db = Database::open_with(tmp.path(), options()).unwrap();
    let c = db
        .create_collection("t", CollectionConfig::new(d.dim, Metric::Cosine))
        .unwrap();
    let pts: Vec<Point> = (0..d.n)
        .map(|i| Point::new(i as u64, d.base_vec(i).to_vec()).with_payload(d.payloads[i].clone()))
        .collect();
    c.upsert(&pts[..3000]).unwrap();
    c.optimize().unwrap();
    c.upsert(&pts[3000..]).unwrap();
    let filters = [
        Filter::text("text", "compressed air"),
        Filter::text_match("text", "acid battery", TextMode::Any),
        Filter::text_match("text", "storage batteries", TextMode::Phrase),
        Filter::text_match("text", "batteries storage", TextMode::Phrase),
        Filter::text("words", "gun"),
        Filter::and(vec![
            Filter::text_match("text", "the", TextMode::Any),
            Filter::eq("pos", "noun"),
        ]),
        Filter::not(Filter::text("text", "of")),
        Filter::text("text", "..."),
        Filter::parse(r#"{"field": "text", "phrase": "a person"}"#).unwrap(),
    ];
    let want: Vec<usize> = filters
        .iter()
        .map(|f| d.payloads.iter().filter(|p| f.matches(Some(p))).count())
        .collect();
    assert!(
        want[0] > 0 && want[2] > 0 && want[3] == 0 && want[7] == 0,
        "{want:?}"
    );
    let run = |stage: &str| {
        for (f, &n) in filters.iter().zip(&want) {
            assert_eq!(c.count_where(Some(f)).unwrap(), n, "{stage}: count {f}");
            // An exact vector search with the filter returns only matches.
            let hits = c
                .search(
                    d.query(0),
                    &SearchParams::new(20).exact(true).filter(f.clone()),
                )
                .unwrap();
            assert_eq!(hits.len(), n.min(20), "{stage}: search {f}");
            for h in hits {
                assert!(f.matches(Some(&d.payloads[h.id as usize])), "{stage}: {f}");
            }
        }
    };
    run("no index");
    c.create_text_index("text", TextConfig::default()).unwrap();
    c.create_text_index("words", TextConfig::default()).unwrap();
    run("indexed");
    // A value index beside the text index of the same field.
    c.create_field_index("pos", quiver::FieldKind::Keyword)
        .unwrap();
    c.create_field_index("text", quiver::FieldKind::Keyword)
        .unwrap();
    run("indexed twice");
    assert_eq!(
        c.count_where(Some(&Filter::eq("text", d.payloads[7]["text"].clone())))
            .unwrap(),
        1
    );
}

#[test]
fn stemming_and_folding_indexes_keep_their_settings_across_reopen() {
    let tmp = TempDir::new("text-config");
    let docs = [
        json!({"t": "Running with the wolves"}),
        json!({"t": "a café in Zürich"}),
        json!({"t": ["runs", "cafe"]}),
        json!({"t": 42}),
        json!({}),
    ];
    let cfg = TextConfig {
        stemming: true,
        ascii_folding: true,
        stop_words: true,
        k1: 0.9,
        b: 0.4,
    };
    {
        let db = Database::open(tmp.path()).unwrap();
        let c = db
            .create_collection("t", CollectionConfig::new(2, Metric::Euclidean))
            .unwrap();
        c.create_text_index("t", cfg).unwrap();
        let pts: Vec<Point> = docs
            .iter()
            .enumerate()
            .map(|(i, p)| Point::new(i as u64, vec![i as f32, 0.0]).with_payload(p.clone()))
            .collect();
        c.upsert(&pts).unwrap();
        db.close().unwrap();
    }
    let db = Database::open(tmp.path()).unwrap();
    let c = db.collection("t").unwrap();
    let info = c.field_indexes().unwrap();
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].kind, quiver::FieldKind::Text);
    let ids = |q: &str, mode: TextMode| -> Vec<u64> {
        let mut v: Vec<u64> = c
            .text_search(&TextQuery {
                mode,
                ..TextQuery::new(q, "t", 10)
            })
            .unwrap()
            .iter()
            .map(|h| h.id)
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids("run", TextMode::Any), [0, 2]);
    assert_eq!(ids("CAFE zurich", TextMode::All), [1]);
    assert_eq!(ids("cafés", TextMode::Any), [1, 2]);
    // Stop words only: no term, nothing matches.
    assert_eq!(ids("the with", TextMode::Any), Vec::<u64>::new());
    c.optimize().unwrap();
    assert_eq!(ids("wolves", TextMode::Any), [0]);
    assert_eq!(
        c.count_where(Some(&Filter::text_match(
            "t",
            "runs wolves",
            TextMode::Phrase
        )))
        .unwrap(),
        1
    );
}

#[test]
fn bad_text_requests_are_refused_and_change_nothing() {
    let tmp = TempDir::new("text-bad");
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection("t", CollectionConfig::new(2, Metric::Euclidean))
        .unwrap();
    c.upsert(&[Point::new(1, vec![0.0, 1.0]).with_payload(json!({"t": "hello world"}))])
        .unwrap();
    assert_err(
        c.text_search(&TextQuery::new("hello", "t", 10)),
        "InvalidArgument",
        "no text index",
    );
    let bad = TextConfig {
        k1: -1.0,
        ..TextConfig::default()
    };
    assert_err(c.create_text_index("t", bad), "InvalidArgument", "k1");
    assert!(c.field_indexes().unwrap().is_empty());
    c.create_text_index("t", TextConfig::default()).unwrap();
    assert_err(
        c.create_text_index("t", TextConfig::default()),
        "AlreadyExists",
        "twice",
    );
    assert_err(c.drop_field_index("t"), "NotFound", "no value index");
    for (q, what) in [
        (TextQuery::new("hello", "t", 0), "k 0"),
        (
            TextQuery {
                fields: vec![],
                ..TextQuery::new("hello", "t", 1)
            },
            "no field",
        ),
        (
            TextQuery {
                fields: vec![("t".into(), f32::NAN)],
                ..TextQuery::new("hello", "t", 1)
            },
            "NaN boost",
        ),
        (
            TextQuery {
                fields: vec![("t".into(), 1.0), ("t".into(), 2.0)],
                ..TextQuery::new("hello", "t", 1)
            },
            "field twice",
        ),
        (TextQuery::new("hello", "a..b", 1), "bad path"),
    ] {
        assert_err(c.text_search(&q), "InvalidArgument", what);
    }
    assert_eq!(
        c.text_search(&TextQuery::new("HELLO", "t", 5))
            .unwrap()
            .len(),
        1
    );
    c.drop_text_index("t").unwrap();
    assert_err(c.drop_text_index("t"), "NotFound", "dropped");
    assert_err(
        c.text_search(&TextQuery::new("hello", "t", 10)),
        "InvalidArgument",
        "dropped index",
    );
}

#[test]
fn equal_texts_score_equal_bits_and_ties_go_to_the_lower_id() {
    let tmp = TempDir::new("text-ties");
    let db = Database::open(tmp.path()).unwrap();
    let c = db
        .create_collection("t", CollectionConfig::new(2, Metric::Euclidean))
        .unwrap();
    c.create_text_index("t", TextConfig::default()).unwrap();
    // Many points with the same three-word text among varied others, in a
    // sealed segment (MaxScore) and in the appendable one (term at a time).
    let text = |i: u64| {
        if i.is_multiple_of(3) {
            "red fish blue".to_string()
        } else {
            format!("red w{} fish w{} blue w{}", i % 7, i % 11, i % 5)
        }
    };
    let pts = |r: std::ops::Range<u64>| -> Vec<Point> {
        r.map(|i| Point::new(i, vec![i as f32, 0.0]).with_payload(json!({"t": text(i)})))
            .collect()
    };
    c.upsert(&pts(0..3000)).unwrap();
    c.optimize().unwrap();
    c.upsert(&pts(3000..3300)).unwrap();
    for k in [1, 5, 50, 1200] {
        let hits = c
            .text_search(&TextQuery::new("blue fish red", "t", k))
            .unwrap();
        assert_eq!(hits.len(), k);
        for w in hits.windows(2) {
            assert!(
                w[0].score > w[1].score || (w[0].score == w[1].score && w[0].id < w[1].id),
                "k {k}: {} {} before {} {}",
                w[0].id,
                w[0].score,
                w[1].id,
                w[1].score
            );
        }
        // The 1,100 equal texts come first, by id, with one score.
        let top: Vec<u64> = (0..3300u64)
            .filter(|i| i.is_multiple_of(3))
            .take(k)
            .collect();
        let got: Vec<u64> = hits.iter().map(|h| h.id).take(top.len()).collect();
        assert_eq!(got, top, "k {k}");
    }
    let all = c
        .text_search(&TextQuery::new("blue fish red", "t", 1100))
        .unwrap();
    assert!(
        all.iter().all(|h| h.score == all[0].score),
        "one score for equal texts"
    );
    // A field with a text index and an integer index orders scrolls by the
    // integer index.
    c.create_field_index("t", quiver::FieldKind::Integer)
        .unwrap();
    c.create_text_index("n", TextConfig::default()).unwrap();
    c.create_field_index("n", quiver::FieldKind::Integer)
        .unwrap();
    let page = c
        .scroll_points(&quiver::ScrollRequest {
            limit: 3,
            order_by: Some(quiver::OrderBy {
                field: "n".into(),
                descending: false,
            }),
            ..Default::default()
        })
        .unwrap();
    assert!(page.points.is_empty(), "no point has an n");
}
