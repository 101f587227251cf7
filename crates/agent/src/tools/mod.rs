//! The tools that need the loop: `Agent` (subagents), `AskUserQuestion`
//! and the plan-mode pair. The builder registers them in the agent's
//! registry unless the host left them out.

mod agent_tool;
mod ask_user;
mod plan;

pub use agent_tool::{AgentInput, AgentTool};
pub use ask_user::{AskUserQuestionInput, AskUserQuestionTool, Question, QuestionOption};
pub use plan::{EnterPlanModeInput, EnterPlanModeTool, ExitPlanModeInput, ExitPlanModeTool};
