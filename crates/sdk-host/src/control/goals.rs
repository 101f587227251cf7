//! Goal requests (`set_goal`, `get_goal`, `clear_goal`, TypeScript's
//! `set_goal_max_turns` and `resume_goal`); the loop is in `goal.rs`.

use ferrule_protocol::sdk::{GoalStatus, SetGoalRequest};
use serde_json::{Map, Value, json};

use super::with_ready;
use crate::goal::{announce, announce_cleared, continue_if_idle, new_goal, now_ms};
use crate::host::{Shared, lock};

/// `set_goal`: create (with an objective, when there is no goal or the old
/// one is complete), redirect (a new objective), transition (`status`) or
/// re-budget (`credits_budget`). Activating it while idle starts the loop.
pub(super) fn set_goal(shared: &Shared, request: &SetGoalRequest) -> Result<Value, String> {
    with_ready(shared, |_| ())?;
    let status = match request.status.as_deref() {
        Some(text) => match GoalStatus::from(text.to_owned()) {
            GoalStatus::Other(_) => {
                return Err(format!(
                    "set_goal: unknown status `{text}` (active, paused, blocked, usage_limited, budget_limited, complete)"
                ));
            }
            status => Some(status),
        },
        None => None,
    };
    if let Some(budget) = request.credits_budget
        && !(budget.is_finite() && budget >= 0.0)
    {
        return Err(format!(
            "set_goal: credits_budget must be a number ≥ 0, got {budget}"
        ));
    }
    let goal = {
        let mut book = lock(&shared.goals);
        let max_turns = book.new_goal_max_turns();
        let fresh = book
            .goal
            .as_ref()
            .is_none_or(|goal| goal.status == GoalStatus::Complete);
        match (&request.objective, book.goal.as_mut()) {
            (Some(objective), _) if objective.trim().is_empty() => {
                return Err("set_goal: the objective is empty".to_owned());
            }
            (Some(objective), Some(goal)) if !fresh => goal.objective.clone_from(objective),
            (Some(objective), _) => {
                let goal = new_goal(objective.clone(), max_turns, request.credits_budget);
                book.goal = Some(goal);
            }
            (None, None) => {
                return Err("set_goal: there is no goal yet; give an objective".to_owned());
            }
            (None, Some(_)) => {}
        }
        let Some(goal) = book.goal.as_mut() else {
            return Err("set_goal: there is no goal".to_owned());
        };
        if let Some(budget) = request.credits_budget {
            goal.credits_budget = Some(budget);
        }
        if let Some(status) = status {
            goal.status = status;
        }
        goal.updated_at = now_ms();
        goal.clone()
    };
    announce(shared, &goal, None);
    continue_if_idle(shared);
    Ok(json!({ "goal": goal }))
}

pub(super) fn get_goal(shared: &Shared) -> Result<Value, String> {
    with_ready(shared, |_| ())?;
    Ok(json!({ "goal": lock(&shared.goals).goal }))
}

pub(super) fn clear_goal(shared: &Shared) -> Result<Value, String> {
    with_ready(shared, |_| ())?;
    let cleared = lock(&shared.goals).goal.take();
    if let Some(goal) = &cleared {
        announce_cleared(shared, &goal.id);
    }
    Ok(json!({ "cleared": cleared.is_some() }))
}

/// `set_goal_max_turns` (`{max_turns: number|null}` → `{goal_max_turns}`):
/// the limit copied into goals created later; `null` restores the default.
pub(super) fn set_goal_max_turns(
    shared: &Shared,
    request: &Map<String, Value>,
) -> Result<Value, String> {
    with_ready(shared, |_| ())?;
    let limit = match request.get("max_turns") {
        None | Some(Value::Null) => None,
        Some(value) => match value.as_u64() {
            Some(n) if n > 0 => Some(n),
            _ => {
                return Err(format!(
                    "set_goal_max_turns: max_turns must be a whole number ≥ 1 or null, got {value}"
                ));
            }
        },
    };
    let mut book = lock(&shared.goals);
    book.max_turns = limit;
    Ok(json!({ "goal_max_turns": book.new_goal_max_turns() }))
}

/// `resume_goal`: a paused, blocked or limited goal becomes active again
/// (its turn count starts over when it had reached its limit).
pub(super) fn resume_goal(shared: &Shared) -> Result<Value, String> {
    with_ready(shared, |_| ())?;
    let goal = {
        let mut book = lock(&shared.goals);
        let Some(goal) = book.goal.as_mut() else {
            return Err("resume_goal: there is no goal".to_owned());
        };
        if goal.status == GoalStatus::Complete {
            return Err("resume_goal: the goal is complete; set a new one".to_owned());
        }
        if goal.max_turns.is_some_and(|max| goal.turns_used >= max) {
            goal.turns_used = 0;
        }
        goal.status = GoalStatus::Active;
        goal.updated_at = now_ms();
        goal.clone()
    };
    announce(shared, &goal, Some("resumed"));
    continue_if_idle(shared);
    Ok(json!({ "goal": goal }))
}
