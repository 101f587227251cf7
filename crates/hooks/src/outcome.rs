//! Merging the results of every hook of one event into one outcome
//! (cli-core.md §5.4 "Aggregation", §3.8): the strictest decision wins
//! (deny > ask > allow), additional context from all hooks is kept in
//! order, and for replaced tool output the last non-empty value wins.

use serde::Serialize;
use serde_json::Value;

use crate::event::HookEvent;
use crate::output::{Decision, HookOutput, PermissionDecision, PermissionRequestDecision};
use crate::payload::ElicitationAction;
use crate::run::{Effect, HookRun, Parsed};

/// A non-blocking problem of one hook, shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HookError {
    /// The hook (`command ./x.sh`).
    pub hook: String,
    /// What went wrong.
    pub message: String,
}

/// The merged result of every hook of one event: what the agent does next.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outcome {
    /// The event's action is blocked (the tool call denied, the prompt
    /// rejected, the agent kept going, the compaction cancelled ...), with
    /// every blocking hook's reason in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<String>,
    /// PreToolUse: the strictest decision (deny > ask > allow; defer and
    /// silence give `None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission_decision: Option<PermissionDecision>,
    /// The reason that came with the winning decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission_decision_reason: Option<String>,
    /// PreToolUse / PermissionRequest: the rewritten tool input (last one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_input: Option<Value>,
    /// PermissionRequest: the decision (a deny wins over an allow).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission_request: Option<PermissionRequestDecision>,
    /// Context for the model, from every hook in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additional_context: Vec<String>,
    /// Messages for the user only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub system_messages: Vec<String>,
    /// `continue: false`: stop the agent, with the first `stopReason`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<String>,
    /// Some hook asked not to show its output.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suppress_output: bool,
    /// PostToolUse: the replacement tool output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_tool_output: Option<Value>,
    /// PermissionDenied: retry the call.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub retry: bool,
    /// Stop / SubagentStop: clear the context.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub clear_context: bool,
    /// UserPromptSubmit: the suggested session title (last one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_title: Option<String>,
    /// SessionStart: the first user message (first one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_user_message: Option<String>,
    /// CwdChanged / FileChanged / SessionStart: paths to watch, in order,
    /// without duplicates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub watch_paths: Vec<String>,
    /// WorktreeCreate: the created worktree (first one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worktree_path: Option<String>,
    /// Elicitation / ElicitationResult: the answer (cancel > decline >
    /// accept) and the content of an accept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elicitation_action: Option<ElicitationAction>,
    /// The content that came with an `accept`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elicitation_content: Option<Value>,
    /// Feedback for the user (IDE PostToolUse `feedback`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub feedback: Vec<String>,
    /// Hooks that failed without blocking.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<HookError>,
}

impl Outcome {
    /// Whether the event's action is blocked (for PreToolUse: denied).
    pub fn is_blocked(&self) -> bool {
        !self.blocked.is_empty()
    }

    /// The blocking reasons joined by newlines (what the model or user reads).
    pub fn block_reason(&self) -> Option<String> {
        (!self.blocked.is_empty()).then(|| self.blocked.join("\n"))
    }

    /// Merges `runs` (in configuration order) for `event`.
    pub fn merge(event: HookEvent, runs: &[HookRun]) -> Self {
        let mut out = Outcome::default();
        let mut mcp_output: Option<Value> = None;
        for run in runs {
            match &run.effect {
                Effect::Success => {}
                Effect::Ignored => continue,
                Effect::Block(reason) => out.block(event, reason.clone()),
                Effect::Ask(reason) => {
                    out.permission(PermissionDecision::Ask, Some(reason.clone()))
                }
                Effect::Error(message) => out.errors.push(HookError {
                    hook: run.hook.clone(),
                    message: message.clone(),
                }),
            }
            match &run.parsed {
                Parsed::Json(output) => out.apply(event, output, &mut mcp_output),
                Parsed::Text(text) if run.effect == Effect::Success => {
                    if event.injects_plain_stdout() {
                        out.additional_context.push(text.clone());
                    } else if event == HookEvent::WorktreeCreate && out.worktree_path.is_none() {
                        out.worktree_path = Some(text.clone());
                    }
                }
                Parsed::Text(_) | Parsed::Nothing | Parsed::Invalid(_) => {}
            }
        }
        if out.updated_tool_output.is_none() {
            out.updated_tool_output = mcp_output;
        }
        out
    }

    fn block(&mut self, event: HookEvent, reason: String) {
        match event {
            HookEvent::PreToolUse => {
                self.permission(PermissionDecision::Deny, Some(reason.clone()))
            }
            HookEvent::Elicitation | HookEvent::ElicitationResult => {
                self.elicitation(ElicitationAction::Decline, None);
            }
            _ => {}
        }
        self.blocked.push(reason);
    }

    fn permission(&mut self, decision: PermissionDecision, reason: Option<String>) {
        if decision == PermissionDecision::Defer {
            return;
        }
        if self.permission_decision.is_none_or(|d| decision > d) {
            self.permission_decision = Some(decision);
            self.permission_decision_reason = reason;
        }
    }

    fn elicitation(&mut self, action: ElicitationAction, content: Option<Value>) {
        let rank = |a: ElicitationAction| match a {
            ElicitationAction::Accept => 0,
            ElicitationAction::Decline => 1,
            ElicitationAction::Cancel => 2,
        };
        if self
            .elicitation_action
            .is_none_or(|a| rank(action) > rank(a))
        {
            self.elicitation_action = Some(action);
            self.elicitation_content = content;
        }
    }

    fn apply(&mut self, event: HookEvent, o: &HookOutput, mcp_output: &mut Option<Value>) {
        if o.continue_ == Some(false) && event.honours_continue() && self.stop.is_none() {
            self.stop = Some(o.stop_reason.clone().unwrap_or_default());
        }
        if o.suppress_output == Some(true) {
            self.suppress_output = true;
        }
        if let Some(m) = o.system_message.clone().filter(|m| !m.is_empty()) {
            self.system_messages.push(m);
        }
        let specific = o
            .hook_specific_output
            .as_ref()
            .filter(|s| s.hook_event_name == event.as_str());
        let top_reason = o.reason.clone();
        match event {
            HookEvent::PreToolUse => {
                // permissionDecision takes precedence over the top-level decision.
                let decision = specific
                    .and_then(|s| s.permission_decision)
                    .or(match o.decision {
                        Some(Decision::Allow | Decision::Approve) => {
                            Some(PermissionDecision::Allow)
                        }
                        Some(Decision::Deny | Decision::Block) => Some(PermissionDecision::Deny),
                        None => None,
                    });
                let reason = specific
                    .and_then(|s| s.permission_decision_reason.clone())
                    .or(top_reason);
                if let Some(d) = decision {
                    if d == PermissionDecision::Deny {
                        let why = reason
                            .clone()
                            .unwrap_or_else(|| "denied by a hook".to_owned());
                        self.blocked.push(why);
                    }
                    self.permission(d, reason);
                }
            }
            _ => {
                if matches!(o.decision, Some(Decision::Deny | Decision::Block))
                    && event.blocking() == crate::event::Blocking::Blocks
                {
                    let why = top_reason.unwrap_or_else(|| "blocked by a hook".to_owned());
                    self.block(event, why);
                }
            }
        }
        let Some(s) = specific else {
            return;
        };
        if let Some(c) = s.additional_context.clone().filter(|c| !c.is_empty()) {
            self.additional_context.push(c);
        }
        if let Some(f) = s.feedback.clone().filter(|f| !f.is_empty()) {
            self.feedback.push(f);
        }
        match event {
            HookEvent::PreToolUse => {
                if let Some(input) = s.updated_input.clone() {
                    self.updated_input = Some(input);
                }
            }
            HookEvent::PostToolUse => {
                if let Some(v) = s.updated_tool_output.clone().filter(non_empty) {
                    self.updated_tool_output = Some(v);
                }
                if let Some(v) = s.updated_mcp_tool_output.clone().filter(non_empty) {
                    *mcp_output = Some(v);
                }
            }
            HookEvent::PermissionRequest => match &s.decision {
                Some(d @ PermissionRequestDecision::Deny { .. }) => {
                    self.permission_request = Some(d.clone());
                }
                Some(d @ PermissionRequestDecision::Allow { updated_input, .. }) => {
                    let denied = matches!(
                        self.permission_request,
                        Some(PermissionRequestDecision::Deny { .. })
                    );
                    if !denied {
                        self.permission_request = Some(d.clone());
                        if let Some(input) = updated_input.clone() {
                            self.updated_input = Some(input);
                        }
                    }
                }
                None => {}
            },
            HookEvent::PermissionDenied => self.retry |= s.retry == Some(true),
            HookEvent::Stop | HookEvent::SubagentStop => {
                self.clear_context |= s.clear_context == Some(true);
            }
            HookEvent::UserPromptSubmit => {
                if let Some(t) = s.session_title.clone() {
                    self.session_title = Some(t);
                }
            }
            HookEvent::SessionStart | HookEvent::CwdChanged | HookEvent::FileChanged => {
                if event == HookEvent::SessionStart && self.initial_user_message.is_none() {
                    self.initial_user_message = s.initial_user_message.clone();
                }
                for p in s.watch_paths.iter().flatten() {
                    if !self.watch_paths.contains(p) {
                        self.watch_paths.push(p.clone());
                    }
                }
            }
            HookEvent::WorktreeCreate if self.worktree_path.is_none() => {
                self.worktree_path = s.worktree_path.clone();
            }
            HookEvent::Elicitation | HookEvent::ElicitationResult => {
                if let Some(action) = s.action {
                    self.elicitation(action, s.content.clone());
                }
            }
            _ => {}
        }
    }
}

fn non_empty(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::parse_output;
    use crate::run::RunStatus;
    use pretty_assertions::assert_eq;
    use std::time::Duration;

    fn run(event: HookEvent, effect: Effect, json: Option<&str>) -> HookRun {
        HookRun {
            hook: "command x".to_owned(),
            hook_type: "command",
            source: String::new(),
            status: RunStatus::Exited(0),
            exit_code: Some(0),
            stdout: String::new(),
            stderr: String::new(),
            duration: Duration::ZERO,
            parsed: match json {
                Some(j) => Parsed::Json(Box::new(parse_output(event, j).unwrap())),
                None => Parsed::Nothing,
            },
            effect,
        }
    }

    fn decision(d: &str) -> String {
        format!(
            r#"{{"hookSpecificOutput":{{"hookEventName":"PreToolUse","permissionDecision":"{d}","permissionDecisionReason":"{d} reason"}}}}"#
        )
    }

    #[test]
    fn deny_beats_ask_beats_allow_in_any_order() {
        let e = HookEvent::PreToolUse;
        for order in [
            ["allow", "ask", "deny"],
            ["deny", "allow", "ask"],
            ["ask", "deny", "allow"],
        ] {
            let runs: Vec<HookRun> = order
                .iter()
                .map(|d| run(e, Effect::Success, Some(&decision(d))))
                .collect();
            let out = Outcome::merge(e, &runs);
            assert_eq!(out.permission_decision, Some(PermissionDecision::Deny));
            assert_eq!(
                out.permission_decision_reason.as_deref(),
                Some("deny reason")
            );
            assert!(out.is_blocked());
        }
        let runs = [
            run(e, Effect::Success, Some(&decision("allow"))),
            run(e, Effect::Success, Some(&decision("ask"))),
        ];
        assert_eq!(
            Outcome::merge(e, &runs).permission_decision,
            Some(PermissionDecision::Ask)
        );
    }

    #[test]
    fn defer_is_no_opinion() {
        let e = HookEvent::PreToolUse;
        let runs = [run(e, Effect::Success, Some(&decision("defer")))];
        assert_eq!(Outcome::merge(e, &runs).permission_decision, None);
    }

    #[test]
    fn exit_two_denies_a_tool_call_over_an_allow() {
        let e = HookEvent::PreToolUse;
        let runs = [
            run(e, Effect::Success, Some(&decision("allow"))),
            run(e, Effect::Block("no".to_owned()), None),
        ];
        let out = Outcome::merge(e, &runs);
        assert_eq!(out.permission_decision, Some(PermissionDecision::Deny));
        assert_eq!(out.blocked, vec!["no".to_owned()]);
    }

    #[test]
    fn context_concatenates_and_the_last_tool_output_wins() {
        let e = HookEvent::PostToolUse;
        let a = r#"{"hookSpecificOutput":{"hookEventName":"PostToolUse","additionalContext":"a","updatedToolOutput":"first"}}"#;
        let b = r#"{"hookSpecificOutput":{"hookEventName":"PostToolUse","additionalContext":"b","updatedMCPToolOutput":"mcp"}}"#;
        let c =
            r#"{"hookSpecificOutput":{"hookEventName":"PostToolUse","updatedToolOutput":"last"}}"#;
        let runs = [
            run(e, Effect::Success, Some(a)),
            run(e, Effect::Success, Some(b)),
            run(e, Effect::Success, Some(c)),
        ];
        let out = Outcome::merge(e, &runs);
        assert_eq!(out.additional_context, vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!(out.updated_tool_output, Some(Value::from("last")));
    }

    #[test]
    fn mcp_tool_output_applies_only_without_updated_tool_output() {
        let e = HookEvent::PostToolUse;
        let b = r#"{"hookSpecificOutput":{"hookEventName":"PostToolUse","updatedMCPToolOutput":"mcp"}}"#;
        let out = Outcome::merge(e, &[run(e, Effect::Success, Some(b))]);
        assert_eq!(out.updated_tool_output, Some(Value::from("mcp")));
    }

    #[test]
    fn a_permission_request_deny_wins_over_an_allow() {
        let e = HookEvent::PermissionRequest;
        let deny = r#"{"hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"deny","message":"m"}}}"#;
        let allow = r#"{"hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"allow","updatedInput":{"command":"ls"}}}}"#;
        let out = Outcome::merge(
            e,
            &[
                run(e, Effect::Success, Some(deny)),
                run(e, Effect::Success, Some(allow)),
            ],
        );
        assert_eq!(
            out.permission_request,
            Some(PermissionRequestDecision::Deny {
                message: Some("m".to_owned()),
                interrupt: None
            })
        );
        assert_eq!(out.updated_input, None);
    }

    #[test]
    fn stop_block_decision_and_continue_false() {
        let e = HookEvent::Stop;
        let j = r#"{"decision":"block","reason":"tests fail","continue":false,"stopReason":"halt","systemMessage":"hi"}"#;
        let out = Outcome::merge(e, &[run(e, Effect::Success, Some(j))]);
        assert_eq!(out.blocked, vec!["tests fail".to_owned()]);
        assert_eq!(out.stop.as_deref(), Some("halt"));
        assert_eq!(out.system_messages, vec!["hi".to_owned()]);
    }

    #[test]
    fn watch_paths_are_kept_in_order_without_duplicates() {
        let e = HookEvent::CwdChanged;
        let a = r#"{"hookSpecificOutput":{"hookEventName":"CwdChanged","watchPaths":["/a","/b"]}}"#;
        let b = r#"{"hookSpecificOutput":{"hookEventName":"CwdChanged","watchPaths":["/b","/c"],"additionalContext":"moved"}}"#;
        let out = Outcome::merge(
            e,
            &[
                run(e, Effect::Success, Some(a)),
                run(e, Effect::Success, Some(b)),
            ],
        );
        assert_eq!(
            out.watch_paths,
            vec!["/a".to_owned(), "/b".to_owned(), "/c".to_owned()]
        );
        assert_eq!(out.additional_context, vec!["moved".to_owned()]);
    }

    #[test]
    fn an_elicitation_decline_wins_over_an_accept_and_exit_two_declines() {
        let e = HookEvent::Elicitation;
        let accept = r#"{"hookSpecificOutput":{"hookEventName":"Elicitation","action":"accept","content":{"x":1}}}"#;
        let decline =
            r#"{"hookSpecificOutput":{"hookEventName":"Elicitation","action":"decline"}}"#;
        let out = Outcome::merge(
            e,
            &[
                run(e, Effect::Success, Some(accept)),
                run(e, Effect::Success, Some(decline)),
            ],
        );
        assert_eq!(out.elicitation_action, Some(ElicitationAction::Decline));
        assert_eq!(out.elicitation_content, None);
        let out = Outcome::merge(e, &[run(e, Effect::Success, Some(accept))]);
        assert_eq!(
            (out.elicitation_action, out.elicitation_content),
            (
                Some(ElicitationAction::Accept),
                Some(serde_json::json!({"x": 1}))
            )
        );
        let out = Outcome::merge(e, &[run(e, Effect::Block("no".to_owned()), None)]);
        assert_eq!(out.elicitation_action, Some(ElicitationAction::Decline));
    }

    #[test]
    fn a_hook_specific_output_of_another_shape_is_ignored_for_the_event() {
        // additionalContext is read for every event that documents it; a
        // Stop output's clearContext does not leak into a PreToolUse.
        let e = HookEvent::PermissionDenied;
        let j = r#"{"hookSpecificOutput":{"hookEventName":"PermissionDenied","retry":true,"clearContext":true}}"#;
        let out = Outcome::merge(e, &[run(e, Effect::Success, Some(j))]);
        assert!(out.retry);
        assert!(!out.clear_context);
    }

    #[test]
    fn errors_are_collected_and_do_not_block() {
        let e = HookEvent::PreToolUse;
        let out = Outcome::merge(e, &[run(e, Effect::Error("bad".to_owned()), None)]);
        assert!(!out.is_blocked());
        assert_eq!(out.permission_decision, None);
        assert_eq!(
            out.errors,
            vec![HookError {
                hook: "command x".to_owned(),
                message: "bad".to_owned()
            }]
        );
    }
}
