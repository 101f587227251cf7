//! `/rewind`: put the files back as they were before one of this session's
//! prompts, from the agent's file checkpoints. The conversation itself is
//! not cut (the agent offers no way to drop messages yet); the scrollback
//! says so.

use ferrule_agent::Agent;
use ferrule_checkpoint::RewindOptions;

use crate::state::{App, Cell};

/// A prompt of this session that files can be rewound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TurnMark {
    /// Uuid of the user message (the checkpoint id).
    pub(crate) uuid: String,
    /// The prompt's first line.
    pub(crate) prompt: String,
}

/// Runs `/rewind [N [force]]`.
pub(crate) fn rewind(app: &mut App, agent: Option<&Agent>, marks: &[TurnMark], args: &str) {
    let Some(agent) = agent else {
        app.transcript.push(Cell::Error(
            "A turn is running: wait for it or interrupt it (Esc) first.".into(),
        ));
        return;
    };
    let Some(store) = agent.checkpoints() else {
        app.transcript.push(Cell::Error(
            "File checkpoints are off: set general.fileCheckpointing.enabled to true in settings."
                .into(),
        ));
        return;
    };
    let mut words = args.split_whitespace();
    let Some(number) = words.next() else {
        if marks.is_empty() {
            app.transcript
                .push(Cell::Info("Nothing to rewind to yet.".into()));
            return;
        }
        let mut text = String::from(
            "Prompts of this session — /rewind <number> puts the files back as they were before it:\n",
        );
        for (index, mark) in marks.iter().enumerate() {
            text.push_str(&format!("  {}. {}\n", index + 1, mark.prompt));
        }
        app.transcript.push(Cell::Info(text.trim_end().to_owned()));
        return;
    };
    let force = words.next() == Some("force");
    let mark = match number.parse::<usize>() {
        Ok(n) if (1..=marks.len()).contains(&n) => &marks[n - 1],
        _ => {
            app.transcript.push(Cell::Error(format!(
                "/rewind {number}: give a number from 1 to {} (/rewind lists them).",
                marks.len()
            )));
            return;
        }
    };
    let options = if force {
        RewindOptions::default().with_force()
    } else {
        RewindOptions::default()
    };
    let report = match store.lock() {
        Ok(mut store) => store.rewind(&mark.uuid, options),
        Err(poisoned) => poisoned.into_inner().rewind(&mark.uuid, options),
    };
    if let Some(error) = report.error.filter(|_| !report.can_rewind) {
        app.transcript.push(Cell::Error(format!(
            "Cannot rewind: {error}{}",
            if force {
                ""
            } else {
                " (/rewind <number> force overwrites them)"
            }
        )));
        return;
    }
    let files = if report.files_changed.is_empty() {
        "no file changed".to_owned()
    } else {
        report.files_changed.join(", ")
    };
    app.transcript.push(Cell::Info(format!(
        "Rewound the files to before \"{}\": {files} (+{} −{}). The conversation is kept.",
        mark.prompt, report.insertions, report.deletions
    )));
}
