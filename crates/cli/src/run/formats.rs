//! The values of `-o/--output-format` and `--input-format`, checked by
//! hand so that a bad one gets the shipped CLI's message (cli-core.md
//! §10.2) and exit status 1.

use anyhow::{Result, bail};

/// How the result is printed (`-o/--output-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputFormat {
    /// The final assistant text.
    Text,
    /// One result object.
    Json,
    /// One JSON object per line: init, messages, result.
    StreamJson,
}

/// How prompts come in (`--input-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputFormat {
    /// One prompt from argv or stdin.
    Text,
    /// SDK user messages and control requests as JSON lines on stdin.
    StreamJson,
}

/// The message for a bad `--output-format` / `--input-format` value, in
/// the shipped CLI's words (cli-core.md §10.2).
fn invalid_choice(flag: &str, given: &str, choices: &[&str]) -> String {
    let choices: Vec<String> = choices.iter().map(|c| format!("{c:?}")).collect();
    format!(
        "Invalid values:\n  Argument: {flag}, Given: {given:?}, Choices: {}",
        choices.join(", ")
    )
}

impl OutputFormat {
    pub(crate) fn parse(value: &str) -> Result<Self> {
        match value {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            "stream-json" => Ok(Self::StreamJson),
            other => bail!(invalid_choice(
                "output-format",
                other,
                &["text", "json", "stream-json"]
            )),
        }
    }
}

impl InputFormat {
    pub(crate) fn parse(value: &str) -> Result<Self> {
        match value {
            "text" => Ok(Self::Text),
            "stream-json" => Ok(Self::StreamJson),
            other => bail!(invalid_choice(
                "input-format",
                other,
                &["text", "stream-json"]
            )),
        }
    }
}
