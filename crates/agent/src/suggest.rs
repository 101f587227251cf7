//! The permission updates offered with an "ask" (cli-core.md §3.9): for
//! Bash a two-word prefix rule (or the exact command), for a path outside
//! the working directories its parent directory, for MCP the tool and the
//! whole server, else the tool.

use std::path::Path;

use ferrule_permissions::{AskKind, Decision};
use ferrule_protocol::sdk::{
    PermissionBehavior, PermissionDestination, PermissionMode, PermissionRuleValue,
    PermissionUpdate,
};
use serde_json::Value;

/// The updates a host may offer for this call.
pub(crate) fn suggestions(tool: &str, input: &Value, decision: &Decision) -> Vec<PermissionUpdate> {
    let kind = decision.ask_kind.unwrap_or(AskKind::NoRule);
    match kind {
        AskKind::Interaction | AskKind::Catastrophic => return Vec::new(),
        AskKind::Outside => {
            let path = ["file_path", "notebook_path", "path"]
                .iter()
                .find_map(|field| input.get(*field).and_then(Value::as_str));
            if let Some(parent) = path.and_then(|p| Path::new(p).parent())
                && !parent.as_os_str().is_empty()
            {
                return vec![PermissionUpdate::AddDirectories {
                    directories: vec![parent.display().to_string()],
                    destination: PermissionDestination::Session,
                }];
            }
        }
        AskKind::NoRule | AskKind::Rule | AskKind::Safety | AskKind::Hook => {}
    }
    match tool {
        "Bash" => {
            let Some(command) = input.get("command").and_then(Value::as_str) else {
                return vec![allow_rules(vec![rule("Bash", None)])];
            };
            let words: Vec<&str> = command.split_whitespace().collect();
            let simple = !command.contains(['|', '&', ';', '>', '<', '`', '$', '\n']);
            let content = match words.as_slice() {
                [first, second, _, ..] | [first, second] if simple => {
                    format!("{first} {second}:*")
                }
                _ => command.trim().to_owned(),
            };
            vec![allow_rules(vec![rule("Bash", Some(content))])]
        }
        "Write" | "Edit" | "MultiEdit" | "NotebookEdit" if kind == AskKind::NoRule => vec![
            PermissionUpdate::SetMode {
                mode: PermissionMode::AcceptEdits,
                destination: PermissionDestination::Session,
            },
            allow_rules(vec![rule(tool, None)]),
        ],
        _ if tool.starts_with("mcp__") => {
            let mut updates = vec![allow_rules(vec![rule(tool, None)])];
            if let Some(server) = tool
                .strip_prefix("mcp__")
                .and_then(|rest| rest.split("__").next())
            {
                updates.push(allow_rules(vec![rule(&format!("mcp__{server}__*"), None)]));
            }
            updates
        }
        _ => vec![allow_rules(vec![rule(tool, None)])],
    }
}

fn rule(tool: &str, content: Option<String>) -> PermissionRuleValue {
    PermissionRuleValue {
        tool_name: tool.to_owned(),
        rule_content: content,
    }
}

fn allow_rules(rules: Vec<PermissionRuleValue>) -> PermissionUpdate {
    PermissionUpdate::AddRules {
        rules,
        behavior: PermissionBehavior::Allow,
        destination: PermissionDestination::Session,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_permissions::Behavior;
    use serde_json::json;

    fn ask(kind: AskKind) -> Decision {
        Decision {
            behavior: Behavior::Ask,
            ask_kind: Some(kind),
            rule: None,
            reason: String::new(),
            classifiable: None,
        }
    }

    #[test]
    fn bash_gets_a_two_word_prefix_rule() {
        let updates = suggestions(
            "Bash",
            &json!({"command": "cargo test -p x"}),
            &ask(AskKind::NoRule),
        );
        assert_eq!(
            updates,
            vec![allow_rules(vec![rule("Bash", Some("cargo test:*".into()))])]
        );
        let piped = suggestions(
            "Bash",
            &json!({"command": "ls | wc -l"}),
            &ask(AskKind::NoRule),
        );
        assert_eq!(
            piped,
            vec![allow_rules(vec![rule("Bash", Some("ls | wc -l".into()))])]
        );
    }

    #[test]
    fn outside_paths_offer_their_directory() {
        let updates = suggestions(
            "Write",
            &json!({"file_path": "/other/dir/a.txt"}),
            &ask(AskKind::Outside),
        );
        assert_eq!(
            updates,
            vec![PermissionUpdate::AddDirectories {
                directories: vec!["/other/dir".into()],
                destination: PermissionDestination::Session,
            }]
        );
    }

    #[test]
    fn questions_offer_nothing() {
        assert!(suggestions("AskUserQuestion", &json!({}), &ask(AskKind::Interaction)).is_empty());
    }
}
