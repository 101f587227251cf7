//! Rules: Markdown files under `rules/` with a frontmatter trigger
//! (cli-core §6.2, `[mem]`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use serde::{Deserialize, Serialize};

use crate::frontmatter;
use crate::source::{Kind, Origin, Scope, Skipped, Warning};

/// When a rule's body reaches the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Loaded with memory at session start (no loading frontmatter,
    /// `trigger: always_on`, or `alwaysApply: true`).
    AlwaysOn,
    /// Never injected automatically; applied when the user names it
    /// (`trigger: manual`, `alwaysApply: false`, or a trigger whose required
    /// field is missing).
    Manual,
    /// Only the path and description are offered; the model reads the body
    /// when relevant (`trigger: model_decision` with a description).
    ModelDecision,
    /// Loaded when a matching file is read or edited (`trigger: glob` with
    /// `glob`, or `paths`).
    Glob,
}

/// One rule file.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// The rule file.
    pub path: PathBuf,
    /// Its name: the path under `rules/` without `.md` (`api/handlers`),
    /// used to apply a manual rule by `@name`.
    pub name: String,
    /// User or project (or plugin).
    pub scope: Scope,
    /// Qoder's `.qoder/rules` or Claude Code's `.claude/rules`.
    pub origin: Origin,
    /// The effective trigger.
    pub trigger: Trigger,
    /// The `description` field.
    pub description: Option<String>,
    /// The glob patterns (routing metadata, never shown to the model).
    pub globs: Vec<String>,
    /// The directory globs are matched relative to: the one containing
    /// `.qoder/` for project rules, the project root for user rules.
    pub base: PathBuf,
    /// The body (after the frontmatter).
    pub body: String,
    /// Compiled on first use: compiling globs is most of the cost of
    /// loading, and most glob rules are never asked about.
    #[serde(skip)]
    matcher: OnceLock<Option<Gitignore>>,
    #[serde(skip)]
    rules_dir: PathBuf,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
            && self.name == other.name
            && self.scope == other.scope
            && self.origin == other.origin
            && self.trigger == other.trigger
            && self.description == other.description
            && self.globs == other.globs
            && self.base == other.base
            && self.body == other.body
    }
}

impl Rule {
    /// Whether this glob rule applies to `path` (absolute, or relative to
    /// the rule's base). Always false for rules of other triggers and for
    /// paths outside the base.
    pub fn matches(&self, path: &Path) -> bool {
        if self.trigger != Trigger::Glob {
            return false;
        }
        let Some(matcher) = self
            .matcher
            .get_or_init(|| build_matcher(&self.base, &self.globs))
        else {
            return false;
        };
        let relative = if path.is_absolute() {
            match path.strip_prefix(&self.base) {
                Ok(rel) => rel,
                Err(_) => return false,
            }
        } else {
            path
        };
        if relative.as_os_str().is_empty() {
            return false;
        }
        matcher
            .matched_path_or_any_parents(relative, false)
            .is_ignore()
    }
}

/// Compiles the gitignore-style matcher of a glob rule; `None` (matching
/// nothing) if the patterns cannot be compiled.
fn build_matcher(base: &Path, globs: &[String]) -> Option<Gitignore> {
    let mut builder = GitignoreBuilder::new(base);
    for glob in globs {
        builder.add_line(None, glob).ok()?;
    }
    match builder.build() {
        Ok(matcher) => Some(matcher),
        Err(e) => {
            tracing::warn!(base = %base.display(), error = %e, "glob rule patterns cannot be compiled");
            None
        }
    }
}

/// Reads `rule`'s file again: `Ok(None)` when it is unchanged,
/// `Ok(Some(rule))` with the new version when it changed.
///
/// # Errors
/// When the file can no longer be read or parsed; the reason is a
/// [`Skipped`] entry.
pub(crate) fn reload(rule: &Rule, warnings: &mut Vec<Warning>) -> Result<Option<Rule>, Skipped> {
    let text = std::fs::read_to_string(&rule.path)
        .map_err(|e| Skipped::new(Kind::Rule, &rule.path, format!("cannot read: {e}")))?;
    let dir = RulesDir {
        dir: rule.rules_dir.clone(),
        base: rule.base.clone(),
        scope: rule.scope,
        origin: rule.origin,
    };
    let new = parse(&text, &rule.path, &dir, warnings).map_err(|e| {
        Skipped::at_line(
            Kind::Rule,
            &rule.path,
            e.line,
            format!("invalid frontmatter: {}", e.message),
        )
    })?;
    Ok((new != *rule).then_some(new))
}

/// One pattern or a list of patterns.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Patterns {
    One(String),
    Many(Vec<String>),
}

impl Patterns {
    /// A single string may hold several comma-separated patterns (the IDE
    /// writes them that way `[ide-rules]`); commas inside `{}` belong to
    /// the pattern.
    fn into_vec(self) -> Vec<String> {
        let list = match self {
            Patterns::One(s) => split_top_level_commas(&s),
            Patterns::Many(v) => v,
        };
        list.into_iter()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect()
    }
}

fn split_top_level_commas(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in s.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current);
    out
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RuleFields {
    trigger: Option<String>,
    #[serde(rename = "alwaysApply")]
    always_apply: Option<bool>,
    description: Option<String>,
    glob: Option<Patterns>,
    paths: Option<Patterns>,
}

/// Where a rules directory sits and what its rules are.
#[derive(Debug, Clone)]
pub(crate) struct RulesDir {
    /// The `rules/` directory.
    pub(crate) dir: PathBuf,
    /// The glob base of its rules.
    pub(crate) base: PathBuf,
    pub(crate) scope: Scope,
    pub(crate) origin: Origin,
}

/// Loads every `*.md` under `rules.dir`, sorted by path. Broken files are
/// skipped; rules whose trigger cannot apply load as manual with a warning.
pub(crate) fn load_dir(
    rules: &RulesDir,
    out: &mut Vec<Rule>,
    skipped: &mut Vec<Skipped>,
    warnings: &mut Vec<Warning>,
) {
    let mut files = Vec::new();
    collect_md(&rules.dir, &mut files, skipped);
    files.sort();
    for path in files {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                skipped.push(Skipped::new(Kind::Rule, &path, format!("cannot read: {e}")));
                continue;
            }
        };
        match parse(&text, &path, rules, warnings) {
            Ok(rule) => out.push(rule),
            Err(e) => skipped.push(Skipped::at_line(
                Kind::Rule,
                &path,
                e.line,
                format!("invalid frontmatter: {}", e.message),
            )),
        }
    }
}

/// Collects `*.md` files below `dir`, recursively.
pub(crate) fn collect_md(dir: &Path, out: &mut Vec<PathBuf>, skipped: &mut Vec<Skipped>) {
    collect_md_in(dir, out, skipped, &mut std::collections::HashSet::new());
}

/// `collect_md` that remembers the folders it has listed, so a symbolic
/// link back up the tree is reported instead of followed forever.
fn collect_md_in(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    skipped: &mut Vec<Skipped>,
    visited: &mut std::collections::HashSet<PathBuf>,
) {
    let key = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if !visited.insert(key) {
        skipped.push(Skipped::new(
            Kind::Rule,
            dir,
            "folder already listed through another path (symbolic link loop); not read again",
        ));
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            skipped.push(Skipped::new(
                Kind::Rule,
                dir,
                format!("cannot list folder: {e}"),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let is_dir = kind.is_dir() || (kind.is_symlink() && path.is_dir());
        if is_dir {
            collect_md_in(&path, out, skipped, visited);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

fn parse(
    text: &str,
    path: &Path,
    rules: &RulesDir,
    warnings: &mut Vec<Warning>,
) -> Result<Rule, frontmatter::FrontmatterError> {
    let doc = frontmatter::parse::<RuleFields>(text)?;
    let fields = doc.fields;
    let description = fields
        .description
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty());
    let glob = fields.glob.map(Patterns::into_vec);
    let paths = fields.paths.map(Patterns::into_vec);
    let mut warn = |message: String| {
        warnings.push(Warning {
            kind: Kind::Rule,
            path: path.to_path_buf(),
            line: None,
            message,
        });
    };
    let (mut trigger, globs) = match fields.trigger.as_deref().map(str::trim) {
        Some("always_on") => (Trigger::AlwaysOn, Vec::new()),
        Some("manual") => (Trigger::Manual, Vec::new()),
        Some("model_decision") => {
            if description.is_some() {
                (Trigger::ModelDecision, Vec::new())
            } else {
                warn("trigger `model_decision` needs a non-empty `description`; the rule is not applied automatically".into());
                (Trigger::Manual, Vec::new())
            }
        }
        Some("glob") => {
            let globs = glob.or(paths).unwrap_or_default();
            if globs.is_empty() {
                warn(
                    "trigger `glob` needs a `glob` pattern; the rule is not applied automatically"
                        .into(),
                );
                (Trigger::Manual, Vec::new())
            } else {
                (Trigger::Glob, globs)
            }
        }
        Some(other) => {
            warn(format!(
                "unknown trigger `{other}` (expected always_on, manual, model_decision or glob); the rule is not applied automatically"
            ));
            (Trigger::Manual, Vec::new())
        }
        // `paths` alone means file-scoped; it also wins over
        // `alwaysApply: false` (that pair is how Cursor-style rules say
        // "only for these files").
        None => match (fields.always_apply, paths) {
            (Some(true), _) => (Trigger::AlwaysOn, Vec::new()),
            (_, Some(paths)) if !paths.is_empty() => (Trigger::Glob, paths),
            (Some(false), _) => (Trigger::Manual, Vec::new()),
            (None, _) => (Trigger::AlwaysOn, Vec::new()),
        },
    };
    if trigger == Trigger::Glob {
        // Parse every pattern now so a bad one is reported at load; the
        // matcher itself is compiled on first use.
        let mut builder = GitignoreBuilder::new(&rules.base);
        let bad: Vec<String> = globs
            .iter()
            .filter_map(|glob| {
                builder
                    .add_line(None, glob)
                    .err()
                    .map(|e| format!("`{glob}`: {e}"))
            })
            .collect();
        if !bad.is_empty() {
            warn(format!(
                "invalid glob {}; the rule is not applied automatically",
                bad.join(", ")
            ));
            trigger = Trigger::Manual;
        }
    }
    let name = path
        .strip_prefix(&rules.dir)
        .unwrap_or(path)
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    Ok(Rule {
        path: path.to_path_buf(),
        name,
        scope: rules.scope,
        origin: rules.origin,
        trigger,
        description,
        globs,
        base: rules.base.clone(),
        body: doc.body,
        matcher: OnceLock::new(),
        rules_dir: rules.dir.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn rule(text: &str) -> (Rule, Vec<Warning>) {
        let dirs = RulesDir {
            dir: PathBuf::from("/p/.qoder/rules"),
            base: PathBuf::from("/p"),
            scope: Scope::Project,
            origin: Origin::Qoder,
        };
        let mut warnings = Vec::new();
        let rule = parse(
            text,
            Path::new("/p/.qoder/rules/a/b.md"),
            &dirs,
            &mut warnings,
        )
        .expect("parses");
        (rule, warnings)
    }

    #[test]
    fn every_trigger_spelling_maps_to_its_mode() {
        let cases = [
            ("body", Trigger::AlwaysOn),
            ("---\ntrigger: always_on\n---\n", Trigger::AlwaysOn),
            ("---\nalwaysApply: true\n---\n", Trigger::AlwaysOn),
            ("---\ntrigger: manual\n---\n", Trigger::Manual),
            ("---\nalwaysApply: false\n---\n", Trigger::Manual),
            (
                "---\ntrigger: model_decision\ndescription: API work\n---\n",
                Trigger::ModelDecision,
            ),
            ("---\ntrigger: glob\nglob: src/**\n---\n", Trigger::Glob),
            ("---\npaths:\n  - src/**\n---\n", Trigger::Glob),
            (
                "---\ntrigger: manual\nalwaysApply: true\n---\n",
                Trigger::Manual,
            ),
            (
                "---\ndescription: only a description\n---\n",
                Trigger::AlwaysOn,
            ),
        ];
        let got: Vec<(&str, Trigger)> =
            cases.iter().map(|(t, _)| (*t, rule(t).0.trigger)).collect();
        assert_eq!(got, cases.to_vec());
    }

    #[test]
    fn model_decision_without_description_is_manual_with_a_warning() {
        let (r, w) = rule("---\ntrigger: model_decision\ndescription: '  '\n---\n");
        assert_eq!(r.trigger, Trigger::Manual);
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn invalid_glob_makes_the_rule_manual() {
        let (r, w) = rule("---\ntrigger: glob\nglob: 'src/[z-a]'\n---\n");
        assert_eq!(r.trigger, Trigger::Manual);
        assert!(w[0].message.contains("invalid glob"), "{w:?}");
    }

    #[test]
    fn globs_are_gitignore_style_relative_to_the_base() {
        let (r, _) = rule("---\ntrigger: glob\nglob: ['/*.md', 'src/api/**', '*.test.ts']\n---\n");
        assert_eq!(r.name, "a/b");
        let check = |p: &str| r.matches(Path::new(p));
        assert_eq!(
            [
                check("/p/README.md"),
                check("/p/docs/x.md"),
                check("/p/src/api/v1/h.rs"),
                check("/p/web/a.test.ts"),
                check("/other/README.md"),
                check("src/api/x.rs"),
            ],
            [true, false, true, true, false, true]
        );
    }

    #[test]
    fn one_string_may_hold_comma_separated_globs() {
        let (r, _) = rule("---\npaths: 'src/*.java, *.{md,txt}'\n---\n");
        assert_eq!(
            r.globs,
            vec!["src/*.java".to_string(), "*.{md,txt}".to_string()]
        );
    }
}
