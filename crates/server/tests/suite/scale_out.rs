//! Scale-out with real processes (PostgreSQL): two `ferrule-server serve`
//! binaries on one database and two `ferrule-server worker` binaries, one
//! polling each replica. The worker running a turn is SIGKILLed mid-turn,
//! its lease runs out, the other worker finishes the turn, and a client
//! streaming from replica A sees every event exactly once although the turn
//! was sent through replica B.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ferrule_test_support::{FakeModelServer, Reply, openai};
use futures::StreamExt;
use serde_json::{Value, json};
use sqlx::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_ferrule-server");
const KEY: &str = "scale-out-key";
const DEADLINE: Duration = Duration::from_secs(60);

/// A child process, SIGKILLed when dropped.
struct Proc(Child);

impl Proc {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// SIGTERM and the exit status.
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
        panic!("process {} did not exit on SIGTERM", self.0.id());
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The model variables every process gets, and short leases so a killed
/// worker's item is reclaimed within seconds.
fn environment(command: &mut Command, data: &Path, model: &FakeModelServer) {
    command
        .env("FERRULE_MODEL", "openai/fake-model")
        .env("OPENAI_BASE_URL", model.base_url())
        .env("OPENAI_API_KEY", "test")
        .env("FERRULE_HOME", data)
        .env("HOME", data)
        .env("RUST_LOG", "warn")
        .env("FERRULE_WORK_LEASE_SECONDS", "2")
        .env("FERRULE_WORK_ACK_LEASE_SECONDS", "2")
        .env("FERRULE_WORK_MIN_TTL_SECONDS", "1")
        .env("FERRULE_WORK_POLL_MS", "100")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
}

/// A `serve` process on `database`; returns it and its `host:port`.
async fn serve(data: &Path, database: &str, model: &FakeModelServer) -> (Proc, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let host = format!("127.0.0.1:{port}");
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--bind", &host, "--database-url", database])
        .arg("--data-dir")
        .arg(data)
        .env("FERRULE_API_KEY", KEY);
    environment(&mut command, data, model);
    let process = Proc(command.spawn().unwrap());
    let client = reqwest::Client::new();
    let start = Instant::now();
    loop {
        let ready = client
            .get(format!("http://{host}/api/v1/cloud/agents?limit=1"))
            .bearer_auth(KEY)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ready {
            return (process, host);
        }
        assert!(start.elapsed() < DEADLINE, "server {host} never got ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A `worker` process polling `host` for the environment.
fn worker(host: &str, env: &str, data: &Path, model: &FakeModelServer, id: &str) -> Proc {
    let mut command = Command::new(BIN);
    command
        .args(["worker", "--server", &format!("http://{host}")])
        .args(["--environment", env, "--api-key", KEY, "--worker-id", id])
        .args(["--ttl-seconds", "1", "--data-dir"])
        .arg(data)
        .env_remove("FERRULE_API_KEY");
    environment(&mut command, data, model);
    Proc(command.spawn().unwrap())
}

/// JSON calls against one replica.
struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    fn new(host: &str) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: format!("http://{host}/api/v1/cloud"),
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

    async fn events(&self, session: &str) -> Vec<Value> {
        let page = self
            .call(
                self.client
                    .get(format!("{}/sessions/{session}/events?limit=100", self.base)),
            )
            .await;
        page["data"].as_array().unwrap().clone()
    }

    async fn wait(&self, session: &str, what: &str, done: impl Fn(&[Value]) -> bool) {
        let start = Instant::now();
        loop {
            let events = self.events(session).await;
            if done(&events) {
                return;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "{what} never happened: {:?}",
                types(&events)
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().filter_map(|e| e["type"].as_str()).collect()
}

/// Reads the event frames (`id`, data) of one SSE stream.
struct Sse {
    body: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<Vec<u8>>> + Send>>,
    buffer: String,
}

impl Sse {
    async fn open(api: &Api, session: &str) -> Self {
        let response = api
            .client
            .get(format!("{}/sessions/{session}/events/stream", api.base))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        Self {
            body: Box::pin(response.bytes_stream().map(|c| c.map(|b| b.to_vec()))),
            buffer: String::new(),
        }
    }

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

    /// Frames up to and including the first one for which `last` holds.
    async fn until(&mut self, seen: &mut Vec<(String, Value)>, last: impl Fn(&Value) -> bool) {
        loop {
            let frame = self.next().await;
            let done = last(&frame.1);
            seen.push(frame);
            if done {
                return;
            }
        }
    }
}

/// A fresh database on the test PostgreSQL server; dropped by [`drop_database`].
async fn create_database(admin: &str) -> (sqlx::PgConnection, String, String) {
    let name = format!("ferrule_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let mut url = url::Url::parse(admin).unwrap();
    url.set_path(&name);
    (conn, name, url.to_string())
}

async fn drop_database(mut conn: sqlx::PgConnection, name: &str) {
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}

#[tokio::test]
#[ignore = "needs FERRULE_TEST_POSTGRES_URL (a PostgreSQL server)"]
async fn a_killed_worker_process_hands_its_turn_across_server_processes() {
    let admin = std::env::var("FERRULE_TEST_POSTGRES_URL").expect("FERRULE_TEST_POSTGRES_URL");
    let (conn, name, database) = create_database(&admin).await;
    let dir = tempfile::tempdir().unwrap();
    let model = FakeModelServer::openai().await.unwrap();
    let (mut server_a, host_a) = serve(&dir.path().join("a"), &database, &model).await;
    let (mut server_b, host_b) = serve(&dir.path().join("b"), &database, &model).await;
    let (api_a, api_b) = (Api::new(&host_a), Api::new(&host_b));

    let env = api_a
        .post(
            "/environments",
            json!({"name": "mine", "config": {"type": "self_hosted"}}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let agent = api_a
        .post(
            "/agents",
            json!({"name": "w", "model": "ultimate",
                   "tools": [{"type": "agent_toolset_20260401"}]}),
        )
        .await;
    let session = api_b
        .post(
            "/sessions",
            json!({"agent": agent["id"], "environment_id": env}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Step one runs, the next model request hangs until its worker dies.
    model.mount(openai::tool_calls_reply(
        &[("call_1", "Bash", r#"{"command": "echo step one"}"#)],
        1,
    ));
    model.mount(Reply::sse(openai::text_frames("never finished", 2)).stall());
    model.mount(openai::text_reply("Finished by the other worker."));
    let worker_dirs: [PathBuf; 2] = [dir.path().join("w1"), dir.path().join("w2")];
    let mut workers = [
        worker(&host_a, &env, &worker_dirs[0], &model, "w1"),
        worker(&host_b, &env, &worker_dirs[1], &model, "w2"),
    ];

    let mut stream = Sse::open(&api_a, &session).await;
    api_b
        .post(
            &format!("/sessions/{session}/events"),
            json!({"type": "user.message", "content": "do it"}),
        )
        .await;
    let mut seen = Vec::new();
    stream
        .until(&mut seen, |e| e["type"] == "agent.tool_result")
        .await;
    api_b
        .wait(&session, "the second model request", |e| {
            types(e)
                .iter()
                .filter(|t| **t == "span.model_request_start")
                .count()
                == 2
        })
        .await;
    let running: Vec<usize> = (0..2)
        .filter(|i| worker_dirs[*i].join("workspaces").join(&session).exists())
        .collect();
    assert_eq!(running.len(), 1, "one worker runs the turn: {running:?}");
    let (killed, survivor) = (running[0], 1 - running[0]);
    workers[killed].kill();

    stream
        .until(&mut seen, |e| {
            e["type"] == "session.status_idle" && e["stop_reason"]["type"] == "end_turn"
        })
        .await;
    let listed = api_b.events(&session).await;
    let ids: Vec<&str> = seen.iter().map(|(id, _)| id.as_str()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "an event came twice: {ids:?}");
    let listed_ids: Vec<&str> = listed.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids, listed_ids, "replica A's stream and the list differ");
    let kinds = types(&listed);
    let rescheduled = kinds
        .iter()
        .position(|t| *t == "session.status_rescheduled")
        .unwrap_or_else(|| panic!("no rescheduling: {kinds:?}"));
    assert_eq!(kinds[rescheduled + 1], "session.status_running");
    let messages: Vec<&Value> = listed
        .iter()
        .filter(|e| e["type"] == "agent.message")
        .collect();
    assert_eq!(messages.len(), 1, "{kinds:?}");
    assert_eq!(
        messages[0]["content"][0]["text"],
        "Finished by the other worker."
    );
    assert_eq!(
        kinds.iter().filter(|t| **t == "agent.tool_result").count(),
        1,
        "step one ran once: {kinds:?}"
    );
    assert!(
        worker_dirs[survivor]
            .join("workspaces")
            .join(&session)
            .exists(),
        "the other worker finished the turn"
    );

    assert!(workers[survivor].terminate().await.success());
    assert!(server_a.terminate().await.success());
    assert!(server_b.terminate().await.success());
    drop_database(conn, &name).await;
}
