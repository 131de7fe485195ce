//! Helpers shared by the integration tests (`mod common;` in a tests/*.rs file).

pub mod wordnet;

// Engine test helpers (temp dirs, RNG, brute force, shared WordNet collection).
pub mod util;
