//! `Glob`: files whose path matches a pattern, newest first
//! (`cli-core.md` §2.5), on the ferrule-search Glob engine.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use ferrule_search::glob::{DEFAULT_LIMIT, GlobPattern, GlobQuery};
use ferrule_search::{CancelFlag, CaseMode, SearchEngine, SearchLimits};
use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};

use crate::grep::cancel_on;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

/// Paths a Glob call returns at most (decision in `cli-core.md` §2.5).
pub const GLOB_LIMIT: usize = DEFAULT_LIMIT;

/// Input of `Glob`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GlobInput {
    /// The glob to match file paths against, e.g. `**/*.rs`,
    /// `src/**/*.ts` or `*.{ts,tsx}`.
    pub pattern: String,
    /// The directory to search in (default: the working directory). Leave
    /// it out rather than passing "undefined" or "null".
    #[serde(default)]
    pub path: Option<String>,
}

/// The `Glob` tool, sharing one warm [`SearchEngine`] across calls (the
/// same engine as `Grep`, so both reuse one remembered walk).
#[derive(Debug, Clone, Default)]
pub struct GlobTool {
    engine: Arc<SearchEngine>,
}

impl GlobTool {
    /// A tool searching with `engine`.
    pub fn new(engine: Arc<SearchEngine>) -> Self {
        Self { engine }
    }
}

const DESCRIPTION: &str = "\
Finds files by name pattern, in any size of codebase.
- Patterns like `**/*.js` or `src/**/*.{ts,tsx}`; a pattern without `/` matches file names at \
any depth.
- Returns absolute paths sorted by modification time, newest first, at most 100.
- Files ignored by .gitignore/.ignore and hidden files are skipped, like ripgrep.
- Use Grep to search file contents.";

impl GlobTool {
    /// The directory the pattern is taken from and the directory the
    /// search starts in; the latter is checked to lie inside the allowed
    /// directories (an absolute pattern's fixed prefix counts).
    fn search_dirs(input: &GlobInput, ctx: &ToolContext) -> Result<(PathBuf, PathBuf), ToolError> {
        let pattern = GlobPattern::with_case(&input.pattern, CaseMode::Sensitive)
            .map_err(|error| ToolError::respond(format!("Invalid input for Glob: {error}")))?;
        let base = match &input.path {
            Some(path) => ctx.resolve_path("path", path)?,
            None => ctx.cwd().to_path_buf(),
        };
        let root = pattern.search_root(&base);
        let root = ctx.resolve_path("pattern", &root.to_string_lossy())?;
        Ok((base, root))
    }
}

#[async_trait]
impl TypedTool for GlobTool {
    type Input = GlobInput;

    fn name(&self) -> &str {
        "Glob"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn targets(&self, input: &GlobInput, ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        let (_, root) = Self::search_dirs(input, ctx)?;
        Ok(vec![ToolTarget::read(root)])
    }

    async fn call(&self, input: GlobInput, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let (base, _) = Self::search_dirs(&input, ctx)?;
        let query = GlobQuery::new(input.pattern.clone())
            .path(base)
            .limit(Some(GLOB_LIMIT));
        // The engine is synchronous; it runs on a blocking thread and stops
        // early when the call is cancelled.
        let flag = CancelFlag::new();
        let watcher = cancel_on(ctx, flag.clone());
        let limits = SearchLimits::none().cancel(flag);
        let engine = Arc::clone(&self.engine);
        let searched = tokio::task::spawn_blocking(move || engine.glob(&query, &limits)).await;
        watcher.abort();
        if ctx.is_cancelled() {
            return Err(ToolError::cancelled("Glob"));
        }
        let output = searched
            .map_err(|error| ToolError::fatal(format!("the Glob search thread failed: {error}")))?
            .map_err(|error| ToolError::respond(format!("Glob failed: {error}")))?;
        // The engine never leaves the root, but keep the promise explicit.
        let files: Vec<String> = output
            .files
            .iter()
            .filter(|file| ctx.is_allowed(file))
            .map(|file| file.display().to_string())
            .collect();
        let mut text = if files.is_empty() {
            "No files found".to_owned()
        } else {
            files.join("\n")
        };
        if output.truncated {
            text.push_str(&format!(
                "\n(Results are truncated: showing the {} most recently modified of {} files. Use \
                 a more specific path or pattern.)",
                files.len(),
                output.total_matches
            ));
        }
        if output.partial.is_some() {
            text.push_str("\n(The search stopped early; the list may be incomplete.)");
        }
        Ok(ToolOutput::text(
            text,
            json!({
                "files": files,
                "totalMatches": output.total_matches,
                "truncated": output.truncated,
            }),
        ))
    }
}
