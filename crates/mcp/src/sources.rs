//! Collecting the servers of a session from every documented place
//! (cli-core.md §8.1): settings files (`mcpServers` of user, project, local
//! and higher layers), the project's `.mcp.json`, enabled plugins'
//! `.mcp.json` (as `plugin:<plugin>:<server>`), and `--mcp-config`.
//!
//! Precedence for the same name: `--mcp-config` > local > project > user
//! . Servers of `.mcp.json` need the user's approval once, recorded
//! in the settings keys `enableAllProjectMcpServers`,
//! `enabledMcpjsonServers` and `disabledMcpjsonServers` (Claude Code's
//! names). These keys are read only from user, local, flag and policy
//! settings, never from the shared project file, so that a cloned
//! repository cannot approve its own servers. Non-interactive runs trust
//! the project: pass `trust_project_servers: true` and unapproved
//! servers start; otherwise they are reported in
//! [`LoadedServers::needs_approval`] and stay disabled.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use ferrule_config::{LayerStatus, LoadedSettings, Scope};
use serde_json::{Map, Value};

use crate::config::{ConfigError, McpScope, ServerSpec, expand_server, parse_server};

/// Settings key: approve every server of `.mcp.json`.
pub const ENABLE_ALL_KEY: &str = "enableAllProjectMcpServers";
/// Settings key: `.mcp.json` servers the user approved.
pub const ENABLED_KEY: &str = "enabledMcpjsonServers";
/// Settings key: `.mcp.json` servers the user rejected.
pub const DISABLED_KEY: &str = "disabledMcpjsonServers";
/// Settings key: servers of any scope switched off (`ferrule mcp disable`).
pub const SWITCHED_OFF_KEY: &str = "disabledMcpServers";

/// What [`load_servers`] reads.
#[derive(Debug, Clone, Default)]
pub struct LoadRequest {
    /// The project root.
    pub cwd: PathBuf,
    /// `--mcp-config` values: file paths (relative to `cwd`) or inline JSON
    /// (starting with `{`), each `{"mcpServers": {...}}`.
    pub mcp_config: Vec<String>,
    /// `--strict-mcp-config`: ignore settings files and `.mcp.json`.
    pub strict: bool,
    /// `--allowed-mcp-server-names`: when set, other servers are disabled.
    pub allowed_server_names: Option<Vec<String>>,
    /// Start `.mcp.json` servers nobody approved or rejected (print mode,
    /// SDK, server workers: A-22). The TUI passes `false` and asks.
    pub trust_project_servers: bool,
    /// Variables for `${VAR}` expansion; `None`: the process environment.
    pub env: Option<HashMap<String, String>>,
    /// The servers of the session's plugins (their `.mcp.json`).
    pub plugins: Vec<PluginServers>,
}

/// The `mcpServers` a plugin ships in its `.mcp.json` (cli-core.md §7.4).
///
/// Each joins the session as `plugin:<plugin>:<server>` (scope `plugin`),
/// so that two plugins, or a plugin and the user, can use the same server
/// name; its tools are `mcp__plugin_<plugin>_<server>__<tool>`. In the
/// config `${QODER_PLUGIN_ROOT}` is the plugin folder, and relative `cwd`
/// values are taken from it. Plugin servers need no approval: enabling
/// the plugin is the user's choice.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginServers {
    /// The plugin's name.
    pub plugin: String,
    /// The plugin folder.
    pub root: PathBuf,
    /// The `mcpServers` object (server name → config).
    pub servers: Value,
}

/// The session name of server `server` of plugin `plugin`.
pub fn plugin_server_name(plugin: &str, server: &str) -> String {
    format!("plugin:{plugin}:{server}")
}

/// The servers of a session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadedServers {
    /// Every configured server by name, the winning scope's config each;
    /// switched-off ones carry [`ServerSpec::disabled`].
    pub servers: Vec<ServerSpec>,
    /// `.mcp.json` servers waiting for the user's one-time choice (see
    /// [`crate::set_project_choice`]); they are disabled until then.
    pub needs_approval: Vec<String>,
    /// Servers that could not be read; they are left out.
    pub errors: Vec<ConfigError>,
}

/// Collects the servers for `request` from `settings` (already loaded with
/// `ferrule_config::load`, which expanded `${VAR}` in settings files), the
/// project's `.mcp.json` and `--mcp-config`. Never fails as a whole.
pub fn load_servers(request: &LoadRequest, settings: &LoadedSettings) -> LoadedServers {
    let lookup = |name: &str| match &request.env {
        Some(env) => env.get(name).cloned(),
        None => std::env::var(name).ok(),
    };
    let mut by_name: BTreeMap<String, ServerSpec> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut needs_approval = Vec::new();
    if !request.strict {
        for plugin in &request.plugins {
            add_plugin(&mut by_name, &mut errors, plugin, &lookup);
        }
        let layers: Vec<_> = settings
            .layers
            .iter()
            .filter(|l| l.status == LayerStatus::Loaded)
            .collect();
        for layer in layers.iter().filter(|l| l.scope == Scope::User) {
            add_layer(&mut by_name, &mut errors, layer, request);
        }
        let choices = ProjectChoices::from_settings(settings);
        let mcp_json = request.cwd.join(".mcp.json");
        for (name, mut spec) in
            read_mcp_file(&mcp_json, request, McpScope::Project, &lookup, &mut errors)
        {
            match choices.decide(&name) {
                Some(true) => {}
                Some(false) => {
                    spec.disabled = Some(format!(
                        "rejected for this project ({DISABLED_KEY} in settings)"
                    ));
                }
                None if request.trust_project_servers => {}
                None => {
                    spec.disabled = Some(
                        "project server from .mcp.json not approved yet (`ferrule mcp approve`)"
                            .to_owned(),
                    );
                    needs_approval.push(name.clone());
                }
            }
            by_name.insert(name, spec);
        }
        for layer in layers.iter().filter(|l| l.scope != Scope::User) {
            add_layer(&mut by_name, &mut errors, layer, request);
        }
    }
    for value in &request.mcp_config {
        let (text, source, base) = if value.trim_start().starts_with('{') {
            (
                Ok(value.clone()),
                "--mcp-config".to_owned(),
                request.cwd.clone(),
            )
        } else {
            let path = request.cwd.join(value);
            let base = path
                .parent()
                .map_or_else(|| request.cwd.clone(), Path::to_path_buf);
            (
                std::fs::read_to_string(&path),
                path.display().to_string(),
                base,
            )
        };
        match text {
            Ok(text) => {
                for (name, spec) in parse_document(
                    &text,
                    &source,
                    &base,
                    McpScope::Dynamic,
                    &lookup,
                    &mut errors,
                ) {
                    by_name.insert(name, spec);
                }
            }
            Err(e) => errors.push(ConfigError {
                server: "*".to_owned(),
                source_name: source,
                message: format!("cannot read --mcp-config file: {e}"),
            }),
        }
    }
    let switched_off: Vec<String> = settings
        .layers
        .iter()
        .filter(|l| l.status == LayerStatus::Loaded)
        .flat_map(|l| strings(l.settings.extra.get(SWITCHED_OFF_KEY)))
        .collect();
    for spec in by_name.values_mut() {
        if spec.disabled.is_none() && switched_off.contains(&spec.name) {
            spec.disabled = Some(format!("disabled in settings ({SWITCHED_OFF_KEY})"));
        }
    }
    if let Some(allowed) = &request.allowed_server_names {
        for spec in by_name.values_mut() {
            if spec.disabled.is_none() && !allowed.iter().any(|a| a == &spec.name) {
                spec.disabled = Some("not in --allowed-mcp-server-names".to_owned());
            }
        }
    }
    needs_approval.retain(|n| by_name.get(n).is_some_and(|s| s.scope == McpScope::Project));
    LoadedServers {
        servers: by_name.into_values().collect(),
        needs_approval,
        errors,
    }
}

fn add_layer(
    by_name: &mut BTreeMap<String, ServerSpec>,
    errors: &mut Vec<ConfigError>,
    layer: &ferrule_config::SettingsLayer,
    request: &LoadRequest,
) {
    let Some(servers) = &layer.settings.mcp_servers else {
        return;
    };
    let scope = match layer.scope {
        Scope::User => McpScope::User,
        Scope::Project => McpScope::Project,
        Scope::Local => McpScope::Local,
        _ => McpScope::Flag,
    };
    let source = layer
        .path
        .as_ref()
        .map_or_else(|| layer.scope.to_string(), |p| p.display().to_string());
    let base = layer
        .project_root
        .clone()
        .unwrap_or_else(|| request.cwd.clone());
    for (name, value) in servers {
        match parse_server(name, value, scope, &base, &source) {
            Ok(spec) => {
                by_name.insert(name.clone(), spec);
            }
            Err(e) => errors.push(e),
        }
    }
}

/// Adds the servers of one plugin, `${QODER_PLUGIN_ROOT}` expanded.
fn add_plugin(
    by_name: &mut BTreeMap<String, ServerSpec>,
    errors: &mut Vec<ConfigError>,
    plugin: &PluginServers,
    lookup: &dyn Fn(&str) -> Option<String>,
) {
    let source = plugin.root.join(".mcp.json").display().to_string();
    let Value::Object(servers) = &plugin.servers else {
        errors.push(ConfigError {
            server: "*".to_owned(),
            source_name: source,
            message: format!(
                "plugin `{}`: `mcpServers` must be an object, got {}",
                plugin.plugin, plugin.servers
            ),
        });
        return;
    };
    let root = plugin.root.display().to_string();
    let lookup = |name: &str| {
        if name == "QODER_PLUGIN_ROOT" {
            Some(root.clone())
        } else {
            lookup(name)
        }
    };
    for (server, value) in servers {
        let name = plugin_server_name(&plugin.plugin, server);
        let mut value = value.clone();
        if let Err(message) = expand_server(&mut value, &lookup) {
            errors.push(ConfigError {
                server: name,
                source_name: source.clone(),
                message,
            });
            continue;
        }
        match parse_server(&name, &value, McpScope::Plugin, &plugin.root, &source) {
            Ok(spec) => {
                by_name.insert(name, spec);
            }
            Err(e) => errors.push(e),
        }
    }
}

/// Reads a `{"mcpServers": {...}}` file; a missing file has no servers.
fn read_mcp_file(
    path: &Path,
    request: &LoadRequest,
    scope: McpScope,
    lookup: &dyn Fn(&str) -> Option<String>,
    errors: &mut Vec<ConfigError>,
) -> Vec<(String, ServerSpec)> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_document(
            &text,
            &path.display().to_string(),
            &request.cwd,
            scope,
            lookup,
            errors,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            errors.push(ConfigError {
                server: "*".to_owned(),
                source_name: path.display().to_string(),
                message: format!("cannot read: {e}"),
            });
            Vec::new()
        }
    }
}

/// Parses a `{"mcpServers": {...}}` document, expanding `${VAR}`.
pub(crate) fn parse_document(
    text: &str,
    source: &str,
    base: &Path,
    scope: McpScope,
    lookup: &dyn Fn(&str) -> Option<String>,
    errors: &mut Vec<ConfigError>,
) -> Vec<(String, ServerSpec)> {
    let whole = |message: String| ConfigError {
        server: "*".to_owned(),
        source_name: source.to_owned(),
        message,
    };
    let root: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            errors.push(whole(format!("not valid JSON: {e}")));
            return Vec::new();
        }
    };
    let servers = match root.get("mcpServers") {
        Some(Value::Object(m)) => m.clone(),
        None if root.is_object() => Map::new(),
        _ => {
            errors.push(whole(
                "expected an object with an `mcpServers` object".to_owned(),
            ));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (name, mut value) in servers {
        if let Err(message) = expand_server(&mut value, lookup) {
            errors.push(ConfigError {
                server: name,
                source_name: source.to_owned(),
                message,
            });
            continue;
        }
        match parse_server(&name, &value, scope, base, source) {
            Ok(spec) => out.push((name, spec)),
            Err(e) => errors.push(e),
        }
    }
    out
}

/// The approval state of `.mcp.json` servers.
struct ProjectChoices {
    all: bool,
    enabled: Vec<String>,
    disabled: Vec<String>,
}

impl ProjectChoices {
    fn from_settings(settings: &LoadedSettings) -> Self {
        let mut choices = ProjectChoices {
            all: false,
            enabled: Vec::new(),
            disabled: Vec::new(),
        };
        for layer in &settings.layers {
            if layer.status != LayerStatus::Loaded || layer.scope == Scope::Project {
                continue;
            }
            let extra = &layer.settings.extra;
            if let Some(all) = extra.get(ENABLE_ALL_KEY).and_then(Value::as_bool) {
                choices.all = all;
            }
            choices.enabled.extend(strings(extra.get(ENABLED_KEY)));
            choices.disabled.extend(strings(extra.get(DISABLED_KEY)));
        }
        choices
    }

    /// `Some(true)` approved, `Some(false)` rejected, `None` undecided.
    /// A rejection beats an approval.
    fn decide(&self, name: &str) -> Option<bool> {
        if self.disabled.iter().any(|n| n == name) {
            Some(false)
        } else if self.all || self.enabled.iter().any(|n| n == name) {
            Some(true)
        } else {
            None
        }
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
