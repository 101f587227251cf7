//! Benchmarks of ferrule's hot paths, measured side by side with rg and fd.
//!
//! The `search` bench (`benches/search.rs`, run by `cargo xtask bench`)
//! times the in-process Grep and Glob engines against the rg and fd
//! processes on the corpora and query set of `shared/bench/README.md`.
//! This library holds what such a side-by-side run needs: where the
//! corpora and anchor binaries are, how a process is timed, how the runs
//! are interleaved, and how the table of ratios is written.

pub mod anchor;
pub mod corpus;
pub mod measure;
pub mod report;
