//! Integration tests of ferrule-protocol: one binary, modules under `suite/`.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns; a panic is a test failure"
)]

mod suite;
