//! Token usage of model requests, per request and summed over a query.
//!
//! Field names follow the `usage` object of `assistant` and `result`
//! messages and the camelCase `modelUsage` map (`sdk-protocol.md` §3.5).

use std::ops::AddAssign;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Tokens one model request used, or the sum over several.
///
/// Only `input_tokens` and `output_tokens` are always written; the other
/// counters appear when the provider reports them. Keys this type does not
/// know are kept in [`Usage::extra`] and written back unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Usage {
    /// Tokens of the prompt sent to the model (OpenAI `prompt_tokens`).
    #[serde(default)]
    pub input_tokens: u64,
    /// Tokens the model generated (OpenAI `completion_tokens`).
    #[serde(default)]
    pub output_tokens: u64,
    /// Prompt tokens written to the provider's prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    /// Prompt tokens served from the provider's prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
    /// Cache writes split by cache lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation: Option<CacheCreation>,
    /// Requests made to server-side tools during generation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_tool_use: Option<ServerToolUse>,
    /// Provider service tier the request ran on, e.g. `standard`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// Provider speed setting the request ran with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<String>,
    /// Region the inference ran in, as the provider names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_geo: Option<String>,
    /// Per-iteration usage records, passed through as the provider sent them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<Vec<Value>>,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Usage {
    /// Usage with just the input and output counts.
    pub fn new(input_tokens: u64, output_tokens: u64) -> Self {
        Self {
            input_tokens,
            output_tokens,
            ..Self::default()
        }
    }

    /// Input plus output tokens.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}

/// Sums counters; text fields keep the first value seen, `extra` is kept.
impl AddAssign<&Usage> for Usage {
    fn add_assign(&mut self, other: &Usage) {
        self.input_tokens = self.input_tokens.saturating_add(other.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(other.output_tokens);
        add_optional(
            &mut self.cache_creation_input_tokens,
            other.cache_creation_input_tokens,
        );
        add_optional(
            &mut self.cache_read_input_tokens,
            other.cache_read_input_tokens,
        );
        if let Some(theirs) = other.cache_creation {
            let ours = self
                .cache_creation
                .get_or_insert_with(CacheCreation::default);
            ours.ephemeral_1h_input_tokens = ours
                .ephemeral_1h_input_tokens
                .saturating_add(theirs.ephemeral_1h_input_tokens);
            ours.ephemeral_5m_input_tokens = ours
                .ephemeral_5m_input_tokens
                .saturating_add(theirs.ephemeral_5m_input_tokens);
        }
        if let Some(theirs) = other.server_tool_use {
            let ours = self
                .server_tool_use
                .get_or_insert_with(ServerToolUse::default);
            ours.web_search_requests = ours
                .web_search_requests
                .saturating_add(theirs.web_search_requests);
            ours.web_fetch_requests = ours
                .web_fetch_requests
                .saturating_add(theirs.web_fetch_requests);
        }
        if self.service_tier.is_none() {
            self.service_tier.clone_from(&other.service_tier);
        }
        if self.speed.is_none() {
            self.speed.clone_from(&other.speed);
        }
        if self.inference_geo.is_none() {
            self.inference_geo.clone_from(&other.inference_geo);
        }
    }
}

fn add_optional(ours: &mut Option<u64>, theirs: Option<u64>) {
    if let Some(theirs) = theirs {
        let sum = ours.unwrap_or(0).saturating_add(theirs);
        *ours = Some(sum);
    }
}

/// Prompt-cache writes by cache lifetime.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CacheCreation {
    /// Tokens written to the one-hour cache.
    #[serde(default)]
    pub ephemeral_1h_input_tokens: u64,
    /// Tokens written to the five-minute cache.
    #[serde(default)]
    pub ephemeral_5m_input_tokens: u64,
}

/// Counts of server-side tool requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ServerToolUse {
    /// Web searches the provider ran.
    #[serde(default)]
    pub web_search_requests: u64,
    /// Web fetches the provider ran.
    #[serde(default)]
    pub web_fetch_requests: u64,
}

/// Usage of one model over a query: a value of the `result` message's
/// `modelUsage` map, keyed by model name. Keys are camelCase on the wire.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelUsage {
    /// Prompt tokens.
    #[serde(default)]
    pub input_tokens: u64,
    /// Generated tokens.
    #[serde(default)]
    pub output_tokens: u64,
    /// Prompt tokens served from cache.
    #[serde(default)]
    pub cache_read_input_tokens: u64,
    /// Prompt tokens written to cache.
    #[serde(default)]
    pub cache_creation_input_tokens: u64,
    /// Web searches run for this model.
    #[serde(default)]
    pub web_search_requests: u64,
    /// Cost in US dollars; `0` when unknown.
    #[serde(
        default,
        rename = "costUSD",
        serialize_with = "crate::wire::js_number::serialize"
    )]
    pub cost_usd: f64,
    /// Context window of the model in tokens; `0` when unknown.
    #[serde(default)]
    pub context_window: u64,
    /// Output token limit of the model; `0` when unknown.
    #[serde(default)]
    pub max_output_tokens: u64,
    /// Keys not listed above, kept for forward compatibility.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn adding_usage_sums_counters_and_keeps_absent_ones_absent() {
        let mut total = Usage::new(10, 2);
        total += &Usage {
            cache_read_input_tokens: Some(4),
            ..Usage::new(5, 1)
        };
        assert_eq!(
            total,
            Usage {
                cache_read_input_tokens: Some(4),
                ..Usage::new(15, 3)
            }
        );
        assert_eq!(total.total_tokens(), 18);
    }

    #[test]
    fn model_usage_uses_camel_case_and_cost_usd_key() {
        let usage = ModelUsage {
            input_tokens: 1,
            cost_usd: 0.5,
            ..ModelUsage::default()
        };
        assert_eq!(
            serde_json::to_value(&usage).unwrap(),
            json!({
                "inputTokens": 1, "outputTokens": 0, "cacheReadInputTokens": 0,
                "cacheCreationInputTokens": 0, "webSearchRequests": 0, "costUSD": 0.5,
                "contextWindow": 0, "maxOutputTokens": 0
            })
        );
    }

    #[test]
    fn unknown_usage_keys_survive_a_round_trip() {
        let value = json!({"input_tokens": 1, "output_tokens": 2, "reasoning_tokens": 7});
        let usage: Usage = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(usage.extra.get("reasoning_tokens"), Some(&json!(7)));
        assert_eq!(serde_json::to_value(&usage).unwrap(), value);
    }
}
