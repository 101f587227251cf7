//! Per-session memory state: what has been injected, the rule size cap,
//! and the memory of subfolders loaded when the agent first touches a file
//! there (cli-core §6.3).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::memory_file::{LoadReason, MemoryFile, MemoryLoader};
use crate::options::dirs_between;
use crate::rule::{self, Rule, Trigger};
use crate::source::{Skipped, Warning};
use crate::workspace::{StartupItem, Workspace, mentioned_names, project_rules_dirs};

/// Why a piece of context was injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InjectReason {
    /// A memory file (its own [`LoadReason`] says more).
    Memory(LoadReason),
    /// An always-on rule, with the memory of its folder.
    AlwaysOnRule,
    /// A glob rule whose pattern matched a touched file
    /// (`path_glob_match`).
    PathGlobMatch,
    /// A rule the user named with `@name`.
    Mentioned,
    /// A rule injected earlier whose file changed (see
    /// [`SessionMemory::refresh`]).
    Updated,
}

/// A piece of context for the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Injection {
    /// The file it comes from.
    pub path: PathBuf,
    /// Why it is injected.
    pub reason: InjectReason,
    /// The text (a rule's body without frontmatter).
    pub text: String,
    /// Whether the text was cut by the rule size cap.
    pub truncated: bool,
}

/// What one session has been given so far. Built on a shared
/// [`Workspace`]; each call returns only what is new.
#[derive(Debug)]
pub struct SessionMemory {
    workspace: Arc<Workspace>,
    loader: MemoryLoader,
    visited: HashSet<PathBuf>,
    nested_rules: Vec<Rule>,
    /// Injected rules with the characters they count against the cap.
    injected_rules: HashMap<PathBuf, (Rule, usize)>,
    rule_chars: usize,
    /// Problems met while loading subfolder memory.
    pub skipped: Vec<Skipped>,
    /// Warnings about subfolder rules.
    pub warnings: Vec<Warning>,
}

impl SessionMemory {
    /// Starts a session: returns the state and the startup context
    /// (memory files and always-on rules, in order).
    pub fn start(workspace: Arc<Workspace>) -> (Self, Vec<Injection>) {
        let mut skipped = Vec::new();
        let mut loader = MemoryLoader::new(workspace.options(), &workspace.root, &mut skipped);
        // The startup files count as loaded, so imports and nested walks
        // never load them twice.
        for file in &workspace.memory {
            loader.mark_loaded(&file.path);
        }
        let visited: HashSet<PathBuf> = if workspace.trusted {
            dirs_between(&workspace.root, &workspace.cwd)
                .into_iter()
                .collect()
        } else {
            HashSet::new()
        };
        let mut session = Self {
            workspace: Arc::clone(&workspace),
            loader,
            visited,
            nested_rules: Vec::new(),
            injected_rules: HashMap::new(),
            rule_chars: 0,
            skipped,
            warnings: Vec::new(),
        };
        let mut out = Vec::new();
        for item in &workspace.startup {
            match *item {
                StartupItem::Memory(i) => out.push(memory_injection(&workspace.memory[i])),
                StartupItem::Rule(i) => {
                    let rule = &workspace.rules[i];
                    if let Some(inj) = session.inject_rule(rule, InjectReason::AlwaysOnRule) {
                        out.push(inj);
                    }
                }
            }
        }
        (session, out)
    }

    /// The workspace this session reads.
    pub fn workspace(&self) -> &Arc<Workspace> {
        &self.workspace
    }

    /// Call after the agent successfully read or edited `path`: returns the
    /// memory of folders between the file and the project root not loaded
    /// yet (their memory files and always-on rules) and the glob rules that
    /// match the file and were not injected yet.
    pub fn on_path_touched(&mut self, path: &Path) -> Vec<Injection> {
        let path = self.workspace.absolute(path);
        let mut out = Vec::new();
        let root = self.workspace.root.clone();
        let dir = if path.is_dir() {
            path.clone()
        } else {
            path.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        if self.workspace.trusted && dir.starts_with(&root) {
            for d in dirs_between(&root, &dir) {
                if !self.visited.insert(d.clone()) {
                    continue;
                }
                let mut files: Vec<MemoryFile> = Vec::new();
                self.loader.load_dir(
                    &d,
                    LoadReason::NestedTraversal,
                    &mut files,
                    &mut self.skipped,
                );
                out.extend(files.iter().map(memory_injection));
                for rules_dir in project_rules_dirs(self.workspace.options(), &d) {
                    let mut rules = Vec::new();
                    rule::load_dir(
                        &rules_dir,
                        &mut rules,
                        &mut self.skipped,
                        &mut self.warnings,
                    );
                    for r in rules {
                        if r.trigger == Trigger::AlwaysOn
                            && let Some(inj) = self.inject_rule(&r, InjectReason::AlwaysOnRule)
                        {
                            out.push(inj);
                        }
                        self.nested_rules.push(r);
                    }
                }
            }
        }
        let workspace = Arc::clone(&self.workspace);
        let matching: Vec<Rule> = workspace
            .rules
            .iter()
            .chain(self.nested_rules.iter())
            .filter(|r| r.trigger == Trigger::Glob && r.matches(&path))
            .cloned()
            .collect();
        for r in matching {
            if let Some(inj) = self.inject_rule(&r, InjectReason::PathGlobMatch) {
                out.push(inj);
            }
        }
        out
    }

    /// The rules a prompt names with `@name` that were not injected yet.
    pub fn on_prompt(&mut self, prompt: &str) -> Vec<Injection> {
        let workspace = Arc::clone(&self.workspace);
        let mentioned = mentioned_names(prompt);
        let named: Vec<Rule> = workspace
            .rules_for_prompt(prompt)
            .into_iter()
            .chain(
                self.nested_rules
                    .iter()
                    .filter(|r| mentioned.contains(&r.name.as_str())),
            )
            .cloned()
            .collect();
        named
            .iter()
            .filter_map(|r| self.inject_rule(r, InjectReason::Mentioned))
            .collect()
    }

    /// Call once per turn: re-reads every injected rule and returns the new
    /// version of each one whose file changed, so edits apply from the
    /// next turn `[mem]`. A rule that no longer reads or parses is listed
    /// in [`SessionMemory::skipped`] and its old version stays in effect.
    pub fn refresh(&mut self) -> Vec<Injection> {
        let mut paths: Vec<PathBuf> = self.injected_rules.keys().cloned().collect();
        paths.sort();
        let mut out = Vec::new();
        for path in paths {
            let Some((old, counted)) = self.injected_rules.get(&path).cloned() else {
                continue;
            };
            match rule::reload(&old, &mut self.warnings) {
                Ok(None) => {}
                Ok(Some(new)) => {
                    self.rule_chars = self.rule_chars.saturating_sub(counted);
                    let (injection, counted) = self.capped(&new, InjectReason::Updated);
                    self.injected_rules.insert(path, (new, counted));
                    out.push(injection);
                }
                Err(skip) => self.skipped.push(skip),
            }
        }
        out
    }

    fn inject_rule(&mut self, rule: &Rule, reason: InjectReason) -> Option<Injection> {
        if self.injected_rules.contains_key(&rule.path) {
            return None;
        }
        let (injection, counted) = self.capped(rule, reason);
        self.injected_rules
            .insert(rule.path.clone(), (rule.clone(), counted));
        Some(injection)
    }

    /// The injection of `rule` within the character cap, and the characters
    /// it uses.
    fn capped(&mut self, rule: &Rule, reason: InjectReason) -> (Injection, usize) {
        let cap = self.workspace.options().rules_char_cap;
        let remaining = cap.saturating_sub(self.rule_chars);
        let len = rule.body.chars().count();
        let (text, truncated) = if len <= remaining {
            (rule.body.clone(), false)
        } else {
            let mut cut: String = rule.body.chars().take(remaining).collect();
            cut.push_str(&format!(
                "\n[truncated: active rules are limited to {cap} characters in total]\n"
            ));
            (cut, true)
        };
        let counted = len.min(remaining);
        self.rule_chars += counted;
        (
            Injection {
                path: rule.path.clone(),
                reason,
                text,
                truncated,
            },
            counted,
        )
    }
}

fn memory_injection(file: &MemoryFile) -> Injection {
    Injection {
        path: file.path.clone(),
        reason: InjectReason::Memory(file.reason),
        text: file.text.clone(),
        truncated: false,
    }
}
