//! `quiver-bench text`: BM25 full-text search on a WordNet-format data set
//! (payloads of `base.jsonl`, queries and answers of `relevance.jsonl`), in
//! the line format of `shared/bench/text_peers.py`.

use crate::common::{self, BoxError};
use quiver::{CollectionConfig, Database, TextConfig, TextMode, TextQuery};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Instant;

pub const USAGE: &str = "\
usage: quiver-bench text [options]

Builds a metadata-only collection from the payloads of base.jsonl with
text indexes on `text` and `words` (the default analyzer: Unicode words,
lowercased; BM25 k1 1.2, b 0.75), created before the upserts (upsert_json
in batches of 10,000, then optimize(); build_s is their wall time). Then
for fields words, text and text+words (boost 1 each, any term), searches
every query of relevance.jsonl for the top 10 (one query per call on one
thread; the query text is what text_peers.py gives tantivy: the
sentence's words of two characters or more, lowercased) and prints, as
shared/bench/text_peers.py does:
  engine=quiver fields=words k=10 mrr@10=0.3742 recall@10=0.6220 qps=12345.6 build_s=3.1
MRR@10 and recall@10 use the one relevant id of each query. A last line
gives the text indexes' heap:
  engine=quiver text_index_ram_mb=12.3 text_index_disk_mb=10.1

options:
  --data DIR   data directory (base.jsonl, relevance.jsonl)
               [default: ../shared/data/wordnet next to the crate]
  --nq N       use only the first N queries [default: all]
  --repeat N   search the queries N times per field choice [default: 1]
  --dump FILE  also write each query's results to FILE, one line per field
               choice and query: fields, query number, then id:score pairs
  --dir DIR    database directory, kept afterwards [default: a temporary
               directory, removed at the end]
  -h, --help   this message";

pub struct TextArgs {
    data: PathBuf,
    nq: Option<usize>,
    repeat: usize,
    dump: Option<PathBuf>,
    dir: Option<PathBuf>,
}

pub fn parse(args: &[String]) -> Result<Option<TextArgs>, String> {
    let mut a = TextArgs {
        data: common::default_data_dir(),
        nq: None,
        repeat: 1,
        dump: None,
        dir: None,
    };
    let Some(opts) = common::options(args)? else {
        return Ok(None);
    };
    for (name, v) in opts {
        match name.as_str() {
            "--data" => a.data = PathBuf::from(v),
            "--nq" => a.nq = Some(common::positive(&name, &v)?),
            "--repeat" => a.repeat = common::positive(&name, &v)?,
            "--dir" => a.dir = Some(PathBuf::from(v)),
            "--dump" => a.dump = Some(PathBuf::from(v)),
            _ => return Err(common::unknown(&name)),
        }
    }
    Ok(Some(a))
}

/// A relevance query: its text and the one relevant base id.
pub struct Relevance {
    pub text: String,
    pub relevant: u64,
}

/// Reads `relevance.jsonl` of `dir`.
pub fn load_relevance(dir: &std::path::Path) -> Result<Vec<Relevance>, BoxError> {
    let p = dir.join("relevance.jsonl");
    let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let v: Value = serde_json::from_str(l)?;
            match (v["text"].as_str(), v["relevant"].as_u64()) {
                (Some(t), Some(r)) => Ok(Relevance {
                    text: t.to_owned(),
                    relevant: r,
                }),
                _ => Err(format!("{} line {}: no text or relevant", p.display(), i + 1).into()),
            }
        })
        .collect()
}

/// The query text given to the engines, as text_peers.py gives it to
/// tantivy: the words (runs of letters, digits and `_`) of the sentence,
/// lowercased, without the one-character ones, joined by spaces.
pub fn query_words(s: &str) -> String {
    s.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| w.chars().count() > 1)
        .collect::<Vec<_>>()
        .join(" ")
}

/// MRR@10 and recall@10 of `found` (ids best first, one list per query).
pub fn relevance_scores(found: &[Vec<u64>], qs: &[Relevance]) -> (f64, f64) {
    let mut rr = 0.0;
    let mut hit = 0usize;
    for (f, q) in found.iter().zip(qs) {
        if let Some(pos) = f.iter().take(10).position(|&id| id == q.relevant) {
            rr += 1.0 / (pos + 1) as f64;
            hit += 1;
        }
    }
    let n = qs.len().max(1) as f64;
    (rr / n, hit as f64 / n)
}

pub fn run(a: &TextArgs) -> Result<(), BoxError> {
    let t = Instant::now();
    let base = a.data.join("base.jsonl");
    let payloads: Vec<String> = std::fs::read_to_string(&base)
        .map_err(|e| format!("{}: {e}", base.display()))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let mut qs = load_relevance(&a.data)?;
    if let Some(n) = a.nq {
        qs.truncate(n);
    }
    eprintln!(
        "data: {} payloads, {} relevance queries from {} ({:.1} s)",
        payloads.len(),
        qs.len(),
        a.data.display(),
        t.elapsed().as_secs_f64()
    );
    let dir = common::DbDir::new(a.dir.as_deref(), "text");
    let db = Database::open(&dir.path)?;
    let c = db.create_collection(common::COLLECTION, CollectionConfig::metadata_only())?;
    let t = Instant::now();
    for f in ["text", "words"] {
        c.create_text_index(f, TextConfig::default())?;
    }
    let ids: Vec<u64> = (0..payloads.len() as u64).collect();
    for start in (0..payloads.len()).step_by(common::BATCH) {
        let end = (start + common::BATCH).min(payloads.len());
        let texts: Vec<Option<&[u8]>> = payloads[start..end]
            .iter()
            .map(|p| Some(p.as_bytes()))
            .collect();
        c.upsert_json(&ids[start..end], &[], &texts)?;
    }
    c.optimize()?;
    let build_s = t.elapsed().as_secs_f64();
    eprintln!("{}", common::stats_line("built", &c.stats()?));
    let mut dump = String::new();
    for fields in [&["words"][..], &["text"], &["text", "words"]] {
        let query = |text: &str| TextQuery {
            query: text.to_owned(),
            fields: fields.iter().map(|f| (f.to_string(), 1.0)).collect(),
            mode: TextMode::Any,
            k: 10,
            filter: None,
            with_payload: false,
        };
        let prepared: Vec<TextQuery> = qs.iter().map(|q| query(&query_words(&q.text))).collect();
        let mut found = Vec::with_capacity(qs.len());
        let t = Instant::now();
        for r in 0..a.repeat {
            for q in &prepared {
                let hits = c.text_search(q)?;
                if r == 0 {
                    found.push(hits);
                }
            }
        }
        let qps = (qs.len() * a.repeat) as f64 / t.elapsed().as_secs_f64();
        if a.dump.is_some() {
            for (i, hits) in found.iter().enumerate() {
                let pairs: Vec<String> = hits
                    .iter()
                    .map(|h| format!("{}:{:.4}", h.id, h.score))
                    .collect();
                dump.push_str(&format!("{}\t{i}\t{}\n", fields.join("+"), pairs.join(" ")));
            }
        }
        let found: Vec<Vec<u64>> = found
            .iter()
            .map(|hits| hits.iter().map(|h| h.id).collect())
            .collect();
        let (mrr, recall) = relevance_scores(&found, &qs);
        println!(
            "engine=quiver fields={} k=10 mrr@10={mrr:.4} recall@10={recall:.4} qps={qps:.1} build_s={build_s:.1}",
            fields.join("+")
        );
    }
    if let Some(p) = &a.dump {
        std::fs::write(p, dump).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    let info = c.field_indexes()?;
    let ram: u64 = info.iter().map(|i| i.ram_bytes).sum();
    let disk: u64 = info.iter().map(|i| i.disk_bytes).sum();
    println!(
        "engine=quiver text_index_ram_mb={:.1} text_index_disk_mb={:.1}",
        ram as f64 / 1048576.0,
        disk as f64 / 1048576.0
    );
    drop(c);
    db.close()?;
    Ok(())
}
