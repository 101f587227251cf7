//! The context in the loop (ferrule-context): before every model request
//! the history is counted, reduced when past the warning threshold and
//! compacted when past the compaction threshold; after every answer the
//! provider's usage corrects the count. [`crate::Agent::compact`] runs the
//! same compaction on request (`/compact`).
//!
//! A compaction emits `CompactionStarted` then `Compacted`, fires
//! PreCompact / PostCompact (through ferrule-context) and then SessionStart
//! with source `compact`, whose additional context is appended to the new
//! history. A failed automatic compaction is reported as an `Error` event
//! and not tried again in the same run (unless the context reaches the
//! blocking limit); the run goes on with the history as it was, and stops
//! only when the context is past the blocking limit and still cannot be
//! compacted.

use std::sync::Arc;

use ferrule_context::{
    CompactError, CompactRequest, Compacted, ContextManager, ContextState, EnvOverrides,
    HookContext,
};
use ferrule_hooks::{EventPayload, SessionSource, SessionStartInput};
use ferrule_model::Model;
use ferrule_protocol::sdk::CompactTrigger;
use ferrule_protocol::{
    AgentError, AgentErrorKind, AgentEvent, ContentBlock, Message, MessageContent, Usage,
};
use ferrule_session::{Entry, Transcript};
use ferrule_tool::ToolRegistry;
use tokio_util::sync::CancellationToken;

use crate::agent::Scope;
use crate::core::Core;
use crate::events::{Emitter, new_uuid};
use crate::prompt::SystemPrompt;
use crate::turn::Turn;

/// The context state an agent keeps between requests and runs.
#[derive(Debug, Clone)]
pub(crate) struct LoopContext {
    pub(crate) manager: ContextManager,
    /// The user message whose run saw an automatic compaction fail; it is
    /// not tried again in that run before the blocking limit.
    auto_failed_in: Option<String>,
}

/// The parts of a run a compaction uses.
pub(crate) struct RunParts<'a> {
    pub(crate) core: &'a Arc<Core>,
    pub(crate) tools: &'a ToolRegistry,
    pub(crate) scope: &'a Scope,
    pub(crate) emitter: Emitter<'a>,
    pub(crate) cancel: &'a CancellationToken,
    pub(crate) user_message_uuid: &'a str,
}

impl RunParts<'_> {
    fn turn<'b>(&'b self, transcript: Option<&'b Transcript>) -> Turn<'b> {
        Turn {
            core: self.core,
            tools: self.tools,
            emitter: self.emitter,
            cancel: self.cancel.clone(),
            user_message_uuid: self.user_message_uuid.to_owned(),
            scope: self.scope,
            transcript,
            request: None,
        }
    }
}

/// The manager an agent gets when the host gave none: the model's
/// built-in limits, default settings, and `QODER_AUTOCOMPACT_*` from the
/// agent's environment (a bad value is logged and ignored).
pub(crate) fn default_manager(core: &Core) -> ContextManager {
    let env = EnvOverrides::from_env(&core.env).unwrap_or_else(|error| {
        tracing::warn!(%error, "ignoring the auto-compact environment override");
        EnvOverrides::default()
    });
    ContextManager::new(
        core.model().name(),
        &ferrule_context::ContextSettings::default(),
        env,
        &core.cwd,
    )
}

impl LoopContext {
    pub(crate) fn new(manager: ContextManager) -> Self {
        Self {
            manager,
            auto_failed_in: None,
        }
    }

    /// Brings the count up to date with what a request would send (the
    /// system prompt, the tool schemas, `messages`).
    pub(crate) fn count(
        &mut self,
        model: &str,
        system: &str,
        tools: &ToolRegistry,
        messages: &[Message],
    ) {
        self.manager.set_model(model);
        self.manager.set_fixed(Some(system), &tools.specs());
        self.manager.sync(messages);
    }

    /// Before a model request: count, reduce, compact when needed.
    ///
    /// # Errors
    /// When the context is still past the blocking limit: the run must
    /// stop rather than send a request the model cannot take.
    pub(crate) async fn before_request(
        &mut self,
        parts: &RunParts<'_>,
        system: &SystemPrompt,
        messages: &mut Vec<Message>,
        transcript: &mut Option<Transcript>,
    ) -> Result<(), AgentError> {
        let model = parts.core.model();
        let specs = parts.tools.specs();
        let (mut state, reduction) =
            self.manager
                .prepare(model.name(), Some(&system.render()), &specs, messages);
        if reduction.is_some() {
            // Stubbed results left the conversation: the next Read of
            // those files must show their content again.
            ferrule_tools::forget_reads(&parts.core.file_state);
        }
        let mut failure = None;
        if state >= ContextState::ShouldCompact
            && self.manager.auto_compact()
            && (state == ContextState::Blocked
                || self.auto_failed_in.as_deref() != Some(parts.user_message_uuid))
        {
            match compact(
                self,
                parts,
                model.as_ref(),
                messages,
                transcript,
                CompactTrigger::Auto,
                None,
            )
            .await
            {
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "automatic compaction failed; going on uncompacted");
                    if !parts.cancel.is_cancelled() {
                        parts.emitter.emit(AgentEvent::Error {
                            error: AgentError {
                                kind: AgentErrorKind::Other,
                                message: format!("Automatic compaction failed: {error}"),
                                status: None,
                            },
                        });
                    }
                    self.auto_failed_in = Some(parts.user_message_uuid.to_owned());
                    failure = Some(error.to_string());
                }
            }
            state = self.manager.state();
        }
        if state == ContextState::Blocked {
            let thresholds = self.manager.thresholds();
            let why = match failure {
                Some(failure) => format!(" ({failure})"),
                None if !self.manager.auto_compact() => " (automatic compaction is off)".to_owned(),
                None => String::new(),
            };
            return Err(AgentError {
                kind: AgentErrorKind::InvalidRequest,
                message: format!(
                    "The conversation holds about {} tokens, more than {} can take (limit {}), and it could not be compacted{why}. Run /compact or start a new session.",
                    self.manager.usage_tokens(),
                    model.name(),
                    thresholds.blocking,
                ),
                status: None,
            });
        }
        Ok(())
    }

    /// After an answer is in `messages`: count it, then take its usage.
    pub(crate) fn after_answer(&mut self, messages: &[Message], usage: Option<&Usage>) {
        self.manager.sync(messages);
        if let Some(usage) = usage {
            self.manager.record_usage(usage);
        }
    }
}

/// One compaction of `messages` with `model`, with its events, hooks and
/// transcript records. On error nothing changed.
pub(crate) async fn compact(
    context: &mut LoopContext,
    parts: &RunParts<'_>,
    model: &dyn Model,
    messages: &mut Vec<Message>,
    transcript: &mut Option<Transcript>,
    trigger: CompactTrigger,
    instructions: Option<&str>,
) -> Result<Compacted, CompactError> {
    if messages.is_empty() {
        return Err(CompactError::Empty);
    }
    parts.emitter.emit(AgentEvent::CompactionStarted {
        trigger: trigger.clone(),
    });
    let hooks = parts.core.live.hooks().map(|dispatcher| HookContext {
        dispatcher,
        common: parts.turn(transcript.as_ref()).common_fields(),
    });
    context.manager.compactor.cancel = parts.cancel.child_token();
    let compacted = context
        .manager
        .compact(
            model,
            messages,
            CompactRequest {
                trigger: trigger.clone(),
                instructions,
                hooks: hooks.as_ref(),
                transcript: transcript.as_mut(),
            },
        )
        .await?;
    // Earlier Read results are gone from the conversation.
    ferrule_tools::forget_reads(&parts.core.file_state);
    let outcome = parts
        .turn(transcript.as_ref())
        .fire(EventPayload::SessionStart(SessionStartInput {
            source: SessionSource::Compact,
            model: model.name().to_owned(),
        }))
        .await;
    if let Some(outcome) = outcome
        && !outcome.additional_context.is_empty()
    {
        let user = Message::user(MessageContent::Blocks(
            outcome
                .additional_context
                .into_iter()
                .map(ContentBlock::text)
                .collect(),
        ));
        if let Some(transcript) = transcript {
            let mut entry = Entry::user(&user);
            entry.uuid = Some(new_uuid());
            if let Err(error) = transcript.append(entry) {
                tracing::warn!(%error, "cannot write the SessionStart context to the transcript");
            }
        }
        messages.push(user);
        context.manager.sync(messages);
    }
    parts.emitter.emit(AgentEvent::Compacted {
        trigger,
        pre_tokens: compacted.pre_tokens,
        post_tokens: Some(context.manager.usage_tokens()),
    });
    Ok(compacted)
}
