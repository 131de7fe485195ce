//! A growable array of fixed-size slots in a memory-mapped file.
//!
//! Layout: a 64-byte header (the common 16-byte header, then the slot size as
//! a `u64`, zero padding) and slot `i` at byte `64 + i * slot_bytes`, so that
//! slots of a multiple of 64 bytes are cache-line aligned. The file grows by
//! doubling; growing remaps, which needs exclusive access (`&mut self`).
//!
//! Slots are written once, before anything can reach them (the engine links a
//! slot into its index or id map only after writing it), and read through
//! shared references afterwards; [`MmapSlots::write`] is `unsafe` for that
//! reason.

use crate::error::{Error, Result};
use crate::storage::format::{check_header, header, Reader};
use memmap2::{MmapMut, MmapOptions};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// Bytes before slot 0.
pub const DATA_OFFSET: usize = 64;
const MIN_CAPACITY: usize = 1024;

/// A file of fixed-size slots, mapped into memory.
pub struct MmapSlots {
    file: File,
    path: PathBuf,
    map: MmapMut,
    base: *mut u8,
    slot_bytes: usize,
    capacity: usize,
}

// SAFETY: the raw `base` pointer points into `map`, which this struct owns and
// which lives as long as it; concurrent access follows the write-once rule in
// the module documentation.
unsafe impl Send for MmapSlots {}
// SAFETY: see above; shared references only read, and the single writer writes
// slots no reader can reach yet.
unsafe impl Sync for MmapSlots {}

impl MmapSlots {
    /// Creates the file with room for `capacity` slots (fails if it exists).
    pub fn create(path: &Path, magic: &[u8; 8], slot_bytes: usize) -> Result<MmapSlots> {
        let mut head = vec![0u8; DATA_OFFSET];
        head[..16].copy_from_slice(&header(magic));
        head[16..24].copy_from_slice(&(slot_bytes as u64).to_le_bytes());
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::io("create", path, e))?;
        std::os::unix::fs::FileExt::write_all_at(&file, &head, 0)
            .map_err(|e| Error::io("write", path, e))?;
        let len = (DATA_OFFSET + MIN_CAPACITY * slot_bytes) as u64;
        file.set_len(len)
            .map_err(|e| Error::io("resize", path, e))?;
        file.sync_all().map_err(|e| Error::io("fsync", path, e))?;
        Self::map(file, path, slot_bytes)
    }

    /// Opens an existing file, checking its header, its slot size and that it
    /// holds at least `min_slots` slots.
    pub fn open(
        path: &Path,
        magic: &[u8; 8],
        slot_bytes: usize,
        min_slots: usize,
    ) -> Result<MmapSlots> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| Error::io("open", path, e))?;
        let mut head = [0u8; DATA_OFFSET];
        let len = file
            .metadata()
            .map_err(|e| Error::io("stat", path, e))?
            .len();
        let got = std::os::unix::fs::FileExt::read_at(&file, &mut head, 0)
            .map_err(|e| Error::io("read", path, e))?;
        check_header(&head[..got], magic, path)?;
        let name = path.display().to_string();
        let mut r = Reader::new(&head[..got], &name);
        r.take(16)?;
        let stored = r.u64()?;
        if stored != slot_bytes as u64 {
            return Err(Error::corrupt(format!(
                "{}: slot size {stored} bytes, collection expects {slot_bytes}",
                path.display()
            )));
        }
        let need = (DATA_OFFSET + min_slots * slot_bytes) as u64;
        if len < need || len < DATA_OFFSET as u64 {
            return Err(Error::corrupt(format!(
                "{}: file is {len} bytes, but the checkpoint records {min_slots} slots ({need} bytes)",
                path.display()
            )));
        }
        Self::map(file, path, slot_bytes)
    }

    fn map(file: File, path: &Path, slot_bytes: usize) -> Result<MmapSlots> {
        let len = file
            .metadata()
            .map_err(|e| Error::io("stat", path, e))?
            .len() as usize;
        // SAFETY: the database directory is locked against other openers, so
        // no other process truncates or rewrites this file while it is mapped.
        let mut map = unsafe { MmapOptions::new().len(len).map_mut(&file) }
            .map_err(|e| Error::io("mmap", path, e))?;
        // SAFETY: `len >= DATA_OFFSET` was checked by the callers.
        let base = unsafe { map.as_mut_ptr().add(DATA_OFFSET) };
        let capacity = (len - DATA_OFFSET)
            .checked_div(slot_bytes)
            .unwrap_or(usize::MAX);
        Ok(MmapSlots {
            file,
            path: path.to_owned(),
            map,
            base,
            slot_bytes,
            capacity,
        })
    }

    /// Number of slots the file holds now.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Grows the file (by doubling) until it holds at least `slots` slots.
    pub fn ensure_capacity(&mut self, slots: usize) -> Result<()> {
        if slots <= self.capacity {
            return Ok(());
        }
        let mut cap = self.capacity.max(MIN_CAPACITY);
        while cap < slots {
            cap *= 2;
        }
        let len = (DATA_OFFSET + cap * self.slot_bytes) as u64;
        self.map
            .flush()
            .map_err(|e| Error::io("msync", &self.path, e))?;
        self.file
            .set_len(len)
            .map_err(|e| Error::io("grow", &self.path, e))?;
        let file = self
            .file
            .try_clone()
            .map_err(|e| Error::io("reopen", &self.path, e))?;
        let path = self.path.clone();
        *self = Self::map(file, &path, self.slot_bytes)?;
        Ok(())
    }

    /// The bytes of slot `i`. Panics if `i` is out of capacity.
    #[inline]
    pub fn slot(&self, i: usize) -> &[u8] {
        assert!(
            i < self.capacity,
            "slot {i} out of capacity {}",
            self.capacity
        );
        // SAFETY: in bounds of the mapping, checked above.
        unsafe { std::slice::from_raw_parts(self.base.add(i * self.slot_bytes), self.slot_bytes) }
    }

    /// Slot `i` as `f32`s. Panics if `i` is out of capacity.
    #[inline]
    pub fn slot_f32(&self, i: usize) -> &[f32] {
        assert!(
            i < self.capacity,
            "slot {i} out of capacity {}",
            self.capacity
        );
        // SAFETY: in bounds (checked), 4-byte aligned because the mapping is
        // page aligned and DATA_OFFSET and slot_bytes are multiples of 4 for
        // vector files.
        unsafe {
            std::slice::from_raw_parts(
                self.base.add(i * self.slot_bytes) as *const f32,
                self.slot_bytes / 4,
            )
        }
    }

    /// Pointer to slot `i`, for prefetching. Not dereferenced here.
    #[inline]
    pub fn slot_ptr(&self, i: usize) -> *const u8 {
        self.base.wrapping_add(i * self.slot_bytes)
    }

    /// Writes `bytes` into slot `i`.
    ///
    /// # Safety
    /// No other thread may read or write slot `i` during the call, and `i`
    /// must not be reachable by readers before the write happens-before their
    /// reads (publish it through a lock or a release store afterwards).
    pub unsafe fn write(&self, i: usize, bytes: &[u8]) {
        assert!(i < self.capacity && bytes.len() == self.slot_bytes);
        // SAFETY: in bounds (checked); exclusivity is the caller's contract.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.base.add(i * self.slot_bytes),
                bytes.len(),
            )
        }
    }

    /// Writes the mapped pages back to the file and waits for it.
    pub fn flush(&self) -> Result<()> {
        self.map
            .flush()
            .map_err(|e| Error::io("msync", &self.path, e))
    }
}
