//! Write operations: validation of a whole batch before anything is written,
//! and their encoding as write-ahead-log records.
//!
//! Record bodies (little-endian):
//! - upsert: `1u8`, `n: u32`, then per point `id: u64`,
//!   `payload_len: u32` (`u32::MAX` = no payload), the payload bytes, and
//!   `dim` `f32`s;
//! - delete: `2u8`, `n: u32`, then `n` ids as `u64`.

use crate::collection::config::CollectionConfig;
use crate::distance::normalize;
use crate::error::{Error, Result};
use crate::storage::format::Reader;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;

const TAG_UPSERT: u8 = 1;
const TAG_DELETE: u8 = 2;
const NO_PAYLOAD: u32 = u32::MAX;

/// A payload as the engine keeps it: parsed for filters and results, and
/// serialised for the logs.
#[derive(Clone, Debug)]
pub struct StoredPayload {
    /// The parsed JSON.
    pub value: Arc<Value>,
    /// Its compact JSON text.
    pub bytes: Vec<u8>,
}

impl StoredPayload {
    /// From a JSON value.
    pub fn from_value(value: Value) -> StoredPayload {
        let bytes = serde_json::to_vec(&value).expect("a JSON value always serialises");
        StoredPayload {
            value: Arc::new(value),
            bytes,
        }
    }

    /// From JSON text read back from a log; bad JSON there is corruption.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<StoredPayload> {
        Self::parse(bytes)
            .map_err(|e| Error::corrupt(format!("stored payload is not valid JSON: {e}")))
    }

    /// From JSON text given by a caller; the error is serde_json's, which
    /// says what is wrong and where (UTF-8 included).
    pub fn parse(bytes: Vec<u8>) -> std::result::Result<StoredPayload, serde_json::Error> {
        let value: Value = serde_json::from_slice(&bytes)?;
        Ok(StoredPayload {
            value: Arc::new(value),
            bytes,
        })
    }
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

/// Checks one vector: length and finiteness; normalises it for cosine.
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
    Ok(())
}

/// Validates a flat batch and builds the [`UpsertBatch`]; nothing is
/// written when any point is bad.
pub fn prepare_upsert(
    config: &CollectionConfig,
    ids: &[u64],
    vectors: &[f32],
    payloads: Vec<Option<StoredPayload>>,
) -> Result<UpsertBatch> {
    let dim = config.dimension;
    let n = ids.len();
    if vectors.len() != n * dim {
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
                expected: n * dim,
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
    // Keep the last occurrence of each id, in order of those occurrences.
    let mut seen = HashSet::with_capacity(n);
    let mut keep: Vec<usize> = (0..n).rev().filter(|&i| seen.insert(ids[i])).collect();
    keep.reverse();
    let mut batch = UpsertBatch {
        ids: Vec::with_capacity(keep.len()),
        vectors: Vec::with_capacity(keep.len() * dim),
        payloads: Vec::with_capacity(keep.len()),
    };
    let mut payloads: Vec<Option<StoredPayload>> = payloads;
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
    }
    Ok(batch)
}

/// Encodes an upsert as a log record body.
pub fn encode_upsert(batch: &UpsertBatch, dim: usize) -> Vec<u8> {
    let payload_bytes: usize = batch
        .payloads
        .iter()
        .map(|p| p.as_ref().map_or(0, |p| p.bytes.len()))
        .sum();
    let mut b = Vec::with_capacity(5 + batch.len() * (12 + dim * 4) + payload_bytes);
    b.push(TAG_UPSERT);
    b.extend_from_slice(&(batch.len() as u32).to_le_bytes());
    for (i, id) in batch.ids.iter().enumerate() {
        b.extend_from_slice(&id.to_le_bytes());
        match &batch.payloads[i] {
            Some(p) => {
                b.extend_from_slice(&(p.bytes.len() as u32).to_le_bytes());
                b.extend_from_slice(&p.bytes);
            }
            None => b.extend_from_slice(&NO_PAYLOAD.to_le_bytes()),
        }
        for x in &batch.vectors[i * dim..(i + 1) * dim] {
            b.extend_from_slice(&x.to_le_bytes());
        }
    }
    b
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

/// A decoded log record.
#[derive(Debug)]
pub enum WriteOp {
    /// Insert or replace points.
    Upsert(UpsertBatch),
    /// Delete points by id.
    Delete(Vec<u64>),
}

/// Decodes a log record body written by this module.
pub fn decode(body: &[u8], dim: usize) -> Result<WriteOp> {
    let mut r = Reader::new(body, "write-ahead log record");
    let tag = r.u8()?;
    let n = r.u32()? as usize;
    match tag {
        TAG_UPSERT => {
            let mut batch = UpsertBatch::default();
            for _ in 0..n {
                batch.ids.push(r.u64()?);
                let len = r.u32()?;
                batch.payloads.push(if len == NO_PAYLOAD {
                    None
                } else {
                    Some(StoredPayload::from_bytes(r.take(len as usize)?.to_vec())?)
                });
                let raw = r.take(dim * 4)?;
                batch.vectors.extend(
                    raw.chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                );
            }
            Ok(WriteOp::Upsert(batch))
        }
        TAG_DELETE => {
            let ids = (0..n).map(|_| r.u64()).collect::<Result<Vec<_>>>()?;
            Ok(WriteOp::Delete(ids))
        }
        t => Err(Error::corrupt(format!(
            "write-ahead log record has unknown tag {t}"
        ))),
    }
}
