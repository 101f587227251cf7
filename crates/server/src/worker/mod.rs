//! Workers of the work queue (`cloud-api.md` §14).
//!
//! - The server's own workers serve built-in environments: a dispatcher in
//!   every server process claims items (the same claim and lease logic as
//!   the poll endpoint, `FOR UPDATE SKIP LOCKED` on PostgreSQL), acks them,
//!   keeps their lease with heartbeats and runs each turn in a task against
//!   the local database.
//! - [`remote`] is `ferrule-server worker`: it polls a server for a
//!   self-hosted environment and runs turns on its own machine through the
//!   worker-facing endpoints of [`api`].

pub(crate) mod api;
pub mod remote;

use std::sync::Arc;
use std::time::Duration;

use crate::app::AppState;
use crate::backend::DbBackend;
use crate::runner::{RunOutcome, run_turn};
use crate::turn::TurnConfig;
use crate::work::queue::{self, Scope, WorkRow};

/// Starts this process's dispatcher for built-in environments.
pub(crate) fn spawn_local(state: &AppState) {
    let task_state = state.clone();
    state.tasks.spawn(dispatch(task_state));
}

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

async fn dispatch(state: AppState) {
    let worker = format!("server-{}", uuid::Uuid::new_v4().simple());
    let reclaim = micros(state.config.work_ack_lease);
    loop {
        let waiter = state.live.work_waiter();
        if state.shutdown.is_cancelled() {
            return;
        }
        match queue::claim(&state.store.pool, Scope::Builtin, Some(&worker), reclaim).await {
            Ok(Some(item)) => {
                let lease = micros(state.config.work_lease);
                let acked = queue::update(&state.store.pool, &item.id, |row| {
                    queue::ack(row, Some(&worker), lease)
                })
                .await;
                match acked {
                    Ok((item, ())) => {
                        let task_state = state.clone();
                        state.tasks.spawn(serve(task_state, item));
                    }
                    Err(error) => tracing::warn!(%error, "acknowledging a claimed item failed"),
                }
                continue;
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(error = %error.message, "claiming work failed"),
        }
        // New items of this process wake it at once; those queued by other
        // processes and leases running out are seen on the next round.
        tokio::select! {
            () = waiter => {}
            () = tokio::time::sleep(state.config.work_poll) => {}
            () = state.shutdown.cancelled() => return,
        }
    }
}

/// Runs one claimed item: heartbeats keep its lease while the turn runs.
async fn serve(state: AppState, item: WorkRow) {
    let session_id = item.session_id.clone();
    let (interrupt, wake) = state.live.start(&session_id);
    let abort = state.shutdown.child_token();
    let backend = Arc::new(DbBackend {
        state: state.clone(),
        session_id: session_id.clone(),
        work_id: item.id.clone(),
        secret: item.secret.clone(),
        wake: Some(wake),
    });
    let beats = tokio::spawn(heartbeats(
        state.clone(),
        item,
        interrupt.clone(),
        abort.clone(),
    ));
    let config = TurnConfig::from_config(&state.config);
    let outcome = run_turn(backend, &config, abort, interrupt).await;
    beats.abort();
    state.live.finish(&session_id);
    if outcome == RunOutcome::Lost {
        tracing::warn!(%session_id, "a turn was lost by this worker");
    }
}

async fn heartbeats(
    state: AppState,
    item: WorkRow,
    interrupt: tokio_util::sync::CancellationToken,
    abort: tokio_util::sync::CancellationToken,
) {
    let ttl = state.config.work_lease.as_secs().max(1);
    let every = (state.config.work_lease / 3).max(Duration::from_millis(100));
    let ttl = i64::try_from(ttl).unwrap_or(60);
    let secret = item.secret.clone();
    loop {
        let beat = queue::update(&state.store.pool, &item.id, |row| {
            if row.secret != secret {
                return Err(crate::error::ApiError::state_conflict(
                    "Work item was handed to another worker.",
                ));
            }
            queue::heartbeat(row, ttl, None)
        })
        .await;
        match beat {
            Ok((_, beat)) => {
                if beat["state"] == "stopping" {
                    interrupt.cancel();
                }
            }
            Err(error) if error.status == axum::http::StatusCode::CONFLICT => {
                tracing::warn!(work_id = %item.id, "lease lost; stopping the turn");
                abort.cancel();
                return;
            }
            Err(error) => tracing::warn!(error = %error.message, "heartbeat failed"),
        }
        tokio::time::sleep(every).await;
    }
}
