//! SDK hook callbacks as a fourth hook type (sdk-protocol.md §10): the
//! host registers `{Event: [{matcher, hookCallbackIds, timeout?}]}` in
//! `initialize.hooks`; firing one sends a `hook_callback` control request
//! and the answer is the hook's JSON output.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ferrule_config::{Diagnostic, Severity};
use serde_json::Value;

use crate::event::HookEvent;
use crate::matcher::Matcher;
use crate::model::RunnerError;
use crate::parse::{ParsedHooks, kind_of};
use crate::source::HookSource;
use crate::spec::{CallbackHook, HookGroup, HookKind, HookSpec, Mode, default_timeout};

/// Sends `hook_callback` requests to the SDK host.
#[async_trait]
pub trait CallbackHost: Send + Sync {
    /// Calls the host's callback `callback_id` with the hook input and
    /// returns its answer (`async_`/`continue_` already renamed to
    /// `async`/`continue`). Dropping the future cancels the request.
    ///
    /// # Errors
    /// The host answered with an error (the callback raised, returned
    /// nothing, or the id is unknown).
    async fn call(
        &self,
        callback_id: &str,
        input: Value,
        tool_use_id: Option<String>,
    ) -> Result<Value, RunnerError>;
}

/// Reads `initialize.hooks` into hook groups of the SDK source.
pub fn parse_sdk_hooks(value: &Value) -> ParsedHooks {
    let source = Arc::new(HookSource::sdk());
    let mut out = ParsedHooks::default();
    let mut error = |path: String, message: String| {
        out.diagnostics
            .push(Diagnostic::new(&source.path, Severity::Error, message).with_json_path(path));
    };
    let Value::Object(events) = value else {
        error(
            "hooks".to_owned(),
            format!("expected an object, found {}", kind_of(value)),
        );
        return out;
    };
    let mut groups = Vec::new();
    for (name, matchers) in events {
        let path = format!("hooks.{name}");
        let event = match name.parse::<HookEvent>() {
            Ok(e) => e,
            Err(e) => {
                error(path, e.to_string());
                continue;
            }
        };
        let Some(matchers) = matchers.as_array() else {
            error(
                path,
                format!("expected an array, found {}", kind_of(matchers)),
            );
            continue;
        };
        for (i, m) in matchers.iter().enumerate() {
            let path = format!("{path}[{i}]");
            let matcher = match m.get("matcher") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => {
                    error(
                        format!("{path}.matcher"),
                        format!("expected a string, found {}", kind_of(other)),
                    );
                    continue;
                }
            };
            let timeout = match m.get("timeout") {
                None | Some(Value::Null) => default_timeout::CALLBACK,
                Some(t) => match t.as_f64() {
                    Some(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => {
                        Duration::from_secs_f64(s)
                    }
                    _ => {
                        error(
                            format!("{path}.timeout"),
                            format!("expected seconds above 0, found {t}"),
                        );
                        continue;
                    }
                },
            };
            let Some(ids) = m.get("hookCallbackIds").and_then(Value::as_array) else {
                error(
                    format!("{path}.hookCallbackIds"),
                    "expected an array of callback ids".to_owned(),
                );
                continue;
            };
            let mut hooks = Vec::new();
            for (j, id) in ids.iter().enumerate() {
                let Some(id) = id.as_str() else {
                    error(
                        format!("{path}.hookCallbackIds[{j}]"),
                        format!("expected a string, found {}", kind_of(id)),
                    );
                    continue;
                };
                hooks.push(Arc::new(HookSpec {
                    kind: HookKind::Callback(CallbackHook {
                        callback_id: id.to_owned(),
                    }),
                    condition: None,
                    timeout,
                    mode: Mode::Blocking,
                    rewake_message: None,
                    rewake_summary: None,
                    once: false,
                    status_message: None,
                    json_path: format!("{path}.hookCallbackIds[{j}]"),
                }));
            }
            groups.push((
                event,
                HookGroup {
                    matcher: if event.has_match_field() {
                        Matcher::compile(matcher.as_deref())
                    } else {
                        Matcher::All
                    },
                    matcher_text: matcher,
                    sequential: false,
                    hooks,
                    source: Arc::clone(&source),
                },
            ));
        }
    }
    out.groups = groups;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn initialize_hooks_become_callback_groups() {
        let p = parse_sdk_hooks(&json!({
            "PreToolUse": [{"matcher": "Bash", "hookCallbackIds": ["hook_0", "hook_1"], "timeout": 5}],
            "Stop": [{"matcher": null, "hookCallbackIds": ["hook_2"]}]
        }));
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(p.groups.len(), 2);
        assert_eq!(p.groups[0].1.hooks.len(), 2);
        assert_eq!(p.groups[0].1.hooks[0].timeout, Duration::from_secs(5));
        assert_eq!(p.groups[1].1.hooks[0].timeout, Duration::from_secs(60));
    }

    #[test]
    fn bad_registrations_are_diagnostics() {
        let p = parse_sdk_hooks(&json!({"Nope": [], "Stop": [{"hookCallbackIds": [3]}]}));
        assert_eq!(p.diagnostics.len(), 2);
        assert_eq!(p.groups[0].1.hooks.len(), 0);
    }
}
