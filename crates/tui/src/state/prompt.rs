//! Questions the interface puts to the user while a turn waits: permission
//! prompts and AskUserQuestion.

use serde_json::{Map, Value};

/// What the user chose at a permission prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionChoice {
    /// Run it this once.
    AllowOnce,
    /// Run it and keep the offered rule.
    AllowAlways,
    /// Refuse, with feedback for the model (maybe empty).
    Deny(String),
}

/// A permission prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct PermissionPrompt {
    /// Tool name.
    pub tool_name: String,
    /// Tool input.
    pub input: Value,
    /// Why the engine asks, when it says.
    pub reason: Option<String>,
    /// The rule "allow always" adds, and the file it goes to, when there is one.
    pub always: Option<(String, String)>,
    /// The highlighted option (0 once, 1 always, 2 deny).
    pub selected: usize,
    /// Feedback being typed after choosing deny.
    pub feedback: Option<String>,
}

impl PermissionPrompt {
    /// The options in display order.
    pub fn options(&self) -> Vec<PermissionChoice> {
        let mut options = vec![PermissionChoice::AllowOnce];
        if self.always.is_some() {
            options.push(PermissionChoice::AllowAlways);
        }
        options.push(PermissionChoice::Deny(String::new()));
        options
    }

    /// Moves the highlight by `delta` within the options.
    pub fn step(&mut self, delta: isize) {
        let len = self.options().len() as isize;
        self.selected = (self.selected as isize + delta).clamp(0, len - 1) as usize;
    }
}

/// One AskUserQuestion question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The question.
    pub question: String,
    /// Short header, when given.
    pub header: Option<String>,
    /// Options as (label, description).
    pub options: Vec<(String, String)>,
    /// Whether several options may be picked.
    pub multi_select: bool,
}

/// An AskUserQuestion call being answered.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionPrompt {
    /// The questions, in order.
    pub questions: Vec<Question>,
    /// The question being answered.
    pub current: usize,
    /// The highlighted option; `options.len()` is "Other".
    pub selected: usize,
    /// Options ticked on a multi-select question.
    pub ticked: Vec<bool>,
    /// Free text being typed for "Other".
    pub other: Option<String>,
    /// Answers given so far, by question text.
    pub answers: Map<String, Value>,
    /// The call's input, returned with the answers added.
    pub input: Value,
    /// Whether "Other" (a typed answer) is offered.
    pub other_allowed: bool,
}

impl QuestionPrompt {
    /// Reads the questions from an AskUserQuestion input: the shipped shape
    /// `{questions: [{question, header, options: [{label, description}],
    /// multiSelect}]}` or the SDK's `{question, options?}`.
    pub fn from_input(input: &Value) -> Option<Self> {
        let parse = |q: &Value| -> Option<Question> {
            let question = q.get("question")?.as_str()?.to_owned();
            let options = q
                .get("options")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|o| match o {
                    Value::String(label) => Some((label.clone(), String::new())),
                    _ => Some((
                        o.get("label")?.as_str()?.to_owned(),
                        o.get("description")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                    )),
                })
                .collect();
            Some(Question {
                question,
                header: q.get("header").and_then(Value::as_str).map(str::to_owned),
                options,
                multi_select: q
                    .get("multiSelect")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            })
        };
        let questions: Vec<Question> = match input.get("questions").and_then(Value::as_array) {
            Some(list) => list.iter().filter_map(parse).collect(),
            None => parse(input).into_iter().collect(),
        };
        let first = questions.first()?;
        Some(Self {
            ticked: vec![false; first.options.len()],
            questions,
            current: 0,
            selected: 0,
            other: None,
            answers: Map::new(),
            input: input.clone(),
            other_allowed: true,
        })
    }

    /// The question being answered.
    pub fn question(&self) -> Option<&Question> {
        self.questions.get(self.current)
    }

    /// Moves the highlight, "Other" included.
    pub fn step(&mut self, delta: isize) {
        let len = self.question().map_or(0, |q| q.options.len()) as isize
            + isize::from(self.other_allowed);
        self.selected = (self.selected as isize + delta).clamp(0, len - 1) as usize;
    }

    /// Records `answer` for the current question and moves on. Returns the
    /// updated input once every question is answered.
    pub fn answer(&mut self, answer: String) -> Option<Value> {
        let question = self.question()?.question.clone();
        self.answers.insert(question, Value::String(answer));
        self.current += 1;
        self.selected = 0;
        self.other = None;
        let Some(next) = self.question() else {
            let mut input = self.input.clone();
            if let Value::Object(map) = &mut input {
                map.insert("answers".into(), Value::Object(self.answers.clone()));
            }
            return Some(input);
        };
        self.ticked = vec![false; next.options.len()];
        None
    }

    /// The answer Enter gives on the highlighted option: its label, or the
    /// ticked labels joined by `, ` on a multi-select question.
    pub fn chosen(&self) -> Option<String> {
        let question = self.question()?;
        if question.multi_select && self.ticked.iter().any(|t| *t) {
            let labels: Vec<&str> = question
                .options
                .iter()
                .zip(&self.ticked)
                .filter(|(_, ticked)| **ticked)
                .map(|((label, _), _)| label.as_str())
                .collect();
            return Some(labels.join(", "));
        }
        question
            .options
            .get(self.selected)
            .map(|(label, _)| label.clone())
    }
}

/// Whatever prompt is open.
#[derive(Debug, Clone, PartialEq)]
pub enum Prompt {
    /// Allow or deny a tool call.
    Permission(PermissionPrompt),
    /// Answer AskUserQuestion.
    Question(QuestionPrompt),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn questions_are_answered_in_order() {
        let input = json!({"questions": [
            {"question": "Which db?", "header": "DB", "options": [
                {"label": "sqlite", "description": "file"}, {"label": "postgres", "description": "server"}
            ], "multiSelect": false},
            {"question": "Extras?", "options": [{"label": "a"}, {"label": "b"}], "multiSelect": true}
        ]});
        let mut prompt = QuestionPrompt::from_input(&input).unwrap();
        prompt.step(1);
        assert_eq!(prompt.chosen().as_deref(), Some("postgres"));
        assert!(prompt.answer("postgres".into()).is_none());
        prompt.ticked = vec![true, true];
        let done = prompt.answer(prompt.chosen().unwrap()).unwrap();
        assert_eq!(
            done["answers"],
            json!({"Which db?": "postgres", "Extras?": "a, b"})
        );
        assert_eq!(done["questions"], input["questions"]);
    }

    #[test]
    fn sdk_shape_and_bad_input() {
        let prompt = QuestionPrompt::from_input(&json!({"question": "ok?", "options": ["y", "n"]}));
        assert_eq!(prompt.unwrap().questions[0].options[1].0, "n");
        assert!(QuestionPrompt::from_input(&json!({"nope": 1})).is_none());
    }

    #[test]
    fn permission_options_depend_on_the_rule() {
        let mut prompt = PermissionPrompt {
            tool_name: "Bash".into(),
            input: json!({"command": "ls"}),
            reason: None,
            always: None,
            selected: 0,
            feedback: None,
        };
        assert_eq!(prompt.options().len(), 2);
        prompt.step(5);
        assert_eq!(prompt.selected, 1);
    }
}
