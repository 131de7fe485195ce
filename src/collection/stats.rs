//! What a collection reports about itself: points, segments, bytes on disk
//! and in RAM per component, optimizer state, repairs made on open, and the
//! cause of a read-only state.

use serde_json::{json, Value};

/// Kind of a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentKind {
    /// Takes new writes (held in RAM, durable through the log); searched exactly.
    Appendable,
    /// Immutable mapped files built by the optimizer, with a graph index.
    Sealed,
}

impl SegmentKind {
    /// `"appendable"` or `"sealed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SegmentKind::Appendable => "appendable",
            SegmentKind::Sealed => "sealed",
        }
    }
}

/// One segment of a collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentStats {
    /// Segment id (unique within the collection, never reused).
    pub id: u64,
    /// Appendable or sealed.
    pub kind: SegmentKind,
    /// Live points in the segment.
    pub points: u64,
    /// Points the segment still stores but that were deleted or overwritten
    /// since it was written (space the optimizer reclaims).
    pub deleted: u64,
    /// Bytes of the segment's files.
    pub disk_bytes: u64,
    /// Bytes of memory the segment holds: heap, and the resident copy of
    /// its vectors (mapped files not included).
    pub ram_bytes: u64,
}

/// One component (id tracker, vectors, payloads, graph, log, ...) summed
/// over the segments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComponentStats {
    /// Component name: `"log"`, `"ids"`, `"vectors"`, `"payloads"`, `"graph"`,
    /// `"deleted"`, `"manifest"`, `"field_indexes"` (once a field index
    /// exists); later issues add index kinds.
    pub name: String,
    /// Bytes of its files.
    pub disk_bytes: u64,
    /// Bytes of memory it holds: heap, and for `"vectors"` (f32 storage) or
    /// `"codes"` (quantized storage) the resident copies the graph walks
    /// (mapped files not included).
    pub ram_bytes: u64,
}

/// What the background optimizer is doing for this collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptimizerState {
    /// Nothing to do.
    Idle,
    /// Work is waiting for an optimizer thread.
    Pending,
    /// An optimizer thread is rewriting segments of this collection.
    Running,
}

impl OptimizerState {
    /// `"idle"`, `"pending"` or `"running"`.
    pub fn as_str(self) -> &'static str {
        match self {
            OptimizerState::Idle => "idle",
            OptimizerState::Pending => "pending",
            OptimizerState::Running => "running",
        }
    }
}

/// The optimizer's state for one collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptimizerStats {
    /// Idle, pending or running.
    pub state: OptimizerState,
    /// Optimization runs completed since the collection was opened.
    pub completed_runs: u64,
    /// The error of the last failed run, if the last run failed.
    pub last_error: Option<String>,
}

/// Everything [`crate::Collection::stats`] reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionStats {
    /// Points a search or `count` can see.
    pub live_points: u64,
    /// Points still stored but deleted or overwritten (not yet reclaimed).
    pub deleted_points: u64,
    /// Edges between points.
    pub edges: u64,
    /// Every segment, appendable ones first.
    pub segments: Vec<SegmentStats>,
    /// Bytes per component, summed over segments.
    pub components: Vec<ComponentStats>,
    /// Bytes of every file of the collection.
    pub disk_bytes: u64,
    /// Bytes of memory the collection holds: heap and resident copies
    /// (mapped files not included).
    pub ram_bytes: u64,
    /// Of `ram_bytes`, the bytes of resident copies of what the graph walks
    /// (the vectors of sealed segments, or their codes in a quantized
    /// storage mode, copied out of their files into huge-page memory after
    /// open and after each optimization).
    pub resident_bytes: u64,
    /// The optimizer's state.
    pub optimizer: OptimizerStats,
    /// Derived files (graphs, ...) found missing or damaged on open and
    /// rebuilt from the primary data, one sentence each.
    pub rebuilt_on_open: Vec<String>,
    /// Why the collection refuses writes (an I/O error after a log append,
    /// or a caught panic), or `None` when it is writable.
    pub read_only_cause: Option<String>,
}

impl CollectionStats {
    /// The stats as a JSON document, with the field names of this struct.
    pub fn to_json_value(&self) -> Value {
        json!({
            "live_points": self.live_points,
            "deleted_points": self.deleted_points,
            "edges": self.edges,
            "disk_bytes": self.disk_bytes,
            "ram_bytes": self.ram_bytes,
            "resident_bytes": self.resident_bytes,
            "segments": self.segments.iter().map(|s| json!({
                "id": s.id,
                "kind": s.kind.as_str(),
                "points": s.points,
                "deleted": s.deleted,
                "disk_bytes": s.disk_bytes,
                "ram_bytes": s.ram_bytes,
            })).collect::<Vec<_>>(),
            "components": self.components.iter().map(|c| json!({
                "name": c.name,
                "disk_bytes": c.disk_bytes,
                "ram_bytes": c.ram_bytes,
            })).collect::<Vec<_>>(),
            "optimizer": {
                "state": self.optimizer.state.as_str(),
                "completed_runs": self.optimizer.completed_runs,
                "last_error": self.optimizer.last_error,
            },
            "rebuilt_on_open": self.rebuilt_on_open,
            "read_only_cause": self.read_only_cause,
        })
    }

    /// [`CollectionStats::to_json_value`] as compact JSON text.
    pub fn to_json(&self) -> String {
        self.to_json_value().to_string()
    }
}

use super::Collection;
use crate::error::Result;
use crate::segment::component::Component;
use std::collections::BTreeMap;

impl Collection {
    /// Points, segments, bytes on disk and in RAM per component, optimizer
    /// state, repairs made on open, and the read-only cause.
    pub fn stats(&self) -> Result<CollectionStats> {
        let st = self.state.read();
        self.check_open()?;
        let mut components: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
        let mut add = |name: &'static str, disk: u64, ram: u64| {
            let e = components.entry(name).or_default();
            e.0 += disk;
            e.1 += ram;
        };
        let mut segments = Vec::new();
        let mut appendable =
            |id: u64,
             a: &crate::segment::appendable::Appendable,
             deleted: &crate::segment::bitset::Bitset,
             add: &mut dyn FnMut(&'static str, u64, u64)| {
                let (ids, vectors, indexes) = a.ram_bytes();
                add("ids", 0, ids);
                add("vectors", 0, vectors);
                add("indexes", 0, indexes);
                add("deleted", 0, deleted.ram_bytes());
                segments.push(SegmentStats {
                    id,
                    kind: SegmentKind::Appendable,
                    points: (a.len() - deleted.count()) as u64,
                    deleted: deleted.count() as u64,
                    disk_bytes: 0,
                    ram_bytes: ids + vectors + indexes + deleted.ram_bytes(),
                });
            };
        appendable(st.active.id, &st.active, &st.active_deleted, &mut add);
        let fields_ram: u64 = st.active_fields.iter().map(|(_, ix)| ix.ram_bytes()).sum();
        add("field_indexes", 0, fields_ram);
        for f in &st.frozen {
            appendable(f.seg.id, &f.seg, &f.deleted, &mut add);
            let fields_ram: u64 = f.fields.iter().map(|(_, ix)| ix.ram_bytes()).sum();
            add("field_indexes", 0, fields_ram);
        }
        for s in &st.sealed {
            let mut disk = 0;
            for c in s.seg.components() {
                add(c.name(), c.disk_bytes(), 0);
                disk += c.disk_bytes();
            }
            let deleted_disk = s
                .saved_gen
                .map(|g| s.seg.dir.join(super::optimize::deleted_file_name(g)))
                .and_then(|p| std::fs::metadata(p).ok())
                .map_or(0, |m| m.len());
            add("deleted", deleted_disk, s.deleted.ram_bytes());
            let graph_ram = s.seg.graph_ram_bytes();
            add("graph", 0, graph_ram);
            let (vectors_ram, walked) = s.seg.resident_bytes();
            add(walked, 0, vectors_ram);
            // The inverted lists of the sparse vectors (the file is
            // counted above as "sparse").
            let mut index_ram = s.seg.sparse_ram_bytes();
            add("sparse", 0, index_ram);
            for (id, ix) in &s.fields {
                let file = s.seg.dir.join(super::fields::file_name(*id));
                let bytes = std::fs::metadata(file).map_or(0, |m| m.len());
                add("field_indexes", bytes, ix.ram_bytes());
                disk += bytes;
                index_ram += ix.ram_bytes();
            }
            for ix in &s.seg.indexes {
                add(ix.name(), ix.disk_bytes(), ix.ram_bytes());
                disk += ix.disk_bytes();
                index_ram += ix.ram_bytes();
            }
            segments.push(SegmentStats {
                id: s.seg.id,
                kind: SegmentKind::Sealed,
                points: (s.seg.len() - s.deleted.count()) as u64,
                deleted: s.deleted.count() as u64,
                disk_bytes: disk + deleted_disk,
                ram_bytes: vectors_ram + graph_ram + index_ram + s.deleted.ram_bytes(),
            });
        }
        let edges_disk = st
            .graph_saved
            .map(|(g, _)| self.dir.join(super::graph::edges_file_name(g)))
            .and_then(|p| std::fs::metadata(p).ok())
            .map_or(0, |m| m.len());
        add("edges", edges_disk, st.graph.ram_bytes());
        add("log", self.log.disk_bytes(), 0);
        let manifest_bytes =
            std::fs::metadata(self.dir.join(super::manifest::file_name(st.generation)))
                .map_or(0, |m| m.len())
                + std::fs::metadata(self.dir.join(super::open::CONFIG)).map_or(0, |m| m.len());
        add("manifest", manifest_bytes, 0);
        let components: Vec<ComponentStats> = components
            .into_iter()
            .map(|(name, (disk_bytes, ram_bytes))| ComponentStats {
                name: name.to_owned(),
                disk_bytes,
                ram_bytes,
            })
            .collect();
        let o = self.opt.lock();
        Ok(CollectionStats {
            live_points: st.live() as u64,
            deleted_points: st.dead() as u64,
            edges: st.graph.len() as u64,
            disk_bytes: components.iter().map(|c| c.disk_bytes).sum(),
            ram_bytes: components.iter().map(|c| c.ram_bytes).sum(),
            resident_bytes: st.sealed.iter().map(|s| s.seg.resident_bytes().0).sum(),
            segments,
            components,
            optimizer: OptimizerStats {
                state: o.state,
                completed_runs: o.runs,
                last_error: o.last_error.clone(),
            },
            rebuilt_on_open: self.rebuilt.clone(),
            read_only_cause: self.read_only.lock().clone(),
        })
    }

    /// Reads every block of every sealed file and checks its checksum;
    /// [`crate::Error::Corrupt`] names the file and the offset of the first
    /// bad block. Searches and writes go on meanwhile.
    pub fn verify(&self) -> Result<()> {
        let segments: Vec<_> = {
            let st = self.state.read();
            self.check_open()?;
            st.sealed
                .iter()
                .map(|s| std::sync::Arc::clone(&s.seg))
                .collect()
        };
        for s in segments {
            s.verify()?;
        }
        Ok(())
    }
}
