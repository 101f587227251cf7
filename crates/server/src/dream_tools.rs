//! The tools of the dreaming agent (`dreams.md`: least privilege): `memory`
//! over the output store and `session_list` / `session_read` over the
//! sessions it reviews. They are offered as custom tools of the hidden
//! session; the dream run answers each call itself through the same
//! memory-store handlers the API serves, so every write is versioned.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Map, Value, json};

use crate::app::AppState;
use crate::error::ApiError;
use crate::input::{JsonObject, QueryPairs};
use crate::{memories, sessions};

/// Longest transcript handed to the agent, in characters.
const MAX_TRANSCRIPT: usize = 40_000;

/// The custom tool definitions of the dreaming agent.
pub(crate) fn definitions() -> Value {
    json!([
        {"type": "custom", "name": "memory",
         "description": "Work on the memory store being consolidated. command 'list' shows every \
                         memory path and size (optionally under path_prefix); 'read' returns the \
                         content at path; 'write' creates or replaces the memory at path with \
                         content; 'delete' removes the memory at path.",
         "input_schema": {"type": "object", "properties": {
             "command": {"type": "string", "enum": ["list", "read", "write", "delete"]},
             "path": {"type": "string"},
             "content": {"type": "string"},
             "path_prefix": {"type": "string"}},
             "required": ["command"]}},
        {"type": "custom", "name": "session_list",
         "description": "List the sessions to review (ID, title, status, creation time).",
         "input_schema": {"type": "object", "properties": {}}},
        {"type": "custom", "name": "session_read",
         "description": "Read the transcript of a session: the user's and the agent's messages \
                         and the tools the agent called.",
         "input_schema": {"type": "object", "properties": {
             "session_id": {"type": "string"}}, "required": ["session_id"]}},
    ])
}

/// What the tools work on, and what they changed.
#[derive(Debug)]
pub(crate) struct Workspace {
    /// The output memory store.
    pub(crate) store_id: String,
    /// The sessions to review (empty: the most recent ones).
    pub(crate) session_ids: Vec<String>,
    /// Paths created, changed or deleted.
    pub(crate) touched: BTreeSet<String>,
}

fn text(input: &Value, name: &str) -> Result<String, String> {
    input[name]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| format!("'{name}' is required."))
}

fn api(error: ApiError) -> String {
    error.message
}

impl Workspace {
    /// Runs one call; `Err` is a tool error the model sees.
    pub(crate) async fn call(
        &mut self,
        state: &AppState,
        name: &str,
        input: &Value,
    ) -> Result<String, String> {
        match name {
            "memory" => self.memory(state, input).await,
            "session_list" => self.session_list(state).await,
            "session_read" => self.session_read(state, &text(input, "session_id")?).await,
            other => Err(format!("Unknown tool '{other}'.")),
        }
    }

    /// Every active entry of the output store, with content.
    pub(crate) async fn entries(state: &AppState, store_id: &str) -> Result<Vec<Value>, ApiError> {
        let mut out = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let mut query = "limit=100&view=full".to_owned();
            if let Some(page) = &page {
                query.push_str(&format!("&page={page}"));
            }
            let Json(list) = memories::list(
                State(state.clone()),
                Path(store_id.to_owned()),
                QueryPairs::parse(&query),
            )
            .await?;
            out.extend(list["data"].as_array().cloned().unwrap_or_default());
            match list["next_page"].as_str() {
                Some(next) if list["has_more"] == true => page = Some(next.to_owned()),
                _ => return Ok(out),
            }
        }
    }

    async fn find(&self, state: &AppState, path: &str) -> Result<Option<Value>, String> {
        let entries = Self::entries(state, &self.store_id).await.map_err(api)?;
        Ok(entries.into_iter().find(|e| e["path"] == path))
    }

    async fn memory(&mut self, state: &AppState, input: &Value) -> Result<String, String> {
        let command = text(input, "command")?;
        let store = || Path(self.store_id.clone());
        match command.as_str() {
            "list" => {
                let prefix = input["path_prefix"].as_str().unwrap_or("");
                let entries = Self::entries(state, &self.store_id).await.map_err(api)?;
                let lines: Vec<String> = entries
                    .iter()
                    .filter(|e| e["path"].as_str().is_some_and(|p| p.starts_with(prefix)))
                    .map(|e| format!("{} ({} bytes)", e["path"].as_str().unwrap_or(""), e["size"]))
                    .collect();
                Ok(if lines.is_empty() {
                    "The store holds no memories.".to_owned()
                } else {
                    lines.join("\n")
                })
            }
            "read" => {
                let path = text(input, "path")?;
                match self.find(state, &path).await? {
                    Some(entry) => Ok(entry["content"].as_str().unwrap_or("").to_owned()),
                    None => Err(format!("No memory at '{path}'.")),
                }
            }
            "write" => {
                let path = text(input, "path")?;
                let content = text(input, "content")?;
                let mut body = Map::new();
                body.insert("content".into(), json!(content));
                let existing = self.find(state, &path).await?;
                match existing {
                    Some(entry) => {
                        let id = entry["id"].as_str().unwrap_or("").to_owned();
                        let Path(store_id) = store();
                        let _updated = memories::update(
                            State(state.clone()),
                            Path((store_id, id)),
                            QueryPairs::default(),
                            JsonObject(body),
                        )
                        .await
                        .map_err(api)?;
                    }
                    None => {
                        body.insert("path".into(), json!(path));
                        let _created = memories::create(
                            State(state.clone()),
                            store(),
                            QueryPairs::default(),
                            JsonObject(body),
                        )
                        .await
                        .map_err(api)?;
                    }
                }
                self.touched.insert(path.clone());
                Ok(format!("Wrote '{path}'."))
            }
            "delete" => {
                let path = text(input, "path")?;
                let Some(entry) = self.find(state, &path).await? else {
                    return Err(format!("No memory at '{path}'."));
                };
                let id = entry["id"].as_str().unwrap_or("").to_owned();
                memories::delete(
                    State(state.clone()),
                    Path((self.store_id.clone(), id)),
                    QueryPairs::default(),
                )
                .await
                .map_err(api)?;
                self.touched.insert(path.clone());
                Ok(format!("Deleted '{path}'."))
            }
            other => Err(format!(
                "Unknown command '{other}'; use list, read, write or delete."
            )),
        }
    }

    async fn session_list(&self, state: &AppState) -> Result<String, String> {
        let mut sessions_found = Vec::new();
        if self.session_ids.is_empty() {
            let Json(list) = sessions::list(State(state.clone()), QueryPairs::parse("limit=20"))
                .await
                .map_err(api)?;
            sessions_found.extend(list["data"].as_array().cloned().unwrap_or_default());
        } else {
            for id in &self.session_ids {
                if let Ok(session) = sessions::load(state, id).await {
                    sessions_found.push(session.body);
                }
            }
        }
        let lines: Vec<String> = sessions_found
            .iter()
            .map(|s| {
                format!(
                    "{} | {} | {} | {}",
                    s["id"].as_str().unwrap_or(""),
                    s["title"].as_str().unwrap_or("(untitled)"),
                    s["status"].as_str().unwrap_or(""),
                    s["created_at"].as_str().unwrap_or("")
                )
            })
            .collect();
        Ok(if lines.is_empty() {
            "There are no sessions to review.".to_owned()
        } else {
            lines.join("\n")
        })
    }

    async fn session_read(&self, state: &AppState, id: &str) -> Result<String, String> {
        if !self.session_ids.is_empty() && !self.session_ids.iter().any(|s| s == id) {
            return Err(format!(
                "Session '{id}' is not one of the sessions to review."
            ));
        }
        let session = sessions::load(state, id).await.map_err(api)?;
        if session.body.get("dream_id").is_some() {
            return Err(format!(
                "Session '{id}' is not one of the sessions to review."
            ));
        }
        let events = state.store.events_after(id, None).await.map_err(api)?;
        let mut out = String::new();
        for event in events {
            let body = &event.body;
            let texts = || -> String {
                body["content"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|b| b["text"].as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let line = match body["type"].as_str() {
                Some("user.message") => format!("user: {}", texts()),
                Some("agent.message") => format!("agent: {}", texts()),
                Some("agent.tool_use" | "agent.custom_tool_use") => {
                    format!(
                        "agent called {}: {}",
                        body["name"].as_str().unwrap_or(""),
                        body["input"]
                    )
                }
                _ => continue,
            };
            out.push_str(&line);
            out.push('\n');
            if out.len() > MAX_TRANSCRIPT {
                let mut end = MAX_TRANSCRIPT;
                while !out.is_char_boundary(end) {
                    end -= 1;
                }
                out.truncate(end);
                out.push_str("\n[transcript truncated]");
                break;
            }
        }
        Ok(if out.is_empty() {
            "The session has no messages.".to_owned()
        } else {
            out
        })
    }
}
