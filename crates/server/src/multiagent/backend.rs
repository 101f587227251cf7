//! A child thread's turn seen from the turn loop: the [`SessionBackend`]
//! of one child thread in the local database. Its input is the next
//! message of the thread's mailbox, its agent the thread's snapshot, its
//! history the thread's own; its events are session events tagged with
//! `session_thread_id`, its status events are the `session.thread_status_*`
//! ones, and the session's own status is left alone.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::store;
use crate::app::AppState;
use crate::backend::{BackendError, Control, SessionBackend, TurnEnd, TurnSetup};
use crate::live::PendingKind;
use crate::turn::TurnInput;
use crate::{ids, runtime};

/// One child thread's turn in the local database.
pub(crate) struct ThreadBackend {
    state: AppState,
    session_id: String,
    thread_id: String,
    /// The turn's interrupt: set when it was stopped before its end.
    interrupt: CancellationToken,
}

impl ThreadBackend {
    /// The backend of the next turn of `thread_id`.
    pub(crate) fn new(
        state: AppState,
        session_id: &str,
        thread_id: &str,
        interrupt: CancellationToken,
    ) -> Self {
        Self {
            state,
            session_id: session_id.to_owned(),
            thread_id: thread_id.to_owned(),
            interrupt,
        }
    }

    async fn thread(&self) -> Result<store::Thread, BackendError> {
        store::get(&self.state, &self.session_id, &self.thread_id)
            .await?
            .ok_or_else(|| BackendError::Lost(format!("thread {} is gone", self.thread_id)))
    }

    /// The thread's form of a turn event: `session.status_*` becomes
    /// `session.thread_status_*` (with the agent name), and every event
    /// carries the thread ID.
    fn tag(&self, mut event: Value, agent_name: &str) -> Value {
        let kind = event["type"].as_str().unwrap_or_default().to_owned();
        if let Some(rest) = kind.strip_prefix("session.status_") {
            event["type"] = json!(format!("session.thread_status_{rest}"));
            event["agent_name"] = json!(agent_name);
            if let Some(map) = event.as_object_mut() {
                map.remove("status");
            }
        }
        event["session_thread_id"] = json!(self.thread_id);
        event
    }
}

#[async_trait]
impl SessionBackend for ThreadBackend {
    async fn begin(&self) -> Result<Option<TurnSetup>, BackendError> {
        let state = &self.state;
        let thread = self.thread().await?;
        let lock = state.store.session_lock(&self.session_id);
        let guard = lock.lock().await;
        let mail = if thread.archived() {
            None
        } else {
            store::take_next(state, &self.thread_id).await?
        };
        let Some(mail) = mail else {
            store::set_status(state, &thread, "idle").await?;
            return Ok(None);
        };
        store::set_status(state, &thread, "running").await?;
        runtime::clear_thread_pending(state, &self.session_id, &self.thread_id).await?;
        let running = json!({"id": ids::new_id("evt_"), "type": "session.status_running"});
        state
            .store
            .append_locked(
                &self.session_id,
                vec![self.tag(running, &thread.agent_name())],
                None,
            )
            .await?;
        drop(guard);
        let mut session = crate::sessions::load(state, &self.session_id).await?.body;
        session["agent"] = thread.body["agent"].clone();
        session["session_thread"] =
            json!({"id": self.thread_id, "agent_name": thread.agent_name()});
        let history = store::history(state, &self.thread_id).await?;
        let vault_ids: Vec<String> = session["vault_ids"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| id.as_str().map(str::to_owned))
            .collect();
        let secrets = crate::vaults::environment(state, &vault_ids)
            .await
            .map_err(BackendError::Other)?;
        let extras = crate::turn_extras::prepare(state, &session, &vault_ids).await;
        let input = TurnInput {
            content: vec![json!({"type": "text", "text": mail.text})],
            announced: true,
            ..TurnInput::default()
        };
        Ok(Some(TurnSetup {
            session,
            history,
            input,
            secrets,
            extras,
            ..TurnSetup::default()
        }))
    }

    async fn append(&self, events: Vec<Value>, _status: Option<&str>) -> Result<(), BackendError> {
        let name = self.thread().await?.agent_name();
        let events = events.into_iter().map(|e| self.tag(e, &name)).collect();
        self.state
            .store
            .append(&self.session_id, events, None)
            .await?;
        Ok(())
    }

    async fn park(&self, event_id: &str, kind: PendingKind) -> Result<(), BackendError> {
        runtime::add_thread_pending(
            &self.state,
            &self.session_id,
            &self.thread_id,
            event_id,
            kind,
        )
        .await?;
        let idle = json!({"id": ids::new_id("evt_"), "type": "session.status_idle",
                          "stop_reason": {"type": "requires_action", "event_ids": [event_id]}});
        self.append(vec![idle], None).await
    }

    async fn control(&self, wait: Duration) -> Result<Control, BackendError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let resolutions =
                runtime::take_thread_resolutions(&self.state, &self.session_id, &self.thread_id)
                    .await?;
            let now = tokio::time::Instant::now();
            if !resolutions.is_empty() || now >= deadline {
                return Ok(Control {
                    cancel: false,
                    resolutions,
                });
            }
            tokio::select! {
                () = tokio::time::sleep((deadline - now).min(Duration::from_millis(100))) => {}
                () = self.interrupt.cancelled() => {}
            }
        }
    }

    async fn finish(&self, end: TurnEnd) -> Result<(), BackendError> {
        let state = &self.state;
        let thread = self.thread().await?;
        let name = thread.agent_name();
        {
            let lock = state.store.session_lock(&self.session_id);
            let _guard = lock.lock().await;
            if let Some(history) = &end.history {
                store::set_history(state, &self.thread_id, history).await?;
            }
            store::drop_taken(state, &self.thread_id).await?;
            runtime::clear_thread_pending(state, &self.session_id, &self.thread_id).await?;
            let more = store::queued(state, &self.thread_id).await? > 0;
            store::set_status(state, &thread, if more { "running" } else { "idle" }).await?;
            let events = end.events.into_iter().map(|e| self.tag(e, &name)).collect();
            state
                .store
                .append_locked(&self.session_id, events, None)
                .await?;
        }
        state
            .threads
            .turn_ended(&self.thread_id, self.interrupt.is_cancelled());
        Ok(())
    }

    async fn release(&self) -> Result<(), BackendError> {
        // The message stays taken: the next runner handles it again.
        Ok(())
    }

    fn local_state(&self) -> Option<AppState> {
        Some(self.state.clone())
    }
}
