//! The database: one sqlx `Any` pool over SQLite (default) or PostgreSQL,
//! the embedded migrations, and the generic object table.

use std::borrow::Cow;
use std::path::Path;

use serde_json::Value;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Row};

/// Error opening or migrating the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Connecting failed.
    #[error("cannot open database {url}: {source}")]
    Connect {
        /// The URL with any password removed.
        url: String,
        /// Why.
        source: sqlx::Error,
    },
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database: {0}")]
    Query(#[from] sqlx::Error),
}

/// The migrations, embedded so the binary needs no files next to it.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (
        2,
        "idempotency",
        include_str!("../migrations/0002_idempotency.sql"),
    ),
    (3, "files", include_str!("../migrations/0003_files.sql")),
    (
        4,
        "deployments",
        include_str!("../migrations/0004_deployments.sql"),
    ),
    (5, "skills", include_str!("../migrations/0005_skills.sql")),
    (
        6,
        "work_queue",
        include_str!("../migrations/0006_work_queue.sql"),
    ),
    (7, "threads", include_str!("../migrations/0007_threads.sql")),
];

/// The database URL for a data directory: `DIR/ferrule-server.db`.
pub fn sqlite_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("ferrule-server.db").display()
    )
}

/// Opens the database and runs the migrations.
pub async fn open(url: &str, data_dir: &Path) -> Result<AnyPool, DbError> {
    install_default_drivers();
    std::fs::create_dir_all(data_dir).map_err(|source| DbError::DataDir {
        path: data_dir.display().to_string(),
        source,
    })?;
    let sqlite = url.starts_with("sqlite:");
    let pool = AnyPoolOptions::new()
        // One SQLite connection: writes are serialized by SQLite anyway, and
        // a deferred transaction that upgrades to a write while another
        // connection writes fails at once with SQLITE_BUSY.
        .max_connections(if sqlite { 1 } else { 16 })
        .connect(url)
        .await
        .map_err(|source| DbError::Connect {
            url: redact(url),
            source,
        })?;
    if sqlite {
        sqlx::query("PRAGMA journal_mode=WAL")
            .execute(&pool)
            .await?;
    }
    let migrations: Vec<Migration> = MIGRATIONS
        .iter()
        .map(|(version, name, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*name),
                MigrationType::Simple,
                Cow::Borrowed(*sql),
                false,
            )
        })
        .collect();
    let migrator = Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    };
    migrator.run(&pool).await?;
    Ok(pool)
}

fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// The largest sequence value stored anywhere (the sequence starts above it).
pub async fn max_seq(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    let objects: Option<i64> = sqlx::query("SELECT MAX(seq) AS m FROM objects")
        .fetch_one(pool)
        .await?
        .try_get("m")?;
    let events: Option<i64> = sqlx::query("SELECT MAX(seq) AS m FROM events")
        .fetch_one(pool)
        .await?
        .try_get("m")?;
    Ok(objects.unwrap_or(0).max(events.unwrap_or(0)))
}

/// A stored object: its JSON body and bookkeeping columns.
#[derive(Debug, Clone)]
pub struct StoredObject {
    /// The ID.
    pub id: String,
    /// Ordering sequence (= creation time in microseconds).
    pub seq: i64,
    /// The JSON the API returns (before per-read fields are added).
    pub body: Value,
}

/// Decodes a row of `objects` (`id`, `seq`, `body`).
pub fn object_from_row(row: &sqlx::any::AnyRow) -> Result<StoredObject, sqlx::Error> {
    let body: String = row.try_get("body")?;
    let body = serde_json::from_str(&body).map_err(|error| sqlx::Error::Decode(Box::new(error)))?;
    Ok(StoredObject {
        id: row.try_get("id")?,
        seq: row.try_get("seq")?,
        body,
    })
}

/// Reads one object of a kind.
pub async fn get_object<'e, E>(
    executor: E,
    kind: &str,
    id: &str,
) -> Result<Option<StoredObject>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query("SELECT id, seq, body FROM objects WHERE kind = $1 AND id = $2")
        .bind(kind)
        .bind(id)
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(object_from_row).transpose()
}

/// Columns of an object row besides its body.
#[derive(Debug, Clone, Default)]
pub struct ObjectColumns {
    /// Owning object (the agent of a session).
    pub parent_id: Option<String>,
    /// Status, for objects that have one.
    pub status: Option<String>,
    /// Whether it is archived.
    pub archived: bool,
}

/// Inserts an object.
pub async fn insert_object<'e, E>(
    executor: E,
    kind: &str,
    object: &StoredObject,
    columns: &ObjectColumns,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO objects (id, kind, seq, parent_id, status, archived, body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&object.id)
    .bind(kind)
    .bind(object.seq)
    .bind(columns.parent_id.clone())
    .bind(columns.status.clone())
    .bind(i32::from(columns.archived))
    .bind(object.body.to_string())
    .execute(executor)
    .await?;
    Ok(())
}

/// Rewrites an object's body and columns.
pub async fn update_object<'e, E>(
    executor: E,
    id: &str,
    body: &Value,
    columns: &ObjectColumns,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE objects SET body = $1, parent_id = $2, status = $3, archived = $4 WHERE id = $5",
    )
    .bind(body.to_string())
    .bind(columns.parent_id.clone())
    .bind(columns.status.clone())
    .bind(i32::from(columns.archived))
    .bind(id)
    .execute(executor)
    .await?;
    Ok(())
}

/// Deletes an object.
pub async fn delete_object<'e, E>(executor: E, id: &str) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query("DELETE FROM objects WHERE id = $1")
        .bind(id)
        .execute(executor)
        .await?;
    Ok(())
}

/// Reads a server setting.
pub async fn meta_get(pool: &AnyPool, key: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT value FROM server_meta WHERE key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await?;
    row.map(|row| row.try_get("value")).transpose()
}

/// Writes a server setting.
pub async fn meta_set<'e, E>(executor: E, key: &str, value: &str) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query("INSERT INTO server_meta (key, value) VALUES ($1, $2)")
        .bind(key)
        .bind(value)
        .execute(executor)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_migration_file_is_embedded_in_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files.len(), super::MIGRATIONS.len());
        for (file, (version, name, _)) in files.iter().zip(super::MIGRATIONS) {
            assert_eq!(file, &format!("{version:04}_{name}.sql"));
        }
    }
}
