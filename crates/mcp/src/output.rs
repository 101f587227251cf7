//! Turning an MCP `tools/call` result into a ferrule tool result: text and
//! images for the model, the raw result as the structured form, oversized
//! text cut with a note.

use ferrule_protocol::{ImageBlock, TextBlock, ToolResultContentBlock};
use ferrule_tool::{ToolError, ToolOutput};
use serde_json::{Value, json};

/// Default cap on the text of one MCP tool result, in characters (the
/// documented 50K; a tool's `_meta["anthropic/maxResultSizeChars"]` raises
/// it).
pub const DEFAULT_MAX_RESULT_CHARS: usize = 50_000;

/// Converts a `CallToolResult` (as JSON) to a tool output. `isError: true`
/// becomes a [`ToolError::RespondToModel`] with the result's text.
pub(crate) fn convert(
    full_name: &str,
    result: &Value,
    max_chars: usize,
) -> Result<ToolOutput, ToolError> {
    let mut blocks = Vec::new();
    for item in result
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(block) = content_block(item) {
            blocks.push(block);
        }
    }
    let structured_content = result.get("structuredContent").filter(|v| !v.is_null());
    if blocks.is_empty()
        && let Some(structured) = structured_content
    {
        blocks.push(text(structured.to_string()));
    }
    truncate(&mut blocks, max_chars);
    let is_error = result.get("isError").and_then(Value::as_bool) == Some(true);
    if is_error {
        let message: Vec<&str> = blocks
            .iter()
            .filter_map(|b| match b {
                ToolResultContentBlock::Text(t) => Some(t.text.as_str()),
                _ => None,
            })
            .collect();
        let message = if message.is_empty() {
            format!("{full_name} reported an error without a message")
        } else {
            message.join("\n")
        };
        return Err(ToolError::respond(message));
    }
    if blocks.is_empty() {
        blocks.push(text(String::new()));
    }
    let mut structured = json!({ "content": result.get("content").cloned().unwrap_or(json!([])) });
    if let Some(s) = structured_content {
        structured["structuredContent"] = s.clone();
    }
    Ok(ToolOutput::blocks(blocks, structured))
}

fn text(s: String) -> ToolResultContentBlock {
    ToolResultContentBlock::Text(TextBlock { text: s })
}

/// One MCP content item as a result block: text as is, images inline,
/// embedded text resources as their text, other kinds as a line saying
/// what they are (audio and binary blobs are not passed to the model).
fn content_block(item: &Value) -> Option<ToolResultContentBlock> {
    let kind = item.get("type").and_then(Value::as_str).unwrap_or_default();
    let field = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    match kind {
        "text" => field(item, "text").map(text),
        "image" => {
            let data = field(item, "data")?;
            let mime = field(item, "mimeType").unwrap_or_else(|| "image/png".to_owned());
            Some(ToolResultContentBlock::Image(ImageBlock::base64(
                mime, data,
            )))
        }
        "resource" => {
            let resource = item.get("resource")?;
            let uri = field(resource, "uri").unwrap_or_default();
            match field(resource, "text") {
                Some(body) => Some(text(format!("[resource {uri}]\n{body}"))),
                None => Some(text(format!(
                    "[binary resource {uri} ({}) not shown]",
                    field(resource, "mimeType").unwrap_or_else(|| "unknown type".to_owned())
                ))),
            }
        }
        "resource_link" => Some(text(format!(
            "[resource link {} {}]",
            field(item, "uri").unwrap_or_default(),
            field(item, "name").unwrap_or_default()
        ))),
        "audio" => Some(text(format!(
            "[audio ({}) not shown]",
            field(item, "mimeType").unwrap_or_else(|| "unknown type".to_owned())
        ))),
        other => Some(text(format!("[unsupported MCP content type `{other}`]"))),
    }
}

/// Cuts the text blocks so their total stays within `max_chars`
/// characters, and appends a note saying how much was left out.
fn truncate(blocks: &mut Vec<ToolResultContentBlock>, max_chars: usize) {
    let total: usize = blocks
        .iter()
        .map(|b| match b {
            ToolResultContentBlock::Text(t) => t.text.chars().count(),
            _ => 0,
        })
        .sum();
    if total <= max_chars {
        return;
    }
    let mut budget = max_chars;
    blocks.retain_mut(|block| match block {
        ToolResultContentBlock::Text(t) => {
            if budget == 0 {
                return false;
            }
            let len = t.text.chars().count();
            if len > budget {
                let cut = t
                    .text
                    .char_indices()
                    .nth(budget)
                    .map_or(t.text.len(), |(i, _)| i);
                t.text.truncate(cut);
                budget = 0;
            } else {
                budget -= len;
            }
            true
        }
        _ => true,
    });
    blocks.push(text(format!(
        "\n[output truncated: the MCP tool returned {total} characters, {max_chars} are shown]"
    )));
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn text_images_and_resources() {
        let out = convert(
            "mcp__s__t",
            &json!({"content": [
                {"type": "text", "text": "hi"},
                {"type": "image", "data": "AAAA", "mimeType": "image/gif"},
                {"type": "resource", "resource": {"uri": "file:///a", "text": "body"}}
            ]}),
            100,
        )
        .unwrap();
        assert_eq!(out.content.len(), 3);
        assert_eq!(out.text_content(), "hi\n[resource file:///a]\nbody");
    }

    #[test]
    fn errors_and_structured_only_results() {
        let err = convert(
            "mcp__s__t",
            &json!({"content": [{"type": "text", "text": "bad"}], "isError": true}),
            100,
        )
        .unwrap_err();
        assert_eq!(err, ToolError::respond("bad"));
        let out = convert(
            "t",
            &json!({"content": [], "structuredContent": {"n": 1}}),
            100,
        )
        .unwrap();
        assert_eq!(out.text_content(), r#"{"n":1}"#);
        assert_eq!(out.structured["structuredContent"], json!({"n": 1}));
    }

    #[test]
    fn long_text_is_cut_with_a_note() {
        let long = "é".repeat(30);
        let out = convert(
            "t",
            &json!({"content": [{"type": "text", "text": long}, {"type": "text", "text": "tail"}]}),
            10,
        )
        .unwrap();
        let text = out.text_content();
        assert!(text.starts_with(&"é".repeat(10)), "{text}");
        assert!(!text.contains("tail"));
        assert!(
            text.contains("returned 34 characters, 10 are shown"),
            "{text}"
        );
    }
}
