//! Manifest generations: `manifest-<gen>.qv`, a sealed file (identity and
//! checksums) holding a JSON document that names the segments of the
//! collection, the saved deleted set of each, the log position replay
//! starts from, and the next segment id. A new generation is written
//! beside the old and committed by rename + directory fsync; the highest
//! generation on disk is the current one.
//!
//! ```json
//! {"applied_seq": 1200, "log_start": 3, "next_segment_id": 7,
//!  "segments": [{"id": 5, "points": 100000, "deleted_generation": 4}]}
//! ```

use crate::error::{Error, Result};
use crate::filter::FieldPath;
use crate::index::text::TextConfig;
use crate::segment::field_index::{FieldIndexDef, FieldKind};
use crate::storage::sealed_file::{write_sealed, FileKind, Identity, SealedFile};
use serde_json::{json, Value};
use std::path::Path;

/// One segment as the manifest names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentEntry {
    /// Segment id (directory `seg-<id>`).
    pub id: u64,
    /// Offsets it holds.
    pub points: u64,
    /// Generation of its saved deleted set (`None`: nothing deleted).
    pub deleted_generation: Option<u64>,
}

/// One manifest generation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// Its generation.
    pub generation: u64,
    /// Records up to this sequence number are in the segments.
    pub applied_seq: u64,
    /// The first log file replay reads.
    pub log_start: u64,
    /// Id the next new segment gets.
    pub next_segment_id: u64,
    /// Sealed segments.
    pub segments: Vec<SegmentEntry>,
    /// The field indexes every segment has.
    pub field_indexes: Vec<FieldIndexDef>,
    /// Id the next field index gets.
    pub next_field_id: u64,
    /// The edge snapshot: its generation and the sequence number of the
    /// last record it holds.
    pub edges: Option<(u64, u64)>,
    /// The graph's label schema (its JSON form).
    pub graph_schema: Option<Value>,
}

/// File name of generation `g`.
pub fn file_name(g: u64) -> String {
    format!("manifest-{g:08}.qv")
}

/// Parses [`file_name`] back.
pub fn parse_file_name(name: &str) -> Option<u64> {
    name.strip_prefix("manifest-")?
        .strip_suffix(".qv")?
        .parse()
        .ok()
}

fn identity(owner: u64, generation: u64) -> Identity {
    Identity {
        kind: FileKind::Manifest,
        owner,
        segment: 0,
        generation,
    }
}

impl Manifest {
    /// Writes this generation into `dir` (atomically; the caller fsyncs
    /// the directory).
    pub fn write(&self, dir: &Path, owner: u64) -> Result<()> {
        let doc = json!({
            "applied_seq": self.applied_seq,
            "log_start": self.log_start,
            "next_segment_id": self.next_segment_id,
            "segments": self.segments.iter().map(|s| json!({
                "id": s.id,
                "points": s.points,
                "deleted_generation": s.deleted_generation,
            })).collect::<Vec<_>>(),
            "field_indexes": self.field_indexes.iter().map(|d| {
                let mut v = json!({
                    "id": d.id,
                    "field": d.path.as_str(),
                    "kind": d.kind.name(),
                });
                if let Some(a) = &d.text {
                    let c = a.config();
                    v["text"] = json!({
                        "ascii_folding": c.ascii_folding,
                        "stop_words": c.stop_words,
                        "stemming": c.stemming,
                        "k1": f64::from(c.k1),
                        "b": f64::from(c.b),
                    });
                }
                v
            }).collect::<Vec<_>>(),
            "next_field_id": self.next_field_id,
            "edges": self.edges.map(|(g, s)| json!({"generation": g, "seq": s})),
            "graph_schema": self.graph_schema,
        });
        let bytes = serde_json::to_vec(&doc).expect("a JSON value always serialises");
        write_sealed(
            &dir.join(file_name(self.generation)),
            identity(owner, self.generation),
            &bytes,
        )
    }

    /// Reads generation `generation` from `dir`.
    pub fn read(dir: &Path, owner: u64, generation: u64) -> Result<Manifest> {
        let path = dir.join(file_name(generation));
        let f = SealedFile::open(&path, identity(owner, generation))?;
        f.verify()?;
        let name = path.display();
        let bad = |what: &str| Error::corrupt(format!("{name}: {what}"));
        let doc: Value =
            serde_json::from_slice(f.data()).map_err(|e| bad(&format!("not JSON: {e}")))?;
        let num = |v: &Value, key: &str| -> Result<u64> {
            v.get(key)
                .and_then(Value::as_u64)
                .ok_or_else(|| bad(&format!("\"{key}\" is missing or not an unsigned integer")))
        };
        let segments = doc
            .get("segments")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("\"segments\" is missing"))?
            .iter()
            .map(|s| {
                Ok(SegmentEntry {
                    id: num(s, "id")?,
                    points: num(s, "points")?,
                    deleted_generation: match s.get("deleted_generation") {
                        Some(Value::Null) | None => None,
                        Some(v) => Some(v.as_u64().ok_or_else(|| bad("bad deleted_generation"))?),
                    },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // Absent from manifests written before field indexes existed.
        let field_indexes = match doc.get("field_indexes") {
            None => Vec::new(),
            Some(v) => v
                .as_array()
                .ok_or_else(|| bad("\"field_indexes\" is not an array"))?
                .iter()
                .map(|d| {
                    let text = |key: &str| {
                        d.get(key)
                            .and_then(Value::as_str)
                            .ok_or_else(|| bad(&format!("a field index has no \"{key}\"")))
                    };
                    let id = num(d, "id")?;
                    let path = FieldPath::parse(text("field")?)
                        .map_err(|e| bad(&format!("field index path: {e}")))?;
                    let kind = FieldKind::parse(text("kind")?)
                        .map_err(|e| bad(&format!("field index kind: {e}")))?;
                    if kind != FieldKind::Text {
                        return Ok(FieldIndexDef::value(id, path, kind));
                    }
                    let t = d
                        .get("text")
                        .ok_or_else(|| bad("a text index has no \"text\" settings"))?;
                    let flag = |key: &str| {
                        t.get(key).and_then(Value::as_bool).ok_or_else(|| {
                            bad(&format!(
                                "a text index's \"{key}\" is missing or not a bool"
                            ))
                        })
                    };
                    let real = |key: &str| {
                        t.get(key)
                            .and_then(Value::as_f64)
                            .map(|x| x as f32)
                            .ok_or_else(|| {
                                bad(&format!(
                                    "a text index's \"{key}\" is missing or not a number"
                                ))
                            })
                    };
                    let config = TextConfig {
                        ascii_folding: flag("ascii_folding")?,
                        stop_words: flag("stop_words")?,
                        stemming: flag("stemming")?,
                        k1: real("k1")?,
                        b: real("b")?,
                    };
                    config
                        .validate()
                        .map_err(|e| bad(&format!("text index settings: {e}")))?;
                    Ok(FieldIndexDef::text(id, path, config))
                })
                .collect::<Result<Vec<_>>>()?,
        };
        let next_field_id = match doc.get("next_field_id") {
            None => 1,
            Some(_) => num(&doc, "next_field_id")?,
        };
        if field_indexes.iter().any(|d| d.id >= next_field_id) {
            return Err(bad("a field index id is not below next_field_id"));
        }
        // Absent from manifests written before edges existed.
        let edges = match doc.get("edges") {
            None | Some(Value::Null) => None,
            Some(e) => Some((num(e, "generation")?, num(e, "seq")?)),
        };
        let graph_schema = match doc.get("graph_schema") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.clone()),
        };
        Ok(Manifest {
            edges,
            graph_schema,
            field_indexes,
            next_field_id,
            generation,
            applied_seq: num(&doc, "applied_seq")?,
            log_start: num(&doc, "log_start")?,
            next_segment_id: num(&doc, "next_segment_id")?,
            segments,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_identity() {
        let d = std::env::temp_dir().join(format!("qv-manifest-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let m = Manifest {
            generation: 4,
            applied_seq: 99,
            log_start: 2,
            next_segment_id: 9,
            segments: vec![SegmentEntry {
                id: 3,
                points: 10,
                deleted_generation: Some(4),
            }],
            field_indexes: vec![
                FieldIndexDef::value(2, FieldPath::parse("a.b").unwrap(), FieldKind::Float),
                FieldIndexDef::text(
                    3,
                    FieldPath::parse("t").unwrap(),
                    TextConfig {
                        ascii_folding: true,
                        stop_words: false,
                        stemming: true,
                        k1: 0.9,
                        b: 0.4,
                    },
                ),
            ],
            next_field_id: 4,
            edges: Some((3, 98)),
            graph_schema: Some(json!({"labels": {"a": {}}})),
        };
        m.write(&d, 77).unwrap();
        assert_eq!(Manifest::read(&d, 77, 4).unwrap(), m);
        assert!(matches!(Manifest::read(&d, 78, 4), Err(Error::Corrupt(_))));
        assert_eq!(parse_file_name(&file_name(4)), Some(4));
        std::fs::remove_dir_all(&d).unwrap();
    }
}
