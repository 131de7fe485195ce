//! The component traits of a segment.
//!
//! A segment is made of components, each owning its files and its part of
//! open, build, verification and accounting: the id tracker, the vector
//! storage, the payload storage, the vector index, and any number of
//! [`PointIndex`]es (the trait field, text and sparse indexes implement).
//! The write path and the optimizer see indexes only through
//! [`PointIndex`] and [`IndexKind`], so adding an index kind touches
//! neither.

use crate::error::Result;
use crate::storage::sealed_file::SealedFile;
use std::path::Path;

/// What every component reports and checks.
pub trait Component: Send + Sync {
    /// Its name in stats (`"ids"`, `"vectors"`, `"payloads"`, `"graph"`, ...).
    fn name(&self) -> &'static str;
    /// Bytes of its files.
    fn disk_bytes(&self) -> u64;
    /// Bytes of heap it holds (mapped files not included).
    fn ram_bytes(&self) -> u64;
    /// Reads every block of its files and checks it.
    fn verify(&self) -> Result<()>;
}

/// A [`Component`] over one sealed file.
impl Component for (&'static str, &SealedFile) {
    fn name(&self) -> &'static str {
        self.0
    }
    fn disk_bytes(&self) -> u64 {
        self.1.file_len()
    }
    fn ram_bytes(&self) -> u64 {
        0
    }
    fn verify(&self) -> Result<()> {
        self.1.verify()
    }
}

/// The read side of a segment that indexes are built from.
pub trait PointSource {
    /// Offsets are `0..len()`.
    fn len(&self) -> usize;
    /// True when the segment holds no point.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The payload bytes at `offset`.
    fn payload_bytes(&self, offset: u32) -> Result<Option<Vec<u8>>>;
}

/// An index over the points of one segment, maintained on every write to
/// an appendable segment and built whole for a sealed one.
pub trait PointIndex: Component {
    /// A point was written at `offset` (offsets only grow).
    fn on_upsert(&mut self, offset: u32, payload: Option<&[u8]>) -> Result<()>;
    /// The point at `offset` was deleted or overwritten.
    fn on_delete(&mut self, offset: u32);
    /// Writes the index of a sealed segment into `dir`.
    fn save(&self, dir: &Path) -> Result<()>;
}

/// A kind of [`PointIndex`]: how to make an empty one and how to open or
/// build the one of a sealed segment.
pub trait IndexKind: Send + Sync {
    /// Its name in stats and file names.
    fn name(&self) -> &'static str;
    /// An empty index for an appendable segment.
    fn empty(&self) -> Box<dyn PointIndex>;
    /// Opens the index saved in `dir`, or builds it from `points` (and
    /// saves it) when its files are missing or damaged; the second value
    /// says why it was rebuilt.
    fn open_or_build(
        &self,
        dir: &Path,
        points: &dyn PointSource,
    ) -> Result<(Box<dyn PointIndex>, Option<String>)>;
}
