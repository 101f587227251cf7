//! The [`Workspace`] snapshot: everything loaded once at session start,
//! and the pure queries an agent asks of it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::command::{self, Command, CommandsDir};
use crate::memory_file::{LoadReason, MemoryFile, MemoryLoader};
use crate::options::{ClaudeFiles, LoadOptions, Trust, dirs_between, project_root};
use crate::plugin::{self, Plugin};
use crate::rule::{self, Rule, RulesDir, Trigger};
use crate::skill::{self, Skill, SkillsDir};
use crate::source::{Kind, Origin, Scope, Shadowed, Skipped, Warning};
use crate::subagent::{self, AgentsDir, Subagent};

/// One item of the startup context, in injection order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "index", rename_all = "snake_case")]
pub enum StartupItem {
    /// `Workspace::memory[i]`.
    Memory(usize),
    /// `Workspace::rules[i]` (an always-on rule).
    Rule(usize),
}

/// What a slash name refers to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slash<'a> {
    /// A custom command.
    Command(&'a Command),
    /// A skill.
    Skill(&'a Skill),
}

/// Everything that applies to a session in one folder, loaded once.
/// Queries take `&self` and do no I/O except [`Skill::open`]; the type is
/// `Send + Sync`, so one snapshot can be shared behind an `Arc`.
#[derive(Debug, Clone, Serialize)]
pub struct Workspace {
    /// The session's folder.
    pub cwd: PathBuf,
    /// The project root (the folder with `.git`, else `cwd`).
    pub root: PathBuf,
    /// The Qoder user folder.
    pub user_dir: Option<PathBuf>,
    /// Whether project files were loaded.
    pub trusted: bool,
    /// Memory files loaded at start, in order (imports follow their parent).
    pub memory: Vec<MemoryFile>,
    /// Every rule found at start (user, then project folders root → cwd),
    /// whatever its trigger.
    pub rules: Vec<Rule>,
    /// Memory files and always-on rules in the order they are injected:
    /// user memory, user rules, then per folder root → cwd its memory files
    /// and its rules (cli-core §6.1 decision).
    pub startup: Vec<StartupItem>,
    /// Active skills, by name.
    pub skills: Vec<Skill>,
    /// Active custom commands, by name.
    pub commands: Vec<Command>,
    /// Active subagent definitions, by name.
    pub subagents: Vec<Subagent>,
    /// Loaded plugins, in load order.
    pub plugins: Vec<Plugin>,
    /// Same-name definitions hidden by higher-priority ones.
    pub shadowed: Vec<Shadowed>,
    /// Files found but not loaded, with the reason.
    pub skipped: Vec<Skipped>,
    /// Loaded files with a problem.
    pub warnings: Vec<Warning>,
    #[serde(skip)]
    pub(crate) options: LoadOptions,
}

/// The folders of one level in priority order: Claude Code's first, so
/// Qoder's same-name definition wins at the same level.
fn config_dirs(
    options: &LoadOptions,
    qoder: Option<PathBuf>,
    claude: Option<PathBuf>,
) -> Vec<(PathBuf, Origin)> {
    let mut dirs = Vec::new();
    if options.claude == ClaudeFiles::Read
        && let Some(c) = claude
    {
        dirs.push((c, Origin::Claude));
    }
    if let Some(q) = qoder {
        dirs.push((q, Origin::Qoder));
    }
    dirs
}

impl Workspace {
    /// Loads everything for `options.cwd`. Never fails: every problem is a
    /// [`Skipped`] entry or a [`Warning`].
    pub fn load(options: &LoadOptions) -> Self {
        let cwd = options.cwd.clone();
        let root = project_root(&cwd);
        let trusted = options.trust == Trust::Trusted;
        let mut skipped = Vec::new();
        let mut warnings = Vec::new();
        let mut memory = Vec::new();
        let mut rules = Vec::new();
        let mut startup = Vec::new();

        if !cwd.is_dir() {
            skipped.push(Skipped::new(
                Kind::Memory,
                &cwd,
                "working folder does not exist",
            ));
        }

        let mut loader = MemoryLoader::new(options, &root, &mut skipped);
        let before = memory.len();
        loader.load_user(&mut memory, &mut skipped);
        startup.extend((before..memory.len()).map(StartupItem::Memory));
        let user_rule_dirs = config_dirs(
            options,
            options.user_dir.as_ref().map(|d| d.join("rules")),
            options.claude_user_dir().map(|d| d.join("rules")),
        );
        // Claude's rules read after Qoder's at the same level.
        for (dir, origin) in user_rule_dirs.into_iter().rev() {
            let before = rules.len();
            rule::load_dir(
                &RulesDir {
                    dir,
                    base: root.clone(),
                    scope: Scope::User,
                    origin,
                },
                &mut rules,
                &mut skipped,
                &mut warnings,
            );
            push_always_on(&rules, before, &mut startup);
        }
        let project_dirs = if trusted {
            dirs_between(&root, &cwd)
        } else {
            Vec::new()
        };
        for dir in &project_dirs {
            let before = memory.len();
            loader.load_dir(dir, LoadReason::SessionStart, &mut memory, &mut skipped);
            startup.extend((before..memory.len()).map(StartupItem::Memory));
            for rules_dir in project_rules_dirs(options, dir) {
                let before = rules.len();
                rule::load_dir(&rules_dir, &mut rules, &mut skipped, &mut warnings);
                push_always_on(&rules, before, &mut startup);
            }
        }

        let mut plugins = Vec::new();
        for dir in &options.plugin_dirs {
            if let Some(p) = plugin::load(dir, &mut skipped) {
                plugins.push(p);
            }
        }

        // Named definitions, lowest priority first.
        let mut levels: Vec<(PathBuf, Scope, Origin)> =
            config_dirs(options, options.user_dir.clone(), options.claude_user_dir())
                .into_iter()
                .map(|(d, o)| (d, Scope::User, o))
                .collect();
        for dir in &project_dirs {
            for (d, o) in project_config_dirs(options, dir) {
                levels.push((d, Scope::Project, o));
            }
        }

        let mut skill_list = Vec::new();
        let mut command_list = Vec::new();
        let mut agent_list = Vec::new();
        // Plugin skills and commands rank below the user's own files
        // (decision: a user's file beats a plugin's of the same name).
        for p in &plugins {
            load_plugin_skills(p, &mut skill_list, &mut skipped);
            load_plugin_commands(p, &mut command_list, &mut skipped);
        }
        for (dir, scope, origin) in &levels {
            skill::load_dir(
                &SkillsDir {
                    dir: dir.join("skills"),
                    scope: *scope,
                    origin: *origin,
                    plugin: None,
                },
                &mut skill_list,
                &mut skipped,
            );
            command::load_dir(
                &CommandsDir {
                    dir: dir.join("commands"),
                    scope: *scope,
                    origin: *origin,
                    plugin: None,
                },
                &mut command_list,
                &mut skipped,
            );
            subagent::load_dir(
                &AgentsDir {
                    dir: dir.join("agents"),
                    scope: *scope,
                    origin: *origin,
                    plugin: None,
                },
                &mut agent_list,
                &mut skipped,
            );
        }
        // Plugin subagents rank above project ones, `--agents` above all
        // `[sub]`.
        for p in &plugins {
            load_plugin_agents(p, &mut agent_list, &mut skipped);
        }
        if let Some(json) = &options.flag_agents {
            subagent::load_flag_json(json, &mut agent_list, &mut skipped, &mut warnings);
        }

        let mut shadowed = Vec::new();
        let skills = resolve(
            skill_list,
            Kind::Skill,
            |s| (s.name.clone(), s.path.clone()),
            &mut shadowed,
        );
        let commands = resolve(
            command_list,
            Kind::Command,
            |c| (c.name.clone(), c.path.clone()),
            &mut shadowed,
        );
        let subagents = resolve(
            agent_list,
            Kind::Subagent,
            |a| (a.name.clone(), a.path.clone()),
            &mut shadowed,
        );
        for s in &skipped {
            tracing::warn!(path = %s.path.display(), line = ?s.line, reason = %s.reason, "memory file skipped");
        }
        for w in &warnings {
            tracing::warn!(path = %w.path.display(), line = ?w.line, message = %w.message, "memory file problem");
        }
        tracing::debug!(
            memory = memory.len(),
            rules = rules.len(),
            skills = skills.len(),
            commands = commands.len(),
            subagents = subagents.len(),
            plugins = plugins.len(),
            "workspace loaded"
        );

        Self {
            cwd,
            root,
            user_dir: options.user_dir.clone(),
            trusted,
            memory,
            rules,
            startup,
            skills,
            commands,
            subagents,
            plugins,
            shadowed,
            skipped,
            warnings,
            options: options.clone(),
        }
    }

    /// The options the snapshot was loaded with.
    pub fn options(&self) -> &LoadOptions {
        &self.options
    }

    /// The glob rules that apply to `path` (read or edited), in load order.
    /// A relative path is taken relative to `cwd`.
    pub fn rules_for_path(&self, path: &Path) -> Vec<&Rule> {
        let path = self.absolute(path);
        self.rules
            .iter()
            .filter(|r| r.trigger == Trigger::Glob && r.matches(&path))
            .collect()
    }

    /// The rules that apply to a prompt: every always-on rule, plus the
    /// rules the prompt names with `@name` (any trigger; the way a manual
    /// rule is applied `[ide-rules]`).
    pub fn rules_for_prompt(&self, prompt: &str) -> Vec<&Rule> {
        let mentioned = mentioned_names(prompt);
        self.rules
            .iter()
            .filter(|r| r.trigger == Trigger::AlwaysOn || mentioned.iter().any(|m| *m == r.name))
            .collect()
    }

    /// The model-decision rules: only their path and description are
    /// offered to the model, which reads the body when relevant.
    pub fn offered_rules(&self) -> Vec<&Rule> {
        self.rules
            .iter()
            .filter(|r| r.trigger == Trigger::ModelDecision)
            .collect()
    }

    /// The skill list for the prompt: name and description only, of the
    /// skills the model may invoke.
    pub fn skill_summaries(&self) -> Vec<(&str, &str)> {
        self.skills
            .iter()
            .filter(|s| !s.meta.disable_model_invocation)
            .map(|s| (s.name.as_str(), s.description.as_str()))
            .collect()
    }

    /// The skill called `name`.
    pub fn skill(&self, name: &str) -> Option<&Skill> {
        self.skills.iter().find(|s| s.name == name)
    }

    /// The command `/name` (without the slash).
    pub fn command(&self, name: &str) -> Option<&Command> {
        let name = name.strip_prefix('/').unwrap_or(name);
        self.commands.iter().find(|c| c.name == name)
    }

    /// What `/name` runs: a custom command, else a skill the user may
    /// invoke (skills are a kind of command `[skills]`; a command file of
    /// the same name wins).
    pub fn slash(&self, name: &str) -> Option<Slash<'_>> {
        let name = name.strip_prefix('/').unwrap_or(name);
        if let Some(c) = self.command(name) {
            return Some(Slash::Command(c));
        }
        self.skill(name)
            .filter(|s| s.meta.user_invocable != Some(false))
            .map(Slash::Skill)
    }

    /// The subagent called `name`.
    pub fn subagent(&self, name: &str) -> Option<&Subagent> {
        self.subagents.iter().find(|a| a.name == name)
    }

    pub(crate) fn absolute(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.cwd.join(path)
        }
    }
}

/// The `@name` words of a prompt.
pub(crate) fn mentioned_names(prompt: &str) -> Vec<&str> {
    prompt
        .split_whitespace()
        .filter_map(|w| w.strip_prefix('@'))
        .map(|w| w.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']))
        .filter(|w| !w.is_empty())
        .collect()
}

fn push_always_on(rules: &[Rule], from: usize, startup: &mut Vec<StartupItem>) {
    startup.extend(
        (from..rules.len())
            .filter(|i| rules[*i].trigger == Trigger::AlwaysOn)
            .map(StartupItem::Rule),
    );
}

/// The `.claude` and `.qoder` folders of a project folder (Claude's
/// first), leaving out any that is also a user folder: started in the home
/// folder, `~/.qoder` is the user folder, not a project one, and must not
/// load twice.
fn project_config_dirs(options: &LoadOptions, dir: &Path) -> Vec<(PathBuf, Origin)> {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let user: Vec<PathBuf> = [options.user_dir.clone(), options.claude_user_dir()]
        .into_iter()
        .flatten()
        .map(|d| canonical(&d))
        .collect();
    config_dirs(options, Some(dir.join(".qoder")), Some(dir.join(".claude")))
        .into_iter()
        .filter(|(d, _)| !user.contains(&canonical(d)))
        .collect()
}

/// The rules folders of a project folder: `.qoder/rules` then
/// `.claude/rules`, with globs relative to that folder.
pub(crate) fn project_rules_dirs(options: &LoadOptions, dir: &Path) -> Vec<RulesDir> {
    project_config_dirs(options, dir)
        .into_iter()
        .map(|(d, o)| (d.join("rules"), o))
        .rev()
        .map(|(rules, origin)| RulesDir {
            dir: rules,
            base: dir.to_path_buf(),
            scope: Scope::Project,
            origin,
        })
        .collect()
}

fn load_plugin_skills(p: &Plugin, out: &mut Vec<Skill>, skipped: &mut Vec<Skipped>) {
    for path in &p.skill_paths {
        let source = SkillsDir {
            dir: path.clone(),
            scope: Scope::Plugin,
            origin: Origin::Qoder,
            plugin: Some(p.name.clone()),
        };
        let single = path.join("SKILL.md");
        if single.is_file() {
            match std::fs::read_to_string(&single) {
                Ok(text) => match skill::parse(&text, &single, &source) {
                    Ok(s) => out.push(s),
                    Err(skip) => skipped.push(skip),
                },
                Err(e) => skipped.push(Skipped::new(
                    Kind::Skill,
                    &single,
                    format!("cannot read: {e}"),
                )),
            }
        } else if path.is_dir() {
            skill::load_dir(&source, out, skipped);
        } else {
            skipped.push(Skipped::new(
                Kind::Plugin,
                path,
                format!(
                    "plugin `{}` declares skills at a path that is not a folder",
                    p.name
                ),
            ));
        }
    }
}

fn load_plugin_commands(p: &Plugin, out: &mut Vec<Command>, skipped: &mut Vec<Skipped>) {
    for path in &p.command_paths {
        let source = CommandsDir {
            dir: path.clone(),
            scope: Scope::Plugin,
            origin: Origin::Qoder,
            plugin: Some(p.name.clone()),
        };
        if path.is_dir() {
            command::load_dir(&source, out, skipped);
        } else if path.is_file() && path.extension().is_some_and(|e| e == "md") {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            command::load_one(
                &source,
                name,
                path.clone(),
                command::CommandForm::File,
                out,
                skipped,
            );
        } else {
            skipped.push(Skipped::new(Kind::Plugin, path, format!("plugin `{}` declares commands at a path that is neither a folder nor a .md file", p.name)));
        }
    }
}

fn load_plugin_agents(p: &Plugin, out: &mut Vec<Subagent>, skipped: &mut Vec<Skipped>) {
    for path in &p.agent_paths {
        let source = AgentsDir {
            dir: path.clone(),
            scope: Scope::Plugin,
            origin: Origin::Qoder,
            plugin: Some(p.name.clone()),
        };
        if path.is_dir() {
            subagent::load_dir(&source, out, skipped);
        } else if path.is_file() {
            match std::fs::read_to_string(path) {
                Ok(text) => match subagent::parse(&text, path, &source) {
                    Ok(a) => out.push(a),
                    Err(skip) => skipped.push(skip),
                },
                Err(e) => skipped.push(Skipped::new(
                    Kind::Subagent,
                    path,
                    format!("cannot read: {e}"),
                )),
            }
        } else {
            skipped.push(Skipped::new(
                Kind::Plugin,
                path,
                format!(
                    "plugin `{}` declares agents at a path that does not exist",
                    p.name
                ),
            ));
        }
    }
}

/// Keeps the last definition of each name (the list is lowest priority
/// first), records the hidden ones, and sorts the result by name.
fn resolve<T>(
    items: Vec<T>,
    kind: Kind,
    key: impl Fn(&T) -> (String, PathBuf),
    shadowed: &mut Vec<Shadowed>,
) -> Vec<T> {
    let mut winners: HashMap<String, usize> = HashMap::new();
    let keys: Vec<(String, PathBuf)> = items.iter().map(&key).collect();
    for (i, (name, _)) in keys.iter().enumerate() {
        winners.insert(name.clone(), i);
    }
    for (i, (name, path)) in keys.iter().enumerate() {
        if let Some(&w) = winners.get(name)
            && w != i
        {
            shadowed.push(Shadowed {
                kind,
                name: name.clone(),
                path: path.clone(),
                by: keys[w].1.clone(),
            });
        }
    }
    let mut active: Vec<(String, T)> = items
        .into_iter()
        .enumerate()
        .filter(|(i, _)| winners.get(&keys[*i].0) == Some(i))
        .map(|(i, t)| (keys[i].0.clone(), t))
        .collect();
    active.sort_by(|a, b| a.0.cmp(&b.0));
    active.into_iter().map(|(_, t)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn workspace_is_send_and_sync() {
        assert_send_sync::<Workspace>();
    }

    #[test]
    fn mentions_strip_punctuation() {
        assert_eq!(
            mentioned_names("use @release, then @api/handlers."),
            vec!["release", "api/handlers"]
        );
    }
}
