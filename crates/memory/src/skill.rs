//! Skills: `skills/<name>/SKILL.md` folders (cli-core §7.1, `[skills]`).
//!
//! Progressive disclosure: loading keeps only the frontmatter; the body and
//! the list of bundled files are read by [`Skill::open`] when the skill is
//! used.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::fields::PromptMeta;
use crate::frontmatter;
use crate::source::{Kind, Origin, Scope, Skipped};

/// The longest skill name allowed `[skills]`.
pub const MAX_NAME_LEN: usize = 64;
/// The longest description allowed `[skills]`.
pub const MAX_DESCRIPTION_LEN: usize = 1024;

/// A discovered skill: what the model sees before using it, plus where it
/// lives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skill {
    /// The `name` field.
    pub name: String,
    /// The `description` field.
    pub description: String,
    /// The `SKILL.md` file.
    pub path: PathBuf,
    /// Its folder (`${QODER_SKILL_DIR}`).
    pub dir: PathBuf,
    /// User, project or plugin.
    pub scope: Scope,
    /// Qoder's or Claude Code's folder.
    pub origin: Origin,
    /// The plugin that ships it.
    pub plugin: Option<String>,
    /// All frontmatter fields.
    pub meta: PromptMeta,
}

/// A skill's full content, read on use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkillContent {
    /// The body with `${QODER_SKILL_DIR}` and the other variables replaced.
    pub body: String,
    /// The other files in the skill folder, relative to it, sorted
    /// (`scripts/helper.py`, `REFERENCE.md`, ...).
    pub resources: Vec<PathBuf>,
}

/// Values for the body variables of §7.1.
#[derive(Debug, Clone, Default)]
pub struct SkillVars {
    /// `${QODER_SESSION_ID}`.
    pub session_id: Option<String>,
    /// `${QODER_CONFIG_DIR}` (the project `.qoder`).
    pub config_dir: Option<PathBuf>,
    /// `${QODER_USER_CONFIG_DIR}` (the user `.qoder`).
    pub user_config_dir: Option<PathBuf>,
}

/// Why a skill could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file changed and no longer parses.
    #[error("{path}: {source}")]
    Frontmatter {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: frontmatter::FrontmatterError,
    },
}

/// Why a skill prompt could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The skill file could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The arguments do not fit.
    #[error(transparent)]
    Arguments(#[from] crate::arguments::ArgumentError),
}

/// The most resource files listed for one skill.
const MAX_RESOURCES: usize = 1000;

impl Skill {
    /// Reads the body and lists the bundled files.
    ///
    /// # Errors
    /// When `SKILL.md` cannot be read or no longer parses.
    pub fn open(&self, vars: &SkillVars) -> Result<SkillContent, OpenError> {
        let text = std::fs::read_to_string(&self.path).map_err(|source| OpenError::Read {
            path: self.path.clone(),
            source,
        })?;
        let split = frontmatter::split(&text).map_err(|source| OpenError::Frontmatter {
            path: self.path.clone(),
            source,
        })?;
        let mut body = split
            .body
            .replace("${QODER_SKILL_DIR}", &self.dir.display().to_string());
        let pairs = [
            ("${QODER_SESSION_ID}", vars.session_id.clone()),
            (
                "${QODER_CONFIG_DIR}",
                vars.config_dir.as_ref().map(|p| p.display().to_string()),
            ),
            (
                "${QODER_USER_CONFIG_DIR}",
                vars.user_config_dir
                    .as_ref()
                    .map(|p| p.display().to_string()),
            ),
        ];
        for (name, value) in pairs {
            if let Some(value) = value {
                body = body.replace(name, &value);
            }
        }
        let mut resources = Vec::new();
        list_files(&self.dir, &self.dir, &mut resources);
        resources.retain(|p| p != Path::new("SKILL.md"));
        resources.sort();
        Ok(SkillContent { body, resources })
    }
}

impl Skill {
    /// The prompt for using the skill with `args` (`/name args`, or the
    /// model's invocation): the body from [`Skill::open`] with arguments
    /// substituted as for commands (cli-core §7.1: skills share argument
    /// substitution).
    ///
    /// # Errors
    /// When the file cannot be opened or the arguments do not fit.
    pub fn render(&self, args: &str, vars: &SkillVars) -> Result<String, RenderError> {
        let content = self.open(vars)?;
        Ok(crate::arguments::substitute(
            &content.body,
            args,
            &self.meta.arguments,
        )?)
    }
}

fn list_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if out.len() >= MAX_RESOURCES {
            return;
        }
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            list_files(root, &path, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_path_buf());
        }
    }
}

/// Where a skills folder sits.
#[derive(Debug, Clone)]
pub(crate) struct SkillsDir {
    pub(crate) dir: PathBuf,
    pub(crate) scope: Scope,
    pub(crate) origin: Origin,
    pub(crate) plugin: Option<String>,
}

/// Why a skill name is not valid, if it is not.
pub fn check_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("`name` is empty".into());
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Some(format!("`name` is longer than {MAX_NAME_LEN} characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Some(format!(
            "`name` `{name}` may contain only lowercase letters, digits and hyphens"
        ));
    }
    None
}

/// Parses one `SKILL.md`.
pub(crate) fn parse(text: &str, path: &Path, source: &SkillsDir) -> Result<Skill, Skipped> {
    let doc = frontmatter::parse::<PromptMeta>(text).map_err(|e| {
        Skipped::at_line(
            Kind::Skill,
            path,
            e.line,
            format!("invalid frontmatter: {}", e.message),
        )
    })?;
    let meta = doc.fields;
    let at1 = |reason: String| Skipped::at_line(Kind::Skill, path, 1, reason);
    let name = meta.name.clone().map(|n| n.trim().to_string());
    let Some(name) = name else {
        return Err(at1("frontmatter has no `name` (required)".into()));
    };
    if let Some(problem) = check_name(&name) {
        return Err(at1(problem));
    }
    let description = meta
        .description
        .clone()
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty());
    let Some(description) = description else {
        return Err(at1("frontmatter has no `description` (required)".into()));
    };
    if description.chars().count() > MAX_DESCRIPTION_LEN {
        return Err(at1(format!(
            "`description` is longer than {MAX_DESCRIPTION_LEN} characters"
        )));
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(Skill {
        name,
        description,
        path: path.to_path_buf(),
        dir,
        scope: source.scope,
        origin: source.origin,
        plugin: source.plugin.clone(),
        meta,
    })
}

/// Loads every `<dir>/<name>/SKILL.md`, sorted by folder.
pub(crate) fn load_dir(source: &SkillsDir, out: &mut Vec<Skill>, skipped: &mut Vec<Skipped>) {
    let Ok(entries) = std::fs::read_dir(&source.dir) else {
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path().join("SKILL.md"))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for path in files {
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse(&text, &path, source) {
                Ok(skill) => out.push(skill),
                Err(skip) => skipped.push(skip),
            },
            Err(e) => skipped.push(Skipped::new(
                Kind::Skill,
                &path,
                format!("cannot read: {e}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skill_names_follow_the_documented_alphabet() {
        assert_eq!(check_name("api-doc-2"), None);
        assert!(check_name("Api").is_some());
        assert!(check_name(&"a".repeat(65)).is_some());
        assert!(check_name("a_b").is_some());
    }
}
