//! Every event's payload carries every documented field (cli-core.md §5.6,
//! `qoder-docs/cli/hooks.md` "Event Reference"), as a real command hook
//! reads it from stdin.

use anyhow::Result;
use ferrule_hooks::{HookEvent, HookInput};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::support::{common, dispatcher};

/// The documented fields of each event beyond the common ones.
fn documented(event: HookEvent) -> &'static [&'static str] {
    match event {
        HookEvent::SessionStart => &["source", "model"],
        HookEvent::SessionEnd => &["reason"],
        HookEvent::UserPromptSubmit => &["prompt"],
        HookEvent::PreToolUse => &["tool_name", "tool_input", "tool_use_id"],
        HookEvent::PostToolUse => &["tool_name", "tool_input", "tool_response", "tool_use_id"],
        HookEvent::PostToolUseFailure => &[
            "tool_name",
            "tool_input",
            "tool_use_id",
            "error",
            "error_type",
            "is_interrupt",
        ],
        HookEvent::PermissionRequest => &["tool_name", "tool_input", "permission_suggestions"],
        HookEvent::PermissionDenied => &["tool_name", "tool_input", "tool_use_id", "reason"],
        HookEvent::Stop => &["stop_hook_active", "last_assistant_message"],
        HookEvent::StopFailure => &[
            "error_type",
            "error",
            "error_details",
            "last_assistant_message",
        ],
        HookEvent::SubagentStart => &["agent_id", "agent_type"],
        HookEvent::SubagentStop => &[
            "agent_id",
            "agent_type",
            "stop_hook_active",
            "agent_transcript_path",
            "last_assistant_message",
        ],
        HookEvent::PreCompact => &["trigger", "custom_instructions"],
        HookEvent::PostCompact => &["trigger", "compact_summary"],
        HookEvent::Notification => &["notification_type", "message", "title", "details"],
        HookEvent::InstructionsLoaded => &[
            "file_path",
            "memory_type",
            "load_reason",
            "globs",
            "trigger_file_path",
            "parent_file_path",
        ],
        HookEvent::ConfigChange => &["source", "file_path"],
        HookEvent::CwdChanged => &["old_cwd", "new_cwd"],
        HookEvent::FileChanged => &["file_path", "event"],
        HookEvent::WorktreeCreate => &["name"],
        HookEvent::WorktreeRemove => &["worktree_path"],
        HookEvent::Elicitation => &[
            "mcp_server_name",
            "message",
            "mode",
            "url",
            "elicitation_id",
            "requested_schema",
        ],
        HookEvent::ElicitationResult => &[
            "mcp_server_name",
            "action",
            "content",
            "mode",
            "elicitation_id",
        ],
        _ => &[],
    }
}

const COMMON: [&str; 5] = [
    "session_id",
    "transcript_path",
    "cwd",
    "permission_mode",
    "hook_event_name",
];

#[tokio::test]
async fn every_event_payload_has_every_documented_field() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut hooks = serde_json::Map::new();
    for event in HookEvent::ALL {
        let dump = dir.path().join(format!("{event}.json"));
        hooks.insert(
            event.to_string(),
            json!([{"hooks": [{"type": "command", "command": format!("cat > '{}'", dump.display())}]}]),
        );
    }
    let d = dispatcher(dir.path(), &Value::Object(hooks));
    assert!(d.diagnostics().is_empty(), "{:?}", d.diagnostics());
    for event in HookEvent::ALL {
        let input = HookInput::sample(event, common(dir.path()), Some("Bash"));
        let out = d.dispatch(&input).await;
        assert_eq!(out.runs.len(), 1, "{event}");
        let text = std::fs::read_to_string(dir.path().join(format!("{event}.json")))?;
        let got: Value = serde_json::from_str(&text)?;
        let mut keys: Vec<&str> = got
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        let mut want: Vec<&str> = COMMON.iter().chain(documented(event)).copied().collect();
        want.sort_unstable();
        want.dedup();
        assert_eq!((event, keys), (event, want));
        assert_eq!(got["hook_event_name"], json!(event.as_str()));
        // What a hook reads back is the same typed input.
        assert_eq!(HookInput::from_json(&got), Ok(input));
    }
    Ok(())
}

#[test]
fn mcp_fields_appear_only_for_mcp_calls() {
    let dir = std::path::Path::new("/w");
    let mut input = HookInput::sample(HookEvent::PreToolUse, common(dir), Some("mcp__gh__list"));
    if let ferrule_hooks::EventPayload::PreToolUse(p) = &mut input.payload {
        p.call.mcp_context = Some(json!({"server_name": "gh", "tool_name": "list"}));
        p.call.original_request_name = Some("list".to_owned());
    }
    let v = input.to_json();
    assert_eq!(
        v["mcp_context"],
        json!({"server_name": "gh", "tool_name": "list"})
    );
    assert_eq!(v["original_request_name"], json!("list"));
    let plain = HookInput::sample(HookEvent::PreToolUse, common(dir), Some("Bash")).to_json();
    assert_eq!(plain.get("mcp_context"), None);
}

#[test]
fn documented_value_sets_serialize_as_written() {
    let samples = [
        (
            json!({"hook_event_name": "SessionEnd", "reason": "bypass_permissions_disabled"}),
            "reason",
        ),
        (
            json!({"hook_event_name": "StopFailure", "error_type": "max_output_tokens", "error": "", "error_details": "", "last_assistant_message": ""}),
            "error_type",
        ),
        (
            json!({"hook_event_name": "Notification", "notification_type": "elicitation_complete", "message": "", "title": "", "details": {}}),
            "notification_type",
        ),
        (
            json!({"hook_event_name": "InstructionsLoaded", "file_path": "/a", "memory_type": "user", "load_reason": "path_glob_match", "globs": [], "trigger_file_path": null, "parent_file_path": null}),
            "load_reason",
        ),
        (
            json!({"hook_event_name": "ConfigChange", "source": "policy_settings", "file_path": "/p"}),
            "source",
        ),
        (
            json!({"hook_event_name": "FileChanged", "file_path": "/a/b.json", "event": "unlink"}),
            "event",
        ),
    ];
    for (mut value, field) in samples {
        let object = value
            .as_object_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        let mut full = serde_json::Map::from_iter([
            ("session_id".to_owned(), json!("s")),
            ("transcript_path".to_owned(), json!("t")),
            ("cwd".to_owned(), json!("/")),
        ]);
        full.extend(object);
        let full = Value::Object(full);
        let input = HookInput::from_json(&full).map_err(|e| e.to_string());
        let back = input.map(|i| i.to_json()[field].clone());
        assert_eq!(back, Ok(full[field].clone()));
    }
}

#[test]
fn an_unknown_value_is_rejected_with_its_field() {
    let value = json!({"session_id": "s", "transcript_path": "t", "cwd": "/",
        "hook_event_name": "PreCompact", "trigger": "sometimes", "custom_instructions": ""});
    let err = HookInput::from_json(&value).unwrap_err();
    assert_eq!(err.path, "trigger");
}
