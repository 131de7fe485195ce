//! The engine's integration tests: one test binary, one file per feature in
//! `tests/engine/`. Shared helpers live in `tests/common/` (`util.rs`: temp
//! dirs, RNG, brute force, the shared WordNet collection; `wordnet.rs`: the
//! sample loader; `torture.rs`: the kill -9 torture, shared with
//! `quiver-bench torture`).

mod common;

mod engine {
    mod bad_input;
    mod concurrency;
    mod crash_recovery;
    mod crud;
    mod defects;
    mod failure;
    mod field_index;
    mod filtered;
    mod graph;
    mod hybrid;
    mod payload_ops;
    mod persistence;
    mod quant_modes;
    mod quantized;
    mod recall;
    mod sparse;
    mod text;
    mod torture;
}
