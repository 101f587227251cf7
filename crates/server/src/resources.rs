//! Session resources (`cloud-api.md` §6.8): files attached to a session
//! are copied into its working directory at their `mount_path`, mapped
//! under the workspace (`/data/…` and `/app/…` are the working directory
//! itself, other absolute paths such as `/mnt/session/uploads/…` sit below
//! it), so the agent reads them with its ordinary tools. Memory stores
//! attached to a session are mounted per turn by [`crate::session_memory`];
//! their resource has no `id` of its own and is addressed by its
//! `memory_store_id`.

use std::path::{Path, PathBuf};

use axum::Json;
use axum::extract::{Path as UrlPath, State};
use base64::Engine;
use serde_json::{Value, json};
use sqlx::Row;

use crate::app::AppState;
use crate::db::{self, ObjectColumns, StoredObject};
use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::input::{Fields, JsonObject, QueryPairs};
use crate::list::{self, Bind};

const KIND: &str = "session_resource";
const MAX_MOUNT_PATH: usize = 1024;

/// The path of a mount under the working directory `cwd`.
pub(crate) fn host_path(cwd: &Path, mount_path: &str) -> PathBuf {
    let rel = ["/data/", "/app/"]
        .iter()
        .find_map(|prefix| mount_path.strip_prefix(prefix))
        .unwrap_or(mount_path)
        .trim_start_matches('/');
    cwd.join(rel)
}

fn check_mount_path(raw: &str) -> ApiResult<String> {
    let bad =
        |why: &str| ApiError::field("mount_path", format!("Invalid mount_path '{raw}': {why}."));
    if !raw.starts_with('/') {
        return Err(bad("it must be an absolute path"));
    }
    if raw.len() > MAX_MOUNT_PATH || raw.contains('\0') {
        return Err(bad("at most 1024 bytes, no NUL"));
    }
    let parts: Vec<&str> = raw.split('/').filter(|p| !p.is_empty()).collect();
    if parts.iter().any(|p| *p == ".." || *p == ".") {
        return Err(bad("'.' and '..' are not allowed"));
    }
    if parts.is_empty() || raw.ends_with('/') || matches!(raw, "/data" | "/app") {
        return Err(bad("it must name a file"));
    }
    Ok(format!("/{}", parts.join("/")))
}

fn working_dir(state: &AppState, session_id: &str) -> PathBuf {
    state.config.data_dir.join("workspaces").join(session_id)
}

async fn file_bytes(state: &AppState, file_id: &str) -> ApiResult<Vec<u8>> {
    let row = sqlx::query("SELECT content FROM file_contents WHERE file_id = $1")
        .bind(file_id)
        .fetch_optional(&state.store.pool)
        .await?
        .ok_or_else(|| ApiError::not_found("File", file_id))?;
    let text: String = row.try_get("content")?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(ApiError::internal)
}

async fn write_mount(state: &AppState, session_id: &str, resource: &Value) -> ApiResult<()> {
    let file_id = resource["file_id"].as_str().unwrap_or_default();
    let bytes = file_bytes(state, file_id).await?;
    let path = host_path(
        &working_dir(state, session_id),
        resource["mount_path"].as_str().unwrap_or_default(),
    );
    let write = || -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &bytes)
    };
    write().map_err(|e| ApiError::internal(format!("mounting {}: {e}", path.display())))
}

/// The session's files as `(mount_path, base64 content)`, for the turn
/// setup (a worker writes them into its own copy of the directory).
pub(crate) async fn mounts(state: &AppState, session_id: &str) -> ApiResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for resource in of_session(state, session_id).await? {
        if resource["type"] != "file" {
            continue;
        }
        let file_id = resource["file_id"].as_str().unwrap_or_default();
        let bytes = file_bytes(state, file_id).await?;
        out.push((
            resource["mount_path"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            base64::engine::general_purpose::STANDARD.encode(bytes),
        ));
    }
    Ok(out)
}

/// The resources attached to a session, oldest first.
pub(crate) async fn of_session(state: &AppState, session_id: &str) -> ApiResult<Vec<Value>> {
    let rows = sqlx::query(
        "SELECT id, seq, body FROM objects WHERE kind = $1 AND parent_id = $2 ORDER BY seq",
    )
    .bind(KIND)
    .bind(session_id)
    .fetch_all(&state.store.pool)
    .await?;
    rows.iter()
        .map(|row| Ok(db::object_from_row(row)?.body))
        .collect()
}

/// Whether a file is attached to any session (it cannot be deleted then).
pub(crate) async fn file_in_use(state: &AppState, file_id: &str) -> ApiResult<bool> {
    let row = sqlx::query("SELECT id FROM objects WHERE kind = $1 AND status = $2")
        .bind(KIND)
        .bind(file_id)
        .fetch_optional(&state.store.pool)
        .await?;
    Ok(row.is_some())
}

/// A checked resource request.
enum Requested {
    /// `{"type":"file","file_id","mount_path"?}`
    File { file_id: String, mount_path: String },
    /// `{"type":"memory_store","memory_store_id","access"?,"instructions"?}`
    /// with the store's name and description.
    Memory(Value),
}

impl Requested {
    /// What makes two attachments the same (the file or the store).
    fn key(&self) -> &str {
        match self {
            Self::File { file_id, .. } => file_id,
            Self::Memory(resource) => resource["memory_store_id"].as_str().unwrap_or_default(),
        }
    }
}

/// Checks one requested resource: a file or a memory store.
async fn check_request(state: &AppState, item: &Value) -> ApiResult<Requested> {
    let Some(map) = item.as_object() else {
        return Err(ApiError::invalid("A resource must be an object."));
    };
    match map.get("type").and_then(Value::as_str) {
        Some("file") => {}
        Some("memory_store") => {
            return crate::session_memory::check_request(state, map)
                .await
                .map(Requested::Memory);
        }
        None => return Err(ApiError::required("type")),
        Some(_) => {
            return Err(ApiError::field(
                "type",
                "Field 'type' must be 'file' or 'memory_store'.",
            ));
        }
    }
    let file_id = map.required_str("file_id")?;
    let file = db::get_object(&state.store.pool, "file", &file_id)
        .await?
        .ok_or_else(|| ApiError::not_found("File", &file_id))?;
    if file.body["status"].as_str().is_some_and(|s| s != "ready") {
        return Err(ApiError::state_conflict(format!(
            "File '{file_id}' is not ready."
        )));
    }
    let mount_path = match map.opt_str("mount_path")? {
        Some(path) => check_mount_path(&path)?,
        None => format!("/mnt/session/uploads/{file_id}"),
    };
    Ok(Requested::File {
        file_id,
        mount_path,
    })
}

/// The resource's key among a session's attachments (file or store ID).
fn key_of(resource: &Value) -> &str {
    resource["file_id"]
        .as_str()
        .or_else(|| resource["memory_store_id"].as_str())
        .unwrap_or_default()
}

/// Attaches checked resources to a session and mounts the files.
async fn attach(state: &AppState, session_id: &str, items: &[Value]) -> ApiResult<Vec<Value>> {
    let mut checked = Vec::new();
    for item in items {
        checked.push(check_request(state, item).await?);
    }
    let existing = of_session(state, session_id).await?;
    let mut created: Vec<(String, Value)> = Vec::new();
    for requested in checked {
        let key = requested.key().to_owned();
        let taken = existing.iter().any(|r| key_of(r) == key)
            || created.iter().any(|(_, r)| key_of(r) == key);
        if taken {
            let what = match requested {
                Requested::File { .. } => "File",
                Requested::Memory(_) => "Memory store",
            };
            return Err(ApiError::state_conflict(format!(
                "{what} '{key}' is already attached to session '{session_id}'."
            )));
        }
        let resource = match requested {
            Requested::File {
                file_id,
                mount_path,
            } => {
                let now = ids::timestamp(state.store.seq.next());
                json!({
                    "id": ids::new_id("sesr_"),
                    "type": "file",
                    "file_id": file_id,
                    "mount_path": mount_path,
                    "created_at": now,
                    "updated_at": now,
                })
            }
            Requested::Memory(resource) => resource,
        };
        created.push((ids::new_id("sesr_"), resource));
    }
    let mut tx = state.store.pool.begin().await?;
    for (row_id, resource) in &created {
        let object = StoredObject {
            id: resource["id"].as_str().unwrap_or(row_id).to_owned(),
            seq: state.store.seq.next(),
            body: resource.clone(),
        };
        let columns = ObjectColumns {
            parent_id: Some(session_id.to_owned()),
            status: Some(key_of(resource).to_owned()),
            archived: false,
        };
        db::insert_object(&mut *tx, KIND, &object, &columns).await?;
    }
    tx.commit().await?;
    for (_, resource) in &created {
        if resource["type"] == "file" {
            write_mount(state, session_id, resource).await?;
        }
    }
    Ok(created.into_iter().map(|(_, r)| r).collect())
}

/// Validates the `resources` of a session create request before the
/// session exists: files and memory stores.
pub(crate) async fn check_create(state: &AppState, items: &[Value]) -> ApiResult<()> {
    for (index, item) in items.iter().enumerate() {
        check_request(state, item).await.map_err(|mut error| {
            error.param = Some(format!(
                "resources[{index}].{}",
                error.param.unwrap_or_default()
            ));
            error
        })?;
    }
    Ok(())
}

/// Attaches the `resources` of a session create request to the new
/// session; returns their objects for the session body.
pub(crate) async fn attach_created(
    state: &AppState,
    session_id: &str,
    items: &[Value],
) -> ApiResult<Vec<Value>> {
    attach(state, session_id, items).await
}

async fn live_session(state: &AppState, session_id: &str) -> ApiResult<StoredObject> {
    let session = crate::sessions::load(state, session_id).await?;
    if !session.body["archived_at"].is_null() || session.body["status"] == "terminated" {
        return Err(ApiError::state_conflict(format!(
            "Session '{session_id}' is archived or terminated."
        )));
    }
    Ok(session)
}

/// Rewrites the session's `resources` list to what is attached now.
async fn sync_session(state: &AppState, session_id: &str) -> ApiResult<()> {
    let lock = state.store.session_lock(session_id);
    let _guard = lock.lock().await;
    let mut session = crate::sessions::load(state, session_id).await?;
    session.body["resources"] = json!(of_session(state, session_id).await?);
    let columns = crate::store::session_columns(&session.body);
    db::update_object(&state.store.pool, session_id, &session.body, &columns).await?;
    Ok(())
}

/// `POST /sessions/{id}/resources`: one resource (a file or a memory
/// store), or `{"resources": [...]}`.
pub(crate) async fn add(
    State(state): State<AppState>,
    UrlPath(session_id): UrlPath<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<Value>> {
    live_session(&state, &session_id).await?;
    if let Some(items) = body.opt_array("resources")? {
        let created = attach(&state, &session_id, items).await?;
        sync_session(&state, &session_id).await?;
        return Ok(Json(json!({"data": created})));
    }
    let created = attach(&state, &session_id, &[Value::Object(body)]).await?;
    sync_session(&state, &session_id).await?;
    Ok(Json(created.into_iter().next().unwrap_or(Value::Null)))
}

/// `GET /sessions/{id}/resources`
pub(crate) async fn list(
    State(state): State<AppState>,
    UrlPath(session_id): UrlPath<String>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    crate::sessions::load(&state, &session_id).await?;
    let conditions = vec![
        ("kind = ?".to_owned(), Some(Bind::Text(KIND.to_owned()))),
        ("parent_id = ?".to_owned(), Some(Bind::Text(session_id))),
    ];
    let page = list::objects(&state.store.pool, conditions, &query).await?;
    Ok(Json(page.envelope(|r| r)))
}

async fn load(state: &AppState, session_id: &str, id: &str) -> ApiResult<StoredObject> {
    crate::sessions::load(state, session_id).await?;
    // A memory-store resource has no ID of its own: its store's ID names it.
    let column = if id.starts_with("memstore_") {
        "status"
    } else {
        "id"
    };
    let row = sqlx::query(&format!(
        "SELECT id, seq, body FROM objects WHERE kind = $1 AND {column} = $2 AND parent_id = $3"
    ))
    .bind(KIND)
    .bind(id)
    .bind(session_id)
    .fetch_optional(&state.store.pool)
    .await?;
    match row {
        Some(row) => Ok(db::object_from_row(&row)?),
        None => Err(ApiError::not_found("Session resource", id)),
    }
}

/// `GET /sessions/{id}/resources/{rid}`
pub(crate) async fn get(
    State(state): State<AppState>,
    UrlPath((session_id, id)): UrlPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(load(&state, &session_id, &id).await?.body))
}

/// `POST /sessions/{id}/resources/{rid}`: token rotation, which only
/// repository resources have.
pub(crate) async fn update(
    State(state): State<AppState>,
    UrlPath((session_id, id)): UrlPath<(String, String)>,
    JsonObject(_body): JsonObject,
) -> ApiResult<Json<Value>> {
    load(&state, &session_id, &id).await?;
    Err(ApiError::invalid(
        "Only repository resources have an authorization_token or password to rotate.",
    ))
}

/// `DELETE /sessions/{id}/resources/{rid}`: detaches it and removes the
/// mounted copy.
pub(crate) async fn delete(
    State(state): State<AppState>,
    UrlPath((session_id, id)): UrlPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let StoredObject {
        id: row_id,
        body: resource,
        ..
    } = load(&state, &session_id, &id).await?;
    db::delete_object(&state.store.pool, &row_id).await?;
    sync_session(&state, &session_id).await?;
    if resource["type"] != "file" {
        return Ok(Json(json!({"id": id, "type": "session_resource_deleted"})));
    }
    let path = host_path(
        &working_dir(&state, &session_id),
        resource["mount_path"].as_str().unwrap_or_default(),
    );
    if let Err(error) = std::fs::remove_file(&path)
        && error.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), %error, "removing a detached file");
    }
    Ok(Json(json!({"id": id, "type": "session_resource_deleted"})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_paths_map_under_the_workspace() {
        let cwd = Path::new("/w/sess_1");
        assert_eq!(
            host_path(cwd, "/data/inputs/spec.md"),
            cwd.join("inputs/spec.md")
        );
        assert_eq!(host_path(cwd, "/app/a.txt"), cwd.join("a.txt"));
        assert_eq!(
            host_path(cwd, "/mnt/session/uploads/file_1"),
            cwd.join("mnt/session/uploads/file_1")
        );
        assert!(check_mount_path("relative/x").is_err());
        assert!(check_mount_path("/data/../etc/passwd").is_err());
        assert!(check_mount_path("/data/dir/").is_err());
        assert_eq!(check_mount_path("//data//x.md").unwrap(), "/data/x.md");
    }
}
