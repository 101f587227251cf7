//! A session in a temporary directory with the built-in tools registered.

use std::path::PathBuf;

use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolRegistry};
use ferrule_tools::{BuiltinOptions, Extensions, builtin_tools};
use serde_json::Value;

pub(crate) struct Session {
    /// Kept so the directory lives as long as the session.
    _dir: tempfile::TempDir,
    pub(crate) ctx: ToolContext,
    pub(crate) registry: ToolRegistry,
}

impl Session {
    pub(crate) fn new() -> Self {
        Self::with_options(&BuiltinOptions::default().extensions(Extensions::Include))
    }

    pub(crate) fn with_options(options: &BuiltinOptions) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ToolContext::builder(dir.path()).build().unwrap();
        let mut registry = ToolRegistry::new();
        for tool in builtin_tools(options) {
            registry.register_arc(tool).unwrap();
        }
        Self {
            _dir: dir,
            ctx,
            registry,
        }
    }

    /// The canonical root of the session's directory.
    pub(crate) fn root(&self) -> PathBuf {
        self.ctx.cwd().to_path_buf()
    }

    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.root().join(relative)
    }

    pub(crate) fn path_str(&self, relative: &str) -> String {
        self.path(relative).display().to_string()
    }

    pub(crate) fn write_file(&self, relative: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, bytes).unwrap();
        path
    }

    pub(crate) fn file_bytes(&self, relative: &str) -> Vec<u8> {
        std::fs::read(self.path(relative)).unwrap()
    }

    pub(crate) async fn call(&self, tool: &str, input: Value) -> Result<ToolOutput, ToolError> {
        self.registry.call(tool, input, &self.ctx).await
    }

    /// Reads `relative` with the Read tool so that Write/Edit may change it.
    pub(crate) async fn read(&self, relative: &str) -> ToolOutput {
        self.read_result(relative).await.unwrap()
    }

    pub(crate) async fn read_result(&self, relative: &str) -> Result<ToolOutput, ToolError> {
        self.call(
            "Read",
            serde_json::json!({ "file_path": self.path_str(relative) }),
        )
        .await
    }
}

/// The message of a call that must fail with an error for the model.
pub(crate) fn model_error(result: Result<ToolOutput, ToolError>) -> String {
    match result {
        Ok(output) => panic!("expected an error, got {output:?}"),
        Err(ToolError::RespondToModel(message)) => message,
        Err(error @ ToolError::Fatal(_)) => panic!("expected a model error, got {error:?}"),
    }
}
