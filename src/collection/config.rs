//! Collection configuration: what a collection is, fixed at creation and
//! persisted in its manifest.

use crate::distance::Metric;
use crate::error::{Error, Result};
use crate::quant::{QuantizerConfig, StorageMode};

/// HNSW graph parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HnswConfig {
    /// Links per node on the upper layers; layer 0 keeps `2 * m`. Default 16, range 2..=128.
    pub m: usize,
    /// Candidate list size while building. Default 200, range 1..=10_000.
    pub ef_construction: usize,
    /// Default candidate list size while searching (raised to k when smaller). Default 64.
    pub ef_search: usize,
}

impl Default for HnswConfig {
    fn default() -> Self {
        HnswConfig {
            m: 16,
            ef_construction: 200,
            ef_search: 64,
        }
    }
}

/// What a collection stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CollectionKind {
    /// Points with a dense vector and an optional payload; searchable by vector.
    Vector,
    /// Points with a payload only (no vector); read by id, scroll and filter.
    MetadataOnly,
}

/// The configuration a collection is created with.
#[derive(Clone, Debug, PartialEq)]
pub struct CollectionConfig {
    /// Number of `f32` per vector (1..=65_536); 0 for metadata-only collections.
    pub dimension: usize,
    /// Distance metric; see [`Metric`] for the score convention of each.
    pub metric: Metric,
    /// HNSW parameters.
    pub hnsw: HnswConfig,
    /// Vector collection or metadata-only.
    pub kind: CollectionKind,
    /// How sealed segments store what searches walk (default f32).
    pub storage: StorageMode,
    /// Parameters of the trained quantizers (PQ's subspaces and
    /// centroids).
    pub quantizer: QuantizerConfig,
}

/// Largest dimension a collection may have.
pub const MAX_DIMENSION: usize = 65_536;

impl CollectionConfig {
    /// A vector collection of `dimension` floats with the default HNSW parameters.
    pub fn new(dimension: usize, metric: Metric) -> Self {
        CollectionConfig {
            dimension,
            metric,
            hnsw: HnswConfig::default(),
            kind: CollectionKind::Vector,
            storage: StorageMode::F32,
            quantizer: QuantizerConfig::default(),
        }
    }

    /// A metadata-only collection: payloads without vectors.
    pub fn metadata_only() -> Self {
        CollectionConfig {
            dimension: 0,
            metric: Metric::Cosine,
            hnsw: HnswConfig::default(),
            kind: CollectionKind::MetadataOnly,
            storage: StorageMode::F32,
            quantizer: QuantizerConfig::default(),
        }
    }

    /// Sets the HNSW parameters.
    pub fn with_hnsw(mut self, hnsw: HnswConfig) -> Self {
        self.hnsw = hnsw;
        self
    }

    /// This configuration with storage mode `storage`.
    pub fn with_storage(mut self, storage: StorageMode) -> Self {
        self.storage = storage;
        self
    }

    /// This configuration with quantizer parameters `quantizer`.
    pub fn with_quantizer(mut self, quantizer: QuantizerConfig) -> Self {
        self.quantizer = quantizer;
        self
    }

    /// Checks every field; the error says which one is out of range.
    pub fn validate(&self) -> Result<()> {
        match self.kind {
            CollectionKind::Vector => {
                if self.dimension == 0 || self.dimension > MAX_DIMENSION {
                    return Err(Error::invalid(format!(
                        "config.dimension is {}; it must be between 1 and {MAX_DIMENSION}",
                        self.dimension
                    )));
                }
            }
            CollectionKind::MetadataOnly => {
                if self.dimension != 0 {
                    return Err(Error::invalid(format!(
                        "config.dimension is {}; a metadata-only collection has dimension 0",
                        self.dimension
                    )));
                }
            }
        }
        if self.storage.quantized() {
            if self.kind == CollectionKind::MetadataOnly {
                return Err(Error::invalid(format!(
                    "config.storage is {}; a metadata-only collection has no vectors to quantize",
                    self.storage.as_str()
                )));
            }
            if !matches!(
                self.metric,
                Metric::Cosine | Metric::Dot | Metric::Euclidean
            ) {
                return Err(Error::invalid(format!(
                    "config.storage is {} with metric {}; {} works with cosine, dot and euclidean",
                    self.storage.as_str(),
                    self.metric.as_str(),
                    self.storage.as_str()
                )));
            }
        }
        // Checked in every mode (only PQ uses them), so that a bad value
        // is never silently kept.
        self.quantizer.validate(self.dimension, "config")?;
        let h = &self.hnsw;
        if !(2..=128).contains(&h.m) {
            return Err(Error::invalid(format!(
                "config.hnsw_m is {}; it must be between 2 and 128",
                h.m
            )));
        }
        if !(1..=10_000).contains(&h.ef_construction) {
            return Err(Error::invalid(format!(
                "config.hnsw_ef_construction is {}; it must be between 1 and 10000",
                h.ef_construction
            )));
        }
        if !(1..=10_000).contains(&h.ef_search) {
            return Err(Error::invalid(format!(
                "config.hnsw_ef_search is {}; it must be between 1 and 10000",
                h.ef_search
            )));
        }
        Ok(())
    }
}
