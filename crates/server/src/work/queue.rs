//! The queue's storage: work items in `work_items`, claimed under row locks
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several server processes
//! never hand out one item twice; SQLite has a single writer anyway),
//! acknowledged, kept alive by leases, stopped, completed and released.

use serde_json::{Value, json};
use sqlx::{AnyPool, Row};

use crate::error::{ApiError, ApiResult};
use crate::ids;

/// Microseconds since the epoch.
pub(crate) fn now_us() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

/// Whether the pool talks to PostgreSQL.
pub(crate) fn is_postgres(pool: &AnyPool) -> bool {
    pool.connect_options()
        .database_url
        .scheme()
        .starts_with("postgres")
}

/// One row of `work_items`: the API body plus the claim bookkeeping.
#[derive(Debug, Clone)]
pub(crate) struct WorkRow {
    /// `work_…`.
    pub(crate) id: String,
    /// The session the item runs.
    pub(crate) session_id: String,
    /// Served by the server's own workers (not a self-hosted environment).
    pub(crate) builtin: bool,
    /// When it was last handed out (µs).
    pub(crate) delivered_us: Option<i64>,
    /// When its lease runs out (µs).
    pub(crate) lease_until_us: Option<i64>,
    /// `Worker-ID` of the last delivery.
    pub(crate) worker: Option<String>,
    /// Secret of the last delivery: the worker-facing endpoints want it.
    pub(crate) secret: Option<String>,
    /// The work item as the API shows it.
    pub(crate) body: Value,
}

impl WorkRow {
    /// The item's state (`queued`, `starting`, `active`, `stopping`, `stopped`).
    pub(crate) fn state(&self) -> &str {
        self.body["state"].as_str().unwrap_or_default()
    }

    fn set_state(&mut self, state: &str) {
        self.body["state"] = json!(state);
    }
}

const COLUMNS: &str = "id, session_id, builtin, delivered_us, lease_until_us, worker, secret, body";

fn from_row(row: &sqlx::any::AnyRow) -> ApiResult<WorkRow> {
    let body: String = row.try_get("body")?;
    let builtin: i32 = row.try_get("builtin")?;
    Ok(WorkRow {
        id: row.try_get("id")?,
        session_id: row.try_get("session_id")?,
        builtin: builtin != 0,
        delivered_us: row.try_get("delivered_us")?,
        lease_until_us: row.try_get("lease_until_us")?,
        worker: row.try_get("worker")?,
        secret: row.try_get("secret")?,
        body: serde_json::from_str(&body).map_err(ApiError::internal)?,
    })
}

/// Inserts a queued item for a session.
pub(crate) async fn insert(
    pool: &AnyPool,
    id: &str,
    seq: i64,
    environment_id: &str,
    session_id: &str,
    builtin: bool,
    metadata: &Value,
) -> ApiResult<WorkRow> {
    let body = json!({
        "id": id, "type": "work", "environment_id": environment_id,
        "data": {"type": "session", "id": session_id}, "state": "queued",
        "created_at": ids::timestamp(seq), "acknowledged_at": null, "started_at": null,
        "latest_heartbeat_at": null, "stop_requested_at": null, "stopped_at": null,
        "metadata": metadata,
    });
    sqlx::query(
        "INSERT INTO work_items (id, environment_id, session_id, builtin, seq, state, body) \
         VALUES ($1, $2, $3, $4, $5, 'queued', $6)",
    )
    .bind(id)
    .bind(environment_id)
    .bind(session_id)
    .bind(i32::from(builtin))
    .bind(seq)
    .bind(body.to_string())
    .execute(pool)
    .await?;
    Ok(WorkRow {
        id: id.to_owned(),
        session_id: session_id.to_owned(),
        builtin,
        delivered_us: None,
        lease_until_us: None,
        worker: None,
        secret: None,
        body,
    })
}

/// Reads one item.
pub(crate) async fn get(pool: &AnyPool, id: &str) -> ApiResult<Option<WorkRow>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM work_items WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

async fn save<'e, E>(executor: E, row: &WorkRow) -> ApiResult<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE work_items SET state = $1, delivered_us = $2, lease_until_us = $3, \
         worker = $4, secret = $5, body = $6 WHERE id = $7",
    )
    .bind(row.state().to_owned())
    .bind(row.delivered_us)
    .bind(row.lease_until_us)
    .bind(row.worker.clone())
    .bind(row.secret.clone())
    .bind(row.body.to_string())
    .bind(&row.id)
    .execute(executor)
    .await?;
    Ok(())
}

/// Reads an item under a row lock, lets `change` edit it, and saves it in
/// the same transaction. `change` returning `Err` leaves the row as it was.
pub(crate) async fn update<R>(
    pool: &AnyPool,
    id: &str,
    change: impl FnOnce(&mut WorkRow) -> ApiResult<R>,
) -> ApiResult<(WorkRow, R)> {
    let lock = if is_postgres(pool) { " FOR UPDATE" } else { "" };
    let mut tx = pool.begin().await?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM work_items WHERE id = $1{lock}"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Err(ApiError::not_found("Work item", id));
    };
    let mut item = from_row(&row)?;
    let result = change(&mut item)?;
    save(&mut *tx, &item).await?;
    tx.commit().await?;
    Ok((item, result))
}

/// Which items a claim may take.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'a> {
    /// Items of one self-hosted environment (the poll endpoint).
    Environment(&'a str),
    /// Items of every built-in environment (the server's own workers).
    Builtin,
}

/// Claims the oldest deliverable item: queued and not handed out within
/// `reclaim_us`, or acknowledged with a lease that ran out (its worker is
/// gone). The claim gets a fresh secret and the caller's `worker` ID.
pub(crate) async fn claim(
    pool: &AnyPool,
    scope: Scope<'_>,
    worker: Option<&str>,
    reclaim_us: i64,
) -> ApiResult<Option<WorkRow>> {
    let now = now_us();
    let (filter, env) = match scope {
        Scope::Environment(env) => ("builtin = 0 AND environment_id = $3", Some(env)),
        Scope::Builtin => ("builtin = 1 AND $3 = ''", None),
    };
    let lock = if is_postgres(pool) {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM work_items WHERE {filter} AND \
         ((state = 'queued' AND (delivered_us IS NULL OR delivered_us <= $1)) \
          OR (state IN ('starting', 'active', 'stopping') AND lease_until_us < $2)) \
         ORDER BY seq ASC LIMIT 1{lock}"
    );
    let mut tx = pool.begin().await?;
    let row = sqlx::query(&sql)
        .bind(now - reclaim_us)
        .bind(now)
        .bind(env.unwrap_or_default())
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else {
        tx.commit().await?;
        return Ok(None);
    };
    let mut item = from_row(&row)?;
    if item.state() == "stopping" {
        // Asked to stop and its worker is gone: it is over.
        item.set_state("stopped");
        item.body["stopped_at"] = json!(ids::timestamp(now));
        item.lease_until_us = None;
        save(&mut *tx, &item).await?;
        tx.commit().await?;
        return Ok(None);
    }
    item.set_state("queued");
    item.delivered_us = Some(now);
    item.lease_until_us = None;
    item.worker = worker.map(str::to_owned);
    item.secret = Some(ids::new_id("wsec_"));
    save(&mut *tx, &item).await?;
    tx.commit().await?;
    Ok(Some(item))
}

/// `queued → starting` (idempotent for starting/active). The first lease
/// lasts `lease_us`, until the first heartbeat.
pub(crate) fn ack(item: &mut WorkRow, worker: Option<&str>, lease_us: i64) -> ApiResult<()> {
    if let (Some(polled), Some(worker)) = (item.worker.as_deref(), worker)
        && polled != worker
    {
        return Err(ApiError::state_conflict(
            "Work item was delivered to another worker.",
        ));
    }
    match item.state() {
        "queued" => {
            let now = now_us();
            item.set_state("starting");
            item.body["acknowledged_at"] = json!(ids::timestamp(now));
            item.lease_until_us = Some(now + lease_us);
            Ok(())
        }
        "starting" | "active" => Ok(()),
        other => Err(ApiError::state_conflict(format!(
            "Work item '{}' is {other}.",
            item.id
        ))),
    }
}

/// A heartbeat: extends the lease by `ttl` seconds; the first one makes the
/// item `active`. `expected` is the lease the worker believes it holds.
pub(crate) fn heartbeat(item: &mut WorkRow, ttl: i64, expected: Option<&str>) -> ApiResult<Value> {
    if !matches!(item.state(), "starting" | "active" | "stopping") {
        return Err(ApiError::state_conflict(format!(
            "Work item '{}' is {}.",
            item.id,
            item.state()
        )));
    }
    if let Some(expected) = expected {
        let current = item.body["latest_heartbeat_at"]
            .as_str()
            .unwrap_or("NO_HEARTBEAT")
            .to_owned();
        let matches = current == expected
            || ids::parse_timestamp(expected)
                .is_some_and(|e| ids::parse_timestamp(&current) == Some(e));
        if !matches {
            return Err(ApiError {
                status: axum::http::StatusCode::PRECONDITION_FAILED,
                kind: "precondition_failed_error",
                message: format!("Lease mismatch: the last heartbeat is {current}."),
                param: Some("expected_last_heartbeat".into()),
            });
        }
    }
    let now = now_us();
    let stamp = ids::timestamp(now);
    if item.state() == "starting" {
        item.set_state("active");
        item.body["started_at"] = json!(stamp);
    }
    item.body["latest_heartbeat_at"] = json!(stamp);
    item.lease_until_us = Some(now + ttl * 1_000_000);
    Ok(
        json!({"type": "work_heartbeat", "last_heartbeat": stamp, "lease_extended": true,
              "state": item.body["state"], "ttl_seconds": ttl}),
    )
}

/// A stop request: queued → stopped, starting/active → stopping, stopping →
/// stopped, `force` → stopped.
pub(crate) fn stop(item: &mut WorkRow, force: bool) {
    let stamp = json!(ids::timestamp(now_us()));
    let next = match (item.state(), force) {
        ("stopped", _) => return,
        ("queued" | "stopping", _) | (_, true) => "stopped",
        _ => "stopping",
    };
    if item.body["stop_requested_at"].is_null() {
        item.body["stop_requested_at"] = stamp.clone();
    }
    if next == "stopped" {
        item.body["stopped_at"] = stamp;
        item.lease_until_us = None;
    }
    item.set_state(next);
}

/// The work is done: the item is `stopped`.
pub(crate) fn complete(item: &mut WorkRow) {
    if item.state() != "stopped" {
        item.set_state("stopped");
        item.body["stopped_at"] = json!(ids::timestamp(now_us()));
    }
    item.lease_until_us = None;
}

/// The worker gives the item back unfinished (it is shutting down): it is
/// queued again and the next poll may take it at once.
pub(crate) fn release(item: &mut WorkRow) {
    if matches!(item.state(), "starting" | "active") {
        item.set_state("queued");
    }
    item.delivered_us = None;
    item.lease_until_us = None;
    item.worker = None;
    item.secret = None;
}

/// Items of a self-hosted environment, for stats: (state, created_at) of
/// every item not stopped, oldest first.
pub(crate) async fn open_items(pool: &AnyPool, environment_id: &str) -> ApiResult<Vec<Value>> {
    let rows = sqlx::query(
        "SELECT body FROM work_items WHERE builtin = 0 AND environment_id = $1 \
         AND state <> 'stopped' ORDER BY seq ASC",
    )
    .bind(environment_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let body: String = row.try_get("body")?;
            serde_json::from_str(&body).map_err(ApiError::internal)
        })
        .collect()
}
