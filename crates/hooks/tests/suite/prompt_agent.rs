//! prompt and agent hooks through runners that call a fake model server
//! on 127.0.0.1, as the real model-backed runners will.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use async_trait::async_trait;
use axum::Router;
use axum::routing::post;
use ferrule_hooks::{
    AgentRequest, AgentRunner, Dispatcher, Effect, HookSource, PermissionDecision, PromptRequest,
    PromptRunner, RunStatus, RunnerError,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::support::pre_tool_use;

/// A runner that POSTs each request to a loopback "model" and returns the
/// reply body.
struct LoopbackModel {
    url: String,
    client: reqwest::Client,
}

impl LoopbackModel {
    async fn ask(&self, body: Value) -> Result<String, RunnerError> {
        let response = self
            .client
            .post(&self.url)
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| RunnerError(e.to_string()))?;
        response
            .text()
            .await
            .map_err(|e| RunnerError(e.to_string()))
    }
}

#[async_trait]
impl PromptRunner for LoopbackModel {
    async fn complete(&self, request: PromptRequest) -> Result<String, RunnerError> {
        self.ask(json!({"prompt": request.prompt, "model": request.model}))
            .await
    }
}

#[async_trait]
impl AgentRunner for LoopbackModel {
    async fn run(&self, request: AgentRequest) -> Result<Value, RunnerError> {
        let text = self
            .ask(json!({"prompt": request.prompt, "tools": request.tools, "max_turns": request.max_turns}))
            .await?;
        serde_json::from_str(&text).map_err(|e| RunnerError(e.to_string()))
    }
}

type Seen = Arc<Mutex<Vec<Value>>>;

/// A model server that records requests and answers with `reply` after
/// `delay`.
async fn model(reply: &'static str, delay: Duration) -> Result<(Arc<LoopbackModel>, Seen)> {
    let seen: Seen = Arc::default();
    let record = Arc::clone(&seen);
    let router = Router::new().route(
        "/model",
        post(move |body: String| {
            let record = Arc::clone(&record);
            async move {
                record
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(serde_json::from_str(&body).unwrap_or(Value::Null));
                tokio::time::sleep(delay).await;
                reply
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/model", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let runner = Arc::new(LoopbackModel {
        url,
        client: reqwest::Client::new(),
    });
    Ok((runner, seen))
}

#[tokio::test]
async fn a_prompt_hook_that_answers_not_ok_blocks_with_its_reason() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (runner, seen) = model(
        r#"The verdict: {"ok": false, "reason": "deletes files"}"#,
        Duration::ZERO,
    )
    .await?;
    let hooks = json!({"PreToolUse": [{"hooks": [{"type": "prompt", "prompt": "Is this safe?", "model": "haiku"}]}]});
    let d = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("t"))
        .prompt_runner(runner)
        .build();
    let input = pre_tool_use(dir.path(), "Bash", json!({"command": "rm -rf x"}));
    let out = d.dispatch(&input).await;
    assert_eq!(out.runs[0].status, RunStatus::Answered);
    assert_eq!(
        out.outcome.permission_decision,
        Some(PermissionDecision::Deny)
    );
    assert_eq!(out.outcome.block_reason().as_deref(), Some("deletes files"));
    let seen = seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    assert_eq!(
        seen,
        vec![json!({"prompt": format!("Is this safe?\n\n{}", input.to_json()), "model": "haiku"})]
    );
    Ok(())
}

#[tokio::test]
async fn a_prompt_hook_that_answers_ok_has_no_opinion() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (runner, _) = model(r#"{"ok": true}"#, Duration::ZERO).await?;
    let hooks = json!({"PreToolUse": [{"hooks": [{"type": "prompt", "prompt": "Safe?"}]}]});
    let d = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("t"))
        .prompt_runner(runner)
        .build();
    let out = d
        .dispatch(&pre_tool_use(dir.path(), "Bash", json!({})))
        .await;
    assert_eq!(out.runs[0].effect, Effect::Success);
    assert_eq!(out.outcome.permission_decision, None);
    Ok(())
}

#[tokio::test]
async fn a_prompt_hook_past_its_timeout_fails_closed_for_pre_tool_use() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (runner, _) = model(r#"{"ok": true}"#, Duration::from_secs(10)).await?;
    let hooks =
        json!({"PreToolUse": [{"hooks": [{"type": "prompt", "prompt": "Safe?", "timeout": 0.3}]}]});
    let d = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("t"))
        .prompt_runner(runner)
        .build();
    let out = d
        .dispatch(&pre_tool_use(dir.path(), "Bash", json!({})))
        .await;
    assert_eq!(out.runs[0].status, RunStatus::TimedOut);
    assert_eq!(
        out.outcome.permission_decision,
        Some(PermissionDecision::Ask)
    );
    Ok(())
}

#[tokio::test]
async fn an_unparseable_answer_is_a_reported_non_blocking_error() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (runner, _) = model("I think it is fine", Duration::ZERO).await?;
    let hooks = json!({"Stop": [{"hooks": [{"type": "prompt", "prompt": "Done?"}]}]});
    let d = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("t"))
        .prompt_runner(runner)
        .build();
    let input = ferrule_hooks::HookInput::sample(
        ferrule_hooks::HookEvent::Stop,
        super::support::common(dir.path()),
        None,
    );
    let out = d.dispatch(&input).await;
    assert!(
        matches!(&out.runs[0].effect, Effect::Error(m) if m.starts_with("invalid hook output"))
    );
    assert!(!out.outcome.is_blocked());
    Ok(())
}

#[tokio::test]
async fn an_agent_hook_gets_its_arguments_and_safe_tools_and_can_block() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (runner, seen) = model(r#"{"ok": false, "reason": "tests fail"}"#, Duration::ZERO).await?;
    let hooks = json!({"Stop": [{"hooks": [{"type": "agent", "prompt": "Verify: $ARGUMENTS",
        "tools": ["Read", "Grep", "Agent", "AskUserQuestion"], "maxTurns": 5}]}]});
    let d = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("t"))
        .agent_runner(runner)
        .build();
    let input = ferrule_hooks::HookInput::sample(
        ferrule_hooks::HookEvent::Stop,
        super::support::common(dir.path()),
        None,
    );
    let out = d.dispatch(&input).await;
    assert_eq!(out.outcome.blocked, vec!["tests fail".to_owned()]);
    let seen = seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    assert_eq!(
        seen,
        vec![
            json!({"prompt": format!("Verify: {}", input.to_json()), "tools": ["Read", "Grep"], "max_turns": 5})
        ]
    );
    Ok(())
}

#[tokio::test]
async fn without_a_runner_prompt_hooks_are_reported_errors() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hooks = json!({"Stop": [{"hooks": [{"type": "prompt", "prompt": "Done?"}]}]});
    let d = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("t"))
        .build();
    let input = ferrule_hooks::HookInput::sample(
        ferrule_hooks::HookEvent::Stop,
        super::support::common(dir.path()),
        None,
    );
    let out = d.dispatch(&input).await;
    assert_eq!(
        out.runs[0].effect,
        Effect::Error("prompt hooks need a model, and none is configured".to_owned())
    );
    Ok(())
}
