//! File headers: every file begins with an 8-byte magic, a little-endian
//! `u32` format version and a `u32` reserved for flags (zero).

use crate::error::{Error, Result};
use std::path::Path;

/// Length of the common header.
pub const HEADER_LEN: usize = 16;

/// Magic of the HNSW graph encoding (inside a sealed graph file).
pub const GRAPH_MAGIC: &[u8; 8] = b"QVHNSW\0\x01";

/// Current format version of every binary file.
pub const FORMAT_VERSION: u32 = 1;

/// The 16 header bytes for `magic` at the current version.
pub fn header(magic: &[u8; 8]) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..8].copy_from_slice(magic);
    h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h
}

/// Checks that `bytes` starts with the header of `magic` at a version we read.
pub fn check_header(bytes: &[u8], magic: &[u8; 8], path: &Path) -> Result<()> {
    if bytes.len() < HEADER_LEN {
        return Err(Error::corrupt(format!(
            "{}: file is {} bytes, shorter than its {HEADER_LEN}-byte header",
            path.display(),
            bytes.len()
        )));
    }
    if &bytes[..8] != magic {
        return Err(Error::IncompatibleFormat(format!(
            "{}: not a quiver {} file (bad magic)",
            path.display(),
            String::from_utf8_lossy(&magic[..6]).trim_end_matches('\0')
        )));
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version != FORMAT_VERSION {
        return Err(Error::IncompatibleFormat(format!(
            "{}: format version {version}, this build reads version {FORMAT_VERSION}",
            path.display()
        )));
    }
    Ok(())
}

/// A little-endian reader over a byte slice that reports truncation as corruption.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'a str,
}

impl<'a> Reader<'a> {
    /// Reads `bytes`; `what` names the file or record in errors.
    pub fn new(bytes: &'a [u8], what: &'a str) -> Self {
        Reader {
            bytes,
            pos: 0,
            what,
        }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Takes the next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.remaining() < n {
            return Err(Error::corrupt(format!(
                "{}: truncated at byte {} (needs {n} more, has {})",
                self.what,
                self.pos,
                self.remaining()
            )));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Reads a `u8`.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    /// Reads a little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Reads a little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
}
