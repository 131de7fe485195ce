//! A fixed-length bitset with the set operations the filter planner
//! combines index results with.

/// `len` bits, all operations within them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bits {
    words: Vec<u64>,
    len: usize,
}

impl Bits {
    /// `len` clear bits.
    pub fn zeros(len: usize) -> Bits {
        Bits {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    /// `len` set bits.
    pub fn ones(len: usize) -> Bits {
        let mut b = Bits {
            words: vec![u64::MAX; len.div_ceil(64)],
            len,
        };
        b.trim();
        b
    }

    fn trim(&mut self) {
        if !self.len.is_multiple_of(64) {
            if let Some(w) = self.words.last_mut() {
                *w &= (1u64 << (self.len % 64)) - 1;
            }
        }
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when it has no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bit `i` (false past the end).
    #[inline]
    pub fn get(&self, i: u32) -> bool {
        let i = i as usize;
        i < self.len && self.words[i / 64] & (1 << (i % 64)) != 0
    }

    /// Sets bit `i` (ignored past the end).
    #[inline]
    pub fn set(&mut self, i: u32) {
        let i = i as usize;
        if i < self.len {
            self.words[i / 64] |= 1 << (i % 64);
        }
    }

    /// `self |= other`.
    pub fn or(&mut self, other: &Bits) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    /// `self &= other`.
    pub fn and(&mut self, other: &Bits) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= b;
        }
    }

    /// `self &= !other`.
    pub fn and_not(&mut self, other: &Bits) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= !b;
        }
    }

    /// Clears the bits set in `words` (bit `i` in word `i / 64`).
    pub fn and_not_words(&mut self, words: &[u64]) {
        for (a, b) in self.words.iter_mut().zip(words) {
            *a &= !b;
        }
    }

    /// Flips every bit.
    pub fn invert(&mut self) {
        for w in &mut self.words {
            *w = !*w;
        }
        self.trim();
    }

    /// Number of set bits.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// True when no bit is set.
    pub fn none(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// The set bits, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = w.trailing_zeros();
                w &= w - 1;
                Some(i as u32 * 64 + b)
            })
        })
    }

    /// About `n` of the set bits, spread evenly over them (for estimates).
    pub fn sample(&self, n: usize) -> Vec<u32> {
        let c = self.count();
        if c == 0 || n == 0 {
            return Vec::new();
        }
        let step = c.div_ceil(n);
        self.iter().step_by(step).collect()
    }

    /// Heap bytes.
    pub fn ram_bytes(&self) -> u64 {
        (self.words.capacity() * 8) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_stay_within_the_length() {
        let mut a = Bits::zeros(70);
        a.set(3);
        a.set(69);
        a.set(70);
        assert_eq!(a.iter().collect::<Vec<_>>(), vec![3, 69]);
        let mut n = a.clone();
        n.invert();
        assert_eq!(n.count(), 68);
        assert!(!n.get(3) && n.get(4) && !n.get(70));
        let mut o = Bits::ones(70);
        assert_eq!(o.count(), 70);
        o.and_not(&a);
        assert_eq!(o, n);
        o.or(&a);
        assert_eq!(o.count(), 70);
        o.and(&a);
        assert_eq!(o, a);
        assert_eq!(Bits::ones(64).count(), 64);
        assert_eq!(a.sample(1), vec![3]);
    }
}
