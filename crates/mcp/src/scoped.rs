//! A subagent's own MCP servers: the `mcpServers` of its definition
//! (cli-core.md §7.3), started for each run of that subagent only.
//!
//! The field is a list whose items are server names (servers configured
//! for the session) or objects of inline configs (`{"name": {config}}`),
//! or one such object. Inline configs take `${VAR}` like every other
//! config.

use std::path::Path;

use serde_json::Value;

use crate::config::{ConfigError, McpScope, ServerSpec, expand_server, parse_server};

/// One entry of a subagent's `mcpServers`.
#[derive(Debug, Clone, PartialEq)]
pub enum SubagentServer {
    /// A server configured for the session, by name.
    Named(String),
    /// A server configured in the definition itself (scope `dynamic`).
    Inline(Box<ServerSpec>),
}

/// Reads a subagent's `mcpServers` value. `source` names the definition
/// file in errors; relative `cwd` values are taken from `base_dir`. Bad
/// entries are reported and left out.
pub fn subagent_servers(
    value: &Value,
    source: &str,
    base_dir: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> (Vec<SubagentServer>, Vec<ConfigError>) {
    let mut servers = Vec::new();
    let mut errors = Vec::new();
    let inline = |name: &str, config: &Value, errors: &mut Vec<ConfigError>| {
        let mut config = config.clone();
        if let Err(message) = expand_server(&mut config, lookup) {
            errors.push(ConfigError {
                server: name.to_owned(),
                source_name: source.to_owned(),
                message,
            });
            return None;
        }
        match parse_server(name, &config, McpScope::Dynamic, base_dir, source) {
            Ok(spec) => Some(SubagentServer::Inline(Box::new(spec))),
            Err(error) => {
                errors.push(error);
                None
            }
        }
    };
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![value],
        Value::String(_) => vec![value],
        Value::Null => Vec::new(),
        other => {
            errors.push(ConfigError {
                server: "*".to_owned(),
                source_name: source.to_owned(),
                message: format!(
                    "`mcpServers` must be a list of names and {{name: config}} objects, got {other}"
                ),
            });
            Vec::new()
        }
    };
    for item in items {
        match item {
            Value::String(name) => servers.push(SubagentServer::Named(name.trim().to_owned())),
            Value::Object(map) => {
                for (name, config) in map {
                    servers.extend(inline(name, config, &mut errors));
                }
            }
            other => errors.push(ConfigError {
                server: "*".to_owned(),
                source_name: source.to_owned(),
                message: format!(
                    "an `mcpServers` entry must be a server name or a {{name: config}} object, got {other}"
                ),
            }),
        }
    }
    (servers, errors)
}
