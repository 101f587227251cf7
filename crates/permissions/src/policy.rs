//! A [`Policy`]: the rules of every settings layer, pre-compiled for fast
//! matching, plus the mode and the working directories.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::bash_rule::BashRuleSet;
use crate::decision::{Behavior, MatchedRule};
use crate::mode::Mode;
use crate::path::normalize;
use crate::path_rule::{Anchors, PathRuleSet};
use crate::rule::{Rule, RuleError, ToolPattern, parse_rule, tool_part};
use crate::web::WebRule;

/// Where a list of rules comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSource {
    /// The settings file, if the rules come from one.
    pub path: Option<PathBuf>,
    /// What `/pattern` anchors at: the project root for project, local, flag
    /// and CLI rules; the home directory for user settings (reference §3.4.5).
    pub root: PathBuf,
}

/// A rule string that did not parse or compile, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDiagnostic {
    /// The settings file, if any.
    pub source: Option<PathBuf>,
    /// The list it is in.
    pub list: Behavior,
    /// Its index in that list.
    pub index: usize,
    /// The rule as written.
    pub text: String,
    /// What is wrong.
    pub error: RuleError,
}

impl std::fmt::Display for RuleDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = self
            .source
            .as_deref()
            .map_or_else(|| "<rules>".to_string(), |p| p.display().to_string());
        write!(
            f,
            "{file}: permissions.{}[{}] `{}`: {}",
            self.list, self.index, self.text, self.error
        )
    }
}

/// A rule that parsed but names a tool ferrule does not know. It is kept
/// (it may name a tool that appears later) and reported (reference §3.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownToolRule {
    /// The settings file, if any.
    pub source: Option<PathBuf>,
    /// The list it is in.
    pub list: Behavior,
    /// Its index in that list.
    pub index: usize,
    /// The rule as written.
    pub text: String,
    /// The tool name it uses.
    pub tool: String,
}

/// Tools ferrule knows by name (reference §2 and §3.3).
const KNOWN_TOOLS: &[&str] = &[
    "Bash",
    "Read",
    "Edit",
    "Write",
    "MultiEdit",
    "NotebookEdit",
    "Glob",
    "Grep",
    "LS",
    "WebFetch",
    "WebSearch",
    "TodoWrite",
    "Agent",
    "Task",
    "Skill",
    "AskUserQuestion",
    "EnterPlanMode",
    "ExitPlanMode",
    "TaskOutput",
    "TaskStop",
    "BashOutput",
    "KillShell",
    "ListMcpResources",
    "ReadMcpResource",
    "EnterWorktree",
    "ExitWorktree",
    "Config",
];

/// One rule with its origin.
#[derive(Debug, Clone)]
pub(crate) struct SourcedRule {
    pub(crate) text: String,
    pub(crate) list: Behavior,
    pub(crate) source: Arc<RuleSource>,
    pub(crate) index: usize,
}

/// The compiled rules of one list (allow, ask or deny).
#[derive(Debug, Clone, Default)]
pub(crate) struct CompiledList {
    /// Tool-level rules (no content).
    pub(crate) tools: Vec<(ToolPattern, usize)>,
    pub(crate) bash: BashRuleSet,
    /// `Read(...)`.
    pub(crate) read: Option<PathRuleSet>,
    /// `Edit(...)`.
    pub(crate) edit: Option<PathRuleSet>,
    /// `Write(...)`, `NotebookEdit(...)`, `MultiEdit(...)`, `Glob(...)`,
    /// `Grep(...)`, `LS(...)`: path rules of that one tool.
    pub(crate) tool_paths: Vec<(&'static str, PathRuleSet)>,
    pub(crate) web: Vec<(WebRule, usize)>,
    /// `Agent(type, ...)`, lower-cased.
    pub(crate) agents: Vec<(Vec<String>, usize)>,
    /// `Skill(name)`.
    pub(crate) skills: Vec<(String, usize)>,
    /// Malformed rules of this list and the tools they name.
    pub(crate) malformed: Vec<(ToolPattern, usize)>,
}

impl CompiledList {
    pub(crate) fn tool_match(&self, tool: &str) -> Option<usize> {
        self.tools
            .iter()
            .find(|(p, _)| p.matches(tool))
            .map(|&(_, i)| i)
    }

    pub(crate) fn tool_path_set(&self, tool: &str) -> Option<&PathRuleSet> {
        self.tool_paths
            .iter()
            .find(|(t, _)| *t == tool)
            .map(|(_, s)| s)
    }
}

/// Everything `decide()` needs besides the request. Build one with
/// [`PolicyBuilder`].
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) mode: Mode,
    pub(crate) cwd: PathBuf,
    pub(crate) home: PathBuf,
    pub(crate) plans_dir: PathBuf,
    pub(crate) working_dirs: Vec<PathBuf>,
    pub(crate) rules: Vec<SourcedRule>,
    pub(crate) allow: CompiledList,
    pub(crate) ask: CompiledList,
    pub(crate) deny: CompiledList,
    diagnostics: Vec<RuleDiagnostic>,
    /// The builder's user directory and extra directories as given, so
    /// [`Policy::with_rules`] can rebuild exactly.
    user_dir: Option<PathBuf>,
    dirs: Vec<String>,
}

impl Policy {
    /// A builder for a session started in `cwd` by a user whose home is `home`.
    pub fn builder(cwd: impl Into<PathBuf>, home: impl Into<PathBuf>) -> PolicyBuilder {
        PolicyBuilder::new(cwd, home)
    }

    /// This policy with one more list of rules, from `source`, added after
    /// the others (a custom command's `allowed-tools`, say). Deny and ask
    /// rules keep their precedence over the added allow rules.
    #[must_use]
    pub fn with_rules<S: AsRef<str>>(
        &self,
        list: Behavior,
        rules: impl IntoIterator<Item = S>,
        source: RuleSource,
    ) -> Policy {
        PolicyBuilder {
            mode: self.mode,
            cwd: self.cwd.clone(),
            home: self.home.clone(),
            user_dir: self.user_dir.clone(),
            dirs: self.dirs.clone(),
            rules: self.rules.clone(),
        }
        .rules(list, rules, source)
        .build()
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The working directories: the cwd first, then the additional ones.
    pub fn working_dirs(&self) -> &[PathBuf] {
        &self.working_dirs
    }

    /// The normalized cwd.
    pub fn cwd(&self) -> &Path {
        &self.cwd
    }

    /// Rules that did not parse or compile.
    pub fn diagnostics(&self) -> &[RuleDiagnostic] {
        &self.diagnostics
    }

    /// Rules that parsed but name a tool that is neither built in nor MCP.
    pub fn unknown_tool_rules(&self) -> Vec<UnknownToolRule> {
        self.rules
            .iter()
            .filter_map(|rule| {
                let Ok(Rule {
                    tool: ToolPattern::Tool(name),
                    ..
                }) = parse_rule(&rule.text)
                else {
                    return None;
                };
                let known = name.starts_with("mcp__") || KNOWN_TOOLS.contains(&name.as_str());
                (!known).then(|| UnknownToolRule {
                    source: rule.source.path.clone(),
                    list: rule.list,
                    index: rule.index,
                    text: rule.text.clone(),
                    tool: name,
                })
            })
            .collect()
    }

    pub(crate) fn list(&self, behavior: Behavior) -> &CompiledList {
        match behavior {
            Behavior::Allow => &self.allow,
            Behavior::Ask => &self.ask,
            Behavior::Deny => &self.deny,
        }
    }

    pub(crate) fn matched(&self, rule: usize) -> Option<MatchedRule> {
        self.rules.get(rule).map(|r| MatchedRule {
            text: r.text.clone(),
            list: r.list,
            source: r.source.path.clone(),
            index: r.index,
        })
    }

    pub(crate) fn rule_text(&self, rule: usize) -> &str {
        self.rules.get(rule).map_or("", |r| r.text.as_str())
    }

    /// Normalizes a tool path against the cwd and home.
    pub(crate) fn resolve(&self, path: &str) -> PathBuf {
        normalize(path, &self.cwd, &self.home)
    }
}

/// Builds a [`Policy`]: add rule lists from each settings layer, then
/// [`build`](Self::build) compiles them.
#[derive(Debug, Clone)]
pub struct PolicyBuilder {
    mode: Mode,
    cwd: PathBuf,
    home: PathBuf,
    user_dir: Option<PathBuf>,
    dirs: Vec<String>,
    rules: Vec<SourcedRule>,
}

impl PolicyBuilder {
    /// A builder with no rules, in default mode. `cwd` and `home` should be
    /// absolute; a relative one is taken from `/`.
    pub fn new(cwd: impl Into<PathBuf>, home: impl Into<PathBuf>) -> Self {
        let home = home.into();
        let cwd = crate::path::normalize_absolute(&cwd.into());
        Self {
            mode: Mode::Default,
            cwd,
            home: crate::path::normalize_absolute(&home),
            user_dir: None,
            dirs: Vec::new(),
            rules: Vec::new(),
        }
    }

    /// Sets the mode.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the user configuration directory (default `~/.qoder`); plan
    /// files live in its `plans/`.
    pub fn user_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.user_dir = Some(dir.into());
        self
    }

    /// Adds an additional working directory (relative → against the cwd,
    /// `~` → home).
    pub fn additional_dir(mut self, dir: impl Into<String>) -> Self {
        self.dirs.push(dir.into());
        self
    }

    /// Adds one list of rules from one source, in order (their indices are
    /// their positions in `rules`).
    pub fn rules<S: AsRef<str>>(
        mut self,
        list: Behavior,
        rules: impl IntoIterator<Item = S>,
        source: RuleSource,
    ) -> Self {
        let source = Arc::new(RuleSource {
            path: source.path,
            root: crate::path::normalize_absolute(&self.cwd.join(source.root)),
        });
        for (index, text) in rules.into_iter().enumerate() {
            self.rules.push(SourcedRule {
                text: text.as_ref().to_string(),
                list,
                source: Arc::clone(&source),
                index,
            });
        }
        self
    }

    /// Parses and compiles every rule. Malformed rules become diagnostics;
    /// a malformed deny or ask rule still makes its tool ask.
    pub fn build(self) -> Policy {
        let user_dir = self.user_dir.clone().map_or_else(
            || self.home.join(".qoder"),
            |d| normalize(&d.to_string_lossy(), &self.cwd, &self.home),
        );
        let mut working_dirs = vec![self.cwd.clone()];
        for dir in &self.dirs {
            let dir = normalize(dir, &self.cwd, &self.home);
            if !working_dirs.contains(&dir) {
                working_dirs.push(dir);
            }
        }
        let mut diagnostics = Vec::new();
        let mut parsed = Vec::with_capacity(self.rules.len());
        for (at, rule) in self.rules.iter().enumerate() {
            match parse_rule(&rule.text) {
                Ok(parsed_rule) => parsed.push((at, Ok(parsed_rule))),
                Err(error) => parsed.push((at, Err(error))),
            }
        }
        let mut lists = [
            CompiledList::default(),
            CompiledList::default(),
            CompiledList::default(),
        ];
        for (slot, behavior) in [Behavior::Allow, Behavior::Ask, Behavior::Deny]
            .into_iter()
            .enumerate()
        {
            let entries: Vec<(usize, &Result<Rule, RuleError>)> = parsed
                .iter()
                .filter(|(at, _)| self.rules[*at].list == behavior)
                .map(|(at, r)| (*at, r))
                .collect();
            let errors = crate::compile::compile_list(
                &mut lists[slot],
                &entries,
                &self.rules,
                &self.home,
                behavior != Behavior::Allow,
            );
            for (at, error) in errors {
                let rule = &self.rules[at];
                if behavior != Behavior::Allow {
                    let tool = crate::rule::parse_rule(tool_part(&rule.text))
                        .map(|r| r.tool)
                        .unwrap_or(ToolPattern::Any);
                    lists[slot].malformed.push((tool, at));
                }
                diagnostics.push(RuleDiagnostic {
                    source: rule.source.path.clone(),
                    list: rule.list,
                    index: rule.index,
                    text: rule.text.clone(),
                    error,
                });
            }
        }
        let [allow, ask, deny] = lists;
        Policy {
            mode: self.mode,
            plans_dir: user_dir.join("plans"),
            cwd: self.cwd,
            home: self.home,
            working_dirs,
            rules: self.rules,
            allow,
            ask,
            deny,
            diagnostics,
            user_dir: self.user_dir,
            dirs: self.dirs,
        }
    }
}

/// The anchors of a rule.
pub(crate) fn anchors<'a>(rule: &'a SourcedRule, home: &'a Path) -> Anchors<'a> {
    Anchors {
        root: &rule.source.root,
        home,
    }
}
