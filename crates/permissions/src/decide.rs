//! `decide()`: the decision order of reference §3.3 — hook verdict, deny
//! rules, the tool's own checker, ask rules, allow rules, the mode.

use std::borrow::Cow;

use crate::decision::{AskKind, Behavior, Classifiable, Decision, HookVerdict, Request};
use crate::mode::Mode;
use crate::policy::Policy;
use crate::rule::canonical_tool_name;

/// A checker's verdict before the mode stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) behavior: Behavior,
    pub(crate) kind: Option<AskKind>,
    /// Index into the policy's rules.
    pub(crate) rule: Option<usize>,
    pub(crate) reason: Cow<'static, str>,
    /// Set by `auto` mode on a deny a classifier may overturn.
    pub(crate) classifiable: Option<Classifiable>,
}

impl Verdict {
    pub(crate) fn allow(rule: Option<usize>, reason: impl Into<Cow<'static, str>>) -> Self {
        Self {
            behavior: Behavior::Allow,
            kind: None,
            rule,
            reason: reason.into(),
            classifiable: None,
        }
    }

    pub(crate) fn deny(rule: Option<usize>, reason: impl Into<Cow<'static, str>>) -> Self {
        Self {
            behavior: Behavior::Deny,
            kind: None,
            rule,
            reason: reason.into(),
            classifiable: None,
        }
    }

    pub(crate) fn ask(
        kind: AskKind,
        rule: Option<usize>,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            behavior: Behavior::Ask,
            kind: Some(kind),
            rule,
            reason: reason.into(),
            classifiable: None,
        }
    }

    fn is_ask(&self, kind: AskKind) -> bool {
        self.behavior == Behavior::Ask && self.kind == Some(kind)
    }
}

/// The file-edit tools (reference §3.3).
pub(crate) fn is_edit_tool(tool: &str) -> bool {
    matches!(tool, "Edit" | "Write" | "NotebookEdit" | "MultiEdit")
}

/// Decides one tool call. Pure: the same policy and request always give
/// the same decision.
pub fn decide(policy: &Policy, request: &Request) -> Decision {
    let tool = canonical_tool_name(&request.tool);
    let verdict = pipeline(policy, tool, request);
    Decision {
        behavior: verdict.behavior,
        ask_kind: if verdict.behavior == Behavior::Ask {
            verdict.kind
        } else {
            None
        },
        rule: verdict.rule.and_then(|r| policy.matched(r)),
        reason: verdict.reason.into_owned(),
        classifiable: verdict.classifiable,
    }
}

fn pipeline(policy: &Policy, tool: &str, request: &Request) -> Verdict {
    match request.hook {
        Some(HookVerdict::Allow) => {
            return Verdict::allow(None, "a PreToolUse hook allowed the call");
        }
        Some(HookVerdict::Deny) => return Verdict::deny(None, "a PreToolUse hook denied the call"),
        Some(HookVerdict::Ask) | None => {}
    }
    if let Some(rule) = policy.deny.tool_match(tool) {
        return Verdict::deny(
            Some(rule),
            format!(
                "deny rule `{}` covers the whole tool",
                policy.rule_text(rule)
            ),
        );
    }
    let mut verdict = crate::checkers::check(policy, tool, &request.input);
    if verdict.behavior == Behavior::Deny {
        return verdict;
    }
    if !verdict.is_ask(AskKind::Catastrophic) {
        let fillable = verdict.behavior == Behavior::Allow || verdict.is_ask(AskKind::NoRule);
        if let (true, Some(rule)) = (fillable, policy.ask.tool_match(tool)) {
            verdict = Verdict::ask(
                AskKind::Rule,
                Some(rule),
                format!(
                    "ask rule `{}` covers the whole tool",
                    policy.rule_text(rule)
                ),
            );
        } else if let (true, Some(rule)) = (
            verdict.is_ask(AskKind::NoRule),
            policy.allow.tool_match(tool),
        ) {
            verdict = Verdict::allow(
                Some(rule),
                format!(
                    "allow rule `{}` covers the whole tool",
                    policy.rule_text(rule)
                ),
            );
        }
    }
    if verdict.behavior == Behavior::Allow {
        let malformed = [&policy.deny, &policy.ask]
            .into_iter()
            .flat_map(|list| list.malformed.iter())
            .find(|(pattern, _)| pattern.matches(tool));
        if let Some(&(_, rule)) = malformed {
            verdict = Verdict::ask(
                AskKind::Rule,
                Some(rule),
                format!(
                    "malformed rule `{}` names this tool, so it asks",
                    policy.rule_text(rule)
                ),
            );
        }
    }
    if request.hook == Some(HookVerdict::Ask)
        && (verdict.behavior == Behavior::Allow || verdict.is_ask(AskKind::NoRule))
    {
        verdict = Verdict::ask(
            AskKind::Hook,
            None,
            "a PreToolUse hook asked for confirmation",
        );
    }
    if policy.mode == Mode::Plan
        && is_edit_tool(tool)
        && !crate::checkers::writes_plan_file(policy, &request.input)
    {
        return Verdict::deny(None, "plan mode: only plan files may be written");
    }
    if verdict.behavior == Behavior::Allow {
        return verdict;
    }
    mode_stage(policy, tool, &request.input, verdict)
}

/// What the mode makes of an `ask` (reference §3.3 "Mode stage").
fn mode_stage(policy: &Policy, tool: &str, input: &serde_json::Value, verdict: Verdict) -> Verdict {
    let kind = verdict.kind.unwrap_or(AskKind::NoRule);
    let edit_no_rule = is_edit_tool(tool) && kind == AskKind::NoRule;
    let with = |behavior: Behavior, why: &str| Verdict {
        behavior,
        kind: verdict.kind,
        rule: verdict.rule,
        reason: format!("{}; {why}", verdict.reason).into(),
        classifiable: None,
    };
    match policy.mode {
        Mode::Default | Mode::Plan => verdict,
        Mode::AcceptEdits if edit_no_rule => {
            with(Behavior::Allow, "accept_edits allows workspace edits")
        }
        Mode::AcceptEdits => verdict,
        Mode::Auto => match kind {
            AskKind::Interaction => verdict,
            _ if edit_no_rule => with(Behavior::Allow, "auto allows workspace edits"),
            AskKind::Safety | AskKind::Catastrophic => with(
                Behavior::Deny,
                "auto mode denies protected paths and dangerous commands, classifier or not",
            ),
            _ => match (tool == "Bash")
                .then(|| crate::bash_check::safety_concern(policy, input))
                .flatten()
            {
                // An ask rule can hide a safety concern behind its own
                // verdict; the classifier must not see such a call either.
                Some(why) => with(
                    Behavior::Deny,
                    &format!("{why}; auto mode denies it, classifier or not"),
                ),
                None => {
                    let mut denied = with(
                        Behavior::Deny,
                        "auto mode denies what would ask unless a classifier approves it, \
                         and none is configured",
                    );
                    denied.classifiable = Some(Classifiable {
                        ask_kind: kind,
                        reason: verdict.reason.clone().into_owned(),
                    });
                    denied
                }
            },
        },
        Mode::DontAsk => with(Behavior::Deny, "dont_ask denies what would ask"),
        Mode::BypassPermissions => match kind {
            AskKind::Interaction | AskKind::Catastrophic => verdict,
            AskKind::NoRule
            | AskKind::Rule
            | AskKind::Safety
            | AskKind::Outside
            | AskKind::Hook => with(Behavior::Allow, "bypass_permissions allows it"),
        },
    }
}
