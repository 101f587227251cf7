//! The harness: a server in this process on a temp data dir, a fake model,
//! and small request helpers.

use std::collections::BTreeMap;
use std::time::Duration;

use ferrule_server::{Server, ServerConfig};
use ferrule_test_support::FakeModelServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub(crate) const KEY: &str = "test-bootstrap-key";

pub(crate) struct Harness {
    pub(crate) server: Option<Server>,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) model: FakeModelServer,
    pub(crate) client: reqwest::Client,
    pub(crate) base: String,
    database_url: Option<String>,
}

impl Harness {
    pub(crate) async fn start() -> Self {
        Self::start_on(None).await
    }

    /// A harness on a database URL (`None`: SQLite in the data directory).
    pub(crate) async fn start_on(database_url: Option<String>) -> Self {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("ferrule_server=warn")
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().unwrap();
        let model = FakeModelServer::openai().await.unwrap();
        let mut harness = Self {
            server: None,
            dir,
            model,
            client: reqwest::Client::new(),
            base: String::new(),
            database_url,
        };
        harness.boot().await;
        harness
    }

    pub(crate) fn config(&self) -> ServerConfig {
        let mut config = ServerConfig::from_env(self.dir.path().join("data"));
        config.bootstrap_key = Some(KEY.to_owned());
        config.heartbeat = Duration::from_millis(300);
        config.default_model = Some("openai/fake-model".to_owned());
        config.model_env = BTreeMap::from([
            ("FERRULE_MODEL".to_owned(), "openai/fake-model".to_owned()),
            ("OPENAI_BASE_URL".to_owned(), self.model.base_url()),
            ("OPENAI_API_KEY".to_owned(), "test".to_owned()),
        ]);
        config
    }

    async fn boot(&mut self) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Server::start(listener, self.config(), self.database_url.as_deref())
            .await
            .unwrap();
        self.base = server.base_url();
        self.server = Some(server);
    }

    /// Stops the server and starts a new one on the same data directory.
    pub(crate) async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        self.boot().await;
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.bearer_auth(KEY).send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.client.get(self.url(path))).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.client.post(self.url(path)).json(&body))
            .await
    }

    pub(crate) async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.client.delete(self.url(path))).await
    }

    pub(crate) async fn ok(&self, path: &str, body: Value) -> Value {
        let (status, value) = self.post(path, body).await;
        assert!(status.is_success(), "POST {path}: {status} {value}");
        value
    }

    pub(crate) async fn default_env(&self) -> String {
        let (_, list) = self.get("/environments").await;
        list["data"][0]["id"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn agent(&self, tools: Value) -> String {
        let agent = self
            .ok(
                "/agents",
                json!({"name": "t", "model": "ultimate", "system": "be brief", "tools": tools}),
            )
            .await;
        agent["id"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn session(&self, tools: Value) -> String {
        let agent = self.agent(tools).await;
        let env = self.default_env().await;
        let session = self
            .ok("/sessions", json!({"agent": agent, "environment_id": env}))
            .await;
        session["id"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn say(&self, session: &str, text: &str) -> Value {
        self.ok(&format!("/sessions/{session}/events"), json!({"events": [{"type": "user.message", "content": [{"type": "text", "text": text}]}]})).await
    }

    pub(crate) async fn events(&self, session: &str) -> Vec<Value> {
        let (status, list) = self
            .get(&format!("/sessions/{session}/events?limit=100"))
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        list["data"].as_array().unwrap().clone()
    }

    /// Waits until the last event is a `session.status_idle` whose stop
    /// reason is `stop`, and returns all events.
    pub(crate) async fn wait_for_stop(
        &self,
        session: &str,
        stop: &str,
        count: usize,
    ) -> Vec<Value> {
        for _ in 0..500 {
            let events = self.events(session).await;
            let idles = events
                .iter()
                .filter(|e| e["type"] == "session.status_idle" && e["stop_reason"]["type"] == stop)
                .count();
            if idles >= count
                && events
                    .last()
                    .is_some_and(|e| e["type"] == "session.status_idle")
            {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "session {session} never stopped with {stop}: {:#?}",
            self.events(session).await
        );
    }
}

pub(crate) fn types(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("?"))
        .collect()
}
