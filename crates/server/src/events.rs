//! Session events (`cloud-api.md` §7.2, §7.6): validation of client events,
//! sending (store first, then act), and listing.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::input::{Fields, JsonObject, Order, QueryPairs};
use crate::list::{self, Bind, ListSpec};
use crate::live::{PendingKind, Resolution};
use crate::stream::ThreadScope;

fn content_blocks(value: Option<&Value>, param: &str, strings: bool) -> ApiResult<Value> {
    let message = format!("Field '{param}' must be a non-empty array of content blocks.");
    match value {
        Some(Value::String(text)) if strings && !text.is_empty() => {
            Ok(json!([{"type": "text", "text": text}]))
        }
        Some(Value::Array(blocks)) if !blocks.is_empty() => {
            for (index, block) in blocks.iter().enumerate() {
                let bparam = format!("{param}[{index}]");
                match block["type"].as_str() {
                    Some("text") if block["text"].is_string() => {}
                    Some("text") => {
                        return Err(ApiError::field(
                            &bparam,
                            "A text block needs a string 'text'.",
                        ));
                    }
                    Some("image" | "document") if block["source"].is_object() => {}
                    Some("image" | "document") => {
                        return Err(ApiError::field(
                            &bparam,
                            "This block needs a 'source' object.",
                        ));
                    }
                    Some("redacted" | "search_result") => {}
                    _ => return Err(ApiError::field(&bparam, "Unknown content block type.")),
                }
            }
            Ok(Value::Array(blocks.clone()))
        }
        _ => Err(ApiError::field(param, message)),
    }
}

fn validate_one(event: &Map<String, Value>, index: usize) -> ApiResult<Value> {
    let p = |field: &str| format!("events[{index}].{field}");
    let kind = event
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut out = json!({"type": kind});
    match kind {
        "user.message" => {
            out["content"] = content_blocks(event.get("content"), &p("content"), true)?;
        }
        "user.interrupt" => {
            out["session_thread_id"] = event
                .get("session_thread_id")
                .cloned()
                .unwrap_or(Value::Null);
        }
        "user.tool_confirmation" => {
            let id = event
                .required_str("tool_use_id")
                .map_err(|_| ApiError::required(&p("tool_use_id")))?;
            let result = event.get("result").and_then(Value::as_str);
            if !matches!(result, Some("allow" | "deny")) {
                return Err(ApiError::field(
                    &p("result"),
                    "Field 'result' must be one of: allow, deny.",
                ));
            }
            out["tool_use_id"] = json!(id);
            out["result"] = json!(result);
            if let Some(message) = event.opt_str("deny_message")? {
                if result != Some("deny") {
                    return Err(ApiError::field(
                        &p("deny_message"),
                        "deny_message goes only with result 'deny'.",
                    ));
                }
                out["deny_message"] = json!(message);
            }
        }
        "user.custom_tool_result" | "user.tool_result" => {
            let key = if kind == "user.tool_result" {
                "tool_use_id"
            } else {
                "custom_tool_use_id"
            };
            let id = event
                .required_str(key)
                .map_err(|_| ApiError::required(&p(key)))?;
            out[key] = json!(id);
            out["content"] = match event.get("content") {
                None | Some(Value::Null) => json!([]),
                Some(Value::String(text)) => json!([{"type": "text", "text": text}]),
                Some(Value::Object(block)) => json!([block]),
                Some(value) => content_blocks(Some(value), &p("content"), false)?,
            };
            out["is_error"] = json!(event.opt_bool("is_error")?.unwrap_or(false));
        }
        "user.define_outcome" => {
            let description = event
                .required_str("description")
                .map_err(|_| ApiError::required(&p("description")))?;
            let rubric = event.get("rubric").cloned().unwrap_or(Value::Null);
            let rubric_ok = match rubric["type"].as_str() {
                Some("text") => {
                    rubric["content"].is_string()
                        && rubric.as_object().is_some_and(|m| m.len() == 2)
                }
                Some("file") => {
                    rubric["file_id"].is_string()
                        && rubric.as_object().is_some_and(|m| m.len() == 2)
                }
                _ => false,
            };
            if !rubric_ok {
                return Err(ApiError::field(
                    &p("rubric"),
                    "rubric must be {type: text, content} or {type: file, file_id}.",
                ));
            }
            if event.contains_key("outcome_id") {
                return Err(ApiError::field(
                    &p("outcome_id"),
                    "outcome_id is assigned by the server.",
                ));
            }
            out["description"] = json!(description);
            out["rubric"] = rubric;
            if let Some(max) = event.get("max_iterations").filter(|v| !v.is_null()) {
                match max.as_i64() {
                    Some(n) if (1..=20).contains(&n) => out["max_iterations"] = json!(n),
                    _ => {
                        return Err(ApiError::field(
                            &p("max_iterations"),
                            "max_iterations must be 1 to 20.",
                        ));
                    }
                }
            }
            out["outcome_id"] = json!(ids::new_id("outc_"));
        }
        "system.message" => {
            if event.get("content").is_some_and(Value::is_string) {
                return Err(ApiError::field(
                    &p("content"),
                    "system.message content must be an array of text blocks.",
                ));
            }
            let content = content_blocks(event.get("content"), &p("content"), false)?;
            if content
                .as_array()
                .into_iter()
                .flatten()
                .any(|b| b["type"] != "text")
            {
                return Err(ApiError::field(
                    &p("content"),
                    "system.message takes text blocks only.",
                ));
            }
            out["content"] = content;
        }
        "" => return Err(ApiError::required(&p("type"))),
        other => {
            return Err(ApiError::field(
                &p("type"),
                format!("Unknown event type '{other}'."),
            ));
        }
    }
    Ok(out)
}

/// Validates a batch of client events (all or nothing) into their stored form.
pub(crate) fn validate_batch(items: &[Value]) -> ApiResult<Vec<Value>> {
    if items.is_empty() {
        return Err(ApiError::field(
            "events",
            "Field 'events' must be a non-empty array.",
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let Some(event) = item.as_object() else {
            return Err(ApiError::field(
                &format!("events[{index}]"),
                "Each event must be an object.",
            ));
        };
        out.push(validate_one(event, index)?);
    }
    let systems: Vec<usize> = out
        .iter()
        .enumerate()
        .filter(|(_, e)| e["type"] == "system.message")
        .map(|(i, _)| i)
        .collect();
    if let Some(&index) = systems.first() {
        let follows_ok = index > 0
            && matches!(
                out[index - 1]["type"].as_str(),
                Some("user.message" | "user.tool_result" | "user.custom_tool_result")
            );
        if systems.len() > 1 || index != out.len() - 1 || !follows_ok {
            return Err(ApiError::field(
                &format!("events[{index}]"),
                "A system.message must be the last event and directly follow a user.message, \
                 user.tool_result or user.custom_tool_result.",
            ));
        }
    }
    Ok(out)
}

/// Stores validated events on a session and acts on them: a `user.message`
/// starts a turn, confirmations and custom results resume a paused one,
/// `user.interrupt` cancels. Returns the stored events.
pub(crate) async fn accept(
    state: &AppState,
    session_id: &str,
    events: Vec<Value>,
) -> ApiResult<Vec<Value>> {
    let lock = state.store.session_lock(session_id);
    let guard = lock.lock().await;
    let session = crate::sessions::load(state, session_id).await?;
    if !session.body["archived_at"].is_null() {
        return Err(ApiError::state_conflict("Session is archived."));
    }
    if session.body["status"] == "terminated" {
        return Err(ApiError::state_conflict("Session is terminated."));
    }
    let has_message = events.iter().any(|e| e["type"] == "user.message");
    let live = crate::turn::is_busy(state, session_id).await?;
    if has_message && live {
        return Err(ApiError::state_conflict(
            "Session is currently processing a turn. Cancel the current turn or wait for completion.",
        ));
    }
    let mut resolutions = Vec::new();
    for event in &events {
        let (key, expected) = match event["type"].as_str() {
            Some("user.tool_confirmation") => ("tool_use_id", PendingKind::Confirmation),
            Some("user.custom_tool_result") => ("custom_tool_use_id", PendingKind::CustomResult),
            Some("user.tool_result") => ("tool_use_id", PendingKind::CustomResult),
            _ => continue,
        };
        let id = event[key].as_str().unwrap_or_default().to_owned();
        if crate::runtime::pending_kind(state, session_id, &id).await? != Some(expected) {
            return Err(ApiError::not_found_message(format!(
                "The pending action '{id}' does not exist."
            )));
        }
        let resolution = match expected {
            PendingKind::Confirmation => Resolution::Confirmation {
                allow: event["result"] == "allow",
                deny_message: event["deny_message"].as_str().map(str::to_owned),
            },
            PendingKind::CustomResult => Resolution::CustomResult {
                content: event["content"].clone(),
                is_error: event["is_error"].as_bool().unwrap_or(false),
            },
        };
        resolutions.push((id, resolution));
    }
    let stored = state.store.append_locked(session_id, events, None).await?;
    // The turn is queued for the environment's workers (§14).
    if has_message {
        crate::turn::start_locked(state, &session.body, &stored).await?;
    }
    drop(guard);
    for (id, resolution) in resolutions {
        crate::runtime::resolve(state, session_id, &id, &resolution).await?;
    }
    state.live.wake(session_id);
    let primary = crate::threads::primary_id(session_id);
    for event in stored.iter().filter(|e| e["type"] == "user.interrupt") {
        // An interrupt naming a child thread stops that thread only.
        match event["session_thread_id"].as_str() {
            Some(thread) if thread != primary => {
                crate::multiagent::cancel_threads(state, session_id, Some(thread)).await?;
            }
            _ => {
                crate::turn::request_cancel(state, session_id).await?;
            }
        }
    }
    Ok(stored)
}

/// `POST /sessions/{id}/events`: `{"events": [...]}` or one bare event.
pub(crate) async fn send(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<Value>> {
    let items = match body.get("events") {
        Some(Value::Array(items)) => items.clone(),
        Some(_) => {
            return Err(ApiError::field(
                "events",
                "Field 'events' must be a non-empty array.",
            ));
        }
        None if body.contains_key("type") => vec![Value::Object(body.clone())],
        None => return Err(ApiError::required("events")),
    };
    let events = validate_batch(&items)?;
    let stored = accept(&state, &id, events).await?;
    Ok(Json(json!({"data": stored})))
}

/// `GET /sessions/{id}/events` (the SSE stream with `Accept: text/event-stream`).
pub(crate) async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    query: QueryPairs,
) -> ApiResult<Response> {
    list_scoped(state, id, headers, query, ThreadScope::All).await
}

/// The list of the events in `scope` (a thread's events).
pub(crate) async fn list_scoped(
    state: AppState,
    id: String,
    headers: HeaderMap,
    query: QueryPairs,
    scope: ThreadScope,
) -> ApiResult<Response> {
    let wants_stream = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    if wants_stream {
        return crate::stream::open_scoped(state, id, headers, query, scope).await;
    }
    let mut conditions = vec![("session_id = ?".to_owned(), Some(Bind::Text(id.clone())))];
    match scope {
        ThreadScope::All => {}
        ThreadScope::Primary => conditions.push(("thread_id IS NULL".to_owned(), None)),
        ThreadScope::Child(thread) => {
            conditions.push(("thread_id = ?".to_owned(), Some(Bind::Text(thread))));
        }
    }
    let types = query.list("types");
    if !types.is_empty() {
        let quoted: Vec<String> = types
            .iter()
            .filter(|t| {
                t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
            })
            .map(|t| format!("'{t}'"))
            .collect();
        let set = if quoted.is_empty() {
            "''".to_owned()
        } else {
            quoted.join(", ")
        };
        conditions.push((format!("type IN ({set})"), None));
    }
    for (op, micros) in query.created_at()? {
        conditions.push((format!("seq {op} ?"), Some(Bind::Int(micros))));
    }
    let page = list::run(
        &state.store.pool,
        ListSpec {
            table: "events",
            conditions,
            order: query.order(Order::Asc)?,
            limit: query.limit()?,
            cursor: query.cursor()?,
        },
    )
    .await?;
    Ok(Json(page.envelope(|body| body)).into_response())
}
