//! `Config`: reads and changes the settings files (`cli-core.md` §2.15,
//! `ConfigInput`/`ConfigOutput` of `[ts-ref]`).
//!
//! Keys are dotted paths into the settings JSON (`model`,
//! `permissions.defaultMode`, `env.RUST_LOG`). Without a scope, `get` and
//! `list` read the merged settings every layer gives; with one, that file
//! alone. `set` writes one file (`local` unless a scope is given): the rest
//! of the file is kept, a JSON `null` removes the key, and a value that
//! would make the file unusable settings is refused with the file left as
//! it was. A ferrule session watches its settings files: new permission
//! rules and hooks hold from the next tool call, other settings from the
//! next session.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use ferrule_config::{LoadOptions, Scope, SettingsEdit, edit_settings_file, parse_settings};
use ferrule_tool::{Access, ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// What `Config` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfigAction {
    /// Read one key.
    Get,
    /// Write one key.
    Set,
    /// Read every key.
    List,
}

/// Which settings file `Config` reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfigScope {
    /// The user's `settings.json` in the user directory (`~/.qoder`).
    User,
    /// The project's shared `.qoder/settings.json`.
    Project,
    /// The project's own `.qoder/settings.local.json`, not committed.
    Local,
}

impl ConfigScope {
    /// The settings layer this scope names.
    fn layer(self) -> Scope {
        match self {
            ConfigScope::User => Scope::User,
            ConfigScope::Project => Scope::Project,
            ConfigScope::Local => Scope::Local,
        }
    }
}

/// Input of `Config`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigInput {
    /// `get` one key, `set` one key, or `list` all of them.
    pub action: ConfigAction,
    /// The setting, as a dotted path (`permissions.defaultMode`); needed
    /// by `get` and `set`.
    #[serde(default)]
    pub key: Option<String>,
    /// The new value for `set` (any JSON; `null` removes the key).
    #[serde(default, deserialize_with = "present")]
    pub value: Option<Value>,
    /// The settings file: `user`, `project` or `local`. `get`/`list`
    /// without it read the merged settings; `set` without it writes `local`.
    #[serde(default)]
    pub scope: Option<ConfigScope>,
}

/// A field that is there, `null` included (serde's plain `Option` reads
/// `null` as absent, and `null` here means "remove").
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// The `Config` tool over one project's settings files.
#[derive(Debug, Clone)]
pub struct ConfigTool {
    load: LoadOptions,
}

impl ConfigTool {
    /// A tool reading the layers `load` describes and writing the user,
    /// project and local files of its project and user directory.
    pub fn new(load: LoadOptions) -> Self {
        Self { load }
    }

    /// The file of `scope`.
    pub fn file(&self, scope: ConfigScope) -> Option<PathBuf> {
        self.load.settings_file(scope.layer())
    }

    fn scope_file(&self, scope: ConfigScope) -> Result<PathBuf, String> {
        self.file(scope).ok_or_else(|| {
            "no user directory: neither a home directory nor FERRULE_HOME is set".into()
        })
    }

    /// The settings of `scope`, or merged over every layer.
    fn read(&self, scope: Option<ConfigScope>) -> Result<Value, String> {
        let Some(scope) = scope else {
            let loaded = ferrule_config::load(&self.load);
            return serde_json::to_value(&loaded.merged).map_err(|e| e.to_string());
        };
        let path = self.scope_file(scope)?;
        read_file(&path)
    }

    fn run(&self, input: &ConfigInput) -> Result<(String, Value), String> {
        match input.action {
            ConfigAction::List => {
                let settings = self.read(input.scope)?;
                let mut values = Map::new();
                flatten("", &settings, &mut values);
                let text = if values.is_empty() {
                    "No settings are set.".to_owned()
                } else {
                    values
                        .iter()
                        .map(|(k, v)| format!("{k} = {v}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                Ok((text, json!({"success": true, "values": values})))
            }
            ConfigAction::Get => {
                let key = key_of(input)?;
                let settings = self.read(input.scope)?;
                match lookup(&settings, &key) {
                    Some(value) => Ok((
                        format!("{} = {value}", key.join(".")),
                        json!({"success": true, "value": value}),
                    )),
                    None => Err(format!("`{}` is not set", key.join("."))),
                }
            }
            ConfigAction::Set => {
                let key = key_of(input)?;
                let Some(value) = &input.value else {
                    return Err("`set` needs a `value` (null removes the key)".into());
                };
                let scope = input.scope.unwrap_or(ConfigScope::Local);
                let path = self.scope_file(scope)?;
                let new = (!value.is_null()).then(|| value.clone());
                edit_settings_file(&path, &[SettingsEdit::Set(key.clone(), new)])
                    .map_err(|e| e.to_string())?;
                let text = if value.is_null() {
                    format!(
                        "Removed `{}` from the {} settings ({}).",
                        key.join("."),
                        scope.layer().as_str(),
                        path.display()
                    )
                } else {
                    format!(
                        "Set `{}` to {value} in the {} settings ({}).",
                        key.join("."),
                        scope.layer().as_str(),
                        path.display()
                    )
                };
                let text = format!(
                    "{text} Permission rules and hooks apply from the next tool call; \
                     other settings from the next session."
                );
                Ok((text, json!({"success": true, "value": value})))
            }
        }
    }
}

const DESCRIPTION: &str = "\
Reads or changes settings (the same files as settings.json).
- action `list`: every setting, as dotted keys; `get`: one key; `set`: write one key.
- key: a dotted path such as `model`, `permissions.defaultMode` or `env.RUST_LOG`.
- scope: `user`, `project` or `local`. Reading without a scope gives the merged settings \
every layer contributes; `set` writes `local` (.qoder/settings.local.json) unless told otherwise.
- value (for `set`): any JSON value; null removes the key. A value of the wrong type is refused.";

#[async_trait]
impl TypedTool for ConfigTool {
    type Input = ConfigInput;

    fn name(&self) -> &str {
        "Config"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn is_read_only(&self) -> bool {
        false
    }

    fn targets(&self, input: &ConfigInput, _: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        if input.action != ConfigAction::Set {
            return Ok(Vec::new());
        }
        let scope = input.scope.unwrap_or(ConfigScope::Local);
        Ok(self
            .file(scope)
            .map(|path| ToolTarget::Path {
                path,
                access: Access::Write,
            })
            .into_iter()
            .collect())
    }

    async fn call(&self, input: ConfigInput, _: &ToolContext) -> Result<ToolOutput, ToolError> {
        match self.run(&input) {
            Ok((text, structured)) => Ok(ToolOutput::text(text, structured)),
            Err(error) => Ok(ToolOutput::text(
                format!("Config {}: {error}", action_name(input.action)),
                json!({"success": false, "error": error}),
            )),
        }
    }
}

fn action_name(action: ConfigAction) -> &'static str {
    match action {
        ConfigAction::Get => "get",
        ConfigAction::Set => "set",
        ConfigAction::List => "list",
    }
}

/// The key of `input` split at dots; every segment must be non-empty.
fn key_of(input: &ConfigInput) -> Result<Vec<String>, String> {
    let Some(key) = input
        .key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    else {
        return Err(format!("`{}` needs a `key`", action_name(input.action)));
    };
    let parts: Vec<String> = key.split('.').map(str::to_owned).collect();
    if parts.iter().any(String::is_empty) {
        return Err(format!("`{key}` is not a key path: a segment is empty"));
    }
    Ok(parts)
}

/// One settings file as JSON; a missing file is empty settings.
fn read_file(path: &Path) -> Result<Value, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(json!({})),
        Err(e) => return Err(format!("reading {}: {e}", path.display())),
    };
    let parsed = parse_settings(&text, path);
    if parsed.settings.is_none() {
        let why = parsed
            .diagnostics
            .first()
            .map_or_else(|| "unusable settings".to_owned(), ToString::to_string);
        return Err(why);
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if text.trim().is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_str(text).map_err(|e| format!("{}: {e}", path.display()))
}

fn lookup<'a>(settings: &'a Value, key: &[String]) -> Option<&'a Value> {
    key.iter()
        .try_fold(settings, |value, part| value.as_object()?.get(part))
}

/// Every leaf (a scalar or a non-empty array) under its dotted key; null,
/// `[]` and `{}` say nothing and are left out.
fn flatten(prefix: &str, value: &Value, out: &mut Map<String, Value>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, value, out);
            }
        }
        Value::Null => {}
        Value::Array(items) if items.is_empty() => {}
        _ if prefix.is_empty() => {}
        _ => {
            out.insert(prefix.to_owned(), value.clone());
        }
    }
}
