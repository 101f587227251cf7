//! The SSE stream of a session (`cloud-api.md` §7.7): replay from the start
//! or after `Last-Event-ID`, then live events, each exactly once, with
//! comment heartbeats while quiet.
//!
//! A stream keeps the sequence of the last event it sent and only ever
//! sends events above it. Live events come from the process's fan-out
//! ([`crate::fanout`]): in process they arrive whole; with replicas a
//! notice only says that a session has new events, and the stream reads
//! them from the database after its last sequence, so whichever replica
//! committed them, order and exactly-once are the database's.

use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::mpsc;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::fanout::Notice;
use crate::input::QueryPairs;
use crate::store::StoredEvent;

/// `GET /sessions/{id}/events/stream`
pub(crate) async fn handler(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    query: QueryPairs,
) -> ApiResult<Response> {
    open(state, id, headers, query).await
}

/// Which events of a session a stream or list covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ThreadScope {
    /// All of them.
    All,
    /// The primary thread's: events without a `session_thread_id`.
    Primary,
    /// One child thread's.
    Child(String),
}

impl ThreadScope {
    /// Whether an event with thread column `thread` is in scope.
    pub(crate) fn covers(&self, thread: Option<&str>) -> bool {
        match self {
            Self::All => true,
            Self::Primary => thread.is_none(),
            Self::Child(id) => thread == Some(id.as_str()),
        }
    }
}

/// Opens the stream (shared with `GET /events` + `Accept: text/event-stream`).
pub(crate) async fn open(
    state: AppState,
    id: String,
    headers: HeaderMap,
    query: QueryPairs,
) -> ApiResult<Response> {
    open_scoped(state, id, headers, query, ThreadScope::All).await
}

/// Opens the stream of the events in `scope` (a thread's stream).
pub(crate) async fn open_scoped(
    state: AppState,
    id: String,
    headers: HeaderMap,
    query: QueryPairs,
    scope: ThreadScope,
) -> ApiResult<Response> {
    crate::sessions::load(&state, &id).await?;
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .or_else(|| query.get("after_id").map(str::to_owned));
    let after = match last {
        None => None,
        Some(event_id) => {
            let seq = state.store.event_seq(&id, &event_id).await?;
            let thread = match (&seq, &scope) {
                (Some(_), ThreadScope::Primary | ThreadScope::Child(_)) => {
                    state.store.event_thread(&id, &event_id).await?
                }
                _ => None,
            };
            match seq {
                Some(seq) if scope.covers(thread.as_deref()) => Some(seq),
                Some(_) => {
                    return Err(ApiError::field(
                        "Last-Event-ID",
                        format!("Last-Event-ID '{event_id}' is not an event of this thread."),
                    ));
                }
                None => {
                    return Err(ApiError::field(
                        "Last-Event-ID",
                        format!("Last-Event-ID '{event_id}' is not an event of session '{id}'."),
                    ));
                }
            }
        }
    };
    // Subscribe before reading the backlog so nothing falls in between.
    let mut feed = state.store.subscribe();
    let (tx, rx) = mpsc::channel::<Event>(64);
    let shutdown = state.shutdown.clone();
    let heartbeat = state.config.heartbeat;
    tokio::spawn(async move {
        let mut last_seq = after.unwrap_or(i64::MIN);
        let in_scope = |event: &StoredEvent| scope.covers(event.body["session_thread_id"].as_str());
        let send = |event: &StoredEvent| {
            let kind = event.body["type"].as_str().unwrap_or_default().to_owned();
            let frame = Event::default()
                .id(event.body["id"].as_str().unwrap_or_default())
                .event(kind.clone())
                .data(event.body.to_string());
            (
                frame,
                kind == "session.deleted" || kind == "session.status_terminated",
            )
        };
        let mut catch_up = true;
        loop {
            if catch_up {
                catch_up = false;
                // What was announced so far is committed: this read covers it.
                while let Ok(_) | Err(TryRecvError::Lagged(_)) = feed.try_recv() {}
                let Ok(backlog) = state.store.events_after(&id, Some(last_seq)).await else {
                    return;
                };
                for event in backlog {
                    if !in_scope(&event) {
                        last_seq = event.seq;
                        continue;
                    }
                    let (frame, last) = send(&event);
                    if tx.send(frame).await.is_err() {
                        return;
                    }
                    last_seq = event.seq;
                    if last {
                        return;
                    }
                }
            }
            let received = tokio::select! {
                received = feed.recv() => received,
                () = shutdown.cancelled() => return,
                () = tx.closed() => return,
            };
            match received {
                Ok(Notice::Event(event)) if event.session_id == id && event.seq > last_seq => {
                    if !in_scope(&event) {
                        last_seq = event.seq;
                        continue;
                    }
                    let (frame, last) = send(&event);
                    if tx.send(frame).await.is_err() {
                        return;
                    }
                    last_seq = event.seq;
                    if last {
                        return;
                    }
                }
                Ok(Notice::Committed { session_id, seq }) => {
                    catch_up = *session_id == *id && seq > last_seq;
                }
                Ok(Notice::Resync) | Err(RecvError::Lagged(_)) => catch_up = true,
                Ok(Notice::Event(_)) => {}
                Err(RecvError::Closed) => return,
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|event| (Ok::<_, Infallible>(event), rx))
    });
    let keep_alive = KeepAlive::new().interval(heartbeat).text(" heartbeat");
    let mut response = Sse::new(stream).keep_alive(keep_alive).into_response();
    let headers = response.headers_mut();
    headers.insert(
        "cache-control",
        axum::http::HeaderValue::from_static("no-cache"),
    );
    headers.insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    Ok(response)
}
