//! Indexes over the stored points.

pub mod hnsw;
pub mod sparse;
pub mod text;
pub mod topk;
