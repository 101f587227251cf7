//! Integration tests of ferrule-session: real transcript files in temporary
//! user and project directories, one module per topic under `suite/`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test on a setup error"
)]

mod suite;
