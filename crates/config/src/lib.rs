//! Settings layers, their merge, and the settings JSON Schema.
//!
//! ferrule reads the same settings files as the Qoder CLI — user
//! (`~/.qoder/settings.json`, or `$FERRULE_HOME/settings.json`), project
//! (`<proj>/.qoder/settings.json`), project-local
//! (`<proj>/.qoder/settings.local.json`) — plus `--settings`, command-line
//! flags, session changes and an organisation policy file, and Claude Code's
//! `.claude/settings(.local).json` just below Qoder's file of the same level.
//! [`load`] never fails as a whole: every problem becomes a [`Diagnostic`]
//! naming the file, line, column and JSON path, and a broken file only
//! removes its own layer.
//!
//! ```
//! use ferrule_config::{LoadOptions, load};
//!
//! let project = tempfile::tempdir()?;
//! std::fs::create_dir(project.path().join(".qoder"))?;
//! std::fs::write(
//!     project.path().join(".qoder/settings.json"),
//!     r#"{"permissions": {"allow": ["Bash(npm test:*)"]}}"#,
//! )?;
//! let mut opts = LoadOptions::new(project.path());
//! opts.user_dir = Some(project.path().join("no-user-dir"));
//! opts.home = Some(project.path().join("no-home"));
//! let loaded = load(&opts);
//! let allow = &loaded.merged.permissions.as_ref().map(|p| p.allow.clone());
//! assert_eq!(allow.as_deref(), Some(&["Bash(npm test:*)".to_owned()][..]));
//! assert!(loaded.diagnostics.is_empty());
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Merge rules (cli-core.md §4): objects merge key by key, scalars and other
//! arrays take the higher layer's value, `permissions.allow|deny|ask|
//! additionalDirectories|trustDirectories` and hooks of the same event are
//! concatenated without duplicates, `mcpServers` replace each other by name.
//! [`LoadedSettings::origins`] records which layers produced each merged
//! value; `ferrule config show` prints it.
//!
//! Choices where the reference is silent, so they can be checked:
//!
//! - **Policy layer.** The docs name `policySettings` but no file. The
//!   binary reads `/etc/ferrule/managed-settings.json` (Claude Code keeps
//!   its managed file at the matching place), or `$FERRULE_POLICY_SETTINGS`.
//!   It ranks above every other layer. With `allowManagedPermissionRulesOnly`
//!   it also removes the allow/deny/ask rules of every other layer.
//! - **`autoMode`** is dropped, with a warning, from the shared project
//!   files (Qoder's and Claude's): the docs read it from user and local
//!   settings only, so that a cloned repository cannot steer the classifier.
//!   Flag, session and policy settings are chosen by the caller and keep it.
//! - **Hook groups** equal in every field are kept once, so the same hook in
//!   two files does not run twice.
//! - **`null`** for a known key means "not set"; for a list of rules it is a
//!   type error, like any other wrong type.
//! - **A type error** anywhere in a file drops the whole layer, as invalid
//!   JSON does: applying half a file would hide the mistake.
//! - **An empty file** is an empty settings object. Comments and trailing
//!   commas are errors: the files are plain JSON.
//! - **`${VAR}`** expansion applies only to the fields the MCP section of
//!   the reference names; a server whose variable is unset without default is
//!   left out with an error naming it.
//! - **Hooks and MCP servers** are typed only loosely here (a hook group's
//!   `matcher`/`async`/`sequential` are typed, its hook entries and each MCP
//!   server are raw JSON) until the hooks and MCP crates validate them.

mod diagnostic;
mod edit;
mod expand;
mod import;
mod load;
mod merge;
mod parse;
mod position;
mod schema;
mod scope;
mod settings;

pub use diagnostic::{Diagnostic, Severity};
pub use edit::{EditError, RuleList, SettingsEdit, edit_settings_file};
pub use expand::{ExpandError, expand_vars};
pub use import::{
    ImportAction, ImportError, ImportKind, ImportMode, ImportOptions, ImportScope, import,
};
pub use load::{
    CliArgs, DEFAULT_POLICY_PATH, INLINE_FLAG_PATH, LayerStatus, LoadOptions, LoadedSettings,
    SettingsLayer, Trust, load, local_settings_file, project_settings_file, split_rule_list,
    user_settings_file,
};
pub use merge::Origins;
pub use parse::{ParsedSettings, parse_settings};
pub use schema::{settings_schema, settings_schema_json};
pub use scope::{Scope, SettingSource, UnknownSettingSource, Vendor};
pub use settings::{
    AgentOverride, AgentsSettings, AutoModeSettings, ContextSettings, FileCheckpointingSettings,
    GeneralSettings, HookGroup, OneOrMany, PermissionSettings, PlanSettings, RemoteSettings,
    SecurityScanSettings, SecuritySettings, Settings, ToolsSettings,
};
