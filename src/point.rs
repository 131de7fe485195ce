//! Points, search parameters and results: the values that cross the public API.

use crate::filter::Filter;
use serde_json::Value;

/// A stored point: a user id, a dense vector (empty in metadata-only
/// collections) and an optional JSON payload.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The caller's id.
    pub id: u64,
    /// The vector. For cosine collections the stored (and returned) vector is
    /// normalised to unit length.
    pub vector: Vec<f32>,
    /// Optional JSON payload.
    pub payload: Option<Value>,
}

impl Point {
    /// A point with a vector and no payload.
    pub fn new(id: u64, vector: Vec<f32>) -> Self {
        Point {
            id,
            vector,
            payload: None,
        }
    }

    /// Sets the payload.
    pub fn with_payload(mut self, payload: Value) -> Self {
        self.payload = Some(payload);
        self
    }
}

/// Per-call search parameters.
#[derive(Clone, Debug, Default)]
pub struct SearchParams {
    /// Number of results wanted (>= 1).
    pub k: usize,
    /// HNSW candidate list size; `None` uses the collection's `ef_search`.
    /// Raised to `k` when smaller.
    pub ef: Option<usize>,
    /// Exact (brute-force) search instead of the graph.
    pub exact: bool,
    /// Only points whose payload matches are returned.
    pub filter: Option<Filter>,
    /// Return each hit's payload.
    pub with_payload: bool,
}

impl SearchParams {
    /// `k` nearest with default settings.
    pub fn new(k: usize) -> Self {
        SearchParams {
            k,
            ..Default::default()
        }
    }

    /// Sets the candidate list size.
    pub fn ef(mut self, ef: usize) -> Self {
        self.ef = Some(ef);
        self
    }

    /// Asks for exact search.
    pub fn exact(mut self, exact: bool) -> Self {
        self.exact = exact;
        self
    }

    /// Sets a payload filter.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Asks for payloads in the results.
    pub fn with_payload(mut self, yes: bool) -> Self {
        self.with_payload = yes;
        self
    }
}

/// One search hit. See [`crate::Metric`] for what `score` means per metric;
/// hits are always ordered best first.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoredPoint {
    /// The point's id.
    pub id: u64,
    /// The score (similarity or distance, per metric).
    pub score: f32,
    /// The payload, when asked for and present.
    pub payload: Option<Value>,
}

/// One page of a scroll through the ids of a collection, in ascending order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScrollPage {
    /// Ids of this page, ascending.
    pub ids: Vec<u64>,
    /// Cursor for the next page (pass it as `from`), `None` at the end.
    pub next: Option<u64>,
}

/// A stored point with its payload as the exact bytes it was written with
/// (what the C ABI returns).
#[derive(Clone, Debug, PartialEq)]
pub struct RawPoint {
    /// The caller's id.
    pub id: u64,
    /// The vector (normalised for cosine collections).
    pub vector: Vec<f32>,
    /// The payload's JSON text, byte for byte as written; `None` = no payload.
    pub payload: Option<Vec<u8>>,
}

/// One search hit with its payload as the exact bytes it was written with.
#[derive(Clone, Debug, PartialEq)]
pub struct RawHit {
    /// The point's id.
    pub id: u64,
    /// The score (see [`crate::Metric`]).
    pub score: f32,
    /// The payload's JSON text, when asked for and present.
    pub payload: Option<Vec<u8>>,
}
