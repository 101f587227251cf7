//! Runners for `prompt` and `agent` hooks (ferrule-hooks' [`PromptRunner`]
//! and [`AgentRunner`], cli-core.md §5.2), backed by a model and this
//! crate's loop. Give them to the dispatcher:
//!
//! ```
//! use std::sync::Arc;
//! use ferrule_agent::hook_runners::{ModelPromptRunner, SubagentRunner};
//! use ferrule_hooks::Dispatcher;
//! use ferrule_model::{Model, Script, ScriptedModel};
//!
//! let dir = tempfile::tempdir()?;
//! let model: Arc<dyn Model> = Arc::new(ScriptedModel::new("hooks.json", Script::default()));
//! let dispatcher = Dispatcher::builder(dir.path())
//!     .prompt_runner(Arc::new(ModelPromptRunner::new(Arc::clone(&model))))
//!     .agent_runner(Arc::new(SubagentRunner::new(model, Default::default(), dir.path())))
//!     .build();
//! # let _ = dispatcher;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`PromptRunner`]: ferrule_hooks::PromptRunner
//! [`AgentRunner`]: ferrule_hooks::AgentRunner

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ferrule_hooks::{AgentRequest, AgentRunner, PromptRequest, PromptRunner, RunnerError};
use ferrule_model::{Model, ModelEvent, ModelRequest};
use ferrule_permissions::{Behavior, PolicyBuilder, RuleSource};
use ferrule_protocol::{ContentBlock, Message, TurnOutcome};
use ferrule_tool::{
    ToolContext, ToolError, ToolFilter, ToolOutput, ToolRegistry, ToolTarget, TypedTool,
};
use futures::StreamExt;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::builder::AgentBuilder;
use crate::core::lock;
use crate::events::NullSink;
use crate::input::UserInput;
use crate::prompt::SystemPrompt;

/// Picks the model for a hook's `model` override; `None` keeps the default.
pub type ModelResolver = Arc<dyn Fn(&str) -> Option<Arc<dyn Model>> + Send + Sync>;

const PROMPT_SYSTEM: &str = "\
You evaluate one event of a coding agent for a hook. Read the instructions and the event \
JSON in the user message and answer with only a JSON object: {\"ok\": true} when the \
action may proceed, or {\"ok\": false, \"reason\": \"why, for the agent to read\"} when it \
may not. No other text.";

const AGENT_SYSTEM: &str = "\
You check one event of a coding agent for a hook. Use your tools to look at what you need, \
then call StructuredOutput exactly once with {\"ok\": true} when the action may proceed, or \
{\"ok\": false, \"reason\": \"why\"} when it may not. Then stop.";

fn pick(
    default: &Arc<dyn Model>,
    resolver: Option<&ModelResolver>,
    name: Option<&str>,
) -> Arc<dyn Model> {
    match (resolver, name) {
        (Some(resolve), Some(name)) => resolve(name).unwrap_or_else(|| {
            tracing::warn!(model = %name, "hook model override not found; using the default model");
            Arc::clone(default)
        }),
        _ => Arc::clone(default),
    }
}

/// Answers `prompt` hooks with one model call.
pub struct ModelPromptRunner {
    model: Arc<dyn Model>,
    resolver: Option<ModelResolver>,
}

impl std::fmt::Debug for ModelPromptRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelPromptRunner")
            .field("model", &self.model.name())
            .finish_non_exhaustive()
    }
}

impl ModelPromptRunner {
    /// A runner asking `model`.
    pub fn new(model: Arc<dyn Model>) -> Self {
        Self {
            model,
            resolver: None,
        }
    }

    /// Resolves hooks' `model` overrides with `resolver`.
    pub fn with_resolver(mut self, resolver: ModelResolver) -> Self {
        self.resolver = Some(resolver);
        self
    }
}

#[async_trait]
impl PromptRunner for ModelPromptRunner {
    async fn complete(&self, request: PromptRequest) -> Result<String, RunnerError> {
        let model = pick(
            &self.model,
            self.resolver.as_ref(),
            request.model.as_deref(),
        );
        let mut model_request = ModelRequest::new(vec![Message::user(request.prompt)]);
        model_request.system = Some(PROMPT_SYSTEM.to_owned());
        let mut stream = model.stream(model_request, Default::default());
        while let Some(event) = stream.next().await {
            match event {
                Ok(ModelEvent::Completed { message }) => {
                    let text: Vec<&str> = message
                        .content
                        .iter()
                        .filter_map(ContentBlock::as_text)
                        .collect();
                    return Ok(text.join("\n"));
                }
                Ok(_) => {}
                Err(error) => {
                    return Err(RunnerError(format!(
                        "prompt hook model call failed: {error}"
                    )));
                }
            }
        }
        Err(RunnerError(format!(
            "the model {} ended its answer without completing it",
            model.name()
        )))
    }
}

/// Answers `agent` hooks with a short subagent that reports through a
/// `StructuredOutput` tool call.
pub struct SubagentRunner {
    model: Arc<dyn Model>,
    tools: ToolRegistry,
    cwd: PathBuf,
    policy: Option<PolicyBuilder>,
    resolver: Option<ModelResolver>,
}

impl std::fmt::Debug for SubagentRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubagentRunner")
            .field("model", &self.model.name())
            .field("tools", &self.tools)
            .field("cwd", &self.cwd)
            .finish_non_exhaustive()
    }
}

impl SubagentRunner {
    /// A runner using `model` with (a filtered view of) `tools` in `cwd`.
    /// Calls that would ask are denied: nobody answers inside a hook.
    pub fn new(model: Arc<dyn Model>, tools: ToolRegistry, cwd: impl Into<PathBuf>) -> Self {
        Self {
            model,
            tools,
            cwd: cwd.into(),
            policy: None,
            resolver: None,
        }
    }

    /// The permission rules the subagent's calls are decided by (default:
    /// default mode, no rules: read-only tools run).
    pub fn policy_builder(mut self, builder: PolicyBuilder) -> Self {
        self.policy = Some(builder);
        self
    }

    /// Resolves hooks' `model` overrides with `resolver`.
    pub fn with_resolver(mut self, resolver: ModelResolver) -> Self {
        self.resolver = Some(resolver);
        self
    }
}

#[async_trait]
impl AgentRunner for SubagentRunner {
    async fn run(&self, request: AgentRequest) -> Result<Value, RunnerError> {
        let mut filter = ToolFilter::all().deny(request.denied_tools.iter().cloned());
        if let Some(tools) = &request.tools {
            filter =
                filter.allow_only(tools.iter().cloned().chain(["StructuredOutput".to_owned()]));
        }
        let mut tools = self.tools.filtered(&filter.deny(["StructuredOutput"]));
        let answer = Arc::new(Mutex::new(None));
        tools
            .register(StructuredOutput {
                answer: Arc::clone(&answer),
            })
            .map_err(|error| RunnerError(error.to_string()))?;
        let model = pick(
            &self.model,
            self.resolver.as_ref(),
            request.model.as_deref(),
        );
        let builder = AgentBuilder::new(model, tools, &self.cwd)
            .system_prompt(SystemPrompt::new().replace(AGENT_SYSTEM))
            .max_turns(Some(request.max_turns.max(1)))
            // The hook's agent has nobody to ask and no loop tools.
            .exclude_tools(["Agent", "AskUserQuestion", "EnterPlanMode", "ExitPlanMode"]);
        let home = std::env::var("HOME").unwrap_or_else(|_| "/".to_owned());
        let policy = self
            .policy
            .clone()
            .unwrap_or_else(|| PolicyBuilder::new(&self.cwd, &home))
            .rules(
                Behavior::Allow,
                ["StructuredOutput"],
                RuleSource {
                    path: None,
                    root: self.cwd.clone(),
                },
            );
        let builder = builder.policy_builder(policy);
        let mut agent = builder
            .build()
            .map_err(|error| RunnerError(format!("cannot start the hook's agent: {error}")))?;
        let result = agent.run(UserInput::text(request.prompt), &NullSink).await;
        if let Some(value) = lock(&answer).take() {
            return Ok(value);
        }
        let why = match result.outcome {
            TurnOutcome::Completed => "it finished without calling StructuredOutput".to_owned(),
            _ => result.summary.result.unwrap_or_default(),
        };
        Err(RunnerError(format!(
            "the hook's agent gave no verdict: {why}"
        )))
    }
}

/// Input of `StructuredOutput`: the verdict.
#[derive(Debug, Deserialize, JsonSchema)]
struct VerdictInput {
    /// Whether the action may proceed.
    ok: bool,
    /// Why not, when `ok` is false.
    #[serde(default)]
    reason: Option<String>,
}

/// The tool an agent hook reports its verdict with.
struct StructuredOutput {
    answer: Arc<Mutex<Option<Value>>>,
}

#[async_trait]
impl TypedTool for StructuredOutput {
    type Input = VerdictInput;

    fn name(&self) -> &str {
        "StructuredOutput"
    }

    fn description(&self) -> &str {
        "Reports your verdict: {\"ok\": true} or {\"ok\": false, \"reason\": \"...\"}."
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn targets(&self, _: &VerdictInput, _: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, input: VerdictInput, _: &ToolContext) -> Result<ToolOutput, ToolError> {
        let verdict = json!({"ok": input.ok, "reason": input.reason});
        *lock(&self.answer) = Some(verdict.clone());
        Ok(ToolOutput::text("Verdict recorded. Stop now.", verdict))
    }
}
