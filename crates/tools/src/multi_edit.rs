//! `MultiEdit` (ferrule extension, decision A-13): several edits of one file,
//! applied in order to the running result, all or nothing.

use async_trait::async_trait;
use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::edit::{EditStep, apply_edits};
use crate::replace::ReplaceMode;

/// Input of `MultiEdit`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MultiEditInput {
    /// The absolute path of the file to change (a relative path is taken
    /// from the working directory).
    pub file_path: String,
    /// The edits, applied one after another to the result of the previous
    /// one.
    #[schemars(length(min = 1))]
    pub edits: Vec<MultiEditItem>,
}

/// One edit of a `MultiEdit` call.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MultiEditItem {
    /// The exact text to replace.
    pub old_string: String,
    /// The text to put in its place.
    pub new_string: String,
    /// Replace every occurrence (default false: exactly one must exist).
    #[serde(default, alias = "allow_multiple")]
    pub replace_all: bool,
}

/// The `MultiEdit` tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct MultiEditTool;

const DESCRIPTION: &str = "\
Makes several replacements in one file in a single step.
- Same rules as Edit for each edit; the file must have been read first.
- Edits apply in order, each to the result of the one before.
- Either every edit applies or none does: if one fails, the file is left unchanged.
- To create a file, make the first edit's `old_string` empty.";

#[async_trait]
impl TypedTool for MultiEditTool {
    type Input = MultiEditInput;

    fn name(&self) -> &str {
        "MultiEdit"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn targets(
        &self,
        input: &MultiEditInput,
        ctx: &ToolContext,
    ) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(vec![ToolTarget::write(
            ctx.resolve_path("file_path", &input.file_path)?,
        )])
    }

    async fn call(
        &self,
        input: MultiEditInput,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        if input.edits.is_empty() {
            return Err(ToolError::respond(
                "`edits` is empty; give at least one edit",
            ));
        }
        let path = ctx.resolve_path("file_path", &input.file_path)?;
        let steps: Vec<EditStep<'_>> = input
            .edits
            .iter()
            .map(|edit| EditStep {
                old_string: &edit.old_string,
                new_string: &edit.new_string,
                mode: ReplaceMode::from_replace_all(edit.replace_all),
            })
            .collect();
        apply_edits(ctx, "MultiEdit", &path, &steps).await
    }
}
