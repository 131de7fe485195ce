//! SQ8: each dimension `i` of a vector `x` is stored as one byte
//! `c_i = round((x_i − lo_i) / step_i)`, with `lo_i` and `step_i` trained
//! per segment from its vectors (the minimum, and the range over 255), so
//! that `x̂_i = lo_i + step_i · c_i` reconstructs it.
//!
//! # Scoring on codes
//!
//! The query side is prepared once per search. With `u_i = q_i · step_i`,
//! `q · x̂ = Σ q_i lo_i + Σ u_i c_i`; `u` is rounded to signed bytes
//! `t_i = round(u_i / s)` with `s = max |u_i| / 127`, so that the sum is
//! one integer dot product of unsigned code bytes with signed query bytes —
//! what `VPDPBUSD` (AVX-512 VNNI) computes 64 pairs at a time. Every
//! metric's internal distance is then `a + b · Σ t_i c_i + r(x)`:
//!
//! | metric    | a                         | b      | r(x)      |
//! |-----------|---------------------------|--------|-----------|
//! | cosine    | `1 − Σ q_i lo_i`          | `−s`   | 0         |
//! | dot       | `−Σ q_i lo_i`             | `−s`   | 0         |
//! | euclidean | `‖q‖² − 2 Σ q_i lo_i`     | `−2s`  | `‖x̂‖²`    |
//!
//! `r(x)` is stored per code row. The estimate's error comes from the
//! codes (at most `step_i / 2` per dimension) and from rounding the query
//! (at most `s / 2` per dimension); the exact rescoring of the best
//! candidates on the original vectors removes it from the scores returned.
//!
//! # Kernels
//!
//! `Σ t_i c_i` is an exact integer (|sum| ≤ 255 · 128 · 65,536 < 2³¹), so
//! every kernel — AVX-512 VNNI, AVX2 (widening multiply-add) and scalar —
//! returns the same value, and the tests check exactly that.

use crate::distance::Metric;
use crate::error::{Error, Result};
use crate::index::hnsw::{prefetch_bytes, Scorer};

/// Version of the codes layout [`Sq8::write`] produces.
const LAYOUT: u32 = super::LAYOUT_SQ8;
/// Bytes before the per-dimension tables.
const HEADER: usize = super::HEADER;

/// A trained SQ8 quantizer for vectors of `dim` dimensions.
#[derive(Clone, Debug, PartialEq)]
pub struct Sq8 {
    lo: Vec<f32>,
    step: Vec<f32>,
}

impl Sq8 {
    /// Trains on `rows` (each of `dim` floats): per dimension, the minimum
    /// and the range over 255. A dimension that never varies gets step 0
    /// (all its codes are 0). No rows give the identity on 0.
    pub fn train<'a>(dim: usize, rows: impl Iterator<Item = &'a [f32]>) -> Sq8 {
        let mut lo = vec![f32::INFINITY; dim];
        let mut hi = vec![f32::NEG_INFINITY; dim];
        for r in rows {
            for ((l, h), &x) in lo.iter_mut().zip(hi.iter_mut()).zip(r) {
                *l = l.min(x);
                *h = h.max(x);
            }
        }
        let mut step = vec![0.0; dim];
        for i in 0..dim {
            if lo[i] > hi[i] {
                lo[i] = 0.0;
                hi[i] = 0.0;
            }
            step[i] = (hi[i] - lo[i]) / 255.0;
            if !step[i].is_finite() {
                // A range wider than f32 (vectors are finite but may be
                // huge): halve both ends rather than overflow.
                step[i] = (hi[i] / 2.0 - lo[i] / 2.0) / 127.5;
            }
        }
        Sq8 { lo, step }
    }

    /// Dimensions.
    pub fn dim(&self) -> usize {
        self.lo.len()
    }

    /// Writes the codes of `x` into `out` (`dim` bytes) and returns
    /// `‖x̂‖²`, the squared norm of its reconstruction.
    pub fn encode(&self, x: &[f32], out: &mut [u8]) -> f32 {
        let mut norm = 0.0f64;
        for i in 0..self.dim() {
            let c = if self.step[i] > 0.0 {
                ((x[i] - self.lo[i]) / self.step[i])
                    .round()
                    .clamp(0.0, 255.0)
            } else {
                0.0
            };
            out[i] = c as u8;
            let r = self.lo[i] as f64 + self.step[i] as f64 * c as f64;
            norm += r * r;
        }
        norm as f32
    }

    /// The reconstruction of `codes`.
    pub fn decode(&self, codes: &[u8]) -> Vec<f32> {
        (0..self.dim())
            .map(|i| self.lo[i] + self.step[i] * codes[i] as f32)
            .collect()
    }

    /// Bytes of the codes file's data for `n` rows (`usize::MAX` when
    /// that does not fit, which no data length equals).
    pub fn file_len(dim: usize, n: usize) -> usize {
        dim.checked_mul(8)
            .and_then(|t| n.checked_mul(dim.checked_add(4)?)?.checked_add(t))
            .and_then(|b| b.checked_add(HEADER))
            .unwrap_or(usize::MAX)
    }

    /// Encodes `n` rows (`row(i)` gives row `i`) into the layout
    /// [`Codes::parse`] reads: header (layout, dim, n), `lo`, `step`, the
    /// `n` reconstruction norms, then the `n × dim` code bytes.
    pub fn write<'a>(&self, n: usize, row: impl Fn(usize) -> &'a [f32]) -> Vec<u8> {
        let dim = self.dim();
        let mut out = Vec::with_capacity(Sq8::file_len(dim, n));
        out.extend_from_slice(&LAYOUT.to_le_bytes());
        out.extend_from_slice(&(dim as u32).to_le_bytes());
        out.extend_from_slice(&(n as u64).to_le_bytes());
        for v in self.lo.iter().chain(&self.step) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let norms_at = out.len();
        out.resize(norms_at + n * 4, 0);
        let codes_at = out.len();
        out.resize(codes_at + n * dim, 0);
        let (head, codes) = out.split_at_mut(codes_at);
        for (i, c) in codes.chunks_exact_mut(dim.max(1)).enumerate().take(n) {
            let norm = self.encode(row(i), c);
            head[norms_at + i * 4..norms_at + i * 4 + 4].copy_from_slice(&norm.to_le_bytes());
        }
        out
    }
}

/// The codes of a segment, borrowed from their (resident or mapped) bytes.
#[derive(Clone, Copy)]
pub struct Codes<'a> {
    /// The quantizer.
    pub sq8: &'a Sq8,
    norms: &'a [f32],
    codes: &'a [u8],
    dim: usize,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

impl Sq8 {
    /// Checks the layout [`Sq8::write`] produced for `n` rows of `dim` and
    /// returns its quantizer; `name` names the file in errors. `bytes`
    /// must start 4-byte aligned.
    pub fn parse(bytes: &[u8], dim: usize, n: usize, name: &str) -> Result<Sq8> {
        if bytes.len() != Sq8::file_len(dim, n) {
            return Err(Error::corrupt(format!(
                "{name}: {} bytes of codes, expected {} for {n} points of {dim} dimensions",
                bytes.len(),
                Sq8::file_len(dim, n)
            )));
        }
        let (layout, d, rows) = (
            u32_at(bytes, 0),
            u32_at(bytes, 4) as usize,
            u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes")) as usize,
        );
        if layout != LAYOUT || d != dim || rows != n {
            return Err(Error::corrupt(format!(
                "{name}: codes of layout {layout} for {rows} x {d}, expected layout {LAYOUT} for {n} x {dim}"
            )));
        }
        if !(bytes.as_ptr() as usize).is_multiple_of(4) {
            return Err(Error::corrupt(format!("{name}: misaligned codes")));
        }
        let f = |at: usize| -> Vec<f32> {
            (0..dim)
                .map(|i| {
                    f32::from_le_bytes(bytes[at + i * 4..at + i * 4 + 4].try_into().expect("4"))
                })
                .collect()
        };
        let lo = f(HEADER);
        let step = f(HEADER + dim * 4);
        if lo.iter().chain(&step).any(|v| !v.is_finite()) || step.iter().any(|&s| s < 0.0) {
            return Err(Error::corrupt(format!(
                "{name}: quantizer holds a bad value"
            )));
        }
        Ok(Sq8 { lo, step })
    }
}

impl<'a> Codes<'a> {
    /// The codes in `bytes`, which [`Sq8::parse`] accepted for `sq8` (or a
    /// copy of such bytes, 4-byte aligned).
    ///
    /// # Panics
    /// When `bytes` is shorter than the layout of `n` rows.
    pub fn view(sq8: &'a Sq8, bytes: &'a [u8], n: usize) -> Codes<'a> {
        let dim = sq8.dim();
        let norms_at = HEADER + dim * 8;
        let nb = &bytes[norms_at..norms_at + n * 4];
        assert_eq!(
            nb.as_ptr() as usize % 4,
            0,
            "codes bytes must be 4-byte aligned"
        );
        // SAFETY: `nb` holds `n * 4` bytes, starts 4-byte aligned (checked
        // above) and every bit pattern is a valid f32.
        let norms = unsafe { std::slice::from_raw_parts(nb.as_ptr().cast::<f32>(), n) };
        Codes {
            sq8,
            norms,
            codes: &bytes[norms_at + n * 4..norms_at + n * 4 + n * dim],
            dim,
        }
    }

    /// The code row of node `id`.
    #[inline]
    pub fn row(&self, id: u32) -> &'a [u8] {
        let o = id as usize * self.dim;
        &self.codes[o..o + self.dim]
    }

    /// A scorer of the codes against query `q` (already normalised for
    /// cosine) under `metric` (cosine, dot or euclidean).
    pub fn scorer(&self, q: &[f32], metric: Metric) -> Sq8Scorer<'a> {
        let sq = self.sq8;
        let u: Vec<f32> = q.iter().zip(&sq.step).map(|(&q, &s)| q * s).collect();
        let max = u.iter().fold(0.0f32, |m, &v| m.max(v.abs()));
        let s = if max > 0.0 && max.is_finite() {
            max / 127.0
        } else {
            1.0
        };
        let t: Vec<i8> = u
            .iter()
            .map(|&v| (v / s).round().clamp(-127.0, 127.0) as i8)
            .collect();
        let qlo: f64 = q
            .iter()
            .zip(&sq.lo)
            .map(|(&q, &l)| q as f64 * l as f64)
            .sum();
        let (a, b, with_norms) = match metric {
            Metric::Euclidean => {
                let qq: f64 = q.iter().map(|&v| v as f64 * v as f64).sum();
                ((qq - 2.0 * qlo) as f32, -2.0 * s, true)
            }
            Metric::Dot => (-qlo as f32, -s, false),
            _ => ((1.0 - qlo) as f32, -s, false),
        };
        Sq8Scorer {
            codes: *self,
            t,
            a,
            b,
            with_norms,
            dot: dot_fn(),
        }
    }
}

/// Distances estimated on SQ8 codes for one query (see the module docs).
pub struct Sq8Scorer<'a> {
    codes: Codes<'a>,
    t: Vec<i8>,
    a: f32,
    b: f32,
    with_norms: bool,
    dot: DotFn,
}

impl Scorer for Sq8Scorer<'_> {
    #[inline]
    fn dist(&self, id: u32) -> f32 {
        let c = self.codes.row(id);
        let d = self.a + self.b * (self.dot)(c, &self.t) as f32;
        if self.with_norms {
            d + self.codes.norms[id as usize]
        } else {
            d
        }
    }

    #[inline]
    fn prefetch(&self, id: u32) {
        let c = &self.codes;
        prefetch_bytes(c.codes.as_ptr().wrapping_add(id as usize * c.dim), c.dim);
    }
}

// ---------------------------------------------------------------- kernels

/// `Σ c_i · t_i` over the common length.
pub type DotFn = fn(&[u8], &[i8]) -> i32;

/// The scalar reference.
pub fn dot_scalar(c: &[u8], t: &[i8]) -> i32 {
    c.iter().zip(t).map(|(&c, &t)| c as i32 * t as i32).sum()
}

/// The kernels this CPU can run, with names, fastest last (for tests).
pub fn dot_kernels() -> Vec<(&'static str, DotFn)> {
    let mut v: Vec<(&'static str, DotFn)> = vec![("scalar", dot_scalar)];
    #[cfg(target_arch = "x86_64")]
    {
        if x86::avx2_ok() {
            v.push(("avx2", x86::dot_avx2));
        }
        if x86::vnni_ok() {
            v.push(("avx512vnni", x86::dot_vnni));
        }
    }
    v
}

/// The kernel the scorers use: the fastest this CPU runs, capped by the
/// `QUIVER_SIMD` level of [`crate::distance`].
pub fn dot_fn() -> DotFn {
    picked().1
}

/// The name of the kernel [`dot_fn`] picked.
pub fn dot_kernel_name() -> &'static str {
    picked().0
}

fn picked() -> (&'static str, DotFn) {
    use std::sync::OnceLock;
    static PICK: OnceLock<(&'static str, DotFn)> = OnceLock::new();
    *PICK.get_or_init(|| {
        dot_kernels()
            .into_iter()
            .rev()
            .find(|(n, _)| super::kernel_allowed(n))
            .unwrap_or(("scalar", dot_scalar))
    })
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! Each kernel is a `#[target_feature]` function reached only through
    //! [`super::dot_kernels`], which lists it after `is_x86_feature_detected!`
    //! confirmed its features (the safe wrappers are `pub(super)` so that they
    //! fit the `DotFn` pointer type; nothing else in this file calls them). Loads stay within `n = min(len)`: full
    //! loads only for `i + W <= n`, the tail masked (AVX-512) or scalar.
    #![deny(unsafe_op_in_unsafe_fn)]
    use core::arch::x86_64::*;

    pub(super) fn avx2_ok() -> bool {
        is_x86_feature_detected!("avx2")
    }

    pub(super) fn vnni_ok() -> bool {
        is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vnni")
    }

    pub(super) fn dot_avx2(c: &[u8], t: &[i8]) -> i32 {
        debug_assert!(avx2_ok());
        // SAFETY: only listed by `dot_kernels` when the CPU has AVX2.
        unsafe { dot_avx2_k(c, t) }
    }

    pub(super) fn dot_vnni(c: &[u8], t: &[i8]) -> i32 {
        debug_assert!(vnni_ok());
        // SAFETY: only listed by `dot_kernels` when the CPU has AVX-512F,
        // BW and VNNI.
        unsafe { dot_vnni_k(c, t) }
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    unsafe fn dot_avx2_k(c: &[u8], t: &[i8]) -> i32 {
        let n = c.len().min(t.len());
        let (pc, pt) = (c.as_ptr(), t.as_ptr());
        let mut acc0 = _mm256_setzero_si256();
        let mut acc1 = _mm256_setzero_si256();
        let mut i = 0;
        while i + 32 <= n {
            // SAFETY: i + 32 <= n: the four 16-byte loads are in bounds.
            unsafe {
                let a0 = _mm256_cvtepu8_epi16(_mm_loadu_si128(pc.add(i).cast()));
                let b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(pt.add(i).cast()));
                let a1 = _mm256_cvtepu8_epi16(_mm_loadu_si128(pc.add(i + 16).cast()));
                let b1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(pt.add(i + 16).cast()));
                acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(a0, b0));
                acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(a1, b1));
            }
            i += 32;
        }
        let acc = _mm256_add_epi32(acc0, acc1);
        let s = _mm_add_epi32(
            _mm256_castsi256_si128(acc),
            _mm256_extracti128_si256(acc, 1),
        );
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b01_00_11_10));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b10_11_00_01));
        let mut sum = _mm_cvtsi128_si32(s);
        while i < n {
            sum += c[i] as i32 * t[i] as i32;
            i += 1;
        }
        sum
    }

    /// # Safety
    /// The CPU must support AVX-512F, AVX-512BW and AVX-512 VNNI.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn dot_vnni_k(c: &[u8], t: &[i8]) -> i32 {
        let n = c.len().min(t.len());
        let (pc, pt) = (c.as_ptr(), t.as_ptr());
        let mut acc0 = _mm512_setzero_si512();
        let mut acc1 = _mm512_setzero_si512();
        let mut i = 0;
        while i + 128 <= n {
            // SAFETY: i + 128 <= n: both pairs of 64-byte loads are in bounds.
            unsafe {
                acc0 = _mm512_dpbusd_epi32(
                    acc0,
                    _mm512_loadu_si512(pc.add(i).cast()),
                    _mm512_loadu_si512(pt.add(i).cast()),
                );
                acc1 = _mm512_dpbusd_epi32(
                    acc1,
                    _mm512_loadu_si512(pc.add(i + 64).cast()),
                    _mm512_loadu_si512(pt.add(i + 64).cast()),
                );
            }
            i += 128;
        }
        if i + 64 <= n {
            // SAFETY: i + 64 <= n.
            unsafe {
                acc0 = _mm512_dpbusd_epi32(
                    acc0,
                    _mm512_loadu_si512(pc.add(i).cast()),
                    _mm512_loadu_si512(pt.add(i).cast()),
                );
            }
            i += 64;
        }
        if i < n {
            let m: __mmask64 = (1u64 << (n - i)) - 1;
            // SAFETY: n - i < 64; the masked-off bytes are neither read nor
            // faulted on.
            unsafe {
                acc1 = _mm512_dpbusd_epi32(
                    acc1,
                    _mm512_maskz_loadu_epi8(m, pc.add(i).cast()),
                    _mm512_maskz_loadu_epi8(m, pt.add(i).cast()),
                );
            }
        }
        _mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1))
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
    fn kernels_equal_the_scalar_reference() {
        let mut seed = 0x1234_5678_9abc_def1u64;
        let kernels = dot_kernels();
        for len in (0..300).chain([383, 384, 385, 1000, 4096, 65_536]) {
            let cases: Vec<(Vec<u8>, Vec<i8>)> = vec![
                (vec![0; len], vec![0; len]),
                (vec![255; len], vec![127; len]),
                (vec![255; len], vec![-128; len]),
                (vec![255; len], vec![-127; len]),
                (
                    (0..len).map(|_| rng(&mut seed) as u8).collect(),
                    (0..len).map(|_| rng(&mut seed) as i8).collect(),
                ),
            ];
            for (c, t) in &cases {
                let want = dot_scalar(c, t);
                for (name, k) in &kernels {
                    assert_eq!(k(c, t), want, "kernel {name}, len {len}");
                }
            }
        }
        // Unequal lengths: the common prefix.
        let c = vec![3u8; 70];
        let t = vec![2i8; 65];
        for (name, k) in &kernels {
            assert_eq!(k(&c, &t), 390, "kernel {name}");
            assert_eq!(k(&c[..5], &t), 30, "kernel {name}");
        }
    }

    fn random_rows(n: usize, dim: usize, seed: &mut u64) -> Vec<f32> {
        (0..n * dim)
            .map(|_| (rng(seed) % 20_001) as f32 / 10_000.0 - 1.0)
            .collect()
    }

    #[test]
    fn codes_round_trip_within_half_a_step() {
        let mut seed = 7u64;
        for dim in [1usize, 3, 17, 384] {
            let rows = random_rows(50, dim, &mut seed);
            let sq = Sq8::train(dim, rows.chunks_exact(dim));
            let bytes = sq.write(50, |i| &rows[i * dim..(i + 1) * dim]);
            let parsed = Sq8::parse(&bytes, dim, 50, "t").unwrap();
            assert_eq!(parsed, sq);
            let codes = Codes::view(&parsed, &bytes, 50);
            for i in 0..50 {
                let back = sq.decode(codes.row(i as u32));
                for (j, (&x, &y)) in rows[i * dim..(i + 1) * dim].iter().zip(&back).enumerate() {
                    assert!(
                        (x - y).abs() <= sq.step[j] / 2.0 + 1e-6,
                        "dim {dim} row {i} [{j}]"
                    );
                }
                let norm: f32 = back.iter().map(|v| v * v).sum();
                assert!((codes.norms[i] - norm).abs() <= 1e-3 * norm.max(1.0));
            }
        }
    }

    #[test]
    fn constant_zero_and_huge_dimensions_encode() {
        let rows = [0.0f32, 3.0e38, -1.0, 0.0, -3.0e38, -1.0];
        let sq = Sq8::train(3, rows.chunks_exact(3));
        let mut c = [0u8; 3];
        sq.encode(&rows[..3], &mut c);
        assert_eq!(c[0], 0);
        assert_eq!(c[2], 0, "a constant dimension has code 0");
        assert_eq!(c[1], 255);
        assert!(sq.step.iter().all(|s| s.is_finite()));
        let empty = Sq8::train(4, std::iter::empty());
        let mut c = [9u8; 4];
        empty.encode(&[1.0, 2.0, 3.0, 4.0], &mut c);
        assert_eq!(c, [0; 4]);
    }

    #[test]
    fn estimates_track_exact_distances() {
        let mut seed = 99u64;
        let dim = 64;
        let rows = random_rows(200, dim, &mut seed);
        let sq = Sq8::train(dim, rows.chunks_exact(dim));
        let bytes = sq.write(200, |i| &rows[i * dim..(i + 1) * dim]);
        let codes = Codes::view(&sq, &bytes, 200);
        let q = &random_rows(1, dim, &mut seed)[..];
        for metric in [Metric::Dot, Metric::Euclidean, Metric::Cosine] {
            let sc = codes.scorer(q, metric);
            let exact = metric.distance_fn();
            for i in 0..200 {
                let x = &rows[i * dim..(i + 1) * dim];
                let want = exact(q, x);
                let got = sc.dist(i as u32);
                // Code error: step/2 per dimension; query rounding: s/2
                // per dimension times a code of at most 255; euclidean
                // doubles both and adds the error of the norm of x̂.
                let s = (0..dim)
                    .map(|j| (q[j] * sq.step[j]).abs())
                    .fold(0.0f32, f32::max)
                    / 127.0;
                let code: f32 = (0..dim).map(|j| q[j].abs() * sq.step[j] / 2.0).sum();
                let qerr = dim as f32 * s / 2.0 * 255.0;
                let tol = match metric {
                    Metric::Euclidean => {
                        2.0 * (code + qerr)
                            + (0..dim)
                                .map(|j| (1.0 + sq.step[j]) * sq.step[j])
                                .sum::<f32>()
                    }
                    _ => code + qerr,
                } + 1e-4;
                assert!(
                    (got - want).abs() <= tol,
                    "{metric:?} row {i}: {got} vs {want} (tol {tol})"
                );
            }
        }
    }

    #[test]
    fn damaged_codes_are_refused() {
        let rows = [0.5f32, -0.5, 0.25, 0.0];
        let sq = Sq8::train(2, rows.chunks_exact(2));
        let bytes = sq.write(2, |i| &rows[i * 2..i * 2 + 2]);
        assert!(Sq8::parse(&bytes, 2, 2, "t").is_ok());
        assert!(Sq8::parse(&bytes[..bytes.len() - 1], 2, 2, "t").is_err());
        assert!(Sq8::parse(&bytes, 2, 3, "t").is_err());
        assert!(Sq8::parse(&bytes, 3, 2, "t").is_err());
        let mut bad = bytes.clone();
        bad[HEADER..HEADER + 4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(Sq8::parse(&bad, 2, 2, "t").is_err());
        let mut bad = bytes.clone();
        bad[0] = 9;
        assert!(Sq8::parse(&bad, 2, 2, "t").is_err());
    }
}
