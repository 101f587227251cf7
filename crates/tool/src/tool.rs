//! The `Tool` trait and its typed form.

use async_trait::async_trait;
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;

use crate::{ToolContext, ToolError, ToolOutput, ToolTarget};

/// What the model is told about a tool: its name, what it does and the JSON
/// Schema of its input.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ToolSpec {
    /// The tool name the model calls, e.g. `Read`.
    pub name: String,
    /// What the tool does and how to use it.
    pub description: String,
    /// JSON Schema of the input object.
    pub input_schema: Value,
}

/// A tool the agent can call: built-in, MCP or defined by an embedder.
///
/// Object safe: registries hold `Arc<dyn Tool>`. Most tools implement
/// [`TypedTool`] instead and get this trait, input parsing and the schema
/// for free; a tool whose schema is only known at run time (MCP) implements
/// `Tool` directly.
#[async_trait]
pub trait Tool: Send + Sync {
    /// The name the model calls the tool by.
    fn name(&self) -> &str;

    /// What the tool does, for the model.
    fn description(&self) -> &str;

    /// JSON Schema of the input object.
    fn input_schema(&self) -> Value;

    /// True when the tool never changes anything outside the session, so
    /// that several calls of one turn may run at once. Defaults to `false`:
    /// a tool is treated as mutating unless it says otherwise.
    fn is_read_only(&self) -> bool {
        false
    }

    /// What a call with `input` would touch: paths (read or write), a shell
    /// command, a URL. The permission engine and checkpoints read this before
    /// the call runs. Bad input is reported the same way `call` would.
    fn targets(&self, input: &Value, ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError>;

    /// Runs the tool. Long-running tools watch `ctx.cancel_token()`.
    async fn call(&self, input: Value, ctx: &ToolContext) -> Result<ToolOutput, ToolError>;

    /// The spec the model sees.
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: self.name().to_owned(),
            description: self.description().to_owned(),
            input_schema: self.input_schema(),
        }
    }
}

/// A tool with a typed input: the schema is generated from `Input` with
/// schemars and every call's JSON is parsed into it, with errors naming the
/// bad field (`edits[1].old_string: invalid type ...`).
///
/// ```
/// use async_trait::async_trait;
/// use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
/// use schemars::JsonSchema;
/// use serde::Deserialize;
///
/// /// Input of the `Shout` tool.
/// #[derive(Deserialize, JsonSchema)]
/// struct ShoutInput {
///     /// The text to shout.
///     text: String,
/// }
///
/// struct Shout;
///
/// #[async_trait]
/// impl TypedTool for Shout {
///     type Input = ShoutInput;
///     fn name(&self) -> &str { "Shout" }
///     fn description(&self) -> &str { "Upper-cases text." }
///     fn is_read_only(&self) -> bool { true }
///     fn targets(&self, _: &ShoutInput, _: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
///         Ok(Vec::new())
///     }
///     async fn call(&self, input: ShoutInput, _: &ToolContext) -> Result<ToolOutput, ToolError> {
///         let loud = input.text.to_uppercase();
///         Ok(ToolOutput::text(loud.clone(), serde_json::json!({ "text": loud })))
///     }
/// }
/// ```
#[async_trait]
pub trait TypedTool: Send + Sync {
    /// The input type; its doc comments become the schema's descriptions.
    type Input: DeserializeOwned + JsonSchema + Send;

    /// The name the model calls the tool by.
    fn name(&self) -> &str;

    /// What the tool does, for the model.
    fn description(&self) -> &str;

    /// See [`Tool::is_read_only`]; defaults to `false`.
    fn is_read_only(&self) -> bool {
        false
    }

    /// See [`Tool::targets`].
    fn targets(&self, input: &Self::Input, ctx: &ToolContext)
    -> Result<Vec<ToolTarget>, ToolError>;

    /// Runs the tool on parsed input.
    async fn call(&self, input: Self::Input, ctx: &ToolContext) -> Result<ToolOutput, ToolError>;
}

#[async_trait]
impl<T: TypedTool> Tool for T {
    fn name(&self) -> &str {
        TypedTool::name(self)
    }

    fn description(&self) -> &str {
        TypedTool::description(self)
    }

    fn input_schema(&self) -> Value {
        schema_for::<T::Input>()
    }

    fn is_read_only(&self) -> bool {
        TypedTool::is_read_only(self)
    }

    fn targets(&self, input: &Value, ctx: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        let input = parse_input::<T::Input>(TypedTool::name(self), input.clone())?;
        TypedTool::targets(self, &input, ctx)
    }

    async fn call(&self, input: Value, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let input = parse_input::<T::Input>(TypedTool::name(self), input)?;
        TypedTool::call(self, input, ctx).await
    }
}

/// The model-facing JSON Schema of `T`: draft 2020-12, subschemas inlined
/// (models handle `$ref` poorly), without `$schema` and the root `title`.
pub fn schema_for<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::draft2020_12()
        .with(|settings| {
            settings.inline_subschemas = true;
            settings.meta_schema = None;
        })
        .for_deserialize()
        .into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    if let Some(object) = schema.as_object_mut() {
        object.remove("title");
    }
    unwrap_descriptions(&mut schema);
    schema
}

/// Joins the lines of wrapped doc comments (`"from\nthe"` → `"from the"`);
/// blank-line paragraph breaks stay.
fn unwrap_descriptions(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for (key, child) in object.iter_mut() {
                match child {
                    Value::String(text) if key == "description" => {
                        *text = text
                            .split("\n\n")
                            .map(|paragraph| paragraph.replace('\n', " "))
                            .collect::<Vec<_>>()
                            .join("\n\n");
                    }
                    _ => unwrap_descriptions(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(unwrap_descriptions),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

/// Parses a tool's JSON input into `T`. The error names the tool and the
/// path of the bad field, e.g. ``Invalid input for Edit: at `edits[0]`:
/// missing field `old_string` ``.
pub fn parse_input<T: DeserializeOwned>(tool_name: &str, input: Value) -> Result<T, ToolError> {
    if !input.is_object() {
        return Err(ToolError::respond(format!(
            "Invalid input for {tool_name}: expected a JSON object, got {}",
            json_kind(&input)
        )));
    }
    serde_path_to_error::deserialize(input).map_err(|error| {
        let mut segments: Vec<&Segment> = error.path().iter().collect();
        let inner = error.inner().to_string();
        // For an unknown field the path ends at that field, which the
        // message names already; point at the object holding it instead.
        if inner.starts_with("unknown field") {
            segments.pop();
        }
        let path = field_path(&segments);
        if path.is_empty() {
            ToolError::respond(format!("Invalid input for {tool_name}: {inner}"))
        } else {
            ToolError::respond(format!(
                "Invalid input for {tool_name}: field `{path}`: {inner}"
            ))
        }
    })
}

/// A field path written the way a JSON reader expects: `edits[0].old_string`.
fn field_path(segments: &[&Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Enum { variant } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(variant);
            }
            Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
