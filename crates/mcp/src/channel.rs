//! The transport for in-process SDK servers (sdk-protocol.md §11): JSON-RPC
//! messages as `serde_json::Value`s over a pair of channels. The SDK host
//! forwards what it receives on [`SdkChannels::to_server`] as `mcp_message`
//! control requests and feeds the answers into [`SdkChannels::from_server`].

use std::borrow::Cow;
use std::sync::Arc;

use rmcp::RoleClient;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde_json::Value;
use tokio::sync::mpsc;

/// The two ends ferrule-mcp uses to talk to one SDK server.
#[derive(Debug)]
pub struct SdkChannels {
    /// JSON-RPC messages ferrule sends to the server (requests and
    /// notifications, e.g. `initialize`, `tools/list`, `tools/call`).
    pub to_server: mpsc::UnboundedSender<Value>,
    /// The server's JSON-RPC messages (responses). Anything that is not a
    /// valid JSON-RPC message, such as the id-less "response" the Python
    /// SDK sends for `notifications/initialized`, is skipped.
    pub from_server: mpsc::UnboundedReceiver<Value>,
}

impl SdkChannels {
    /// A connected pair: the [`SdkChannels`] for ferrule-mcp and the host's
    /// ends (`(receiver of ferrule's messages, sender of the server's)`).
    pub fn pair() -> (
        SdkChannels,
        (mpsc::UnboundedReceiver<Value>, mpsc::UnboundedSender<Value>),
    ) {
        let (to_server, host_rx) = mpsc::unbounded_channel();
        let (host_tx, from_server) = mpsc::unbounded_channel();
        (
            SdkChannels {
                to_server,
                from_server,
            },
            (host_rx, host_tx),
        )
    }
}

/// Opens the channels to the SDK server of the given name (called at start
/// and on every reconnect). An `Err` becomes the server's failure message.
pub type SdkConnector = Arc<dyn Fn(&str) -> Result<SdkChannels, String> + Send + Sync>;

/// The SDK host went away.
#[derive(Debug, thiserror::Error)]
#[error("the SDK host closed the MCP channel")]
pub struct ChannelClosed;

pub(crate) struct ChannelTransport {
    channels: SdkChannels,
}

impl ChannelTransport {
    pub(crate) fn new(channels: SdkChannels) -> Self {
        Self { channels }
    }
}

impl Transport<RoleClient> for ChannelTransport {
    type Error = ChannelClosed;

    fn name() -> Cow<'static, str> {
        "sdk-channel".into()
    }

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let sent = serde_json::to_value(&item)
            .map_err(|_| ChannelClosed)
            .and_then(|v| self.channels.to_server.send(v).map_err(|_| ChannelClosed));
        std::future::ready(sent)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleClient>> {
        loop {
            let value = self.channels.from_server.recv().await?;
            match serde_json::from_value::<RxJsonRpcMessage<RoleClient>>(value) {
                Ok(message) => return Some(message),
                Err(e) => {
                    tracing::debug!("skipping a non-JSON-RPC message from an SDK server: {e}")
                }
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.channels.from_server.close();
        Ok(())
    }
}
