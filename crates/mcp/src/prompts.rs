//! MCP prompts as slash commands `/mcp__<server>__<prompt>` (cli-core.md
//! §8.3): listing them and fetching one's messages.

use serde_json::{Map, Value, json};

use crate::catalog::McpPrompt;
use crate::manager::McpManager;
use crate::options::McpClientError;

/// A fetched prompt: the messages to put into the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptText {
    /// The prompt's description, if the server gave one.
    pub description: Option<String>,
    /// `(role, text)` per message, roles `user` or `assistant`. Non-text
    /// content is replaced by a line naming it.
    pub messages: Vec<(String, String)>,
}

impl PromptText {
    /// All message texts joined by blank lines: what a slash command sends
    /// as the user's message.
    pub fn joined(&self) -> String {
        self.messages
            .iter()
            .map(|(_, text)| text.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

impl McpManager {
    /// The prompts of the connected servers, by command name.
    pub fn prompts(&self) -> Vec<McpPrompt> {
        self.offered()
            .into_iter()
            .flat_map(|(_, c)| c.prompts)
            .collect()
    }

    /// Fetches prompt `name` of `server` with `arguments` (`prompts/get`).
    ///
    /// # Errors
    /// Unknown server, a missing required argument (reported by the
    /// server), or a failed request.
    pub async fn get_prompt(
        &self,
        server: &str,
        name: &str,
        arguments: Map<String, Value>,
    ) -> Result<PromptText, McpClientError> {
        let params: rmcp::model::GetPromptRequestParams =
            serde_json::from_value(json!({"name": name, "arguments": arguments})).map_err(|e| {
                McpClientError::Rejected {
                    server: server.to_owned(),
                    what: format!("prompts/get {name}"),
                    code: -32602,
                    message: e.to_string(),
                }
            })?;
        let timeout = Some(self.inner.options.startup_timeout);
        let what = format!("prompts/get {name}");
        let result = self
            .request(server, &what, timeout, None, |peer| async move {
                peer.get_prompt(params).await
            })
            .await?;
        let value = serde_json::to_value(&result).unwrap_or(Value::Null);
        let messages = value["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                let role = m["role"].as_str().unwrap_or("user").to_owned();
                let content = &m["content"];
                let text = match content["type"].as_str() {
                    Some("text") => content["text"].as_str().unwrap_or_default().to_owned(),
                    Some("resource") => content["resource"]["text"]
                        .as_str()
                        .map_or_else(|| "[binary resource not shown]".to_owned(), str::to_owned),
                    Some(other) => format!("[{other} content not shown]"),
                    None => String::new(),
                };
                (role, text)
            })
            .collect();
        Ok(PromptText {
            description: value["description"].as_str().map(str::to_owned),
            messages,
        })
    }

    /// Runs slash command `command` (`mcp__server__prompt`, with or without
    /// the leading `/`) with the rest of the command line: its
    /// whitespace-separated words fill the prompt's arguments in order, the
    /// last argument taking the remaining text. `None` when no prompt has
    /// that command name.
    pub async fn run_prompt_command(
        &self,
        command: &str,
        line: &str,
    ) -> Option<Result<PromptText, McpClientError>> {
        let command = command.strip_prefix('/').unwrap_or(command);
        let prompt = self.prompts().into_iter().find(|p| p.command == command)?;
        let mut arguments = Map::new();
        let mut rest = line.trim();
        let count = prompt.arguments.len();
        for (i, arg) in prompt.arguments.iter().enumerate() {
            if rest.is_empty() {
                break;
            }
            let value = if i + 1 == count {
                std::mem::take(&mut rest).to_owned()
            } else {
                let (word, tail) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                rest = tail.trim_start();
                word.to_owned()
            };
            arguments.insert(arg.name.clone(), Value::String(value));
        }
        Some(
            self.get_prompt(&prompt.server, &prompt.name, arguments)
                .await,
        )
    }
}
