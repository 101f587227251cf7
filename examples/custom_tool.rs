//! A downstream agent defines its own tool and offers it beside ferrule's
//! built-ins.
//!
//! The tool, `WordCount`, has a typed input: `schemars` turns it into the
//! JSON Schema the model sees, and the registry parses each call into it,
//! answering bad input with an error that names the field. The tool reads
//! through the same `ToolContext` as the built-ins, so it gets path
//! resolution and the allowed-directory check for free.
//!
//! Run it with `cargo run -p ferrule-examples --example custom_tool`.
#![allow(clippy::print_stdout, reason = "an example shows its results")]

use anyhow::Context as _;
use async_trait::async_trait;
use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolRegistry, ToolTarget, TypedTool};
use ferrule_tools::{BuiltinOptions, builtin_tools};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

/// Input of `WordCount`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct WordCountInput {
    /// The file to count words in (absolute, or relative to the working
    /// directory).
    file_path: String,
    /// Count only this word (case-sensitive); all words when absent.
    #[serde(default)]
    word: Option<String>,
}

/// Counts the words of a text file.
struct WordCount;

#[async_trait]
impl TypedTool for WordCount {
    type Input = WordCountInput;

    fn name(&self) -> &str {
        "WordCount"
    }

    fn description(&self) -> &str {
        "Counts the words in a text file, or how often one word occurs."
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn targets(
        &self,
        input: &WordCountInput,
        ctx: &ToolContext,
    ) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(vec![ToolTarget::read(
            ctx.resolve_path("file_path", &input.file_path)?,
        )])
    }

    async fn call(
        &self,
        input: WordCountInput,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let path = ctx.resolve_path("file_path", &input.file_path)?;
        let text = tokio::fs::read_to_string(&path).await.map_err(|error| {
            ToolError::respond(format!("cannot read {}: {error}", path.display()))
        })?;
        let words = text.split_whitespace();
        let count = match &input.word {
            Some(word) => words.filter(|candidate| candidate == word).count(),
            None => words.count(),
        };
        let message = match &input.word {
            Some(word) => format!("`{word}` occurs {count} times in {}", path.display()),
            None => format!("{} has {count} words", path.display()),
        };
        Ok(ToolOutput::text(
            message,
            json!({"file_path": path.display().to_string(), "count": count}),
        ))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    // A scratch workspace; a real agent uses the user's project directory.
    let workspace = tempfile::tempdir().context("creating a scratch workspace")?;
    let ctx = ToolContext::builder(workspace.path()).build()?;

    let mut registry = ToolRegistry::new();
    for tool in builtin_tools(&BuiltinOptions::default()) {
        registry.register_arc(tool)?;
    }
    registry.register(WordCount)?;

    println!("tools offered to the model:");
    for spec in registry.specs() {
        println!("- {}", spec.name);
    }
    let spec = registry
        .get("WordCount")
        .context("WordCount is registered")?
        .spec();
    println!(
        "WordCount input schema: {}",
        serde_json::to_string(&spec.input_schema)?
    );

    // The model writes a file with a built-in, then counts with our tool.
    registry
        .call(
            "Write",
            json!({"file_path": "poem.txt", "content": "the cat saw the dog\n"}),
            &ctx,
        )
        .await?;
    let all = registry
        .call("WordCount", json!({"file_path": "poem.txt"}), &ctx)
        .await?;
    println!("{}", all.text_content());
    let the = registry
        .call(
            "WordCount",
            json!({"file_path": "poem.txt", "word": "the"}),
            &ctx,
        )
        .await?;
    println!("{} -> {}", the.text_content(), the.structured);

    // Bad input comes back as an error the model can read and fix.
    let error = registry
        .call("WordCount", json!({"file": "poem.txt"}), &ctx)
        .await
        .err()
        .context("a call without file_path fails")?;
    println!("error for the model: {error}");
    // So does a path outside the workspace.
    let error = registry
        .call("WordCount", json!({"file_path": "/etc/hostname"}), &ctx)
        .await
        .err()
        .context("a path outside the workspace is refused")?;
    println!("error for the model: {error}");
    Ok(())
}
