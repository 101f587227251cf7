//! A tool output that forks ([`ToolOutput::fork`], a skill with `context:
//! fork`): its task runs as a subagent, and the subagent's report answers
//! the call. The skill's `model` and `effort` go to that subagent instead
//! of the rest of the turn. The pipeline has already made its
//! `allowed-tools` session rules, so the subagent's calls have them.

use ferrule_protocol::TurnSummary;
use ferrule_tool::{ToolContext, ToolError, ToolOutput};
use serde_json::Value;

use crate::subagent::{Overrides, run_input_for_call};
use crate::tools::AgentInput;
use crate::turn::Turn;

/// Runs `output`'s fork for call `tool_use_id` and returns what answers
/// the call; an output without a fork, or one inside a subagent (which
/// never starts subagents), comes back as it was.
pub(crate) async fn run(
    turn: &Turn<'_>,
    tool_use_id: &str,
    mut output: ToolOutput,
    ctx: &ToolContext,
) -> (Result<ToolOutput, ToolError>, Option<TurnSummary>) {
    if turn.scope.is_subagent() {
        output.fork = None;
        return (Ok(output), None);
    }
    let Some(fork) = output.fork.take() else {
        return (Ok(output), None);
    };
    let input = AgentInput {
        description: fork.description,
        prompt: fork.prompt,
        subagent_type: fork.agent,
        timeout_ms: None,
    };
    let overrides = Overrides {
        model: output.model.take(),
        effort: output.effort.take(),
    };
    let kind = input.kind().to_owned();
    let (result, summary) = run_input_for_call(turn, tool_use_id, &input, overrides, ctx).await;
    let result = result.map(|report| {
        let text = report.text_content();
        let mut structured = output.structured;
        if let Value::Object(fields) = &mut structured {
            fields.insert("agent".to_owned(), Value::String(kind.clone()));
            fields.insert("result".to_owned(), Value::String(text.clone()));
        }
        ToolOutput::text(
            format!("The skill ran as a {kind} subagent (context: fork). Its report:\n\n{text}"),
            structured,
        )
    });
    (result, summary)
}
