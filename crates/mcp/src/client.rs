//! Opening one connection to an MCP server with rmcp's client: stdio child
//! process, streamable HTTP, or an SDK host's channel pair.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{
    ClientCapabilities, ClientConfig, CustomNotification, ElicitRequestParams, ElicitResult,
    ElicitationCapability, ErrorData, FormElicitationCapability, Implementation,
    UrlElicitationCapability,
};
use rmcp::service::{NotificationContext, RequestContext, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use tokio::io::AsyncBufReadExt as _;

use crate::channel::{ChannelTransport, SdkConnector};
use crate::config::{ServerSpec, TransportSpec};
use crate::elicit::{self, SharedElicitor};

/// What the server told us changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListKind {
    Tools,
    Prompts,
    Resources,
}

/// Called from rmcp's task when a `list_changed` notification arrives.
pub(crate) type ChangeCallback = Arc<dyn Fn(ListKind) + Send + Sync>;

/// rmcp client handler: identifies ferrule, forwards `list_changed` and
/// answers elicitations through the host's [`Elicitor`](crate::Elicitor).
#[derive(Clone)]
pub(crate) struct Handler {
    on_change: ChangeCallback,
    server: String,
    elicitor: SharedElicitor,
}

impl ClientHandler for Handler {
    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let Some(elicitor) = &self.elicitor else {
            return Ok(ElicitResult::new(rmcp::model::ElicitationAction::Decline));
        };
        let Some(request) = elicit::request_of(
            &self.server,
            request,
            context.id.to_string(),
            context.ct.clone(),
        ) else {
            return Ok(ElicitResult::new(rmcp::model::ElicitationAction::Decline));
        };
        Ok(elicit::result_of(elicitor.elicit(request).await))
    }

    async fn on_custom_notification(
        &self,
        notification: CustomNotification,
        _context: NotificationContext<RoleClient>,
    ) {
        if notification.method != elicit::COMPLETE_METHOD {
            return;
        }
        let id = notification
            .params
            .as_ref()
            .and_then(|p| p.get("elicitationId"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        if let Some(elicitor) = &self.elicitor {
            elicitor.completed(&self.server, id).await;
        }
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        (self.on_change)(ListKind::Tools);
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        (self.on_change)(ListKind::Prompts);
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        (self.on_change)(ListKind::Resources);
    }

    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        if self.elicitor.is_some() {
            capabilities.elicitation = Some(
                ElicitationCapability::new()
                    .with_form(FormElicitationCapability::new())
                    .with_url(UrlElicitationCapability::new()),
            );
        }
        ClientConfig::new(
            capabilities,
            Implementation::new("ferrule", env!("CARGO_PKG_VERSION")),
        )
    }
}

/// A live connection. Dropping it closes the transport (a stdio server's
/// process is killed).
pub(crate) struct Connection {
    pub(crate) service: RunningService<RoleClient, Handler>,
    stderr: Arc<Mutex<String>>,
}

impl Connection {
    /// The last lines the server wrote to stderr (stdio servers).
    pub(crate) fn stderr_tail(&self) -> String {
        tail_of(&self.stderr)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.service.cancellation_token().cancel();
    }
}

/// Keeps at most this much of a server's stderr for error messages.
const STDERR_KEEP: usize = 2000;

fn tail_of(buffer: &Mutex<String>) -> String {
    buffer
        .lock()
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// Connects to `spec` and completes the MCP handshake within `startup`.
///
/// # Errors
/// A message for the server's status: spawn failure (with the command),
/// handshake failure or timeout (with the server's last stderr lines).
pub(crate) async fn connect(
    spec: &ServerSpec,
    startup: Duration,
    sdk: Option<&SdkConnector>,
    on_change: ChangeCallback,
    elicitor: SharedElicitor,
) -> Result<Connection, String> {
    ensure_crypto_provider();
    let handler = Handler {
        on_change,
        server: spec.name.clone(),
        elicitor,
    };
    let stderr = Arc::new(Mutex::new(String::new()));
    let serving = async {
        match &spec.transport {
            TransportSpec::Stdio {
                command,
                args,
                env,
                cwd,
            } => {
                let mut cmd = tokio::process::Command::new(command);
                cmd.args(args).envs(env).kill_on_drop(true);
                if let Some(dir) = cwd {
                    cmd.current_dir(dir);
                }
                let (child, child_stderr) = TokioChildProcess::builder(cmd)
                    .stderr(Stdio::piped())
                    .spawn()
                    .map_err(|e| format!("cannot start `{command}`: {e}"))?;
                if let Some(pipe) = child_stderr {
                    let buffer = Arc::clone(&stderr);
                    let server = spec.name.clone();
                    tokio::spawn(async move {
                        let mut lines = tokio::io::BufReader::new(pipe).lines();
                        while let Ok(Some(line)) = lines.next_line().await {
                            tracing::debug!(server = %server, "mcp stderr: {line}");
                            if let Ok(mut kept) = buffer.lock() {
                                kept.push_str(&line);
                                kept.push('\n');
                                if kept.len() > STDERR_KEEP {
                                    let mut cut = kept.len() - STDERR_KEEP;
                                    while !kept.is_char_boundary(cut) {
                                        cut += 1;
                                    }
                                    kept.drain(..cut);
                                }
                            }
                        }
                    });
                }
                handler.serve(child).await.map_err(|e| e.to_string())
            }
            TransportSpec::Http { url, headers } => {
                let mut custom = HashMap::new();
                for (name, value) in headers {
                    let header = http::HeaderName::try_from(name.as_str())
                        .map_err(|e| format!("header `{name}`: {e}"))?;
                    let value = http::HeaderValue::from_str(value)
                        .map_err(|e| format!("header `{name}`: {e}"))?;
                    custom.insert(header, value);
                }
                let config = StreamableHttpClientTransportConfig::with_uri(url.as_str())
                    .custom_headers(custom);
                let transport = StreamableHttpClientTransport::from_config(config);
                handler.serve(transport).await.map_err(|e| e.to_string())
            }
            TransportSpec::Sse { url, headers } => {
                let transport = crate::sse::connect(url, headers).await?;
                handler.serve(transport).await.map_err(|e| e.to_string())
            }
            TransportSpec::Sdk { name } => {
                let Some(connector) = sdk else {
                    return Err("SDK server, but this host has no SDK bridge".to_owned());
                };
                let channels = connector(name)?;
                handler
                    .serve(ChannelTransport::new(channels))
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    };
    let outcome = tokio::time::timeout(startup, serving).await;
    let with_stderr = |message: String| {
        let tail = tail_of(&stderr);
        if tail.is_empty() {
            message
        } else {
            format!("{message}; server stderr: {tail}")
        }
    };
    match outcome {
        Ok(Ok(service)) => Ok(Connection { service, stderr }),
        Ok(Err(message)) => Err(with_stderr(tidy(&message))),
        Err(_) => Err(with_stderr(format!(
            "no answer to initialize within {} ms (MCP_TIMEOUT)",
            startup.as_millis()
        ))),
    }
}

/// reqwest is built without a default TLS provider (ring is the one the
/// workspace already compiles); install it once per process.
fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// rmcp's transport errors embed the transport's full type name
/// (`Transport [rmcp::transport::worker::WorkerTransport<...>] error: ...`);
/// keep only what helps a user.
pub(crate) fn tidy(message: &str) -> String {
    let Some(start) = message.find(" [rmcp::") else {
        return message.to_owned();
    };
    let mut depth = 0usize;
    for (i, c) in message[start + 1..].char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    let end = start + 1 + i + 1;
                    return format!("{}{}", &message[..start], &message[end..]);
                }
            }
            _ => {}
        }
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tidy_drops_type_names() {
        assert_eq!(
            super::tidy(
                "Send message error Transport [rmcp::a::B<C<[u8]>>] error: refused, when x"
            ),
            "Send message error Transport error: refused, when x"
        );
        assert_eq!(super::tidy("plain"), "plain");
    }
}
