//! The ACP agent side: the request handlers and the sessions they share.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use agent_client_protocol::v1::schema::{
    AgentCapabilities, CancelNotification, Implementation, InitializeRequest, InitializeResponse,
    LoadSessionRequest, LoadSessionResponse, McpCapabilities, NewSessionRequest,
    NewSessionResponse, PromptCapabilities, PromptRequest, PromptResponse, SetSessionModeRequest,
    SetSessionModeResponse,
};
use agent_client_protocol::v1::{ConnectionTo, Responder};
use agent_client_protocol::{Agent, Client, ConnectTo, Error, ErrorCode, schema::ProtocolVersion};
use ferrule_session::SessionOptions;
use ferrule_setup::SetupOptions;

use crate::modes;
use crate::session::{self, SessionHandle, request_error};

/// What every handler shares.
pub(crate) struct Host {
    setup: SetupOptions,
    sessions: Mutex<HashMap<String, SessionHandle>>,
}

impl Host {
    fn sessions(&self) -> MutexGuard<'_, HashMap<String, SessionHandle>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Setup options for a session in `cwd` (the client's directory wins
    /// over the one ferrule was started in).
    fn setup_for(
        &self,
        cwd: &Path,
        extra_dirs: &[std::path::PathBuf],
    ) -> Result<SetupOptions, Error> {
        if !cwd.is_absolute() {
            return Err(request_error(
                ErrorCode::INVALID_PARAMS,
                format!("cwd must be an absolute path, got {}", cwd.display()),
            ));
        }
        let mut setup = self.setup.clone();
        setup.cwd = cwd.to_path_buf();
        setup
            .add_dirs
            .extend(extra_dirs.iter().map(|dir| dir.display().to_string()));
        Ok(setup)
    }

    /// Interrupts every session and ends them (their SessionEnd hooks
    /// run, their tools stop) before returning.
    async fn close_all(&self) {
        let handles: Vec<SessionHandle> = self.sessions().drain().map(|(_, h)| h).collect();
        for handle in handles {
            handle.close().await;
        }
    }
}

fn respond_or_error<T: agent_client_protocol::JsonRpcResponse>(
    responder: Responder<T>,
    result: Result<T, Error>,
) {
    let sent = match result {
        Ok(answer) => responder.respond(answer),
        Err(error) => responder.respond_with_error(error),
    };
    if let Err(error) = sent {
        tracing::debug!(%error, "answer not sent");
    }
}

fn initialize(request: &InitializeRequest) -> InitializeResponse {
    tracing::info!(
        client = ?request.client_info.as_ref().map(|info| &info.name),
        version = ?request.protocol_version,
        "ACP initialize"
    );
    InitializeResponse::new(ProtocolVersion::V1)
        .agent_capabilities(
            AgentCapabilities::new()
                .load_session(true)
                .prompt_capabilities(PromptCapabilities::new().image(true).embedded_context(true))
                .mcp_capabilities(McpCapabilities::new().http(true)),
        )
        .agent_info(Implementation::new("ferrule", env!("CARGO_PKG_VERSION")))
}

/// Serves ACP on `transport` until the client hangs up.
pub(crate) async fn serve(
    setup: SetupOptions,
    transport: impl ConnectTo<Agent> + 'static,
) -> Result<(), Error> {
    let host = Arc::new(Host {
        setup,
        sessions: Mutex::new(HashMap::new()),
    });
    let (new_host, load_host, prompt_host, cancel_host, mode_host) = (
        Arc::clone(&host),
        Arc::clone(&host),
        Arc::clone(&host),
        Arc::clone(&host),
        Arc::clone(&host),
    );
    let served = Agent
        .v1()
        .name("ferrule")
        .on_receive_request(
            async |request: InitializeRequest,
                   responder: Responder<InitializeResponse>,
                   _connection: ConnectionTo<Client>| {
                responder.respond(initialize(&request))
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: NewSessionRequest,
                        responder: Responder<NewSessionResponse>,
                        connection: ConnectionTo<Client>| {
                let host = Arc::clone(&new_host);
                // Setting up reads settings and may start MCP servers: off
                // the dispatch loop, so other sessions keep being served.
                tokio::spawn(async move {
                    let result = async {
                        let setup = host.setup_for(&request.cwd, &request.additional_directories)?;
                        let opened =
                            session::open(setup, &request.mcp_servers, connection, false).await?;
                        let response =
                            NewSessionResponse::new(opened.session_id.clone()).modes(opened.modes);
                        host.sessions().insert(opened.session_id, opened.handle);
                        Ok(response)
                    }
                    .await;
                    respond_or_error(responder, result);
                });
                Ok(())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: LoadSessionRequest,
                        responder: Responder<LoadSessionResponse>,
                        connection: ConnectionTo<Client>| {
                let host = Arc::clone(&load_host);
                tokio::spawn(async move {
                    let result = async {
                        let id = request.session_id.0.to_string();
                        if host.sessions().contains_key(&id) {
                            return Err(request_error(
                                ErrorCode::INVALID_PARAMS,
                                format!("session {id} is already open on this connection"),
                            ));
                        }
                        let mut setup =
                            host.setup_for(&request.cwd, &request.additional_directories)?;
                        setup.session = SessionOptions {
                            resume: Some(id),
                            persistence: setup.session.persistence,
                            ..SessionOptions::default()
                        };
                        let opened =
                            session::open(setup, &request.mcp_servers, connection, true).await?;
                        let response = LoadSessionResponse::new().modes(opened.modes);
                        host.sessions().insert(opened.session_id, opened.handle);
                        Ok(response)
                    }
                    .await;
                    respond_or_error(responder, result);
                });
                Ok(())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: PromptRequest,
                        responder: Responder<PromptResponse>,
                        _connection: ConnectionTo<Client>| {
                let sessions = prompt_host.sessions();
                match sessions.get(request.session_id.0.as_ref()) {
                    Some(handle) => {
                        handle.prompt(request.prompt, responder);
                        Ok(())
                    }
                    None => responder.respond_with_error(unknown_session(&request.session_id.0)),
                }
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: SetSessionModeRequest,
                        responder: Responder<SetSessionModeResponse>,
                        _connection: ConnectionTo<Client>| {
                let sessions = mode_host.sessions();
                let Some(handle) = sessions.get(request.session_id.0.as_ref()) else {
                    return responder.respond_with_error(unknown_session(&request.session_id.0));
                };
                match modes::mode_from_id(&request.mode_id.0) {
                    Some(mode) => {
                        handle.controls.set_mode(mode);
                        responder.respond(SetSessionModeResponse::new())
                    }
                    None => responder.respond_with_error(request_error(
                        ErrorCode::INVALID_PARAMS,
                        format!(
                            "unknown mode `{}`; expected default, acceptEdits, plan or bypassPermissions",
                            request.mode_id.0
                        ),
                    )),
                }
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_notification(
            async move |notification: CancelNotification, _connection: ConnectionTo<Client>| {
                match cancel_host
                    .sessions()
                    .get(notification.session_id.0.as_ref())
                {
                    Some(handle) => handle.cancel(),
                    None => tracing::warn!(
                        session = %notification.session_id.0,
                        "session/cancel for an unknown session"
                    ),
                }
                Ok(())
            },
            agent_client_protocol::on_receive_notification!(),
        )
        .connect_to(transport)
        .await;
    host.close_all().await;
    served
}

fn unknown_session(id: &str) -> Error {
    request_error(
        ErrorCode::RESOURCE_NOT_FOUND,
        format!("no session {id} on this connection (session/new or session/load first)"),
    )
}
