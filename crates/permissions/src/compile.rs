//! Compiles the parsed rules of one list into a [`CompiledList`].

use std::path::Path;

use crate::bash_rule::BashRuleSet;
use crate::path_rule::PathRuleSet;
use crate::policy::{CompiledList, SourcedRule, anchors};
use crate::rule::{Rule, RuleError, ToolPattern, canonical_tool_name};
use crate::web::WebRule;

/// Tools whose content rules are path rules for that tool alone.
const TOOL_PATH_TOOLS: &[&str] = &["Write", "NotebookEdit", "MultiEdit", "Glob", "Grep", "LS"];

/// Fills `list` from `entries` (`(rule position, parse result)`); returns
/// the rules that are malformed with why. `case_insensitive` is set for deny
/// and ask lists, whose path rules match regardless of case.
pub(crate) fn compile_list(
    list: &mut CompiledList,
    entries: &[(usize, &Result<Rule, RuleError>)],
    rules: &[SourcedRule],
    home: &Path,
    case_insensitive: bool,
) -> Vec<(usize, RuleError)> {
    let mut errors = Vec::new();
    let mut bash = Vec::new();
    let mut read = Vec::new();
    let mut edit = Vec::new();
    let mut tool_paths: Vec<(&'static str, Vec<usize>)> = Vec::new();
    let bad = |tool: &str, reason: String| RuleError::BadContent {
        tool: tool.to_string(),
        reason,
    };
    for &(at, parsed) in entries {
        let rule = match parsed {
            Ok(rule) => rule,
            Err(error) => {
                errors.push((at, error.clone()));
                continue;
            }
        };
        let Some(content) = rule.content_text() else {
            list.tools.push((rule.tool.clone(), at));
            continue;
        };
        let ToolPattern::Tool(name) = &rule.tool else {
            errors.push((
                at,
                bad(
                    &rule.tool.to_string(),
                    "only a single tool takes content".to_string(),
                ),
            ));
            continue;
        };
        match canonical_tool_name(name) {
            "Bash" => bash.push((at, content)),
            "Read" => read.push(at),
            "Edit" => edit.push(at),
            "WebFetch" => match WebRule::parse(content) {
                Ok(web) => list.web.push((web, at)),
                Err(reason) => errors.push((at, bad(name, reason))),
            },
            "Agent" => {
                let types: Vec<String> = content
                    .split(',')
                    .map(|t| t.trim().to_lowercase())
                    .filter(|t| !t.is_empty())
                    .collect();
                if types.is_empty() {
                    errors.push((at, bad(name, "no agent type".to_string())));
                } else {
                    list.agents.push((types, at));
                }
            }
            "Skill" => list.skills.push((content.trim().to_string(), at)),
            other => match TOOL_PATH_TOOLS.iter().find(|t| **t == other) {
                Some(tool) => match tool_paths.iter_mut().find(|(t, _)| t == tool) {
                    Some((_, ats)) => ats.push(at),
                    None => tool_paths.push((tool, vec![at])),
                },
                None => errors.push((at, bad(name, format!("`{name}` rules take no content")))),
            },
        }
    }
    let (bash_set, bash_errors) = BashRuleSet::build(bash);
    list.bash = bash_set;
    for (at, reason) in bash_errors {
        errors.push((at, bad("Bash", reason)));
    }
    let path_set = |ats: &[usize], tool: &str, errors: &mut Vec<(usize, RuleError)>| {
        if ats.is_empty() {
            return None;
        }
        let patterns = ats.iter().filter_map(|&at| {
            let rule = rules.get(at)?;
            let content = entries
                .iter()
                .find(|(a, _)| *a == at)
                .and_then(|(_, parsed)| parsed.as_ref().ok())
                .and_then(Rule::content_text)?;
            Some((at, content, anchors(rule, home)))
        });
        let (set, set_errors) = PathRuleSet::build(patterns, case_insensitive);
        for (at, reason) in set_errors {
            errors.push((at, bad(tool, reason)));
        }
        Some(set)
    };
    list.read = path_set(&read, "Read", &mut errors);
    list.edit = path_set(&edit, "Edit", &mut errors);
    for (tool, ats) in tool_paths {
        if let Some(set) = path_set(&ats, tool, &mut errors) {
            list.tool_paths.push((tool, set));
        }
    }
    errors
}
