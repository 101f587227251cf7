//! Reading a transcript back: tolerant line parsing and rebuilding the
//! conversation along the `parentUuid` chain.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use ferrule_protocol::Message;

use crate::entry::Entry;
use crate::error::{Diagnostic, DiagnosticKind, SessionError};

/// A transcript file as read: its entries in file order and what was
/// wrong with the lines that were skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedTranscript {
    /// The file read.
    pub path: PathBuf,
    /// Every line that parsed, in file order.
    pub entries: Vec<LoadedEntry>,
    /// Lines skipped, each with its line number.
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the file ends with a newline (false for a torn last write).
    pub ends_with_newline: bool,
}

/// One parsed line and where it was.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedEntry {
    /// 1-based line number.
    pub line: usize,
    /// The entry.
    pub entry: Entry,
}

/// The conversation a transcript holds, ready to send to a model again.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    /// Messages of the main line, oldest first: after a compact boundary,
    /// the summary and what follows it.
    pub messages: Vec<Message>,
    /// The entries the messages came from (the main chain, oldest first,
    /// including entries that hold no message).
    pub chain: Vec<Entry>,
    /// What loading skipped, file problems and chain problems together.
    pub diagnostics: Vec<Diagnostic>,
}

/// Read the transcript at `path`. Bad lines never fail the load: they are
/// skipped and reported in [`LoadedTranscript::diagnostics`] (and logged as
/// warnings).
pub fn load_transcript(path: &Path) -> Result<LoadedTranscript, SessionError> {
    let bytes = std::fs::read(path).map_err(|e| SessionError::io("reading", path, e))?;
    Ok(parse_transcript(path, &bytes))
}

/// Parse transcript bytes read from `path` (used in diagnostics only).
pub fn parse_transcript(path: &Path, bytes: &[u8]) -> LoadedTranscript {
    let ends_with_newline = bytes.is_empty() || bytes.ends_with(b"\n");
    let mut entries = Vec::new();
    let mut diagnostics = Vec::new();
    let mut lines = bytes.split(|&b| b == b'\n').peekable();
    let mut number = 0;
    while let Some(raw) = lines.next() {
        number += 1;
        let is_last = lines.peek().is_none();
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Entry>(raw) {
            Ok(entry) => entries.push(LoadedEntry {
                line: number,
                entry,
            }),
            Err(error) => {
                let error = error.to_string();
                let kind = if is_last && !ends_with_newline {
                    DiagnosticKind::TornLastLine { error }
                } else {
                    DiagnosticKind::Malformed { error }
                };
                let diagnostic = Diagnostic {
                    path: path.to_path_buf(),
                    line: number,
                    kind,
                };
                tracing::warn!(%diagnostic, "transcript line skipped");
                diagnostics.push(diagnostic);
            }
        }
    }
    LoadedTranscript {
        path: path.to_path_buf(),
        entries,
        diagnostics,
        ends_with_newline,
    }
}

impl LoadedTranscript {
    /// The session id the transcript's entries carry, if any does.
    pub fn session_id(&self) -> Option<&str> {
        self.entries
            .iter()
            .find_map(|e| e.entry.session_id.as_deref())
    }

    /// Whether an entry with this `uuid` is on the main line.
    pub fn has_main_entry(&self, uuid: &str) -> bool {
        self.main_links()
            .any(|e| e.entry.uuid.as_deref() == Some(uuid))
    }

    /// The conversation up to the newest entry of the main line.
    pub fn conversation(&self) -> Conversation {
        self.conversation_from(self.main_links().count().checked_sub(1))
    }

    /// The conversation through the main-line entry `uuid` (inclusive);
    /// `None` when there is no such entry.
    pub fn conversation_through(&self, uuid: &str) -> Option<Conversation> {
        let leaf = self
            .main_links()
            .position(|e| e.entry.uuid.as_deref() == Some(uuid))?;
        Some(self.conversation_from(Some(leaf)))
    }

    /// The links of the conversation line: entries that are not side
    /// chains, or, in a subagent's own transcript (every link a side
    /// chain), all of them.
    fn main_links(&self) -> impl Iterator<Item = &LoadedEntry> {
        let links = || self.entries.iter().filter(|e| e.entry.kind.is_chain_link());
        let only_sidechain = links().all(|e| e.entry.is_sidechain);
        links().filter(move |e| only_sidechain || !e.entry.is_sidechain)
    }

    /// Walk back from the main link at position `leaf` (in main-link order)
    /// to the start of its chain.
    fn conversation_from(&self, leaf: Option<usize>) -> Conversation {
        let links: Vec<&LoadedEntry> = self.main_links().collect();
        let by_uuid: HashMap<&str, usize> = links
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.entry.uuid.as_deref().map(|u| (u, i)))
            .collect();
        let mut diagnostics = self.diagnostics.clone();
        let mut order = Vec::new();
        let mut seen = HashSet::new();
        let mut next = leaf;
        while let Some(i) = next {
            if !seen.insert(i) {
                break; // a cycle: stop rather than loop
            }
            order.push(i);
            let link = links[i];
            next = match &link.entry.parent_uuid {
                // Older transcripts without the field: the previous line.
                None => i.checked_sub(1),
                Some(None) => None,
                Some(Some(parent)) => match by_uuid.get(parent.as_str()) {
                    Some(&p) => Some(p),
                    None => {
                        let diagnostic = Diagnostic {
                            path: self.path.clone(),
                            line: link.line,
                            kind: DiagnosticKind::MissingParent {
                                parent: parent.clone(),
                            },
                        };
                        tracing::warn!(%diagnostic, "transcript chain broken");
                        diagnostics.push(diagnostic);
                        None
                    }
                },
            };
        }
        order.reverse();
        // A boundary whose parent link was kept still ends the history
        // replayed to the model: only the newest compaction and what
        // follows it count.
        if let Some(cut) = order
            .iter()
            .rposition(|&i| links[i].entry.is_compact_boundary())
        {
            order.drain(..cut);
        }
        let mut messages = Vec::new();
        let mut chain = Vec::with_capacity(order.len());
        for i in order {
            let link = links[i];
            match link.entry.to_message() {
                Some(Ok(message)) => messages.push(message),
                Some(Err(error)) => diagnostics.push(Diagnostic {
                    path: self.path.clone(),
                    line: link.line,
                    kind: DiagnosticKind::BadMessage {
                        error: error.to_string(),
                    },
                }),
                None => {}
            }
            chain.push(link.entry.clone());
        }
        Conversation {
            messages,
            chain,
            diagnostics,
        }
    }
}
