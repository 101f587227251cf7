//! Integration tests of ferrule-tools: one module per tool under `suite/`,
//! run against real files in temporary directories.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test on a setup error"
)]

mod suite;
