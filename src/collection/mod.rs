//! A collection: a record log plus a list of segments, named by a manifest
//! generation (see DESIGN.md, "Collection anatomy").
//!
//! - Writes are validated whole, appended to the record log, made durable
//!   (concurrent writers share fsyncs), then applied in log order to the
//!   appendable segment (new points) and to the deleted bitsets of older
//!   segments (overwritten and deleted points), under a short exclusive
//!   lock: a search sees all of a batch or none.
//! - When the appendable segment is full it is frozen and a new one takes
//!   writes; the optimizer seals frozen segments, merges small ones and
//!   drops deleted points, writing new segment files beside the old and
//!   committing by a new manifest generation.
//! - Searches hold a shared lock on the segment list for their duration.
//!
//! Thread safety: a `Collection` is `Send + Sync`; every method may be
//! called from any thread at any time.

pub mod config;
mod fields;
mod graph;
mod hybrid;
mod manifest;
mod open;
pub mod ops;
mod optimize;
mod payload;
mod quantize;
mod read;
mod search;
mod sparse;
pub mod state;
pub mod stats;
#[cfg(test)]
mod tests;
mod text;
mod write;

pub use fields::FieldIndexInfo;
pub use graph::{GraphSchema, LabelRule};
pub use hybrid::{HybridBranch, HybridQuery};
pub use optimize::OptimizerHandle;
pub(crate) use optimize::Pool;
pub use payload::{PayloadChange, Selection};
pub use search::SegmentPlan;
pub use sparse::SparseQuery;
pub use text::TextQuery;

use crate::error::{Error, Result};
use crate::segment::component::IndexKind;
use crate::storage::record_log::RecordLog;
use config::CollectionConfig;
use parking_lot::{Condvar, Mutex, RwLock};
use state::State;
use stats::OptimizerState;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// When fsync happens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SyncPolicy {
    /// Every write batch is durable before the call returns (concurrent
    /// writers share one fsync of the log): an acknowledged write survives
    /// power loss.
    #[default]
    EveryBatch,
    /// Writes reach the OS before the call returns but are fsynced only when
    /// a log file is rotated or a segment sealed: an acknowledged write
    /// survives a process crash, not a power loss.
    Never,
}

/// Limits that shape segments; the defaults suit most uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentLimits {
    /// The appendable segment is frozen (and sealed by the optimizer) once
    /// it holds this many points. Default 16,384.
    pub appendable_points: usize,
    /// ... or this many bytes of vectors and payloads. Default 32 MiB.
    pub appendable_bytes: u64,
    /// ... or once the log has grown by this many bytes since the last
    /// freeze (which bounds the replay after a crash). Default 64 MiB.
    pub log_bytes: u64,
    /// ... or once its first write is this old (which bounds the time its
    /// points go unindexed and the replay after a crash). Default 60 s.
    pub max_age: Duration,
    /// Segments with fewer live points are merged together. Default 2^20.
    pub max_segment_points: usize,
    /// A sealed segment is rewritten without its deleted points once this
    /// fraction of it is deleted. Default 0.2.
    pub vacuum_ratio_percent: u32,
}

impl Default for SegmentLimits {
    fn default() -> Self {
        SegmentLimits {
            appendable_points: 16_384,
            appendable_bytes: 32 << 20,
            log_bytes: 64 << 20,
            max_age: Duration::from_secs(60),
            max_segment_points: 1 << 20,
            vacuum_ratio_percent: 20,
        }
    }
}

/// What the optimizer reports for one collection.
pub(crate) struct OptStatus {
    pub state: OptimizerState,
    pub runs: u64,
    pub last_error: Option<String>,
}

/// A collection of points. Obtain one from [`crate::Database`].
pub struct Collection {
    name: String,
    dir: PathBuf,
    /// The configuration (its `quantizer` as opened: the current one is
    /// [`Collection::quantizer`]).
    config: CollectionConfig,
    /// The quantizer parameters new codes are trained with (changed by
    /// [`Collection::train_quantizer`]).
    quantizer: Mutex<crate::quant::QuantizerConfig>,
    uid: u64,
    limits: SegmentLimits,
    log: RecordLog,
    /// Whose turn it is to apply (writes apply in log order).
    turn: Mutex<write::TurnState>,
    /// Held shared by each write from before it is logged until it is
    /// applied, and exclusively by a read-modify-write (payload updates,
    /// delete by filter) from its read until it is applied: that one then
    /// reads the state every earlier write left and no other write comes
    /// between.
    write_gate: parking_lot::RwLock<()>,
    state: RwLock<State>,
    closed: AtomicBool,
    read_only: Mutex<Option<String>>,
    is_read_only: AtomicBool,
    /// One optimization (or commit of one) at a time.
    optimizing: Mutex<()>,
    opt: Mutex<OptStatus>,
    opt_cv: Condvar,
    optimizer: OptimizerHandle,
    rebuilt: Vec<String>,
    /// The point index kinds every segment carries (field, text and sparse
    /// indexes register here).
    index_kinds: Vec<Arc<dyn IndexKind>>,
}

impl Collection {
    /// The collection's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The configuration it was created with.
    pub fn config(&self) -> CollectionConfig {
        CollectionConfig {
            quantizer: *self.quantizer.lock(),
            ..self.config.clone()
        }
    }

    /// The directory holding its files.
    pub fn path(&self) -> &std::path::Path {
        &self.dir
    }

    pub(crate) fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            Err(Error::Closed(format!(
                "collection \"{}\" was closed or dropped",
                self.name
            )))
        } else {
            Ok(())
        }
    }

    /// Fails when the collection refuses writes.
    pub(crate) fn check_writable(&self) -> Result<()> {
        self.check_open()?;
        if self.is_read_only.load(Ordering::Acquire) {
            if let Some(cause) = &*self.read_only.lock() {
                return Err(Error::ReadOnly(format!(
                    "collection \"{}\" refuses writes until it is reopened: {cause}",
                    self.name
                )));
            }
        }
        Ok(())
    }

    /// Makes the collection read-only with `cause` (the first cause stays).
    pub(crate) fn set_read_only(&self, cause: String) {
        let mut ro = self.read_only.lock();
        if ro.is_none() {
            *ro = Some(cause);
        }
        self.is_read_only.store(true, Ordering::Release);
    }

    /// Seals what the appendable segment holds into a sealed segment (with
    /// its graph) and returns when that is committed, so that a later open
    /// replays nothing. Writes are durable without it (per the sync
    /// policy); the optimizer seals by itself when the appendable segment
    /// is full or old.
    pub fn checkpoint(&self) -> Result<()> {
        self.check_writable()?;
        self.freeze()?;
        while !self.state.read().frozen.is_empty() {
            if !self.run_once(false)? {
                break;
            }
        }
        Ok(())
    }

    /// Stops using the collection: stops a running optimization (its
    /// partial files are removed), then refuses later calls with
    /// [`Error::Closed`]. Nothing needs flushing: every acknowledged write
    /// is in the log. Closing twice is a no-op.
    pub fn close(&self) -> Result<()> {
        self.closed.store(true, Ordering::Release);
        let _o = self.optimizing.lock();
        let _s = self.state.write();
        self.opt_cv.notify_all();
        Ok(())
    }

    /// Refuses new calls and makes a running optimization stop at its next
    /// step; [`Collection::close`] then waits for it.
    pub(crate) fn mark_closing(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Marks the collection closed (its files are about to be deleted).
    pub(crate) fn close_for_drop(&self) {
        let _ = self.close();
    }
}

/// Sets the collection read-only if dropped while its thread panics: a
/// panic in the middle of a write or a commit leaves the state uncertain.
pub(crate) struct PoisonOnPanic<'a> {
    pub coll: &'a Collection,
    pub what: &'static str,
}

impl Drop for PoisonOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.coll
                .set_read_only(format!("a panic interrupted {}", self.what));
        }
    }
}
