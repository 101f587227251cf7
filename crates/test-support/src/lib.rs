//! Test helpers shared by ferrule's integration tests.
//!
//! [`FakeModelServer`] is an OpenAI-compatible or Anthropic model server on
//! `127.0.0.1:0`, run inside the test. Mount canned replies in the order the
//! requests will come; the server records every request and fails loudly
//! when a request breaks the provider's protocol (for example a tool result
//! that answers no earlier tool call): the request gets an HTTP 400 and the
//! server panics when dropped, listing what was wrong.
//!
//! ```
//! use ferrule_test_support::{FakeModelServer, openai};
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let server = FakeModelServer::openai().await?;
//! server.mount(openai::text_reply("Hello!"));
//! // point the client at server.base_url(), e.g. via OPENAI_BASE_URL ...
//! assert!(server.base_url().starts_with("http://127.0.0.1:"));
//! assert!(server.requests().is_empty());
//! # Ok::<(), std::io::Error>(())
//! # })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The `openai` and `anthropic` modules build replies: whole answers
//! (`text_reply`, and `openai::tool_calls_reply` / `anthropic::tool_use_reply`)
//! and the single stream frames they are made of, for tests that need an
//! unusual stream. [`Reply`] adds statuses, `Retry-After`, delays between
//! frames and stalls.

pub mod anthropic;
mod model_server;
pub mod openai;

pub use model_server::{FakeModelServer, Flavor, RecordedRequest, Reply, split_text};
