//! SDK hook callbacks (`sdk-protocol.md` §10): firing a hook registered in
//! `initialize.hooks` sends a `hook_callback` control request; the answer
//! is the hook's JSON output. The hooks dispatcher enforces the matcher's
//! timeout by dropping the call, which withdraws the request.

use async_trait::async_trait;
use ferrule_hooks::{CallbackHost, RunnerError};
use ferrule_protocol::sdk::{ControlRequest, HookCallbackRequest};
use serde_json::{Map, Value};

use crate::peer::Peer;

/// Answers hook callbacks by asking the SDK.
pub struct SdkCallbacks {
    peer: Peer,
}

impl SdkCallbacks {
    /// Callbacks sent through `peer`.
    pub fn new(peer: Peer) -> Self {
        Self { peer }
    }
}

#[async_trait]
impl CallbackHost for SdkCallbacks {
    async fn call(
        &self,
        callback_id: &str,
        input: Value,
        tool_use_id: Option<String>,
    ) -> Result<Value, RunnerError> {
        let request = ControlRequest::HookCallback(HookCallbackRequest {
            callback_id: callback_id.to_owned(),
            input,
            tool_use_id,
            extra: Map::new(),
        });
        let mut answer = self
            .peer
            .request(request, None, None)
            .await
            .map_err(|error| RunnerError(format!("hook callback {callback_id}: {error}")))?;
        // The Python SDK already renames `async_`/`continue_`; a host that
        // did not is tolerated.
        for (from, to) in [("async_", "async"), ("continue_", "continue")] {
            if let Some(value) = answer.remove(from) {
                answer.entry(to).or_insert(value);
            }
        }
        Ok(Value::Object(answer))
    }
}
