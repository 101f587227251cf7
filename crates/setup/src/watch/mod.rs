//! The session's watcher: what changes on disk while a session runs, and
//! what answers MCP servers' questions.
//!
//! - Settings files of every layer, and the skills and agents folders, are
//!   watched; a change fires ConfigChange (`source`, `file_path`) and,
//!   unless a hook blocks it, is applied: settings are read again and the
//!   new permission rules and hooks hold from the next tool call on, the
//!   subagent list is refreshed. A block keeps the old configuration and
//!   says why on stderr; policy settings cannot be blocked (cli-core.md §4
//!   end, §5.6).
//! - Paths that SessionStart, CwdChanged and FileChanged hooks return in
//!   `watchPaths` are watched; a change fires FileChanged (matcher: the base
//!   name; `event` change, add or unlink) and the hooks' `additionalContext`
//!   goes to the model with the next request.
//! - MCP elicitations go through the Elicitation hooks, then the host's
//!   asker, then the ElicitationResult hooks, with Notification hooks of the
//!   elicitation types on the way ([`elicit`]).
//!
//! [`SessionWatch`] is the handle a host keeps (in `HostInfo::watch`);
//! watching stops when its last clone is dropped.

mod config;
mod elicit;
mod files;
mod fs;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use ferrule_agent::AgentControls;
use ferrule_hooks::{CommonFields, Dispatch, Dispatcher, EventPayload, HookInput};
use ferrule_memory::Workspace;

pub(crate) use config::Reload;
pub(crate) use elicit::Bridge;

use config::ConfigTarget;
use fs::{FileStamp, Fs};

/// The state shared by the handle, the watcher task, the agent's callbacks
/// and the MCP elicitation bridge.
pub(crate) struct Watch {
    reload: Reload,
    state: Mutex<State>,
    controls: OnceLock<AgentControls>,
    fs: Mutex<Option<Fs>>,
    /// Set while a batch of changes is being handled.
    busy: AtomicBool,
    /// The hooks were extended by the host (SDK callbacks): a settings
    /// reload keeps them instead of rebuilding them from the files.
    keep_hooks: AtomicBool,
}

struct State {
    hooks: Arc<Dispatcher>,
    common: CommonFields,
    workspace: Arc<Workspace>,
    config: Vec<ConfigTarget>,
    /// `watchPaths` and the file's stamp when last seen (`None`: missing).
    files: BTreeMap<PathBuf, Option<FileStamp>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Watch {
    /// The watch of a prepared session (nothing is watched until
    /// [`Watch::start`]).
    pub(crate) fn new(
        reload: Reload,
        hooks: Arc<Dispatcher>,
        settings: &ferrule_config::LoadedSettings,
        workspace: Arc<Workspace>,
    ) -> Arc<Self> {
        let config = config::targets(settings, &workspace, &reload);
        let common = CommonFields {
            cwd: reload.cwd.display().to_string(),
            ..CommonFields::default()
        };
        Arc::new(Self {
            reload,
            state: Mutex::new(State {
                hooks,
                common,
                workspace,
                config,
                files: BTreeMap::new(),
            }),
            controls: OnceLock::new(),
            fs: Mutex::new(None),
            busy: AtomicBool::new(false),
            keep_hooks: AtomicBool::new(false),
        })
    }

    /// Takes the session's final hooks and hook fields (before the agent
    /// is built), and starts watching when a tokio runtime is running.
    pub(crate) fn start(self: &Arc<Self>, hooks: Arc<Dispatcher>, common: CommonFields) {
        {
            let mut state = lock(&self.state);
            state.hooks = hooks;
            state.common = common;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::debug!("no async runtime: settings and watched files are not watched");
            return;
        };
        let (signal, mut signals) = tokio::sync::mpsc::unbounded_channel();
        let mut fs = match Fs::start(signal) {
            Ok(fs) => fs,
            Err(error) => {
                tracing::warn!("cannot watch the settings files for changes: {error}");
                return;
            }
        };
        {
            let state = lock(&self.state);
            for target in &state.config {
                fs.cover(&target.path, target.is_tree());
            }
            for path in state.files.keys() {
                fs.cover(path, false);
            }
        }
        *lock(&self.fs) = Some(fs);
        let weak = Arc::downgrade(self);
        runtime.spawn(async move {
            while signals.recv().await.is_some() {
                while signals.try_recv().is_ok() {}
                let Some(watch) = weak.upgrade() else {
                    break;
                };
                watch.busy.store(true, Ordering::SeqCst);
                watch.rescan().await;
                watch.busy.store(false, Ordering::SeqCst);
            }
        });
    }

    /// Connects the built agent: its controls take reloaded hooks and
    /// rules, and its CwdChanged `watchPaths` come here.
    pub(crate) fn attach(self: &Arc<Self>, controls: &AgentControls) {
        let weak = Arc::downgrade(self);
        controls.on_watch_paths(Arc::new(move |paths| {
            if let Some(watch) = weak.upgrade() {
                watch.add_paths(&paths);
            }
        }));
        let _ = self.controls.set(controls.clone());
    }

    /// Settings reloads keep the current hooks (the host added some that
    /// cannot be rebuilt from the files).
    pub(crate) fn keep_hooks(&self) {
        self.keep_hooks.store(true, Ordering::SeqCst);
    }

    /// Watches `paths` (absolute) for FileChanged.
    pub(crate) fn add_paths(&self, paths: &[String]) {
        let mut added = Vec::new();
        {
            let mut state = lock(&self.state);
            for text in paths {
                let path = PathBuf::from(text);
                if !path.is_absolute() {
                    tracing::warn!("watchPaths: `{text}` is not an absolute path; not watched");
                    continue;
                }
                if !state.files.contains_key(&path) {
                    state.files.insert(path.clone(), FileStamp::of(&path));
                    added.push(path);
                }
            }
        }
        if let Some(fs) = lock(&self.fs).as_mut() {
            for path in &added {
                fs.cover(path, false);
            }
        }
    }

    /// The hooks in force now.
    pub(crate) fn hooks(&self) -> Arc<Dispatcher> {
        match self.controls.get().and_then(AgentControls::hooks) {
            Some(hooks) => hooks,
            None => Arc::clone(&lock(&self.state).hooks),
        }
    }

    /// The memory snapshot, reloaded after skills or agents changed.
    pub(crate) fn workspace(&self) -> Arc<Workspace> {
        Arc::clone(&lock(&self.state).workspace)
    }

    /// The common hook fields now (with the current permission mode).
    fn common(&self) -> CommonFields {
        let mut common = lock(&self.state).common.clone();
        if let Some(controls) = self.controls.get() {
            common.permission_mode = Some(
                ferrule_agent::mode_to_wire(controls.mode())
                    .as_str()
                    .to_owned(),
            );
        }
        common
    }

    /// Fires `payload`'s hooks; `None` when none matches.
    async fn fire(&self, payload: EventPayload) -> Option<Dispatch> {
        let hooks = self.hooks();
        let input = HookInput::new(self.common(), payload);
        if hooks.matching(&input).is_empty() {
            return None;
        }
        let dispatch = hooks.dispatch(&input).await;
        for error in &dispatch.outcome.errors {
            tracing::warn!(event = input.event().as_str(), hook = %error.hook, message = %error.message, "hook failed");
        }
        Some(dispatch)
    }

    /// Compares every watched path with its last stamp and handles what
    /// changed.
    async fn rescan(&self) {
        // Folders created since the last batch get their own watch.
        {
            let state = lock(&self.state);
            if let Some(fs) = lock(&self.fs).as_mut() {
                for target in &state.config {
                    fs.cover(&target.path, target.is_tree());
                }
                for path in state.files.keys() {
                    fs.cover(path, false);
                }
            }
        }
        let changes = config::changes(&mut lock(&self.state).config);
        self.apply_config(changes).await;
        let changed = files::changes(&mut lock(&self.state).files);
        self.files_changed(changed).await;
    }
}

/// The handle of a session's watcher, kept by the host (`HostInfo::watch`).
/// Cheap to clone; watching stops when the last clone is dropped.
#[derive(Clone)]
pub struct SessionWatch {
    pub(crate) inner: Arc<Watch>,
}

impl std::fmt::Debug for SessionWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionWatch")
            .field("cwd", &self.inner.reload.cwd)
            .finish_non_exhaustive()
    }
}

impl SessionWatch {
    /// Watches `paths` (absolute; others are ignored with a warning) and
    /// fires FileChanged when one changes, e.g. the `watchPaths` of a
    /// SessionStart hook.
    pub fn add_paths(&self, paths: &[String]) {
        self.inner.add_paths(paths);
    }

    /// Whether a batch of changes is being handled right now (its hooks
    /// running, settings being read again).
    pub fn is_busy(&self) -> bool {
        self.inner.busy.load(Ordering::SeqCst)
    }

    /// The hooks in force now (they change when settings files do).
    pub fn hooks(&self) -> Arc<Dispatcher> {
        self.inner.hooks()
    }

    /// The memory snapshot as last loaded (skills, commands and subagents
    /// are read again when their folders change).
    pub fn workspace(&self) -> Arc<Workspace> {
        self.inner.workspace()
    }
}
