//! `ferrule-server worker`: serves a self-hosted environment from another
//! machine. It long-polls the server's work queue, acknowledges what it
//! gets, keeps each item's lease with heartbeats (a stop request
//! interrupts the turn) and runs the turn in `<data dir>/workspaces/<session
//! id>` through the worker-facing endpoints. On shutdown it gives unfinished
//! turns back, so another worker takes them over at once.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::app::ServerConfig;
use crate::backend::HttpBackend;
use crate::runner::run_turn;
use crate::turn::TurnConfig;

/// Settings of a worker.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// The server: `http://HOST:PORT` or its `…/api/v1/cloud` base URL.
    pub server: String,
    /// The self-hosted environment to serve (`env_…`).
    pub environment: String,
    /// The API key it authenticates with.
    pub api_key: String,
    /// Its `Worker-ID`.
    pub worker_id: String,
    /// Lease it asks for in heartbeats (seconds; the server clamps it).
    pub ttl_seconds: u64,
    /// Data directory (session working directories) and the model settings
    /// (`FERRULE_MODEL`, `OPENAI_*`, `ANTHROPIC_*`, model aliases).
    pub config: ServerConfig,
}

/// Why a worker stopped.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The server refused the worker (bad key, unknown or not self-hosted
    /// environment).
    #[error("the server refused the worker: {0}")]
    Refused(String),
}

fn api_base(server: &str) -> String {
    let server = server.trim_end_matches('/');
    if server.ends_with("/api/v1/cloud") {
        server.to_owned()
    } else {
        format!("{server}/api/v1/cloud")
    }
}

struct Worker {
    options: WorkerOptions,
    client: reqwest::Client,
    queue: String,
    turn: TurnConfig,
}

/// Serves the environment until `shutdown` fires; running turns are then
/// given back and the call returns once they have stopped.
pub async fn run(options: WorkerOptions, shutdown: CancellationToken) -> Result<(), WorkerError> {
    let queue = format!(
        "{}/environments/{}/work",
        api_base(&options.server),
        options.environment
    );
    let worker = Arc::new(Worker {
        turn: TurnConfig::from_config(&options.config),
        client: reqwest::Client::new(),
        queue,
        options,
    });
    let tasks = TaskTracker::new();
    let result = poll_loop(&worker, &tasks, &shutdown).await;
    shutdown.cancel();
    tasks.close();
    tasks.wait().await;
    result
}

async fn poll_loop(
    worker: &Arc<Worker>,
    tasks: &TaskTracker,
    shutdown: &CancellationToken,
) -> Result<(), WorkerError> {
    while !shutdown.is_cancelled() {
        let request = worker
            .client
            .get(format!("{}/poll?block_ms=900", worker.queue))
            .bearer_auth(&worker.options.api_key)
            .header("Worker-ID", &worker.options.worker_id)
            .timeout(Duration::from_secs(30));
        let response = tokio::select! {
            response = request.send() => response,
            () = shutdown.cancelled() => return Ok(()),
        };
        let item = match response {
            Ok(response) if response.status().is_success() => {
                response.json::<Value>().await.unwrap_or(Value::Null)
            }
            Ok(response) if response.status().is_client_error() => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                return Err(WorkerError::Refused(format!("{status}: {text}")));
            }
            Ok(response) => {
                tracing::warn!(status = %response.status(), "polling failed; retrying");
                pause(shutdown).await;
                continue;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot reach the server; retrying");
                pause(shutdown).await;
                continue;
            }
        };
        let (Some(id), Some(secret)) = (item["id"].as_str(), item["secret"].as_str()) else {
            continue;
        };
        let ack = worker
            .client
            .post(format!("{}/{id}/ack", worker.queue))
            .bearer_auth(&worker.options.api_key)
            .header("Worker-ID", &worker.options.worker_id)
            .send()
            .await;
        if !ack.is_ok_and(|r| r.status().is_success()) {
            tracing::warn!(work_id = id, "could not acknowledge; leaving it");
            continue;
        }
        tracing::info!(work_id = id, session = %item["data"]["id"], "serving a work item");
        // A reclaimed item carries its former worker's last heartbeat: the
        // lease this worker takes over.
        let last = item["latest_heartbeat_at"]
            .as_str()
            .unwrap_or("NO_HEARTBEAT")
            .to_owned();
        tasks.spawn(serve(
            worker.clone(),
            Delivery {
                work_id: id.to_owned(),
                secret: secret.to_owned(),
                last_heartbeat: last,
            },
            shutdown.child_token(),
        ));
    }
    Ok(())
}

async fn pause(shutdown: &CancellationToken) {
    tokio::select! {
        () = tokio::time::sleep(Duration::from_secs(1)) => {}
        () = shutdown.cancelled() => {}
    }
}

/// A polled item: its ID, the delivery's secret, and the lease it holds.
struct Delivery {
    work_id: String,
    secret: String,
    last_heartbeat: String,
}

async fn serve(worker: Arc<Worker>, delivery: Delivery, abort: CancellationToken) {
    let Delivery {
        work_id,
        secret,
        last_heartbeat,
    } = delivery;
    let interrupt = CancellationToken::new();
    let done = CancellationToken::new();
    let beats = tokio::spawn(heartbeats(
        worker.clone(),
        work_id.clone(),
        last_heartbeat,
        [interrupt.clone(), abort.clone(), done.clone()],
    ));
    let backend = Arc::new(HttpBackend {
        client: worker.client.clone(),
        base: format!("{}/{work_id}/session", worker.queue),
        api_key: worker.options.api_key.clone(),
        secret,
    });
    let outcome = run_turn(backend, &worker.turn, abort, interrupt).await;
    done.cancel();
    let _ = beats.await;
    tracing::info!(%work_id, ?outcome, "work item done");
}

/// Extends the lease every third of its TTL, naming the last heartbeat so
/// a reclaimed item answers 412/409 and the turn stops.
/// `tokens`: interrupt (a stop request), abort (the lease is lost), done.
async fn heartbeats(
    worker: Arc<Worker>,
    work_id: String,
    mut last: String,
    tokens: [CancellationToken; 3],
) {
    let [interrupt, abort, done] = tokens;
    let ttl = worker.options.ttl_seconds.max(1);
    let every = Duration::from_millis(ttl * 1000 / 3).max(Duration::from_millis(100));
    loop {
        let request = worker
            .client
            .post(format!("{}/{work_id}/heartbeat", worker.queue))
            .bearer_auth(&worker.options.api_key)
            .query(&[
                ("expected_last_heartbeat", last.as_str()),
                ("desired_ttl_seconds", &ttl.to_string()),
            ])
            .timeout(every.max(Duration::from_secs(2)))
            .send()
            .await;
        match request {
            Ok(response) if response.status().is_success() => {
                let beat: Value = response.json().await.unwrap_or(Value::Null);
                if let Some(stamp) = beat["last_heartbeat"].as_str() {
                    last = stamp.to_owned();
                }
                if beat["state"] == "stopping" {
                    interrupt.cancel();
                }
            }
            Ok(response)
                if matches!(
                    response.status(),
                    StatusCode::CONFLICT | StatusCode::PRECONDITION_FAILED | StatusCode::NOT_FOUND
                ) =>
            {
                tracing::warn!(%work_id, status = %response.status(), "lease lost; stopping the turn");
                abort.cancel();
                return;
            }
            Ok(response) => {
                tracing::warn!(%work_id, status = %response.status(), "heartbeat failed")
            }
            Err(error) => tracing::warn!(%work_id, %error, "heartbeat failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = done.cancelled() => return,
        }
    }
}
