//! Running a custom command's `` !`cmd` `` parts and reading its `@file`
//! parts: shell commands pass the Bash permission check first (asking the
//! client on "ask"), files are read from the session's directory.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferrule_agent::{AgentControls, AskAnswer, AskRequest, Asker};
use ferrule_memory::CommandHost;
use ferrule_permissions::{Behavior, PolicyBuilder, Request, decide};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// Longest an embedded command may run.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The [`CommandHost`] of one prompt.
pub(crate) struct ExpandHost {
    pub(crate) cwd: PathBuf,
    pub(crate) policy: PolicyBuilder,
    pub(crate) controls: AgentControls,
    pub(crate) asker: Arc<dyn Asker>,
    pub(crate) cancel: CancellationToken,
}

impl CommandHost for ExpandHost {
    async fn run_shell(&self, command: &str) -> Result<String, String> {
        let input = json!({"command": command});
        let policy = self.policy.clone().mode(self.controls.mode()).build();
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
        let child = tokio::process::Command::new("bash")
            .arg("-c")
            .arg(command)
            .current_dir(&self.cwd)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        let output = tokio::select! {
            output = tokio::time::timeout(TIMEOUT, child) => output,
            () = self.cancel.cancelled() => return Err("Interrupted".to_owned()),
        };
        match output {
            Err(_) => Err(format!(
                "`{command}` timed out after {}s",
                TIMEOUT.as_secs()
            )),
            Ok(Err(error)) => Err(format!("cannot run bash: {error}")),
            Ok(Ok(output)) => {
                let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
                text.push_str(&String::from_utf8_lossy(&output.stderr));
                if output.status.success() {
                    Ok(text)
                } else {
                    Err(format!("{} ({})", text.trim_end(), output.status))
                }
            }
        }
    }

    async fn read_file(&self, path: &str) -> Result<String, String> {
        let full = self.cwd.join(path);
        tokio::fs::read_to_string(&full)
            .await
            .map_err(|error| format!("{}: {error}", full.display()))
    }
}
