//! Custom slash commands: Markdown files under `commands/` (cli-core §7.2,
//! `[cmd]`).
//!
//! The identity comes from the path: `commands/git/commit.md` is
//! `/git:commit`. A folder holding `SKILL.md` is one command named after
//! the folder, and the other `.md` files beside it are ignored. Frontmatter
//! `name` is only a display label.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::arguments::{ArgumentError, substitute};
use crate::fields::PromptMeta;
use crate::frontmatter;
use crate::source::{Kind, Origin, Scope, Skipped};

/// How a command is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandForm {
    /// A `name.md` file.
    File,
    /// A folder with a `SKILL.md`.
    SkillFolder,
}

/// A custom slash command.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Command {
    /// The slash name without `/`, segments joined by `:` (`git:commit`).
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// File or skill folder.
    pub form: CommandForm,
    /// User, project or plugin.
    pub scope: Scope,
    /// Qoder's or Claude Code's folder.
    pub origin: Origin,
    /// The plugin that ships it.
    pub plugin: Option<String>,
    /// The frontmatter.
    pub meta: PromptMeta,
    /// The prompt template.
    pub body: String,
}

impl Command {
    /// The prompt for `/name args`: arguments substituted. Embedded shell
    /// commands and `@file` references are expanded by
    /// [`crate::expand`] afterwards, through the caller's host.
    ///
    /// # Errors
    /// When the arguments cannot be split or a required one is missing.
    pub fn render(&self, args: &str) -> Result<String, ArgumentError> {
        let rendered = substitute(&self.body, args, &self.meta.arguments)?;
        Ok(match (self.form, self.path.parent()) {
            // A skill folder registered as a command keeps its folder
            // variable (cli-core §7.1).
            (CommandForm::SkillFolder, Some(dir)) => {
                rendered.replace("${QODER_SKILL_DIR}", &dir.display().to_string())
            }
            _ => rendered,
        })
    }
}

/// Where a commands folder sits.
#[derive(Debug, Clone)]
pub(crate) struct CommandsDir {
    pub(crate) dir: PathBuf,
    pub(crate) scope: Scope,
    pub(crate) origin: Origin,
    pub(crate) plugin: Option<String>,
}

/// Loads every command under `source.dir`, sorted by name.
pub(crate) fn load_dir(source: &CommandsDir, out: &mut Vec<Command>, skipped: &mut Vec<Skipped>) {
    let mut found = Vec::new();
    let mut visited = std::collections::HashSet::new();
    walk(
        &source.dir,
        &mut Vec::new(),
        &mut found,
        &mut visited,
        skipped,
    );
    found.sort();
    for (name, path, form) in found {
        load_one(source, name, path, form, out, skipped);
    }
}

/// Loads one command file under the given name.
pub(crate) fn load_one(
    source: &CommandsDir,
    name: String,
    path: PathBuf,
    form: CommandForm,
    out: &mut Vec<Command>,
    skipped: &mut Vec<Skipped>,
) {
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            skipped.push(Skipped::new(
                Kind::Command,
                &path,
                format!("cannot read: {e}"),
            ));
            return;
        }
    };
    match frontmatter::parse::<PromptMeta>(&text) {
        Ok(doc) => out.push(Command {
            name,
            path,
            form,
            scope: source.scope,
            origin: source.origin,
            plugin: source.plugin.clone(),
            meta: doc.fields,
            body: doc.body,
        }),
        Err(e) => skipped.push(Skipped::at_line(
            Kind::Command,
            &path,
            e.line,
            format!("invalid frontmatter: {}", e.message),
        )),
    }
}

fn walk(
    dir: &Path,
    segments: &mut Vec<String>,
    out: &mut Vec<(String, PathBuf, CommandForm)>,
    visited: &mut std::collections::HashSet<PathBuf>,
    skipped: &mut Vec<Skipped>,
) {
    let key = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if !visited.insert(key) {
        skipped.push(Skipped::new(
            Kind::Command,
            dir,
            "folder already listed through another path (symbolic link loop); not read again",
        ));
        return;
    }
    let skill = dir.join("SKILL.md");
    if !segments.is_empty() && skill.is_file() {
        out.push((segments.join(":"), skill, CommandForm::SkillFolder));
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            segments.push(file_name);
            walk(&path, segments, out, visited, skipped);
            segments.pop();
        } else if let Some(stem) = file_name.strip_suffix(".md") {
            if stem.is_empty() {
                continue;
            }
            let mut name = segments.clone();
            name.push(stem.to_string());
            out.push((name.join(":"), path, CommandForm::File));
        }
    }
}
