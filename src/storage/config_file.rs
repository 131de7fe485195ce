//! The collection's configuration file: `collection.json`, the
//! configuration and the collection's identity (a random 64-bit id that
//! every other file of the collection carries) in a versioned JSON
//! document, written once at creation.
//!
//! ```json
//! {"magic": "quiver-collection", "format_version": 2, "id": "9f2c...", "kind": "vector",
//!  "dimension": 384, "metric": "cosine",
//!  "hnsw": {"m": 16, "ef_construction": 200, "ef_search": 64}}
//! ```

use crate::collection::config::{CollectionConfig, CollectionKind, HnswConfig};
use crate::distance::Metric;
use crate::error::{Error, Result};
use crate::quant::{QuantizerConfig, StorageMode};
use serde_json::{json, Value};
use std::path::Path;

const MAGIC: &str = "quiver-collection";
const VERSION: u64 = 2;

/// The document of `config` for the collection with id `uid`.
pub fn encode(config: &CollectionConfig, uid: u64) -> Vec<u8> {
    let kind = match config.kind {
        CollectionKind::Vector => "vector",
        CollectionKind::MetadataOnly => "metadata_only",
    };
    let doc = json!({
        "magic": MAGIC,
        "format_version": VERSION,
        "id": format!("{uid:016x}"),
        "kind": kind,
        "dimension": config.dimension,
        "metric": config.metric.as_str(),
        "storage": config.storage.as_str(),
        "quantizer": {
            "pq_subspaces": config.quantizer.pq_subspaces,
            "pq_centroids": config.quantizer.pq_centroids,
            "pq_iterations": config.quantizer.pq_iterations,
        },
        "hnsw": {
            "m": config.hnsw.m,
            "ef_construction": config.hnsw.ef_construction,
            "ef_search": config.hnsw.ef_search,
        },
    });
    let mut bytes = serde_json::to_vec_pretty(&doc).expect("a JSON value always serialises");
    bytes.push(b'\n');
    bytes
}

/// Parses and checks a configuration read from `path`; returns it with the
/// collection's id.
pub fn decode(bytes: &[u8], path: &Path) -> Result<(CollectionConfig, u64)> {
    let name = path.display();
    let doc: Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::corrupt(format!("{name}: not valid JSON: {e}")))?;
    if doc.get("magic").and_then(Value::as_str) != Some(MAGIC) {
        return Err(Error::IncompatibleFormat(format!(
            "{name}: not a quiver collection manifest"
        )));
    }
    let version = doc.get("format_version").and_then(Value::as_u64);
    if version != Some(VERSION) {
        return Err(Error::IncompatibleFormat(format!(
            "{name}: manifest format version {version:?}, this build reads {VERSION}"
        )));
    }
    let field = |key: &str| -> Result<&Value> {
        doc.get(key)
            .ok_or_else(|| Error::corrupt(format!("{name}: manifest lacks \"{key}\"")))
    };
    let uint = |v: &Value, key: &str| -> Result<usize> {
        v.as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| {
                Error::corrupt(format!(
                    "{name}: manifest \"{key}\" is not an unsigned integer"
                ))
            })
    };
    let kind = match field("kind")?.as_str() {
        Some("vector") => CollectionKind::Vector,
        Some("metadata_only") => CollectionKind::MetadataOnly,
        other => {
            return Err(Error::corrupt(format!(
                "{name}: unknown collection kind {other:?}"
            )))
        }
    };
    let metric_name = field("metric")?.as_str().unwrap_or("");
    let metric = Metric::parse(metric_name)
        .ok_or_else(|| Error::corrupt(format!("{name}: unknown metric {metric_name:?}")))?;
    // Absent in collections created before storage modes existed: f32.
    let storage = match doc.get("storage") {
        None => StorageMode::F32,
        Some(v) => v
            .as_str()
            .and_then(StorageMode::parse)
            .ok_or_else(|| Error::corrupt(format!("{name}: unknown storage mode {v}")))?,
    };
    let hnsw = field("hnsw")?;
    let get = |key: &str| -> Result<usize> {
        uint(
            hnsw.get(key)
                .ok_or_else(|| Error::corrupt(format!("{name}: manifest lacks \"hnsw.{key}\"")))?,
            key,
        )
    };
    // Absent in collections created before PQ existed: the defaults.
    let mut quantizer = QuantizerConfig::default();
    if let Some(q) = doc.get("quantizer") {
        for (key, slot) in [
            ("pq_subspaces", &mut quantizer.pq_subspaces),
            ("pq_centroids", &mut quantizer.pq_centroids),
            ("pq_iterations", &mut quantizer.pq_iterations),
        ] {
            *slot = uint(
                q.get(key).ok_or_else(|| {
                    Error::corrupt(format!("{name}: manifest lacks \"quantizer.{key}\""))
                })?,
                key,
            )?;
        }
    }
    let config = CollectionConfig {
        dimension: uint(field("dimension")?, "dimension")?,
        metric,
        hnsw: HnswConfig {
            m: get("m")?,
            ef_construction: get("ef_construction")?,
            ef_search: get("ef_search")?,
        },
        kind,
        storage,
        quantizer,
    };
    config
        .validate()
        .map_err(|e| Error::corrupt(format!("{name}: {e}")))?;
    let uid = field("id")?
        .as_str()
        .and_then(|s| u64::from_str_radix(s, 16).ok())
        .ok_or_else(|| {
            Error::corrupt(format!("{name}: \"id\" is not a hexadecimal collection id"))
        })?;
    Ok((config, uid))
}
