//! Usage, cost and timing totals of one run.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ferrule_model::{ModelName, PriceTable, Provider};
use ferrule_protocol::sdk::PermissionDenial;
use ferrule_protocol::{ModelUsage, StopReason, TurnSummary, Usage};

/// Collects what a run's [`TurnSummary`] reports.
#[derive(Debug)]
pub(crate) struct Accounting {
    started: Instant,
    api: Duration,
    pub(crate) num_turns: u64,
    usage: Usage,
    per_model: BTreeMap<String, (Provider, Usage)>,
    pub(crate) denials: Vec<PermissionDenial>,
    pub(crate) stop_reason: Option<StopReason>,
    /// What subagents spent, per model, priced by their own runs.
    children: BTreeMap<String, ModelUsage>,
}

impl Accounting {
    pub(crate) fn start() -> Self {
        Self {
            started: Instant::now(),
            api: Duration::ZERO,
            num_turns: 0,
            usage: Usage::default(),
            per_model: BTreeMap::new(),
            denials: Vec::new(),
            stop_reason: None,
            children: BTreeMap::new(),
        }
    }

    /// Adds a subagent's totals: its tokens, cost and refusals count for
    /// the run that started it (its round trips and time do not).
    pub(crate) fn add_child(&mut self, child: &TurnSummary) {
        self.usage += &child.usage;
        for (model, usage) in &child.model_usage {
            let ours = self.children.entry(model.clone()).or_default();
            add_model_usage(ours, usage);
        }
        self.denials
            .extend(child.permission_denials.iter().cloned());
    }

    /// Time spent in one model request.
    pub(crate) fn add_api_time(&mut self, spent: Duration) {
        self.api += spent;
    }

    /// Usage of one request of the model named `model_name` (`provider/model`).
    pub(crate) fn add_usage(&mut self, model_name: &str, usage: &Usage) {
        self.usage += usage;
        let (provider, model) = match ModelName::parse(model_name) {
            Ok(name) => (name.provider, name.model),
            Err(_) => (Provider::Scripted, model_name.to_owned()),
        };
        let entry = self
            .per_model
            .entry(model)
            .or_insert_with(|| (provider, Usage::default()));
        entry.1 += usage;
    }

    /// The summary; `result` and `errors` are the caller's.
    pub(crate) fn summary(
        self,
        prices: &PriceTable,
        result: Option<String>,
        errors: Vec<String>,
    ) -> TurnSummary {
        let mut total_cost_usd = 0.0;
        let mut model_usage: BTreeMap<String, ModelUsage> = self
            .per_model
            .iter()
            .map(|(model, (provider, usage))| {
                let entry = prices.model_usage(*provider, model, usage);
                total_cost_usd += entry.cost_usd;
                (model.clone(), entry)
            })
            .collect();
        for (model, usage) in &self.children {
            total_cost_usd += usage.cost_usd;
            match model_usage.get_mut(model) {
                Some(ours) => add_model_usage(ours, usage),
                None => {
                    model_usage.insert(model.clone(), usage.clone());
                }
            }
        }
        TurnSummary {
            num_turns: self.num_turns,
            duration_ms: millis(self.started.elapsed()),
            duration_api_ms: millis(self.api),
            result,
            errors,
            stop_reason: self.stop_reason,
            usage: self.usage,
            model_usage,
            total_cost_usd,
            permission_denials: self.denials,
        }
    }
}

fn add_model_usage(ours: &mut ModelUsage, theirs: &ModelUsage) {
    ours.input_tokens = ours.input_tokens.saturating_add(theirs.input_tokens);
    ours.output_tokens = ours.output_tokens.saturating_add(theirs.output_tokens);
    ours.cache_read_input_tokens = ours
        .cache_read_input_tokens
        .saturating_add(theirs.cache_read_input_tokens);
    ours.cache_creation_input_tokens = ours
        .cache_creation_input_tokens
        .saturating_add(theirs.cache_creation_input_tokens);
    ours.web_search_requests = ours
        .web_search_requests
        .saturating_add(theirs.web_search_requests);
    ours.cost_usd += theirs.cost_usd;
    ours.context_window = ours.context_window.max(theirs.context_window);
    ours.max_output_tokens = ours.max_output_tokens.max(theirs.max_output_tokens);
}

/// Whole milliseconds, saturating.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_summed_per_model_and_priced() {
        let mut accounting = Accounting::start();
        accounting.add_usage("openai/gpt-4.1", &Usage::new(1_000_000, 0));
        accounting.add_usage("openai/gpt-4.1", &Usage::new(0, 1_000_000));
        accounting.add_usage("scripted/demo.json", &Usage::new(10, 5));
        let summary = accounting.summary(&PriceTable::builtin(), None, Vec::new());
        assert_eq!(summary.usage, Usage::new(1_000_010, 1_000_005));
        let gpt = &summary.model_usage["gpt-4.1"];
        assert_eq!(
            (gpt.input_tokens, gpt.output_tokens),
            (1_000_000, 1_000_000)
        );
        assert!(gpt.cost_usd > 0.0);
        assert_eq!(summary.model_usage["demo.json"].cost_usd, 0.0);
        assert!((summary.total_cost_usd - gpt.cost_usd).abs() < 1e-9);
    }
}
