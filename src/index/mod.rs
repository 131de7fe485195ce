//! Indexes over the stored points.

pub mod hnsw;
