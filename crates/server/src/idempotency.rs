//! `Idempotency-Key` on POST requests (`cloud-api.md` §2.12): the first
//! successful response is remembered for 24 hours with a fingerprint of
//! the request; the same key and request replay it, the same key with a
//! different request is a 409.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sqlx::Row;

use crate::app::AppState;
use crate::error::ApiError;
use crate::input::MAX_BODY;

const LIFETIME_MICROS: i64 = 24 * 3600 * 1_000_000;

/// The middleware.
pub(crate) async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let key = request
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    let Some(key) = key.filter(|_| request.method() == Method::POST) else {
        return next.run(request).await;
    };
    match handle(&state, key, request, next).await {
        Ok(response) | Err(response) => response,
    }
}

async fn handle(
    state: &AppState,
    key: String,
    request: Request,
    next: Next,
) -> Result<Response, Response> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        ApiError::invalid("Request body must be valid JSON (at most 4 MB).").into_response()
    })?;
    let mut hasher = blake3::Hasher::new();
    hasher.update(parts.method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(parts.uri.path().as_bytes());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let fingerprint = hasher.finalize().to_hex().to_string();
    let now = state.store.seq.next();
    let stored =
        sqlx::query("SELECT fingerprint, status, body, seq FROM idempotency_keys WHERE key = $1")
            .bind(&key)
            .fetch_optional(&state.store.pool)
            .await
            .map_err(|e| ApiError::from(e).into_response())?;
    if let Some(row) = stored {
        let seq: i64 = row.try_get("seq").unwrap_or(0);
        if now - seq < LIFETIME_MICROS {
            let same: String = row.try_get("fingerprint").unwrap_or_default();
            if same != fingerprint {
                return Err(ApiError::conflict(
                    "A request with this idempotency key has already been processed with different parameters.",
                )
                .into_response());
            }
            let status: i32 = row.try_get("status").unwrap_or(200);
            let body: String = row.try_get("body").unwrap_or_default();
            let status = StatusCode::from_u16(u16::try_from(status).unwrap_or(200))
                .unwrap_or(StatusCode::OK);
            let mut response = (status, body).into_response();
            response.headers_mut().insert(
                "content-type",
                axum::http::HeaderValue::from_static("application/json"),
            );
            return Ok(response);
        }
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    if !response.status().is_success() {
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| ApiError::internal(e).into_response())?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let saved = async {
        sqlx::query("DELETE FROM idempotency_keys WHERE key = $1 OR seq < $2")
            .bind(&key)
            .bind(now - LIFETIME_MICROS)
            .execute(&state.store.pool)
            .await?;
        sqlx::query("INSERT INTO idempotency_keys (key, fingerprint, status, body, seq) VALUES ($1, $2, $3, $4, $5)")
            .bind(&key)
            .bind(&fingerprint)
            .bind(i32::from(parts.status.as_u16()))
            .bind(&text)
            .bind(now)
            .execute(&state.store.pool)
            .await
    }
    .await;
    if let Err(error) = saved {
        tracing::warn!(%error, "could not remember an idempotent response");
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}
