//! SDK hook callbacks as a hook type, through a host that answers
//! `hook_callback` requests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use async_trait::async_trait;
use ferrule_hooks::{
    CallbackHost, Dispatcher, Effect, HookSource, PermissionDecision, RunnerError,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::support::pre_tool_use;

/// A host that answers each callback id from a table and records calls.
struct TableHost {
    answers: Vec<(&'static str, Result<Value, RunnerError>)>,
    calls: Mutex<Vec<(String, Value, Option<String>)>>,
}

#[async_trait]
impl CallbackHost for TableHost {
    async fn call(
        &self,
        id: &str,
        input: Value,
        tool_use_id: Option<String>,
    ) -> Result<Value, RunnerError> {
        self.calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((id.to_owned(), input, tool_use_id));
        if id == "hook_slow" {
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
        self.answers
            .iter()
            .find(|(k, _)| *k == id)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| Err(RunnerError(format!("No hook callback found for ID: {id}"))))
    }
}

#[tokio::test]
async fn callbacks_decide_like_any_hook_and_errors_do_not_block() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let host = Arc::new(TableHost {
        answers: vec![
            (
                "hook_0",
                Ok(
                    json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "ask"}}),
                ),
            ),
            ("hook_1", Err(RunnerError("callback raised".to_owned()))),
        ],
        calls: Mutex::default(),
    });
    let registration = json!({"PreToolUse": [
        {"matcher": "Bash", "hookCallbackIds": ["hook_0", "hook_1"]},
        {"matcher": "Bash", "hookCallbackIds": ["hook_slow"], "timeout": 0.3}
    ]});
    let d = Dispatcher::builder(dir.path())
        .hooks(&json!({}), HookSource::session("t"))
        .sdk_hooks(&registration, Arc::clone(&host) as Arc<dyn CallbackHost>)
        .build();
    let input = pre_tool_use(dir.path(), "Bash", json!({"command": "ls"}));
    let out = d.dispatch(&input).await;
    assert_eq!(
        out.outcome.permission_decision,
        Some(PermissionDecision::Ask)
    );
    let effects: Vec<Effect> = out.runs.iter().map(|r| r.effect.clone()).collect();
    assert_eq!(
        effects,
        vec![
            Effect::Success,
            Effect::Error("callback failed: callback raised".to_owned()),
            Effect::Error("timed out".to_owned()),
        ]
    );
    let calls = host
        .calls
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    assert_eq!(
        calls[0],
        (
            "hook_0".to_owned(),
            input.to_json(),
            Some("toolu_01".to_owned())
        )
    );
    assert_eq!(calls.len(), 3);
    Ok(())
}
