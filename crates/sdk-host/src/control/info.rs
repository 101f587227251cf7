//! Reports about the session (`get_settings`, `get_usage_info`),
//! `end_session`, and the kinds ferrule answers with an error that says
//! why (proxy, BYOK, SDK memory).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::with_ready;
use crate::host::{Shared, lock};

pub(super) const SET_PROXY_UNSUPPORTED: &str = "set_proxy is not supported: ferrule reads its proxy (HTTPS_PROXY / HTTP_PROXY) when the session starts";

pub(super) const BYOK_UNSUPPORTED: &str = "BYOK configs are not supported: ferrule has no Qoder account; choose the provider with --model provider/model and its API key variable";

pub(super) const SDK_MEMORY_OFF: &str =
    "SDK memory is not enabled: ferrule does not accept the initialize `memory` config";

/// `get_settings`: the merged settings of every layer the session loaded.
pub(super) fn settings(shared: &Shared) -> Result<Value, String> {
    with_ready(shared, |ready| json!({"settings": ready.settings_json}))
}

/// `get_usage_info`: no account quota (ferrule has no Qoder account), and
/// this session's credits: one credit per US dollar of model cost, as the
/// price table counts it, per model.
pub(super) fn usage_info(shared: &Shared) -> Result<Value, String> {
    with_ready(shared, |_| ())?;
    let costs: BTreeMap<String, f64> = lock(&shared.costs).clone();
    let total: f64 = costs.values().sum();
    let models: Map<String, Value> = costs
        .into_iter()
        .map(|(model, credits)| (model, json!({"credits": credits})))
        .collect();
    Ok(json!({
        "usage": null,
        "session": {"total_credits": total, "model_usage": models},
        "usage_error": "ferrule has no Qoder account, so there is no account quota",
    }))
}

/// `end_session`: drop what is queued, stop the running turn, and end the
/// process as if stdin had closed.
pub(super) fn end_session(shared: &Shared, request: &Map<String, Value>) -> Value {
    let reason = request
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or("end_session");
    tracing::info!(reason, "the SDK ended the session");
    shared.queue.clear();
    shared.queue.close();
    if lock(&shared.running).is_some()
        && let Some(ready) = lock(&shared.ready).as_ref()
    {
        ready.controls.interrupt();
    }
    shared.ended.cancel();
    json!({})
}
