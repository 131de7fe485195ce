//! The checkpoint record: what part of the slot files, payload log and graph
//! is durable, and up to which log sequence number.
//!
//! Layout after the 16-byte header: `wal_seq: u64`, `slot_count: u64`,
//! `payload_len: u64`, then `ceil(slot_count / 8)` bytes of the dead-slot
//! bitset (bit set = slot deleted or superseded), then a CRC-32 of everything
//! after the header. Written whole with [`crate::storage::write_atomic`].

use crate::error::{Error, Result};
use crate::storage::checksum::crc32;
use crate::storage::format::{check_header, header, Reader, CHECKPOINT_MAGIC, HEADER_LEN};
use std::path::Path;

/// The durable state a collection restarts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Every log record with `seq <= wal_seq` is contained in this checkpoint.
    pub wal_seq: u64,
    /// Slots `0..slot_count` of the slot files are durable.
    pub slot_count: u64,
    /// Durable length of the payload log.
    pub payload_len: u64,
    /// One bit per slot: set when the slot's point was deleted or superseded.
    pub dead: Vec<u8>,
}

impl Checkpoint {
    /// Serialises the record.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(HEADER_LEN + 28 + self.dead.len());
        b.extend_from_slice(&header(CHECKPOINT_MAGIC));
        b.extend_from_slice(&self.wal_seq.to_le_bytes());
        b.extend_from_slice(&self.slot_count.to_le_bytes());
        b.extend_from_slice(&self.payload_len.to_le_bytes());
        b.extend_from_slice(&self.dead);
        let crc = crc32(&b[HEADER_LEN..]);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }

    /// Parses and checks a record read from `path`.
    pub fn decode(bytes: &[u8], path: &Path) -> Result<Checkpoint> {
        check_header(bytes, CHECKPOINT_MAGIC, path)?;
        let name = path.display().to_string();
        if bytes.len() < HEADER_LEN + 28 {
            return Err(Error::corrupt(format!("{name}: truncated checkpoint")));
        }
        let body = &bytes[HEADER_LEN..bytes.len() - 4];
        let stored = u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().expect("4 bytes"));
        if crc32(body) != stored {
            return Err(Error::corrupt(format!(
                "{name}: checkpoint fails its checksum"
            )));
        }
        let mut r = Reader::new(body, &name);
        let wal_seq = r.u64()?;
        let slot_count = r.u64()?;
        let payload_len = r.u64()?;
        if slot_count > u32::MAX as u64 || r.remaining() as u64 != slot_count.div_ceil(8) {
            return Err(Error::corrupt(format!(
                "{name}: checkpoint bitset does not match its {slot_count} slots"
            )));
        }
        let dead = r.take(r.remaining())?.to_vec();
        Ok(Checkpoint {
            wal_seq,
            slot_count,
            payload_len,
            dead,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corruption() {
        let c = Checkpoint {
            wal_seq: 42,
            slot_count: 10,
            payload_len: 99,
            dead: vec![0b0000_0101, 0b10],
        };
        let p = Path::new("checkpoint.bin");
        let mut bytes = c.encode();
        assert_eq!(Checkpoint::decode(&bytes, p).unwrap(), c);
        bytes[20] ^= 1;
        assert!(matches!(
            Checkpoint::decode(&bytes, p),
            Err(Error::Corrupt(_))
        ));
        assert!(matches!(
            Checkpoint::decode(b"garbage garbage garbage garbage garbage", p),
            Err(Error::IncompatibleFormat(_))
        ));
    }
}
