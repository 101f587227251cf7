//! What hosts call about the context: `/compact`, pins, and the usage
//! report (`get_context_usage`).

use std::path::{Path, PathBuf};

use ferrule_context::{CompactError, Compacted, ContextState};
use ferrule_protocol::sdk::CompactTrigger;
use ferrule_session::{Persistence, SessionError, load_transcript};
use serde_json::{Value, json};

use crate::agent::Agent;
use crate::context::{LoopContext, RunParts, compact, default_manager};
use crate::events::{Emitter, EventSink};

/// Why a message could not be pinned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PinError {
    /// Messages are found by their transcript entry, and this agent writes
    /// no transcript (none given, or persistence off).
    #[error("cannot pin message {uuid}: the session has no transcript on disk to find it in")]
    NoTranscript {
        /// The uuid asked for.
        uuid: String,
    },
    /// No user or assistant entry has this uuid.
    #[error("cannot pin message {uuid}: no user or assistant entry of {path} has this uuid")]
    UnknownMessage {
        /// The uuid asked for.
        uuid: String,
        /// The transcript searched.
        path: PathBuf,
    },
    /// The transcript could not be read, or the entry holds no valid message.
    #[error("cannot pin message {uuid}: {message}")]
    Transcript {
        /// The uuid asked for.
        uuid: String,
        /// What failed.
        message: String,
    },
}

/// How full the context is, for `get_context_usage` and status lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextUsage {
    /// The model (`provider/model`).
    pub model: String,
    /// Tokens the next request would hold (the provider's figure when it
    /// reported one, else the estimate).
    pub used_tokens: u64,
    /// The model's context window.
    pub context_window: u64,
    /// The window minus the output reserve: what percentages refer to.
    pub effective_window: u64,
    /// `used_tokens` as a percentage of `effective_window`.
    pub used_percentage: u8,
    /// Tokens of the system prompt (estimate).
    pub system_tokens: u64,
    /// Tokens of the tool schemas (estimate).
    pub tool_tokens: u64,
    /// Whether automatic compaction is on.
    pub auto_compact: bool,
    /// Automatic compaction starts at this many tokens.
    pub auto_compact_tokens: u64,
    /// The state against the thresholds.
    pub state: ContextState,
    /// Messages in the history.
    pub message_count: usize,
}

impl ContextUsage {
    /// The part of the SDK's `get_context_usage` answer this crate knows:
    /// `model`, `contextWindow`, `categories` (system prompt, tools,
    /// messages) and `autoCompact`.
    pub fn to_sdk_value(&self) -> Value {
        let percent = |tokens: u64| -> u64 {
            (tokens * 100)
                .checked_div(self.effective_window)
                .unwrap_or(100)
                .min(100)
        };
        let messages = self
            .used_tokens
            .saturating_sub(self.system_tokens + self.tool_tokens);
        json!({
            "model": self.model,
            "contextWindow": {
                "usedPercentage": self.used_percentage,
                "usedTokens": self.used_tokens,
                "totalTokens": self.effective_window,
            },
            "categories": [
                {"type": "system_prompt", "tokens": self.system_tokens, "percentage": percent(self.system_tokens)},
                {"type": "tools", "tokens": self.tool_tokens, "percentage": percent(self.tool_tokens)},
                {"type": "messages", "tokens": messages, "percentage": percent(messages)},
            ],
            "autoCompact": {
                "enabled": self.auto_compact,
                "thresholdPercentage": percent(self.auto_compact_tokens),
            },
        })
    }
}

impl Agent {
    fn loop_context(&mut self) -> &mut LoopContext {
        let core = &self.core;
        self.context
            .get_or_insert_with(|| LoopContext::new(default_manager(core)))
    }

    /// Compacts the conversation now (`/compact [instructions]`): the
    /// session model summarizes the older part, `instructions` added to
    /// its prompt. Emits `CompactionStarted` / `Compacted` to `sink`, fires
    /// PreCompact (which may block it), PostCompact and SessionStart
    /// (`compact`), and records the compaction in the transcript.
    /// [`crate::AgentControls::interrupt`] cancels it.
    ///
    /// # Errors
    /// See [`CompactError`]; the conversation is unchanged then.
    pub async fn compact(
        &mut self,
        instructions: Option<&str>,
        sink: &dyn EventSink,
    ) -> Result<Compacted, CompactError> {
        let cancel = tokio_util::sync::CancellationToken::new();
        if !self.scope.is_subagent() {
            *crate::core::lock(&self.core.run_cancel) = cancel.clone();
        }
        let system = self.system_prompt.render();
        let model = self.core.model();
        let mut context = self
            .context
            .take()
            .unwrap_or_else(|| LoopContext::new(default_manager(&self.core)));
        context.count(model.name(), &system, &self.tools, &self.messages);
        let parts = RunParts {
            core: &self.core,
            tools: &self.tools,
            scope: &self.scope,
            emitter: Emitter {
                sink,
                session_id: &self.core.session_id,
                parent_tool_use_id: self.scope.parent_tool_use_id.as_deref(),
            },
            cancel: &cancel,
            user_message_uuid: "",
        };
        let instructions = instructions.map(str::trim).filter(|s| !s.is_empty());
        let result = compact(
            &mut context,
            &parts,
            model.as_ref(),
            &mut self.messages,
            &mut self.transcript,
            CompactTrigger::Manual,
            instructions,
        )
        .await;
        self.context = Some(context);
        result
    }

    /// Pins a message of this session, by the uuid of its transcript entry
    /// (the `uuid` of its `MessageComplete` event, or
    /// [`crate::TurnResult::user_message_uuid`]): every compaction keeps it
    /// verbatim and the cheap reduction never stubs it.
    ///
    /// # Errors
    /// When the agent writes no transcript, or no entry has this uuid.
    pub fn pin_message(&mut self, uuid: &str) -> Result<(), PinError> {
        let transcript = self
            .transcript
            .as_ref()
            .filter(|t| t.persistence() == Persistence::Enabled)
            .ok_or_else(|| PinError::NoTranscript {
                uuid: uuid.to_owned(),
            })?;
        let path = transcript.path().to_path_buf();
        let loaded =
            load_transcript(&path).map_err(|error: SessionError| PinError::Transcript {
                uuid: uuid.to_owned(),
                message: error.to_string(),
            })?;
        let message = loaded
            .entries
            .iter()
            .rev()
            .filter(|e| e.entry.uuid.as_deref() == Some(uuid))
            .find_map(|e| e.entry.to_message())
            .ok_or_else(|| PinError::UnknownMessage {
                uuid: uuid.to_owned(),
                path: path.clone(),
            })?
            .map_err(|error| PinError::Transcript {
                uuid: uuid.to_owned(),
                message: format!(
                    "its entry in {} is not a valid message: {error}",
                    path.display()
                ),
            })?;
        self.loop_context()
            .manager
            .pinned_mut()
            .pin_message(uuid, message);
        Ok(())
    }

    /// Unpins a message; whether it was pinned.
    pub fn unpin_message(&mut self, uuid: &str) -> bool {
        self.loop_context().manager.pinned_mut().unpin_message(uuid)
    }

    /// Pins a file (relative paths are taken from the working directory):
    /// every compaction re-attaches its current content, and the cheap
    /// reduction never stubs results about it.
    pub fn pin_file(&mut self, path: impl AsRef<Path>) {
        let path = self.core.cwd.join(path.as_ref());
        self.loop_context().manager.pinned_mut().pin_file(path);
    }

    /// Unpins a file; whether it was pinned.
    pub fn unpin_file(&mut self, path: impl AsRef<Path>) -> bool {
        let path = self.core.cwd.join(path.as_ref());
        self.loop_context().manager.pinned_mut().unpin_file(&path)
    }

    /// The pinned messages and files.
    pub fn pinned(&mut self) -> &ferrule_context::Pinned {
        self.loop_context().manager.pinned()
    }

    /// How full the context is now (counted as the next request would
    /// send it).
    pub fn context_usage(&mut self) -> ContextUsage {
        let system = self.system_prompt.render();
        let model = self.core.model();
        let specs = self.tools.specs();
        let core = &self.core;
        let context = self
            .context
            .get_or_insert_with(|| LoopContext::new(default_manager(core)));
        context.count(model.name(), &system, &self.tools, &self.messages);
        let manager = &context.manager;
        let thresholds = manager.thresholds();
        ContextUsage {
            model: model.name().to_owned(),
            used_tokens: manager.usage_tokens(),
            context_window: manager.limits().context_window,
            effective_window: thresholds.effective_window,
            used_percentage: manager.percent_used(),
            system_tokens: manager.counter().count_text(&system) as u64,
            tool_tokens: manager.counter().count_tools(&specs) as u64,
            auto_compact: manager.auto_compact(),
            auto_compact_tokens: thresholds.auto_compact,
            state: manager.state(),
            message_count: self.messages.len(),
        }
    }

    /// Sets the context window of the session's model to `tokens` for the
    /// rest of the session (`/context-window`); auto-compaction thresholds
    /// follow from the next request on.
    pub fn set_context_window(&mut self, tokens: u64) {
        self.loop_context().manager.set_window(tokens);
    }

    /// The context manager (counts, thresholds, pins), when the agent has
    /// made one (it does at its first request).
    pub fn context_manager(&self) -> Option<&ferrule_context::ContextManager> {
        self.context.as_ref().map(|c| &c.manager)
    }
}
