//! CRC-32C (Castagnoli), the checksum of every record and block: the
//! `crc32c` crate uses the CPU's CRC32 instruction (SSE 4.2, ARMv8) and
//! falls back to a table where there is none; hand-writing that would gain
//! nothing.

/// Continues a CRC-32C over `data` (start with `crc = 0`).
#[inline]
pub fn crc32_update(crc: u32, data: &[u8]) -> u32 {
    crc32c::crc32c_append(crc, data)
}

/// CRC-32C of `data`.
#[inline]
pub fn crc32(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_value_and_incremental() {
        // The check value of CRC-32C (RFC 3720, appendix B.4).
        assert_eq!(crc32(b"123456789"), 0xE306_9283);
        assert_eq!(crc32(b""), 0);
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 31 % 251) as u8).collect();
        let split = crc32_update(crc32(&data[..333]), &data[333..]);
        assert_eq!(split, crc32(&data));
    }
}
