//! Subagents: the `Agent` tool's runs of a child agent with its own
//! context, prompt and tool set, its events nested under the call.

use std::sync::Arc;
use std::time::Duration;

use ferrule_hooks::{EventPayload, SubagentStartInput};
use ferrule_memory::Subagent;
use ferrule_permissions::{Behavior, Mode, PolicyBuilder, RuleSource};
use ferrule_protocol::{TurnOutcome, TurnSummary};
use ferrule_session::SessionStore;
use ferrule_tool::{ToolContext, ToolError, ToolFilter, ToolOutput, ToolRegistry, parse_input};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::agent::{Agent, Restrictions, Scope, ScopedModel};
use crate::core::Core;
use crate::events::{EventSink, NullSink, new_uuid};
use crate::input::UserInput;
use crate::prompt::{EnvironmentFacts, SystemPrompt};
use crate::tools::AgentInput;
use crate::turn::Turn;

/// The subagent that exists without any definition.
pub(crate) const GENERAL_PURPOSE: &str = "general-purpose";

/// Tools a subagent never gets: recursion, questions to the user and
/// moving the session into or out of a worktree.
const NEVER_IN_SUBAGENTS: [&str; 7] = [
    "Agent",
    "Task",
    "AskUserQuestion",
    "EnterPlanMode",
    "ExitPlanMode",
    "EnterWorktree",
    "ExitWorktree",
];

const GENERAL_PURPOSE_PROMPT: &str = "\
You are a subagent of ferrule, a coding agent. You get one task from the main agent. \
Work on it on your own with the tools you have: search and read the code, run \
commands, make the changes the task asks for. When you are done, answer with a \
concise report of what you found or did: that answer is all the main agent sees.";

/// What a caller sets on a subagent over its definition: a forked skill's
/// `model` and `effort`.
#[derive(Debug, Default)]
pub(crate) struct Overrides {
    /// A model name, resolved as `--model` would.
    pub(crate) model: Option<String>,
    /// A reasoning effort (level name, `off` or a budget).
    pub(crate) effort: Option<String>,
}

/// A run of the `Agent` tool from the loop: events go to the run's sink,
/// nested under `tool_use_id`.
pub(crate) async fn run_for_call(
    turn: &Turn<'_>,
    tool_use_id: &str,
    input: Value,
    ctx: &ToolContext,
) -> (Result<ToolOutput, ToolError>, Option<TurnSummary>) {
    let input: AgentInput = match parse_input("Agent", input) {
        Ok(input) => input,
        Err(error) => return (Err(error), None),
    };
    run_input_for_call(turn, tool_use_id, &input, Overrides::default(), ctx).await
}

/// A subagent run from the loop for an already parsed task (the `Agent`
/// tool's, or a forked skill's with its overrides).
pub(crate) async fn run_input_for_call(
    turn: &Turn<'_>,
    tool_use_id: &str,
    input: &AgentInput,
    overrides: Overrides,
    ctx: &ToolContext,
) -> (Result<ToolOutput, ToolError>, Option<TurnSummary>) {
    let parent = Parent {
        sink: turn.emitter.sink,
        tool_use_id: Some(tool_use_id.to_owned()),
        cancel: ctx.cancel_token().clone(),
        transcript: turn.transcript,
    };
    let start = SubagentStartInput {
        agent_id: new_uuid(),
        agent_type: input.kind().to_owned(),
    };
    if let Some(outcome) = turn.fire(EventPayload::SubagentStart(start.clone())).await {
        tracing::debug!(
            context = outcome.additional_context.len(),
            "SubagentStart hooks ran"
        );
        return run(
            turn.core,
            input,
            parent,
            Launch {
                agent_id: start.agent_id,
                context: outcome.additional_context,
                overrides,
            },
        )
        .await;
    }
    let launch = Launch {
        agent_id: start.agent_id,
        context: Vec::new(),
        overrides,
    };
    run(turn.core, input, parent, launch).await
}

/// A run of the `Agent` tool called outside the loop (`ToolRegistry::call`):
/// the subagent's events are dropped, its answer is the result.
pub(crate) async fn run_detached(
    core: &Arc<Core>,
    input: Value,
    ctx: &ToolContext,
) -> Result<ToolOutput, ToolError> {
    let input: AgentInput = parse_input("Agent", input)?;
    let parent = Parent {
        sink: &NullSink,
        tool_use_id: None,
        cancel: ctx.cancel_token().clone(),
        transcript: None,
    };
    let launch = Launch {
        agent_id: new_uuid(),
        context: Vec::new(),
        overrides: Overrides::default(),
    };
    run(core, &input, parent, launch).await.0
}

/// What a run starts with besides its task.
struct Launch {
    agent_id: String,
    /// Context SubagentStart hooks added, for the system prompt.
    context: Vec<String>,
    overrides: Overrides,
}

/// Where a subagent is started from.
struct Parent<'a> {
    sink: &'a dyn EventSink,
    tool_use_id: Option<String>,
    cancel: CancellationToken,
    transcript: Option<&'a ferrule_session::Transcript>,
}

async fn run(
    core: &Arc<Core>,
    input: &AgentInput,
    parent: Parent<'_>,
    launch: Launch,
) -> (Result<ToolOutput, ToolError>, Option<TurnSummary>) {
    let Launch {
        agent_id,
        context,
        overrides,
    } = launch;
    let kind = input.kind();
    let subagents = core.live.subagents();
    let definition = subagents.iter().find(|agent| agent.name == kind);
    if definition.is_none() && kind != GENERAL_PURPOSE {
        let mut known: Vec<&str> = subagents.iter().map(|a| a.name.as_str()).collect();
        known.push(GENERAL_PURPOSE);
        let error = ToolError::respond(format!(
            "Unknown subagent_type `{kind}`. Available: {}",
            known.join(", ")
        ));
        return (Err(error), None);
    }
    let isolated = match crate::tools::isolation::prepare(
        core,
        definition,
        &agent_id,
        parent.transcript,
    )
    .await
    {
        Ok(isolated) => isolated,
        Err(error) => return (Err(error), None),
    };
    let own_cwd = isolated.as_ref().map(|i| i.path().to_path_buf());
    // The definition's own MCP servers run for this run only (dropping
    // `run_tools` at the end stops them); their tools go to this child.
    let run_tools = match (definition, core.live.subagent_tools()) {
        (Some(definition), Some(starter)) if definition.meta.mcp_servers.is_some() => {
            Some(starter.start(definition).await)
        }
        _ => None,
    };
    let tools = match &run_tools {
        Some(run_tools) if !run_tools.tools().is_empty() => {
            let mut all = core.tools.clone();
            for tool in run_tools.tools() {
                if all.get(tool.name()).is_some() {
                    continue;
                }
                if let Err(error) = all.register_arc(Arc::clone(tool)) {
                    tracing::warn!(subagent = %kind, "subagent MCP tool left out: {error}");
                }
            }
            tools_for(&all, definition)
        }
        _ => tools_for(&core.tools, definition),
    };
    let mut prompt = SystemPrompt::new()
        .replace(definition.map_or(GENERAL_PURPOSE_PROMPT, |d| d.prompt.as_str()))
        .environment(EnvironmentFacts::detect(
            own_cwd.as_deref().unwrap_or(&core.cwd),
        ));
    for text in context {
        prompt = prompt.append(text);
    }
    let model = overrides
        .model
        .as_deref()
        .or_else(|| definition.and_then(|d| d.meta.model.as_deref()))
        .filter(|name| *name != "inherit")
        .and_then(|name| {
            let resolved = core.model_resolver.as_ref().and_then(|resolve| resolve(name));
            if resolved.is_none() {
                tracing::warn!(subagent = %kind, model = %name, "subagent model not resolved; the session's model runs it");
            }
            resolved
        })
        .map(ScopedModel);
    let thinking = overrides
        .effort
        .or_else(|| definition.and_then(|d| d.meta.effort.as_ref()).map(ferrule_memory::Effort::text))
        .and_then(|effort| match ferrule_model::Thinking::from_effort(&effort) {
            Ok(thinking) => Some(thinking),
            Err(error) => {
                tracing::warn!(subagent = %kind, %error, "subagent effort not understood; the session's thinking runs it");
                None
            }
        });
    let child_cancel = parent.cancel.child_token();
    let transcript = parent
        .transcript
        .map(|t| SessionStore::new("/").subagent_transcript(t, &agent_id));
    let mut child = Agent {
        core: Arc::clone(core),
        tools,
        system_prompt: prompt,
        max_turns: definition
            .and_then(|d| d.meta.max_turns)
            .map(|turns| u32::try_from(turns.0).unwrap_or(u32::MAX)),
        messages: Vec::new(),
        transcript,
        scope: Scope {
            agent_id: Some(agent_id),
            agent_type: Some(kind.to_owned()),
            parent_tool_use_id: parent.tool_use_id,
            parent_cancel: Some(child_cancel.clone()),
            model,
            thinking,
            mode: definition.and_then(|d| d.meta.permission_mode).map(mode_of),
            restrictions: definition
                .and_then(|d| restrictions_for(core, d))
                .map(Arc::new),
            cwd: own_cwd,
        },
        context: None,
    };
    let limit = input.timeout_ms.map(Duration::from_millis).or_else(|| {
        definition
            .and_then(|d| d.meta.timeout_mins)
            .map(|mins| Duration::from_secs(mins.0.saturating_mul(60)))
    });
    // Boxed: the child's run contains the pipeline that called us.
    let mut running = Box::pin(child.run(UserInput::text(input.prompt.clone()), parent.sink));
    let (result, timed_out) = match limit {
        None => (running.await, false),
        Some(limit) => tokio::select! {
            result = &mut running => (result, false),
            () = tokio::time::sleep(limit) => {
                // Stop it the way an interrupt would, so it ends cleanly.
                child_cancel.cancel();
                (running.await, true)
            }
        },
    };
    drop(run_tools);
    let text = result.summary.result.clone().unwrap_or_default();
    if timed_out {
        let error = ToolError::respond(format!(
            "The {kind} subagent did not finish within {} ms and was stopped.",
            limit.map_or(0, |l| l.as_millis())
        ));
        let output = crate::tools::isolation::finish(core, isolated, Err(error)).await;
        return (output, Some(result.summary));
    }
    let output = match result.outcome {
        TurnOutcome::Completed => Ok(ToolOutput::text(
            text.clone(),
            json!({ "result": text, "agent": kind }),
        )),
        TurnOutcome::Interrupted => Err(ToolError::cancelled("Agent")),
        TurnOutcome::MaxTurns | TurnOutcome::MaxBudget | TurnOutcome::Failed => Err(
            ToolError::respond(format!("The {kind} subagent did not finish: {text}")),
        ),
        other => Err(ToolError::respond(format!(
            "The {kind} subagent ended with {other:?}: {text}"
        ))),
    };
    let output = crate::tools::isolation::finish(core, isolated, output).await;
    (output, Some(result.summary))
}

/// The tools of a subagent: its definition's `tools` (all when absent or
/// `*`), minus `disallowedTools`, never the loop's own tools.
fn tools_for(all: &ToolRegistry, definition: Option<&Subagent>) -> ToolRegistry {
    let mut filter = ToolFilter::all();
    if let Some(list) = definition.and_then(|d| d.meta.tools.as_ref())
        && !list.0.iter().any(|tool| tool == "*")
    {
        filter = filter.allow_only(list.0.iter().map(|tool| tool_name(tool)));
    }
    if let Some(list) = definition.and_then(|d| d.meta.disallowed_tools.as_ref()) {
        filter = filter.deny(list.0.iter().map(|tool| tool_name(tool)));
    }
    all.filtered(&filter.deny(NEVER_IN_SUBAGENTS))
}

/// The rules with a specifier in a definition's `tools` (`Bash(git:*)`),
/// as a policy allowing only what they match.
fn restrictions_for(core: &Core, definition: &Subagent) -> Option<Restrictions> {
    let rules: Vec<String> = definition
        .meta
        .tools
        .as_ref()?
        .0
        .iter()
        .filter(|entry| entry.contains('('))
        .cloned()
        .collect();
    if rules.is_empty() {
        return None;
    }
    let mut tools: Vec<String> = rules.iter().map(|rule| tool_name(rule)).collect();
    tools.dedup();
    let home = core
        .env
        .get("HOME")
        .cloned()
        .unwrap_or_else(|| "/".to_owned());
    let policy = PolicyBuilder::new(&core.cwd, home)
        .mode(Mode::DontAsk)
        .rules(
            Behavior::Allow,
            &rules,
            RuleSource {
                path: Some(definition.path.clone()),
                root: core.cwd.clone(),
            },
        )
        .build();
    Some(Restrictions {
        tools,
        rules,
        policy,
    })
}

/// A definition's `permissionMode` as the permission engine's mode.
fn mode_of(mode: ferrule_memory::PermissionMode) -> Mode {
    use ferrule_memory::PermissionMode as Defined;
    match mode {
        Defined::Default => Mode::Default,
        Defined::AcceptEdits => Mode::AcceptEdits,
        Defined::BypassPermissions => Mode::BypassPermissions,
        Defined::DontAsk => Mode::DontAsk,
        Defined::Auto => Mode::Auto,
        Defined::Plan => Mode::Plan,
    }
}

/// `Bash(git:*)` → `Bash`: the tool a list entry names.
fn tool_name(entry: &str) -> String {
    entry
        .split_once('(')
        .map_or(entry, |(name, _)| name)
        .trim()
        .to_owned()
}
