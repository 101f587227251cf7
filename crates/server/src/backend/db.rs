//! The session in this process's database: used by the in-process workers
//! and, per request, by the worker-facing endpoints that external workers
//! call.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use tokio::sync::Notify;

use super::{BackendError, Control, SessionBackend, TurnEnd, TurnSetup};
use crate::app::AppState;
use crate::live::PendingKind;
use crate::work::queue;
use crate::{ids, runtime};

/// A work item's session in the local database.
pub(crate) struct DbBackend {
    /// The server state.
    pub(crate) state: AppState,
    /// The session.
    pub(crate) session_id: String,
    /// The work item being served.
    pub(crate) work_id: String,
    /// The delivery's secret: only the current holder of the item may
    /// begin, finish or release it.
    pub(crate) secret: Option<String>,
    /// Wakes [`SessionBackend::control`] early (a turn of this process).
    pub(crate) wake: Option<Arc<Notify>>,
}

fn other(error: impl std::fmt::Display) -> BackendError {
    BackendError::Other(error.to_string())
}

impl DbBackend {
    fn held(&self, item: &queue::WorkRow) -> crate::error::ApiResult<()> {
        if item.secret != self.secret {
            return Err(crate::error::ApiError::state_conflict(format!(
                "Work item '{}' was handed to another worker.",
                item.id
            )));
        }
        Ok(())
    }

    async fn complete_item(&self) -> Result<(), BackendError> {
        queue::update(&self.state.store.pool, &self.work_id, |item| {
            self.held(item)?;
            queue::complete(item);
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// Fails with [`BackendError::Lost`] unless this runner holds the item.
    async fn check_held(&self) -> Result<(), BackendError> {
        match queue::get(&self.state.store.pool, &self.work_id).await? {
            Some(item) => Ok(self.held(&item)?),
            None => Err(BackendError::Lost(format!(
                "work item {} is gone",
                self.work_id
            ))),
        }
    }
}

#[async_trait]
impl SessionBackend for DbBackend {
    async fn begin(&self) -> Result<Option<TurnSetup>, BackendError> {
        let state = &self.state;
        let lock = state.store.session_lock(&self.session_id);
        let guard = lock.lock().await;
        self.check_held().await?;
        let marker = runtime::marker(state, &self.session_id).await?;
        let Some(mut input) = marker.filter(|m| m.work_id.as_deref() == Some(&self.work_id)) else {
            drop(guard);
            self.complete_item().await?;
            return Ok(None);
        };
        let session = crate::sessions::load(state, &self.session_id).await?;
        let resumed = input.started;
        input.started = true;
        runtime::set_marker(state, &self.session_id, &input).await?;
        let steps = if resumed {
            let events = state.store.events_after(&self.session_id, None).await?;
            let bodies: Vec<Value> = events.into_iter().map(|e| e.body).collect();
            let mut steps = crate::resume::steps(&bodies);
            let pending = runtime::pending_ids(state, &self.session_id).await?;
            steps.parked = crate::resume::parked(&steps, &bodies, &pending);
            steps
        } else {
            crate::resume::Steps::default()
        };
        // A turn that waited on the client keeps waiting (§15.6): its
        // pending actions stay and the session stays idle. Otherwise the
        // answers to a former runner's questions are void: the turn goes on
        // from its stored steps and asks again for a call without a result.
        let waiting = steps.parked.is_some();
        if !waiting {
            runtime::clear_pending(state, &self.session_id).await?;
        }
        if resumed && !waiting {
            state
                .store
                .append_locked(
                    &self.session_id,
                    vec![
                        json!({"id": ids::new_id("evt_"), "type": "session.status_rescheduled",
                                "status": "rescheduling"}),
                    ],
                    Some("rescheduling"),
                )
                .await?;
        }
        if !waiting && (resumed || !input.announced) {
            state
                .store
                .append_locked(
                    &self.session_id,
                    vec![json!({"id": ids::new_id("evt_"), "type": "session.status_running"})],
                    Some("running"),
                )
                .await?;
        }
        drop(guard);
        let history = runtime::history(state, &self.session_id).await?;
        let vault_ids: Vec<String> = session.body["vault_ids"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| id.as_str().map(str::to_owned))
            .collect();
        let secrets = crate::vaults::environment(state, &vault_ids)
            .await
            .map_err(BackendError::Other)?;
        let extras = crate::turn_extras::prepare(state, &session.body, &vault_ids).await;
        Ok(Some(TurnSetup {
            session: session.body,
            history,
            input,
            secrets,
            extras,
            steps,
        }))
    }

    async fn append(&self, events: Vec<Value>, status: Option<&str>) -> Result<(), BackendError> {
        self.state
            .store
            .append(&self.session_id, events, status)
            .await?;
        Ok(())
    }

    async fn park(&self, event_id: &str, kind: PendingKind) -> Result<(), BackendError> {
        runtime::add_pending(&self.state, &self.session_id, event_id, kind).await?;
        let idle = json!({"id": ids::new_id("evt_"), "type": "session.status_idle", "status": "idle",
                          "stop_reason": {"type": "requires_action", "event_ids": [event_id]}});
        self.append(vec![idle], Some("idle")).await
    }

    async fn control(&self, wait: Duration) -> Result<Control, BackendError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let woken = self.wake.as_ref().map(|wake| wake.notified());
            let cancel = runtime::cancel_requested(&self.state, &self.session_id).await?;
            let resolutions = runtime::take_resolutions(&self.state, &self.session_id).await?;
            let now = tokio::time::Instant::now();
            if cancel || !resolutions.is_empty() || now >= deadline {
                return Ok(Control {
                    cancel,
                    resolutions,
                });
            }
            // Answers stored by another process are seen on the next round.
            let round = (deadline - now).min(Duration::from_millis(200));
            match woken {
                Some(woken) => {
                    let _ = tokio::time::timeout(round, woken).await;
                }
                None => tokio::time::sleep(round.min(Duration::from_millis(50))).await,
            }
        }
    }

    async fn finish(&self, end: TurnEnd) -> Result<(), BackendError> {
        let state = &self.state;
        let lock = state.store.session_lock(&self.session_id);
        let guard = lock.lock().await;
        let marker = runtime::marker(state, &self.session_id).await?;
        if marker.and_then(|m| m.work_id).as_deref() != Some(self.work_id.as_str()) {
            return Err(BackendError::Lost(format!(
                "the turn of {} is no longer {}",
                self.session_id, self.work_id
            )));
        }
        if let Some(history) = &end.history {
            runtime::set_history(state, &self.session_id, history).await?;
        }
        // Memories first, so a client that sees the turn end reads them.
        let mut events: Vec<Value> = crate::session_memory::save(state, &end.memory_changes)
            .await
            .into_iter()
            .map(|message| {
                json!({"id": ids::new_id("evt_"), "type": "session.error",
                       "error": {"type": "invalid_request_error", "message": message,
                                 "retry_status": {"type": "terminal"}}})
            })
            .collect();
        events.extend(end.events);
        runtime::clear_turn(state, &self.session_id).await?;
        if let Ok(mut session) = crate::sessions::load(state, &self.session_id).await {
            let active = session.body["stats"]["active_seconds"]
                .as_f64()
                .unwrap_or(0.0)
                + end.active_seconds;
            session.body["stats"]["active_seconds"] = json!(active);
            let columns = crate::store::session_columns(&session.body);
            crate::db::update_object(&state.store.pool, &self.session_id, &session.body, &columns)
                .await
                .map_err(other)?;
        }
        // A multiagent session stays running while a child thread runs or
        // messages wait for its coordinator (managed-agents.md).
        let keep_running = crate::multiagent::keeps_running(state, &self.session_id).await?;
        if keep_running {
            events.retain(|event| event["type"] != "session.status_idle");
        }
        let status = (!keep_running).then_some("idle");
        state
            .store
            .append_locked(&self.session_id, events, status)
            .await?;
        drop(guard);
        self.complete_item().await?;
        if keep_running {
            crate::multiagent::deliver_to_coordinator(state, &self.session_id).await?;
        }
        Ok(())
    }

    async fn release(&self) -> Result<(), BackendError> {
        queue::update(&self.state.store.pool, &self.work_id, |item| {
            self.held(item)?;
            queue::release(item);
            Ok(())
        })
        .await?;
        self.state.live.work_ready();
        Ok(())
    }

    fn local_state(&self) -> Option<AppState> {
        Some(self.state.clone())
    }
}
