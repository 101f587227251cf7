//! Reasoning-effort levels (`--reasoning-effort`, `/effort`, a subagent's
//! or a skill's `effort`) as thinking budgets. One table, so every place
//! that takes a level asks for the same budget.

use crate::Thinking;

/// The named levels, lowest first, with the thinking budget each asks
/// for. The budgets fall in the OpenAI `reasoning_effort` bands of the
/// same name.
pub const EFFORT_LEVELS: [(&str, u32); 5] = [
    ("low", 2_048),
    ("medium", 8_192),
    ("high", 16_384),
    ("xhigh", 32_768),
    ("max", 65_536),
];

/// An effort that is neither a level, `off`, nor a positive budget.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown reasoning effort `{0}`: expected low, medium, high, xhigh, max, off or a token budget"
)]
pub struct UnknownEffort(pub String);

impl Thinking {
    /// The thinking an effort asks for: a level name (any case), `off`
    /// (also `none`, `disabled`) or a positive token budget written in
    /// digits.
    ///
    /// # Errors
    /// [`UnknownEffort`] for anything else.
    pub fn from_effort(effort: &str) -> Result<Self, UnknownEffort> {
        let word = effort.trim().to_ascii_lowercase();
        if matches!(word.as_str(), "off" | "none" | "disabled") {
            return Ok(Self::Disabled);
        }
        if let Some(&(_, budget_tokens)) = EFFORT_LEVELS.iter().find(|(name, _)| *name == word) {
            return Ok(Self::Enabled { budget_tokens });
        }
        match word.parse::<u32>() {
            Ok(budget_tokens) if budget_tokens > 0 => Ok(Self::Enabled { budget_tokens }),
            _ => Err(UnknownEffort(effort.trim().to_owned())),
        }
    }

    /// The highest level whose budget this thinking reaches (`low` below
    /// it); `None` when thinking is off.
    pub fn effort_level(self) -> Option<&'static str> {
        match self {
            Self::Enabled { budget_tokens } => Some(
                EFFORT_LEVELS
                    .iter()
                    .rev()
                    .find(|(_, budget)| budget_tokens >= *budget)
                    .map_or("low", |(name, _)| *name),
            ),
            Self::Disabled => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_budgets_and_off() {
        assert_eq!(
            Thinking::from_effort(" High "),
            Ok(Thinking::Enabled {
                budget_tokens: 16_384
            })
        );
        assert_eq!(Thinking::from_effort("off"), Ok(Thinking::Disabled));
        assert_eq!(
            Thinking::from_effort("5000"),
            Ok(Thinking::Enabled {
                budget_tokens: 5_000
            })
        );
        assert_eq!(
            Thinking::from_effort("0"),
            Err(UnknownEffort("0".to_owned()))
        );
        assert_eq!(
            Thinking::from_effort("extreme"),
            Err(UnknownEffort("extreme".to_owned()))
        );
    }

    #[test]
    fn a_budget_reads_as_the_level_it_reaches() {
        let level = |budget_tokens| Thinking::Enabled { budget_tokens }.effort_level();
        assert_eq!(level(32_768), Some("xhigh"));
        assert_eq!(level(10_000), Some("medium"));
        assert_eq!(level(100), Some("low"));
        assert_eq!(Thinking::Disabled.effort_level(), None);
    }
}
