//! [`SetupOptions`]: everything a host knows before settings are read —
//! the parsed command line (or SDK options) and the process environment.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ferrule_config::SettingSource;
use ferrule_session::SessionOptions;

/// Which host runs the agent. It decides folder trust (cli-core.md A-22:
/// every host but the terminal UI trusts the directory it was started in)
/// and what the defaults of an "ask" are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Host {
    /// `ferrule -p`: no user to ask.
    #[default]
    Print,
    /// `ferrule` driven by an Agent SDK over stream-json.
    Sdk,
    /// A `ferrule-server` worker.
    Server,
    /// The terminal UI (trust is the user's choice).
    Interactive,
}

/// What replaces or extends the built-in system prompt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SystemPromptChoice {
    /// The built-in prompt (also `--system-prompt ""`).
    #[default]
    Default,
    /// `--system-prompt TEXT`: this text instead of the built-in prompt.
    Replace(String),
    /// `--system-prompt-file PATH`: the file's text instead (relative to the
    /// working directory).
    File(PathBuf),
}

/// Which built-in tools the model is offered (`--tools`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ToolSelection {
    /// All of them (`--tools default`, or no flag).
    #[default]
    Default,
    /// Only these names (`--tools ""` is an empty list: none).
    Only(Vec<String>),
}

impl ToolSelection {
    /// Parses `--tools` values: names separated by commas or whitespace,
    /// `default` for all, nothing at all for none.
    pub fn parse<S: AsRef<str>>(values: &[S]) -> Self {
        let names: Vec<String> = values
            .iter()
            .flat_map(|value| {
                value
                    .as_ref()
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .filter(|name| !name.is_empty())
            .collect();
        if names
            .iter()
            .any(|name| name.eq_ignore_ascii_case("default"))
        {
            Self::Default
        } else {
            Self::Only(names)
        }
    }
}

/// Everything between argv (or the SDK's options) and an agent.
///
/// Paths are taken as given: relative ones resolve against [`Self::cwd`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SetupOptions {
    /// The host.
    pub host: Host,
    /// The project directory (`-w/--cwd`, else the current directory);
    /// should be absolute.
    pub cwd: PathBuf,
    /// `--config-dir`: the Qoder user directory. `None`: `$FERRULE_HOME`,
    /// else `$QODER_CONFIG_DIR`, else `<home>/.qoder`.
    pub user_dir: Option<PathBuf>,
    /// The home directory. `None`: `$HOME` from [`Self::env`].
    pub home: Option<PathBuf>,
    /// The process environment (model variables, `${VAR}` expansion, the
    /// tools' environment).
    pub env: BTreeMap<String, String>,
    /// `--model`.
    pub model: Option<String>,
    /// `--permission-mode` (any documented spelling); `--yolo` and
    /// `--dangerously-skip-permissions` set `bypass_permissions`.
    pub permission_mode: Option<String>,
    /// `--allowed-tools` rules (one rule per entry; split lists first with
    /// `ferrule_config::split_rule_list`).
    pub allowed_tools: Vec<String>,
    /// `--disallowed-tools` rules; a bare tool name also hides the tool.
    pub disallowed_tools: Vec<String>,
    /// `--tools`.
    pub tools: ToolSelection,
    /// `--add-dir` directories.
    pub add_dirs: Vec<String>,
    /// `--settings`: a file or inline JSON.
    pub settings: Option<String>,
    /// `--setting-sources`: which settings files load (`None`: all).
    pub setting_sources: Option<Vec<SettingSource>>,
    /// The organisation policy file. `None`: `$FERRULE_POLICY_SETTINGS`,
    /// else `/etc/ferrule/managed-settings.json`.
    pub policy_path: Option<PathBuf>,
    /// `--system-prompt` / `--system-prompt-file`.
    pub system_prompt: SystemPromptChoice,
    /// `--append-system-prompt`.
    pub append_system_prompt: Option<String>,
    /// `--max-turns`: model round trips per query.
    pub max_turns: Option<u32>,
    /// `--max-output-tokens`.
    pub max_output_tokens: Option<u32>,
    /// `--max-model-request-retries`.
    pub max_model_request_retries: Option<u32>,
    /// `--thinking enabled` / `--thinking-budget`: extended thinking with
    /// this token budget (`None`: off).
    pub thinking_budget: Option<u32>,
    /// `--resume`, `--continue`, `--fork-session`, `--session-id`,
    /// `--no-session-persistence`, `--resume-session-at`.
    pub session: SessionOptions,
    /// `--agents`: subagent definitions as JSON.
    pub agents_json: Option<String>,
    /// `--plugin-dir` directories.
    pub plugin_dirs: Vec<PathBuf>,
    /// `--record FILE`: save every model response as a replayable script.
    pub record: Option<PathBuf>,
    /// `--mcp-config` values: files or inline JSON `{"mcpServers": {...}}`.
    pub mcp_config: Vec<String>,
    /// `--strict-mcp-config`: only the servers of `--mcp-config`.
    pub strict_mcp_config: bool,
    /// `--allowed-mcp-server-names`: only these servers start.
    pub allowed_mcp_server_names: Option<Vec<String>>,
    /// MCP servers switched on (`true`) or off for this session only
    /// (`/mcp enable|disable NAME --session`), over what the settings say.
    /// Switching a `.mcp.json` server on approves it for the session.
    pub mcp_session_switches: BTreeMap<String, bool>,
    /// `--context-window`: the session model's context window in tokens,
    /// instead of the table's or `context.windows`' figure.
    pub context_window: Option<u64>,
}

impl SetupOptions {
    /// Options for `host` in `cwd` with the given environment, everything
    /// else defaulted.
    pub fn new(host: Host, cwd: impl Into<PathBuf>, env: BTreeMap<String, String>) -> Self {
        Self {
            host,
            cwd: cwd.into(),
            env,
            ..Self::default()
        }
    }

    /// A variable of [`Self::env`], when set and not empty.
    pub(crate) fn var(&self, name: &str) -> Option<&str> {
        self.env
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.trim().is_empty())
    }

    /// The home directory: [`Self::home`], else `$HOME`.
    pub fn resolved_home(&self) -> Option<PathBuf> {
        self.home
            .clone()
            .or_else(|| self.var("HOME").map(PathBuf::from))
    }

    /// The Qoder user directory: `--config-dir`, else `$FERRULE_HOME`,
    /// else `$QODER_CONFIG_DIR`, else `<home>/.qoder`.
    pub fn resolved_user_dir(&self) -> Option<PathBuf> {
        self.user_dir
            .clone()
            .or_else(|| self.var("FERRULE_HOME").map(PathBuf::from))
            .or_else(|| self.var("QODER_CONFIG_DIR").map(PathBuf::from))
            .or_else(|| self.resolved_home().map(|home| home.join(".qoder")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn tools_lists_split_on_commas_and_spaces() {
        assert_eq!(
            ToolSelection::parse(&["Read,Grep", "Bash  Edit"]),
            ToolSelection::Only(vec![
                "Read".into(),
                "Grep".into(),
                "Bash".into(),
                "Edit".into()
            ])
        );
        assert_eq!(ToolSelection::parse(&[""]), ToolSelection::Only(vec![]));
        assert_eq!(ToolSelection::parse(&["default"]), ToolSelection::Default);
    }

    #[test]
    fn user_dir_prefers_flag_then_ferrule_home_then_qoder_config_dir() {
        let env = BTreeMap::from([
            ("HOME".to_owned(), "/home/u".to_owned()),
            ("QODER_CONFIG_DIR".to_owned(), "/q".to_owned()),
        ]);
        let mut options = SetupOptions::new(Host::Print, "/p", env);
        assert_eq!(options.resolved_user_dir(), Some(PathBuf::from("/q")));
        options
            .env
            .insert("FERRULE_HOME".to_owned(), "/f".to_owned());
        assert_eq!(options.resolved_user_dir(), Some(PathBuf::from("/f")));
        options.user_dir = Some(PathBuf::from("/flag"));
        assert_eq!(options.resolved_user_dir(), Some(PathBuf::from("/flag")));
        options.user_dir = None;
        options.env.remove("FERRULE_HOME");
        options.env.remove("QODER_CONFIG_DIR");
        assert_eq!(
            options.resolved_user_dir(),
            Some(PathBuf::from("/home/u/.qoder"))
        );
    }
}
