//! Scale-out: two `ferrule-server serve` processes on one PostgreSQL
//! database. A client may talk to either: streams on one replica carry the
//! events the other commits, each once and in the stored order, and
//! `Last-Event-ID` resumes exactly on the other replica. Needs
//! `FERRULE_TEST_POSTGRES_URL` (run with `--ignored`); each test creates
//! its own database and drops it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ferrule_test_support::{FakeModelServer, openai};
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_ferrule-server");
const KEY: &str = "replica-test-key";
/// Both replicas seal vault secrets with one key.
const VAULT_KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/// Generous: CI runs on two loaded cores.
const PATIENCE: Duration = Duration::from_secs(30);

/// A database of its own, dropped (with its connections) at the end,
/// also when the test fails.
struct TestDb {
    admin: String,
    name: String,
    url: String,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime: use a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

impl TestDb {
    async fn create() -> Self {
        let admin = std::env::var("FERRULE_TEST_POSTGRES_URL").expect("FERRULE_TEST_POSTGRES_URL");
        let name = format!("ferrule_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&name);
        Self {
            admin,
            name,
            url: url.to_string(),
        }
    }

    /// Ends the listening connections of the replicas (as a network
    /// failure or a PostgreSQL restart would); returns how many.
    async fn kill_listeners(&self) -> usize {
        let mut conn = sqlx::PgConnection::connect(&self.admin).await.unwrap();
        let rows = sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND query LIKE 'LISTEN%'",
        )
        .bind(&self.name)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        rows.len()
    }
}

/// One `ferrule-server serve` process on the shared database.
struct Replica {
    child: Child,
    base: String,
}

impl Replica {
    /// Starts on `127.0.0.1:0` and waits for its readiness log line, which
    /// carries the bound address.
    fn start(data: &Path, db: &TestDb, model: &FakeModelServer) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .args(["--database-url", &db.url])
            .env("FERRULE_API_KEY", KEY)
            .env("FERRULE_VAULT_KEY", VAULT_KEY)
            .env("FERRULE_MODEL", "openai/fake-model")
            .env("OPENAI_BASE_URL", model.base_url())
            .env("OPENAI_API_KEY", "test")
            .env("FERRULE_HOME", data)
            .env("HOME", data)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info,sqlx=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let plain = strip_ansi(&line);
                if plain.contains("ferrule-server ready")
                    && let Some(addr) = plain.split("addr=").nth(1)
                {
                    let _ = tx.send(addr.split_whitespace().next().unwrap_or("").to_owned());
                }
                eprintln!("[replica] {plain}");
            }
        });
        let addr = rx
            .recv_timeout(PATIENCE)
            .expect("the replica never logged its address");
        Self {
            child,
            base: format!("http://{addr}/api/v1/cloud"),
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

struct Api {
    client: reqwest::Client,
}

impl Api {
    async fn call(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.bearer_auth(KEY).send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn post(&self, at: &Replica, path: &str, body: Value) -> Value {
        let (status, value) = self
            .call(self.client.post(format!("{}{path}", at.base)).json(&body))
            .await;
        assert!(status.is_success(), "POST {path}: {status} {value}");
        value
    }

    async fn events(&self, at: &Replica, session: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let mut url = format!("{}/sessions/{session}/events?limit=100", at.base);
            if let Some(cursor) = &page {
                url.push_str(&format!("&page={cursor}"));
            }
            let (status, list) = self.call(self.client.get(url)).await;
            assert_eq!(status, StatusCode::OK, "{list}");
            all.extend(list["data"].as_array().unwrap().iter().cloned());
            match list["next_page"].as_str() {
                Some(next) if list["has_more"] != false => page = Some(next.to_owned()),
                _ => return all,
            }
        }
    }

    /// A session of an agent with `tools`, created on `at`.
    async fn session(&self, at: &Replica, tools: Value) -> String {
        let agent = self
            .post(
                at,
                "/agents",
                json!({"name": "r", "model": "ultimate", "tools": tools}),
            )
            .await;
        let (_, envs) = self
            .call(self.client.get(format!("{}/environments", at.base)))
            .await;
        let session = self
            .post(
                at,
                "/sessions",
                json!({"agent": agent["id"], "environment_id": envs["data"][0]["id"]}),
            )
            .await;
        session["id"].as_str().unwrap().to_owned()
    }

    async fn stream(&self, at: &Replica, session: &str, last: Option<&str>) -> Sse {
        let mut request = self
            .client
            .get(format!("{}/sessions/{session}/events/stream", at.base))
            .bearer_auth(KEY);
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        Sse {
            body: Box::pin(response.bytes_stream().map(|c| c.map(|b| b.to_vec()))),
            buffer: String::new(),
        }
    }
}

/// The event frames of one SSE connection (comments skipped).
struct Sse {
    body: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<Vec<u8>>> + Send>>,
    buffer: String,
}

impl Sse {
    /// The next event; panics when none comes within [`PATIENCE`].
    async fn next(&mut self) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let mut id = String::new();
                let mut data = String::new();
                for line in frame.lines() {
                    if let Some(value) = line.strip_prefix("id: ") {
                        id = value.to_owned();
                    } else if let Some(value) = line.strip_prefix("data: ") {
                        data.push_str(value);
                    }
                }
                if data.is_empty() {
                    continue;
                }
                let event: Value = serde_json::from_str(&data).unwrap();
                assert_eq!(event["id"], id.as_str(), "id: line and data differ");
                return event;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let chunk = tokio::time::timeout(left, self.body.next())
                .await
                .expect("no event within the deadline")
                .expect("the stream ended")
                .unwrap();
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Events up to and including the first one `done` accepts.
    async fn until(&mut self, done: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut events = Vec::new();
        loop {
            let event = self.next().await;
            let stop = done(&event);
            events.push(event);
            if stop {
                return events;
            }
        }
    }
}

fn ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

fn idle_with(stop: &'static str) -> impl Fn(&Value) -> bool {
    move |e| e["type"] == "session.status_idle" && e["stop_reason"]["type"] == stop
}

/// Two replicas on one database; fields drop in order, so the processes
/// end before their database is dropped.
struct Cluster {
    a: Replica,
    b: Replica,
    db: TestDb,
    model: FakeModelServer,
    api: Api,
    _dir: tempfile::TempDir,
}

async fn cluster() -> Cluster {
    let db = TestDb::create().await;
    let model = FakeModelServer::openai().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Migrations run on start; one replica first, so they never race.
    let a = Replica::start(&dir.path().join("a"), &db, &model);
    let b = Replica::start(&dir.path().join("b"), &db, &model);
    Cluster {
        db,
        model,
        a,
        b,
        api: Api {
            client: reqwest::Client::new(),
        },
        _dir: dir,
    }
}

#[tokio::test]
#[ignore = "needs FERRULE_TEST_POSTGRES_URL (a PostgreSQL server)"]
async fn a_stream_on_one_replica_carries_a_turn_committed_by_the_other() {
    let c = cluster().await;
    c.model.mount(openai::tool_calls_reply(
        &[("c1", "Bash", r#"{"command": "echo from-b"}"#)],
        1,
    ));
    c.model
        .mount(openai::text_reply("Done on the other replica."));
    let id = c
        .api
        .session(&c.a, json!([{"type": "agent_toolset_20260401"}]))
        .await;
    let mut on_a = c.api.stream(&c.a, &id, None).await;
    c.api
        .post(
            &c.b,
            &format!("/sessions/{id}/events"),
            json!({"type": "user.message", "content": "go"}),
        )
        .await;
    let streamed = on_a.until(idle_with("end_turn")).await;
    let stored = c.api.events(&c.b, &id).await;
    assert_eq!(ids(&streamed), ids(&stored), "stream on A and log differ");
    assert!(
        streamed.iter().any(|e| e["type"] == "agent.tool_result"),
        "{streamed:#?}"
    );
    // Resume on B after an event in the middle: exactly the rest.
    let middle = streamed.len() / 2;
    let mut on_b = c
        .api
        .stream(&c.b, &id, Some(streamed[middle]["id"].as_str().unwrap()))
        .await;
    let mut rest = Vec::new();
    for _ in middle + 1..streamed.len() {
        rest.push(on_b.next().await);
    }
    assert_eq!(ids(&rest), ids(&streamed[middle + 1..]));
    // Both streams stay open for the next turn, sent through A.
    c.model.mount(openai::text_reply("Second turn."));
    c.api
        .post(
            &c.a,
            &format!("/sessions/{id}/events"),
            json!({"type": "user.message", "content": "again"}),
        )
        .await;
    let next_a = on_a.until(idle_with("end_turn")).await;
    let next_b = on_b.until(idle_with("end_turn")).await;
    assert_eq!(ids(&next_a), ids(&next_b));
    let stored = c.api.events(&c.a, &id).await;
    assert_eq!(ids(&stored[streamed.len()..]), ids(&next_a));
}

#[tokio::test]
#[ignore = "needs FERRULE_TEST_POSTGRES_URL (a PostgreSQL server)"]
async fn concurrent_writes_through_both_replicas_reach_both_streams_in_one_order() {
    let c = cluster().await;
    let id = c.api.session(&c.a, json!([])).await;
    let mut on_a = c.api.stream(&c.a, &id, None).await;
    let mut on_b = c.api.stream(&c.b, &id, None).await;
    // Each title change appends a session.updated event on the replica
    // that took the request; both write the same session at once.
    const EACH: usize = 25;
    let write = |at: &Replica, tag: &'static str| {
        let client = reqwest::Client::new();
        let url = format!("{}/sessions/{id}", at.base);
        async move {
            for n in 0..EACH {
                let response = client
                    .post(&url)
                    .bearer_auth(KEY)
                    .json(&json!({"title": format!("{tag}{n}")}))
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success(), "{}", response.status());
            }
        }
    };
    tokio::join!(write(&c.a, "a"), write(&c.b, "b"));
    let stored = c.api.events(&c.b, &id).await;
    assert_eq!(stored.len(), 2 * EACH, "{stored:#?}");
    let mut from_a = Vec::new();
    let mut from_b = Vec::new();
    for _ in 0..stored.len() {
        from_a.push(on_a.next().await);
        from_b.push(on_b.next().await);
    }
    assert_eq!(ids(&from_a), ids(&stored), "replica A's stream");
    assert_eq!(ids(&from_b), ids(&stored), "replica B's stream");
    // Each replica's own writes keep their order in the shared log.
    for tag in ["a", "b"] {
        let titles: Vec<String> = stored
            .iter()
            .filter_map(|e| e["title"].as_str())
            .filter(|t| t.starts_with(tag))
            .map(str::to_owned)
            .collect();
        let want: Vec<String> = (0..EACH).map(|n| format!("{tag}{n}")).collect();
        assert_eq!(titles, want);
    }
}

#[tokio::test]
#[ignore = "needs FERRULE_TEST_POSTGRES_URL (a PostgreSQL server)"]
async fn events_committed_while_the_listener_is_down_still_arrive() {
    let c = cluster().await;
    let id = c.api.session(&c.a, json!([])).await;
    let mut on_a = c.api.stream(&c.a, &id, None).await;
    c.api
        .post(&c.b, &format!("/sessions/{id}"), json!({"title": "before"}))
        .await;
    assert_eq!(on_a.next().await["title"], "before");
    // Cut every listening connection, then write through B at once: the
    // notification for this write may go nowhere.
    let deadline = Instant::now() + PATIENCE;
    while c.db.kill_listeners().await == 0 {
        assert!(Instant::now() < deadline, "no LISTEN connection found");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for n in 0..5 {
        c.api
            .post(
                &c.b,
                &format!("/sessions/{id}"),
                json!({"title": format!("during{n}")}),
            )
            .await;
    }
    let mut titles = Vec::new();
    for _ in 0..5 {
        titles.push(on_a.next().await["title"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        titles,
        ["during0", "during1", "during2", "during3", "during4"]
    );
    // The listener is back: live delivery goes on.
    c.api
        .post(&c.b, &format!("/sessions/{id}"), json!({"title": "after"}))
        .await;
    assert_eq!(on_a.next().await["title"], "after");
    let stored = c.api.events(&c.a, &id).await;
    assert_eq!(stored.len(), 7);
}
