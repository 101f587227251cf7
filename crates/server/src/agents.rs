//! Agents (`cloud-api.md` §5): create, read (with `?version=`), list,
//! update with optimistic concurrency, archive, and the version history.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Map, Value, json};
use sqlx::Row;

use crate::app::AppState;
use crate::db::{self, ObjectColumns, StoredObject};
use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::input::{Fields, JsonObject, QueryPairs, metadata_create, metadata_patch};
use crate::list;
use crate::toolset;

const KIND: &str = "agent";

/// The fields an agent body may set, validated; `None` = not given.
#[derive(Debug, Default)]
struct AgentFields {
    name: Option<String>,
    model: Option<Value>,
    system: Option<String>,
    description: Option<String>,
    tools: Option<Value>,
    mcp_servers: Option<Value>,
    skills: Option<Value>,
    multiagent: Option<Value>,
}

fn bounded(body: &Map<String, Value>, name: &str, max: usize) -> ApiResult<Option<String>> {
    let value = body.opt_str(name)?;
    if let Some(text) = &value
        && text.chars().count() > max
    {
        return Err(ApiError::field(
            name,
            format!("Field '{name}' must be at most {max} characters."),
        ));
    }
    Ok(value)
}

fn read_fields(body: &Map<String, Value>) -> ApiResult<AgentFields> {
    let mut fields = AgentFields::default();
    if body.get("name").is_some_and(|v| !v.is_null()) {
        fields.name = Some(body.required_str("name")?);
        bounded(body, "name", 256)?;
    }
    fields.model = match body.get("model") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(json!(s)),
        Some(Value::Object(map))
            if map
                .get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| !id.trim().is_empty()) =>
        {
            Some(Value::Object(map.clone()))
        }
        Some(_) => {
            return Err(ApiError::field(
                "model",
                "Field 'model' must be a non-empty model ID such as \"ultimate\" (or an object with 'id').",
            ));
        }
    };
    fields.system = bounded(body, "system", 100_000)?;
    fields.description = bounded(body, "description", 2048)?;
    if let Some(servers) = body.opt_array("mcp_servers")? {
        let mut names: Vec<&str> = Vec::new();
        if servers.len() > 20 {
            return Err(ApiError::field(
                "mcp_servers",
                "Field 'mcp_servers' may hold at most 20 entries.",
            ));
        }
        for (index, server) in servers.iter().enumerate() {
            let param = format!("mcp_servers[{index}]");
            let name = server["name"].as_str().unwrap_or_default();
            if server["type"].as_str() != Some("url") {
                return Err(ApiError::field(
                    &format!("{param}.type"),
                    "MCP server type must be 'url'.",
                ));
            }
            if name.is_empty() {
                return Err(ApiError::required(&format!("{param}.name")));
            }
            if server["url"].as_str().unwrap_or_default().is_empty() {
                return Err(ApiError::required(&format!("{param}.url")));
            }
            if names.contains(&name) {
                return Err(ApiError::field(
                    &param,
                    format!("duplicate MCP server name '{name}'"),
                ));
            }
            names.push(name);
        }
        fields.mcp_servers = Some(Value::Array(servers.clone()));
    }
    if let Some(tools) = body.get("tools").filter(|v| !v.is_null()) {
        let servers: Vec<String> = fields
            .mcp_servers
            .as_ref()
            .or(None)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|server| server["name"].as_str().map(str::to_owned))
            .collect();
        toolset::validate(tools, &servers)?;
        fields.tools = Some(tools.clone());
    }
    if let Some(skills) = body.opt_array("skills")? {
        if skills.len() > 20 {
            return Err(ApiError::field(
                "skills",
                "Field 'skills' may hold at most 20 entries.",
            ));
        }
        for (index, skill) in skills.iter().enumerate() {
            let param = format!("skills[{index}]");
            if !matches!(skill["type"].as_str(), Some("qoder" | "custom")) {
                return Err(ApiError::field(
                    &format!("{param}.type"),
                    "skill type must be 'qoder' or 'custom'.",
                ));
            }
            if skill["skill_id"].as_str().unwrap_or_default().is_empty() {
                return Err(ApiError::required(&format!("{param}.skill_id")));
            }
            if skill
                .get("version")
                .is_some_and(|v| !v.is_null() && v.as_str().is_none_or(str::is_empty))
            {
                return Err(ApiError::field(
                    &format!("{param}.version"),
                    "skill version must be a non-empty string.",
                ));
            }
        }
        fields.skills = Some(Value::Array(skills.clone()));
    }
    match body.get("multiagent") {
        None => {}
        Some(Value::Null) => fields.multiagent = Some(Value::Null),
        Some(value) => {
            let agents = value["agents"].as_array();
            let ok = value["type"].as_str() == Some("coordinator")
                && agents.is_some_and(|agents| (1..=20).contains(&agents.len()));
            if !ok {
                return Err(ApiError::field(
                    "multiagent",
                    "multiagent must be {\"type\": \"coordinator\", \"agents\": [1 to 20 entries]}.",
                ));
            }
            fields.multiagent = Some(value.clone());
        }
    }
    Ok(fields)
}

fn columns(body: &Value) -> ObjectColumns {
    ObjectColumns {
        parent_id: None,
        status: None,
        archived: !body["archived_at"].is_null(),
    }
}

async fn store_version<'e, E>(executor: E, body: &Value) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query("INSERT INTO agent_versions (agent_id, version, body) VALUES ($1, $2, $3)")
        .bind(body["id"].as_str().unwrap_or_default())
        .bind(body["version"].as_i64().unwrap_or(1))
        .bind(body.to_string())
        .execute(executor)
        .await?;
    Ok(())
}

/// Reads an agent or 404.
pub(crate) async fn load(state: &AppState, id: &str) -> ApiResult<StoredObject> {
    db::get_object(&state.store.pool, KIND, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Agent", id))
}

/// Reads version `version` of an agent, or 404.
pub(crate) async fn load_version(state: &AppState, id: &str, version: i64) -> ApiResult<Value> {
    let row = sqlx::query("SELECT body FROM agent_versions WHERE agent_id = $1 AND version = $2")
        .bind(id)
        .bind(version)
        .fetch_optional(&state.store.pool)
        .await?;
    let Some(row) = row else {
        return Err(ApiError::not_found_message(format!(
            "Version {version} of agent '{id}' was not found."
        )));
    };
    let body: String = row.try_get("body")?;
    serde_json::from_str(&body).map_err(ApiError::internal)
}

/// `POST /agents`
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<Value>> {
    body.required_str("name")?;
    if body.get("model").is_none_or(Value::is_null) {
        return Err(ApiError::required("model"));
    }
    let fields = read_fields(&body)?;
    let metadata = metadata_create(&body)?;
    let seq = state.store.seq.next();
    let now = ids::timestamp(seq);
    let agent = json!({
        "id": ids::new_id("agent_"),
        "type": "agent",
        "name": fields.name,
        "description": fields.description.unwrap_or_default(),
        "model": fields.model,
        "system": fields.system.unwrap_or_default(),
        "tools": fields.tools.unwrap_or_else(|| json!([])),
        "mcp_servers": fields.mcp_servers.unwrap_or_else(|| json!([])),
        "skills": fields.skills.unwrap_or_else(|| json!([])),
        "metadata": metadata,
        "multiagent": fields.multiagent.unwrap_or(Value::Null),
        "version": 1,
        "archived_at": null,
        "created_at": now,
        "updated_at": now,
    });
    let object = StoredObject {
        id: agent["id"].as_str().unwrap_or_default().to_owned(),
        seq,
        body: agent.clone(),
    };
    let mut tx = state.store.pool.begin().await?;
    db::insert_object(&mut *tx, KIND, &object, &columns(&agent)).await?;
    store_version(&mut *tx, &agent).await?;
    tx.commit().await?;
    Ok(Json(agent))
}

fn positive_version(text: &str) -> ApiResult<i64> {
    match text.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(ApiError::field(
            "version",
            "Field 'version' must be a positive integer.",
        )),
    }
}

/// `GET /agents/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let version = query.get("version").map(positive_version).transpose()?;
    let current = load(&state, &id).await?;
    match version {
        None => Ok(Json(current.body)),
        Some(version) => {
            let mut snapshot = load_version(&state, &id, version).await?;
            snapshot["archived_at"] = current.body["archived_at"].clone();
            Ok(Json(snapshot))
        }
    }
}

/// `POST /agents/{id}`
pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<Value>> {
    let sent = match body.get("version") {
        None | Some(Value::Null) => return Err(ApiError::required("version")),
        Some(value) => value
            .as_i64()
            .ok_or_else(|| ApiError::field("version", "Field 'version' must be an integer."))?,
    };
    let mut fields = read_fields(&body)?;
    let mut tx = state.store.pool.begin().await?;
    let Some(mut object) = db::get_object(&mut *tx, KIND, &id).await? else {
        return Err(ApiError::not_found("Agent", &id));
    };
    let metadata = metadata_patch(&object.body["metadata"], &body)?;
    // Tools may name MCP servers kept from before: re-validate on the result.
    if fields.tools.is_some() || fields.mcp_servers.is_some() {
        let servers = fields
            .mcp_servers
            .clone()
            .unwrap_or_else(|| object.body["mcp_servers"].clone());
        let names: Vec<String> = servers
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|server| server["name"].as_str().map(str::to_owned))
            .collect();
        let tools = fields
            .tools
            .clone()
            .unwrap_or_else(|| object.body["tools"].clone());
        toolset::validate(&tools, &names)?;
    }
    let current = object.body["version"].as_i64().unwrap_or(1);
    if sent != current {
        return Err(ApiError::conflict(format!(
            "Version conflict. Expected version {current}, got {sent}."
        )));
    }
    let agent = &mut object.body;
    for (key, value) in [
        ("name", fields.name.take().map(Value::String)),
        ("model", fields.model.take()),
        ("system", fields.system.take().map(Value::String)),
        ("description", fields.description.take().map(Value::String)),
        ("tools", fields.tools.take()),
        ("mcp_servers", fields.mcp_servers.take()),
        ("skills", fields.skills.take()),
        ("multiagent", fields.multiagent.take()),
    ] {
        if let Some(value) = value {
            agent[key] = value;
        }
    }
    if let Some(metadata) = metadata {
        agent["metadata"] = Value::Object(metadata);
    }
    agent["version"] = json!(current + 1);
    agent["updated_at"] = json!(ids::timestamp(state.store.seq.next()));
    db::update_object(&mut *tx, &id, agent, &columns(agent)).await?;
    store_version(&mut *tx, agent).await?;
    tx.commit().await?;
    Ok(Json(object.body))
}

/// `GET /agents`
pub(crate) async fn list(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let conditions = list::kind_conditions(KIND, &query)?;
    let page = list::objects(&state.store.pool, conditions, &query).await?;
    Ok(Json(page.envelope(|body| body)))
}

/// `POST /agents/{id}/archive`
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

/// `GET /agents/{id}/versions`: highest first; cursors are version numbers.
pub(crate) async fn versions(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    let limit = query.limit()?;
    let below = match query.cursor()? {
        crate::input::Cursor::Start => i64::MAX,
        crate::input::Cursor::After(page) => page
            .parse::<i64>()
            .map_err(|_| ApiError::invalid("Invalid pagination cursor."))?,
        crate::input::Cursor::Before(_) => {
            return Err(ApiError::field(
                "before_id",
                "Agent versions page forward only.",
            ));
        }
    };
    load(&state, &id).await?;
    let rows = sqlx::query(
        "SELECT version, body FROM agent_versions WHERE agent_id = $1 AND version < $2 \
         ORDER BY version DESC LIMIT $3",
    )
    .bind(&id)
    .bind(below)
    .bind(limit as i64 + 1)
    .fetch_all(&state.store.pool)
    .await?;
    let mut data = Vec::new();
    for row in &rows {
        let body: String = row.try_get("body")?;
        data.push(serde_json::from_str::<Value>(&body).map_err(ApiError::internal)?);
    }
    let has_more = data.len() > limit;
    data.truncate(limit);
    let version_of =
        |item: Option<&Value>| item.map(|v| v["version"].as_i64().unwrap_or(0).to_string());
    let first = version_of(data.first());
    let last = version_of(data.last());
    Ok(Json(json!({
        "data": data,
        "first_id": first,
        "last_id": last,
        "has_more": has_more,
        "next_page": if has_more { last } else { None },
    })))
}
