//! Skills (`cloud-api.md` §11): uploads as one `.zip` (`file`, docs) or as
//! separate `files` parts with relative names (SDK), versions, content,
//! and the skills an agent binds.

pub(crate) mod bind;
mod package;
mod store;

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Map, Value, json};

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::input::{Fields, JsonObject, QueryPairs};
use crate::list::{self, Bind};
pub(crate) use package::MAX_ZIP;
use package::{Fallback, Package};

/// What a multipart upload carried.
#[derive(Default)]
struct Upload {
    files: Vec<(String, Vec<u8>)>,
    saw_file: bool,
    display_title: Option<String>,
    metadata: Option<Map<String, Value>>,
}

/// A form text value; the SDK sends `null` for unset optional fields.
fn form_text(text: String) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty() && trimmed != "null").then_some(text)
}

async fn read_form(form: Result<Multipart, MultipartRejection>) -> ApiResult<Upload> {
    let not_form = || ApiError::invalid("Invalid multipart form or request too large.");
    let mut form = form.map_err(|_| not_form())?;
    let mut upload = Upload::default();
    while let Some(field) = form.next_field().await.map_err(|_| not_form())? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                upload.saw_file = true;
                let filename = field.file_name().unwrap_or_default().to_owned();
                let bytes = field.bytes().await.map_err(|_| not_form())?;
                let is_zip = bytes.starts_with(b"PK");
                if !is_zip && !filename.to_ascii_lowercase().ends_with(".zip") {
                    return Err(ApiError::field("file", "Only .zip files are accepted."));
                }
                upload.files.extend(package::unzip(&bytes)?);
            }
            "files" | "files[]" => {
                upload.saw_file = true;
                let filename = field.file_name().map(str::to_owned).ok_or_else(|| {
                    ApiError::field("files", "Each 'files' part needs a filename.")
                })?;
                let bytes = field.bytes().await.map_err(|_| not_form())?;
                upload.files.push((filename, bytes.to_vec()));
            }
            "display_title" => {
                let text = field.text().await.map_err(|_| not_form())?;
                upload.display_title = form_text(text).map(|t| t.trim().to_owned());
            }
            "metadata" => {
                let text = field.text().await.map_err(|_| not_form())?;
                if let Some(text) = form_text(text) {
                    let value: Value = serde_json::from_str(&text).map_err(|_| {
                        ApiError::field("metadata", "Field 'metadata' must be a JSON object.")
                    })?;
                    let mut wrapper = Map::new();
                    wrapper.insert("metadata".into(), value);
                    upload.metadata = Some(crate::input::metadata_create(&wrapper)?);
                }
            }
            "type" => {
                let text = field.text().await.map_err(|_| not_form())?;
                if let Some(kind) = form_text(text)
                    && !["custom", "prebuilt"].contains(&kind.trim())
                {
                    return Err(ApiError::field(
                        "type",
                        "Field 'type' must be one of: custom, prebuilt.",
                    ));
                }
            }
            // `name` and `description` come from SKILL.md.
            _ => {}
        }
    }
    if !upload.saw_file {
        return Err(ApiError::required("file"));
    }
    Ok(upload)
}

/// `POST /skills` (multipart) → 201.
pub(crate) async fn create(
    State(state): State<AppState>,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let upload = read_form(form).await?;
    let package = package::build(upload.files, &Fallback::default())?;
    let skill = store::create(
        &state,
        &package,
        upload.display_title,
        upload.metadata.unwrap_or_default(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(store::render(skill))))
}

/// `GET /skills`
pub(crate) async fn list(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let mut conditions = vec![(
        "kind = ?".to_owned(),
        Some(Bind::Text(store::SKILL.to_owned())),
    )];
    let clean = |text: &str| -> String {
        text.chars()
            .filter(|c| !matches!(c, '%' | '_' | '"' | '\\'))
            .collect()
    };
    if let Some(prefix) = query.get("name") {
        conditions.push((
            "status LIKE ?".to_owned(),
            Some(Bind::Text(format!("{}%", clean(&prefix.to_lowercase())))),
        ));
    }
    if let Some(title) = query.get("display_title") {
        conditions.push((
            "body LIKE ?".to_owned(),
            Some(Bind::Text(format!(
                "%\"display_title\":\"{}%",
                clean(title)
            ))),
        ));
    }
    if let Some(source) = query.get("source") {
        conditions.push((
            "body LIKE ?".to_owned(),
            Some(Bind::Text(format!("%\"source\":\"{}\"%", clean(source)))),
        ));
    }
    let page = list::objects(&state.store.pool, conditions, &query).await?;
    Ok(Json(page.envelope(store::render)))
}

/// `GET /skills/{id}` (`include_content=true` adds the latest zip, base64)
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let skill = store::load(&state, &id).await?;
    let include = query.bool("include_content")?.unwrap_or(false);
    let mut body = skill.body.clone();
    if include {
        let version = store::load_version(&state, &skill, "latest").await?;
        let zip = store::content(&state, &version.id).await?;
        body["content"] = json!(base64::engine::general_purpose::STANDARD.encode(zip));
        body["content_encoding"] = json!("base64");
    }
    Ok(Json(store::render(body)))
}

/// `DELETE /skills/{id}`
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    store::load(&state, &id).await?;
    store::delete(&state, &id).await?;
    Ok(Json(json!({"id": id, "type": "skill_deleted"})))
}

/// `PUT /skills/{id}` (JSON): `name`, `description`, `content` (+
/// `content_encoding: "base64"` for a zip; otherwise the text of
/// `SKILL.md`), `metadata` (replaces). New content makes a new version.
pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<Value>> {
    let current = store::load(&state, &id).await?;
    let name = body.opt_str("name")?.map(|n| n.trim().to_owned());
    if let Some(name) = &name {
        package::check_name(name).map_err(|message| ApiError::field("name", message))?;
    }
    let description = body.opt_str("description")?;
    let metadata = match body.get("metadata") {
        None => None,
        Some(Value::Null) => Some(Map::new()),
        Some(_) => Some(crate::input::metadata_create(&body)?),
    };
    let content = body.opt_str("content")?;
    let encoding = body.opt_str("content_encoding")?;
    if let Some(encoding) = &encoding
        && encoding != "base64"
    {
        return Err(ApiError::field(
            "content_encoding",
            "Field 'content_encoding' must be 'base64' when given.",
        ));
    }
    let skill = match content {
        Some(content) => {
            let fallback = Fallback {
                name: name.clone(),
                description: description.clone(),
                lenient: encoding.is_none(),
            };
            let files = if encoding.is_some() {
                let zip = base64::engine::general_purpose::STANDARD
                    .decode(content.trim())
                    .map_err(|_| {
                        ApiError::field("content", "Field 'content' must be valid base64.")
                    })?;
                package::unzip(&zip)?
            } else {
                vec![("SKILL.md".to_owned(), content.into_bytes())]
            };
            let package = package::build(files, &fallback)?;
            let (skill, _) = store::add_version(&state, &id, &package, |skill| {
                if let Some(metadata) = metadata {
                    skill["metadata"] = json!(metadata);
                }
            })
            .await?;
            skill
        }
        None => {
            let mut skill = current.body;
            if let Some(name) = name {
                skill["display_title"] = json!(name);
            }
            if let Some(description) = description {
                skill["description"] = json!(description.trim());
            }
            if let Some(metadata) = metadata {
                skill["metadata"] = json!(metadata);
            }
            skill["updated_at"] = json!(crate::ids::timestamp(state.store.seq.next()));
            store::save(&state, &skill).await?;
            skill
        }
    };
    Ok(Json(store::render(skill)))
}

/// `GET /skills/{id}/versions`
pub(crate) async fn versions(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    store::load(&state, &id).await?;
    let conditions = vec![
        (
            "kind = ?".to_owned(),
            Some(Bind::Text(store::VERSION.to_owned())),
        ),
        ("parent_id = ?".to_owned(), Some(Bind::Text(id))),
    ];
    let page = list::objects(&state.store.pool, conditions, &query).await?;
    Ok(Json(page.envelope(store::render)))
}

/// `POST /skills/{id}/versions` (multipart `files` or `file`)
pub(crate) async fn create_version(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<Value>> {
    store::load(&state, &id).await?;
    let upload = read_form(form).await?;
    let package: Package = package::build(upload.files, &Fallback::default())?;
    let (_, version) = store::add_version(&state, &id, &package, |skill| {
        if let Some(metadata) = upload.metadata {
            skill["metadata"] = json!(metadata);
        }
    })
    .await?;
    Ok(Json(store::render(version)))
}

/// `GET /skills/{id}/versions/{version}`
pub(crate) async fn version(
    State(state): State<AppState>,
    Path((id, version)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let skill = store::load(&state, &id).await?;
    let version = store::load_version(&state, &skill, &version).await?;
    Ok(Json(store::render(version.body)))
}

/// `DELETE /skills/{id}/versions/{version}`
pub(crate) async fn delete_version(
    State(state): State<AppState>,
    Path((id, version)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let version_id = store::delete_version(&state, &id, &version).await?;
    Ok(Json(
        json!({"id": version_id, "type": "skill_version_deleted"}),
    ))
}

/// `GET /skills/{id}/versions/{version}/content`: the zip itself.
pub(crate) async fn version_content(
    State(state): State<AppState>,
    Path((id, version)): Path<(String, String)>,
) -> ApiResult<Response> {
    let skill = store::load(&state, &id).await?;
    let version = store::load_version(&state, &skill, &version).await?;
    let zip = store::content(&state, &version.id).await?;
    let name = version.body["name"].as_str().unwrap_or("skill").to_owned();
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.zip\""),
            ),
        ],
        zip,
    )
        .into_response())
}
