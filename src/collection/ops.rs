//! Write operations: validation of a whole batch before anything is written,
//! and their encoding as record-log bodies.
//!
//! Record bodies (little-endian):
//! - upsert: `1u8`, `n: u32`, then per point `id: u64`,
//!   `payload_len: u32` (`u32::MAX` = no payload), the payload bytes, and
//!   `dim` `f32`s;
//! - upsert with sparse vectors: `4u8`, `n: u32`, then per point `id:
//!   u64`, `payload_len: u32` and the payload as above, `sparse_len: u32`
//!   (`u32::MAX` = none) and the point's sparse vectors in the encoding of
//!   [`crate::index::sparse`], and `dim` `f32`s (a batch without sparse
//!   vectors is written with tag 1);
//! - delete: `2u8`, `n: u32`, then `n` ids as `u64`;
//! - void: `3u8`, `seq: u64`: the record `seq` is to be ignored (its write
//!   failed after it was logged, by a panic).

use crate::collection::config::CollectionConfig;
use crate::distance::{dot, normalize};
use crate::error::{Error, Result};
use crate::storage::format::Reader;
use serde_json::Value;
use std::collections::HashSet;

const TAG_UPSERT: u8 = 1;
const TAG_DELETE: u8 = 2;
const TAG_VOID: u8 = 3;
const TAG_UPSERT_SPARSE: u8 = 4;
const TAG_ADD_EDGES: u8 = 5;
const TAG_REMOVE_EDGES: u8 = 6;
const NO_PAYLOAD: u32 = u32::MAX;

/// A payload as the engine stores it: the JSON text exactly as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPayload {
    /// The JSON text of an object.
    pub bytes: Vec<u8>,
}

impl StoredPayload {
    /// From a JSON value: `None` for `null`; an error for anything but an
    /// object.
    pub fn from_value(value: &Value, what: &dyn Fn() -> String) -> Result<Option<StoredPayload>> {
        match value {
            Value::Null => Ok(None),
            Value::Object(_) => Ok(Some(StoredPayload {
                bytes: serde_json::to_vec(value).expect("a JSON value always serialises"),
            })),
            other => Err(not_an_object(other, what)),
        }
    }

    /// From JSON text given by a caller: kept byte for byte. `null` means no
    /// payload; anything but an object is an error naming the point.
    pub fn parse(bytes: &[u8], what: &dyn Fn() -> String) -> Result<Option<StoredPayload>> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| Error::invalid(format!("payload of {}: {e}", what())))?;
        match value {
            Value::Null => Ok(None),
            Value::Object(_) => Ok(Some(StoredPayload {
                bytes: bytes.to_vec(),
            })),
            other => Err(not_an_object(&other, what)),
        }
    }
}

fn not_an_object(v: &Value, what: &dyn Fn() -> String) -> Error {
    let kind = match v {
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        _ => "not an object",
    };
    Error::invalid(format!(
        "payload of {} is {kind}; a payload must be a JSON object (or null for none)",
        what()
    ))
}

/// Parses the top-level `keys` of stored payload bytes into an
/// object holding only them: the other members are checked but not built,
/// which is what makes evaluating a filter on a payload cheap (a filter
/// reads a few fields; building the whole document allocates every string
/// of it).
pub fn parse_stored_keys(bytes: &[u8], keys: &[&str]) -> Result<Value> {
    use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
    struct Pick<'k>(&'k [&'k str]);
    impl<'de> Visitor<'de> for Pick<'_> {
        type Value = Value;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
            let mut out = serde_json::Map::new();
            while let Some(k) = map.next_key_seed(Key)? {
                if self.0.contains(&&*k) {
                    out.insert(k.into_owned(), map.next_value::<Value>()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(Value::Object(out))
        }
    }
    /// A key, borrowed from the input unless it has escapes.
    struct Key;
    impl<'de> Visitor<'de> for Key {
        type Value = std::borrow::Cow<'de, str>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
            Ok(std::borrow::Cow::Borrowed(v))
        }
        fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
            Ok(std::borrow::Cow::Owned(v.to_owned()))
        }
    }
    impl<'de> DeserializeSeed<'de> for Key {
        type Value = std::borrow::Cow<'de, str>;
        fn deserialize<D: serde::Deserializer<'de>>(
            self,
            d: D,
        ) -> std::result::Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
    }
    impl<'de> DeserializeSeed<'de> for Pick<'_> {
        type Value = Value;
        fn deserialize<D: serde::Deserializer<'de>>(
            self,
            d: D,
        ) -> std::result::Result<Value, D::Error> {
            d.deserialize_map(self)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Pick(keys)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| Error::corrupt(format!("stored payload is not a valid JSON object: {e}")))
}

/// Parses stored payload bytes (for filters and the Rust API).
pub fn parse_stored(bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice(bytes)
        .map_err(|e| Error::corrupt(format!("stored payload is not valid JSON: {e}")))
}

/// A validated upsert batch: unique ids (the last occurrence of a repeated id
/// wins), vectors checked and, for cosine, normalised.
#[derive(Debug, Default)]
pub struct UpsertBatch {
    /// Point ids, unique.
    pub ids: Vec<u64>,
    /// `ids.len() * dim` floats, row-major.
    pub vectors: Vec<f32>,
    /// One optional payload per id.
    pub payloads: Vec<Option<StoredPayload>>,
    /// One optional encoded set of sparse vectors per id
    /// ([`crate::index::sparse::encode`]), or empty when no point of the
    /// batch has any.
    pub sparse: Vec<Option<Vec<u8>>>,
}

impl UpsertBatch {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when the batch holds no point.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Checks one vector: length, finite values, a finite squared norm (so
/// that no distance of two vectors is NaN: a dot product of two vectors
/// whose squared norms are finite is bounded by their product, whereas one
/// of huge finite values can overflow to +inf and -inf, which sum to NaN);
/// normalises it for cosine (which makes any finite vector's norm 1).
pub fn check_vector(
    config: &CollectionConfig,
    v: &mut [f32],
    what: &dyn Fn() -> String,
) -> Result<()> {
    if v.len() != config.dimension {
        return Err(Error::DimensionMismatch {
            context: what(),
            expected: config.dimension,
            got: v.len(),
        });
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(Error::invalid(format!(
            "{}: value {} at position {i} is not finite",
            what(),
            v[i]
        )));
    }
    if config.metric.needs_normalization() && config.dimension > 0 && !normalize(v) {
        return Err(Error::invalid(format!(
            "{}: a zero vector has no direction for the cosine metric",
            what()
        )));
    }
    // A normalised vector's squared norm is 1.
    if !config.metric.needs_normalization() && !dot(v, v).is_finite() {
        return Err(Error::invalid(format!(
            "{}: the squared norm of the vector (the sum of its squared values) is not finite in 32-bit floats (its largest value is {}); scale the vector down",
            what(),
            v.iter().fold(0.0f32, |m, x| m.max(x.abs()))
        )));
    }
    Ok(())
}

/// Validates a flat batch and builds the [`UpsertBatch`]; nothing is
/// written when any point is bad. `sparse` holds one encoded set of
/// sparse vectors per id (checked already), or is empty for none.
pub fn prepare_upsert(
    config: &CollectionConfig,
    ids: &[u64],
    vectors: &[f32],
    payloads: Vec<Option<StoredPayload>>,
    sparse: Vec<Option<Vec<u8>>>,
) -> Result<UpsertBatch> {
    let dim = config.dimension;
    let n = ids.len();
    let Some(floats) = n.checked_mul(dim) else {
        return Err(Error::invalid(format!(
            "a batch of {n} ids of {dim} floats each overflows: the batch is too large"
        )));
    };
    if vectors.len() != floats {
        // Whole rows of the wrong length: report the row length; otherwise
        // report the float count of the whole batch.
        return Err(match n {
            n if n > 0 && vectors.len().is_multiple_of(n) => Error::DimensionMismatch {
                context: format!("each of the {n} vectors of the batch"),
                expected: dim,
                got: vectors.len() / n,
            },
            _ => Error::DimensionMismatch {
                context: format!("a batch of {n} ids ({n} x {dim} floats)"),
                expected: floats,
                got: vectors.len(),
            },
        });
    }
    if payloads.len() != n {
        return Err(Error::invalid(format!(
            "a batch of {n} ids has {} payloads; pass one (or none) per id",
            payloads.len()
        )));
    }
    if !sparse.is_empty() && sparse.len() != n {
        return Err(Error::invalid(format!(
            "a batch of {n} ids has sparse vectors for {} points; give them for every point (or none)",
            sparse.len()
        )));
    }
    // Every point is checked, also one a later duplicate supersedes: a bad
    // point fails the batch wherever it is.
    let mut scratch = vec![0f32; dim];
    for (i, id) in ids.iter().enumerate() {
        scratch.copy_from_slice(&vectors[i * dim..(i + 1) * dim]);
        check_vector(config, &mut scratch, &|| {
            format!("point {id} (batch index {i})")
        })?;
    }
    // Keep the last occurrence of each id, in order of those occurrences.
    let mut seen = HashSet::with_capacity(n);
    let mut keep: Vec<usize> = (0..n).rev().filter(|&i| seen.insert(ids[i])).collect();
    keep.reverse();
    let mut batch = UpsertBatch {
        ids: Vec::with_capacity(keep.len()),
        vectors: Vec::with_capacity(keep.len() * dim),
        payloads: Vec::with_capacity(keep.len()),
        sparse: Vec::new(),
    };
    let mut payloads: Vec<Option<StoredPayload>> = payloads;
    let mut sparse = sparse;
    let with_sparse = sparse.iter().any(Option::is_some);
    for &i in &keep {
        let start = batch.vectors.len();
        batch
            .vectors
            .extend_from_slice(&vectors[i * dim..(i + 1) * dim]);
        check_vector(config, &mut batch.vectors[start..], &|| {
            format!("point {} (batch index {i})", ids[i])
        })?;
        batch.ids.push(ids[i]);
        batch.payloads.push(payloads[i].take());
        if with_sparse {
            batch.sparse.push(sparse[i].take());
        }
    }
    Ok(batch)
}

/// Where each point's payload and sparse vectors are within a record body
/// (offset, length).
pub type BodyRefs = (Vec<Option<(u64, u32)>>, Vec<Option<(u64, u32)>>);

/// The bytes of an upsert's log record body.
pub fn upsert_body_len(batch: &UpsertBatch, dim: usize) -> usize {
    let bytes = |v: Option<&Vec<u8>>| v.map_or(0, Vec::len);
    5 + batch.len() * (12 + dim * 4)
        + batch
            .payloads
            .iter()
            .map(|p| bytes(p.as_ref().map(|p| &p.bytes)))
            .sum::<usize>()
        + batch
            .sparse
            .iter()
            .map(|s| 4 + bytes(s.as_ref()))
            .sum::<usize>()
}

/// Encodes an upsert as a log record body; also returns, per point, where
/// its payload bytes and its sparse vectors are within the body.
pub fn encode_upsert(batch: &UpsertBatch, dim: usize) -> (Vec<u8>, BodyRefs) {
    let mut b = Vec::with_capacity(upsert_body_len(batch, dim));
    let mut at = Vec::with_capacity(batch.len());
    let with_sparse = !batch.sparse.is_empty();
    let mut sparse_at = Vec::with_capacity(if with_sparse { batch.len() } else { 0 });
    b.push(if with_sparse {
        TAG_UPSERT_SPARSE
    } else {
        TAG_UPSERT
    });
    b.extend_from_slice(&(batch.len() as u32).to_le_bytes());
    let put = |b: &mut Vec<u8>, bytes: Option<&[u8]>| match bytes {
        Some(p) => {
            b.extend_from_slice(&(p.len() as u32).to_le_bytes());
            let r = Some((b.len() as u64, p.len() as u32));
            b.extend_from_slice(p);
            r
        }
        None => {
            b.extend_from_slice(&NO_PAYLOAD.to_le_bytes());
            None
        }
    };
    for (i, id) in batch.ids.iter().enumerate() {
        b.extend_from_slice(&id.to_le_bytes());
        at.push(put(
            &mut b,
            batch.payloads[i].as_ref().map(|p| &p.bytes[..]),
        ));
        if with_sparse {
            sparse_at.push(put(&mut b, batch.sparse[i].as_deref()));
        }
        for x in &batch.vectors[i * dim..(i + 1) * dim] {
            b.extend_from_slice(&x.to_le_bytes());
        }
    }
    (b, (at, sparse_at))
}

/// Encodes a delete as a log record body.
pub fn encode_delete(ids: &[u64]) -> Vec<u8> {
    let mut b = Vec::with_capacity(5 + ids.len() * 8);
    b.push(TAG_DELETE);
    b.extend_from_slice(&(ids.len() as u32).to_le_bytes());
    for id in ids {
        b.extend_from_slice(&id.to_le_bytes());
    }
    b
}

/// Encodes an add-edges record (edges checked, ids unique).
pub fn encode_add_edges(edges: &[crate::graph::Edge]) -> Vec<u8> {
    let mut b = vec![TAG_ADD_EDGES];
    crate::graph::encode_edges(&mut b, edges);
    b
}

/// Encodes a remove-edges record.
pub fn encode_remove_edges(ids: &[u64]) -> Vec<u8> {
    let mut b = encode_delete(ids);
    b[0] = TAG_REMOVE_EDGES;
    b
}

/// Encodes a void record for `seq`.
pub fn encode_void(seq: u64) -> Vec<u8> {
    let mut b = vec![TAG_VOID];
    b.extend_from_slice(&seq.to_le_bytes());
    b
}

/// A decoded upsert: ids, vectors, and where each payload is in the body.
#[derive(Debug, Default)]
pub struct DecodedUpsert {
    /// Point ids.
    pub ids: Vec<u64>,
    /// `ids.len() * dim` floats.
    pub vectors: Vec<f32>,
    /// Per point: offset within the body and length of its payload.
    pub payloads: Vec<Option<(u64, u32)>>,
    /// Per point (or empty when the record has none): offset within the
    /// body and length of its encoded sparse vectors.
    pub sparse: Vec<Option<(u64, u32)>>,
}

/// A decoded log record.
#[derive(Debug)]
pub enum WriteOp {
    /// Insert or replace points.
    Upsert(DecodedUpsert),
    /// Delete points by id.
    Delete(Vec<u64>),
    /// Ignore the record with this sequence number.
    Void(u64),
    /// Add (or replace) edges.
    AddEdges(Vec<crate::graph::Edge>),
    /// Remove edges by id.
    RemoveEdges(Vec<u64>),
}

/// Decodes a log record body written by this module.
pub fn decode(body: &[u8], dim: usize) -> Result<WriteOp> {
    let mut r = Reader::new(body, "log record");
    let tag = r.u8()?;
    match tag {
        TAG_UPSERT | TAG_UPSERT_SPARSE => {
            let n = r.u32()? as usize;
            let mut u = DecodedUpsert::default();
            let blob = |r: &mut Reader<'_>| -> Result<Option<(u64, u32)>> {
                let len = r.u32()?;
                if len == NO_PAYLOAD {
                    return Ok(None);
                }
                let at = (body.len() - r.remaining()) as u64;
                r.take(len as usize)?;
                Ok(Some((at, len)))
            };
            for _ in 0..n {
                let id = r.u64()?;
                u.ids.push(id);
                u.payloads.push(blob(&mut r)?);
                if tag == TAG_UPSERT_SPARSE {
                    let s = blob(&mut r)?;
                    if let Some((at, len)) = s {
                        let bytes = &body[at as usize..at as usize + len as usize];
                        crate::index::sparse::decode(bytes, &|| format!("point {id}"))?;
                    }
                    u.sparse.push(s);
                }
                let raw = r.take(dim * 4)?;
                u.vectors.extend(
                    raw.chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                );
            }
            Ok(WriteOp::Upsert(u))
        }
        TAG_DELETE => {
            let n = r.u32()? as usize;
            let ids = (0..n).map(|_| r.u64()).collect::<Result<Vec<_>>>()?;
            Ok(WriteOp::Delete(ids))
        }
        TAG_VOID => Ok(WriteOp::Void(r.u64()?)),
        TAG_ADD_EDGES => Ok(WriteOp::AddEdges(crate::graph::decode_edges(&mut r)?)),
        TAG_REMOVE_EDGES => {
            let n = r.u32()? as usize;
            let ids = (0..n).map(|_| r.u64()).collect::<Result<Vec<_>>>()?;
            Ok(WriteOp::RemoveEdges(ids))
        }
        t => Err(Error::corrupt(format!("log record has unknown tag {t}"))),
    }
}
