//! Shared helpers: a dispatcher over inline hooks JSON in a temp project,
//! and inputs for the usual events.

use std::path::Path;

use ferrule_hooks::{CommonFields, Dispatcher, EventPayload, HookEvent, HookInput, HookSource};
use serde_json::Value;

/// A dispatcher for `hooks` (the value of a `hooks` key) registered as
/// session hooks in `dir`.
pub(super) fn dispatcher(dir: &Path, hooks: &Value) -> Dispatcher {
    Dispatcher::builder(dir)
        .hooks(hooks, HookSource::session("test"))
        .build()
}

/// Common fields of a made-up session in `dir`.
pub(super) fn common(dir: &Path) -> CommonFields {
    CommonFields {
        session_id: "sess-1".to_owned(),
        transcript_path: dir.join("transcript.jsonl").display().to_string(),
        cwd: dir.display().to_string(),
        permission_mode: Some("default".to_owned()),
        agent_id: None,
        agent_type: None,
    }
}

/// A PreToolUse input for `tool` with `input`.
pub(super) fn pre_tool_use(dir: &Path, tool: &str, input: Value) -> HookInput {
    let mut hook_input = HookInput::sample(HookEvent::PreToolUse, common(dir), Some(tool));
    if let EventPayload::PreToolUse(p) = &mut hook_input.payload {
        p.call.tool_input = input;
        p.call.tool_use_id = "toolu_01".to_owned();
    }
    hook_input
}

/// Writes an executable script.
pub(super) fn script(dir: &Path, name: &str, body: &str) -> std::io::Result<String> {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n"))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    Ok(path.display().to_string())
}
