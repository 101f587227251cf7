//! The durable state of a session's turn, in `session_runtime` and
//! `pending_actions`: the conversation history, the marker of the turn in
//! flight (its input and work item), the cancel flag and the actions the
//! turn waits on. Every server process and worker sees the same state.

use ferrule_protocol::Message;
use sqlx::Row;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::live::{PendingKind, Resolution};
use crate::turn::TurnInput;

async fn ensure_row(state: &AppState, session_id: &str) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO session_runtime (session_id, history, live_turn) VALUES ($1, '[]', NULL) \
         ON CONFLICT (session_id) DO NOTHING",
    )
    .bind(session_id)
    .execute(&state.store.pool)
    .await?;
    Ok(())
}

/// Marks a new turn; false when one is already in flight.
pub(crate) async fn claim_turn(
    state: &AppState,
    session_id: &str,
    marker: &TurnInput,
) -> ApiResult<bool> {
    ensure_row(state, session_id).await?;
    let text = serde_json::to_string(marker).map_err(ApiError::internal)?;
    let updated = sqlx::query(
        "UPDATE session_runtime SET live_turn = $1, cancel_requested = 0 \
         WHERE session_id = $2 AND live_turn IS NULL",
    )
    .bind(text)
    .bind(session_id)
    .execute(&state.store.pool)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// The marker of the turn in flight.
pub(crate) async fn marker(state: &AppState, session_id: &str) -> ApiResult<Option<TurnInput>> {
    let row = sqlx::query("SELECT live_turn FROM session_runtime WHERE session_id = $1")
        .bind(session_id)
        .fetch_optional(&state.store.pool)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let text: Option<String> = row.try_get("live_turn")?;
    Ok(text.and_then(|text| serde_json::from_str(&text).ok()))
}

/// Rewrites the marker of the turn in flight.
pub(crate) async fn set_marker(
    state: &AppState,
    session_id: &str,
    marker: &TurnInput,
) -> ApiResult<()> {
    let text = serde_json::to_string(marker).map_err(ApiError::internal)?;
    sqlx::query("UPDATE session_runtime SET live_turn = $1 WHERE session_id = $2")
        .bind(text)
        .bind(session_id)
        .execute(&state.store.pool)
        .await?;
    Ok(())
}

/// Ends the turn in flight: no marker, no cancel flag, no pending actions.
pub(crate) async fn clear_turn(state: &AppState, session_id: &str) -> ApiResult<()> {
    sqlx::query(
        "UPDATE session_runtime SET live_turn = NULL, cancel_requested = 0 WHERE session_id = $1",
    )
    .bind(session_id)
    .execute(&state.store.pool)
    .await?;
    clear_pending(state, session_id).await
}

/// Every session with a turn in flight, with its marker.
pub(crate) async fn all_markers(state: &AppState) -> ApiResult<Vec<(String, Option<TurnInput>)>> {
    let rows = sqlx::query(
        "SELECT session_id, live_turn FROM session_runtime WHERE live_turn IS NOT NULL",
    )
    .fetch_all(&state.store.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let session_id: String = row.try_get("session_id")?;
        let text: String = row.try_get("live_turn")?;
        out.push((session_id, serde_json::from_str(&text).ok()));
    }
    Ok(out)
}

/// Asks the turn in flight to stop; false when there is none.
pub(crate) async fn request_cancel(state: &AppState, session_id: &str) -> ApiResult<bool> {
    let updated = sqlx::query(
        "UPDATE session_runtime SET cancel_requested = 1 \
         WHERE session_id = $1 AND live_turn IS NOT NULL",
    )
    .bind(session_id)
    .execute(&state.store.pool)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Whether a cancel was requested for the turn in flight.
pub(crate) async fn cancel_requested(state: &AppState, session_id: &str) -> ApiResult<bool> {
    let row = sqlx::query("SELECT cancel_requested FROM session_runtime WHERE session_id = $1")
        .bind(session_id)
        .fetch_optional(&state.store.pool)
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<i32, _>("cancel_requested")? != 0,
        None => false,
    })
}

/// The conversation the model has seen so far.
pub(crate) async fn history(state: &AppState, session_id: &str) -> ApiResult<Vec<Message>> {
    let row = sqlx::query("SELECT history FROM session_runtime WHERE session_id = $1")
        .bind(session_id)
        .fetch_optional(&state.store.pool)
        .await?;
    let Some(row) = row else {
        return Ok(Vec::new());
    };
    let text: String = row.try_get("history")?;
    serde_json::from_str(&text).map_err(ApiError::internal)
}

/// Stores the conversation after a turn.
pub(crate) async fn set_history(
    state: &AppState,
    session_id: &str,
    messages: &[Message],
) -> ApiResult<()> {
    let text = serde_json::to_string(messages).map_err(ApiError::internal)?;
    ensure_row(state, session_id).await?;
    sqlx::query("UPDATE session_runtime SET history = $1 WHERE session_id = $2")
        .bind(text)
        .bind(session_id)
        .execute(&state.store.pool)
        .await?;
    Ok(())
}

/// Records an action the turn waits on.
pub(crate) async fn add_pending(
    state: &AppState,
    session_id: &str,
    event_id: &str,
    kind: PendingKind,
) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO pending_actions (session_id, event_id, kind, resolution) \
         VALUES ($1, $2, $3, NULL) ON CONFLICT (session_id, event_id) DO NOTHING",
    )
    .bind(session_id)
    .bind(event_id)
    .bind(kind.as_str())
    .execute(&state.store.pool)
    .await?;
    Ok(())
}

/// The kind of the unanswered pending action `event_id`, if there is one.
pub(crate) async fn pending_kind(
    state: &AppState,
    session_id: &str,
    event_id: &str,
) -> ApiResult<Option<PendingKind>> {
    let row = sqlx::query(
        "SELECT kind FROM pending_actions WHERE session_id = $1 AND event_id = $2 \
         AND resolution IS NULL",
    )
    .bind(session_id)
    .bind(event_id)
    .fetch_optional(&state.store.pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let kind: String = row.try_get("kind")?;
    Ok(PendingKind::parse(&kind))
}

/// Stores the answer to a pending action; false when it was not pending
/// (any more).
pub(crate) async fn resolve(
    state: &AppState,
    session_id: &str,
    event_id: &str,
    resolution: &Resolution,
) -> ApiResult<bool> {
    let text = serde_json::to_string(resolution).map_err(ApiError::internal)?;
    let updated = sqlx::query(
        "UPDATE pending_actions SET resolution = $1 \
         WHERE session_id = $2 AND event_id = $3 AND resolution IS NULL",
    )
    .bind(text)
    .bind(session_id)
    .bind(event_id)
    .execute(&state.store.pool)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Takes the answers that arrived for the primary thread (each is handed
/// out once).
pub(crate) async fn take_resolutions(
    state: &AppState,
    session_id: &str,
) -> ApiResult<Vec<(String, Resolution)>> {
    take_answers(state, session_id, None).await
}

/// Takes the answers that arrived for child thread `thread_id`.
pub(crate) async fn take_thread_resolutions(
    state: &AppState,
    session_id: &str,
    thread_id: &str,
) -> ApiResult<Vec<(String, Resolution)>> {
    take_answers(state, session_id, Some(thread_id)).await
}

async fn take_answers(
    state: &AppState,
    session_id: &str,
    thread_id: Option<&str>,
) -> ApiResult<Vec<(String, Resolution)>> {
    let rows = sqlx::query(
        "SELECT event_id, resolution FROM pending_actions \
         WHERE session_id = $1 AND resolution IS NOT NULL \
         AND COALESCE(thread_id, '') = $2",
    )
    .bind(session_id)
    .bind(thread_id.unwrap_or_default())
    .fetch_all(&state.store.pool)
    .await?;
    let mut out = Vec::new();
    for row in rows {
        let event_id: String = row.try_get("event_id")?;
        let text: String = row.try_get("resolution")?;
        let deleted = sqlx::query(
            "DELETE FROM pending_actions WHERE session_id = $1 AND event_id = $2 \
             AND resolution IS NOT NULL",
        )
        .bind(session_id)
        .bind(&event_id)
        .execute(&state.store.pool)
        .await?;
        if deleted.rows_affected() == 1
            && let Ok(resolution) = serde_json::from_str(&text)
        {
            out.push((event_id, resolution));
        }
    }
    Ok(out)
}

/// The event IDs of the primary thread's pending actions (answered or
/// not), oldest first.
pub(crate) async fn pending_ids(state: &AppState, session_id: &str) -> ApiResult<Vec<String>> {
    let rows = sqlx::query(
        "SELECT event_id FROM pending_actions WHERE session_id = $1 AND thread_id IS NULL \
         ORDER BY event_id",
    )
    .bind(session_id)
    .fetch_all(&state.store.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(row.try_get("event_id")?);
    }
    Ok(out)
}

/// Drops every pending action of the session's primary thread.
pub(crate) async fn clear_pending(state: &AppState, session_id: &str) -> ApiResult<()> {
    sqlx::query("DELETE FROM pending_actions WHERE session_id = $1 AND thread_id IS NULL")
        .bind(session_id)
        .execute(&state.store.pool)
        .await?;
    Ok(())
}

/// Records an action child thread `thread_id` waits on.
pub(crate) async fn add_thread_pending(
    state: &AppState,
    session_id: &str,
    thread_id: &str,
    event_id: &str,
    kind: PendingKind,
) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO pending_actions (session_id, event_id, kind, resolution, thread_id) \
         VALUES ($1, $2, $3, NULL, $4) ON CONFLICT (session_id, event_id) DO NOTHING",
    )
    .bind(session_id)
    .bind(event_id)
    .bind(kind.as_str())
    .bind(thread_id)
    .execute(&state.store.pool)
    .await?;
    Ok(())
}

/// Drops the pending actions of child thread `thread_id`.
pub(crate) async fn clear_thread_pending(
    state: &AppState,
    session_id: &str,
    thread_id: &str,
) -> ApiResult<()> {
    sqlx::query("DELETE FROM pending_actions WHERE session_id = $1 AND thread_id = $2")
        .bind(session_id)
        .bind(thread_id)
        .execute(&state.store.pool)
        .await?;
    Ok(())
}
