//! API keys: random, shown once, stored as a BLAKE3 hash (`cloud-api.md` §15.3).

use sqlx::{AnyPool, Row};

use crate::ids;

/// A key just created: the secret (never stored) and its record ID.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// Record ID (`key_…`).
    pub id: String,
    /// The bearer secret, shown once.
    pub secret: String,
}

fn hash(secret: &str) -> String {
    blake3::hash(secret.as_bytes()).to_hex().to_string()
}

/// Creates and stores a key named `name`.
pub async fn create(pool: &AnyPool, name: &str) -> Result<NewKey, sqlx::Error> {
    let secret = format!(
        "fsk_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let id = ids::new_id("key_");
    let now = ids::timestamp(jiff::Timestamp::now().as_microsecond());
    sqlx::query("INSERT INTO api_keys (id, name, hash, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(name)
        .bind(hash(&secret))
        .bind(now)
        .execute(pool)
        .await?;
    Ok(NewKey { id, secret })
}

/// Whether `secret` is a stored key that was not revoked.
pub async fn is_valid(pool: &AnyPool, secret: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT revoked_at FROM api_keys WHERE hash = $1")
        .bind(hash(secret))
        .fetch_optional(pool)
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<Option<String>, _>("revoked_at")?.is_none(),
        None => false,
    })
}

/// Revokes the key with record ID `id`; false when there is none.
pub async fn revoke(pool: &AnyPool, id: &str) -> Result<bool, sqlx::Error> {
    let now = ids::timestamp(jiff::Timestamp::now().as_microsecond());
    let done =
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// Constant-time comparison of two secrets.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
