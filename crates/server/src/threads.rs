//! Session threads (`cloud-api.md` §6.9): every session has one primary
//! (coordinator) thread, created with its first turn. It is not stored:
//! its ID is the session's hex with the `sthr_` prefix, its status and
//! agent are the session's, and its events are the session's events that
//! belong to no child thread. It cannot be archived (409). The child
//! threads of a multiagent session are stored ([`crate::multiagent`]) and
//! listed after it; an idle child can be archived.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};
use sqlx::Row;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::input::{Cursor, QueryPairs};
use crate::stream::ThreadScope;
use crate::{ids, multiagent, sessions};

/// The primary thread ID of a session.
pub(crate) fn primary_id(session_id: &str) -> String {
    format!(
        "sthr_{}",
        session_id.strip_prefix("sess_").unwrap_or(session_id)
    )
}

/// The primary thread of a session, or `None` before its first turn.
async fn primary(state: &AppState, session_id: &str) -> ApiResult<Option<Value>> {
    let session = sessions::load(state, session_id).await?.body;
    let row = sqlx::query(
        "SELECT seq FROM events WHERE session_id = $1 AND type = 'user.message' \
         ORDER BY seq ASC LIMIT 1",
    )
    .bind(session_id)
    .fetch_optional(&state.store.pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let first_turn: i64 = row.try_get("seq")?;
    let mut agent = session["agent"].clone();
    if let Some(map) = agent.as_object_mut() {
        map.remove("multiagent");
    }
    Ok(Some(json!({
        "id": primary_id(session_id),
        "type": "session_thread",
        "session_id": session_id,
        "parent_thread_id": null,
        "agent": agent,
        "status": session["status"],
        "stats": null,
        "archived_at": null,
        "created_at": ids::timestamp(first_turn),
        "updated_at": session["updated_at"],
    })))
}

/// The thread `thread_id` of a session and which events are its, or 404
/// naming what is missing.
async fn load(
    state: &AppState,
    session_id: &str,
    thread_id: &str,
) -> ApiResult<(Value, ThreadScope)> {
    match primary(state, session_id).await? {
        Some(thread) if thread["id"] == thread_id => return Ok((thread, ThreadScope::Primary)),
        _ => {}
    }
    match multiagent::store::get(state, session_id, thread_id).await? {
        Some(thread) => Ok((thread.render(), ThreadScope::Child(thread.id))),
        None => Err(ApiError::not_found("Session thread", thread_id)),
    }
}

/// `GET /sessions/{id}/threads` (the coordinator first; `limit`, `page`)
pub(crate) async fn list(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let limit = query.limit()?;
    let cursor = query.cursor()?;
    let mut threads: Vec<Value> = primary(&state, &session_id).await?.into_iter().collect();
    for child in multiagent::store::list(&state, &session_id).await? {
        threads.push(child.render());
    }
    let start = match &cursor {
        Cursor::Start => 0,
        Cursor::After(id) | Cursor::Before(id) => {
            let Some(index) = threads.iter().position(|t| t["id"] == id.as_str()) else {
                return Err(ApiError::invalid("Invalid pagination cursor."));
            };
            if matches!(cursor, Cursor::After(_)) {
                index + 1
            } else {
                index.saturating_sub(limit)
            }
        }
    };
    let end = match &cursor {
        Cursor::Before(id) => threads
            .iter()
            .position(|t| t["id"] == id.as_str())
            .unwrap_or(0),
        _ => (start + limit).min(threads.len()),
    };
    let data: Vec<Value> = threads[start.min(end)..end].to_vec();
    let has_more = !matches!(cursor, Cursor::Before(_)) && end < threads.len();
    let first = data.first().map(|t| t["id"].clone()).unwrap_or(Value::Null);
    let last = data.last().map(|t| t["id"].clone()).unwrap_or(Value::Null);
    let next = if has_more { last.clone() } else { Value::Null };
    Ok(Json(json!({
        "data": data,
        "first_id": first,
        "last_id": last,
        "has_more": has_more,
        "next_page": next,
    })))
}

/// `GET /sessions/{id}/threads/{tid}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path((session_id, thread_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(load(&state, &session_id, &thread_id).await?.0))
}

/// `POST /sessions/{id}/threads/{tid}/archive`: an idle child thread is
/// archived (`session.thread_status_terminated`); the coordinator and busy
/// threads cannot be (409).
pub(crate) async fn archive(
    State(state): State<AppState>,
    Path((session_id, thread_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let (_, scope) = load(&state, &session_id, &thread_id).await?;
    let conflict = || ApiError::state_conflict("Version or state conflict.");
    let ThreadScope::Child(_) = scope else {
        return Err(conflict());
    };
    let lock = state.store.session_lock(&session_id);
    let _guard = lock.lock().await;
    let thread = multiagent::store::get(&state, &session_id, &thread_id)
        .await?
        .ok_or_else(|| ApiError::not_found("Session thread", &thread_id))?;
    if thread.status != "idle"
        || thread.archived()
        || multiagent::store::pending(&state, &thread_id).await? > 0
    {
        return Err(conflict());
    }
    let archived = multiagent::store::archive(&state, &thread).await?;
    let event = json!({"id": ids::new_id("evt_"), "type": "session.thread_status_terminated",
                       "session_thread_id": thread_id, "agent_name": thread.agent_name()});
    state
        .store
        .append_locked(&session_id, vec![event], None)
        .await?;
    Ok(Json(archived.render()))
}

/// `GET /sessions/{id}/threads/{tid}/events`: the thread's events,
/// paginated like the session's.
pub(crate) async fn events(
    State(state): State<AppState>,
    Path((session_id, thread_id)): Path<(String, String)>,
    headers: HeaderMap,
    query: QueryPairs,
) -> ApiResult<Response> {
    let (_, scope) = load(&state, &session_id, &thread_id).await?;
    crate::events::list_scoped(state, session_id, headers, query, scope).await
}

/// `GET /sessions/{id}/threads/{tid}/stream`: the session's SSE stream
/// scoped to the thread (its `Last-Event-ID` must be one of the thread's).
pub(crate) async fn stream(
    State(state): State<AppState>,
    Path((session_id, thread_id)): Path<(String, String)>,
    headers: HeaderMap,
    query: QueryPairs,
) -> ApiResult<Response> {
    let (_, scope) = load(&state, &session_id, &thread_id).await?;
    crate::stream::open_scoped(state, session_id, headers, query, scope).await
}
