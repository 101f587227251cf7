//! Where a settings layer comes from, in precedence order.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// The source of a settings layer (cli-core.md §4). Variants are declared in
/// precedence order, lowest first: a later scope overrides an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Scope {
    /// `~/.qoder/settings.json` (`userSettings`).
    User,
    /// `<proj>/.qoder/settings.json`, shared with the team (`projectSettings`).
    Project,
    /// `<proj>/.qoder/settings.local.json`, this machine only (`localSettings`).
    Local,
    /// `--settings <file or inline JSON>` (`flagSettings`).
    Flag,
    /// `--permission-mode`, `--allowed-tools`, `--disallowed-tools`,
    /// `--add-dir`, `--model` (`cliArg`).
    CliArg,
    /// Changes made during the session that are not persisted ("allow for
    /// this session" answers, `/model --session-only`).
    Session,
    /// Organisation policy (`policySettings`). Highest: nothing overrides it.
    Policy,
}

impl Scope {
    /// The name used in output and in `--setting-sources`-like lists.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::Project => "project",
            Scope::Local => "local",
            Scope::Flag => "flag",
            Scope::CliArg => "cli_arg",
            Scope::Session => "session",
            Scope::Policy => "policy",
        }
    }

    /// Whether the scope's file lives in the project (and so applies only in
    /// a trusted folder).
    pub fn is_project(self) -> bool {
        match self {
            Scope::Project | Scope::Local => true,
            Scope::User | Scope::Flag | Scope::CliArg | Scope::Session | Scope::Policy => false,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which tool's file format and location a layer was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Vendor {
    /// A Qoder (`.qoder/`) file, or settings that came from ferrule itself.
    Qoder,
    /// A Claude Code (`.claude/`) file, read below Qoder's file of the same
    /// scope.
    Claude,
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Vendor::Qoder => f.write_str("qoder"),
            Vendor::Claude => f.write_str("claude"),
        }
    }
}

/// One entry of `--setting-sources user,project,local`: which settings files
/// load. Flag, command-line and session settings are not files and always
/// apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SettingSource {
    /// The user file(s).
    User,
    /// The shared project file(s).
    Project,
    /// The project-local file(s).
    Local,
}

impl SettingSource {
    /// Parses a comma-separated list; an empty string is the empty list
    /// (load no files), as the CLI documents.
    ///
    /// # Errors
    /// Names the first entry that is not `user`, `project` or `local`.
    pub fn parse_list(list: &str) -> Result<Vec<SettingSource>, UnknownSettingSource> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect()
    }

    /// The file scope this source selects.
    pub fn scope(self) -> Scope {
        match self {
            SettingSource::User => Scope::User,
            SettingSource::Project => Scope::Project,
            SettingSource::Local => Scope::Local,
        }
    }
}

/// A `--setting-sources` entry that names no settings source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown setting source `{0}`; expected user, project or local")]
pub struct UnknownSettingSource(pub String);

impl FromStr for SettingSource {
    type Err = UnknownSettingSource;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "user" | "usersettings" => Ok(SettingSource::User),
            "project" | "projectsettings" => Ok(SettingSource::Project),
            "local" | "localsettings" => Ok(SettingSource::Local),
            _ => Err(UnknownSettingSource(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn setting_sources_parse_with_spaces_and_empty_entries() {
        assert_eq!(
            SettingSource::parse_list("user, local,"),
            Ok(vec![SettingSource::User, SettingSource::Local])
        );
        assert_eq!(SettingSource::parse_list(""), Ok(vec![]));
    }

    #[test]
    fn unknown_setting_source_is_named() {
        assert_eq!(
            SettingSource::parse_list("user,global"),
            Err(UnknownSettingSource("global".to_owned()))
        );
    }

    #[test]
    fn scopes_sort_in_precedence_order() {
        let mut v = vec![Scope::Policy, Scope::Local, Scope::User, Scope::Flag];
        v.sort();
        assert_eq!(
            v,
            vec![Scope::User, Scope::Local, Scope::Flag, Scope::Policy]
        );
    }
}
