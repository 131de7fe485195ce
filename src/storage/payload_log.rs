//! The payload store: an append-only log of `(slot, JSON bytes)` records.
//!
//! After the 16-byte header, each record is
//! `[crc32: u32][slot: u32][len: u32][len bytes of JSON]`, the CRC covering
//! slot, length and bytes. Slots are written once, so a slot has at most one
//! record. Appends are not fsynced one by one: the write-ahead log holds the
//! same data until a checkpoint fsyncs this file and records its length; on
//! open, bytes past the checkpointed length are cut off (the log replay
//! writes them again).

use crate::error::{Error, Result};
use crate::storage::checksum::{crc32, crc32_update};
use crate::storage::format::{check_header, header, HEADER_LEN, PAYLOADS_MAGIC};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// One record read back: the slot and its JSON bytes.
pub type PayloadRecord = (u32, Vec<u8>);

/// An open payload log.
pub struct PayloadLog {
    file: File,
    path: PathBuf,
    len: u64,
}

impl PayloadLog {
    /// Creates an empty log (fails if the file exists).
    pub fn create(path: &Path) -> Result<PayloadLog> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::io("create", path, e))?;
        file.write_all(&header(PAYLOADS_MAGIC))
            .map_err(|e| Error::io("write", path, e))?;
        file.sync_all().map_err(|e| Error::io("fsync", path, e))?;
        Ok(PayloadLog {
            file,
            path: path.to_owned(),
            len: HEADER_LEN as u64,
        })
    }

    /// Opens the log, reads every record within the first `valid_len` bytes
    /// (the length recorded by the last checkpoint) and cuts off the rest.
    /// A record inside that range that fails its check is corruption.
    pub fn open(path: &Path, valid_len: u64) -> Result<(PayloadLog, Vec<PayloadRecord>)> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| Error::io("open", path, e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| Error::io("read", path, e))?;
        check_header(&bytes, PAYLOADS_MAGIC, path)?;
        if (bytes.len() as u64) < valid_len || valid_len < HEADER_LEN as u64 {
            return Err(Error::corrupt(format!(
                "{}: file is {} bytes, but the checkpoint records {valid_len}",
                path.display(),
                bytes.len()
            )));
        }
        let valid = &bytes[..valid_len as usize];
        let mut out = Vec::new();
        let mut pos = HEADER_LEN;
        while pos < valid.len() {
            if valid.len() - pos < 12 {
                return Err(Error::corrupt(format!(
                    "{}: truncated record at byte {pos}",
                    path.display()
                )));
            }
            let h = &valid[pos..pos + 12];
            let crc = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
            let slot = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
            let len = u32::from_le_bytes([h[8], h[9], h[10], h[11]]) as usize;
            let end = pos + 12 + len;
            if end > valid.len() || crc32(&valid[pos + 4..end]) != crc {
                return Err(Error::corrupt(format!(
                    "{}: record at byte {pos} fails its checksum",
                    path.display()
                )));
            }
            out.push((slot, valid[pos + 12..end].to_vec()));
            pos = end;
        }
        if bytes.len() as u64 > valid_len {
            file.set_len(valid_len)
                .map_err(|e| Error::io("truncate", path, e))?;
        }
        file.seek(SeekFrom::Start(valid_len))
            .map_err(|e| Error::io("seek", path, e))?;
        Ok((
            PayloadLog {
                file,
                path: path.to_owned(),
                len: valid_len,
            },
            out,
        ))
    }

    /// Appends the records of one batch with a single write.
    pub fn append(&mut self, records: &[(u32, &[u8])]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let total: usize = records.iter().map(|(_, b)| 12 + b.len()).sum();
        let mut buf = Vec::with_capacity(total);
        for (slot, bytes) in records {
            let len = u32::try_from(bytes.len())
                .map_err(|_| Error::invalid("payload larger than 4 GiB"))?;
            let mut head = [0u8; 8];
            head[..4].copy_from_slice(&slot.to_le_bytes());
            head[4..].copy_from_slice(&len.to_le_bytes());
            let crc = crc32_update(crc32(&head), bytes);
            buf.extend_from_slice(&crc.to_le_bytes());
            buf.extend_from_slice(&head);
            buf.extend_from_slice(bytes);
        }
        if let Err(e) = self.file.write_all(&buf) {
            let _ = self.file.set_len(self.len);
            let _ = self.file.seek(SeekFrom::Start(self.len));
            return Err(Error::io("append to", &self.path, e));
        }
        self.len += buf.len() as u64;
        Ok(())
    }

    /// Makes the appended records durable.
    pub fn sync(&mut self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| Error::io("fsync", &self.path, e))
    }

    /// Length in bytes, header included.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when the log holds no record.
    pub fn is_empty(&self) -> bool {
        self.len == HEADER_LEN as u64
    }
}
