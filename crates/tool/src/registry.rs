//! The set of tools a session offers, and dispatch by name.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::Value;

use crate::{Tool, ToolContext, ToolError, ToolOutput, ToolSpec, ToolTarget};

/// Why a tool could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// Another tool already has this name.
    #[error("a tool named `{0}` is already registered")]
    DuplicateName(String),
    /// The name is empty or holds characters model APIs refuse.
    #[error(
        "invalid tool name `{0}`: use 1 to 128 ASCII letters, digits, `_` or `-` (MCP tools: `mcp__server__tool`)"
    )]
    InvalidName(String),
}

/// Which tools of a registry stay visible (`--tools`, `tools.exclude`,
/// subagent `tools` / `disallowedTools`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolFilter {
    allowed: Option<BTreeSet<String>>,
    disallowed: BTreeSet<String>,
}

impl ToolFilter {
    /// Keeps every tool.
    pub fn all() -> Self {
        Self::default()
    }

    /// Keeps only the named tools (an empty list keeps none).
    pub fn allow_only<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Removes the named tools; this wins over `allow_only`.
    pub fn deny<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.disallowed.extend(names.into_iter().map(Into::into));
        self
    }

    /// True when a tool called `name` stays visible.
    pub fn keeps(&self, name: &str) -> bool {
        let allowed = self
            .allowed
            .as_ref()
            .is_none_or(|allowed| allowed.contains(name));
        allowed && !self.disallowed.contains(name)
    }
}

/// Tools by name, in registration order.
#[derive(Clone, Default)]
pub struct ToolRegistry {
    tools: Vec<Arc<dyn Tool>>,
}

impl std::fmt::Debug for ToolRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolRegistry")
            .field("tools", &self.names())
            .finish()
    }
}

impl ToolRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tool. Its name must be unique and valid for model APIs.
    pub fn register(&mut self, tool: impl Tool + 'static) -> Result<&mut Self, RegistryError> {
        self.register_arc(Arc::new(tool))
    }

    /// Adds a shared tool.
    pub fn register_arc(&mut self, tool: Arc<dyn Tool>) -> Result<&mut Self, RegistryError> {
        let name = tool.name();
        if !is_valid_name(name) {
            return Err(RegistryError::InvalidName(name.to_owned()));
        }
        if self.get(name).is_some() {
            return Err(RegistryError::DuplicateName(name.to_owned()));
        }
        self.tools.push(tool);
        Ok(self)
    }

    /// The tool called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Tool>> {
        self.tools.iter().find(|tool| tool.name() == name)
    }

    /// The names, in registration order.
    pub fn names(&self) -> Vec<&str> {
        self.tools.iter().map(|tool| tool.name()).collect()
    }

    /// The tools, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Tool>> {
        self.tools.iter()
    }

    /// How many tools there are.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// True when there is no tool.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// The specs the model sees, in registration order.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools.iter().map(|tool| tool.spec()).collect()
    }

    /// A registry holding only the tools `filter` keeps.
    pub fn filtered(&self, filter: &ToolFilter) -> Self {
        Self {
            tools: self
                .tools
                .iter()
                .filter(|tool| filter.keeps(tool.name()))
                .cloned()
                .collect(),
        }
    }

    /// What a call of `name` with `input` would touch.
    pub fn targets(
        &self,
        name: &str,
        input: &Value,
        ctx: &ToolContext,
    ) -> Result<Vec<ToolTarget>, ToolError> {
        self.lookup(name)?.targets(input, ctx)
    }

    /// Runs tool `name` on `input`. An unknown name is an error the model
    /// reads (with the list of tools it can call); a call cancelled through
    /// `ctx` stops at once with a fatal error.
    pub async fn call(
        &self,
        name: &str,
        input: Value,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let tool = self.lookup(name)?;
        if ctx.is_cancelled() {
            return Err(ToolError::cancelled(name));
        }
        tracing::debug!(tool_name = %name, "tool call started");
        let result = tokio::select! {
            biased;
            () = ctx.cancel_token().cancelled() => Err(ToolError::cancelled(name)),
            result = tool.call(input, ctx) => result,
        };
        match &result {
            Ok(_) => tracing::debug!(tool_name = %name, "tool call finished"),
            Err(error) => tracing::debug!(tool_name = %name, %error, "tool call failed"),
        }
        result
    }

    fn lookup(&self, name: &str) -> Result<&Arc<dyn Tool>, ToolError> {
        self.get(name).ok_or_else(|| {
            ToolError::respond(format!(
                "No such tool: `{name}`. Available tools: {}",
                self.names().join(", ")
            ))
        })
    }
}

fn is_valid_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}
