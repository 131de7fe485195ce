//! Writes: upsert, delete and checkpoint.

use super::open::{graph_file, remove_old_graphs, CHECKPOINT};
use super::ops::{self, StoredPayload, UpsertBatch};
use super::state::VectorView;
use super::{Collection, SyncPolicy, Writer};
use crate::error::{Error, Result};
use crate::point::Point;
use crate::storage::checkpoint::Checkpoint;
use crate::storage::write_atomic;
use parking_lot::{RwLockUpgradableReadGuard, RwLockWriteGuard};
use serde_json::Value;

/// The log is checkpointed once it exceeds this many bytes (or four times
/// the size of the graph, whichever is larger, so that the amortised cost of
/// rewriting the graph stays a fraction of the bytes written).
const CHECKPOINT_MIN_BYTES: u64 = 64 << 20;

impl Collection {
    /// Inserts or replaces `points`. The whole batch is validated first: on
    /// any error nothing is written. Within a batch, the last point with a
    /// given id wins. Durable when it returns (per the database's
    /// [`SyncPolicy`]).
    pub fn upsert(&self, points: &[Point]) -> Result<()> {
        let dim = self.config.dimension;
        let mut ids = Vec::with_capacity(points.len());
        let mut vectors = Vec::with_capacity(points.len() * dim);
        let mut payloads = Vec::with_capacity(points.len());
        for (i, p) in points.iter().enumerate() {
            if p.vector.len() != dim {
                return Err(Error::DimensionMismatch {
                    context: format!("point {} (batch index {i})", p.id),
                    expected: dim,
                    got: p.vector.len(),
                });
            }
            ids.push(p.id);
            vectors.extend_from_slice(&p.vector);
            payloads.push(p.payload.clone().map(StoredPayload::from_value));
        }
        let batch = ops::prepare_upsert(&self.config, &ids, &vectors, payloads)?;
        self.write_upsert(batch)
    }

    /// Inserts or replaces points given as parallel arrays: `ids`, a
    /// row-major matrix of `ids.len() * dimension` floats, and optionally one
    /// payload per id. Same rules as [`Collection::upsert`].
    pub fn upsert_flat(
        &self,
        ids: &[u64],
        vectors: &[f32],
        payloads: Option<&[Option<Value>]>,
    ) -> Result<()> {
        let payloads = match payloads {
            Some(p) => p
                .iter()
                .map(|v| v.clone().map(StoredPayload::from_value))
                .collect(),
            None => vec![None; ids.len()],
        };
        let batch = ops::prepare_upsert(&self.config, ids, vectors, payloads)?;
        self.write_upsert(batch)
    }

    /// Like [`Collection::upsert_flat`], with payloads given as JSON text
    /// (`None` = no payload). Each payload must be valid UTF-8 JSON; the
    /// error names the first point whose payload is not.
    pub fn upsert_json(
        &self,
        ids: &[u64],
        vectors: &[f32],
        payloads: &[Option<&[u8]>],
    ) -> Result<()> {
        if payloads.len() != ids.len() {
            return Err(Error::invalid(format!(
                "a batch of {} ids has {} payloads; pass one (or none) per id",
                ids.len(),
                payloads.len()
            )));
        }
        let parsed = payloads
            .iter()
            .enumerate()
            .map(|(i, p)| {
                p.map(|bytes| {
                    StoredPayload::parse(bytes.to_vec()).map_err(|e| {
                        Error::invalid(format!(
                            "payload of point {} (batch index {i}): {e}",
                            ids[i]
                        ))
                    })
                })
                .transpose()
            })
            .collect::<Result<Vec<_>>>()?;
        let batch = ops::prepare_upsert(&self.config, ids, vectors, parsed)?;
        self.write_upsert(batch)
    }

    fn write_upsert(&self, batch: UpsertBatch) -> Result<()> {
        let mut w = self.writer.lock();
        self.check_open()?;
        if batch.is_empty() {
            return Ok(());
        }
        let body = ops::encode_upsert(&batch, self.config.dimension);
        self.log(&mut w, &body)?;
        self.apply_upsert(&mut w, batch)?;
        self.maybe_checkpoint(&mut w)
    }

    /// Appends one record to the log and syncs it per the policy.
    fn log(&self, w: &mut Writer, body: &[u8]) -> Result<()> {
        let seq = w.next_seq;
        w.wal.append(seq, body)?;
        if self.sync == SyncPolicy::EveryBatch {
            w.wal.sync()?;
        }
        w.next_seq += 1;
        Ok(())
    }

    /// Applies a logged upsert: fresh slots, payload log, graph, then the
    /// batch becomes visible at once.
    pub(super) fn apply_upsert(&self, w: &mut Writer, batch: UpsertBatch) -> Result<()> {
        let n = batch.len();
        let dim = self.config.dimension;
        let st = self.state.upgradable_read();
        let start = st.slot_count;
        let st = if start + n > st.capacity() {
            let mut ws = RwLockUpgradableReadGuard::upgrade(st);
            ws.grow(start + n)?;
            RwLockWriteGuard::downgrade_to_upgradable(ws)
        } else {
            st
        };
        let mut payload_records = Vec::new();
        for i in 0..n {
            let slot = start + i;
            // SAFETY: slots at or past `slot_count` are unreachable by readers
            // (not in the id map, not linked in the graph) and only this
            // writer, holding the writer mutex, writes them.
            unsafe {
                st.ids.write(slot, &batch.ids[i].to_le_bytes());
                if let Some(v) = &st.vectors {
                    v.write(slot, f32_bytes(&batch.vectors[i * dim..(i + 1) * dim]));
                }
            }
            if let Some(p) = &batch.payloads[i] {
                payload_records.push((slot as u32, p.bytes.as_slice()));
            }
        }
        w.payload_log.append(&payload_records)?;
        if let (Some(g), Some(v)) = (&st.graph, &st.vectors) {
            let slots: Vec<u32> = (start as u32..(start + n) as u32).collect();
            g.insert_many(&VectorView(v), &slots);
        }
        let mut st = RwLockUpgradableReadGuard::upgrade(st);
        for (i, (id, payload)) in batch.ids.into_iter().zip(batch.payloads).enumerate() {
            let slot = start + i;
            if let Some(old) = st.id_map.insert(id, slot as u32) {
                st.alive[old as usize] = false;
                st.payloads[old as usize] = None;
            }
            st.alive[slot] = true;
            st.payloads[slot] = payload;
        }
        st.slot_count = start + n;
        Ok(())
    }

    /// Deletes the points with these ids; returns how many existed. Ids that
    /// do not exist are ignored.
    pub fn delete(&self, ids: &[u64]) -> Result<usize> {
        let mut w = self.writer.lock();
        self.check_open()?;
        let present: Vec<u64> = {
            let st = self.state.read();
            let mut p: Vec<u64> = ids
                .iter()
                .copied()
                .filter(|id| st.id_map.contains_key(id))
                .collect();
            p.sort_unstable();
            p.dedup();
            p
        };
        if present.is_empty() {
            return Ok(0);
        }
        self.log(&mut w, &ops::encode_delete(&present))?;
        let n = self.apply_delete(&present);
        self.maybe_checkpoint(&mut w)?;
        Ok(n)
    }

    /// Applies a logged delete; returns how many points existed.
    pub(super) fn apply_delete(&self, ids: &[u64]) -> usize {
        let mut st = self.state.write();
        let mut n = 0;
        for id in ids {
            if let Some(slot) = st.id_map.remove(id) {
                st.alive[slot as usize] = false;
                st.payloads[slot as usize] = None;
                n += 1;
            }
        }
        n
    }

    /// Makes everything written so far part of the on-disk checkpoint and
    /// empties the write-ahead log. Runs by itself when the log grows large
    /// and on close; searches go on meanwhile, writes wait.
    pub fn checkpoint(&self) -> Result<()> {
        let mut w = self.writer.lock();
        self.check_open()?;
        self.checkpoint_locked(&mut w)
    }

    fn maybe_checkpoint(&self, w: &mut Writer) -> Result<()> {
        let graph_bytes = {
            let st = self.state.read();
            (st.slot_count * (2 * self.config.hnsw.m + 1) * 4) as u64
        };
        if w.wal.len() > CHECKPOINT_MIN_BYTES.max(4 * graph_bytes) {
            self.checkpoint_locked(w)?;
        }
        Ok(())
    }

    pub(super) fn checkpoint_locked(&self, w: &mut Writer) -> Result<()> {
        let last_seq = w.next_seq - 1;
        if last_seq == w.checkpointed_seq && w.wal.is_empty() && !w.graph_stale {
            return Ok(());
        }
        {
            let st = self.state.read();
            if let Some(v) = &st.vectors {
                v.flush()?;
            }
            st.ids.flush()?;
            w.payload_log.sync()?;
            if let Some(g) = &st.graph {
                write_atomic(
                    &self.dir.join(graph_file(last_seq)),
                    &g.encode(st.slot_count),
                )?;
            }
            let mut dead = vec![0u8; st.slot_count.div_ceil(8)];
            for (s, &alive) in st.alive[..st.slot_count].iter().enumerate() {
                if !alive {
                    dead[s / 8] |= 1 << (s % 8);
                }
            }
            let ckpt = Checkpoint {
                wal_seq: last_seq,
                slot_count: st.slot_count as u64,
                payload_len: w.payload_log.len(),
                dead,
            };
            write_atomic(&self.dir.join(CHECKPOINT), &ckpt.encode())?;
        }
        w.wal.reset()?;
        w.checkpointed_seq = last_seq;
        w.graph_stale = false;
        if self.config.kind == crate::CollectionKind::Vector {
            remove_old_graphs(&self.dir, last_seq)?;
        }
        Ok(())
    }
}

/// The bytes of `v` in memory order, which is the little-endian file order
/// (the crate refuses to build on big-endian targets).
fn f32_bytes(v: &[f32]) -> &[u8] {
    // SAFETY: f32 has no padding and every byte pattern is a valid u8; the
    // length covers exactly the floats.
    unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, std::mem::size_of_val(v)) }
}
