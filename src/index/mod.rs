//! Indexes over the stored points.

pub mod hnsw;
pub mod text;
