//! `/rewind` in the event loop: the dry run, the question, the rewind. Both
//! runs take the agent into a task of their own (the checkpoint store reads
//! and writes files) and hand it back through [`Done::Rewound`].

use ferrule_checkpoint::RewindReport;

use super::{Done, EventLoop};
use crate::rewind::{self, Preview, RewindRequest, RewindStage, RewindTarget};
use crate::state::{Cell, Prompt, QuestionPrompt};

impl EventLoop {
    /// Runs `/rewind [N [force]]`: lists the prompts, or starts the dry run.
    pub(super) fn rewind(&mut self, args: &str) {
        match rewind::parse(&self.marks, args) {
            RewindRequest::List(text) => self.app.transcript.push(Cell::Info(text)),
            RewindRequest::Invalid(text) => self.app.transcript.push(Cell::Error(text)),
            RewindRequest::Rewind(target) => self.run_rewind(target, RewindStage::Preview),
        }
    }

    fn run_rewind(&mut self, target: RewindTarget, stage: RewindStage) {
        let Some(agent) = self.take_idle_agent() else {
            return;
        };
        let done = self.done.clone();
        tokio::spawn(async move {
            let report = agent
                .rewind_files_with(&target.mark.uuid, target.options(stage))
                .await;
            let _ = done.send(Done::Rewound(Box::new(agent), target, stage, report));
        });
    }

    /// A rewind run ended (the agent is back): shows the preview and asks,
    /// or shows the outcome.
    pub(super) fn rewound(
        &mut self,
        target: RewindTarget,
        stage: RewindStage,
        report: RewindReport,
    ) {
        match stage {
            RewindStage::Preview => match rewind::preview(&target, &report) {
                Preview::Refused(text) => self.app.transcript.push(Cell::Error(text)),
                Preview::Nothing(text) => self.app.transcript.push(Cell::Info(text)),
                Preview::Confirm(text) => {
                    self.app.transcript.push(Cell::Info(text));
                    if let Some(mut question) =
                        QuestionPrompt::from_input(&rewind::confirm_question(&target))
                    {
                        question.other_allowed = false;
                        self.app.prompt = Some(Prompt::Question(question));
                        self.rewind_confirm = Some(target);
                    }
                }
            },
            RewindStage::Apply => {
                let cell = match rewind::outcome(&target, &report) {
                    Ok(text) => Cell::Info(text),
                    Err(text) => Cell::Error(text),
                };
                self.app.transcript.push(cell);
            }
        }
    }

    /// The confirmation question was answered (`None`: Esc).
    pub(super) fn answer_rewind(&mut self, answer: Option<serde_json::Value>) {
        let Some(target) = self.rewind_confirm.take() else {
            return;
        };
        if rewind::confirmed(answer.as_ref()) {
            self.run_rewind(target, RewindStage::Apply);
        } else {
            self.app
                .transcript
                .push(Cell::Info("Rewind cancelled: no file changed.".into()));
        }
    }
}
