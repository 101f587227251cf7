//! One line of a transcript: an [`Entry`] and its [`EntryKind`].
//!
//! The field names are the Qoder CLI's (`sdk-protocol.md` §13.3), because the
//! SDKs read these files directly. Every field but `type` is optional when
//! reading, so transcripts written by older versions (fewer fields) load;
//! fields this version does not know are kept in [`Entry::extra`] and written
//! back unchanged, so newer transcripts survive a resume by an older binary.

use ferrule_protocol::{AssistantMessage, Message, MessageContent, Role};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The transcript format version this crate writes in [`Entry::version`].
pub const FORMAT_VERSION: &str = concat!("ferrule-", env!("CARGO_PKG_VERSION"));

/// The `subtype` of the system entry that marks a compaction.
pub const COMPACT_BOUNDARY_SUBTYPE: &str = "compact_boundary";

/// What a line is, from its `type` field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntryKind {
    /// A user message (prompts and tool results).
    User,
    /// A model response.
    Assistant,
    /// A system note, e.g. a compact boundary.
    System,
    /// Progress of a long-running tool.
    Progress,
    /// Context attached to the conversation (files, todo lists ...).
    Attachment,
    /// Metadata: a tag on the session.
    Tag,
    /// Metadata: a title the user gave.
    CustomTitle,
    /// Metadata: a title a model generated.
    AiTitle,
    /// Metadata: the last prompt, for listings.
    LastPrompt,
    /// Metadata: a summary of the conversation up to `leafUuid`.
    Summary,
    /// A type this version does not know; kept and skipped.
    Other(String),
}

impl EntryKind {
    /// The `type` string of this kind.
    pub fn as_str(&self) -> &str {
        match self {
            Self::User => "user",
            Self::Assistant => "assistant",
            Self::System => "system",
            Self::Progress => "progress",
            Self::Attachment => "attachment",
            Self::Tag => "tag",
            Self::CustomTitle => "custom-title",
            Self::AiTitle => "ai-title",
            Self::LastPrompt => "last-prompt",
            Self::Summary => "summary",
            Self::Other(kind) => kind,
        }
    }

    /// Whether entries of this kind are links of the conversation chain
    /// (they carry `uuid`/`parentUuid`); metadata lines are not.
    pub fn is_chain_link(&self) -> bool {
        match self {
            Self::User | Self::Assistant | Self::System | Self::Progress | Self::Attachment => true,
            Self::Tag
            | Self::CustomTitle
            | Self::AiTitle
            | Self::LastPrompt
            | Self::Summary
            | Self::Other(_) => false,
        }
    }
}

impl From<&str> for EntryKind {
    fn from(kind: &str) -> Self {
        match kind {
            "user" => Self::User,
            "assistant" => Self::Assistant,
            "system" => Self::System,
            "progress" => Self::Progress,
            "attachment" => Self::Attachment,
            "tag" => Self::Tag,
            "custom-title" | "customTitle" => Self::CustomTitle,
            "ai-title" | "aiTitle" => Self::AiTitle,
            "last-prompt" | "lastPrompt" => Self::LastPrompt,
            "summary" => Self::Summary,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl Serialize for EntryKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EntryKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let kind = String::deserialize(deserializer)?;
        Ok(Self::from(kind.as_str()))
    }
}

/// One transcript line.
///
/// Build entries with the constructors ([`Entry::user`],
/// [`Entry::assistant`], [`Entry::compact_boundary`] ...); the
/// [`Transcript`](crate::Transcript) fills in `uuid`, `parentUuid`,
/// `sessionId`, `timestamp`, `cwd`, `gitBranch` and `version` when it
/// appends them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// What the line is.
    #[serde(rename = "type")]
    pub kind: EntryKind,
    /// Id of this entry (chain links only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// The entry this one follows. Outer `None`: the field is absent (older
    /// transcripts; the previous line is the parent). `Some(None)`: an
    /// explicit `null`, the start of a chain.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_nullable"
    )]
    pub parent_uuid: Option<Option<String>>,
    /// For a compact boundary: the entry before the compaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logical_parent_uuid: Option<String>,
    /// The session the line belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// When the line was written, ISO 8601 in UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Version of the program that wrote the line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Working directory of the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Git branch of `cwd` when the line was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_branch: Option<String>,
    /// Whether the line belongs to a subagent's side conversation.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_sidechain: bool,
    /// Whether the message is hidden from the user (sent to the model only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_meta: bool,
    /// Whether the message is the summary written by a compaction.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_compact_summary: bool,
    /// System entries: what kind of note (e.g. `compact_boundary`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtype: Option<String>,
    /// System entries: the note's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// User and assistant entries: the message, as stored. Read it with
    /// [`Entry::to_message`]; it stays raw JSON so that a message this
    /// version cannot parse still keeps its place in the chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Value>,
    /// `tag` lines: the tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// `custom-title` lines: the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_title: Option<String>,
    /// `ai-title` lines: the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_title: Option<String>,
    /// `last-prompt` lines: the prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_prompt: Option<String>,
    /// `summary` lines: the summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// `summary` lines: the last entry the summary covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaf_uuid: Option<String>,
    /// Fields this version does not know, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Entry {
    /// An entry of `kind` with every other field empty.
    pub fn new(kind: EntryKind) -> Self {
        Self {
            kind,
            uuid: None,
            parent_uuid: None,
            logical_parent_uuid: None,
            session_id: None,
            timestamp: None,
            version: None,
            cwd: None,
            git_branch: None,
            is_sidechain: false,
            is_meta: false,
            is_compact_summary: false,
            subtype: None,
            content: None,
            message: None,
            tag: None,
            custom_title: None,
            ai_title: None,
            last_prompt: None,
            summary: None,
            leaf_uuid: None,
            extra: Map::new(),
        }
    }

    /// A `user` entry holding `message` (its role is written as given).
    pub fn user(message: &Message) -> Self {
        let mut entry = Self::new(EntryKind::User);
        entry.message = serde_json::to_value(message).ok();
        entry
    }

    /// An `assistant` entry holding a complete model response.
    pub fn assistant(message: &AssistantMessage) -> Self {
        let mut entry = Self::new(EntryKind::Assistant);
        entry.message = serde_json::to_value(message).ok();
        entry
    }

    /// The `system` entry that marks a compaction: loading stops walking
    /// back at it, so only the summary and what follows are replayed.
    pub fn compact_boundary(content: impl Into<String>) -> Self {
        let mut entry = Self::new(EntryKind::System);
        entry.subtype = Some(COMPACT_BOUNDARY_SUBTYPE.to_owned());
        entry.content = Some(content.into());
        entry
    }

    /// The user entry holding a compaction's summary (written right after
    /// the [`Entry::compact_boundary`]).
    pub fn compact_summary(summary: impl Into<String>) -> Self {
        let mut entry = Self::user(&Message::user(summary.into()));
        entry.is_compact_summary = true;
        entry
    }

    /// A `tag` metadata line.
    pub fn tag(tag: impl Into<String>) -> Self {
        let mut entry = Self::new(EntryKind::Tag);
        entry.tag = Some(tag.into());
        entry
    }

    /// A `custom-title` metadata line.
    pub fn custom_title(title: impl Into<String>) -> Self {
        let mut entry = Self::new(EntryKind::CustomTitle);
        entry.custom_title = Some(title.into());
        entry
    }

    /// A `last-prompt` metadata line.
    pub fn last_prompt(prompt: impl Into<String>) -> Self {
        let mut entry = Self::new(EntryKind::LastPrompt);
        entry.last_prompt = Some(prompt.into());
        entry
    }

    /// Whether this is a compact boundary.
    pub fn is_compact_boundary(&self) -> bool {
        self.kind == EntryKind::System && self.subtype.as_deref() == Some(COMPACT_BOUNDARY_SUBTYPE)
    }

    /// The conversation message of a `user` or `assistant` entry: `None`
    /// for other kinds or when there is no `message`; an error when the
    /// stored message does not parse as a protocol message.
    pub fn to_message(&self) -> Option<Result<Message, serde_json::Error>> {
        let value = self.message.clone()?;
        match self.kind {
            EntryKind::User => Some(serde_json::from_value::<Message>(value)),
            EntryKind::Assistant => Some(serde_json::from_value::<AssistantMessage>(value).map(
                |response| Message {
                    role: Role::Assistant,
                    content: MessageContent::Blocks(response.content),
                },
            )),
            EntryKind::System
            | EntryKind::Progress
            | EntryKind::Attachment
            | EntryKind::Tag
            | EntryKind::CustomTitle
            | EntryKind::AiTitle
            | EntryKind::LastPrompt
            | EntryKind::Summary
            | EntryKind::Other(_) => None,
        }
    }
}

/// Reads a field that may be absent (`None`), `null` (`Some(None)`) or set.
fn present_nullable<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn unknown_fields_round_trip() {
        let line = json!({"type": "user", "uuid": "a", "parentUuid": null, "future": {"x": 1}});
        let entry: Entry = serde_json::from_value(line.clone()).unwrap();
        assert_eq!(entry.parent_uuid, Some(None));
        assert_eq!(serde_json::to_value(&entry).unwrap(), line);
    }

    #[test]
    fn absent_parent_is_not_null_parent() {
        let entry: Entry = serde_json::from_value(json!({"type": "user"})).unwrap();
        assert_eq!(entry.parent_uuid, None);
    }

    #[test]
    fn unknown_type_is_kept_by_name() {
        let entry: Entry = serde_json::from_value(json!({"type": "queue-operation"})).unwrap();
        assert_eq!(entry.kind, EntryKind::Other("queue-operation".to_owned()));
        assert_eq!(
            serde_json::to_value(&entry).unwrap(),
            json!({"type": "queue-operation"})
        );
    }
}
