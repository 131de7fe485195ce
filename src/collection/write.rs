//! The write path: validate, log, make durable (group commit), apply in log
//! order.

use super::ops::{self, DecodedUpsert, StoredPayload, UpsertBatch};
use super::state::State;
use super::{Collection, PoisonOnPanic};
use crate::error::{Error, Result};
use crate::point::Point;
use crate::segment::appendable::Appendable;
use crate::segment::field_index::FieldIndex;
use crate::storage::record_log::{LogFile, RecordPos};
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

/// A write that is logged and must now be applied.
pub(super) enum Applied<'a> {
    Upsert(&'a DecodedUpsert, &'a [u8]),
    Delete(&'a [u64]),
}

impl Collection {
    /// Inserts or replaces `points`. The whole batch is validated first: on
    /// any error nothing is written. Within a batch, the last point with a
    /// given id wins. Durable when it returns (per the database's
    /// [`super::SyncPolicy`]). A payload must be a JSON object; `null` means
    /// none.
    pub fn upsert(&self, points: &[Point]) -> Result<()> {
        let dim = self.config.dimension;
        let mut ids = Vec::with_capacity(points.len());
        let mut vectors = Vec::with_capacity(points.len().saturating_mul(dim));
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
            payloads.push(match &p.payload {
                Some(v) => {
                    StoredPayload::from_value(v, &|| format!("point {} (batch index {i})", p.id))?
                }
                None => None,
            });
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
                .enumerate()
                .map(|(i, v)| match v {
                    Some(v) => StoredPayload::from_value(v, &|| {
                        format!(
                            "point {} (batch index {i})",
                            ids.get(i).copied().unwrap_or(0)
                        )
                    }),
                    None => Ok(None),
                })
                .collect::<Result<Vec<_>>>()?,
            None => vec![None; ids.len()],
        };
        let batch = ops::prepare_upsert(&self.config, ids, vectors, payloads)?;
        self.write_upsert(batch)
    }

    /// Like [`Collection::upsert_flat`], with payloads given as JSON text
    /// (`None` = no payload), stored and returned byte for byte. Each must
    /// be valid UTF-8 JSON, an object or `null`; the error names the first
    /// point whose payload is not.
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
            .map(|(i, p)| match p {
                Some(bytes) => {
                    StoredPayload::parse(bytes, &|| format!("point {} (batch index {i})", ids[i]))
                }
                None => Ok(None),
            })
            .collect::<Result<Vec<_>>>()?;
        let batch = ops::prepare_upsert(&self.config, ids, vectors, parsed)?;
        self.write_upsert(batch)
    }

    pub(super) fn write_upsert(&self, batch: UpsertBatch) -> Result<()> {
        self.check_writable()?;
        if batch.is_empty() {
            return Ok(());
        }
        let _gate = self.write_gate.read();
        self.write_upsert_gated(batch)
    }

    /// [`Collection::write_upsert`] for a caller holding the write gate.
    pub(super) fn write_upsert_gated(&self, batch: UpsertBatch) -> Result<()> {
        let (body, at) = ops::encode_upsert(&batch, self.config.dimension);
        let decoded = DecodedUpsert {
            ids: batch.ids,
            vectors: batch.vectors,
            payloads: at,
        };
        self.logged_write(&body, Applied::Upsert(&decoded, &body))
            .map(|_| ())
    }

    /// Deletes the points with these ids; returns how many existed. Ids that
    /// do not exist are ignored.
    pub fn delete(&self, ids: &[u64]) -> Result<usize> {
        self.check_writable()?;
        let mut present: Vec<u64> = {
            let st = self.state.read();
            ids.iter()
                .copied()
                .filter(|&id| st.find(id).is_some())
                .collect()
        };
        present.sort_unstable();
        present.dedup();
        if present.is_empty() {
            return Ok(0);
        }
        let _gate = self.write_gate.read();
        self.write_delete_gated(&present)
    }

    /// Logs and applies the deletion of `ids` (sorted, unique) for a caller
    /// holding the write gate.
    pub(super) fn write_delete_gated(&self, ids: &[u64]) -> Result<usize> {
        self.logged_write(&ops::encode_delete(ids), Applied::Delete(ids))
    }

    /// Appends `body`, waits until it is durable, then applies `op` in log
    /// order. Returns the number of points the op changed. The caller holds
    /// the write gate (shared, or exclusive for a read-modify-write).
    fn logged_write(&self, body: &[u8], op: Applied<'_>) -> Result<usize> {
        let pos = match self.log.append(body) {
            Ok(p) => p,
            Err(e) => {
                self.note_log_failure(&e);
                return Err(e);
            }
        };
        let synced = self.log.sync_to(pos);
        // Every logged record takes its turn, so later writers never wait
        // for a record that will not be applied.
        let result = {
            let _turn = Turn::wait(self, pos.seq);
            match synced {
                Ok(()) => self.apply(pos, op, false),
                Err(e) => {
                    self.note_log_failure(&e);
                    Err(e)
                }
            }
        };
        if result.is_ok() {
            self.after_write();
        }
        result
    }

    fn note_log_failure(&self, e: &Error) {
        if !matches!(e, Error::InvalidArgument(_)) {
            self.set_read_only(e.to_string());
        }
    }

    /// Applies a durable record (`replay`: during open, before anyone else
    /// can see the collection).
    pub(super) fn apply(&self, pos: RecordPos, op: Applied<'_>, replay: bool) -> Result<usize> {
        let _poison = PoisonOnPanic {
            coll: self,
            what: "a write being applied",
        };
        if crate::storage::fault::fires("apply panic", &self.dir) {
            panic!("injected fault: panic while applying record {}", pos.seq);
        }
        let log_file = self.log.file(pos.file).ok_or_else(|| {
            Error::corrupt(format!("log file {} vanished while applying", pos.file))
        })?;
        let mut st = self.state.write();
        let n = match op {
            Applied::Upsert(u, body) => apply_upsert(
                &mut st,
                u,
                body,
                pos,
                &log_file,
                self.config.dimension,
                replay,
            )?,
            Applied::Delete(ids) => {
                let mut n = 0;
                for &id in ids {
                    if let Some(loc) = st.find(id) {
                        if st.version_at(loc) < pos.seq {
                            st.delete_at(loc);
                            n += 1;
                        }
                    }
                }
                n
            }
        };
        if st.active.started.is_none() {
            st.active.started = Some(Instant::now());
        }
        st.active.last_seq = pos.seq;
        Ok(n)
    }

    /// Freezes the appendable segment when it is full and wakes the
    /// optimizer when there is work.
    fn after_write(&self) {
        let full = {
            let st = self.state.read();
            self.is_full(&st.active)
        };
        if full {
            if let Err(e) = self.freeze() {
                self.set_read_only(e.to_string());
            }
        }
        if self.needs_optimizing() {
            self.optimizer.notify();
        }
    }

    pub(super) fn is_full(&self, a: &Appendable) -> bool {
        let l = &self.limits;
        a.len() >= l.appendable_points
            || a.data_bytes() >= l.appendable_bytes
            || self.log.bytes_since_rotation() >= l.log_bytes
            || a.started.is_some_and(|t| t.elapsed() >= l.max_age)
    }

    /// Freezes the appendable segment (if it holds anything) and starts a
    /// new log file for the next one. Holds the apply turn, so no write is
    /// applied meanwhile.
    pub(super) fn freeze(&self) -> Result<()> {
        let turn = self.turn.lock();
        let mut st = self.state.write();
        if st.active.started.is_none() {
            return Ok(());
        }
        // The new segment gets the records from `turn.next` on: if some of
        // them were appended before the rotation (not applied yet), they
        // are in the old file, and the segment starts there.
        let old_file = self.log.current_file();
        let (new_file, first_seq) = self.log.rotate().inspect_err(|e| {
            self.set_read_only(e.to_string());
        })?;
        let first = if turn.next >= first_seq {
            new_file
        } else {
            old_file
        };
        let id = st.next_segment_id;
        st.next_segment_id += 1;
        let fresh = Appendable::new(
            id,
            self.config.dimension,
            first,
            self.index_kinds.iter().map(|k| k.empty()).collect(),
        );
        let old = std::mem::replace(&mut st.active, fresh);
        let deleted = std::mem::take(&mut st.active_deleted);
        let empty: Vec<(u64, FieldIndex)> = st
            .field_defs
            .iter()
            .map(|d| (d.id, FieldIndex::new(d.kind)))
            .collect();
        let fields = std::mem::replace(&mut st.active_fields, empty)
            .into_iter()
            .map(|(id, ix)| (id, Arc::new(ix)))
            .collect();
        st.frozen.push(super::state::FrozenSlot {
            seg: Arc::new(old),
            deleted,
            fields,
        });
        drop(st);
        drop(turn);
        self.optimizer.notify();
        Ok(())
    }
}

/// Sequence numbers of records to apply next, in order.
pub(super) struct TurnState {
    /// The record whose turn it is.
    pub next: u64,
    /// Void records (logged after a panic) that nobody applies: skipped.
    pub voids: std::collections::BTreeSet<u64>,
    /// Writers waiting for their turn, by record: the one whose turn comes
    /// is woken alone (waking every waiter at each turn costs a context
    /// switch per waiter and stalls group commit).
    pub waiting: std::collections::BTreeMap<u64, std::thread::Thread>,
}

/// Holds the apply turn of one record; passes it on when dropped, also when
/// applying panics (then a void record makes sure the record is ignored
/// when the log is replayed).
pub(super) struct Turn<'a> {
    coll: &'a Collection,
    guard: parking_lot::MutexGuard<'a, TurnState>,
    seq: u64,
}

impl<'a> Turn<'a> {
    /// Waits until it is record `seq`'s turn.
    pub(super) fn wait(coll: &'a Collection, seq: u64) -> Turn<'a> {
        let mut guard = coll.turn.lock();
        if guard.next != seq {
            guard.waiting.insert(seq, std::thread::current());
            // `park` returns at once if the unpark came first, and may
            // return spuriously: the loop checks the turn each time.
            while guard.next != seq {
                parking_lot::MutexGuard::unlocked(&mut guard, std::thread::park);
            }
            guard.waiting.remove(&seq);
        }
        Turn { coll, guard, seq }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = &self.coll.log;
            if let Ok(p) = log.append(&ops::encode_void(self.seq)) {
                let _ = log.sync_to(p);
                self.guard.voids.insert(p.seq);
            }
        }
        let mut next = self.seq + 1;
        while self.guard.voids.remove(&next) {
            next += 1;
        }
        self.guard.next = next;
        if let Some(t) = self.guard.waiting.get(&next) {
            t.unpark();
        }
    }
}

/// Files the point at `offset` of the appendable segment, with payload
/// `bytes` (validated when written), in the segment's field indexes.
fn index_active(st: &mut State, offset: u32, bytes: Option<&[u8]>) {
    if st.active_fields.is_empty() {
        return;
    }
    let value: Option<Value> = bytes.and_then(|b| serde_json::from_slice(b).ok());
    let State {
        active_fields,
        field_defs,
        ..
    } = st;
    for (def_id, ix) in active_fields.iter_mut() {
        if let Some(d) = field_defs.iter().find(|d| d.id == *def_id) {
            ix.add(offset, &d.path, value.as_ref());
        }
    }
}

fn apply_upsert(
    st: &mut State,
    u: &DecodedUpsert,
    body: &[u8],
    pos: RecordPos,
    log_file: &Arc<LogFile>,
    dim: usize,
    replay: bool,
) -> Result<usize> {
    for (i, &id) in u.ids.iter().enumerate() {
        if let Some(loc) = st.find(id) {
            if replay && st.version_at(loc) >= pos.seq {
                continue;
            }
            st.delete_at(loc);
        }
        let payload = u.payloads[i].map(|(at, len)| (pos.body_offset + at, len));
        let bytes = u.payloads[i].map(|(at, len)| &body[at as usize..at as usize + len as usize]);
        let offset = st.active.push(
            id,
            pos.seq,
            &u.vectors[i * dim..(i + 1) * dim],
            payload,
            log_file,
            pos.file,
            bytes,
        )?;
        index_active(st, offset, bytes);
    }
    Ok(u.ids.len())
}
