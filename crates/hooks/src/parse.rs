//! Reading the `hooks` JSON of one source into compiled groups. Every bad
//! entry becomes a diagnostic with the file and the JSON path; the others
//! still load.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ferrule_config::{Diagnostic, Severity};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::condition::Condition;
use crate::event::HookEvent;
use crate::matcher::Matcher;
use crate::source::HookSource;
use crate::spec::{
    AgentHook, CommandHook, DEFAULT_AGENT_MAX_TURNS, HookGroup, HookKind, HookSpec, HttpHook, Mode,
    PromptHook, Shell, default_timeout,
};

/// The most characters a `rewakeSummary` may have.
pub const MAX_REWAKE_SUMMARY: usize = 300;

/// The groups read from one source, and what was wrong with it.
#[derive(Debug, Clone, Default)]
pub struct ParsedHooks {
    /// Each event's groups, in file order.
    pub groups: Vec<(HookEvent, HookGroup)>,
    /// Problems, each naming the file and the JSON path.
    pub diagnostics: Vec<Diagnostic>,
}

/// Every field any hook type has; which ones apply depends on `type`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawHook {
    #[serde(rename = "type")]
    kind: Option<String>,
    command: Option<String>,
    args: Option<Vec<String>>,
    shell: Option<String>,
    env: Option<BTreeMap<String, String>>,
    url: Option<String>,
    headers: Option<BTreeMap<String, String>>,
    allowed_env_vars: Option<Vec<String>>,
    prompt: Option<String>,
    model: Option<String>,
    tools: Option<Vec<String>>,
    max_turns: Option<u32>,
    timeout: Option<f64>,
    #[serde(rename = "if")]
    condition: Option<String>,
    #[serde(rename = "async")]
    run_async: Option<bool>,
    async_rewake: Option<bool>,
    rewake_message: Option<String>,
    rewake_summary: Option<String>,
    once: Option<bool>,
    status_message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RawGroup {
    matcher: Option<String>,
    hooks: Option<Vec<Value>>,
    #[serde(rename = "async")]
    run_async: Option<bool>,
    sequential: Option<bool>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// Which fields each type uses (beyond `type` and the shared options).
fn own_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "command" => &[
            "command",
            "args",
            "shell",
            "env",
            "async",
            "asyncRewake",
            "rewakeMessage",
            "rewakeSummary",
        ],
        "http" => &["url", "headers", "allowedEnvVars"],
        "prompt" => &["prompt", "model"],
        "agent" => &["prompt", "tools", "maxTurns", "model"],
        _ => &[],
    }
}

const SHARED_FIELDS: [&str; 5] = ["type", "timeout", "if", "once", "statusMessage"];

/// Parses the value of a `hooks` key (`{"Event": [group, ...]}`) from
/// `source`.
pub fn parse_hooks(value: &Value, source: &Arc<HookSource>) -> ParsedHooks {
    let mut out = ParsedHooks::default();
    let diag = |severity, json_path: &str, message: String| {
        Diagnostic::new(&source.path, severity, message).with_json_path(json_path)
    };
    let Value::Object(events) = value else {
        out.diagnostics.push(diag(
            Severity::Error,
            "hooks",
            format!("expected an object of events, found {}", kind_of(value)),
        ));
        return out;
    };
    for (name, groups) in events {
        let event_path = format!("hooks.{}", key_path(name));
        let event = match name.parse::<HookEvent>() {
            Ok(e) => e,
            Err(e) => {
                out.diagnostics.push(diag(
                    Severity::Warning,
                    &event_path,
                    format!("{e}; ignored"),
                ));
                continue;
            }
        };
        let Value::Array(groups) = groups else {
            out.diagnostics.push(diag(
                Severity::Error,
                &event_path,
                format!(
                    "expected an array of matcher groups, found {}",
                    kind_of(groups)
                ),
            ));
            continue;
        };
        for (i, group) in groups.iter().enumerate() {
            let group_path = format!("{event_path}[{i}]");
            if let Some(g) = parse_group(event, group, &group_path, source, &mut out.diagnostics) {
                out.groups.push((event, g));
            }
        }
    }
    out
}

fn parse_group(
    event: HookEvent,
    value: &Value,
    path: &str,
    source: &Arc<HookSource>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<HookGroup> {
    let mut push = |severity, json_path: String, message: String| {
        diagnostics
            .push(Diagnostic::new(&source.path, severity, message).with_json_path(json_path));
    };
    let raw: RawGroup = match deserialize(value) {
        Ok(raw) => raw,
        Err((at, message)) => {
            push(
                Severity::Error,
                join(path, &at),
                format!("{message}; group ignored"),
            );
            return None;
        }
    };
    for key in raw.extra.keys() {
        push(
            Severity::Warning,
            format!("{path}.{}", key_path(key)),
            "unknown group key; ignored".to_owned(),
        );
    }
    let Some(hooks) = raw.hooks else {
        push(
            Severity::Error,
            format!("{path}.hooks"),
            "the group has no `hooks` array; group ignored".to_owned(),
        );
        return None;
    };
    if raw
        .matcher
        .as_deref()
        .is_some_and(|m| !m.trim().is_empty() && m != "*")
        && !event.has_match_field()
    {
        push(
            Severity::Warning,
            format!("{path}.matcher"),
            format!("{event} has no match field; the matcher is ignored"),
        );
    }
    let group_async = raw.run_async.unwrap_or(false);
    let mut specs = Vec::new();
    for (j, hook) in hooks.iter().enumerate() {
        let hook_path = format!("{path}.hooks[{j}]");
        match parse_hook(event, hook, &hook_path, group_async, source) {
            Ok((spec, warnings)) => {
                for (at, message) in warnings {
                    push(Severity::Warning, at, message);
                }
                specs.push(Arc::new(spec));
            }
            Err((at, message)) => push(Severity::Error, at, format!("{message}; hook ignored")),
        }
    }
    Some(HookGroup {
        matcher: if event.has_match_field() {
            Matcher::compile(raw.matcher.as_deref())
        } else {
            Matcher::All
        },
        matcher_text: raw.matcher,
        sequential: raw.sequential.unwrap_or(false),
        hooks: specs,
        source: Arc::clone(source),
    })
}

type Problem = (String, String);

fn parse_hook(
    event: HookEvent,
    value: &Value,
    path: &str,
    group_async: bool,
    source: &HookSource,
) -> Result<(HookSpec, Vec<Problem>), Problem> {
    let mut warnings = Vec::new();
    let raw: RawHook = deserialize(value).map_err(|(at, m)| (join(path, &at), m))?;
    let Some(kind) = raw.kind.as_deref() else {
        return Err((
            format!("{path}.type"),
            "missing `type` (one of command, http, prompt, agent)".to_owned(),
        ));
    };
    let required = |field: &str, v: &Option<String>| -> Result<String, Problem> {
        match v.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => Ok(v.clone().unwrap_or_default()),
            _ => Err((
                format!("{path}.{field}"),
                format!("a {kind} hook needs a non-empty `{field}`"),
            )),
        }
    };
    let (hook_kind, default) = match kind {
        "command" => {
            let shell = match raw.shell.as_deref() {
                None | Some("bash") | Some("sh") => Shell::Bash,
                Some("powershell") | Some("pwsh") => Shell::PowerShell,
                Some(other) => {
                    return Err((
                        format!("{path}.shell"),
                        format!("unknown shell `{other}` (expected bash or powershell)"),
                    ));
                }
            };
            let hook = CommandHook {
                command: required("command", &raw.command)?,
                args: raw.args.clone(),
                shell,
                env: raw.env.clone().unwrap_or_default(),
            };
            (HookKind::Command(hook), default_timeout::COMMAND)
        }
        "http" => {
            let url = required("url", &raw.url)?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err((
                    format!("{path}.url"),
                    format!("`{url}` is not an http:// or https:// URL"),
                ));
            }
            let hook = HttpHook {
                url,
                headers: raw.headers.clone().unwrap_or_default(),
                allowed_env_vars: raw.allowed_env_vars.clone(),
            };
            (HookKind::Http(hook), default_timeout::HTTP)
        }
        "prompt" => {
            let hook = PromptHook {
                prompt: required("prompt", &raw.prompt)?,
                model: raw.model.clone(),
            };
            (HookKind::Prompt(hook), default_timeout::PROMPT)
        }
        "agent" => {
            let max_turns = raw.max_turns.unwrap_or(DEFAULT_AGENT_MAX_TURNS);
            if max_turns == 0 {
                return Err((
                    format!("{path}.maxTurns"),
                    "`maxTurns` must be at least 1".to_owned(),
                ));
            }
            let hook = AgentHook {
                prompt: required("prompt", &raw.prompt)?,
                tools: raw.tools.clone(),
                max_turns,
                model: raw.model.clone(),
            };
            (HookKind::Agent(hook), default_timeout::AGENT)
        }
        other => {
            return Err((
                format!("{path}.type"),
                format!("unknown hook type `{other}` (expected command, http, prompt or agent)"),
            ));
        }
    };
    let timeout = match raw.timeout {
        None => default,
        Some(t) if t.is_finite() && t > 0.0 && t <= 86_400.0 => Duration::from_secs_f64(t),
        Some(t) => {
            return Err((
                format!("{path}.timeout"),
                format!("timeout must be a number of seconds above 0 and at most 86400, found {t}"),
            ));
        }
    };
    let condition = match raw.condition.as_deref() {
        None => None,
        Some(text) => {
            let c = Condition::parse(text).map_err(|e| (format!("{path}.if"), e.to_string()))?;
            if !event.is_tool_event() {
                warnings.push((
                    format!("{path}.if"),
                    format!("`if` only applies to tool events, not {event}; ignored"),
                ));
                None
            } else {
                Some(c)
            }
        }
    };
    if let Some(summary) = &raw.rewake_summary
        && summary.chars().count() > MAX_REWAKE_SUMMARY
    {
        return Err((
            format!("{path}.rewakeSummary"),
            format!("at most {MAX_REWAKE_SUMMARY} characters"),
        ));
    }
    let mode = if raw.async_rewake == Some(true) {
        Mode::BackgroundRewake
    } else if raw.run_async.unwrap_or(group_async) {
        Mode::Background
    } else {
        Mode::Blocking
    };
    if raw.once == Some(true) && !source.is_session_scoped() {
        warnings.push((
            format!("{path}.once"),
            "`once` only applies to session-scoped hooks; this hook runs every time".to_owned(),
        ));
    }
    let own = own_fields(kind);
    let present = value.as_object().into_iter().flat_map(|o| o.keys());
    for key in present {
        let known_elsewhere = [
            "command",
            "args",
            "shell",
            "env",
            "url",
            "headers",
            "allowedEnvVars",
            "prompt",
            "model",
            "tools",
            "maxTurns",
            "async",
            "asyncRewake",
            "rewakeMessage",
            "rewakeSummary",
        ];
        if SHARED_FIELDS.contains(&key.as_str()) || own.contains(&key.as_str()) {
            continue;
        }
        let message = if known_elsewhere.contains(&key.as_str()) {
            format!("`{key}` does not apply to a {kind} hook; ignored")
        } else {
            "unknown hook key; ignored".to_owned()
        };
        warnings.push((format!("{path}.{}", key_path(key)), message));
    }
    Ok((
        HookSpec {
            kind: hook_kind,
            condition,
            timeout,
            mode,
            rewake_message: raw.rewake_message,
            rewake_summary: raw.rewake_summary,
            once: raw.once == Some(true) && source.is_session_scoped(),
            status_message: raw.status_message,
            json_path: path.to_owned(),
        },
        warnings,
    ))
}

fn deserialize<T: for<'de> Deserialize<'de>>(value: &Value) -> Result<T, Problem> {
    if !value.is_object() {
        return Err((
            String::new(),
            format!("expected an object, found {}", kind_of(value)),
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let at = e.path().to_string();
        let at = if at == "." { String::new() } else { at };
        (at, e.inner().to_string())
    })
}

fn join(base: &str, rest: &str) -> String {
    if rest.is_empty() {
        base.to_owned()
    } else if rest.starts_with('[') {
        format!("{base}{rest}")
    } else {
        format!("{base}.{rest}")
    }
}

/// A key as a JSON-path segment: bare when it is an identifier, quoted
/// otherwise.
fn key_path(key: &str) -> String {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        key.to_owned()
    } else {
        format!("[{}]", Value::String(key.to_owned()))
    }
}

pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn parse(value: Value) -> ParsedHooks {
        let source = Arc::new(HookSource::settings(
            "project",
            true,
            "/p/.qoder/settings.json",
        ));
        parse_hooks(&value, &source)
    }

    fn messages(p: &ParsedHooks) -> Vec<String> {
        p.diagnostics.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_documented_config_loads_with_defaults() {
        let p = parse(json!({"PreToolUse": [{"matcher": "Bash", "hooks": [
            {"type": "command", "command": "./check.sh"},
            {"type": "http", "url": "http://127.0.0.1:1/h", "timeout": 5},
            {"type": "prompt", "prompt": "Is it safe?"},
            {"type": "agent", "prompt": "Review $ARGUMENTS", "tools": ["Read"]}
        ]}]}));
        assert_eq!(messages(&p), Vec::<String>::new());
        let (event, group) = &p.groups[0];
        assert_eq!(*event, HookEvent::PreToolUse);
        let timeouts: Vec<u64> = group.hooks.iter().map(|h| h.timeout.as_secs()).collect();
        assert_eq!(timeouts, vec![600, 5, 30, 60]);
        assert_eq!(group.hooks[0].json_path, "hooks.PreToolUse[0].hooks[0]");
    }

    #[test]
    fn bad_entries_are_reported_and_the_others_still_load() {
        let p = parse(json!({
            "PreToolUse": [{"hooks": [
                {"type": "command"},
                {"type": "command", "command": "ok"},
                {"type": "command", "command": "x", "timeout": "soon"},
                {"type": "teleport"},
                {"type": "command", "command": "y", "timeout": -1}
            ]}],
            "NoSuchEvent": [],
            "Stop": "nope"
        }));
        assert_eq!(p.groups[0].1.hooks.len(), 1);
        assert_eq!(
            messages(&p),
            vec![
                "error: /p/.qoder/settings.json: hooks.PreToolUse[0].hooks[0].command: a command hook needs a non-empty `command`; hook ignored".to_owned(),
                "error: /p/.qoder/settings.json: hooks.PreToolUse[0].hooks[2].timeout: invalid type: string \"soon\", expected f64; hook ignored".to_owned(),
                "error: /p/.qoder/settings.json: hooks.PreToolUse[0].hooks[3].type: unknown hook type `teleport` (expected command, http, prompt or agent); hook ignored".to_owned(),
                "error: /p/.qoder/settings.json: hooks.PreToolUse[0].hooks[4].timeout: timeout must be a number of seconds above 0 and at most 86400, found -1; hook ignored".to_owned(),
                "warning: /p/.qoder/settings.json: hooks.NoSuchEvent: unknown hook event `NoSuchEvent` (known events: SessionStart, SessionEnd, UserPromptSubmit, PreToolUse, PostToolUse, PostToolUseFailure, PermissionRequest, PermissionDenied, Stop, StopFailure, SubagentStart, SubagentStop, PreCompact, PostCompact, Notification, InstructionsLoaded, ConfigChange, CwdChanged, FileChanged, WorktreeCreate, WorktreeRemove, Elicitation, ElicitationResult); ignored".to_owned(),
                "error: /p/.qoder/settings.json: hooks.Stop: expected an array of matcher groups, found a string".to_owned(),
            ]
        );
    }

    #[test]
    fn once_is_honoured_only_for_session_scoped_sources() {
        let value =
            json!({"Stop": [{"hooks": [{"type": "command", "command": "a", "once": true}]}]});
        let p = parse(value.clone());
        assert!(!p.groups[0].1.hooks[0].once);
        assert_eq!(
            messages(&p),
            vec!["warning: /p/.qoder/settings.json: hooks.Stop[0].hooks[0].once: `once` only applies to session-scoped hooks; this hook runs every time".to_owned()]
        );
        let session = Arc::new(HookSource::session("skill"));
        let p = parse_hooks(&value, &session);
        assert!(p.groups[0].1.hooks[0].once);
        assert!(p.diagnostics.is_empty());
    }

    #[test]
    fn if_on_a_non_tool_event_is_ignored_with_a_warning() {
        let p = parse(
            json!({"Stop": [{"hooks": [{"type": "command", "command": "a", "if": "Bash"}]}]}),
        );
        assert!(p.groups[0].1.hooks[0].condition.is_none());
        assert_eq!(p.diagnostics.len(), 1);
    }

    #[test]
    fn hook_async_overrides_group_async_and_rewake_wins() {
        let p = parse(json!({"PostToolUse": [{"async": true, "hooks": [
            {"type": "command", "command": "a"},
            {"type": "command", "command": "b", "async": false},
            {"type": "command", "command": "c", "asyncRewake": true}
        ]}]}));
        let modes: Vec<Mode> = p.groups[0].1.hooks.iter().map(|h| h.mode).collect();
        assert_eq!(
            modes,
            vec![Mode::Background, Mode::Blocking, Mode::BackgroundRewake]
        );
    }

    #[test]
    fn fields_of_another_type_and_unknown_keys_are_warnings() {
        let p = parse(json!({"Stop": [{"matcher": "x", "extra": 1, "hooks": [
            {"type": "http", "url": "https://h/x", "command": "c", "colour": "red"}
        ]}]}));
        assert_eq!(p.groups[0].1.hooks.len(), 1);
        assert_eq!(
            messages(&p),
            vec![
                "warning: /p/.qoder/settings.json: hooks.Stop[0].extra: unknown group key; ignored".to_owned(),
                "warning: /p/.qoder/settings.json: hooks.Stop[0].matcher: Stop has no match field; the matcher is ignored".to_owned(),
                "warning: /p/.qoder/settings.json: hooks.Stop[0].hooks[0].command: `command` does not apply to a http hook; ignored".to_owned(),
                "warning: /p/.qoder/settings.json: hooks.Stop[0].hooks[0].colour: unknown hook key; ignored".to_owned(),
            ]
        );
    }
}
