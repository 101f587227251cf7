//! Records the responses of a real model as a script (`--record FILE`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::error::ModelError;
use crate::event::{ModelEvent, ModelStream};
use crate::model::Model;
use crate::request::ModelRequest;
use crate::script::{Script, ScriptTurn};

/// Wraps a model and saves every completed response, as the exact events
/// it streamed (retries left out), to a script file. Replaying that file
/// with [`crate::ScriptedModel`] gives the same events, offline.
///
/// The file is rewritten after each response (via a temporary file and a
/// rename), so a session that crashes keeps every response completed before.
/// A response that fails is not recorded.
pub struct Recorder {
    inner: Arc<dyn Model>,
    path: PathBuf,
    script: Arc<Mutex<Script>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("model", &self.inner.name())
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Records the responses of `inner` to `path` (created or replaced).
    pub fn new(inner: Arc<dyn Model>, path: impl Into<PathBuf>) -> Self {
        let script = Script {
            model: Some(inner.name().to_owned()),
            turns: Vec::new(),
        };
        Self {
            inner,
            path: path.into(),
            script: Arc::new(Mutex::new(script)),
        }
    }

    /// The script file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Model for Recorder {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn stream(&self, request: ModelRequest, cancel: CancellationToken) -> ModelStream {
        let script = Arc::clone(&self.script);
        let path = self.path.clone();
        let mut recorded = Vec::new();
        let stream = self.inner.stream(request, cancel).map(move |item| {
            let event = item?;
            if !event.is_transport() {
                recorded.push(event.clone());
            }
            if matches!(event, ModelEvent::Completed { .. }) {
                let turn = ScriptTurn::from_events(std::mem::take(&mut recorded));
                save(&script, &path, turn)?;
            }
            Ok(event)
        });
        Box::pin(stream)
    }
}

fn save(script: &Mutex<Script>, path: &Path, turn: ScriptTurn) -> Result<(), ModelError> {
    let failed = |message: String| ModelError::Record {
        path: path.to_owned(),
        message,
    };
    let text = {
        let mut script = script
            .lock()
            .map_err(|_| failed("an earlier write panicked".to_owned()))?;
        script.turns.push(turn);
        serde_json::to_string_pretty(&*script).map_err(|error| failed(error.to_string()))?
    };
    // Small, and written once per response: plain blocking I/O is fine.
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".partial");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, text + "\n").map_err(|error| failed(error.to_string()))?;
    std::fs::rename(&temporary, path).map_err(|error| failed(error.to_string()))
}
