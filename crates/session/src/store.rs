//! [`SessionStore`]: where transcripts live, and opening a session the way
//! `--session-id`, `--resume`, `--continue` and `--fork-session` ask.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::entry::Entry;
use crate::error::SessionError;
use crate::load::{Conversation, load_transcript};
use crate::sanitize::{MAX_SANITIZED_LENGTH, canonical_project_path, project_dir_name};
use crate::transcript::{Persistence, Transcript};

/// How to start or pick up a session (`sdk-protocol.md` §13.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionOptions {
    /// `--session-id`: the id of a new (or forked) session.
    pub session_id: Option<String>,
    /// `--resume ID`: the session to pick up.
    pub resume: Option<String>,
    /// `--continue`: pick up the most recently modified session of the
    /// working directory (none: start a new one).
    pub continue_recent: bool,
    /// `--fork-session`: copy the resumed history into a new session.
    pub fork: bool,
    /// `--resume-session-at`: take the history only through this entry.
    pub resume_at: Option<String>,
    /// `--resume-drops-turn`: the `uuid` of the user prompt that
    /// `resume_at` is expected to cut off; opening fails when the cut would
    /// drop another turn (the transcript changed since the caller looked).
    pub resume_drops_turn: Option<String>,
    /// `--no-session-persistence`: write nothing.
    pub persistence: Persistence,
}

/// Where an opened session's history came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionOrigin {
    /// A new, empty session.
    New,
    /// An existing session, keeping its id; new entries go to its file.
    Resumed,
    /// A copy of the session `from` under a new id.
    Forked {
        /// The source session id (its file is left unchanged).
        from: String,
    },
}

/// A session ready to run: its writer and the history to replay.
#[derive(Debug)]
pub struct OpenedSession {
    /// Appends the session's next entries.
    pub transcript: Transcript,
    /// The history (empty for a new session) and load diagnostics.
    pub conversation: Conversation,
    /// New, resumed or forked.
    pub origin: SessionOrigin,
}

/// The transcripts of one user directory: `<user dir>/projects/<sanitized
/// cwd>/<session id>.jsonl`, the layout the Qoder SDKs read directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStore {
    user_dir: PathBuf,
}

impl SessionStore {
    /// A store in the user directory `user_dir` (e.g. `~/.qoder`).
    pub fn new(user_dir: impl Into<PathBuf>) -> Self {
        Self {
            user_dir: user_dir.into(),
        }
    }

    /// The store of the user directory ferrule uses: `--config-dir` from
    /// `options`, else `$QODER_CONFIG_DIR` (what the Qoder SDKs set for a
    /// child CLI), else `ferrule-config`'s resolution (`$FERRULE_HOME`,
    /// then `~/.qoder`). `None` when no home directory is known.
    pub fn from_load_options(options: &ferrule_config::LoadOptions) -> Option<Self> {
        let qoder_dir = || {
            std::env::var_os("QODER_CONFIG_DIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        options
            .user_dir
            .clone()
            .or_else(qoder_dir)
            .or_else(|| options.resolved_user_dir())
            .map(Self::new)
    }

    /// The user directory.
    pub fn user_dir(&self) -> &Path {
        &self.user_dir
    }

    /// `<user dir>/projects`.
    pub fn projects_dir(&self) -> PathBuf {
        self.user_dir.join("projects")
    }

    /// The folder holding the transcripts of the project at `cwd`.
    ///
    /// For names cut at 200 characters, an existing folder with the same
    /// prefix and another hash suffix is used (a CLI built on another
    /// JavaScript runtime hashes differently; the SDKs do the same).
    pub fn project_dir(&self, cwd: &Path) -> PathBuf {
        let name = project_dir_name(cwd);
        let exact = self.projects_dir().join(&name);
        if name.len() <= MAX_SANITIZED_LENGTH || exact.is_dir() {
            return exact;
        }
        let prefix = format!("{}-", &name[..MAX_SANITIZED_LENGTH]);
        let found = std::fs::read_dir(self.projects_dir()).ok().and_then(|dir| {
            dir.flatten()
                .map(|e| e.path())
                .find(|p| p.is_dir() && file_name(p).starts_with(&prefix))
        });
        found.unwrap_or(exact)
    }

    /// The transcript file of session `id` in the project at `cwd`.
    pub fn transcript_path(&self, cwd: &Path, id: &str) -> PathBuf {
        self.project_dir(cwd).join(format!("{id}.jsonl"))
    }

    /// A writer for subagent `agent_id`'s transcript, stored under
    /// `<session id>/subagents/agent-<agent id>.jsonl` next to the parent's
    /// file; its entries are marked `isSidechain` with the `agentId`.
    pub fn subagent_transcript(&self, parent: &Transcript, agent_id: &str) -> Transcript {
        let dir = parent.path().with_extension("");
        let path = dir
            .join("subagents")
            .join(format!("agent-{}.jsonl", sanitize_agent_id(agent_id)));
        Transcript::new(
            parent.session_id().to_owned(),
            path,
            parent.persistence(),
            parent.cwd().to_owned(),
        )
        .for_agent(agent_id.to_owned())
    }

    /// Start or pick up a session as `options` say.
    pub fn open(
        &self,
        cwd: &Path,
        options: &SessionOptions,
    ) -> Result<OpenedSession, SessionError> {
        if options.resume.is_some() && options.continue_recent {
            return Err(SessionError::Conflict(
                "--resume and --continue cannot be used together",
            ));
        }
        let picks_up = options.resume.is_some() || options.continue_recent;
        if options.fork && !picks_up {
            return Err(SessionError::Conflict(
                "--fork-session needs --resume or --continue",
            ));
        }
        if options.session_id.is_some() && picks_up && !options.fork {
            return Err(SessionError::Conflict(
                "--session-id with --resume or --continue needs --fork-session",
            ));
        }
        if options.resume_at.is_some() && !picks_up {
            return Err(SessionError::Conflict(
                "--resume-session-at needs --resume or --continue",
            ));
        }
        if options.resume_drops_turn.is_some() && options.resume_at.is_none() {
            return Err(SessionError::Conflict(
                "--resume-drops-turn needs --resume-session-at",
            ));
        }
        let cwd_text = canonical_project_path(cwd);
        let source = match (&options.resume, options.continue_recent) {
            (Some(id), _) => {
                let id = valid_id(id)?;
                let path = self.transcript_path(cwd, &id);
                if !path.is_file() {
                    return Err(SessionError::NotFound {
                        id,
                        looked_for: path,
                    });
                }
                Some((id, path))
            }
            (None, true) => self.most_recent(cwd)?,
            (None, false) => None,
        };
        let Some((source_id, source_path)) = source else {
            return self.open_new(cwd, &cwd_text, options);
        };

        let loaded = load_transcript(&source_path)?;
        let conversation = match &options.resume_at {
            Some(uuid) => {
                loaded
                    .conversation_through(uuid)
                    .ok_or_else(|| SessionError::UnknownEntry {
                        session_id: source_id.clone(),
                        uuid: uuid.clone(),
                        path: source_path.clone(),
                    })?
            }
            None => loaded.conversation(),
        };
        if let (Some(at), Some(expected)) = (&options.resume_at, &options.resume_drops_turn) {
            let dropped = dropped_turn(&loaded.conversation().chain, at);
            if dropped.as_deref() != Some(expected.as_str()) {
                return Err(SessionError::DropsOtherTurn {
                    session_id: source_id,
                    expected: expected.clone(),
                    found: dropped,
                });
            }
        }
        let last_uuid = conversation.chain.iter().rev().find_map(|e| e.uuid.clone());

        if !options.fork {
            let mut transcript =
                Transcript::new(source_id, source_path, options.persistence, cwd_text)
                    .continuing(last_uuid, !loaded.ends_with_newline);
            transcript.set_git_branch(git_branch(cwd));
            return Ok(OpenedSession {
                transcript,
                conversation,
                origin: SessionOrigin::Resumed,
            });
        }

        let new_id = self.new_id(cwd, options.session_id.as_deref())?;
        let path = self.transcript_path(cwd, &new_id);
        let mut transcript = Transcript::new(new_id.clone(), path, options.persistence, cwd_text);
        transcript.set_git_branch(git_branch(cwd));
        // Copy the chain under the new id with fresh entry ids, as the
        // SDK's `fork_session` does: each copy names its original in
        // `forkedFrom`, and the copy is a well-formed chain of its own even
        // when the source is an old format without ids.
        let mut renamed: std::collections::HashMap<String, String> =
            std::collections::HashMap::new();
        let mut parent: Option<String> = None;
        for original in &conversation.chain {
            let mut entry = original.clone();
            let uuid = uuid::Uuid::new_v4().to_string();
            if let Some(old) = &original.uuid {
                renamed.insert(old.clone(), uuid.clone());
                let mut forked_from = serde_json::Map::new();
                forked_from.insert("sessionId".to_owned(), source_id.clone().into());
                forked_from.insert("messageUuid".to_owned(), old.clone().into());
                entry
                    .extra
                    .insert("forkedFrom".to_owned(), forked_from.into());
            }
            entry.uuid = Some(uuid.clone());
            entry.session_id = Some(new_id.clone());
            entry.is_sidechain = false;
            entry.logical_parent_uuid = original
                .logical_parent_uuid
                .as_ref()
                .and_then(|old| renamed.get(old).cloned());
            entry.parent_uuid = Some(if entry.is_compact_boundary() {
                None
            } else {
                parent.clone()
            });
            transcript.append(entry)?;
            parent = Some(uuid);
        }
        Ok(OpenedSession {
            transcript,
            conversation,
            origin: SessionOrigin::Forked { from: source_id },
        })
    }

    fn open_new(
        &self,
        cwd: &Path,
        cwd_text: &str,
        options: &SessionOptions,
    ) -> Result<OpenedSession, SessionError> {
        let id = self.new_id(cwd, options.session_id.as_deref())?;
        let path = self.transcript_path(cwd, &id);
        let mut transcript = Transcript::new(id, path, options.persistence, cwd_text.to_owned());
        transcript.set_git_branch(git_branch(cwd));
        Ok(OpenedSession {
            transcript,
            conversation: Conversation {
                messages: Vec::new(),
                chain: Vec::new(),
                diagnostics: Vec::new(),
            },
            origin: SessionOrigin::New,
        })
    }

    fn new_id(&self, cwd: &Path, requested: Option<&str>) -> Result<String, SessionError> {
        let Some(requested) = requested else {
            return Ok(uuid::Uuid::new_v4().to_string());
        };
        let id = valid_id(requested)?;
        let path = self.transcript_path(cwd, &id);
        if path.exists() {
            return Err(SessionError::AlreadyExists { id, path });
        }
        Ok(id)
    }

    /// The most recently modified session of the project at `cwd`.
    pub fn most_recent(&self, cwd: &Path) -> Result<Option<(String, PathBuf)>, SessionError> {
        Ok(self
            .session_files(cwd)?
            .into_iter()
            .max_by_key(|(_, _, modified)| *modified)
            .map(|(id, path, _)| (id, path)))
    }

    /// Every transcript of the project at `cwd`: id, path, modified time.
    pub(crate) fn session_files(
        &self,
        cwd: &Path,
    ) -> Result<Vec<(String, PathBuf, std::time::SystemTime)>, SessionError> {
        let dir = self.project_dir(cwd);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(SessionError::io("listing", dir, e)),
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let name = file_name(&path);
            let Some(id) = name.strip_suffix(".jsonl") else {
                continue;
            };
            if uuid::Uuid::parse_str(id).is_err() {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let modified = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
            out.push((id.to_owned(), path, modified));
        }
        Ok(out)
    }

    /// Delete session `id` of the project at `cwd`: its transcript and its
    /// subagent folder.
    pub fn delete(&self, cwd: &Path, id: &str) -> Result<(), SessionError> {
        let path = self.existing(cwd, id)?;
        std::fs::remove_file(&path).map_err(|e| SessionError::io("deleting", &path, e))?;
        let dir = path.with_extension("");
        if dir.is_dir() {
            std::fs::remove_dir_all(&dir).map_err(|e| SessionError::io("deleting", &dir, e))?;
        }
        Ok(())
    }

    /// Give session `id` a title (appends a `custom-title` line; the last
    /// one wins).
    pub fn rename(&self, cwd: &Path, id: &str, title: &str) -> Result<(), SessionError> {
        self.append_metadata(cwd, id, Entry::custom_title(title))
    }

    /// Tag session `id` (appends a `tag` line; the last one wins).
    pub fn tag(&self, cwd: &Path, id: &str, tag: &str) -> Result<(), SessionError> {
        self.append_metadata(cwd, id, Entry::tag(tag))
    }

    fn append_metadata(&self, cwd: &Path, id: &str, entry: Entry) -> Result<(), SessionError> {
        let path = self.existing(cwd, id)?;
        let torn = !ends_with_newline(&path)?;
        let mut transcript = Transcript::new(
            id.to_owned(),
            path,
            Persistence::Enabled,
            canonical_project_path(cwd),
        )
        .continuing(None, torn);
        transcript.append(entry).map(drop)
    }

    fn existing(&self, cwd: &Path, id: &str) -> Result<PathBuf, SessionError> {
        let id = valid_id(id)?;
        let path = self.transcript_path(cwd, &id);
        if path.is_file() {
            Ok(path)
        } else {
            Err(SessionError::NotFound {
                id,
                looked_for: path,
            })
        }
    }
}

/// The `uuid` of the first user prompt after entry `at` on `chain`: the
/// turn a resume at `at` leaves out. Tool results and meta messages are
/// part of a turn, not the start of one.
fn dropped_turn(chain: &[Entry], at: &str) -> Option<String> {
    let position = chain.iter().position(|e| e.uuid.as_deref() == Some(at))?;
    chain[position + 1..]
        .iter()
        .find(|e| e.kind == crate::EntryKind::User && !e.is_meta && is_prompt(e))
        .and_then(|e| e.uuid.clone())
}

fn is_prompt(entry: &Entry) -> bool {
    let content = entry.message.as_ref().and_then(|m| m.get("content"));
    match content {
        Some(serde_json::Value::Array(blocks)) => !blocks
            .iter()
            .any(|b| b.get("type").and_then(serde_json::Value::as_str) == Some("tool_result")),
        Some(_) => true,
        None => false,
    }
}

/// A session id as a canonical lower-case UUID; anything else is an error
/// (ids become file names, so nothing else may pass).
fn valid_id(id: &str) -> Result<String, SessionError> {
    uuid::Uuid::parse_str(id)
        .ok()
        .filter(|_| id.len() == 36)
        .map(|u| u.hyphenated().to_string())
        .ok_or_else(|| SessionError::InvalidId { id: id.to_owned() })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn sanitize_agent_id(agent_id: &str) -> String {
    agent_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn ends_with_newline(path: &Path) -> Result<bool, SessionError> {
    let mut file = File::open(path).map_err(|e| SessionError::io("reading", path, e))?;
    let len = file
        .metadata()
        .map_err(|e| SessionError::io("reading", path, e))?
        .len();
    if len == 0 {
        return Ok(true);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::End(-1))
        .and_then(|_| file.read_exact(&mut last))
        .map_err(|e| SessionError::io("reading", path, e))?;
    Ok(last[0] == b'\n')
}

/// The branch checked out in the git work tree containing `cwd`, read from
/// `.git/HEAD` (a worktree's `.git` file points at its git dir). `None`
/// outside a repository or on a detached head.
pub fn git_branch(cwd: &Path) -> Option<String> {
    let root = cwd.ancestors().find(|dir| dir.join(".git").exists())?;
    let dot_git = root.join(".git");
    let git_dir = if dot_git.is_file() {
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let target = text.trim().strip_prefix("gitdir:")?.trim();
        root.join(target)
    } else {
        dot_git
    };
    let head = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
    head.trim()
        .strip_prefix("ref: refs/heads/")
        .map(str::to_owned)
}
