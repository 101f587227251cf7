//! Token counting and context compaction for the agent loop.
//!
//! - [`Encoding`] / [`ModelEncoding`]: the tokenizer per model family
//!   (tiktoken's `o200k_base` for gpt-4o, gpt-4.1, gpt-5 and the o-series,
//!   `cl100k_base` for gpt-4 and gpt-3.5, and `cl100k_base` as a documented
//!   approximation for Anthropic, Qwen, Llama and unknown models).
//! - [`TokenCounter`]: tokens of messages, blocks and tool schemas, with a
//!   per-message cache keyed by content hash so a turn costs only its new
//!   content.
//! - [`ModelLimits`] and [`Thresholds`]: context windows by family
//!   (overridable by `context.windows`), and the warning, auto-compact and
//!   blocking thresholds of cli-core.md §9.2 with
//!   `QODER_AUTOCOMPACT_WINDOW` / `QODER_AUTOCOMPACT_PCT_OVERRIDE`.
//! - [`stub_old_results`]: the cheap reduction — old, large tool results
//!   become stubs saying how to get them again.
//! - [`Compactor`]: the summary request and the new history (summary,
//!   pinned items, todo list, recent files, recent messages verbatim).
//! - [`Pinned`]: messages and files every compaction keeps
//!   (`context.pinnedFiles`, `/pin`).
//! - [`ContextManager`]: what the loop holds — `observe`, `usage_tokens`,
//!   `state`, `maybe_reduce`, `compact` (hooks and transcript included).
//!
//! How a loop uses it (the `loop_recipe` test runs exactly this):
//!
//! 1. Once per agent: [`ContextManager::from_settings`] (merged settings
//!    JSON, session env, cwd), then [`ContextManager::reset`] with a
//!    resumed history.
//! 2. Before every model request: [`ContextManager::set_model`],
//!    [`ContextManager::set_fixed`] (system prompt, tool specs),
//!    [`ContextManager::sync`] (history); if [`ContextManager::state`] is
//!    `Warning` or worse, [`ContextManager::maybe_reduce`]; if it is then
//!    `ShouldCompact` or `Blocked`, [`ContextManager::compact`] with
//!    trigger `auto`. A failed compaction leaves the history usable; only
//!    a context still `Blocked` must stop the run.
//! 3. After each answer is in the history: `sync`, then
//!    [`ContextManager::record_usage`] with its usage.
//! 4. `/compact [instructions]`: [`ContextManager::compact`] with trigger
//!    `manual`.
//!
//! Compaction rewrites the transcript's tail: the messages kept verbatim
//! are appended again after the boundary and get new entry uuids.
//!
//! ```
//! use std::path::Path;
//! use ferrule_context::{ContextManager, ContextSettings, ContextState, EnvOverrides};
//! use ferrule_protocol::Message;
//!
//! let mut context = ContextManager::new(
//!     "anthropic/claude-sonnet-4-5",
//!     &ContextSettings::default(),
//!     EnvOverrides::default(),
//!     Path::new("/project"),
//! );
//! context.observe(&Message::user("Add a --verbose flag to the CLI."));
//! assert_eq!(context.state(), ContextState::Fine);
//! let t = context.thresholds();
//! assert_eq!((t.effective_window, t.auto_compact, t.warning, t.blocking),
//!            (180_000, 167_000, 147_000, 177_000));
//! ```

mod compact;
mod count;
mod encoding;
mod error;
mod limits;
mod manager;
mod pinned;
mod record;
mod reduce;
mod settings;
mod summary;
mod threshold;

pub use compact::{Attachments, Compacted, Compactor, SUMMARY_PREFACE};
pub use count::{IMAGE_TOKENS, MESSAGE_OVERHEAD, TOOL_OVERHEAD, TokenCounter};
pub use encoding::{Encoding, ModelEncoding, model_id};
pub use error::{CompactError, ContextError};
pub use limits::{FALLBACK_MAX_OUTPUT, FALLBACK_WINDOW, ModelLimits};
pub use manager::{CompactRequest, ContextManager};
pub use pinned::{MAX_PINNED_FILE_BYTES, Pinned};
pub use record::{HookContext, post_compact, pre_compact, record_compaction};
pub use reduce::{ReducePolicy, Reduction, stub_old_results};
pub use settings::ContextSettings;
pub use summary::{SUMMARY_SYSTEM_PROMPT, last_todo_list, recent_files};
pub use threshold::{ContextState, EnvOverrides, PCT_ENV, Thresholds, WINDOW_ENV};
