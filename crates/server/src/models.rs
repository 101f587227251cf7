//! `GET /models` (`cloud-api.md` §3): the tier names, the configured
//! aliases and the server's default model.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::app::AppState;

const TIERS: [(&str, &str); 5] = [
    ("auto", "Auto"),
    ("ultimate", "Ultimate"),
    ("performance", "Performance"),
    ("efficient", "Efficient"),
    ("lite", "Lite"),
];

fn model(id: &str, display: &str, source: &str) -> Value {
    json!({
        "id": id,
        "type": "model",
        "display_name": display,
        "source": source,
        "is_enabled": true,
        "is_new": false,
    })
}

/// `GET /models`
pub(crate) async fn list(State(state): State<AppState>) -> Json<Value> {
    let mut data: Vec<Value> = TIERS
        .iter()
        .map(|(id, name)| model(id, name, "system"))
        .collect();
    for alias in state.config.model_aliases.keys() {
        if !TIERS.iter().any(|(id, _)| id == alias) {
            data.push(model(alias, alias, "user"));
        }
    }
    if let Some(default) = &state.config.default_model
        && !data.iter().any(|m| m["id"] == default.as_str())
    {
        data.push(model(default, default, "system"));
    }
    Json(json!({"data": data, "has_more": false}))
}
