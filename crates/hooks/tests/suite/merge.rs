//! Several real hooks of one event, merged the documented way.

use anyhow::Result;
use ferrule_hooks::{EventPayload, HookEvent, HookInput, PermissionDecision};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::{common, dispatcher, pre_tool_use};

fn decide(d: &str) -> serde_json::Value {
    json!({"type": "command", "command": format!(
        "echo '{{\"hookSpecificOutput\":{{\"hookEventName\":\"PreToolUse\",\"permissionDecision\":\"{d}\",\"permissionDecisionReason\":\"{d} hook\"}}}}'"
    )})
}

#[tokio::test]
async fn a_deny_wins_over_an_ask_over_an_allow() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let input = pre_tool_use(dir.path(), "Bash", json!({"command": "ls"}));
    let cases = [
        (
            vec!["allow", "ask", "deny"],
            PermissionDecision::Deny,
            "deny hook",
        ),
        (vec!["deny", "allow"], PermissionDecision::Deny, "deny hook"),
        (vec!["allow", "ask"], PermissionDecision::Ask, "ask hook"),
        (vec!["ask", "allow"], PermissionDecision::Ask, "ask hook"),
        (
            vec!["allow", "defer"],
            PermissionDecision::Allow,
            "allow hook",
        ),
    ];
    for (decisions, want, reason) in cases {
        let hooks: Vec<_> = decisions.iter().map(|d| decide(d)).collect();
        let d = dispatcher(dir.path(), &json!({"PreToolUse": [{"hooks": hooks}]}));
        let out = d.dispatch(&input).await.outcome;
        assert_eq!(
            (
                out.permission_decision,
                out.permission_decision_reason.as_deref()
            ),
            (Some(want), Some(reason)),
            "{decisions:?}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn an_exit_two_beats_a_json_allow_from_another_hook() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks = json!({"PreToolUse": [{"hooks": [decide("allow"), {"type": "command", "command": "echo nope >&2; exit 2"}]}]});
    let out = dispatcher(dir.path(), &hooks)
        .dispatch(&pre_tool_use(dir.path(), "Bash", json!({})))
        .await
        .outcome;
    assert_eq!(out.permission_decision, Some(PermissionDecision::Deny));
    assert_eq!(out.blocked, vec!["nope".to_owned()]);
    Ok(())
}

#[tokio::test]
async fn post_tool_use_context_concatenates_and_the_last_output_wins() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let out = |ctx: &str, output: &str| {
        json!({"type": "command", "command": format!(
            "echo '{{\"hookSpecificOutput\":{{\"hookEventName\":\"PostToolUse\",\"additionalContext\":\"{ctx}\",\"updatedToolOutput\":\"{output}\"}}}}'"
        )})
    };
    let hooks = json!({"PostToolUse": [{"matcher": "Write", "hooks": [out("one", "first"), out("two", "second")]}]});
    let mut input = HookInput::sample(HookEvent::PostToolUse, common(dir.path()), Some("Write"));
    if let EventPayload::PostToolUse(p) = &mut input.payload {
        p.tool_response = json!({"success": true});
    }
    let outcome = dispatcher(dir.path(), &hooks)
        .dispatch(&input)
        .await
        .outcome;
    assert_eq!(
        outcome.additional_context,
        vec!["one".to_owned(), "two".to_owned()]
    );
    assert_eq!(outcome.updated_tool_output, Some(json!("second")));
    Ok(())
}

#[tokio::test]
async fn a_stop_hook_keeps_the_agent_going_and_continue_false_stops_it() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks = json!({"Stop": [{"hooks": [
        {"type": "command", "command": "echo '{\"decision\":\"block\",\"reason\":\"tests fail\"}'"},
        {"type": "command", "command": "echo '{\"continue\":false,\"stopReason\":\"budget\",\"systemMessage\":\"stopping\"}'"}
    ]}]});
    let input = HookInput::sample(HookEvent::Stop, common(dir.path()), None);
    let outcome = dispatcher(dir.path(), &hooks)
        .dispatch(&input)
        .await
        .outcome;
    assert_eq!(outcome.blocked, vec!["tests fail".to_owned()]);
    assert_eq!(outcome.stop.as_deref(), Some("budget"));
    assert_eq!(outcome.system_messages, vec!["stopping".to_owned()]);
    Ok(())
}

#[tokio::test]
async fn worktree_create_takes_the_path_from_stdout() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks =
        json!({"WorktreeCreate": [{"hooks": [{"type": "command", "command": "echo /w/trees/x"}]}]});
    let input = HookInput::sample(HookEvent::WorktreeCreate, common(dir.path()), None);
    let outcome = dispatcher(dir.path(), &hooks)
        .dispatch(&input)
        .await
        .outcome;
    assert_eq!(outcome.worktree_path.as_deref(), Some("/w/trees/x"));
    assert!(!outcome.is_blocked());
    Ok(())
}
