//! What a turn gets besides the agent's own configuration: bound skills
//! ([`crate::skills::bind`]), MCP toolsets ([`crate::runtime_mcp`]), the
//! session's file resources ([`crate::resources`]) and memory stores
//! ([`crate::session_memory`]), and the environment's `setup_script`
//! ([`crate::setup_script`]).
//!
//! [`prepare`] reads them on the server when a turn begins; they travel in
//! the turn setup, so a worker on another machine gets them too. [`apply`]
//! writes them into the working directory, runs the script and connects
//! the servers where the turn runs.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use ferrule_permissions::{Behavior, PolicyBuilder, RuleSource};
use ferrule_tool::{Tool, ToolRegistry};
use serde_json::{Value, json};

use crate::app::AppState;
use crate::runtime_mcp::{self, McpServer};
use crate::skills::bind::{self, SkillFiles};
use crate::toolset::{McpPlanTool, Policy, ToolPlan};

/// The extras of one turn, read on the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct TurnExtras {
    /// Bound skills with their files.
    #[serde(default)]
    pub(crate) skills: Vec<SkillFiles>,
    /// MCP servers a toolset exposes, with their bearer tokens.
    #[serde(default)]
    pub(crate) mcp_servers: Vec<McpServer>,
    /// File resources: `(mount_path, base64 content)`.
    #[serde(default)]
    pub(crate) files: Vec<(String, String)>,
    /// The environment's `setup_script`.
    #[serde(default)]
    pub(crate) setup_script: Option<String>,
    /// Memory stores attached to the session, with their entries.
    #[serde(default)]
    pub(crate) memory_stores: Vec<crate::session_memory::MountedStore>,
    /// What could not be prepared (reported as `session.error`).
    #[serde(default)]
    pub(crate) problems: Vec<String>,
}

/// Reads the extras of `session` (its body), never failing: what cannot be
/// read becomes a problem.
pub(crate) async fn prepare(state: &AppState, session: &Value, vault_ids: &[String]) -> TurnExtras {
    let agent = &session["agent"];
    let session_id = session["id"].as_str().unwrap_or_default();
    let (skills, mut problems) = bind::load(state, agent).await;
    let mcp_servers = runtime_mcp::servers(state, agent, vault_ids)
        .await
        .unwrap_or_else(|e| {
            problems.push(format!("MCP credentials could not be read: {e}"));
            Vec::new()
        });
    let files = crate::resources::mounts(state, session_id)
        .await
        .unwrap_or_else(|e| {
            problems.push(format!("Session files could not be read: {}", e.message));
            Vec::new()
        });
    let memory_stores = crate::session_memory::prepare(state, session_id)
        .await
        .unwrap_or_else(|e| {
            problems.push(format!("Memory stores could not be read: {}", e.message));
            Vec::new()
        });
    let environment = session["environment_id"].as_str().unwrap_or_default();
    let setup_script = match crate::db::get_object(&state.store.pool, "environment", environment)
        .await
    {
        Ok(env) => env.and_then(|e| e.body["config"]["setup_script"].as_str().map(str::to_owned)),
        Err(e) => {
            problems.push(format!("The environment could not be read: {e}"));
            None
        }
    };
    TurnExtras {
        skills,
        mcp_servers,
        files,
        setup_script,
        memory_stores,
        problems,
    }
}

/// The extras in effect for a running turn.
pub(crate) struct Applied {
    skills: bind::BoundSkills,
    mcp: runtime_mcp::Connected,
    /// `session.error` events to store before the turn's own.
    pub(crate) events: Vec<Value>,
    session_id: String,
}

fn problem_event(message: &str) -> Value {
    json!({
        "id": crate::ids::new_id("evt_"),
        "type": "session.error",
        "error": {"type": "invalid_request_error", "message": message,
                  "retry_status": {"type": "terminal"}},
    })
}

/// Writes files and skills into `cwd`, runs the setup script once per
/// directory (with the turn's environment `env`) and connects the MCP
/// servers.
///
/// # Errors
/// The setup script failed (the turn must not run), or a file or skill
/// could not be written.
pub(crate) async fn apply(
    extras: &TurnExtras,
    cwd: &Path,
    session_id: &str,
    tools_json: &Value,
    env: &BTreeMap<String, String>,
) -> Result<Applied, String> {
    for (mount_path, content) in &extras.files {
        let path = crate::resources::host_path(cwd, mount_path);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(content)
            .map_err(|e| format!("file resource {mount_path}: {e}"))?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("mounting {mount_path}: {e}"))?;
        }
        std::fs::write(&path, bytes).map_err(|e| format!("mounting {mount_path}: {e}"))?;
    }
    crate::session_memory::mount(&extras.memory_stores, cwd)?;
    let skills = bind::write(&extras.skills, cwd)?;
    if let Some(script) = &extras.setup_script {
        crate::setup_script::ensure(cwd, script, env, crate::setup_script::TIME_LIMIT).await?;
    }
    let mcp = runtime_mcp::connect(&extras.mcp_servers, tools_json, env).await;
    let mut events: Vec<Value> = extras.problems.iter().map(|p| problem_event(p)).collect();
    for mut event in mcp.events.clone() {
        event["id"] = json!(crate::ids::new_id("evt_"));
        events.push(event);
    }
    Ok(Applied {
        skills,
        mcp,
        events,
        session_id: session_id.to_owned(),
    })
}

impl Applied {
    /// Adds the MCP tools (and `Skill`, when skills are bound) to the plan.
    pub(crate) fn extend_plan(&self, plan: &mut ToolPlan) {
        plan.mcp.extend(self.mcp.plan.iter().cloned());
        if !self.skills.skills.is_empty() && plan.evaluate("Skill") != Some(Policy::Allow) {
            plan.builtins.push(("Skill", Policy::Allow));
        }
    }

    /// `(name, description)` of the bound skills, for the system prompt.
    pub(crate) fn skill_summaries(&self) -> Vec<(String, String)> {
        self.skills.summaries()
    }

    /// Registers the `Skill` tool and the MCP tools.
    pub(crate) fn register(&self, registry: &mut ToolRegistry) {
        let tools: Vec<Arc<dyn Tool>> = self
            .skills
            .tool(&self.session_id)
            .into_iter()
            .chain(self.mcp.tools.iter().cloned())
            .collect();
        for tool in tools {
            if let Err(error) = registry.register_arc(tool) {
                tracing::warn!(%error, "a runtime tool was not registered");
            }
        }
    }

    /// Permission rules for the MCP tools by their policies (a server's
    /// read-only hint never bypasses `always_ask` or `always_deny`).
    pub(crate) fn rules(&self, builder: PolicyBuilder, cwd: &Path) -> PolicyBuilder {
        let names = |wanted: Policy| -> Vec<String> {
            self.mcp
                .plan
                .iter()
                .filter(|t: &&McpPlanTool| t.policy == wanted)
                .map(|t| t.name.clone())
                .collect()
        };
        let source = || RuleSource {
            path: None,
            root: cwd.to_path_buf(),
        };
        builder
            .rules(Behavior::Deny, names(Policy::Deny), source())
            .rules(Behavior::Ask, names(Policy::Ask), source())
            .rules(Behavior::Allow, names(Policy::Allow), source())
    }
}
