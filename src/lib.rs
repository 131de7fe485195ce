//! Quiver: an embeddable vector database engine.
//!
//! A [`Database`] is a directory of named [`Collection`]s; a collection holds
//! points (a `u64` id, a dense `f32` vector, an optional JSON payload),
//! searchable by vector with an HNSW index, with payload filters. Writes go
//! through a checksummed write-ahead log before they are applied.
//!
//! ```no_run
//! use quiver::{CollectionConfig, Database, Metric, Point, SearchParams};
//! let db = Database::open("/tmp/my-db")?;
//! let c = db.create_collection("docs", CollectionConfig::new(3, Metric::Cosine))?;
//! c.upsert(&[Point::new(1, vec![1.0, 0.0, 0.0]), Point::new(2, vec![0.0, 1.0, 0.0])])?;
//! let hits = c.search(&[0.9, 0.1, 0.0], &SearchParams::new(1))?;
//! assert_eq!(hits[0].id, 1);
//! # Ok::<(), quiver::Error>(())
//! ```
#![warn(missing_docs)]

#[cfg(not(target_endian = "little"))]
compile_error!("quiver's file formats are little-endian and are mapped directly into memory");

pub mod collection;
pub mod database;
pub mod distance;
pub mod error;
pub mod ffi;
pub mod filter;
pub mod fusion;
pub mod graph;
pub mod index;
pub mod point;
pub mod quant;
pub mod segment;
pub mod storage;

pub use collection::config::{CollectionConfig, CollectionKind, HnswConfig};
pub use collection::stats::{
    CollectionStats, ComponentStats, OptimizerState, OptimizerStats, SegmentKind, SegmentStats,
};
pub use collection::{
    Collection, FieldIndexInfo, GraphSchema, HybridBranch, HybridQuery, LabelRule, PayloadChange,
    SegmentLimits, SegmentPlan, Selection, SparseQuery, SyncPolicy, TextQuery,
};
pub use database::{Database, DatabaseOptions};
pub use distance::Metric;
pub use error::{Error, Result};
pub use filter::{Filter, TextMode};
pub use fusion::{Fusion, MultiFusion};
pub use graph::traverse::{GraphPath, Order, PathQuery, Traversal, Visit};
pub use graph::{Direction, Edge};
pub use index::sparse::{SparseColumn, SparseVector};
pub use index::text::TextConfig;
pub use point::{
    Cursor, OrderBy, Point, PointsPage, RawHit, RawPoint, ScoredPoint, ScrollPage, ScrollRequest,
    SearchParams,
};
pub use segment::field_index::FieldKind;
