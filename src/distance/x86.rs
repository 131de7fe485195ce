//! x86_64 kernels: AVX-512F (16 lanes; level "avx512" also requires POPCNT)
//! and AVX2+FMA (8 lanes).
//!
//! Each kernel is a `#[target_feature]` `unsafe fn`; the only thing that
//! makes calling one sound is that the CPU has the features it enables. The
//! safe wrappers at the bottom of this file (the functions that end up in
//! the dispatch tables of the parent module) are therefore only reachable
//! through `super::table`, which hands out the table of a level only after
//! `is_x86_feature_detected!` has confirmed that level's features.
//!
//! Memory safety inside the kernels does not depend on the inputs: every
//! kernel works on `n = min(a.len(), b.len())` elements, full-width loads
//! are only issued for `i + W <= n`, and the tail (`n % W` elements) is read
//! with a masked load whose masked-off lanes are neither read nor faulted on
//! (they come back as `0.0`, which is neutral for every kernel here).

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

use core::arch::x86_64::*;

/// Length of the common prefix (the slices should have the same length).
#[inline(always)]
fn common_len(a: &[f32], b: &[f32]) -> usize {
    debug_assert_eq!(
        a.len(),
        b.len(),
        "distance between slices of unequal length"
    );
    a.len().min(b.len())
}

// ---------------------------------------------------------------------------
// AVX-512F
// ---------------------------------------------------------------------------

/// Mask selecting the low `r` lanes of a 16-lane vector (`r < 16`).
#[inline(always)]
fn tail_mask16(r: usize) -> __mmask16 {
    debug_assert!(r < 16);
    ((1u32 << r) - 1) as __mmask16
}

/// Dot product, AVX-512F: four 16-lane accumulators, masked tail.
///
/// # Safety
/// The CPU must support AVX-512F.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn dot_avx512_k(a: &[f32], b: &[f32]) -> f32 {
    let n = common_len(a, b);
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc0 = _mm512_setzero_ps();
    let mut acc1 = _mm512_setzero_ps();
    let mut acc2 = _mm512_setzero_ps();
    let mut acc3 = _mm512_setzero_ps();
    let mut i = 0;
    while i + 64 <= n {
        // SAFETY: i + 64 <= n <= len of both slices, so the four 16-float
        // loads at i, i+16, i+32, i+48 are in bounds; loadu has no alignment
        // requirement.
        unsafe {
            acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(pa.add(i)), _mm512_loadu_ps(pb.add(i)), acc0);
            acc1 = _mm512_fmadd_ps(
                _mm512_loadu_ps(pa.add(i + 16)),
                _mm512_loadu_ps(pb.add(i + 16)),
                acc1,
            );
            acc2 = _mm512_fmadd_ps(
                _mm512_loadu_ps(pa.add(i + 32)),
                _mm512_loadu_ps(pb.add(i + 32)),
                acc2,
            );
            acc3 = _mm512_fmadd_ps(
                _mm512_loadu_ps(pa.add(i + 48)),
                _mm512_loadu_ps(pb.add(i + 48)),
                acc3,
            );
        }
        i += 64;
    }
    while i + 16 <= n {
        // SAFETY: i + 16 <= n, so the 16-float loads are in bounds.
        unsafe {
            acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(pa.add(i)), _mm512_loadu_ps(pb.add(i)), acc0);
        }
        i += 16;
    }
    if i < n {
        let m = tail_mask16(n - i);
        // SAFETY: i < n so the pointers are in bounds; the mask selects only
        // the n - i remaining lanes, masked-off lanes are not accessed.
        unsafe {
            let x = _mm512_maskz_loadu_ps(m, pa.add(i));
            let y = _mm512_maskz_loadu_ps(m, pb.add(i));
            acc1 = _mm512_fmadd_ps(x, y, acc1);
        }
    }
    let s = _mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3));
    _mm512_reduce_add_ps(s)
}

/// Squared L2 distance, AVX-512F: four 16-lane accumulators, masked tail.
///
/// # Safety
/// The CPU must support AVX-512F.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn l2_avx512_k(a: &[f32], b: &[f32]) -> f32 {
    let n = common_len(a, b);
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc0 = _mm512_setzero_ps();
    let mut acc1 = _mm512_setzero_ps();
    let mut acc2 = _mm512_setzero_ps();
    let mut acc3 = _mm512_setzero_ps();
    let mut i = 0;
    while i + 64 <= n {
        // SAFETY: i + 64 <= n <= len of both slices: all loads in bounds.
        unsafe {
            let d0 = _mm512_sub_ps(_mm512_loadu_ps(pa.add(i)), _mm512_loadu_ps(pb.add(i)));
            let d1 = _mm512_sub_ps(
                _mm512_loadu_ps(pa.add(i + 16)),
                _mm512_loadu_ps(pb.add(i + 16)),
            );
            let d2 = _mm512_sub_ps(
                _mm512_loadu_ps(pa.add(i + 32)),
                _mm512_loadu_ps(pb.add(i + 32)),
            );
            let d3 = _mm512_sub_ps(
                _mm512_loadu_ps(pa.add(i + 48)),
                _mm512_loadu_ps(pb.add(i + 48)),
            );
            acc0 = _mm512_fmadd_ps(d0, d0, acc0);
            acc1 = _mm512_fmadd_ps(d1, d1, acc1);
            acc2 = _mm512_fmadd_ps(d2, d2, acc2);
            acc3 = _mm512_fmadd_ps(d3, d3, acc3);
        }
        i += 64;
    }
    while i + 16 <= n {
        // SAFETY: i + 16 <= n, so the loads are in bounds.
        unsafe {
            let d = _mm512_sub_ps(_mm512_loadu_ps(pa.add(i)), _mm512_loadu_ps(pb.add(i)));
            acc0 = _mm512_fmadd_ps(d, d, acc0);
        }
        i += 16;
    }
    if i < n {
        let m = tail_mask16(n - i);
        // SAFETY: i < n; only the n - i selected lanes are accessed.
        unsafe {
            let d = _mm512_sub_ps(
                _mm512_maskz_loadu_ps(m, pa.add(i)),
                _mm512_maskz_loadu_ps(m, pb.add(i)),
            );
            acc1 = _mm512_fmadd_ps(d, d, acc1);
        }
    }
    let s = _mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3));
    _mm512_reduce_add_ps(s)
}

/// Hamming count, AVX-512F: popcount of the "not equal (unordered)"
/// compare mask, which is exactly Rust's `!=`. (Counting in a vector with
/// masked adds is about twice as slow on AMD Zen.)
///
/// # Safety
/// The CPU must support AVX-512F and POPCNT.
#[inline]
#[target_feature(enable = "avx512f,popcnt")]
unsafe fn hamming_avx512_k(a: &[f32], b: &[f32]) -> f32 {
    let n = common_len(a, b);
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut total = 0u64;
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: i + 16 <= n: loads in bounds.
        let (x, y) = unsafe { (_mm512_loadu_ps(pa.add(i)), _mm512_loadu_ps(pb.add(i))) };
        let ne = _mm512_cmp_ps_mask::<_CMP_NEQ_UQ>(x, y);
        total += u64::from(ne.count_ones());
        i += 16;
    }
    if i < n {
        let m = tail_mask16(n - i);
        // SAFETY: i < n; only the n - i selected lanes are accessed.
        let (x, y) = unsafe {
            (
                _mm512_maskz_loadu_ps(m, pa.add(i)),
                _mm512_maskz_loadu_ps(m, pb.add(i)),
            )
        };
        total += u64::from(_mm512_mask_cmp_ps_mask::<_CMP_NEQ_UQ>(m, x, y).count_ones());
    }
    total as f32
}

/// Jaccard similarity of the non-zero patterns, AVX-512F: popcounts of the
/// and/or of the two "non-zero" compare masks.
///
/// # Safety
/// The CPU must support AVX-512F and POPCNT.
#[inline]
#[target_feature(enable = "avx512f,popcnt")]
unsafe fn jaccard_avx512_k(a: &[f32], b: &[f32]) -> f32 {
    let n = common_len(a, b);
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let zero = _mm512_setzero_ps();
    let (mut inter, mut union) = (0u64, 0u64);
    let mut i = 0;
    while i < n {
        let (x, y) = if i + 16 <= n {
            // SAFETY: i + 16 <= n: loads in bounds.
            unsafe { (_mm512_loadu_ps(pa.add(i)), _mm512_loadu_ps(pb.add(i))) }
        } else {
            let m = tail_mask16(n - i);
            // SAFETY: i < n; only the n - i selected lanes are accessed.
            // Masked-off lanes load as 0.0, so they count for neither set.
            unsafe {
                (
                    _mm512_maskz_loadu_ps(m, pa.add(i)),
                    _mm512_maskz_loadu_ps(m, pb.add(i)),
                )
            }
        };
        let nx = _mm512_cmp_ps_mask::<_CMP_NEQ_UQ>(x, zero);
        let ny = _mm512_cmp_ps_mask::<_CMP_NEQ_UQ>(y, zero);
        inter += u64::from((nx & ny).count_ones());
        union += u64::from((nx | ny).count_ones());
        i += 16;
    }
    super::scalar::ratio(inter, union)
}

// ---------------------------------------------------------------------------
// AVX2 + FMA
// ---------------------------------------------------------------------------

/// `MASK8[8 - r..16 - r]` is a lane mask selecting the low `r` of 8 lanes.
static MASK8: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];

/// Lane mask selecting the low `r` of 8 lanes (`r < 8`).
///
/// # Safety
/// The CPU must support AVX2.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn tail_mask8(r: usize) -> __m256i {
    debug_assert!(r < 8);
    let r = r & 7;
    // SAFETY: 8 - r is in 1..=8, so the 8 i32 read at MASK8[8 - r..16 - r]
    // lie inside the 16-element static; loadu has no alignment requirement.
    unsafe { _mm256_loadu_si256(MASK8.as_ptr().add(8 - r).cast::<__m256i>()) }
}

/// Sum of the 8 lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn hsum256(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let sh = _mm_movehdup_ps(s);
    let s = _mm_add_ps(s, sh);
    let sh = _mm_movehl_ps(sh, s);
    _mm_cvtss_f32(_mm_add_ss(s, sh))
}

/// Sum of the 8 `i32` lanes, as unsigned (lanes are non-negative counts).
#[inline]
#[target_feature(enable = "avx2")]
fn hsum256_epi32(v: __m256i) -> u64 {
    let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
    let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01_00_11_10>(s));
    let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
    _mm_cvtsi128_si32(s) as u32 as u64
}

/// Dot product, AVX2+FMA: four 8-lane accumulators, masked tail.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2_k(a: &[f32], b: &[f32]) -> f32 {
    let n = common_len(a, b);
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc0 = _mm256_setzero_ps();
    let mut acc1 = _mm256_setzero_ps();
    let mut acc2 = _mm256_setzero_ps();
    let mut acc3 = _mm256_setzero_ps();
    let mut i = 0;
    while i + 32 <= n {
        // SAFETY: i + 32 <= n <= len of both slices: the four 8-float loads
        // at i, i+8, i+16, i+24 are in bounds.
        unsafe {
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), acc0);
            acc1 = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i + 8)),
                _mm256_loadu_ps(pb.add(i + 8)),
                acc1,
            );
            acc2 = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i + 16)),
                _mm256_loadu_ps(pb.add(i + 16)),
                acc2,
            );
            acc3 = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i + 24)),
                _mm256_loadu_ps(pb.add(i + 24)),
                acc3,
            );
        }
        i += 32;
    }
    while i + 8 <= n {
        // SAFETY: i + 8 <= n: loads in bounds.
        unsafe {
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), acc0);
        }
        i += 8;
    }
    if i < n {
        // SAFETY: the CPU has AVX2 (this function's contract); i < n keeps
        // the pointers in bounds and vmaskmovps accesses only the n - i
        // lanes selected by the mask.
        unsafe {
            let m = tail_mask8(n - i);
            let x = _mm256_maskload_ps(pa.add(i), m);
            let y = _mm256_maskload_ps(pb.add(i), m);
            acc1 = _mm256_fmadd_ps(x, y, acc1);
        }
    }
    hsum256(_mm256_add_ps(
        _mm256_add_ps(acc0, acc1),
        _mm256_add_ps(acc2, acc3),
    ))
}

/// Squared L2 distance, AVX2+FMA: four 8-lane accumulators, masked tail.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn l2_avx2_k(a: &[f32], b: &[f32]) -> f32 {
    let n = common_len(a, b);
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc0 = _mm256_setzero_ps();
    let mut acc1 = _mm256_setzero_ps();
    let mut acc2 = _mm256_setzero_ps();
    let mut acc3 = _mm256_setzero_ps();
    let mut i = 0;
    while i + 32 <= n {
        // SAFETY: i + 32 <= n <= len of both slices: all loads in bounds.
        unsafe {
            let d0 = _mm256_sub_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)));
            let d1 = _mm256_sub_ps(
                _mm256_loadu_ps(pa.add(i + 8)),
                _mm256_loadu_ps(pb.add(i + 8)),
            );
            let d2 = _mm256_sub_ps(
                _mm256_loadu_ps(pa.add(i + 16)),
                _mm256_loadu_ps(pb.add(i + 16)),
            );
            let d3 = _mm256_sub_ps(
                _mm256_loadu_ps(pa.add(i + 24)),
                _mm256_loadu_ps(pb.add(i + 24)),
            );
            acc0 = _mm256_fmadd_ps(d0, d0, acc0);
            acc1 = _mm256_fmadd_ps(d1, d1, acc1);
            acc2 = _mm256_fmadd_ps(d2, d2, acc2);
            acc3 = _mm256_fmadd_ps(d3, d3, acc3);
        }
        i += 32;
    }
    while i + 8 <= n {
        // SAFETY: i + 8 <= n: loads in bounds.
        unsafe {
            let d = _mm256_sub_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)));
            acc0 = _mm256_fmadd_ps(d, d, acc0);
        }
        i += 8;
    }
    if i < n {
        // SAFETY: the CPU has AVX2; i < n keeps the pointers in bounds and
        // only the n - i selected lanes are accessed.
        unsafe {
            let m = tail_mask8(n - i);
            let d = _mm256_sub_ps(
                _mm256_maskload_ps(pa.add(i), m),
                _mm256_maskload_ps(pb.add(i), m),
            );
            acc1 = _mm256_fmadd_ps(d, d, acc1);
        }
    }
    hsum256(_mm256_add_ps(
        _mm256_add_ps(acc0, acc1),
        _mm256_add_ps(acc2, acc3),
    ))
}

/// Hamming count, AVX2: a compare yields all-ones (−1) lanes where the
/// elements differ, which are subtracted from per-lane counters.
///
/// # Safety
/// The CPU must support AVX2.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn hamming_avx2_k(a: &[f32], b: &[f32]) -> f32 {
    let n = common_len(a, b);
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc = _mm256_setzero_si256();
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: i + 8 <= n: loads in bounds.
        let (x, y) = unsafe { (_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i))) };
        let ne = _mm256_cmp_ps::<_CMP_NEQ_UQ>(x, y);
        acc = _mm256_sub_epi32(acc, _mm256_castps_si256(ne));
        i += 8;
    }
    if i < n {
        // SAFETY: the CPU has AVX2; i < n and only the n - i selected lanes
        // are accessed. Masked-off lanes load as 0.0 in both, i.e. equal.
        let (x, y) = unsafe {
            let m = tail_mask8(n - i);
            (
                _mm256_maskload_ps(pa.add(i), m),
                _mm256_maskload_ps(pb.add(i), m),
            )
        };
        let ne = _mm256_cmp_ps::<_CMP_NEQ_UQ>(x, y);
        acc = _mm256_sub_epi32(acc, _mm256_castps_si256(ne));
    }
    hsum256_epi32(acc) as f32
}

/// Jaccard similarity of the non-zero patterns, AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn jaccard_avx2_k(a: &[f32], b: &[f32]) -> f32 {
    let n = common_len(a, b);
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let zero = _mm256_setzero_ps();
    let mut inter = _mm256_setzero_si256();
    let mut union = _mm256_setzero_si256();
    let mut i = 0;
    while i < n {
        let (x, y) = if i + 8 <= n {
            // SAFETY: i + 8 <= n: loads in bounds.
            unsafe { (_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i))) }
        } else {
            // SAFETY: the CPU has AVX2; i < n and only the n - i selected
            // lanes are accessed. Masked-off lanes load as 0.0 ("zero").
            unsafe {
                let m = tail_mask8(n - i);
                (
                    _mm256_maskload_ps(pa.add(i), m),
                    _mm256_maskload_ps(pb.add(i), m),
                )
            }
        };
        let nx = _mm256_cmp_ps::<_CMP_NEQ_UQ>(x, zero);
        let ny = _mm256_cmp_ps::<_CMP_NEQ_UQ>(y, zero);
        inter = _mm256_sub_epi32(inter, _mm256_castps_si256(_mm256_and_ps(nx, ny)));
        union = _mm256_sub_epi32(union, _mm256_castps_si256(_mm256_or_ps(nx, ny)));
        i += 8;
    }
    super::scalar::ratio(hsum256_epi32(inter), hsum256_epi32(union))
}

// ---------------------------------------------------------------------------
// Safe entry points (only ever reached after feature detection)
// ---------------------------------------------------------------------------

/// Defines safe `fn(&[f32], &[f32]) -> f32` wrappers around a kernel. Each
/// wrapper is one `#[target_feature]` function (so the kernel is inlined into
/// it) behind a plain function, which compiles to a single jump.
macro_rules! entry_points {
    ($feat:literal, $level:ident: $($(#[$doc:meta])* $name:ident = |$a:ident, $b:ident| $body:expr;)*) => {
        $(
            $(#[$doc])*
            ///
            /// Only sound to call on a CPU with the features of this level:
            /// it is reachable solely through the dispatch table of that
            /// level, which is handed out after runtime feature detection.
            pub(super) fn $name($a: &[f32], $b: &[f32]) -> f32 {
                #[target_feature(enable = $feat)]
                #[inline]
                unsafe fn imp($a: &[f32], $b: &[f32]) -> f32 {
                    // SAFETY: the kernels need a subset of the features
                    // `imp` is compiled for, which `imp`'s caller guarantees.
                    unsafe { $body }
                }
                debug_assert!(super::level_supported(super::Level::$level));
                // SAFETY: this function is stored only in the dispatch
                // table of its level, and `super::table` hands that table
                // out only after `level_supported` detected the features.
                unsafe { imp($a, $b) }
            }
        )*
    };
}

entry_points! { "avx512f,popcnt", Avx512:
    /// Dot product, AVX-512F.
    dot_avx512 = |a, b| dot_avx512_k(a, b);
    /// Squared L2 distance, AVX-512F.
    l2_avx512 = |a, b| l2_avx512_k(a, b);
    /// Cosine distance `1 − a·b` of unit vectors, AVX-512F.
    cosine_avx512 = |a, b| 1.0 - dot_avx512_k(a, b);
    /// Negated dot product, AVX-512F.
    neg_dot_avx512 = |a, b| -dot_avx512_k(a, b);
    /// Hamming count, AVX-512F.
    hamming_avx512 = |a, b| hamming_avx512_k(a, b);
    /// Jaccard similarity, AVX-512F.
    jaccard_avx512 = |a, b| jaccard_avx512_k(a, b);
    /// Jaccard distance `1 − similarity`, AVX-512F.
    jaccard_dist_avx512 = |a, b| 1.0 - jaccard_avx512_k(a, b);
}

entry_points! { "avx2,fma", Avx2:
    /// Dot product, AVX2+FMA.
    dot_avx2 = |a, b| dot_avx2_k(a, b);
    /// Squared L2 distance, AVX2+FMA.
    l2_avx2 = |a, b| l2_avx2_k(a, b);
    /// Cosine distance `1 − a·b` of unit vectors, AVX2+FMA.
    cosine_avx2 = |a, b| 1.0 - dot_avx2_k(a, b);
    /// Negated dot product, AVX2+FMA.
    neg_dot_avx2 = |a, b| -dot_avx2_k(a, b);
    /// Hamming count, AVX2.
    hamming_avx2 = |a, b| hamming_avx2_k(a, b);
    /// Jaccard similarity, AVX2.
    jaccard_avx2 = |a, b| jaccard_avx2_k(a, b);
    /// Jaccard distance `1 − similarity`, AVX2.
    jaccard_dist_avx2 = |a, b| 1.0 - jaccard_avx2_k(a, b);
}
