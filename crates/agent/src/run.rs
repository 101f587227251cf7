//! The loop of one run: the user message, then model round trips and tool
//! calls until the model stops, the turn limit, an error or an interrupt.

use ferrule_hooks::{EventPayload, StopInput, SubagentStopInput, UserPromptSubmitInput};
use ferrule_model::ModelRequest;
use ferrule_protocol::{
    AgentError, AgentErrorKind, AgentEvent, AssistantMessage, ContentBlock, Message,
    MessageContent, TurnOutcome,
};
use ferrule_session::{Entry, Transcript};
use futures::future::join_all;

use crate::accounting::Accounting;
use crate::agent::Agent;
use crate::events::{Emitter, EventSink, new_uuid};
use crate::history::merged_for_model;
use crate::input::{TurnResult, UserInput};
use crate::pipeline::{self, Call, CallOutcome, Halt};
use crate::stream::{StreamEnd, stream_once};
use crate::turn::Turn;

/// The error text of an interrupted run (sdk-protocol.md §3.5).
pub(crate) const ABORTED: &str = "Operation aborted";

/// Consecutive Stop-hook continuations allowed (cli-core.md §5.6).
const MAX_STOP_CONTINUATIONS: u32 = 8;

/// How the loop ended, before the summary is made.
enum End {
    Completed,
    /// A hook answered `continue: false`, with its stop reason.
    Stopped(String),
    MaxTurns(u32),
    Interrupted,
    Failed(AgentError),
}

pub(crate) async fn run(agent: &mut Agent, input: UserInput, sink: &dyn EventSink) -> TurnResult {
    let Agent {
        core,
        tools,
        system_prompt,
        max_turns,
        messages,
        transcript,
        scope,
        context,
    } = agent;
    let cancel = match &scope.parent_cancel {
        Some(parent) => parent.child_token(),
        None => {
            let fresh = tokio_util::sync::CancellationToken::new();
            *crate::core::lock(&core.run_cancel) = fresh.clone();
            fresh
        }
    };
    let user_message_uuid = input.uuid.clone().unwrap_or_else(new_uuid);
    let emitter = Emitter {
        sink,
        session_id: &core.session_id,
        parent_tool_use_id: scope.parent_tool_use_id.as_deref(),
    };
    emitter.emit(AgentEvent::TurnStarted {
        turn_id: new_uuid(),
        user_message_id: Some(user_message_uuid.clone()),
    });
    let mut accounting = Accounting::start();
    let mut last_text = String::new();

    let end = 'run: {
        let turn = Turn {
            core,
            tools,
            emitter,
            cancel: cancel.clone(),
            user_message_uuid: user_message_uuid.clone(),
            scope,
            transcript: transcript.as_ref(),
            request: None,
        };
        let mut content = input.content.clone();
        if !scope.is_subagent()
            && let Some(outcome) = turn
                .fire(EventPayload::UserPromptSubmit(UserPromptSubmitInput {
                    prompt: input.joined_text(),
                }))
                .await
        {
            if let Some(reason) = outcome.stop.clone() {
                break 'run End::Stopped(reason);
            }
            if let Some(reason) = outcome.block_reason() {
                break 'run End::Failed(AgentError {
                    kind: AgentErrorKind::Hook,
                    message: format!("A UserPromptSubmit hook blocked the prompt: {reason}"),
                    status: None,
                });
            }
            content.extend(
                outcome
                    .additional_context
                    .into_iter()
                    .map(ContentBlock::text),
            );
        }
        drop(turn);
        if let Some(store) = &core.checkpoints
            && let Err(error) = crate::core::lock(store).begin_message(&user_message_uuid)
        {
            tracing::warn!(%error, "cannot start the checkpoint of this message");
        }
        let user = Message::user(MessageContent::Blocks(content));
        append(transcript, Entry::user(&user), &user_message_uuid);
        messages.push(user);

        let mut stop_continuations = 0;
        // A model a tool (a skill's `model`) chose for the rest of the run.
        let mut chosen_model: Option<std::sync::Arc<dyn ferrule_model::Model>> = None;
        // The thinking a tool (a skill's `effort`) chose for the rest of the run.
        let mut chosen_thinking: Option<ferrule_model::Thinking> = None;
        // The tool set does not change during a run; build the schemas once.
        let specs = tools.specs();
        loop {
            if cancel.is_cancelled() {
                break 'run End::Interrupted;
            }
            if let Some(max) = *max_turns
                && accounting.num_turns >= u64::from(max)
            {
                break 'run End::MaxTurns(max);
            }
            if let Some(context) = context.as_mut() {
                let parts = crate::context::RunParts {
                    core,
                    tools,
                    scope,
                    emitter,
                    cancel: &cancel,
                    user_message_uuid: &user_message_uuid,
                };
                let checked = context
                    .before_request(&parts, system_prompt, messages, transcript)
                    .await;
                if cancel.is_cancelled() {
                    break 'run End::Interrupted;
                }
                if let Err(error) = checked {
                    break 'run End::Failed(error);
                }
            }
            // Context queued by the session's file watcher and what
            // background hooks reported go with this request (the last
            // message is the prompt or tool results).
            if !scope.is_subagent() {
                let queued = crate::background_hooks::queued_context(core);
                if !queued.is_empty() {
                    let user = Message::user(MessageContent::Blocks(
                        queued.into_iter().map(ContentBlock::text).collect(),
                    ));
                    append(transcript, Entry::user(&user), &new_uuid());
                    messages.push(user);
                }
            }
            let model = chosen_model.clone().unwrap_or_else(|| scope.model(core));
            let request = ModelRequest {
                system: Some(system_prompt.render()),
                messages: merged_for_model(messages),
                tools: specs.clone(),
                max_tokens: core.max_tokens,
                thinking: chosen_thinking.unwrap_or_else(|| scope.thinking(core)),
                ..ModelRequest::default()
            };
            accounting.num_turns += 1;
            let (end, spent) = stream_once(model.as_ref(), request, emitter, &cancel).await;
            accounting.add_api_time(spent);
            let (message, invalid) = match end {
                StreamEnd::Complete { message, invalid } => (message, invalid),
                StreamEnd::Interrupted { partial } => {
                    if let Some(partial) = partial {
                        complete_message(transcript, messages, emitter, partial);
                    }
                    break 'run End::Interrupted;
                }
                StreamEnd::Failed { error } => break 'run End::Failed(error.to_agent_error()),
            };
            if let Some(usage) = &message.usage {
                accounting.add_usage(model.name(), usage);
            }
            accounting.stop_reason = message.stop_reason().cloned();
            let usage = message.usage.clone();
            let calls: Vec<Call> = message
                .content
                .iter()
                .filter_map(|block| match block {
                    ContentBlock::ToolUse(call) => Some(Call {
                        invalid: invalid.get(&call.id).cloned(),
                        block: call.clone(),
                    }),
                    _ => None,
                })
                .collect();
            let text = text_of(&message);
            if !text.is_empty() {
                last_text = text;
            }
            complete_message(transcript, messages, emitter, message);
            if let Some(context) = context.as_mut() {
                context.after_answer(messages, usage.as_ref());
            }

            if calls.is_empty() {
                let turn = Turn {
                    core,
                    tools,
                    emitter,
                    cancel: cancel.clone(),
                    user_message_uuid: user_message_uuid.clone(),
                    scope,
                    transcript: transcript.as_ref(),
                    request: None,
                };
                let payload = match (&scope.agent_id, &scope.agent_type) {
                    (Some(agent_id), Some(agent_type)) => {
                        EventPayload::SubagentStop(SubagentStopInput {
                            agent_id: agent_id.clone(),
                            agent_type: agent_type.clone(),
                            stop_hook_active: stop_continuations > 0,
                            agent_transcript_path: turn.transcript_path(),
                            last_assistant_message: last_text.clone(),
                        })
                    }
                    _ => EventPayload::Stop(StopInput {
                        stop_hook_active: stop_continuations > 0,
                        last_assistant_message: last_text.clone(),
                    }),
                };
                let outcome = turn.fire(payload).await;
                drop(turn);
                // `continue: false` wins over a block: the agent stops.
                let reason = outcome
                    .filter(|o| o.stop.is_none())
                    .and_then(|o| o.block_reason());
                match reason {
                    Some(reason) if stop_continuations < MAX_STOP_CONTINUATIONS => {
                        stop_continuations += 1;
                        let user = Message::user(MessageContent::Blocks(vec![ContentBlock::text(
                            format!("Stop hook feedback: {reason}"),
                        )]));
                        append(transcript, Entry::user(&user), &new_uuid());
                        messages.push(user);
                        continue;
                    }
                    _ => break 'run End::Completed,
                }
            }
            stop_continuations = 0;

            let turn = Turn {
                core,
                tools,
                emitter,
                cancel: cancel.clone(),
                user_message_uuid: user_message_uuid.clone(),
                scope,
                transcript: transcript.as_ref(),
                request: latest_request(messages),
            };
            let outcomes = run_calls(&turn, &calls).await;
            drop(turn);
            let mut halt = None;
            let mut blocks = Vec::with_capacity(outcomes.len());
            let mut context = Vec::new();
            for outcome in outcomes {
                if let Some(denial) = outcome.denial.clone() {
                    emitter.emit(AgentEvent::PermissionDenied {
                        denial: denial.clone(),
                    });
                    accounting.denials.push(denial);
                }
                let uuid = new_uuid();
                let one = Message::user(MessageContent::Blocks(vec![ContentBlock::ToolResult(
                    outcome.result.clone(),
                )]));
                let mut entry = Entry::user(&one);
                if let Some(structured) = &outcome.structured {
                    entry
                        .extra
                        .insert("toolUseResult".to_owned(), structured.clone());
                }
                append(transcript, entry, &uuid);
                emitter.emit_with_uuid(
                    AgentEvent::ToolResult {
                        result: outcome.result.clone(),
                        structured: outcome.structured.clone(),
                        duration_ms: outcome.duration_ms,
                    },
                    uuid,
                );
                if let Some(child) = &outcome.child {
                    accounting.add_child(child);
                }
                if let Some(name) = &outcome.model {
                    match core
                        .model_resolver
                        .as_ref()
                        .and_then(|resolve| resolve(name))
                    {
                        Some(model) => chosen_model = Some(model),
                        None => tracing::warn!(
                            model = %name,
                            "a skill's model does not resolve; the turn stays on its model"
                        ),
                    }
                }
                if let Some(effort) = &outcome.effort {
                    match ferrule_model::Thinking::from_effort(effort) {
                        Ok(thinking) => chosen_thinking = Some(thinking),
                        Err(error) => tracing::warn!(
                            %error,
                            "a skill's effort is not understood; the turn keeps its thinking"
                        ),
                    }
                }
                blocks.push(ContentBlock::ToolResult(outcome.result));
                context.extend(outcome.context);
                halt = halt.or(outcome.halt);
            }
            if !context.is_empty() {
                let user = Message::user(MessageContent::Blocks(
                    context.into_iter().map(ContentBlock::text).collect(),
                ));
                append(transcript, Entry::user(&user), &new_uuid());
                blocks.extend(user.content.into_blocks());
            }
            messages.push(Message::user(MessageContent::Blocks(blocks)));
            match halt {
                Some(Halt::Interrupt) => break 'run End::Interrupted,
                Some(Halt::Stop(reason)) => break 'run End::Stopped(reason),
                Some(Halt::Fatal(message)) => {
                    break 'run End::Failed(AgentError {
                        kind: AgentErrorKind::Tool,
                        message,
                        status: None,
                    });
                }
                None => {}
            }
        }
    };

    let (outcome, result, errors) = match end {
        End::Completed => (TurnOutcome::Completed, Some(last_text), Vec::new()),
        End::Stopped(reason) => {
            let reason = if reason.trim().is_empty() {
                "A hook stopped the agent.".to_owned()
            } else {
                reason
            };
            (TurnOutcome::Completed, Some(reason), Vec::new())
        }
        End::MaxTurns(max) => {
            let message = format!("Reached maximum number of turns ({max})");
            (TurnOutcome::MaxTurns, Some(message.clone()), vec![message])
        }
        End::Interrupted => (
            TurnOutcome::Interrupted,
            Some(ABORTED.to_owned()),
            vec![ABORTED.to_owned()],
        ),
        End::Failed(error) => {
            emitter.emit(AgentEvent::Error {
                error: error.clone(),
            });
            // StopFailure only reports: its output is ignored.
            if let Some(payload) = crate::notify::stop_failure(&error, &last_text) {
                let turn = Turn {
                    core,
                    tools,
                    emitter,
                    cancel: cancel.clone(),
                    user_message_uuid: user_message_uuid.clone(),
                    scope,
                    transcript: transcript.as_ref(),
                    request: None,
                };
                let _ = turn.fire(payload).await;
            }
            (
                TurnOutcome::Failed,
                Some(error.message.clone()),
                vec![error.message],
            )
        }
    };
    let summary = accounting.summary(&core.prices, result, errors);
    emitter.emit(AgentEvent::TurnFinished {
        outcome,
        summary: summary.clone(),
    });
    TurnResult {
        outcome,
        summary,
        user_message_uuid,
    }
}

/// Runs the calls of one message: neighbouring calls that may run at once
/// (read-only tools, subagents) run concurrently, the rest one by one;
/// outcomes come back in call order. After an interrupt the calls not yet
/// started get an interrupted result.
async fn run_calls(turn: &Turn<'_>, calls: &[Call]) -> Vec<CallOutcome> {
    let mut outcomes = Vec::with_capacity(calls.len());
    let mut rest = calls;
    while let Some(first) = rest.first() {
        if turn.cancel.is_cancelled() || outcomes.iter().any(|o: &CallOutcome| o.halt.is_some()) {
            outcomes.extend(
                rest.iter()
                    .map(|call| CallOutcome::interrupted(&call.block.id)),
            );
            if !turn.cancel.is_cancelled() {
                // A halt that is not an interrupt (a fatal error): the
                // calls left did not run.
                for outcome in outcomes.iter_mut().rev().take(rest.len()) {
                    outcome.halt = None;
                    outcome.result = ferrule_protocol::ToolResultBlock::error(
                        outcome.result.tool_use_id.clone(),
                        "Not run: an earlier call of this message stopped the turn.",
                    );
                }
            }
            break;
        }
        let batch = if pipeline::runs_concurrently(turn, first) {
            rest.iter()
                .take_while(|call| pipeline::runs_concurrently(turn, call))
                .count()
        } else {
            1
        };
        let (now, later) = rest.split_at(batch);
        if now.len() == 1 {
            outcomes.push(pipeline::run_call(turn, &now[0]).await);
        } else {
            outcomes.extend(join_all(now.iter().map(|call| pipeline::run_call(turn, call))).await);
        }
        rest = later;
    }
    outcomes
}

/// Adds a model answer to the history and the transcript and reports it.
fn complete_message(
    transcript: &mut Option<Transcript>,
    messages: &mut Vec<Message>,
    emitter: Emitter<'_>,
    message: AssistantMessage,
) {
    let uuid = new_uuid();
    append(transcript, Entry::assistant(&message), &uuid);
    messages.push(Message::assistant(MessageContent::Blocks(
        message.content.clone(),
    )));
    emitter.emit_with_uuid(AgentEvent::MessageComplete { message }, uuid);
}

/// Appends `entry` under `uuid`; a failed write is logged, the run goes on.
fn append(transcript: &mut Option<Transcript>, mut entry: Entry, uuid: &str) {
    let Some(transcript) = transcript else {
        return;
    };
    entry.uuid = Some(uuid.to_owned());
    if let Err(error) = transcript.append(entry) {
        tracing::warn!(path = %transcript.path().display(), %error, "cannot write the transcript");
    }
}

/// The text blocks of an answer, joined.
fn text_of(message: &AssistantMessage) -> String {
    message
        .content
        .iter()
        .filter_map(ContentBlock::as_text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text of the last user message that is more than tool results: what
/// the user last asked for, as the `auto` mode classifier reads it.
fn latest_request(messages: &[Message]) -> Option<String> {
    messages
        .iter()
        .rev()
        .filter(|m| m.role == ferrule_protocol::Role::User)
        .map(|m| m.content.joined_text())
        .find(|text| !text.trim().is_empty())
}
