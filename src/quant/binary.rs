//! Binary codes: one bit per dimension, the sign of the vector minus the
//! segment's mean, with one scale per vector (RaBitQ's estimator, without
//! its random rotation).
//!
//! A vector `x` with residual `r = x − μ` is stored as its sign bits
//! `s_i = sign(r_i)`, its scale `α = ‖r‖² / Σ|r_i|` and its exact squared
//! norm `‖x‖²`. The query stays in f32 ("asymmetric" scoring: only the
//! stored side is quantized), and
//! `q · x ≈ q · μ + α Σ q_i s_i = q · μ + α (2 Σ_{s_i = +1} q_i − Σ q_i)`.
//! `α` makes the estimate exact when `q` is the residual itself, and is
//! RaBitQ's unbiased scale `‖r‖ / ⟨s/√D, r/‖r‖⟩ · 1/√D`.
//!
//! The kernel is `Σ_{bit i set} q_i`: a masked add per 16 dimensions with
//! AVX-512 (the code bits are the mask), a compare-and-blend per 8 with
//! AVX2, a bit loop in the scalar reference. Searches walk on these
//! estimates and rescore `k × oversampling` candidates exactly.

use crate::distance::Metric;
use crate::error::{Error, Result};
use crate::index::hnsw::{prefetch_bytes, Scorer};

use super::{header, parse_header, HEADER, LAYOUT_BINARY};

/// A trained binary quantizer: the mean the signs are taken around.
#[derive(Clone, Debug, PartialEq)]
pub struct Binary {
    mean: Vec<f32>,
}

/// Bytes per code row.
fn row_bytes(dim: usize) -> usize {
    dim.div_ceil(8)
}

impl Binary {
    /// Trains on `n` rows: the per-dimension mean (0 with no rows).
    pub fn train<'a>(dim: usize, n: usize, row: impl Fn(usize) -> &'a [f32]) -> Binary {
        let mut sum = vec![0.0f64; dim];
        for i in 0..n {
            for (s, &x) in sum.iter_mut().zip(row(i)) {
                *s += x as f64;
            }
        }
        let mean = sum
            .iter()
            .map(|&s| if n == 0 { 0.0 } else { (s / n as f64) as f32 })
            .collect();
        Binary { mean }
    }

    /// Dimensions.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Bytes of the codes file's data for `n` rows.
    pub fn file_len(dim: usize, n: usize) -> usize {
        let per_row = row_bytes(dim).checked_add(8);
        per_row
            .and_then(|r| n.checked_mul(r))
            .and_then(|b| b.checked_add(dim.checked_mul(4)?))
            .and_then(|b| b.checked_add(HEADER))
            .unwrap_or(usize::MAX)
    }

    /// Writes the sign bits of `x − μ` into `out` and returns `(α, ‖x‖²)`.
    pub fn encode(&self, x: &[f32], out: &mut [u8]) -> (f32, f32) {
        out.fill(0);
        let (mut l1, mut l2, mut norm) = (0.0f64, 0.0f64, 0.0f64);
        for (i, (&x, &m)) in x.iter().zip(&self.mean).enumerate() {
            let r = x as f64 - m as f64;
            if r > 0.0 {
                out[i / 8] |= 1 << (i % 8);
            }
            l1 += r.abs();
            l2 += r * r;
            norm += x as f64 * x as f64;
        }
        // Saturated: a vector near f32's limits must not store an infinity
        // (which the parser refuses).
        let alpha = if l1 > 0.0 {
            (l2 / l1).min(f32::MAX as f64) as f32
        } else {
            0.0
        };
        (alpha, norm.min(f32::MAX as f64) as f32)
    }

    /// Encodes `n` rows: header, mean, the `n` scales, the `n` squared
    /// norms, then `n` rows of `⌈dim/8⌉` code bytes.
    pub fn write<'a>(&self, n: usize, row: impl Fn(usize) -> &'a [f32]) -> Vec<u8> {
        let dim = self.dim();
        let rb = row_bytes(dim);
        let mut out = Vec::with_capacity(Binary::file_len(dim, n));
        out.extend_from_slice(&header(LAYOUT_BINARY, dim, n));
        for m in &self.mean {
            out.extend_from_slice(&m.to_le_bytes());
        }
        let scales_at = out.len();
        out.resize(scales_at + n * 8 + n * rb, 0);
        let (head, codes) = out.split_at_mut(scales_at + n * 8);
        for (i, c) in codes.chunks_exact_mut(rb.max(1)).enumerate().take(n) {
            let (alpha, norm) = self.encode(row(i), c);
            let a = scales_at + i * 4;
            head[a..a + 4].copy_from_slice(&alpha.to_le_bytes());
            let b = scales_at + n * 4 + i * 4;
            head[b..b + 4].copy_from_slice(&norm.to_le_bytes());
        }
        out
    }

    /// Checks the layout [`Binary::write`] produced and returns its
    /// quantizer; `bytes` must start 4-byte aligned.
    pub fn parse(bytes: &[u8], dim: usize, n: usize, name: &str) -> Result<Binary> {
        parse_header(bytes, LAYOUT_BINARY, dim, n, Binary::file_len(dim, n), name)?;
        if !(bytes.as_ptr() as usize).is_multiple_of(4) {
            return Err(Error::corrupt(format!("{name}: misaligned codes")));
        }
        let mean: Vec<f32> = super::f32s(&bytes[HEADER..HEADER + dim * 4]).to_vec();
        let at = HEADER + dim * 4;
        let scales = super::f32s(&bytes[at..at + n * 8]);
        if mean.iter().chain(scales).any(|v| !v.is_finite()) {
            return Err(Error::corrupt(format!(
                "{name}: quantizer holds a bad value"
            )));
        }
        Ok(Binary { mean })
    }

    /// A scorer of the codes in `bytes` (accepted by [`Binary::parse`])
    /// against `q` under `metric` (cosine, dot or euclidean).
    pub fn scorer<'a>(
        &self,
        bytes: &'a [u8],
        n: usize,
        q: &[f32],
        metric: Metric,
    ) -> BinaryScorer<'a> {
        let dim = self.dim();
        let at = HEADER + dim * 4;
        let alpha = super::f32s(&bytes[at..at + n * 4]);
        let norms = super::f32s(&bytes[at + n * 4..at + n * 8]);
        let codes = &bytes[at + n * 8..at + n * 8 + n * row_bytes(dim)];
        let qmu: f64 = q
            .iter()
            .zip(&self.mean)
            .map(|(&a, &b)| a as f64 * b as f64)
            .sum();
        let qsum: f64 = q.iter().map(|&v| v as f64).sum();
        let qq: f64 = q.iter().map(|&v| v as f64 * v as f64).sum();
        BinaryScorer {
            codes,
            alpha,
            norms,
            rb: row_bytes(dim),
            q: q.to_vec(),
            qmu: qmu as f32,
            qsum: qsum as f32,
            qq: qq as f32,
            metric,
            sum: kernel().1,
        }
    }
}

/// Distances estimated on binary codes for one query.
pub struct BinaryScorer<'a> {
    codes: &'a [u8],
    alpha: &'a [f32],
    norms: &'a [f32],
    rb: usize,
    q: Vec<f32>,
    qmu: f32,
    qsum: f32,
    qq: f32,
    metric: Metric,
    sum: MaskedSumFn,
}

impl BinaryScorer<'_> {
    /// The estimate of `q · x` for node `id`.
    #[inline]
    fn dot(&self, id: u32) -> f32 {
        let o = id as usize * self.rb;
        let s = (self.sum)(&self.codes[o..o + self.rb], &self.q);
        self.qmu + self.alpha[id as usize] * (2.0 * s - self.qsum)
    }
}

impl Scorer for BinaryScorer<'_> {
    #[inline]
    fn dist(&self, id: u32) -> f32 {
        let d = self.dot(id);
        match self.metric {
            Metric::Euclidean => self.qq - 2.0 * d + self.norms[id as usize],
            Metric::Dot => -d,
            _ => 1.0 - d,
        }
    }

    #[inline]
    fn prefetch(&self, id: u32) {
        prefetch_bytes(
            self.codes.as_ptr().wrapping_add(id as usize * self.rb),
            self.rb,
        );
    }
}

// ---------------------------------------------------------------- kernels

/// `Σ q_i` over the dimensions `i < len(q)` whose bit is set in `bits`
/// (bit `i % 8` of byte `i / 8`).
pub type MaskedSumFn = fn(&[u8], &[f32]) -> f32;

/// The scalar reference.
pub fn masked_sum_scalar(bits: &[u8], q: &[f32]) -> f32 {
    let n = q.len().min(bits.len() * 8);
    let mut s = 0.0f32;
    for (i, &v) in q.iter().enumerate().take(n) {
        if bits[i / 8] >> (i % 8) & 1 == 1 {
            s += v;
        }
    }
    s
}

/// The kernels this CPU runs, with names, scalar first.
pub fn kernels() -> Vec<(&'static str, MaskedSumFn)> {
    let mut v: Vec<(&'static str, MaskedSumFn)> = vec![("scalar", masked_sum_scalar)];
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx2") {
            v.push(("avx2", x86::masked_sum_avx2));
        }
        if is_x86_feature_detected!("avx512f") {
            v.push(("avx512", x86::masked_sum_avx512));
        }
    }
    v
}

/// The kernel the scorers use (capped by `QUIVER_SIMD`).
pub fn kernel() -> (&'static str, MaskedSumFn) {
    use std::sync::OnceLock;
    static PICK: OnceLock<(&'static str, MaskedSumFn)> = OnceLock::new();
    *PICK.get_or_init(|| {
        kernels()
            .into_iter()
            .rev()
            .find(|(n, _)| super::kernel_allowed(n))
            .unwrap_or(("scalar", masked_sum_scalar))
    })
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! Reached only through [`super::kernels`], after
    //! `is_x86_feature_detected!` confirmed the features. Reads stay
    //! within `n = min(len(q), 8 · len(bits))`.
    #![deny(unsafe_op_in_unsafe_fn)]
    use core::arch::x86_64::*;

    pub(super) fn masked_sum_avx512(bits: &[u8], q: &[f32]) -> f32 {
        #[target_feature(enable = "avx512f")]
        unsafe fn imp(bits: &[u8], q: &[f32]) -> f32 {
            let n = q.len().min(bits.len() * 8);
            let pq = q.as_ptr();
            let mut a0 = _mm512_setzero_ps();
            let mut a1 = _mm512_setzero_ps();
            let mut i = 0;
            while i + 32 <= n {
                let m0 = u16::from_le_bytes([bits[i / 8], bits[i / 8 + 1]]);
                let m1 = u16::from_le_bytes([bits[i / 8 + 2], bits[i / 8 + 3]]);
                // SAFETY: i + 32 <= n <= len(q).
                unsafe {
                    a0 = _mm512_mask_add_ps(a0, m0, a0, _mm512_loadu_ps(pq.add(i)));
                    a1 = _mm512_mask_add_ps(a1, m1, a1, _mm512_loadu_ps(pq.add(i + 16)));
                }
                i += 32;
            }
            while i < n {
                let r = (n - i).min(16);
                let lo = bits[i / 8] as u16;
                let hi = if r > 8 { bits[i / 8 + 1] as u16 } else { 0 };
                let lanes: u16 = if r == 16 { 0xffff } else { (1u16 << r) - 1 };
                let m = (lo | hi << 8) & lanes;
                // SAFETY: the masked load touches only lanes < r, within q.
                unsafe {
                    a0 = _mm512_add_ps(a0, _mm512_maskz_loadu_ps(m, pq.add(i)));
                }
                i += r;
            }
            _mm512_reduce_add_ps(_mm512_add_ps(a0, a1))
        }
        // SAFETY: only listed by `kernels` when the CPU has AVX-512F.
        unsafe { imp(bits, q) }
    }

    pub(super) fn masked_sum_avx2(bits: &[u8], q: &[f32]) -> f32 {
        #[target_feature(enable = "avx2")]
        unsafe fn imp(bits: &[u8], q: &[f32]) -> f32 {
            let n = q.len().min(bits.len() * 8);
            let pq = q.as_ptr();
            let sel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
            let mut a0 = _mm256_setzero_ps();
            let mut a1 = _mm256_setzero_ps();
            let mut i = 0;
            while i + 16 <= n {
                let b0 = _mm256_set1_epi32(bits[i / 8] as i32);
                let b1 = _mm256_set1_epi32(bits[i / 8 + 1] as i32);
                let m0 = _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(b0, sel), sel));
                let m1 = _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(b1, sel), sel));
                // SAFETY: i + 16 <= n <= len(q).
                unsafe {
                    a0 = _mm256_add_ps(a0, _mm256_and_ps(m0, _mm256_loadu_ps(pq.add(i))));
                    a1 = _mm256_add_ps(a1, _mm256_and_ps(m1, _mm256_loadu_ps(pq.add(i + 8))));
                }
                i += 16;
            }
            let v = _mm256_add_ps(a0, a1);
            let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
            let mut sum = _mm_cvtss_f32(s);
            while i < n {
                if bits[i / 8] >> (i % 8) & 1 == 1 {
                    sum += q[i];
                }
                i += 1;
            }
            sum
        }
        // SAFETY: only listed by `kernels` when the CPU has AVX2.
        unsafe { imp(bits, q) }
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

    #[test]
    fn kernels_match_the_scalar_reference() {
        let mut seed = 11u64;
        let ks = kernels();
        for len in (0..80usize).chain([383, 384, 385, 1021]) {
            let q: Vec<f32> = (0..len)
                .map(|_| (rng(&mut seed) % 2001) as f32 / 1000.0 - 1.0)
                .collect();
            let huge: Vec<f32> = (0..len)
                .map(|i| if i % 2 == 0 { 1e30 } else { -1e30 })
                .collect();
            let nb = len.div_ceil(8);
            let patterns: Vec<Vec<u8>> = vec![
                vec![0; nb],
                vec![0xff; nb],
                (0..nb).map(|_| rng(&mut seed) as u8).collect(),
            ];
            for bits in &patterns {
                for q in [&q, &huge] {
                    let want = masked_sum_scalar(bits, q);
                    let mag: f32 = q.iter().map(|v| v.abs()).sum();
                    for (name, k) in &ks {
                        let got = k(bits, q);
                        assert!(
                            (got - want).abs() <= mag * 1e-6 + 1e-6,
                            "{name} len {len}: {got} vs {want}"
                        );
                    }
                }
            }
            // Bits beyond q's length are ignored.
            let extra = vec![0xffu8; nb + 3];
            for (name, k) in &ks {
                let got = k(&extra, &q);
                let want: f32 = q.iter().sum();
                assert!((got - want).abs() <= 1e-3, "{name} len {len}");
            }
        }
    }

    #[test]
    fn estimates_are_exact_for_sign_vectors_and_close_otherwise() {
        // x = μ + c·s for a sign vector s: the estimate is exact.
        let dim = 37;
        let mean: Vec<f32> = (0..dim).map(|i| i as f32 / 100.0).collect();
        let rows: Vec<f32> = (0..4 * dim)
            .map(|j| {
                let (r, i) = (j / dim, j % dim);
                let s = if (i * 7 + r) % 3 == 0 { 1.0 } else { -1.0 };
                mean[i] + 0.25 * (r as f32 + 1.0) * s
            })
            .collect();
        let b = Binary { mean: mean.clone() };
        let bytes = b.write(4, |i| &rows[i * dim..(i + 1) * dim]);
        let parsed = Binary::parse(&bytes, dim, 4, "t").unwrap();
        assert_eq!(parsed, b);
        let q: Vec<f32> = (0..dim)
            .map(|i| ((i * 13) % 7) as f32 / 7.0 - 0.4)
            .collect();
        for metric in [Metric::Dot, Metric::Euclidean, Metric::Cosine] {
            let sc = parsed.scorer(&bytes, 4, &q, metric);
            let exact = metric.distance_fn();
            for i in 0..4 {
                let want = exact(&q, &rows[i * dim..(i + 1) * dim]);
                assert!((sc.dist(i as u32) - want).abs() < 1e-4, "{metric:?} {i}");
            }
        }
        // Damage is refused.
        assert!(Binary::parse(&bytes[..bytes.len() - 1], dim, 4, "t").is_err());
        let mut bad = bytes.clone();
        bad[HEADER..HEADER + 4].copy_from_slice(&f32::INFINITY.to_le_bytes());
        assert!(Binary::parse(&bad, dim, 4, "t").is_err());
        // Random unit vectors: the estimate correlates with the truth.
        let mut seed = 1u64;
        let dim = 128;
        let rows: Vec<f32> = (0..200 * dim)
            .map(|_| (rng(&mut seed) % 2001) as f32 / 1000.0 - 1.0)
            .collect();
        let b = Binary::train(dim, 200, |i| &rows[i * dim..(i + 1) * dim]);
        let bytes = b.write(200, |i| &rows[i * dim..(i + 1) * dim]);
        let sc = b.scorer(&bytes, 200, &rows[..dim], Metric::Dot);
        let exact = Metric::Dot.distance_fn();
        let (mut err, mut spread) = (0.0f64, 0.0f64);
        for i in 1..200 {
            let want = exact(&rows[..dim], &rows[i * dim..(i + 1) * dim]) as f64;
            err += (sc.dist(i as u32) as f64 - want).powi(2);
            spread += want.powi(2);
        }
        assert!(err < spread, "estimate error {err} vs spread {spread}");
    }
}
