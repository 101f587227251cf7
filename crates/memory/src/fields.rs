//! Frontmatter field types shared by skills, commands and subagents.

use serde::{Deserialize, Serialize};

/// A list written as a YAML list or as one comma-separated string
/// (`tools: Read, Grep, Agent(Explore, Plan)`); commas inside parentheses
/// belong to the item `[sub]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct List(pub Vec<String>);

impl<'de> Deserialize<'de> for List {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        let items = match Raw::deserialize(deserializer)? {
            Raw::One(s) => split_outside_parens(&s),
            Raw::Many(v) => v,
        };
        Ok(List(
            items
                .into_iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        ))
    }
}

fn split_outside_parens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in s.chars() {
        match c {
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
    out
}

/// A declared argument of a skill or command (`arguments:` list).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ArgumentSpec {
    /// The name, substituted as `$name`.
    pub name: String,
    /// What the argument is for.
    pub description: Option<String>,
    /// Whether rendering fails without it.
    pub required: bool,
}

impl<'de> Deserialize<'de> for ArgumentSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Full {
            name: String,
            #[serde(default)]
            description: Option<String>,
            #[serde(default)]
            required: bool,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Name(String),
            Full(Full),
        }
        Ok(match Raw::deserialize(deserializer)? {
            Raw::Name(name) => ArgumentSpec {
                name,
                description: None,
                required: false,
            },
            Raw::Full(f) => ArgumentSpec {
                name: f.name,
                description: f.description,
                required: f.required,
            },
        })
    }
}

/// The frontmatter of a skill or custom command (cli-core §7.1, §7.2);
/// unknown fields are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct PromptMeta {
    /// The name (a skill's identity; for commands only the TUI label).
    pub name: Option<String>,
    /// What it does and when to use it.
    pub description: Option<String>,
    /// Extra guidance on when to use it.
    pub when_to_use: Option<String>,
    /// Hint shown after the command name, e.g. `[file] [focus]`.
    pub argument_hint: Option<String>,
    /// Declared arguments, substituted as `$name`.
    pub arguments: Vec<ArgumentSpec>,
    /// Tools the prompt may use without asking.
    pub allowed_tools: List,
    /// Model to run with.
    pub model: Option<String>,
    /// Reasoning effort (a level name or a number), passed through.
    pub effort: Option<serde_json::Value>,
    /// Only the user may invoke it, not the model.
    pub disable_model_invocation: bool,
    /// Whether the user can invoke it with `/name` (default yes).
    pub user_invocable: Option<bool>,
    /// `fork` (run as a subagent's task) or `inline` (the default: into
    /// the conversation).
    pub context: Option<String>,
    /// The subagent type that runs a `context: fork` prompt
    /// (`general-purpose` when absent).
    pub agent: Option<String>,
}

impl PromptMeta {
    /// Whether the prompt runs as a subagent's task (`context: fork`).
    pub fn forks(&self) -> bool {
        self.context
            .as_deref()
            .is_some_and(|context| context.trim().eq_ignore_ascii_case("fork"))
    }

    /// The reasoning effort as the text a host parses: a level name, or a
    /// budget number in digits; `None` when absent or of another type.
    pub fn effort_text(&self) -> Option<String> {
        match self.effort.as_ref()? {
            serde_json::Value::String(text) if !text.trim().is_empty() => {
                Some(text.trim().to_owned())
            }
            serde_json::Value::Number(number) => Some(number.to_string()),
            _ => None,
        }
    }
}
