//! http hooks against a real HTTP server on 127.0.0.1.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use ferrule_hooks::{Dispatcher, Effect, HookSource, Parsed, PermissionDecision, RunStatus};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::support::pre_tool_use;

/// What the server saw: the Authorization header and the body.
type Seen = Arc<Mutex<Vec<(Option<String>, Value)>>>;

async fn serve(router: Router) -> Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(format!("http://{addr}"))
}

fn recording(seen: &Seen, reply: (StatusCode, &'static str)) -> Router {
    let seen = Arc::clone(seen);
    Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: String| {
            let seen = Arc::clone(&seen);
            async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let body = serde_json::from_str(&body).unwrap_or(Value::Null);
                seen.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((auth, body));
                reply
            }
        }),
    )
}

#[tokio::test]
async fn the_input_is_posted_and_the_response_decides() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let seen: Seen = Arc::default();
    let base = serve(recording(
        &seen,
        (
            StatusCode::OK,
            r#"{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"policy says no"}}"#,
        ),
    ))
    .await?;
    let hooks = json!({"PreToolUse": [{"hooks": [{"type": "http", "url": format!("{base}/hook"),
        "headers": {"Authorization": "Bearer ${HOOK_TOKEN}"}, "allowedEnvVars": ["HOOK_TOKEN"]}]}]});
    let d = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("test"))
        .env([("HOOK_TOKEN".to_owned(), "s3cret".to_owned())])
        .build();
    let input = pre_tool_use(dir.path(), "Bash", json!({"command": "curl x"}));
    let out = d.dispatch(&input).await;
    assert_eq!(out.runs[0].status, RunStatus::Http(200));
    assert_eq!(
        out.outcome.permission_decision,
        Some(PermissionDecision::Deny)
    );
    assert_eq!(
        out.outcome.block_reason().as_deref(),
        Some("policy says no")
    );
    let seen = seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    assert_eq!(
        seen,
        vec![(Some("Bearer s3cret".to_owned()), input.to_json())]
    );
    Ok(())
}

#[tokio::test]
async fn an_error_status_is_a_non_blocking_error() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let seen: Seen = Arc::default();
    let base = serve(recording(
        &seen,
        (StatusCode::INTERNAL_SERVER_ERROR, "down"),
    ))
    .await?;
    let hooks =
        json!({"PreToolUse": [{"hooks": [{"type": "http", "url": format!("{base}/hook")}]}]});
    let d = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("t"))
        .build();
    let out = d
        .dispatch(&pre_tool_use(dir.path(), "Bash", json!({})))
        .await;
    assert_eq!(
        out.runs[0].effect,
        Effect::Error("HTTP status 500: down".to_owned())
    );
    assert!(!out.outcome.is_blocked());
    Ok(())
}

#[tokio::test]
async fn a_garbage_body_is_reported() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let seen: Seen = Arc::default();
    let base = serve(recording(&seen, (StatusCode::OK, "<html>oops</html>"))).await?;
    let hooks =
        json!({"PreToolUse": [{"hooks": [{"type": "http", "url": format!("{base}/hook")}]}]});
    let d = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("t"))
        .build();
    let out = d
        .dispatch(&pre_tool_use(dir.path(), "Bash", json!({})))
        .await;
    assert!(matches!(out.runs[0].parsed, Parsed::Invalid(_)));
    assert!(!out.outcome.is_blocked());
    Ok(())
}

#[tokio::test]
async fn a_slow_server_times_out_and_pre_tool_use_asks() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let router = Router::new().route(
        "/hook",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            "{}"
        }),
    );
    let base = serve(router).await?;
    let hooks = json!({"PreToolUse": [{"hooks": [{"type": "http", "url": format!("{base}/hook"), "timeout": 0.5}]}]});
    let d = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("t"))
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
async fn a_refused_connection_is_a_reported_failure() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    drop(listener);
    let hooks =
        json!({"Stop": [{"hooks": [{"type": "http", "url": format!("http://{addr}/hook")}]}]});
    let d = Dispatcher::builder(dir.path())
        .hooks(&hooks, HookSource::session("t"))
        .build();
    let input = ferrule_hooks::HookInput::sample(
        ferrule_hooks::HookEvent::Stop,
        super::support::common(dir.path()),
        None,
    );
    let out = d.dispatch(&input).await;
    assert!(
        matches!(&out.runs[0].status, RunStatus::Failed(m) if m.contains("request to")),
        "{:?}",
        out.runs[0].status
    );
    assert!(!out.outcome.is_blocked());
    Ok(())
}
