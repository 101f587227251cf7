//! `EnterPlanMode` and `ExitPlanMode` (cli-core.md §2.15). Both are
//! questions to the user: they run only after the host approves, then
//! switch the session's mode.

use std::sync::Weak;

use async_trait::async_trait;
use ferrule_permissions::Mode;
use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::core::{Core, lock};
use crate::policy::mode_to_wire;

/// Input of `EnterPlanMode` (none).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct EnterPlanModeInput {}

/// Input of `ExitPlanMode`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ExitPlanModeInput {
    /// The plan to present to the user, in markdown.
    pub plan: String,
}

/// `EnterPlanMode`: asks to switch to plan mode.
pub struct EnterPlanModeTool {
    core: Weak<Core>,
}

/// `ExitPlanMode`: presents the plan and leaves plan mode.
pub struct ExitPlanModeTool {
    core: Weak<Core>,
}

impl EnterPlanModeTool {
    pub(crate) fn new(core: Weak<Core>) -> Self {
        Self { core }
    }
}

impl ExitPlanModeTool {
    pub(crate) fn new(core: Weak<Core>) -> Self {
        Self { core }
    }
}

impl std::fmt::Debug for EnterPlanModeTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnterPlanModeTool")
    }
}

impl std::fmt::Debug for ExitPlanModeTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExitPlanModeTool")
    }
}

fn upgrade(core: &Weak<Core>) -> Result<std::sync::Arc<Core>, ToolError> {
    core.upgrade()
        .ok_or_else(|| ToolError::fatal("the agent that owns this tool is gone"))
}

#[async_trait]
impl TypedTool for EnterPlanModeTool {
    type Input = EnterPlanModeInput;

    fn name(&self) -> &str {
        "EnterPlanMode"
    }

    fn description(&self) -> &str {
        "Asks the user to switch to plan mode: explore and design a solution without changing \
         anything, then present the plan with ExitPlanMode. Use it before large or risky changes."
    }

    fn targets(
        &self,
        _: &EnterPlanModeInput,
        _: &ToolContext,
    ) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, _: EnterPlanModeInput, _: &ToolContext) -> Result<ToolOutput, ToolError> {
        let core = upgrade(&self.core)?;
        lock(&core.permissions).set_mode(Mode::Plan);
        Ok(ToolOutput::text(
            "Plan mode is on. Read and search as needed but change nothing; when the plan is \
             ready, present it with ExitPlanMode.",
            json!({ "mode": "plan" }),
        ))
    }
}

#[async_trait]
impl TypedTool for ExitPlanModeTool {
    type Input = ExitPlanModeInput;

    fn name(&self) -> &str {
        "ExitPlanMode"
    }

    fn description(&self) -> &str {
        "Presents your plan to the user for approval and, once approved, leaves plan mode so \
         that you can carry it out. Use it in plan mode when the plan is complete."
    }

    fn targets(
        &self,
        _: &ExitPlanModeInput,
        _: &ToolContext,
    ) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(
        &self,
        input: ExitPlanModeInput,
        _: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let core = upgrade(&self.core)?;
        let mode = {
            let mut permissions = lock(&core.permissions);
            // An answer with a setMode update already chose the next mode.
            if permissions.mode() == Mode::Plan {
                let next = permissions.mode_before_plan().unwrap_or(Mode::Default);
                permissions.set_mode(next);
            }
            permissions.mode()
        };
        Ok(ToolOutput::text(
            "The user approved your plan. Carry it out now.",
            json!({ "plan": input.plan, "mode": mode_to_wire(mode).as_str() }),
        ))
    }
}
