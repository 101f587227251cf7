//! `Grep`: searches file contents with ripgrep semantics (`cli-core.md`
//! §2.6), on the shared warm ferrule-search engine.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use ferrule_search::{
    CancelFlag, CaseMode, GrepEntry, GrepOutput, GrepQuery, OutputMode, SearchEngine, SearchLimits,
};
use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

/// Entries returned when `head_limit` is not given (0 means unlimited).
pub const DEFAULT_HEAD_LIMIT: u64 = 250;

/// What Grep returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrepOutputMode {
    /// Matching lines (with context lines when asked).
    Content,
    /// Paths of the files that match (the default).
    #[default]
    FilesWithMatches,
    /// Match counts per file.
    Count,
}

/// Input of `Grep`; the option names are ripgrep's flags.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrepInput {
    /// The regular expression to search for (Rust regex syntax, like
    /// ripgrep: escape literal braces, e.g. `interface\{\}`).
    pub pattern: String,
    /// File or directory to search (default: the working directory).
    #[serde(default)]
    pub path: Option<String>,
    /// Only search files matching this glob, e.g. `*.js` or `*.{ts,tsx}`
    /// (rg --glob).
    #[serde(default)]
    pub glob: Option<String>,
    /// Only search files of this type, e.g. `js`, `py`, `rust` (rg --type).
    #[serde(default, rename = "type")]
    pub file_type: Option<String>,
    /// `content` shows matching lines, `files_with_matches` (default) file
    /// paths, `count` match counts.
    #[serde(default)]
    pub output_mode: Option<GrepOutputMode>,
    /// Lines of context after each match (rg -A; content mode only).
    #[serde(default, rename = "-A")]
    pub after: Option<u64>,
    /// Lines of context before each match (rg -B; content mode only).
    #[serde(default, rename = "-B")]
    pub before: Option<u64>,
    /// Lines of context before and after each match (rg -C; content mode
    /// only).
    #[serde(default, rename = "-C")]
    pub around: Option<u64>,
    /// Same as `-C`.
    #[serde(default)]
    pub context: Option<u64>,
    /// Show line numbers (rg -n; content mode only, default true).
    #[serde(default, rename = "-n")]
    pub line_numbers: Option<bool>,
    /// Case-insensitive search (rg -i).
    #[serde(default, rename = "-i")]
    pub case_insensitive: Option<bool>,
    /// Show only the matching part of each line (rg -o; content and count
    /// modes).
    #[serde(default, rename = "-o")]
    pub only_matching: Option<bool>,
    /// Let patterns span lines, with `.` matching newlines (rg -U
    /// --multiline-dotall).
    #[serde(default)]
    pub multiline: Option<bool>,
    /// Return at most this many entries (lines, paths or counts); default
    /// 250, 0 for no limit.
    #[serde(default)]
    pub head_limit: Option<u64>,
    /// Skip this many entries before applying `head_limit`.
    #[serde(default)]
    pub offset: Option<u64>,
}

/// The `Grep` tool, sharing one warm [`SearchEngine`] across calls.
#[derive(Debug, Clone, Default)]
pub struct GrepTool {
    engine: Arc<SearchEngine>,
}

impl GrepTool {
    /// A tool searching with `engine` (share it with Glob-like callers and
    /// across sessions of one process).
    pub fn new(engine: Arc<SearchEngine>) -> Self {
        Self { engine }
    }
}

const DESCRIPTION: &str = "\
Searches file contents with regular expressions, like ripgrep.
- Full regex syntax (e.g. `log.*Error`, `function\\s+\\w+`); literal braces need escaping \
(`interface\\{\\}`).
- Filter files with `glob` (e.g. `*.js`, `**/*.tsx`) or `type` (e.g. `js`, `py`, `rust`).
- `output_mode`: `files_with_matches` (default) lists paths, `content` shows matching lines (with \
`-A`/`-B`/`-C` context and `-n` line numbers), `count` gives match counts.
- `head_limit` (default 250, 0 for all) and `offset` page through the results.
- `multiline: true` lets a pattern span lines.
- Files ignored by .gitignore/.ignore, hidden files and binary files are skipped, like ripgrep.";

/// Sets `flag` when the call's cancellation token fires; abort the returned
/// task once the search is over.
pub(crate) fn cancel_on(ctx: &ToolContext, flag: CancelFlag) -> tokio::task::JoinHandle<()> {
    let token = ctx.cancel_token().clone();
    tokio::spawn(async move {
        token.cancelled().await;
        flag.cancel();
    })
}

fn to_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

impl GrepTool {
    fn root(input: &GrepInput, ctx: &ToolContext) -> Result<std::path::PathBuf, ToolError> {
        match &input.path {
            Some(path) => ctx.resolve_path("path", path),
            None => Ok(ctx.cwd().to_path_buf()),
        }
    }

    fn query(input: &GrepInput, root: &Path) -> GrepQuery {
        let mode = input.output_mode.unwrap_or_default();
        let mut query = GrepQuery::new(input.pattern.clone(), root)
            .case(if input.case_insensitive.unwrap_or(false) {
                CaseMode::Insensitive
            } else {
                CaseMode::Sensitive
            })
            .multiline(input.multiline.unwrap_or(false));
        if let Some(glob) = &input.glob {
            query = query.glob(glob.clone());
        }
        if let Some(file_type) = &input.file_type {
            query = query.file_type(file_type.clone());
        }
        let head_limit = match input.head_limit.unwrap_or(DEFAULT_HEAD_LIMIT) {
            0 => None,
            limit => Some(to_usize(limit)),
        };
        query = query
            .head_limit(head_limit)
            .offset(to_usize(input.offset.unwrap_or(0)));
        match mode {
            GrepOutputMode::Content => {
                let around = input.around.or(input.context).unwrap_or(0);
                query
                    .output_mode(OutputMode::Content)
                    .line_numbers(input.line_numbers.unwrap_or(true))
                    .before_context(to_usize(input.before.unwrap_or(around)))
                    .after_context(to_usize(input.after.unwrap_or(around)))
                    .only_matching(input.only_matching.unwrap_or(false))
            }
            GrepOutputMode::FilesWithMatches => query.output_mode(OutputMode::FilesWithMatches),
            GrepOutputMode::Count => query
                .output_mode(OutputMode::Count)
                .only_matching(input.only_matching.unwrap_or(false)),
        }
    }
}

#[async_trait]
impl TypedTool for GrepTool {
    type Input = GrepInput;

    fn name(&self) -> &str {
        "Grep"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn targets(&self, input: &GrepInput, ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(vec![ToolTarget::read(Self::root(input, ctx)?)])
    }

    async fn call(&self, input: GrepInput, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let root = Self::root(&input, ctx)?;
        let query = Self::query(&input, &root);
        let mode = input.output_mode.unwrap_or_default();
        // The engine is synchronous; it runs on a blocking thread and stops
        // early when the call is cancelled.
        let flag = CancelFlag::new();
        let watcher = cancel_on(ctx, flag.clone());
        let engine = Arc::clone(&self.engine);
        let limits = SearchLimits::none().cancel(flag);
        let searched = tokio::task::spawn_blocking(move || engine.grep(&query, &limits)).await;
        watcher.abort();
        if ctx.is_cancelled() {
            return Err(ToolError::cancelled("Grep"));
        }
        let output = searched
            .map_err(|error| ToolError::fatal(format!("the Grep search thread failed: {error}")))?
            .map_err(|error| ToolError::respond(format!("Grep failed: {error}")))?;
        let results = absolute_results(&output, &root);
        let text = model_text(&output, &results, mode, input.head_limit);
        Ok(ToolOutput::text(
            text,
            json!({
                "results": results,
                "matchCount": output.match_count,
                "truncated": output.truncated,
            }),
        ))
    }
}

/// The engine's rg-style lines with paths made absolute: for a directory
/// root it shows paths relative to the root, while the tool shows absolute
/// paths (`cli-core.md` §2.5, §2.6). A file root shows no path, or the path
/// as given (already absolute).
fn absolute_results(output: &GrepOutput, root: &Path) -> String {
    if !root.is_dir() {
        return output.results.clone();
    }
    let lines: Vec<&str> = if output.results.is_empty() {
        Vec::new()
    } else {
        output.results.split('\n').collect()
    };
    if lines.len() != output.entries.len() {
        tracing::warn!(
            lines = lines.len(),
            entries = output.entries.len(),
            "grep results and entries disagree; paths left relative"
        );
        return output.results.clone();
    }
    let prefix = format!("{}/", root.display());
    lines
        .iter()
        .zip(&output.entries)
        .map(|(line, entry)| match entry {
            GrepEntry::Separator => (*line).to_owned(),
            _ => format!("{prefix}{line}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn model_text(
    output: &GrepOutput,
    results: &str,
    mode: GrepOutputMode,
    head_limit: Option<u64>,
) -> String {
    let mut text = match mode {
        GrepOutputMode::FilesWithMatches if output.entries.is_empty() => {
            "No files found".to_owned()
        }
        GrepOutputMode::FilesWithMatches => {
            let files = output.match_count;
            let noun = if files == 1 { "file" } else { "files" };
            format!("Found {files} {noun}\n{results}")
        }
        GrepOutputMode::Content | GrepOutputMode::Count if output.entries.is_empty() => {
            "No matches found".to_owned()
        }
        GrepOutputMode::Content => results.to_owned(),
        GrepOutputMode::Count => format!(
            "{results}\n\nFound {} total occurrences across {} files.",
            output.match_count, output.matched_files
        ),
    };
    if output.truncated {
        let limit = head_limit.unwrap_or(DEFAULT_HEAD_LIMIT);
        text.push_str(&format!(
            "\n(Results are truncated at head_limit {limit} of {} entries; use offset to see more.)",
            output.total_entries
        ));
    }
    if output.partial.is_some() {
        text.push_str("\n(The search stopped early; results may be incomplete.)");
    }
    text
}
