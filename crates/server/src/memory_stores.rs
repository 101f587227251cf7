//! Memory stores (`cloud-api.md` §10): the stores themselves. Entries and
//! their versions are in `memories`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::db::{self, ObjectColumns, StoredObject};
use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::input::{Fields, JsonObject, QueryPairs, metadata_create, metadata_patch};
use crate::list::{self, Bind};

pub(crate) const KIND: &str = "memory_store";

fn columns(body: &Value) -> ObjectColumns {
    ObjectColumns {
        parent_id: None,
        status: body["status"].as_str().map(str::to_owned),
        archived: body["status"] == "archived",
    }
}

fn trimmed(
    body: &serde_json::Map<String, Value>,
    name: &str,
    max: usize,
) -> ApiResult<Option<String>> {
    let Some(text) = body.opt_str(name)? else {
        return Ok(None);
    };
    let text = text.trim().to_owned();
    if text.chars().count() > max {
        return Err(ApiError::field(
            name,
            format!("Field '{name}' must be at most {max} characters."),
        ));
    }
    Ok(Some(text))
}

/// Reads a store (not deleted) or 404.
pub(crate) async fn load(state: &AppState, id: &str) -> ApiResult<StoredObject> {
    let object = db::get_object(&state.store.pool, KIND, id).await?;
    match object {
        Some(object) if object.body["deleted"] != true => Ok(object),
        _ => Err(ApiError::not_found("Memory store", id)),
    }
}

/// Writes a store back (counters, timestamps).
pub(crate) async fn save<'e, E>(executor: E, store: &Value) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    db::update_object(
        executor,
        store["id"].as_str().unwrap_or_default(),
        store,
        &columns(store),
    )
    .await
}

/// The store as the API shows it (without the internal deletion flag).
pub(crate) fn render(mut body: Value) -> Value {
    if let Some(map) = body.as_object_mut() {
        map.remove("deleted");
    }
    body
}

/// `POST /memory_stores` → 201
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let name = trimmed(&body, "name", 64)?
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::required("name"))?;
    let description = trimmed(&body, "description", 1024)?.unwrap_or_default();
    let metadata = metadata_create(&body)?;
    let seq = state.store.seq.next();
    let now = ids::timestamp(seq);
    let store = json!({
        "id": ids::new_id("memstore_"),
        "type": "memory_store",
        "name": name,
        "description": description,
        "status": "active",
        "entry_count": 0,
        "total_size": 0,
        "metadata": metadata,
        "created_at": now,
        "updated_at": now,
    });
    let object = StoredObject {
        id: store["id"].as_str().unwrap_or_default().to_owned(),
        seq,
        body: store.clone(),
    };
    db::insert_object(&state.store.pool, KIND, &object, &columns(&store)).await?;
    Ok((StatusCode::CREATED, Json(store)))
}

/// `GET /memory_stores/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(render(load(&state, &id).await?.body)))
}

/// `POST /memory_stores/{id}` (the SDK's update)
pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonObject(patch): JsonObject,
) -> ApiResult<Json<Value>> {
    let name = trimmed(&patch, "name", 64)?;
    if name.as_deref() == Some("") {
        return Err(ApiError::field("name", "Field 'name' must not be empty."));
    }
    let description = trimmed(&patch, "description", 1024)?;
    let mut object = load(&state, &id).await?;
    let metadata = metadata_patch(&object.body["metadata"], &patch)?;
    let body = &mut object.body;
    if let Some(name) = name {
        body["name"] = json!(name);
    }
    if let Some(description) = description {
        body["description"] = json!(description);
    }
    if let Some(metadata) = metadata {
        body["metadata"] = Value::Object(metadata);
    }
    body["updated_at"] = json!(ids::timestamp(state.store.seq.next()));
    save(&state.store.pool, body).await?;
    Ok(Json(render(object.body)))
}

/// `GET /memory_stores`
pub(crate) async fn list(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let mut conditions = vec![
        ("kind = ?".to_owned(), Some(Bind::Text(KIND.to_owned()))),
        ("body NOT LIKE '%\"deleted\":true%'".to_owned(), None),
    ];
    if query.bool("include_archived")? != Some(true) {
        conditions.push(("archived = 0".to_owned(), None));
    }
    for (op, micros) in query.created_at()? {
        conditions.push((format!("seq {op} ?"), Some(Bind::Int(micros))));
    }
    let name = query.get("name").map(str::to_lowercase);
    let page = list::objects(&state.store.pool, conditions, &query).await?;
    let mut envelope = page.envelope(render);
    if let Some(name) = name
        && let Some(items) = envelope["data"].as_array_mut()
    {
        items.retain(|store| {
            store["name"]
                .as_str()
                .is_some_and(|n| n.to_lowercase().contains(&name))
        });
    }
    Ok(Json(envelope))
}

/// `POST /memory_stores/{id}/archive` (409 when already archived)
pub(crate) async fn archive(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut object = load(&state, &id).await?;
    if object.body["status"] == "archived" {
        return Err(ApiError::conflict(format!(
            "Memory store '{id}' is already archived."
        )));
    }
    let now = ids::timestamp(state.store.seq.next());
    object.body["status"] = json!("archived");
    object.body["archived_at"] = json!(now);
    object.body["updated_at"] = json!(now);
    save(&state.store.pool, &object.body).await?;
    Ok(Json(render(object.body)))
}

/// `DELETE /memory_stores/{id}` → 204 (soft delete)
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let mut object = load(&state, &id).await?;
    object.body["deleted"] = json!(true);
    save(&state.store.pool, &object.body).await?;
    Ok(StatusCode::NO_CONTENT)
}
