//! Background hooks at the end of a print-mode run: the run waits for
//! them, and an `asyncRewake` hook that exited 2 wakes the model for one
//! more turn with its reminder (cli-core.md §5.2).

use ferrule_agent::{Agent, EventSink, MAX_WAKE_TURNS, TurnResult, UserInput};
use ferrule_protocol::TurnOutcome;

/// Waits for the background hooks `result`'s run started; while
/// `asyncRewake` hooks ask to wake the model, runs a turn with their
/// reminders. The result of the last turn.
pub(super) async fn settle(
    agent: &mut Agent,
    sink: &dyn EventSink,
    mut result: TurnResult,
) -> TurnResult {
    let controls = agent.controls();
    for _ in 0..MAX_WAKE_TURNS {
        if result.outcome == TurnOutcome::Interrupted {
            break;
        }
        let wake = controls.settle_background_hooks().await;
        if wake.is_empty() {
            return result;
        }
        tracing::info!(hooks = wake.len(), "background hooks woke the model");
        result = agent.run(UserInput::text(wake.join("\n\n")), sink).await;
    }
    result
}
