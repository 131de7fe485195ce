//! Helpers shared by the integration tests (`mod common;` in a tests/*.rs file).

pub mod wordnet;

// Engine test helpers (temp dirs, RNG, brute force, shared WordNet collection).
pub mod util;

// A collection with every kind of segments-engine file, and file editing helpers.
pub mod segmented;

// The kill -9 torture (also used by `quiver-bench torture`).
pub mod torture;
