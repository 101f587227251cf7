//! Load on the Cloud API server, loopback only: N sessions at once, each
//! streamed over SSE while one user message runs a turn against a scripted
//! model. Reports sessions per second and the latency from an event's
//! commit (its `processed_at`) to its arrival at the client, p50 and p99,
//! and fails unless every stream carried every stored event exactly once,
//! in the stored order.
//!
//! Run with `cargo bench -p ferrule-benches --bench cloud`. Environment:
//! `FERRULE_BENCH_SESSIONS` (default 50), `FERRULE_TEST_POSTGRES_URL`
//! (PostgreSQL instead of SQLite: a fresh database is created and dropped,
//! and two servers share it, each session streamed from one replica while
//! its message goes to the other). Under `cargo test` (no `--bench`
//! argument) it does nothing.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use ferrule_server::{Server, ServerConfig};
use ferrule_test_support::{FakeModelServer, openai};
use futures::StreamExt;
use serde_json::{Value, json};
use sqlx::Connection;

const KEY: &str = "bench-key";
/// Per-session bound: a stuck stream fails the run instead of hanging it.
const SESSION_DEADLINE: Duration = Duration::from_secs(120);

fn main() -> Result<()> {
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let sessions: usize = match std::env::var("FERRULE_BENCH_SESSIONS") {
        Ok(text) => text
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .with_context(|| format!("FERRULE_BENCH_SESSIONS={text}: not a positive number"))?,
        Err(_) => 50,
    };
    let postgres = std::env::var("FERRULE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty());
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(sessions, postgres))
}

/// A database of its own on the PostgreSQL server, dropped at the end.
struct BenchDb {
    admin: String,
    name: String,
}

impl BenchDb {
    async fn create(admin: &str) -> Result<(Self, String)> {
        let name = format!("ferrule_bench_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(admin)
            .await
            .context("connecting to FERRULE_TEST_POSTGRES_URL")?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        let mut url = url::Url::parse(admin)?;
        url.set_path(&name);
        let db = Self {
            admin: admin.to_owned(),
            name,
        };
        Ok((db, url.to_string()))
    }

    async fn drop_now(self) -> Result<()> {
        let mut conn = sqlx::PgConnection::connect(&self.admin).await?;
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut conn)
        .await?;
        Ok(())
    }
}

fn config(data: std::path::PathBuf, model: &FakeModelServer) -> ServerConfig {
    let mut config = ServerConfig::from_env(data);
    config.bootstrap_key = Some(KEY.to_owned());
    config.default_model = Some("openai/fake-model".to_owned());
    config.model_env = BTreeMap::from([
        ("FERRULE_MODEL".to_owned(), "openai/fake-model".to_owned()),
        ("OPENAI_BASE_URL".to_owned(), model.base_url()),
        ("OPENAI_API_KEY".to_owned(), "bench".to_owned()),
    ]);
    config.vault_key = Some("ab".repeat(32));
    config
}

async fn run(sessions: usize, postgres: Option<String>) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let model = FakeModelServer::openai().await?;
    for _ in 0..sessions {
        model.mount(openai::text_reply("A scripted answer for the load run."));
    }
    let (db, url) = match &postgres {
        Some(admin) => {
            let (db, url) = BenchDb::create(admin).await?;
            (Some(db), Some(url))
        }
        None => (None, None),
    };
    let replicas = if url.is_some() { 2 } else { 1 };
    let mut servers = Vec::new();
    for n in 0..replicas {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let data = dir.path().join(format!("replica-{n}"));
        servers.push(Server::start(listener, config(data, &model), url.as_deref()).await?);
    }
    let bases: Vec<String> = servers.iter().map(Server::base_url).collect();
    let outcome = measure(&bases, sessions).await;
    for server in servers {
        server.shutdown().await;
    }
    if let Some(db) = db {
        db.drop_now().await?;
    }
    let report = outcome?;
    let backend = if postgres.is_some() {
        "PostgreSQL, 2 replicas"
    } else {
        "SQLite"
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "| backend | sessions | sessions/s | events | latency p50 | latency p99 | exactly once |"
    )?;
    writeln!(out, "| --- | --- | --- | --- | --- | --- | --- |")?;
    writeln!(
        out,
        "| {backend} | {sessions} | {:.1} | {} | {:.2} ms | {:.2} ms | yes |",
        report.per_second, report.events, report.p50_ms, report.p99_ms
    )?;
    Ok(())
}

struct Report {
    per_second: f64,
    events: usize,
    p50_ms: f64,
    p99_ms: f64,
}

async fn measure(bases: &[String], sessions: usize) -> Result<Report> {
    let client = reqwest::Client::new();
    let api = Api {
        client: client.clone(),
    };
    let agent = api
        .post(
            &bases[0],
            "/agents",
            json!({"name": "bench", "model": "ultimate", "tools": []}),
        )
        .await?;
    let envs = api.get(&bases[0], "/environments").await?;
    let mut ids = Vec::with_capacity(sessions);
    for _ in 0..sessions {
        let session = api
            .post(
                &bases[0],
                "/sessions",
                json!({"agent": agent["id"], "environment_id": envs["data"][0]["id"]}),
            )
            .await?;
        ids.push(
            session["id"]
                .as_str()
                .context("session without an id")?
                .to_owned(),
        );
    }
    let api = Arc::new(api);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(sessions);
    for (n, id) in ids.into_iter().enumerate() {
        // With replicas: stream from one, send through the other.
        let stream_at = bases[n % bases.len()].clone();
        let send_at = bases[(n + 1) % bases.len()].clone();
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::timeout(
                SESSION_DEADLINE,
                one_session(&api, &stream_at, &send_at, &id),
            )
            .await
            .with_context(|| format!("session {id} did not finish in time"))?
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    ensure!(!latencies.is_empty(), "no events were streamed");
    latencies.sort_unstable();
    let pick = |q: f64| {
        let index = ((latencies.len() - 1) as f64 * q).round() as usize;
        latencies[index] as f64 / 1000.0
    };
    Ok(Report {
        per_second: sessions as f64 / elapsed,
        events: latencies.len(),
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
    })
}

/// Streams one session through its turn; returns each event's latency in
/// microseconds after checking the stream against the stored log.
async fn one_session(api: &Api, stream_at: &str, send_at: &str, id: &str) -> Result<Vec<i64>> {
    let response = api
        .client
        .get(format!("{stream_at}/sessions/{id}/events/stream"))
        .bearer_auth(KEY)
        .send()
        .await?
        .error_for_status()?;
    let mut body = response.bytes_stream();
    api.post(
        send_at,
        &format!("/sessions/{id}/events"),
        json!({"type": "user.message", "content": "go"}),
    )
    .await?;
    let mut buffer = String::new();
    let mut seen = Vec::new();
    let mut latencies = Vec::new();
    'read: loop {
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data: ")) else {
                continue;
            };
            let event: Value = serde_json::from_str(data)?;
            let received = jiff::Timestamp::now();
            let processed: jiff::Timestamp = event["processed_at"]
                .as_str()
                .context("event without processed_at")?
                .parse()?;
            latencies.push((received - processed).get_microseconds());
            seen.push(event["id"].as_str().unwrap_or_default().to_owned());
            if event["type"] == "session.status_idle"
                && event["stop_reason"]["type"] != "requires_action"
            {
                break 'read;
            }
        }
        match body.next().await {
            Some(chunk) => buffer.push_str(&String::from_utf8_lossy(&chunk?)),
            None => bail!("the stream of {id} ended early"),
        }
    }
    let list = api
        .get(send_at, &format!("/sessions/{id}/events?limit=100"))
        .await?;
    let stored: Vec<String> = list["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    ensure!(
        seen == stored,
        "session {id}: the stream ({} events) differs from the log ({} events)",
        seen.len(),
        stored.len()
    );
    Ok(latencies)
}

struct Api {
    client: reqwest::Client,
}

impl Api {
    async fn get(&self, base: &str, path: &str) -> Result<Value> {
        let response = self
            .client
            .get(format!("{base}{path}"))
            .bearer_auth(KEY)
            .send()
            .await?;
        Self::json(response, path).await
    }

    async fn post(&self, base: &str, path: &str, body: Value) -> Result<Value> {
        let response = self
            .client
            .post(format!("{base}{path}"))
            .bearer_auth(KEY)
            .json(&body)
            .send()
            .await?;
        Self::json(response, path).await
    }

    async fn json(response: reqwest::Response, path: &str) -> Result<Value> {
        let status = response.status();
        let text = response.text().await?;
        ensure!(status.is_success(), "{path}: {status} {text}");
        Ok(serde_json::from_str(&text)?)
    }
}
