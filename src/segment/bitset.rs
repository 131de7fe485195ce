//! A growable bitset: the deleted points of a segment.

/// One bit per offset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bitset {
    words: Vec<u64>,
    ones: usize,
}

impl Bitset {
    /// An empty bitset with room for `bits` bits.
    pub fn with_len(bits: usize) -> Bitset {
        Bitset {
            words: vec![0; bits.div_ceil(64)],
            ones: 0,
        }
    }

    /// Bit `i` (false past the end).
    #[inline]
    pub fn get(&self, i: u32) -> bool {
        let i = i as usize;
        self.words
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Sets bit `i`, growing as needed; returns true if it was clear.
    pub fn set(&mut self, i: u32) -> bool {
        let i = i as usize;
        if i / 64 >= self.words.len() {
            self.words.resize(i / 64 + 1, 0);
        }
        let w = &mut self.words[i / 64];
        let was_clear = *w & (1 << (i % 64)) == 0;
        *w |= 1 << (i % 64);
        self.ones += usize::from(was_clear);
        was_clear
    }

    /// The words, bit `i` in word `i / 64`.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// Number of set bits.
    pub fn count(&self) -> usize {
        self.ones
    }

    /// The words, little-endian bytes (for saving).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// Reads [`Bitset::to_bytes`] back; `None` if the length is not whole words.
    pub fn from_bytes(b: &[u8]) -> Option<Bitset> {
        if !b.len().is_multiple_of(8) {
            return None;
        }
        let words: Vec<u64> = b
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        let ones = words.iter().map(|w| w.count_ones() as usize).sum();
        Some(Bitset { words, ones })
    }

    /// Heap bytes held.
    pub fn ram_bytes(&self) -> u64 {
        (self.words.capacity() * 8) as u64
    }

    /// True if any bit at or past `len` is set.
    pub fn any_at_or_past(&self, len: usize) -> bool {
        (len..self.words.len() * 64).any(|i| self.get(i as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_count_round_trip() {
        let mut b = Bitset::with_len(10);
        assert!(b.set(3));
        assert!(!b.set(3));
        assert!(b.set(200));
        assert!(b.get(3) && b.get(200) && !b.get(4) && !b.get(10_000));
        assert_eq!(b.count(), 2);
        let c = Bitset::from_bytes(&b.to_bytes()).unwrap();
        assert_eq!(c, b);
        assert!(b.any_at_or_past(100) && !b.any_at_or_past(201));
        assert!(Bitset::from_bytes(&[1, 2, 3]).is_none());
    }
}
