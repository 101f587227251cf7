//! Subagent definitions: `agents/*.md` with frontmatter and a system prompt
//! body (cli-core §7.3, `[sub]`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fields::List;
use crate::frontmatter;
use crate::source::{Kind, Origin, Scope, Skipped};

/// A subagent's permission mode. Case and separators are tolerated and
/// `yolo` means `bypassPermissions` `[sub]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "String")]
pub enum PermissionMode {
    /// Ask when needed.
    Default,
    /// Accept edits automatically.
    AcceptEdits,
    /// Skip prompts.
    BypassPermissions,
    /// Deny what would ask.
    DontAsk,
    /// Automatic classification.
    Auto,
    /// The subagent's own planning state.
    Plan,
}

impl TryFrom<String> for PermissionMode {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let key: String = value
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .flat_map(char::to_lowercase)
            .collect();
        Ok(match key.as_str() {
            "default" => Self::Default,
            "acceptedits" => Self::AcceptEdits,
            "bypasspermissions" | "yolo" => Self::BypassPermissions,
            "dontask" => Self::DontAsk,
            "auto" => Self::Auto,
            "plan" => Self::Plan,
            _ => {
                return Err(format!(
                    "unknown permissionMode `{value}` (expected default, acceptEdits, bypassPermissions, dontAsk, auto or plan)"
                ));
            }
        })
    }
}

/// The colours a subagent may be shown in.
const COLORS: [&str; 8] = [
    "red", "blue", "green", "yellow", "purple", "orange", "pink", "cyan",
];

/// A display colour (one of the eight documented names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Color(pub String);

impl TryFrom<String> for Color {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        if COLORS.contains(&value.as_str()) {
            Ok(Self(value))
        } else {
            Err(format!(
                "unknown color `{value}` (expected one of {})",
                COLORS.join(", ")
            ))
        }
    }
}

impl Effort {
    /// The effort as written: the level's name, or the budget in digits.
    pub fn text(&self) -> String {
        match self {
            Effort::Budget(budget) => budget.to_string(),
            Effort::Level(level) => level.as_str().to_owned(),
        }
    }
}

impl EffortLevel {
    /// The level's name, as the frontmatter writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            EffortLevel::Low => "low",
            EffortLevel::Medium => "medium",
            EffortLevel::High => "high",
            EffortLevel::Xhigh => "xhigh",
            EffortLevel::Max => "max",
        }
    }
}

/// Reasoning effort: a level name or a positive budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Effort {
    /// A positive integer budget.
    Budget(u64),
    /// `low`, `medium`, `high`, `xhigh` or `max`.
    Level(EffortLevel),
}

/// A named effort level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EffortLevel {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Extra high.
    Xhigh,
    /// Maximum.
    Max,
}

/// A persistent memory scope of a subagent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemoryScope {
    /// The user scope.
    User,
    /// The project scope.
    Project,
    /// The local project scope.
    Local,
}

/// Local or remote (Agent Card) subagent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentKind {
    /// A local subagent; the body is its system prompt.
    #[default]
    Local,
    /// A remote subagent described by an Agent Card.
    Remote,
}

/// A positive integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64")]
pub struct Positive(pub u64);

impl TryFrom<i64> for Positive {
    type Error = String;
    fn try_from(value: i64) -> Result<Self, String> {
        u64::try_from(value)
            .ok()
            .filter(|v| *v > 0)
            .map(Self)
            .ok_or_else(|| format!("expected a positive integer, found {value}"))
    }
}

/// The frontmatter of a subagent file; unknown fields are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SubagentMeta {
    /// The subagent's name (its identity; the file name does not matter).
    pub name: Option<String>,
    /// When to use it.
    pub description: Option<String>,
    /// Tool allowlist (`*` = all; MCP names and wildcards; `Agent(a, b)`).
    pub tools: Option<List>,
    /// Tools removed after `tools`.
    pub disallowed_tools: Option<List>,
    /// Model name or alias; `inherit` when absent.
    pub model: Option<String>,
    /// Permission mode; inherits the parent's when absent.
    pub permission_mode: Option<PermissionMode>,
    /// Turn limit per invocation.
    pub max_turns: Option<Positive>,
    /// Time limit per invocation, in minutes.
    pub timeout_mins: Option<Positive>,
    /// Model temperature.
    pub temperature: Option<f64>,
    /// Reasoning effort.
    pub effort: Option<Effort>,
    /// Display colour.
    pub color: Option<Color>,
    /// MCP servers: names and/or inline configs, passed through.
    pub mcp_servers: Option<serde_json::Value>,
    /// Hooks scoped to the subagent, passed through.
    pub hooks: Option<serde_json::Value>,
    /// Skills it may use.
    pub skills: Option<List>,
    /// First prompt when used with `--agent`.
    pub initial_prompt: Option<String>,
    /// Persistent memory scope.
    pub memory: Option<MemoryScope>,
    /// Launch in the background by default.
    pub background: Option<bool>,
    /// `worktree` to run in a separate git worktree.
    pub isolation: Option<String>,
    /// Local or remote.
    pub kind: Option<AgentKind>,
    /// Remote: Agent Card URL.
    pub agent_card_url: Option<String>,
    /// Remote: inline Agent Card.
    pub agent_card_json: Option<serde_json::Value>,
    /// Remote: authentication, passed through.
    pub auth: Option<serde_json::Value>,
}

/// A subagent definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subagent {
    /// The name.
    pub name: String,
    /// When to use it.
    pub description: String,
    /// The file.
    pub path: PathBuf,
    /// User, project or plugin.
    pub scope: Scope,
    /// Qoder's or Claude Code's folder.
    pub origin: Origin,
    /// The plugin that ships it.
    pub plugin: Option<String>,
    /// All frontmatter fields (for plugin subagents, with `hooks`,
    /// `mcpServers` and `permissionMode` removed).
    pub meta: SubagentMeta,
    /// The system prompt.
    pub prompt: String,
}

/// Where an agents folder sits.
#[derive(Debug, Clone)]
pub(crate) struct AgentsDir {
    pub(crate) dir: PathBuf,
    pub(crate) scope: Scope,
    pub(crate) origin: Origin,
    pub(crate) plugin: Option<String>,
}

/// Parses one subagent file.
pub(crate) fn parse(text: &str, path: &Path, source: &AgentsDir) -> Result<Subagent, Skipped> {
    let doc = frontmatter::parse::<SubagentMeta>(text).map_err(|e| {
        Skipped::at_line(
            Kind::Subagent,
            path,
            e.line,
            format!("invalid frontmatter: {}", e.message),
        )
    })?;
    if !doc.has_frontmatter {
        return Err(Skipped::at_line(
            Kind::Subagent,
            path,
            1,
            "a subagent file must start with YAML frontmatter (`---`)",
        ));
    }
    let mut meta = doc.fields;
    let non_empty = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let Some(name) = non_empty(&meta.name) else {
        return Err(Skipped::at_line(
            Kind::Subagent,
            path,
            1,
            "frontmatter has no `name` (required)",
        ));
    };
    let Some(description) = non_empty(&meta.description) else {
        return Err(Skipped::at_line(
            Kind::Subagent,
            path,
            1,
            "frontmatter has no `description` (required)",
        ));
    };
    if source.scope == Scope::Plugin {
        // The plugin safety policy `[sub]`.
        meta.hooks = None;
        meta.mcp_servers = None;
        meta.permission_mode = None;
        if meta.isolation.as_deref() != Some("worktree") {
            meta.isolation = None;
        }
    }
    Ok(Subagent {
        name,
        description,
        path: path.to_path_buf(),
        scope: source.scope,
        origin: source.origin,
        plugin: source.plugin.clone(),
        meta,
        prompt: doc.body,
    })
}

/// Loads every `*.md` directly in `source.dir`, sorted by file name.
pub(crate) fn load_dir(source: &AgentsDir, out: &mut Vec<Subagent>, skipped: &mut Vec<Skipped>) {
    let Ok(entries) = std::fs::read_dir(&source.dir) else {
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    for path in files {
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse(&text, &path, source) {
                Ok(agent) => out.push(agent),
                Err(skip) => skipped.push(skip),
            },
            Err(e) => skipped.push(Skipped::new(
                Kind::Subagent,
                &path,
                format!("cannot read: {e}"),
            )),
        }
    }
}

/// The path recorded for subagents that come from `--agents`.
pub const FLAG_AGENTS_PATH: &str = "--agents";

/// Fields `--agents` JSON does not accept `[sub]`.
const NOT_IN_FLAG_JSON: [&str; 6] = [
    "timeoutMins",
    "temperature",
    "hooks",
    "memory",
    "background",
    "isolation",
];

/// Loads the `--agents` JSON object (name → definition with `prompt` as the
/// system prompt). A definition with an unsupported field keeps the rest,
/// with a warning; an invalid one is skipped.
pub(crate) fn load_flag_json(
    json: &str,
    out: &mut Vec<Subagent>,
    skipped: &mut Vec<Skipped>,
    warnings: &mut Vec<crate::source::Warning>,
) {
    let path = PathBuf::from(FLAG_AGENTS_PATH);
    let value: serde_json::Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => {
            skipped.push(Skipped::at_line(
                Kind::Subagent,
                &path,
                e.line(),
                format!("invalid JSON at column {}: {e}", e.column()),
            ));
            return;
        }
    };
    let serde_json::Value::Object(map) = value else {
        skipped.push(Skipped::new(
            Kind::Subagent,
            &path,
            "--agents must be a JSON object of name -> definition",
        ));
        return;
    };
    for (name, definition) in map {
        let serde_json::Value::Object(mut fields) = definition else {
            skipped.push(Skipped::new(
                Kind::Subagent,
                &path,
                format!("--agents `{name}`: the definition must be an object"),
            ));
            continue;
        };
        for key in NOT_IN_FLAG_JSON {
            if fields.remove(key).is_some() {
                warnings.push(crate::source::Warning {
                    kind: Kind::Subagent,
                    path: path.clone(),
                    line: None,
                    message: format!(
                        "--agents `{name}`: `{key}` is not supported in --agents JSON and is ignored; use a Markdown definition"
                    ),
                });
            }
        }
        let prompt = match fields.remove("prompt") {
            Some(serde_json::Value::String(p)) => p,
            Some(_) => {
                skipped.push(Skipped::new(
                    Kind::Subagent,
                    &path,
                    format!("--agents `{name}`: `prompt` must be a string"),
                ));
                continue;
            }
            None => String::new(),
        };
        fields.insert("name".into(), serde_json::Value::String(name.clone()));
        let mut meta: SubagentMeta = match serde_json::from_value(serde_json::Value::Object(fields))
        {
            Ok(meta) => meta,
            Err(e) => {
                skipped.push(Skipped::new(
                    Kind::Subagent,
                    &path,
                    format!("--agents `{name}`: {e}"),
                ));
                continue;
            }
        };
        let Some(description) = meta.description.clone().filter(|d| !d.trim().is_empty()) else {
            skipped.push(Skipped::new(
                Kind::Subagent,
                &path,
                format!("--agents `{name}`: `description` is required"),
            ));
            continue;
        };
        meta.name = Some(name.clone());
        out.push(Subagent {
            name,
            description,
            path: path.clone(),
            scope: Scope::Flag,
            origin: Origin::Qoder,
            plugin: None,
            meta,
            prompt,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn dir(scope: Scope) -> AgentsDir {
        AgentsDir {
            dir: PathBuf::from("/a"),
            scope,
            origin: Origin::Qoder,
            plugin: None,
        }
    }

    #[test]
    fn documented_example_parses() {
        let text = "---\nname: api-reviewer\ndescription: Review APIs.\ntools: [Read, Grep, Glob]\ndisallowedTools: Write, Edit\npermissionMode: accept-edits\nmodel: inherit\nmaxTurns: 8\ntimeoutMins: 10\ncolor: cyan\neffort: high\n---\nYou review APIs.\n";
        let agent = parse(text, Path::new("/a/x.md"), &dir(Scope::Project)).expect("parses");
        assert_eq!(agent.name, "api-reviewer");
        assert_eq!(
            agent.meta.tools,
            Some(List(vec!["Read".into(), "Grep".into(), "Glob".into()]))
        );
        assert_eq!(
            agent.meta.disallowed_tools,
            Some(List(vec!["Write".into(), "Edit".into()]))
        );
        assert_eq!(
            agent.meta.permission_mode,
            Some(PermissionMode::AcceptEdits)
        );
        assert_eq!(agent.meta.max_turns, Some(Positive(8)));
        assert_eq!(agent.meta.effort, Some(Effort::Level(EffortLevel::High)));
        assert_eq!(agent.prompt, "You review APIs.\n");
    }

    #[test]
    fn agent_expression_keeps_its_commas() {
        let text = "---\nname: a\ndescription: d\ntools: Read, Agent(Explore, Plan)\n---\n";
        let agent = parse(text, Path::new("/a/x.md"), &dir(Scope::User)).expect("parses");
        assert_eq!(
            agent.meta.tools,
            Some(List(vec!["Read".into(), "Agent(Explore, Plan)".into()]))
        );
    }

    #[test]
    fn bad_field_value_names_the_line() {
        let text = "---\nname: a\ndescription: d\ncolor: magenta\n---\n";
        let skip = parse(text, Path::new("/a/x.md"), &dir(Scope::User)).expect_err("bad color");
        assert_eq!(skip.line, Some(4));
        assert!(skip.reason.contains("magenta"), "{}", skip.reason);
    }

    #[test]
    fn plugin_agents_lose_risky_fields() {
        let text = "---\nname: a\ndescription: d\npermissionMode: yolo\nhooks: {Stop: []}\nmcpServers: [docs]\nisolation: other\n---\n";
        let agent = parse(text, Path::new("/a/x.md"), &dir(Scope::Plugin)).expect("parses");
        assert_eq!(
            (
                agent.meta.permission_mode,
                agent.meta.hooks,
                agent.meta.mcp_servers,
                agent.meta.isolation
            ),
            (None, None, None, None)
        );
    }
}
