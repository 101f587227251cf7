//! One tool call through the pipeline of ARCHITECTURE.md: PreToolUse hooks
//! → `decide()` → on ask: PermissionRequest hooks, then the asker →
//! checkpoint → the tool → PostToolUse / PostToolUseFailure hooks.

use std::time::{Duration, Instant};

use ferrule_hooks::{
    EventPayload, PermissionDecision, PostToolUseFailureInput, PostToolUseInput, PreToolUseInput,
    ToolCall,
};
use ferrule_permissions::{Behavior, HookVerdict, Request};
use ferrule_protocol::sdk::PermissionDenial;
use ferrule_protocol::{ToolResultBlock, ToolResultContent, ToolUseBlock, TurnSummary};
use ferrule_tool::ToolError;
use serde_json::Value;

use crate::accounting::millis;
use crate::checkpointing::{Phase, checkpoint};
use crate::core::lock;
use crate::permission_flow::{Classified, Resolved, classify, denied, resolve_ask};
use crate::turn::Turn;

/// The text of the result of a call stopped by an interrupt.
pub(crate) const INTERRUPTED: &str = "Interrupted by user";

/// How long a cancelled tool may take to stop by itself (Bash kills its
/// process group) before it is dropped.
const CANCEL_GRACE: Duration = Duration::from_secs(5);

/// One call to run: the model's block and, when its arguments did not
/// parse, why.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) block: ToolUseBlock,
    pub(crate) invalid: Option<String>,
}

/// Why the run must stop after this call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Halt {
    /// An interrupt (or a deny answer with `interrupt: true`).
    Interrupt,
    /// A fatal tool error.
    Fatal(String),
    /// A hook answered `continue: false` (cli-core.md §5.5), with its reason.
    Stop(String),
}

/// What one call produced.
#[derive(Debug, Clone)]
pub(crate) struct CallOutcome {
    pub(crate) result: ToolResultBlock,
    pub(crate) structured: Option<Value>,
    pub(crate) duration_ms: Option<u64>,
    pub(crate) denial: Option<PermissionDenial>,
    /// Context hooks added, for the model.
    pub(crate) context: Vec<String>,
    pub(crate) halt: Option<Halt>,
    /// The totals of the subagent an `Agent` call ran.
    pub(crate) child: Option<TurnSummary>,
    /// The model the tool asked to run the rest of the turn on.
    pub(crate) model: Option<String>,
    /// The reasoning effort the tool asked to run the rest of the turn with.
    pub(crate) effort: Option<String>,
}

impl CallOutcome {
    pub(crate) fn error(id: &str, message: impl Into<String>) -> Self {
        Self {
            result: ToolResultBlock::error(id, message),
            structured: None,
            duration_ms: None,
            denial: None,
            context: Vec::new(),
            halt: None,
            child: None,
            model: None,
            effort: None,
        }
    }

    /// The result of a call cut by an interrupt.
    pub(crate) fn interrupted(id: &str) -> Self {
        Self {
            halt: Some(Halt::Interrupt),
            ..Self::error(id, INTERRUPTED)
        }
    }
}

/// Whether a call may run at the same time as its neighbours.
pub(crate) fn runs_concurrently(turn: &Turn<'_>, call: &Call) -> bool {
    let name = canonical(&call.block.name);
    name == "Agent" || turn.tools.get(name).is_some_and(|tool| tool.is_read_only())
}

/// `Task` is the old name of `Agent`.
pub(crate) fn canonical(name: &str) -> &str {
    if name == "Task" { "Agent" } else { name }
}

/// Runs one call through the whole pipeline.
pub(crate) async fn run_call(turn: &Turn<'_>, call: &Call) -> CallOutcome {
    let id = call.block.id.as_str();
    let name = call.block.name.as_str();
    if let Some(error) = &call.invalid {
        return CallOutcome::error(id, error.clone());
    }
    let Some(tool) = turn.tools.get(canonical(name)).cloned() else {
        return CallOutcome::error(
            id,
            format!(
                "No such tool: `{name}`. Available tools: {}",
                turn.tools.names().join(", ")
            ),
        );
    };
    if turn.cancel.is_cancelled() {
        return CallOutcome::interrupted(id);
    }
    let mut input = call.block.input.clone();
    let mut context = Vec::new();

    // PreToolUse hooks (reference §3.8).
    let mut hook_verdict = None;
    let mut hook_reason = None;
    if let Some(outcome) = turn
        .fire(EventPayload::PreToolUse(PreToolUseInput {
            call: tool_call(name, &input, id),
        }))
        .await
    {
        context.extend(outcome.additional_context.iter().cloned());
        if let Some(updated) = outcome.updated_input.clone() {
            input = updated;
        }
        hook_verdict = match outcome.permission_decision {
            Some(PermissionDecision::Deny) => Some(HookVerdict::Deny),
            Some(PermissionDecision::Ask) => Some(HookVerdict::Ask),
            Some(PermissionDecision::Allow) => Some(HookVerdict::Allow),
            Some(PermissionDecision::Defer) | None => None,
        };
        if outcome.is_blocked() {
            hook_verdict = Some(HookVerdict::Deny);
        }
        hook_reason = outcome
            .permission_decision_reason
            .clone()
            .or_else(|| outcome.block_reason());
        if let Some(reason) = outcome.stop.clone() {
            return CallOutcome {
                halt: Some(Halt::Stop(reason.clone())),
                context,
                ..CallOutcome::error(
                    id,
                    format!("Not run: a PreToolUse hook stopped the agent ({reason})."),
                )
            };
        }
    }
    if turn.cancel.is_cancelled() {
        return CallOutcome::interrupted(id);
    }

    // Bad input is the model's to fix, not a permission matter: check it
    // (through the tool's targets, which parse it) before deciding.
    let ctx = match turn.tool_context() {
        Ok(ctx) => ctx,
        Err(error) => return CallOutcome::error(id, error.to_string()),
    };
    // A read outside the working directories asks instead of failing here.
    let run_cwd = turn.cwd();
    let outside = crate::read_scope::outside_read(name, &input, &run_cwd, |p| ctx.is_allowed(p));
    let ctx = match &outside {
        Some(read) => match turn.tool_context_with(Some(&read.dir)) {
            Ok(ctx) => ctx,
            Err(error) => return CallOutcome::error(id, error.to_string()),
        },
        None => ctx,
    };
    if let Err(error) = tool.targets(&input, &ctx) {
        return failed(turn, name, &input, id, error, context).await;
    }

    if let Some(restrictions) = &turn.scope.restrictions
        && restrictions
            .tools
            .iter()
            .any(|tool| tool == canonical(name))
    {
        let decision = ferrule_permissions::decide(
            &restrictions.policy,
            &Request::new(name.to_owned(), input.clone()),
        );
        if decision.behavior != Behavior::Allow {
            let message = format!(
                "The {} subagent may use {name} only as {}.",
                turn.scope.agent_type.as_deref().unwrap_or("current"),
                restrictions.rules.join(", ")
            );
            return denied(
                turn, call, &input, message, "rule", &decision, false, context,
            )
            .await;
        }
    }

    let request = Request {
        tool: name.to_owned(),
        input: match &outside {
            Some(read) => read.decision_input.clone(),
            None if run_cwd != turn.core.cwd => crate::read_scope::absolute_paths(&input, &run_cwd),
            None => input.clone(),
        },
        hook: hook_verdict,
    };
    let decision = {
        let permissions = lock(&turn.core.permissions);
        match turn.scope.mode {
            // A subagent's own mode, over the session's rules; a session in
            // bypass mode keeps it (the parent's bypass wins).
            Some(mode) if permissions.mode() != ferrule_permissions::Mode::BypassPermissions => {
                let mut own = permissions.clone();
                drop(permissions);
                own.set_mode(mode);
                own.decide(&request)
            }
            _ => permissions.decide(&request),
        }
    };
    tracing::debug!(call_id = %id, tool_name = %name, behavior = %decision.behavior, reason = %decision.reason, "permission decision");
    match decision.behavior {
        Behavior::Allow => {}
        Behavior::Deny => 'deny: {
            let classifier = turn.core.classifier.as_deref();
            if let (Some(classifiable), Some(classifier)) = (&decision.classifiable, classifier) {
                match classify(turn, classifier, call, &input, classifiable).await {
                    Classified::Allow => break 'deny,
                    Classified::Deny(message) => {
                        return denied(
                            turn,
                            call,
                            &input,
                            message,
                            "classifier",
                            &decision,
                            false,
                            context,
                        )
                        .await;
                    }
                    Classified::Interrupted => return CallOutcome::interrupted(id),
                }
            }
            let (message, reason_type) = if hook_verdict == Some(HookVerdict::Deny) {
                let reason = hook_reason.unwrap_or_else(|| "no reason given".to_owned());
                (
                    format!("A PreToolUse hook denied this {name} call: {reason}"),
                    "hook",
                )
            } else {
                (
                    format!("Permission to use {name} was denied: {}.", decision.reason),
                    if decision.rule.is_some() {
                        "rule"
                    } else {
                        "mode"
                    },
                )
            };
            return denied(
                turn,
                call,
                &input,
                message,
                reason_type,
                &decision,
                false,
                context,
            )
            .await;
        }
        Behavior::Ask => match resolve_ask(turn, call, &input, &decision, &mut context).await {
            Resolved::Allow(updated) => input = updated,
            Resolved::Deny {
                message,
                interrupt,
                reason_type,
            } => {
                return denied(
                    turn,
                    call,
                    &input,
                    message,
                    reason_type,
                    &decision,
                    interrupt,
                    context,
                )
                .await;
            }
            Resolved::Interrupted => return CallOutcome::interrupted(id),
        },
    }

    let targets = match tool.targets(&input, &ctx) {
        Ok(targets) => targets,
        Err(error) => return failed(turn, name, &input, id, error, context).await,
    };
    checkpoint(turn, &targets, Phase::Before).await;
    let started = Instant::now();
    let mut child = None;
    let result = if canonical(name) == "Agent" && !turn.core.host_agent_tool {
        let (result, summary) = crate::subagent::run_for_call(turn, id, input.clone(), &ctx).await;
        child = summary;
        result
    } else if let Some(result) = crate::tools::worktree::run_in_loop(
        turn.core,
        &turn.common_fields(),
        canonical(name),
        input.clone(),
    )
    .await
    {
        result
    } else {
        let running = tool.call(input.clone(), &ctx);
        tokio::pin!(running);
        tokio::select! {
            result = &mut running => result,
            () = turn.cancel.cancelled() => {
                match tokio::time::timeout(CANCEL_GRACE, &mut running).await {
                    Ok(result) => result,
                    Err(_) => Err(ToolError::cancelled(name)),
                }
            }
        }
    };
    // What the output asks of the session: its allow rules (before a fork
    // runs, so the subagent has them), then its fork.
    let result = match result {
        Ok(output) if !turn.cancel.is_cancelled() => {
            if !output.session_allow.is_empty() {
                lock(&turn.core.permissions).allow_for_session(&output.session_allow);
            }
            if output.fork.is_some() {
                let (result, summary) = crate::fork::run(turn, id, output, &ctx).await;
                child = summary;
                result
            } else {
                Ok(output)
            }
        }
        other => other,
    };
    let duration_ms = millis(started.elapsed());
    checkpoint(turn, &targets, Phase::After).await;

    let mut outcome = match result {
        // A tool that stops on cancellation by itself may still return
        // output (Bash reports the killed command); the call was
        // interrupted all the same.
        Ok(_) if turn.cancel.is_cancelled() => {
            let mut outcome =
                failed(turn, name, &input, id, ToolError::cancelled(name), context).await;
            outcome.duration_ms = Some(duration_ms);
            outcome
        }
        Ok(output) => {
            let structured = output.structured.clone();
            let mut content = output.result_content();
            let mut stop = None;
            if let Some(outcome) = turn
                .fire(EventPayload::PostToolUse(PostToolUseInput {
                    call: tool_call(name, &input, id),
                    tool_response: structured.clone(),
                    duration_ms: Some(duration_ms),
                }))
                .await
            {
                context.extend(outcome.additional_context.iter().cloned());
                if let Some(replaced) = outcome.updated_tool_output.clone() {
                    content = ToolResultContent::Text(match replaced {
                        Value::String(text) => text,
                        other => other.to_string(),
                    });
                }
                if outcome.is_blocked()
                    && let Some(reason) = outcome.block_reason()
                {
                    context.push(reason);
                }
                stop = outcome.stop.clone();
            }
            context.extend(crate::notify::after_bash(turn, name, &structured).await);
            context.extend(crate::tools::worktree::after_move(turn, &run_cwd).await);
            context.extend(crate::subfolder_memory::after_touch(turn, &targets).await);
            let mut outcome = CallOutcome::error(id, String::new());
            outcome.result = ToolResultBlock {
                tool_use_id: id.to_owned(),
                content: Some(content),
                is_error: Some(false),
            };
            outcome.structured = Some(structured);
            outcome.duration_ms = Some(duration_ms);
            outcome.context = context;
            outcome.halt = stop.map(Halt::Stop);
            outcome.model = output.model;
            outcome.effort = output.effort;
            outcome
        }
        Err(error) => {
            let mut outcome = failed(turn, name, &input, id, error, context).await;
            outcome.duration_ms = Some(duration_ms);
            outcome
        }
    };
    outcome.child = child;
    outcome
}

/// A call that ran (or tried to) and failed.
async fn failed(
    turn: &Turn<'_>,
    name: &str,
    input: &Value,
    id: &str,
    error: ToolError,
    mut context: Vec<String>,
) -> CallOutcome {
    let interrupted = turn.cancel.is_cancelled();
    let (message, mut halt) = if interrupted {
        (INTERRUPTED.to_owned(), Some(Halt::Interrupt))
    } else if error.is_for_model() {
        (error.message().to_owned(), None)
    } else {
        (
            error.message().to_owned(),
            Some(Halt::Fatal(error.message().to_owned())),
        )
    };
    if let Some(outcome) = turn
        .fire(EventPayload::PostToolUseFailure(PostToolUseFailureInput {
            call: tool_call(name, input, id),
            error: message.clone(),
            error_type: if interrupted {
                "interrupted"
            } else {
                "execution_failed"
            }
            .to_owned(),
            is_interrupt: interrupted,
        }))
        .await
    {
        context.extend(outcome.additional_context.iter().cloned());
        if halt.is_none()
            && let Some(reason) = outcome.stop.clone()
        {
            halt = Some(Halt::Stop(reason));
        }
    }
    CallOutcome {
        halt,
        context,
        ..CallOutcome::error(id, message)
    }
}

fn tool_call(name: &str, input: &Value, id: &str) -> ToolCall {
    ToolCall {
        tool_name: name.to_owned(),
        tool_input: input.clone(),
        tool_use_id: id.to_owned(),
        mcp_context: None,
        original_request_name: None,
    }
}
