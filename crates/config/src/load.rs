//! Finding, reading and merging every settings layer.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, Severity};
use crate::expand::expand_mcp_server;
use crate::merge::{Origins, merge_layer, top_level};
use crate::parse::parse_settings;
use crate::scope::{Scope, SettingSource, Vendor};
use crate::settings::{GeneralSettings, PermissionSettings, Settings};

/// Where ferrule looks for an organisation policy file when none is given
/// (the Qoder docs name the layer but not a file; this mirrors Claude Code's
/// `/etc/claude-code/managed-settings.json`).
pub const DEFAULT_POLICY_PATH: &str = "/etc/ferrule/managed-settings.json";

/// The placeholder path of inline `--settings` JSON in diagnostics.
pub const INLINE_FLAG_PATH: &str = "<--settings>";

/// Whether the project folder is trusted. Project and local settings apply
/// only in a trusted folder (cli-core.md §3.7, §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trust {
    /// Project files load (the default for non-interactive runs, A-22).
    #[default]
    Trusted,
    /// Project files are skipped.
    Untrusted,
}

/// Settings that come from command-line flags (layer 5, `cliArg`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CliArgs {
    /// `--permission-mode`, written to `general.defaultPermissionMode`.
    pub permission_mode: Option<String>,
    /// `--allowed-tools` rules (already split; see [`split_rule_list`]).
    pub allowed_tools: Vec<String>,
    /// `--disallowed-tools` rules.
    pub disallowed_tools: Vec<String>,
    /// `--add-dir` directories.
    pub add_dirs: Vec<String>,
    /// `--model`.
    pub model: Option<String>,
}

impl CliArgs {
    fn to_settings(&self) -> Option<Settings> {
        if self == &CliArgs::default() {
            return None;
        }
        let permissions = PermissionSettings {
            allow: self.allowed_tools.clone(),
            deny: self.disallowed_tools.clone(),
            additional_directories: self.add_dirs.clone(),
            ..PermissionSettings::default()
        };
        let general = self.permission_mode.as_ref().map(|m| GeneralSettings {
            default_permission_mode: Some(m.clone()),
            ..GeneralSettings::default()
        });
        Some(Settings {
            permissions: (permissions != PermissionSettings::default()).then_some(permissions),
            general,
            model: self.model.clone(),
            ..Settings::default()
        })
    }
}

/// Splits a flag value such as `Read,Grep,Bash(git log --format=%h,%s)` at
/// the commas outside parentheses; `\(` / `\)` do not count. Blank entries
/// are dropped.
pub fn split_rule_list(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    let mut escaped = false;
    for c in list.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current);
    out.into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// What [`load`] reads.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The project root (the startup directory or `-w/--cwd`).
    pub cwd: PathBuf,
    /// The Qoder user directory (`--config-dir`). `None`: `$FERRULE_HOME`,
    /// else `<home>/.qoder`.
    pub user_dir: Option<PathBuf>,
    /// The home directory (for `~/.qoder` and `~/.claude`). `None`: `$HOME`.
    pub home: Option<PathBuf>,
    /// `--settings`: a file path (relative to `cwd`; `~/` is the home
    /// directory) or inline JSON (starts with `{`).
    pub settings_flag: Option<String>,
    /// `--setting-sources`: which files load. `None`: all of them.
    pub setting_sources: Option<Vec<SettingSource>>,
    /// Command-line flags that act as settings.
    pub cli_args: CliArgs,
    /// Session changes kept in memory.
    pub session: Option<Settings>,
    /// The organisation policy file. `None`: no policy layer (the binary
    /// passes [`DEFAULT_POLICY_PATH`] or `$FERRULE_POLICY_SETTINGS`).
    pub policy_path: Option<PathBuf>,
    /// Whether the project folder is trusted.
    pub trust: Trust,
    /// Variables for `${VAR}` expansion. `None`: the process environment.
    pub env: Option<HashMap<String, String>>,
}

impl LoadOptions {
    /// Options for a project at `cwd`, everything else defaulted.
    pub fn new(cwd: impl Into<PathBuf>) -> Self {
        Self {
            cwd: cwd.into(),
            ..Self::default()
        }
    }

    /// The Qoder user directory these options resolve to, if any.
    pub fn resolved_user_dir(&self) -> Option<PathBuf> {
        self.user_dir
            .clone()
            .or_else(|| non_empty_env("FERRULE_HOME"))
            .or_else(|| self.resolved_home().map(|h| h.join(".qoder")))
    }

    /// Qoder's settings file of `scope`: `settings.json` in the user
    /// directory, the project's `.qoder/settings.json` or
    /// `.qoder/settings.local.json`. `None` for scopes without a file of
    /// their own, and for `User` when no user directory resolves.
    pub fn settings_file(&self, scope: Scope) -> Option<PathBuf> {
        match scope {
            Scope::User => self.resolved_user_dir().map(|d| user_settings_file(&d)),
            Scope::Project => Some(project_settings_file(&self.cwd)),
            Scope::Local => Some(local_settings_file(&self.cwd)),
            Scope::Flag | Scope::CliArg | Scope::Session | Scope::Policy => None,
        }
    }

    /// The home directory these options resolve to, if any.
    pub fn resolved_home(&self) -> Option<PathBuf> {
        self.home.clone().or_else(|| non_empty_env("HOME"))
    }

    fn lookup_env(&self, name: &str) -> Option<String> {
        match &self.env {
            Some(env) => env.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }
}

/// The user's Qoder settings file in user directory `user_dir`
/// (`~/.qoder` by default): `<user_dir>/settings.json`.
pub fn user_settings_file(user_dir: &Path) -> PathBuf {
    user_dir.join("settings.json")
}

/// The project's shared Qoder settings file, `<cwd>/.qoder/settings.json`.
pub fn project_settings_file(cwd: &Path) -> PathBuf {
    cwd.join(".qoder").join("settings.json")
}

/// The project's personal Qoder settings file (kept out of version
/// control), `<cwd>/.qoder/settings.local.json`: where "always allow"
/// answers and `ferrule mcp add --scope local` write.
pub fn local_settings_file(cwd: &Path) -> PathBuf {
    cwd.join(".qoder").join("settings.local.json")
}

/// A directory from the environment; set-but-empty counts as unset.
fn non_empty_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Whether a layer's settings were applied, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LayerStatus {
    /// Read and merged.
    Loaded,
    /// The file does not exist (not a problem).
    Missing,
    /// Deliberately not read (untrusted folder, `--setting-sources`).
    Skipped(String),
    /// Could not be read or parsed; see the layer's diagnostics.
    Failed,
}

/// One settings source and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingsLayer {
    /// Which layer this is.
    pub scope: Scope,
    /// Qoder's or Claude Code's file.
    pub vendor: Vendor,
    /// The file, when the layer is a file (inline `--settings` uses
    /// [`INLINE_FLAG_PATH`]).
    pub path: Option<PathBuf>,
    /// The directory `/`-anchored rules of this layer resolve against: the
    /// project root for project, local and flag layers, `None` (home) for
    /// user and policy layers.
    pub project_root: Option<PathBuf>,
    /// Whether it applied.
    #[serde(flatten)]
    pub status: LayerStatus,
    /// What it contributed (empty unless `status` is `Loaded`). Settings a
    /// layer may not set (autoMode in project settings, rules outside policy
    /// under `allowManagedPermissionRulesOnly`) are already removed.
    pub settings: Settings,
    /// Problems found in this layer.
    pub diagnostics: Vec<Diagnostic>,
}

/// Every layer, their merge, and all diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadedSettings {
    /// All layers considered, lowest precedence first (including missing,
    /// skipped and failed ones).
    pub layers: Vec<SettingsLayer>,
    /// The merged settings of the loaded layers.
    pub merged: Settings,
    /// For each merged key path, the indexes into `layers` it came from.
    #[serde(skip)]
    pub origins: Origins,
    /// For each top-level key of `merged`, the indexes into `layers` that
    /// contributed, lowest first.
    pub top_level_origins: BTreeMap<String, Vec<usize>>,
    /// All diagnostics of all layers, in layer order.
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadedSettings {
    /// Every merged key path rendered as `a.b.c` (odd keys quoted, as in
    /// diagnostics) with the indexes of the layers behind it, sorted by path.
    pub fn key_origins(&self) -> Vec<(String, Vec<usize>)> {
        self.origins
            .iter()
            .map(|(path, layers)| {
                let segments: Vec<crate::position::Segment> = path
                    .iter()
                    .map(|k| crate::position::Segment::Key(k.clone()))
                    .collect();
                (crate::position::render(&segments), layers.clone())
            })
            .collect()
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Loads every layer for `opts`. Never fails as a whole: a missing file is
/// noted, a broken one becomes diagnostics and its layer is skipped.
///
/// Order, lowest precedence first (cli-core.md §4): user (Claude, then
/// Qoder), project (Claude, Qoder), local (Claude, Qoder), `--settings`,
/// command-line flags, session, policy.
pub fn load(opts: &LoadOptions) -> LoadedSettings {
    let mut layers = Vec::new();
    let home = opts.resolved_home();
    let cwd = &opts.cwd;
    let file_layers: [(Scope, Vendor, Option<PathBuf>); 6] = [
        (
            Scope::User,
            Vendor::Claude,
            home.as_ref().map(|h| h.join(".claude/settings.json")),
        ),
        (Scope::User, Vendor::Qoder, opts.settings_file(Scope::User)),
        (
            Scope::Project,
            Vendor::Claude,
            Some(cwd.join(".claude/settings.json")),
        ),
        (
            Scope::Project,
            Vendor::Qoder,
            opts.settings_file(Scope::Project),
        ),
        (
            Scope::Local,
            Vendor::Claude,
            Some(cwd.join(".claude/settings.local.json")),
        ),
        (
            Scope::Local,
            Vendor::Qoder,
            opts.settings_file(Scope::Local),
        ),
    ];
    for (scope, vendor, path) in file_layers {
        let Some(path) = path else {
            layers.push(layer(
                scope,
                vendor,
                None,
                opts,
                LayerStatus::Skipped("no home directory".to_owned()),
            ));
            continue;
        };
        let selected = opts
            .setting_sources
            .as_ref()
            .is_none_or(|s| s.iter().any(|src| src.scope() == scope));
        let status = if !selected {
            Some(LayerStatus::Skipped("not in --setting-sources".to_owned()))
        } else if scope.is_project() && opts.trust == Trust::Untrusted {
            Some(LayerStatus::Skipped("the folder is not trusted".to_owned()))
        } else {
            None
        };
        match status {
            Some(status) => layers.push(layer(scope, vendor, Some(path), opts, status)),
            None => layers.push(read_file_layer(scope, vendor, path, opts, Missing::Fine)),
        }
    }
    if let Some(flag) = &opts.settings_flag {
        if flag.trim_start().starts_with('{') {
            let path = PathBuf::from(INLINE_FLAG_PATH);
            layers.push(text_layer(Scope::Flag, Vendor::Qoder, path, flag, opts));
        } else {
            let path = match (flag.strip_prefix("~/"), &home) {
                (Some(rest), Some(home)) => home.join(rest),
                _ => cwd.join(flag),
            };
            layers.push(read_file_layer(
                Scope::Flag,
                Vendor::Qoder,
                path,
                opts,
                Missing::Error,
            ));
        }
    }
    if let Some(settings) = opts.cli_args.to_settings() {
        layers.push(value_layer(Scope::CliArg, settings, opts));
    }
    if let Some(settings) = &opts.session {
        layers.push(value_layer(Scope::Session, settings.clone(), opts));
    }
    if let Some(path) = &opts.policy_path {
        layers.push(read_file_layer(
            Scope::Policy,
            Vendor::Qoder,
            path.clone(),
            opts,
            Missing::Fine,
        ));
    }
    apply_layer_restrictions(&mut layers);
    merge_layers(layers)
}

#[derive(Clone, Copy)]
enum Missing {
    /// A file that may or may not exist.
    Fine,
    /// A file the user named explicitly.
    Error,
}

fn layer(
    scope: Scope,
    vendor: Vendor,
    path: Option<PathBuf>,
    opts: &LoadOptions,
    status: LayerStatus,
) -> SettingsLayer {
    SettingsLayer {
        scope,
        vendor,
        path,
        project_root: match scope {
            Scope::Project | Scope::Local | Scope::Flag | Scope::CliArg | Scope::Session => {
                Some(opts.cwd.clone())
            }
            Scope::User | Scope::Policy => None,
        },
        status,
        settings: Settings::default(),
        diagnostics: Vec::new(),
    }
}

fn read_file_layer(
    scope: Scope,
    vendor: Vendor,
    path: PathBuf,
    opts: &LoadOptions,
    missing: Missing,
) -> SettingsLayer {
    match std::fs::read(&path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text_layer(scope, vendor, path, &text, opts),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
                let (line, column) = crate::position::line_column(&text, text.len());
                let d = Diagnostic::new(&path, Severity::Error, "the file is not valid UTF-8")
                    .at(line, column);
                failed_layer(scope, vendor, path, opts, d)
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match missing {
            Missing::Fine => layer(scope, vendor, Some(path), opts, LayerStatus::Missing),
            Missing::Error => {
                let d =
                    Diagnostic::new(&path, Severity::Error, "the --settings file does not exist");
                failed_layer(scope, vendor, path, opts, d)
            }
        },
        Err(e) => {
            let d = Diagnostic::new(&path, Severity::Error, format!("cannot read the file: {e}"));
            failed_layer(scope, vendor, path, opts, d)
        }
    }
}

fn failed_layer(
    scope: Scope,
    vendor: Vendor,
    path: PathBuf,
    opts: &LoadOptions,
    d: Diagnostic,
) -> SettingsLayer {
    tracing::warn!(path = %path.display(), "settings layer skipped: {d}");
    let mut l = layer(scope, vendor, Some(path), opts, LayerStatus::Failed);
    l.diagnostics.push(d);
    l
}

fn text_layer(
    scope: Scope,
    vendor: Vendor,
    path: PathBuf,
    text: &str,
    opts: &LoadOptions,
) -> SettingsLayer {
    let parsed = parse_settings(text, &path);
    let mut l = layer(scope, vendor, Some(path), opts, LayerStatus::Failed);
    l.diagnostics = parsed.diagnostics;
    if let Some(settings) = parsed.settings {
        l.status = LayerStatus::Loaded;
        l.settings = settings;
        expand_mcp_servers(&mut l, opts);
    } else {
        tracing::warn!(path = ?l.path, "settings layer skipped");
    }
    l
}

fn value_layer(scope: Scope, settings: Settings, opts: &LoadOptions) -> SettingsLayer {
    let mut l = layer(scope, Vendor::Qoder, None, opts, LayerStatus::Loaded);
    l.settings = settings;
    l
}

/// Expands `${VAR}` in each MCP server; a server that cannot be expanded is
/// dropped from the layer with an error naming it.
fn expand_mcp_servers(l: &mut SettingsLayer, opts: &LoadOptions) {
    let Some(servers) = &mut l.settings.mcp_servers else {
        return;
    };
    let lookup = |name: &str| opts.lookup_env(name);
    let path = l.path.clone().unwrap_or_default();
    servers.retain(|name, server| match expand_mcp_server(server, &lookup) {
        Ok(()) => true,
        Err((field, e)) => {
            let d = Diagnostic::new(
                &path,
                Severity::Error,
                format!("MCP server `{name}` not loaded: {e}"),
            )
            .with_json_path(format!("mcpServers.{name}.{field}"));
            l.diagnostics.push(d);
            false
        }
    });
}

/// Removes what a layer may not set, with a warning for each removal:
/// `autoMode` from project files (cli-core.md §4: "read only from user and
/// local settings", so a cloned repository cannot widen the classifier), and
/// permission rules outside the policy layer when policy sets
/// `allowManagedPermissionRulesOnly`.
fn apply_layer_restrictions(layers: &mut [SettingsLayer]) {
    let managed_only = layers.iter().any(|l| {
        l.scope == Scope::Policy
            && l.status == LayerStatus::Loaded
            && l.settings.allow_managed_permission_rules_only == Some(true)
    });
    for l in layers
        .iter_mut()
        .filter(|l| l.status == LayerStatus::Loaded)
    {
        let path = l
            .path
            .clone()
            .unwrap_or_else(|| PathBuf::from(l.scope.as_str()));
        if l.scope == Scope::Project && l.settings.auto_mode.take().is_some() {
            l.diagnostics.push(
                Diagnostic::new(
                    &path,
                    Severity::Warning,
                    "ignored: autoMode is read only from user, local, flag and policy settings",
                )
                .with_json_path("autoMode"),
            );
        }
        if managed_only
            && l.scope != Scope::Policy
            && let Some(p) = &mut l.settings.permissions
        {
            let had_rules = !(p.allow.is_empty() && p.deny.is_empty() && p.ask.is_empty());
            p.allow.clear();
            p.deny.clear();
            p.ask.clear();
            if had_rules {
                l.diagnostics.push(
                    Diagnostic::new(
                        &path,
                        Severity::Warning,
                        "ignored: policy settings set allowManagedPermissionRulesOnly",
                    )
                    .with_json_path("permissions"),
                );
            }
        }
    }
}

fn merge_layers(layers: Vec<SettingsLayer>) -> LoadedSettings {
    let mut acc = Map::new();
    let mut origins = Origins::new();
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        diagnostics.extend(l.diagnostics.iter().cloned());
        if l.status != LayerStatus::Loaded {
            continue;
        }
        match serde_json::to_value(&l.settings) {
            Ok(Value::Object(m)) => merge_layer(&mut acc, &m, i, &mut origins),
            Ok(_) | Err(_) => diagnostics.push(internal(l, "its settings could not be re-encoded")),
        }
    }
    let merged = match serde_json::from_value::<Settings>(Value::Object(acc)) {
        Ok(s) => s,
        Err(e) => {
            diagnostics.push(Diagnostic::new(
                "(merged settings)",
                Severity::Error,
                format!("the merged settings are inconsistent: {e}"),
            ));
            Settings::default()
        }
    };
    let top_level_origins = top_level(&origins);
    LoadedSettings {
        layers,
        merged,
        origins,
        top_level_origins,
        diagnostics,
    }
}

fn internal(l: &SettingsLayer, what: &str) -> Diagnostic {
    let path: &Path = l.path.as_deref().unwrap_or_else(|| Path::new("(settings)"));
    Diagnostic::new(
        path,
        Severity::Error,
        format!("layer {} skipped: {what}", l.scope),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn rule_lists_split_outside_parentheses() {
        assert_eq!(
            split_rule_list("Read, Grep,Bash(git log --format=%h,%s),,Bash(echo \\(a,b)"),
            vec![
                "Read",
                "Grep",
                "Bash(git log --format=%h,%s)",
                "Bash(echo \\(a,b)"
            ]
        );
    }
}
