//! Prompt and agent hooks run through traits, so that this crate does not
//! depend on a model or the agent loop: the host supplies a
//! [`PromptRunner`] ("one model call that returns the decision JSON") and an
//! [`AgentRunner`] ("a short subagent with tools that returns it")
//! (cli-core.md §5.2). Building the request, the timeout and reading the
//! answer happen here.

use async_trait::async_trait;
use serde_json::Value;

use crate::event::HookEvent;
use crate::run::Verdict;

/// Tools an agent hook never gets: recursion, plan mode and questions to
/// the user (cli-core.md §5.2).
pub const UNSAFE_AGENT_TOOLS: [&str; 5] = [
    "Agent",
    "Task",
    "EnterPlanMode",
    "ExitPlanMode",
    "AskUserQuestion",
];

/// A runner failed (no model, a network error ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RunnerError(pub String);

/// One isolated model call for a `prompt` hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptRequest {
    /// The hook's prompt with the event JSON appended.
    pub prompt: String,
    /// The hook's model override.
    pub model: Option<String>,
    /// The event being decided.
    pub event: HookEvent,
}

/// One isolated subagent run for an `agent` hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRequest {
    /// The hook's prompt with `$ARGUMENTS` replaced by the event JSON (or
    /// the JSON appended when the prompt has no `$ARGUMENTS`).
    pub prompt: String,
    /// The tools it may use; `None` = every tool except those in
    /// [`AgentRequest::denied_tools`].
    pub tools: Option<Vec<String>>,
    /// Tools removed whatever `tools` says.
    pub denied_tools: Vec<String>,
    /// The most turns.
    pub max_turns: u32,
    /// The hook's model override.
    pub model: Option<String>,
    /// The event being decided.
    pub event: HookEvent,
}

/// Answers `prompt` hooks with the model's reply text, which should hold
/// the JSON `{"ok": bool, "reason": "..."}`.
#[async_trait]
pub trait PromptRunner: Send + Sync {
    /// Makes the model call.
    ///
    /// # Errors
    /// When the model cannot be reached or refuses.
    async fn complete(&self, request: PromptRequest) -> Result<String, RunnerError>;
}

/// Answers `agent` hooks with the input of the subagent's
/// `StructuredOutput` call, `{"ok": bool, "reason": "..."}`.
#[async_trait]
pub trait AgentRunner: Send + Sync {
    /// Runs the subagent.
    ///
    /// # Errors
    /// When the subagent fails or ends without calling `StructuredOutput`.
    async fn run(&self, request: AgentRequest) -> Result<Value, RunnerError>;
}

/// Builds the request of a `prompt` hook.
pub fn prompt_request(
    prompt: &str,
    model: Option<&str>,
    event: HookEvent,
    input_json: &str,
) -> PromptRequest {
    PromptRequest {
        prompt: format!("{prompt}\n\n{input_json}"),
        model: model.map(str::to_owned),
        event,
    }
}

/// Builds the request of an `agent` hook.
pub fn agent_request(
    hook: &crate::spec::AgentHook,
    event: HookEvent,
    input_json: &str,
) -> AgentRequest {
    let prompt = if hook.prompt.contains("$ARGUMENTS") {
        hook.prompt.replace("$ARGUMENTS", input_json)
    } else {
        format!("{}\n\n{input_json}", hook.prompt)
    };
    let tools = hook.tools.as_ref().map(|tools| {
        tools
            .iter()
            .filter(|t| !UNSAFE_AGENT_TOOLS.contains(&t.as_str()))
            .cloned()
            .collect()
    });
    AgentRequest {
        prompt,
        tools,
        denied_tools: UNSAFE_AGENT_TOOLS.iter().map(|t| (*t).to_owned()).collect(),
        max_turns: hook.max_turns,
        model: hook.model.clone(),
        event,
    }
}

/// Why a model's answer is not a verdict.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the answer is not a {{\"ok\": bool, \"reason\": string}} object: {0}")]
pub struct VerdictError(pub String);

/// Reads `{ok, reason}` from a model's reply: the whole text, a fenced
/// code block, or the first `{ ... }` span in it.
///
/// # Errors
/// When no candidate parses as a verdict.
pub fn parse_verdict(text: &str) -> Result<Verdict, VerdictError> {
    let trimmed = text.trim();
    let mut candidates = vec![trimmed];
    if let Some(start) = trimmed.find("```") {
        let rest = &trimmed[start + 3..];
        let rest = rest.strip_prefix("json").unwrap_or(rest);
        if let Some(end) = rest.find("```") {
            candidates.push(rest[..end].trim());
        }
    }
    if let (Some(open), Some(close)) = (trimmed.find('{'), trimmed.rfind('}'))
        && open < close
    {
        candidates.push(&trimmed[open..=close]);
    }
    let mut last_error = String::from("empty answer");
    for c in candidates {
        match serde_json::from_str::<Value>(c) {
            Ok(v) => match parse_verdict_value(&v) {
                Ok(verdict) => return Ok(verdict),
                Err(e) => last_error = e.0,
            },
            Err(e) => last_error = e.to_string(),
        }
    }
    Err(VerdictError(last_error))
}

/// Reads `{ok, reason}` from a JSON value (a `StructuredOutput` input).
///
/// # Errors
/// When `ok` is missing or not a boolean, or `reason` is not a string.
pub fn parse_verdict_value(value: &Value) -> Result<Verdict, VerdictError> {
    serde_json::from_value(value.clone()).map_err(|e| VerdictError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn verdicts_are_found_bare_fenced_or_embedded() {
        let no = Verdict {
            ok: false,
            reason: Some("rm".to_owned()),
        };
        for text in [
            r#"{"ok": false, "reason": "rm"}"#,
            "```json\n{\"ok\": false, \"reason\": \"rm\"}\n```",
            r#"Sure. {"ok": false, "reason": "rm"} Done."#,
        ] {
            assert_eq!(parse_verdict(text), Ok(no.clone()), "{text}");
        }
    }

    #[test]
    fn an_answer_without_ok_is_an_error() {
        assert!(parse_verdict(r#"{"reason": "x"}"#).is_err());
        assert!(parse_verdict("yes").is_err());
    }

    #[test]
    fn agent_prompts_substitute_arguments_and_drop_unsafe_tools() {
        let hook = crate::spec::AgentHook {
            prompt: "Check $ARGUMENTS now".to_owned(),
            tools: Some(vec!["Read".to_owned(), "Agent".to_owned()]),
            max_turns: 3,
            model: None,
        };
        let r = agent_request(&hook, HookEvent::Stop, "{}");
        assert_eq!(r.prompt, "Check {} now");
        assert_eq!(r.tools, Some(vec!["Read".to_owned()]));
    }
}
