//! The `Tool` trait every built-in, MCP and user tool implements, the
//! context a call runs in, what it returns, and the registry that lists
//! tools for the model and dispatches calls.
//!
//! A tool author usually writes a typed input struct and implements
//! [`TypedTool`]; parsing (with errors naming the bad field) and the JSON
//! Schema come for free:
//!
//! ```
//! use async_trait::async_trait;
//! use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolRegistry, ToolTarget, TypedTool};
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//! use serde_json::json;
//!
//! /// Input of `Add`.
//! #[derive(Deserialize, JsonSchema)]
//! struct AddInput {
//!     /// First term.
//!     a: i64,
//!     /// Second term.
//!     b: i64,
//! }
//!
//! struct Add;
//!
//! #[async_trait]
//! impl TypedTool for Add {
//!     type Input = AddInput;
//!     fn name(&self) -> &str { "Add" }
//!     fn description(&self) -> &str { "Adds two integers." }
//!     fn is_read_only(&self) -> bool { true }
//!     fn targets(&self, _: &AddInput, _: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
//!         Ok(Vec::new())
//!     }
//!     async fn call(&self, input: AddInput, _: &ToolContext) -> Result<ToolOutput, ToolError> {
//!         let sum = input.a.checked_add(input.b).ok_or_else(|| ToolError::respond("overflow"))?;
//!         Ok(ToolOutput::text(sum.to_string(), json!({ "sum": sum })))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut registry = ToolRegistry::new();
//! registry.register(Add)?;
//! let ctx = ToolContext::builder(std::env::current_dir()?).build()?;
//! let out = registry.call("Add", json!({"a": 2, "b": 3}), &ctx).await?;
//! assert_eq!(out.structured, json!({"sum": 5}));
//! let err = registry.call("Add", json!({"a": 2}), &ctx).await.unwrap_err();
//! assert_eq!(err.message(), "Invalid input for Add: missing field `b`");
//! # Ok(())
//! # }
//! ```

mod context;
mod error;
mod file_state;
mod output;
mod registry;
mod target;
mod tool;

pub use context::{ContextError, ToolContext, ToolContextBuilder};
pub use error::ToolError;
pub use file_state::{FileStamp, FileState, Staleness};
pub use output::{Fork, ToolOutput};
pub use registry::{RegistryError, ToolFilter, ToolRegistry};
pub use target::{Access, ToolTarget};
pub use tool::{Tool, ToolSpec, TypedTool, parse_input, schema_for};
