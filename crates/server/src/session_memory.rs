//! Memory stores attached to a session (`cloud-api.md` §6.8,
//! `qoder-docs/cloud-agents/memory-stores.md`): the resource
//! `{"type":"memory_store","memory_store_id","access","instructions"}`, and
//! the store's entries as files during the session's turns.
//!
//! When a turn begins the server reads the active entries of every
//! attached store ([`prepare`]); where the turn runs they are written under
//! `.qoder/awareness/<entry path>` of the working directory (the sandbox's
//! `/data/.qoder/awareness/`), flattened, without store or entry IDs
//! ([`mount`]). The agent reads and edits them with its ordinary file
//! tools. When the turn ends, the differences ([`changes`]) travel back with
//! the turn's end and the server writes them to the stores ([`save`]): a
//! changed file is a new version of its entry, a new file a new entry (in
//! the first `read_write` store), a removed file a deleted entry. Stores
//! attached `read_only` are never written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axum::extract::{Path as UrlPath, State};
use serde_json::{Map, Value, json};

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::input::{Fields, JsonObject, QueryPairs};

/// Where entries appear, relative to the working directory.
pub(crate) const AWARENESS_DIR: &str = ".qoder/awareness";
const MAX_INSTRUCTIONS: usize = 4096;

/// Checks a requested `memory_store` resource and returns its object: the
/// store must exist and be active; `access` is `read_write` (default) or
/// `read_only`; `instructions` at most 4096 characters.
pub(crate) async fn check_request(state: &AppState, map: &Map<String, Value>) -> ApiResult<Value> {
    let store_id = map.required_str("memory_store_id")?;
    let access = match map.opt_str("access")?.as_deref() {
        None | Some("read_write") => "read_write",
        Some("read_only") => "read_only",
        Some(other) => {
            return Err(ApiError::field(
                "access",
                format!("Field 'access' must be one of: read_write, read_only (got '{other}')."),
            ));
        }
    };
    let instructions = map.opt_str("instructions")?;
    if instructions
        .as_ref()
        .is_some_and(|text| text.chars().count() > MAX_INSTRUCTIONS)
    {
        return Err(ApiError::field(
            "instructions",
            "Field 'instructions' must be at most 4096 characters.",
        ));
    }
    let store = crate::memory_stores::load(state, &store_id).await?;
    if store.body["status"] == "archived" {
        return Err(ApiError::state_conflict(format!(
            "Memory store '{store_id}' is archived."
        )));
    }
    Ok(json!({
        "type": "memory_store",
        "memory_store_id": store_id,
        "access": access,
        "instructions": instructions,
        "name": store.body["name"],
        "description": store.body["description"],
        "mount_path": null,
    }))
}

/// One attached store as a turn sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct MountedStore {
    /// The store (`memstore_…`).
    pub(crate) store_id: String,
    /// Its name, for the system prompt.
    pub(crate) name: String,
    /// Whether the agent's edits are kept (`access: read_write`).
    pub(crate) writable: bool,
    /// The resource's `instructions`.
    pub(crate) instructions: Option<String>,
    /// Active entries: path → content.
    pub(crate) entries: BTreeMap<String, String>,
}

/// What the agent did to one file under the awareness directory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum MemoryChange {
    /// The file is new or its content changed.
    Write {
        /// The store written.
        store_id: String,
        /// Entry path.
        path: String,
        /// New content.
        content: String,
    },
    /// The file was removed.
    Delete {
        /// The store written.
        store_id: String,
        /// Entry path.
        path: String,
    },
}

/// The attached stores of a session with their entries.
///
/// # Errors
/// The resources or a store's entries could not be read.
pub(crate) async fn prepare(state: &AppState, session_id: &str) -> ApiResult<Vec<MountedStore>> {
    let mut stores = Vec::new();
    for resource in crate::resources::of_session(state, session_id).await? {
        if resource["type"] != "memory_store" {
            continue;
        }
        let store_id = resource["memory_store_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let store = crate::memory_stores::load(state, &store_id).await?;
        let entries = crate::dream_tools::Workspace::entries(state, &store_id)
            .await?
            .into_iter()
            .filter_map(|entry| {
                Some((
                    entry["path"].as_str()?.to_owned(),
                    entry["content"].as_str()?.to_owned(),
                ))
            })
            .collect();
        stores.push(MountedStore {
            store_id,
            name: store.body["name"].as_str().unwrap_or_default().to_owned(),
            writable: resource["access"] != "read_only" && store.body["status"] != "archived",
            instructions: resource["instructions"].as_str().map(str::to_owned),
            entries,
        });
    }
    Ok(stores)
}

fn awareness(cwd: &Path) -> PathBuf {
    cwd.join(AWARENESS_DIR)
}

/// Writes the entries of `stores` under the awareness directory of `cwd`,
/// replacing what an earlier turn left there (the stores are the truth).
///
/// # Errors
/// A file could not be written.
pub(crate) fn mount(stores: &[MountedStore], cwd: &Path) -> Result<(), String> {
    let dir = awareness(cwd);
    if stores.is_empty() {
        return Ok(());
    }
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(format!("clearing {}: {error}", dir.display())),
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    for store in stores {
        for (path, content) in &store.entries {
            let file = dir.join(path);
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("mounting memory {path}: {e}"))?;
            }
            std::fs::write(&file, content).map_err(|e| format!("mounting memory {path}: {e}"))?;
        }
    }
    Ok(())
}

/// The system prompt's note about the mounted memories.
pub(crate) fn prompt_note(stores: &[MountedStore]) -> Option<String> {
    if stores.is_empty() {
        return None;
    }
    let mut note = format!(
        "# Memory\nPersistent memory from earlier sessions is in the directory \
         `{AWARENESS_DIR}/` of the working directory, one file per memory. Read \
         it with the file tools; "
    );
    if stores.iter().any(|s| s.writable) {
        note.push_str(
            "create, edit or delete files there to remember or forget things for \
             later sessions (text files, at most 100 KB each).",
        );
    } else {
        note.push_str("it is read-only: changes are not kept.");
    }
    for store in stores {
        if let Some(instructions) = &store.instructions {
            note.push_str(&format!("\n\nFor '{}': {instructions}", store.name));
        }
    }
    Some(note)
}

/// Relative paths (with `/`) and contents of the files under `dir`.
fn files_under(dir: &Path) -> BTreeMap<String, Option<String>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file()
                && let Ok(rel) = path.strip_prefix(dir)
            {
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                // Not UTF-8: `None`, reported when it is saved.
                out.insert(rel.join("/"), std::fs::read_to_string(&path).ok());
            }
        }
    }
    out
}

/// What changed under the awareness directory of `cwd` since [`mount`]
/// wrote `stores` there. Edits of read-only stores are left out (and
/// logged); a non-UTF-8 file is skipped.
pub(crate) fn changes(stores: &[MountedStore], cwd: &Path) -> Vec<MemoryChange> {
    if stores.is_empty() {
        return Vec::new();
    }
    let now = files_under(&awareness(cwd));
    let owner = |path: &str| stores.iter().find(|s| s.entries.contains_key(path));
    let mut out = Vec::new();
    for (path, content) in &now {
        let Some(content) = content else {
            tracing::warn!(%path, "a memory file is not UTF-8 text; not saved");
            continue;
        };
        let store = match owner(path) {
            Some(store) if store.entries.get(path) == Some(content) => continue,
            Some(store) => Some(store),
            None => stores.iter().find(|s| s.writable),
        };
        match store {
            Some(store) if store.writable => out.push(MemoryChange::Write {
                store_id: store.store_id.clone(),
                path: path.clone(),
                content: content.clone(),
            }),
            _ => tracing::warn!(%path, "a read-only memory was changed; not saved"),
        }
    }
    for store in stores {
        for path in store.entries.keys() {
            if now.contains_key(path) {
                continue;
            }
            if store.writable {
                out.push(MemoryChange::Delete {
                    store_id: store.store_id.clone(),
                    path: path.clone(),
                });
            } else {
                tracing::warn!(%path, "a read-only memory was removed; not saved");
            }
        }
    }
    out
}

/// Writes the changes of a turn to the stores through the same code as the
/// memory API (versions, counters, checks). Returns what could not be
/// saved, one message each.
pub(crate) async fn save(state: &AppState, changes: &[MemoryChange]) -> Vec<String> {
    let mut problems = Vec::new();
    for change in changes {
        if let Err(error) = save_one(state, change).await {
            problems.push(error.message);
        }
    }
    problems
}

async fn save_one(state: &AppState, change: &MemoryChange) -> ApiResult<()> {
    let (store_id, path) = match change {
        MemoryChange::Write { store_id, path, .. } | MemoryChange::Delete { store_id, path } => {
            (store_id, path)
        }
    };
    let existing = crate::dream_tools::Workspace::entries(state, store_id)
        .await?
        .into_iter()
        .find(|e| e["path"] == path.as_str());
    let entry_id = existing
        .as_ref()
        .and_then(|e| e["id"].as_str())
        .map(str::to_owned);
    let named = |error: ApiError| ApiError {
        message: format!("Memory '{path}' was not saved: {}", error.message),
        ..error
    };
    match (change, entry_id) {
        (MemoryChange::Write { content, .. }, Some(id)) => {
            let mut body = Map::new();
            body.insert("content".into(), json!(content));
            let _updated = crate::memories::update(
                State(state.clone()),
                UrlPath((store_id.clone(), id)),
                QueryPairs::default(),
                JsonObject(body),
            )
            .await
            .map_err(named)?;
        }
        (MemoryChange::Write { content, .. }, None) => {
            let mut body = Map::new();
            body.insert("path".into(), json!(path));
            body.insert("content".into(), json!(content));
            let _created = crate::memories::create(
                State(state.clone()),
                UrlPath(store_id.clone()),
                QueryPairs::default(),
                JsonObject(body),
            )
            .await
            .map_err(named)?;
        }
        (MemoryChange::Delete { .. }, Some(id)) => {
            crate::memories::delete(
                State(state.clone()),
                UrlPath((store_id.clone(), id)),
                QueryPairs::default(),
            )
            .await
            .map_err(named)?;
        }
        // Already gone from the store.
        (MemoryChange::Delete { .. }, None) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(id: &str, writable: bool, entries: &[(&str, &str)]) -> MountedStore {
        MountedStore {
            store_id: id.into(),
            name: id.into(),
            writable,
            instructions: None,
            entries: entries
                .iter()
                .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn edits_new_files_and_removals_become_changes_of_writable_stores() {
        let dir = tempfile::tempdir().unwrap();
        let stores = vec![
            store("ro", false, &[("fixed.md", "keep"), ("gone.md", "x")]),
            store("rw", true, &[("notes/a.md", "old"), ("drop.md", "y")]),
        ];
        mount(&stores, dir.path()).unwrap();
        let root = dir.path().join(AWARENESS_DIR);
        assert_eq!(
            std::fs::read_to_string(root.join("notes/a.md")).unwrap(),
            "old"
        );
        std::fs::write(root.join("notes/a.md"), "new").unwrap();
        std::fs::write(root.join("fixed.md"), "edited").unwrap();
        std::fs::write(root.join("fresh.md"), "hello").unwrap();
        std::fs::remove_file(root.join("drop.md")).unwrap();
        std::fs::remove_file(root.join("gone.md")).unwrap();
        let mut got = changes(&stores, dir.path());
        got.sort_by_key(|c| format!("{c:?}"));
        assert_eq!(
            got,
            vec![
                MemoryChange::Delete {
                    store_id: "rw".into(),
                    path: "drop.md".into()
                },
                MemoryChange::Write {
                    store_id: "rw".into(),
                    path: "fresh.md".into(),
                    content: "hello".into()
                },
                MemoryChange::Write {
                    store_id: "rw".into(),
                    path: "notes/a.md".into(),
                    content: "new".into()
                },
            ]
        );
        // A second mount puts back what the stores hold.
        mount(&stores, dir.path()).unwrap();
        assert!(!root.join("fresh.md").exists());
        assert!(changes(&stores, dir.path()).is_empty());
    }
}
