//! The [`Transcript`] writer: one JSON line per entry, written as the
//! session goes.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use ferrule_protocol::{AssistantMessage, Message};
use serde_json::Value;

use crate::entry::{Entry, FORMAT_VERSION};
use crate::error::SessionError;

/// Whether a session writes its transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Persistence {
    /// Write every entry to the transcript file (the default).
    #[default]
    Enabled,
    /// `--no-session-persistence`: write nothing at all.
    Disabled,
}

/// Appends entries to one session's transcript file.
///
/// The file is created on the first append (so a session that never says
/// anything leaves no file). Each entry is encoded, then written with one
/// `write` of the whole line and its newline to a file opened for
/// appending, and flushed: a crash loses at most the entry being written,
/// and a line it tears is skipped on the next load.
#[derive(Debug)]
pub struct Transcript {
    session_id: String,
    path: PathBuf,
    persistence: Persistence,
    file: Option<File>,
    /// The file exists and its last line has no newline (a torn write).
    needs_newline: bool,
    cwd: String,
    git_branch: Option<String>,
    last_uuid: Option<String>,
    agent_id: Option<String>,
}

impl Transcript {
    pub(crate) fn new(
        session_id: String,
        path: PathBuf,
        persistence: Persistence,
        cwd: String,
    ) -> Self {
        Self {
            session_id,
            path,
            persistence,
            file: None,
            needs_newline: false,
            cwd,
            git_branch: None,
            last_uuid: None,
            agent_id: None,
        }
    }

    pub(crate) fn continuing(mut self, last_uuid: Option<String>, needs_newline: bool) -> Self {
        self.last_uuid = last_uuid;
        self.needs_newline = needs_newline;
        self
    }

    pub(crate) fn for_agent(mut self, agent_id: String) -> Self {
        self.agent_id = Some(agent_id);
        self
    }

    /// The session id every entry carries.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// The transcript file (given to hooks as `transcript_path`), whether
    /// or not anything has been written yet.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The working directory written on entries.
    pub fn cwd(&self) -> &str {
        &self.cwd
    }

    /// Whether appends reach the disk.
    pub fn persistence(&self) -> Persistence {
        self.persistence
    }

    /// The `uuid` of the newest main-line entry: the parent of the next.
    pub fn last_uuid(&self) -> Option<&str> {
        self.last_uuid.as_deref()
    }

    /// Set the git branch written on later entries.
    pub fn set_git_branch(&mut self, branch: Option<String>) {
        self.git_branch = branch;
    }

    /// Append a user message; returns the entry as written.
    pub fn append_user(&mut self, message: &Message) -> Result<Entry, SessionError> {
        self.append(Entry::user(message))
    }

    /// Append a model response; returns the entry as written.
    pub fn append_assistant(&mut self, message: &AssistantMessage) -> Result<Entry, SessionError> {
        self.append(Entry::assistant(message))
    }

    /// Complete `entry` (id, parent, session, time, cwd, branch, version;
    /// fields already set are kept) and append it. Returns the entry as
    /// written. With [`Persistence::Disabled`] nothing is written, but the
    /// entry is still completed and chained.
    pub fn append(&mut self, mut entry: Entry) -> Result<Entry, SessionError> {
        entry
            .session_id
            .get_or_insert_with(|| self.session_id.clone());
        if entry.kind.is_chain_link() {
            let uuid = entry
                .uuid
                .get_or_insert_with(|| uuid::Uuid::new_v4().to_string())
                .clone();
            if entry.parent_uuid.is_none() {
                if entry.is_compact_boundary() {
                    entry.parent_uuid = Some(None);
                    entry.logical_parent_uuid = self.last_uuid.clone();
                } else {
                    entry.parent_uuid = Some(self.last_uuid.clone());
                }
            }
            entry.timestamp.get_or_insert_with(now_iso8601);
            entry
                .version
                .get_or_insert_with(|| FORMAT_VERSION.to_owned());
            entry.cwd.get_or_insert_with(|| self.cwd.clone());
            if entry.git_branch.is_none() {
                entry.git_branch.clone_from(&self.git_branch);
            }
            if let Some(agent) = &self.agent_id {
                entry.is_sidechain = true;
                entry
                    .extra
                    .entry("agentId")
                    .or_insert_with(|| Value::String(agent.clone()));
            }
            if !entry.is_sidechain || self.agent_id.is_some() {
                self.last_uuid = Some(uuid);
            }
        }
        self.write_line(&entry)?;
        Ok(entry)
    }

    fn write_line(&mut self, entry: &Entry) -> Result<(), SessionError> {
        if self.persistence == Persistence::Disabled {
            return Ok(());
        }
        let mut line = Vec::with_capacity(256);
        if self.needs_newline {
            line.push(b'\n');
        }
        serde_json::to_writer(&mut line, entry).map_err(|source| SessionError::Encode {
            path: self.path.clone(),
            source,
        })?;
        line.push(b'\n');
        let file = match &mut self.file {
            Some(file) => file,
            None => {
                if let Some(dir) = self.path.parent() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| SessionError::io("creating", dir, e))?;
                }
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)
                    .map_err(|e| SessionError::io("opening", &self.path, e))?;
                self.file.insert(file)
            }
        };
        file.write_all(&line)
            .and_then(|()| file.flush())
            .map_err(|e| SessionError::io("appending to", &self.path, e))?;
        self.needs_newline = false;
        Ok(())
    }

    /// Ask the OS to put everything written so far on the disk (before
    /// exiting, `sdk-protocol.md` §8.3). Lines are already handed to the
    /// OS as they are appended; this also survives a power cut.
    pub fn sync(&self) -> Result<(), SessionError> {
        match &self.file {
            Some(file) => file
                .sync_data()
                .map_err(|e| SessionError::io("syncing", &self.path, e)),
            None => Ok(()),
        }
    }
}

/// The current time as the CLI writes it: `2025-01-31T09:30:00.123Z`.
pub(crate) fn now_iso8601() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso8601_utc_with_milliseconds() {
        let stamp = now_iso8601();
        assert_eq!(stamp.len(), "2025-01-31T09:30:00.123Z".len(), "{stamp}");
        assert!(
            stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
            "{stamp}"
        );
        assert!(stamp.parse::<jiff::Timestamp>().is_ok(), "{stamp}");
    }
}
