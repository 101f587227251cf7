//! `LS` (ferrule extension, decision A-13): lists one directory.

use async_trait::async_trait;
use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
use globset::{Glob, GlobSet, GlobSetBuilder};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::file_io::{check_cancelled, io_error};

/// The most entries LS returns.
pub const MAX_LS_ENTRIES: usize = 1000;

/// Input of `LS`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LsInput {
    /// The absolute path of the directory to list (a relative path is taken
    /// from the working directory).
    pub path: String,
    /// Glob patterns of names to leave out, e.g. `["*.log", "node_modules"]`.
    #[serde(default)]
    pub ignore: Option<Vec<String>>,
}

/// The `LS` tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct LsTool;

const DESCRIPTION: &str = "\
Lists the files and directories in a directory, sorted by name; directories end with `/`.
- `path` should be an absolute path.
- `ignore` takes glob patterns of entries to leave out.
- Prefer Glob or Grep when you know what you are looking for.";

#[async_trait]
impl TypedTool for LsTool {
    type Input = LsInput;

    fn name(&self) -> &str {
        "LS"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn targets(&self, input: &LsInput, ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(vec![ToolTarget::read(
            ctx.resolve_path("path", &input.path)?,
        )])
    }

    async fn call(&self, input: LsInput, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let path = ctx.resolve_path("path", &input.path)?;
        let ignore = ignore_set(input.ignore.as_deref().unwrap_or_default())?;
        let metadata = tokio::fs::metadata(&path)
            .await
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::NotFound => {
                    ToolError::respond(format!("Directory does not exist: {}", path.display()))
                }
                _ => io_error("list", &path, &error),
            })?;
        if !metadata.is_dir() {
            return Err(ToolError::respond(format!(
                "{} is a file, not a directory; use Read to see it",
                path.display()
            )));
        }
        let mut reader = tokio::fs::read_dir(&path)
            .await
            .map_err(|error| io_error("list", &path, &error))?;
        let mut entries = Vec::new();
        loop {
            check_cancelled(ctx, "LS")?;
            let entry = match reader.next_entry().await {
                Ok(Some(entry)) => entry,
                Ok(None) => break,
                Err(error) => return Err(io_error("list", &path, &error)),
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            if ignore.is_match(&name) || ignore.is_match(entry.path()) {
                continue;
            }
            // `metadata` follows symlinks, so a link to a directory lists as one;
            // an entry that vanished meanwhile is skipped.
            let Ok(metadata) = tokio::fs::metadata(entry.path()).await else {
                continue;
            };
            entries.push(if metadata.is_dir() {
                format!("{name}/")
            } else {
                name
            });
        }
        entries.sort();
        let total = entries.len();
        let truncated = total > MAX_LS_ENTRIES;
        entries.truncate(MAX_LS_ENTRIES);
        let shown = path.display().to_string();
        let mut text = format!("{shown}/\n");
        for entry in &entries {
            text.push_str(&format!("  - {entry}\n"));
        }
        if entries.is_empty() {
            text.push_str("  (empty)\n");
        }
        if truncated {
            text.push_str(&format!(
                "(showing the first {MAX_LS_ENTRIES} of {total} entries; use Glob to narrow \
                 down)\n"
            ));
        }
        Ok(ToolOutput::text(
            text,
            json!({"path": shown, "entries": entries, "truncated": truncated}),
        ))
    }
}

fn ignore_set(patterns: &[String]) -> Result<GlobSet, ToolError> {
    let mut builder = GlobSetBuilder::new();
    for (index, pattern) in patterns.iter().enumerate() {
        let glob = Glob::new(pattern).map_err(|error| {
            ToolError::respond(format!(
                "Invalid input for LS: field `ignore[{index}]`: {error}"
            ))
        })?;
        builder.add(glob);
    }
    builder.build().map_err(|error| {
        ToolError::respond(format!("Invalid input for LS: field `ignore`: {error}"))
    })
}
