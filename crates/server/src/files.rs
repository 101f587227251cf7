//! Files (`cloud-api.md` §8): text uploads, metadata, lists, deletion, and
//! self-authorizing download links for the files an agent delivers.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Map, Value, json};
use sqlx::Row;

use crate::app::AppState;
use crate::db::{self, ObjectColumns, StoredObject};
use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::input::QueryPairs;
use crate::list::{self, Bind};

const KIND: &str = "file";
/// Largest file.
pub(crate) const MAX_FILE: usize = 5 * 1024 * 1024;
const LINK_SECONDS: i64 = 3600;
const TEXT_EXTENSIONS: [&str; 24] = [
    "txt", "md", "markdown", "json", "jsonl", "yaml", "yml", "toml", "csv", "tsv", "xml", "html",
    "css", "js", "ts", "py", "rs", "go", "java", "c", "h", "sh", "sql", "log",
];

fn is_text(name: &str, mime: &str) -> bool {
    let mime = mime.split(';').next().unwrap_or("").trim();
    let by_mime = mime.starts_with("text/")
        || [
            "application/json",
            "application/xml",
            "application/javascript",
            "application/x-yaml",
            "application/x-toml",
        ]
        .contains(&mime);
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    by_mime
        || extension.is_none()
        || extension.is_some_and(|e| TEXT_EXTENSIONS.contains(&e.as_str()))
}

fn sanitize_name(raw: &str) -> ApiResult<String> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let name: String = base
        .chars()
        .map(|c| if c == '\0' { '_' } else { c })
        .collect();
    if name.is_empty() || name.len() > 255 || name == "." || name == ".." {
        return Err(ApiError::field(
            "name",
            "The file name must be 1 to 255 bytes and not '.' or '..'.",
        ));
    }
    Ok(name)
}

fn guess_mime(name: &str) -> &'static str {
    match name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("json" | "jsonl") => "application/json",
        Some("md" | "markdown") => "text/markdown",
        Some("html") => "text/html",
        Some("csv") => "text/csv",
        Some("xml") => "application/xml",
        _ => "text/plain",
    }
}

/// Stores a file; `scope` is the delivering session for agent artifacts.
pub(crate) async fn insert(
    state: &AppState,
    filename: &str,
    mime: &str,
    bytes: &[u8],
    metadata: Map<String, Value>,
    scope: Option<&str>,
) -> ApiResult<Value> {
    let seq = state.store.seq.next();
    let file = json!({
        "id": ids::new_id("file_"),
        "type": "file",
        "filename": filename,
        "size_bytes": bytes.len(),
        "mime_type": mime,
        "downloadable": scope.is_some(),
        "scope": scope.map(|id| json!({"id": id, "type": "session"})),
        "metadata": metadata,
        "status": "ready",
        "created_at": ids::timestamp(seq),
    });
    let id = file["id"].as_str().unwrap_or_default().to_owned();
    let columns = ObjectColumns {
        parent_id: scope.map(str::to_owned),
        status: Some(filename.to_lowercase()),
        archived: false,
    };
    let mut tx = state.store.pool.begin().await?;
    db::insert_object(
        &mut *tx,
        KIND,
        &StoredObject {
            id: id.clone(),
            seq,
            body: file.clone(),
        },
        &columns,
    )
    .await?;
    sqlx::query("INSERT INTO file_contents (file_id, content) VALUES ($1, $2)")
        .bind(&id)
        .bind(base64::engine::general_purpose::STANDARD.encode(bytes))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(file)
}

/// `POST /files` (multipart: `file`, `name?`, `metadata?`)
pub(crate) async fn upload(
    State(state): State<AppState>,
    mut form: Multipart,
) -> ApiResult<Json<Value>> {
    let bad_form = |e: axum::extract::multipart::MultipartError| {
        ApiError::invalid(format!("Bad multipart form: {e}"))
    };
    let (mut file, mut name, mut metadata) = (None, None, Map::new());
    while let Some(field) = form.next_field().await.map_err(bad_form)? {
        match field.name().unwrap_or_default() {
            "file" => {
                let filename = field.file_name().unwrap_or("upload.txt").to_owned();
                let mime = field.content_type().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(bad_form)?;
                file = Some((filename, mime, bytes));
            }
            "name" => name = Some(field.text().await.map_err(bad_form)?),
            "metadata" => {
                let text = field.text().await.map_err(bad_form)?;
                if text.len() > 8192 {
                    return Err(ApiError::field(
                        "metadata",
                        "Field 'metadata' must be at most 8 KB.",
                    ));
                }
                let value: Value = serde_json::from_str(&text).map_err(|_| {
                    ApiError::field("metadata", "Field 'metadata' must be a JSON object.")
                })?;
                let mut wrapper = Map::new();
                wrapper.insert("metadata".into(), value);
                metadata = crate::input::metadata_create(&wrapper)?;
            }
            _ => {}
        }
    }
    let (filename, mime, bytes) = file.ok_or_else(|| ApiError::required("file"))?;
    let filename = sanitize_name(name.as_deref().unwrap_or(&filename))?;
    if bytes.len() > MAX_FILE {
        return Err(ApiError::field("file", "The file exceeds 5 MB."));
    }
    if !is_text(&filename, &mime) || std::str::from_utf8(&bytes).is_err() {
        return Err(ApiError::field("file", "Only text files can be uploaded."));
    }
    let mime = if mime.is_empty() || mime == "application/octet-stream" {
        guess_mime(&filename).to_owned()
    } else {
        mime
    };
    Ok(Json(
        insert(&state, &filename, &mime, &bytes, metadata, None).await?,
    ))
}

async fn load(state: &AppState, id: &str) -> ApiResult<StoredObject> {
    db::get_object(&state.store.pool, KIND, id)
        .await?
        .ok_or_else(|| ApiError::not_found("File", id))
}

/// `GET /files/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(load(&state, &id).await?.body))
}

/// `GET /files`
pub(crate) async fn list(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let mut conditions = vec![("kind = ?".to_owned(), Some(Bind::Text(KIND.to_owned())))];
    if let Some(scope) = query.get("scope_id") {
        conditions.push((
            "parent_id = ?".to_owned(),
            Some(Bind::Text(scope.to_owned())),
        ));
    }
    if let Some(prefix) = query.get("name") {
        let prefix: String = prefix
            .to_lowercase()
            .chars()
            .filter(|c| *c != '%' && *c != '_')
            .collect();
        conditions.push((
            "status LIKE ?".to_owned(),
            Some(Bind::Text(format!("{prefix}%"))),
        ));
    }
    let wanted = query.list("ids");
    let page = list::objects(&state.store.pool, conditions, &query).await?;
    let mut envelope = page.envelope(|file| file);
    if !wanted.is_empty()
        && let Some(items) = envelope["data"].as_array_mut()
    {
        items.retain(|file| {
            file["id"]
                .as_str()
                .is_some_and(|id| wanted.iter().any(|w| w == id))
        });
    }
    Ok(Json(envelope))
}

/// `DELETE /files/{id}`
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    load(&state, &id).await?;
    if crate::resources::file_in_use(&state, &id).await? {
        return Err(ApiError::state_conflict(format!(
            "File '{id}' is attached to a session and cannot be deleted."
        )));
    }
    let mut tx = state.store.pool.begin().await?;
    db::delete_object(&mut *tx, &id).await?;
    sqlx::query("DELETE FROM file_contents WHERE file_id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Json(json!({"id": id, "type": "file_deleted"})))
}

async fn link_key(state: &AppState) -> ApiResult<[u8; 32]> {
    let existing = db::meta_get(&state.store.pool, "file_link_key").await?;
    let text = match existing {
        Some(text) => text,
        None => {
            let text = format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            );
            // Another request may have made one at the same time: re-read.
            let _ = db::meta_set(&state.store.pool, "file_link_key", &text).await;
            db::meta_get(&state.store.pool, "file_link_key")
                .await?
                .unwrap_or(text)
        }
    };
    Ok(blake3::derive_key(
        "ferrule-server file download links",
        text.as_bytes(),
    ))
}

fn signature(key: &[u8; 32], id: &str, expires: i64) -> String {
    blake3::keyed_hash(key, format!("{id}:{expires}").as_bytes())
        .to_hex()
        .to_string()
}

/// `GET /files/{id}/content`: a link that works without credentials.
pub(crate) async fn content(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let file = load(&state, &id).await?;
    if file.body["downloadable"] != true {
        return Err(ApiError {
            status: StatusCode::FORBIDDEN,
            kind: "permission_error",
            message: format!("File '{id}' is not downloadable."),
            param: None,
        });
    }
    let expires = jiff::Timestamp::now().as_second() + LINK_SECONDS;
    let sig = signature(&link_key(&state).await?, &id, expires);
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    Ok(Json(json!({
        "url": format!("http://{host}/api/v1/cloud/files/{id}/download?expires={expires}&sig={sig}"),
        "expires_at": ids::timestamp(expires * 1_000_000),
    })))
}

/// `GET /files/{id}/download?expires=…&sig=…` (no bearer: the signature is the credential)
pub(crate) async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Response> {
    let expires: i64 = query
        .get("expires")
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let sig = query.get("sig").unwrap_or_default();
    let expected = signature(&link_key(&state).await?, &id, expires);
    if !crate::keys::same_secret(sig, &expected) || expires < jiff::Timestamp::now().as_second() {
        return Err(ApiError::unauthenticated());
    }
    let file = load(&state, &id).await?;
    let row = sqlx::query("SELECT content FROM file_contents WHERE file_id = $1")
        .bind(&id)
        .fetch_optional(&state.store.pool)
        .await?
        .ok_or_else(|| ApiError::not_found("File", &id))?;
    let text: String = row.try_get("content")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(ApiError::internal)?;
    let mime = file.body["mime_type"]
        .as_str()
        .unwrap_or("application/octet-stream")
        .to_owned();
    let disposition = format!(
        "attachment; filename=\"{}\"",
        file.body["filename"]
            .as_str()
            .unwrap_or("file")
            .replace('"', "_")
    );
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
