//! The few Cloud Agents API calls cloud mode needs, over reqwest, with
//! errors that say what to fix (unreachable server → its URL; 401 → the
//! variable that holds the key).

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A client of one ferrule-server.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Client {
    /// A client of the API at `base` (ending in `/api/v1/cloud`).
    pub(crate) fn new(base: &str, key: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            http,
            base: base.to_owned(),
            key: key.to_owned(),
        })
    }

    /// The API base URL.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// `GET {base}{path}` → the JSON body.
    pub(crate) async fn get(&self, path: &str) -> Result<Value> {
        self.call(Method::GET, path, None).await
    }

    /// `POST {base}{path}` with a JSON body → the JSON body.
    pub(crate) async fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let mut request = self
            .http
            .request(method.clone(), &url)
            .bearer_auth(&self.key)
            .timeout(Duration::from_secs(60));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.map_err(|err| self.unreachable(&err))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|err| self.unreachable(&err))?;
        if !status.is_success() {
            return Err(self.refused(status, &text, &format!("{method} {path}")));
        }
        serde_json::from_str(&text)
            .map_err(|err| anyhow!("{method} {url}: the server answered with invalid JSON: {err}"))
    }

    /// Opens the SSE stream of `session`, after `last_event_id` when given.
    pub(crate) async fn stream(
        &self,
        session: &str,
        last_event_id: Option<&str>,
    ) -> Result<reqwest::Response, StreamFailure> {
        let url = format!("{}/sessions/{session}/events/stream", self.base);
        let mut request = self
            .http
            .get(&url)
            .bearer_auth(&self.key)
            .header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.map_err(|err| StreamFailure {
            retryable: true,
            error: self.unreachable(&err),
        })?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            return Err(StreamFailure {
                retryable: status.is_server_error(),
                error: self.refused(status, &text, "the event stream"),
            });
        }
        Ok(response)
    }

    /// The error for a request that never got an answer.
    pub(crate) fn unreachable(&self, err: &reqwest::Error) -> anyhow::Error {
        let mut cause = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(inner) = source {
            cause = format!("{cause}: {inner}");
            source = inner.source();
        }
        anyhow!(
            "cannot reach the ferrule-server at {} ({cause}); check FERRULE_REMOTE_URL",
            self.base
        )
    }

    fn refused(&self, status: StatusCode, body: &str, what: &str) -> anyhow::Error {
        let message = serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| body.trim().to_owned());
        if status == StatusCode::UNAUTHORIZED {
            return anyhow!(
                "the ferrule-server at {} refused the API key (401 {message}); set FERRULE_API_KEY to a valid key (`ferrule-server keys create NAME` prints one)",
                self.base
            );
        }
        anyhow!("{what} failed: {status} {message}")
    }
}

/// Why the event stream could not be opened.
#[derive(Debug)]
pub(crate) struct StreamFailure {
    /// Whether trying again may help (no answer, or a 5xx).
    pub(crate) retryable: bool,
    /// What went wrong.
    pub(crate) error: anyhow::Error,
}

/// An environment of the server.
#[derive(Debug, Clone)]
pub(crate) struct Environment {
    /// `env_…`.
    pub(crate) id: String,
    /// Its name.
    pub(crate) name: String,
}

/// The environment `id`, or the server's first one.
pub(crate) async fn environment(client: &Client, id: Option<&str>) -> Result<Environment> {
    let value = match id {
        Some(id) => client.get(&format!("/environments/{id}")).await?,
        None => {
            let list = client.get("/environments?limit=1").await?;
            match list["data"].get(0) {
                Some(first) => first.clone(),
                None => bail!(
                    "the server at {} has no environment; create one or pass --remote-env",
                    client.base()
                ),
            }
        }
    };
    let Some(id) = value["id"].as_str() else {
        bail!("the server returned an environment without an id: {value}");
    };
    Ok(Environment {
        id: id.to_owned(),
        name: value["name"].as_str().unwrap_or(id).to_owned(),
    })
}

/// Creates the agent of a run: every built-in tool, the given model.
pub(crate) async fn create_agent(client: &Client, model: &str) -> Result<String> {
    let agent = client
        .post(
            "/agents",
            json!({
                "name": "ferrule --remote",
                "model": model,
                "tools": [{"type": "agent_toolset_20260401"}],
                "metadata": {"created_by": "ferrule --remote"},
            }),
        )
        .await?;
    id_of(&agent, "agent")
}

/// Creates a session of `agent` in `environment`.
pub(crate) async fn create_session(
    client: &Client,
    agent: &str,
    environment: &str,
    title: &str,
) -> Result<String> {
    let session = client
        .post(
            "/sessions",
            json!({"agent": agent, "environment_id": environment, "title": title}),
        )
        .await?;
    id_of(&session, "session")
}

/// Sends the prompt; returns the stored `user.message` event's id.
pub(crate) async fn send_prompt(client: &Client, session: &str, prompt: &str) -> Result<String> {
    let sent = client
        .post(
            &format!("/sessions/{session}/events"),
            json!({"events": [{"type": "user.message", "content": [{"type": "text", "text": prompt}]}]}),
        )
        .await?;
    id_of(&sent["data"][0], "user.message event")
}

/// The id of the session's newest event, if it has any.
pub(crate) async fn latest_event(client: &Client, session: &str) -> Result<Option<String>> {
    let list = client
        .get(&format!("/sessions/{session}/events?order=desc&limit=1"))
        .await?;
    Ok(list["data"][0]["id"].as_str().map(str::to_owned))
}

fn id_of(value: &Value, what: &str) -> Result<String> {
    value["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("the server returned a {what} without an id: {value}"))
}
