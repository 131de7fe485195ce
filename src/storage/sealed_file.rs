//! Sealed files: immutable files written once, fsynced, then mapped.
//!
//! ```text
//! [0, 64)              header: magic "QVSEALED", format version u32, kind u32,
//!                      owner (collection id) u64, segment id u64,
//!                      generation u64, data length u64, block size u32,
//!                      reserved u32 x 2, CRC-32 of bytes 0..60
//! [64, 64 + len)       data (64-byte aligned, mapped and read in place)
//! then                 one CRC-32 per block of `block size` data bytes
//! then                 CRC-32 of the block table, and "QVEND\0\0\0"
//! ```
//!
//! Every file names what it belongs to (collection, segment, generation)
//! and is refused when it does not match what the opener expects. Opening
//! checks the header, the size and the block table; [`SealedFile::verify`]
//! checks every data block and names the offset of the first bad one.
//! Space is reserved with `fallocate` before the file is written, so a
//! full disk is an error at write time.

use crate::error::{Error, Result};
use crate::storage::checksum::{crc32, crc32_update};
use memmap2::Mmap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Magic of every sealed file.
pub const SEALED_MAGIC: &[u8; 8] = b"QVSEALED";
/// Format version of sealed files.
pub const SEALED_VERSION: u32 = 1;
/// Bytes before the data.
pub const DATA_OFFSET: usize = 64;
const BLOCK: usize = 1 << 16;
const END_MAGIC: &[u8; 8] = b"QVEND\0\0\0";

/// What a sealed file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum FileKind {
    /// Segment id tracker: ids, versions, sorted index.
    Ids = 1,
    /// Segment dense vectors.
    Vectors = 2,
    /// Segment payload bytes.
    Payloads = 3,
    /// Segment HNSW graph.
    Graph = 4,
    /// Deleted-point bitset of a segment at one generation.
    Deleted = 5,
    /// Collection manifest generation.
    Manifest = 6,
    /// A field index of a segment (the generation field holds the
    /// index's id).
    FieldIndex = 7,
    /// Quantized codes of a segment's vectors.
    Codes = 8,
    /// Segment sparse vectors.
    Sparse = 9,
    /// The edges of a collection at one generation.
    Edges = 10,
}

impl FileKind {
    fn name(self) -> &'static str {
        match self {
            FileKind::Ids => "ids",
            FileKind::Vectors => "vectors",
            FileKind::Payloads => "payloads",
            FileKind::Graph => "graph",
            FileKind::Deleted => "deleted",
            FileKind::Manifest => "manifest",
            FileKind::FieldIndex => "field index",
            FileKind::Codes => "codes",
            FileKind::Sparse => "sparse vectors",
            FileKind::Edges => "edges",
        }
    }
}

/// Who a sealed file belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    /// What it holds.
    pub kind: FileKind,
    /// The collection's id.
    pub owner: u64,
    /// The segment's id (0 for collection-level files).
    pub segment: u64,
    /// The generation (0 where it does not apply).
    pub generation: u64,
}

/// Writes a sealed file: data streamed in with [`SealedWriter::write`],
/// then [`SealedWriter::finish`]. The file is written under a `.tmp` name
/// and renamed into place by `finish`, so a crash never leaves a partial
/// file under the real name.
pub struct SealedWriter {
    out: Option<BufWriter<File>>,
    tmp: PathBuf,
    path: PathBuf,
    len: u64,
    block_crc: u32,
    in_block: usize,
    table: Vec<u32>,
    finished: bool,
}

impl SealedWriter {
    /// Starts `path` for `id`, reserving `expected_len` data bytes.
    pub fn create(path: &Path, id: Identity, expected_len: u64) -> Result<SealedWriter> {
        let tmp = path.with_extension("tmp");
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| Error::io("create", &tmp, e))?;
        let total = DATA_OFFSET as u64 + expected_len + (expected_len / BLOCK as u64 + 1) * 4 + 16;
        crate::storage::fallocate(&file, total, &tmp)?;
        let mut w = SealedWriter {
            out: Some(BufWriter::with_capacity(1 << 20, file)),
            tmp,
            path: path.to_owned(),
            len: 0,
            block_crc: 0,
            in_block: 0,
            table: Vec::new(),
            finished: false,
        };
        // Placeholder header; rewritten by `finish` once the length is known.
        w.writer()?
            .write_all(&header(id, 0))
            .map_err(|e| Error::io("write", &w.tmp, e))?;
        Ok(w)
    }

    fn writer(&mut self) -> Result<&mut BufWriter<File>> {
        self.out
            .as_mut()
            .ok_or_else(|| Error::invalid("sealed file written after finish"))
    }

    /// Appends data bytes.
    pub fn write(&mut self, mut bytes: &[u8]) -> Result<()> {
        let tmp = self.tmp.clone();
        self.writer()?
            .write_all(bytes)
            .map_err(|e| Error::io("write", &tmp, e))?;
        self.len += bytes.len() as u64;
        while !bytes.is_empty() {
            let n = (BLOCK - self.in_block).min(bytes.len());
            self.block_crc = crc32_update(self.block_crc, &bytes[..n]);
            self.in_block += n;
            bytes = &bytes[n..];
            if self.in_block == BLOCK {
                self.table.push(self.block_crc);
                self.block_crc = 0;
                self.in_block = 0;
            }
        }
        Ok(())
    }

    /// Bytes of data written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True before any data is written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Pads the data with zeros to a multiple of `align` bytes.
    pub fn align(&mut self, align: u64) -> Result<()> {
        let pad = (align - self.len % align) % align;
        self.write(&vec![0u8; pad as usize])
    }

    /// Writes the block table and footer, the final header, fsyncs, and
    /// renames the file into place (the caller fsyncs the directory).
    pub fn finish(mut self, id: Identity) -> Result<()> {
        if self.in_block > 0 {
            self.table.push(self.block_crc);
        }
        let mut tail = Vec::with_capacity(self.table.len() * 4 + 12);
        for c in &self.table {
            tail.extend_from_slice(&c.to_le_bytes());
        }
        let table_crc = crc32(&tail);
        tail.extend_from_slice(&table_crc.to_le_bytes());
        tail.extend_from_slice(END_MAGIC);
        let tmp = self.tmp.clone();
        self.writer()?
            .write_all(&tail)
            .map_err(|e| Error::io("write", &tmp, e))?;
        let file = self
            .out
            .take()
            .expect("finish runs once")
            .into_inner()
            .map_err(|e| Error::io("write", &self.tmp, e.into_error()))?;
        let end = DATA_OFFSET as u64 + self.len + tail.len() as u64;
        file.set_len(end)
            .map_err(|e| Error::io("truncate", &self.tmp, e))?;
        std::os::unix::fs::FileExt::write_all_at(&file, &header(id, self.len), 0)
            .map_err(|e| Error::io("write", &self.tmp, e))?;
        crate::storage::fault::check("segment write", &self.tmp)
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io("fsync", &self.tmp, e))?;
        drop(file);
        std::fs::rename(&self.tmp, &self.path)
            .map_err(|e| Error::io("rename to", &self.path, e))?;
        self.finished = true;
        Ok(())
    }
}

impl Drop for SealedWriter {
    fn drop(&mut self) {
        // Unfinished (an error or a panic): leave no temporary file behind.
        if !self.finished {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

fn header(id: Identity, len: u64) -> [u8; DATA_OFFSET] {
    let mut h = [0u8; DATA_OFFSET];
    h[..8].copy_from_slice(SEALED_MAGIC);
    h[8..12].copy_from_slice(&SEALED_VERSION.to_le_bytes());
    h[12..16].copy_from_slice(&(id.kind as u32).to_le_bytes());
    h[16..24].copy_from_slice(&id.owner.to_le_bytes());
    h[24..32].copy_from_slice(&id.segment.to_le_bytes());
    h[32..40].copy_from_slice(&id.generation.to_le_bytes());
    h[40..48].copy_from_slice(&len.to_le_bytes());
    h[48..52].copy_from_slice(&(BLOCK as u32).to_le_bytes());
    let crc = crc32(&h[..60]);
    h[60..64].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Writes a whole sealed file from one buffer.
pub fn write_sealed(path: &Path, id: Identity, data: &[u8]) -> Result<()> {
    let mut w = SealedWriter::create(path, id, data.len() as u64)?;
    w.write(data)?;
    w.finish(id)
}

/// A sealed file, mapped.
pub struct SealedFile {
    map: Option<Mmap>,
    path: PathBuf,
    len: usize,
    table_at: usize,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

impl SealedFile {
    /// Maps `path` and checks its header, identity, size and block table.
    pub fn open(path: &Path, id: Identity) -> Result<SealedFile> {
        let file = File::open(path).map_err(|e| match e.kind() {
            // Its owner names it: a missing file is damage, not an I/O error.
            std::io::ErrorKind::NotFound => Error::corrupt(format!(
                "{}: missing (the sealed {} file is named but not there)",
                path.display(),
                id.kind.name()
            )),
            _ => Error::io("open", path, e),
        })?;
        let size = file
            .metadata()
            .map_err(|e| Error::io("stat", path, e))?
            .len();
        let name = path.display();
        if size < DATA_OFFSET as u64 + 12 {
            return Err(Error::corrupt(format!(
                "{name}: {size} bytes, too short for a sealed {} file",
                id.kind.name()
            )));
        }
        // SAFETY: sealed files are never written after they are renamed into
        // place; the engine only deletes them (which keeps the mapping
        // valid). Another process changing the file breaks this, as it
        // would for any mapped database file.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io("map", path, e))?;
        let b = &map[..];
        if &b[..8] != SEALED_MAGIC {
            return Err(Error::IncompatibleFormat(format!(
                "{name}: not a quiver sealed file (bad magic)"
            )));
        }
        let version = u32_at(b, 8);
        if version != SEALED_VERSION {
            return Err(Error::IncompatibleFormat(format!(
                "{name}: sealed file format version {version}, this build reads {SEALED_VERSION}"
            )));
        }
        if crc32(&b[..60]) != u32_at(b, 60) {
            return Err(Error::corrupt(format!("{name}: header fails its checksum")));
        }
        let got = (u32_at(b, 12), u64_at(b, 16), u64_at(b, 24), u64_at(b, 32));
        let want = (id.kind as u32, id.owner, id.segment, id.generation);
        if got != want {
            return Err(Error::corrupt(format!(
                "{name}: file is (kind {}, collection {:016x}, segment {}, generation {}), expected the {} file of collection {:016x}, segment {}, generation {}",
                got.0, got.1, got.2, got.3, id.kind.name(), id.owner, id.segment, id.generation
            )));
        }
        let len = u64_at(b, 40);
        let block = u32_at(b, 48) as usize;
        if block != BLOCK {
            return Err(Error::corrupt(format!("{name}: block size {block}")));
        }
        let blocks = len.div_ceil(BLOCK as u64);
        let expect = DATA_OFFSET as u64 + len + blocks * 4 + 12;
        if size != expect {
            return Err(Error::corrupt(format!(
                "{name}: {size} bytes, but its header describes {expect}"
            )));
        }
        let table_at = DATA_OFFSET + len as usize;
        let table = &b[table_at..table_at + blocks as usize * 4];
        if crc32(table) != u32_at(b, table_at + table.len()) || &b[b.len() - 8..] != END_MAGIC {
            return Err(Error::corrupt(format!(
                "{name}: block checksum table is damaged"
            )));
        }
        let len = len as usize;
        Ok(SealedFile {
            map: Some(map),
            path: path.to_owned(),
            len,
            table_at,
        })
    }

    /// The data bytes.
    #[inline]
    pub fn data(&self) -> &[u8] {
        match &self.map {
            Some(m) => &m[DATA_OFFSET..DATA_OFFSET + self.len],
            None => &[],
        }
    }

    /// Lets go of the pages of this file mapped into the process (they stay
    /// in the page cache and come back on the next read): for a file whose
    /// data a [`super::resident::Resident`] copy now serves.
    pub fn release_pages(&self) {
        if let Some(m) = &self.map {
            // SAFETY: the mapping is a read-only shared mapping of a file
            // that is never written once sealed; dropping its pages loses
            // nothing, a later read faults them in again from the file.
            let _ = unsafe { m.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
        }
    }

    /// Checks every data block against its checksum.
    pub fn verify(&self) -> Result<()> {
        let Some(m) = &self.map else { return Ok(()) };
        let data = self.data();
        for (i, chunk) in data.chunks(BLOCK).enumerate() {
            if crc32(chunk) != u32_at(m, self.table_at + i * 4) {
                return Err(Error::corrupt(format!(
                    "{}: data block at offset {} fails its checksum",
                    self.path.display(),
                    DATA_OFFSET + i * BLOCK
                )));
            }
        }
        Ok(())
    }

    /// Bytes of the file.
    pub fn file_len(&self) -> u64 {
        self.map.as_ref().map_or(0, |m| m.len() as u64)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Tells the kernel the data will be read at random (no read-ahead).
    pub fn advise_random(&self) {
        if let Some(m) = &self.map {
            let _ = m.advise(memmap2::Advice::Random);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(kind: FileKind, segment: u64) -> Identity {
        Identity {
            kind,
            owner: 0xabc,
            segment,
            generation: 0,
        }
    }

    #[test]
    fn round_trip_identity_and_block_checks() {
        let d = std::env::temp_dir().join(format!("qv-sealed-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("v.qv");
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut w = SealedWriter::create(&p, id(FileKind::Vectors, 3), data.len() as u64).unwrap();
        w.write(&data[..1000]).unwrap();
        w.write(&data[1000..]).unwrap();
        w.finish(id(FileKind::Vectors, 3)).unwrap();
        assert!(!p.with_extension("tmp").exists());
        let f = SealedFile::open(&p, id(FileKind::Vectors, 3)).unwrap();
        assert_eq!(f.data(), &data[..]);
        f.verify().unwrap();
        drop(f);
        // Another segment's (or kind's) file is refused.
        assert!(matches!(
            SealedFile::open(&p, id(FileKind::Vectors, 4)),
            Err(Error::Corrupt(_))
        ));
        assert!(matches!(
            SealedFile::open(&p, id(FileKind::Ids, 3)),
            Err(Error::Corrupt(_))
        ));
        // A flipped data byte passes open (cheap checks) but not verify.
        let mut bytes = std::fs::read(&p).unwrap();
        bytes[DATA_OFFSET + 70_000] ^= 1;
        std::fs::write(&p, &bytes).unwrap();
        let f = SealedFile::open(&p, id(FileKind::Vectors, 3)).unwrap();
        let e = f.verify().unwrap_err().to_string();
        assert!(
            e.contains(&format!("offset {}", DATA_OFFSET + BLOCK)),
            "{e}"
        );
        // A truncated file is refused on open.
        std::fs::write(&p, &bytes[..bytes.len() - 1]).unwrap();
        assert!(SealedFile::open(&p, id(FileKind::Vectors, 3)).is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }
}
