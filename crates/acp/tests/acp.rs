//! ferrule-acp driven by the `agent-client-protocol` client side.

mod suite;
