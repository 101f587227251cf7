//! What a host reports about a prepared session before it runs: the facts
//! of the stream-json `system/init` line (`sdk-protocol.md` §3.1).

use std::path::PathBuf;

use ferrule_memory::Workspace;
use ferrule_permissions::Mode;
use ferrule_protocol::sdk::{
    ApiKeySource, McpServerStatus, PROTOCOL_VERSION, PluginInfo, SystemInit,
};
use serde_json::Map;

/// The facts of a session a host prints at start.
#[derive(Debug, Clone, PartialEq)]
pub struct InitFacts {
    /// The session id.
    pub session_id: String,
    /// The absolute working directory.
    pub cwd: PathBuf,
    /// Every tool the model can call.
    pub tools: Vec<String>,
    /// The model, `provider/model`.
    pub model: String,
    /// The permission mode.
    pub mode: Mode,
    /// Slash commands: custom commands and skills, without the `/`.
    pub slash_commands: Vec<String>,
    /// Subagent names.
    pub agents: Vec<String>,
    /// Skill names.
    pub skills: Vec<String>,
    /// Plugins loaded.
    pub plugins: Vec<PluginInfo>,
    /// MCP servers and their states.
    pub mcp_servers: Vec<McpServerStatus>,
}

impl InitFacts {
    /// Facts from the workspace; tools, model, mode and session are the
    /// caller's.
    pub fn new(
        workspace: &Workspace,
        session_id: String,
        tools: Vec<String>,
        model: String,
        mode: Mode,
    ) -> Self {
        let mut slash_commands: Vec<String> = workspace
            .commands
            .iter()
            .map(|command| command.name.trim_start_matches('/').to_owned())
            .collect();
        let skills: Vec<String> = workspace.skills.iter().map(|s| s.name.clone()).collect();
        slash_commands.extend(skills.iter().cloned());
        slash_commands.dedup();
        let mut agents: Vec<String> = workspace.subagents.iter().map(|s| s.name.clone()).collect();
        if !agents.iter().any(|name| name == "general-purpose") {
            agents.insert(0, "general-purpose".to_owned());
        }
        Self {
            session_id,
            cwd: workspace.cwd.clone(),
            tools,
            model,
            mode,
            slash_commands,
            agents,
            skills,
            plugins: workspace
                .plugins
                .iter()
                .map(|plugin| PluginInfo {
                    name: plugin.name.clone(),
                    path: plugin.root.display().to_string(),
                    source: None,
                })
                .collect(),
            mcp_servers: Vec::new(),
        }
    }

    /// The `system/init` line; `uuid` is the line's fresh id.
    pub fn to_system_init(&self, uuid: impl Into<String>) -> SystemInit {
        SystemInit {
            session_id: self.session_id.clone(),
            uuid: Some(uuid.into()),
            cwd: self.cwd.display().to_string(),
            tools: self.tools.clone(),
            mcp_servers: self.mcp_servers.clone(),
            model: self.model.clone(),
            permission_mode: ferrule_agent::mode_to_wire(self.mode),
            slash_commands: self.slash_commands.clone(),
            output_style: "default".to_owned(),
            skills: self.skills.clone(),
            plugins: self.plugins.clone(),
            agents: Some(self.agents.clone()),
            api_key_source: ApiKeySource::None,
            qodercli_version: env!("CARGO_PKG_VERSION").to_owned(),
            protocol_version: Some(PROTOCOL_VERSION.to_owned()),
            capabilities: None,
            fast_mode_state: None,
            extra: Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_memory::LoadOptions;
    use pretty_assertions::assert_eq;

    #[test]
    fn init_line_has_camel_case_mode_and_protocol_version() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = Workspace::load(&LoadOptions::new(dir.path()));
        let facts = InitFacts::new(
            &workspace,
            "s1".into(),
            vec!["Read".into()],
            "scripted/x.json".into(),
            Mode::AcceptEdits,
        );
        let value = serde_json::to_value(facts.to_system_init("u1")).unwrap();
        assert_eq!(value["permissionMode"], "acceptEdits");
        assert_eq!(value["protocol_version"], "1.4.0");
        assert_eq!(value["tools"], serde_json::json!(["Read"]));
        assert_eq!(value["agents"], serde_json::json!(["general-purpose"]));
    }
}
