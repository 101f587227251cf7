//! Who answers "ask": the [`Asker`] trait and the print-mode [`HeadlessAsker`].

use async_trait::async_trait;
pub use ferrule_hooks::ElicitationAction;
use ferrule_permissions::{AskKind, Decision};
use ferrule_protocol::sdk::PermissionUpdate;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// A tool call that needs an answer from the host: the permission engine
/// said "ask" (and no PermissionRequest hook decided), or the tool is a
/// question to the user (`AskUserQuestion`, `ExitPlanMode`, `EnterPlanMode`).
#[derive(Debug, Clone)]
pub struct AskRequest {
    /// Id of the call.
    pub tool_use_id: String,
    /// Tool name as the model called it.
    pub tool_name: String,
    /// The input the tool would run with.
    pub input: Value,
    /// Why it asks: the rule, the reason, the kind.
    pub decision: Decision,
    /// Permission updates the host may offer, e.g. `addRules Bash(cargo test:*)`.
    pub suggestions: Vec<PermissionUpdate>,
    /// Set when the call comes from a subagent: its agent id.
    pub agent_id: Option<String>,
    /// Fires when the run is interrupted; an asker waiting on a person
    /// should stop waiting then.
    pub cancel: CancellationToken,
}

/// The host's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum AskAnswer {
    /// Run the tool.
    Allow {
        /// The input to run with instead (for `AskUserQuestion`: the input
        /// with `answers` filled in).
        updated_input: Option<Value>,
        /// Changes to apply for the rest of the session ("always allow").
        updated_permissions: Vec<PermissionUpdate>,
    },
    /// Do not run the tool.
    Deny {
        /// Why; the model reads it in the tool result.
        message: String,
        /// Also end the run, as an interrupt would.
        interrupt: bool,
    },
}

impl AskAnswer {
    /// Allow with the input unchanged and no updates.
    pub fn allow() -> Self {
        Self::Allow {
            updated_input: None,
            updated_permissions: Vec::new(),
        }
    }

    /// Deny with `message`, without interrupting.
    pub fn deny(message: impl Into<String>) -> Self {
        Self::Deny {
            message: message.into(),
            interrupt: false,
        }
    }
}

/// An MCP server asks the user for input (an elicitation, cli-core.md §8.3).
#[derive(Debug, Clone)]
pub struct ElicitRequest {
    /// The server's name as configured.
    pub server: String,
    /// What the server asks.
    pub message: String,
    /// `form` (answer with content matching `requested_schema`) or `url`
    /// (the user opens `url`).
    pub mode: String,
    /// The page to open in `url` mode.
    pub url: Option<String>,
    /// The elicitation's id.
    pub elicitation_id: String,
    /// The JSON Schema of the content wanted (`form` mode; `null` else).
    pub requested_schema: Value,
    /// Fires when the server gives up on the request.
    pub cancel: CancellationToken,
}

/// The user's answer to an elicitation.
#[derive(Debug, Clone, PartialEq)]
pub struct ElicitAnswer {
    /// Accept, decline or cancel.
    pub action: ElicitationAction,
    /// The content given with an accept.
    pub content: Option<Value>,
}

impl ElicitAnswer {
    /// Declined, without content.
    pub fn decline() -> Self {
        Self {
            action: ElicitationAction::Decline,
            content: None,
        }
    }
}

/// Answers "ask" requests.
#[async_trait]
pub trait Asker: Send + Sync {
    /// Answers one request. Called from the loop; may wait for a person.
    async fn ask(&self, request: AskRequest) -> AskAnswer;

    /// Answers an MCP server's elicitation. The default declines: an asker
    /// without a person or an SDK client to forward to cannot answer.
    async fn elicit(&self, request: ElicitRequest) -> ElicitAnswer {
        tracing::debug!(server = %request.server, "elicitation declined: this host cannot ask");
        ElicitAnswer::decline()
    }
}

/// An [`Asker`] made of a closure that answers at once (no waiting on a
/// person), e.g. a fixed policy of an embedder.
pub struct FnAsker<F>(pub F);

impl<F> std::fmt::Debug for FnAsker<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FnAsker")
    }
}

#[async_trait]
impl<F: Fn(&AskRequest) -> AskAnswer + Send + Sync> Asker for FnAsker<F> {
    async fn ask(&self, request: AskRequest) -> AskAnswer {
        (self.0)(&request)
    }
}

/// The asker of print mode: nobody is there, so every ask is denied with a
/// message naming the rule that would allow the call.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeadlessAsker;

#[async_trait]
impl Asker for HeadlessAsker {
    async fn ask(&self, request: AskRequest) -> AskAnswer {
        AskAnswer::deny(headless_denial(&request))
    }

    async fn elicit(&self, request: ElicitRequest) -> ElicitAnswer {
        tracing::warn!(
            "MCP server `{}` asked for input ({}), but no user is present (print mode): declined. \
             An Elicitation hook can answer it instead.",
            request.server,
            request.message
        );
        ElicitAnswer::decline()
    }
}

/// The message of a denial for lack of a user.
fn headless_denial(request: &AskRequest) -> String {
    if request.decision.ask_kind == Some(AskKind::Interaction) {
        return format!(
            "{} needs an answer from the user, but no user is present (print mode). \
             Continue without asking, using your best judgement.",
            request.tool_name
        );
    }
    let rule = rule_for_call(&request.tool_name, &request.input);
    let why = match request.decision.ask_kind {
        // A read asks for lack of a rule only outside the working directories.
        Some(AskKind::NoRule)
            if matches!(request.tool_name.as_str(), "Read" | "Glob" | "Grep" | "LS") =>
        {
            format!(
                "{}, and no rule allows it in print mode",
                request.decision.reason
            )
        }
        Some(AskKind::NoRule) | None => "no rule allows it in print mode".to_owned(),
        Some(_) => format!("{}, and print mode cannot ask", request.decision.reason),
    };
    format!(
        "Permission to use {rule} was denied: {why}. \
         To allow it, add \"{rule}\" to permissions.allow in .qoder/settings.json \
         or pass --allowed-tools \"{rule}\"."
    )
}

/// The narrowest rule text that allows exactly this call.
pub(crate) fn rule_for_call(tool: &str, input: &Value) -> String {
    let field = |name: &str| input.get(name).and_then(Value::as_str);
    match tool {
        "Bash" => match field("command") {
            Some(command) => format!("Bash({})", command.trim()),
            None => "Bash".to_owned(),
        },
        "Write" | "Edit" | "MultiEdit" => match field("file_path") {
            Some(path) => format!("{tool}({})", rule_path(path)),
            None => tool.to_owned(),
        },
        "NotebookEdit" => match field("notebook_path") {
            Some(path) => format!("NotebookEdit({})", rule_path(path)),
            None => tool.to_owned(),
        },
        // Read rules also govern the roots of Glob, Grep and LS (§3.4.5).
        "Read" => match field("file_path") {
            Some(path) => format!("Read({})", rule_path(path)),
            None => tool.to_owned(),
        },
        "Glob" | "Grep" | "LS" => match field("path") {
            Some(path) => format!("Read({}/**)", rule_path(path).trim_end_matches('/')),
            None => tool.to_owned(),
        },
        "WebFetch" => match field("url").and_then(host_of) {
            Some(host) => format!("WebFetch(domain:{host})"),
            None => "WebFetch".to_owned(),
        },
        _ => tool.to_owned(),
    }
}

/// A path as rule content: an absolute path is written `//abs/path` (a
/// single leading `/` would anchor it at the project root, §3.4.5).
fn rule_path(path: &str) -> String {
    if path.starts_with('/') && !path.starts_with("//") {
        format!("/{path}")
    } else {
        path.to_owned()
    }
}

/// The host part of a URL, without a user or port.
fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = host.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_permissions::Behavior;
    use serde_json::json;

    fn request(tool: &str, input: Value, kind: AskKind) -> AskRequest {
        AskRequest {
            tool_use_id: "c1".into(),
            tool_name: tool.into(),
            input,
            decision: Decision {
                behavior: Behavior::Ask,
                ask_kind: Some(kind),
                rule: None,
                reason: "no rule covers this command".into(),
                classifiable: None,
            },
            suggestions: Vec::new(),
            agent_id: None,
            cancel: CancellationToken::new(),
        }
    }

    #[tokio::test]
    async fn headless_denial_names_the_rule_to_add() {
        let answer = HeadlessAsker
            .ask(request(
                "Bash",
                json!({"command": "rm -rf build"}),
                AskKind::NoRule,
            ))
            .await;
        let AskAnswer::Deny { message, interrupt } = answer else {
            panic!("headless must deny");
        };
        assert!(!interrupt);
        assert_eq!(
            message,
            "Permission to use Bash(rm -rf build) was denied: no rule allows it in print mode. \
             To allow it, add \"Bash(rm -rf build)\" to permissions.allow in .qoder/settings.json \
             or pass --allowed-tools \"Bash(rm -rf build)\"."
        );
        assert!(
            message.contains(
                r#"add "Bash(rm -rf build)" to permissions.allow in .qoder/settings.json"#
            ),
            "{message}"
        );
        assert!(
            message.contains(r#"--allowed-tools "Bash(rm -rf build)""#),
            "{message}"
        );
    }

    #[tokio::test]
    async fn headless_question_says_no_user_is_present() {
        let answer = HeadlessAsker
            .ask(request("AskUserQuestion", json!({}), AskKind::Interaction))
            .await;
        let AskAnswer::Deny { message, .. } = answer else {
            panic!("headless must deny");
        };
        assert!(message.contains("no user is present"), "{message}");
    }

    #[test]
    fn web_fetch_rules_name_the_domain() {
        assert_eq!(
            rule_for_call("WebFetch", &json!({"url": "https://user@docs.rs:443/x?y"})),
            "WebFetch(domain:docs.rs)"
        );
        assert_eq!(
            rule_for_call("Read", &json!({"file_path": "/etc/hosts"})),
            "Read(//etc/hosts)"
        );
        assert_eq!(
            rule_for_call("Grep", &json!({"path": "/opt/lib/"})),
            "Read(//opt/lib/**)"
        );
        assert_eq!(
            rule_for_call("Write", &json!({"file_path": "/tmp/x"})),
            "Write(//tmp/x)"
        );
        assert_eq!(
            rule_for_call("Edit", &json!({"file_path": "src/a.rs"})),
            "Edit(src/a.rs)"
        );
    }
}
