//! Quantized storage modes: compact codes of the vectors that the graph
//! walk scores on, with the original vectors kept on disk for exact
//! rescoring.
//!
//! A collection's [`StorageMode`] is fixed at creation. In a quantized mode
//! every sealed segment carries a codes file (`codes.qv`), trained and
//! written when the optimizer seals the segment and reloaded on open (a
//! missing or damaged one is rebuilt from the vectors and reported, like a
//! graph). Searches walk the graph on the codes, which are held resident in
//! huge-page memory; the best `k × oversampling` candidates are then
//! rescored on the original vectors (read from the mapped file, so they need
//! not stay in RAM), unless the caller turns rescoring off. The appendable
//! segment, small by construction, is always searched exactly.

pub mod binary;
pub mod half;
pub mod pq;
pub mod sq8;

use crate::distance::Metric;
use crate::error::{Error, Result};
use crate::index::hnsw::Scorer;

/// How a collection stores what its searches walk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StorageMode {
    /// The vectors as given (4 bytes per dimension), walked as they are.
    #[default]
    F32,
    /// One byte per dimension (per-dimension offset and step, trained per
    /// segment from its vectors) walked with integer kernels.
    Sq8,
    /// IEEE half precision, 2 bytes per dimension (11 significant bits,
    /// values up to 65,504).
    F16,
    /// bfloat16, 2 bytes per dimension (8 significant bits, f32's range).
    Bf16,
    /// One bit per dimension (sign around the segment's mean) plus two
    /// floats per vector.
    Binary,
    /// Product quantization: one byte per subspace
    /// ([`QuantizerConfig::pq_subspaces`]).
    Pq,
}

impl StorageMode {
    /// Every mode, in the order of their C constants.
    pub const ALL: [StorageMode; 6] = [
        StorageMode::F32,
        StorageMode::Sq8,
        StorageMode::F16,
        StorageMode::Bf16,
        StorageMode::Binary,
        StorageMode::Pq,
    ];

    /// The canonical name: `"f32"`, `"sq8"`, `"f16"`, `"bf16"`,
    /// `"binary"` or `"pq"`.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageMode::F32 => "f32",
            StorageMode::Sq8 => "sq8",
            StorageMode::F16 => "f16",
            StorageMode::Bf16 => "bf16",
            StorageMode::Binary => "binary",
            StorageMode::Pq => "pq",
        }
    }

    /// Parses [`StorageMode::as_str`] (case-insensitive).
    pub fn parse(s: &str) -> Option<StorageMode> {
        let s = s.trim();
        StorageMode::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }

    /// Whether the graph walks codes rather than the vectors.
    pub fn quantized(self) -> bool {
        self != StorageMode::F32
    }
}

/// The parameters of the trained quantizers (PQ's; the other modes train
/// nothing tunable). Persisted with the collection; changed by
/// [`crate::Collection::train_quantizer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantizerConfig {
    /// PQ subspaces `m` (bytes per code), dividing the dimension; 0 picks
    /// the largest divisor of the dimension not above `dimension / 8`.
    pub pq_subspaces: usize,
    /// PQ centroids per subspace `k`, 2 to 256 (default 256).
    pub pq_centroids: usize,
    /// k-means iterations, 1 to 100 (default 12).
    pub pq_iterations: usize,
}

impl Default for QuantizerConfig {
    fn default() -> Self {
        QuantizerConfig {
            pq_subspaces: 0,
            pq_centroids: 256,
            pq_iterations: pq::DEFAULT_ITERATIONS,
        }
    }
}

impl QuantizerConfig {
    /// The subspaces PQ uses for `dim` dimensions.
    pub fn subspaces(&self, dim: usize) -> usize {
        if self.pq_subspaces != 0 {
            return self.pq_subspaces;
        }
        let cap = (dim / 8).max(1);
        (1..=cap)
            .rev()
            .find(|&m| dim.is_multiple_of(m))
            .unwrap_or(1)
    }

    /// Checks the fields for vectors of `dim` dimensions; errors name the
    /// C fields (`prefix` is `config` or `params`).
    pub fn validate(&self, dim: usize, prefix: &str) -> Result<()> {
        let m = self.pq_subspaces;
        if m != 0 && (m > dim || !dim.is_multiple_of(m)) {
            return Err(Error::invalid(format!(
                "{prefix}.pq_subspaces is {m}; it must divide the dimension {dim} (or be 0 for the default)"
            )));
        }
        if !(2..=256).contains(&self.pq_centroids) {
            return Err(Error::invalid(format!(
                "{prefix}.pq_centroids is {}; it must be between 2 and 256",
                self.pq_centroids
            )));
        }
        if !(1..=100).contains(&self.pq_iterations) {
            return Err(Error::invalid(format!(
                "{prefix}.pq_iterations is {}; it must be between 1 and 100",
                self.pq_iterations
            )));
        }
        Ok(())
    }
}

/// Whether a codes kernel named `name` (`"scalar"`, `"avx2…"`,
/// `"avx512…"`) runs under the kernel level [`crate::distance`] picked
/// (the CPU's best, capped by `QUIVER_SIMD`).
pub(crate) fn kernel_allowed(name: &str) -> bool {
    use crate::distance::Level;
    let needs = if name.starts_with("avx512") {
        Level::Avx512
    } else if name.starts_with("avx2") {
        Level::Avx2
    } else {
        Level::Scalar
    };
    needs <= crate::distance::level()
}

// ------------------------------------------------------- the codes file

/// Bytes of the header every codes layout starts with: layout, dim, n.
pub(crate) const HEADER: usize = 16;
pub(crate) const LAYOUT_SQ8: u32 = 1;
pub(crate) const LAYOUT_F16: u32 = 2;
pub(crate) const LAYOUT_BF16: u32 = 3;
pub(crate) const LAYOUT_BINARY: u32 = 4;
pub(crate) const LAYOUT_PQ: u32 = 5;

pub(crate) fn header(layout: u32, dim: usize, n: usize) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    h[..4].copy_from_slice(&layout.to_le_bytes());
    h[4..8].copy_from_slice(&(dim as u32).to_le_bytes());
    h[8..].copy_from_slice(&(n as u64).to_le_bytes());
    h
}

/// Checks the length and the header of a codes file's data.
pub(crate) fn parse_header(
    bytes: &[u8],
    layout: u32,
    dim: usize,
    n: usize,
    len: usize,
    name: &str,
) -> Result<()> {
    if bytes.len() != len {
        return Err(Error::corrupt(format!(
            "{name}: {} bytes of codes, expected {len} for {n} points of {dim} dimensions",
            bytes.len()
        )));
    }
    let l = u32::from_le_bytes(bytes[0..4].try_into().expect("4 bytes"));
    let d = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")) as usize;
    let rows = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes")) as usize;
    if l != layout || d != dim || rows != n {
        return Err(Error::corrupt(format!(
            "{name}: codes of layout {l} for {rows} x {d}, expected layout {layout} for {n} x {dim}"
        )));
    }
    Ok(())
}

/// `b` as floats. `b` must start 4-byte aligned and hold whole floats.
pub(crate) fn f32s(b: &[u8]) -> &[f32] {
    assert!(
        (b.as_ptr() as usize).is_multiple_of(4) && b.len().is_multiple_of(4),
        "float bytes must be 4-byte aligned"
    );
    // SAFETY: aligned (checked), `len / 4` whole floats, any bits are an f32.
    unsafe { std::slice::from_raw_parts(b.as_ptr().cast::<f32>(), b.len() / 4) }
}

/// A segment's trained quantizer, whichever the mode.
#[derive(Clone, Debug, PartialEq)]
pub enum Quantizer {
    /// SQ8.
    Sq8(sq8::Sq8),
    /// f16 or bf16.
    Half(half::Half),
    /// Binary.
    Binary(binary::Binary),
    /// Product quantization.
    Pq(pq::Pq),
}

/// How far training got, for [`Quantizer::train`]: called with (steps
/// done, steps); returning `false` asks it to stop.
pub type Progress<'a> = pq::Progress<'a>;

impl Quantizer {
    /// Trains the quantizer of quantized `mode` on `n` rows of `dim`
    /// (`qc` gives PQ's parameters). `None` when `progress` asked to stop.
    pub fn train<'a>(
        mode: StorageMode,
        qc: &QuantizerConfig,
        dim: usize,
        n: usize,
        row: &(dyn Fn(usize) -> &'a [f32] + Sync),
        progress: Progress<'_>,
    ) -> Option<Quantizer> {
        debug_assert!(mode.quantized());
        Some(match mode {
            StorageMode::F32 | StorageMode::Sq8 => {
                Quantizer::Sq8(sq8::Sq8::train(dim, (0..n).map(row)))
            }
            StorageMode::F16 => Quantizer::Half(half::Half::new(half::Format::F16, dim)),
            StorageMode::Bf16 => Quantizer::Half(half::Half::new(half::Format::Bf16, dim)),
            StorageMode::Binary => Quantizer::Binary(binary::Binary::train(dim, n, row)),
            StorageMode::Pq => Quantizer::Pq(pq::Pq::train(
                dim,
                qc.subspaces(dim),
                qc.pq_centroids,
                qc.pq_iterations,
                n,
                row,
                progress,
            )?),
        })
    }

    /// Training steps [`Quantizer::train`] reports for `mode`.
    pub fn train_steps(mode: StorageMode, qc: &QuantizerConfig, dim: usize) -> u64 {
        match mode {
            StorageMode::Pq => qc.subspaces(dim) as u64,
            _ => 1,
        }
    }

    /// Encodes `n` rows: the codes file's data.
    pub fn write<'a>(&self, n: usize, row: &(dyn Fn(usize) -> &'a [f32] + Sync)) -> Vec<u8> {
        match self {
            Quantizer::Sq8(q) => q.write(n, row),
            Quantizer::Half(q) => q.write(n, row),
            Quantizer::Binary(q) => q.write(n, row),
            Quantizer::Pq(q) => q.write(n, row),
        }
    }

    /// Checks a codes file's data of `mode` for `n` rows of `dim`.
    pub fn parse(
        mode: StorageMode,
        bytes: &[u8],
        dim: usize,
        n: usize,
        name: &str,
    ) -> Result<Quantizer> {
        Ok(match mode {
            StorageMode::F32 | StorageMode::Sq8 => {
                Quantizer::Sq8(sq8::Sq8::parse(bytes, dim, n, name)?)
            }
            StorageMode::F16 => {
                Quantizer::Half(half::Half::parse(half::Format::F16, bytes, dim, n, name)?)
            }
            StorageMode::Bf16 => {
                Quantizer::Half(half::Half::parse(half::Format::Bf16, bytes, dim, n, name)?)
            }
            StorageMode::Binary => Quantizer::Binary(binary::Binary::parse(bytes, dim, n, name)?),
            StorageMode::Pq => Quantizer::Pq(pq::Pq::parse(bytes, dim, n, name)?),
        })
    }

    /// A scorer of the `n` codes in `bytes` (the data this quantizer was
    /// parsed from, or an aligned copy) against `q` under `metric`.
    pub fn scorer<'a>(
        &'a self,
        bytes: &'a [u8],
        n: usize,
        q: &[f32],
        metric: Metric,
    ) -> CodeScorer<'a> {
        match self {
            Quantizer::Sq8(s) => CodeScorer::Sq8(sq8::Codes::view(s, bytes, n).scorer(q, metric)),
            Quantizer::Half(h) => CodeScorer::Half(h.scorer(bytes, n, q, metric)),
            Quantizer::Binary(b) => CodeScorer::Binary(b.scorer(bytes, n, q, metric)),
            Quantizer::Pq(p) => CodeScorer::Pq(p.scorer(bytes, n, q, metric)),
        }
    }
}

/// Distances estimated on a segment's codes for one query.
pub enum CodeScorer<'a> {
    /// SQ8.
    Sq8(sq8::Sq8Scorer<'a>),
    /// f16 or bf16.
    Half(half::HalfScorer<'a>),
    /// Binary.
    Binary(binary::BinaryScorer<'a>),
    /// Product quantization.
    Pq(pq::PqScorer<'a>),
}

impl Scorer for CodeScorer<'_> {
    #[inline]
    fn dist(&self, id: u32) -> f32 {
        match self {
            CodeScorer::Sq8(s) => s.dist(id),
            CodeScorer::Half(s) => s.dist(id),
            CodeScorer::Binary(s) => s.dist(id),
            CodeScorer::Pq(s) => s.dist(id),
        }
    }

    #[inline]
    fn prefetch(&self, id: u32) {
        match self {
            CodeScorer::Sq8(s) => s.prefetch(id),
            CodeScorer::Half(s) => s.prefetch(id),
            CodeScorer::Binary(s) => s.prefetch(id),
            CodeScorer::Pq(s) => s.prefetch(id),
        }
    }
}

impl StorageMode {
    /// Default of [`crate::SearchParams::oversampling`] in this mode for
    /// vectors of `dim` dimensions: the walk keeps `k × this` candidates
    /// for rescoring. The coarser the codes, the more: measured on the
    /// 384-d WordNet data, recall@10 0.965 with binary or PQ48 codes at 4,
    /// 0.98 at 6. One-bit codes of few dimensions estimate worse (the
    /// error shrinks as 1/√dim), so binary keeps 10 below 256 dimensions.
    pub fn default_oversampling(self, dim: usize) -> f32 {
        match self {
            StorageMode::F32 => 1.0,
            StorageMode::F16 | StorageMode::Bf16 => 2.0,
            StorageMode::Sq8 => 3.0,
            StorageMode::Pq => 5.0,
            StorageMode::Binary if dim >= 256 => 5.0,
            StorageMode::Binary => 10.0,
        }
    }
}

/// Largest accepted oversampling.
pub const MAX_OVERSAMPLING: f32 = 100.0;
