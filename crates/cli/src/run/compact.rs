//! `ferrule -p "/compact [instructions]"` (cli-core.md §9.2): the resumed
//! conversation is summarized instead of sent to the model as a prompt.

use std::time::Instant;

use ferrule_agent::{Agent, EventSink};
use ferrule_protocol::sdk::{ResultMessage, ResultSubtype};

/// The instructions of a `/compact` prompt (empty when none were given);
/// `None` when `prompt` is not that command.
pub(crate) fn instructions(prompt: &str) -> Option<&str> {
    let rest = prompt.trim().strip_prefix("/compact")?;
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return None;
    }
    Some(rest.trim())
}

/// Compacts the conversation; the result object says how it went (the
/// summary and token counts, or the error). The `Compacted` event reaches
/// `sink`, which turns it into the `compact_boundary` line.
pub(crate) async fn run(
    agent: &mut Agent,
    instructions: &str,
    sink: &dyn EventSink,
) -> ResultMessage {
    let started = Instant::now();
    let instructions = (!instructions.is_empty()).then_some(instructions);
    let outcome = agent.compact(instructions, sink).await;
    let session_id = agent.session_id().to_owned();
    let mut result = match outcome {
        Ok(compacted) => {
            let mut result = ResultMessage::new(ResultSubtype::Success, session_id);
            result.result = Some(format!(
                "Compacted the conversation: {} tokens before, {} after.\n\n{}",
                compacted.pre_tokens, compacted.post_tokens, compacted.summary
            ));
            if let Some(usage) = compacted.usage {
                result.usage = usage;
            }
            result.num_turns = 1;
            result
        }
        Err(error) => super::output::error_result(&session_id, format!("/compact failed: {error}")),
    };
    result.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    result.uuid = Some(uuid::Uuid::new_v4().to_string());
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_compact_command_is_recognized() {
        assert_eq!(instructions("/compact"), Some(""));
        assert_eq!(
            instructions("  /compact keep the API notes \n"),
            Some("keep the API notes")
        );
        assert_eq!(instructions("/compacted"), None);
        assert_eq!(instructions("please /compact"), None);
    }
}
