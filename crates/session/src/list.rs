//! Listing the sessions of a project cheaply: a stat and a read of the
//! first and last 64 KiB of each transcript, no full JSON parse (the way
//! the Qoder SDKs' `list_sessions` reads them).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use crate::error::SessionError;
use crate::store::SessionStore;

/// How much of each end of a transcript a listing reads.
const LITE_READ_SIZE: u64 = 64 * 1024;

/// Longest first/last prompt shown in a listing, in characters.
const PROMPT_PREVIEW_CHARS: usize = 200;

/// One session in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The session id.
    pub session_id: String,
    /// Its transcript file.
    pub path: PathBuf,
    /// What to show: the custom title, else the latest summary, else the AI
    /// title, else the last prompt, else the first prompt.
    pub title: String,
    /// The newest `custom-title`, if any.
    pub custom_title: Option<String>,
    /// The newest tag, if any.
    pub tag: Option<String>,
    /// The first real user prompt (at most 200 characters).
    pub first_prompt: Option<String>,
    /// The newest `last-prompt` line, if any.
    pub last_prompt: Option<String>,
    /// Git branch of the newest entries.
    pub git_branch: Option<String>,
    /// When the transcript was last written.
    pub modified: SystemTime,
    /// Size of the transcript in bytes.
    pub file_size: u64,
    /// Main-line `user` and `assistant` lines in the part read: the whole
    /// file up to 128 KiB, else its first and last 64 KiB
    /// (`message_count_exact` says which).
    pub message_count: usize,
    /// Whether `message_count` covers the whole file.
    pub message_count_exact: bool,
}

impl SessionStore {
    /// The sessions of the project at `cwd`, newest first. Subagent
    /// transcripts are not listed; an unreadable or empty file is skipped.
    pub fn list(&self, cwd: &Path) -> Result<Vec<SessionInfo>, SessionError> {
        let mut out: Vec<SessionInfo> = self
            .session_files(cwd)?
            .into_iter()
            .filter_map(|(id, path, _)| read_info(id, path))
            .collect();
        out.sort_by_key(|info| std::cmp::Reverse(info.modified));
        Ok(out)
    }
}

fn read_info(session_id: String, path: PathBuf) -> Option<SessionInfo> {
    let mut file = File::open(&path).ok()?;
    let meta = file.metadata().ok()?;
    let size = meta.len();
    if size == 0 {
        return None;
    }
    // A file of at most two chunks is read whole, so its count is exact.
    let whole = size <= 2 * LITE_READ_SIZE;
    let head_len = if whole { size } else { LITE_READ_SIZE };
    let mut head = Vec::new();
    (&mut file).take(head_len).read_to_end(&mut head).ok()?;
    let tail = if whole {
        None
    } else {
        file.seek(SeekFrom::Start(size - LITE_READ_SIZE)).ok()?;
        let mut tail = Vec::new();
        file.take(LITE_READ_SIZE).read_to_end(&mut tail).ok()?;
        Some(tail)
    };
    let head_lines = complete_lines(&head, Edge::Head);
    let tail_lines = tail.as_deref().map(|t| complete_lines(t, Edge::Tail));
    // Lines from the head, then from the tail: newest last.
    let all: Vec<Value> = head_lines
        .iter()
        .chain(tail_lines.iter().flatten())
        .filter_map(|line| serde_json::from_slice::<Value>(line).ok())
        .collect();
    if all
        .first()
        .and_then(|v| v.get("isSidechain"))
        .and_then(Value::as_bool)
        == Some(true)
    {
        return None;
    }
    let last_str = |key: &str| {
        all.iter()
            .rev()
            .find_map(|v| v.get(key).and_then(Value::as_str).map(str::to_owned))
            .filter(|s| !s.is_empty())
    };
    let custom_title = last_str("customTitle");
    let tag = last_str("tag");
    let last_prompt = last_str("lastPrompt");
    let summary = last_str("summary");
    let ai_title = last_str("aiTitle");
    let git_branch = last_str("gitBranch");
    let first_prompt = all.iter().find_map(first_prompt_of);
    let message_count = all
        .iter()
        .filter(|v| {
            matches!(
                v.get("type").and_then(Value::as_str),
                Some("user" | "assistant")
            )
        })
        .filter(|v| v.get("isSidechain").and_then(Value::as_bool) != Some(true))
        .count();
    let title = custom_title
        .clone()
        .or(summary)
        .or(ai_title)
        .or_else(|| last_prompt.clone())
        .or_else(|| first_prompt.clone())?;
    Some(SessionInfo {
        session_id,
        path,
        title,
        custom_title,
        tag,
        first_prompt,
        last_prompt,
        git_branch,
        modified: meta.modified().unwrap_or(std::time::UNIX_EPOCH),
        file_size: size,
        message_count,
        message_count_exact: whole,
    })
}

#[derive(Clone, Copy)]
enum Edge {
    /// The start of the file: the last line may be cut.
    Head,
    /// The end of the file: the first line may be cut.
    Tail,
}

/// The lines of a chunk that are whole (a chunk boundary may cut one).
fn complete_lines(chunk: &[u8], edge: Edge) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = chunk.split(|&b| b == b'\n').collect();
    match edge {
        Edge::Head => {
            if !chunk.ends_with(b"\n") {
                lines.pop();
            }
        }
        Edge::Tail => {
            lines.remove(0);
        }
    }
    lines.into_iter().filter(|l| !l.is_empty()).collect()
}

/// The text of a user line that a person typed: not a tool result, not
/// meta, not a compact summary, not a slash-command echo.
fn first_prompt_of(entry: &Value) -> Option<String> {
    if entry.get("type").and_then(Value::as_str) != Some("user") {
        return None;
    }
    let flag = |key: &str| entry.get(key).and_then(Value::as_bool) == Some(true);
    if flag("isMeta") || flag("isCompactSummary") || flag("isSidechain") {
        return None;
    }
    let content = entry.get("message")?.get("content")?;
    let text = match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => {
            if blocks
                .iter()
                .any(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
            {
                return None;
            }
            blocks
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(" ")
        }
        _ => return None,
    };
    let text = text.replace('\n', " ").trim().to_owned();
    if text.is_empty()
        || text.starts_with("<command-name>")
        || text.starts_with("<local-command-stdout>")
    {
        return None;
    }
    if text.chars().count() > PROMPT_PREVIEW_CHARS {
        let cut: String = text.chars().take(PROMPT_PREVIEW_CHARS).collect();
        return Some(format!("{}…", cut.trim_end()));
    }
    Some(text)
}
