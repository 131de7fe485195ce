//! Points, search parameters and results: the values that cross the public API.

use crate::filter::Filter;
use crate::index::sparse::SparseVector;
use serde_json::Value;

/// A stored point: a user id, a dense vector (empty in metadata-only
/// collections), an optional JSON payload and any number of named sparse
/// vectors.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Point {
    /// The caller's id.
    pub id: u64,
    /// The vector. For cosine collections the stored (and returned) vector is
    /// normalised to unit length.
    pub vector: Vec<f32>,
    /// Optional JSON payload.
    pub payload: Option<Value>,
    /// Named sparse vectors (see [`crate::index::sparse`]); returned by
    /// name order, each sorted by index.
    pub sparse: Vec<(String, SparseVector)>,
}

impl Point {
    /// A point with a vector and no payload.
    pub fn new(id: u64, vector: Vec<f32>) -> Self {
        Point {
            id,
            vector,
            payload: None,
            sparse: Vec::new(),
        }
    }

    /// Sets the payload.
    pub fn with_payload(mut self, payload: Value) -> Self {
        self.payload = Some(payload);
        self
    }

    /// Adds a named sparse vector.
    pub fn with_sparse(mut self, name: &str, vector: SparseVector) -> Self {
        self.sparse.push((name.to_owned(), vector));
        self
    }
}

/// Per-call search parameters.
#[derive(Clone, Debug)]
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
    /// Quantized storage modes: the walk on codes keeps the best
    /// `k × oversampling` candidates for rescoring (1 to 100; `None` = the
    /// mode's [`crate::quant::StorageMode::default_oversampling`]).
    /// Checked in every mode, used only in quantized ones.
    pub oversampling: Option<f32>,
    /// Quantized storage modes: rescore the candidates on the original
    /// vectors, so that the scores returned are exact (default `true`).
    /// With `false`, hits carry the scores estimated on the codes. Ignored
    /// in f32 mode, whose scores are always exact.
    pub rescore: bool,
}

impl Default for SearchParams {
    fn default() -> Self {
        SearchParams {
            k: 0,
            ef: None,
            exact: false,
            filter: None,
            with_payload: false,
            oversampling: None,
            rescore: true,
        }
    }
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

    /// Sets the oversampling of quantized modes.
    pub fn oversampling(mut self, factor: f32) -> Self {
        self.oversampling = Some(factor);
        self
    }

    /// Turns the exact rescoring of quantized modes on or off.
    pub fn rescore(mut self, yes: bool) -> Self {
        self.rescore = yes;
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

/// Where a scroll goes on: returned with each page but the last, passed
/// back with the same request for the next one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cursor {
    /// A scroll by id: the next page starts at this id.
    Id(u64),
    /// An ordered scroll: the next page starts after this sort key and id.
    Ordered {
        /// The order it belongs to (a cursor of another order is refused).
        order: OrderBy,
        /// The sort key of the last point returned (an order-preserving
        /// encoding of its value).
        key: u64,
        /// Its id.
        id: u64,
    },
}

impl Cursor {
    /// The cursor as text (what the C ABI hands out): `id:<n>` or
    /// `ord:<a|d>:<key>:<id>:<field>`.
    pub fn encode(&self) -> String {
        match self {
            Cursor::Id(id) => format!("id:{id}"),
            Cursor::Ordered { order, key, id } => format!(
                "ord:{}:{key}:{id}:{}",
                if order.descending { 'd' } else { 'a' },
                order.field
            ),
        }
    }

    /// Parses [`Cursor::encode`]'s text.
    pub fn decode(text: &str) -> crate::error::Result<Cursor> {
        let bad = || {
            crate::error::Error::invalid(format!("cursor \"{text}\" is not one a scroll returned"))
        };
        if let Some(id) = text.strip_prefix("id:") {
            return id.parse().map(Cursor::Id).map_err(|_| bad());
        }
        let rest = text.strip_prefix("ord:").ok_or_else(bad)?;
        let mut parts = rest.splitn(4, ':');
        let (Some(dir), Some(key), Some(id), Some(field)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let descending = match dir {
            "a" => false,
            "d" => true,
            _ => return Err(bad()),
        };
        if field.is_empty() {
            return Err(bad());
        }
        Ok(Cursor::Ordered {
            order: OrderBy {
                field: field.to_owned(),
                descending,
            },
            key: key.parse().map_err(|_| bad())?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

/// The order of an ordered scroll.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderBy {
    /// A payload field with an integer, float or datetime index.
    pub field: String,
    /// Largest values first.
    pub descending: bool,
}

/// What [`crate::Collection::scroll_points`] returns.
#[derive(Clone, Debug, Default)]
pub struct ScrollRequest {
    /// Only points matching it (all when `None`).
    pub filter: Option<Filter>,
    /// Points per page (>= 1).
    pub limit: usize,
    /// Where to go on (`None`: the first page).
    pub cursor: Option<Cursor>,
    /// Order by an indexed numeric or datetime field instead of by id.
    pub order_by: Option<OrderBy>,
    /// Return the vectors.
    pub with_vectors: bool,
    /// Return the payloads.
    pub with_payload: bool,
}

/// A page of points.
#[derive(Clone, Debug, PartialEq)]
pub struct PointsPage {
    /// The points, in scroll order (vectors and payloads as asked; an empty
    /// vector when not).
    pub points: Vec<RawPoint>,
    /// The cursor of the next page, `None` after the last.
    pub next: Option<Cursor>,
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
