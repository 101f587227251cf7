//! The tools a session offers: the built-ins, narrowed by `--tools`,
//! settings `tools.exclude` and tool-level `--disallowed-tools` rules.

use ferrule_permissions::{ToolPattern, parse_rule};
use ferrule_tool::{RegistryError, ToolRegistry};
use ferrule_tools::{BuiltinOptions, builtin_tools};

use crate::options::ToolSelection;

/// Tool names the Agent SDKs put in `--tools` although ferrule has no such
/// built-in tool; in SDK host mode they are skipped without a warning.
pub const SDK_TOOL_NAMES: &[&str] = &[
    "ImageGen",
    "ImageSearch",
    "Skill",
    "TaskCreate",
    "TaskGet",
    "TaskUpdate",
    "TaskList",
    "UpdateGoal",
    "WebSearch",
];

/// Tools the agent loop adds itself (they need the loop), so `--tools` may
/// name them although [`builtin_tools`] does not build them.
pub const LOOP_TOOLS: &[&str] = &[
    "Agent",
    "Task",
    "AskUserQuestion",
    "EnterPlanMode",
    "ExitPlanMode",
    "EnterWorktree",
    "ExitWorktree",
];

/// Tools the session setup adds beside [`builtin_tools`] (they need the
/// session's settings paths), so `--tools` may name them.
pub const SESSION_TOOLS: &[&str] = &["Config"];

/// Which tool names stay visible to the model.
#[derive(Debug, Clone, Default)]
pub struct ToolChoice {
    selection: ToolSelection,
    hidden: Vec<ToolPattern>,
    excluded: Vec<String>,
}

impl ToolChoice {
    /// `--tools`, the `--disallowed-tools` rules (only tool-level rules such
    /// as `WebFetch` or `mcp__github` hide tools; `Bash(rm:*)` only denies
    /// calls) and settings `tools.exclude` names.
    pub fn new(selection: ToolSelection, disallowed: &[String], excluded: &[String]) -> Self {
        let hidden = disallowed
            .iter()
            .filter_map(|text| parse_rule(text).ok())
            .filter(|rule| rule.content_text().is_none())
            .map(|rule| rule.tool)
            .collect();
        Self {
            selection,
            hidden,
            excluded: excluded.to_vec(),
        }
    }

    /// Whether the tool called `name` is offered.
    pub fn keeps(&self, name: &str) -> bool {
        let canonical = ferrule_permissions::canonical_tool_name(name);
        let selected = match &self.selection {
            ToolSelection::Default => true,
            ToolSelection::Only(names) => names
                .iter()
                .any(|n| n == name || ferrule_permissions::canonical_tool_name(n) == canonical),
        };
        selected
            && !self.excluded.iter().any(|n| n == name || n == canonical)
            && !self
                .hidden
                .iter()
                .any(|pattern| pattern.matches(name) || pattern.matches(canonical))
    }

    /// Whether a tool-level `--disallowed-tools` rule or `tools.exclude`
    /// hides `name` (MCP tools: `--tools` selects built-ins only).
    pub fn hides(&self, name: &str) -> bool {
        self.excluded.iter().any(|n| n == name) || self.hidden.iter().any(|p| p.matches(name))
    }

    /// Names in `--tools` that no built-in or loop tool has (MCP tools are
    /// not known yet at this point and are not reported).
    pub fn unknown_names(&self, registry: &ToolRegistry) -> Vec<String> {
        let ToolSelection::Only(names) = &self.selection else {
            return Vec::new();
        };
        names
            .iter()
            .filter(|name| {
                !name.starts_with("mcp__")
                    && registry.get(name).is_none()
                    && !LOOP_TOOLS.contains(&name.as_str())
                    && !SESSION_TOOLS.contains(&name.as_str())
            })
            .cloned()
            .collect()
    }
}

/// The built-in tools `choice` keeps, in the order the model sees them, and
/// the `--tools` names that match nothing.
pub fn tool_registry(
    choice: &ToolChoice,
    options: &BuiltinOptions,
) -> Result<(ToolRegistry, Vec<String>), RegistryError> {
    let mut all = ToolRegistry::new();
    for tool in builtin_tools(options) {
        all.register_arc(tool)?;
    }
    let unknown = choice.unknown_names(&all);
    let mut kept = ToolRegistry::new();
    for tool in all.iter() {
        if choice.keeps(tool.name()) {
            kept.register_arc(tool.clone())?;
        }
    }
    Ok((kept, unknown))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn names(choice: &ToolChoice) -> Vec<String> {
        let (registry, _) = tool_registry(choice, &BuiltinOptions::default()).unwrap();
        registry.names().into_iter().map(str::to_owned).collect()
    }

    #[test]
    fn default_offers_every_builtin() {
        let all = names(&ToolChoice::default());
        assert!(all.contains(&"Bash".to_owned()));
        assert!(all.contains(&"Read".to_owned()));
    }

    #[test]
    fn tools_flag_keeps_only_the_named_ones_and_reports_typos() {
        let choice = ToolChoice::new(ToolSelection::parse(&["Read,Grep,Agent,Raed"]), &[], &[]);
        assert_eq!(names(&choice), ["Read", "Grep"]);
        let (_, unknown) = tool_registry(&choice, &BuiltinOptions::default()).unwrap();
        assert_eq!(unknown, ["Raed"]);
        assert!(choice.keeps("Agent"));
        assert!(choice.keeps("Task"));
        assert!(!choice.keeps("AskUserQuestion"));
        assert!(names(&ToolChoice::new(ToolSelection::Only(vec![]), &[], &[])).is_empty());
    }

    #[test]
    fn tool_level_disallowed_rules_and_excludes_hide_tools() {
        let choice = ToolChoice::new(
            ToolSelection::Default,
            &["WebFetch".into(), "Bash(rm:*)".into()],
            &["TodoWrite".into()],
        );
        let kept = names(&choice);
        assert!(!kept.contains(&"WebFetch".to_owned()));
        assert!(!kept.contains(&"TodoWrite".to_owned()));
        assert!(
            kept.contains(&"Bash".to_owned()),
            "content rules only deny calls"
        );
    }
}
