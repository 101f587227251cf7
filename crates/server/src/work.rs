//! The work queue (`cloud-api.md` §14). Every session turn is a work item:
//! items of `self_hosted` environments are served to external workers
//! (`ferrule-server worker`) through the endpoints below — poll (long poll),
//! acknowledge, heartbeat leases, stop — and items of built-in environments
//! to the server's own workers ([`crate::worker`]) through the same claim
//! and lease logic ([`queue`]). Unacknowledged deliveries and expired leases
//! are handed out again.

pub(crate) mod queue;

use std::collections::HashMap;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::input::{JsonObject, Order, QueryPairs, metadata_patch};
use crate::list::{self, Bind, ListSpec};
use queue::{Scope, WorkRow, now_us};

/// The item as the API shows it.
fn render(item: &WorkRow) -> Value {
    item.body.clone()
}

/// Queues a work item for a new session of a self-hosted environment.
pub(crate) async fn enqueue(
    state: &AppState,
    environment_id: &str,
    session_id: &str,
    metadata: &Value,
) -> ApiResult<String> {
    let id = crate::ids::new_id("work_");
    enqueue_as(state, &id, environment_id, session_id, metadata).await?;
    Ok(id)
}

/// Queues work item `id` for a session: on a `self_hosted` environment for
/// its external workers, else for the server's own.
pub(crate) async fn enqueue_as(
    state: &AppState,
    id: &str,
    environment_id: &str,
    session_id: &str,
    metadata: &Value,
) -> ApiResult<()> {
    let builtin = !is_self_hosted(state, environment_id).await?;
    let seq = state.store.seq.next();
    queue::insert(
        &state.store.pool,
        id,
        seq,
        environment_id,
        session_id,
        builtin,
        metadata,
    )
    .await?;
    state.live.work_ready();
    Ok(())
}

pub(crate) async fn is_self_hosted(state: &AppState, environment_id: &str) -> ApiResult<bool> {
    let env = crate::environments::load(state, environment_id).await?;
    Ok(env.body["config"]["type"] == "self_hosted")
}

async fn self_hosted(state: &AppState, environment_id: &str) -> ApiResult<()> {
    if !is_self_hosted(state, environment_id).await? {
        return Err(ApiError::invalid(format!(
            "Environment '{environment_id}' is not self_hosted."
        )));
    }
    Ok(())
}

/// An item of a self-hosted environment, or 404.
pub(crate) async fn load(state: &AppState, environment_id: &str, id: &str) -> ApiResult<WorkRow> {
    self_hosted(state, environment_id).await?;
    match queue::get(&state.store.pool, id).await? {
        Some(item) if !item.builtin && item.body["environment_id"] == environment_id => Ok(item),
        _ => Err(ApiError::not_found("Work item", id)),
    }
}

fn worker_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("worker-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `GET /environments/{id}/work`
pub(crate) async fn list(
    State(state): State<AppState>,
    Path(env): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    self_hosted(&state, &env).await?;
    let conditions = vec![
        ("builtin = 0".to_owned(), None),
        ("environment_id = ?".to_owned(), Some(Bind::Text(env))),
    ];
    let page = list::run(
        &state.store.pool,
        ListSpec {
            table: "work_items",
            conditions,
            order: Order::Asc,
            limit: query.limit()?,
            cursor: query.cursor()?,
        },
    )
    .await?;
    Ok(Json(page.envelope(|body| body)))
}

/// `GET /environments/{id}/work/{wid}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path((env, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(render(&load(&state, &env, &id).await?)))
}

/// `POST /environments/{id}/work/{wid}`: metadata merge-patch.
pub(crate) async fn update(
    State(state): State<AppState>,
    Path((env, id)): Path<(String, String)>,
    JsonObject(patch): JsonObject,
) -> ApiResult<Json<Value>> {
    load(&state, &env, &id).await?;
    let (item, ()) = queue::update(&state.store.pool, &id, |item| {
        if let Some(metadata) = metadata_patch(&item.body["metadata"], &patch)? {
            item.body["metadata"] = Value::Object(metadata);
        }
        Ok(())
    })
    .await?;
    Ok(Json(render(&item)))
}

fn parse_block_ms(query: &QueryPairs) -> ApiResult<u64> {
    match query.get("block_ms") {
        None => Ok(0),
        Some(text) => match text.parse::<u64>() {
            Ok(n) if (1..=999).contains(&n) => Ok(n),
            _ => Err(ApiError::field(
                "block_ms",
                "Field 'block_ms' must be 1 to 999.",
            )),
        },
    }
}

/// `GET /environments/{id}/work/poll` → an item (with its delivery
/// `secret`) or JSON `null`.
pub(crate) async fn poll(
    State(state): State<AppState>,
    Path(env): Path<String>,
    headers: HeaderMap,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let block_ms = parse_block_ms(&query)?;
    let reclaim_us = match query.get("reclaim_older_than_ms") {
        None => 5_000_000,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| n * 1000)
            .ok_or_else(|| {
                ApiError::field(
                    "reclaim_older_than_ms",
                    "Field 'reclaim_older_than_ms' must be >= 0.",
                )
            })?,
    };
    self_hosted(&state, &env).await?;
    let worker = worker_id(&headers);
    if let Some(worker) = &worker {
        state
            .pollers
            .lock()
            .map_err(ApiError::internal)?
            .entry(env.clone())
            .or_insert_with(HashMap::new)
            .insert(worker.clone(), now_us());
    }
    let deadline = tokio::time::Instant::now() + Duration::from_millis(block_ms);
    loop {
        let waiter = state.live.work_waiter();
        let claimed = queue::claim(
            &state.store.pool,
            Scope::Environment(&env),
            worker.as_deref(),
            reclaim_us,
        )
        .await?;
        if let Some(item) = claimed {
            let mut body = render(&item);
            body["secret"] = json!(item.secret);
            return Ok(Json(body));
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Ok(Json(Value::Null));
        }
        // Woken by a new item in this process; items of other processes
        // and expiring leases are seen on the next round.
        let round = (deadline - now).min(Duration::from_millis(100));
        let _ = tokio::time::timeout(round, waiter).await;
    }
}

/// The lease an acknowledgement grants until the first heartbeat.
fn ack_lease_us(state: &AppState) -> i64 {
    i64::try_from(state.config.work_ack_lease.as_micros()).unwrap_or(i64::MAX)
}

/// `POST /environments/{id}/work/{wid}/ack`
pub(crate) async fn ack(
    State(state): State<AppState>,
    Path((env, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    load(&state, &env, &id).await?;
    let worker = worker_id(&headers);
    let lease = ack_lease_us(&state);
    let (item, ()) = queue::update(&state.store.pool, &id, |item| {
        queue::ack(item, worker.as_deref(), lease)
    })
    .await?;
    Ok(Json(render(&item)))
}

/// The lease a heartbeat asks for: `desired_ttl_seconds`, clamped to the
/// server's floor (10 s unless configured lower) and 600 s.
pub(crate) fn heartbeat_ttl(state: &AppState, query: &QueryPairs) -> ApiResult<i64> {
    let floor = i64::try_from(state.config.work_min_ttl.as_secs())
        .unwrap_or(10)
        .clamp(1, 600);
    match query.get("desired_ttl_seconds") {
        None => Ok(60),
        Some(text) => Ok(text
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                ApiError::field(
                    "desired_ttl_seconds",
                    "Field 'desired_ttl_seconds' must be > 0.",
                )
            })?
            .clamp(floor, 600)),
    }
}

/// `POST /environments/{id}/work/{wid}/heartbeat`
pub(crate) async fn heartbeat(
    State(state): State<AppState>,
    Path((env, id)): Path<(String, String)>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let ttl = heartbeat_ttl(&state, &query)?;
    load(&state, &env, &id).await?;
    let expected = query.get("expected_last_heartbeat").map(str::to_owned);
    let (_, beat) = queue::update(&state.store.pool, &id, |item| {
        queue::heartbeat(item, ttl, expected.as_deref())
    })
    .await?;
    Ok(Json(beat))
}

/// `POST /environments/{id}/work/{wid}/stop` (`{force?}`)
pub(crate) async fn stop(
    State(state): State<AppState>,
    Path((env, id)): Path<(String, String)>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<Value>> {
    let force = body.get("force").and_then(Value::as_bool).unwrap_or(false);
    load(&state, &env, &id).await?;
    let (item, ()) = queue::update(&state.store.pool, &id, |item| {
        queue::stop(item, force);
        Ok(())
    })
    .await?;
    Ok(Json(render(&item)))
}

/// `GET /environments/{id}/work/stats`
pub(crate) async fn stats(
    State(state): State<AppState>,
    Path(env): Path<String>,
) -> ApiResult<Json<Value>> {
    self_hosted(&state, &env).await?;
    let items = queue::open_items(&state.store.pool, &env).await?;
    let queued: Vec<&Value> = items.iter().filter(|i| i["state"] == "queued").collect();
    let cutoff = now_us() - 30_000_000;
    let polling = state
        .pollers
        .lock()
        .map_err(ApiError::internal)?
        .get(&env)
        .map_or(0, |workers| {
            workers.values().filter(|at| **at >= cutoff).count()
        });
    Ok(Json(json!({
        "type": "work_queue_stats",
        "depth": queued.len(),
        "pending": items.len() - queued.len(),
        "oldest_queued_at": queued.first().map(|i| i["created_at"].clone()),
        "workers_polling": polling,
    })))
}
