//! Vaults and credentials (`cloud-api.md` §9). Secrets are sealed
//! (`seal`) and never returned; `environment_variable` credentials of a
//! session's vaults are exported to its tools.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Map, Value, json};
use sqlx::Row;

use crate::app::AppState;
use crate::db::{self, ObjectColumns, StoredObject};
use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::input::{Fields, JsonObject, QueryPairs, metadata_create, metadata_patch};
use crate::list::{self, Bind};

const VAULT: &str = "vault";
const CREDENTIAL: &str = "vault_credential";

fn columns(body: &Value, parent: Option<&str>) -> ObjectColumns {
    ObjectColumns {
        parent_id: parent.map(str::to_owned),
        status: body["auth"]["mcp_server_url"].as_str().map(str::to_owned),
        archived: !body["archived_at"].is_null(),
    }
}

/// Checks an `auth` object; returns it (secrets included) for sealing.
fn check_auth(auth: &Value) -> ApiResult<Value> {
    let field = |name: &str| format!("auth.{name}");
    let required = |name: &str| -> ApiResult<()> {
        match auth.get(name).and_then(Value::as_str) {
            Some(v) if !v.is_empty() => Ok(()),
            _ => Err(ApiError::required(&field(name))),
        }
    };
    match auth["type"].as_str() {
        Some("static_bearer") => {
            required("mcp_server_url")?;
            required("token")?;
        }
        Some("mcp_oauth") => {
            required("mcp_server_url")?;
            required("access_token")?;
        }
        Some("environment_variable") => {
            required("secret_name")?;
            required("secret_value")?;
            let name = auth["secret_name"].as_str().unwrap_or_default();
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(ApiError::field(
                    &field("secret_name"),
                    "secret_name must match [A-Za-z_][A-Za-z0-9_]*.",
                ));
            }
        }
        _ => {
            return Err(ApiError::field(
                "auth.type",
                "auth.type must be one of: static_bearer, mcp_oauth, environment_variable.",
            ));
        }
    }
    if auth["mcp_server_url"]
        .as_str()
        .is_some_and(|u| u.len() > 2048)
    {
        return Err(ApiError::field(
            &field("mcp_server_url"),
            "mcp_server_url must be at most 2048 characters.",
        ));
    }
    Ok(auth.clone())
}

/// `auth` without its secrets.
fn sanitize(auth: &Value) -> Value {
    let mut clean = auth.clone();
    if let Some(map) = clean.as_object_mut() {
        for key in ["token", "access_token", "secret_value"] {
            map.remove(key);
        }
        if map.get("type").and_then(Value::as_str) == Some("environment_variable") {
            map.insert("networking".into(), json!({}));
        }
    }
    if let Some(refresh) = clean.get_mut("refresh").and_then(Value::as_object_mut) {
        refresh.remove("refresh_token");
        if let Some(auth) = refresh
            .get_mut("token_endpoint_auth")
            .and_then(Value::as_object_mut)
        {
            auth.remove("client_secret");
        }
    }
    clean
}

fn render(mut body: Value) -> Value {
    if let Some(map) = body.as_object_mut() {
        map.remove("sealed");
    }
    body
}

async fn load_vault(state: &AppState, id: &str) -> ApiResult<StoredObject> {
    db::get_object(&state.store.pool, VAULT, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Vault", id))
}

async fn load_credential(state: &AppState, vault: &str, id: &str) -> ApiResult<StoredObject> {
    match db::get_object(&state.store.pool, CREDENTIAL, id).await? {
        Some(c) if c.body["vault_id"] == vault => Ok(c),
        _ => Err(ApiError::not_found("Credential", id)),
    }
}

/// Checks that every vault ID exists (404 names the first that does not).
pub(crate) async fn check_ids(state: &AppState, ids: &[Value]) -> ApiResult<Vec<String>> {
    let mut out = Vec::new();
    for id in ids {
        let id = id
            .as_str()
            .ok_or_else(|| ApiError::field("vault_ids", "vault_ids must be strings."))?;
        load_vault(state, id).await?;
        out.push(id.to_owned());
    }
    Ok(out)
}

/// The `environment_variable` secrets of these vaults (active credentials).
pub(crate) async fn environment(
    state: &AppState,
    vault_ids: &[String],
) -> Result<BTreeMap<String, String>, String> {
    let mut env = BTreeMap::new();
    for vault in vault_ids {
        let rows = sqlx::query("SELECT body FROM objects WHERE kind = $1 AND parent_id = $2 AND archived = 0 ORDER BY seq")
            .bind(CREDENTIAL)
            .bind(vault)
            .fetch_all(&state.store.pool)
            .await
            .map_err(|e| e.to_string())?;
        for row in rows {
            let body: String = row.try_get("body").map_err(|e| e.to_string())?;
            let body: Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
            if body["auth"]["type"] != "environment_variable" {
                continue;
            }
            let auth: Value = serde_json::from_str(
                &state
                    .sealer
                    .open(body["sealed"].as_str().unwrap_or_default())
                    .map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            if let (Some(name), Some(value)) =
                (auth["secret_name"].as_str(), auth["secret_value"].as_str())
            {
                env.insert(name.to_owned(), value.to_owned());
            }
        }
    }
    Ok(env)
}

/// `POST /vaults`
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<Value>> {
    let name = body.required_str("display_name")?;
    if name.chars().count() > 255 {
        return Err(ApiError::field(
            "display_name",
            "Field 'display_name' must be at most 255 characters.",
        ));
    }
    let metadata = metadata_create(&body)?;
    let seq = state.store.seq.next();
    let now = ids::timestamp(seq);
    let vault = json!({"id": ids::new_id("vault_"), "type": "vault", "display_name": name, "metadata": metadata,
                       "archived_at": null, "created_at": now, "updated_at": now});
    let object = StoredObject {
        id: vault["id"].as_str().unwrap_or_default().to_owned(),
        seq,
        body: vault.clone(),
    };
    db::insert_object(&state.store.pool, VAULT, &object, &columns(&vault, None)).await?;
    let mut shown = vault;
    shown["credentials"] = json!([]);
    Ok(Json(shown))
}

/// `GET /vaults/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(load_vault(&state, &id).await?.body))
}

async fn list_of(
    state: &AppState,
    kind: &str,
    parent: Option<&str>,
    query: &QueryPairs,
    name_key: &str,
) -> ApiResult<Value> {
    let mut conditions = vec![("kind = ?".to_owned(), Some(Bind::Text(kind.to_owned())))];
    if let Some(parent) = parent {
        conditions.push((
            "parent_id = ?".to_owned(),
            Some(Bind::Text(parent.to_owned())),
        ));
    }
    if query.bool("include_archived")? != Some(true) {
        conditions.push(("archived = 0".to_owned(), None));
    }
    let name = query.get("name").map(str::to_lowercase);
    let page = list::objects(&state.store.pool, conditions, query).await?;
    let mut envelope = page.envelope(render);
    if let Some(name) = name
        && let Some(items) = envelope["data"].as_array_mut()
    {
        items.retain(|item| {
            let value = if name_key == "mcp_server_url" {
                &item["auth"]["mcp_server_url"]
            } else {
                &item[name_key]
            };
            value
                .as_str()
                .is_some_and(|v| v.to_lowercase().contains(&name))
        });
    }
    Ok(envelope)
}

/// `GET /vaults`
pub(crate) async fn list(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        list_of(&state, VAULT, None, &query, "display_name").await?,
    ))
}

/// `POST /vaults/{id}/archive`
pub(crate) async fn archive(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut vault = load_vault(&state, &id).await?;
    if vault.body["archived_at"].is_null() {
        let now = ids::timestamp(state.store.seq.next());
        vault.body["archived_at"] = json!(now);
        vault.body["updated_at"] = json!(now);
        db::update_object(
            &state.store.pool,
            &id,
            &vault.body,
            &columns(&vault.body, None),
        )
        .await?;
    }
    Ok(Json(vault.body))
}

/// `DELETE /vaults/{id}` (its credentials go with it)
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    load_vault(&state, &id).await?;
    let mut tx = state.store.pool.begin().await?;
    sqlx::query("DELETE FROM objects WHERE kind = $1 AND parent_id = $2")
        .bind(CREDENTIAL)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    db::delete_object(&mut *tx, &id).await?;
    tx.commit().await?;
    Ok(Json(json!({"id": id, "type": "vault_deleted"})))
}

/// `POST /vaults/{id}/credentials`
pub(crate) async fn create_credential(
    State(state): State<AppState>,
    Path(vault_id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<Value>> {
    let auth = check_auth(
        body.get("auth")
            .filter(|v| !v.is_null())
            .ok_or_else(|| ApiError::required("auth"))?,
    )?;
    let metadata = metadata_create(&body)?;
    let vault = load_vault(&state, &vault_id).await?;
    if !vault.body["archived_at"].is_null() {
        return Err(ApiError::conflict(format!(
            "Vault '{vault_id}' is archived."
        )));
    }
    let rows = sqlx::query(
        "SELECT status FROM objects WHERE kind = $1 AND parent_id = $2 AND archived = 0",
    )
    .bind(CREDENTIAL)
    .bind(&vault_id)
    .fetch_all(&state.store.pool)
    .await?;
    if rows.len() >= 20 {
        return Err(ApiError::conflict(
            "A vault holds at most 20 active credentials.",
        ));
    }
    if let Some(url) = auth["mcp_server_url"].as_str() {
        for row in &rows {
            if row.try_get::<Option<String>, _>("status")?.as_deref() == Some(url) {
                return Err(ApiError::conflict(format!(
                    "An active credential for '{url}' already exists in this vault."
                )));
            }
        }
    }
    let sealed = state
        .sealer
        .seal(&auth.to_string())
        .map_err(ApiError::internal)?;
    let seq = state.store.seq.next();
    let now = ids::timestamp(seq);
    let credential = json!({"id": ids::new_id("vcred_"), "type": "vault_credential", "vault_id": vault_id,
        "auth": sanitize(&auth), "display_name": null, "metadata": metadata, "archived_at": null,
        "created_at": now, "updated_at": now, "sealed": sealed});
    let object = StoredObject {
        id: credential["id"].as_str().unwrap_or_default().to_owned(),
        seq,
        body: credential.clone(),
    };
    db::insert_object(
        &state.store.pool,
        CREDENTIAL,
        &object,
        &columns(&credential, Some(&vault_id)),
    )
    .await?;
    Ok(Json(render(credential)))
}

/// `GET /vaults/{id}/credentials`
pub(crate) async fn list_credentials(
    State(state): State<AppState>,
    Path(vault_id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    load_vault(&state, &vault_id).await?;
    Ok(Json(
        list_of(
            &state,
            CREDENTIAL,
            Some(&vault_id),
            &query,
            "mcp_server_url",
        )
        .await?,
    ))
}

/// `GET /vaults/{id}/credentials/{cid}`
pub(crate) async fn get_credential(
    State(state): State<AppState>,
    Path((vault_id, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(render(
        load_credential(&state, &vault_id, &id).await?.body,
    )))
}

/// `POST /vaults/{id}/credentials/{cid}`: rotate `auth`, patch `metadata`.
pub(crate) async fn update_credential(
    State(state): State<AppState>,
    Path((vault_id, id)): Path<(String, String)>,
    JsonObject(patch): JsonObject,
) -> ApiResult<Json<Value>> {
    let mut credential = load_credential(&state, &vault_id, &id).await?;
    let body = &mut credential.body;
    if let Some(auth) = patch.get("auth").filter(|v| !v.is_null()) {
        let current: Value = serde_json::from_str(
            &state
                .sealer
                .open(body["sealed"].as_str().unwrap_or_default())
                .map_err(ApiError::internal)?,
        )
        .map_err(ApiError::internal)?;
        let mut merged: Map<String, Value> = current.as_object().cloned().unwrap_or_default();
        for (k, v) in auth.as_object().into_iter().flatten() {
            merged.insert(k.clone(), v.clone());
        }
        let merged = check_auth(&Value::Object(merged))?;
        if merged["type"] != current["type"] {
            return Err(ApiError::field(
                "auth.type",
                "A credential's auth.type cannot change.",
            ));
        }
        body["sealed"] = json!(
            state
                .sealer
                .seal(&merged.to_string())
                .map_err(ApiError::internal)?
        );
        body["auth"] = sanitize(&merged);
    }
    match patch.get("metadata") {
        Some(Value::Null) => body["metadata"] = json!({}),
        Some(_) => {
            if let Some(metadata) = metadata_patch(&body["metadata"], &patch)? {
                body["metadata"] = Value::Object(metadata);
            }
        }
        None => {}
    }
    body["updated_at"] = json!(ids::timestamp(state.store.seq.next()));
    db::update_object(
        &state.store.pool,
        &id,
        body,
        &columns(body, Some(&vault_id)),
    )
    .await?;
    Ok(Json(render(credential.body)))
}

/// `POST /vaults/{id}/credentials/{cid}/archive` (409 when archived)
pub(crate) async fn archive_credential(
    State(state): State<AppState>,
    Path((vault_id, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let mut credential = load_credential(&state, &vault_id, &id).await?;
    if !credential.body["archived_at"].is_null() {
        return Err(ApiError::conflict(format!(
            "Credential '{id}' is already archived."
        )));
    }
    let now = ids::timestamp(state.store.seq.next());
    credential.body["archived_at"] = json!(now);
    credential.body["updated_at"] = json!(now);
    db::update_object(
        &state.store.pool,
        &id,
        &credential.body,
        &columns(&credential.body, Some(&vault_id)),
    )
    .await?;
    Ok(Json(render(credential.body)))
}

/// `DELETE /vaults/{id}/credentials/{cid}`
pub(crate) async fn delete_credential(
    State(state): State<AppState>,
    Path((vault_id, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    load_credential(&state, &vault_id, &id).await?;
    db::delete_object(&state.store.pool, &id).await?;
    Ok(Json(json!({"id": id, "type": "vault_credential_deleted"})))
}
