//! How cloud events reach the terminal: readable lines (`text`), the
//! server's events verbatim one per line (`stream-json`), or only the final
//! result object (`json`, and the last line of `stream-json`).

use std::io::Write;
use std::time::Instant;

use anyhow::{Result, bail};
use ferrule_protocol::sdk::{ResultMessage, ResultSubtype, StreamMessage};
use serde_json::Value;

/// `-o`/`--output-format` of a remote run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Readable lines.
    Text,
    /// The result object only.
    Json,
    /// Every event, then the result object.
    StreamJson,
}

impl Format {
    /// Parses the flag's value.
    pub(crate) fn parse(text: &str) -> Result<Self> {
        Ok(match text {
            "text" => Self::Text,
            "json" => Self::Json,
            "stream-json" => Self::StreamJson,
            other => bail!("--output-format {other:?}: use text, json or stream-json"),
        })
    }
}

/// Writes events as they come and keeps what the result needs.
pub(crate) struct Renderer<W: Write> {
    format: Format,
    out: W,
    started: Instant,
    last_text: Option<String>,
    requests: u64,
    input_tokens: u64,
    output_tokens: u64,
    errors: Vec<String>,
}

impl<W: Write> Renderer<W> {
    /// A renderer writing to `out`.
    pub(crate) fn new(format: Format, out: W) -> Self {
        Self {
            format,
            out,
            started: Instant::now(),
            last_text: None,
            requests: 0,
            input_tokens: 0,
            output_tokens: 0,
            errors: Vec::new(),
        }
    }

    /// A line for the person at the terminal: stdout in `text`, else stderr
    /// (stdout stays machine-readable).
    pub(crate) fn note(&mut self, line: &str) -> Result<()> {
        if self.format == Format::Text {
            writeln!(self.out, "{line}")?;
            self.out.flush()?;
        } else {
            eprintln!("{line}");
        }
        Ok(())
    }

    /// One event of the stream.
    pub(crate) fn event(&mut self, event: &Value) -> Result<()> {
        self.track(event);
        match self.format {
            Format::Json => Ok(()),
            Format::StreamJson => {
                writeln!(self.out, "{event}")?;
                Ok(self.out.flush()?)
            }
            Format::Text => {
                if let Some(line) = text_line(event) {
                    writeln!(self.out, "{line}")?;
                    self.out.flush()?;
                }
                Ok(())
            }
        }
    }

    fn track(&mut self, event: &Value) {
        match event["type"].as_str().unwrap_or("") {
            "agent.message" => self.last_text = Some(text_of(&event["content"])),
            "span.model_request_end" => {
                self.requests += 1;
                let usage = &event["model_usage"];
                self.input_tokens += usage["input_tokens"].as_u64().unwrap_or(0);
                self.output_tokens += usage["output_tokens"].as_u64().unwrap_or(0);
            }
            "session.error" | "session.status_terminated" => {
                if let Some(message) = event["error"]["message"].as_str() {
                    self.errors.push(message.to_owned());
                }
            }
            _ => {}
        }
    }

    /// The end: `error` is `None` for a turn that ended with `end_turn`.
    pub(crate) fn finish(&mut self, session_id: &str, error: Option<&str>) -> Result<()> {
        let subtype = if error.is_some() {
            ResultSubtype::ErrorDuringExecution
        } else {
            ResultSubtype::Success
        };
        let mut result = ResultMessage::new(subtype, session_id);
        result.duration_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        result.num_turns = self.requests;
        result.usage.input_tokens = self.input_tokens;
        result.usage.output_tokens = self.output_tokens;
        result.uuid = Some(uuid::Uuid::new_v4().to_string());
        match error {
            None => result.result = Some(self.last_text.clone().unwrap_or_default()),
            Some(error) => {
                let mut errors = self.errors.clone();
                errors.push(error.to_owned());
                result.result = Some(errors.join("\n"));
                result.errors = Some(errors);
            }
        }
        match self.format {
            // The caller reports errors on stderr; the text was streamed.
            Format::Text => {}
            Format::Json | Format::StreamJson => {
                let line = StreamMessage::Result(result).to_line()?;
                writeln!(self.out, "{line}")?;
            }
        }
        Ok(self.out.flush()?)
    }
}

/// The readable form of an event, if it has one.
fn text_line(event: &Value) -> Option<String> {
    let kind = event["type"].as_str()?;
    Some(match kind {
        "user.message" => format!("> {}", text_of(&event["content"])),
        "agent.message" => text_of(&event["content"]),
        "agent.tool_use" | "agent.custom_tool_use" => {
            format!(
                "● {}({})",
                event["name"].as_str()?,
                summary(&event["input"])
            )
        }
        "agent.mcp_tool_use" => format!(
            "● {}/{}({})",
            event["mcp_server_name"].as_str().unwrap_or("mcp"),
            event["name"].as_str()?,
            summary(&event["input"])
        ),
        "agent.tool_result" | "agent.mcp_tool_result" => {
            let text = text_of(&event["content"]);
            let mut lines: Vec<&str> = text.lines().take(5).collect();
            if lines.is_empty() {
                lines.push("(no output)");
            }
            let more = text.lines().count().saturating_sub(5);
            let flag = if event["is_error"] == true {
                "error: "
            } else {
                ""
            };
            let mut out = format!("  ⎿ {flag}{}", lines.join("\n    "));
            if more > 0 {
                out.push_str(&format!("\n    … {more} more lines"));
            }
            out
        }
        "session.status_running" => "· running".to_owned(),
        "session.status_rescheduled" => "· rescheduling (the server restarted)".to_owned(),
        "session.status_idle" => format!(
            "· idle ({})",
            event["stop_reason"]["type"].as_str().unwrap_or("?")
        ),
        "session.status_terminated" => format!(
            "· terminated: {}",
            event["error"]["message"]
                .as_str()
                .unwrap_or("no reason given")
        ),
        "session.error" => format!(
            "! {} ({})",
            event["error"]["message"].as_str().unwrap_or("error"),
            event["error"]["retry_status"]["type"]
                .as_str()
                .unwrap_or("?")
        ),
        "session.deleted" => "· the session was deleted".to_owned(),
        _ => return None,
    })
}

/// The text of a content value: a string or text blocks.
fn text_of(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|block| block["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

/// A short view of a tool call's input: the command or path when there is
/// one, else the JSON, cut to one line.
fn summary(input: &Value) -> String {
    let text = ["command", "file_path", "path", "pattern", "url", "query"]
        .iter()
        .find_map(|key| input[*key].as_str().map(str::to_owned))
        .unwrap_or_else(|| input.to_string());
    let line = text.lines().next().unwrap_or("").to_owned();
    if line.chars().count() > 100 {
        format!("{}…", line.chars().take(100).collect::<String>())
    } else if text.lines().count() > 1 {
        format!("{line} …")
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::text_line;
    use serde_json::json;

    #[test]
    fn tool_calls_and_results_read_like_the_local_cli() {
        let call =
            json!({"type": "agent.tool_use", "name": "Bash", "input": {"command": "ls -la"}});
        assert_eq!(text_line(&call).unwrap(), "● Bash(ls -la)");
        let result = json!({"type": "agent.tool_result", "is_error": true, "content": [{"type": "text", "text": "a\nb"}]});
        assert_eq!(text_line(&result).unwrap(), "  ⎿ error: a\n    b");
        let idle = json!({"type": "session.status_idle", "stop_reason": {"type": "end_turn"}});
        assert_eq!(text_line(&idle).unwrap(), "· idle (end_turn)");
        assert_eq!(
            text_line(&json!({"type": "span.model_request_start"})),
            None
        );
    }
}
