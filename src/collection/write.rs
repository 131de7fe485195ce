//! The write path: validate, log, make durable (group commit), apply in log
//! order.

use super::ops::{self, DecodedUpsert, StoredPayload, UpsertBatch};
use super::state::State;
use super::{Collection, PoisonOnPanic};
use crate::error::{Error, Result};
use crate::index::sparse::{self, SparseColumn};
use crate::point::Point;
use crate::segment::appendable::{Appendable, Stored};
use crate::segment::field_index::FieldIndex;
use crate::storage::record_log::{LogFile, RecordPos};
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

/// A write that is logged and must now be applied.
pub(super) enum Applied<'a> {
    Upsert(&'a DecodedUpsert, &'a [u8]),
    Delete(&'a [u64]),
    AddEdges(&'a [crate::graph::Edge]),
    RemoveEdges(&'a [u64]),
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
        let with_sparse = points.iter().any(|p| !p.sparse.is_empty());
        let mut sparse = Vec::with_capacity(if with_sparse { points.len() } else { 0 });
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
            if with_sparse {
                let what = || format!("point {} (batch index {i})", p.id);
                sparse.push(sparse::encode(&sparse::check_named(
                    p.sparse.clone(),
                    &what,
                )?));
            }
        }
        let batch = ops::prepare_upsert(&self.config, &ids, &vectors, payloads, sparse)?;
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
        let batch = ops::prepare_upsert(&self.config, ids, vectors, payloads, Vec::new())?;
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
        self.upsert_json_sparse(ids, vectors, payloads, &[])
    }

    /// Like [`Collection::upsert_json`], with named sparse vectors given as
    /// one compressed-sparse-row column per name (see [`SparseColumn`]):
    /// row `i` of each column belongs to `ids[i]`; an empty row gives that
    /// point no vector of that name. A point whose payload or sparse
    /// vector is bad fails the whole batch, and the error names it.
    pub fn upsert_json_sparse(
        &self,
        ids: &[u64],
        vectors: &[f32],
        payloads: &[Option<&[u8]>],
        columns: &[SparseColumn<'_>],
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
        let sparse = sparse::rows_of_columns(columns, ids)?;
        let batch = ops::prepare_upsert(&self.config, ids, vectors, parsed, sparse)?;
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
        let (body, (at, sparse_at)) = ops::encode_upsert(&batch, self.config.dimension);
        let decoded = DecodedUpsert {
            ids: batch.ids,
            vectors: batch.vectors,
            payloads: at,
            sparse: sparse_at,
        };
        self.logged_write(Job::Upsert { decoded, body }).map(|_| ())
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
        self.write_delete_gated(present)
    }

    /// Logs and applies the deletion of `ids` (sorted, unique) for a caller
    /// holding the write gate.
    pub(super) fn write_delete_gated(&self, ids: Vec<u64>) -> Result<usize> {
        let body = ops::encode_delete(&ids);
        self.logged_write(Job::Delete { ids, body })
    }

    /// Appends the job's record, waits until it is durable, then has it
    /// applied in log order. Returns the number of points the op changed.
    /// The caller holds the write gate (shared, or exclusive for a
    /// read-modify-write).
    ///
    /// Group commit with combining: the job waits in
    /// [`TurnState::waiting`]. One writer at a time leads: it makes the log
    /// durable up to everything appended so far (one fsync for every
    /// writer waiting), then applies, in log order and under one state
    /// lock, every waiting job whose record is durable, and wakes each of
    /// their writers once with its outcome and the writer of the next
    /// record, which leads next. Each writer sleeps and wakes once per
    /// write; handing the apply turn from writer to writer cost a context
    /// switch each and, with 8 writers on 2 cores, left the disk idle for
    /// as long again as the fsync took.
    pub(super) fn logged_write(&self, job: Job) -> Result<usize> {
        let writer = self.log.writer();
        let pos = match self.log.append(job.body()) {
            Ok(p) => p,
            Err(e) => {
                self.note_log_failure(&e);
                return Err(e);
            }
        };
        let mut g = self.turn.lock();
        g.waiting.insert(
            pos.seq,
            Waiter {
                thread: std::thread::current(),
                pos,
                job: Some(job),
                outcome: None,
            },
        );
        // Set when leading applied nothing: an earlier record's writer has
        // yet to file its job (it leads when it does, or the leader then
        // wakes it); wait to be woken instead of leading again at once.
        let mut stalled = false;
        let outcome = loop {
            if let Some(o) = g.waiting.get_mut(&pos.seq).and_then(|w| w.outcome.take()) {
                g.waiting.remove(&pos.seq);
                break o;
            }
            if !g.leading && !stalled {
                g.leading = true;
                let synced = parking_lot::MutexGuard::unlocked(&mut g, || self.log.sync_to(pos));
                if let Err(e) = &synced {
                    self.note_log_failure(e);
                }
                let woken = self.apply_waiting(&mut g, pos.seq, synced.err());
                g.leading = false;
                // The writer of the next record leads next (its record was
                // appended after this fsync started, or it would be
                // applied); woken first, so that its fsync starts before
                // the writers just served compete for the cores.
                if let Some(w) = g.waiting.get(&g.next) {
                    if w.outcome.is_none() && w.pos.seq != pos.seq {
                        w.thread.unpark();
                    }
                }
                let done = g.waiting.get(&pos.seq).is_some_and(|w| w.outcome.is_some());
                stalled = woken.is_empty() && !done;
                for t in woken {
                    t.unpark();
                }
                continue;
            }
            // `park` returns at once if the unpark came first, and may
            // return spuriously: the loop checks each time.
            parking_lot::MutexGuard::unlocked(&mut g, std::thread::park);
            stalled = false;
        };
        drop(g);
        drop(writer);
        let result = match outcome {
            Outcome::Done(r) => r,
            Outcome::Panicked(payload) => std::panic::resume_unwind(payload),
        };
        if result.is_ok() {
            self.after_write();
        }
        result
    }

    /// The leader's part of [`Collection::logged_write`] after its fsync:
    /// applies, in order from the record whose turn it is, every waiting
    /// job whose record is durable, under one state lock, and wakes their
    /// writers. When the log has failed, a record that is not durable is
    /// never applied: its writer gets the failure (`own_error` for the
    /// leader's own record `own`). Returns the writers to wake (the
    /// others whose records got their outcome).
    fn apply_waiting(
        &self,
        g: &mut TurnState,
        own: u64,
        own_error: Option<Error>,
    ) -> Vec<std::thread::Thread> {
        let mut woken = Vec::new();
        // The run: waiting jobs from the record whose turn it is, in order,
        // as long as their records are durable. Found before the state lock
        // is taken: the log's lock may be held by a large append's write.
        let durable = self.log.durability();
        let mut run = Vec::new();
        let mut seq = g.next;
        while let Some(w) = g.waiting.get_mut(&seq) {
            if w.outcome.is_some() || !durable.covers(w.pos) {
                break;
            }
            let Some(job) = w.job.take() else { break };
            let file = self.log.file(w.pos.file);
            run.push((w.pos, w.thread.clone(), job, file));
            seq += 1;
            while g.voids.contains(&seq) {
                seq += 1;
            }
        }
        if !run.is_empty() {
            let mut st = self.state.write();
            for (pos, thread, job, file) in run {
                let outcome = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let file = file.ok_or_else(|| {
                        Error::corrupt(format!("log file {} vanished while applying", pos.file))
                    })?;
                    self.apply_locked(&mut st, pos, &file, job.applied(), false)
                })) {
                    Ok(r) => Outcome::Done(r),
                    Err(payload) => {
                        // The collection is read-only now (the apply's
                        // poison guard saw the panic). The record is
                        // durable: a void record keeps it out of the replay
                        // (if the void does not become durable, the log has
                        // failed and the record replays on open). Its number
                        // is skipped either way: nobody waits for it.
                        if let Ok(p) = self.log.append(&ops::encode_void(pos.seq)) {
                            g.voids.insert(p.seq);
                            let _ = self.log.sync_to(p);
                        }
                        Outcome::Panicked(payload)
                    }
                };
                if let Some(w) = g.waiting.get_mut(&pos.seq) {
                    w.outcome = Some(outcome);
                }
                if pos.seq != own {
                    woken.push(thread);
                }
                g.advance(pos.seq);
            }
        }
        // After a failed write or fsync, no record that is not durable yet
        // ever will be: its writer gets the failure (the leader's own gets
        // `own_error`).
        if let Some(cause) = self.log.failure() {
            let durable = self.log.durability();
            let mut own_error = own_error;
            while let Some(w) = g.waiting.get_mut(&g.next) {
                if w.outcome.is_some() || durable.covers(w.pos) {
                    break;
                }
                let seq = w.pos.seq;
                w.job = None;
                w.outcome = Some(Outcome::Done(Err(match own_error.take() {
                    Some(e) if seq == own => e,
                    other => {
                        own_error = other;
                        Error::ReadOnly(cause.clone())
                    }
                })));
                if seq != own {
                    woken.push(w.thread.clone());
                }
                g.advance(seq);
            }
        }
        woken
    }

    fn note_log_failure(&self, e: &Error) {
        if !matches!(e, Error::InvalidArgument(_)) {
            self.set_read_only(e.to_string());
        }
    }

    /// Applies a durable record (`replay`: during open, before anyone else
    /// can see the collection).
    pub(super) fn apply(&self, pos: RecordPos, op: Applied<'_>, replay: bool) -> Result<usize> {
        let log_file = self.log.file(pos.file).ok_or_else(|| {
            Error::corrupt(format!("log file {} vanished while applying", pos.file))
        })?;
        let mut st = self.state.write();
        self.apply_locked(&mut st, pos, &log_file, op, replay)
    }

    /// [`Collection::apply`] under the caller's state lock; `log_file`
    /// holds the record.
    fn apply_locked(
        &self,
        st: &mut State,
        pos: RecordPos,
        log_file: &Arc<LogFile>,
        op: Applied<'_>,
        replay: bool,
    ) -> Result<usize> {
        let _poison = PoisonOnPanic {
            coll: self,
            what: "a write being applied",
        };
        if crate::storage::fault::fires("apply panic", &self.dir) {
            panic!("injected fault: panic while applying record {}", pos.seq);
        }
        let n = match op {
            Applied::Upsert(u, body) => {
                apply_upsert(st, u, body, pos, log_file, self.config.dimension, replay)?
            }
            Applied::Delete(ids) => {
                let mut n = 0;
                // A point's edges go with it. Every edge joins two live
                // points (edges are checked under the exclusive write
                // gate), so removing the edges of each id is what the
                // delete did when it was first applied.
                let edges = pos.seq > st.graph_seq();
                for &id in ids {
                    if edges {
                        st.graph.remove_point(id);
                    }
                    if let Some(loc) = st.find(id) {
                        if st.version_at(loc) < pos.seq {
                            st.delete_at(loc);
                            n += 1;
                        }
                    }
                }
                n
            }
            Applied::AddEdges(edges) => {
                if pos.seq > st.graph_seq() {
                    for e in edges {
                        st.graph.insert(e);
                    }
                }
                edges.len()
            }
            Applied::RemoveEdges(ids) => {
                let mut n = 0;
                if pos.seq > st.graph_seq() {
                    for &id in ids {
                        n += usize::from(st.graph.remove(id));
                    }
                }
                n
            }
        };
        st.last_applied = pos.seq;
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
            .map(|d| (d.id, FieldIndex::for_def(d)))
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
    /// Logged writes not applied yet (or applied, their writer not back
    /// yet), by record.
    pub waiting: std::collections::BTreeMap<u64, Waiter>,
    /// A writer leads a group commit (see [`Collection::logged_write`]).
    pub leading: bool,
}

impl TurnState {
    /// Passes the turn on from record `seq` (skipping void records).
    fn advance(&mut self, seq: u64) {
        let mut next = seq + 1;
        while self.voids.remove(&next) {
            next += 1;
        }
        self.next = next;
    }
}

/// A logged write waiting for its turn (see [`Collection::logged_write`]).
pub(super) struct Waiter {
    thread: std::thread::Thread,
    pos: RecordPos,
    /// Taken by the writer that applies it.
    job: Option<Job>,
    /// Set once it is applied.
    outcome: Option<Outcome>,
}

/// How applying a job ended.
enum Outcome {
    Done(Result<usize>),
    /// Applying it panicked: its writer resumes the panic.
    Panicked(Box<dyn std::any::Any + Send>),
}

/// A write with everything it needs to be applied by whichever writer
/// holds the turn: its log record body and its decoded op.
pub(super) enum Job {
    Upsert {
        decoded: DecodedUpsert,
        body: Vec<u8>,
    },
    Delete {
        ids: Vec<u64>,
        body: Vec<u8>,
    },
    AddEdges {
        edges: Vec<crate::graph::Edge>,
        body: Vec<u8>,
    },
    RemoveEdges {
        ids: Vec<u64>,
        body: Vec<u8>,
    },
}

impl Job {
    fn body(&self) -> &[u8] {
        match self {
            Job::Upsert { body, .. }
            | Job::Delete { body, .. }
            | Job::AddEdges { body, .. }
            | Job::RemoveEdges { body, .. } => body,
        }
    }

    fn applied(&self) -> Applied<'_> {
        match self {
            Job::Upsert { decoded, body } => Applied::Upsert(decoded, body),
            Job::Delete { ids, .. } => Applied::Delete(ids),
            Job::AddEdges { edges, .. } => Applied::AddEdges(edges),
            Job::RemoveEdges { ids, .. } => Applied::RemoveEdges(ids),
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
        let in_log = |r: Option<(u64, u32)>| r.map(|(at, len)| (pos.body_offset + at, len));
        let in_body = |r: Option<(u64, u32)>| {
            r.map(|(at, len)| &body[at as usize..at as usize + len as usize])
        };
        let sparse = u.sparse.get(i).copied().flatten();
        let offset = st.active.push(
            id,
            pos.seq,
            &u.vectors[i * dim..(i + 1) * dim],
            Stored {
                payload: in_log(u.payloads[i]),
                payload_bytes: in_body(u.payloads[i]),
                sparse: in_log(sparse),
                sparse_bytes: in_body(sparse),
            },
            log_file,
            pos.file,
        )?;
        let bytes = in_body(u.payloads[i]);
        index_active(st, offset, bytes);
    }
    Ok(u.ids.len())
}
