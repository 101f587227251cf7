//! From loaded settings to a permission [`PolicyBuilder`]: the mode, every
//! layer's rules with the file they came from, and the working directories.

use std::path::Path;

use ferrule_config::{LayerStatus, LoadedSettings};
use ferrule_permissions::{Behavior, Mode, ModeError, PolicyBuilder, RuleSource};

/// Why no policy could be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The mode (flag or settings) has no known spelling.
    #[error("{source} (from {origin})")]
    Mode {
        /// The parse error, naming the value.
        source: ModeError,
        /// Where the value came from.
        origin: &'static str,
    },
    /// Bypass mode was asked for but the organisation forbids it.
    #[error(
        "bypass_permissions mode is disabled by settings (security.disableYoloMode or permissions.disableBypassPermissionsMode)"
    )]
    BypassDisabled,
}

/// The permission mode: `mode_flag` when given (any documented spelling),
/// else the merged settings' default mode (which includes
/// `--permission-mode` when it was passed as a settings flag), else
/// `default`. Bypass mode is refused when the settings disable it.
pub fn resolve_mode(loaded: &LoadedSettings, mode_flag: Option<&str>) -> Result<Mode, PolicyError> {
    let (name, origin) = match mode_flag {
        Some(name) => (Some(name), "the permission mode flag"),
        None => (
            loaded.merged.default_permission_mode(),
            "settings general.defaultPermissionMode / permissions.defaultMode",
        ),
    };
    let mode = match name {
        Some(name) => name
            .parse::<Mode>()
            .map_err(|source| PolicyError::Mode { source, origin })?,
        None => Mode::Default,
    };
    if mode == Mode::BypassPermissions && loaded.merged.bypass_disabled() {
        return Err(PolicyError::BypassDisabled);
    }
    Ok(mode)
}

/// A policy builder in `mode` with the rules and additional directories of
/// every loaded layer (each rule keeps its file and anchor root, so a
/// decision can name it), plus `extra_dirs`.
pub fn policy_builder(
    loaded: &LoadedSettings,
    cwd: &Path,
    home: &Path,
    user_dir: Option<&Path>,
    mode: Mode,
) -> PolicyBuilder {
    let mut builder = PolicyBuilder::new(cwd, home).mode(mode);
    if let Some(user_dir) = user_dir {
        builder = builder.user_dir(user_dir);
    }
    add_layers(builder, loaded, home)
}

/// Adds the rules and additional directories of every loaded layer, each
/// with its file and anchor root.
pub fn add_layers(
    mut builder: PolicyBuilder,
    loaded: &LoadedSettings,
    home: &Path,
) -> PolicyBuilder {
    for layer in &loaded.layers {
        if layer.status != LayerStatus::Loaded {
            continue;
        }
        let Some(permissions) = &layer.settings.permissions else {
            continue;
        };
        let root = layer
            .project_root
            .clone()
            .unwrap_or_else(|| home.to_path_buf());
        for (list, rules) in [
            (Behavior::Allow, &permissions.allow),
            (Behavior::Ask, &permissions.ask),
            (Behavior::Deny, &permissions.deny),
        ] {
            let source = RuleSource {
                path: layer.path.clone(),
                root: root.clone(),
            };
            builder = builder.rules(list, rules, source);
        }
        for dir in &permissions.additional_directories {
            builder = builder.additional_dir(dir.as_str());
        }
    }
    builder
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_config::{CliArgs, LoadOptions, load};
    use ferrule_permissions::{Request, decide};
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn loaded(dir: &Path, settings: &str, cli: CliArgs) -> LoadedSettings {
        let mut opts = LoadOptions::new(dir);
        opts.user_dir = Some(dir.join("user"));
        opts.home = Some(dir.join("home"));
        opts.settings_flag = Some(settings.to_owned());
        opts.cli_args = cli;
        load(&opts)
    }

    #[test]
    fn every_spelling_of_a_mode_is_accepted_and_typos_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let settings = loaded(dir.path(), "{}", CliArgs::default());
        for (name, mode) in [
            ("acceptEdits", Mode::AcceptEdits),
            ("accept_edits", Mode::AcceptEdits),
            ("yolo", Mode::BypassPermissions),
            ("bypassPermissions", Mode::BypassPermissions),
            ("dontAsk", Mode::DontAsk),
            ("plan", Mode::Plan),
            ("AUTO", Mode::Auto),
        ] {
            assert_eq!(resolve_mode(&settings, Some(name)), Ok(mode), "{name}");
        }
        let err = resolve_mode(&settings, Some("acceptEdit")).unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown permission mode `acceptEdit`")
        );
    }

    #[test]
    fn cli_mode_ranks_above_files_and_bypass_can_be_forbidden() {
        let dir = tempfile::tempdir().unwrap();
        let cli = CliArgs {
            permission_mode: Some("dontAsk".into()),
            ..CliArgs::default()
        };
        let settings = loaded(
            dir.path(),
            r#"{"general": {"defaultPermissionMode": "accept_edits"}}"#,
            cli,
        );
        assert_eq!(resolve_mode(&settings, None), Ok(Mode::DontAsk));
        let forbidding = loaded(
            dir.path(),
            r#"{"security": {"disableYoloMode": true}}"#,
            CliArgs::default(),
        );
        assert_eq!(
            resolve_mode(&forbidding, Some("yolo")),
            Err(PolicyError::BypassDisabled)
        );
    }

    #[test]
    fn rules_from_flags_and_files_decide_with_their_source() {
        let dir = tempfile::tempdir().unwrap();
        let cli = CliArgs {
            disallowed_tools: vec!["Bash(rm:*)".into()],
            ..CliArgs::default()
        };
        let settings = loaded(
            dir.path(),
            r#"{"permissions": {"allow": ["Bash(cargo test:*)"]}}"#,
            cli,
        );
        let home = dir.path().join("home");
        let policy = policy_builder(&settings, dir.path(), &home, None, Mode::Default).build();
        let allow = decide(
            &policy,
            &Request {
                tool: "Bash".into(),
                input: json!({"command": "cargo test -q"}),
                hook: None,
            },
        );
        assert_eq!(allow.behavior, Behavior::Allow);
        let deny = decide(
            &policy,
            &Request {
                tool: "Bash".into(),
                input: json!({"command": "rm -rf target"}),
                hook: None,
            },
        );
        assert_eq!(deny.behavior, Behavior::Deny);
        assert_eq!(deny.rule.map(|r| r.text), Some("Bash(rm:*)".to_owned()));
    }
}
