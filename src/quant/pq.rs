//! Product quantization: the `dim` dimensions are cut into `m` subspaces of
//! `dim / m` consecutive dimensions; each subspace has `k ≤ 256` centroids
//! trained by k-means (subspaces in parallel on rayon), and a vector is
//! stored as the `m` bytes naming its nearest centroid in each.
//!
//! A search builds one table per query (`m × k` floats: the dot product of
//! the query's sub-vector with each centroid, or their squared distance),
//! and a code's distance is `m` table lookups summed (asymmetric distance
//! computation: the query is not quantized). The walk ranks on those and
//! rescores `k × oversampling` candidates exactly.

use crate::distance::Metric;
use crate::error::{Error, Result};
use crate::index::hnsw::{prefetch_bytes, Scorer};
use rayon::prelude::*;

use super::{header, parse_header, HEADER, LAYOUT_PQ};

/// Bytes after the common header: m, k, reserved.
const PQ_HEAD: usize = 16;

/// Default k-means iterations.
pub const DEFAULT_ITERATIONS: usize = 12;

/// Training points per centroid (at most) in each subspace.
const SAMPLE_PER_CENTROID: usize = 32;

/// A trained product quantizer.
#[derive(Clone, Debug, PartialEq)]
pub struct Pq {
    dim: usize,
    m: usize,
    k: usize,
    /// Per subspace, `k` centroids of `sub` floats, row-major.
    centroids: Vec<f32>,
}

/// What training reports as it goes: (subspaces done, subspaces), from
/// the rayon threads; returning `false` asks it to stop.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) -> bool + Sync);

impl Pq {
    /// Subspaces.
    pub fn m(&self) -> usize {
        self.m
    }

    /// Centroids per subspace.
    pub fn k(&self) -> usize {
        self.k
    }

    fn sub(&self) -> usize {
        self.dim / self.m
    }

    /// Trains on (a sample of) `n` rows: `m` must divide `dim`, `k` is
    /// 1..=256 (fewer when there are fewer distinct training rows than
    /// `k`, at least 1). `None` when `progress` asked to stop.
    pub fn train<'a>(
        dim: usize,
        m: usize,
        k: usize,
        iterations: usize,
        n: usize,
        row: &(dyn Fn(usize) -> &'a [f32] + Sync),
        progress: Progress<'_>,
    ) -> Option<Pq> {
        assert!(m > 0 && dim.is_multiple_of(m) && (1..=256).contains(&k));
        let sub = dim / m;
        let samples = n.min(k * SAMPLE_PER_CENTROID);
        // Evenly spaced rows, so that the sample spans the whole segment.
        let pick: Vec<usize> = (0..samples)
            .map(|i| (i as u128 * n as u128 / samples as u128) as usize)
            .collect();
        if samples == 0 {
            // No rows (a segment is never empty, but be total): one zero
            // centroid per subspace.
            return Some(Pq {
                dim,
                m,
                k: 1,
                centroids: vec![0.0; dim],
            });
        }
        let k = k.min(samples);
        let done = std::sync::atomic::AtomicU64::new(0);
        let stop = std::sync::atomic::AtomicBool::new(false);
        let parts: Vec<Vec<f32>> = (0..m)
            .into_par_iter()
            .map(|j| {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    return Vec::new();
                }
                let xs: Vec<f32> = pick
                    .iter()
                    .flat_map(|&i| row(i)[j * sub..(j + 1) * sub].iter().copied())
                    .collect();
                let c = kmeans(&xs, sub, k, iterations, j as u64);
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    return Vec::new();
                }
                let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if !progress(d, m as u64) {
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                c
            })
            .collect();
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        Some(Pq {
            dim,
            m,
            k,
            centroids: parts.concat(),
        })
    }

    /// Bytes of the codes file's data for `n` rows of `dim` with `m`
    /// subspaces of `k` centroids.
    pub fn file_len(dim: usize, m: usize, k: usize, n: usize) -> usize {
        k.checked_mul(dim)
            .and_then(|c| c.checked_mul(4))
            .and_then(|c| c.checked_add(n.checked_mul(m)?))
            .and_then(|c| c.checked_add(HEADER + PQ_HEAD))
            .unwrap_or(usize::MAX)
    }

    /// The nearest centroid of each subspace of `x`, into `out` (`m` bytes).
    pub fn encode(&self, x: &[f32], out: &mut [u8]) {
        let books = self.books();
        self.encode_with(&books, x, out);
    }

    fn books(&self) -> Vec<Book> {
        let sub = self.sub();
        self.centroids
            .chunks_exact(self.k * sub)
            .map(|cs| Book::new(cs, sub))
            .collect()
    }

    fn encode_with(&self, books: &[Book], x: &[f32], out: &mut [u8]) {
        let sub = self.sub();
        for (j, (o, b)) in out.iter_mut().zip(books).enumerate() {
            *o = b.nearest(&x[j * sub..(j + 1) * sub]) as u8;
        }
    }

    /// The reconstruction of a code row.
    pub fn decode(&self, code: &[u8]) -> Vec<f32> {
        let sub = self.sub();
        let mut v = Vec::with_capacity(self.dim);
        for (j, &c) in code.iter().enumerate().take(self.m) {
            let at = (j * self.k + c as usize) * sub;
            v.extend_from_slice(&self.centroids[at..at + sub]);
        }
        v
    }

    /// Encodes `n` rows (in parallel): header, m, k, the centroids, then
    /// `n × m` code bytes.
    pub fn write<'a>(&self, n: usize, row: &(dyn Fn(usize) -> &'a [f32] + Sync)) -> Vec<u8> {
        let mut out = Vec::with_capacity(Pq::file_len(self.dim, self.m, self.k, n));
        out.extend_from_slice(&header(LAYOUT_PQ, self.dim, n));
        out.extend_from_slice(&(self.m as u32).to_le_bytes());
        out.extend_from_slice(&(self.k as u32).to_le_bytes());
        out.extend_from_slice(&[0u8; 8]);
        for c in &self.centroids {
            out.extend_from_slice(&c.to_le_bytes());
        }
        let at = out.len();
        out.resize(at + n * self.m, 0);
        let books = self.books();
        out[at..]
            .par_chunks_mut(self.m * 256)
            .enumerate()
            .for_each(|(b, chunk)| {
                for (r, code) in chunk.chunks_exact_mut(self.m).enumerate() {
                    self.encode_with(&books, row(b * 256 + r), code);
                }
            });
        out
    }

    /// Checks the layout [`Pq::write`] produced for `n` rows of `dim` and
    /// returns its quantizer; `bytes` must start 4-byte aligned.
    pub fn parse(bytes: &[u8], dim: usize, n: usize, name: &str) -> Result<Pq> {
        if bytes.len() < HEADER + PQ_HEAD {
            return Err(Error::corrupt(format!(
                "{name}: {} bytes of codes, too short for a product quantizer",
                bytes.len()
            )));
        }
        let m = u32::from_le_bytes(bytes[HEADER..HEADER + 4].try_into().expect("4")) as usize;
        let k = u32::from_le_bytes(bytes[HEADER + 4..HEADER + 8].try_into().expect("4")) as usize;
        if m == 0 || !dim.is_multiple_of(m) || !(1..=256).contains(&k) {
            return Err(Error::corrupt(format!(
                "{name}: product quantizer of {m} subspaces and {k} centroids for {dim} dimensions"
            )));
        }
        parse_header(bytes, LAYOUT_PQ, dim, n, Pq::file_len(dim, m, k, n), name)?;
        if !(bytes.as_ptr() as usize).is_multiple_of(4) {
            return Err(Error::corrupt(format!("{name}: misaligned codes")));
        }
        let at = HEADER + PQ_HEAD;
        let centroids = super::f32s(&bytes[at..at + k * dim * 4]).to_vec();
        if centroids.iter().any(|v| !v.is_finite()) {
            return Err(Error::corrupt(format!(
                "{name}: quantizer holds a bad value"
            )));
        }
        let codes = &bytes[at + k * dim * 4..];
        if codes.iter().any(|&c| c as usize >= k) {
            return Err(Error::corrupt(format!(
                "{name}: a code names a centroid beyond the {k} trained"
            )));
        }
        Ok(Pq {
            dim,
            m,
            k,
            centroids,
        })
    }

    /// A scorer of the codes in `bytes` (accepted by [`Pq::parse`])
    /// against `q` under `metric`: builds the query's table.
    pub fn scorer<'a>(&self, bytes: &'a [u8], n: usize, q: &[f32], metric: Metric) -> PqScorer<'a> {
        let (sub, k) = (self.sub(), self.k);
        let mut table = vec![0.0f32; self.m * k];
        for j in 0..self.m {
            let qs = &q[j * sub..(j + 1) * sub];
            let cs = &self.centroids[j * k * sub..(j + 1) * k * sub];
            for (c, t) in table[j * k..(j + 1) * k].iter_mut().enumerate() {
                let x = &cs[c * sub..(c + 1) * sub];
                *t = match metric {
                    Metric::Euclidean => qs.iter().zip(x).map(|(a, b)| (a - b) * (a - b)).sum(),
                    _ => -qs.iter().zip(x).map(|(a, b)| a * b).sum::<f32>(),
                };
            }
        }
        let at = HEADER + PQ_HEAD + k * self.dim * 4;
        PqScorer {
            codes: &bytes[at..at + n * self.m],
            table,
            m: self.m,
            k,
            bias: if metric == Metric::Cosine { 1.0 } else { 0.0 },
        }
    }
}

/// One subspace's centroids laid out for finding the nearest of many
/// (transposed, `sub × k`, so the loop over centroids vectorises), with
/// their squared norms: `‖x − c‖² = ‖x‖² + ‖c‖² − 2 x·c`.
struct Book {
    ct: Vec<f32>,
    norms: Vec<f32>,
    k: usize,
}

impl Book {
    fn new(cs: &[f32], sub: usize) -> Book {
        let k = cs.len() / sub;
        let mut ct = vec![0.0f32; sub * k];
        for c in 0..k {
            for d in 0..sub {
                ct[d * k + c] = cs[c * sub + d];
            }
        }
        let norms = cs
            .chunks_exact(sub)
            .map(|c| c.iter().map(|v| v * v).sum())
            .collect();
        Book { ct, norms, k }
    }

    /// The nearest centroid to `x`.
    fn nearest(&self, x: &[f32]) -> usize {
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            return unsafe { self.nearest_avx2(x) };
        }
        self.nearest_body(x)
    }

    /// [`Book::nearest`] compiled for AVX2 + FMA (the loop over the
    /// centroids vectorises 8 wide with fused multiply-adds).
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn nearest_avx2(&self, x: &[f32]) -> usize {
        self.nearest_body(x)
    }

    /// Eight centroids at a time, their partial distances in registers.
    #[inline(always)]
    fn nearest_body(&self, x: &[f32]) -> usize {
        let k = self.k;
        // Per lane: the smallest distance so far and its centroid (a
        // compare and two blends per block, no serial chain).
        let mut lane_min = [f32::INFINITY; 8];
        let mut lane_arg = [0u32; 8];
        let k8 = k / 8 * 8;
        for c0 in (0..k8).step_by(8) {
            let mut acc: [f32; 8] = self.norms[c0..c0 + 8].try_into().expect("8 lanes");
            for (d, &v) in x.iter().enumerate() {
                let m2 = -2.0 * v;
                let row: &[f32; 8] = self.ct[d * k + c0..d * k + c0 + 8]
                    .try_into()
                    .expect("8 lanes");
                for l in 0..8 {
                    acc[l] = m2.mul_add(row[l], acc[l]);
                }
            }
            for l in 0..8 {
                let better = acc[l] < lane_min[l];
                lane_min[l] = if better { acc[l] } else { lane_min[l] };
                lane_arg[l] = if better { (c0 + l) as u32 } else { lane_arg[l] };
            }
        }
        let mut best = (0usize, f32::INFINITY);
        for l in 0..8 {
            // Ties: the lower centroid, as a scan in order would pick.
            let (d, c) = (lane_min[l], lane_arg[l] as usize);
            if d < best.1 || (d == best.1 && c < best.0) {
                best = (c, d);
            }
        }
        for c in k8..k {
            let mut a = self.norms[c];
            for (d, &v) in x.iter().enumerate() {
                a += -2.0 * v * self.ct[d * k + c];
            }
            if a < best.1 {
                best = (c, a);
            }
        }
        best.0
    }
}

/// The nearest of the `cs.len() / sub` centroids to `x`, and its squared
/// distance.
#[cfg(test)]
fn nearest(x: &[f32], cs: &[f32], sub: usize) -> (usize, f32) {
    let mut best = (0, f32::INFINITY);
    for (c, y) in cs.chunks_exact(sub).enumerate() {
        let d: f32 = x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum();
        if d < best.1 {
            best = (c, d);
        }
    }
    best
}

/// Lloyd's k-means of the `xs.len() / sub` points of `sub` floats into `k`
/// centroids (distinct points as the start; an emptied centroid splits
/// the largest cluster). Returns `k × sub` floats.
fn kmeans(xs: &[f32], sub: usize, k: usize, iterations: usize, seed: u64) -> Vec<f32> {
    let n = xs.len() / sub;
    let point = |i: usize| &xs[i * sub..(i + 1) * sub];
    // Start: k points at a seeded stride through the sample.
    let mut cs = Vec::with_capacity(k * sub);
    let step = (n / k).max(1);
    let offset = (seed as usize * 7919) % step;
    for c in 0..k {
        cs.extend_from_slice(point((offset + c * step) % n));
    }
    let mut assign = vec![0u32; n];
    for _ in 0..iterations {
        let mut changed = false;
        let book = Book::new(&cs, sub);
        for (i, a) in assign.iter_mut().enumerate() {
            let c = book.nearest(point(i)) as u32;
            changed |= c != *a;
            *a = c;
        }
        let mut sum = vec![0.0f64; k * sub];
        let mut count = vec![0usize; k];
        for (i, &a) in assign.iter().enumerate() {
            count[a as usize] += 1;
            for (s, &x) in sum[a as usize * sub..(a as usize + 1) * sub]
                .iter_mut()
                .zip(point(i))
            {
                *s += x as f64;
            }
        }
        for c in 0..k {
            if count[c] > 0 {
                for d in 0..sub {
                    cs[c * sub + d] = (sum[c * sub + d] / count[c] as f64) as f32;
                }
            }
        }
        // Empty clusters: split the largest one in two, nudged apart.
        for c in 0..k {
            if count[c] == 0 {
                let big = (0..k).max_by_key(|&b| count[b]).expect("k >= 1");
                if count[big] < 2 {
                    continue;
                }
                for d in 0..sub {
                    let v = cs[big * sub + d];
                    let eps = v.abs().max(1e-6) / 1024.0;
                    cs[c * sub + d] = v + eps;
                    cs[big * sub + d] = v - eps;
                }
                count[c] = count[big] / 2;
                count[big] -= count[c];
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    cs
}

/// Distances of PQ codes to one query: `bias + Σ_j table[j][code_j]`.
pub struct PqScorer<'a> {
    codes: &'a [u8],
    table: Vec<f32>,
    m: usize,
    k: usize,
    bias: f32,
}

impl Scorer for PqScorer<'_> {
    #[inline]
    fn dist(&self, id: u32) -> f32 {
        let code = &self.codes[id as usize * self.m..(id as usize + 1) * self.m];
        let t = &self.table;
        let k = self.k;
        // Four independent sums, so the loads overlap.
        let mut s = [0.0f32; 4];
        let mut chunks = code.chunks_exact(4);
        let mut j = 0;
        for c in &mut chunks {
            s[0] += t[j * k + c[0] as usize];
            s[1] += t[(j + 1) * k + c[1] as usize];
            s[2] += t[(j + 2) * k + c[2] as usize];
            s[3] += t[(j + 3) * k + c[3] as usize];
            j += 4;
        }
        for &c in chunks.remainder() {
            s[0] += t[j * k + c as usize];
            j += 1;
        }
        self.bias + (s[0] + s[1]) + (s[2] + s[3])
    }

    #[inline]
    fn prefetch(&self, id: u32) {
        prefetch_bytes(
            self.codes.as_ptr().wrapping_add(id as usize * self.m),
            self.m,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    fn keep_going(_: u64, _: u64) -> bool {
        true
    }

    #[test]
    fn kmeans_finds_separated_clusters() {
        // Four tight clusters in 2-d: every point lands within 0.1 of a
        // centroid and the centroids are the cluster centres.
        let centres = [(0.0f32, 0.0f32), (10.0, 0.0), (0.0, 10.0), (10.0, 10.0)];
        let mut seed = 5u64;
        let mut xs = Vec::new();
        for i in 0..400 {
            let (a, b) = centres[i % 4];
            xs.push(a + (rng(&mut seed) % 100) as f32 / 1000.0);
            xs.push(b + (rng(&mut seed) % 100) as f32 / 1000.0);
        }
        let cs = kmeans(&xs, 2, 4, 20, 0);
        for (a, b) in centres {
            let (_, d) = nearest(&[a + 0.05, b + 0.05], &cs, 2);
            assert!(d < 0.01, "centre ({a}, {b}): {cs:?}");
        }
    }

    #[test]
    fn codes_round_trip_and_tables_match_the_reconstruction() {
        let mut seed = 9u64;
        let (dim, n) = (24, 600);
        let rows: Vec<f32> = (0..n * dim)
            .map(|_| (rng(&mut seed) % 2001) as f32 / 1000.0 - 1.0)
            .collect();
        let row = |i: usize| &rows[i * dim..(i + 1) * dim];
        for (m, k) in [(6, 256), (24, 16), (1, 7), (3, 1)] {
            let pq = Pq::train(dim, m, k, 8, n, &row, &keep_going).unwrap();
            assert_eq!((pq.m(), pq.k()), (m, k));
            let bytes = pq.write(n, &row);
            assert_eq!(bytes.len(), Pq::file_len(dim, m, k, n));
            let back = Pq::parse(&bytes, dim, n, "t").unwrap();
            assert_eq!(back, pq);
            let q = row(0).to_vec();
            for metric in [Metric::Dot, Metric::Euclidean, Metric::Cosine] {
                let sc = back.scorer(&bytes, n, &q, metric);
                let exact = metric.distance_fn();
                for i in (0..n).step_by(37) {
                    let code = &sc.codes[i * m..(i + 1) * m];
                    let want = exact(&q, &pq.decode(code));
                    assert!(
                        (sc.dist(i as u32) - want).abs() < 1e-3,
                        "m {m} k {k} {metric:?}"
                    );
                }
            }
        }
        // Fewer rows than centroids: one centroid per distinct row at most.
        let pq = Pq::train(dim, 4, 256, 8, 10, &row, &keep_going).unwrap();
        assert_eq!(pq.k(), 10);
    }

    #[test]
    fn more_subspaces_reconstruct_better() {
        let mut seed = 21u64;
        let (dim, n) = (32, 2000);
        let rows: Vec<f32> = (0..n * dim)
            .map(|_| (rng(&mut seed) % 2001) as f32 / 1000.0 - 1.0)
            .collect();
        let row = |i: usize| &rows[i * dim..(i + 1) * dim];
        let err = |m: usize| -> f64 {
            let pq = Pq::train(dim, m, 64, 10, n, &row, &keep_going).unwrap();
            let mut code = vec![0u8; m];
            (0..n)
                .map(|i| {
                    pq.encode(row(i), &mut code);
                    let r = pq.decode(&code);
                    row(i)
                        .iter()
                        .zip(&r)
                        .map(|(a, b)| ((a - b) as f64).powi(2))
                        .sum::<f64>()
                })
                .sum()
        };
        let (e4, e16) = (err(4), err(16));
        assert!(e16 < e4 * 0.8, "m 16 error {e16} vs m 4 {e4}");
    }

    #[test]
    fn damage_and_stop_are_reported() {
        let rows = vec![0.5f32; 8 * 40];
        let row = |i: usize| &rows[i * 8..(i + 1) * 8];
        let pq = Pq::train(8, 2, 4, 4, 40, &row, &keep_going).unwrap();
        let bytes = pq.write(40, &row);
        assert!(Pq::parse(&bytes[..bytes.len() - 1], 8, 40, "t").is_err());
        assert!(Pq::parse(&bytes, 8, 41, "t").is_err());
        let mut bad = bytes.clone();
        *bad.last_mut().unwrap() = 200;
        assert!(Pq::parse(&bad, 8, 40, "t").is_err(), "code beyond k");
        let mut bad = bytes.clone();
        bad[HEADER..HEADER + 4].copy_from_slice(&3u32.to_le_bytes());
        assert!(
            Pq::parse(&bad, 8, 40, "t").is_err(),
            "m does not divide dim"
        );
        assert!(Pq::train(8, 2, 4, 4, 40, &row, &|_, _| false).is_none());
    }
}
