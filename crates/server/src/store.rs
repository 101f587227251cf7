//! The event log of sessions: append (commit, then fan out), read, and the
//! live feed the SSE streams subscribe to.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sqlx::{AnyPool, Row};

use crate::db::{self, ObjectColumns};
use crate::error::ApiError;
use crate::fanout::{Fanout, Notice};
use crate::ids::{self, Sequence};

/// An event as stored: its session, sequence and JSON.
#[derive(Debug, Clone)]
pub(crate) struct StoredEvent {
    /// Session it belongs to.
    pub(crate) session_id: String,
    /// Position in the log (increasing within a session).
    pub(crate) seq: i64,
    /// The public event JSON (`id`, `type`, `processed_at`, …).
    pub(crate) body: Value,
}

/// Pool, sequence, per-session write locks and the live feed.
#[derive(Debug)]
pub(crate) struct Store {
    /// The database.
    pub(crate) pool: AnyPool,
    /// Orders objects and events.
    pub(crate) seq: Sequence,
    /// Wakes the SSE streams after each commit.
    pub(crate) fanout: Fanout,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Store {
    /// A store over an opened, migrated pool.
    pub(crate) async fn new(pool: AnyPool, fanout: Fanout) -> Result<Self, sqlx::Error> {
        let floor = db::max_seq(&pool).await?;
        Ok(Self {
            pool,
            seq: Sequence::starting_after(floor),
            fanout,
            locks: Mutex::new(HashMap::new()),
        })
    }

    /// Subscribes to the notices of every commit from now on.
    pub(crate) fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Notice> {
        self.fanout.subscribe()
    }

    /// The write lock of one session: appends to a session are serialized
    /// so that commit order, sequence order and feed order agree.
    pub(crate) fn session_lock(&self, session_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = match self.locks.lock() {
            Ok(locks) => locks,
            Err(poisoned) => poisoned.into_inner(),
        };
        locks
            .entry(session_id.to_owned())
            .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(())))
            .clone()
    }

    /// Appends events to a session (each gets `id` unless it has one, and
    /// `processed_at`), optionally setting the session's status in the same
    /// transaction; commits, then publishes them to the live feed.
    pub(crate) async fn append(
        &self,
        session_id: &str,
        events: Vec<Value>,
        status: Option<&str>,
    ) -> Result<Vec<Value>, ApiError> {
        let lock = self.session_lock(session_id);
        let _guard = lock.lock().await;
        self.append_locked(session_id, events, status).await
    }

    /// [`Store::append`] for a caller that already holds the session lock.
    pub(crate) async fn append_locked(
        &self,
        session_id: &str,
        events: Vec<Value>,
        status: Option<&str>,
    ) -> Result<Vec<Value>, ApiError> {
        let mut tx = self.pool.begin().await?;
        // Shared database: other replicas append too; number above them.
        let mut last_seq = self.fanout.begin_append(&mut tx, session_id).await?;
        let mut stored = Vec::with_capacity(events.len());
        for mut event in events {
            let seq = self.seq.next().max(last_seq.saturating_add(1));
            last_seq = seq;
            if event.get("id").and_then(Value::as_str).is_none() {
                event["id"] = json!(ids::new_id("evt_"));
            }
            event["processed_at"] = json!(ids::timestamp(seq));
            let id = event["id"].as_str().unwrap_or_default().to_owned();
            let kind = event["type"].as_str().unwrap_or_default().to_owned();
            sqlx::query(
                "INSERT INTO events (id, session_id, seq, type, body, thread_id) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&id)
            .bind(session_id)
            .bind(seq)
            .bind(&kind)
            .bind(event.to_string())
            .bind(event["session_thread_id"].as_str().map(str::to_owned))
            .execute(&mut *tx)
            .await?;
            stored.push(StoredEvent {
                session_id: session_id.to_owned(),
                seq,
                body: event,
            });
        }
        if let Some(status) = status
            && let Some(mut session) = db::get_object(&mut *tx, "session", session_id).await?
        {
            session.body["status"] = json!(status);
            session.body["updated_at"] = json!(ids::timestamp(self.seq.next()));
            let columns = session_columns(&session.body);
            db::update_object(&mut *tx, session_id, &session.body, &columns).await?;
        }
        if !stored.is_empty() {
            self.fanout
                .finish_append(&mut tx, session_id, last_seq)
                .await?;
        }
        tx.commit().await?;
        let bodies = stored.iter().map(|event| event.body.clone()).collect();
        self.fanout.committed(stored);
        Ok(bodies)
    }

    /// Events of a session with sequence above `after` (all when `None`),
    /// oldest first.
    pub(crate) async fn events_after(
        &self,
        session_id: &str,
        after: Option<i64>,
    ) -> Result<Vec<StoredEvent>, ApiError> {
        let rows = sqlx::query(
            "SELECT seq, body FROM events WHERE session_id = $1 AND seq > $2 ORDER BY seq ASC",
        )
        .bind(session_id)
        .bind(after.unwrap_or(i64::MIN))
        .fetch_all(&self.pool)
        .await?;
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            let body: String = row.try_get("body")?;
            events.push(StoredEvent {
                session_id: session_id.to_owned(),
                seq: row.try_get("seq")?,
                body: serde_json::from_str(&body).map_err(ApiError::internal)?,
            });
        }
        Ok(events)
    }

    /// The sequence of event `event_id` when it belongs to `session_id`.
    pub(crate) async fn event_seq(
        &self,
        session_id: &str,
        event_id: &str,
    ) -> Result<Option<i64>, ApiError> {
        let row = sqlx::query("SELECT seq FROM events WHERE session_id = $1 AND id = $2")
            .bind(session_id)
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get("seq")).transpose()?)
    }
}

impl Store {
    /// The thread column of event `event_id` of `session_id` (`None` for
    /// the primary thread's events and unknown events).
    pub(crate) async fn event_thread(
        &self,
        session_id: &str,
        event_id: &str,
    ) -> Result<Option<String>, ApiError> {
        let row = sqlx::query("SELECT thread_id FROM events WHERE session_id = $1 AND id = $2")
            .bind(session_id)
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => row.try_get("thread_id")?,
            None => None,
        })
    }
}

/// The row columns mirrored from a session body.
pub(crate) fn session_columns(body: &Value) -> ObjectColumns {
    ObjectColumns {
        parent_id: body["agent"]["id"].as_str().map(str::to_owned),
        status: body["status"].as_str().map(str::to_owned),
        archived: !body["archived_at"].is_null(),
    }
}
