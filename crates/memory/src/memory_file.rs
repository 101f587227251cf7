//! AGENTS.md memory files and their `@path` imports (cli-core §6.1, §6.4).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::markdown::{Piece, at_refs, scan};
use crate::options::LoadOptions;
use crate::source::{Kind, Origin, Scope, Skipped};

/// Why a memory file was loaded (the `load_reason` of the
/// InstructionsLoaded hook `[hooks]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadReason {
    /// Loaded when the session started.
    SessionStart,
    /// Loaded when the agent first touched a file under its directory.
    NestedTraversal,
    /// Imported with `@path` by another memory file.
    Include,
}

/// One loaded memory file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemoryFile {
    /// The file, as found.
    pub path: PathBuf,
    /// Its level.
    pub scope: Scope,
    /// Qoder's or Claude Code's file.
    pub origin: Origin,
    /// Why it was loaded.
    pub reason: LoadReason,
    /// The importing file, for imports.
    pub parent: Option<PathBuf>,
    /// Import nesting: 0 for a top-level file.
    pub depth: usize,
    /// The file's text, unchanged (imports are separate entries that follow
    /// their parent).
    pub text: String,
}

/// The names checked in each directory, in load order, with their scope
/// and origin.
fn names_in_dir(options: &LoadOptions) -> Vec<(String, Scope, Origin)> {
    let mut names: Vec<(String, Scope, Origin)> = options
        .context_file_names
        .iter()
        .map(|n| (n.clone(), Scope::Project, Origin::Qoder))
        .collect();
    let claude = options.claude == crate::options::ClaudeFiles::Read;
    if claude {
        names.push(("CLAUDE.md".into(), Scope::Project, Origin::Claude));
    }
    for name in &options.context_file_names {
        names.push((local_name(name), Scope::Local, Origin::Qoder));
    }
    if claude {
        names.push(("CLAUDE.local.md".into(), Scope::Local, Origin::Claude));
    }
    names
}

/// `AGENTS.md` → `AGENTS.local.md`.
fn local_name(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.local.{ext}"),
        None => format!("{name}.local"),
    }
}

/// Loads memory files and follows their imports, remembering what is
/// loaded so nothing loads twice.
#[derive(Debug)]
pub(crate) struct MemoryLoader {
    options: LoadOptions,
    root: PathBuf,
    canonical_root: PathBuf,
    excludes: Vec<(String, globset::GlobMatcher)>,
    loaded: HashSet<PathBuf>,
}

impl MemoryLoader {
    /// A loader for a project rooted at `root`. Invalid exclude patterns
    /// are reported in `skipped`.
    pub(crate) fn new(options: &LoadOptions, root: &Path, skipped: &mut Vec<Skipped>) -> Self {
        let mut excludes = Vec::new();
        for pattern in &options.excludes {
            match globset::GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
            {
                Ok(glob) => excludes.push((pattern.clone(), glob.compile_matcher())),
                Err(e) => skipped.push(Skipped::new(
                    Kind::Memory,
                    pattern,
                    format!("agentsMdExcludes pattern is not a valid glob: {e}"),
                )),
            }
        }
        Self {
            options: options.clone(),
            root: root.to_path_buf(),
            canonical_root: root.canonicalize().unwrap_or_else(|_| root.to_path_buf()),
            excludes,
            loaded: HashSet::new(),
        }
    }

    /// Records `path` as loaded without reading it.
    pub(crate) fn mark_loaded(&mut self, path: &Path) {
        self.loaded
            .insert(path.canonicalize().unwrap_or_else(|_| path.to_path_buf()));
    }

    /// Loads the user memory files (`AGENTS.md` in the user dir, then
    /// `~/.claude/CLAUDE.md`).
    pub(crate) fn load_user(&mut self, out: &mut Vec<MemoryFile>, skipped: &mut Vec<Skipped>) {
        let mut candidates = Vec::new();
        if let Some(dir) = &self.options.user_dir {
            for name in &self.options.context_file_names {
                candidates.push((dir.join(name), Origin::Qoder));
            }
        }
        if self.options.claude == crate::options::ClaudeFiles::Read
            && let Some(dir) = self.options.claude_user_dir()
        {
            candidates.push((dir.join("CLAUDE.md"), Origin::Claude));
        }
        for (path, origin) in candidates {
            self.load_top(
                &path,
                Scope::User,
                origin,
                LoadReason::SessionStart,
                out,
                skipped,
            );
        }
    }

    /// Loads the project and local memory files of one directory.
    pub(crate) fn load_dir(
        &mut self,
        dir: &Path,
        reason: LoadReason,
        out: &mut Vec<MemoryFile>,
        skipped: &mut Vec<Skipped>,
    ) {
        for (name, scope, origin) in names_in_dir(&self.options) {
            self.load_top(&dir.join(name), scope, origin, reason, out, skipped);
        }
    }

    fn load_top(
        &mut self,
        path: &Path,
        scope: Scope,
        origin: Origin,
        reason: LoadReason,
        out: &mut Vec<MemoryFile>,
        skipped: &mut Vec<Skipped>,
    ) {
        if !path.is_file() {
            return;
        }
        if let Some(pattern) = self.excluded_by(path) {
            skipped.push(Skipped::new(
                Kind::Memory,
                path,
                format!("excluded by agentsMdExcludes pattern `{pattern}`"),
            ));
            return;
        }
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if !self.loaded.insert(key.clone()) {
            return;
        }
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                skipped.push(Skipped::new(
                    Kind::Memory,
                    path,
                    format!("cannot read: {e}"),
                ));
                return;
            }
        };
        let mut chain = vec![key];
        let file = MemoryFile {
            path: path.to_path_buf(),
            scope,
            origin,
            reason,
            parent: None,
            depth: 0,
            text,
        };
        self.push_with_imports(file, &mut chain, out, skipped);
    }

    fn excluded_by(&self, path: &Path) -> Option<&str> {
        self.excludes
            .iter()
            .find(|(_, m)| m.is_match(path))
            .map(|(p, _)| p.as_str())
    }

    fn push_with_imports(
        &mut self,
        file: MemoryFile,
        chain: &mut Vec<PathBuf>,
        out: &mut Vec<MemoryFile>,
        skipped: &mut Vec<Skipped>,
    ) {
        let base = file
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let imports: Vec<(usize, String)> = scan(&file.text)
            .into_iter()
            .flat_map(|piece| match piece {
                Piece::Text { line, raw } => at_refs(raw, line)
                    .into_iter()
                    .map(|r| (r.line, r.path.to_string()))
                    .collect(),
                Piece::Code { .. } | Piece::ShellBlock { .. } | Piece::ShellInline { .. } => {
                    Vec::new()
                }
            })
            .collect();
        let (path, scope, origin, depth) = (file.path.clone(), file.scope, file.origin, file.depth);
        out.push(file);
        for (line, target) in imports {
            let resolved = self.resolve(&base, &target);
            let Ok(canonical) = resolved.canonicalize() else {
                skipped.push(Skipped::at_line(
                    Kind::Memory,
                    &path,
                    line,
                    format!(
                        "import `@{target}` not loaded: {} does not exist",
                        resolved.display()
                    ),
                ));
                continue;
            };
            if !canonical.is_file() {
                skipped.push(Skipped::at_line(
                    Kind::Memory,
                    &path,
                    line,
                    format!(
                        "import `@{target}` not loaded: {} is not a file",
                        resolved.display()
                    ),
                ));
                continue;
            }
            if let Some(pos) = chain.iter().position(|p| *p == canonical) {
                let cycle: Vec<String> = chain[pos..]
                    .iter()
                    .chain(std::iter::once(&canonical))
                    .map(|p| p.display().to_string())
                    .collect();
                skipped.push(Skipped::at_line(
                    Kind::Memory,
                    &path,
                    line,
                    format!(
                        "import `@{target}` not loaded: import cycle {}",
                        cycle.join(" -> ")
                    ),
                ));
                continue;
            }
            if depth + 1 > self.options.import_depth {
                skipped.push(Skipped::at_line(
                    Kind::Memory,
                    &path,
                    line,
                    format!(
                        "import `@{target}` not loaded: import depth limit of {} reached",
                        self.options.import_depth
                    ),
                ));
                continue;
            }
            if matches!(scope, Scope::Project | Scope::Local)
                && !self.options.external_imports
                && !canonical.starts_with(&self.canonical_root)
            {
                skipped.push(Skipped::at_line(
                    Kind::Memory,
                    &path,
                    line,
                    format!(
                        "import `@{target}` not loaded: {} is outside the project root {}",
                        resolved.display(),
                        self.root.display()
                    ),
                ));
                continue;
            }
            if !self.loaded.insert(canonical.clone()) {
                continue;
            }
            let text = match std::fs::read_to_string(&resolved) {
                Ok(text) => text,
                Err(e) => {
                    skipped.push(Skipped::at_line(
                        Kind::Memory,
                        &path,
                        line,
                        format!(
                            "import `@{target}` not loaded: cannot read {}: {e}",
                            resolved.display()
                        ),
                    ));
                    continue;
                }
            };
            chain.push(canonical);
            let child = MemoryFile {
                path: resolved,
                scope,
                origin,
                reason: LoadReason::Include,
                parent: Some(path.clone()),
                depth: depth + 1,
                text,
            };
            self.push_with_imports(child, chain, out, skipped);
            chain.pop();
        }
    }

    fn resolve(&self, base: &Path, target: &str) -> PathBuf {
        if let Some(rest) = target.strip_prefix("~/")
            && let Some(home) = &self.options.home
        {
            return home.join(rest);
        }
        let path = Path::new(target);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            base.join(path)
        }
    }
}
