//! 16-bit floats: f16 (IEEE 754 binary16: 5 exponent bits, 10 fraction
//! bits) and bf16 (bfloat16: the top half of an f32, 8 exponent bits, 7
//! fraction bits). Both are stored as such, two bytes per dimension, and
//! converted to f32 inside the kernels (F16C / AVX-512F for f16, a shift
//! for bf16), which score them against the f32 query.
//!
//! f16 keeps 11 significant bits over a range of about 6·10⁻⁸ to 65,504:
//! the better choice for unit vectors (cosine) and values of moderate
//! size. bf16 keeps only 8 significant bits, with f32's range: values
//! beyond f16's range are stored as ±65,504 in f16 (such a collection
//! should use bf16; rescoring still ranks on the originals), and both
//! round to nearest, ties to even.

use crate::distance::Metric;
use crate::error::{Error, Result};
use crate::index::hnsw::{prefetch_bytes, Scorer};

use super::{header, parse_header, HEADER};

/// Which 16-bit format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// IEEE binary16.
    F16,
    /// bfloat16.
    Bf16,
}

impl Format {
    fn layout(self) -> u32 {
        match self {
            Format::F16 => super::LAYOUT_F16,
            Format::Bf16 => super::LAYOUT_BF16,
        }
    }

    /// Converts one f32 (round to nearest, ties to even).
    pub fn encode(self, x: f32) -> u16 {
        match self {
            Format::F16 => f32_to_f16(x),
            Format::Bf16 => f32_to_bf16(x),
        }
    }

    /// Converts back to f32 (exact).
    pub fn decode(self, h: u16) -> f32 {
        match self {
            Format::F16 => f16_to_f32(h),
            Format::Bf16 => f32::from_bits((h as u32) << 16),
        }
    }
}

/// f32 → f16, round to nearest, ties to even; overflow gives ±infinity,
/// NaN stays NaN.
pub fn f32_to_f16(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let exp = ((b >> 23) & 0xff) as i32;
    let man = b & 0x7f_ffff;
    if exp == 0xff {
        return sign | 0x7c00 | if man != 0 { 0x200 } else { 0 };
    }
    // Unbiased exponent, rebiased for f16 (bias 15).
    let e = exp - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        // Subnormal in f16 (or zero): shift the full significand.
        if e < -10 {
            return sign;
        }
        let m = man | 0x80_0000;
        let shift = (14 - e) as u32; // 24-bit significand down to 10 - (1 - e)
        let half = 1u32 << (shift - 1);
        let rest = m & ((1u32 << shift) - 1);
        let mut h = m >> shift;
        if rest > half || (rest == half && h & 1 == 1) {
            h += 1;
        }
        return sign | h as u16;
    }
    let mut h = ((e as u32) << 10) | (man >> 13);
    let rest = man & 0x1fff;
    if rest > 0x1000 || (rest == 0x1000 && h & 1 == 1) {
        // A carry into the exponent is right (up to infinity).
        h += 1;
    }
    sign | h as u16
}

/// f16 → f32 (exact).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h & 0x8000) as u32) << 16;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: normalise.
            let lead = 31 - man.leading_zeros(); // position of the top bit (0..=9)
            let e = 127 - 15 - (10 - lead) + 1;
            sign | (e << 23) | ((man << (23 - lead)) & 0x7f_ffff)
        }
        (0x1f, _) => sign | 0x7f80_0000 | (man << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

/// f32 → bf16, round to nearest, ties to even; NaN stays NaN.
pub fn f32_to_bf16(x: f32) -> u16 {
    let b = x.to_bits();
    if x.is_nan() {
        return ((b >> 16) | 0x40) as u16;
    }
    let round = 0x7fff + ((b >> 16) & 1);
    (b.wrapping_add(round) >> 16) as u16
}

/// A 16-bit quantizer for `dim` dimensions: nothing trained, the format
/// is the whole of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Half {
    /// The format.
    pub format: Format,
    dim: usize,
}

impl Half {
    /// The quantizer of `format` for `dim` dimensions.
    pub fn new(format: Format, dim: usize) -> Half {
        Half { format, dim }
    }

    /// Bytes of the codes file's data for `n` rows.
    pub fn file_len(dim: usize, n: usize) -> usize {
        n.checked_mul(dim)
            .and_then(|c| c.checked_mul(2))
            .and_then(|c| c.checked_add(HEADER))
            .unwrap_or(usize::MAX)
    }

    /// Encodes `n` rows: the header, then `n × dim` little-endian u16.
    pub fn write<'a>(&self, n: usize, row: impl Fn(usize) -> &'a [f32]) -> Vec<u8> {
        let mut out = Vec::with_capacity(Half::file_len(self.dim, n));
        out.extend_from_slice(&header(self.format.layout(), self.dim, n));
        // f16 saturates at ±65,504 rather than store an infinity (whose
        // products could make NaN distances); bf16 covers f32's range.
        let lim = match self.format {
            Format::F16 => 65_504.0f32,
            Format::Bf16 => f32::MAX,
        };
        for i in 0..n {
            for &x in row(i) {
                out.extend_from_slice(&self.format.encode(x.clamp(-lim, lim)).to_le_bytes());
            }
        }
        out
    }

    /// Checks the layout [`Half::write`] produced; `bytes` must start
    /// 2-byte aligned.
    pub fn parse(format: Format, bytes: &[u8], dim: usize, n: usize, name: &str) -> Result<Half> {
        parse_header(bytes, format.layout(), dim, n, Half::file_len(dim, n), name)?;
        if !(bytes.as_ptr() as usize).is_multiple_of(2) {
            return Err(Error::corrupt(format!("{name}: misaligned codes")));
        }
        Ok(Half { format, dim })
    }

    /// A scorer of the rows in `bytes` (which [`Half::parse`] accepted)
    /// against `q` under `metric` (cosine, dot or euclidean).
    pub fn scorer<'a>(
        &self,
        bytes: &'a [u8],
        n: usize,
        q: &[f32],
        metric: Metric,
    ) -> HalfScorer<'a> {
        let b = &bytes[HEADER..HEADER + n * self.dim * 2];
        // SAFETY: `b` starts 2-byte aligned (parse checked the start,
        // HEADER is even), holds `n * dim` u16 and any bits are a u16.
        let rows = unsafe { std::slice::from_raw_parts(b.as_ptr().cast::<u16>(), n * self.dim) };
        let k = kernels(self.format);
        let (kernel, bias, sign) = match metric {
            Metric::Euclidean => (k.l2, 0.0, 1.0),
            Metric::Dot => (k.dot, 0.0, -1.0),
            _ => (k.dot, 1.0, -1.0),
        };
        HalfScorer {
            rows,
            dim: self.dim,
            q: q.to_vec(),
            kernel,
            bias,
            sign,
        }
    }
}

/// Distances of 16-bit rows to one f32 query: `bias + sign · kernel`.
pub struct HalfScorer<'a> {
    rows: &'a [u16],
    dim: usize,
    q: Vec<f32>,
    kernel: HalfFn,
    bias: f32,
    sign: f32,
}

impl Scorer for HalfScorer<'_> {
    #[inline]
    fn dist(&self, id: u32) -> f32 {
        let o = id as usize * self.dim;
        self.bias + self.sign * (self.kernel)(&self.rows[o..o + self.dim], &self.q)
    }

    #[inline]
    fn prefetch(&self, id: u32) {
        prefetch_bytes(
            self.rows
                .as_ptr()
                .wrapping_add(id as usize * self.dim)
                .cast(),
            self.dim * 2,
        );
    }
}

// ---------------------------------------------------------------- kernels

/// `Σ x_i q_i` or `Σ (x_i − q_i)²` of 16-bit `x` over the common length.
pub type HalfFn = fn(&[u16], &[f32]) -> f32;

/// One format's kernels.
#[derive(Clone, Copy)]
pub struct HalfKernels {
    /// The kernel set's name.
    pub name: &'static str,
    /// Dot product.
    pub dot: HalfFn,
    /// Squared L2 distance.
    pub l2: HalfFn,
}

fn dot_scalar_f16(x: &[u16], q: &[f32]) -> f32 {
    x.iter().zip(q).map(|(&h, &q)| f16_to_f32(h) * q).sum()
}

fn l2_scalar_f16(x: &[u16], q: &[f32]) -> f32 {
    x.iter()
        .zip(q)
        .map(|(&h, &q)| (f16_to_f32(h) - q) * (f16_to_f32(h) - q))
        .sum()
}

fn bf(h: u16) -> f32 {
    f32::from_bits((h as u32) << 16)
}

fn dot_scalar_bf16(x: &[u16], q: &[f32]) -> f32 {
    x.iter().zip(q).map(|(&h, &q)| bf(h) * q).sum()
}

fn l2_scalar_bf16(x: &[u16], q: &[f32]) -> f32 {
    x.iter()
        .zip(q)
        .map(|(&h, &q)| (bf(h) - q) * (bf(h) - q))
        .sum()
}

/// The kernel sets this CPU runs for `format`, scalar reference first.
pub fn kernel_sets(format: Format) -> Vec<HalfKernels> {
    let mut v = vec![match format {
        Format::F16 => HalfKernels {
            name: "scalar",
            dot: dot_scalar_f16,
            l2: l2_scalar_f16,
        },
        Format::Bf16 => HalfKernels {
            name: "scalar",
            dot: dot_scalar_bf16,
            l2: l2_scalar_bf16,
        },
    }];
    #[cfg(target_arch = "x86_64")]
    {
        if x86::avx2_ok() {
            v.push(match format {
                Format::F16 => HalfKernels {
                    name: "avx2+f16c",
                    dot: x86::dot_f16_avx2,
                    l2: x86::l2_f16_avx2,
                },
                Format::Bf16 => HalfKernels {
                    name: "avx2",
                    dot: x86::dot_bf16_avx2,
                    l2: x86::l2_bf16_avx2,
                },
            });
        }
        if x86::avx512_ok() {
            v.push(match format {
                Format::F16 => HalfKernels {
                    name: "avx512",
                    dot: x86::dot_f16_avx512,
                    l2: x86::l2_f16_avx512,
                },
                Format::Bf16 => HalfKernels {
                    name: "avx512",
                    dot: x86::dot_bf16_avx512,
                    l2: x86::l2_bf16_avx512,
                },
            });
        }
    }
    v
}

/// The kernels the scorers use for `format`: the fastest this CPU runs,
/// capped by the `QUIVER_SIMD` level of [`crate::distance`].
pub fn kernels(format: Format) -> HalfKernels {
    use std::sync::OnceLock;
    static PICK: [OnceLock<HalfKernels>; 2] = [OnceLock::new(), OnceLock::new()];
    *PICK[format as usize].get_or_init(|| {
        let sets = kernel_sets(format);
        sets.iter()
            .rev()
            .find(|k| super::kernel_allowed(k.name))
            .copied()
            .unwrap_or(sets[0])
    })
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! Each kernel is a `#[target_feature]` function reached only through
    //! [`super::kernel_sets`], which lists it after `is_x86_feature_detected!`
    //! confirmed its features. Loads stay within `n = min(len)`: full loads
    //! for `i + W <= n`, the tail masked (AVX-512) or scalar (AVX2).
    #![deny(unsafe_op_in_unsafe_fn)]
    use core::arch::x86_64::*;

    pub(super) fn avx2_ok() -> bool {
        is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("fma")
            && is_x86_feature_detected!("f16c")
    }

    pub(super) fn avx512_ok() -> bool {
        is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vl")
    }

    /// Widens 16 u16 (f16 or bf16) to f32 lanes.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn widen16(h: __m256i, f16: bool) -> __m512 {
        if f16 {
            _mm512_cvtph_ps(h)
        } else {
            _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16))
        }
    }

    /// Widens 8 u16 at `p` to f32 lanes (f16 or bf16).
    #[inline(always)]
    unsafe fn load8(p: *const u16, f16: bool) -> __m256 {
        // SAFETY: the caller guarantees 8 readable u16 at `p` and the
        // features of the calling kernel (avx2, fma, f16c).
        unsafe {
            let h = _mm_loadu_si128(p.cast());
            if f16 {
                _mm256_cvtph_ps(h)
            } else {
                _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16))
            }
        }
    }

    #[inline(always)]
    unsafe fn hsum8(v: __m256) -> f32 {
        // SAFETY: avx2 is enabled in every caller.
        unsafe {
            let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
            _mm_cvtss_f32(s)
        }
    }

    macro_rules! avx2_kernel {
        ($name:ident, $f16:expr, $l2:expr, $dec:expr) => {
            pub(super) fn $name(x: &[u16], q: &[f32]) -> f32 {
                debug_assert!(avx2_ok());
                #[target_feature(enable = "avx2,fma,f16c")]
                unsafe fn imp(x: &[u16], q: &[f32]) -> f32 {
                    let n = x.len().min(q.len());
                    let (px, pq) = (x.as_ptr(), q.as_ptr());
                    let mut a0 = _mm256_setzero_ps();
                    let mut a1 = _mm256_setzero_ps();
                    let mut i = 0;
                    while i + 16 <= n {
                        // SAFETY: i + 16 <= n: both 8-lane loads of each
                        // slice are in bounds.
                        unsafe {
                            let x0 = load8(px.add(i), $f16);
                            let x1 = load8(px.add(i + 8), $f16);
                            let q0 = _mm256_loadu_ps(pq.add(i));
                            let q1 = _mm256_loadu_ps(pq.add(i + 8));
                            if $l2 {
                                let d0 = _mm256_sub_ps(x0, q0);
                                let d1 = _mm256_sub_ps(x1, q1);
                                a0 = _mm256_fmadd_ps(d0, d0, a0);
                                a1 = _mm256_fmadd_ps(d1, d1, a1);
                            } else {
                                a0 = _mm256_fmadd_ps(x0, q0, a0);
                                a1 = _mm256_fmadd_ps(x1, q1, a1);
                            }
                        }
                        i += 16;
                    }
                    if i + 8 <= n {
                        // SAFETY: i + 8 <= n.
                        unsafe {
                            let x0 = load8(px.add(i), $f16);
                            let q0 = _mm256_loadu_ps(pq.add(i));
                            if $l2 {
                                let d0 = _mm256_sub_ps(x0, q0);
                                a0 = _mm256_fmadd_ps(d0, d0, a0);
                            } else {
                                a0 = _mm256_fmadd_ps(x0, q0, a0);
                            }
                        }
                        i += 8;
                    }
                    // SAFETY: avx2 is enabled here.
                    let mut s = unsafe { hsum8(_mm256_add_ps(a0, a1)) };
                    while i < n {
                        let v: f32 = $dec(x[i]);
                        s += if $l2 {
                            (v - q[i]) * (v - q[i])
                        } else {
                            v * q[i]
                        };
                        i += 1;
                    }
                    s
                }
                // SAFETY: only listed by `kernel_sets` when the CPU has
                // AVX2, FMA and F16C.
                unsafe { imp(x, q) }
            }
        };
    }

    macro_rules! avx512_kernel {
        ($name:ident, $f16:expr, $l2:expr) => {
            pub(super) fn $name(x: &[u16], q: &[f32]) -> f32 {
                debug_assert!(avx512_ok());
                #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
                unsafe fn imp(x: &[u16], q: &[f32]) -> f32 {
                    let n = x.len().min(q.len());
                    let (px, pq) = (x.as_ptr(), q.as_ptr());
                    let mut a0 = _mm512_setzero_ps();
                    let mut a1 = _mm512_setzero_ps();
                    let mut i = 0;
                    while i + 32 <= n {
                        // SAFETY: i + 32 <= n: both 16-lane loads of each
                        // slice are in bounds.
                        unsafe {
                            let x0 = widen16(_mm256_loadu_si256(px.add(i).cast()), $f16);
                            let x1 = widen16(_mm256_loadu_si256(px.add(i + 16).cast()), $f16);
                            let q0 = _mm512_loadu_ps(pq.add(i));
                            let q1 = _mm512_loadu_ps(pq.add(i + 16));
                            if $l2 {
                                let d0 = _mm512_sub_ps(x0, q0);
                                let d1 = _mm512_sub_ps(x1, q1);
                                a0 = _mm512_fmadd_ps(d0, d0, a0);
                                a1 = _mm512_fmadd_ps(d1, d1, a1);
                            } else {
                                a0 = _mm512_fmadd_ps(x0, q0, a0);
                                a1 = _mm512_fmadd_ps(x1, q1, a1);
                            }
                        }
                        i += 32;
                    }
                    while i < n {
                        let r = (n - i).min(16);
                        let m: __mmask16 = if r == 16 { 0xffff } else { (1u16 << r) - 1 };
                        // SAFETY: the masked loads touch only lanes < r,
                        // which are within both slices.
                        unsafe {
                            let x0 = widen16(_mm256_maskz_loadu_epi16(m, px.add(i).cast()), $f16);
                            let q0 = _mm512_maskz_loadu_ps(m, pq.add(i));
                            if $l2 {
                                let d0 = _mm512_sub_ps(x0, q0);
                                a0 = _mm512_fmadd_ps(d0, d0, a0);
                            } else {
                                a0 = _mm512_fmadd_ps(x0, q0, a0);
                            }
                        }
                        i += r;
                    }
                    _mm512_reduce_add_ps(_mm512_add_ps(a0, a1))
                }
                // SAFETY: only listed by `kernel_sets` when the CPU has
                // AVX-512F, BW and VL.
                unsafe { imp(x, q) }
            }
        };
    }

    avx2_kernel!(dot_f16_avx2, true, false, super::f16_to_f32);
    avx2_kernel!(l2_f16_avx2, true, true, super::f16_to_f32);
    avx2_kernel!(dot_bf16_avx2, false, false, super::bf);
    avx2_kernel!(l2_bf16_avx2, false, true, super::bf);
    avx512_kernel!(dot_f16_avx512, true, false);
    avx512_kernel!(l2_f16_avx512, true, true);
    avx512_kernel!(dot_bf16_avx512, false, false);
    avx512_kernel!(l2_bf16_avx512, false, true);

    /// Hardware f32 → f16 (F16C), for the tests of the scalar conversion.
    #[cfg(test)]
    pub(super) fn f16c_convert(x: f32) -> Option<u16> {
        if !is_x86_feature_detected!("f16c") {
            return None;
        }
        #[target_feature(enable = "f16c")]
        unsafe fn imp(x: f32) -> u16 {
            _mm_extract_epi16::<0>(_mm_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(_mm_set1_ps(x))) as u16
        }
        // SAFETY: the CPU has F16C (checked above).
        Some(unsafe { imp(x) })
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
    fn f16_conversion_matches_f16c_and_round_trips() {
        // Every f16 decodes and encodes back to itself (NaNs stay NaN).
        for h in 0..=u16::MAX {
            let f = f16_to_f32(h);
            if f.is_nan() {
                assert!(f16_to_f32(f32_to_f16(f)).is_nan());
            } else {
                assert_eq!(f32_to_f16(f), h, "f16 {h:#06x} = {f}");
            }
        }
        #[cfg(target_arch = "x86_64")]
        {
            let mut seed = 0x9e37_79b9_7f4a_7c15u64;
            let mut special = vec![
                0.0f32, -0.0, 65504.0, 65519.99, 65520.0, 1e-8, 2.98e-8, 5.96e-8, 6.1e-5, 1.0e10,
                -3.0e38,
            ];
            // Every tie between two f16 neighbours, and values around them.
            for h in (0..0x7bffu16).step_by(7) {
                let (a, b) = (f16_to_f32(h), f16_to_f32(h + 1));
                let mid = (a as f64 + b as f64) / 2.0;
                special.extend([mid as f32, f32::from_bits((mid as f32).to_bits() + 1)]);
            }
            for _ in 0..200_000 {
                special.push(f32::from_bits(rng(&mut seed) as u32));
            }
            for x in special {
                if let Some(hw) = x86::f16c_convert(x) {
                    if x.is_nan() {
                        assert!(f16_to_f32(f32_to_f16(x)).is_nan());
                    } else {
                        assert_eq!(f32_to_f16(x), hw, "{x:e} ({:#010x})", x.to_bits());
                    }
                }
            }
        }
    }

    #[test]
    fn bf16_rounds_to_nearest_even() {
        assert_eq!(f32_to_bf16(1.0), 0x3f80);
        // 1 + 2^-8 is the tie between 1 and 1 + 2^-7: even (1.0) wins.
        assert_eq!(f32_to_bf16(f32::from_bits(0x3f80_8000)), 0x3f80);
        assert_eq!(f32_to_bf16(f32::from_bits(0x3f81_8000)), 0x3f82);
        assert_eq!(f32_to_bf16(f32::from_bits(0x3f80_8001)), 0x3f81);
        assert_eq!(f32_to_bf16(f32::MAX), 0x7f80, "rounds up to infinity");
        assert!(bf(f32_to_bf16(f32::NAN)).is_nan());
        let mut seed = 5u64;
        for _ in 0..100_000 {
            let x = f32::from_bits(rng(&mut seed) as u32);
            if !x.is_finite() {
                continue;
            }
            let y = bf(f32_to_bf16(x));
            if y.is_finite() {
                // Within half a unit of bf16's last place.
                // (Subnormals: half of bf16's spacing there, 2^-133.)
                let tol = ((x as f64).abs() * 2f64.powi(-8)).max(2f64.powi(-134));
                assert!(((x - y) as f64).abs() <= tol * 1.0001, "{x:e} -> {y:e}");
            }
        }
    }

    #[test]
    fn kernels_match_the_scalar_reference() {
        let mut seed = 77u64;
        for format in [Format::F16, Format::Bf16] {
            let sets = kernel_sets(format);
            for len in (0..70).chain([383, 384, 385, 1000, 4099]) {
                let cases: Vec<(Vec<f32>, Vec<f32>)> = vec![
                    (vec![0.0; len], vec![0.0; len]),
                    (vec![60000.0; len], vec![-1.0e3; len]),
                    (
                        (0..len)
                            .map(|_| (rng(&mut seed) % 2001) as f32 / 1000.0 - 1.0)
                            .collect(),
                        (0..len)
                            .map(|_| (rng(&mut seed) % 2001) as f32 / 1000.0 - 1.0)
                            .collect(),
                    ),
                ];
                for (x, q) in &cases {
                    let h: Vec<u16> = x.iter().map(|&v| format.encode(v)).collect();
                    let mag: f64 = h
                        .iter()
                        .zip(q)
                        .map(|(&h, &q)| {
                            let v = format.decode(h) as f64;
                            v.abs() * q.abs() as f64 + (v - q as f64).powi(2)
                        })
                        .sum();
                    // Summation order: up to `len` roundings of the sum.
                    let tol = (mag * (len as f64 + 8.0) * 1.2e-7) as f32 + 1e-6;
                    for k in &sets {
                        for (what, f, r) in [("dot", k.dot, sets[0].dot), ("l2", k.l2, sets[0].l2)]
                        {
                            let (got, want) = (f(&h, q), r(&h, q));
                            assert!(
                                (got - want).abs() <= tol,
                                "{format:?} {} {what} len {len}: {got} vs {want}",
                                k.name
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn scorer_estimates_distances() {
        let mut seed = 3u64;
        let dim = 50;
        let rows: Vec<f32> = (0..20 * dim)
            .map(|_| (rng(&mut seed) % 2001) as f32 / 1000.0 - 1.0)
            .collect();
        let q: Vec<f32> = rows[..dim].iter().map(|v| v * 0.5 + 0.1).collect();
        for format in [Format::F16, Format::Bf16] {
            let h = Half::new(format, dim);
            let bytes = h.write(20, |i| &rows[i * dim..(i + 1) * dim]);
            assert_eq!(bytes.len(), Half::file_len(dim, 20));
            let h = Half::parse(format, &bytes, dim, 20, "t").unwrap();
            assert!(Half::parse(format, &bytes[..bytes.len() - 2], dim, 20, "t").is_err());
            for metric in [Metric::Cosine, Metric::Dot, Metric::Euclidean] {
                let sc = h.scorer(&bytes, 20, &q, metric);
                let exact = metric.distance_fn();
                let tol = if format == Format::F16 { 0.01 } else { 0.08 };
                for i in 0..20 {
                    let want = exact(&q, &rows[i * dim..(i + 1) * dim]);
                    let got = sc.dist(i as u32);
                    assert!(
                        (got - want).abs() <= tol,
                        "{format:?} {metric:?} {i}: {got} vs {want}"
                    );
                }
            }
        }
    }
}
