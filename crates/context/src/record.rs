//! What surrounds a compaction in a session: the PreCompact / PostCompact
//! hooks and the transcript entries that let a resumed session start from
//! the summary.

use std::sync::Arc;

use ferrule_hooks::{
    CommonFields, Dispatcher, EventPayload, HookInput, PostCompactInput, PreCompactInput,
};
use ferrule_protocol::sdk::CompactTrigger;
use ferrule_protocol::{AssistantMessage, Message, MessageContent, Role};
use ferrule_session::{Entry, SessionError, Transcript};
use serde_json::json;

use crate::compact::Compacted;
use crate::error::CompactError;

/// The hooks of a session and the common fields of their input.
#[derive(Clone)]
pub struct HookContext {
    /// The session's hook dispatcher.
    pub dispatcher: Arc<Dispatcher>,
    /// `session_id`, `transcript_path`, `cwd`, `permission_mode` ...
    pub common: CommonFields,
}

impl std::fmt::Debug for HookContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookContext")
            .field("common", &self.common)
            .finish_non_exhaustive()
    }
}

fn hook_trigger(trigger: &CompactTrigger) -> ferrule_hooks::CompactTrigger {
    match trigger {
        CompactTrigger::Auto => ferrule_hooks::CompactTrigger::Auto,
        _ => ferrule_hooks::CompactTrigger::Manual,
    }
}

/// Fires PreCompact.
///
/// # Errors
/// [`CompactError::Blocked`] when a hook blocks (exit code 2, or
/// `decision: "block"`): the compaction must not run.
pub async fn pre_compact(
    hooks: &HookContext,
    trigger: &CompactTrigger,
    instructions: Option<&str>,
) -> Result<(), CompactError> {
    let input = HookInput::new(
        hooks.common.clone(),
        EventPayload::PreCompact(PreCompactInput {
            trigger: hook_trigger(trigger),
            custom_instructions: instructions.unwrap_or_default().to_owned(),
        }),
    );
    let dispatch = hooks.dispatcher.dispatch(&input).await;
    match dispatch.outcome.block_reason() {
        Some(reason) => Err(CompactError::Blocked { reason }),
        None => Ok(()),
    }
}

/// Fires PostCompact with the summary. Its outcome has no effect on the
/// compaction (hook errors are logged by the dispatcher).
pub async fn post_compact(hooks: &HookContext, trigger: &CompactTrigger, summary: &str) {
    let input = HookInput::new(
        hooks.common.clone(),
        EventPayload::PostCompact(PostCompactInput {
            trigger: hook_trigger(trigger),
            compact_summary: summary.to_owned(),
        }),
    );
    hooks.dispatcher.dispatch(&input).await;
}

/// Appends a compaction to `transcript`: the `compact_boundary` system
/// entry (with `compactMetadata` {trigger, preTokens}), the summary message
/// as a user entry marked `isCompactSummary`, then each kept message again.
/// Loading the transcript afterwards gives exactly `compacted.messages`.
/// Kept messages get new entry uuids; assistant entries are attributed to
/// `model`.
///
/// # Errors
/// When an entry cannot be written.
pub fn record_compaction(
    transcript: &mut Transcript,
    compacted: &Compacted,
    trigger: &CompactTrigger,
    model: &str,
) -> Result<(), SessionError> {
    let mut boundary = Entry::compact_boundary("Conversation compacted");
    boundary.extra.insert(
        "compactMetadata".to_owned(),
        json!({"trigger": trigger.as_str(), "preTokens": compacted.pre_tokens}),
    );
    boundary.extra.insert("level".to_owned(), json!("info"));
    transcript.append(boundary)?;
    let mut messages = compacted.messages.iter();
    if let Some(summary) = messages.next() {
        let mut entry = Entry::user(summary);
        entry.is_compact_summary = true;
        transcript.append(entry)?;
    }
    for message in messages {
        transcript.append(entry_for(message, model))?;
    }
    Ok(())
}

fn entry_for(message: &Message, model: &str) -> Entry {
    match message.role {
        Role::User => Entry::user(message),
        Role::Assistant => {
            let blocks = match &message.content {
                MessageContent::Blocks(blocks) => blocks.clone(),
                MessageContent::Text(text) => {
                    vec![ferrule_protocol::ContentBlock::text(text.clone())]
                }
            };
            Entry::assistant(&AssistantMessage::new(model, blocks))
        }
    }
}
