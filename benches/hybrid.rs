//! `quiver-bench hybrid`: dense, text and hybrid (dense + text, each
//! fusion) search on the relevance queries of a WordNet-format data set:
//! MRR@10, recall@10 and single-thread QPS.

use crate::common::{self, BoxError, DataOpts};
use crate::text::{load_relevance, query_words, relevance_scores};
use quiver::{Fusion, HybridBranch, HybridQuery, SearchParams, TextConfig, TextQuery};
use std::time::Instant;

pub const USAGE: &str = "\
usage: quiver-bench hybrid [options]

Builds a cosine collection from a WordNet-format data directory (vectors
of base.f16, payloads of base.jsonl, upsert_json in batches of 10,000,
then optimize()) with text indexes on `words` and `text`, and searches the
relevance queries (relevance.jsonl for the text, relevance.f16 for the
vectors; the query text as quiver-bench text gives it) for the top 10:
dense alone (ef --ef), text alone (--fields, boost 1 each), and hybrid
(the dense and text branches, --depth candidates each, fused by each of
rrf (k 60), rsf, dbsf and weighted; weights 1). One line each:
  engine=quiver mode=dense k=10 mrr@10=0.0512 recall@10=0.1100 qps=4321.0
  engine=quiver mode=text fields=words k=10 mrr@10=... qps=...
  engine=quiver mode=hybrid fusion=rrf depth=100 k=10 mrr@10=... qps=...
MRR@10 and recall@10 use the one relevant id of each query; qps is one
query per call on one thread.

options:
  --data DIR    data directory [default: ../shared/data/wordnet next to the crate]
  --n N         use only the first N base points [default: all]
  --nq N        use only the first N relevance queries [default: all]
  --ef N        dense search ef [default: 128]
  --depth N     candidates per branch [default: 100]
  --fields LIST text fields searched, comma-separated (of words, text)
                [default: words]
  --dir DIR     database directory, kept afterwards [default: a temporary
                directory, removed at the end]
  -h, --help    this message";

pub struct HybridArgs {
    data: DataOpts,
    nq: Option<usize>,
    ef: usize,
    depth: usize,
    fields: Vec<String>,
}

pub fn parse(args: &[String]) -> Result<Option<HybridArgs>, String> {
    let mut a = HybridArgs {
        data: DataOpts::default(),
        nq: None,
        ef: 128,
        depth: 100,
        fields: vec!["words".into()],
    };
    let Some(opts) = common::options(args)? else {
        return Ok(None);
    };
    for (name, v) in opts {
        match name.as_str() {
            "--nq" => a.nq = Some(common::positive(&name, &v)?),
            "--ef" => a.ef = common::positive(&name, &v)?,
            "--depth" => a.depth = common::positive(&name, &v)?,
            "--fields" => {
                a.fields = v.split(',').map(str::to_owned).collect();
                if let Some(f) = a
                    .fields
                    .iter()
                    .find(|f| !matches!(f.as_str(), "words" | "text"))
                {
                    return Err(format!(
                        "--fields: unknown field {f}; use words and/or text"
                    ));
                }
            }
            _ => {
                if !a.data.set(&name, &v)? {
                    return Err(common::unknown(&name));
                }
            }
        }
    }
    Ok(Some(a))
}

/// The rows of a little-endian f16 file of `dim` columns, widened.
fn f16_rows(path: &std::path::Path, dim: usize) -> Result<Vec<Vec<f32>>, BoxError> {
    let b = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !b.len().is_multiple_of(2 * dim) {
        return Err(format!("{}: not rows of {dim} half floats", path.display()).into());
    }
    Ok(b.chunks_exact(2 * dim)
        .map(|row| {
            row.chunks_exact(2)
                .map(|h| crate::wordnet::f16_to_f32(u16::from_le_bytes([h[0], h[1]])))
                .collect()
        })
        .collect())
}

pub fn run(a: &HybridArgs) -> Result<(), BoxError> {
    let common::Data { w, payloads } = common::load(&a.data, true, false)?;
    let mut qs = load_relevance(&a.data.data)?;
    let mut vecs = f16_rows(&a.data.data.join("relevance.f16"), w.dim)?;
    if vecs.len() != qs.len() {
        return Err(format!(
            "relevance.f16 has {} rows for {} relevance queries",
            vecs.len(),
            qs.len()
        )
        .into());
    }
    if let Some(n) = a.nq {
        qs.truncate(n);
        vecs.truncate(n);
    }
    let dir = a.data.db_dir("hybrid");
    let (db, c) = common::create(&dir.path, w.dim, quiver::HnswConfig::default())?;
    for f in ["words", "text"] {
        c.create_text_index(f, TextConfig::default())?;
    }
    let t = Instant::now();
    common::upsert_all(&c, &w, &payloads)?;
    c.optimize()?;
    eprintln!(
        "built in {:.1} s; {}",
        t.elapsed().as_secs_f64(),
        common::stats_line("stats", &c.stats()?)
    );
    let texts: Vec<String> = qs.iter().map(|q| query_words(&q.text)).collect();
    let text_query = |i: usize, k: usize| TextQuery {
        fields: a.fields.iter().map(|f| (f.clone(), 1.0)).collect(),
        ..TextQuery::new(&texts[i], "words", k)
    };
    let measure = |label: &str, run: &dyn Fn(usize) -> quiver::Result<Vec<u64>>| {
        let t = Instant::now();
        let found: Vec<Vec<u64>> = (0..qs.len()).map(run).collect::<quiver::Result<_>>()?;
        let qps = qs.len() as f64 / t.elapsed().as_secs_f64();
        let (mrr, recall) = relevance_scores(&found, &qs);
        println!("engine=quiver {label} k=10 mrr@10={mrr:.4} recall@10={recall:.4} qps={qps:.1}");
        Ok::<(), BoxError>(())
    };
    let ids = |h: Vec<quiver::ScoredPoint>| h.into_iter().map(|p| p.id).collect();
    let dense_p = |k: usize| SearchParams::new(k).ef(a.ef.max(k));
    measure("mode=dense", &|i| {
        Ok(ids(c.search(&vecs[i], &dense_p(10))?))
    })?;
    measure(&format!("mode=text fields={}", a.fields.join("+")), &|i| {
        Ok(ids(c.text_search(&text_query(i, 10))?))
    })?;
    for fusion in [
        Fusion::Rrf { k: 60.0 },
        Fusion::RelativeScore,
        Fusion::Dbsf,
        Fusion::Weighted,
    ] {
        measure(
            &format!("mode=hybrid fusion={} depth={}", fusion.name(), a.depth),
            &|i| {
                let q = HybridQuery {
                    branches: vec![
                        HybridBranch::Dense {
                            vector: vecs[i].clone(),
                            params: dense_p(a.depth),
                            weight: 1.0,
                        },
                        HybridBranch::Text {
                            query: text_query(i, a.depth),
                            weight: 1.0,
                        },
                    ],
                    fusion,
                    k: 10,
                    with_payload: false,
                };
                Ok(ids(c.hybrid_search(&q)?))
            },
        )?;
    }
    drop(c);
    db.close()?;
    Ok(())
}
