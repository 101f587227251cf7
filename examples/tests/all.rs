//! Runs the examples and checks what they print.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test on a setup error"
)]

mod suite;
