//! The tools that need the loop: `Agent` (subagents), `AskUserQuestion`,
//! the plan-mode pair and the worktree pair. The builder registers them in the agent's
//! registry unless the host left them out.

mod agent_tool;
mod ask_user;
pub(crate) mod isolation;
mod plan;
pub(crate) mod worktree;

pub use agent_tool::{AgentInput, AgentTool};
pub use ask_user::{AskUserQuestionInput, AskUserQuestionTool, Question, QuestionOption};
pub use plan::{EnterPlanModeInput, EnterPlanModeTool, ExitPlanModeInput, ExitPlanModeTool};
pub use worktree::{
    EnterWorktreeInput, EnterWorktreeTool, ExitAction, ExitWorktreeInput, ExitWorktreeTool,
};
