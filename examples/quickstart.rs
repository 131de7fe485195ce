//! Quick start: a database with 500 real WordNet definitions (embedded with
//! all-MiniLM-L6-v2), searched by meaning, with and without a filter.
//! Data: the sample committed under tests/data/wordnet-sample.
//!
//! Run: `make demo-rust` (or `cargo run --release --example quickstart`);
//! `make demo` runs the C quick start, examples/quickstart.c.

#[path = "../tests/common/wordnet.rs"]
mod wordnet;

use quiver::{CollectionConfig, Database, Filter, Metric, SearchParams};
use serde_json::Value;

fn text(p: &Option<Value>) -> String {
    p.as_ref()
        .and_then(|v| v.get("text"))
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = wordnet::load(&wordnet::sample_dir(), true)?;
    let dir = std::env::temp_dir().join(format!("quiver-quickstart-{}", std::process::id()));
    let db = Database::open(&dir)?;
    let docs = db.create_collection(
        "definitions",
        CollectionConfig::new(data.dim, Metric::Cosine),
    )?;

    let n = 500;
    let ids: Vec<u64> = (0..n as u64).collect();
    let payloads: Vec<Option<Value>> = data.payloads[..n].iter().cloned().map(Some).collect();
    docs.upsert_flat(&ids, &data.base[..n * data.dim], Some(&payloads))?;
    println!(
        "inserted {} definitions into {}",
        docs.count()?,
        dir.display()
    );

    // The query is the embedding of a definition that is not in the base.
    let query = data.query(0);
    println!("\nnearest definitions to query 0:");
    for hit in docs.search(query, &SearchParams::new(5).with_payload(true))? {
        println!("  {:.3}  {}", hit.score, text(&hit.payload));
    }

    let filter = Filter::parse(r#"{"field": "pos", "eq": "verb"}"#)?;
    println!("\nthe same, verbs only:");
    let params = SearchParams::new(5).with_payload(true).filter(filter);
    for hit in docs.search(query, &params)? {
        println!("  {:.3}  {}", hit.score, text(&hit.payload));
    }

    db.close()?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
