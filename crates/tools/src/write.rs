//! `Write`: creates or overwrites a file (`cli-core.md` §2.3).

use async_trait::async_trait;
use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::file_io::{check_cancelled, ensure_fresh, read_existing, write_and_record};
use crate::text;

/// Input of `Write`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteInput {
    /// The absolute path of the file to write (a relative path is taken from
    /// the working directory).
    pub file_path: String,
    /// The whole new content of the file.
    pub content: String,
}

/// The `Write` tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteTool;

const DESCRIPTION: &str = "\
Writes a file to the local filesystem, replacing it if it exists.
- `file_path` should be an absolute path; missing parent directories are created.
- An existing file must have been read with Read in this session first, and must not have \
changed since.
- The existing file's line endings (LF or CRLF) and encoding (UTF-8, UTF-8 with BOM, UTF-16) are \
kept.
- Prefer Edit for changing part of an existing file.";

#[async_trait]
impl TypedTool for WriteTool {
    type Input = WriteInput;

    fn name(&self) -> &str {
        "Write"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn targets(&self, input: &WriteInput, ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(vec![ToolTarget::write(
            ctx.resolve_path("file_path", &input.file_path)?,
        )])
    }

    async fn call(&self, input: WriteInput, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let path = ctx.resolve_path("file_path", &input.file_path)?;
        let existing = read_existing(&path).await?;
        let (bytes, message) = match &existing {
            Some(file) => {
                ensure_fresh(ctx, &path, file)?;
                let updated = format!("The file {} has been updated.", path.display());
                match text::decode(&file.bytes) {
                    Ok(old) => (
                        text::encode(
                            &text::with_line_ending(&input.content, old.line_ending),
                            old.encoding,
                        ),
                        updated,
                    ),
                    // Not text we can re-encode: the new content goes as UTF-8,
                    // and the model is told so.
                    Err(error) => (
                        input.content.clone().into_bytes(),
                        format!(
                            "{updated} The old content was not UTF-8 or UTF-16 text ({error}); \
                             the file is now UTF-8."
                        ),
                    ),
                }
            }
            None => (
                input.content.clone().into_bytes(),
                format!("File created successfully at: {}", path.display()),
            ),
        };
        check_cancelled(ctx, "Write")?;
        write_and_record(ctx, &path, &bytes).await?;
        Ok(ToolOutput::text(
            message,
            json!({
                "success": true,
                "file_path": path.display().to_string(),
                "bytesWritten": bytes.len(),
            }),
        ))
    }
}
