//! Self-hosted environments served by real `ferrule-server worker`
//! processes: the normal event flow with a `requires_action` round trip, a
//! worker killed mid-turn whose lease expires and whose turn a second
//! worker finishes, every event exactly once for a `Last-Event-ID` client;
//! and (PostgreSQL) two servers on one database with two workers.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ferrule_server::{Server, ServerConfig};
use ferrule_test_support::{FakeModelServer, Reply, openai};
use futures::StreamExt;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_ferrule-server");
const KEY: &str = "worker-test-key";
const DEADLINE: Duration = Duration::from_secs(30);

fn config(data: &Path, model: &FakeModelServer) -> ServerConfig {
    let mut config = ServerConfig::from_env(data.to_path_buf());
    config.bootstrap_key = Some(KEY.to_owned());
    config.heartbeat = Duration::from_millis(300);
    config.default_model = Some("openai/fake-model".to_owned());
    config.model_env = BTreeMap::from([
        ("FERRULE_MODEL".to_owned(), "openai/fake-model".to_owned()),
        ("OPENAI_BASE_URL".to_owned(), model.base_url()),
        ("OPENAI_API_KEY".to_owned(), "test".to_owned()),
    ]);
    // Short leases so a killed worker's item is reclaimed in about a second.
    config.work_min_ttl = Duration::from_secs(1);
    config.work_ack_lease = Duration::from_secs(2);
    config.work_lease = Duration::from_secs(2);
    config.work_poll = Duration::from_millis(100);
    config
}

async fn server(data: &Path, model: &FakeModelServer, url: Option<&str>) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    Server::start(listener, config(data, model), url)
        .await
        .unwrap()
}

/// A server whose leases outlast a loaded machine's pauses: for tests in
/// which no lease should ever run out.
async fn steady_server(data: &Path, model: &FakeModelServer, url: Option<&str>) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = config(data, model);
    config.work_min_ttl = Duration::from_secs(10);
    config.work_ack_lease = Duration::from_secs(30);
    config.work_lease = Duration::from_secs(30);
    Server::start(listener, config, url).await.unwrap()
}

/// A `ferrule-server worker` process; killed when dropped.
struct Worker(Child);

impl Worker {
    fn start(server: &Server, env: &str, data: &Path, model: &FakeModelServer, id: &str) -> Self {
        Self::start_with_ttl(server, env, data, model, id, 1)
    }

    /// A worker asking for `ttl` seconds per heartbeat.
    fn start_with_ttl(
        server: &Server,
        env: &str,
        data: &Path,
        model: &FakeModelServer,
        id: &str,
        ttl: u64,
    ) -> Self {
        let child = Command::new(BIN)
            .args(["worker", "--server", &format!("http://{}", server.addr())])
            .args(["--environment", env, "--api-key", KEY, "--worker-id", id])
            .args(["--ttl-seconds", &ttl.to_string(), "--data-dir"])
            .arg(data)
            .env("FERRULE_MODEL", "openai/fake-model")
            .env("OPENAI_BASE_URL", model.base_url())
            .env("OPENAI_API_KEY", "test")
            .env("FERRULE_HOME", data)
            .env("HOME", data)
            .env("RUST_LOG", "warn")
            .env_remove("FERRULE_API_KEY")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        Self(child)
    }

    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// SIGTERM, then the exit status (the in-process server keeps serving
    /// meanwhile: the worker gives its turns back through it).
    async fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        let start = Instant::now();
        while start.elapsed() < DEADLINE {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("worker did not exit on SIGTERM");
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    fn new(server: &Server) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: server.base_url(),
        }
    }

    async fn call(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request.bearer_auth(KEY).send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{status}: {body}");
        body
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(self.client.post(format!("{}{path}", self.base)).json(&body))
            .await
    }

    async fn get(&self, path: &str) -> Value {
        self.call(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    async fn events(&self, session: &str) -> Vec<Value> {
        let page = self
            .get(&format!("/sessions/{session}/events?limit=100"))
            .await;
        page["data"].as_array().unwrap().clone()
    }

    /// Polls until `done` holds for the session's events; returns them.
    async fn wait(&self, session: &str, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let events = self.events(session).await;
            if done(&events) {
                return events;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "{what} never happened: {:?}",
                types(&events)
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// A self-hosted environment, an agent and a session on it.
    async fn setup(&self, tools: Value) -> (String, String) {
        let env = self
            .post(
                "/environments",
                json!({"name": "mine", "config": {"type": "self_hosted"}}),
            )
            .await;
        let env = env["id"].as_str().unwrap().to_owned();
        let agent = self
            .post(
                "/agents",
                json!({"name": "w", "model": "ultimate", "tools": tools}),
            )
            .await;
        let session = self
            .post(
                "/sessions",
                json!({"agent": agent["id"], "environment_id": env}),
            )
            .await;
        (env, session["id"].as_str().unwrap().to_owned())
    }

    async fn say(&self, session: &str, text: &str) {
        self.post(
            &format!("/sessions/{session}/events"),
            json!({"type": "user.message", "content": text}),
        )
        .await;
    }
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().filter_map(|e| e["type"].as_str()).collect()
}

fn ended(events: &[Value], stop: &str) -> bool {
    events
        .last()
        .is_some_and(|e| e["type"] == "session.status_idle" && e["stop_reason"]["type"] == stop)
}

/// Reads SSE frames (`id`, `event`) of a session's stream.
struct Sse {
    body: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<Vec<u8>>> + Send>>,
    buffer: String,
}

impl Sse {
    async fn open(api: &Api, session: &str, last: Option<&str>) -> Self {
        let mut request = api
            .client
            .get(format!("{}/sessions/{session}/events/stream", api.base))
            .bearer_auth(KEY);
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last);
        }
        let response = request.send().await.unwrap();
        assert!(response.status().is_success());
        Self {
            body: Box::pin(response.bytes_stream().map(|c| c.map(|b| b.to_vec()))),
            buffer: String::new(),
        }
    }

    /// The next event frame: (id, data).
    async fn next(&mut self) -> (String, Value) {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut data) = (String::new(), String::new());
                for line in frame.lines() {
                    if let Some(value) = line.strip_prefix("id:") {
                        id = value.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim_start());
                    }
                }
                if !id.is_empty() {
                    return (id, serde_json::from_str(&data).unwrap());
                }
            }
            let chunk = tokio::time::timeout(DEADLINE, self.body.next())
                .await
                .expect("stream went quiet")
                .expect("stream ended")
                .unwrap();
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Frames until a `session.status_idle` with stop reason `stop`.
    async fn until_idle(&mut self, stop: &str, seen: &mut Vec<(String, Value)>) {
        loop {
            let (id, data) = self.next().await;
            let done = data["type"] == "session.status_idle" && data["stop_reason"]["type"] == stop;
            seen.push((id, data));
            if done {
                return;
            }
        }
    }
}

fn assert_exactly_once(streamed: &[(String, Value)], listed: &[Value]) {
    let ids: Vec<&str> = streamed.iter().map(|(id, _)| id.as_str()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(
        unique.len(),
        ids.len(),
        "a streamed event came twice: {ids:?}"
    );
    let listed: Vec<&str> = listed.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids, listed, "the stream and the list differ");
}

#[tokio::test]
async fn a_worker_process_serves_a_self_hosted_session() {
    let dir = tempfile::tempdir().unwrap();
    let model = FakeModelServer::openai().await.unwrap();
    let server = server(&dir.path().join("server"), &model, None).await;
    let api = Api::new(&server);
    let ask = json!([{"type": "agent_toolset_20260401", "enabled_tools": ["Bash"],
                      "default_config": {"permission_policy": {"type": "always_ask"}}}]);
    let (env, session) = api.setup(ask).await;
    model.mount(openai::tool_calls_reply(
        &[(
            "call_1",
            "Bash",
            r#"{"command": "echo worked > proof.txt"}"#,
        )],
        1,
    ));
    model.mount(openai::text_reply("Written on the worker."));
    let worker_dir = dir.path().join("worker");
    let mut worker = Worker::start(&server, &env, &worker_dir, &model, "w1");
    let mut stream = Sse::open(&api, &session, None).await;
    api.say(&session, "write the proof").await;
    let mut seen = Vec::new();
    stream.until_idle("requires_action", &mut seen).await;
    let tool_use = seen
        .iter()
        .find(|(_, e)| e["type"] == "agent.tool_use")
        .map(|(id, _)| id.clone())
        .unwrap();
    api.post(
        &format!("/sessions/{session}/events"),
        json!({"type": "user.tool_confirmation", "tool_use_id": tool_use, "result": "allow"}),
    )
    .await;
    stream.until_idle("end_turn", &mut seen).await;
    let events = api.events(&session).await;
    assert_exactly_once(&seen, &events);
    let kinds = types(&events);
    assert_eq!(
        kinds,
        [
            "user.message",
            "session.status_running",
            "span.model_request_start",
            "agent.tool_use",
            "span.model_request_end",
            "session.status_idle",
            "user.tool_confirmation",
            "session.status_running",
            "agent.tool_result",
            "span.model_request_start",
            "agent.message",
            "span.model_request_end",
            "session.status_idle",
        ],
        "{events:#?}"
    );
    // The tool ran in the worker's working directory, not the server's.
    let proof = worker_dir
        .join("workspaces")
        .join(&session)
        .join("proof.txt");
    assert_eq!(std::fs::read_to_string(proof).unwrap().trim(), "worked");
    assert!(!dir.path().join("server/workspaces").join(&session).exists());
    let item = api.get(&format!("/environments/{env}/work?limit=10")).await;
    let states: Vec<&str> = item["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["state"].as_str())
        .collect();
    assert!(states.iter().all(|s| *s == "stopped"), "{states:?}");
    // The next turn sees the earlier exchange; SIGTERM stops the worker cleanly.
    model.mount(openai::text_reply("Still here."));
    api.say(&session, "again").await;
    api.wait(&session, "the second turn", |e| {
        ended(e, "end_turn") && e.len() > events.len()
    })
    .await;
    let last = model.requests().last().unwrap().body.to_string();
    assert!(last.contains("write the proof"), "{last}");
    assert!(worker.terminate().await.success());
    server.shutdown().await;
}

#[tokio::test]
async fn a_killed_workers_turn_is_reclaimed_and_finished_by_another() {
    let dir = tempfile::tempdir().unwrap();
    let model = FakeModelServer::openai().await.unwrap();
    let server = server(&dir.path().join("server"), &model, None).await;
    let api = Api::new(&server);
    let (env, session) = api.setup(json!([{"type": "agent_toolset_20260401"}])).await;
    model.mount(openai::tool_calls_reply(
        &[("call_1", "Bash", r#"{"command": "echo step one"}"#)],
        1,
    ));
    model.mount(Reply::sse(openai::text_frames("never finished", 2)).stall());
    model.mount(openai::text_reply("Finished by the second worker."));
    let mut first = Worker::start(&server, &env, &dir.path().join("w1"), &model, "w1");
    let mut stream = Sse::open(&api, &session, None).await;
    api.say(&session, "do it").await;
    // Mid-turn: the tool result is stored and the second request hangs.
    let mut seen = Vec::new();
    loop {
        let frame = stream.next().await;
        let result = frame.1["type"] == "agent.tool_result";
        seen.push(frame);
        if result {
            break;
        }
    }
    api.wait(&session, "the second model request", |e| {
        types(e)
            .iter()
            .filter(|t| **t == "span.model_request_start")
            .count()
            == 2
    })
    .await;
    first.kill();
    // The client reconnects with Last-Event-ID while the lease runs out.
    drop(stream);
    let last = seen.last().map(|(id, _)| id.clone());
    let _second = Worker::start(&server, &env, &dir.path().join("w2"), &model, "w2");
    let mut stream = Sse::open(&api, &session, last.as_deref()).await;
    stream.until_idle("end_turn", &mut seen).await;
    let events = api.events(&session).await;
    assert_exactly_once(&seen, &events);
    let kinds = types(&events);
    let rescheduled = kinds
        .iter()
        .position(|t| *t == "session.status_rescheduled")
        .unwrap_or_else(|| panic!("no rescheduling: {kinds:?}"));
    assert_eq!(kinds[rescheduled + 1], "session.status_running");
    let message = events
        .iter()
        .rfind(|e| e["type"] == "agent.message")
        .unwrap();
    assert_eq!(
        message["content"][0]["text"],
        "Finished by the second worker."
    );
    assert_eq!(kinds.iter().filter(|t| **t == "agent.message").count(), 1);
    assert!(dir.path().join("w2/workspaces").join(&session).exists());
    server.shutdown().await;
}

#[tokio::test]
async fn sigterm_gives_the_turn_back_and_a_stop_request_interrupts_it() {
    let dir = tempfile::tempdir().unwrap();
    let model = FakeModelServer::openai().await.unwrap();
    let server = server(&dir.path().join("server"), &model, None).await;
    let api = Api::new(&server);
    let (env, session) = api.setup(json!([])).await;
    model.mount(Reply::sse(openai::text_frames("cut by SIGTERM", 2)).stall());
    model.mount(Reply::sse(openai::text_frames("cut by a stop", 2)).stall());
    let starts = |n: usize| {
        move |e: &[Value]| {
            types(e)
                .iter()
                .filter(|t| **t == "span.model_request_start")
                .count()
                == n
        }
    };
    let mut first = Worker::start(&server, &env, &dir.path().join("w1"), &model, "w1");
    api.say(&session, "wait").await;
    api.wait(&session, "the first model request", starts(1))
        .await;
    assert!(first.terminate().await.success(), "SIGTERM exit");
    // Given back: queued again at once, not after a lease runs out.
    let items = api.get(&format!("/environments/{env}/work?limit=10")).await;
    let item = items["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["state"] != "stopped")
        .cloned()
        .unwrap();
    assert_eq!(item["state"], "queued", "{items}");
    let wid = item["id"].as_str().unwrap().to_owned();
    let _second = Worker::start(&server, &env, &dir.path().join("w2"), &model, "w2");
    api.wait(&session, "the resumed model request", starts(2))
        .await;
    let stopping = api
        .post(&format!("/environments/{env}/work/{wid}/stop"), json!({}))
        .await;
    assert_eq!(stopping["state"], "stopping");
    let events = api
        .wait(&session, "the end of the stopped turn", |e| {
            ended(e, "end_turn")
        })
        .await;
    let kinds = types(&events);
    assert!(kinds.contains(&"session.status_rescheduled"), "{kinds:?}");
    assert!(!kinds.contains(&"agent.message"), "{kinds:?}");
    let start = Instant::now();
    loop {
        let item = api.get(&format!("/environments/{env}/work/{wid}")).await;
        if item["state"] == "stopped" {
            break;
        }
        assert!(start.elapsed() < DEADLINE, "never stopped: {item}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    server.shutdown().await;
}

#[tokio::test]
#[ignore = "needs FERRULE_TEST_POSTGRES_URL (a PostgreSQL server)"]
async fn two_servers_and_two_workers_share_one_postgres_queue() {
    use sqlx::Connection;
    let admin = std::env::var("FERRULE_TEST_POSTGRES_URL").expect("FERRULE_TEST_POSTGRES_URL");
    let name = format!("ferrule_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&name);
    let url = url.to_string();
    let dir = tempfile::tempdir().unwrap();
    let model = FakeModelServer::openai().await.unwrap();
    // Nothing is killed here, so no lease may run out: each turn must run
    // exactly once even when the machine stalls.
    let a = steady_server(&dir.path().join("a"), &model, Some(&url)).await;
    let b = steady_server(&dir.path().join("b"), &model, Some(&url)).await;
    let (api_a, api_b) = (Api::new(&a), Api::new(&b));
    let (env, first) = api_a.setup(json!([])).await;
    let agent = api_a.get(&format!("/sessions/{first}")).await["agent"]["id"].clone();
    let mut sessions = vec![first];
    for _ in 0..5 {
        let session = api_b
            .post("/sessions", json!({"agent": agent, "environment_id": env}))
            .await;
        sessions.push(session["id"].as_str().unwrap().to_owned());
    }
    for _ in &sessions {
        model.mount(openai::text_reply("Served."));
    }
    let _w1 = Worker::start_with_ttl(&a, &env, &dir.path().join("w1"), &model, "w1", 30);
    let _w2 = Worker::start_with_ttl(&b, &env, &dir.path().join("w2"), &model, "w2", 30);
    for (i, session) in sessions.iter().enumerate() {
        let api = if i % 2 == 0 { &api_a } else { &api_b };
        api.say(session, "hello").await;
    }
    for (i, session) in sessions.iter().enumerate() {
        let api = if i % 2 == 0 { &api_b } else { &api_a };
        let events = api
            .wait(session, "the turn", |e| ended(e, "end_turn"))
            .await;
        let kinds = types(&events);
        assert_eq!(
            kinds
                .iter()
                .filter(|t| **t == "session.status_running")
                .count(),
            1,
            "{kinds:?}"
        );
        assert_eq!(kinds.iter().filter(|t| **t == "agent.message").count(), 1);
    }
    // Each turn's item was acknowledged once and is done.
    let items = api_a
        .get(&format!("/environments/{env}/work?limit=100"))
        .await;
    let items = items["data"].as_array().unwrap();
    assert_eq!(
        items.len(),
        sessions.len() * 2,
        "one item per session, one per turn"
    );
    assert!(items.iter().all(|i| i["state"] == "stopped"));
    // Built-in environments: each server's own workers share the queue too.
    let default = api_a.get("/environments").await["data"][0]["id"].clone();
    let mut builtin = Vec::new();
    for i in 0..4 {
        let api = if i % 2 == 0 { &api_a } else { &api_b };
        let session = api
            .post(
                "/sessions",
                json!({"agent": agent, "environment_id": default}),
            )
            .await;
        let id = session["id"].as_str().unwrap().to_owned();
        model.mount(openai::text_reply("Built in."));
        api.say(&id, "hi").await;
        builtin.push(id);
    }
    for id in &builtin {
        let events = api_b
            .wait(id, "a built-in turn", |e| ended(e, "end_turn"))
            .await;
        let running = types(&events)
            .iter()
            .filter(|t| **t == "session.status_running")
            .count();
        assert_eq!(running, 1, "claimed once");
    }
    a.shutdown().await;
    b.shutdown().await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}
