//! Session control (`sdk-protocol.md` §6.2): interrupt, permission mode,
//! plan mode, model, flag settings.

use std::str::FromStr;
use std::sync::Arc;

use ferrule_model::Thinking;
use ferrule_permissions::Mode;
use ferrule_protocol::sdk::{
    ApplyFlagSettingsRequest, InterruptRequest, PermissionBehavior, PermissionDestination,
    PermissionRuleValue, PermissionUpdate, PlanModeState, SetModelRequest,
    SetPermissionModeRequest, SetPlanModeRequest, StatusMessage, StreamMessage, SystemMessage,
};
use serde_json::{Map, Value, json};

use super::with_ready;
use crate::host::{Shared, lock};

pub(super) fn set_permission_mode(
    shared: &Shared,
    set: &SetPermissionModeRequest,
) -> Result<Value, String> {
    let mode =
        Mode::from_str(&set.mode).map_err(|_| format!("unknown permission_mode: {}", set.mode))?;
    with_ready(shared, |ready| {
        ready.controls.set_mode(mode);
        ready.before_plan = None;
    })?;
    status_line(shared, mode);
    Ok(json!({}))
}

pub(super) fn set_plan_mode(shared: &Shared, set: &SetPlanModeRequest) -> Result<Value, String> {
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

pub(super) fn get_plan_mode(shared: &Shared) -> Result<Value, String> {
    with_ready(
        shared,
        |ready| json!({"plan_mode": PlanModeState { active: ready.controls.mode() == Mode::Plan }}),
    )
}

pub(super) fn interrupt(shared: &Shared, request: &InterruptRequest) -> Value {
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

pub(super) fn set_model(shared: &Shared, request: &SetModelRequest) -> Result<Value, String> {
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
    ready.model = Arc::clone(&model);
    ready.controls.set_model(model);
    Ok(json!({}))
}

/// `set_max_thinking_tokens` `{max_thinking_tokens}`: extended thinking
/// with that token budget from the next model request on, as
/// `--thinking-budget` would set it; `0` turns thinking off, `null` goes
/// back to what the session started with.
pub(super) fn set_max_thinking_tokens(
    shared: &Shared,
    request: &Map<String, Value>,
) -> Result<Value, String> {
    let budget = match request.get("max_thinking_tokens") {
        None => {
            return Err("set_max_thinking_tokens: `max_thinking_tokens` is missing (a token count, or null for the session's default)".to_owned());
        }
        Some(Value::Null) => shared.options.setup.thinking_budget,
        Some(value) => {
            let tokens = value
                .as_u64()
                .and_then(|tokens| u32::try_from(tokens).ok())
                .ok_or_else(|| {
                    format!(
                        "set_max_thinking_tokens: `max_thinking_tokens` must be a whole number of tokens from 0 to {} or null, not {value}",
                        u32::MAX
                    )
                })?;
            (tokens > 0).then_some(tokens)
        }
    };
    let thinking = match budget {
        Some(budget_tokens) => Thinking::Enabled { budget_tokens },
        None => Thinking::Disabled,
    };
    with_ready(shared, |ready| ready.controls.set_thinking(thinking))?;
    Ok(json!({}))
}

/// `apply_flag_settings`: the permission parts take effect now
/// (`permissions.defaultMode`, `allow`/`deny`/`ask` as session rules);
/// other keys are not applied mid-session and are named in the log.
pub(super) fn apply_flag_settings(
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
        ready.blueprint.rules.record(&updates);
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
