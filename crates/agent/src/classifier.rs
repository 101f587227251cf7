//! The `auto` mode classifier (cli-core.md §3.3, A-4): what the permission
//! engine would have asked a user about goes to a [`Classifier`] instead,
//! which approves or refuses it. Without one, `auto` denies such calls.
//!
//! [`ModelClassifier`] asks a model, with the `autoMode` guidance of the
//! user's settings. Protected paths and dangerous commands never reach a
//! classifier: the engine denies them in `auto` mode whatever it would say.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use ferrule_model::{Model, ModelEvent, ModelRequest};
use ferrule_protocol::{ContentBlock, Message};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// One call the classifier is asked about.
#[derive(Debug, Clone)]
pub struct ClassifyRequest {
    /// The tool as the model named it.
    pub tool_name: String,
    /// The call's input.
    pub input: Value,
    /// Why the engine would have asked (its reason before the mode stage).
    pub ask_reason: String,
    /// The user's latest request in this conversation, when there is one.
    pub user_request: Option<String>,
    /// The directory the call runs in.
    pub cwd: PathBuf,
    /// Cancelled when the run is interrupted.
    pub cancel: CancellationToken,
}

/// What the classifier decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClassifyVerdict {
    /// The call may run.
    Allow {
        /// Why, in one sentence.
        reason: String,
    },
    /// The call is refused; the model reads the reason.
    Deny {
        /// Why, in one sentence.
        reason: String,
    },
}

/// Why the classifier could not decide. `auto` mode then denies the call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ClassifyError(pub String);

/// Decides calls that `auto` mode would otherwise deny.
#[async_trait]
pub trait Classifier: Send + Sync {
    /// Approves or refuses one call.
    async fn classify(&self, request: ClassifyRequest) -> Result<ClassifyVerdict, ClassifyError>;
}

/// Guidance sentences for the classifier (`autoMode` in settings).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutoModeGuidance {
    /// Operations it should tend to approve.
    pub allow: Vec<String>,
    /// Operations it should tend to refuse.
    pub soft_deny: Vec<String>,
    /// Facts about the environment.
    pub environment: Vec<String>,
}

/// A classifier that asks a model for a JSON verdict.
pub struct ModelClassifier {
    model: Arc<dyn Model>,
    guidance: AutoModeGuidance,
}

impl std::fmt::Debug for ModelClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelClassifier")
            .field("model", &self.model.name())
            .field("guidance", &self.guidance)
            .finish()
    }
}

const SYSTEM: &str = "\
You are the permission classifier of a coding agent that runs in auto mode: nobody is there \
to approve its actions, so you decide whether one tool call may run. Approve routine \
development work that serves the user's request and stays inside the project: building, \
testing, formatting, reading, searching, editing project files, local version-control \
commands that do not rewrite published history. Refuse what is destructive or hard to undo, \
reaches outside the project or the machine (pushing, publishing, deploying, sending data \
over the network), touches credentials or secrets, installs or runs software from untrusted \
sources, or goes beyond what the user asked for. When unsure, refuse. The user's guidance, \
when given, weighs more than these defaults. Answer with only a JSON object: \
{\"decision\": \"allow\", \"reason\": \"one sentence\"} or \
{\"decision\": \"deny\", \"reason\": \"one sentence\"}. No other text.";

/// The longest request and input text sent, in characters.
const MAX_TEXT: usize = 8_000;

impl ModelClassifier {
    /// A classifier asking `model`, without guidance.
    pub fn new(model: Arc<dyn Model>) -> Self {
        Self {
            model,
            guidance: AutoModeGuidance::default(),
        }
    }

    /// Adds the user's `autoMode` guidance to every question.
    pub fn guidance(mut self, guidance: AutoModeGuidance) -> Self {
        self.guidance = guidance;
        self
    }

    fn prompt(&self, request: &ClassifyRequest) -> String {
        let mut out = format!("Working directory: {}\n\n", request.cwd.display());
        match &request.user_request {
            Some(text) => {
                out.push_str("The user's latest request:\n");
                out.push_str(&clip(text));
                out.push_str("\n\n");
            }
            None => out.push_str("The user's request is not known.\n\n"),
        }
        let lists = [
            ("The user wants you to tend to allow", &self.guidance.allow),
            (
                "The user wants you to tend to deny",
                &self.guidance.soft_deny,
            ),
            ("About the environment", &self.guidance.environment),
        ];
        for (heading, items) in lists {
            if !items.is_empty() {
                out.push_str(heading);
                out.push_str(":\n");
                for item in items {
                    out.push_str("- ");
                    out.push_str(item);
                    out.push('\n');
                }
                out.push('\n');
            }
        }
        let input = serde_json::to_string_pretty(&request.input).unwrap_or_default();
        out.push_str(&format!(
            "Why a user would have been asked: {}\n\nThe tool call:\ntool: {}\ninput: {}\n",
            request.ask_reason,
            request.tool_name,
            clip(&input)
        ));
        out
    }
}

#[async_trait]
impl Classifier for ModelClassifier {
    async fn classify(&self, request: ClassifyRequest) -> Result<ClassifyVerdict, ClassifyError> {
        let mut model_request = ModelRequest::new(vec![Message::user(self.prompt(&request))]);
        model_request.system = Some(SYSTEM.to_owned());
        let mut stream = self.model.stream(model_request, request.cancel.clone());
        while let Some(event) = stream.next().await {
            match event {
                Ok(ModelEvent::Completed { message }) => {
                    let text: Vec<&str> = message
                        .content
                        .iter()
                        .filter_map(ContentBlock::as_text)
                        .collect();
                    return parse_verdict(&text.join("\n"));
                }
                Ok(_) => {}
                Err(error) => {
                    return Err(ClassifyError(format!(
                        "the classifier's model call failed: {error}"
                    )));
                }
            }
        }
        Err(ClassifyError(format!(
            "the model {} ended the classifier's answer without completing it",
            self.model.name()
        )))
    }
}

#[derive(Deserialize)]
struct Answer {
    decision: String,
    #[serde(default)]
    reason: Option<String>,
}

/// Reads `{"decision": "allow"|"deny", "reason": ...}` from the model's
/// text (a code fence or words around the object are tolerated).
pub(crate) fn parse_verdict(text: &str) -> Result<ClassifyVerdict, ClassifyError> {
    let unreadable = || {
        ClassifyError(format!(
            "the classifier's answer is not a JSON verdict: {:?}",
            clip_to(text, 200)
        ))
    };
    let start = text.find('{').ok_or_else(unreadable)?;
    let end = text.rfind('}').ok_or_else(unreadable)?;
    let object = text.get(start..=end).ok_or_else(unreadable)?;
    let answer: Answer = serde_json::from_str(object).map_err(|_| unreadable())?;
    let reason = answer
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "no reason given".to_owned());
    match answer.decision.trim().to_ascii_lowercase().as_str() {
        "allow" => Ok(ClassifyVerdict::Allow { reason }),
        "deny" => Ok(ClassifyVerdict::Deny { reason }),
        other => Err(ClassifyError(format!(
            "the classifier answered {other:?}; expected \"allow\" or \"deny\""
        ))),
    }
}

fn clip(text: &str) -> String {
    clip_to(text, MAX_TEXT)
}

fn clip_to(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn verdicts_are_read_from_json_even_inside_a_fence() {
        assert_eq!(
            parse_verdict(r#"{"decision": "allow", "reason": "runs the tests"}"#),
            Ok(ClassifyVerdict::Allow {
                reason: "runs the tests".into()
            })
        );
        assert_eq!(
            parse_verdict("```json\n{\"decision\": \"DENY\"}\n```"),
            Ok(ClassifyVerdict::Deny {
                reason: "no reason given".into()
            })
        );
    }

    #[test]
    fn anything_else_is_an_error() {
        for text in [
            "",
            "sure, go ahead",
            "{\"decision\": \"maybe\"}",
            "{not json}",
            "}{",
            "{\"reason\": \"x\"}",
        ] {
            assert!(parse_verdict(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn the_prompt_holds_the_call_the_request_and_the_guidance() {
        let model: Arc<dyn Model> = Arc::new(ferrule_model::ScriptedModel::new(
            "m",
            ferrule_model::Script::default(),
        ));
        let classifier = ModelClassifier::new(model).guidance(AutoModeGuidance {
            allow: vec!["running npm scripts".into()],
            soft_deny: vec!["editing CI files".into()],
            environment: vec!["a pnpm monorepo".into()],
        });
        let prompt = classifier.prompt(&ClassifyRequest {
            tool_name: "Bash".into(),
            input: serde_json::json!({"command": "npm test"}),
            ask_reason: "no rule covers this command".into(),
            user_request: Some("x".repeat(MAX_TEXT + 10)),
            cwd: "/w".into(),
            cancel: CancellationToken::new(),
        });
        for needle in [
            "running npm scripts",
            "editing CI files",
            "a pnpm monorepo",
            "npm test",
            "no rule covers this command",
            "/w",
        ] {
            assert!(prompt.contains(needle), "{needle} missing from {prompt}");
        }
        assert!(prompt.contains(&format!("{}…", "x".repeat(MAX_TEXT))));
        assert!(!prompt.contains(&"x".repeat(MAX_TEXT + 1)));
    }
}
