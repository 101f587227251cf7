//! `--list-sessions` and `--delete-session INDEX`.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use ferrule_session::{SessionInfo, SessionStore};
use ferrule_setup::SetupOptions;
use serde_json::json;

use super::args::OutputFormat;

fn sessions(options: &SetupOptions) -> Result<(SessionStore, Vec<SessionInfo>)> {
    let Some(user_dir) = options.resolved_user_dir() else {
        bail!("cannot determine the user directory: set HOME or FERRULE_HOME");
    };
    let store = SessionStore::new(user_dir);
    let list = store
        .list(&options.cwd)
        .with_context(|| format!("listing the sessions of {}", options.cwd.display()))?;
    Ok((store, list))
}

/// Prints the sessions of the project, newest first, numbered from 1.
pub(crate) fn list(options: &SetupOptions, format: OutputFormat) -> Result<ExitCode> {
    let (_, list) = sessions(options)?;
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Text => {
            if list.is_empty() {
                writeln!(out, "no sessions in {}", options.cwd.display())?;
            }
            for (number, info) in list.iter().enumerate() {
                let modified = jiff::Timestamp::try_from(info.modified)
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{:>3}  {}  {}  {}",
                    number + 1,
                    info.session_id,
                    modified,
                    info.title
                )?;
            }
        }
        OutputFormat::Json | OutputFormat::StreamJson => {
            let value: Vec<_> = list
                .iter()
                .enumerate()
                .map(|(number, info)| {
                    json!({
                        "index": number + 1,
                        "session_id": info.session_id,
                        "title": info.title,
                        "path": info.path,
                        "modified": jiff::Timestamp::try_from(info.modified)
                            .map(|t| t.to_string())
                            .ok(),
                        "message_count": info.message_count,
                    })
                })
                .collect();
            serde_json::to_writer(&mut out, &value)?;
            writeln!(out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Deletes the session numbered `index` in `--list-sessions`.
pub(crate) fn delete(options: &SetupOptions, index: usize) -> Result<ExitCode> {
    let (store, list) = sessions(options)?;
    let Some(info) = index.checked_sub(1).and_then(|i| list.get(i)) else {
        bail!(
            "--delete-session {index}: there are {} sessions in {} (see --list-sessions)",
            list.len(),
            options.cwd.display()
        );
    };
    store.delete(&options.cwd, &info.session_id)?;
    writeln!(std::io::stdout(), "deleted session {}", info.session_id)?;
    Ok(ExitCode::SUCCESS)
}
