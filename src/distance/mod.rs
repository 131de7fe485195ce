//! Distance metrics: SIMD kernels with runtime CPU dispatch.
//!
//! Every metric has an *internal distance* (lower = closer), which is what
//! the index compares, and a user-facing *score* ([`Metric::score`]):
//!
//! | metric      | internal distance            | score                      |
//! |-------------|------------------------------|----------------------------|
//! | `Cosine`    | `1 − a·b` (unit vectors)     | cosine similarity `1 − d`  |
//! | `Dot`       | `−a·b`                       | dot product `−d`           |
//! | `Euclidean` | `‖a − b‖²`                   | L2 distance `√max(d, 0)`   |
//! | `Hamming`   | number of differing positions | the same number           |
//! | `Jaccard`   | `1 − jaccard_similarity`     | Jaccard similarity `1 − d` |
//!
//! Cosine expects vectors already normalised to unit length ([`normalize`]);
//! the collection stores them that way and normalises queries.
//!
//! # Kernels and dispatch
//!
//! On x86_64 there are three kernel sets: AVX-512F (16 lanes), AVX2+FMA
//! (8 lanes) and portable scalar code ([`scalar`], written so LLVM
//! vectorises it with the baseline instruction set). The best set the CPU
//! supports is chosen once, on first use, and stored as plain function
//! pointers: [`Metric::distance_fn`] returns a pointer straight to the
//! kernel (e.g. `1 − dot` fused into one AVX-512 function), so there is no
//! feature check per call. [`kernel_name`] tells which set was picked. Other
//! architectures use the scalar set.
//!
//! The environment variable `QUIVER_SIMD` caps the level, which is useful
//! for tests and benchmarks: `QUIVER_SIMD=scalar`, `QUIVER_SIMD=avx2` or
//! `QUIVER_SIMD=avx512` (the default, same as unset, empty or `auto`).
//! A cap above what the CPU supports has no effect; an unrecognised value
//! is ignored. It is read once, at the first distance computation.
//!
//! # Lengths
//!
//! Both slices must have the same length; the engine validates dimensions
//! before it gets here. A mismatch trips a `debug_assert!`; in release
//! builds the kernels use the common prefix and never read out of bounds.

pub mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86;

use std::sync::OnceLock;

/// A distance function: lower means closer. The two slices must have the
/// same length.
pub type DistanceFn = fn(&[f32], &[f32]) -> f32;

/// A similarity or distance measure between vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Cosine similarity of unit-normalised vectors (score: higher is better).
    Cosine,
    /// Euclidean (L2) distance (score: lower is better).
    Euclidean,
    /// Dot (inner) product of the raw vectors (score: higher is better).
    Dot,
    /// Number of positions where the vectors differ (score: lower is better).
    Hamming,
    /// Jaccard similarity of the sets of non-zero positions (score: higher is
    /// better; `1.0` when both vectors are all zero).
    Jaccard,
}

impl Metric {
    /// All metrics, in declaration order.
    pub const ALL: [Metric; 5] = [
        Metric::Cosine,
        Metric::Euclidean,
        Metric::Dot,
        Metric::Hamming,
        Metric::Jaccard,
    ];

    /// The canonical lowercase name: `"cosine"`, `"euclidean"`, `"dot"`,
    /// `"hamming"` or `"jaccard"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Cosine => "cosine",
            Metric::Euclidean => "euclidean",
            Metric::Dot => "dot",
            Metric::Hamming => "hamming",
            Metric::Jaccard => "jaccard",
        }
    }

    /// Parses a name produced by [`Metric::as_str`] (ASCII case-insensitive);
    /// also accepts the aliases `"dot_product"` and `"l2"`.
    pub fn parse(s: &str) -> Option<Metric> {
        const NAMES: [(&str, Metric); 7] = [
            ("cosine", Metric::Cosine),
            ("euclidean", Metric::Euclidean),
            ("l2", Metric::Euclidean),
            ("dot", Metric::Dot),
            ("dot_product", Metric::Dot),
            ("hamming", Metric::Hamming),
            ("jaccard", Metric::Jaccard),
        ];
        NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|&(_, m)| m)
    }

    /// The internal distance function of this metric (lower = closer),
    /// already dispatched to the best kernel for this CPU.
    pub fn distance_fn(self) -> DistanceFn {
        kernels().distance_fn(self)
    }

    /// Converts an internal distance into the user-facing score: cosine
    /// similarity, dot product, L2 distance (not squared), number of
    /// differing positions or Jaccard similarity.
    #[inline]
    pub fn score(self, distance: f32) -> f32 {
        match self {
            Metric::Cosine | Metric::Jaccard => 1.0 - distance,
            Metric::Dot => -distance,
            Metric::Euclidean => distance.max(0.0).sqrt(),
            Metric::Hamming => distance,
        }
    }

    /// Whether a higher score means a better match (Cosine, Dot, Jaccard).
    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::Cosine | Metric::Dot | Metric::Jaccard)
    }

    /// Whether vectors must be normalised to unit length before they are
    /// stored or searched with (Cosine only).
    pub fn needs_normalization(self) -> bool {
        matches!(self, Metric::Cosine)
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Dot product `Σ a[i]·b[i]`, dispatched to the best kernel for this CPU.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    (kernels().dot)(a, b)
}

/// Squared Euclidean distance `Σ (a[i] − b[i])²`, dispatched to the best
/// kernel for this CPU.
#[inline]
pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
    (kernels().l2_squared)(a, b)
}

/// Number of positions where `a[i] != b[i]` (IEEE comparison: `-0.0` equals
/// `0.0`, NaN differs from everything), as an `f32`.
#[inline]
pub fn hamming(a: &[f32], b: &[f32]) -> f32 {
    (kernels().hamming)(a, b)
}

/// `|nz(a) ∩ nz(b)| / |nz(a) ∪ nz(b)|` where `nz(v)` is the set of
/// positions with `v[i] != 0.0`; `1.0` when both vectors are all zero.
#[inline]
pub fn jaccard_similarity(a: &[f32], b: &[f32]) -> f32 {
    (kernels().jaccard_similarity)(a, b)
}

/// Scales `v` to unit L2 norm. Returns `false`, leaving `v` untouched, when
/// the norm is zero or not finite (the vector contains NaN or infinity).
/// Vectors whose squared norm over- or underflows `f32` are still
/// normalised correctly.
pub fn normalize(v: &mut [f32]) -> bool {
    let sq = dot(v, v);
    if sq.is_finite() && sq >= f32::MIN_POSITIVE {
        let inv = 1.0 / sq.sqrt();
        v.iter_mut().for_each(|x| *x *= inv);
        return true;
    }
    // Zero, NaN/infinite elements, or a squared norm outside f32's normal
    // range: redo it in f64, which covers the square of every finite f32.
    let sq: f64 = v.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
    if !sq.is_finite() || sq == 0.0 {
        return false;
    }
    let inv = 1.0 / sq.sqrt();
    v.iter_mut().for_each(|x| *x = (f64::from(*x) * inv) as f32);
    true
}

/// The kernel level the dispatch picked.
pub(crate) fn level() -> Level {
    kernels().level
}

/// Which kernel set the dispatch picked: `"avx512"`, `"avx2+fma"` or
/// `"scalar"`.
pub fn kernel_name() -> &'static str {
    kernels().level.name()
}

// ---------------------------------------------------------------------------
// Dispatch
// ---------------------------------------------------------------------------

/// A kernel set, from slowest to fastest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// Portable code.
    Scalar,
    /// AVX2 + FMA, 8 lanes.
    Avx2,
    /// AVX-512F (+ POPCNT, which every AVX-512 CPU has), 16 lanes.
    Avx512,
}

impl Level {
    /// All levels, slowest first.
    pub(crate) const ALL: [Level; 3] = [Level::Scalar, Level::Avx2, Level::Avx512];

    /// The name [`kernel_name`] reports.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Level::Scalar => "scalar",
            Level::Avx2 => "avx2+fma",
            Level::Avx512 => "avx512",
        }
    }

    /// Parses a `QUIVER_SIMD` value; `None` means "no cap".
    fn parse_cap(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "scalar" | "none" => Some(Level::Scalar),
            "avx2" | "avx2+fma" => Some(Level::Avx2),
            "avx512" | "avx512f" | "avx-512" => Some(Level::Avx512),
            _ => None,
        }
    }
}

/// Whether this CPU can run the kernels of `level`.
pub(crate) fn level_supported(level: Level) -> bool {
    match level {
        Level::Scalar => true,
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("popcnt"),
        #[cfg(not(target_arch = "x86_64"))]
        Level::Avx2 | Level::Avx512 => false,
    }
}

/// The best level this CPU supports, at most `cap`.
fn best_level(cap: Option<Level>) -> Level {
    let cap = cap.unwrap_or(Level::Avx512);
    Level::ALL
        .into_iter()
        .rev()
        .find(|&l| l <= cap && level_supported(l))
        .unwrap_or(Level::Scalar)
}

/// The kernels of one level, as plain function pointers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Kernels {
    pub(crate) level: Level,
    pub(crate) dot: DistanceFn,
    pub(crate) l2_squared: DistanceFn,
    pub(crate) hamming: DistanceFn,
    pub(crate) jaccard_similarity: DistanceFn,
    /// `1 − dot`.
    pub(crate) cosine_distance: DistanceFn,
    /// `−dot`.
    pub(crate) neg_dot: DistanceFn,
    /// `1 − jaccard_similarity`.
    pub(crate) jaccard_distance: DistanceFn,
}

impl Kernels {
    /// The internal distance function of `metric` in this set.
    pub(crate) fn distance_fn(&self, metric: Metric) -> DistanceFn {
        match metric {
            Metric::Cosine => self.cosine_distance,
            Metric::Euclidean => self.l2_squared,
            Metric::Dot => self.neg_dot,
            Metric::Hamming => self.hamming,
            Metric::Jaccard => self.jaccard_distance,
        }
    }
}

fn cosine_scalar(a: &[f32], b: &[f32]) -> f32 {
    1.0 - scalar::dot(a, b)
}

fn neg_dot_scalar(a: &[f32], b: &[f32]) -> f32 {
    -scalar::dot(a, b)
}

fn jaccard_distance_scalar(a: &[f32], b: &[f32]) -> f32 {
    1.0 - scalar::jaccard_similarity(a, b)
}

static SCALAR: Kernels = Kernels {
    level: Level::Scalar,
    dot: scalar::dot,
    l2_squared: scalar::l2_squared,
    hamming: scalar::hamming,
    jaccard_similarity: scalar::jaccard_similarity,
    cosine_distance: cosine_scalar,
    neg_dot: neg_dot_scalar,
    jaccard_distance: jaccard_distance_scalar,
};

#[cfg(target_arch = "x86_64")]
static AVX2: Kernels = Kernels {
    level: Level::Avx2,
    dot: x86::dot_avx2,
    l2_squared: x86::l2_avx2,
    hamming: x86::hamming_avx2,
    jaccard_similarity: x86::jaccard_avx2,
    cosine_distance: x86::cosine_avx2,
    neg_dot: x86::neg_dot_avx2,
    jaccard_distance: x86::jaccard_dist_avx2,
};

#[cfg(target_arch = "x86_64")]
static AVX512: Kernels = Kernels {
    level: Level::Avx512,
    dot: x86::dot_avx512,
    l2_squared: x86::l2_avx512,
    hamming: x86::hamming_avx512,
    jaccard_similarity: x86::jaccard_avx512,
    cosine_distance: x86::cosine_avx512,
    neg_dot: x86::neg_dot_avx512,
    jaccard_distance: x86::jaccard_dist_avx512,
};

/// The kernel set of `level`, or `None` when this CPU cannot run it. This
/// check is what makes the safe SIMD wrappers sound: they are reachable
/// only through a table handed out here.
pub(crate) fn table(level: Level) -> Option<&'static Kernels> {
    if !level_supported(level) {
        return None;
    }
    match level {
        Level::Scalar => Some(&SCALAR),
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => Some(&AVX2),
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => Some(&AVX512),
        #[cfg(not(target_arch = "x86_64"))]
        Level::Avx2 | Level::Avx512 => None,
    }
}

static SELECTED: OnceLock<&'static Kernels> = OnceLock::new();

/// The kernel set in use (chosen on first call).
#[inline]
fn kernels() -> &'static Kernels {
    SELECTED.get_or_init(|| {
        let cap = std::env::var("QUIVER_SIMD")
            .ok()
            .and_then(|s| Level::parse_cap(&s));
        table(best_level(cap)).unwrap_or(&SCALAR)
    })
}

#[cfg(test)]
mod tests;
