//! Payload operations without touching vectors (set keys, overwrite,
//! delete keys, clear; by ids or by filter) and deletion by filter.
//!
//! Each is a read-modify-write: it holds the collection's write gate
//! exclusively from the moment it reads the points it selects until its
//! write is applied, so it sees every earlier write and none comes between
//! (no update is lost to a concurrent one). What it logs is an ordinary,
//! self-contained record: an upsert of the changed points (same vectors,
//! new payloads), or a delete of the selected ids. So the write is atomic
//! and durable like any upsert or delete, and replaying it after a crash
//! needs nothing but the record. A point whose payload would not change is
//! not rewritten.

use super::ops::{self, StoredPayload, UpsertBatch};
use super::Collection;
use crate::error::{Error, Result};
use crate::filter::{FieldPath, Filter};
use serde_json::Value;

/// Which points a payload update or a delete applies to.
#[derive(Clone, Debug, PartialEq)]
pub enum Selection {
    /// The points with these ids (those that exist).
    Ids(Vec<u64>),
    /// The points matching this filter.
    Filter(Filter),
}

/// What a payload update does to each point it selects.
#[derive(Clone, Copy, Debug)]
pub enum PayloadChange<'a> {
    /// Sets the keys of this JSON object (the others stay). The payload is
    /// rewritten as serde_json writes it (keys in sorted order).
    Set(&'a Value),
    /// Replaces the payload with this JSON object.
    Overwrite(&'a Value),
    /// Replaces the payload with this JSON object text, kept byte for byte.
    OverwriteJson(&'a [u8]),
    /// Removes the fields at these paths (dotted; `tags[].name` removes
    /// `name` from each element of `tags`). Paths that are absent are
    /// ignored.
    DeleteKeys(&'a [&'a str]),
    /// Removes the payload.
    Clear,
}

impl Collection {
    /// Applies `change` to the payloads of the points `selection` picks,
    /// leaving their vectors as they are; returns how many points it
    /// applied to (the points that exist, or match, when it runs, whether
    /// or not their payload changed). The arguments are checked first: on
    /// any error nothing changes. Atomic and durable when it returns, like
    /// an upsert of those points: the changed points, with their vectors,
    /// must fit in one log record of 1 GiB (about 650,000 points of 384
    /// floats), or the call fails with `InvalidArgument` and changes
    /// nothing.
    pub fn update_payload(
        &self,
        selection: &Selection,
        change: PayloadChange<'_>,
    ) -> Result<usize> {
        self.check_writable()?;
        let edit = Edit::new(change)?;
        if let Selection::Filter(f) = selection {
            f.validate()?;
        }
        let _gate = self.write_gate.write();
        let (ids, vectors, old, mut sparse) = {
            let st = self.state.read();
            self.check_open()?;
            let locs = self.selected(&st, selection)?;
            let dim = self.config.dimension;
            let mut ids = super::read::reserve(locs.len(), "the points to update")?;
            let mut vectors = super::read::reserve(locs.len() * dim, "the points to update")?;
            let mut old = super::read::reserve(locs.len(), "the points to update")?;
            let mut sparse = super::read::reserve(locs.len(), "the points to update")?;
            for loc in locs {
                ids.push(st.id_at(loc));
                vectors.extend_from_slice(st.vector_at(loc));
                old.push(st.payload_at(loc)?);
                sparse.push(st.sparse_at(loc)?);
            }
            (ids, vectors, old, sparse)
        };
        let applied = ids.len();
        let dim = self.config.dimension;
        let mut batch = UpsertBatch::default();
        let with_sparse = sparse.iter().any(Option::is_some);
        for (i, (id, before)) in ids.iter().zip(old).enumerate() {
            let after = edit.apply(before.as_deref())?;
            if after.as_deref() == before.as_deref() {
                continue;
            }
            batch.ids.push(*id);
            batch
                .vectors
                .extend_from_slice(&vectors[i * dim..(i + 1) * dim]);
            batch
                .payloads
                .push(after.map(|bytes| StoredPayload { bytes }));
            // The point keeps its sparse vectors.
            if with_sparse {
                batch.sparse.push(sparse[i].take());
            }
        }
        let bytes = super::ops::upsert_body_len(&batch, dim);
        if bytes > crate::storage::record_log::MAX_BODY {
            return Err(Error::invalid(format!(
                "this payload update changes {} points, which with their vectors take {bytes} bytes, more than the {} bytes of one write; select fewer points per call (by ids, or a narrower filter)",
                batch.len(),
                crate::storage::record_log::MAX_BODY
            )));
        }
        if !batch.is_empty() {
            self.write_upsert_gated(batch)?;
        }
        Ok(applied)
    }

    /// Deletes every point matching `filter`; returns how many there were.
    /// Atomic and durable when it returns, like a delete of those ids.
    pub fn delete_where(&self, filter: &Filter) -> Result<usize> {
        self.check_writable()?;
        filter.validate()?;
        let _gate = self.write_gate.write();
        let mut ids: Vec<u64> = {
            let st = self.state.read();
            self.check_open()?;
            let locs = self.selected(&st, &Selection::Filter(filter.clone()))?;
            locs.into_iter().map(|l| st.id_at(l)).collect()
        };
        ids.sort_unstable();
        if ids.is_empty() {
            return Ok(0);
        }
        self.write_delete_gated(ids)
    }

    /// The live copies of the points `selection` picks, each once.
    fn selected(
        &self,
        st: &super::state::State,
        selection: &Selection,
    ) -> Result<Vec<super::state::Loc>> {
        match selection {
            Selection::Ids(ids) => {
                let mut ids = ids.clone();
                ids.sort_unstable();
                ids.dedup();
                Ok(ids.into_iter().filter_map(|id| st.find(id)).collect())
            }
            Selection::Filter(f) => self.matching_locs(st, f),
        }
    }
}

/// A checked [`PayloadChange`].
enum Edit {
    Set(serde_json::Map<String, Value>),
    Overwrite(Vec<u8>),
    DeleteKeys(Vec<FieldPath>),
    Clear,
}

impl Edit {
    fn new(change: PayloadChange<'_>) -> Result<Edit> {
        Ok(match change {
            PayloadChange::Set(v) => match v {
                Value::Object(m) => Edit::Set(m.clone()),
                other => return Err(not_object(other)),
            },
            PayloadChange::Overwrite(Value::Null) | PayloadChange::Clear => Edit::Clear,
            PayloadChange::Overwrite(v) => match v {
                Value::Object(_) => {
                    Edit::Overwrite(serde_json::to_vec(v).expect("a JSON value always serialises"))
                }
                other => return Err(not_object(other)),
            },
            PayloadChange::OverwriteJson(b) => {
                match StoredPayload::parse(b, &|| "the update".to_owned())? {
                    Some(p) => Edit::Overwrite(p.bytes),
                    None => Edit::Clear,
                }
            }
            PayloadChange::DeleteKeys(keys) => Edit::DeleteKeys(
                keys.iter()
                    .enumerate()
                    .map(|(i, k)| {
                        FieldPath::parse(k)
                            .map_err(|e| Error::invalid(format!("keys[{i}]: {}", e.bare_message())))
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
        })
    }

    /// The payload after the edit of one that was `before`.
    fn apply(&self, before: Option<&[u8]>) -> Result<Option<Vec<u8>>> {
        let parsed = || -> Result<Value> {
            match before {
                Some(b) => ops::parse_stored(b),
                None => Ok(Value::Object(Default::default())),
            }
        };
        let text = |v: &Value| serde_json::to_vec(v).expect("a JSON value always serialises");
        Ok(match self {
            Edit::Set(keys) => {
                let mut v = parsed()?;
                if let Value::Object(m) = &mut v {
                    for (k, x) in keys {
                        m.insert(k.clone(), x.clone());
                    }
                }
                Some(text(&v))
            }
            Edit::Overwrite(b) => Some(b.clone()),
            Edit::DeleteKeys(paths) => {
                let Some(b) = before else { return Ok(None) };
                let mut v = ops::parse_stored(b)?;
                let mut any = false;
                for p in paths {
                    any |= p.remove_from(&mut v);
                }
                if any {
                    Some(text(&v))
                } else {
                    Some(b.to_vec())
                }
            }
            Edit::Clear => None,
        })
    }
}

fn not_object(v: &Value) -> Error {
    Error::invalid(format!(
        "payload must be a JSON object, got {}",
        crate::filter::json_kind(v)
    ))
}
