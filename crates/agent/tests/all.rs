//! Integration tests of ferrule-agent: the loop against the scripted model
//! and the fake OpenAI/Anthropic servers on 127.0.0.1, with real tools,
//! shells, hooks and transcripts in temporary directories. One binary,
//! one module per topic under `suite/` (STYLE.md §6).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test on a setup error"
)]

mod suite;
