//! Child threads and mailboxes in the database (`session_threads`,
//! `thread_messages`). A thread row holds the thread object as the API
//! shows it, its status and its own conversation history; a mailbox row is
//! one message waiting for (or being handled by) its thread.

use ferrule_protocol::Message;
use serde_json::{Value, json};
use sqlx::Row;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::ids;

/// A child thread as stored.
#[derive(Debug, Clone)]
pub(crate) struct Thread {
    /// `sthr_…`.
    pub(crate) id: String,
    /// Its session.
    pub(crate) session_id: String,
    /// `running` while it has work, else `idle`.
    pub(crate) status: String,
    /// The thread object (with the internal `agent_name`).
    pub(crate) body: Value,
}

impl Thread {
    /// The display name of the thread's agent.
    pub(crate) fn agent_name(&self) -> String {
        self.body["agent_name"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Whether it was archived.
    pub(crate) fn archived(&self) -> bool {
        !self.body["archived_at"].is_null()
    }

    /// The thread object as the API shows it.
    pub(crate) fn render(&self) -> Value {
        let mut body = self.body.clone();
        body["status"] = json!(self.status);
        if let Some(map) = body.as_object_mut() {
            map.remove("agent_name");
        }
        body
    }
}

fn from_row(row: &sqlx::any::AnyRow) -> ApiResult<Thread> {
    let body: String = row.try_get("body")?;
    Ok(Thread {
        id: row.try_get("id")?,
        session_id: row.try_get("session_id")?,
        status: row.try_get("status")?,
        body: serde_json::from_str(&body).map_err(ApiError::internal)?,
    })
}

/// Stores a new idle child thread of `session_id` running `agent`.
pub(crate) async fn create(
    state: &AppState,
    session_id: &str,
    agent: &Value,
    agent_name: &str,
) -> ApiResult<Thread> {
    let id = ids::new_id("sthr_");
    let seq = state.store.seq.next();
    let now = ids::timestamp(seq);
    let body = json!({
        "id": id,
        "type": "session_thread",
        "session_id": session_id,
        "parent_thread_id": crate::threads::primary_id(session_id),
        "agent": agent,
        "status": "idle",
        "stats": null,
        "archived_at": null,
        "created_at": now,
        "updated_at": now,
        "agent_name": agent_name,
    });
    sqlx::query(
        "INSERT INTO session_threads (id, session_id, seq, status, history, body) \
         VALUES ($1, $2, $3, 'idle', '[]', $4)",
    )
    .bind(&id)
    .bind(session_id)
    .bind(seq)
    .bind(body.to_string())
    .execute(&state.store.pool)
    .await?;
    Ok(Thread {
        id,
        session_id: session_id.to_owned(),
        status: "idle".to_owned(),
        body,
    })
}

/// The child thread `thread_id` of `session_id`, if there is one.
pub(crate) async fn get(
    state: &AppState,
    session_id: &str,
    thread_id: &str,
) -> ApiResult<Option<Thread>> {
    let row = sqlx::query(
        "SELECT id, session_id, status, body FROM session_threads \
         WHERE id = $1 AND session_id = $2",
    )
    .bind(thread_id)
    .bind(session_id)
    .fetch_optional(&state.store.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The child threads of a session, oldest first.
pub(crate) async fn list(state: &AppState, session_id: &str) -> ApiResult<Vec<Thread>> {
    let rows = sqlx::query(
        "SELECT id, session_id, status, body FROM session_threads \
         WHERE session_id = $1 ORDER BY seq ASC",
    )
    .bind(session_id)
    .fetch_all(&state.store.pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Every child thread marked running (a restart resumes them).
pub(crate) async fn running(state: &AppState) -> ApiResult<Vec<Thread>> {
    let rows = sqlx::query(
        "SELECT id, session_id, status, body FROM session_threads WHERE status = 'running' \
         ORDER BY seq ASC",
    )
    .fetch_all(&state.store.pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Sets a thread's status (and `updated_at`).
pub(crate) async fn set_status(state: &AppState, thread: &Thread, status: &str) -> ApiResult<()> {
    let mut body = thread.body.clone();
    body["updated_at"] = json!(ids::timestamp(state.store.seq.next()));
    sqlx::query("UPDATE session_threads SET status = $1, body = $2 WHERE id = $3")
        .bind(status)
        .bind(body.to_string())
        .bind(&thread.id)
        .execute(&state.store.pool)
        .await?;
    Ok(())
}

/// Marks a thread archived.
pub(crate) async fn archive(state: &AppState, thread: &Thread) -> ApiResult<Thread> {
    let mut archived = thread.clone();
    let now = json!(ids::timestamp(state.store.seq.next()));
    archived.body["archived_at"] = now.clone();
    archived.body["updated_at"] = now;
    sqlx::query("UPDATE session_threads SET body = $1 WHERE id = $2")
        .bind(archived.body.to_string())
        .bind(&thread.id)
        .execute(&state.store.pool)
        .await?;
    Ok(archived)
}

/// Whether any child thread of the session is running.
pub(crate) async fn any_running(state: &AppState, session_id: &str) -> ApiResult<bool> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM session_threads WHERE session_id = $1 AND status = 'running'",
    )
    .bind(session_id)
    .fetch_one(&state.store.pool)
    .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// The conversation of a child thread.
pub(crate) async fn history(state: &AppState, thread_id: &str) -> ApiResult<Vec<Message>> {
    let row = sqlx::query("SELECT history FROM session_threads WHERE id = $1")
        .bind(thread_id)
        .fetch_optional(&state.store.pool)
        .await?;
    let Some(row) = row else {
        return Ok(Vec::new());
    };
    let text: String = row.try_get("history")?;
    serde_json::from_str(&text).map_err(ApiError::internal)
}

/// Stores the conversation of a child thread after a turn.
pub(crate) async fn set_history(
    state: &AppState,
    thread_id: &str,
    messages: &[Message],
) -> ApiResult<()> {
    let text = serde_json::to_string(messages).map_err(ApiError::internal)?;
    sqlx::query("UPDATE session_threads SET history = $1 WHERE id = $2")
        .bind(text)
        .bind(thread_id)
        .execute(&state.store.pool)
        .await?;
    Ok(())
}

/// A message in a thread's mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mail {
    /// Row ID.
    pub(crate) id: String,
    /// The sending thread.
    pub(crate) from_thread_id: String,
    /// The sender's agent name.
    pub(crate) from_agent_name: String,
    /// The text.
    pub(crate) text: String,
}

fn mail_from_row(row: &sqlx::any::AnyRow) -> ApiResult<Mail> {
    let body: String = row.try_get("body")?;
    let body: Value = serde_json::from_str(&body).map_err(ApiError::internal)?;
    Ok(Mail {
        id: row.try_get("id")?,
        from_thread_id: body["from_thread_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        from_agent_name: body["from_agent_name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        text: body["text"].as_str().unwrap_or_default().to_owned(),
    })
}

/// Queues a message for thread `thread_id` (a child or the primary).
pub(crate) async fn post(
    state: &AppState,
    session_id: &str,
    thread_id: &str,
    from: (&str, &str),
    text: &str,
) -> ApiResult<()> {
    let body = json!({"from_thread_id": from.0, "from_agent_name": from.1, "text": text});
    sqlx::query(
        "INSERT INTO thread_messages (id, session_id, thread_id, seq, state, body) \
         VALUES ($1, $2, $3, $4, 'queued', $5)",
    )
    .bind(ids::new_id("tmsg_"))
    .bind(session_id)
    .bind(thread_id)
    .bind(state.store.seq.next())
    .bind(body.to_string())
    .execute(&state.store.pool)
    .await?;
    Ok(())
}

/// The message the thread's next turn handles: one it had taken before
/// (a turn that did not finish), else the oldest queued one, now taken.
pub(crate) async fn take_next(state: &AppState, thread_id: &str) -> ApiResult<Option<Mail>> {
    let row = sqlx::query(
        "SELECT id, body FROM thread_messages WHERE thread_id = $1 \
         ORDER BY CASE WHEN state = 'taken' THEN 0 ELSE 1 END, seq ASC LIMIT 1",
    )
    .bind(thread_id)
    .fetch_optional(&state.store.pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mail = mail_from_row(&row)?;
    sqlx::query("UPDATE thread_messages SET state = 'taken' WHERE id = $1")
        .bind(&mail.id)
        .execute(&state.store.pool)
        .await?;
    Ok(Some(mail))
}

/// Every queued message of a thread, oldest first, removed from the box.
pub(crate) async fn take_all(state: &AppState, thread_id: &str) -> ApiResult<Vec<Mail>> {
    let rows = sqlx::query(
        "SELECT id, body FROM thread_messages WHERE thread_id = $1 AND state = 'queued' \
         ORDER BY seq ASC",
    )
    .bind(thread_id)
    .fetch_all(&state.store.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mail = mail_from_row(row)?;
        sqlx::query("DELETE FROM thread_messages WHERE id = $1")
            .bind(&mail.id)
            .execute(&state.store.pool)
            .await?;
        out.push(mail);
    }
    Ok(out)
}

/// Removes the messages a finished turn handled.
pub(crate) async fn drop_taken(state: &AppState, thread_id: &str) -> ApiResult<()> {
    sqlx::query("DELETE FROM thread_messages WHERE thread_id = $1 AND state = 'taken'")
        .bind(thread_id)
        .execute(&state.store.pool)
        .await?;
    Ok(())
}

/// Removes the queued (not yet handled) messages of a thread.
pub(crate) async fn drop_queued(state: &AppState, thread_id: &str) -> ApiResult<()> {
    sqlx::query("DELETE FROM thread_messages WHERE thread_id = $1 AND state = 'queued'")
        .bind(thread_id)
        .execute(&state.store.pool)
        .await?;
    Ok(())
}

/// How many messages wait for a thread (queued or being handled).
pub(crate) async fn pending(state: &AppState, thread_id: &str) -> ApiResult<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM thread_messages WHERE thread_id = $1")
        .bind(thread_id)
        .fetch_one(&state.store.pool)
        .await?;
    Ok(row.try_get("n")?)
}

/// How many messages are queued (not yet handled) for a thread.
pub(crate) async fn queued(state: &AppState, thread_id: &str) -> ApiResult<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM thread_messages WHERE thread_id = $1 AND state = 'queued'",
    )
    .bind(thread_id)
    .fetch_one(&state.store.pool)
    .await?;
    Ok(row.try_get("n")?)
}
