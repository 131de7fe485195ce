//! One segment of a collection: a self-contained set of points with its
//! components (id tracker, vector storage, payload storage, vector index,
//! point indexes). See DESIGN.md, "Collection anatomy".

pub mod appendable;
pub mod bits;
pub mod bitset;
pub mod component;
pub mod field_index;
pub mod sealed;
