//! Plugins: a folder with an optional `.qoder-plugin/plugin.json` manifest
//! and convention folders (cli-core §7.4, `[plug]`). A plugin contributes
//! commands, subagents and skills (loaded like the user's own) and hooks
//! and MCP servers (passed through as data for the hooks and MCP crates).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::source::{Kind, Skipped};

/// One path or a list of paths, relative to the plugin root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathList {
    /// A single path.
    One(String),
    /// Several paths.
    Many(Vec<String>),
}

impl PathList {
    fn paths(&self) -> Vec<&str> {
        match self {
            PathList::One(p) => vec![p.as_str()],
            PathList::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// The `plugin.json` manifest. Only `name` is required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginManifest {
    /// Unique identifier, no spaces.
    pub name: String,
    /// Semantic version.
    #[serde(default)]
    pub version: Option<String>,
    /// Short description.
    #[serde(default)]
    pub description: Option<String>,
    /// Author (a string or an object), passed through.
    #[serde(default)]
    pub author: Option<serde_json::Value>,
    /// Homepage URL.
    #[serde(default)]
    pub homepage: Option<String>,
    /// Repository URL.
    #[serde(default)]
    pub repository: Option<String>,
    /// SPDX license.
    #[serde(default)]
    pub license: Option<String>,
    /// Tags.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Replaces the `commands/` convention folder.
    #[serde(default)]
    pub commands: Option<PathList>,
    /// Replaces the `agents/` convention folder.
    #[serde(default)]
    pub agents: Option<PathList>,
    /// Replaces the `skills/` convention folder.
    #[serde(default)]
    pub skills: Option<PathList>,
    /// A path to a hooks file, or inline hooks, replacing
    /// `hooks/hooks.json`.
    #[serde(default)]
    pub hooks: Option<serde_json::Value>,
    /// Replaces the `output-styles/` convention folder.
    #[serde(default)]
    pub output_styles: Option<PathList>,
}

/// A loaded plugin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plugin {
    /// The manifest name, or the folder name without a manifest.
    pub name: String,
    /// The plugin folder (`${QODER_PLUGIN_ROOT}`).
    pub root: PathBuf,
    /// The manifest, when present.
    pub manifest: Option<PluginManifest>,
    /// The inner `hooks` value, same shape as settings `hooks`.
    pub hooks: Option<serde_json::Value>,
    /// The `mcpServers` of the plugin's `.mcp.json`.
    pub mcp_servers: Option<serde_json::Value>,
    /// Folders of commands (or single command files) it contributes.
    pub command_paths: Vec<PathBuf>,
    /// Folders of subagents (or single files).
    pub agent_paths: Vec<PathBuf>,
    /// Folders of skills (or single skill folders).
    pub skill_paths: Vec<PathBuf>,
    /// Output-style folders, passed through.
    pub output_style_paths: Vec<PathBuf>,
    /// The `bin/` folder, when present.
    pub bin: Option<PathBuf>,
}

fn read_json(path: &Path, skipped: &mut Vec<Skipped>) -> Option<serde_json::Value> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            skipped.push(Skipped::new(
                Kind::Plugin,
                path,
                format!("cannot read: {e}"),
            ));
            return None;
        }
    };
    match serde_json::from_str(&text) {
        Ok(value) => Some(value),
        Err(e) => {
            skipped.push(Skipped::at_line(
                Kind::Plugin,
                path,
                e.line(),
                format!("invalid JSON at column {}: {e}", e.column()),
            ));
            None
        }
    }
}

fn unwrap_key(value: serde_json::Value, key: &str) -> serde_json::Value {
    match value {
        serde_json::Value::Object(mut map) if map.contains_key(key) => {
            map.remove(key).unwrap_or(serde_json::Value::Null)
        }
        other => other,
    }
}

fn resolve(root: &Path, list: Option<&PathList>, convention: &str) -> Vec<PathBuf> {
    match list {
        Some(list) => list.paths().into_iter().map(|p| root.join(p)).collect(),
        None => {
            let dir = root.join(convention);
            if dir.is_dir() { vec![dir] } else { Vec::new() }
        }
    }
}

/// Loads the plugin at `root`. A missing folder or a broken manifest skips
/// the plugin; a broken hooks or MCP file skips only that part.
pub(crate) fn load(root: &Path, skipped: &mut Vec<Skipped>) -> Option<Plugin> {
    if !root.is_dir() {
        skipped.push(Skipped::new(
            Kind::Plugin,
            root,
            "plugin folder does not exist",
        ));
        return None;
    }
    let manifest_path = root.join(".qoder-plugin").join("plugin.json");
    let manifest = if manifest_path.is_file() {
        let value = read_json(&manifest_path, skipped)?;
        match serde_json::from_value::<PluginManifest>(value) {
            Ok(m) => Some(m),
            Err(e) => {
                skipped.push(Skipped::new(
                    Kind::Plugin,
                    &manifest_path,
                    format!("invalid manifest: {e}"),
                ));
                return None;
            }
        }
    } else {
        None
    };
    let name = match &manifest {
        Some(m) => m.name.trim().to_string(),
        None => root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    if name.is_empty() || name.chars().any(char::is_whitespace) {
        skipped.push(Skipped::new(
            Kind::Plugin,
            if manifest.is_some() {
                manifest_path.clone()
            } else {
                root.to_path_buf()
            },
            format!("plugin name `{name}` must be non-empty and contain no spaces"),
        ));
        return None;
    }
    let hooks = match manifest.as_ref().and_then(|m| m.hooks.clone()) {
        Some(serde_json::Value::String(path)) => {
            read_json(&root.join(path), skipped).map(|v| unwrap_key(v, "hooks"))
        }
        Some(inline) => Some(unwrap_key(inline, "hooks")),
        None => {
            let path = root.join("hooks").join("hooks.json");
            if path.is_file() {
                read_json(&path, skipped).map(|v| unwrap_key(v, "hooks"))
            } else {
                None
            }
        }
    };
    let mcp_path = root.join(".mcp.json");
    let mcp_servers = if mcp_path.is_file() {
        read_json(&mcp_path, skipped).map(|v| unwrap_key(v, "mcpServers"))
    } else {
        None
    };
    let bin = root.join("bin");
    Some(Plugin {
        name,
        root: root.to_path_buf(),
        command_paths: resolve(
            root,
            manifest.as_ref().and_then(|m| m.commands.as_ref()),
            "commands",
        ),
        agent_paths: resolve(
            root,
            manifest.as_ref().and_then(|m| m.agents.as_ref()),
            "agents",
        ),
        skill_paths: resolve(
            root,
            manifest.as_ref().and_then(|m| m.skills.as_ref()),
            "skills",
        ),
        output_style_paths: resolve(
            root,
            manifest.as_ref().and_then(|m| m.output_styles.as_ref()),
            "output-styles",
        ),
        bin: bin.is_dir().then_some(bin),
        manifest,
        hooks,
        mcp_servers,
    })
}
