//! The coordinator's roster (`multiagent.agents`, `managed-agents.md`):
//! which agents a child thread may run, and the snapshot a child gets.
//! Entries are `"agent_…"`, `{"type": "agent", "id", "version"?, "name"?}`
//! or `{"type": "self"}` (the coordinator's own agent).

use serde_json::Value;

use crate::app::AppState;

/// One roster entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// The agent ID, or `self`.
    pub(crate) id: String,
    /// A pinned version.
    pub(crate) version: Option<i64>,
    /// The display name the entry gives.
    pub(crate) name: Option<String>,
}

/// The entries of the session agent's `multiagent.agents`.
pub(crate) fn members(session: &Value) -> Vec<Member> {
    session["agent"]["multiagent"]["agents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| match entry {
            Value::String(id) => Some(Member {
                id: id.clone(),
                version: None,
                name: None,
            }),
            Value::Object(map) => match map.get("type").and_then(Value::as_str) {
                Some("self") => Some(Member {
                    id: "self".to_owned(),
                    version: None,
                    name: None,
                }),
                Some("agent") => Some(Member {
                    id: map.get("id").and_then(Value::as_str)?.to_owned(),
                    version: map.get("version").and_then(Value::as_i64),
                    name: map.get("name").and_then(Value::as_str).map(str::to_owned),
                }),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// A one-line summary of the roster for tool descriptions.
pub(crate) fn summary(session: &Value) -> String {
    let entries: Vec<String> = members(session)
        .iter()
        .map(|m| match &m.name {
            Some(name) => format!("{} ({name})", m.id),
            None => m.id.clone(),
        })
        .collect();
    entries.join(", ")
}

/// The agent snapshot and display name a child thread of `agent_id` runs:
/// the roster agent (its pinned version or the latest), or for `self` the
/// coordinator's own snapshot, always without `multiagent`. `Err` is a
/// message for the model.
pub(crate) async fn snapshot(
    state: &AppState,
    session: &Value,
    agent_id: &str,
) -> Result<(Value, String), String> {
    let roster = members(session);
    let Some(member) = roster.iter().find(|m| m.id == agent_id) else {
        return Err(format!(
            "Agent '{agent_id}' is not in this coordinator's roster. Use one of: {}.",
            summary(session)
        ));
    };
    let mut agent = if member.id == "self" {
        session["agent"].clone()
    } else {
        let current = crate::agents::load(state, &member.id)
            .await
            .map_err(|e| format!("Agent '{agent_id}' cannot be used: {}", e.message))?;
        let body = match member.version {
            Some(version) => crate::agents::load_version(state, &member.id, version)
                .await
                .map_err(|e| format!("Agent '{agent_id}' cannot be used: {}", e.message))?,
            None => current.body,
        };
        crate::sessions::embed_agent(&body)
    };
    if let Some(map) = agent.as_object_mut() {
        map.remove("multiagent");
    }
    let name = member
        .name
        .clone()
        .or_else(|| agent["name"].as_str().map(str::to_owned))
        .unwrap_or_else(|| member.id.clone());
    Ok((agent, name))
}
