//! The memory [`Workspace`] of a session (AGENTS.md files, rules, skills,
//! commands, subagents, plugins) and the startup context it gives the
//! system prompt.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferrule_config::Settings;
use ferrule_memory::{InjectReason, Injection, LoadOptions, SessionMemory, Trust, Workspace};

/// The startup context, as text sections for the system prompt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartupContext {
    /// Memory files (AGENTS.md ...), in injection order: `(path, text)`.
    pub memory: Vec<(PathBuf, String)>,
    /// Always-on rules, in injection order: `(path, text)`.
    pub rules: Vec<(PathBuf, String)>,
    /// Skills the model may open: `(name, description)`.
    pub skills: Vec<(String, String)>,
}

/// Loads the workspace of `cwd`: user and home directories as resolved by
/// the host, `context.fileName` and `agentsMdExcludes` from `settings`,
/// `--plugin-dir` and `--agents`.
pub fn load_workspace(
    cwd: &Path,
    home: Option<&Path>,
    user_dir: Option<&Path>,
    settings: &Settings,
    plugin_dirs: &[PathBuf],
    agents_json: Option<&str>,
    trust: Trust,
) -> Workspace {
    let mut options = LoadOptions::new(cwd);
    options.home = home.map(Path::to_path_buf);
    options.user_dir = user_dir.map(Path::to_path_buf);
    if let Some(names) = settings.context.as_ref().and_then(|c| c.file_name.as_ref()) {
        let names = names.to_vec();
        if !names.is_empty() {
            options.context_file_names = names;
        }
    }
    if let Some(excludes) = &settings.agents_md_excludes {
        options.excludes.clone_from(excludes);
    }
    options.plugin_dirs = plugin_dirs.iter().map(|dir| cwd.join(dir)).collect();
    options.flag_agents = agents_json.map(str::to_owned);
    options.trust = trust;
    let workspace = Workspace::load(&options);
    for skipped in &workspace.skipped {
        let line = skipped.line.map(|l| format!(":{l}")).unwrap_or_default();
        tracing::warn!(
            "{}{line}: skipped: {}",
            skipped.path.display(),
            skipped.reason
        );
    }
    for warning in &workspace.warnings {
        let line = warning.line.map(|l| format!(":{l}")).unwrap_or_default();
        tracing::warn!("{}{line}: {}", warning.path.display(), warning.message);
    }
    workspace
}

/// Starts the session's memory and returns it with the startup context.
pub fn startup_context(workspace: Arc<Workspace>) -> (SessionMemory, StartupContext) {
    let (session, injections) = SessionMemory::start(Arc::clone(&workspace));
    let mut context = StartupContext::default();
    for Injection {
        path, reason, text, ..
    } in injections
    {
        match reason {
            InjectReason::Memory(_) => context.memory.push((path, text)),
            _ => context.rules.push((path, text)),
        }
    }
    context.skills = workspace
        .skill_summaries()
        .into_iter()
        .map(|(name, description)| (name.to_owned(), description.to_owned()))
        .collect();
    (session, context)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn agents_md_and_always_on_rules_become_sections() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("p");
        std::fs::create_dir_all(project.join(".git")).unwrap();
        std::fs::create_dir_all(project.join(".qoder/rules")).unwrap();
        std::fs::write(project.join("AGENTS.md"), "Use cargo nextest.\n").unwrap();
        std::fs::write(
            project.join(".qoder/rules/style.md"),
            "---\nalwaysApply: true\n---\nNo unwrap.\n",
        )
        .unwrap();
        let user = dir.path().join("user");
        let workspace = load_workspace(
            &project,
            Some(&dir.path().join("home")),
            Some(&user),
            &Settings::default(),
            &[],
            None,
            Trust::Trusted,
        );
        let (_, context) = startup_context(Arc::new(workspace));
        assert_eq!(context.memory.len(), 1);
        assert_eq!(context.memory[0].1, "Use cargo nextest.\n");
        assert_eq!(context.rules.len(), 1);
        assert!(context.rules[0].1.contains("No unwrap."));
    }
}
