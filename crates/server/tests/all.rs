//! Integration tests of ferrule-server on a real listener (reqwest against
//! 127.0.0.1) with a fake OpenAI-compatible model server, the binary's
//! process contract, the seed quickstart (curl) and the qca-sdk suite.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test on a setup error"
)]

mod suite;
