//! The write-ahead log.
//!
//! After the 16-byte header the log is a sequence of records:
//! `[body_len: u32][crc32: u32][seq: u64][body: body_len bytes]`, where the
//! CRC covers `seq` and `body`. A record is appended (and, under the default
//! sync policy, fsynced) before its change is applied. On open, the first
//! record that is short, too long or fails its CRC ends the log: it and
//! everything after it is a torn tail from a crash, and is cut off.

use crate::error::{Error, Result};
use crate::storage::checksum::{crc32, crc32_update};
use crate::storage::format::{check_header, header, HEADER_LEN, WAL_MAGIC};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const RECORD_HEADER: usize = 16;
/// Largest record body accepted (a bound against garbage lengths).
pub const MAX_RECORD: usize = 1 << 31;

/// One record read back from the log.
#[derive(Debug)]
pub struct WalRecord {
    /// Sequence number, increasing by one per record across checkpoints.
    pub seq: u64,
    /// The encoded operation.
    pub body: Vec<u8>,
}

/// An open write-ahead log.
pub struct Wal {
    file: File,
    path: PathBuf,
    len: u64,
}

impl Wal {
    /// Creates a new, empty log at `path` (fails if it exists).
    pub fn create(path: &Path) -> Result<Wal> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::io("create", path, e))?;
        file.write_all(&header(WAL_MAGIC))
            .map_err(|e| Error::io("write", path, e))?;
        file.sync_all().map_err(|e| Error::io("fsync", path, e))?;
        Ok(Wal {
            file,
            path: path.to_owned(),
            len: HEADER_LEN as u64,
        })
    }

    /// Opens the log at `path`, returns it with every intact record, and cuts
    /// off a torn tail.
    pub fn open(path: &Path) -> Result<(Wal, Vec<WalRecord>)> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| Error::io("open", path, e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| Error::io("read", path, e))?;
        check_header(&bytes, WAL_MAGIC, path)?;
        let mut records = Vec::new();
        let mut pos = HEADER_LEN;
        while bytes.len() - pos >= RECORD_HEADER {
            let h = &bytes[pos..pos + RECORD_HEADER];
            let body_len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
            let crc = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
            let end = pos + RECORD_HEADER + body_len;
            if body_len > MAX_RECORD || end > bytes.len() {
                break;
            }
            let seq_and_body = &bytes[pos + 8..end];
            if crc32(seq_and_body) != crc {
                break;
            }
            let mut seq = [0u8; 8];
            seq.copy_from_slice(&h[8..16]);
            records.push(WalRecord {
                seq: u64::from_le_bytes(seq),
                body: bytes[pos + RECORD_HEADER..end].to_vec(),
            });
            pos = end;
        }
        if pos < bytes.len() {
            file.set_len(pos as u64)
                .map_err(|e| Error::io("truncate torn tail of", path, e))?;
            file.sync_all().map_err(|e| Error::io("fsync", path, e))?;
        }
        file.seek(SeekFrom::Start(pos as u64))
            .map_err(|e| Error::io("seek", path, e))?;
        Ok((
            Wal {
                file,
                path: path.to_owned(),
                len: pos as u64,
            },
            records,
        ))
    }

    /// Appends one record with a single write. Not durable until [`Wal::sync`].
    pub fn append(&mut self, seq: u64, body: &[u8]) -> Result<()> {
        if body.len() > MAX_RECORD {
            return Err(Error::invalid(format!(
                "write batch encodes to {} bytes, more than the {MAX_RECORD}-byte limit of one log record; split it",
                body.len()
            )));
        }
        let mut rec = Vec::with_capacity(RECORD_HEADER + body.len());
        let seq_bytes = seq.to_le_bytes();
        let crc = crc32_update(crc32(&seq_bytes), body);
        rec.extend_from_slice(&(body.len() as u32).to_le_bytes());
        rec.extend_from_slice(&crc.to_le_bytes());
        rec.extend_from_slice(&seq_bytes);
        rec.extend_from_slice(body);
        if let Err(e) = self.file.write_all(&rec) {
            // Cut off whatever part of the record reached the file so that the
            // log stays a clean sequence of records.
            let _ = self.file.set_len(self.len);
            let _ = self.file.seek(SeekFrom::Start(self.len));
            return Err(Error::io("append to", &self.path, e));
        }
        self.len += rec.len() as u64;
        Ok(())
    }

    /// Makes every appended record durable (fdatasync).
    pub fn sync(&mut self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| Error::io("fsync", &self.path, e))
    }

    /// Empties the log (after a checkpoint made its records redundant).
    pub fn reset(&mut self) -> Result<()> {
        self.file
            .set_len(HEADER_LEN as u64)
            .map_err(|e| Error::io("truncate", &self.path, e))?;
        self.file
            .seek(SeekFrom::Start(HEADER_LEN as u64))
            .map_err(|e| Error::io("seek", &self.path, e))?;
        self.file
            .sync_all()
            .map_err(|e| Error::io("fsync", &self.path, e))?;
        self.len = HEADER_LEN as u64;
        Ok(())
    }

    /// Current length in bytes, header included.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when the log holds no record.
    pub fn is_empty(&self) -> bool {
        self.len == HEADER_LEN as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("qv-wal-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&d);
        d
    }

    #[test]
    fn records_round_trip_and_torn_tail_is_cut() {
        let p = tmp("torn");
        let mut w = Wal::create(&p).unwrap();
        w.append(1, b"hello").unwrap();
        w.append(2, b"").unwrap();
        w.append(3, &[7u8; 1000]).unwrap();
        w.sync().unwrap();
        let good_len = w.len();
        drop(w);
        // A torn tail: half a record header, then garbage.
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(&[200, 0, 0, 0, 1, 2, 3]).unwrap();
        drop(f);
        let (w, recs) = Wal::open(&p).unwrap();
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0].seq, 1);
        assert_eq!(recs[0].body, b"hello");
        assert_eq!(recs[2].body.len(), 1000);
        assert_eq!(w.len(), good_len);
        assert_eq!(std::fs::metadata(&p).unwrap().len(), good_len);
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn flipped_byte_ends_the_log_there() {
        let p = tmp("flip");
        let mut w = Wal::create(&p).unwrap();
        w.append(1, b"first").unwrap();
        let first_end = w.len();
        w.append(2, b"second").unwrap();
        drop(w);
        let mut bytes = std::fs::read(&p).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&p, &bytes).unwrap();
        let (w, recs) = Wal::open(&p).unwrap();
        assert_eq!(recs.len(), 1);
        assert_eq!(w.len(), first_end);
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn foreign_file_is_rejected() {
        let p = tmp("foreign");
        std::fs::write(&p, b"this is not a quiver log at all").unwrap();
        assert!(matches!(Wal::open(&p), Err(Error::IncompatibleFormat(_))));
        std::fs::remove_file(&p).unwrap();
    }
}
