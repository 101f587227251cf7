//! The router, shared state and the cross-cutting middleware: request IDs,
//! bearer authentication and error envelopes for axum's own rejections.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio_util::sync::CancellationToken;

use crate::error::{ApiError, REQUEST_ID};
use crate::live::LiveTurns;
use crate::store::Store;
use crate::{
    agents, deployment_runs, deployments, dreams, environments, events, files, keys, memories,
    memory_stores, models, sessions, stream, threads, vaults, work,
};
use crate::{resources, skills};

/// Settings of a running server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The data directory (database file, session working directories).
    pub data_dir: PathBuf,
    /// A key accepted without being stored (`FERRULE_API_KEY`).
    pub bootstrap_key: Option<String>,
    /// Quiet time after which an SSE stream gets a heartbeat comment.
    pub heartbeat: Duration,
    /// The server's default model (`FERRULE_MODEL`).
    pub default_model: Option<String>,
    /// Model aliases (`modelAliases` of `<data dir>/settings.json`).
    pub model_aliases: BTreeMap<String, String>,
    /// Environment the model providers read (`OPENAI_BASE_URL`, …).
    pub model_env: BTreeMap<String, String>,
    /// Cap on model requests per turn.
    pub max_model_requests: Option<u32>,
    /// Key sealing vault secrets (`FERRULE_VAULT_KEY`, 64 hex digits);
    /// `None`: `<data dir>/vault.key`.
    pub vault_key: Option<String>,
    /// How often the scheduler looks for due deployment runs and pending
    /// dreams (`FERRULE_SCHEDULER_TICK_MS`, default 1 s).
    pub scheduler_tick: Duration,
    /// Lease the server's own workers hold on a work item, renewed every
    /// third of it (`FERRULE_WORK_LEASE_SECONDS`, default 30).
    pub work_lease: Duration,
    /// Lease an acknowledgement grants until the first heartbeat
    /// (`FERRULE_WORK_ACK_LEASE_SECONDS`, default 30).
    pub work_ack_lease: Duration,
    /// Floor of a heartbeat's `desired_ttl_seconds`
    /// (`FERRULE_WORK_MIN_TTL_SECONDS`, default 10).
    pub work_min_ttl: Duration,
    /// How often the server's own workers look for work queued by other
    /// processes or left by expired leases (`FERRULE_WORK_POLL_MS`, default 500).
    pub work_poll: Duration,
}

impl ServerConfig {
    /// Defaults for a data directory, reading the process environment.
    pub fn from_env(data_dir: PathBuf) -> Self {
        let model_env: BTreeMap<String, String> = std::env::vars()
            .filter(|(k, _)| {
                k.starts_with("OPENAI_") || k.starts_with("ANTHROPIC_") || k.starts_with("FERRULE_")
            })
            .collect();
        let model_aliases = read_aliases(&data_dir.join("settings.json"));
        Self {
            data_dir,
            bootstrap_key: std::env::var("FERRULE_API_KEY")
                .ok()
                .filter(|k| !k.is_empty()),
            heartbeat: Duration::from_secs(15),
            default_model: model_env.get("FERRULE_MODEL").cloned(),
            model_aliases,
            model_env,
            max_model_requests: Some(100),
            vault_key: std::env::var("FERRULE_VAULT_KEY")
                .ok()
                .filter(|k| !k.is_empty()),
            scheduler_tick: std::env::var("FERRULE_SCHEDULER_TICK_MS")
                .ok()
                .and_then(|ms| ms.parse::<u64>().ok())
                .filter(|ms| *ms > 0)
                .map_or(Duration::from_secs(1), Duration::from_millis),
            work_lease: env_duration("FERRULE_WORK_LEASE_SECONDS", 1000, 30_000),
            work_ack_lease: env_duration("FERRULE_WORK_ACK_LEASE_SECONDS", 1000, 30_000),
            work_min_ttl: env_duration("FERRULE_WORK_MIN_TTL_SECONDS", 1000, 10_000),
            work_poll: env_duration("FERRULE_WORK_POLL_MS", 1, 500),
        }
    }
}

/// A positive whole number of `unit_ms` from the environment, else
/// `default_ms`.
fn env_duration(name: &str, unit_ms: u64, default_ms: u64) -> Duration {
    let ms = std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
        .map_or(default_ms, |n| n.saturating_mul(unit_ms));
    Duration::from_millis(ms)
}

/// `modelAliases` of a settings file (`{"modelAliases": {"ultimate":
/// "openai/gpt-4.1"}}`); a missing file is no aliases, a broken one is
/// logged and ignored.
fn read_aliases(path: &std::path::Path) -> BTreeMap<String, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return BTreeMap::new();
    };
    let parsed = serde_json::from_str::<serde_json::Value>(&text)
        .map_err(|e| e.to_string())
        .and_then(|v| ferrule_model::ModelSettings::from_settings(&v).map_err(|e| e.to_string()));
    match parsed {
        Ok(settings) => settings.model_aliases,
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "ignoring the settings file");
            BTreeMap::new()
        }
    }
}

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The state behind [`AppState`].
pub struct Inner {
    /// Database and event log.
    pub(crate) store: Store,
    /// Live turns.
    pub(crate) live: LiveTurns,
    /// Seals vault secrets.
    pub(crate) sealer: crate::seal::Sealer,
    /// Work-queue pollers: environment → worker ID → last poll (µs).
    pub(crate) pollers:
        std::sync::Mutex<std::collections::HashMap<String, std::collections::HashMap<String, i64>>>,
    /// Settings.
    pub(crate) config: ServerConfig,
    /// Fires on shutdown: streams end, turns stop.
    pub(crate) shutdown: CancellationToken,
    /// Turn tasks in flight, to wait for on shutdown and cancel.
    pub(crate) tasks: tokio_util::task::TaskTracker,
    /// Child threads of multiagent sessions this process runs.
    pub(crate) threads: crate::multiagent::LiveThreads,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Wraps the parts.
    pub(crate) fn new(store: Store, sealer: crate::seal::Sealer, config: ServerConfig) -> Self {
        Self(Arc::new(Inner {
            store,
            live: LiveTurns::default(),
            sealer,
            pollers: Default::default(),
            config,
            shutdown: CancellationToken::new(),
            tasks: tokio_util::task::TaskTracker::new(),
            threads: Default::default(),
        }))
    }
}

/// The `/api/v1/cloud` router with its middleware.
pub(crate) fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/models", get(models::list))
        .route(
            "/environments",
            get(environments::list).post(environments::create),
        )
        .route(
            "/environments/{id}",
            get(environments::get)
                .post(environments::update)
                .delete(environments::delete),
        )
        .route("/environments/{id}/archive", post(environments::archive))
        .route("/environments/{id}/work", get(work::list))
        .route("/environments/{id}/work/poll", get(work::poll))
        .route("/environments/{id}/work/stats", get(work::stats))
        .route(
            "/environments/{id}/work/{wid}",
            get(work::get).post(work::update),
        )
        .route("/environments/{id}/work/{wid}/ack", post(work::ack))
        .route(
            "/environments/{id}/work/{wid}/heartbeat",
            post(work::heartbeat),
        )
        .route("/environments/{id}/work/{wid}/stop", post(work::stop))
        .route(
            "/environments/{id}/work/{wid}/session/begin",
            post(crate::worker::api::begin),
        )
        .route(
            "/environments/{id}/work/{wid}/session/events",
            post(crate::worker::api::events),
        )
        .route(
            "/environments/{id}/work/{wid}/session/park",
            post(crate::worker::api::park),
        )
        .route(
            "/environments/{id}/work/{wid}/session/control",
            get(crate::worker::api::control),
        )
        .route(
            "/environments/{id}/work/{wid}/session/finish",
            post(crate::worker::api::finish),
        )
        .route(
            "/environments/{id}/work/{wid}/session/release",
            post(crate::worker::api::release),
        )
        .route("/agents", get(agents::list).post(agents::create))
        .route("/agents/{id}", get(agents::get).post(agents::update))
        .route("/agents/{id}/archive", post(agents::archive))
        .route("/agents/{id}/versions", get(agents::versions))
        .route("/sessions", get(sessions::list).post(sessions::create))
        .route(
            "/sessions/{id}",
            get(sessions::get)
                .post(sessions::update)
                .delete(sessions::delete),
        )
        .route("/sessions/{id}/archive", post(sessions::archive))
        .route("/sessions/{id}/cancel", post(sessions::cancel))
        .route(
            "/sessions/{id}/events",
            get(events::list).post(events::send),
        )
        .route("/sessions/{id}/events/stream", get(stream::handler))
        .route(
            "/sessions/{id}/resources",
            get(resources::list).post(resources::add),
        )
        .route(
            "/sessions/{id}/resources/{rid}",
            get(resources::get)
                .post(resources::update)
                .delete(resources::delete),
        )
        .route("/sessions/{id}/threads", get(threads::list))
        .route("/sessions/{id}/threads/{tid}", get(threads::get))
        .route(
            "/sessions/{id}/threads/{tid}/archive",
            post(threads::archive),
        )
        .route("/sessions/{id}/threads/{tid}/events", get(threads::events))
        .route("/sessions/{id}/threads/{tid}/stream", get(threads::stream))
        .route(
            "/deployments",
            get(deployments::list).post(deployments::create),
        )
        .route(
            "/deployments/{id}",
            get(deployments::get).post(deployments::update),
        )
        .route("/deployments/{id}/pause", post(deployments::pause))
        .route("/deployments/{id}/unpause", post(deployments::unpause))
        .route("/deployments/{id}/archive", post(deployments::archive))
        .route("/deployments/{id}/run", post(deployment_runs::run))
        .route("/deployments/{id}/runs", get(deployment_runs::list))
        .route("/deployments/{id}/runs/{rid}", get(deployment_runs::get))
        .route("/deployment_runs", get(deployment_runs::list_all))
        .route("/deployment_runs/{rid}", get(deployment_runs::get_global))
        .route("/dreams", get(dreams::list).post(dreams::create))
        .route("/dreams/{id}", get(dreams::get))
        .route("/dreams/{id}/cancel", post(dreams::cancel))
        .route("/dreams/{id}/archive", post(dreams::archive))
        .route(
            "/files",
            get(files::list)
                .post(files::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    files::MAX_FILE + 64 * 1024,
                )),
        )
        .route("/files/{id}", get(files::get).delete(files::delete))
        .route("/files/{id}/content", get(files::content))
        .route("/files/{id}/download", get(files::download))
        .route("/vaults", get(vaults::list).post(vaults::create))
        .route("/vaults/{id}", get(vaults::get).delete(vaults::delete))
        .route("/vaults/{id}/archive", post(vaults::archive))
        .route(
            "/vaults/{id}/credentials",
            get(vaults::list_credentials).post(vaults::create_credential),
        )
        .route(
            "/vaults/{id}/credentials/{cid}",
            get(vaults::get_credential)
                .post(vaults::update_credential)
                .delete(vaults::delete_credential),
        )
        .route(
            "/vaults/{id}/credentials/{cid}/archive",
            post(vaults::archive_credential),
        )
        .route(
            "/memory_stores",
            get(memory_stores::list).post(memory_stores::create),
        )
        .route(
            "/memory_stores/{id}",
            get(memory_stores::get)
                .post(memory_stores::update)
                .delete(memory_stores::delete),
        )
        .route("/memory_stores/{id}/archive", post(memory_stores::archive))
        .route(
            "/memory_stores/{id}/memories",
            get(memories::list).post(memories::create),
        )
        .route(
            "/memory_stores/{id}/memories/{mid}",
            get(memories::get)
                .post(memories::update)
                .put(memories::update)
                .delete(memories::delete),
        )
        .route("/memory_stores/{id}/versions", get(memories::versions))
        .route(
            "/memory_stores/{id}/memory_versions",
            get(memories::versions),
        )
        .route("/memory_stores/{id}/versions/{vid}", get(memories::version))
        .route(
            "/memory_stores/{id}/memory_versions/{vid}",
            get(memories::version),
        )
        .route(
            "/memory_stores/{id}/memory_versions/{vid}/redact",
            post(memories::redact),
        )
        .route(
            "/skills",
            get(skills::list)
                .post(skills::create)
                .layer(axum::extract::DefaultBodyLimit::max(
                    skills::MAX_ZIP + 1024 * 1024,
                )),
        )
        .route(
            "/skills/{id}",
            get(skills::get).put(skills::update).delete(skills::delete),
        )
        .route(
            "/skills/{id}/versions",
            get(skills::versions).post(skills::create_version).layer(
                axum::extract::DefaultBodyLimit::max(skills::MAX_ZIP + 1024 * 1024),
            ),
        )
        .route(
            "/skills/{id}/versions/{version}",
            get(skills::version).delete(skills::delete_version),
        )
        .route(
            "/skills/{id}/versions/{version}/content",
            get(skills::version_content),
        );
    Router::new()
        .nest("/api/v1/cloud", api)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::idempotency::layer,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` fires. Trailing slashes
/// are stripped before routing, so `/agents/` and `/agents` are one path.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    use tower_layer::Layer;
    let app = middleware::map_request(strip_trailing_slash).layer(router(state));
    axum::serve(
        listener,
        axum::ServiceExt::<Request>::into_make_service(app),
    )
    .with_graceful_shutdown(async move { shutdown.cancelled().await })
    .await
}

async fn not_found() -> ApiError {
    ApiError::not_found_message("No such endpoint.")
}

async fn strip_trailing_slash(mut request: Request) -> Request {
    let path = request.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/').to_owned();
        let rebuilt = match request.uri().query() {
            Some(query) => format!("{trimmed}?{query}"),
            None => trimmed,
        };
        if let Ok(uri) = rebuilt.parse() {
            *request.uri_mut() = uri;
        }
    }
    request
}

async fn request_id(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 200)
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut response = REQUEST_ID
        .scope(id.clone(), async move {
            let response = next.run(request).await;
            // axum answers a wrong method with a bare 405.
            if response.status() == StatusCode::METHOD_NOT_ALLOWED {
                return ApiError::method_not_allowed().into_response();
            }
            response
        })
        .await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Download links carry their own signature (the SDK fetches them
    // without credentials).
    let path = request.uri().path();
    if path.starts_with("/api/v1/cloud/files/") && path.ends_with("/download") {
        return next.run(request).await;
    }
    let token = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let Some(token) = token else {
        return ApiError::unauthenticated().into_response();
    };
    let bootstrap = state
        .config
        .bootstrap_key
        .as_deref()
        .is_some_and(|key| keys::same_secret(key, token));
    let valid = bootstrap
        || match keys::is_valid(&state.store.pool, token).await {
            Ok(valid) => valid,
            Err(error) => return ApiError::internal(error).into_response(),
        };
    if !valid {
        return ApiError::unauthenticated().into_response();
    }
    next.run(request).await
}
