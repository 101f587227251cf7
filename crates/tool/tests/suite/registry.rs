//! Registering, listing, filtering and dispatching tools.

use std::time::Duration;

use async_trait::async_trait;
use ferrule_tool::{
    RegistryError, Tool, ToolContext, ToolError, ToolFilter, ToolOutput, ToolRegistry, ToolTarget,
    TypedTool,
};
use pretty_assertions::assert_eq;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::typed::Echo;

/// Input of `Sleep`.
#[derive(Deserialize, JsonSchema)]
struct SleepInput {
    /// Milliseconds.
    ms: u64,
}

struct Sleep;

#[async_trait]
impl TypedTool for Sleep {
    type Input = SleepInput;
    fn name(&self) -> &str {
        "Sleep"
    }
    fn description(&self) -> &str {
        "Sleeps."
    }
    fn targets(&self, _: &SleepInput, _: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }
    async fn call(&self, input: SleepInput, _: &ToolContext) -> Result<ToolOutput, ToolError> {
        tokio::time::sleep(Duration::from_millis(input.ms)).await;
        Ok(ToolOutput::text("slept", json!({})))
    }
}

/// A tool implementing `Tool` directly, with a name and schema known only at
/// run time (as an MCP tool is).
struct Dynamic(String);

#[async_trait]
impl Tool for Dynamic {
    fn name(&self) -> &str {
        &self.0
    }
    fn description(&self) -> &str {
        "A tool whose schema arrives at run time."
    }
    fn input_schema(&self) -> Value {
        json!({"type": "object", "properties": {"q": {"type": "string"}}})
    }
    fn targets(&self, _: &Value, _: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(vec![ToolTarget::Url {
            url: "https://example.invalid/".into(),
        }])
    }
    async fn call(&self, input: Value, _: &ToolContext) -> Result<ToolOutput, ToolError> {
        Ok(ToolOutput::text("ok", input))
    }
}

fn registry() -> ToolRegistry {
    let mut registry = ToolRegistry::new();
    registry.register(Echo).unwrap().register(Sleep).unwrap();
    registry
}

#[test]
fn duplicate_and_invalid_names_are_refused() {
    let mut registry = registry();
    assert_eq!(
        registry.register(Echo).unwrap_err(),
        RegistryError::DuplicateName("Echo".into())
    );
    for name in ["", "has space", "dots.are.bad", &"x".repeat(129)] {
        assert_eq!(
            registry.register(Dynamic(name.to_owned())).unwrap_err(),
            RegistryError::InvalidName(name.to_owned()),
            "{name:?}"
        );
    }
    assert_eq!(registry.names(), vec!["Echo", "Sleep"]);
    registry
        .register(Dynamic("mcp__docs__search".into()))
        .unwrap();
    let spec = registry.get("mcp__docs__search").unwrap().spec();
    assert_eq!(
        spec.input_schema["properties"]["q"],
        json!({"type": "string"})
    );
    // A tool that does not say otherwise is treated as mutating.
    assert!(!registry.get("mcp__docs__search").unwrap().is_read_only());
}

#[test]
fn specs_list_name_description_and_schema_in_order() {
    let specs = registry().specs();
    let names: Vec<(&str, &str)> = specs
        .iter()
        .map(|spec| (spec.name.as_str(), spec.description.as_str()))
        .collect();
    assert_eq!(names, vec![("Echo", "Echoes text."), ("Sleep", "Sleeps.")]);
    assert_eq!(specs[1].input_schema["required"], json!(["ms"]));
}

#[test]
fn filter_keeps_allowed_and_drops_denied() {
    let registry = registry();
    let cases = [
        (ToolFilter::all(), vec!["Echo", "Sleep"]),
        (ToolFilter::all().allow_only(["Sleep"]), vec!["Sleep"]),
        (ToolFilter::all().allow_only(Vec::<String>::new()), vec![]),
        (ToolFilter::all().deny(["Echo"]), vec!["Sleep"]),
        (
            ToolFilter::all()
                .allow_only(["Echo", "Sleep"])
                .deny(["Sleep"]),
            vec!["Echo"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(registry.filtered(&filter).names(), expected, "{filter:?}");
    }
}

#[tokio::test]
async fn unknown_tool_is_an_error_listing_the_tools() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ToolContext::builder(dir.path()).build().unwrap();
    let error = registry().call("Nope", json!({}), &ctx).await.unwrap_err();
    assert_eq!(
        error,
        ToolError::respond("No such tool: `Nope`. Available tools: Echo, Sleep")
    );
}

#[tokio::test]
async fn dispatch_runs_the_named_tool_and_reports_targets() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ToolContext::builder(dir.path()).build().unwrap();
    let registry = registry();
    let out = registry
        .call("Echo", json!({"text": "hi"}), &ctx)
        .await
        .unwrap();
    assert_eq!(out.text_content(), "hi");
    let targets = registry
        .targets("Echo", &json!({"text": "f.txt"}), &ctx)
        .unwrap();
    assert_eq!(targets, vec![ToolTarget::read(ctx.cwd().join("f.txt"))]);
}

#[tokio::test]
async fn cancelling_stops_a_running_call_with_a_fatal_error() {
    let dir = tempfile::tempdir().unwrap();
    let cancel = CancellationToken::new();
    let ctx = ToolContext::builder(dir.path())
        .cancel_token(cancel.clone())
        .build()
        .unwrap();
    let registry = registry();
    let call = registry.call("Sleep", json!({"ms": 60_000}), &ctx);
    let canceller = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        cancel.cancel();
    };
    let (result, ()) = tokio::join!(call, canceller);
    let error = result.unwrap_err();
    assert_eq!(error, ToolError::fatal("the Sleep call was cancelled"));
    assert!(!error.is_for_model());
    let again = registry.call("Echo", json!({"text": "x"}), &ctx).await;
    assert_eq!(again.unwrap_err(), ToolError::cancelled("Echo"));
}

#[test]
fn tool_output_becomes_a_tool_result_block() {
    let out = ToolOutput::text("done", json!({"success": true}));
    let block = out.into_result_block("call_1");
    assert_eq!(
        serde_json::to_value(&block).unwrap(),
        json!({"tool_use_id": "call_1", "content": "done", "is_error": false})
    );
    let error = ToolError::respond("bad").into_result_block("call_2");
    assert_eq!(
        serde_json::to_value(&error).unwrap(),
        json!({"tool_use_id": "call_2", "content": "bad", "is_error": true})
    );
}
