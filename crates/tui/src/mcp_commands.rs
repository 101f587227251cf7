//! `/mcp` and its subcommands (cli-core.md §8.1, §8.3): list the servers,
//! approve or reject `.mcp.json` servers, `reload` to rediscover servers
//! and tools, and `enable|disable NAME [--session]`.
//!
//! The agent's tool list is fixed when it is built, so everything that
//! changes which servers run rebuilds the session on the same
//! conversation (as `/resume` of the current session would).

use ferrule_setup::SetupOptions;

use crate::commands::Outcome;
use crate::session::Session;
use crate::state::{App, Cell};

/// How `/mcp` is used.
const USAGE: &str =
    "Usage: /mcp · /mcp reload · /mcp approve|reject NAME · /mcp enable|disable NAME [--session]";

/// The text shown when `.mcp.json` servers wait for approval.
pub(crate) fn approval_notice(names: &[String]) -> String {
    format!(
        "Project MCP servers from .mcp.json wait for your approval and were not started: {}.\n\
         /mcp approve NAME starts one for this session; trusting the folder starts them every time \
         (`ferrule mcp reject NAME` keeps one off).",
        names.join(", ")
    )
}

/// Runs `/mcp args`.
pub(crate) fn run(app: &mut App, session: &Session, args: &str) -> Outcome {
    let words: Vec<&str> = args.split_whitespace().collect();
    match words.as_slice() {
        [] => {
            list(app, session);
            Outcome::Done
        }
        ["reload"] => reload(session, session.options.clone(), "MCP servers reloaded."),
        ["approve", name] => choose(app, session, name, true),
        ["reject", name] => choose(app, session, name, false),
        ["enable", name] => switch(app, session, name, true, Lasting::Saved),
        ["disable", name] => switch(app, session, name, false, Lasting::Saved),
        ["enable", name, "--session"] | ["enable", "--session", name] => {
            switch(app, session, name, true, Lasting::Session)
        }
        ["disable", name, "--session"] | ["disable", "--session", name] => {
            switch(app, session, name, false, Lasting::Session)
        }
        _ => {
            app.transcript.push(Cell::Error(USAGE.to_owned()));
            Outcome::Done
        }
    }
}

/// How long a switch holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lasting {
    /// Recorded in `.qoder/settings.local.json`.
    Saved,
    /// This session only.
    Session,
}

fn list(app: &mut App, session: &Session) {
    let lines = session.mcp_lines();
    let waiting = &session.info.mcp_needs_approval;
    let mut text = if lines.is_empty() {
        "No MCP servers are configured (mcpServers in settings, .mcp.json, --mcp-config, plugins)."
            .to_owned()
    } else {
        format!("MCP servers:\n{}", lines.join("\n"))
    };
    if !waiting.is_empty() {
        text.push('\n');
        text.push_str(&approval_notice(waiting));
    }
    text.push('\n');
    text.push_str(USAGE);
    app.transcript.push(Cell::Info(text));
}

/// Rebuilds the session on the same conversation with `options` (before
/// anything was said there is no transcript to resume, and the rebuilt
/// session starts empty as well).
fn reload(session: &Session, mut options: SetupOptions, note: &str) -> Outcome {
    let said_something = session
        .info
        .transcript_path
        .as_ref()
        .is_some_and(|path| path.exists());
    if said_something {
        options.session = ferrule_session::SessionOptions {
            resume: Some(session.info.session_id.clone()),
            persistence: options.session.persistence,
            ..Default::default()
        };
    }
    Outcome::Reload(Box::new(options), note.to_owned())
}

fn project_servers(app: &mut App, session: &Session) -> Option<Vec<String>> {
    let path = session.cwd().join(".mcp.json");
    match ferrule_mcp::read_servers(&path) {
        Ok(servers) => Some(servers.keys().cloned().collect()),
        Err(error) => {
            app.transcript.push(Cell::Error(format!("/mcp: {error}")));
            None
        }
    }
}

fn choose(app: &mut App, session: &Session, name: &str, approve: bool) -> Outcome {
    let Some(in_project) = project_servers(app, session) else {
        return Outcome::Done;
    };
    if !in_project.iter().any(|n| n == name) {
        app.transcript.push(Cell::Error(format!(
            "/mcp: no MCP server named `{name}` in {}",
            session.cwd().join(".mcp.json").display()
        )));
        return Outcome::Done;
    }
    if !session.workspace().trusted {
        // Choices live in .qoder/settings.local.json, which an untrusted
        // folder does not read: an approval holds for this session only.
        let mut options = session.options.clone();
        options
            .mcp_session_switches
            .insert(name.to_owned(), approve);
        let verb = if approve { "Approved" } else { "Rejected" };
        let note = format!(
            "{verb} project MCP server {name} for this session (the folder is not trusted, \
             so the choice is not saved)."
        );
        return reload(session, options, &note);
    }
    let path = ferrule_config::local_settings_file(session.cwd());
    if let Err(error) = ferrule_mcp::set_project_choice(&path, name, approve) {
        app.transcript.push(Cell::Error(format!("/mcp: {error}")));
        return Outcome::Done;
    }
    let verb = if approve { "Approved" } else { "Rejected" };
    let note = format!(
        "{verb} project MCP server {name} (recorded in {}).",
        path.display()
    );
    let mut options = session.options.clone();
    options.mcp_session_switches.remove(name);
    reload(session, options, &note)
}

fn switch(app: &mut App, session: &Session, name: &str, on: bool, lasting: Lasting) -> Outcome {
    let known = session
        .info
        .mcp
        .as_ref()
        .is_some_and(|m| m.server_names().iter().any(|n| n == name));
    if !known {
        app.transcript.push(Cell::Error(format!(
            "/mcp: no MCP server named `{name}` is configured (/mcp lists them)"
        )));
        return Outcome::Done;
    }
    let mut options = session.options.clone();
    let verb = if on { "Enabled" } else { "Disabled" };
    let note = match lasting {
        Lasting::Session => {
            options.mcp_session_switches.insert(name.to_owned(), on);
            format!("{verb} MCP server {name} for this session.")
        }
        Lasting::Saved => {
            let path = ferrule_config::local_settings_file(session.cwd());
            let mut saved = ferrule_mcp::set_switched_off(&path, name, !on).map(drop);
            if on && saved.is_ok() {
                let in_project = project_servers(app, session).unwrap_or_default();
                if in_project.iter().any(|n| n == name) {
                    saved = ferrule_mcp::set_project_choice(&path, name, true).map(drop);
                }
            }
            if let Err(error) = saved {
                app.transcript.push(Cell::Error(format!("/mcp: {error}")));
                return Outcome::Done;
            }
            options.mcp_session_switches.remove(name);
            format!("{verb} MCP server {name} (recorded in {}).", path.display())
        }
    };
    reload(session, options, &note)
}
