//! The event stream an agent loop emits while it runs a turn.
//!
//! Events are host-neutral: print mode turns them into text, stream-json
//! into `assistant`/`user`/`stream_event`/`result` lines, the SDK host into
//! the same lines plus control traffic, and the cloud server into its own
//! session events. Nothing here knows about any of those outputs.
//!
//! Order within one turn:
//!
//! ```text
//! TurnStarted
//!   ( MessageStarted
//!       ( TextDelta* | ThinkingDelta* SignatureDelta?
//!       | ToolCallStarted ToolCallInputDelta* ToolCallFinished ) BlockFinished   (per block)
//!     Usage?  MessageComplete
//!     ( ToolResult | PermissionDenied ToolResult )*                            (per tool call)
//!   )*                                                                         (per model request)
//!   with Retry, Compaction*, Error anywhere in between
//! TurnFinished                                                                  (exactly once)
//! ```
//!
//! `index` is the position of a content block within its model response,
//! as in the Anthropic stream events (`sdk-protocol.md` §3.6).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::content::{ToolResultBlock, ToolUseBlock};
use crate::message::AssistantMessage;
use crate::sdk::{CompactTrigger, PermissionDenial, ResultMessage, ResultSubtype};
use crate::stop_reason::StopReason;
use crate::usage::{ModelUsage, Usage};

/// One thing that happened during a turn, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AgentEvent {
    /// A turn began: a user message was taken from the queue.
    TurnStarted {
        /// Id of the turn, unique within the session.
        turn_id: String,
        /// Uuid of the user message that started it, when it had one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_message_id: Option<String>,
    },
    /// A model request began streaming its response.
    MessageStarted {
        /// Provider id of the response.
        message_id: String,
        /// Model that answers.
        model: String,
    },
    /// More text of a text block.
    TextDelta {
        /// Block position in the response.
        index: usize,
        /// The new text; the deltas of a block concatenate to its text.
        text: String,
    },
    /// More reasoning of a thinking block.
    ThinkingDelta {
        /// Block position in the response.
        index: usize,
        /// The new reasoning text.
        thinking: String,
    },
    /// The provider's signature of a thinking block.
    SignatureDelta {
        /// Block position in the response.
        index: usize,
        /// The signature (or the next part of it).
        signature: String,
    },
    /// The model began a tool call.
    ToolCallStarted {
        /// Block position in the response.
        index: usize,
        /// Call id; the result will name it.
        id: String,
        /// Tool name.
        name: String,
    },
    /// More of a tool call's JSON input, as raw text.
    ToolCallInputDelta {
        /// Block position in the response.
        index: usize,
        /// The next piece of the input JSON; pieces concatenate to it.
        partial_json: String,
    },
    /// A tool call's input is complete and parsed.
    ToolCallFinished {
        /// Block position in the response.
        index: usize,
        /// The complete call.
        call: ToolUseBlock,
    },
    /// A content block of the response is complete.
    BlockFinished {
        /// Block position in the response.
        index: usize,
    },
    /// Tokens one model request used, as soon as the provider reports them.
    Usage {
        /// Usage of that request.
        usage: Usage,
    },
    /// A model response is complete; it holds every block seen in the deltas.
    MessageComplete {
        /// The whole response, with stop reason and usage.
        message: AssistantMessage,
    },
    /// A tool call was refused (by a rule, the mode, a hook or the host).
    /// A [`AgentEvent::ToolResult`] with the refusal follows.
    PermissionDenied {
        /// The refused call and why.
        denial: PermissionDenial,
    },
    /// A tool call finished, ran or not; this result goes back to the model.
    ToolResult {
        /// The result block, `is_error` set on failure or refusal.
        result: ToolResultBlock,
        /// Structured output of the tool, free-form, for hosts that show it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        structured: Option<Value>,
        /// How long the tool ran, in milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_ms: Option<u64>,
    },
    /// A failed model request will be tried again.
    Retry {
        /// Number of this retry, from 1.
        attempt: u32,
        /// Retries allowed in all.
        max_retries: u32,
        /// Wait before it, in milliseconds.
        delay_ms: u64,
        /// What failed.
        error: AgentError,
    },
    /// Compaction of the conversation began.
    CompactionStarted {
        /// What started it.
        trigger: CompactTrigger,
    },
    /// The conversation was compacted.
    Compacted {
        /// What started it.
        trigger: CompactTrigger,
        /// Context tokens before.
        pre_tokens: u64,
        /// Context tokens after, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        post_tokens: Option<u64>,
    },
    /// A hook began running (the SDK host's `system/hook_started` with
    /// `--include-hook-events`).
    HookStarted {
        /// Id of this hook run, shared with its [`AgentEvent::HookResponse`].
        hook_id: String,
        /// The hook's name: its event and what it matched, e.g.
        /// `PreToolUse:Bash`.
        hook_name: String,
        /// The hook event, e.g. `PreToolUse`.
        hook_event: String,
        /// The hook's `statusMessage`, shown while it runs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status_message: Option<String>,
    },
    /// A hook finished: its output, and what it tells the user (its
    /// `systemMessage`, or why it failed).
    HookResponse {
        /// Id of this hook run.
        hook_id: String,
        /// The hook's name, as in [`AgentEvent::HookStarted`].
        hook_name: String,
        /// The hook event.
        hook_event: String,
        /// Its stdout (an http hook's body, a model hook's answer).
        stdout: String,
        /// Its stderr.
        stderr: String,
        /// A command hook's exit code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        /// Whether it succeeded.
        outcome: crate::sdk::HookOutcome,
        /// The `systemMessage` of its JSON output, for the user.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        system_message: Option<String>,
        /// Why it failed (a non-blocking error the user should see).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// Something failed. The turn may go on (a tool error the model can
    /// read is a [`AgentEvent::ToolResult`], not this) or end with
    /// [`TurnOutcome::Failed`].
    Error {
        /// What failed.
        error: AgentError,
    },
    /// The turn ended; exactly one per [`AgentEvent::TurnStarted`].
    TurnFinished {
        /// How it ended.
        outcome: TurnOutcome,
        /// Totals of the turn.
        summary: TurnSummary,
    },
}

/// A failure, classified so each host can map it (the SDK host to an
/// `assistant.error` value, the server to an HTTP status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AgentError {
    /// Category.
    pub kind: AgentErrorKind,
    /// Readable message naming the cause, e.g. `HTTP 500: upstream down`.
    pub message: String,
    /// HTTP status of a provider failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

/// Category of an [`AgentError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AgentErrorKind {
    /// The provider refused the credentials.
    Authentication,
    /// The account cannot be billed.
    Billing,
    /// The provider rate-limited us.
    RateLimit,
    /// The provider rejected the request as malformed.
    InvalidRequest,
    /// The provider failed or could not be reached.
    Server,
    /// The response hit the output token limit.
    MaxOutputTokens,
    /// A tool failed in a way that ends the turn.
    Tool,
    /// A hook failed in a way that ends the turn.
    Hook,
    /// The turn was interrupted.
    Interrupted,
    /// Anything else.
    Other,
}

/// How a turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TurnOutcome {
    /// The model finished its answer.
    Completed,
    /// The turn limit was reached.
    MaxTurns,
    /// The cost budget was used up.
    MaxBudget,
    /// An interrupt aborted it.
    Interrupted,
    /// An error ended it.
    Failed,
}

impl TurnOutcome {
    /// The `result` subtype a stream-json host reports for this outcome
    /// (`sdk-protocol.md` §3.5: interrupts are `error_during_execution`).
    pub fn result_subtype(self) -> ResultSubtype {
        match self {
            Self::Completed => ResultSubtype::Success,
            Self::MaxTurns => ResultSubtype::ErrorMaxTurns,
            Self::MaxBudget => ResultSubtype::ErrorMaxBudgetUsd,
            Self::Interrupted | Self::Failed => ResultSubtype::ErrorDuringExecution,
        }
    }

    /// Whether the turn ended in an error.
    pub fn is_error(self) -> bool {
        match self {
            Self::Completed => false,
            Self::MaxTurns | Self::MaxBudget | Self::Interrupted | Self::Failed => true,
        }
    }
}

/// Totals of a finished turn: what a `result` line reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TurnSummary {
    /// Model round trips in the turn.
    pub num_turns: u64,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// Time in model requests, in milliseconds.
    pub duration_api_ms: u64,
    /// Final assistant text (success) or a readable error message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// One message per error, for failed turns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// Stop reason of the last model response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<StopReason>,
    /// Tokens over the turn.
    #[serde(default)]
    pub usage: Usage,
    /// Tokens per model.
    #[serde(default)]
    pub model_usage: BTreeMap<String, ModelUsage>,
    /// Cost in US dollars; `0` when unknown.
    #[serde(default, serialize_with = "crate::wire::js_number::serialize")]
    pub total_cost_usd: f64,
    /// Tool calls refused during the turn.
    #[serde(default)]
    pub permission_denials: Vec<PermissionDenial>,
}

impl TurnSummary {
    /// The `result` line a stream-json host writes for a turn that ended
    /// with `outcome` (`sdk-protocol.md` §3.5); `uuid` is left for the host.
    pub fn into_result(self, outcome: TurnOutcome, session_id: impl Into<String>) -> ResultMessage {
        let mut result = ResultMessage::new(outcome.result_subtype(), session_id);
        result.is_error = outcome.is_error();
        result.num_turns = self.num_turns;
        result.duration_ms = self.duration_ms;
        result.duration_api_ms = self.duration_api_ms;
        result.result = self.result;
        result.errors = (!self.errors.is_empty()).then_some(self.errors);
        result.stop_reason = Some(self.stop_reason);
        result.total_cost_usd = self.total_cost_usd;
        result.usage = self.usage;
        result.model_usage = self.model_usage;
        result.permission_denials = self.permission_denials;
        result.terminal_reason = match outcome {
            TurnOutcome::MaxTurns => Some("max_turns".to_owned()),
            TurnOutcome::Interrupted => Some("aborted_streaming".to_owned()),
            TurnOutcome::Completed | TurnOutcome::MaxBudget | TurnOutcome::Failed => None,
        };
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn events_are_tagged_by_type_in_snake_case() {
        let event = AgentEvent::ToolCallInputDelta {
            index: 1,
            partial_json: "{\"a\":".into(),
        };
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            json!({"type": "tool_call_input_delta", "index": 1, "partial_json": "{\"a\":"})
        );
    }

    #[test]
    fn turn_finished_round_trips() {
        let event = AgentEvent::TurnFinished {
            outcome: TurnOutcome::Interrupted,
            summary: TurnSummary {
                num_turns: 1,
                errors: vec!["Operation aborted".into()],
                ..TurnSummary::default()
            },
        };
        let text = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<AgentEvent>(&text).unwrap(), event);
    }

    #[test]
    fn interrupted_turn_becomes_the_documented_error_result() {
        let summary = TurnSummary {
            num_turns: 1,
            errors: vec!["Operation aborted".into()],
            usage: Usage::new(5, 1),
            ..TurnSummary::default()
        };
        let result = summary.into_result(TurnOutcome::Interrupted, "s");
        assert_eq!(
            serde_json::to_value(&result).unwrap(),
            json!({
                "subtype": "error_during_execution", "is_error": true, "duration_ms": 0,
                "duration_api_ms": 0, "num_turns": 1, "session_id": "s",
                "errors": ["Operation aborted"], "stop_reason": null, "total_cost_usd": 0,
                "usage": {"input_tokens": 5, "output_tokens": 1}, "modelUsage": {},
                "permission_denials": [], "terminal_reason": "aborted_streaming"
            })
        );
    }

    #[test]
    fn outcomes_map_to_result_subtypes() {
        let mapped: Vec<(ResultSubtype, bool)> = [
            TurnOutcome::Completed,
            TurnOutcome::MaxTurns,
            TurnOutcome::MaxBudget,
            TurnOutcome::Interrupted,
            TurnOutcome::Failed,
        ]
        .into_iter()
        .map(|outcome| (outcome.result_subtype(), outcome.is_error()))
        .collect();
        assert_eq!(
            mapped,
            [
                (ResultSubtype::Success, false),
                (ResultSubtype::ErrorMaxTurns, true),
                (ResultSubtype::ErrorMaxBudgetUsd, true),
                (ResultSubtype::ErrorDuringExecution, true),
                (ResultSubtype::ErrorDuringExecution, true),
            ]
        );
    }
}
