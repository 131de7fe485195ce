//! The appendable segment: takes new writes. Its points live in RAM (ids,
//! versions, vectors) and in the record log (payload bytes, referenced by
//! position), so it is durable through the log alone and needs no files of
//! its own; it is searched exactly. When it is full it is frozen (no more
//! inserts) and the optimizer seals it into an immutable segment.

use super::component::{PointIndex, PointSource};
use crate::error::{Error, Result};
use crate::index::sparse::lists::GrowingIndex;
use crate::storage::record_log::LogFile;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// Where a payload's bytes are in the log.
#[derive(Clone, Copy, Debug)]
struct PayloadRef {
    file: u32,
    len: u32,
    offset: u64,
}

const NO_PAYLOAD: u32 = u32::MAX;

/// What a point stores besides its id and vector: where its payload and
/// sparse vectors are in the log (offset, length) and their bytes.
#[derive(Clone, Copy, Default)]
pub struct Stored<'a> {
    /// The payload's place in the log.
    pub payload: Option<(u64, u32)>,
    /// The payload's bytes.
    pub payload_bytes: Option<&'a [u8]>,
    /// The encoded sparse vectors' place in the log.
    pub sparse: Option<(u64, u32)>,
    /// Their bytes (checked).
    pub sparse_bytes: Option<&'a [u8]>,
}

/// One appendable segment.
pub struct Appendable {
    /// Segment id (for stats; sealing gives the data a new id).
    pub id: u64,
    /// The first log file that may hold its records.
    pub first_log_file: u64,
    /// The highest log sequence number applied while it was active.
    pub last_seq: u64,
    dim: usize,
    ids: Vec<u64>,
    versions: Vec<u64>,
    vectors: Vec<f32>,
    payloads: Vec<PayloadRef>,
    payload_bytes: u64,
    /// Where each point's sparse vectors are (empty while no point has
    /// any; then filled up to the point that has).
    sparse: Vec<PayloadRef>,
    sparse_index: GrowingIndex,
    /// Id -> offset of its newest copy here.
    map: HashMap<u64, u32>,
    files: Vec<(u64, Arc<LogFile>)>,
    indexes: Vec<Box<dyn PointIndex>>,
    /// When its first record was applied.
    pub started: Option<Instant>,
}

impl Appendable {
    /// An empty segment for vectors of `dim` floats.
    pub fn new(
        id: u64,
        dim: usize,
        first_log_file: u64,
        indexes: Vec<Box<dyn PointIndex>>,
    ) -> Self {
        Appendable {
            id,
            first_log_file,
            last_seq: 0,
            dim,
            ids: Vec::new(),
            versions: Vec::new(),
            vectors: Vec::new(),
            payloads: Vec::new(),
            payload_bytes: 0,
            sparse: Vec::new(),
            sparse_index: GrowingIndex::default(),
            map: HashMap::new(),
            files: Vec::new(),
            indexes,
            started: None,
        }
    }

    /// Number of offsets (points written, live or not).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Bytes of vectors, payloads and sparse vectors written.
    pub fn data_bytes(&self) -> u64 {
        (self.vectors.len() * 4) as u64 + self.payload_bytes
    }

    /// Appends a point whose payload and sparse vectors (if any) are in
    /// log file `log` as `stored` says; returns its offset.
    pub fn push(
        &mut self,
        id: u64,
        version: u64,
        vector: &[f32],
        stored: Stored<'_>,
        log: &Arc<LogFile>,
        log_number: u64,
    ) -> Result<u32> {
        let offset = u32::try_from(self.ids.len())
            .map_err(|_| Error::invalid("an appendable segment holds at most 2^32 points"))?;
        debug_assert_eq!(vector.len(), self.dim);
        self.ids.push(id);
        self.versions.push(version);
        self.vectors.extend_from_slice(vector);
        let file = match self.files.iter().position(|(n, _)| *n == log_number) {
            Some(i) => i,
            None => {
                self.files.push((log_number, Arc::clone(log)));
                self.files.len() - 1
            }
        };
        let at = |r: Option<(u64, u32)>| match r {
            Some((offset, len)) => PayloadRef {
                file: file as u32,
                len,
                offset,
            },
            None => PayloadRef {
                file: 0,
                len: NO_PAYLOAD,
                offset: 0,
            },
        };
        self.payload_bytes += stored.payload.map_or(0, |p| p.1 as u64);
        self.payloads.push(at(stored.payload));
        if let (Some(r), Some(bytes)) = (stored.sparse, stored.sparse_bytes) {
            self.sparse.resize(offset as usize, at(None));
            self.sparse.push(at(Some(r)));
            self.payload_bytes += r.1 as u64;
            self.sparse_index.add(offset, bytes)?;
        }
        self.map.insert(id, offset);
        for ix in &mut self.indexes {
            ix.on_upsert(offset, stored.payload_bytes)?;
        }
        Ok(offset)
    }

    /// Tells the indexes that the point at `offset` is gone.
    pub fn on_delete(&mut self, offset: u32) {
        for ix in &mut self.indexes {
            ix.on_delete(offset);
        }
    }

    /// The offset of the newest copy of `id` in this segment.
    #[inline]
    pub fn lookup(&self, id: u64) -> Option<u32> {
        self.map.get(&id).copied()
    }

    /// The id at `offset`.
    #[inline]
    pub fn id(&self, offset: u32) -> u64 {
        self.ids[offset as usize]
    }

    /// The version (log sequence number) at `offset`.
    #[inline]
    pub fn version(&self, offset: u32) -> u64 {
        self.versions[offset as usize]
    }

    /// Every vector, `len() * dim` floats.
    #[inline]
    pub fn vectors(&self) -> &[f32] {
        &self.vectors
    }

    /// The vector at `offset`.
    #[inline]
    pub fn vector(&self, offset: u32) -> &[f32] {
        let o = offset as usize * self.dim;
        &self.vectors[o..o + self.dim]
    }

    /// The length of the payload at `offset` (`None` = no payload).
    pub fn payload_len(&self, offset: u32) -> Option<u32> {
        let p = self.payloads[offset as usize];
        (p.len != NO_PAYLOAD).then_some(p.len)
    }

    /// The payload bytes at `offset`, read from the log.
    pub fn payload(&self, offset: u32) -> Result<Option<Vec<u8>>> {
        let p = self.payloads[offset as usize];
        if p.len == NO_PAYLOAD {
            return Ok(None);
        }
        let f = &self.files[p.file as usize].1;
        f.read_at(p.offset, p.len as usize).map(Some)
    }

    /// The encoded sparse vectors at `offset`, read from the log.
    pub fn sparse(&self, offset: u32) -> Result<Option<Vec<u8>>> {
        let Some(&p) = self.sparse.get(offset as usize) else {
            return Ok(None);
        };
        if p.len == NO_PAYLOAD {
            return Ok(None);
        }
        let f = &self.files[p.file as usize].1;
        f.read_at(p.offset, p.len as usize).map(Some)
    }

    /// The length of the encoded sparse vectors at `offset` (`None` =
    /// none).
    pub fn sparse_len(&self, offset: u32) -> Option<u32> {
        self.sparse
            .get(offset as usize)
            .and_then(|p| (p.len != NO_PAYLOAD).then_some(p.len))
    }

    /// The inverted index of its sparse vectors.
    pub fn sparse_index(&self) -> &GrowingIndex {
        &self.sparse_index
    }

    /// Ids and offsets of the newest copies, in no order.
    pub fn entries(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.map.iter().map(|(&id, &o)| (id, o))
    }

    /// Heap bytes held.
    pub fn ram_bytes(&self) -> (u64, u64, u64) {
        let ids = (self.ids.capacity() * 16
            + self.payloads.capacity() * 16
            + self.sparse.capacity() * 16) as u64
            + (self.map.capacity() * 13) as u64;
        let vectors = (self.vectors.capacity() * 4) as u64;
        let indexes =
            self.indexes.iter().map(|i| i.ram_bytes()).sum::<u64>() + self.sparse_index.ram_bytes();
        (ids, vectors, indexes)
    }
}

impl PointSource for Appendable {
    fn len(&self) -> usize {
        self.ids.len()
    }
    fn payload_bytes(&self, offset: u32) -> Result<Option<Vec<u8>>> {
        self.payload(offset)
    }
}
