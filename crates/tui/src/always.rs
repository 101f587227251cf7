//! "Allow always": the narrowest rule that lets a call through again, and
//! writing it to the project's local settings file.
//!
//! Which rule (cli-core.md §3.4, §3.9):
//! - Bash: the agent's suggestion — a two-word prefix rule
//!   (`Bash(cargo test:*)`) for a simple command, the exact command
//!   otherwise;
//! - file writers: `Edit(/path)` for exactly that file, anchored at the
//!   project (`Edit(//abs/path)` outside it); an `Edit(...)` rule covers
//!   Write, MultiEdit and NotebookEdit too;
//! - WebFetch: `WebFetch(domain:host)` for the URL's host;
//! - a path outside the working directories: its folder as an additional
//!   directory;
//! - anything else: the agent's first suggested rule, else the tool.
//!
//! The file is `<cwd>/.qoder/settings.local.json`, as for `/allow` and
//! `/deny`; the rule is also added to the running session at once.

use std::path::Path;

use ferrule_agent::AskRequest;
use ferrule_config::{RuleList, SettingsEdit, edit_settings_file};
use ferrule_permissions::AskKind;
use ferrule_protocol::sdk::{
    PermissionBehavior, PermissionDestination, PermissionRuleValue, PermissionUpdate,
};
use serde_json::Value;

/// What "allow always" adds for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Always {
    /// An allow rule.
    Rule(String),
    /// An additional working directory.
    Directory(String),
}

impl Always {
    /// How the prompt names it.
    pub(crate) fn label(&self) -> String {
        match self {
            Always::Rule(rule) => rule.clone(),
            Always::Directory(dir) => format!("files in {dir}"),
        }
    }

    /// The same change for the running session.
    pub(crate) fn session_update(&self) -> PermissionUpdate {
        match self {
            Always::Rule(rule) => PermissionUpdate::AddRules {
                rules: vec![rule_value(rule)],
                behavior: PermissionBehavior::Allow,
                destination: PermissionDestination::Session,
            },
            Always::Directory(dir) => PermissionUpdate::AddDirectories {
                directories: vec![dir.clone()],
                destination: PermissionDestination::Session,
            },
        }
    }

    /// Writes it to `file`; returns whether the file changed.
    pub(crate) fn persist(&self, file: &Path) -> Result<bool, ferrule_config::EditError> {
        let edit = match self {
            Always::Rule(rule) => SettingsEdit::AddRules(RuleList::Allow, vec![rule.clone()]),
            Always::Directory(dir) => SettingsEdit::AddDirectories(vec![dir.clone()]),
        };
        edit_settings_file(file, &[edit])
    }
}

/// Splits `Tool(content)` into the wire form.
pub(crate) fn rule_value(rule: &str) -> PermissionRuleValue {
    match rule.split_once('(') {
        Some((tool, rest)) if rest.ends_with(')') => PermissionRuleValue {
            tool_name: tool.to_owned(),
            rule_content: Some(rest[..rest.len() - 1].to_owned()),
        },
        _ => PermissionRuleValue {
            tool_name: rule.to_owned(),
            rule_content: None,
        },
    }
}

fn rule_text(rule: &PermissionRuleValue) -> String {
    match &rule.rule_content {
        Some(content) => format!("{}({content})", rule.tool_name),
        None => rule.tool_name.clone(),
    }
}

/// What "allow always" adds for `request`, or `None` when the prompt must
/// not offer it: questions to the user, catastrophic commands, and calls no
/// rule can allow (`allows(rule)` says whether the policy with that rule
/// added would allow the call; a shell command running a script, for one,
/// is never allowed by a rule). A Bash prefix rule that would not do is
/// narrowed to the exact command before giving up.
pub(crate) fn always_for(
    request: &AskRequest,
    cwd: &Path,
    allows: impl Fn(&str) -> bool,
) -> Option<Always> {
    let always = candidate(request, cwd)?;
    let Always::Rule(rule) = &always else {
        return Some(always);
    };
    if allows(rule) {
        return Some(always);
    }
    let exact = request
        .input
        .get("command")
        .and_then(Value::as_str)
        .filter(|_| request.tool_name == "Bash")
        .map(|command| format!("Bash({})", command.trim()))?;
    allows(&exact).then_some(Always::Rule(exact))
}

fn candidate(request: &AskRequest, cwd: &Path) -> Option<Always> {
    let kind = request.decision.ask_kind;
    if matches!(kind, Some(AskKind::Interaction | AskKind::Catastrophic)) {
        return None;
    }
    let suggested_dir = request.suggestions.iter().find_map(|update| match update {
        PermissionUpdate::AddDirectories { directories, .. } => directories.first().cloned(),
        _ => None,
    });
    if kind == Some(AskKind::Outside)
        && let Some(dir) = suggested_dir
    {
        return Some(Always::Directory(dir));
    }
    let suggested_rule = request.suggestions.iter().find_map(|update| match update {
        PermissionUpdate::AddRules {
            rules,
            behavior: PermissionBehavior::Allow,
            ..
        } => rules.first().map(rule_text),
        _ => None,
    });
    let field = |name: &str| request.input.get(name).and_then(Value::as_str);
    let rule = match request.tool_name.as_str() {
        "Edit" | "Write" | "MultiEdit" => field("file_path").map(|p| edit_rule(p, cwd)),
        "NotebookEdit" => field("notebook_path").map(|p| edit_rule(p, cwd)),
        "WebFetch" => field("url")
            .and_then(host)
            .map(|h| format!("WebFetch(domain:{h})")),
        _ => None,
    };
    Some(Always::Rule(
        rule.or(suggested_rule)
            .unwrap_or_else(|| request.tool_name.clone()),
    ))
}

/// `Edit(/relative)` inside `cwd`, `Edit(//absolute)` elsewhere.
fn edit_rule(path: &str, cwd: &Path) -> String {
    let absolute = cwd.join(path);
    let escape = |text: &str| {
        text.replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)")
    };
    match absolute.strip_prefix(cwd) {
        Ok(relative) => format!("Edit(/{})", escape(&relative.to_string_lossy())),
        Err(_) => format!("Edit(/{})", escape(&absolute.to_string_lossy())),
    }
}

fn host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?.split(':').next()?;
    (!host.is_empty()).then(|| host.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_permissions::{Behavior, Decision};
    use serde_json::json;
    use tokio_util::sync::CancellationToken;

    fn request(
        tool: &str,
        input: Value,
        kind: AskKind,
        suggestions: Vec<PermissionUpdate>,
    ) -> AskRequest {
        AskRequest {
            tool_use_id: "t".into(),
            tool_name: tool.into(),
            input,
            decision: Decision {
                behavior: Behavior::Ask,
                ask_kind: Some(kind),
                rule: None,
                reason: "no rule".into(),
                classifiable: None,
            },
            suggestions,
            agent_id: None,
            cancel: CancellationToken::new(),
        }
    }

    fn allow(rule: &str) -> PermissionUpdate {
        PermissionUpdate::AddRules {
            rules: vec![rule_value(rule)],
            behavior: PermissionBehavior::Allow,
            destination: PermissionDestination::Session,
        }
    }

    fn yes(_: &str) -> bool {
        true
    }

    #[test]
    fn narrowest_rules() {
        let cwd = Path::new("/work/p");
        let bash = request(
            "Bash",
            json!({"command": "cargo test -q"}),
            AskKind::NoRule,
            vec![allow("Bash(cargo test:*)")],
        );
        assert_eq!(
            always_for(&bash, cwd, yes),
            Some(Always::Rule("Bash(cargo test:*)".into()))
        );
        let exact_only = |rule: &str| !rule.ends_with(":*)");
        assert_eq!(
            always_for(&bash, cwd, exact_only),
            Some(Always::Rule("Bash(cargo test -q)".into()))
        );
        assert_eq!(always_for(&bash, cwd, |_| false), None);
        let edit = request(
            "Write",
            json!({"file_path": "/work/p/src/a(1).rs"}),
            AskKind::NoRule,
            vec![allow("Write")],
        );
        assert_eq!(
            always_for(&edit, cwd, yes),
            Some(Always::Rule("Edit(/src/a\\(1\\).rs)".into()))
        );
        let outside = request(
            "Edit",
            json!({"file_path": "/etc/x"}),
            AskKind::NoRule,
            vec![],
        );
        assert_eq!(
            always_for(&outside, cwd, yes),
            Some(Always::Rule("Edit(//etc/x)".into()))
        );
        let web = request(
            "WebFetch",
            json!({"url": "https://Docs.rs:443/x?y"}),
            AskKind::NoRule,
            vec![],
        );
        assert_eq!(
            always_for(&web, cwd, yes),
            Some(Always::Rule("WebFetch(domain:docs.rs)".into()))
        );
        let other = request("mcp__s__t", json!({}), AskKind::NoRule, vec![]);
        assert_eq!(
            always_for(&other, cwd, yes),
            Some(Always::Rule("mcp__s__t".into()))
        );
    }

    #[test]
    fn outside_paths_offer_the_folder_and_questions_offer_nothing() {
        let cwd = Path::new("/work/p");
        let dirs = PermissionUpdate::AddDirectories {
            directories: vec!["/data".into()],
            destination: PermissionDestination::Session,
        };
        let read = request(
            "Read",
            json!({"file_path": "/data/x"}),
            AskKind::Outside,
            vec![dirs],
        );
        assert_eq!(
            always_for(&read, cwd, |_| false),
            Some(Always::Directory("/data".into()))
        );
        let question = request("AskUserQuestion", json!({}), AskKind::Interaction, vec![]);
        assert_eq!(always_for(&question, cwd, yes), None);
    }

    #[test]
    fn persisting_adds_the_rule_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = ferrule_config::local_settings_file(dir.path());
        let always = Always::Rule("Bash(ls:*)".into());
        assert!(always.persist(&file).unwrap());
        assert!(!always.persist(&file).unwrap());
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(written["permissions"]["allow"], json!(["Bash(ls:*)"]));
    }
}
