//! Why a model response ended.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `stop_reason` of a model response (`sdk-protocol.md` §3.2, §3.5).
///
/// On the wire it is a plain string. Values this type does not know are kept
/// verbatim in [`StopReason::Other`], so a new provider reason never fails
/// parsing and is written back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(from = "String", into = "String")]
#[schemars(with = "String")]
#[non_exhaustive]
pub enum StopReason {
    /// The model finished its answer (`end_turn`).
    EndTurn,
    /// The output token limit was hit (`max_tokens`).
    MaxTokens,
    /// A caller-given stop sequence was produced (`stop_sequence`).
    StopSequence,
    /// The model wants tool results before going on (`tool_use`).
    ToolUse,
    /// The provider paused a long turn; send the reply back to continue (`pause_turn`).
    PauseTurn,
    /// The model declined to answer (`refusal`).
    Refusal,
    /// Any other reason, verbatim.
    Other(String),
}

impl StopReason {
    /// The wire string of this reason.
    pub fn as_str(&self) -> &str {
        match self {
            Self::EndTurn => "end_turn",
            Self::MaxTokens => "max_tokens",
            Self::StopSequence => "stop_sequence",
            Self::ToolUse => "tool_use",
            Self::PauseTurn => "pause_turn",
            Self::Refusal => "refusal",
            Self::Other(other) => other,
        }
    }
}

impl From<String> for StopReason {
    fn from(value: String) -> Self {
        match value.as_str() {
            "end_turn" => Self::EndTurn,
            "max_tokens" => Self::MaxTokens,
            "stop_sequence" => Self::StopSequence,
            "tool_use" => Self::ToolUse,
            "pause_turn" => Self::PauseTurn,
            "refusal" => Self::Refusal,
            _ => Self::Other(value),
        }
    }
}

impl From<StopReason> for String {
    fn from(value: StopReason) -> Self {
        match value {
            StopReason::Other(other) => other,
            known => known.as_str().to_owned(),
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn known_reasons_parse_to_their_variant() {
        let reason: StopReason = serde_json::from_str("\"tool_use\"").unwrap();
        assert_eq!(reason, StopReason::ToolUse);
        assert_eq!(serde_json::to_string(&reason).unwrap(), "\"tool_use\"");
    }

    #[test]
    fn unknown_reason_is_kept_verbatim() {
        let reason: StopReason = serde_json::from_str("\"model_context_window_exceeded\"").unwrap();
        assert_eq!(
            reason,
            StopReason::Other("model_context_window_exceeded".to_owned())
        );
        assert_eq!(
            serde_json::to_string(&reason).unwrap(),
            "\"model_context_window_exceeded\""
        );
    }

    #[test]
    fn other_holding_a_known_name_writes_that_name() {
        assert_eq!(
            String::from(StopReason::Other("end_turn".into())),
            "end_turn"
        );
    }
}
