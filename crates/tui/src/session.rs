//! One agent session behind the interface: prepared by ferrule-setup, built
//! with the interface's asker, replaced on `/clear` and `/resume`.

use std::path::PathBuf;
use std::sync::Arc;

use ferrule_agent::{Agent, AgentControls, Asker};
use ferrule_hooks::{SessionEndReason, SessionSource};
use ferrule_memory::Workspace;
use ferrule_model::Model;
use ferrule_permissions::{Behavior, Policy, PolicyBuilder, Request, RuleSource, decide};
use ferrule_protocol::{ContentBlock, Message, MessageContent, Role};
use ferrule_setup::model::{http_options, session_model};
use ferrule_setup::{HostInfo, SessionHooks, SetupOptions, prepare};

use crate::TuiError;
use crate::state::{Cell, ToolCell, ToolStatus};

/// What the commands show about the session's settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct SettingsFacts {
    /// `permissions.allow|deny|ask` of the merged settings.
    pub(crate) allow: Vec<String>,
    pub(crate) deny: Vec<String>,
    pub(crate) ask: Vec<String>,
    /// `permissions.additionalDirectories`.
    pub(crate) directories: Vec<String>,
    /// Hook events with their matchers and hook count.
    pub(crate) hooks: Vec<String>,
    /// Whether bypass may be switched on.
    pub(crate) bypass_allowed: bool,
    /// Settings files that loaded, by scope.
    pub(crate) files: Vec<String>,
    /// Problems in settings files, one line each (file:line:column: message).
    pub(crate) problems: Vec<String>,
}

/// The running session.
pub(crate) struct Session {
    /// The agent; `None` while a turn owns it.
    pub(crate) agent: Option<Agent>,
    pub(crate) controls: AgentControls,
    pub(crate) info: HostInfo,
    pub(crate) options: SetupOptions,
    pub(crate) facts: SettingsFacts,
    pub(crate) tool_names: Vec<String>,
    /// The resumed conversation, for the scrollback.
    pub(crate) history: Vec<Message>,
    /// The policy at start, for the shell parts of custom commands.
    pub(crate) policy: Policy,
    /// The same as a builder, to try rules before offering them.
    policy_builder: PolicyBuilder,
    /// The merged settings, for resolving `/model` names.
    settings_json: serde_json::Value,
    /// SessionStart when the session starts, SessionEnd when it is left.
    hooks: SessionHooks,
    /// What the SessionStart hooks added, for the model with the first
    /// prompt.
    start_context: Vec<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("session_id", &self.info.session_id)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Prepares and builds a session from `options`, then fires its
    /// SessionStart hooks with `source` (by default `startup`, or `resume`
    /// for a resumed session).
    pub(crate) async fn start(
        options: SetupOptions,
        asker: Arc<dyn Asker>,
        source: Option<SessionSource>,
    ) -> Result<Self, TuiError> {
        let mut prepared = prepare(options.clone())?;
        prepared.start_mcp().await?;
        let dispatcher = Arc::clone(&prepared.hooks);
        let facts = settings_facts(&prepared.settings);
        let history = prepared.history.clone();
        let policy_builder = prepared.policy.clone();
        let policy = policy_builder.clone().build();
        let settings_json = serde_json::to_value(&prepared.settings.merged).unwrap_or_default();
        let (builder, info) = prepared.into_builder();
        let mut hooks = SessionHooks::new(dispatcher, &info);
        if let Some(source) = source {
            hooks = hooks.with_source(source);
        }
        let agent = builder.asker(asker).build()?;
        let start_context = hooks.start().await;
        Ok(Self {
            controls: agent.controls(),
            tool_names: agent.tool_names(),
            agent: Some(agent),
            info,
            options,
            facts,
            history,
            policy,
            policy_builder,
            settings_json,
            hooks,
            start_context,
        })
    }

    /// What the SessionStart hooks added, once: for the first prompt.
    pub(crate) fn take_start_context(&mut self) -> Vec<String> {
        std::mem::take(&mut self.start_context)
    }

    /// Fires the SessionEnd hooks with `reason`.
    pub(crate) async fn end(&self, reason: SessionEndReason) {
        self.hooks.end(reason).await;
    }

    /// Whether the starting policy, in default mode, with `rule` added as a
    /// project-local allow rule, allows calling `tool` with `input`.
    pub(crate) fn rule_allows(&self, rule: &str, tool: &str, input: &serde_json::Value) -> bool {
        let source = RuleSource {
            path: None,
            root: self.cwd().clone(),
        };
        let policy = self
            .policy_builder
            .clone()
            .mode(ferrule_permissions::Mode::Default)
            .rules(Behavior::Allow, [rule], source)
            .build();
        decide(&policy, &Request::new(tool, input.clone())).behavior == Behavior::Allow
    }

    /// Resolves a model name as `--model` would.
    pub(crate) fn resolve_model(&self, name: &str) -> Result<Arc<dyn Model>, String> {
        let http = http_options(&self.options.env, self.options.max_model_request_retries)
            .map_err(|e| e.to_string())?;
        session_model(
            Some(name),
            &self.options.env,
            &self.settings_json,
            self.cwd(),
            http,
            None,
        )
        .map(|model| model.model)
        .map_err(|error| format!("/model {name}: {error}"))
    }

    /// The memory snapshot.
    pub(crate) fn workspace(&self) -> &Arc<Workspace> {
        &self.info.workspace
    }

    /// One line per MCP server: name, status, tool count or error.
    pub(crate) fn mcp_lines(&self) -> Vec<String> {
        let Some(manager) = &self.info.mcp else {
            return Vec::new();
        };
        manager
            .status()
            .into_iter()
            .map(|server| {
                let status = serde_json::to_value(&server.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let detail = match (&server.error, &server.tools) {
                    (Some(error), _) => format!(": {error}"),
                    (None, Some(tools)) => format!(", {} tools", tools.len()),
                    (None, None) => String::new(),
                };
                format!("  {} — {status}{detail}", server.name)
            })
            .collect()
    }

    /// The merged settings, as JSON (`/config`).
    pub(crate) fn settings_json(&self) -> &serde_json::Value {
        &self.settings_json
    }

    /// The working directory.
    pub(crate) fn cwd(&self) -> &PathBuf {
        &self.info.cwd
    }
}

fn settings_facts(settings: &ferrule_config::LoadedSettings) -> SettingsFacts {
    let merged = &settings.merged;
    let permissions = merged.permissions.clone().unwrap_or_default();
    let hooks = merged
        .hooks
        .iter()
        .flatten()
        .flat_map(|(event, groups)| {
            groups.iter().map(move |group| {
                format!(
                    "{event} [{}]: {} hook{}",
                    group.matcher.as_deref().unwrap_or("*"),
                    group.hooks.len(),
                    if group.hooks.len() == 1 { "" } else { "s" }
                )
            })
        })
        .collect();
    let yolo_off = merged
        .security
        .as_ref()
        .and_then(|s| s.disable_yolo_mode)
        .unwrap_or(false)
        || permissions.disable_bypass_permissions_mode.as_deref() == Some("disable");
    let problems = settings
        .diagnostics
        .iter()
        .map(|d| {
            format!(
                "{}:{}:{}: {}",
                d.path.display(),
                d.line.unwrap_or(0),
                d.column.unwrap_or(0),
                d.message
            )
        })
        .collect();
    SettingsFacts {
        problems,
        allow: permissions.allow,
        deny: permissions.deny,
        ask: permissions.ask,
        directories: permissions.additional_directories,
        hooks,
        bypass_allowed: !yolo_off,
        files: settings
            .layers
            .iter()
            .filter_map(|layer| {
                let path = layer.path.as_ref()?;
                let note = match &layer.status {
                    ferrule_config::LayerStatus::Loaded => "",
                    ferrule_config::LayerStatus::Skipped(_) => " (skipped)",
                    _ => return None,
                };
                Some(format!("{} {}{note}", layer.scope.as_str(), path.display()))
            })
            .collect(),
    }
}

/// Cells for a resumed conversation: user text, assistant text and tool
/// calls with their results.
pub(crate) fn history_cells(messages: &[Message]) -> Vec<Cell> {
    let mut cells: Vec<Cell> = Vec::new();
    for message in messages {
        let blocks = match &message.content {
            MessageContent::Text(text) => vec![ContentBlock::text(text.clone())],
            MessageContent::Blocks(blocks) => blocks.clone(),
        };
        for block in blocks {
            match (message.role, block) {
                (Role::User, ContentBlock::Text(text)) => cells.push(Cell::User(text.text)),
                (Role::Assistant, ContentBlock::Text(text)) => {
                    cells.push(Cell::Assistant(text.text));
                }
                (_, ContentBlock::ToolUse(call)) => cells.push(Cell::Tool(ToolCell {
                    id: call.id,
                    name: call.name,
                    input: call.input,
                    status: ToolStatus::Interrupted,
                    result: None,
                    duration_ms: None,
                    child_calls: 0,
                    last_child: None,
                })),
                (_, ContentBlock::ToolResult(result)) => {
                    let found = cells.iter_mut().rev().find_map(|cell| match cell {
                        Cell::Tool(tool) if tool.id == result.tool_use_id => Some(tool),
                        _ => None,
                    });
                    if let Some(tool) = found {
                        tool.status = if result.is_error() {
                            ToolStatus::Failed
                        } else {
                            ToolStatus::Done
                        };
                        tool.result = result
                            .content
                            .as_ref()
                            .map(ferrule_protocol::ToolResultContent::joined_text);
                    }
                }
                _ => {}
            }
        }
    }
    cells
}
