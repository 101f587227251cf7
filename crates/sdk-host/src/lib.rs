//! The Qoder Agent SDK control protocol over stdin/stdout
//! (`reference/sdk-protocol.md`): what `ferrule` does when a Qoder Agent
//! SDK (Python or TypeScript) starts it as its CLI.

mod callbacks;
mod events;
mod outbox;
mod peer;
mod sdk_mcp;

pub use callbacks::SdkCallbacks;
pub use events::{EventIds, EventLines, assistant_error};
pub use outbox::{Outbox, OutboxWriter};
pub use peer::{Peer, PeerError};
pub use sdk_mcp::{SdkMcpError, SdkMcpServer, exposed_name, failed_status};
