//! Memory entries and their versions (`cloud-api.md` §10). Every write
//! appends a version; deletes are soft; the store counts active entries.
//! Both the docs' and the SDK's field and path names are served.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::app::AppState;
use crate::db::{self, ObjectColumns, StoredObject};
use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::input::{Fields, JsonObject, QueryPairs};
use crate::list::{self, Bind};
use crate::memory_stores;

const ENTRY: &str = "memory";
const VERSION: &str = "memory_version";
const MAX_CONTENT: usize = 100 * 1024;

fn sha256(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_path(raw: &str) -> ApiResult<String> {
    let path = raw.trim();
    let bad = path.is_empty()
        || path.len() > 1024
        || path.starts_with('/')
        || path
            .split('/')
            .any(|segment| segment == ".." || segment.is_empty())
        || path.contains('\0');
    if bad {
        return Err(ApiError::field(
            "path",
            "Field 'path' must be a relative path (no leading '/', no '..', at most 1024 bytes).",
        ));
    }
    Ok(path.to_owned())
}

fn check_content(content: &str) -> ApiResult<()> {
    if content.trim().is_empty() {
        return Err(ApiError::field(
            "content",
            "Field 'content' must not be blank.",
        ));
    }
    if content.len() > MAX_CONTENT {
        return Err(ApiError::field(
            "content",
            "Field 'content' must be at most 100 KB.",
        ));
    }
    Ok(())
}

fn metadata(body: &Map<String, Value>) -> ApiResult<Option<Map<String, Value>>> {
    match body.get("metadata") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(Map::new())),
        Some(_) => crate::input::metadata_create(body).map(Some),
    }
}

fn entry_view(mut entry: Value, full: bool) -> Value {
    if !full && let Some(map) = entry.as_object_mut() {
        map.remove("content");
    }
    entry
}

fn view_full(query: &QueryPairs, default: bool) -> ApiResult<bool> {
    match query.get("view") {
        None => Ok(default),
        Some("full") => Ok(true),
        Some("basic") => Ok(false),
        Some(_) => Err(ApiError::field(
            "view",
            "Field 'view' must be one of: basic, full.",
        )),
    }
}

async fn active_store(state: &AppState, store_id: &str) -> ApiResult<StoredObject> {
    let store = memory_stores::load(state, store_id).await?;
    if store.body["status"] == "archived" {
        return Err(ApiError::state_conflict(format!(
            "Memory store '{store_id}' is archived."
        )));
    }
    Ok(store)
}

async fn load_entry(state: &AppState, store_id: &str, id: &str) -> ApiResult<StoredObject> {
    match db::get_object(&state.store.pool, ENTRY, id).await? {
        Some(entry) if entry.body["store_id"] == store_id && entry.body["deleted"] != true => {
            Ok(entry)
        }
        _ => Err(ApiError::not_found("Memory", id)),
    }
}

async fn path_taken(state: &AppState, store_id: &str, path: &str, except: &str) -> ApiResult<bool> {
    let rows = sqlx::query(
        "SELECT id, body FROM objects WHERE kind = $1 AND parent_id = $2 AND status = 'active'",
    )
    .bind(ENTRY)
    .bind(store_id)
    .fetch_all(&state.store.pool)
    .await?;
    for row in rows {
        let id: String = row.try_get("id")?;
        let body: String = row.try_get("body")?;
        let body: Value = serde_json::from_str(&body).map_err(ApiError::internal)?;
        if id != except && body["path"] == path {
            return Ok(true);
        }
    }
    Ok(false)
}

fn entry_columns(entry: &Value) -> ObjectColumns {
    let deleted = entry["deleted"] == true;
    ObjectColumns {
        parent_id: entry["store_id"].as_str().map(str::to_owned),
        status: Some(if deleted { "deleted" } else { "active" }.to_owned()),
        archived: deleted,
    }
}

/// Stores the entry, a version for `action` and the store's counters, in
/// one transaction.
async fn write(
    state: &AppState,
    store: &mut Value,
    entry: &mut Value,
    action: &str,
    insert: bool,
) -> ApiResult<()> {
    let seq = state.store.seq.next();
    let now = ids::timestamp(seq);
    let content = entry["content"].as_str().unwrap_or_default().to_owned();
    let version = json!({
        "id": ids::new_id("memver_"),
        "type": "memory_version",
        "store_id": entry["store_id"], "memory_store_id": entry["store_id"],
        "entry_id": entry["id"], "memory_id": entry["id"],
        "entry_path": entry["path"], "path": entry["path"],
        "action": action, "operation": action,
        "size": entry["size"], "content_size_bytes": entry["size"],
        "content_sha256": entry["content_sha256"],
        "content": if action == "deleted" { Value::Null } else { json!(content) },
        "redacted": false,
        "created_by": null,
        "created_at": now,
    });
    entry["memory_version_id"] = version["id"].clone();
    entry["updated_at"] = json!(now);
    let mut tx = state.store.pool.begin().await?;
    let object = StoredObject {
        id: entry["id"].as_str().unwrap_or_default().to_owned(),
        seq,
        body: entry.clone(),
    };
    if insert {
        db::insert_object(&mut *tx, ENTRY, &object, &entry_columns(entry)).await?;
    } else {
        db::update_object(&mut *tx, &object.id, entry, &entry_columns(entry)).await?;
    }
    let version_object = StoredObject {
        id: version["id"].as_str().unwrap_or_default().to_owned(),
        seq: state.store.seq.next(),
        body: version,
    };
    let version_columns = ObjectColumns {
        parent_id: entry["store_id"].as_str().map(str::to_owned),
        // The entry ID, so versions can be filtered by entry.
        status: entry["id"].as_str().map(str::to_owned),
        archived: false,
    };
    db::insert_object(&mut *tx, VERSION, &version_object, &version_columns).await?;
    let counts = sqlx::query(
        "SELECT id, body FROM objects WHERE kind = $1 AND parent_id = $2 AND status = 'active'",
    )
    .bind(ENTRY)
    .bind(store["id"].as_str().unwrap_or_default())
    .fetch_all(&mut *tx)
    .await?;
    let mut total = 0;
    for row in &counts {
        let body: String = row.try_get("body")?;
        let body: Value = serde_json::from_str(&body).map_err(ApiError::internal)?;
        total += body["size"].as_i64().unwrap_or(0);
    }
    store["entry_count"] = json!(counts.len());
    store["total_size"] = json!(total);
    store["updated_at"] = json!(now);
    memory_stores::save(&mut *tx, store).await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /memory_stores/{sid}/memories` → 201
pub(crate) async fn create(
    State(state): State<AppState>,
    Path(store_id): Path<String>,
    query: QueryPairs,
    JsonObject(body): JsonObject,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let path = check_path(&body.required_str("path")?)?;
    let content = body
        .opt_str("content")?
        .ok_or_else(|| ApiError::required("content"))?;
    check_content(&content)?;
    let metadata = metadata(&body)?.unwrap_or_default();
    let full = view_full(&query, true)?;
    let mut store = active_store(&state, &store_id).await?;
    if path_taken(&state, &store_id, &path, "").await? {
        return Err(ApiError::state_conflict(format!(
            "A memory at path '{path}' already exists."
        )));
    }
    let now = ids::timestamp(state.store.seq.next());
    let mut entry = json!({
        "id": ids::new_id("mem_"),
        "type": "memory",
        "store_id": store_id, "memory_store_id": store_id,
        "path": path,
        "content": content,
        "size": content.len(), "content_size_bytes": content.len(),
        "content_sha256": sha256(&content),
        "version": 1,
        "metadata": metadata,
        "created_at": now,
        "updated_at": now,
    });
    write(&state, &mut store.body, &mut entry, "created", true).await?;
    Ok((StatusCode::CREATED, Json(entry_view(entry, full))))
}

/// `GET /memory_stores/{sid}/memories/{mid}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path((store_id, id)): Path<(String, String)>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    memory_stores::load(&state, &store_id).await?;
    let full = view_full(&query, true)?;
    Ok(Json(entry_view(
        load_entry(&state, &store_id, &id).await?.body,
        full,
    )))
}

/// `PUT` or `POST /memory_stores/{sid}/memories/{mid}`
pub(crate) async fn update(
    State(state): State<AppState>,
    Path((store_id, id)): Path<(String, String)>,
    query: QueryPairs,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<Value>> {
    let content = body.opt_str("content")?;
    if let Some(content) = &content {
        check_content(content)?;
    }
    let path = body.opt_str("path")?.map(|p| check_path(&p)).transpose()?;
    let metadata = metadata(&body)?;
    let expected_sha = body.opt_str("content_sha256")?;
    let expected_version = body.get("version").and_then(Value::as_i64);
    let full = view_full(&query, true)?;
    let mut store = active_store(&state, &store_id).await?;
    let mut entry = load_entry(&state, &store_id, &id).await?.body;
    if let Some(sha) = expected_sha
        && entry["content_sha256"] != sha.as_str()
    {
        return Err(ApiError::conflict(
            "The memory changed: content_sha256 does not match its current content.",
        ));
    }
    if let Some(version) = expected_version
        && entry["version"].as_i64() != Some(version)
    {
        return Err(ApiError::conflict(format!(
            "Version conflict. Expected version {}, got {version}.",
            entry["version"]
        )));
    }
    if let Some(path) = path {
        if path_taken(&state, &store_id, &path, &id).await? {
            return Err(ApiError::state_conflict(format!(
                "A memory at path '{path}' already exists."
            )));
        }
        entry["path"] = json!(path);
    }
    if let Some(content) = content {
        entry["size"] = json!(content.len());
        entry["content_size_bytes"] = json!(content.len());
        entry["content_sha256"] = json!(sha256(&content));
        entry["content"] = json!(content);
    }
    if let Some(metadata) = metadata {
        entry["metadata"] = Value::Object(metadata);
    }
    entry["version"] = json!(entry["version"].as_i64().unwrap_or(1) + 1);
    write(&state, &mut store.body, &mut entry, "updated", false).await?;
    Ok(Json(entry_view(entry, full)))
}

/// `DELETE /memory_stores/{sid}/memories/{mid}` → 204
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path((store_id, id)): Path<(String, String)>,
    query: QueryPairs,
) -> ApiResult<StatusCode> {
    let mut store = active_store(&state, &store_id).await?;
    let mut entry = load_entry(&state, &store_id, &id).await?.body;
    if let Some(sha) = query.get("expected_content_sha256")
        && entry["content_sha256"] != sha
    {
        return Err(ApiError::conflict(
            "The memory changed: expected_content_sha256 does not match.",
        ));
    }
    entry["deleted"] = json!(true);
    write(&state, &mut store.body, &mut entry, "deleted", false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /memory_stores/{sid}/memories` (no content unless `view=full`)
pub(crate) async fn list(
    State(state): State<AppState>,
    Path(store_id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    memory_stores::load(&state, &store_id).await?;
    let full = view_full(&query, false)?;
    let conditions = vec![
        ("kind = ?".to_owned(), Some(Bind::Text(ENTRY.to_owned()))),
        ("parent_id = ?".to_owned(), Some(Bind::Text(store_id))),
        ("archived = 0".to_owned(), None),
    ];
    let prefix = query.get("path_prefix").map(str::to_owned);
    let page = list::objects(&state.store.pool, conditions, &query).await?;
    let mut envelope = page.envelope(|entry| entry_view(entry, full));
    if let Some(prefix) = prefix
        && let Some(items) = envelope["data"].as_array_mut()
    {
        items.retain(|entry| {
            entry["path"]
                .as_str()
                .is_some_and(|p| p.starts_with(&prefix))
        });
    }
    Ok(Json(envelope))
}

fn version_view(mut version: Value, with_content: bool) -> Value {
    if (!with_content || version["redacted"] == true)
        && let Some(map) = version.as_object_mut()
    {
        map.remove("content");
    }
    version
}

/// `GET /memory_stores/{sid}/versions` and `/memory_versions`
pub(crate) async fn versions(
    State(state): State<AppState>,
    Path(store_id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    memory_stores::load(&state, &store_id).await?;
    let mut conditions = vec![
        ("kind = ?".to_owned(), Some(Bind::Text(VERSION.to_owned()))),
        ("parent_id = ?".to_owned(), Some(Bind::Text(store_id))),
    ];
    if let Some(entry) = query.get("entry_id").or_else(|| query.get("memory_id")) {
        conditions.push(("status = ?".to_owned(), Some(Bind::Text(entry.to_owned()))));
    }
    for (op, micros) in query.created_at()? {
        conditions.push((format!("seq {op} ?"), Some(Bind::Int(micros))));
    }
    let operation = query
        .get("operation")
        .or_else(|| query.get("action"))
        .map(str::to_owned);
    let page = list::objects(&state.store.pool, conditions, &query).await?;
    let mut envelope = page.envelope(|version| version_view(version, false));
    if let Some(operation) = operation
        && let Some(items) = envelope["data"].as_array_mut()
    {
        items.retain(|version| version["action"] == operation.as_str());
    }
    Ok(Json(envelope))
}

async fn load_version(state: &AppState, store_id: &str, id: &str) -> ApiResult<StoredObject> {
    memory_stores::load(state, store_id).await?;
    match db::get_object(&state.store.pool, VERSION, id).await? {
        Some(version) if version.body["store_id"] == store_id => Ok(version),
        _ => Err(ApiError::not_found("Memory version", id)),
    }
}

/// `GET /memory_stores/{sid}/versions/{vid}` and `/memory_versions/{vid}`
pub(crate) async fn version(
    State(state): State<AppState>,
    Path((store_id, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(version_view(
        load_version(&state, &store_id, &id).await?.body,
        true,
    )))
}

/// `POST /memory_stores/{sid}/memory_versions/{vid}/redact`
pub(crate) async fn redact(
    State(state): State<AppState>,
    Path((store_id, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let mut version = load_version(&state, &store_id, &id).await?;
    if version.body["redacted"] != true {
        version.body["redacted"] = json!(true);
        version.body["redacted_at"] = json!(ids::timestamp(state.store.seq.next()));
        version.body["redacted_by"] = Value::Null;
        if let Some(map) = version.body.as_object_mut() {
            map.remove("content");
        }
        let columns = ObjectColumns {
            parent_id: Some(store_id),
            status: version.body["entry_id"].as_str().map(str::to_owned),
            archived: false,
        };
        db::update_object(&state.store.pool, &id, &version.body, &columns).await?;
    }
    Ok(Json(version_view(version.body, false)))
}
