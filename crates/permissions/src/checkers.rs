//! The per-tool checkers of reference §3.3: file reads, file writes, web,
//! MCP, subagents and the tools without a checker of their own.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::decide::{Verdict, is_edit_tool};
use crate::decision::{AskKind, Behavior};
use crate::path::is_inside;
use crate::policy::Policy;
use crate::protected::protected_reason;

/// Runs the checker of `tool` (canonical name).
pub(crate) fn check(policy: &Policy, tool: &str, input: &Value) -> Verdict {
    match tool {
        "Bash" => crate::bash_check::check_bash(policy, input),
        "Read" => match string_field(input, &["file_path"]) {
            Some(path) => read_check(policy, tool, &policy.resolve(path), false),
            None => Verdict::deny(None, "Read input has no string `file_path`"),
        },
        "LS" => match string_field(input, &["path"]) {
            Some(path) => read_check(policy, tool, &policy.resolve(path), true),
            None => Verdict::deny(None, "LS input has no string `path`"),
        },
        "Glob" | "Grep" => {
            let roots = search_roots(policy, tool, input);
            worst(
                roots
                    .iter()
                    .map(|root| read_check(policy, tool, root, true)),
            )
        }
        _ if is_edit_tool(tool) => match string_field(input, &["file_path", "notebook_path"]) {
            Some(path) => write_check(policy, tool, &policy.resolve(path)),
            None => Verdict::deny(None, format!("{tool} input has no string `file_path`")),
        },
        "WebFetch" => web_check(policy, input),
        "Agent" => agent_check(policy, input),
        "Skill" => skill_check(policy, input),
        "AskUserQuestion" | "ExitPlanMode" | "EnterPlanMode" => {
            Verdict::ask(AskKind::Interaction, None, "the tool asks the user")
        }
        "TodoWrite" | "TaskOutput" | "TaskStop" | "BashOutput" | "KillShell"
        | "ListMcpResources" | "ReadMcpResource" | "EnterWorktree" | "ExitWorktree" => {
            Verdict::allow(None, "the tool has no effect outside the session")
        }
        "Config" => match string_field(input, &["action"]) {
            Some("get" | "list") => Verdict::allow(None, "Config only reads settings"),
            // Settings files are protected: an allow rule does not skip
            // the question, auto mode denies it, bypass allows it.
            _ => Verdict::ask(AskKind::Safety, None, "Config changes a settings file"),
        },
        _ if tool.starts_with("mcp__") => {
            Verdict::ask(AskKind::NoRule, None, "no rule covers this MCP tool")
        }
        _ => Verdict::ask(AskKind::NoRule, None, "no rule covers this tool"),
    }
}

/// The first string among `names` in the input object.
pub(crate) fn string_field<'a>(input: &'a Value, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|name| input.get(*name).and_then(Value::as_str))
}

/// The strictest of several verdicts: deny over ask over allow; the first
/// one of that strength wins. No verdicts at all is a deny.
pub(crate) fn worst(verdicts: impl Iterator<Item = Verdict>) -> Verdict {
    let rank = |v: &Verdict| match v.behavior {
        Behavior::Allow => 0,
        Behavior::Ask => 1,
        Behavior::Deny => 2,
    };
    let mut best: Option<Verdict> = None;
    for verdict in verdicts {
        if best.as_ref().is_none_or(|b| rank(&verdict) > rank(b)) {
            best = Some(verdict);
        }
    }
    best.unwrap_or_else(|| Verdict::deny(None, "nothing to check"))
}

/// Glob and Grep roots: `path`, the fixed prefix of an absolute Glob
/// pattern, or else the cwd and every additional directory.
fn search_roots(policy: &Policy, tool: &str, input: &Value) -> Vec<PathBuf> {
    if let Some(path) = string_field(input, &["path"]) {
        return vec![policy.resolve(path)];
    }
    if tool == "Glob"
        && let Some(pattern) = string_field(input, &["pattern"])
        && (pattern.starts_with('/') || pattern.starts_with("~/"))
    {
        let fixed: Vec<&str> = pattern
            .split('/')
            .take_while(|part| !part.contains(['*', '?', '[', '{']))
            .collect();
        return vec![policy.resolve(&fixed.join("/"))];
    }
    policy.working_dirs.clone()
}

fn in_workspace(policy: &Policy, path: &Path) -> bool {
    policy.working_dirs.iter().any(|dir| is_inside(path, dir))
}

pub(crate) fn is_plan_file(policy: &Policy, path: &Path) -> bool {
    path.parent() == Some(policy.plans_dir.as_path()) && path.extension().is_some_and(|e| e == "md")
}

/// Whether the write request targets a plan file.
pub(crate) fn writes_plan_file(policy: &Policy, input: &Value) -> bool {
    string_field(input, &["file_path", "notebook_path"])
        .is_some_and(|p| is_plan_file(policy, &policy.resolve(p)))
}

/// The first rule of `list` among `Read(...)` and the tool's own path rules.
fn read_rule(
    policy: &Policy,
    list: Behavior,
    tool: &str,
    path: &Path,
    is_dir: bool,
) -> Option<usize> {
    let rules = policy.list(list);
    let general = rules
        .read
        .as_ref()
        .and_then(|s| s.first_match(path, is_dir));
    let own = rules
        .tool_path_set(tool)
        .and_then(|s| s.first_match(path, is_dir));
    general.into_iter().chain(own).min()
}

/// The read check of one path (reference §3.3 "Read, Glob, Grep, LS").
pub(crate) fn read_check(policy: &Policy, tool: &str, path: &Path, is_dir: bool) -> Verdict {
    let shown = path.display();
    if let Some(rule) = read_rule(policy, Behavior::Deny, tool, path, is_dir) {
        return Verdict::deny(
            Some(rule),
            format!("deny rule `{}` matches {shown}", policy.rule_text(rule)),
        );
    }
    if let Some(rule) = read_rule(policy, Behavior::Ask, tool, path, is_dir) {
        return Verdict::ask(
            AskKind::Rule,
            Some(rule),
            format!("ask rule `{}` matches {shown}", policy.rule_text(rule)),
        );
    }
    if let Some(rule) = policy
        .allow
        .edit
        .as_ref()
        .and_then(|s| s.first_match(path, is_dir))
    {
        return Verdict::allow(
            Some(rule),
            format!(
                "allow rule `{}` (Edit implies Read) matches {shown}",
                policy.rule_text(rule)
            ),
        );
    }
    if in_workspace(policy, path) {
        return Verdict::allow(None, format!("{shown} is inside a working directory"));
    }
    if is_plan_file(policy, path) || path == policy.plans_dir {
        return Verdict::allow(None, format!("{shown} is a plan file"));
    }
    if let Some(rule) = read_rule(policy, Behavior::Allow, tool, path, is_dir) {
        return Verdict::allow(
            Some(rule),
            format!("allow rule `{}` matches {shown}", policy.rule_text(rule)),
        );
    }
    Verdict::ask(
        AskKind::NoRule,
        None,
        format!("{shown} is outside the working directories"),
    )
}

/// The first rule of `list` among `Edit(...)` and the tool's own path rules.
fn edit_rule(policy: &Policy, list: Behavior, tool: &str, path: &Path) -> Option<usize> {
    let rules = policy.list(list);
    let general = rules.edit.as_ref().and_then(|s| s.first_match(path, false));
    let own = rules
        .tool_path_set(tool)
        .and_then(|s| s.first_match(path, false));
    general.into_iter().chain(own).min()
}

/// The write check of one path (reference §3.3 "Edit, Write, NotebookEdit,
/// MultiEdit"); also used for shell output redirections (`tool` = `Edit`).
pub(crate) fn write_check(policy: &Policy, tool: &str, path: &Path) -> Verdict {
    let shown = path.display();
    if let Some(rule) = edit_rule(policy, Behavior::Deny, tool, path) {
        return Verdict::deny(
            Some(rule),
            format!("deny rule `{}` matches {shown}", policy.rule_text(rule)),
        );
    }
    if is_plan_file(policy, path) {
        return Verdict::allow(None, format!("{shown} is a plan file"));
    }
    if let Some(why) = protected_reason(path) {
        return Verdict::ask(
            AskKind::Safety,
            None,
            format!("{shown} is protected ({why})"),
        );
    }
    if let Some(rule) = edit_rule(policy, Behavior::Ask, tool, path) {
        return Verdict::ask(
            AskKind::Rule,
            Some(rule),
            format!("ask rule `{}` matches {shown}", policy.rule_text(rule)),
        );
    }
    if let Some(rule) = edit_rule(policy, Behavior::Allow, tool, path) {
        return Verdict::allow(
            Some(rule),
            format!("allow rule `{}` matches {shown}", policy.rule_text(rule)),
        );
    }
    if !in_workspace(policy, path) {
        return Verdict::ask(
            AskKind::Outside,
            None,
            format!("{shown} is outside the working directories"),
        );
    }
    Verdict::ask(
        AskKind::NoRule,
        None,
        format!("editing {shown} needs approval"),
    )
}

fn web_check(policy: &Policy, input: &Value) -> Verdict {
    let Some(text) = string_field(input, &["url"]) else {
        return Verdict::deny(None, "WebFetch input has no string `url`");
    };
    let url = match url::Url::parse(text) {
        Ok(url) => url,
        Err(err) => return Verdict::deny(None, format!("`{text}` is not a URL: {err}")),
    };
    let host = url.host_str().unwrap_or("").to_string();
    let find = |list: Behavior| {
        policy
            .list(list)
            .web
            .iter()
            .find(|(rule, _)| rule.matches(&url))
            .map(|&(_, at)| at)
    };
    if let Some(rule) = find(Behavior::Deny) {
        return Verdict::deny(
            Some(rule),
            format!("deny rule `{}` matches host {host}", policy.rule_text(rule)),
        );
    }
    if let Some(rule) = find(Behavior::Ask) {
        return Verdict::ask(
            AskKind::Rule,
            Some(rule),
            format!("ask rule `{}` matches host {host}", policy.rule_text(rule)),
        );
    }
    if let Some(rule) = find(Behavior::Allow) {
        return Verdict::allow(
            Some(rule),
            format!(
                "allow rule `{}` matches host {host}",
                policy.rule_text(rule)
            ),
        );
    }
    Verdict::ask(AskKind::NoRule, None, format!("no rule covers host {host}"))
}

fn agent_check(policy: &Policy, input: &Value) -> Verdict {
    let kind = string_field(input, &["subagent_type", "agent"]).unwrap_or("general-purpose");
    let lower = kind.to_lowercase();
    let find = |list: Behavior| {
        policy
            .list(list)
            .agents
            .iter()
            .find(|(types, _)| types.contains(&lower))
            .map(|&(_, at)| at)
    };
    if let Some(rule) = find(Behavior::Deny) {
        return Verdict::deny(
            Some(rule),
            format!(
                "deny rule `{}` matches subagent {kind}",
                policy.rule_text(rule)
            ),
        );
    }
    if let Some(rule) = find(Behavior::Ask) {
        return Verdict::ask(
            AskKind::Rule,
            Some(rule),
            format!(
                "ask rule `{}` matches subagent {kind}",
                policy.rule_text(rule)
            ),
        );
    }
    match find(Behavior::Allow) {
        Some(rule) => Verdict::allow(
            Some(rule),
            format!(
                "allow rule `{}` matches subagent {kind}",
                policy.rule_text(rule)
            ),
        ),
        None => Verdict::allow(
            None,
            "subagents run; their own tool calls are checked one by one",
        ),
    }
}

fn skill_check(policy: &Policy, input: &Value) -> Verdict {
    let Some(name) = string_field(input, &["skill", "name", "command"]) else {
        return Verdict::ask(AskKind::NoRule, None, "Skill input names no skill");
    };
    let find = |list: Behavior| {
        policy
            .list(list)
            .skills
            .iter()
            .find(|(skill, _)| skill == name)
            .map(|&(_, at)| at)
    };
    if let Some(rule) = find(Behavior::Deny) {
        return Verdict::deny(
            Some(rule),
            format!(
                "deny rule `{}` matches skill {name}",
                policy.rule_text(rule)
            ),
        );
    }
    if let Some(rule) = find(Behavior::Ask) {
        return Verdict::ask(
            AskKind::Rule,
            Some(rule),
            format!("ask rule `{}` matches skill {name}", policy.rule_text(rule)),
        );
    }
    match find(Behavior::Allow) {
        Some(rule) => Verdict::allow(
            Some(rule),
            format!(
                "allow rule `{}` matches skill {name}",
                policy.rule_text(rule)
            ),
        ),
        // The reference allows a skill whose properties are all safe and
        // asks otherwise; ferrule's Skill tool only adds the skill's text
        // (no frontmatter grants tools or switches the model), so every
        // skill is safe here.
        None => Verdict::allow(
            None,
            format!("skill {name} only adds instructions to the conversation"),
        ),
    }
}
