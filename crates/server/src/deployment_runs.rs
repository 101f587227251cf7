//! Deployment runs (`cloud-api.md` §12): each run creates a session with
//! `deployment_id` set and sends the deployment's initial events through
//! the same path as `POST /sessions`; a run that could not create its
//! session records the error instead. Manual trigger and the run lists.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Map, Value, json};

use crate::app::AppState;
use crate::db::{self, ObjectColumns, StoredObject};
use crate::deployments;
use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::input::QueryPairs;
use crate::list::{self, Bind};

const KIND: &str = "deployment_run";

/// The session-create request a run of `deployment` makes.
fn session_request(deployment: &Value) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("agent".into(), deployment["agent"].clone());
    for key in [
        "environment_id",
        "environment_variables",
        "vault_ids",
        "resources",
        "initial_events",
    ] {
        body.insert(key.into(), deployment[key].clone());
    }
    body.insert("title".into(), deployment["name"].clone());
    if let Some(budget) = deployment.get("budget").filter(|v| !v.is_null()) {
        body.insert("budget".into(), budget.clone());
    }
    body
}

/// Runs a deployment once: creates its session (or records why not) and
/// stores the run. `trigger` is `{type: "manual"}` or `{type: "schedule",
/// scheduled_at}`.
pub(crate) async fn fire(state: &AppState, deployment: &Value, trigger: Value) -> ApiResult<Value> {
    let deployment_id = deployment["id"].as_str().unwrap_or_default().to_owned();
    let mut extra = Map::new();
    extra.insert("deployment_id".into(), json!(deployment_id));
    let request = session_request(deployment);
    let created = crate::sessions::create_session(state, &request, None, extra).await;
    let (session_id, error) = match created {
        Ok(session) => (session["id"].clone(), Value::Null),
        Err(error) if error.status.is_server_error() => return Err(error),
        Err(error) => {
            tracing::warn!(%deployment_id, message = %error.message, "a deployment run failed");
            (
                Value::Null,
                json!({"type": error.kind, "message": error.message}),
            )
        }
    };
    let seq = state.store.seq.next();
    let run = json!({
        "id": ids::new_id("drun_"),
        "type": "deployment_run",
        "deployment_id": deployment_id,
        "agent": deployment["agent"],
        "trigger_context": trigger,
        "session_id": session_id,
        "error": error,
        "created_at": ids::timestamp(seq),
    });
    let object = StoredObject {
        id: run["id"].as_str().unwrap_or_default().to_owned(),
        seq,
        body: run.clone(),
    };
    let columns = ObjectColumns {
        parent_id: Some(deployment_id.clone()),
        status: trigger["type"].as_str().map(str::to_owned),
        archived: false,
    };
    let mut tx = state.store.pool.begin().await?;
    db::insert_object(&mut *tx, KIND, &object, &columns).await?;
    sqlx::query("UPDATE deployment_schedules SET last_run_at = $1 WHERE deployment_id = $2")
        .bind(seq)
        .bind(&deployment_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(run)
}

/// `POST /deployments/{id}/run` (409 unless active and not archived)
pub(crate) async fn run(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let deployment = deployments::load(&state, &id).await?.body;
    if !deployment["archived_at"].is_null() {
        return Err(ApiError::conflict("Deployment is archived."));
    }
    if deployment["status"] != "active" {
        return Err(ApiError::conflict("Deployment is not active."));
    }
    let run = fire(&state, &deployment, json!({"type": "manual"})).await?;
    Ok(Json(run))
}

fn time_filter(
    query: &QueryPairs,
    name: &str,
    op: &'static str,
) -> ApiResult<Option<(String, Option<Bind>)>> {
    let Some(text) = query.get(name) else {
        return Ok(None);
    };
    let micros = ids::parse_timestamp(text).ok_or_else(|| {
        ApiError::field(
            name,
            format!("Field '{name}' must be an RFC 3339 timestamp."),
        )
    })?;
    Ok(Some((format!("seq {op} ?"), Some(Bind::Int(micros)))))
}

async fn page(
    state: &AppState,
    conditions: Vec<(String, Option<Bind>)>,
    query: &QueryPairs,
) -> ApiResult<Json<Value>> {
    let page = list::objects(&state.store.pool, conditions, query).await?;
    Ok(Json(page.envelope(|body| body)))
}

fn base_conditions() -> Vec<(String, Option<Bind>)> {
    vec![("kind = ?".to_owned(), Some(Bind::Text(KIND.to_owned())))]
}

/// `GET /deployments/{id}/runs` (`triggered_after`, `triggered_before`)
pub(crate) async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let mut conditions = base_conditions();
    conditions.push(("parent_id = ?".to_owned(), Some(Bind::Text(id.clone()))));
    conditions.extend(time_filter(&query, "triggered_after", ">")?);
    conditions.extend(time_filter(&query, "triggered_before", "<")?);
    deployments::load(&state, &id).await?;
    page(&state, conditions, &query).await
}

/// `GET /deployment_runs` (`deployment_id`, `trigger_type`, `has_error`,
/// `created_at[…]`)
pub(crate) async fn list_all(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let mut conditions = base_conditions();
    if let Some(deployment_id) = query.get("deployment_id") {
        conditions.push((
            "parent_id = ?".to_owned(),
            Some(Bind::Text(deployment_id.to_owned())),
        ));
    }
    if let Some(trigger) = query.get("trigger_type") {
        if !["manual", "schedule"].contains(&trigger) {
            return Err(ApiError::field(
                "trigger_type",
                "Field 'trigger_type' must be one of: manual, schedule.",
            ));
        }
        conditions.push((
            "status = ?".to_owned(),
            Some(Bind::Text(trigger.to_owned())),
        ));
    }
    match query.bool("has_error")? {
        Some(true) => conditions.push(("body NOT LIKE '%\"error\":null%'".to_owned(), None)),
        Some(false) => conditions.push(("body LIKE '%\"error\":null%'".to_owned(), None)),
        None => {}
    }
    for (op, micros) in query.created_at()? {
        conditions.push((format!("seq {op} ?"), Some(Bind::Int(micros))));
    }
    page(&state, conditions, &query).await
}

async fn load(state: &AppState, id: &str) -> ApiResult<Value> {
    db::get_object(&state.store.pool, KIND, id)
        .await?
        .map(|run| run.body)
        .ok_or_else(|| ApiError::not_found("Deployment run", id))
}

/// `GET /deployments/{id}/runs/{rid}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path((id, run_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    deployments::load(&state, &id).await?;
    let run = load(&state, &run_id).await?;
    if run["deployment_id"] != id.as_str() {
        return Err(ApiError::not_found("Deployment run", &run_id));
    }
    Ok(Json(run))
}

/// `GET /deployment_runs/{rid}`
pub(crate) async fn get_global(
    State(state): State<AppState>,
    Path(run_id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(load(&state, &run_id).await?))
}
