//! A test client: drives `ferrule_acp::run` (or `ferrule --acp`) with the
//! crate's client side over in-memory pipes, records every update and
//! answers permission requests with scripted choices.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers; a failure should panic"
)]

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use agent_client_protocol::v1::schema::{
    InitializeRequest, InitializeResponse, RequestPermissionOutcome, RequestPermissionRequest,
    RequestPermissionResponse, SelectedPermissionOutcome, SessionNotification, SessionUpdate,
};
use agent_client_protocol::v1::{ConnectionTo, Responder};
use agent_client_protocol::{Agent, ByteStreams, Client, ConnectTo, schema::ProtocolVersion};
use ferrule_setup::{Host, SetupOptions};
use serde_json::{Value, json};
use tokio_util::compat::{TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt};

/// A project and a home directory in a temp dir.
pub(crate) struct Sandbox {
    pub(crate) dir: tempfile::TempDir,
}

impl Sandbox {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("project")).unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        Self { dir }
    }

    pub(crate) fn project(&self) -> PathBuf {
        self.dir.path().join("project")
    }

    pub(crate) fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub(crate) fn env(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("HOME".to_owned(), self.home().display().to_string()),
            ("FERRULE_HOME".to_owned(), self.home().display().to_string()),
            ("PATH".to_owned(), std::env::var("PATH").unwrap_or_default()),
        ])
    }

    /// Writes a model script and returns its `--model` value.
    pub(crate) fn script(&self, turns: Value) -> String {
        let script = self
            .dir
            .path()
            .join(format!("script-{}.json", uuid::Uuid::new_v4()));
        std::fs::write(&script, json!({ "turns": turns }).to_string()).unwrap();
        format!("scripted/{}", script.display())
    }

    /// Setup options with a scripted model.
    pub(crate) fn setup(&self, turns: Value) -> SetupOptions {
        let mut setup = SetupOptions::new(Host::Sdk, self.project(), self.env());
        setup.model = Some(self.script(turns));
        setup
    }
}

/// A model turn calling one tool.
pub(crate) fn tool_turn(id: &str, name: &str, input: Value) -> Value {
    json!({"blocks": [{"type": "tool_use", "id": id, "name": name, "input": input}]})
}

/// A model turn answering with text.
pub(crate) fn text_turn(text: &str) -> Value {
    json!({"blocks": [{"type": "text", "text": text}]})
}

/// What the client saw.
#[derive(Default)]
pub(crate) struct Seen {
    pub(crate) updates: Vec<SessionUpdate>,
    pub(crate) permissions: Vec<RequestPermissionRequest>,
}

/// The client's state: what it saw and the answers it will give.
#[derive(Clone, Default)]
pub(crate) struct Recorder {
    pub(crate) seen: Arc<Mutex<Seen>>,
    /// Option ids to pick, in order; `None` answers `cancelled`, [`HOLD`]
    /// keeps the request unanswered.
    choices: Arc<Mutex<VecDeque<Option<&'static str>>>>,
    held: Arc<Mutex<Vec<Responder<RequestPermissionResponse>>>>,
}

/// A choice that leaves the request unanswered.
pub(crate) const HOLD: &str = "hold";

impl Recorder {
    /// Queues the answers to the next permission requests.
    pub(crate) fn answer(&self, choices: &[Option<&'static str>]) {
        self.choices.lock().unwrap().extend(choices.iter().copied());
    }

    /// Takes the updates seen so far.
    pub(crate) fn take_updates(&self) -> Vec<SessionUpdate> {
        std::mem::take(&mut self.seen.lock().unwrap().updates)
    }

    /// The permission requests seen so far.
    pub(crate) fn permissions(&self) -> Vec<RequestPermissionRequest> {
        self.seen.lock().unwrap().permissions.clone()
    }

    /// The agent's message text in `updates`.
    pub(crate) fn agent_text(updates: &[SessionUpdate]) -> String {
        updates
            .iter()
            .filter_map(|update| match update {
                SessionUpdate::AgentMessageChunk(chunk) => match &chunk.content {
                    agent_client_protocol::v1::schema::ContentBlock::Text(text) => {
                        Some(text.text.clone())
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }
}

/// Connects a client to `agent` and runs `body` with the connection after
/// `initialize`.
pub(crate) async fn with_client<R>(
    agent: impl ConnectTo<Client> + 'static,
    recorder: Recorder,
    body: impl AsyncFnOnce(ConnectionTo<Agent>, InitializeResponse) -> R,
) -> R {
    let updates = recorder.clone();
    let permissions = recorder.clone();
    let run = Client
        .v1()
        .name("ferrule-acp-tests")
        .on_receive_notification(
            async move |notification: SessionNotification, _cx: ConnectionTo<Agent>| {
                updates
                    .seen
                    .lock()
                    .unwrap()
                    .updates
                    .push(notification.update);
                Ok(())
            },
            agent_client_protocol::on_receive_notification!(),
        )
        .on_receive_request(
            async move |request: RequestPermissionRequest,
                        responder: Responder<RequestPermissionResponse>,
                        _cx: ConnectionTo<Agent>| {
                permissions.seen.lock().unwrap().permissions.push(request);
                let choice = permissions
                    .choices
                    .lock()
                    .unwrap()
                    .pop_front()
                    .expect("a permission request nobody expected");
                let outcome = match choice {
                    Some(HOLD) => {
                        permissions.held.lock().unwrap().push(responder);
                        return Ok(());
                    }
                    Some(id) => {
                        RequestPermissionOutcome::Selected(SelectedPermissionOutcome::new(id))
                    }
                    None => RequestPermissionOutcome::Cancelled,
                };
                responder.respond(RequestPermissionResponse::new(outcome))
            },
            agent_client_protocol::on_receive_request!(),
        )
        .connect_with(agent, async move |cx: ConnectionTo<Agent>| {
            let init = cx
                .send_request(InitializeRequest::new(ProtocolVersion::V1))
                .block_task()
                .await?;
            Ok(body(cx, init).await)
        });
    tokio::time::timeout(std::time::Duration::from_secs(30), run)
        .await
        .expect("the ACP exchange took longer than 30 s")
        .expect("the ACP connection failed")
}

/// `ferrule_acp::run` on in-memory pipes; the transport for the client.
pub(crate) fn in_memory(
    setup: SetupOptions,
) -> (
    impl ConnectTo<Client> + 'static,
    tokio::task::JoinHandle<Result<(), ferrule_acp::AcpError>>,
) {
    let (client_end, agent_end) = tokio::io::duplex(1 << 20);
    let (agent_read, agent_write) = tokio::io::split(agent_end);
    let server = tokio::spawn(ferrule_acp::run(setup, agent_read, agent_write));
    let (client_read, client_write) = tokio::io::split(client_end);
    (
        ByteStreams::new(client_write.compat_write(), client_read.compat()),
        server,
    )
}
