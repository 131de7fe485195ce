//! The best `k` hits of a document-at-a-time search: a heap with the
//! worst kept hit on top, where a higher score is better and equal scores
//! go by ascending point id (the order of every ranked search).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A kept hit: score, point id, offset in its segment.
#[derive(PartialEq)]
struct Kept(f32, u64, u32);

impl Eq for Kept {}

impl PartialOrd for Kept {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Kept {
    /// The worst first: lower score, or equal score and higher id.
    fn cmp(&self, o: &Self) -> Ordering {
        o.0.total_cmp(&self.0).then(self.1.cmp(&o.1))
    }
}

/// The best `k` (>= 1) hits offered.
pub struct TopK {
    k: usize,
    heap: BinaryHeap<Kept>,
}

impl TopK {
    /// Keeps the best `k` (at least 1).
    pub fn new(k: usize) -> TopK {
        let k = k.max(1);
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    /// The score a hit must reach to be kept: the worst kept one's once `k`
    /// are held, minus infinity before.
    pub fn threshold(&self) -> f32 {
        if self.heap.len() == self.k {
            self.heap.peek().map_or(f32::NEG_INFINITY, |w| w.0)
        } else {
            f32::NEG_INFINITY
        }
    }

    /// True when a hit of `score` and point id `id` would be kept.
    pub fn admits(&self, score: f32, id: u64) -> bool {
        match self.heap.peek() {
            Some(w) if self.heap.len() == self.k => score > w.0 || (score == w.0 && id < w.1),
            _ => true,
        }
    }

    /// Keeps the hit if [`TopK::admits`] it (dropping the worst when full).
    pub fn offer(&mut self, score: f32, id: u64, offset: u32) {
        if !self.admits(score, id) {
            return;
        }
        if self.heap.len() == self.k {
            self.heap.pop();
        }
        self.heap.push(Kept(score, id, offset));
    }

    /// The kept hits (score, offset), best first.
    pub fn into_sorted(self) -> Vec<(f32, u32)> {
        let mut out = self.heap.into_vec();
        out.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        out.into_iter().map(|h| (h.0, h.2)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::TopK;

    #[test]
    fn keeps_the_best_with_ties_by_id() {
        let mut t = TopK::new(3);
        assert_eq!(t.threshold(), f32::NEG_INFINITY);
        for (s, id) in [(1.0, 5), (3.0, 9), (2.0, 1), (3.0, 2), (2.0, 0), (0.5, 7)] {
            t.offer(s, id, id as u32 + 100);
        }
        assert_eq!(t.threshold(), 2.0);
        assert!(
            !t.admits(2.0, 1),
            "an equal score with a higher id than the worst"
        );
        assert_eq!(t.into_sorted(), vec![(3.0, 102), (3.0, 109), (2.0, 100)]);
    }
}
