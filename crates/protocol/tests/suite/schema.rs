//! The types derive JSON Schemas whose properties carry the doc comments.

use schemars::schema_for;
use serde_json::Value;

use ferrule_protocol::AgentEvent;
use ferrule_protocol::sdk::{ControlRequest, StreamMessage};

/// Paths of properties that have no `description`.
fn undocumented(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                for (name, property) in properties {
                    // A tag (`"const"`) is described by its variant.
                    let is_tag = property.get("const").is_some();
                    if !is_tag && property.get("description").is_none() {
                        out.push(format!("{path}.{name}"));
                    }
                }
            }
            for (key, child) in map {
                undocumented(child, &format!("{path}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                undocumented(child, &format!("{path}[{index}]"), out);
            }
        }
        _ => {}
    }
}

fn assert_documented(schema: &Value) {
    let mut missing = Vec::new();
    undocumented(schema, "#", &mut missing);
    assert!(
        missing.is_empty(),
        "properties without a description: {missing:#?}"
    );
}

#[test]
fn stream_message_schema_documents_every_property() {
    let schema = serde_json::to_value(schema_for!(StreamMessage)).unwrap();
    assert_documented(&schema);
    let text = schema.to_string();
    assert!(
        text.contains("Why the response ended"),
        "field docs missing"
    );
}

#[test]
fn control_request_schema_documents_every_property() {
    assert_documented(&serde_json::to_value(schema_for!(ControlRequest)).unwrap());
}

#[test]
fn agent_event_schema_documents_every_property() {
    assert_documented(&serde_json::to_value(schema_for!(AgentEvent)).unwrap());
}
