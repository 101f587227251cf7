//! The `result` line that ends every turn (`sdk-protocol.md` §3.5).

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::sdk::permission::PermissionDenial;
use crate::stop_reason::StopReason;
use crate::usage::{ModelUsage, Usage};
use crate::wire::{js_number, js_number_opt, nullable};

/// A `result` line: the end of a turn, success or failure.
///
/// The Python SDK requires `subtype`, `duration_ms`, `duration_api_ms`,
/// `is_error`, `num_turns` and `session_id`. `total_cost_usd`, `usage`,
/// `modelUsage` and `permission_denials` are TypeScript-required; they
/// default when absent and are always written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResultMessage {
    /// How the turn ended.
    pub subtype: ResultSubtype,
    /// True for every error subtype (and for API failures under `success`).
    pub is_error: bool,
    /// Wall time of the turn in milliseconds.
    pub duration_ms: u64,
    /// Time spent in model requests, in milliseconds.
    pub duration_api_ms: u64,
    /// Model round trips in this query.
    pub num_turns: u64,
    /// The CLI's session id.
    pub session_id: String,
    /// Success: the final assistant text. Errors: a readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Error subtypes: one message per error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<String>>,
    /// Stop reason of the last model response; `null` when there was none.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    #[schemars(with = "Option<StopReason>")]
    pub stop_reason: Option<Option<StopReason>>,
    /// Cost of the query in US dollars; `0` when unknown.
    #[serde(default, serialize_with = "js_number::serialize")]
    pub total_cost_usd: f64,
    /// Tokens used over the whole query.
    #[serde(default)]
    pub usage: Usage,
    /// Tokens used per model, keyed by model name.
    #[serde(default, rename = "modelUsage")]
    pub model_usage: BTreeMap<String, ModelUsage>,
    /// Every tool call refused during the query.
    #[serde(default)]
    pub permission_denials: Vec<PermissionDenial>,
    /// Fresh id of this line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Machine-readable cause of the end, e.g. `max_turns`, `aborted_streaming`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_reason: Option<String>,
    /// Qoder credits spent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "js_number_opt::serialize"
    )]
    pub total_credits: Option<f64>,
    /// Numeric error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ResultMessage {
    /// A result with `subtype`, the required fields, and everything else empty.
    pub fn new(subtype: ResultSubtype, session_id: impl Into<String>) -> Self {
        Self {
            is_error: subtype.is_error(),
            subtype,
            duration_ms: 0,
            duration_api_ms: 0,
            num_turns: 0,
            session_id: session_id.into(),
            result: None,
            errors: None,
            stop_reason: None,
            total_cost_usd: 0.0,
            usage: Usage::default(),
            model_usage: BTreeMap::new(),
            permission_denials: Vec::new(),
            uuid: None,
            terminal_reason: None,
            total_credits: None,
            error_code: None,
            extra: Map::new(),
        }
    }
}

/// The `subtype` of a result. Unknown values are kept in [`ResultSubtype::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(from = "String", into = "String")]
#[schemars(with = "String")]
#[non_exhaustive]
pub enum ResultSubtype {
    /// The turn finished (`success`).
    Success,
    /// The turn failed: model error, interrupt, tool loop failure (`error_during_execution`).
    ErrorDuringExecution,
    /// `--max-turns` was reached (`error_max_turns`).
    ErrorMaxTurns,
    /// The cost budget was used up (`error_max_budget_usd`).
    ErrorMaxBudgetUsd,
    /// Structured output failed too often (`error_max_structured_output_retries`).
    ErrorMaxStructuredOutputRetries,
    /// Any other subtype, verbatim.
    Other(String),
}

impl ResultSubtype {
    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Success => "success",
            Self::ErrorDuringExecution => "error_during_execution",
            Self::ErrorMaxTurns => "error_max_turns",
            Self::ErrorMaxBudgetUsd => "error_max_budget_usd",
            Self::ErrorMaxStructuredOutputRetries => "error_max_structured_output_retries",
            Self::Other(other) => other,
        }
    }

    /// Whether this subtype reports an error (every subtype but `success`).
    pub fn is_error(&self) -> bool {
        !matches!(self, Self::Success)
    }
}

impl From<String> for ResultSubtype {
    fn from(value: String) -> Self {
        match value.as_str() {
            "success" => Self::Success,
            "error_during_execution" => Self::ErrorDuringExecution,
            "error_max_turns" => Self::ErrorMaxTurns,
            "error_max_budget_usd" => Self::ErrorMaxBudgetUsd,
            "error_max_structured_output_retries" => Self::ErrorMaxStructuredOutputRetries,
            _ => Self::Other(value),
        }
    }
}

impl From<ResultSubtype> for String {
    fn from(value: ResultSubtype) -> Self {
        match value {
            ResultSubtype::Other(other) => other,
            known => known.as_str().to_owned(),
        }
    }
}

impl fmt::Display for ResultSubtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
