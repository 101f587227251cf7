//! `AskUserQuestion` (cli-core.md §2.14): questions for the user. The
//! permission engine always asks for it; the host's answer carries the
//! user's answers in `updated_input.answers`, and the tool turns them into
//! text for the model.

use std::collections::BTreeMap;

use async_trait::async_trait;
use ferrule_tool::{Tool, ToolContext, ToolError, ToolOutput, ToolTarget, parse_input, schema_for};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

/// One option of a question.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct QuestionOption {
    /// The option as shown (1-5 words).
    pub label: String,
    /// What choosing it means.
    #[serde(default)]
    pub description: String,
    /// Optional preview text shown with the option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
}

/// One question.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct Question {
    /// The full question, ending with a question mark.
    pub question: String,
    /// A very short label for the question (at most 12 characters).
    #[serde(default)]
    pub header: String,
    /// 2-4 choices; the user can always answer something else.
    #[serde(default)]
    pub options: Vec<QuestionOption>,
    /// Whether several options may be chosen.
    #[serde(default, rename = "multiSelect")]
    pub multi_select: bool,
}

/// Input of `AskUserQuestion`, as the model sees it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct AskUserQuestionInput {
    /// The questions (1-4).
    pub questions: Vec<Question>,
}

/// Everything the tool accepts: the shipped form, the SDK's single
/// question `{question, options?, default?}`, and the answers the host
/// filled in.
#[derive(Debug, Deserialize)]
struct Answered {
    #[serde(default)]
    questions: Vec<Question>,
    #[serde(default)]
    question: Option<String>,
    #[serde(default)]
    answers: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    answer: Option<Value>,
}

/// The `AskUserQuestion` tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct AskUserQuestionTool;

#[async_trait]
impl Tool for AskUserQuestionTool {
    fn name(&self) -> &str {
        "AskUserQuestion"
    }

    fn description(&self) -> &str {
        "Asks the user one to four multiple-choice questions and returns the answers. Use it \
         when a decision needs the user: unclear requirements, a choice between approaches, \
         a preference. The user may always answer with their own text instead of an option."
    }

    fn input_schema(&self) -> Value {
        schema_for::<AskUserQuestionInput>()
    }

    fn targets(&self, _: &Value, _: &ToolContext) -> Result<Vec<ToolTarget>, ToolError> {
        Ok(Vec::new())
    }

    async fn call(&self, input: Value, _: &ToolContext) -> Result<ToolOutput, ToolError> {
        let input: Answered = parse_input("AskUserQuestion", input)?;
        let mut answers: Vec<(String, String)> = Vec::new();
        if let Some(map) = &input.answers {
            for (question, answer) in map {
                answers.push((question.clone(), answer_text(answer)));
            }
        }
        if answers.is_empty()
            && let Some(answer) = &input.answer
        {
            let question = input
                .question
                .clone()
                .or_else(|| input.questions.first().map(|q| q.question.clone()))
                .unwrap_or_default();
            answers.push((question, answer_text(answer)));
        }
        if answers.is_empty() {
            return Err(ToolError::respond(
                "The user gave no answers (the host must return them in `answers`). \
                 Continue with your best judgement or ask again later.",
            ));
        }
        let listed: Vec<String> = answers
            .iter()
            .map(|(question, answer)| format!("\"{question}\"=\"{answer}\""))
            .collect();
        let text = format!(
            "The user answered your questions: {}. Continue with these answers in mind.",
            listed.join(", ")
        );
        let structured = json!({
            "questions": input.questions.iter().map(|q| json!({"question": q.question, "header": q.header})).collect::<Vec<_>>(),
            "answers": answers.iter().map(|(q, a)| (q.clone(), Value::String(a.clone()))).collect::<serde_json::Map<_, _>>(),
        });
        Ok(ToolOutput::text(text, structured))
    }
}

/// An answer as text: strings as they are, lists joined by commas.
fn answer_text(answer: &Value) -> String {
    match answer {
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(answer_text).collect::<Vec<_>>().join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_become_text_for_the_model() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ToolContext::builder(dir.path()).build().unwrap();
        let out = AskUserQuestionTool
            .call(
                json!({
                    "questions": [{"question": "Which DB?", "header": "DB", "options": [{"label": "sqlite"}, {"label": "pg"}], "multiSelect": false}],
                    "answers": {"Which DB?": "sqlite"}
                }),
                &ctx,
            )
            .await
            .unwrap();
        assert!(out.text_content().contains("\"Which DB?\"=\"sqlite\""));
        assert_eq!(out.structured["answers"]["Which DB?"], "sqlite");
    }

    #[tokio::test]
    async fn no_answers_is_an_error_the_model_reads() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ToolContext::builder(dir.path()).build().unwrap();
        let err = AskUserQuestionTool
            .call(json!({"questions": []}), &ctx)
            .await
            .unwrap_err();
        assert!(err.is_for_model());
    }
}
