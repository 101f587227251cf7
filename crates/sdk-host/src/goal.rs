//! The session goal (`goal_v1`, `goal_max_turns_v1`, `goal_resume_v1`):
//! an objective the agent keeps working toward across turns.
//!
//! While a goal is `active` and no user message is waiting, the turn
//! runner queues a continuation prompt after each turn, naming the
//! objective and asking the model to end its reply with `GOAL COMPLETE`
//! once the objective is met (or `GOAL BLOCKED: <why>` when it cannot go
//! on without the user). The loop stops when the model says so, when the
//! goal's turn limit or credit budget is reached (status `paused` with
//! reason `max_turns`, or `budget_limited`), when a turn fails (`blocked`)
//! or is interrupted (`paused`), or when stdin closes. Every change is a
//! `system/goal_updated` line; clearing is `system/goal_cleared`.

use ferrule_protocol::sdk::{
    GoalClearedMessage, GoalSnapshot, GoalStatus, GoalUpdatedMessage, ResultMessage, StreamMessage,
    SystemMessage, UserStreamMessage,
};
use ferrule_protocol::{Message, TurnOutcome};
use serde_json::{Map, Value};

use crate::host::{Shared, lock};
use crate::queue::QueuedTurn;

/// Turns a new goal may take when nobody set a limit.
pub(crate) const DEFAULT_GOAL_MAX_TURNS: u64 = 20;

/// The line that tells the host the objective is met.
const COMPLETE_MARK: &str = "GOAL COMPLETE";
/// The start of the line that tells the host the model is stuck.
const BLOCKED_MARK: &str = "GOAL BLOCKED";

/// The goal and the limit new goals get.
#[derive(Debug, Default)]
pub(crate) struct GoalBook {
    pub(crate) goal: Option<GoalSnapshot>,
    /// `goalMaxTurns` of `initialize` or `set_goal_max_turns`.
    pub(crate) max_turns: Option<u64>,
}

impl GoalBook {
    /// The turn limit copied into new goals.
    pub(crate) fn new_goal_max_turns(&self) -> u64 {
        self.max_turns.unwrap_or(DEFAULT_GOAL_MAX_TURNS)
    }
}

/// Milliseconds since the epoch, as goal timestamps are written.
pub(crate) fn now_ms() -> Value {
    Value::from(jiff::Timestamp::now().as_millisecond())
}

/// A new active goal.
pub(crate) fn new_goal(objective: String, max_turns: u64, budget: Option<f64>) -> GoalSnapshot {
    let now = now_ms();
    GoalSnapshot {
        id: uuid::Uuid::new_v4().to_string(),
        objective,
        status: GoalStatus::Active,
        turns_used: 0,
        time_used_seconds: 0.0,
        created_at: now.clone(),
        updated_at: now,
        max_turns: Some(max_turns),
        credits_budget: budget,
        credits_used: Some(0.0),
        extra: Map::new(),
    }
}

/// Writes `system/goal_updated` for `goal`.
pub(crate) fn announce(shared: &Shared, goal: &GoalSnapshot, reason: Option<&str>) {
    let line = GoalUpdatedMessage {
        goal: goal.clone(),
        reason: reason.map(str::to_owned),
        uuid: Some(uuid::Uuid::new_v4().to_string()),
        session_id: session_id(shared),
        extra: Map::new(),
    };
    shared
        .outbox
        .send(&StreamMessage::System(SystemMessage::GoalUpdated(line)));
}

/// Writes `system/goal_cleared` for the goal `id`.
pub(crate) fn announce_cleared(shared: &Shared, id: &str) {
    let line = GoalClearedMessage {
        goal_id: id.to_owned(),
        reason: None,
        uuid: Some(uuid::Uuid::new_v4().to_string()),
        session_id: session_id(shared),
        extra: Map::new(),
    };
    shared
        .outbox
        .send(&StreamMessage::System(SystemMessage::GoalCleared(line)));
}

fn session_id(shared: &Shared) -> Option<String> {
    lock(&shared.ready)
        .as_ref()
        .map(|ready| ready.session_id.clone())
}

/// Queues the next goal turn when the goal is active, the session is idle
/// (nothing queued) and stdin is still open.
pub(crate) fn continue_if_idle(shared: &Shared) {
    let objective = match &lock(&shared.goals).goal {
        Some(goal) if goal.status == GoalStatus::Active => goal.objective.clone(),
        _ => return,
    };
    if shared.queue.is_closed() || !shared.queue.uuids().is_empty() {
        return;
    }
    if lock(&shared.running).is_some() {
        // The runner calls this again when the turn ends.
        return;
    }
    let prompt = format!(
        "Keep working toward this goal: {objective}\n\nWhen the goal is fully met, end your reply with a line saying {COMPLETE_MARK}. If you cannot go on without the user, end it with a line saying {BLOCKED_MARK}: and the reason."
    );
    let uuid = uuid::Uuid::new_v4().to_string();
    let mut message = UserStreamMessage::new(Message::user(prompt));
    message.uuid = Some(uuid.clone());
    shared.queue.push(QueuedTurn { uuid, message }, false);
}

/// Accounts one finished turn to the active goal and decides whether it
/// goes on.
pub(crate) fn after_turn(shared: &Shared, outcome: TurnOutcome, line: &ResultMessage) {
    let update = {
        let mut book = lock(&shared.goals);
        let Some(goal) = book.goal.as_mut() else {
            return;
        };
        if goal.status != GoalStatus::Active {
            return;
        }
        goal.turns_used += 1;
        goal.time_used_seconds += line.duration_ms as f64 / 1000.0;
        let credits = goal.credits_used.unwrap_or(0.0) + line.total_cost_usd;
        goal.credits_used = Some(credits);
        goal.updated_at = now_ms();
        let text = line.result.as_deref().unwrap_or_default();
        let (status, reason) = next_status(goal, outcome, text);
        goal.status = status;
        (goal.clone(), reason)
    };
    announce(shared, &update.0, update.1.as_deref());
    continue_if_idle(shared);
}

/// The status after a turn, with the reason when it is not `active`.
fn next_status(
    goal: &GoalSnapshot,
    outcome: TurnOutcome,
    text: &str,
) -> (GoalStatus, Option<String>) {
    match outcome {
        TurnOutcome::Interrupted => return (GoalStatus::Paused, Some("interrupted".into())),
        TurnOutcome::Failed | TurnOutcome::MaxTurns => {
            return (GoalStatus::Blocked, Some(format!("the turn ended: {text}")));
        }
        TurnOutcome::MaxBudget => return (GoalStatus::BudgetLimited, Some("max_budget".into())),
        _ => {}
    }
    for line in text.lines().map(str::trim) {
        if line.trim_end_matches('.') == COMPLETE_MARK {
            return (GoalStatus::Complete, Some("complete".into()));
        }
        if let Some(why) = line.strip_prefix(BLOCKED_MARK) {
            let why = why.trim_start_matches(':').trim();
            return (GoalStatus::Blocked, Some(why.to_owned()));
        }
    }
    if let (Some(budget), Some(used)) = (goal.credits_budget, goal.credits_used)
        && used >= budget
    {
        return (GoalStatus::BudgetLimited, Some("credits_budget".into()));
    }
    if let Some(max) = goal.max_turns
        && goal.turns_used >= max
    {
        return (GoalStatus::Paused, Some("max_turns".into()));
    }
    (GoalStatus::Active, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_ends_or_blocks_the_goal_and_limits_pause_it() {
        let mut goal = new_goal("ship it".into(), 2, Some(1.0));
        let done = next_status(&goal, TurnOutcome::Completed, "all done\nGOAL COMPLETE");
        assert_eq!(done.0, GoalStatus::Complete);
        let stuck = next_status(&goal, TurnOutcome::Completed, "GOAL BLOCKED: need a key");
        assert_eq!(stuck, (GoalStatus::Blocked, Some("need a key".into())));
        assert_eq!(
            next_status(&goal, TurnOutcome::Completed, "working").0,
            GoalStatus::Active
        );
        goal.turns_used = 2;
        assert_eq!(
            next_status(&goal, TurnOutcome::Completed, "working"),
            (GoalStatus::Paused, Some("max_turns".into()))
        );
        goal.credits_used = Some(1.5);
        assert_eq!(
            next_status(&goal, TurnOutcome::Completed, "working").0,
            GoalStatus::BudgetLimited
        );
        assert_eq!(
            next_status(&goal, TurnOutcome::Interrupted, "").0,
            GoalStatus::Paused
        );
    }
}
