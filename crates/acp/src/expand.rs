//! Running a custom command's `` !`cmd` `` parts and reading its `@file`
//! parts: shell commands pass the Bash permission check first (asking the
//! client on "ask"; the command's `allowed-tools` allow without asking),
//! files are read from the session's directory.

use std::path::PathBuf;
use std::sync::Arc;

use ferrule_agent::{AgentControls, AskAnswer, AskRequest, Asker};
use ferrule_memory::CommandHost;
use ferrule_permissions::{Behavior, PolicyBuilder, Request, RuleSource, decide};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// The [`CommandHost`] of one prompt.
pub(crate) struct ExpandHost {
    pub(crate) cwd: PathBuf,
    pub(crate) policy: PolicyBuilder,
    /// The command's `allowed-tools`, allowed for its shell parts.
    pub(crate) allowed_tools: Vec<String>,
    /// The command's file (where those rules come from).
    pub(crate) path: PathBuf,
    pub(crate) controls: AgentControls,
    pub(crate) asker: Arc<dyn Asker>,
    pub(crate) cancel: CancellationToken,
}

impl CommandHost for ExpandHost {
    async fn run_shell(&self, command: &str) -> Result<String, String> {
        let input = json!({"command": command});
        let source = RuleSource {
            path: Some(self.path.clone()),
            root: self.cwd.clone(),
        };
        let policy = self
            .policy
            .clone()
            .mode(self.controls.mode())
            .rules(Behavior::Allow, &self.allowed_tools, source)
            .build();
        let decision = decide(&policy, &Request::new("Bash", input.clone()));
        match decision.behavior {
            Behavior::Allow => {}
            Behavior::Deny => {
                return Err(format!("Bash({command}) is denied: {}", decision.reason));
            }
            Behavior::Ask => {
                let request = AskRequest {
                    tool_use_id: format!("command-{}", uuid::Uuid::new_v4()),
                    tool_name: "Bash".into(),
                    input,
                    decision,
                    suggestions: Vec::new(),
                    agent_id: None,
                    cancel: self.cancel.clone(),
                };
                if let AskAnswer::Deny { message, .. } = self.asker.ask(request).await {
                    return Err(format!("Bash({command}) was not run: {message}"));
                }
            }
        }
        ferrule_setup::run_embedded_shell(&self.cwd, command, Some(&self.cancel)).await
    }

    async fn read_file(&self, path: &str) -> Result<String, String> {
        ferrule_setup::read_embedded_file(&self.cwd, path).await
    }
}
