//! `--agent NAME`: a loaded subagent definition as the session's main
//! agent (`qoder-docs/cli/subagent.md`, "Use a Subagent as the Session
//! Agent").
//!
//! The definition's body becomes the system prompt, its `tools` and
//! `disallowedTools` choose the offered tools, its `model`,
//! `permissionMode` and `maxTurns` apply unless a flag set them, and its
//! `initialPrompt` is the session's first prompt when none was given.

use ferrule_config::split_rule_list;
use ferrule_memory::{PermissionMode, Subagent, Trust};

use crate::error::SetupError;
use crate::options::{SetupOptions, SystemPromptChoice, ToolSelection};
use crate::prepare::load_settings;
use crate::workspace::load_workspace;

/// What `--agent` changed beyond the options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MainAgent {
    /// The definition's name.
    pub name: String,
    /// Its `initialPrompt`, to send when the user gave no prompt.
    pub initial_prompt: Option<String>,
}

/// Looks `name` up among the subagents `options` would load (user,
/// project, plugin and `--agents` definitions) and folds the definition
/// into `options`. Flags the user gave explicitly win over the
/// definition's fields.
///
/// # Errors
/// [`SetupError::UnknownAgent`] with the names that exist, or
/// [`SetupError::NoHome`].
pub fn apply_main_agent(options: &mut SetupOptions, name: &str) -> Result<MainAgent, SetupError> {
    let home = options.resolved_home().ok_or(SetupError::NoHome)?;
    let user_dir = options
        .resolved_user_dir()
        .unwrap_or_else(|| home.join(".qoder"));
    let settings = load_settings(options, &home, &user_dir);
    // Naming the agent on the command line is the user's consent to use
    // its definition, so project definitions count here.
    let workspace = load_workspace(
        &options.cwd,
        Some(&home),
        Some(&user_dir),
        &settings.merged,
        &options.plugin_dirs,
        options.agents_json.as_deref(),
        Trust::Trusted,
    );
    let Some(agent) = workspace.subagents.iter().find(|s| s.name == name) else {
        let mut known: Vec<String> = workspace.subagents.iter().map(|s| s.name.clone()).collect();
        known.sort();
        return Err(SetupError::UnknownAgent {
            name: name.to_owned(),
            known,
        });
    };
    fold(options, agent);
    Ok(MainAgent {
        name: agent.name.clone(),
        initial_prompt: agent
            .meta
            .initial_prompt
            .clone()
            .filter(|p| !p.trim().is_empty()),
    })
}

fn fold(options: &mut SetupOptions, agent: &Subagent) {
    let meta = &agent.meta;
    if options.system_prompt == SystemPromptChoice::Default && !agent.prompt.trim().is_empty() {
        options.system_prompt = SystemPromptChoice::Replace(agent.prompt.clone());
    }
    if options.tools == ToolSelection::Default
        && let Some(list) = &meta.tools
        && !list.0.iter().any(|tool| tool == "*")
    {
        // `Bash(git:*)` offers Bash; the specifier becomes an allow rule.
        let names: Vec<String> = list.0.iter().map(|entry| tool_name(entry)).collect();
        options.tools = ToolSelection::Only(names);
        options
            .allowed_tools
            .extend(list.0.iter().filter(|entry| entry.contains('(')).cloned());
    }
    if let Some(list) = &meta.disallowed_tools {
        options
            .disallowed_tools
            .extend(list.0.iter().flat_map(|entry| split_rule_list(entry)));
    }
    if options.model.is_none()
        && let Some(model) = meta.model.as_deref().filter(|m| *m != "inherit")
    {
        options.model = Some(model.to_owned());
    }
    if options.permission_mode.is_none()
        && let Some(mode) = meta.permission_mode
    {
        options.permission_mode = Some(mode_name(mode).to_owned());
    }
    if options.max_turns.is_none()
        && let Some(turns) = meta.max_turns
    {
        options.max_turns = Some(u32::try_from(turns.0).unwrap_or(u32::MAX));
    }
}

/// `Bash(git:*)` → `Bash`.
fn tool_name(entry: &str) -> String {
    entry
        .split_once('(')
        .map_or(entry, |(name, _)| name)
        .trim()
        .to_owned()
}

fn mode_name(mode: PermissionMode) -> &'static str {
    match mode {
        PermissionMode::Default => "default",
        PermissionMode::AcceptEdits => "accept_edits",
        PermissionMode::BypassPermissions => "bypass_permissions",
        PermissionMode::DontAsk => "dont_ask",
        PermissionMode::Auto => "auto",
        PermissionMode::Plan => "plan",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::options::Host;
    use pretty_assertions::assert_eq;

    fn options(project: &std::path::Path) -> SetupOptions {
        let home = project.join("home");
        std::fs::create_dir_all(&home).unwrap();
        let mut options = SetupOptions::new(Host::Print, project, BTreeMap::new());
        options.home = Some(home.clone());
        options.user_dir = Some(home.join(".qoder"));
        options
    }

    fn write_agent(project: &std::path::Path) {
        let dir = project.join(".qoder/agents");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("reviewer.md"),
            "---\nname: reviewer\ndescription: Reviews code\ntools: Read, Grep, Bash(git diff:*)\n\
             disallowedTools: Write\nmodel: openai/gpt-4.1-mini\npermissionMode: plan\nmaxTurns: 7\n\
             initialPrompt: Review the last commit\n---\nYou review code and never edit it.\n",
        )
        .unwrap();
    }

    #[test]
    fn the_definition_folds_into_the_options() {
        let project = tempfile::tempdir().unwrap();
        write_agent(project.path());
        let mut options = options(project.path());
        let main = apply_main_agent(&mut options, "reviewer").unwrap();
        assert_eq!(
            main.initial_prompt.as_deref(),
            Some("Review the last commit")
        );
        assert_eq!(
            options.system_prompt,
            SystemPromptChoice::Replace("You review code and never edit it.\n".to_owned())
        );
        assert_eq!(
            options.tools,
            ToolSelection::Only(vec!["Read".into(), "Grep".into(), "Bash".into()])
        );
        assert_eq!(options.allowed_tools, vec!["Bash(git diff:*)".to_owned()]);
        assert_eq!(options.disallowed_tools, vec!["Write".to_owned()]);
        assert_eq!(options.model.as_deref(), Some("openai/gpt-4.1-mini"));
        assert_eq!(options.permission_mode.as_deref(), Some("plan"));
        assert_eq!(options.max_turns, Some(7));
    }

    #[test]
    fn flags_win_over_the_definition() {
        let project = tempfile::tempdir().unwrap();
        write_agent(project.path());
        let mut options = options(project.path());
        options.model = Some("scripted/s.json".into());
        options.permission_mode = Some("default".into());
        options.system_prompt = SystemPromptChoice::Replace("mine".into());
        options.tools = ToolSelection::Only(vec!["Read".into()]);
        apply_main_agent(&mut options, "reviewer").unwrap();
        assert_eq!(options.model.as_deref(), Some("scripted/s.json"));
        assert_eq!(options.permission_mode.as_deref(), Some("default"));
        assert_eq!(
            options.system_prompt,
            SystemPromptChoice::Replace("mine".into())
        );
        assert_eq!(options.tools, ToolSelection::Only(vec!["Read".into()]));
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let project = tempfile::tempdir().unwrap();
        write_agent(project.path());
        let mut options = options(project.path());
        let error = apply_main_agent(&mut options, "nobody").unwrap_err();
        assert_eq!(
            error.to_string(),
            "--agent nobody: no subagent has that name (known: reviewer)"
        );
    }
}
