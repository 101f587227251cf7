//! Control requests from the SDK (`sdk-protocol.md` §6): one handler per
//! kind ferrule supports; every other kind is answered with the
//! "unsupported" error, so no request is left without its one answer.

use std::str::FromStr;
use std::sync::Arc;

use ferrule_permissions::Mode;
use ferrule_protocol::sdk::{
    ApplyFlagSettingsRequest, ControlRequest, InterruptRequest, McpStatusResponse,
    PermissionBehavior, PermissionDestination, PermissionRuleValue, PermissionUpdate,
    PlanModeState, RewindFilesRequest, RewindFilesResponse, SetModelRequest, StatusMessage,
    StreamMessage, SystemMessage,
};
use serde_json::{Map, Value, json};

use tokio::sync::oneshot;

use crate::host::{Shared, lock};
use crate::session::Ready;
use crate::turns::Command;

/// Answers one SDK → CLI request: the success payload, or the error text.
pub(crate) async fn handle(shared: &Arc<Shared>, request: ControlRequest) -> Result<Value, String> {
    match request {
        ControlRequest::Initialize(init) => crate::session::initialize(shared, init).await,
        ControlRequest::Interrupt(interrupt) => Ok(handle_interrupt(shared, &interrupt)),
        ControlRequest::CancelAsyncMessage(cancel) => {
            Ok(json!({"cancelled": shared.queue.cancel(&cancel.message_uuid)}))
        }
        ControlRequest::SetPermissionMode(set) => {
            let mode = Mode::from_str(&set.mode)
                .map_err(|_| format!("unknown permission_mode: {}", set.mode))?;
            with_ready(shared, |ready| {
                ready.controls.set_mode(mode);
                ready.before_plan = None;
            })?;
            status_line(shared, mode);
            Ok(json!({}))
        }
        ControlRequest::SetModel(set) => set_model(shared, &set),
        ControlRequest::GetModels(_) => with_ready(shared, |ready| json!({"models": ready.models})),
        ControlRequest::McpStatus(_) => with_ready(shared, |ready| {
            serde_json::to_value(McpStatusResponse {
                servers: Some(crate::session::mcp_statuses(
                    ready.manager.as_ref(),
                    &ready.mcp,
                )),
                mcp_servers: None,
            })
            .unwrap_or_default()
        }),
        ControlRequest::McpReconnect(request) => {
            let manager = managed(shared, &request.server_name)?;
            manager
                .reconnect(&request.server_name)
                .await
                .map_err(|error| error.to_string())?;
            Ok(json!({}))
        }
        ControlRequest::McpToggle(request) => {
            let manager = managed(shared, &request.server_name)?;
            manager
                .set_enabled(&request.server_name, request.enabled)
                .await
                .map_err(|error| error.to_string())?;
            Ok(json!({}))
        }
        ControlRequest::SetPlanMode(set) => {
            let mode = with_ready(shared, |ready| {
                let now = ready.controls.mode();
                let next = if set.active {
                    if now != Mode::Plan {
                        ready.before_plan = Some(now);
                    }
                    Mode::Plan
                } else if now == Mode::Plan {
                    ready.before_plan.take().unwrap_or(Mode::Default)
                } else {
                    now
                };
                ready.controls.set_mode(next);
                next
            })?;
            status_line(shared, mode);
            Ok(json!({"plan_mode": PlanModeState { active: mode == Mode::Plan }}))
        }
        ControlRequest::GetPlanMode(_) => with_ready(
            shared,
            |ready| json!({"plan_mode": PlanModeState { active: ready.controls.mode() == Mode::Plan }}),
        ),
        ControlRequest::RewindFiles(rewind) => rewind_files(shared, &rewind).await,
        ControlRequest::GetContextUsage(_) => context_usage(shared).await,
        ControlRequest::ApplyFlagSettings(apply) => apply_flag_settings(shared, &apply),
        ControlRequest::ListPlugins(_) => {
            with_ready(shared, |ready| json!({"plugins": ready.facts.plugins}))
        }
        ControlRequest::AccountInfo(_) => Ok(json!({"account": {}})),
        other => Err(other.unsupported_message()),
    }
}

/// The ferrule-mcp manager running `server`; SDK servers and unknown names
/// are errors.
fn managed(shared: &Shared, server: &str) -> Result<ferrule_mcp::McpManager, String> {
    let manager = with_ready(shared, |ready| ready.manager.clone())?;
    match manager {
        Some(manager) if manager.server_names().iter().any(|name| name == server) => Ok(manager),
        _ => Err(format!(
            "MCP server `{server}` is not managed here (unknown, or an SDK server)"
        )),
    }
}

fn with_ready<T>(shared: &Shared, f: impl FnOnce(&mut Ready) -> T) -> Result<T, String> {
    let mut ready = lock(&shared.ready);
    match ready.as_mut() {
        Some(ready) => Ok(f(ready)),
        None => Err("initialize_required: the session is not initialized".to_owned()),
    }
}

fn handle_interrupt(shared: &Shared, request: &InterruptRequest) -> Value {
    let cancelled = if request.cancel_queued == Some(true) {
        shared.queue.clear()
    } else {
        Vec::new()
    };
    let running = lock(&shared.running).is_some();
    if running && let Some(ready) = lock(&shared.ready).as_ref() {
        ready.controls.interrupt();
    }
    json!({"still_queued": shared.queue.uuids(), "cancelled": cancelled})
}

/// `system/status` with the new mode (§6.2: the real CLI emits it).
fn status_line(shared: &Shared, mode: Mode) {
    let session_id = lock(&shared.ready)
        .as_ref()
        .map(|ready| ready.session_id.clone());
    shared
        .outbox
        .send(&StreamMessage::System(SystemMessage::Status(
            StatusMessage {
                status: None,
                permission_mode: Some(ferrule_agent::mode_to_wire(mode)),
                uuid: Some(uuid::Uuid::new_v4().to_string()),
                session_id,
                extra: Map::new(),
            },
        )));
}

fn set_model(shared: &Shared, request: &SetModelRequest) -> Result<Value, String> {
    let mut ready = lock(&shared.ready);
    let ready = ready
        .as_mut()
        .ok_or_else(|| "initialize_required: the session is not initialized".to_owned())?;
    let model = match request.model.as_deref() {
        None | Some("" | "default") => Arc::clone(&ready.default_model),
        Some(name) => {
            let http = ferrule_setup::model::http_options(&ready.model_env, None)
                .map_err(|error| error.to_string())?;
            ferrule_setup::model::session_model(
                Some(name),
                &ready.model_env,
                &ready.settings_json,
                &ready.cwd,
                http,
                None,
            )
            .map_err(|error| format!("cannot use model `{name}`: {error}"))?
            .model
        }
    };
    ready.facts.model = model.name().to_owned();
    ready.controls.set_model(model);
    Ok(json!({}))
}

async fn rewind_files(shared: &Shared, request: &RewindFilesRequest) -> Result<Value, String> {
    let Some(id) = request.user_message_id.clone() else {
        return Err("missing user_message_id".to_owned());
    };
    with_ready(shared, |_| ())?;
    let (reply, answer) = oneshot::channel();
    let command = Command::Rewind {
        user_message_id: id,
        dry_run: request.dry_run == Some(true),
        reply,
    };
    if shared.commands.send(command).is_err() {
        return Err(SESSION_ENDED.to_owned());
    }
    let report = answer.await.map_err(|_| SESSION_ENDED.to_owned())?;
    let response = RewindFilesResponse {
        can_rewind: report.can_rewind,
        error: report.error,
        files_changed: Some(report.files_changed),
        insertions: Some(report.insertions),
        deletions: Some(report.deletions),
    };
    serde_json::to_value(response).map_err(|error| error.to_string())
}

async fn context_usage(shared: &Shared) -> Result<Value, String> {
    with_ready(shared, |_| ())?;
    let (reply, answer) = oneshot::channel();
    if shared
        .commands
        .send(Command::ContextUsage { reply })
        .is_err()
    {
        return Err(SESSION_ENDED.to_owned());
    }
    answer.await.map_err(|_| SESSION_ENDED.to_owned())
}

const SESSION_ENDED: &str = "the session ended before the request was handled";

/// `apply_flag_settings`: the permission parts take effect now
/// (`permissions.defaultMode`, `allow`/`deny`/`ask` as session rules);
/// other keys are not applied mid-session and are named in the log.
fn apply_flag_settings(
    shared: &Shared,
    request: &ApplyFlagSettingsRequest,
) -> Result<Value, String> {
    let permissions = request
        .settings
        .get("permissions")
        .and_then(Value::as_object);
    for key in request.settings.keys().filter(|key| *key != "permissions") {
        tracing::warn!(key = %key, "apply_flag_settings: only `permissions` is applied mid-session");
    }
    let Some(permissions) = permissions else {
        return Ok(json!({}));
    };
    let mode = match permissions.get("defaultMode").and_then(Value::as_str) {
        Some(text) => {
            Some(Mode::from_str(text).map_err(|_| format!("unknown permission_mode: {text}"))?)
        }
        None => None,
    };
    let mut updates = Vec::new();
    for (key, behavior) in [
        ("allow", PermissionBehavior::Allow),
        ("deny", PermissionBehavior::Deny),
        ("ask", PermissionBehavior::Ask),
    ] {
        let rules: Vec<PermissionRuleValue> = permissions
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(rule_value)
            .collect();
        if !rules.is_empty() {
            updates.push(PermissionUpdate::AddRules {
                rules,
                behavior,
                destination: PermissionDestination::Session,
            });
        }
    }
    with_ready(shared, |ready| {
        ready.controls.apply_permission_updates(&updates);
        if let Some(mode) = mode {
            ready.controls.set_mode(mode);
        }
    })?;
    if let Some(mode) = mode {
        status_line(shared, mode);
    }
    Ok(json!({}))
}

/// `Bash(git:*)` → `{toolName: "Bash", ruleContent: "git:*"}`.
fn rule_value(rule: &str) -> PermissionRuleValue {
    let rule = rule.trim();
    match rule.split_once('(') {
        Some((tool, rest)) if rest.ends_with(')') => PermissionRuleValue {
            tool_name: tool.to_owned(),
            rule_content: Some(rest[..rest.len() - 1].to_owned()),
        },
        _ => PermissionRuleValue {
            tool_name: rule.to_owned(),
            rule_content: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_strings_split_into_tool_and_content() {
        assert_eq!(
            rule_value("Bash(git commit:*)"),
            PermissionRuleValue {
                tool_name: "Bash".into(),
                rule_content: Some("git commit:*".into())
            }
        );
        assert_eq!(rule_value("Read").rule_content, None);
    }
}
