//! Showing permission requests and questions, and sending the answers.

use ferrule_agent::AskAnswer;

use super::EventLoop;
use super::switch::Switch;
use crate::always::{Always, always_for};
use crate::asker::PendingAsk;
use crate::state::{Cell, PermissionChoice, PermissionPrompt, Prompt, QuestionPrompt};

/// The request on screen and what "allow always" would add for it.
pub(super) struct Current {
    pending: PendingAsk,
    always: Option<Always>,
}

impl EventLoop {
    /// Puts the next waiting request on screen, when none is.
    pub(super) fn show_next_ask(&mut self) {
        while self.current.is_none() {
            let Some(pending) = self.asks.pop_front() else {
                return;
            };
            if pending.request.cancel.is_cancelled() {
                continue;
            }
            let request = &pending.request;
            let question = (request.tool_name == "AskUserQuestion")
                .then(|| QuestionPrompt::from_input(&request.input))
                .flatten();
            let always = if question.is_some() {
                None
            } else {
                always_for(request, self.session.cwd(), |rule| {
                    self.session
                        .rule_allows(rule, &request.tool_name, &request.input)
                })
            };
            self.app.prompt = Some(match question {
                Some(question) => Prompt::Question(question),
                None => Prompt::Permission(PermissionPrompt {
                    tool_name: request.tool_name.clone(),
                    input: request.input.clone(),
                    reason: Some(request.decision.reason.clone()).filter(|r| !r.is_empty()),
                    always: always
                        .as_ref()
                        .map(|a| (a.label(), ".qoder/settings.local.json".to_owned())),
                    selected: 0,
                    feedback: None,
                }),
            });
            self.current = Some(Current { pending, always });
        }
    }

    /// Closes the prompt of a request the agent stopped waiting for.
    pub(super) fn drop_cancelled_prompt(&mut self) {
        if self
            .current
            .as_ref()
            .is_some_and(|c| c.pending.request.cancel.is_cancelled())
        {
            self.current = None;
            self.app.prompt = None;
            self.show_next_ask();
        }
    }

    fn reply(&mut self, answer: AskAnswer) {
        if let Some(current) = self.current.take() {
            let _ = current.pending.reply.send(answer);
        }
        self.show_next_ask();
    }

    pub(super) fn answer_permission(&mut self, choice: PermissionChoice, interrupt: bool) {
        let answer = match choice {
            PermissionChoice::AllowOnce => AskAnswer::allow(),
            PermissionChoice::AllowAlways => {
                let Some(always) = self.current.as_ref().and_then(|c| c.always.clone()) else {
                    return self.reply(AskAnswer::allow());
                };
                let file = ferrule_config::local_settings_file(self.session.cwd());
                let note = match always.persist(&file) {
                    Ok(_) => match &always {
                        Always::Rule(rule) => {
                            format!("Added {rule} to permissions.allow in {}", file.display())
                        }
                        Always::Directory(dir) => format!(
                            "Added {dir} to permissions.additionalDirectories in {}",
                            file.display()
                        ),
                    },
                    Err(error) => format!(
                        "Allowed {} for this session; saving it failed: {error}",
                        always.label()
                    ),
                };
                self.app.transcript.push(Cell::Info(note));
                AskAnswer::Allow {
                    updated_input: None,
                    updated_permissions: vec![always.session_update()],
                }
            }
            PermissionChoice::Deny(feedback) => AskAnswer::Deny {
                message: if feedback.trim().is_empty() {
                    "The user denied this tool call.".to_owned()
                } else {
                    format!(
                        "The user denied this tool call and said: {}",
                        feedback.trim()
                    )
                },
                interrupt,
            },
        };
        self.reply(answer);
    }

    pub(super) fn answer_question(&mut self, answer: Option<serde_json::Value>) {
        let answer = match answer {
            Some(input) => AskAnswer::Allow {
                updated_input: Some(input),
                updated_permissions: Vec::new(),
            },
            None => AskAnswer::Deny {
                message: "The user declined to answer the question.".to_owned(),
                interrupt: false,
            },
        };
        self.reply(answer);
    }
}

/// The label of the answer that trusts the folder.
const TRUST_YES: &str = "Yes, trust this folder";

impl EventLoop {
    /// In an untrusted folder, asks whether to trust it (first thing on
    /// screen).
    pub(super) fn ask_trust(&mut self) {
        if self.session.workspace().trusted {
            return;
        }
        let file = crate::trust::user_settings(&self.session.options).map_or_else(
            || "the user settings".to_owned(),
            |f| f.display().to_string(),
        );
        let input = serde_json::json!({"questions": [{
            "header": "Folder trust",
            "question": format!(
                "Do you trust the files in {}? Project settings, hooks and AGENTS.md apply only in trusted folders.",
                self.session.cwd().display()
            ),
            "options": [
                {"label": TRUST_YES, "description": format!("remembered in {file}")},
                {"label": "No, continue without them", "description": ""},
            ],
        }]});
        if let Some(mut question) = QuestionPrompt::from_input(&input) {
            question.other_allowed = false;
            self.app.prompt = Some(Prompt::Question(question));
            self.trust_question = true;
        }
    }

    pub(super) fn answer_trust(&mut self, answer: Option<serde_json::Value>) {
        self.trust_question = false;
        let yes = answer
            .as_ref()
            .and_then(|input| input.get("answers"))
            .and_then(serde_json::Value::as_object)
            .is_some_and(|answers| answers.values().any(|v| v == TRUST_YES));
        if yes {
            match crate::trust::trust(&self.session.options) {
                Ok(file) => {
                    let options = crate::trust::with_trust(self.session.options.clone());
                    let note = format!(
                        "Trusted this folder (added to permissions.trustDirectories in {}): project settings, hooks and AGENTS.md now apply.",
                        file.display()
                    );
                    self.pending_session = Some((Box::new(options), note, Switch::Trust));
                    // The command line's prompt goes to the trusted session.
                    return;
                }
                Err(error) => self
                    .app
                    .transcript
                    .push(Cell::Error(format!("Cannot trust this folder: {error}"))),
            }
        } else {
            self.app.transcript.push(Cell::Info(
                "Continuing without project settings, hooks and AGENTS.md.".into(),
            ));
        }
        if let Some(prompt) = self.deferred.take() {
            self.submit(prompt);
        }
    }
}
