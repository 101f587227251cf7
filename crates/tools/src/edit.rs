//! `Edit`: replaces an exact string in a file (`cli-core.md` §2.4).

use std::path::Path;

use async_trait::async_trait;
use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::diff::unified_diff;
use crate::file_io::{
    ExistingFile, check_cancelled, ensure_fresh, read_existing, write_and_record,
};
use crate::replace::{ReplaceError, ReplaceMode, replace};
use crate::text::{self, DecodedText};

/// Input of `Edit`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EditInput {
    /// The absolute path of the file to change (a relative path is taken
    /// from the working directory).
    pub file_path: String,
    /// The exact text to replace. Empty only to create a file that does not
    /// exist yet.
    pub old_string: String,
    /// The text to put in its place (must differ from `old_string`).
    pub new_string: String,
    /// Replace every occurrence of `old_string` (default false: it must
    /// occur exactly once). `allow_multiple` is accepted as another name.
    #[serde(default, alias = "allow_multiple")]
    pub replace_all: bool,
}

/// The `Edit` tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct EditTool;

const DESCRIPTION: &str = "\
Replaces exact text in a file.
- The file must have been read with Read in this session first.
- `old_string` must match the file exactly, whitespace and indentation included, without the \
line-number prefix Read shows. It must occur exactly once unless `replace_all` is true; add \
surrounding lines to make it unique.
- An empty `old_string` on a file that does not exist creates it with `new_string`.
- Line endings and encoding of the file are kept.";

#[async_trait]
impl TypedTool for EditTool {
    type Input = EditInput;

    fn name(&self) -> &str {
        "Edit"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn targets(&self, input: &EditInput, ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(vec![ToolTarget::write(
            ctx.resolve_path("file_path", &input.file_path)?,
        )])
    }

    async fn call(&self, input: EditInput, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let path = ctx.resolve_path("file_path", &input.file_path)?;
        let edit = EditStep {
            old_string: &input.old_string,
            new_string: &input.new_string,
            mode: ReplaceMode::from_replace_all(input.replace_all),
        };
        apply_edits(ctx, "Edit", &path, &[edit]).await
    }
}

/// One replacement of an Edit or MultiEdit call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EditStep<'a> {
    pub(crate) old_string: &'a str,
    pub(crate) new_string: &'a str,
    pub(crate) mode: ReplaceMode,
}

/// Applies `edits` in order to the running content of `path`; writes only
/// when every edit succeeds.
pub(crate) async fn apply_edits(
    ctx: &ToolContext,
    tool_name: &str,
    path: &Path,
    edits: &[EditStep<'_>],
) -> Result<ToolOutput, ToolError> {
    let existing = read_existing(path).await?;
    let (before, mut current, start) = match (&existing, edits.first()) {
        (None, Some(first)) if first.old_string.is_empty() => {
            // Creating a file: the first edit's text is its content.
            let content = first.new_string.to_owned();
            (None, content, 1)
        }
        (None, _) => {
            return Err(ToolError::respond(format!(
                "File does not exist: {}. To create it, use Write, or Edit with an empty \
                 `old_string`.",
                path.display()
            )));
        }
        (Some(file), _) => {
            ensure_fresh(ctx, path, file)?;
            let decoded = decode_for_edit(path, file)?;
            let content = decoded.text.clone();
            (Some(decoded), content, 0)
        }
    };
    let mut replaced_total = 0;
    for (index, edit) in edits.iter().enumerate().skip(start) {
        if edit.old_string.is_empty() && current.is_empty() {
            // An empty existing file is filled like a new one.
            current = edit.new_string.to_owned();
            replaced_total += 1;
            continue;
        }
        match replace(&current, edit.old_string, edit.new_string, edit.mode) {
            Ok(replaced) => {
                current = replaced.text;
                replaced_total += replaced.count;
            }
            Err(error) => return Err(edit_error(path, index, edits.len(), &error)),
        }
    }
    let bytes = match &before {
        Some(decoded) => text::encode(&current, decoded.encoding),
        None => current.clone().into_bytes(),
    };
    check_cancelled(ctx, tool_name)?;
    write_and_record(ctx, path, &bytes).await?;
    let file_path = path.display().to_string();
    let old_text = before
        .as_ref()
        .map(|decoded| decoded.text.as_str())
        .unwrap_or("");
    let diff = unified_diff(&file_path, old_text, &current);
    let message = match &before {
        Some(_) => format!(
            "The file {file_path} has been updated ({replaced_total} replacement{}).\n{diff}",
            if replaced_total == 1 { "" } else { "s" }
        ),
        None => format!("File created successfully at: {file_path}\n{diff}"),
    };
    Ok(ToolOutput::text(
        message,
        json!({"success": true, "file_path": file_path, "diff": diff}),
    ))
}

fn decode_for_edit(path: &Path, file: &ExistingFile) -> Result<DecodedText, ToolError> {
    text::decode(&file.bytes).map_err(|error| {
        ToolError::respond(format!(
            "Cannot edit {}: {error}. Only UTF-8 and UTF-16 text files can be edited.",
            path.display()
        ))
    })
}

fn edit_error(path: &Path, index: usize, total: usize, error: &ReplaceError) -> ToolError {
    let error = match error {
        ReplaceError::EmptyOldString => format!(
            "`old_string` is empty but {} already has content; give the exact text to replace, \
             or use Write to replace the whole file",
            path.display()
        ),
        ReplaceError::NoChange | ReplaceError::NotFound | ReplaceError::Ambiguous { .. } => {
            format!("{error} (in {})", path.display())
        }
    };
    if total == 1 {
        ToolError::respond(format!("Edit failed: {error}"))
    } else {
        ToolError::respond(format!(
            "Edit {} of {total} (`edits[{index}]`) failed: {error}. No edits were applied.",
            index + 1
        ))
    }
}
