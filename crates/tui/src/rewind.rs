//! `/rewind`: put the files back as they were before one of this session's
//! prompts. The files go back through [`ferrule_agent::Agent::rewind_files_with`],
//! the code the SDK's `rewind_files` runs, so the session also forgets what
//! it read and Write/Edit ask for a new Read. A dry run comes first: the
//! scrollback lists the files with the lines that come back and go, and a
//! question asks before anything changes. The conversation itself is not
//! cut; the scrollback says so.
//!
//! This module holds the plain parts (arguments, texts); the event loop
//! runs the rewind off the interface's thread (`runner/rewinding.rs`).

use ferrule_checkpoint::{RewindOptions, RewindReport};
use serde_json::{Value, json};

/// A prompt of this session that files can be rewound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TurnMark {
    /// Uuid of the user message (the checkpoint id).
    pub(crate) uuid: String,
    /// The prompt's first line.
    pub(crate) prompt: String,
}

/// A rewind the user asked for: the prompt to go back to, and whether
/// files changed outside the agent may be overwritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RewindTarget {
    /// The prompt whose start the files go back to.
    pub(crate) mark: TurnMark,
    /// `/rewind <n> force`.
    pub(crate) force: bool,
}

impl RewindTarget {
    /// The checkpoint store's options for the preview or the real rewind.
    pub(crate) fn options(&self, stage: RewindStage) -> RewindOptions {
        let options = if self.force {
            RewindOptions::default().with_force()
        } else {
            RewindOptions::default()
        };
        match stage {
            RewindStage::Preview => options.with_dry_run(),
            RewindStage::Apply => options,
        }
    }
}

/// Which half of `/rewind` ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RewindStage {
    /// The dry run shown before asking.
    Preview,
    /// The rewind itself, after "yes".
    Apply,
}

/// What `/rewind [N [force]]` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RewindRequest {
    /// Show this text (the list of prompts, or that there is none).
    List(String),
    /// A mistake in the arguments, explained.
    Invalid(String),
    /// Preview, then rewind, to this prompt.
    Rewind(RewindTarget),
}

/// Reads the arguments of `/rewind` against the prompts of this session.
pub(crate) fn parse(marks: &[TurnMark], args: &str) -> RewindRequest {
    let mut words = args.split_whitespace();
    let Some(number) = words.next() else {
        if marks.is_empty() {
            return RewindRequest::List("Nothing to rewind to yet.".into());
        }
        let mut text = String::from(
            "Prompts of this session — /rewind <number> puts the files back as they were before it:\n",
        );
        for (index, mark) in marks.iter().enumerate() {
            text.push_str(&format!("  {}. {}\n", index + 1, mark.prompt));
        }
        return RewindRequest::List(text.trim_end().to_owned());
    };
    let force = match words.next() {
        None => false,
        Some("force") => true,
        Some(other) => {
            return RewindRequest::Invalid(format!(
                "/rewind {args}: unexpected \"{other}\" (usage: /rewind <number> [force])."
            ));
        }
    };
    match number.parse::<usize>() {
        Ok(n) if (1..=marks.len()).contains(&n) => RewindRequest::Rewind(RewindTarget {
            mark: marks[n - 1].clone(),
            force,
        }),
        _ if marks.is_empty() => RewindRequest::Invalid(format!(
            "/rewind {number}: no prompt of this session to rewind to yet."
        )),
        _ => RewindRequest::Invalid(format!(
            "/rewind {number}: give a number from 1 to {} (/rewind lists them).",
            marks.len()
        )),
    }
}

/// What the dry run found: the text for the scrollback, and whether there
/// is anything to confirm.
pub(crate) fn preview(target: &RewindTarget, report: &RewindReport) -> Preview {
    if !report.can_rewind {
        return Preview::Refused(refusal(target, report));
    }
    if report.files_changed.is_empty() {
        return Preview::Nothing(format!(
            "No file changed since \"{}\": nothing to rewind.",
            target.mark.prompt
        ));
    }
    let count = report.files_changed.len();
    let mut text = format!(
        "Rewinding to before \"{}\" puts back {count} file{} (+{} −{} lines):\n",
        target.mark.prompt,
        if count == 1 { "" } else { "s" },
        report.insertions,
        report.deletions
    );
    for file in &report.files_changed {
        text.push_str(&format!("  {file}\n"));
    }
    Preview::Confirm(text.trim_end().to_owned())
}

/// The outcome of a dry run, as the interface shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Preview {
    /// The rewind cannot run: the reason.
    Refused(String),
    /// No file would change.
    Nothing(String),
    /// The files that would change; ask before going on.
    Confirm(String),
}

/// The label of the answer that runs the rewind.
pub(crate) const CONFIRM_YES: &str = "Yes, rewind the files";

/// The AskUserQuestion-shaped input of the confirmation question.
pub(crate) fn confirm_question(target: &RewindTarget) -> Value {
    json!({"questions": [{
        "header": "Rewind",
        "question": format!(
            "Put these files back as they were before \"{}\"? The conversation is kept.",
            target.mark.prompt
        ),
        "options": [
            {"label": CONFIRM_YES, "description": ""},
            {"label": "No, keep the files as they are", "description": ""},
        ],
    }]})
}

/// Whether the confirmation question was answered with "yes".
pub(crate) fn confirmed(answer: Option<&Value>) -> bool {
    answer
        .and_then(|input| input.get("answers"))
        .and_then(Value::as_object)
        .is_some_and(|answers| answers.values().any(|v| v == CONFIRM_YES))
}

/// The scrollback line after the real rewind: `Ok` for the info line,
/// `Err` for the error line.
pub(crate) fn outcome(target: &RewindTarget, report: &RewindReport) -> Result<String, String> {
    if !report.can_rewind {
        return Err(refusal(target, report));
    }
    let files = if report.files_changed.is_empty() {
        "no file changed".to_owned()
    } else {
        report.files_changed.join(", ")
    };
    Ok(format!(
        "Rewound the files to before \"{}\": {files} (+{} −{}). The conversation is kept.",
        target.mark.prompt, report.insertions, report.deletions
    ))
}

fn refusal(target: &RewindTarget, report: &RewindReport) -> String {
    let error = report
        .error
        .as_deref()
        .unwrap_or("the checkpoint store refused");
    format!(
        "Cannot rewind: {error}{}",
        if target.force {
            ""
        } else {
            " (/rewind <number> force overwrites files changed outside ferrule)"
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn marks() -> Vec<TurnMark> {
        ["write notes", "fix the test"]
            .iter()
            .enumerate()
            .map(|(i, prompt)| TurnMark {
                uuid: format!("u-{i}"),
                prompt: (*prompt).to_owned(),
            })
            .collect()
    }

    #[test]
    fn without_arguments_the_prompts_are_listed() {
        assert_eq!(
            parse(&marks(), ""),
            RewindRequest::List(
                "Prompts of this session — /rewind <number> puts the files back as they were before it:\n  1. write notes\n  2. fix the test"
                    .into()
            )
        );
        assert_eq!(
            parse(&[], " "),
            RewindRequest::List("Nothing to rewind to yet.".into())
        );
    }

    #[test]
    fn a_number_and_force_pick_the_target() {
        let marks = marks();
        assert_eq!(
            parse(&marks, "2 force"),
            RewindRequest::Rewind(RewindTarget {
                mark: marks[1].clone(),
                force: true
            })
        );
        let RewindRequest::Rewind(target) = parse(&marks, "1") else {
            panic!("expected a target");
        };
        assert_eq!(
            target.options(RewindStage::Preview),
            RewindOptions::default().with_dry_run()
        );
        assert_eq!(target.options(RewindStage::Apply), RewindOptions::default());
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        let marks = marks();
        for (args, expected) in [
            (
                "3",
                "/rewind 3: give a number from 1 to 2 (/rewind lists them).",
            ),
            (
                "x",
                "/rewind x: give a number from 1 to 2 (/rewind lists them).",
            ),
            (
                "1 now",
                "/rewind 1 now: unexpected \"now\" (usage: /rewind <number> [force]).",
            ),
        ] {
            assert_eq!(parse(&marks, args), RewindRequest::Invalid(expected.into()));
        }
        assert_eq!(
            parse(&[], "1"),
            RewindRequest::Invalid("/rewind 1: no prompt of this session to rewind to yet.".into())
        );
    }

    #[test]
    fn the_preview_lists_files_and_lines_then_asks() {
        let target = RewindTarget {
            mark: marks()[0].clone(),
            force: false,
        };
        let report = RewindReport {
            can_rewind: true,
            error: None,
            files_changed: vec!["a.txt".into(), "src/b.rs".into()],
            insertions: 3,
            deletions: 5,
        };
        assert_eq!(
            preview(&target, &report),
            Preview::Confirm(
                "Rewinding to before \"write notes\" puts back 2 files (+3 −5 lines):\n  a.txt\n  src/b.rs"
                    .into()
            )
        );
        let none = RewindReport {
            can_rewind: true,
            ..RewindReport::default()
        };
        assert_eq!(
            preview(&target, &none),
            Preview::Nothing("No file changed since \"write notes\": nothing to rewind.".into())
        );
        let refused = RewindReport::refused("changed outside the agent: a.txt");
        assert_eq!(
            preview(&target, &refused),
            Preview::Refused(
                "Cannot rewind: changed outside the agent: a.txt (/rewind <number> force overwrites files changed outside ferrule)"
                    .into()
            )
        );
    }

    #[test]
    fn only_the_yes_answer_confirms() {
        let target = RewindTarget {
            mark: marks()[0].clone(),
            force: false,
        };
        let mut question = confirm_question(&target);
        assert!(!confirmed(None));
        assert!(!confirmed(Some(&question)));
        let text = question["questions"][0]["question"].clone();
        question["answers"] = json!({ text.as_str().unwrap_or(""): CONFIRM_YES });
        assert!(confirmed(Some(&question)));
        question["answers"] = json!({ "q": "No, keep the files as they are" });
        assert!(!confirmed(Some(&question)));
    }
}
