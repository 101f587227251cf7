//! The I/O of a custom command's embedded parts, shared by the hosts that
//! expand commands (`ferrule_memory::CommandHost` implementations): a
//! `` !`cmd` `` part runs in bash in the project with a time limit, an
//! `@file` part is read relative to the project. [`CommandShell`] is the
//! host itself: the Bash permission check before a shell part, then the
//! asker its host gives it (or a refusal when there is no one to ask).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ferrule_agent::{AskAnswer, AskRequest, Asker};
use ferrule_memory::CommandHost;
use ferrule_permissions::{Behavior, Policy, Request, RuleSource, decide};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// Longest an embedded command may run.
pub const EMBEDDED_COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `command` with `bash -c` in `cwd`: its stdout then stderr on
/// success; on failure that text with the exit status, a timeout, or
/// "Interrupted" when `cancel` fires first.
///
/// # Errors
/// A readable message: the failing output and status, the timeout, the
/// interrupt, or why bash could not start.
pub async fn run_embedded_shell(
    cwd: &Path,
    command: &str,
    cancel: Option<&CancellationToken>,
) -> Result<String, String> {
    let child = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(command)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let cancelled = async {
        match cancel {
            Some(cancel) => cancel.cancelled().await,
            None => std::future::pending().await,
        }
    };
    let output = tokio::select! {
        output = tokio::time::timeout(EMBEDDED_COMMAND_TIMEOUT, child) => output,
        () = cancelled => return Err("Interrupted".to_owned()),
    };
    match output {
        Err(_) => Err(format!(
            "`{command}` timed out after {}s",
            EMBEDDED_COMMAND_TIMEOUT.as_secs()
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

/// Reads an `@file` part, relative to `cwd`.
///
/// # Errors
/// The full path and the I/O error.
pub async fn read_embedded_file(cwd: &Path, path: &str) -> Result<String, String> {
    let full = cwd.join(path);
    tokio::fs::read_to_string(&full)
        .await
        .map_err(|error| format!("{}: {error}", full.display()))
}

/// The [`CommandHost`] of one command expansion: each shell part goes
/// through the Bash permission check of `policy` (plus the command's
/// `allowed-tools`, see [`CommandShell::allowing`]); on "ask" the asker
/// decides, and without one the part is refused. `@file` parts are read
/// from the project.
#[derive(Clone)]
pub struct CommandShell {
    cwd: PathBuf,
    policy: Policy,
    asker: Option<Arc<dyn Asker>>,
    cancel: CancellationToken,
}

impl std::fmt::Debug for CommandShell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandShell")
            .field("cwd", &self.cwd)
            .field("asks", &self.asker.is_some())
            .finish_non_exhaustive()
    }
}

impl CommandShell {
    /// A host running shell parts in `cwd` under `policy`, with no one to
    /// ask (print mode): what would ask is refused.
    pub fn new(cwd: impl Into<PathBuf>, policy: Policy) -> Self {
        Self {
            cwd: cwd.into(),
            policy,
            asker: None,
            cancel: CancellationToken::new(),
        }
    }

    /// The same host asking `asker` on "ask"; `cancel` stops a waiting
    /// question and a running part.
    #[must_use]
    pub fn with_asker(mut self, asker: Arc<dyn Asker>, cancel: CancellationToken) -> Self {
        self.asker = Some(asker);
        self.cancel = cancel;
        self
    }

    /// The same host with a command's `allowed-tools` (from its file
    /// `path`) as allow rules; the policy's deny and ask rules still win.
    #[must_use]
    pub fn allowing(mut self, allowed_tools: &[String], path: &Path) -> Self {
        if !allowed_tools.is_empty() {
            let source = RuleSource {
                path: Some(path.to_path_buf()),
                root: self.cwd.clone(),
            };
            self.policy = self
                .policy
                .with_rules(Behavior::Allow, allowed_tools, source);
        }
        self
    }
}

impl CommandHost for CommandShell {
    async fn run_shell(&self, command: &str) -> Result<String, String> {
        let input = json!({"command": command});
        let decision = decide(&self.policy, &Request::new("Bash", input.clone()));
        match decision.behavior {
            Behavior::Allow => {}
            Behavior::Deny => {
                return Err(format!("Bash({command}) is denied: {}", decision.reason));
            }
            Behavior::Ask => {
                let Some(asker) = &self.asker else {
                    return Err(format!(
                        "Bash({command}) needs permission, and this session cannot ask; \
                         allow it with --allowed-tools or an allow rule"
                    ));
                };
                let request = AskRequest {
                    tool_use_id: format!("command-{}", uuid::Uuid::new_v4()),
                    tool_name: "Bash".into(),
                    input,
                    decision,
                    suggestions: Vec::new(),
                    agent_id: None,
                    cancel: self.cancel.clone(),
                };
                if let AskAnswer::Deny { message, .. } = asker.ask(request).await {
                    return Err(format!("Bash({command}) was not run: {message}"));
                }
            }
        }
        run_embedded_shell(&self.cwd, command, Some(&self.cancel)).await
    }

    async fn read_file(&self, path: &str) -> Result<String, String> {
        read_embedded_file(&self.cwd, path).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asks nothing, answers allow or deny, and counts the questions.
    struct Answer(bool, std::sync::Mutex<usize>);

    #[async_trait::async_trait]
    impl Asker for Answer {
        async fn ask(&self, _: AskRequest) -> AskAnswer {
            *self.1.lock().unwrap() += 1;
            if self.0 {
                AskAnswer::allow()
            } else {
                AskAnswer::deny("no thanks")
            }
        }
    }

    fn policy(dir: &Path) -> Policy {
        let source = RuleSource {
            path: None,
            root: dir.to_path_buf(),
        };
        Policy::builder(dir, dir)
            .rules(Behavior::Deny, ["Bash(rm:*)"], source.clone())
            .rules(Behavior::Allow, ["Bash(echo:*)"], source)
            .build()
    }

    #[tokio::test]
    async fn denied_allowed_and_asked_parts() {
        let dir = tempfile::tempdir().unwrap();
        let headless = CommandShell::new(dir.path(), policy(dir.path()));
        assert_eq!(headless.run_shell("echo hi").await.as_deref(), Ok("hi\n"));
        let denied = headless.run_shell("rm -f x").await.unwrap_err();
        assert!(denied.contains("is denied"), "{denied}");
        let refused = headless.run_shell("touch made").await.unwrap_err();
        assert!(refused.contains("cannot ask"), "{refused}");
        assert!(!dir.path().join("made").exists());

        // The command's allowed-tools allow without asking; deny rules win.
        let file = dir.path().join("cmd.md");
        let allowing = CommandShell::new(dir.path(), policy(dir.path())).allowing(
            &["Bash(touch:*)".to_owned(), "Bash(rm:*)".to_owned()],
            &file,
        );
        assert_eq!(allowing.run_shell("touch made").await.as_deref(), Ok(""));
        assert!(dir.path().join("made").exists());
        assert!(allowing.run_shell("rm made").await.is_err());
        assert!(dir.path().join("made").exists());

        // With an asker, its answer decides.
        for yes in [true, false] {
            let asker = Arc::new(Answer(yes, std::sync::Mutex::new(0)));
            let asking = CommandShell::new(dir.path(), policy(dir.path()))
                .with_asker(asker.clone(), CancellationToken::new());
            let result = asking.run_shell(&format!("mkdir asked-{yes}")).await;
            assert_eq!(result.is_ok(), yes, "{result:?}");
            assert_eq!(dir.path().join(format!("asked-{yes}")).exists(), yes);
            assert_eq!(*asker.1.lock().unwrap(), 1);
        }
    }
}
