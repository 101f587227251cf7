//! The clock of the server: every tick it fires the deployments whose next
//! run is due and starts pending dreams.
//!
//! A due run is claimed in the database before it fires: the deployment's
//! `next_run_at` moves to its following fire time with an `UPDATE … WHERE
//! next_run_at = <the due time>`, and only the replica whose update changed
//! the row fires it. Any number of server processes on one database
//! therefore fire each scheduled time exactly once. Fire times missed while
//! no server ran collapse into one run, and the schedule continues from now.

use serde_json::json;
use sqlx::Row;

use crate::app::AppState;
use crate::error::ApiResult;
use crate::schedule::{self, Schedule};
use crate::{deployment_runs, deployments};

/// Starts the tick loop; it ends on shutdown.
pub(crate) fn spawn(state: &AppState) {
    let state = state.clone();
    let tick = state.config.scheduler_tick;
    let tasks = state.tasks.clone();
    tasks.spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(tick) => {}
                () = state.shutdown.cancelled() => return,
            }
            if let Err(error) = fire_due(&state).await {
                tracing::warn!(message = %error.message, "firing due deployments failed");
            }
            if let Err(error) = crate::dreams::fail_stale(&state).await {
                tracing::warn!(message = %error.message, "checking running dreams failed");
            }
            if let Err(error) = crate::dreams::start_pending(&state).await {
                tracing::warn!(message = %error.message, "starting pending dreams failed");
            }
        }
    });
}

/// Fires every deployment run due by now; returns how many this replica
/// fired.
pub(crate) async fn fire_due(state: &AppState) -> ApiResult<usize> {
    let now = jiff::Timestamp::now().as_microsecond();
    let rows = sqlx::query(
        "SELECT deployment_id, next_run_at FROM deployment_schedules \
         WHERE next_run_at IS NOT NULL AND next_run_at <= $1",
    )
    .bind(now)
    .fetch_all(&state.store.pool)
    .await?;
    let mut fired = 0;
    for row in rows {
        let id: String = row.try_get("deployment_id")?;
        let due: i64 = row.try_get("next_run_at")?;
        if state.shutdown.is_cancelled() {
            break;
        }
        let Ok(deployment) = deployments::load(state, &id).await else {
            claim(state, &id, due, None).await?;
            continue;
        };
        let body = deployment.body;
        let firing = body["status"] == "active" && body["archived_at"].is_null();
        let next = Schedule::of(&body)
            .filter(|_| firing)
            .and_then(|s| s.next_after(now.max(due)));
        if !claim(state, &id, due, next).await? || !firing {
            continue;
        }
        let trigger = json!({"type": "schedule", "scheduled_at": schedule::whole_seconds(due)});
        match deployment_runs::fire(state, &body, trigger).await {
            Ok(_) => fired += 1,
            Err(error) => {
                tracing::error!(deployment_id = %id, message = %error.message, "a scheduled run failed");
            }
        }
    }
    Ok(fired)
}

/// Moves `next_run_at` from `due` to `next`; true when this call did it.
async fn claim(state: &AppState, id: &str, due: i64, next: Option<i64>) -> ApiResult<bool> {
    let updated = sqlx::query(
        "UPDATE deployment_schedules SET next_run_at = $1 \
         WHERE deployment_id = $2 AND next_run_at = $3",
    )
    .bind(next)
    .bind(id)
    .bind(due)
    .execute(&state.store.pool)
    .await?;
    Ok(updated.rows_affected() == 1)
}
