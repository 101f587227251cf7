//! ConfigChange: which files and folders are configuration, what changed,
//! and applying a change that no hook blocked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferrule_config::{LoadOptions, LoadedSettings, Scope};
use ferrule_hooks::{ConfigChangeInput, ConfigSource, EventPayload};
use ferrule_memory::Workspace;

use super::fs::{FileStamp, first_difference, tree_stamps};
use super::{Watch, lock};
use crate::prepare::{HookRunners, dispatcher};

/// What reading the configuration again needs.
pub(crate) struct Reload {
    /// How the settings were loaded.
    pub(crate) load: LoadOptions,
    /// The session's directory.
    pub(crate) cwd: PathBuf,
    /// The home directory.
    pub(crate) home: PathBuf,
    /// The user directory.
    pub(crate) user_dir: PathBuf,
    /// The host's environment (the settings' `env` goes on top).
    pub(crate) base_env: BTreeMap<String, String>,
    /// Whether the folder's own settings and hooks apply.
    pub(crate) trusted: bool,
    /// What answers prompt and agent hooks.
    pub(crate) runners: HookRunners,
}

/// One watched configuration path.
pub(crate) struct ConfigTarget {
    pub(crate) source: ConfigSource,
    pub(crate) path: PathBuf,
    seen: Seen,
}

enum Seen {
    /// A settings file.
    File(Option<FileStamp>),
    /// A skills or agents folder: every file below it.
    Tree(BTreeMap<PathBuf, FileStamp>),
}

impl ConfigTarget {
    fn file(source: ConfigSource, path: PathBuf) -> Self {
        let seen = Seen::File(FileStamp::of(&path));
        Self { source, path, seen }
    }

    fn tree(source: ConfigSource, path: PathBuf) -> Self {
        let seen = Seen::Tree(tree_stamps(&path));
        Self { source, path, seen }
    }

    /// Whether it is a folder watched with everything below it.
    pub(crate) fn is_tree(&self) -> bool {
        matches!(self.seen, Seen::Tree(_))
    }
}

/// The ConfigChange source of a settings layer (`None`: not watched).
fn source_of(scope: Scope) -> Option<ConfigSource> {
    match scope {
        Scope::User => Some(ConfigSource::UserSettings),
        Scope::Project => Some(ConfigSource::ProjectSettings),
        Scope::Local => Some(ConfigSource::LocalSettings),
        Scope::Policy => Some(ConfigSource::PolicySettings),
        _ => None,
    }
}

/// Every settings file of `settings` (present or not), and the skills and
/// agents folders of the user and of each project folder.
pub(crate) fn targets(
    settings: &LoadedSettings,
    workspace: &Workspace,
    reload: &Reload,
) -> Vec<ConfigTarget> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for layer in &settings.layers {
        if let (Some(source), Some(path)) = (source_of(layer.scope), &layer.path)
            && path.is_absolute()
            && seen.insert(path.clone())
        {
            out.push(ConfigTarget::file(source, path.clone()));
        }
    }
    let mut levels = vec![reload.user_dir.clone(), reload.home.join(".claude")];
    if reload.trusted {
        let mut dirs: Vec<&Path> = workspace
            .cwd
            .ancestors()
            .take_while(|d| d.starts_with(&workspace.root))
            .collect();
        dirs.reverse();
        for dir in dirs {
            levels.push(dir.join(".qoder"));
            levels.push(dir.join(".claude"));
        }
    }
    for level in levels {
        for (name, source) in [
            ("skills", ConfigSource::Skills),
            ("agents", ConfigSource::Agents),
        ] {
            let path = level.join(name);
            if seen.insert(path.clone()) {
                out.push(ConfigTarget::tree(source, path));
            }
        }
    }
    out
}

/// The targets whose stamps changed since the last call, with the changed
/// file; their new stamps are kept.
pub(crate) fn changes(targets: &mut [ConfigTarget]) -> Vec<(ConfigSource, PathBuf)> {
    let mut out = Vec::new();
    for target in targets {
        match &mut target.seen {
            Seen::File(stamp) => {
                let now = FileStamp::of(&target.path);
                if now != *stamp {
                    *stamp = now;
                    out.push((target.source, target.path.clone()));
                }
            }
            Seen::Tree(stamps) => {
                let now = tree_stamps(&target.path);
                if let Some(file) = first_difference(stamps, &now) {
                    *stamps = now;
                    out.push((target.source, file));
                }
            }
        }
    }
    out
}

impl Watch {
    /// Fires ConfigChange for each change and applies those no hook
    /// blocked (a policy change always applies).
    pub(crate) async fn apply_config(&self, changes: Vec<(ConfigSource, PathBuf)>) {
        let mut settings = false;
        let mut workspace = false;
        for (source, path) in changes {
            let payload = EventPayload::ConfigChange(ConfigChangeInput {
                source,
                file_path: path.display().to_string(),
            });
            let blocked = self
                .fire(payload)
                .await
                .and_then(|dispatch| dispatch.outcome.block_reason());
            if let Some(reason) = blocked {
                tracing::warn!(
                    "{} changed, but a ConfigChange hook blocked applying it ({reason}); \
                     the session keeps its configuration",
                    path.display()
                );
                continue;
            }
            tracing::info!("{} changed; applying it", path.display());
            match source {
                ConfigSource::Skills | ConfigSource::Agents => workspace = true,
                _ => settings = true,
            }
        }
        if settings {
            self.reload_settings();
        }
        if workspace {
            self.reload_workspace();
        }
    }

    /// Reads the settings again: new permission rules and hooks.
    fn reload_settings(&self) {
        let reload = &self.reload;
        let settings = ferrule_config::load(&reload.load);
        for diagnostic in &settings.diagnostics {
            tracing::warn!(
                "settings: {}:{}:{}: {}",
                diagnostic.path.display(),
                diagnostic.line.unwrap_or(0),
                diagnostic.column.unwrap_or(0),
                diagnostic.message
            );
        }
        let mut env = reload.base_env.clone();
        if let Some(extra) = &settings.merged.env {
            env.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let keep = self.keep_hooks.load(std::sync::atomic::Ordering::SeqCst);
        if keep {
            tracing::info!("settings reloaded; the session's hooks stay until a restart");
        }
        let workspace = self.workspace();
        let hooks = (!keep).then(|| {
            Arc::new(dispatcher(
                &settings,
                &workspace,
                &reload.user_dir,
                &env,
                reload.trusted,
                reload.runners.clone(),
                |builder| builder,
            ))
        });
        if let Some(hooks) = &hooks {
            lock(&self.state).hooks = Arc::clone(hooks);
        }
        let Some(controls) = self.controls.get() else {
            return;
        };
        let policy = crate::policy::policy_builder(
            &settings,
            &reload.cwd,
            &reload.home,
            Some(&reload.user_dir),
            controls.mode(),
        );
        controls.set_policy_builder(policy);
        if let Some(hooks) = hooks {
            controls.set_hooks(Some(hooks));
        }
    }

    /// Reads skills, commands and subagents again.
    fn reload_workspace(&self) {
        let workspace = Arc::new(Workspace::load(self.workspace().options()));
        if let Some(controls) = self.controls.get() {
            controls.set_subagents(workspace.subagents.clone());
        }
        lock(&self.state).workspace = workspace;
    }
}
