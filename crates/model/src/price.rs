//! What a request costs, and how large a model's windows are.
//!
//! The built-in table holds the public list prices (US dollars per million
//! tokens) and window sizes of common models as published by OpenAI and
//! Anthropic in late 2025. It is an approximation for accounting, not a
//! bill: prices change, batch and priority tiers differ, and local models
//! cost nothing here. Settings `modelPrices` add or replace entries.
//!
//! Entries match by prefix of the model part of the name, longest first, so
//! `claude-sonnet-4-5-20250929` uses the `claude-sonnet-4-5` entry.

use std::collections::BTreeMap;

use ferrule_protocol::{ModelUsage, Usage};
use serde::{Deserialize, Serialize};

use crate::resolve::Provider;

/// Prices of one model, in US dollars per million tokens, and its windows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    /// Uncached input tokens.
    pub input: f64,
    /// Output tokens.
    pub output: f64,
    /// Input tokens read from the prompt cache; `input` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read: Option<f64>,
    /// Input tokens written to the prompt cache; `input` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
    /// Context window in tokens, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// Output token limit, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
}

/// Prices by model-name prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTable {
    entries: BTreeMap<String, Price>,
}

const fn price(
    input: f64,
    output: f64,
    cache_read: f64,
    cache_write: Option<f64>,
    context_window: u64,
    max_output_tokens: u64,
) -> Price {
    Price {
        input,
        output,
        cache_read: Some(cache_read),
        cache_write,
        context_window: Some(context_window),
        max_output_tokens: Some(max_output_tokens),
    }
}

/// The built-in list (see the module docs for what it is worth).
const BUILTIN: &[(&str, Price)] = &[
    (
        "claude-opus-4-5",
        price(5.0, 25.0, 0.5, Some(6.25), 200_000, 64_000),
    ),
    (
        "claude-opus-4",
        price(15.0, 75.0, 1.5, Some(18.75), 200_000, 32_000),
    ),
    (
        "claude-sonnet-4",
        price(3.0, 15.0, 0.3, Some(3.75), 200_000, 64_000),
    ),
    (
        "claude-3-7-sonnet",
        price(3.0, 15.0, 0.3, Some(3.75), 200_000, 64_000),
    ),
    (
        "claude-haiku-4-5",
        price(1.0, 5.0, 0.1, Some(1.25), 200_000, 64_000),
    ),
    (
        "claude-3-5-haiku",
        price(0.8, 4.0, 0.08, Some(1.0), 200_000, 8_192),
    ),
    ("gpt-5", price(1.25, 10.0, 0.125, None, 400_000, 128_000)),
    (
        "gpt-5-mini",
        price(0.25, 2.0, 0.025, None, 400_000, 128_000),
    ),
    (
        "gpt-5-nano",
        price(0.05, 0.4, 0.005, None, 400_000, 128_000),
    ),
    ("gpt-4.1", price(2.0, 8.0, 0.5, None, 1_047_576, 32_768)),
    (
        "gpt-4.1-mini",
        price(0.4, 1.6, 0.1, None, 1_047_576, 32_768),
    ),
    (
        "gpt-4.1-nano",
        price(0.1, 0.4, 0.025, None, 1_047_576, 32_768),
    ),
    ("gpt-4o", price(2.5, 10.0, 1.25, None, 128_000, 16_384)),
    (
        "gpt-4o-mini",
        price(0.15, 0.6, 0.075, None, 128_000, 16_384),
    ),
    ("o3", price(2.0, 8.0, 0.5, None, 200_000, 100_000)),
    ("o4-mini", price(1.1, 4.4, 0.275, None, 200_000, 100_000)),
];

impl Default for PriceTable {
    fn default() -> Self {
        Self::builtin()
    }
}

impl PriceTable {
    /// The built-in table.
    pub fn builtin() -> Self {
        Self {
            entries: BUILTIN
                .iter()
                .map(|(prefix, price)| ((*prefix).to_owned(), *price))
                .collect(),
        }
    }

    /// An empty table: every model costs 0.
    pub fn empty() -> Self {
        Self {
            entries: BTreeMap::new(),
        }
    }

    /// Adds or replaces entries (settings `modelPrices`).
    pub fn with_overrides(mut self, overrides: &BTreeMap<String, Price>) -> Self {
        for (prefix, price) in overrides {
            self.entries.insert(prefix.clone(), *price);
        }
        self
    }

    /// Every entry, by model-name prefix, in name order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Price)> {
        self.entries
            .iter()
            .map(|(prefix, price)| (prefix.as_str(), price))
    }

    /// The entry for `model` (the part after `provider/`): the longest
    /// prefix that matches.
    pub fn price(&self, model: &str) -> Option<&Price> {
        self.entries
            .iter()
            .filter(|(prefix, _)| model.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, price)| price)
    }

    /// The cost of `usage` in US dollars; `None` when the model has no entry.
    ///
    /// OpenAI counts cached tokens inside `prompt_tokens` (our
    /// `input_tokens`), Anthropic outside it; `provider` says which.
    pub fn cost(&self, provider: Provider, model: &str, usage: &Usage) -> Option<f64> {
        let price = self.price(model)?;
        let cache_read = usage.cache_read_input_tokens.unwrap_or(0);
        let cache_write = usage.cache_creation_input_tokens.unwrap_or(0);
        let uncached = match provider {
            Provider::Openai => usage.input_tokens.saturating_sub(cache_read),
            Provider::Anthropic | Provider::Scripted => usage.input_tokens,
        };
        let per_token = |count: u64, dollars_per_million: f64| {
            // Token counts are far below 2^52, so the conversion is exact.
            #[expect(
                clippy::cast_precision_loss,
                reason = "token counts are far below 2^52"
            )]
            let count = count as f64;
            count * dollars_per_million / 1_000_000.0
        };
        Some(
            per_token(uncached, price.input)
                + per_token(usage.output_tokens, price.output)
                + per_token(cache_read, price.cache_read.unwrap_or(price.input))
                + per_token(cache_write, price.cache_write.unwrap_or(price.input)),
        )
    }

    /// `usage` as a `modelUsage` entry: counts, cost and windows (0 when
    /// unknown).
    pub fn model_usage(&self, provider: Provider, model: &str, usage: &Usage) -> ModelUsage {
        let price = self.price(model);
        ModelUsage {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            cache_read_input_tokens: usage.cache_read_input_tokens.unwrap_or(0),
            cache_creation_input_tokens: usage.cache_creation_input_tokens.unwrap_or(0),
            web_search_requests: usage
                .server_tool_use
                .map_or(0, |tools| tools.web_search_requests),
            cost_usd: self.cost(provider, model, usage).unwrap_or(0.0),
            context_window: price.and_then(|price| price.context_window).unwrap_or(0),
            max_output_tokens: price.and_then(|price| price.max_output_tokens).unwrap_or(0),
            ..ModelUsage::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn longest_prefix_wins() {
        let table = PriceTable::builtin();
        assert_eq!(
            table.price("gpt-4.1-mini-2025-04-14").map(|p| p.input),
            Some(0.4)
        );
        assert_eq!(table.price("gpt-4.1").map(|p| p.input), Some(2.0));
        assert_eq!(
            table.price("claude-sonnet-4-5-20250929").map(|p| p.output),
            Some(15.0)
        );
        assert_eq!(table.price("claude-opus-4-5").map(|p| p.input), Some(5.0));
        assert_eq!(table.price("llama3.2"), None);
    }

    #[test]
    fn openai_cached_tokens_are_billed_at_the_cache_price_once() {
        let table = PriceTable::builtin();
        let usage = Usage {
            cache_read_input_tokens: Some(400_000),
            ..Usage::new(1_000_000, 100_000)
        };
        // 600k uncached at $2 + 400k cached at $0.5 + 100k output at $8.
        let cost = table.cost(Provider::Openai, "gpt-4.1", &usage).unwrap();
        assert!((cost - (1.2 + 0.2 + 0.8)).abs() < 1e-9, "{cost}");
        // Anthropic: input excludes the cache; writes at their own price.
        let usage = Usage {
            cache_read_input_tokens: Some(1_000_000),
            cache_creation_input_tokens: Some(1_000_000),
            ..Usage::new(1_000_000, 0)
        };
        let cost = table
            .cost(Provider::Anthropic, "claude-sonnet-4-5", &usage)
            .unwrap();
        assert!((cost - (3.0 + 0.3 + 3.75)).abs() < 1e-9, "{cost}");
    }

    #[test]
    fn overrides_replace_and_add_entries() {
        let overrides = BTreeMap::from([(
            "llama".to_owned(),
            Price {
                input: 0.0,
                output: 1.0,
                cache_read: None,
                cache_write: None,
                context_window: Some(8192),
                max_output_tokens: None,
            },
        )]);
        let table = PriceTable::builtin().with_overrides(&overrides);
        let usage = table.model_usage(Provider::Openai, "llama3.2", &Usage::new(10, 1_000_000));
        assert_eq!(
            usage,
            ModelUsage {
                input_tokens: 10,
                output_tokens: 1_000_000,
                cost_usd: 1.0,
                context_window: 8192,
                ..ModelUsage::default()
            }
        );
        assert_eq!(
            PriceTable::empty().cost(Provider::Openai, "gpt-4.1", &Usage::new(1, 1)),
            None
        );
    }
}
