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

pub mod sq8;

/// How a collection stores what its searches walk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StorageMode {
    /// The vectors as given (4 bytes per dimension), walked as they are.
    #[default]
    F32,
    /// One byte per dimension (per-dimension offset and step, trained per
    /// segment from its vectors) walked with integer kernels, plus the
    /// originals on disk for rescoring. Metrics cosine, dot and euclidean.
    Sq8,
}

impl StorageMode {
    /// The canonical name: `"f32"` or `"sq8"`.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageMode::F32 => "f32",
            StorageMode::Sq8 => "sq8",
        }
    }

    /// Parses [`StorageMode::as_str`] (case-insensitive).
    pub fn parse(s: &str) -> Option<StorageMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "f32" => Some(StorageMode::F32),
            "sq8" => Some(StorageMode::Sq8),
            _ => None,
        }
    }

    /// Whether the graph walks codes rather than the vectors.
    pub fn quantized(self) -> bool {
        self != StorageMode::F32
    }
}

/// Default of [`crate::SearchParams::oversampling`] in quantized modes:
/// the walk keeps `k × 3` candidates for rescoring (measured on the WordNet
/// data: see the closing note of the quantization issue).
pub const DEFAULT_OVERSAMPLING: f32 = 3.0;

/// Largest accepted oversampling.
pub const MAX_OVERSAMPLING: f32 = 100.0;
