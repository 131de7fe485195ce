//! Portable reference kernels.
//!
//! These are the fallback on CPUs without AVX2+FMA (and on other
//! architectures) and the reference the SIMD kernels are tested against.
//! The float loops keep 16 independent partial sums so that LLVM can keep
//! them in vector registers (four SSE registers on baseline x86_64) without
//! reassociating anything itself; the counting loops are plain comparisons
//! that LLVM vectorises as they are.
//!
//! Slices of unequal length are a caller bug (checked by `debug_assert!`);
//! in release builds only the common prefix is read.

/// Number of independent partial sums in the float loops.
const LANES: usize = 16;

/// The common prefix of `a` and `b` (they should have the same length).
#[inline(always)]
fn common<'a>(a: &'a [f32], b: &'a [f32]) -> (&'a [f32], &'a [f32]) {
    debug_assert_eq!(
        a.len(),
        b.len(),
        "distance between slices of unequal length"
    );
    let n = a.len().min(b.len());
    (&a[..n], &b[..n])
}

/// Adds up the partial sums. A plain sequential sum is deliberate: any
/// tree-shaped reduction makes LLVM's SLP vectoriser regroup the
/// accumulators into 2-lane vectors or add shuffles inside the hot loop,
/// while this keeps four whole SSE registers (checked in the disassembly).
#[inline(always)]
fn reduce(acc: [f32; LANES]) -> f32 {
    acc.iter().sum()
}

/// Dot product `Σ a[i]·b[i]`.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (a, b) = common(a, b);
    let (ca, ta) = a.as_chunks::<LANES>();
    let (cb, tb) = b.as_chunks::<LANES>();
    let mut acc = [0.0f32; LANES];
    for (x, y) in ca.iter().zip(cb) {
        for k in 0..LANES {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f32 = ta.iter().zip(tb).map(|(x, y)| x * y).sum();
    reduce(acc) + tail
}

/// Squared Euclidean distance `Σ (a[i] − b[i])²`.
#[inline]
pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
    let (a, b) = common(a, b);
    let (ca, ta) = a.as_chunks::<LANES>();
    let (cb, tb) = b.as_chunks::<LANES>();
    let mut acc = [0.0f32; LANES];
    for (x, y) in ca.iter().zip(cb) {
        for k in 0..LANES {
            let d = x[k] - y[k];
            acc[k] += d * d;
        }
    }
    let tail: f32 = ta.iter().zip(tb).map(|(x, y)| (x - y) * (x - y)).sum();
    reduce(acc) + tail
}

/// Counts in blocks this long with `u32` sums, so the inner loops vectorise
/// with 32-bit lanes and can never overflow.
const COUNT_BLOCK: usize = 1 << 16;

/// Number of positions where `a[i] != b[i]` (IEEE comparison: `-0.0 == 0.0`,
/// and a NaN differs from everything), as an `f32`.
#[inline(always)]
pub fn hamming(a: &[f32], b: &[f32]) -> f32 {
    let (a, b) = common(a, b);
    let mut total = 0u64;
    for (a, b) in a.chunks(COUNT_BLOCK).zip(b.chunks(COUNT_BLOCK)) {
        let n: u32 = a.iter().zip(b).map(|(x, y)| u32::from(x != y)).sum();
        total += u64::from(n);
    }
    total as f32
}

/// Jaccard similarity of the non-zero patterns: `|nz(a) ∩ nz(b)| /
/// |nz(a) ∪ nz(b)|`, where `nz(v)` is the set of positions with
/// `v[i] != 0.0`; `1.0` when both vectors are all zero.
#[inline(always)]
pub fn jaccard_similarity(a: &[f32], b: &[f32]) -> f32 {
    let (a, b) = common(a, b);
    let (mut inter, mut union) = (0u64, 0u64);
    for (a, b) in a.chunks(COUNT_BLOCK).zip(b.chunks(COUNT_BLOCK)) {
        let (mut i, mut u) = (0u32, 0u32);
        for (x, y) in a.iter().zip(b) {
            let (nx, ny) = (*x != 0.0, *y != 0.0);
            i += u32::from(nx & ny);
            u += u32::from(nx | ny);
        }
        inter += u64::from(i);
        union += u64::from(u);
    }
    ratio(inter, union)
}

/// `inter / union`, or `1.0` when the union is empty.
#[inline(always)]
pub(super) fn ratio(inter: u64, union: u64) -> f32 {
    if union == 0 {
        1.0
    } else {
        (inter as f64 / union as f64) as f32
    }
}
