//! The Qoder Agent SDK control protocol over stdin/stdout
//! (`reference/sdk-protocol.md`): what `ferrule` does when a Qoder Agent
//! SDK (Python or TypeScript) starts it as its CLI.

mod outbox;
mod peer;

pub use outbox::{Outbox, OutboxWriter};
pub use peer::{Peer, PeerError};
