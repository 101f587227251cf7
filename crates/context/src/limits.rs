//! How many tokens a model can hold: its context window and its largest
//! answer, by model family, overridable in settings (`context.windows`).

use std::collections::BTreeMap;

use crate::encoding::model_id;

/// The context window assumed for a model this table does not know.
pub const FALLBACK_WINDOW: u64 = 128_000;
/// The largest answer assumed for a model this table does not know.
pub const FALLBACK_MAX_OUTPUT: u64 = 32_000;

/// A model's token limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelLimits {
    /// Tokens of input and output the model holds at once.
    pub context_window: u64,
    /// Tokens the model may produce in one answer.
    pub max_output: u64,
    /// Whether the figures come from the table or settings (false: the
    /// fallback for an unknown model).
    pub known: bool,
}

/// Family prefixes of bare model ids (see [`model_id`]) and their limits,
/// most specific first. Figures are the providers' published ones.
const TABLE: &[(&str, u64, u64)] = &[
    ("gpt-4.1", 1_047_576, 32_768),
    ("gpt-5", 400_000, 128_000),
    ("gpt-4o", 128_000, 16_384),
    ("chatgpt-4o", 128_000, 16_384),
    ("gpt-4.5", 128_000, 16_384),
    ("gpt-4-turbo", 128_000, 4_096),
    ("gpt-4-32k", 32_768, 32_768),
    ("gpt-4", 8_192, 8_192),
    ("gpt-3.5-turbo", 16_385, 4_096),
    ("gpt-oss", 131_072, 131_072),
    ("o1-mini", 128_000, 65_536),
    ("o1", 200_000, 100_000),
    ("o3", 200_000, 100_000),
    ("o4", 200_000, 100_000),
    ("claude-opus-4", 200_000, 32_000),
    ("claude-sonnet-4", 200_000, 64_000),
    ("claude-haiku-4", 200_000, 64_000),
    ("claude-3-7-sonnet", 200_000, 64_000),
    ("claude-3-5", 200_000, 8_192),
    ("claude", 200_000, 4_096),
];

impl ModelLimits {
    /// The limits of `model` (full `provider/model` name or bare id):
    /// a settings override (`overrides`, keyed by model-id prefix, the
    /// longest matching prefix winning) replaces the table's window; the
    /// table by family; else [`FALLBACK_WINDOW`] / [`FALLBACK_MAX_OUTPUT`].
    pub fn for_model(model: &str, overrides: &BTreeMap<String, u64>) -> Self {
        let id = model_id(model);
        let id = id.strip_prefix("ft:").unwrap_or(&id);
        let table = TABLE
            .iter()
            .find(|(prefix, _, _)| id.starts_with(prefix))
            .map(|&(_, context_window, max_output)| Self {
                context_window,
                max_output,
                known: true,
            });
        let overridden = overrides
            .iter()
            .filter(|(prefix, _)| id.starts_with(&model_id(prefix)))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, &window)| window);
        match (overridden, table) {
            (Some(window), Some(limits)) => Self {
                context_window: window,
                ..limits
            },
            (Some(window), None) => Self {
                context_window: window,
                max_output: FALLBACK_MAX_OUTPUT,
                known: true,
            },
            (None, Some(limits)) => limits,
            (None, None) => Self {
                context_window: FALLBACK_WINDOW,
                max_output: FALLBACK_MAX_OUTPUT,
                known: false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn window(model: &str) -> u64 {
        ModelLimits::for_model(model, &BTreeMap::new()).context_window
    }

    #[test]
    fn families_have_their_published_windows() {
        assert_eq!(window("openai/gpt-4.1"), 1_047_576);
        assert_eq!(window("openai/gpt-4.1-mini"), 1_047_576);
        assert_eq!(window("gpt-4o-mini"), 128_000);
        assert_eq!(window("openai/gpt-4"), 8_192);
        assert_eq!(window("anthropic/claude-sonnet-4-5"), 200_000);
        assert_eq!(window("claude-3-haiku-20240307"), 200_000);
        assert_eq!(window("openai/o3-mini"), 200_000);
    }

    #[test]
    fn unknown_models_fall_back() {
        let limits = ModelLimits::for_model("openai/qwen2.5-coder:7b", &BTreeMap::new());
        assert_eq!(
            limits,
            ModelLimits {
                context_window: FALLBACK_WINDOW,
                max_output: FALLBACK_MAX_OUTPUT,
                known: false
            }
        );
    }

    #[test]
    fn settings_override_by_longest_prefix() {
        let overrides = BTreeMap::from([
            ("qwen".to_owned(), 32_768),
            ("openai/qwen3-coder".to_owned(), 262_144),
            ("claude".to_owned(), 1_000_000),
        ]);
        let qwen3 = ModelLimits::for_model("openai/qwen3-coder:30b", &overrides);
        assert_eq!(qwen3.context_window, 262_144);
        assert!(qwen3.known);
        assert_eq!(
            ModelLimits::for_model("qwen2.5", &overrides).context_window,
            32_768
        );
        let claude = ModelLimits::for_model("anthropic/claude-sonnet-4", &overrides);
        assert_eq!(
            (claude.context_window, claude.max_output),
            (1_000_000, 64_000)
        );
    }
}
