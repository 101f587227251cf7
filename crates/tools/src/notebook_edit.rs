//! `NotebookEdit`: replaces, inserts or deletes one cell of a Jupyter
//! notebook (`cli-core.md` §2.13).

use async_trait::async_trait;
use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::file_io::{check_cancelled, ensure_fresh, read_existing, write_and_record};
use crate::notebook::{CellKind, Notebook};
use crate::text;

/// The kind of cell to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotebookCellType {
    /// A code cell.
    Code,
    /// A markdown cell.
    Markdown,
}

impl From<NotebookCellType> for CellKind {
    fn from(kind: NotebookCellType) -> Self {
        match kind {
            NotebookCellType::Code => Self::Code,
            NotebookCellType::Markdown => Self::Markdown,
        }
    }
}

/// What NotebookEdit does with the cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotebookEditMode {
    /// Replace the cell's source.
    #[default]
    Replace,
    /// Insert a new cell after `cell_id` (at the start when absent).
    Insert,
    /// Delete the cell.
    Delete,
}

/// Input of `NotebookEdit`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotebookEditInput {
    /// The absolute path of the .ipynb file (a relative path is taken from
    /// the working directory).
    pub notebook_path: String,
    /// The id of the cell to change; with `insert`, the cell after which the
    /// new one goes (absent: at the start). A 0-based cell number (`3` or
    /// `cell-3`) is accepted when no cell has that id.
    #[serde(default)]
    pub cell_id: Option<String>,
    /// The cell kind; required for `insert`.
    #[serde(default)]
    pub cell_type: Option<NotebookCellType>,
    /// The new source of the cell (ignored by `delete`).
    pub new_source: String,
    /// `replace` (default), `insert` or `delete`.
    #[serde(default)]
    pub edit_mode: Option<NotebookEditMode>,
}

/// The `NotebookEdit` tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotebookEditTool;

const DESCRIPTION: &str = "\
Changes one cell of a Jupyter notebook (.ipynb).
- The notebook must have been read with Read in this session first.
- `edit_mode` `replace` (default) sets the source of the cell `cell_id`; `insert` adds a new \
cell after `cell_id` (at the start when absent) and needs `cell_type`; `delete` removes the cell \
`cell_id`.
- Replacing a code cell clears its outputs.";

#[async_trait]
impl TypedTool for NotebookEditTool {
    type Input = NotebookEditInput;

    fn name(&self) -> &str {
        "NotebookEdit"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn targets(
        &self,
        input: &NotebookEditInput,
        ctx: &ToolContext,
    ) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(vec![ToolTarget::write(
            ctx.resolve_path("notebook_path", &input.notebook_path)?,
        )])
    }

    async fn call(
        &self,
        input: NotebookEditInput,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let path = ctx.resolve_path("notebook_path", &input.notebook_path)?;
        if path.extension().and_then(|extension| extension.to_str()) != Some("ipynb") {
            return Err(ToolError::respond(format!(
                "{} is not a Jupyter notebook (.ipynb); use Edit for other files",
                path.display()
            )));
        }
        let Some(file) = read_existing(&path).await? else {
            return Err(ToolError::respond(format!(
                "Notebook does not exist: {}",
                path.display()
            )));
        };
        ensure_fresh(ctx, &path, &file)?;
        let decoded = text::decode(&file.bytes).map_err(|error| {
            ToolError::respond(format!("Cannot edit notebook {}: {error}", path.display()))
        })?;
        let mut notebook = Notebook::parse(&decoded.text).map_err(|error| {
            ToolError::respond(format!(
                "{} is not a valid notebook: {error}",
                path.display()
            ))
        })?;
        let find = |notebook: &Notebook, cell_id: &str| {
            notebook
                .find_cell(cell_id)
                .map_err(|error| ToolError::respond(format!("In {}: {error}", path.display())))
        };
        let mode = input.edit_mode.unwrap_or_default();
        let summary = match mode {
            NotebookEditMode::Replace => {
                let cell_id = required_cell_id(&input, "replace")?;
                let index = find(&notebook, cell_id)?;
                notebook.replace_cell(index, &input.new_source, input.cell_type.map(Into::into));
                format!("Updated cell {cell_id}")
            }
            NotebookEditMode::Insert => {
                let Some(kind) = input.cell_type else {
                    return Err(ToolError::respond(
                        "`cell_type` is required when `edit_mode` is insert",
                    ));
                };
                let index = match &input.cell_id {
                    Some(cell_id) => find(&notebook, cell_id)? + 1,
                    None => 0,
                };
                let id = notebook.insert_cell(index, &input.new_source, kind.into());
                match id {
                    Some(id) => format!("Inserted cell {id} at position {index}"),
                    None => format!("Inserted a cell at position {index}"),
                }
            }
            NotebookEditMode::Delete => {
                let cell_id = required_cell_id(&input, "delete")?;
                let index = find(&notebook, cell_id)?;
                notebook.delete_cell(index);
                format!("Deleted cell {cell_id}")
            }
        };
        let json = notebook.to_json().map_err(|error| {
            ToolError::fatal(format!(
                "cannot serialise notebook {}: {error}",
                path.display()
            ))
        })?;
        let bytes = text::encode(
            &text::with_line_ending(&json, decoded.line_ending),
            decoded.encoding,
        );
        check_cancelled(ctx, "NotebookEdit")?;
        write_and_record(ctx, &path, &bytes).await?;
        Ok(ToolOutput::text(
            format!("{summary} in {}", path.display()),
            json!({"success": true, "notebook_path": path.display().to_string()}),
        ))
    }
}

fn required_cell_id<'a>(input: &'a NotebookEditInput, mode: &str) -> Result<&'a str, ToolError> {
    input.cell_id.as_deref().ok_or_else(|| {
        ToolError::respond(format!("`cell_id` is required when `edit_mode` is {mode}"))
    })
}
