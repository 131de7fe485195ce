//! Creating a collection's files, and opening them again: load the last
//! checkpoint, map the saved graph, re-index what it lacks, replay the log.

use super::ops::{self, StoredPayload, WriteOp};
use super::state::{State, VectorView};
use super::{Collection, SyncPolicy, Writer};
use crate::collection::config::{CollectionConfig, CollectionKind};
use crate::error::{Error, Result};
use crate::index::hnsw::{Hnsw, Params};
use crate::storage::checkpoint::Checkpoint;
use crate::storage::format::{HEADER_LEN, IDS_MAGIC, VECTORS_MAGIC};
use crate::storage::mmap_array::MmapSlots;
use crate::storage::payload_log::PayloadLog;
use crate::storage::wal::Wal;
use crate::storage::{manifest, read_optional, sync_dir, write_atomic};
use parking_lot::{Mutex, RwLock};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;

pub(super) const MANIFEST: &str = "manifest.json";
pub(super) const WAL: &str = "wal.log";
pub(super) const VECTORS: &str = "vectors.bin";
pub(super) const IDS: &str = "ids.bin";
pub(super) const PAYLOADS: &str = "payloads.log";
/// The graph saved by the checkpoint with log sequence number `seq`: each
/// checkpoint writes a new generation beside the old one, so the graph on
/// disk always matches the checkpoint that names it.
pub(super) fn graph_file(seq: u64) -> String {
    format!("graph-{seq}.bin")
}

/// Removes graph generations other than `keep`'s.
pub(super) fn remove_old_graphs(dir: &Path, keep: u64) -> Result<()> {
    let current = graph_file(keep);
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io("read directory", dir, e))? {
        let entry = entry.map_err(|e| Error::io("read directory", dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("graph-") && name.ends_with(".bin") && name != current {
            let p = entry.path();
            std::fs::remove_file(&p).map_err(|e| Error::io("remove", &p, e))?;
        }
    }
    Ok(())
}
pub(super) const CHECKPOINT: &str = "checkpoint.bin";

fn graph_params(config: &CollectionConfig) -> Params {
    Params {
        m: config.hnsw.m,
        ef_construction: config.hnsw.ef_construction,
    }
}

impl Collection {
    /// Writes the files of a new, empty collection into `dir` (which must not
    /// exist yet).
    pub(crate) fn create_files(dir: &Path, config: &CollectionConfig) -> Result<()> {
        config.validate()?;
        std::fs::create_dir(dir).map_err(|e| Error::io("create directory", dir, e))?;
        write_atomic(&dir.join(MANIFEST), &manifest::encode(config))?;
        Wal::create(&dir.join(WAL))?;
        PayloadLog::create(&dir.join(PAYLOADS))?;
        MmapSlots::create(&dir.join(IDS), IDS_MAGIC, 8)?;
        if config.kind == CollectionKind::Vector {
            MmapSlots::create(&dir.join(VECTORS), VECTORS_MAGIC, config.dimension * 4)?;
            let g = Hnsw::new(graph_params(config), config.metric.distance_fn(), 0);
            write_atomic(&dir.join(graph_file(0)), &g.encode(0))?;
        }
        let empty = Checkpoint {
            wal_seq: 0,
            slot_count: 0,
            payload_len: HEADER_LEN as u64,
            dead: Vec::new(),
        };
        write_atomic(&dir.join(CHECKPOINT), &empty.encode())?;
        sync_dir(dir)
    }

    /// Opens the collection stored in `dir`, recovering from a crash if
    /// needed.
    pub(crate) fn open(dir: &Path, name: &str, sync: SyncPolicy) -> Result<Collection> {
        let manifest_path = dir.join(MANIFEST);
        let manifest_bytes = read_optional(&manifest_path)?
            .ok_or_else(|| Error::corrupt(format!("{}: missing", manifest_path.display())))?;
        let config = manifest::decode(&manifest_bytes, &manifest_path)?;
        let ckpt_path = dir.join(CHECKPOINT);
        let ckpt_bytes = read_optional(&ckpt_path)?
            .ok_or_else(|| Error::corrupt(format!("{}: missing", ckpt_path.display())))?;
        let ckpt = Checkpoint::decode(&ckpt_bytes, &ckpt_path)?;
        let slot_count = ckpt.slot_count as usize;

        let ids = MmapSlots::open(&dir.join(IDS), IDS_MAGIC, 8, slot_count)?;
        let vectors = match config.kind {
            CollectionKind::Vector => Some(MmapSlots::open(
                &dir.join(VECTORS),
                VECTORS_MAGIC,
                config.dimension * 4,
                slot_count,
            )?),
            CollectionKind::MetadataOnly => None,
        };
        let (payload_log, records) = PayloadLog::open(&dir.join(PAYLOADS), ckpt.payload_len)?;
        let mut state = State {
            vectors,
            ids,
            graph: None,
            slot_count,
            alive: Vec::new(),
            id_map: BTreeMap::new(),
            payloads: Vec::new(),
        };
        state.grow(slot_count.max(1))?;

        let is_dead = |s: usize| ckpt.dead[s / 8] & (1 << (s % 8)) != 0;
        for slot in 0..slot_count {
            if is_dead(slot) {
                continue;
            }
            let id = state.id_of(slot as u32);
            if let Some(old) = state.id_map.insert(id, slot as u32) {
                return Err(Error::corrupt(format!(
                    "{}: id {id} is live in slots {old} and {slot}",
                    dir.display()
                )));
            }
            state.alive[slot] = true;
        }
        for (slot, bytes) in records {
            let s = slot as usize;
            if s >= slot_count {
                return Err(Error::corrupt(format!(
                    "{}: payload record for slot {slot}, but only {slot_count} slots are checkpointed",
                    dir.join(PAYLOADS).display()
                )));
            }
            if state.alive[s] {
                state.payloads[s] = Some(StoredPayload::from_bytes(bytes)?);
            }
        }

        let mut graph_stale = false;
        if let Some(v) = &state.vectors {
            let params = graph_params(&config);
            let dist = config.metric.distance_fn();
            let graph_path = dir.join(graph_file(ckpt.wal_seq));
            let capacity = state.capacity();
            let (g, indexed) = match read_optional(&graph_path)? {
                Some(bytes) => {
                    Hnsw::decode(&bytes, &graph_path, params, dist, capacity, slot_count)?
                }
                None => (Hnsw::new(params, dist, capacity), 0),
            };
            if indexed < slot_count {
                // Stored but missing from the graph: index them now.
                let missing: Vec<u32> = (indexed as u32..slot_count as u32).collect();
                g.insert_many(&VectorView(v), &missing);
                graph_stale = true;
            }
            state.graph = Some(g);
            remove_old_graphs(dir, ckpt.wal_seq)?;
        }

        let (wal, wal_records) = Wal::open(&dir.join(WAL))?;
        let last_seq = wal_records.last().map_or(0, |r| r.seq);
        let coll = Collection {
            name: name.to_owned(),
            dir: dir.to_owned(),
            config,
            sync,
            writer: Mutex::new(Writer {
                wal,
                payload_log,
                next_seq: ckpt.wal_seq.max(last_seq) + 1,
                checkpointed_seq: ckpt.wal_seq,
                graph_stale,
            }),
            state: RwLock::new(state),
            closed: AtomicBool::new(false),
        };
        {
            let mut w = coll.writer.lock();
            for rec in wal_records.iter().filter(|r| r.seq > ckpt.wal_seq) {
                match ops::decode(&rec.body, coll.config.dimension)? {
                    WriteOp::Upsert(batch) => coll.apply_upsert(&mut w, batch)?,
                    WriteOp::Delete(ids) => {
                        coll.apply_delete(&ids);
                    }
                }
            }
        }
        Ok(coll)
    }
}
