//! One MCP server's configuration, checked: how to reach it, where it was
//! configured, and whether it is switched off (cli-core.md §8.1, §8.2).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ferrule_protocol::sdk::{McpRemoteServer, McpSdkServer, McpStdioServer};
use serde_json::Value;

/// Where a server's configuration came from. Declared lowest precedence
/// first: for the same name a later scope wins (local > project > user).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum McpScope {
    /// A plugin's `.mcp.json` (named `plugin:<plugin>:<server>`).
    Plugin,
    /// `~/.qoder/settings.json` → `mcpServers`.
    User,
    /// `<proj>/.mcp.json`, or `<proj>/.qoder/settings.json` → `mcpServers`.
    Project,
    /// `<proj>/.qoder/settings.local.json` → `mcpServers`.
    Local,
    /// `--settings`, session or organisation settings.
    Flag,
    /// `--mcp-config`, or servers set by an SDK host.
    Dynamic,
}

impl McpScope {
    /// The name used in status listings and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            McpScope::Plugin => "plugin",
            McpScope::User => "user",
            McpScope::Project => "project",
            McpScope::Local => "local",
            McpScope::Flag => "flag",
            McpScope::Dynamic => "dynamic",
        }
    }
}

impl fmt::Display for McpScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to reach a server.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportSpec {
    /// A child process speaking MCP on stdin/stdout.
    Stdio {
        /// Program to run.
        command: String,
        /// Its arguments.
        args: Vec<String>,
        /// Variables added to the inherited environment.
        env: BTreeMap<String, String>,
        /// Working directory (default: the session's).
        cwd: Option<PathBuf>,
    },
    /// Streamable HTTP.
    Http {
        /// Endpoint.
        url: String,
        /// Headers sent with every request.
        headers: BTreeMap<String, String>,
    },
    /// The legacy HTTP+SSE transport (MCP 2024-11-05).
    Sse {
        /// Endpoint.
        url: String,
        /// Headers sent with every request.
        headers: BTreeMap<String, String>,
    },
    /// A server living in the SDK host, reached through the host's
    /// `mcp_message` bridge ([`crate::SdkConnector`]).
    Sdk {
        /// The name the SDK registered it under.
        name: String,
    },
}

impl TransportSpec {
    /// `stdio`, `http`, `sse` or `sdk`.
    pub fn kind(&self) -> &'static str {
        match self {
            TransportSpec::Stdio { .. } => "stdio",
            TransportSpec::Http { .. } => "http",
            TransportSpec::Sse { .. } => "sse",
            TransportSpec::Sdk { .. } => "sdk",
        }
    }
}

/// One configured server.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSpec {
    /// The name it was configured under (tool names use its sanitised form).
    pub name: String,
    /// Where it was configured.
    pub scope: McpScope,
    /// How to reach it.
    pub transport: TransportSpec,
    /// Tool-call timeout from the server's own `timeout` (milliseconds in
    /// the file); beats `MCP_TOOL_TIMEOUT`.
    pub timeout: Option<Duration>,
    /// The configuration as written (after `${VAR}` expansion), for status
    /// listings.
    pub raw: Value,
    /// Why the server is not started, when it is not: not approved yet,
    /// rejected, filtered out, or toggled off. Its status is `disabled`.
    pub disabled: Option<String>,
}

/// A server configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("MCP server `{server}` ({source_name}): {message}")]
pub struct ConfigError {
    /// The server's name.
    pub server: String,
    /// The file (or `--mcp-config` value) it came from.
    pub source_name: String,
    /// What is wrong.
    pub message: String,
}

/// Reads one server's JSON. Relative `cwd` values are taken from `base_dir`
/// (the project root for project files). `source_name` names the file in
/// errors. No `${VAR}` expansion happens here (see [`expand_server`]).
///
/// # Errors
/// Unknown `type` (WebSocket included), missing `command`/`url`, wrong
/// field types.
pub fn parse_server(
    name: &str,
    value: &Value,
    scope: McpScope,
    base_dir: &Path,
    source_name: &str,
) -> Result<ServerSpec, ConfigError> {
    let err = |message: String| ConfigError {
        server: name.to_owned(),
        source_name: source_name.to_owned(),
        message,
    };
    let Value::Object(fields) = value else {
        return Err(err(format!("expected an object, got {value}")));
    };
    let kind = match fields.get("type") {
        None => {
            if !fields.contains_key("command") && fields.contains_key("url") {
                return Err(err(
                    "a server with `url` needs `type`: `http` or `sse`".to_owned()
                ));
            }
            "stdio"
        }
        Some(Value::String(kind)) => kind.as_str(),
        Some(other) => return Err(err(format!("`type` must be a string, got {other}"))),
    };
    let timeout = fields
        .get("timeout")
        .map(|t| {
            t.as_u64()
                .map(Duration::from_millis)
                .ok_or_else(|| err(format!("`timeout` must be milliseconds, got {t}")))
        })
        .transpose()?;
    let mut body = fields.clone();
    body.remove("type");
    body.remove("timeout");
    let body = Value::Object(body);
    let fail = |e: serde_json::Error| err(format!("{e} (as a `{kind}` server)"));
    let transport = match kind {
        "stdio" => {
            let stdio: McpStdioServer = serde_json::from_value(body).map_err(fail)?;
            stdio_transport(stdio, base_dir).map_err(err)?
        }
        "http" | "sse" => {
            let remote: McpRemoteServer = serde_json::from_value(body).map_err(fail)?;
            let headers = remote.headers.unwrap_or_default();
            if kind == "http" {
                TransportSpec::Http {
                    url: remote.url,
                    headers,
                }
            } else {
                TransportSpec::Sse {
                    url: remote.url,
                    headers,
                }
            }
        }
        "sdk" => {
            let sdk: McpSdkServer = serde_json::from_value(body).map_err(fail)?;
            TransportSpec::Sdk { name: sdk.name }
        }
        "ws" => {
            return Err(err(
                "the WebSocket transport (`type: ws`) is not supported; use `http`".to_owned(),
            ));
        }
        other => {
            return Err(err(format!(
                "unknown `type` `{other}` (expected stdio, sse, http or sdk)"
            )));
        }
    };
    Ok(ServerSpec {
        name: name.to_owned(),
        scope,
        transport,
        timeout,
        raw: value.clone(),
        disabled: None,
    })
}

fn stdio_transport(stdio: McpStdioServer, base_dir: &Path) -> Result<TransportSpec, String> {
    if stdio.command.trim().is_empty() {
        return Err("`command` is empty".to_owned());
    }
    let cwd = match stdio.extra.get("cwd") {
        None | Some(Value::Null) => None,
        Some(Value::String(dir)) => Some(base_dir.join(dir)),
        Some(other) => return Err(format!("`cwd` must be a string, got {other}")),
    };
    Ok(TransportSpec::Stdio {
        command: stdio.command,
        args: stdio.args.unwrap_or_default(),
        env: stdio.env.unwrap_or_default(),
        cwd,
    })
}

/// Expands `${VAR}` and `${VAR:-default}` in the `command`, `args`, `env`,
/// `url` and `headers` of one server's JSON, in place (decision A-17).
///
/// # Errors
/// The field and the problem, e.g. an unset variable without default.
pub fn expand_server(
    value: &mut Value,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), String> {
    let Value::Object(fields) = value else {
        return Ok(());
    };
    for field in ["command", "args", "env", "url", "headers"] {
        if let Some(v) = fields.get_mut(field) {
            expand_strings(v, lookup).map_err(|e| format!("in `{field}`: {e}"))?;
        }
    }
    Ok(())
}

fn expand_strings(
    v: &mut Value,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ferrule_config::ExpandError> {
    match v {
        Value::String(s) => *s = ferrule_config::expand_vars(s, lookup)?,
        Value::Array(items) => {
            for item in items {
                expand_strings(item, lookup)?;
            }
        }
        Value::Object(map) => {
            for item in map.values_mut() {
                expand_strings(item, lookup)?;
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn parse(value: Value) -> Result<ServerSpec, ConfigError> {
        parse_server("s", &value, McpScope::Local, Path::new("/p"), "test.json")
    }

    #[test]
    fn reads_each_transport() {
        let stdio = parse(json!({"command": "srv", "args": ["-v"], "env": {"A": "1"}, "cwd": "sub", "timeout": 1500})).unwrap();
        assert_eq!(
            stdio.transport,
            TransportSpec::Stdio {
                command: "srv".into(),
                args: vec!["-v".into()],
                env: BTreeMap::from([("A".into(), "1".into())]),
                cwd: Some(PathBuf::from("/p/sub")),
            }
        );
        assert_eq!(stdio.timeout, Some(Duration::from_millis(1500)));
        let http =
            parse(json!({"type": "http", "url": "http://h/mcp", "headers": {"X": "y"}})).unwrap();
        assert_eq!(http.transport.kind(), "http");
        assert_eq!(
            parse(json!({"type": "sse", "url": "u"}))
                .unwrap()
                .transport
                .kind(),
            "sse"
        );
        assert_eq!(
            parse(json!({"type": "sdk", "name": "calc"}))
                .unwrap()
                .transport
                .kind(),
            "sdk"
        );
    }

    #[test]
    fn bad_configs_name_the_server_and_the_problem() {
        let e = parse(json!({"type": "ws", "url": "ws://x"})).unwrap_err();
        assert!(
            e.to_string().contains("`s` (test.json): the WebSocket"),
            "{e}"
        );
        let e = parse(json!({"url": "http://x"})).unwrap_err();
        assert!(e.message.contains("needs `type`"), "{e}");
        let e = parse(json!({"command": ""})).unwrap_err();
        assert!(e.message.contains("empty"), "{e}");
        let e = parse(json!({"command": "x", "timeout": "soon"})).unwrap_err();
        assert!(e.message.contains("timeout"), "{e}");
        assert!(parse(json!(["x"])).is_err());
    }

    #[test]
    fn expansion_covers_the_documented_fields_only() {
        let lookup = |n: &str| (n == "TOKEN").then(|| "t0k".to_owned());
        let mut v = json!({"command": "${TOKEN}", "args": ["${PORT:-80}"], "env": {"K": "${TOKEN}"},
                           "headers": {"Authorization": "Bearer ${TOKEN}"}, "description": "${NOPE}"});
        expand_server(&mut v, &lookup).unwrap();
        assert_eq!(v["command"], "t0k");
        assert_eq!(v["args"][0], "80");
        assert_eq!(v["env"]["K"], "t0k");
        assert_eq!(v["headers"]["Authorization"], "Bearer t0k");
        assert_eq!(v["description"], "${NOPE}");
        let mut bad = json!({"url": "${NOPE}"});
        let e = expand_server(&mut bad, &lookup).unwrap_err();
        assert!(e.contains("in `url`") && e.contains("NOPE"), "{e}");
    }
}
