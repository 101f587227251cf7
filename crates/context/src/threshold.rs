//! When to warn, compact and refuse new input (cli-core.md §9.2).
//!
//! - effective window `W` = the model's context window, or
//!   `QODER_AUTOCOMPACT_WINDOW` when that is smaller, minus the output
//!   reserve `min(max output, 20000)`;
//! - automatic compaction at `W − max(13000, 5% of W)`;
//!   `QODER_AUTOCOMPACT_PCT_OVERRIDE` (1–100, a percentage of `W`) can only
//!   lower that;
//! - a warning 20000 tokens below the compaction threshold;
//! - new input blocked at `W − 3000`.
//!
//! Small windows (a decision, not in the reference): below 80k tokens those
//! fixed margins would leave no usable context (an 8k model reserving 8k
//! for output has `W = 0`), so the output reserve and the compaction margin
//! are each capped at a quarter of the window (of `W` for the margin). For
//! windows of 80k tokens and more the reference figures are unchanged.

use std::collections::BTreeMap;

use crate::error::ContextError;
use crate::limits::ModelLimits;

/// The variable that caps the context window used for the thresholds.
pub const WINDOW_ENV: &str = "QODER_AUTOCOMPACT_WINDOW";
/// The variable that lowers the compaction threshold to a percentage of `W`.
pub const PCT_ENV: &str = "QODER_AUTOCOMPACT_PCT_OVERRIDE";

/// Output tokens reserved at most.
const MAX_OUTPUT_RESERVE: u64 = 20_000;
/// The compaction threshold stays at least this far below `W`.
const MIN_COMPACT_MARGIN: u64 = 13_000;
/// The warning comes this many tokens before the compaction threshold.
const WARNING_MARGIN: u64 = 20_000;
/// Input is blocked this many tokens before `W`.
const BLOCKING_MARGIN: u64 = 3_000;

/// The two environment overrides, parsed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EnvOverrides {
    /// `QODER_AUTOCOMPACT_WINDOW`: a window cap in tokens.
    pub window: Option<u64>,
    /// `QODER_AUTOCOMPACT_PCT_OVERRIDE`: 1–100.
    pub percent: Option<u8>,
}

impl EnvOverrides {
    /// Reads both variables from `env` (unset or empty: no override).
    ///
    /// # Errors
    /// [`ContextError::BadEnv`] naming the variable when a value is not a
    /// positive whole number, or the percentage is outside 1–100.
    pub fn from_env(env: &BTreeMap<String, String>) -> Result<Self, ContextError> {
        let get = |name: &str| env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let window = match get(WINDOW_ENV) {
            None => None,
            Some(value) => Some(
                value
                    .parse::<u64>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| bad_env(WINDOW_ENV, value, "a positive number of tokens"))?,
            ),
        };
        let percent = match get(PCT_ENV) {
            None => None,
            Some(value) => Some(
                value
                    .parse::<u8>()
                    .ok()
                    .filter(|n| (1..=100).contains(n))
                    .ok_or_else(|| bad_env(PCT_ENV, value, "a whole percentage from 1 to 100"))?,
            ),
        };
        Ok(Self { window, percent })
    }
}

fn bad_env(name: &str, value: &str, expected: &str) -> ContextError {
    ContextError::BadEnv {
        name: name.to_owned(),
        value: value.to_owned(),
        expected: expected.to_owned(),
    }
}

/// The token counts at which the context changes state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// `W`: the window minus the output reserve.
    pub effective_window: u64,
    /// Automatic compaction starts at this many tokens.
    pub auto_compact: u64,
    /// The user is warned from this many tokens on.
    pub warning: u64,
    /// New input is refused from this many tokens on.
    pub blocking: u64,
}

impl Thresholds {
    /// The thresholds for `limits` with `env` applied.
    pub fn compute(limits: ModelLimits, env: EnvOverrides) -> Self {
        let window = match env.window {
            Some(cap) => limits.context_window.min(cap),
            None => limits.context_window,
        };
        let reserve = limits.max_output.min(MAX_OUTPUT_RESERVE).min(window / 4);
        let effective_window = window.saturating_sub(reserve);
        let margin = MIN_COMPACT_MARGIN
            .max(effective_window / 20)
            .min(effective_window / 4);
        let mut auto_compact = effective_window.saturating_sub(margin);
        if let Some(percent) = env.percent {
            auto_compact = auto_compact.min(effective_window * u64::from(percent) / 100);
        }
        let blocking = effective_window.saturating_sub(BLOCKING_MARGIN);
        // Tiny windows: keep the order warning <= compact <= blocking.
        auto_compact = auto_compact.min(blocking);
        Self {
            effective_window,
            auto_compact,
            warning: auto_compact.saturating_sub(WARNING_MARGIN),
            blocking,
        }
    }

    /// The state of a context holding `used` tokens. With `auto_compact`
    /// off, the compaction threshold only warns.
    pub fn state(&self, used: u64, auto_compact: bool) -> ContextState {
        if used >= self.blocking {
            ContextState::Blocked
        } else if used >= self.auto_compact && auto_compact {
            ContextState::ShouldCompact
        } else if used >= self.warning {
            ContextState::Warning
        } else {
            ContextState::Fine
        }
    }

    /// `used` as a percentage of the effective window (0–100, rounded down).
    pub fn percent_used(&self, used: u64) -> u8 {
        if self.effective_window == 0 {
            return 100;
        }
        u8::try_from((used.saturating_mul(100) / self.effective_window).min(100)).unwrap_or(100)
    }
}

/// How full the context is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ContextState {
    /// Below the warning threshold.
    Fine,
    /// Close to the compaction threshold: tell the user.
    Warning,
    /// At or above the compaction threshold: compact before the next request.
    ShouldCompact,
    /// At or above the blocking threshold: refuse new input until compacted.
    Blocked,
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn limits(context_window: u64, max_output: u64) -> ModelLimits {
        ModelLimits {
            context_window,
            max_output,
            known: true,
        }
    }

    #[test]
    fn claude_window_gives_the_documented_thresholds() {
        // 200k window, 64k max output: reserve 20000, W = 180000,
        // 5% of W is 9000 < 13000, so compaction at 167000.
        let t = Thresholds::compute(limits(200_000, 64_000), EnvOverrides::default());
        assert_eq!(
            t,
            Thresholds {
                effective_window: 180_000,
                auto_compact: 167_000,
                warning: 147_000,
                blocking: 177_000,
            }
        );
    }

    #[test]
    fn large_windows_use_five_percent_and_small_outputs_reserve_less() {
        // gpt-4.1: W = 1047576 - 20000 = 1027576; 5% = 51378.
        let t = Thresholds::compute(limits(1_047_576, 32_768), EnvOverrides::default());
        assert_eq!(t.effective_window, 1_027_576);
        assert_eq!(t.auto_compact, 1_027_576 - 51_378);
        assert_eq!(t.warning, 1_027_576 - 51_378 - 20_000);
        assert_eq!(t.blocking, 1_024_576);
        // gpt-4 (8k window, 8k answers): the reserve is capped at a quarter
        // of the window, the margin at a quarter of W, compaction at most at
        // the blocking threshold.
        let t = Thresholds::compute(limits(8_192, 8_192), EnvOverrides::default());
        assert_eq!(t.effective_window, 6_144);
        assert_eq!((t.auto_compact, t.warning, t.blocking), (3_144, 0, 3_144));
    }

    #[test]
    fn window_env_only_lowers_and_percent_only_lowers() {
        let env = |window, percent| EnvOverrides { window, percent };
        let t = Thresholds::compute(limits(200_000, 64_000), env(Some(100_000), None));
        assert_eq!(
            (t.effective_window, t.auto_compact, t.warning, t.blocking),
            (80_000, 67_000, 47_000, 77_000)
        );
        let t = Thresholds::compute(limits(200_000, 64_000), env(Some(500_000), None));
        assert_eq!(t.effective_window, 180_000);
        let t = Thresholds::compute(limits(200_000, 64_000), env(None, Some(50)));
        assert_eq!((t.auto_compact, t.warning), (90_000, 70_000));
        let t = Thresholds::compute(limits(200_000, 64_000), env(None, Some(100)));
        assert_eq!(t.auto_compact, 167_000);
    }

    #[test]
    fn states_follow_the_thresholds() {
        let t = Thresholds::compute(limits(200_000, 64_000), EnvOverrides::default());
        assert_eq!(t.state(146_999, true), ContextState::Fine);
        assert_eq!(t.state(147_000, true), ContextState::Warning);
        assert_eq!(t.state(167_000, true), ContextState::ShouldCompact);
        assert_eq!(t.state(167_000, false), ContextState::Warning);
        assert_eq!(t.state(177_000, true), ContextState::Blocked);
        assert_eq!(t.percent_used(90_000), 50);
    }

    #[test]
    fn env_values_are_checked() {
        let env = |k: &str, v: &str| BTreeMap::from([(k.to_owned(), v.to_owned())]);
        assert_eq!(
            EnvOverrides::from_env(&env(WINDOW_ENV, "50000")).unwrap(),
            EnvOverrides {
                window: Some(50_000),
                percent: None
            }
        );
        assert_eq!(
            EnvOverrides::from_env(&env(PCT_ENV, " ")).unwrap(),
            EnvOverrides::default()
        );
        for (k, v) in [
            (PCT_ENV, "0"),
            (PCT_ENV, "101"),
            (PCT_ENV, "half"),
            (WINDOW_ENV, "-5"),
        ] {
            let error = EnvOverrides::from_env(&env(k, v)).unwrap_err().to_string();
            assert!(error.contains(k) && error.contains(v), "{error}");
        }
    }
}
