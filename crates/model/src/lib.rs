//! Language models for the agent loop: a streaming [`Model`] trait and its
//! providers.
//!
//! - [`OpenAiModel`]: OpenAI-compatible Chat Completions, streamed over SSE
//!   (OpenAI, Ollama, vLLM, llama.cpp ...), with tools and parallel calls.
//! - [`AnthropicModel`]: Anthropic Messages, streamed, with tool use and
//!   extended thinking.
//! - [`ScriptedModel`]: replays a [`Script`] file; no network. A
//!   [`Recorder`] around a real model writes such scripts.
//!
//! A model turns a [`ModelRequest`] into a stream of [`ModelEvent`]s: text
//! and thinking deltas, tool calls with their JSON arguments streamed in
//! pieces and then parsed, usage, the stop reason and the completed message.
//! HTTP failures are retried with backoff ([`HttpOptions`]); errors
//! ([`ModelError`]) name the URL, the status, the model and the variable to
//! set.
//!
//! Which model a session uses is decided by [`resolve_model`], a pure
//! function of the `--model` flag, the environment and the settings
//! (`ARCHITECTURE.md` §Models); [`PriceTable`] turns usage into cost.
//!
//! ```
//! use std::collections::BTreeMap;
//! use ferrule_model::{ModelEvent, ModelRequest, ModelSettings, HttpOptions, resolve_model};
//! use ferrule_protocol::Message;
//! use futures::StreamExt;
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let dir = tempfile::tempdir()?;
//! std::fs::write(
//!     dir.path().join("demo.json"),
//!     r#"{"turns": [{"blocks": [{"type": "text", "text": "Hello!"}]}]}"#,
//! )?;
//! let env = BTreeMap::from([("FERRULE_MODEL".to_owned(), "scripted/demo.json".to_owned())]);
//! let resolved = resolve_model(None, &env, &ModelSettings::default())?;
//! let model = resolved.build(dir.path(), HttpOptions::default())?;
//!
//! let request = ModelRequest::new(vec![Message::user("Hi")]);
//! let mut stream = model.stream(request, Default::default());
//! let mut text = String::new();
//! while let Some(event) = stream.next().await {
//!     if let ModelEvent::TextDelta { text: delta, .. } = event? {
//!         text.push_str(&delta);
//!     }
//! }
//! assert_eq!(text, "Hello!");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod anthropic;
mod arguments;
mod assemble;
mod effort;
mod error;
mod event;
mod model;
mod openai;
mod price;
mod recorder;
mod request;
mod resolve;
mod retry;
mod script;
mod scripted;
pub mod sse;
mod transport;

pub use anthropic::{
    ANTHROPIC_DEFAULT_BASE_URL, ANTHROPIC_VERSION, AnthropicModel, MessagesStreamDecoder,
};
pub use assemble::ResponseAssembler;
pub use effort::{EFFORT_LEVELS, UnknownEffort};
pub use error::ModelError;
pub use event::{ModelEvent, ModelStream};
pub use ferrule_tool::ToolSpec;
pub use model::Model;
pub use openai::{ChatStreamDecoder, OPENAI_DEFAULT_BASE_URL, OpenAiModel};
pub use price::{Price, PriceTable};
pub use recorder::Recorder;
pub use request::{DEFAULT_MAX_TOKENS, ModelRequest, Thinking, ToolChoice};
pub use resolve::{
    ModelName, ModelSettings, ModelSource, Provider, ProviderEndpoint, ResolveError, ResolvedModel,
    resolve_model,
};
pub use retry::{HttpOptions, parse_retry_after};
pub use script::{Script, ScriptError, ScriptTurn};
pub use scripted::ScriptedModel;
pub use tokio_util::sync::CancellationToken;
