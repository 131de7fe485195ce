//! Creating a collection's files, and opening them again: the latest
//! manifest generation names the sealed segments (mapped, not read) and the
//! log files whose records replay into the appendable segment.
//!
//! Directory of a collection:
//!
//! ```text
//! collection.json        configuration and identity (written once)
//! manifest-<gen>.qv      the current manifest generation
//! log-<n>.qv             record log files from the manifest's log_start on
//! seg-<id>/              sealed segments (ids, vectors, payloads, graph,
//!                        deleted-<gen>.qv)
//! ```
//!
//! Anything else that a crash can leave behind (segments no manifest
//! names, older generations, `*.tmp` files) is removed on open.

use super::manifest::{self, Manifest};
use super::ops::{self, WriteOp};
use super::optimize::{deleted_file_name, deleted_identity, OptimizerHandle};
use super::state::{SealedSlot, State};
use super::stats::OptimizerState;
use super::write::{Applied, TurnState};
use super::{Collection, OptStatus, SegmentLimits, SyncPolicy};
use crate::collection::config::CollectionConfig;
use crate::error::{Error, Result};
use crate::segment::appendable::Appendable;
use crate::segment::bitset::Bitset;
use crate::segment::component::IndexKind;
use crate::segment::field_index::FieldIndex;
use crate::segment::sealed::{parse_segment_dir_name, segment_dir_name, Sealed};
use crate::storage::config_file;
use crate::storage::record_log::{parse_log_file_name, RecordLog};
use crate::storage::sealed_file::SealedFile;
use crate::storage::{read_optional, sync_dir};
use parking_lot::{Condvar, Mutex, RwLock};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

pub(super) const CONFIG: &str = "collection.json";

/// A new random collection identity.
fn new_uid() -> u64 {
    let mut b = [0u8; 8];
    // SAFETY: getrandom writes at most `b.len()` bytes into `b`.
    let n = unsafe { libc::getrandom(b.as_mut_ptr().cast(), b.len(), 0) };
    let r = u64::from_le_bytes(b);
    if n == 8 && r != 0 {
        return r;
    }
    // No entropy source: time and process id are unique enough per machine.
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    t ^ ((std::process::id() as u64) << 32) | 1
}

impl Collection {
    /// Writes the files of a new, empty collection into `dir` (which must not
    /// exist yet).
    pub(crate) fn create_files(dir: &Path, config: &CollectionConfig) -> Result<()> {
        config.validate()?;
        std::fs::create_dir(dir).map_err(|e| Error::io("create directory", dir, e))?;
        let uid = new_uid();
        crate::storage::write_atomic(&dir.join(CONFIG), &config_file::encode(config, uid))?;
        Manifest {
            generation: 1,
            applied_seq: 0,
            log_start: 1,
            next_segment_id: 1,
            segments: Vec::new(),
            field_indexes: Vec::new(),
            next_field_id: 1,
            edges: None,
            graph_schema: None,
        }
        .write(dir, uid)?;
        RecordLog::create(dir, uid, 1, true)?;
        sync_dir(dir)
    }

    /// Opens the collection stored in `dir`, recovering from a crash if
    /// needed.
    pub(crate) fn open(
        dir: &Path,
        name: &str,
        sync: SyncPolicy,
        limits: SegmentLimits,
        optimizer: OptimizerHandle,
        index_kinds: Vec<Arc<dyn IndexKind>>,
    ) -> Result<Collection> {
        let config_path = dir.join(CONFIG);
        let bytes = read_optional(&config_path)?
            .ok_or_else(|| Error::corrupt(format!("{}: missing", config_path.display())))?;
        let (config, uid) = config_file::decode(&bytes, &config_path)?;

        let mut generations = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io("read directory", dir, e))? {
            let entry = entry.map_err(|e| Error::io("read directory", dir, e))?;
            let fname = entry.file_name().to_string_lossy().into_owned();
            if let Some(g) = manifest::parse_file_name(&fname) {
                generations.push(g);
            } else if fname.ends_with(".tmp") {
                let p = entry.path();
                std::fs::remove_file(&p).map_err(|e| Error::io("remove", &p, e))?;
            }
        }
        let generation = *generations
            .iter()
            .max()
            .ok_or_else(|| Error::corrupt(format!("{}: no manifest-*.qv file", dir.display())))?;
        let m = Manifest::read(dir, uid, generation)?;

        // Leftovers are removed only once everything the manifest names
        // opened: a failed open changes nothing.
        let mut leftovers = Vec::new();
        let mut rebuilt = Vec::new();
        let mut sealed = Vec::new();
        for e in &m.segments {
            let sdir = dir.join(segment_dir_name(e.id));
            let listing = std::fs::read_dir(&sdir).map_err(|x| match x.kind() {
                std::io::ErrorKind::NotFound => Error::corrupt(format!(
                    "{}: missing (the manifest names segment {})",
                    sdir.display(),
                    e.id
                )),
                _ => Error::io("read directory", &sdir, x),
            })?;
            for entry in listing {
                let entry = entry.map_err(|x| Error::io("read directory", &sdir, x))?;
                let fname = entry.file_name().to_string_lossy().into_owned();
                let stale_deleted = fname.starts_with("deleted-")
                    && Some(fname.as_str())
                        != e.deleted_generation.map(deleted_file_name).as_deref();
                let dropped_field = super::fields::parse_file_name(&fname)
                    .is_some_and(|id| !m.field_indexes.iter().any(|d| d.id == id));
                if fname.ends_with(".tmp") || stale_deleted || dropped_field {
                    leftovers.push(entry.path());
                }
            }
            let (seg, why) = Sealed::open(&sdir, uid, e.id, &config, &index_kinds)?;
            if seg.len() as u64 != e.points {
                return Err(Error::corrupt(format!(
                    "{}: segment holds {} points, the manifest says {}",
                    sdir.display(),
                    seg.len(),
                    e.points
                )));
            }
            rebuilt.extend(why);
            let deleted = match e.deleted_generation {
                Some(g) => {
                    let p = sdir.join(deleted_file_name(g));
                    let f = SealedFile::open(&p, deleted_identity(uid, e.id, g))?;
                    f.verify()?;
                    let b = Bitset::from_bytes(f.data()).ok_or_else(|| {
                        Error::corrupt(format!("{}: not a whole number of words", p.display()))
                    })?;
                    if b.any_at_or_past(seg.len()) {
                        return Err(Error::corrupt(format!(
                            "{}: marks points past the segment's {}",
                            p.display(),
                            seg.len()
                        )));
                    }
                    b
                }
                None => Bitset::default(),
            };
            let fields = super::fields::open_sealed(&seg, &m.field_indexes, uid, &mut rebuilt)?;
            sealed.push(SealedSlot {
                seg: Arc::new(seg),
                deleted,
                saved_gen: e.deleted_generation,
                dirty: false,
                fields,
            });
        }
        if !rebuilt.is_empty() {
            sync_dir(dir)?;
        }

        let (log, records) = RecordLog::open(
            dir,
            uid,
            m.log_start,
            m.applied_seq + 1,
            sync == SyncPolicy::EveryBatch,
        )?;
        let graph = match m.edges {
            Some((g, _)) => super::graph::load_edges(dir, uid, g)?,
            None => crate::graph::Graph::default(),
        };
        let graph_schema = m
            .graph_schema
            .as_ref()
            .map(|v| {
                super::graph::GraphSchema::from_json(v).map_err(|e| {
                    Error::corrupt(format!(
                        "{}: graph_schema: {e}",
                        dir.join(manifest::file_name(generation)).display()
                    ))
                })
            })
            .transpose()?;
        let state = State {
            active: Appendable::new(
                m.next_segment_id,
                config.dimension,
                m.log_start,
                index_kinds.iter().map(|k| k.empty()).collect(),
            ),
            active_deleted: Bitset::default(),
            active_fields: m
                .field_indexes
                .iter()
                .map(|d| (d.id, FieldIndex::for_def(d)))
                .collect(),
            field_defs: m.field_indexes.clone(),
            next_field_id: m.next_field_id,
            frozen: Vec::new(),
            sealed,
            generation,
            applied_seq: m.applied_seq,
            log_start: m.log_start,
            next_segment_id: m.next_segment_id + 1,
            graph,
            graph_saved: m.edges,
            graph_schema,
            last_applied: m.applied_seq,
        };
        let coll = Collection {
            name: name.to_owned(),
            dir: dir.to_owned(),
            uid,

            limits,
            log,
            write_gate: parking_lot::RwLock::new(()),
            turn: Mutex::new(TurnState {
                next: 0,
                voids: BTreeSet::new(),
                waiting: Default::default(),
                leading: false,
            }),
            state: RwLock::new(state),
            closed: AtomicBool::new(false),
            read_only: Mutex::new(None),
            is_read_only: AtomicBool::new(false),
            optimizing: Mutex::new(()),
            opt: Mutex::new(OptStatus {
                state: OptimizerState::Idle,
                runs: 0,
                last_error: None,
            }),
            opt_cv: Condvar::new(),
            optimizer,
            rebuilt,
            quantizer: Mutex::new(config.quantizer),
            config,
            index_kinds,
        };
        // Replay what the segments do not hold yet.
        let voids: BTreeSet<u64> = records
            .iter()
            .filter_map(|r| match ops::decode(&r.body, coll.config.dimension) {
                Ok(WriteOp::Void(s)) => Some(s),
                _ => None,
            })
            .collect();
        for r in records.iter().filter(|r| r.pos.seq > m.applied_seq) {
            if voids.contains(&r.pos.seq) {
                continue;
            }
            let op = ops::decode(&r.body, coll.config.dimension).map_err(|e| {
                Error::corrupt(format!(
                    "{}: record {} at offset {}: {e}",
                    dir.join(crate::storage::record_log::log_file_name(r.pos.file))
                        .display(),
                    r.pos.seq,
                    r.pos.body_offset
                ))
            })?;
            match &op {
                WriteOp::Upsert(u) => coll.apply(r.pos, Applied::Upsert(u, &r.body), true)?,
                WriteOp::Delete(ids) => coll.apply(r.pos, Applied::Delete(ids), true)?,
                WriteOp::AddEdges(e) => coll.apply(r.pos, Applied::AddEdges(e), true)?,
                WriteOp::RemoveEdges(ids) => coll.apply(r.pos, Applied::RemoveEdges(ids), true)?,
                WriteOp::Void(_) => 0,
            };
        }
        coll.turn.lock().next = coll.log.next_seq();
        // Leftovers of interrupted optimizations and older generations.
        let named: BTreeSet<u64> = m.segments.iter().map(|s| s.id).collect();
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io("read directory", dir, e))? {
            let entry = entry.map_err(|e| Error::io("read directory", dir, e))?;
            let fname = entry.file_name().to_string_lossy().into_owned();
            let p = entry.path();
            if parse_segment_dir_name(&fname).is_some_and(|id| !named.contains(&id)) {
                std::fs::remove_dir_all(&p).map_err(|e| Error::io("remove", &p, e))?;
            } else if manifest::parse_file_name(&fname).is_some_and(|g| g < generation)
                || parse_log_file_name(&fname).is_some_and(|n| n < m.log_start)
                || super::graph::parse_edges_file_name(&fname)
                    .is_some_and(|g| Some(g) != m.edges.map(|e| e.0))
            {
                std::fs::remove_file(&p).map_err(|e| Error::io("remove", &p, e))?;
            }
        }

        for p in leftovers {
            std::fs::remove_file(&p).map_err(|e| Error::io("remove", &p, e))?;
        }
        Ok(coll)
    }
}
