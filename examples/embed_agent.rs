//! A downstream agent: ferrule's loop with its own tool and permission
//! asker, on the scripted model. `cargo run -p ferrule-examples --example embed_agent`
#![allow(clippy::print_stdout, reason = "an example shows its results")]

use std::sync::Arc;

use ferrule_agent::{AgentBuilder, AskAnswer, FnAsker, NullSink, UserInput};
use ferrule_model::{Script, ScriptedModel};
use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolRegistry, ToolTarget, TypedTool};

/// Input of `Note`: the line to keep.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct NoteInput {
    text: String,
}

/// Appends a line to `notes.txt`; not read-only, so every call is asked.
struct Note;

#[async_trait::async_trait]
impl TypedTool for Note {
    type Input = NoteInput;
    fn name(&self) -> &str {
        "Note"
    }
    fn description(&self) -> &str {
        "Keeps a note."
    }
    fn targets(&self, _: &NoteInput, ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(vec![ToolTarget::write(ctx.cwd().join("notes.txt"))])
    }
    async fn call(&self, input: NoteInput, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        std::fs::write(ctx.cwd().join("notes.txt"), &input.text)
            .map_err(|e| ToolError::respond(e.to_string()))?;
        Ok(ToolOutput::text(
            "noted",
            serde_json::json!({ "noted": input.text }),
        ))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let script: Script = serde_json::from_str(
        r#"{"turns": [
        {"blocks": [{"type": "tool_use", "id": "n1", "name": "Note", "input": {"text": "buy milk"}}]},
        {"blocks": [{"type": "text", "text": "I noted it."}]}]}"#,
    )?;
    let mut tools = ToolRegistry::new();
    tools.register(Note)?;
    let asker = FnAsker(|request: &ferrule_agent::AskRequest| {
        println!("asked about {}", request.tool_name);
        match request.tool_name.as_str() {
            "Note" => AskAnswer::allow(),
            _ => AskAnswer::deny("only notes are allowed"),
        }
    });
    let model = Arc::new(ScriptedModel::new("demo", script));
    let mut agent = AgentBuilder::new(model, tools, dir.path())
        .asker(Arc::new(asker))
        .build()?;
    let result = agent
        .run(UserInput::text("remember to buy milk"), &NullSink)
        .await;
    println!(
        "{:?}: {}",
        result.outcome,
        result.summary.result.unwrap_or_default()
    );
    println!(
        "notes.txt: {}",
        std::fs::read_to_string(dir.path().join("notes.txt"))?
    );
    Ok(())
}
