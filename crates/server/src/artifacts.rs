//! `DeliverArtifacts`: the agent hands files of its working directory to
//! the user as downloadable, session-scoped files (`cloud-api.md` §8).

use async_trait::async_trait;
use ferrule_tool::{Tool, ToolContext, ToolError, ToolOutput, ToolTarget};
use serde_json::{Map, Value, json};

use crate::app::AppState;

/// The tool, bound to one session.
pub(crate) struct DeliverArtifacts {
    pub(crate) state: AppState,
    pub(crate) session_id: String,
}

#[async_trait]
impl Tool for DeliverArtifacts {
    fn name(&self) -> &str {
        "DeliverArtifacts"
    }

    fn description(&self) -> &str {
        "Deliver files you produced in the working directory to the user as downloadable artifacts. \
         Pass their paths (relative to the working directory or absolute inside it)."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {"paths": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                                     "description": "Files to deliver"}},
            "required": ["paths"],
            "additionalProperties": false
        })
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn targets(&self, _input: &Value, _ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, input: Value, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let paths: Vec<&str> = input["paths"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if paths.is_empty() {
            return Err(ToolError::respond("`paths` must list at least one file."));
        }
        let mut delivered = Vec::new();
        for raw in paths {
            let path = ctx.resolve_path("paths", raw)?;
            let bytes = tokio::fs::read(&path)
                .await
                .map_err(|e| ToolError::respond(format!("cannot read {}: {e}", path.display())))?;
            if bytes.len() > crate::files::MAX_FILE {
                return Err(ToolError::respond(format!(
                    "{} exceeds 5 MB",
                    path.display()
                )));
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "artifact".into());
            let file = crate::files::insert(
                &self.state,
                &name,
                "application/octet-stream",
                &bytes,
                Map::new(),
                Some(&self.session_id),
            )
            .await
            .map_err(|e| ToolError::respond(e.message))?;
            delivered.push(file);
        }
        let text = delivered
            .iter()
            .map(|f| {
                format!(
                    "Delivered {} as {}",
                    f["filename"].as_str().unwrap_or(""),
                    f["id"].as_str().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        Ok(ToolOutput::text(text, json!({"files": delivered})))
    }
}
