//! The context manager of a session: `context.*` settings
//! (`windows`, `pinnedFiles`, `autoCompact`) and `QODER_AUTOCOMPACT_*`.

use ferrule_context::{ContextManager, ContextSettings, EnvOverrides};

use crate::prepare::Prepared;

impl Prepared {
    /// The context manager for this session's model, settings and
    /// environment. A bad `context.*` key or override variable is logged
    /// and left out (the built-in defaults apply), like other settings
    /// problems.
    pub fn context_manager(&self) -> ContextManager {
        let settings = serde_json::to_value(&self.settings.merged).unwrap_or_default();
        let mut parsed = ContextSettings::from_settings(&settings).unwrap_or_else(|error| {
            tracing::warn!("settings: {error}; using the default context settings");
            ContextSettings::default()
        });
        if let Some(window) = self.context_window {
            // The whole model name is the longest prefix there is.
            parsed
                .windows
                .insert(self.model.model.name().to_owned(), window);
        }
        let env = EnvOverrides::from_env(&self.env).unwrap_or_else(|error| {
            tracing::warn!("{error}; ignoring the auto-compact overrides");
            EnvOverrides::default()
        });
        ContextManager::new(self.model.model.name(), &parsed, env, &self.cwd)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use ferrule_context::ContextState;
    use serde_json::{Value, json};

    use crate::options::{Host, SetupOptions};
    use crate::prepare::prepare;

    fn manager(
        project: &Path,
        settings: &Value,
        env: &[(&str, &str)],
    ) -> ferrule_context::ContextManager {
        let home = project.join("home");
        std::fs::create_dir_all(project.join(".qoder")).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(project.join(".qoder/settings.json"), settings.to_string()).unwrap();
        std::fs::write(project.join("script.json"), r#"{"turns": []}"#).unwrap();
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut options = SetupOptions::new(Host::Print, project, env);
        options.home = Some(home.clone());
        options.user_dir = Some(home.join(".qoder"));
        options.model = Some("scripted/script.json".to_owned());
        prepare(options).unwrap().context_manager()
    }

    #[test]
    fn settings_and_environment_reach_the_manager() {
        let project = tempfile::tempdir().unwrap();
        let settings = json!({"context": {"pinnedFiles": ["NOTES.md"], "autoCompact": false}});
        let context = manager(
            project.path(),
            &settings,
            &[("QODER_AUTOCOMPACT_WINDOW", "60000")],
        );
        assert!(!context.auto_compact());
        assert_eq!(context.thresholds().effective_window, 45_000);
        let pinned: Vec<&Path> = context.pinned().files().collect();
        assert_eq!(pinned.len(), 1);
        assert!(pinned[0].ends_with("NOTES.md"), "{pinned:?}");
        assert_eq!(context.state(), ContextState::Fine);
    }

    #[test]
    fn bad_values_fall_back_to_the_defaults() {
        let project = tempfile::tempdir().unwrap();
        let settings = json!({"context": {"autoCompact": "sometimes"}});
        let context = manager(
            project.path(),
            &settings,
            &[("QODER_AUTOCOMPACT_PCT_OVERRIDE", "lots")],
        );
        assert!(context.auto_compact());
        assert!(context.pinned().is_empty());
        assert_eq!(context.thresholds().effective_window, 128_000 - 20_000);
    }

    #[test]
    fn the_context_window_flag_sets_the_models_window() {
        let project = tempfile::tempdir().unwrap();
        let home = project.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(project.path().join("script.json"), r#"{"turns": []}"#).unwrap();
        let mut options = SetupOptions::new(Host::Print, project.path(), BTreeMap::new());
        options.home = Some(home.clone());
        options.user_dir = Some(home.join(".qoder"));
        options.model = Some("scripted/script.json".to_owned());
        options.context_window = Some(400_000);
        let context = prepare(options).unwrap().context_manager();
        assert_eq!(context.thresholds().effective_window, 400_000 - 20_000);
    }
}
