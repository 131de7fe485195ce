//! `quiver-bench sparse`: exact sparse vector search on vectors made from
//! a WordNet-format data set, checked against a brute-force dot product.

use crate::common::{self, BoxError};
use crate::text::{load_relevance, query_words, relevance_scores};
use quiver::index::text::analyzer::Analyzer;
use quiver::{
    CollectionConfig, Database, DatabaseOptions, Point, SegmentLimits, SparseQuery, SparseVector,
    TextConfig,
};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

pub const USAGE: &str = "\
usage: quiver-bench sparse [options]

Makes one sparse vector per point of base.jsonl, BM25-weighted term ids
(the recipe): the `words` and `text` fields of the payload analysed as the
default text index does (Unicode words, lowercased), each term given an id
in order of first appearance, and weight
  idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg_len))
with k1 1.2, b 0.75, idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)), len
the point's term count. A query (the sentences of relevance.jsonl, as
`quiver-bench text` reads them) is its distinct known terms, weight 1: its
dot product with a point is the point's BM25 score for the query over the
two fields together.

Upserts them (name \"bm25\", a metadata-only collection, batches of 10,000;
build_s includes optimize()), then searches every query for the top k,
one query per call on one thread, right after the upserts (segment
limits raised so that every point is in the appendable segment, searched
term at a time) and after optimize() (one sealed segment: block-max
MaxScore), and prints per phase:
  engine=quiver phase=sealed k=10 exact=1000/1000 mrr@10=0.31 qps=... p50_us=... p99_us=...
exact counts the queries whose ids and score bits equal a brute-force
dot product computed here (every point's vector against the query, in
ascending index order). Then the sparse lists' heap and file size with the time to reopen, and
the brute force's own speed.

options:
  --data DIR   data directory (base.jsonl, relevance.jsonl)
               [default: ../shared/data/wordnet next to the crate]
  --nq N       use only the first N queries [default: all]
  --k N        results per query [default: 10]
  --dir DIR    database directory, kept afterwards [default: a temporary
               directory, removed at the end]
  -h, --help   this message";

pub struct SparseArgs {
    data: PathBuf,
    nq: Option<usize>,
    k: usize,
    dir: Option<PathBuf>,
}

pub fn parse(args: &[String]) -> Result<Option<SparseArgs>, String> {
    let mut a = SparseArgs {
        data: common::default_data_dir(),
        nq: None,
        k: 10,
        dir: None,
    };
    let Some(opts) = common::options(args)? else {
        return Ok(None);
    };
    for (name, v) in opts {
        match name.as_str() {
            "--data" => a.data = PathBuf::from(v),
            "--nq" => a.nq = Some(common::positive(&name, &v)?),
            "--k" => a.k = common::positive(&name, &v)?,
            "--dir" => a.dir = Some(PathBuf::from(v)),
            _ => return Err(common::unknown(&name)),
        }
    }
    Ok(Some(a))
}

/// The strings of a payload field (a string or an array of strings).
fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The BM25-weighted vectors of the recipe, and the vocabulary.
fn vectors(payloads: &[Value], analyzer: &Analyzer) -> (Vec<SparseVector>, HashMap<String, u32>) {
    let mut vocab: HashMap<String, u32> = HashMap::new();
    let mut docs: Vec<Vec<(u32, u32)>> = Vec::with_capacity(payloads.len());
    let mut lens = Vec::with_capacity(payloads.len());
    for p in payloads {
        let mut tf: HashMap<u32, u32> = HashMap::new();
        let mut len = 0u32;
        for field in ["words", "text"] {
            for s in strings(&p[field]) {
                analyzer.terms(s, &mut |t| {
                    let next = vocab.len() as u32;
                    let id = *vocab.entry(t.to_owned()).or_insert(next);
                    *tf.entry(id).or_default() += 1;
                    len += 1;
                });
            }
        }
        docs.push(tf.into_iter().collect());
        lens.push(len);
    }
    let mut df = vec![0u32; vocab.len()];
    for d in &docs {
        for &(t, _) in d {
            df[t as usize] += 1;
        }
    }
    let n = docs.len() as f32;
    let avg = lens.iter().map(|&l| l as f64).sum::<f64>() as f32 / n.max(1.0);
    let (k1, b) = (1.2f32, 0.75f32);
    let vs = docs
        .into_iter()
        .zip(lens)
        .map(|(d, len)| {
            let norm = k1 * (1.0 - b + b * len as f32 / avg);
            let (indices, values) = d
                .into_iter()
                .map(|(t, tf)| {
                    let dfv = df[t as usize] as f32;
                    let idf = (1.0 + (n - dfv + 0.5) / (dfv + 0.5)).ln();
                    let tf = tf as f32;
                    (t, idf * tf * (k1 + 1.0) / (tf + norm))
                })
                .unzip();
            SparseVector::new(indices, values)
        })
        .collect();
    (vs, vocab)
}

/// Brute force: every point's vector against `q` (sorted), the top `k`
/// (score, id), ties by id.
fn brute(docs: &[SparseVector], q: &SparseVector, k: usize) -> Vec<(f32, u64)> {
    let mut all: Vec<(f32, u64)> = Vec::new();
    for (id, d) in docs.iter().enumerate() {
        let (mut i, mut j, mut s, mut shared) = (0, 0, 0.0f32, false);
        while i < d.indices.len() && j < q.indices.len() {
            match d.indices[i].cmp(&q.indices[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    s += d.values[i] * q.values[j];
                    shared = true;
                    i += 1;
                    j += 1;
                }
            }
        }
        if shared {
            all.push((s, id as u64));
        }
    }
    all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    all.truncate(k);
    all
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

pub fn run(a: &SparseArgs) -> Result<(), BoxError> {
    let t = Instant::now();
    let base = a.data.join("base.jsonl");
    let payloads: Vec<Value> = std::fs::read_to_string(&base)
        .map_err(|e| format!("{}: {e}", base.display()))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let mut qs = load_relevance(&a.data)?;
    if let Some(n) = a.nq {
        qs.truncate(n);
    }
    let analyzer = Analyzer::new(TextConfig::default());
    let (mut docs, vocab) = vectors(&payloads, &analyzer);
    let queries: Vec<SparseVector> = qs
        .iter()
        .map(|q| {
            let mut idx: Vec<u32> = analyzer
                .query_terms(&query_words(&q.text))
                .iter()
                .filter_map(|t| vocab.get(t).copied())
                .collect();
            idx.sort_unstable();
            idx.dedup();
            let values = vec![1.0; idx.len()];
            SparseVector::new(idx, values)
        })
        .collect();
    let nnz: usize = docs.iter().map(SparseVector::len).sum();
    eprintln!(
        "data: {} points ({} non-zeros, {:.1} per point, vocabulary {}), {} queries ({:.1} s)",
        docs.len(),
        nnz,
        nnz as f64 / docs.len().max(1) as f64,
        vocab.len(),
        queries.len(),
        t.elapsed().as_secs_f64()
    );
    let dir = common::DbDir::new(a.dir.as_deref(), "sparse");
    // Limits that keep every point in the appendable segment until
    // optimize(), so that both kinds of segment are measured.
    let options = DatabaseOptions {
        limits: SegmentLimits {
            appendable_points: docs.len() + 1,
            appendable_bytes: 1 << 40,
            log_bytes: 1 << 40,
            max_age: std::time::Duration::from_secs(1 << 20),
            ..SegmentLimits::default()
        },
        ..DatabaseOptions::default()
    };
    let db = Database::open_with(&dir.path, options)?;
    let c = db.create_collection(common::COLLECTION, CollectionConfig::metadata_only())?;
    let t = Instant::now();
    for start in (0..docs.len()).step_by(common::BATCH) {
        let end = (start + common::BATCH).min(docs.len());
        let pts: Vec<Point> = (start..end)
            .map(|i| Point::new(i as u64, Vec::new()).with_sparse("bm25", docs[i].clone()))
            .collect();
        c.upsert(&pts)?;
    }
    let upsert_s = t.elapsed().as_secs_f64();
    // The reference, computed once.
    for d in &mut docs {
        *d = d.clone().checked(&String::new)?;
    }
    let t = Instant::now();
    let want: Vec<Vec<(f32, u64)>> = queries.iter().map(|q| brute(&docs, q, a.k)).collect();
    let brute_qps = queries.len() as f64 / t.elapsed().as_secs_f64();
    let measure = |phase: &str, build_s: f64| -> Result<(), BoxError> {
        let st = c.stats()?;
        eprintln!("{}", common::stats_line(phase, &st));
        let mut lat = Vec::with_capacity(queries.len());
        let mut found = Vec::with_capacity(queries.len());
        let mut exact = 0usize;
        let t = Instant::now();
        for (q, w) in queries.iter().zip(&want) {
            let s = Instant::now();
            let hits = c.sparse_search(&SparseQuery::new("bm25", q.clone(), a.k))?;
            lat.push(s.elapsed().as_secs_f64() * 1e6);
            let got: Vec<(f32, u64)> = hits.iter().map(|h| (h.score, h.id)).collect();
            if got.len() == w.len()
                && got
                    .iter()
                    .zip(w)
                    .all(|(g, w)| g.1 == w.1 && g.0.to_bits() == w.0.to_bits())
            {
                exact += 1;
            }
            found.push(hits.iter().map(|h| h.id).collect::<Vec<u64>>());
        }
        let qps = queries.len() as f64 / t.elapsed().as_secs_f64();
        lat.sort_by(f64::total_cmp);
        let (mrr, _) = relevance_scores(&found, &qs);
        println!(
            "engine=quiver phase={phase} k={} points={} exact={exact}/{} mrr@10={mrr:.4} qps={qps:.1} p50_us={:.0} p99_us={:.0} build_s={build_s:.1}",
            a.k,
            docs.len(),
            queries.len(),
            percentile(&lat, 0.5),
            percentile(&lat, 0.99)
        );
        Ok(())
    };
    measure("appendable", upsert_s)?;
    let t = Instant::now();
    c.optimize()?;
    let sealed_s = upsert_s + t.elapsed().as_secs_f64();
    measure("sealed", sealed_s)?;
    drop(c);
    db.close()?;
    let t = Instant::now();
    let db = Database::open(&dir.path)?;
    let c = db.collection(common::COLLECTION)?;
    let reopen_s = t.elapsed().as_secs_f64();
    let st = c.stats()?;
    let sparse = |f: fn(&quiver::ComponentStats) -> u64| {
        st.components
            .iter()
            .filter(|c| c.name == "sparse")
            .map(f)
            .sum::<u64>() as f64
            / 1048576.0
    };
    println!(
        "engine=quiver sparse_ram_mb={:.1} sparse_disk_mb={:.1} reopen_s={reopen_s:.2}",
        sparse(|c| c.ram_bytes),
        sparse(|c| c.disk_bytes)
    );
    println!(
        "engine=bruteforce k={} qps={brute_qps:.1} (every point's vector against the query)",
        a.k
    );
    Ok(())
}
