//! The segment list of a collection and the deleted bitset of each
//! segment: what searches read under the shared lock and writes change
//! under the exclusive one.

use crate::segment::appendable::Appendable;
use crate::segment::bitset::Bitset;
use crate::segment::field_index::{FieldIndex, FieldIndexDef};
use crate::segment::sealed::Sealed;
use std::sync::Arc;

/// A sealed segment and its mutable deleted set.
pub struct SealedSlot {
    /// The segment.
    pub seg: Arc<Sealed>,
    /// Offsets deleted or overwritten since it was written.
    pub deleted: Bitset,
    /// The generation whose `deleted-<gen>.qv` holds `deleted` on disk
    /// (`None`: nothing deleted yet, no file).
    pub saved_gen: Option<u64>,
    /// `deleted` changed since it was saved.
    pub dirty: bool,
    /// Its field indexes, by definition id.
    pub fields: Fields,
}

/// The field indexes of an immutable segment, by definition id.
pub type Fields = Vec<(u64, Arc<FieldIndex>)>;

/// A frozen appendable segment (waiting to be sealed) and its deleted set.
pub struct FrozenSlot {
    /// The segment.
    pub seg: Arc<Appendable>,
    /// Offsets deleted or overwritten since they were written.
    pub deleted: Bitset,
    /// Its field indexes, by definition id.
    pub fields: Fields,
}

/// Where a point's live copy is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loc {
    /// In the appendable segment.
    Active(u32),
    /// In frozen segment `i` (index into `frozen`).
    Frozen(usize, u32),
    /// In sealed segment `i` (index into `sealed`).
    Sealed(usize, u32),
}

/// One segment of the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seg {
    /// The appendable segment.
    Active,
    /// Frozen segment `i`.
    Frozen(usize),
    /// Sealed segment `i`.
    Sealed(usize),
}

impl Seg {
    /// The place of offset `o` of this segment.
    pub fn at(self, o: u32) -> Loc {
        match self {
            Seg::Active => Loc::Active(o),
            Seg::Frozen(i) => Loc::Frozen(i, o),
            Seg::Sealed(i) => Loc::Sealed(i, o),
        }
    }
}

/// One segment as readers see it: its offsets, deleted set and field
/// indexes.
#[derive(Clone)]
pub struct SegView<'a> {
    /// Which segment.
    pub seg: Seg,
    /// Its offsets: `0..len`.
    pub len: usize,
    /// Its deleted set.
    pub deleted: &'a Bitset,
    /// Its field indexes, by definition id.
    pub fields: Vec<(u64, &'a FieldIndex)>,
}

/// Everything behind the collection's lock.
pub struct State {
    /// The appendable segment taking writes.
    pub active: Appendable,
    /// Its deleted set.
    pub active_deleted: Bitset,
    /// Its field indexes, by definition id (one per definition).
    pub active_fields: Vec<(u64, FieldIndex)>,
    /// The collection's field indexes.
    pub field_defs: Vec<FieldIndexDef>,
    /// Id the next field index gets.
    pub next_field_id: u64,
    /// Frozen appendable segments, oldest first.
    pub frozen: Vec<FrozenSlot>,
    /// Sealed segments.
    pub sealed: Vec<SealedSlot>,
    /// The manifest generation on disk.
    pub generation: u64,
    /// Every record with a sequence number up to this is in sealed
    /// segments and saved deleted sets.
    pub applied_seq: u64,
    /// The first log file the manifest needs.
    pub log_start: u64,
    /// Id the next new segment gets.
    pub next_segment_id: u64,
    /// The edges between points.
    pub graph: crate::graph::Graph,
    /// The generation of the edge snapshot on disk and the sequence number
    /// of the last record it holds (`None`: no snapshot yet). Records up
    /// to that number are not applied to `graph` again on replay.
    pub graph_saved: Option<(u64, u64)>,
    /// The label schema edges must follow, if any.
    pub graph_schema: Option<super::graph::GraphSchema>,
    /// The sequence number of the last record applied.
    pub last_applied: u64,
}

impl State {
    /// Records up to this sequence number are in `graph` already.
    pub fn graph_seq(&self) -> u64 {
        self.graph_saved.map_or(0, |(_, s)| s)
    }

    /// The live copy of `id`, if any.
    pub fn find(&self, id: u64) -> Option<Loc> {
        if let Some(o) = self.active.lookup(id) {
            if !self.active_deleted.get(o) {
                return Some(Loc::Active(o));
            }
        }
        for (i, f) in self.frozen.iter().enumerate().rev() {
            if let Some(o) = f.seg.lookup(id) {
                if !f.deleted.get(o) {
                    return Some(Loc::Frozen(i, o));
                }
            }
        }
        for (i, s) in self.sealed.iter().enumerate() {
            if let Some(o) = s.seg.lookup(id) {
                if !s.deleted.get(o) {
                    return Some(Loc::Sealed(i, o));
                }
            }
        }
        None
    }

    /// Every segment: sealed, frozen, then the appendable one.
    pub fn segments(&self) -> Vec<SegView<'_>> {
        let mut v = Vec::with_capacity(self.sealed.len() + self.frozen.len() + 1);
        for (i, s) in self.sealed.iter().enumerate() {
            v.push(SegView {
                seg: Seg::Sealed(i),
                len: s.seg.len(),
                deleted: &s.deleted,
                fields: s.fields.iter().map(|(d, ix)| (*d, &**ix)).collect(),
            });
        }
        for (i, f) in self.frozen.iter().enumerate() {
            v.push(SegView {
                seg: Seg::Frozen(i),
                len: f.seg.len(),
                deleted: &f.deleted,
                fields: f.fields.iter().map(|(d, ix)| (*d, &**ix)).collect(),
            });
        }
        v.push(SegView {
            seg: Seg::Active,
            len: self.active.len(),
            deleted: &self.active_deleted,
            fields: self.active_fields.iter().map(|(d, ix)| (*d, ix)).collect(),
        });
        v
    }

    /// The offset of the newest copy of `id` in segment `seg` (live or not).
    pub fn lookup_in(&self, seg: Seg, id: u64) -> Option<u32> {
        match seg {
            Seg::Active => self.active.lookup(id),
            Seg::Frozen(i) => self.frozen[i].seg.lookup(id),
            Seg::Sealed(i) => self.sealed[i].seg.lookup(id),
        }
    }

    /// The id at `loc`.
    pub fn id_at(&self, loc: Loc) -> u64 {
        match loc {
            Loc::Active(o) => self.active.id(o),
            Loc::Frozen(i, o) => self.frozen[i].seg.id(o),
            Loc::Sealed(i, o) => self.sealed[i].seg.id(o),
        }
    }

    /// Marks a live copy deleted.
    pub fn delete_at(&mut self, loc: Loc) {
        match loc {
            Loc::Active(o) => {
                self.active_deleted.set(o);
                self.active.on_delete(o);
            }
            Loc::Frozen(i, o) => {
                self.frozen[i].deleted.set(o);
            }
            Loc::Sealed(i, o) => {
                let s = &mut self.sealed[i];
                if s.deleted.set(o) {
                    s.dirty = true;
                }
            }
        }
    }

    /// The version of the copy at `loc`.
    pub fn version_at(&self, loc: Loc) -> u64 {
        match loc {
            Loc::Active(o) => self.active.version(o),
            Loc::Frozen(i, o) => self.frozen[i].seg.version(o),
            Loc::Sealed(i, o) => self.sealed[i].seg.version(o),
        }
    }

    /// The vector at `loc`.
    pub fn vector_at(&self, loc: Loc) -> &[f32] {
        match loc {
            Loc::Active(o) => self.active.vector(o),
            Loc::Frozen(i, o) => self.frozen[i].seg.vector(o),
            Loc::Sealed(i, o) => self.sealed[i].seg.vector(o),
        }
    }

    /// The payload bytes at `loc`.
    pub fn payload_at(&self, loc: Loc) -> crate::error::Result<Option<Vec<u8>>> {
        match loc {
            Loc::Active(o) => self.active.payload(o),
            Loc::Frozen(i, o) => self.frozen[i].seg.payload(o),
            Loc::Sealed(i, o) => Ok(self.sealed[i].seg.payload(o).map(<[u8]>::to_vec)),
        }
    }

    /// The encoded sparse vectors at `loc`.
    pub fn sparse_at(&self, loc: Loc) -> crate::error::Result<Option<Vec<u8>>> {
        match loc {
            Loc::Active(o) => self.active.sparse(o),
            Loc::Frozen(i, o) => self.frozen[i].seg.sparse(o),
            Loc::Sealed(i, o) => Ok(self.sealed[i].seg.sparse(o).map(<[u8]>::to_vec)),
        }
    }

    /// Number of live points.
    pub fn live(&self) -> usize {
        self.active.len() - self.active_deleted.count()
            + self
                .frozen
                .iter()
                .map(|f| f.seg.len() - f.deleted.count())
                .sum::<usize>()
            + self
                .sealed
                .iter()
                .map(|s| s.seg.len() - s.deleted.count())
                .sum::<usize>()
    }

    /// Number of stored points that are deleted or overwritten.
    pub fn dead(&self) -> usize {
        self.active_deleted.count()
            + self.frozen.iter().map(|f| f.deleted.count()).sum::<usize>()
            + self.sealed.iter().map(|s| s.deleted.count()).sum::<usize>()
    }
}
