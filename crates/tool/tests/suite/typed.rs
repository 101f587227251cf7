//! A typed tool: schema generation and input parsing.

use async_trait::async_trait;
use ferrule_tool::{Tool, ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
use pretty_assertions::assert_eq;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

/// Input of the test tool.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct EchoInput {
    /// Text to echo.
    pub(crate) text: String,
    /// How often.
    #[serde(default)]
    pub(crate) times: Option<u32>,
    /// Nested items.
    #[serde(default)]
    pub(crate) items: Vec<Item>,
}

/// One nested item.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct Item {
    /// Its label.
    pub(crate) label: String,
}

/// Echoes its input; used across the suite.
pub(crate) struct Echo;

#[async_trait]
impl TypedTool for Echo {
    type Input = EchoInput;

    fn name(&self) -> &str {
        "Echo"
    }

    fn description(&self) -> &str {
        "Echoes text."
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn targets(&self, input: &EchoInput, ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(vec![ToolTarget::read(
            ctx.resolve_path("text", &input.text)?,
        )])
    }

    async fn call(&self, input: EchoInput, _ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let text = input.text.repeat(input.times.unwrap_or(1) as usize);
        let labels: Vec<&str> = input.items.iter().map(|item| item.label.as_str()).collect();
        Ok(ToolOutput::text(
            text.clone(),
            json!({ "text": text, "labels": labels }),
        ))
    }
}

fn ctx() -> (tempfile::TempDir, ToolContext) {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ToolContext::builder(dir.path()).build().unwrap();
    (dir, ctx)
}

#[test]
fn schema_is_inlined_with_field_names_and_docs() {
    let schema = Echo.input_schema();
    assert_eq!(
        schema,
        json!({
            "description": "Input of the test tool.",
            "type": "object",
            "properties": {
                "text": {"description": "Text to echo.", "type": "string"},
                "times": {
                    "description": "How often.",
                    "type": ["integer", "null"],
                    "format": "uint32",
                    "minimum": 0,
                    "default": null
                },
                "items": {
                    "description": "Nested items.",
                    "type": "array",
                    "items": {
                        "description": "One nested item.",
                        "type": "object",
                        "properties": {"label": {"description": "Its label.", "type": "string"}},
                        "required": ["label"]
                    }
                }
            },
            "required": ["text"]
        })
    );
}

#[tokio::test]
async fn bad_input_names_the_field_and_the_problem() {
    let (_dir, ctx) = ctx();
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "Invalid input for Echo: missing field `text`"),
        (
            json!({"text": 5}),
            "Invalid input for Echo: field `text`: invalid type: integer `5`, expected a string",
        ),
        (
            json!({"text": "a", "items": [{"label": "x"}, {"nope": 1}]}),
            "Invalid input for Echo: field `items[1]`: missing field `label`",
        ),
        (
            json!({"text": "a", "times": -1}),
            "Invalid input for Echo: field `times`: invalid value: integer `-1`, expected u32",
        ),
        (
            json!(["text"]),
            "Invalid input for Echo: expected a JSON object, got an array",
        ),
    ];
    for (input, expected) in cases {
        let error = Tool::call(&Echo, input.clone(), &ctx).await.unwrap_err();
        assert_eq!(error, ToolError::respond(expected), "input {input}");
        let error = Tool::targets(&Echo, &input, &ctx).unwrap_err();
        assert_eq!(error, ToolError::respond(expected), "targets of {input}");
    }
}

#[tokio::test]
async fn typed_call_parses_and_runs() {
    let (_dir, ctx) = ctx();
    let input = json!({"text": "ab", "times": 2, "items": [{"label": "x"}]});
    let out = Tool::call(&Echo, input, &ctx).await.unwrap();
    assert_eq!(out.text_content(), "abab");
    assert_eq!(out.structured, json!({"text": "abab", "labels": ["x"]}));
    assert!(Tool::is_read_only(&Echo));
}
