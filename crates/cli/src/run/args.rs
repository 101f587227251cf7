//! The top-level flags of `ferrule` (cli-core.md §10.1, sdk-protocol.md
//! §1.6) and their translation into [`SetupOptions`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Args;

pub(crate) use super::formats::{InputFormat, OutputFormat};
use super::unsupported::Unsupported;
use ferrule_config::{SettingSource, split_rule_list};
use ferrule_session::{Persistence, SessionOptions};
use ferrule_setup::{Host, SetupOptions, SystemPromptChoice, ToolSelection};

/// The flags of a run (no subcommand).
#[derive(Debug, Args, Default)]
pub(crate) struct RunArgs {
    /// Run non-interactively and print the result; the prompt is this value,
    /// the positional query, or stdin.
    #[arg(short = 'p', long = "print", value_name = "PROMPT", num_args = 0..=1)]
    pub(crate) print: Option<Option<String>>,
    /// The prompt (joined with spaces).
    #[arg(value_name = "QUERY", trailing_var_arg = true)]
    pub(crate) query: Vec<String>,
    /// Print the version and exit.
    #[arg(short = 'v', long = "version")]
    pub(crate) version: bool,
    /// text, json or stream-json.
    #[arg(short = 'o', long, value_name = "FORMAT", default_value = "text")]
    pub(crate) output_format: String,
    /// text or stream-json (the Agent SDK protocol on stdin).
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub(crate) input_format: String,
    /// The model, `provider/model` (openai/gpt-4.1, anthropic/..., scripted/FILE) or an alias.
    #[arg(short = 'm', long, value_name = "MODEL")]
    pub(crate) model: Option<String>,
    /// default, accept_edits, auto, bypass_permissions (yolo), dont_ask, plan; camelCase works too.
    #[arg(long, value_name = "MODE")]
    pub(crate) permission_mode: Option<String>,
    /// Bypass permission checks (bypass_permissions mode).
    #[arg(long)]
    pub(crate) dangerously_skip_permissions: bool,
    /// Same as --dangerously-skip-permissions.
    #[arg(long)]
    pub(crate) yolo: bool,
    /// Permission rules to allow (repeatable, or comma-separated).
    #[arg(long = "allowed-tools", alias = "allowedTools", value_name = "RULES", num_args = 1..)]
    pub(crate) allowed_tools: Vec<String>,
    /// Permission rules to deny; a bare tool name also hides the tool.
    #[arg(long = "disallowed-tools", alias = "disallowedTools", value_name = "RULES", num_args = 1..)]
    pub(crate) disallowed_tools: Vec<String>,
    /// The built-in tools offered: names (space or comma separated), "" for none, default for all.
    #[arg(long, value_name = "TOOLS", num_args = 1..)]
    pub(crate) tools: Option<Vec<String>>,
    /// An additional working directory (repeatable).
    #[arg(long = "add-dir", value_name = "DIR", num_args = 1..)]
    pub(crate) add_dir: Vec<String>,
    /// Extra settings: a JSON file or inline JSON.
    #[arg(long, value_name = "FILE|JSON")]
    pub(crate) settings: Option<String>,
    /// Which settings files load: user, project, local (comma-separated; "" for none).
    #[arg(long, value_name = "SOURCES")]
    pub(crate) setting_sources: Option<String>,
    /// The user configuration directory (default: $FERRULE_HOME, $QODER_CONFIG_DIR or ~/.qoder).
    #[arg(long, value_name = "DIR")]
    pub(crate) config_dir: Option<PathBuf>,
    /// Model round trips allowed for the whole query.
    #[arg(long, value_name = "N")]
    pub(crate) max_turns: Option<u32>,
    /// Output token limit per model response.
    #[arg(long, value_name = "N")]
    pub(crate) max_output_tokens: Option<u32>,
    /// Retries of a failed model request.
    #[arg(long, value_name = "N")]
    pub(crate) max_model_request_retries: Option<u32>,
    /// Replace the built-in system prompt ("" keeps it).
    #[arg(long, value_name = "TEXT")]
    pub(crate) system_prompt: Option<String>,
    /// Replace the built-in system prompt with a file's text.
    #[arg(long, value_name = "FILE", conflicts_with = "system_prompt")]
    pub(crate) system_prompt_file: Option<PathBuf>,
    /// Text added after the system prompt.
    #[arg(long, value_name = "TEXT")]
    pub(crate) append_system_prompt: Option<String>,
    /// Resume a session by id.
    #[arg(short = 'r', long, value_name = "ID", num_args = 0..=1)]
    pub(crate) resume: Option<Option<String>>,
    /// Resume the most recent session of this directory.
    #[arg(short = 'c', long = "continue")]
    pub(crate) continue_recent: bool,
    /// With --resume/--continue: copy the session into a new one.
    #[arg(long)]
    pub(crate) fork_session: bool,
    /// The id (a UUID) of the new or forked session.
    #[arg(long, value_name = "UUID")]
    pub(crate) session_id: Option<String>,
    /// Resume only through this transcript entry.
    #[arg(long, value_name = "UUID", hide = true)]
    pub(crate) resume_session_at: Option<String>,
    /// With --resume-session-at: the prompt the cut must drop.
    #[arg(long, value_name = "UUID", hide = true)]
    pub(crate) resume_drops_turn: Option<String>,
    /// Write no transcript.
    #[arg(long)]
    pub(crate) no_session_persistence: bool,
    /// List the sessions of this directory and exit.
    #[arg(long)]
    pub(crate) list_sessions: bool,
    /// Delete a session by its number in --list-sessions and exit.
    #[arg(long, value_name = "INDEX")]
    pub(crate) delete_session: Option<usize>,
    /// A title for the session.
    #[arg(short = 'n', long, value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// The project directory.
    #[arg(short = 'w', long, value_name = "DIR")]
    pub(crate) cwd: Option<PathBuf>,
    /// Start in a new git worktree of the project, .qoder/worktrees/NAME on branch worktree-NAME (NAME generated when omitted).
    #[arg(long, value_name = "NAME", num_args = 0..=1)]
    pub(crate) worktree: Option<Option<String>>,
    /// Debug logging on stderr (FERRULE_LOG or RUST_LOG take a filter, e.g. ferrule_model=trace).
    #[arg(short = 'd', long)]
    pub(crate) debug: bool,
    /// More logging on stderr.
    #[arg(long)]
    pub(crate) verbose: bool,
    /// stream-json: also emit stream_event lines as the model streams.
    #[arg(long)]
    pub(crate) include_partial_messages: bool,
    /// stream-json: also emit hook_started and hook_response lines for every hook run.
    #[arg(long)]
    pub(crate) include_hook_events: bool,
    /// Save every model response to FILE, replayable with --model scripted/FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) record: Option<PathBuf>,
    /// Subagent definitions as JSON ({"name": {"description", "prompt", ...}}).
    #[arg(long, value_name = "JSON")]
    pub(crate) agents: Option<String>,
    /// A plugin directory (repeatable).
    #[arg(long = "plugin-dir", value_name = "DIR")]
    pub(crate) plugin_dir: Vec<PathBuf>,
    /// MCP servers: a JSON file or inline JSON {"mcpServers": {...}} (repeatable).
    #[arg(long, value_name = "FILE|JSON", num_args = 1..)]
    pub(crate) mcp_config: Vec<String>,
    /// Only the servers of --mcp-config (no settings, no .mcp.json).
    #[arg(long)]
    pub(crate) strict_mcp_config: bool,
    /// Only these MCP servers start (repeatable or comma-separated).
    #[arg(long, value_name = "NAMES", num_args = 1..)]
    pub(crate) allowed_mcp_server_names: Option<Vec<String>>,
    /// enabled or disabled.
    #[arg(long, value_name = "MODE")]
    pub(crate) thinking: Option<String>,
    /// Thinking token budget (implies --thinking enabled).
    #[arg(long, value_name = "N")]
    pub(crate) thinking_budget: Option<u32>,
    /// Accepted for the Agent SDKs; ferrule has no bundled skills.
    #[arg(long, hide = true)]
    pub(crate) disable_builtin_skills: bool,
    /// SDK only: who answers permission prompts.
    #[arg(long, value_name = "TOOL", hide = true)]
    pub(crate) permission_prompt_tool: Option<String>,
    /// SDK only: echo accepted user messages.
    #[arg(long, hide = true)]
    pub(crate) replay_user_messages: bool,
    /// SDK only: mirror transcript entries to the SDK.
    #[arg(long, hide = true)]
    pub(crate) session_mirror: bool,
    /// Start the interactive interface with this first prompt.
    #[arg(short = 'i', long = "prompt-interactive", value_name = "TEXT")]
    pub(crate) prompt_interactive: Option<String>,
    /// Run as this subagent: its prompt, tools, model and initialPrompt.
    #[arg(long, value_name = "NAME")]
    pub(crate) agent: Option<String>,
    /// Thinking effort: low, medium, high, xhigh, max, or off.
    #[arg(long, value_name = "LEVEL")]
    pub(crate) reasoning_effort: Option<String>,
    /// The model's context window in tokens (400000, 400K, 1M).
    #[arg(long, value_name = "TOKENS")]
    pub(crate) context_window: Option<String>,
    /// Print the models this configuration can use and exit.
    #[arg(long)]
    pub(crate) list_models: bool,
    /// Attach a file to the prompt (repeatable): images as images, other files as text.
    #[arg(long, value_name = "FILE")]
    pub(crate) attachment: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) unsupported: Unsupported,
}

/// The checked flags of a run.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) output: OutputFormat,
    pub(crate) input: InputFormat,
}

impl RunArgs {
    /// Checks the flag values that clap leaves to us, with the documented
    /// messages.
    pub(crate) fn check(&self) -> Result<Checked> {
        let output = OutputFormat::parse(&self.output_format)?;
        let input = InputFormat::parse(&self.input_format)?;
        if let Some(flag) = self.unsupported.first() {
            bail!("{flag} is not supported by ferrule yet");
        }
        if input == InputFormat::Text {
            for (given, flag) in [
                (
                    self.permission_prompt_tool.is_some(),
                    "--permission-prompt-tool",
                ),
                (self.replay_user_messages, "--replay-user-messages"),
                (self.session_mirror, "--session-mirror"),
            ] {
                if given {
                    bail!(
                        "{flag} only works with --input-format stream-json (the Agent SDK protocol)"
                    );
                }
            }
        }
        if self.include_partial_messages && output != OutputFormat::StreamJson {
            bail!("--include-partial-messages only works with --output-format stream-json");
        }
        if matches!(self.resume, Some(None)) {
            bail!("--resume needs a session id when not interactive (or use --continue)");
        }
        if let Some(mode) = &self.thinking
            && !matches!(mode.as_str(), "enabled" | "disabled")
        {
            bail!("--thinking {mode}: ferrule supports enabled and disabled");
        }
        if let Some(level) = &self.reasoning_effort {
            effort_budget(level)?;
        }
        if let Some(window) = &self.context_window {
            parse_window(window)?;
        }
        if self.prompt_interactive.is_some() && self.print.is_some() {
            bail!(
                "-i/--prompt-interactive starts the interactive interface; it cannot be combined with -p"
            );
        }
        Ok(Checked { output, input })
    }

    /// The prompt from `-p VALUE` or the positional query, if any.
    pub(crate) fn prompt_arg(&self) -> Option<String> {
        match &self.print {
            Some(Some(prompt)) if self.query.is_empty() => Some(prompt.clone()),
            Some(Some(prompt)) => Some(format!("{prompt} {}", self.query.join(" "))),
            _ if !self.query.is_empty() => Some(self.query.join(" ")),
            _ => None,
        }
    }

    /// The absolute project directory: `-w` against the current directory.
    pub(crate) fn project_dir(&self, here: &Path) -> PathBuf {
        self.cwd
            .as_ref()
            .map_or_else(|| here.to_path_buf(), |dir| here.join(dir))
    }

    /// The setup options of this run.
    pub(crate) fn setup_options(
        &self,
        host: Host,
        cwd: PathBuf,
        env: BTreeMap<String, String>,
    ) -> Result<SetupOptions> {
        Ok(self.setup_options_and_prompt(host, cwd, env)?.0)
    }

    /// The setup options of this run and, with `--agent`, the agent's
    /// `initialPrompt`.
    pub(crate) fn setup_options_and_prompt(
        &self,
        host: Host,
        cwd: PathBuf,
        env: BTreeMap<String, String>,
    ) -> Result<(SetupOptions, Option<String>)> {
        let mut options = self.flag_options(host, cwd, env)?;
        let initial = match &self.agent {
            Some(name) => ferrule_setup::apply_main_agent(&mut options, name)?.initial_prompt,
            None => None,
        };
        Ok((options, initial))
    }

    fn flag_options(
        &self,
        host: Host,
        cwd: PathBuf,
        env: BTreeMap<String, String>,
    ) -> Result<SetupOptions> {
        let mut options = SetupOptions::new(host, cwd, env);
        options.user_dir.clone_from(&self.config_dir);
        options.model.clone_from(&self.model);
        options.permission_mode = if self.yolo || self.dangerously_skip_permissions {
            Some("bypass_permissions".to_owned())
        } else {
            self.permission_mode.clone()
        };
        options.allowed_tools = self
            .allowed_tools
            .iter()
            .flat_map(|list| split_rule_list(list))
            .collect();
        options.disallowed_tools = self
            .disallowed_tools
            .iter()
            .flat_map(|list| split_rule_list(list))
            .collect();
        options.tools = self
            .tools
            .as_deref()
            .map_or(ToolSelection::Default, ToolSelection::parse);
        options.add_dirs.clone_from(&self.add_dir);
        options.settings.clone_from(&self.settings);
        options.setting_sources = match &self.setting_sources {
            None => None,
            Some(list) => Some(SettingSource::parse_list(list)?),
        };
        options.system_prompt = match (&self.system_prompt, &self.system_prompt_file) {
            (_, Some(file)) => SystemPromptChoice::File(file.clone()),
            (Some(text), None) if !text.is_empty() => SystemPromptChoice::Replace(text.clone()),
            _ => SystemPromptChoice::Default,
        };
        options
            .append_system_prompt
            .clone_from(&self.append_system_prompt);
        options.max_turns = self.max_turns;
        options.max_output_tokens = self.max_output_tokens;
        options.max_model_request_retries = self.max_model_request_retries;
        options.session = SessionOptions {
            session_id: self.session_id.clone(),
            resume: self.resume.clone().flatten(),
            continue_recent: self.continue_recent,
            fork: self.fork_session,
            resume_at: self.resume_session_at.clone(),
            resume_drops_turn: self.resume_drops_turn.clone(),
            persistence: if self.no_session_persistence {
                Persistence::Disabled
            } else {
                Persistence::Enabled
            },
        };
        options.agents_json.clone_from(&self.agents);
        options.plugin_dirs.clone_from(&self.plugin_dir);
        options.record.clone_from(&self.record);
        options.mcp_config.clone_from(&self.mcp_config);
        options.strict_mcp_config = self.strict_mcp_config;
        options.allowed_mcp_server_names = self.allowed_mcp_server_names.as_ref().map(|names| {
            names
                .iter()
                .flat_map(|n| n.split(','))
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect()
        });
        let effort = self
            .reasoning_effort
            .as_deref()
            .map(effort_budget)
            .transpose()?;
        options.thinking_budget = match (self.thinking.as_deref(), self.thinking_budget, effort) {
            (Some("disabled"), _, _) => None,
            (_, Some(budget), _) => Some(budget),
            (_, None, Some(effort)) => effort,
            (Some(_), None, None) => Some(DEFAULT_THINKING_BUDGET),
            (None, None, None) => None,
        };
        options.context_window = self
            .context_window
            .as_deref()
            .map(parse_window)
            .transpose()?;
        Ok(options)
    }
}

/// The thinking budget of `--thinking enabled` without `--thinking-budget`.
const DEFAULT_THINKING_BUDGET: u32 = 10_000;

/// `--reasoning-effort LEVEL` as a thinking budget (`None`: off), by the
/// levels of [`ferrule_model::EFFORT_LEVELS`].
fn effort_budget(level: &str) -> Result<Option<u32>> {
    match ferrule_model::Thinking::from_effort(level) {
        Ok(ferrule_model::Thinking::Enabled { budget_tokens }) => Ok(Some(budget_tokens)),
        Ok(_) => Ok(None),
        Err(_) => {
            bail!("--reasoning-effort {level}: expected low, medium, high, xhigh, max or off")
        }
    }
}

/// `--context-window 400000`, `400K` or `1M`.
fn parse_window(text: &str) -> Result<u64> {
    let trimmed = text.trim();
    let (digits, scale) = match trimmed.char_indices().last() {
        Some((at, 'k' | 'K')) => (&trimmed[..at], 1_000),
        Some((at, 'm' | 'M')) => (&trimmed[..at], 1_000_000),
        _ => (trimmed, 1),
    };
    match digits.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n.saturating_mul(scale)),
        _ => {
            bail!("--context-window {text}: expected a number of tokens such as 200000, 400K or 1M")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use pretty_assertions::assert_eq;

    #[derive(Debug, Parser)]
    struct Test {
        #[command(flatten)]
        run: RunArgs,
    }

    fn parse(args: &[&str]) -> RunArgs {
        Test::try_parse_from(std::iter::once("ferrule").chain(args.iter().copied()))
            .unwrap()
            .run
    }

    #[test]
    fn prompt_comes_from_print_value_or_query() {
        assert_eq!(
            parse(&["-p", "fix it"]).prompt_arg().as_deref(),
            Some("fix it")
        );
        assert_eq!(
            parse(&["-p", "fix", "it"]).prompt_arg().as_deref(),
            Some("fix it")
        );
        assert_eq!(
            parse(&["fix", "it"]).prompt_arg().as_deref(),
            Some("fix it")
        );
        assert_eq!(parse(&["-p"]).prompt_arg(), None);
        // The SDK form: flags after --print, no prompt.
        let sdk = parse(&[
            "--print",
            "--output-format",
            "stream-json",
            "--input-format",
            "stream-json",
            "--system-prompt",
            "",
            "--tools",
            "Read,Grep",
            "--allowed-tools",
            "Bash(git:*)",
            "--allowed-tools",
            "Read",
            "--disable-builtin-skills",
        ]);
        assert_eq!(sdk.prompt_arg(), None);
        let checked = sdk.check().unwrap();
        assert_eq!(checked.output, OutputFormat::StreamJson);
        assert_eq!(checked.input, InputFormat::StreamJson);
    }

    #[test]
    fn bad_output_format_has_the_documented_message() {
        let err = parse(&["-o", "yaml", "-p", "x"]).check().unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid values:\n  Argument: output-format, Given: \"yaml\", Choices: \"text\", \"json\", \"stream-json\""
        );
    }

    #[test]
    fn unimplemented_flags_are_named() {
        let err = parse(&["--teleport", "-p", "x"]).check().unwrap_err();
        assert_eq!(
            err.to_string(),
            "--teleport is not supported by ferrule yet"
        );
        let err = parse(&["--replay-user-messages", "-p", "x"])
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("--input-format stream-json"));
    }

    #[test]
    fn flags_become_setup_options() {
        let args = parse(&[
            "--yolo",
            "--allowed-tools",
            "Read,Bash(git log --format=%h,%s)",
            "--disallowed-tools",
            "WebFetch",
            "--tools",
            "Read",
            "Bash",
            "--max-turns",
            "3",
            "--resume",
            "123e4567-e89b-42d3-a456-426614174000",
            "-p",
            "go",
        ]);
        let options = args
            .setup_options(Host::Print, PathBuf::from("/p"), BTreeMap::new())
            .unwrap();
        assert_eq!(
            options.permission_mode.as_deref(),
            Some("bypass_permissions")
        );
        assert_eq!(
            options.allowed_tools,
            ["Read", "Bash(git log --format=%h,%s)"]
        );
        assert_eq!(options.disallowed_tools, ["WebFetch"]);
        assert_eq!(
            options.tools,
            ToolSelection::Only(vec!["Read".into(), "Bash".into()])
        );
        assert_eq!(options.max_turns, Some(3));
        assert_eq!(
            options.session.resume.as_deref(),
            Some("123e4567-e89b-42d3-a456-426614174000")
        );
    }
}
