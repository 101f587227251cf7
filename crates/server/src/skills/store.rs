//! Skills in the database: the skill row and its version rows in
//! `objects`, each version's zip in `skill_contents` (base64).

use base64::Engine;
use serde_json::{Map, Value, json};
use sqlx::Row;

use super::package::{Package, sha256_hex};
use crate::app::AppState;
use crate::db::{self, ObjectColumns, StoredObject};
use crate::error::{ApiError, ApiResult};
use crate::ids;

/// Object kind of a skill.
pub(crate) const SKILL: &str = "skill";
/// Object kind of a skill version.
pub(crate) const VERSION: &str = "skill_version";

/// The row columns of a skill: its name (lowercase) in `status`, for the
/// `name` prefix filter.
pub(crate) fn skill_columns(body: &Value) -> ObjectColumns {
    ObjectColumns {
        parent_id: None,
        status: body["display_title"].as_str().map(str::to_lowercase),
        archived: false,
    }
}

fn version_columns(skill_id: &str, version: &str) -> ObjectColumns {
    ObjectColumns {
        parent_id: Some(skill_id.to_owned()),
        status: Some(version.to_owned()),
        archived: false,
    }
}

/// The public form of a stored body (internal `_` fields dropped).
pub(crate) fn render(mut body: Value) -> Value {
    if let Some(map) = body.as_object_mut() {
        map.retain(|key, _| !key.starts_with('_'));
    }
    body
}

/// Reads a skill.
pub(crate) async fn load(state: &AppState, id: &str) -> ApiResult<StoredObject> {
    db::get_object(&state.store.pool, SKILL, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Skill", id))
}

/// Reads version `version` (`"3"` or `"latest"`) of a skill.
pub(crate) async fn load_version(
    state: &AppState,
    skill: &StoredObject,
    version: &str,
) -> ApiResult<StoredObject> {
    let wanted = if version == "latest" {
        skill.body["latest_version"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    } else {
        version.to_owned()
    };
    let row = sqlx::query(
        "SELECT id, seq, body FROM objects WHERE kind = $1 AND parent_id = $2 AND status = $3",
    )
    .bind(VERSION)
    .bind(&skill.id)
    .bind(&wanted)
    .fetch_optional(&state.store.pool)
    .await?;
    match row {
        Some(row) => Ok(db::object_from_row(&row)?),
        None => Err(ApiError::not_found_message(format!(
            "Version '{version}' of skill '{}' was not found.",
            skill.id
        ))),
    }
}

/// The zip bytes of a version.
pub(crate) async fn content(state: &AppState, version_id: &str) -> ApiResult<Vec<u8>> {
    let row = sqlx::query("SELECT content FROM skill_contents WHERE version_id = $1")
        .bind(version_id)
        .fetch_optional(&state.store.pool)
        .await?
        .ok_or_else(|| ApiError::internal(format!("skill version {version_id} has no content")))?;
    let text: String = row.try_get("content")?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(ApiError::internal)
}

/// The version numbers of a skill, ascending.
async fn numbers(state: &AppState, skill_id: &str) -> ApiResult<Vec<i64>> {
    let rows = sqlx::query("SELECT status FROM objects WHERE kind = $1 AND parent_id = $2")
        .bind(VERSION)
        .bind(skill_id)
        .fetch_all(&state.store.pool)
        .await?;
    let mut numbers: Vec<i64> = rows
        .iter()
        .filter_map(|row| row.try_get::<String, _>("status").ok())
        .filter_map(|s| s.parse().ok())
        .collect();
    numbers.sort_unstable();
    Ok(numbers)
}

fn version_body(skill_id: &str, number: i64, package: &Package, zip: &[u8], now: &str) -> Value {
    json!({
        "id": ids::new_id("skillver_"),
        "type": "skill_version",
        "skill_id": skill_id,
        "version": number.to_string(),
        "name": package.name,
        "description": package.description,
        "directory": package.directory,
        "status": "active",
        "content_size": zip.len(),
        "content_sha256": sha256_hex(zip),
        "created_at": now,
        "updated_at": now,
    })
}

/// Stores a new skill with version 1.
pub(crate) async fn create(
    state: &AppState,
    package: &Package,
    display_title: Option<String>,
    metadata: Map<String, Value>,
) -> ApiResult<Value> {
    let zip = package.zip()?;
    let seq = state.store.seq.next();
    let now = ids::timestamp(seq);
    let skill = json!({
        "id": ids::new_id("skill_"),
        "type": "skill",
        "display_title": display_title.unwrap_or_else(|| package.name.clone()),
        "description": package.description,
        "source": "custom",
        "latest_version": "1",
        "metadata": metadata,
        "created_at": now,
        "updated_at": now,
        "_versions_made": 1,
    });
    let id = skill["id"].as_str().unwrap_or_default().to_owned();
    let version = version_body(&id, 1, package, &zip, &now);
    let mut tx = state.store.pool.begin().await?;
    let object = StoredObject {
        id: id.clone(),
        seq,
        body: skill.clone(),
    };
    db::insert_object(&mut *tx, SKILL, &object, &skill_columns(&skill)).await?;
    insert_version(&mut tx, state, &id, version, &zip).await?;
    tx.commit().await?;
    Ok(skill)
}

async fn insert_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    state: &AppState,
    skill_id: &str,
    version: Value,
    zip: &[u8],
) -> ApiResult<()> {
    let number = version["version"].as_str().unwrap_or_default().to_owned();
    let object = StoredObject {
        id: version["id"].as_str().unwrap_or_default().to_owned(),
        seq: state.store.seq.next(),
        body: version,
    };
    db::insert_object(
        &mut **tx,
        VERSION,
        &object,
        &version_columns(skill_id, &number),
    )
    .await?;
    sqlx::query("INSERT INTO skill_contents (version_id, content) VALUES ($1, $2)")
        .bind(&object.id)
        .bind(base64::engine::general_purpose::STANDARD.encode(zip))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Adds a version to a skill (it becomes the latest; the skill takes its
/// name and description). Returns the skill and the version.
pub(crate) async fn add_version(
    state: &AppState,
    skill_id: &str,
    package: &Package,
    edit: impl FnOnce(&mut Value),
) -> ApiResult<(Value, Value)> {
    let zip = package.zip()?;
    let lock = state.store.session_lock(skill_id);
    let _guard = lock.lock().await;
    let mut skill = load(state, skill_id).await?.body;
    let made = skill["_versions_made"].as_i64().unwrap_or(0);
    let highest = numbers(state, skill_id).await?.last().copied().unwrap_or(0);
    let number = made.max(highest) + 1;
    let now = ids::timestamp(state.store.seq.next());
    let version = version_body(skill_id, number, package, &zip, &now);
    skill["latest_version"] = json!(number.to_string());
    skill["_versions_made"] = json!(number);
    skill["display_title"] = json!(package.name);
    skill["description"] = json!(package.description);
    skill["updated_at"] = json!(now);
    edit(&mut skill);
    let mut tx = state.store.pool.begin().await?;
    insert_version(&mut tx, state, skill_id, version.clone(), &zip).await?;
    db::update_object(&mut *tx, skill_id, &skill, &skill_columns(&skill)).await?;
    tx.commit().await?;
    Ok((skill, version))
}

/// Rewrites a skill's body.
pub(crate) async fn save(state: &AppState, skill: &Value) -> ApiResult<()> {
    let id = skill["id"].as_str().unwrap_or_default();
    db::update_object(&state.store.pool, id, skill, &skill_columns(skill)).await?;
    Ok(())
}

/// Deletes a skill with all its versions.
pub(crate) async fn delete(state: &AppState, skill_id: &str) -> ApiResult<()> {
    let mut tx = state.store.pool.begin().await?;
    sqlx::query(
        "DELETE FROM skill_contents WHERE version_id IN \
         (SELECT id FROM objects WHERE kind = $1 AND parent_id = $2)",
    )
    .bind(VERSION)
    .bind(skill_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM objects WHERE kind = $1 AND parent_id = $2")
        .bind(VERSION)
        .bind(skill_id)
        .execute(&mut *tx)
        .await?;
    db::delete_object(&mut *tx, skill_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes one version; the skill's latest becomes the highest left. The
/// only version cannot go (delete the skill instead).
pub(crate) async fn delete_version(
    state: &AppState,
    skill_id: &str,
    version: &str,
) -> ApiResult<String> {
    let lock = state.store.session_lock(skill_id);
    let _guard = lock.lock().await;
    let skill = load(state, skill_id).await?;
    let target = load_version(state, &skill, version).await?;
    let number: i64 = target.body["version"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let left: Vec<i64> = numbers(state, skill_id)
        .await?
        .into_iter()
        .filter(|n| *n != number)
        .collect();
    let Some(highest) = left.last() else {
        return Err(ApiError::state_conflict(format!(
            "Version '{number}' is the only version of skill '{skill_id}'; delete the skill instead."
        )));
    };
    let mut body = skill.body;
    body["latest_version"] = json!(highest.to_string());
    body["updated_at"] = json!(ids::timestamp(state.store.seq.next()));
    let mut tx = state.store.pool.begin().await?;
    sqlx::query("DELETE FROM skill_contents WHERE version_id = $1")
        .bind(&target.id)
        .execute(&mut *tx)
        .await?;
    db::delete_object(&mut *tx, &target.id).await?;
    db::update_object(&mut *tx, skill_id, &body, &skill_columns(&body)).await?;
    tx.commit().await?;
    Ok(target.id)
}
