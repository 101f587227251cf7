//! Environments (`cloud-api.md` §4): CRUD, config normalization and the
//! default environment.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Map, Value, json};

use crate::app::AppState;
use crate::db::{self, ObjectColumns, StoredObject};
use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::input::{Fields, JsonObject, QueryPairs, metadata_create, metadata_patch};
use crate::list;

const KIND: &str = "environment";

/// Normalizes an environment config, or says what is wrong with it.
pub(crate) fn normalize_config(config: &Value) -> Result<Value, ApiError> {
    let Some(map) = config.as_object() else {
        return Err(ApiError::field(
            "config",
            "Field 'config' must be an object.",
        ));
    };
    match map.get("type").and_then(Value::as_str) {
        Some("self_hosted") => {
            if map.len() != 1 {
                return Err(ApiError::field(
                    "config",
                    "A self_hosted config takes no fields besides 'type'.",
                ));
            }
            Ok(json!({"type": "self_hosted"}))
        }
        Some("cloud") => {
            let networking = normalize_networking(map.get("networking"))?;
            let packages = normalize_packages(map.get("packages"))?;
            let mut out = json!({"type": "cloud", "networking": networking, "packages": packages});
            match map.get("setup_script") {
                None | Some(Value::Null) => {}
                Some(Value::String(script)) if script.len() <= 64 * 1024 => {
                    out["setup_script"] = json!(script);
                }
                Some(Value::String(_)) => {
                    return Err(ApiError::field(
                        "config.setup_script",
                        "Field 'config.setup_script' must be at most 64 KB.",
                    ));
                }
                Some(_) => {
                    return Err(ApiError::field(
                        "config.setup_script",
                        "Field 'config.setup_script' must be a string.",
                    ));
                }
            }
            Ok(out)
        }
        Some(other) => Err(ApiError::field(
            "config.type",
            format!("Field 'config.type' must be one of: cloud, self_hosted (got '{other}')."),
        )),
        None => Err(ApiError::required("config.type")),
    }
}

fn normalize_networking(value: Option<&Value>) -> Result<Value, ApiError> {
    let map = match value {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            return Err(ApiError::field(
                "config.networking",
                "Field 'config.networking' must be an object such as {\"type\": \"unrestricted\"}.",
            ));
        }
    };
    let kind = match map.get("type") {
        None | Some(Value::Null) => "limited",
        Some(Value::String(s))
            if ["unrestricted", "limited", "allowed_hosts"].contains(&s.as_str()) =>
        {
            s
        }
        Some(_) => {
            return Err(ApiError::field(
                "config.networking.type",
                "Field 'config.networking.type' must be one of: unrestricted, limited, allowed_hosts.",
            ));
        }
    };
    let hosts = match map.get("allowed_hosts") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items.clone(),
        Some(_) => {
            return Err(ApiError::field(
                "config.networking.allowed_hosts",
                "Field 'config.networking.allowed_hosts' must be an array of strings.",
            ));
        }
    };
    let flag = |name: &str| -> Result<bool, ApiError> {
        match map.get(name) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(ApiError::field(
                &format!("config.networking.{name}"),
                format!("Field 'config.networking.{name}' must be a boolean."),
            )),
        }
    };
    Ok(json!({
        "type": kind,
        "allowed_hosts": hosts,
        "allow_package_managers": flag("allow_package_managers")?,
        "allow_mcp_servers": flag("allow_mcp_servers")?,
    }))
}

fn normalize_packages(value: Option<&Value>) -> Result<Value, ApiError> {
    let map = match value {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            return Err(ApiError::field(
                "config.packages",
                "Field 'config.packages' must be an object.",
            ));
        }
    };
    let mut out = json!({"type": "packages", "apt": [], "npm": [], "pip": []});
    for (manager, list) in &map {
        if manager == "type" {
            continue;
        }
        if !["apt", "npm", "pip", "cargo", "gem", "go"].contains(&manager.as_str()) {
            return Err(ApiError::field(
                &format!("config.packages.{manager}"),
                format!("Unknown package manager '{manager}'."),
            ));
        }
        match list {
            Value::Array(items) if items.iter().all(Value::is_string) => {
                out[manager] = list.clone();
            }
            Value::Null => {}
            _ => {
                return Err(ApiError::field(
                    &format!("config.packages.{manager}"),
                    format!("Field 'config.packages.{manager}' must be an array of strings."),
                ));
            }
        }
    }
    Ok(out)
}

fn columns(body: &Value) -> ObjectColumns {
    ObjectColumns {
        parent_id: None,
        status: None,
        archived: !body["archived_at"].is_null(),
    }
}

/// Builds and stores an environment.
pub(crate) async fn insert(
    state: &AppState,
    name: &str,
    description: &str,
    config: Value,
    metadata: Map<String, Value>,
    scope: Option<String>,
) -> ApiResult<Value> {
    let seq = state.store.seq.next();
    let now = ids::timestamp(seq);
    let mut body = json!({
        "id": ids::new_id("env_"),
        "type": "environment",
        "name": name,
        "description": description,
        "config": config,
        "metadata": metadata,
        "archived_at": null,
        "created_at": now,
        "updated_at": now,
    });
    if let Some(scope) = scope {
        body["scope"] = json!(scope);
    }
    let object = StoredObject {
        id: body["id"].as_str().unwrap_or_default().to_owned(),
        seq,
        body: body.clone(),
    };
    db::insert_object(&state.store.pool, KIND, &object, &columns(&body)).await?;
    Ok(body)
}

/// Creates the `default` environment on the first start (once).
pub(crate) async fn ensure_default(state: &AppState) -> ApiResult<()> {
    if db::meta_get(&state.store.pool, "default_environment")
        .await?
        .is_some()
    {
        return Ok(());
    }
    let config =
        normalize_config(&json!({"type": "cloud", "networking": {"type": "unrestricted"}}))?;
    let body = insert(state, "default", "", config, Map::new(), None).await?;
    db::meta_set(
        &state.store.pool,
        "default_environment",
        body["id"].as_str().unwrap_or_default(),
    )
    .await?;
    Ok(())
}

/// Reads an environment or 404.
pub(crate) async fn load(state: &AppState, id: &str) -> ApiResult<StoredObject> {
    db::get_object(&state.store.pool, KIND, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Environment", id))
}

/// `POST /environments`
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<Value>> {
    let name = body.required_str("name")?;
    let config = match body.get("config") {
        None | Some(Value::Null) => return Err(ApiError::required("config")),
        Some(config) => normalize_config(config)?,
    };
    let description = body.opt_str("description")?.unwrap_or_default();
    let metadata = metadata_create(&body)?;
    let scope = body.opt_str("scope")?;
    Ok(Json(
        insert(&state, &name, &description, config, metadata, scope).await?,
    ))
}

/// `GET /environments/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(load(&state, &id).await?.body))
}

/// `POST /environments/{id}`
pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonObject(patch): JsonObject,
) -> ApiResult<Json<Value>> {
    let name = match patch.get("name") {
        None | Some(Value::Null) => None,
        Some(_) => Some(patch.required_str("name")?),
    };
    let description = patch.opt_str("description")?;
    let config = match patch.get("config") {
        None | Some(Value::Null) => None,
        Some(config) => Some(normalize_config(config)?),
    };
    let scope = patch.opt_str("scope")?;
    let mut object = load(&state, &id).await?;
    let metadata = metadata_patch(&object.body["metadata"], &patch)?;
    let body = &mut object.body;
    if let Some(name) = name {
        body["name"] = json!(name);
    }
    if let Some(description) = description {
        body["description"] = json!(description);
    }
    if let Some(config) = config {
        body["config"] = config;
    }
    if let Some(scope) = scope {
        body["scope"] = json!(scope);
    }
    if let Some(metadata) = metadata {
        body["metadata"] = Value::Object(metadata);
    }
    body["updated_at"] = json!(ids::timestamp(state.store.seq.next()));
    db::update_object(&state.store.pool, &id, body, &columns(body)).await?;
    Ok(Json(object.body))
}

/// `GET /environments`
pub(crate) async fn list(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let conditions = list::kind_conditions(KIND, &query)?;
    let page = list::objects(&state.store.pool, conditions, &query).await?;
    Ok(Json(page.envelope(|body| body)))
}

/// `POST /environments/{id}/archive`
pub(crate) async fn archive(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut object = load(&state, &id).await?;
    if object.body["archived_at"].is_null() {
        let now = ids::timestamp(state.store.seq.next());
        object.body["archived_at"] = json!(now);
        object.body["updated_at"] = json!(now);
        db::update_object(&state.store.pool, &id, &object.body, &columns(&object.body)).await?;
    }
    Ok(Json(object.body))
}

/// `DELETE /environments/{id}`
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    load(&state, &id).await?;
    let mut tx = state.store.pool.begin().await?;
    let in_use: i64 = sqlx::Row::try_get(
        &sqlx::query("SELECT COUNT(*) AS n FROM objects WHERE kind = 'session' AND body LIKE $1")
            .bind(format!("%\"environment_id\":\"{id}\"%"))
            .fetch_one(&mut *tx)
            .await?,
        "n",
    )?;
    if in_use > 0 {
        return Err(ApiError::state_conflict(format!(
            "Environment '{id}' is in use and cannot be deleted: {in_use} session{} still reference it. \
             Archive the environment instead.",
            if in_use == 1 { "" } else { "s" }
        )));
    }
    db::delete_object(&mut *tx, &id).await?;
    tx.commit().await?;
    Ok(Json(json!({"id": id, "type": "environment_deleted"})))
}
