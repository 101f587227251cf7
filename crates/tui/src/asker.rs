//! The interface's [`Asker`]: a request goes to the event loop, which shows
//! it as a prompt and sends the user's answer back.

use async_trait::async_trait;
use ferrule_agent::{AskAnswer, AskRequest, Asker, ElicitAnswer, ElicitRequest, ElicitationAction};
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};

/// A request waiting for the user, with where the answer goes.
#[derive(Debug)]
pub(crate) struct PendingAsk {
    pub(crate) request: AskRequest,
    pub(crate) reply: oneshot::Sender<AskAnswer>,
}

/// Forwards every ask to the event loop and waits for the answer, or for
/// the run's interrupt.
#[derive(Debug, Clone)]
pub(crate) struct TuiAsker {
    pub(crate) requests: mpsc::UnboundedSender<PendingAsk>,
}

#[async_trait]
impl Asker for TuiAsker {
    async fn ask(&self, request: AskRequest) -> AskAnswer {
        let cancel = request.cancel.clone();
        let (reply, answer) = oneshot::channel();
        if self.requests.send(PendingAsk { request, reply }).is_err() {
            return AskAnswer::Deny {
                message: "The terminal interface closed before the user answered.".into(),
                interrupt: true,
            };
        }
        tokio::select! {
            answer = answer => answer.unwrap_or(AskAnswer::Deny {
                message: "The prompt was closed without an answer.".into(),
                interrupt: true,
            }),
            () = cancel.cancelled() => AskAnswer::Deny {
                message: "Interrupted by the user.".into(),
                interrupt: true,
            },
        }
    }

    /// An MCP elicitation is shown like AskUserQuestion: one question per
    /// field of the requested schema (enums and booleans as options), or
    /// Done / Decline for a page to open. Declining is a decline, Esc a
    /// cancel.
    async fn elicit(&self, request: ElicitRequest) -> ElicitAnswer {
        let (input, fields) = elicitation_questions(&request);
        let ask = AskRequest {
            tool_use_id: request.elicitation_id.clone(),
            tool_name: "AskUserQuestion".to_owned(),
            input,
            decision: ferrule_permissions::Decision {
                behavior: ferrule_permissions::Behavior::Ask,
                ask_kind: Some(ferrule_permissions::AskKind::Interaction),
                rule: None,
                reason: format!("MCP server {} asks for input", request.server),
                classifiable: None,
            },
            suggestions: Vec::new(),
            agent_id: None,
            cancel: request.cancel.clone(),
        };
        elicitation_answer(&request, &fields, self.ask(ask).await)
    }
}

/// One schema field asked as a question: its name, question text and type.
struct Field {
    name: String,
    question: String,
    kind: String,
}

const DONE: &str = "Done";
const DECLINE: &str = "Decline";

/// The AskUserQuestion input for `request`, and the fields in order.
fn elicitation_questions(request: &ElicitRequest) -> (Value, Vec<Field>) {
    let intro = format!("{} asks: {}", request.server, request.message);
    if let Some(url) = &request.url {
        let question = format!("{intro}\nOpen {url}, then choose {DONE}.");
        let input = json!({"questions": [{"question": question, "header": "MCP", "options": [
            {"label": DONE, "description": "I finished on that page"},
            {"label": DECLINE, "description": "Do not continue"}
        ]}]});
        return (input, Vec::new());
    }
    let empty = Map::new();
    let properties = request
        .requested_schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut questions = Vec::new();
    let mut fields = Vec::new();
    for (name, spec) in properties {
        let label = ["title", "description"]
            .iter()
            .find_map(|k| spec.get(*k).and_then(Value::as_str))
            .unwrap_or(name);
        let question = format!("{intro}\n{label}");
        let kind = spec.get("type").and_then(Value::as_str).unwrap_or("string");
        let options: Vec<Value> = match (spec.get("enum").and_then(Value::as_array), kind) {
            (Some(values), _) => values
                .iter()
                .filter_map(Value::as_str)
                .map(|v| json!({"label": v, "description": ""}))
                .collect(),
            (None, "boolean") => vec![
                json!({"label": "yes", "description": ""}),
                json!({"label": "no", "description": ""}),
            ],
            _ => Vec::new(),
        };
        questions.push(json!({"question": question, "header": name, "options": options}));
        fields.push(Field {
            name: name.clone(),
            question,
            kind: kind.to_owned(),
        });
    }
    if questions.is_empty() {
        questions.push(json!({"question": intro, "header": "MCP", "options": [
            {"label": DONE, "description": "Accept"},
            {"label": DECLINE, "description": "Decline"}
        ]}));
    }
    (json!({"questions": questions}), fields)
}

/// The user's answer to the questions as an elicitation answer.
fn elicitation_answer(
    request: &ElicitRequest,
    fields: &[Field],
    answer: AskAnswer,
) -> ElicitAnswer {
    let answers = match answer {
        AskAnswer::Deny { interrupt, .. } => {
            return ElicitAnswer {
                action: if interrupt {
                    ElicitationAction::Cancel
                } else {
                    ElicitationAction::Decline
                },
                content: None,
            };
        }
        AskAnswer::Allow { updated_input, .. } => updated_input
            .and_then(|input| input.get("answers").cloned())
            .and_then(|a| a.as_object().cloned())
            .unwrap_or_default(),
    };
    if fields.is_empty() {
        let chosen = answers.values().next().and_then(Value::as_str);
        let action = if chosen == Some(DECLINE) {
            ElicitationAction::Decline
        } else {
            ElicitationAction::Accept
        };
        let content =
            (request.url.is_none() && action == ElicitationAction::Accept).then(|| json!({}));
        return ElicitAnswer { action, content };
    }
    let mut content = Map::new();
    for field in fields {
        let Some(given) = answers.get(&field.question) else {
            continue;
        };
        let text = match given {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let value = match field.kind.as_str() {
            "integer" => text.trim().parse::<i64>().map(Value::from).ok(),
            "number" => text.trim().parse::<f64>().ok().map(Value::from),
            "boolean" => Some(Value::Bool(matches!(
                text.trim().to_ascii_lowercase().as_str(),
                "yes" | "true" | "y"
            ))),
            _ => None,
        };
        content.insert(field.name.clone(), value.unwrap_or(Value::String(text)));
    }
    ElicitAnswer {
        action: ElicitationAction::Accept,
        content: Some(Value::Object(content)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_permissions::Decision;
    use serde_json::json;
    use tokio_util::sync::CancellationToken;

    fn request(cancel: CancellationToken) -> AskRequest {
        AskRequest {
            tool_use_id: "t1".into(),
            tool_name: "Bash".into(),
            input: json!({"command": "ls"}),
            decision: Decision {
                behavior: ferrule_permissions::Behavior::Ask,
                ask_kind: Some(ferrule_permissions::AskKind::NoRule),
                rule: None,
                reason: "no rule".into(),
                classifiable: None,
            },
            suggestions: Vec::new(),
            agent_id: None,
            cancel,
        }
    }

    #[tokio::test]
    async fn the_answer_comes_from_the_loop() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let asker = TuiAsker { requests: tx };
        let task = tokio::spawn(async move { asker.ask(request(CancellationToken::new())).await });
        let pending = rx.recv().await.unwrap();
        assert_eq!(pending.request.tool_name, "Bash");
        pending.reply.send(AskAnswer::allow()).unwrap();
        assert_eq!(task.await.unwrap(), AskAnswer::allow());
    }

    fn elicitation(schema: Value, url: Option<&str>) -> ElicitRequest {
        ElicitRequest {
            server: "srv".into(),
            message: "Who are you?".into(),
            mode: if url.is_some() { "url" } else { "form" }.into(),
            url: url.map(str::to_owned),
            elicitation_id: "e1".into(),
            requested_schema: schema,
            cancel: CancellationToken::new(),
        }
    }

    #[tokio::test]
    async fn an_elicitation_is_asked_as_questions_and_answers_become_typed_content() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let asker = TuiAsker { requests: tx };
        let schema = json!({"type": "object", "properties": {
            "name": {"type": "string", "title": "Your name"},
            "age": {"type": "integer"},
            "admin": {"type": "boolean"}
        }});
        let task = tokio::spawn(async move { asker.elicit(elicitation(schema, None)).await });
        let pending = rx.recv().await.unwrap();
        assert_eq!(pending.request.tool_name, "AskUserQuestion");
        let questions = pending.request.input["questions"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(questions.len(), 3);
        let q = |header: &str| {
            questions
                .iter()
                .find(|q| q["header"] == header)
                .and_then(|q| q["question"].as_str())
                .unwrap()
                .to_owned()
        };
        assert!(q("name").contains("srv asks: Who are you?") && q("name").ends_with("Your name"));
        let admin = questions.iter().find(|q| q["header"] == "admin").unwrap();
        assert_eq!(admin["options"][0]["label"], "yes");
        let mut input = pending.request.input.clone();
        input["answers"] = json!({q("admin"): "yes", q("age"): "42", q("name"): "Ada"});
        pending
            .reply
            .send(AskAnswer::Allow {
                updated_input: Some(input),
                updated_permissions: Vec::new(),
            })
            .unwrap();
        let answer = task.await.unwrap();
        assert_eq!(answer.action, ElicitationAction::Accept);
        assert_eq!(
            answer.content,
            Some(json!({"admin": true, "age": 42, "name": "Ada"}))
        );
    }

    #[tokio::test]
    async fn declining_an_elicitation_declines_and_esc_cancels() {
        for (interrupt, action) in [
            (false, ElicitationAction::Decline),
            (true, ElicitationAction::Cancel),
        ] {
            let (tx, mut rx) = mpsc::unbounded_channel();
            let asker = TuiAsker { requests: tx };
            let task = tokio::spawn(async move {
                asker
                    .elicit(elicitation(json!({}), Some("https://x.invalid")))
                    .await
            });
            let pending = rx.recv().await.unwrap();
            let text = pending.request.input["questions"][0]["question"].to_string();
            assert!(text.contains("https://x.invalid"), "{text}");
            pending
                .reply
                .send(AskAnswer::Deny {
                    message: String::new(),
                    interrupt,
                })
                .unwrap();
            let answer = task.await.unwrap();
            assert_eq!((answer.action, answer.content), (action, None));
        }
    }

    #[tokio::test]
    async fn an_interrupt_stops_the_wait() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let asker = TuiAsker { requests: tx };
        let cancel = CancellationToken::new();
        let task = tokio::spawn({
            let cancel = cancel.clone();
            async move { asker.ask(request(cancel)).await }
        });
        let _pending = rx.recv().await.unwrap();
        cancel.cancel();
        assert!(matches!(
            task.await.unwrap(),
            AskAnswer::Deny {
                interrupt: true,
                ..
            }
        ));
    }
}
