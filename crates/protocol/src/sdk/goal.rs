//! The session goal, as `set_goal`, `get_goal` and `system/goal_updated` carry it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::wire::{js_number, js_number_opt, string_enum};

string_enum! {
    /// State of a goal.
    pub enum GoalStatus {
        /// Being worked on.
        Active = "active",
        /// Paused by request.
        Paused = "paused",
        /// Cannot go on without help.
        Blocked = "blocked",
        /// Stopped by a usage limit.
        UsageLimited = "usage_limited",
        /// Stopped by its credit budget.
        BudgetLimited = "budget_limited",
        /// Reached.
        Complete = "complete",
    }
}

/// A goal snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GoalSnapshot {
    /// Goal id.
    pub id: String,
    /// What the goal is.
    pub objective: String,
    /// Its state.
    pub status: GoalStatus,
    /// Turns spent on it.
    #[serde(default)]
    pub turns_used: u64,
    /// Seconds spent on it.
    #[serde(default, serialize_with = "js_number::serialize")]
    pub time_used_seconds: f64,
    /// When it was created, as the CLI writes it.
    #[serde(default)]
    pub created_at: Value,
    /// When it last changed, as the CLI writes it.
    #[serde(default)]
    pub updated_at: Value,
    /// Turn limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_turns: Option<u64>,
    /// Credit budget.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "js_number_opt::serialize"
    )]
    pub credits_budget: Option<f64>,
    /// Credits spent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "js_number_opt::serialize"
    )]
    pub credits_used: Option<f64>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
