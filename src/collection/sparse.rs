//! Named sparse vectors: writing them apart from the rest of a point, and
//! exact top-k search by dot product ([`crate::index::sparse::lists`]),
//! with a payload filter.

use super::ops::{StoredPayload, UpsertBatch};
use super::state::{Loc, Seg, State};
use super::text::MAX_TEXT_K;
use super::Collection;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::index::sparse::lists::Gate;
use crate::index::sparse::{self, SparseColumn, SparseVector};
use crate::point::{RawHit, ScoredPoint};

/// A sparse vector search.
#[derive(Clone, Debug, Default)]
pub struct SparseQuery {
    /// The name of the sparse vectors searched.
    pub name: String,
    /// The query vector (any order; an index given twice is an error).
    pub vector: SparseVector,
    /// How many hits (1 to 100,000).
    pub k: usize,
    /// Only points matching it.
    pub filter: Option<Filter>,
    /// Return each hit's payload.
    pub with_payload: bool,
}

impl SparseQuery {
    /// The best `k` points for `vector` among the vectors called `name`.
    pub fn new(name: &str, vector: SparseVector, k: usize) -> SparseQuery {
        SparseQuery {
            name: name.to_owned(),
            vector,
            k,
            ..SparseQuery::default()
        }
    }
}

impl Collection {
    /// Sets (or, with `None` or an empty vector, removes) the sparse vector
    /// called `name` of each point of `ids`, leaving its dense vector,
    /// payload and other sparse vectors as they are; returns how many of
    /// the points existed (ids that do not exist are ignored; a repeated id
    /// takes its last vector). Everything is checked first: on any error
    /// nothing changes. Atomic and durable when it returns, like an upsert
    /// of those points; like a payload update, the points rewritten must
    /// fit in one write of 1 GiB.
    pub fn update_sparse(
        &self,
        ids: &[u64],
        name: &str,
        vectors: &[Option<SparseVector>],
    ) -> Result<usize> {
        self.check_writable()?;
        if vectors.len() != ids.len() {
            return Err(Error::invalid(format!(
                "{} ids and {} sparse vectors; give one (or None) per id",
                ids.len(),
                vectors.len()
            )));
        }
        sparse::check_name(name, &|| "update_sparse".to_owned())?;
        let mut checked = Vec::with_capacity(ids.len());
        for (i, (id, v)) in ids.iter().zip(vectors).enumerate() {
            checked.push(match v {
                Some(v) => Some(v.clone().checked(&|| {
                    format!("the sparse vector \"{name}\" of point {id} (batch index {i})")
                })?),
                None => None,
            });
        }
        // The last vector given for an id wins.
        let mut last = std::collections::HashMap::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            last.insert(*id, i);
        }
        let _gate = self.write_gate.write();
        let mut batch = UpsertBatch::default();
        {
            let st = self.state.read();
            self.check_open()?;
            let dim = self.config.dimension;
            for (i, &id) in ids.iter().enumerate() {
                if last[&id] != i {
                    continue;
                }
                let Some(loc) = st.find(id) else { continue };
                let mut named = match st.sparse_at(loc)? {
                    Some(b) => sparse::to_named(&b, &|| format!("point {id}"))?,
                    None => Vec::new(),
                };
                named.retain(|(n, _)| n != name);
                if let Some(v) = checked[i].take() {
                    named.push((name.to_owned(), v));
                }
                let named = sparse::check_named(named, &|| format!("point {id}"))?;
                batch.ids.push(id);
                batch.vectors.extend_from_slice(st.vector_at(loc));
                batch
                    .payloads
                    .push(st.payload_at(loc)?.map(|bytes| StoredPayload { bytes }));
                batch.sparse.push(sparse::encode(&named));
                debug_assert_eq!(batch.vectors.len(), batch.ids.len() * dim);
            }
        }
        let n = batch.len();
        let bytes = super::ops::upsert_body_len(&batch, self.config.dimension);
        if bytes > crate::storage::record_log::MAX_BODY {
            return Err(Error::invalid(format!(
                "this sparse vector update rewrites {n} points, which with their vectors and payloads take {bytes} bytes, more than the {} bytes of one write; update fewer points per call",
                crate::storage::record_log::MAX_BODY
            )));
        }
        if n > 0 {
            self.write_upsert_gated(batch)?;
        }
        Ok(n)
    }

    /// [`Collection::update_sparse`] with the vectors as one
    /// compressed-sparse-row column ([`SparseColumn`]; its name is the one
    /// set, an empty row removes the point's vector of that name).
    pub fn update_sparse_column(&self, ids: &[u64], column: &SparseColumn<'_>) -> Result<usize> {
        let rows = sparse::column_rows(column, "column", ids.len())?;
        self.update_sparse(ids, column.name, &rows)
    }

    /// The best `q.k` points by the dot product of their sparse vector
    /// `q.name` with `q.vector`, best first, equal scores by ascending id.
    /// Exact: every point that shares an index with the query and passes
    /// the filter is a candidate, and each score is the dot product summed
    /// in ascending index order. A name no point carries finds nothing.
    pub fn sparse_search(&self, q: &SparseQuery) -> Result<Vec<ScoredPoint>> {
        let st = self.state.read();
        self.check_open()?;
        let hits = self.sparse_hits(&st, q)?;
        super::text::scored_points(&st, hits, q.with_payload)
    }

    /// Like [`Collection::sparse_search`], with payloads as the exact bytes
    /// they were written with.
    pub fn sparse_search_raw(&self, q: &SparseQuery) -> Result<Vec<RawHit>> {
        let st = self.state.read();
        self.check_open()?;
        let hits = self.sparse_hits(&st, q)?;
        super::text::raw_hits(&st, hits, q.with_payload)
    }

    /// The scored locations of [`Collection::sparse_search`].
    pub(super) fn sparse_hits(&self, st: &State, q: &SparseQuery) -> Result<Vec<(f32, Loc)>> {
        if q.k == 0 || q.k > MAX_TEXT_K {
            return Err(Error::invalid(format!(
                "k is {}; it must be between 1 and {MAX_TEXT_K}",
                q.k
            )));
        }
        sparse::check_name(&q.name, &|| "the sparse query".to_owned())?;
        let vector = q
            .vector
            .clone()
            .checked(&|| "the sparse query vector".to_owned())?;
        if let Some(f) = &q.filter {
            f.validate()?;
        }
        let mut all: Vec<(f32, u64, Loc)> = Vec::new();
        for s in st.segments() {
            let tri = q
                .filter
                .as_ref()
                .and_then(|f| self.candidates(st, f, &s.fields, s.len, s.deleted, s.seg));
            let seg = s.seg;
            let deleted = s.deleted;
            let cheap = |o: u32| {
                !deleted.get(o) && tri.as_ref().is_none_or(|t| t.yes.get(o) || t.maybe.get(o))
            };
            let accept = |o: u32| -> Result<bool> {
                let Some(f) = &q.filter else { return Ok(true) };
                match &tri {
                    Some(t) if t.yes.get(o) => Ok(true),
                    _ => self.matches(st, seg.at(o), Some(f)),
                }
            };
            let id_of = |o: u32| st.id_at(seg.at(o));
            let gate = Gate {
                cheap: &cheap,
                accept: &accept,
                id_of: &id_of,
            };
            let found = match seg {
                Seg::Active => st
                    .active
                    .sparse_index()
                    .search(&q.name, &vector, s.len, q.k, &gate)?,
                Seg::Frozen(i) => st.frozen[i]
                    .seg
                    .sparse_index()
                    .search(&q.name, &vector, s.len, q.k, &gate)?,
                Seg::Sealed(i) => match st.sealed[i].seg.sparse_index() {
                    Some(ix) => ix.search(&q.name, &vector, q.k, &gate)?,
                    None => Vec::new(),
                },
            };
            all.extend(found.into_iter().map(|(sc, o)| (sc, id_of(o), seg.at(o))));
        }
        all.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        all.truncate(q.k);
        Ok(all.into_iter().map(|(s, _, loc)| (s, loc)).collect())
    }
}
