//! Integration tests of ferrule-tool: one module per concern under `suite/`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test on a setup error"
)]

mod suite;
