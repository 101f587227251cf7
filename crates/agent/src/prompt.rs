//! The system prompt: a built-in base plus the sections the host fills.

use std::path::Path;

/// The built-in base prompt.
const BASE_PROMPT: &str = "\
You are ferrule, a coding agent working in the user's project through tools.

How to work:
- Understand before changing: read the relevant files and search the code \
  (Read, Grep, Glob, LS) before you edit.
- Make the smallest change that solves the task, in the project's own style. \
  Prefer editing existing files to creating new ones.
- Use the dedicated file tools for reading and editing files; use Bash for \
  builds, tests, git and other commands. Check your work by running the \
  relevant tests or commands when you can.
- Several independent read-only calls may go in one response; they run at \
  the same time.
- A tool result marked as an error tells you what went wrong; fix the call \
  instead of repeating it. A denied call was refused by the user or the \
  permission rules: do not try to get around the refusal.
- Never guess file contents, URLs or command output.

How to answer:
- Be concise and direct. Say what you did and what remains, without filler.
- Refer to code as path:line where it helps.";

/// A skill the model may use: its name and when to use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillEntry {
    /// The skill's name.
    pub name: String,
    /// What it is for.
    pub description: String,
}

/// Facts about the environment the agent runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentFacts {
    /// The working directory.
    pub cwd: String,
    /// The platform, e.g. `linux`.
    pub platform: String,
    /// Today's date, `YYYY-MM-DD`.
    pub date: String,
    /// Whether cwd is inside a git repository.
    pub is_git_repo: bool,
}

impl EnvironmentFacts {
    /// The facts of `cwd` now: platform, today's date, whether a `.git`
    /// exists in cwd or a parent.
    pub fn detect(cwd: &Path) -> Self {
        let is_git_repo = cwd.ancestors().any(|dir| dir.join(".git").exists());
        Self {
            cwd: cwd.display().to_string(),
            platform: std::env::consts::OS.to_owned(),
            date: jiff::Zoned::now().date().to_string(),
            is_git_repo,
        }
    }
}

/// The system prompt of an agent, rendered once per model request.
///
/// ```
/// use ferrule_agent::SystemPrompt;
///
/// let prompt = SystemPrompt::new()
///     .memory("Run `cargo test` before you finish.")
///     .append("Answer in French.");
/// let text = prompt.render();
/// assert!(text.starts_with("You are ferrule"));
/// assert!(text.contains("cargo test"));
/// assert!(text.ends_with("Answer in French."));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemPrompt {
    replaced: Option<String>,
    memory: Vec<String>,
    rules: Vec<String>,
    skills: Vec<SkillEntry>,
    environment: Option<EnvironmentFacts>,
    appended: Vec<String>,
}

impl SystemPrompt {
    /// The built-in base prompt and no sections.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the built-in base prompt (`--system-prompt`). The other
    /// sections are still added.
    pub fn replace(mut self, text: impl Into<String>) -> Self {
        self.replaced = Some(text.into());
        self
    }

    /// Adds memory text (the contents of AGENTS.md files).
    pub fn memory(mut self, text: impl Into<String>) -> Self {
        self.memory.push(text.into());
        self
    }

    /// Adds a rule's text (`.qoder/rules`).
    pub fn rule(mut self, text: impl Into<String>) -> Self {
        self.rules.push(text.into());
        self
    }

    /// Adds a skill to the list the model sees.
    pub fn skill(mut self, name: impl Into<String>, description: impl Into<String>) -> Self {
        self.skills.push(SkillEntry {
            name: name.into(),
            description: description.into(),
        });
        self
    }

    /// Sets the environment facts.
    pub fn environment(mut self, facts: EnvironmentFacts) -> Self {
        self.environment = Some(facts);
        self
    }

    /// Appends text at the end (`--append-system-prompt`).
    pub fn append(mut self, text: impl Into<String>) -> Self {
        self.appended.push(text.into());
        self
    }

    /// Whether environment facts are set.
    pub fn has_environment(&self) -> bool {
        self.environment.is_some()
    }

    /// The whole prompt as the model gets it.
    pub fn render(&self) -> String {
        let mut sections = vec![self.replaced.as_deref().unwrap_or(BASE_PROMPT).to_owned()];
        if let Some(env) = &self.environment {
            sections.push(format!(
                "# Environment\n- Working directory: {}\n- Platform: {}\n- Today's date: {}\n- Git repository: {}",
                env.cwd,
                env.platform,
                env.date,
                if env.is_git_repo { "yes" } else { "no" }
            ));
        }
        let memory: Vec<&str> = non_empty(&self.memory).collect();
        if !memory.is_empty() {
            sections.push(format!(
                "# Project instructions\nFollow these instructions from the user's memory files:\n\n{}",
                memory.join("\n\n")
            ));
        }
        let rules: Vec<&str> = non_empty(&self.rules).collect();
        if !rules.is_empty() {
            sections.push(format!("# Rules\n\n{}", rules.join("\n\n")));
        }
        if !self.skills.is_empty() {
            let list: Vec<String> = self
                .skills
                .iter()
                .map(|skill| format!("- {}: {}", skill.name, skill.description))
                .collect();
            sections.push(format!(
                "# Skills\nThese skills are available; load one with the Skill tool when the task matches its description:\n{}",
                list.join("\n")
            ));
        }
        sections.extend(non_empty(&self.appended).map(str::to_owned));
        sections.join("\n\n")
    }
}

fn non_empty(texts: &[String]) -> impl Iterator<Item = &str> {
    texts.iter().map(|t| t.trim()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_swaps_the_base_and_keeps_the_sections() {
        let text = SystemPrompt::new()
            .replace("You are a test bot.")
            .skill("pdf", "Work with PDF files")
            .rule("Use tabs.")
            .environment(EnvironmentFacts {
                cwd: "/w".into(),
                platform: "linux".into(),
                date: "2026-01-02".into(),
                is_git_repo: true,
            })
            .render();
        assert!(text.starts_with("You are a test bot."), "{text}");
        assert!(!text.contains("You are ferrule"));
        assert!(text.contains("- pdf: Work with PDF files"));
        assert!(text.contains("# Rules\n\nUse tabs."));
        assert!(text.contains("- Git repository: yes"));
        assert!(text.contains("- Today's date: 2026-01-02"));
    }

    #[test]
    fn empty_sections_are_left_out() {
        let text = SystemPrompt::new().memory("  ").render();
        assert!(!text.contains("# Project instructions"));
        assert_eq!(text, BASE_PROMPT);
    }
}
