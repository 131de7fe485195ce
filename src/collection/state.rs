//! The in-memory state of a collection: slot files, the id map, liveness,
//! payloads and the graph. Guarded by the collection's `RwLock`.
//!
//! Every upsert takes fresh slots (slots are written once), so a point's
//! older version stays where it was until the graph no longer needs it as a
//! waypoint; `alive` says which slots hold current points.

use crate::collection::ops::StoredPayload;
use crate::error::{Error, Result};
use crate::index::hnsw::{Hnsw, Vectors};
use crate::storage::mmap_array::MmapSlots;
use serde_json::Value;
use std::collections::BTreeMap;

/// The state behind a collection's lock.
pub struct State {
    /// Vectors by slot (`None` for metadata-only collections).
    pub vectors: Option<MmapSlots>,
    /// User ids by slot.
    pub ids: MmapSlots,
    /// The graph over the vector slots (`None` for metadata-only collections).
    pub graph: Option<Hnsw>,
    /// Slots `0..slot_count` are written, indexed and published.
    pub slot_count: usize,
    /// Per slot: holds the current version of a point.
    pub alive: Vec<bool>,
    /// User id -> slot of its current version.
    pub id_map: BTreeMap<u64, u32>,
    /// Per slot: the payload, if any.
    pub payloads: Vec<Option<StoredPayload>>,
}

/// The vectors of a collection as the graph sees them.
pub struct VectorView<'a>(pub &'a MmapSlots);

impl Vectors for VectorView<'_> {
    #[inline]
    fn vector(&self, id: u32) -> &[f32] {
        self.0.slot_f32(id as usize)
    }

    #[inline]
    fn prefetch(&self, id: u32) {
        #[cfg(target_arch = "x86_64")]
        {
            let p = self.0.slot_ptr(id as usize) as *const i8;
            // SAFETY: prefetch is a hint and never faults, whatever the address.
            unsafe {
                use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
                _mm_prefetch(p, _MM_HINT_T0);
                _mm_prefetch(p.wrapping_add(64), _MM_HINT_T0);
            }
        }
    }
}

impl State {
    /// Slots the state has room for without growing.
    pub fn capacity(&self) -> usize {
        self.alive.len()
    }

    /// Grows every per-slot structure to hold at least `slots` slots.
    pub fn grow(&mut self, slots: usize) -> Result<()> {
        if slots > u32::MAX as usize {
            return Err(Error::invalid(format!(
                "a collection holds at most {} slots; this write needs {slots}",
                u32::MAX
            )));
        }
        self.ids.ensure_capacity(slots)?;
        let cap = self.ids.capacity();
        if let Some(v) = &mut self.vectors {
            v.ensure_capacity(cap)?;
        }
        if let Some(g) = &mut self.graph {
            g.grow(cap);
        }
        self.alive.resize(cap, false);
        self.payloads.resize(cap, None);
        Ok(())
    }

    /// The user id stored in `slot`.
    #[inline]
    pub fn id_of(&self, slot: u32) -> u64 {
        let b = self.ids.slot(slot as usize);
        u64::from_le_bytes(b.try_into().expect("id slots are 8 bytes"))
    }

    /// The vector in `slot` (empty for metadata-only collections).
    #[inline]
    pub fn vector_of(&self, slot: u32) -> &[f32] {
        match &self.vectors {
            Some(v) => v.slot_f32(slot as usize),
            None => &[],
        }
    }

    /// The payload of `slot`, if any.
    #[inline]
    pub fn payload_of(&self, slot: u32) -> Option<&Value> {
        self.payloads[slot as usize].as_ref().map(|p| &*p.value)
    }

    /// Number of live points.
    pub fn live(&self) -> usize {
        self.id_map.len()
    }
}
