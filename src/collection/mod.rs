//! A collection: named set of points with one configuration, stored in its
//! own directory.
//!
//! Thread safety: a `Collection` is `Send + Sync`. Writers are serialised by
//! the writer mutex (which also owns the log files); the state sits behind a
//! `RwLock`. A write does its slow part (log append and fsync, slot writes,
//! graph insertion) while searches keep running, and publishes the batch
//! under a short exclusive lock, so a search sees all of a batch or none.

pub mod config;
mod open;
pub mod ops;
mod read;
mod search;
pub mod state;
mod write;

use crate::error::{Error, Result};
use crate::storage::payload_log::PayloadLog;
use crate::storage::wal::Wal;
use config::CollectionConfig;
use parking_lot::{Mutex, RwLock};
use state::State;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

/// When fsync happens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SyncPolicy {
    /// Every write batch is fsynced before the call returns (one fsync of the
    /// write-ahead log per batch): an acknowledged write survives power loss.
    #[default]
    EveryBatch,
    /// Writes reach the OS before the call returns but are fsynced only at
    /// checkpoints: an acknowledged write survives a process crash, not a
    /// power loss.
    Never,
}

/// What only one writer at a time may touch.
struct Writer {
    wal: Wal,
    payload_log: PayloadLog,
    /// Sequence number of the next log record.
    next_seq: u64,
    /// Last sequence number contained in the checkpoint on disk.
    checkpointed_seq: u64,
    /// The graph on disk lags the one in memory although no log record is
    /// pending (it was rebuilt or repaired on open): checkpoint anyway.
    graph_stale: bool,
}

/// A collection of points. Obtain one from [`crate::Database`].
pub struct Collection {
    name: String,
    dir: PathBuf,
    config: CollectionConfig,
    sync: SyncPolicy,
    writer: Mutex<Writer>,
    state: RwLock<State>,
    closed: AtomicBool,
}

impl Collection {
    /// The collection's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The configuration it was created with.
    pub fn config(&self) -> &CollectionConfig {
        &self.config
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

    /// Checkpoints and closes the collection; later calls on it fail with
    /// [`Error::Closed`]. Closing twice is a no-op.
    pub fn close(&self) -> Result<()> {
        let mut w = self.writer.lock();
        if self.closed.load(Ordering::Acquire) {
            return Ok(());
        }
        let r = self.checkpoint_locked(&mut w);
        self.closed.store(true, Ordering::Release);
        r
    }

    /// Marks the collection closed without a checkpoint (its files are about
    /// to be deleted).
    pub(crate) fn close_for_drop(&self) {
        let _w = self.writer.lock();
        let _s = self.state.write();
        self.closed.store(true, Ordering::Release);
    }
}
