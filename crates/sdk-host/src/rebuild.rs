//! Building the agent again mid-session, from the same setup as
//! `initialize` plus a resume of this session's transcript at a chosen
//! entry: how a conversation rewind truncates the agent's history (the
//! agent keeps its conversation to itself; a new one is built holding the
//! shorter history, and new transcript entries hang off the kept leaf).
//!
//! Kept across the rebuild: the session id and transcript, the MCP
//! servers (the running ferrule-mcp managers; nothing is restarted), SDK
//! hook callbacks, the asker, checkpoints, the permission mode, the model,
//! the thinking budget and the session rules the SDK added
//! (`session_rules.rs`, directories included). Read again from disk, as at
//! start: settings, plugins (`--plugin-dir`), skills, commands, subagents
//! and memory files. When the whole conversation is kept, so is the record
//! of the files the session read (Edit and Write still accept them). Not
//! kept: background shells (they are stopped with the old agent) and rules
//! other hosts' hooks added inside the agent.

use std::sync::Arc;

use ferrule_agent::{Agent, Asker};
use ferrule_mcp::McpManager;
use ferrule_memory::Workspace;
use ferrule_protocol::Message;
use ferrule_session::{Entry, EntryKind, SessionOptions};
use ferrule_setup::{HostInfo, InitFacts, SetupOptions};
use ferrule_tool::FileState;
use serde_json::Value;

use crate::callbacks::SdkCallbacks;
use crate::sdk_bridge::offer_tools;
use crate::session::{build_agent, open_checkpoints};
use crate::session_rules::SessionRules;

/// What `initialize` assembled the agent from.
#[derive(Clone)]
pub(crate) struct Blueprint {
    /// The setup options after `initialize`'s changes (system prompt, agents).
    pub(crate) setup: SetupOptions,
    /// `initialize.hooks` and the callbacks answering them.
    pub(crate) hooks: Option<(Value, Arc<SdkCallbacks>)>,
    /// The running MCP servers (configured ones, SDK ones).
    pub(crate) managers: Vec<McpManager>,
    /// `enableFileCheckpointing`.
    pub(crate) checkpoints: bool,
    /// Who answers permission asks.
    pub(crate) asker: Option<Arc<dyn Asker>>,
    /// Rules the SDK added during the session, applied again after a rebuild.
    pub(crate) rules: SessionRules,
}

/// Where the rebuilt agent's history ends.
pub(crate) enum Leaf {
    /// Where it ends now (the whole conversation is kept), resumed from
    /// the transcript file.
    Current,
    /// The whole conversation, as the agent holds it, when there is no
    /// transcript file to resume (no turn has run yet, or session
    /// persistence is off): a session of the same id starts with it.
    Live(Vec<Message>),
    /// Through this transcript entry (inclusive).
    At(String),
    /// Nothing is kept: the conversation starts over.
    Start,
}

/// The agent built again, with what it was built from.
pub(crate) struct Rebuilt {
    pub(crate) agent: Agent,
    pub(crate) info: HostInfo,
    /// The init facts of the new agent (plugins, skills, commands, agents).
    pub(crate) facts: InitFacts,
    /// The memory workspace as just read from disk.
    pub(crate) workspace: Arc<Workspace>,
}

/// A new agent for session `session_id` holding the history through
/// `leaf`; the old one goes on untouched if this fails. `file_state`, the
/// old agent's read record, is kept when given.
pub(crate) fn rebuild(
    blueprint: &Blueprint,
    session_id: &str,
    leaf: Leaf,
    file_state: Option<Arc<FileState>>,
) -> Result<Rebuilt, String> {
    let mut setup = blueprint.setup.clone();
    let persistence = blueprint.setup.session.persistence;
    setup.session = match &leaf {
        Leaf::Live(_) => SessionOptions {
            session_id: Some(session_id.to_owned()),
            persistence,
            ..SessionOptions::default()
        },
        Leaf::At(uuid) => SessionOptions {
            resume: Some(session_id.to_owned()),
            resume_at: Some(uuid.clone()),
            persistence,
            ..SessionOptions::default()
        },
        Leaf::Start | Leaf::Current => SessionOptions {
            resume: Some(session_id.to_owned()),
            persistence,
            ..SessionOptions::default()
        },
    };
    let mut prepared = ferrule_setup::prepare(setup)
        .map_err(|error| format!("rebuilding the session: {error}"))?;
    // Make the kept leaf the newest entry of the main line, so a resume
    // (and the SDKs' transcript readers) pick it and not the dropped turns.
    let marker = match leaf {
        Leaf::Current => None,
        Leaf::Live(history) => {
            prepared.history = history;
            None
        }
        Leaf::At(_) => {
            let mut entry = Entry::new(EntryKind::System);
            entry.subtype = Some("rewind".to_owned());
            entry.content = Some("Conversation rewound to this point".to_owned());
            Some(entry)
        }
        Leaf::Start => {
            prepared.history.clear();
            // A boundary cuts the chain: a resume replays nothing before it.
            Some(Entry::compact_boundary("Conversation rewound to its start"))
        }
    };
    if let Some(entry) = marker {
        prepared
            .transcript
            .append(entry)
            .map_err(|error| format!("writing the transcript: {error}"))?;
    }
    if let Some((value, callbacks)) = &blueprint.hooks {
        let callbacks = Arc::clone(callbacks);
        prepared.rebuild_hooks(|builder| builder.sdk_hooks(value, callbacks));
    }
    // The servers keep running: their tools join without a restart.
    prepared.mcp_servers.servers.clear();
    for manager in &blueprint.managers {
        offer_tools(&mut prepared, manager)?;
    }
    prepared.mcp = blueprint.managers.first().cloned();
    open_checkpoints(&mut prepared, blueprint.checkpoints)?;
    let workspace = Arc::clone(&prepared.workspace);
    let (agent, facts, _, info) = build_agent(prepared, blueprint.asker.clone(), file_state)?;
    Ok(Rebuilt {
        agent,
        info,
        facts,
        workspace,
    })
}
