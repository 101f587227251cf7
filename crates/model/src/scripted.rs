//! The `scripted` provider: answers requests from a [`Script`], in order,
//! with no network. For tests, demos and reproducible bug reports.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_util::sync::CancellationToken;

use crate::error::ModelError;
use crate::event::ModelStream;
use crate::model::Model;
use crate::request::ModelRequest;
use crate::script::{Script, ScriptError};
use crate::transport::DriverStream;

/// A model that replays a script: request `n` gets turn `n`.
#[derive(Debug)]
pub struct ScriptedModel {
    name: String,
    path: PathBuf,
    script: Script,
    next: AtomicUsize,
}

impl ScriptedModel {
    /// Loads the script at `path`; the model is named `scripted/<path>`.
    pub fn from_file(path: impl Into<PathBuf>) -> Result<Self, ScriptError> {
        let path = path.into();
        let script = Script::load(&path)?;
        Ok(Self::new(path, script))
    }

    /// A model replaying `script`; `path` names it in errors.
    pub fn new(path: impl Into<PathBuf>, script: Script) -> Self {
        let path = path.into();
        Self {
            name: format!("scripted/{}", path.display()),
            path,
            script,
            next: AtomicUsize::new(0),
        }
    }

    /// The script file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Turns not yet used.
    pub fn remaining_turns(&self) -> usize {
        self.script
            .turns
            .len()
            .saturating_sub(self.next.load(Ordering::SeqCst))
    }
}

impl Model for ScriptedModel {
    fn name(&self) -> &str {
        &self.name
    }

    fn stream(&self, _request: ModelRequest, cancel: CancellationToken) -> ModelStream {
        let number = self.next.fetch_add(1, Ordering::SeqCst);
        let events = self.script.events(number, &self.name);
        let path = self.path.clone();
        let turns = self.script.turns.len();
        DriverStream::start(cancel, move |sender| async move {
            let Some(events) = events else {
                return Err(ModelError::ScriptExhausted { path, turns });
            };
            for event in events {
                if sender.send(Ok(event)).is_err() {
                    break;
                }
                // One event per poll, so a cancellation lands between events
                // as it would in a real stream.
                tokio::task::yield_now().await;
            }
            Ok(())
        })
    }
}
