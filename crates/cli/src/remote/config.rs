//! Where `--remote` connects and what it asks for: the server URL, the API
//! key, the environment and the agent, from the environment, the flags and
//! the settings files.
//!
//! Precedence, highest first:
//! - URL: `FERRULE_REMOTE_URL`, then `remote.url` in user settings (or
//!   `--settings`), then `http://127.0.0.1:8787` (ferrule-server's default
//!   bind). `/api/v1/cloud` is appended unless the URL already ends with it.
//! - API key: `FERRULE_API_KEY`, then `remote.apiKey` in user settings (or
//!   `--settings`).
//! - Environment: `--remote-env`, then `remote.defaultCloudEnvironmentId`
//!   (any settings layer), then the server's first listed environment.
//! - Agent: `remote.agentId` (any settings layer) reuses that agent;
//!   otherwise each run creates a fresh agent with all built-in tools and
//!   the model of `--model` (default `ultimate`, the server's default model).
//!
//! The URL and key are read from user-chosen layers only: a project's
//! `.qoder/settings.json` comes with the repository, and letting it pick
//! the server would send the user's key wherever a cloned repository says.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use ferrule_config::{LoadOptions, Scope, SettingSource, Severity, load};
use serde_json::Value;

use crate::run::RunArgs;

/// The default server: `ferrule-server serve` without `--bind`.
const DEFAULT_URL: &str = "http://127.0.0.1:8787";

/// The resolved connection and defaults of a remote run.
#[derive(Debug, Clone)]
pub(crate) struct RemoteConfig {
    /// The API base, ending in `/api/v1/cloud` (no trailing slash).
    pub(crate) base_url: String,
    /// The bearer key.
    pub(crate) api_key: String,
    /// The environment to run in, when chosen.
    pub(crate) environment_id: Option<String>,
    /// An existing agent to reuse.
    pub(crate) agent_id: Option<String>,
    /// The model of a newly created agent.
    pub(crate) model: String,
    /// The user directory (reattach cursors live under it).
    pub(crate) user_dir: PathBuf,
}

/// Resolves the configuration from the flags, `env` and the settings files.
pub(crate) fn resolve(
    run: &RunArgs,
    remote_env: Option<&str>,
    env: &BTreeMap<String, String>,
) -> Result<RemoteConfig> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut opts = LoadOptions::new(run.project_dir(&cwd));
    opts.user_dir.clone_from(&run.config_dir);
    if opts.user_dir.is_none() {
        opts.user_dir = var(env, "QODER_CONFIG_DIR").map(PathBuf::from);
    }
    opts.settings_flag.clone_from(&run.settings);
    if let Some(list) = &run.setting_sources {
        opts.setting_sources = Some(SettingSource::parse_list(list)?);
    }
    opts.env = Some(env.clone().into_iter().collect());
    let user_dir = opts
        .resolved_user_dir()
        .unwrap_or_else(|| PathBuf::from(".qoder"));
    let loaded = load(&opts);
    // Unknown-key warnings would name remote.url and friends; only errors matter here.
    for diagnostic in &loaded.diagnostics {
        if diagnostic.severity == Severity::Error {
            tracing::warn!("{diagnostic}");
        }
    }

    // The URL and key: only from layers the user picked.
    let mut trusted = BTreeMap::<&str, String>::new();
    for layer in &loaded.layers {
        if !matches!(layer.scope, Scope::User | Scope::Flag) {
            continue;
        }
        if let Some(remote) = &layer.settings.remote {
            for key in ["url", "apiKey"] {
                if let Some(Value::String(value)) = remote.extra.get(key) {
                    trusted.insert(key, value.clone());
                }
            }
        }
    }
    let merged = loaded.merged.remote.as_ref();
    let url = var(env, "FERRULE_REMOTE_URL")
        .or_else(|| trusted.get("url").cloned())
        .unwrap_or_else(|| DEFAULT_URL.to_owned());
    let base_url = api_base(&url)?;
    let Some(api_key) = var(env, "FERRULE_API_KEY").or_else(|| trusted.get("apiKey").cloned())
    else {
        bail!(
            "no API key for {base_url}: set FERRULE_API_KEY (a key from `ferrule-server keys create NAME`) or remote.apiKey in your user settings"
        );
    };
    let environment_id = remote_env
        .map(str::to_owned)
        .or_else(|| merged.and_then(|r| r.default_cloud_environment_id.clone()));
    let agent_id = merged
        .and_then(|r| r.extra.get("agentId"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(RemoteConfig {
        base_url,
        api_key,
        environment_id,
        agent_id,
        model: run.model.clone().unwrap_or_else(|| "ultimate".to_owned()),
        user_dir,
    })
}

fn var(env: &BTreeMap<String, String>, name: &str) -> Option<String> {
    env.get(name).filter(|v| !v.trim().is_empty()).cloned()
}

/// `http://host:port[/prefix]` → `http://host:port[/prefix]/api/v1/cloud`.
pub(crate) fn api_base(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        bail!("remote URL {url:?} must start with http:// or https://");
    };
    if rest.is_empty() || rest.contains(['?', '#', ' ']) {
        bail!("remote URL {url:?} is not a plain http(s) URL");
    }
    Ok(if url.ends_with("/api/v1/cloud") {
        url.to_owned()
    } else {
        format!("{url}/api/v1/cloud")
    })
}

/// The directory of reattach cursors.
pub(crate) fn cursor_dir(user_dir: &Path) -> PathBuf {
    user_dir.join("remote-sessions")
}

#[cfg(test)]
mod tests {
    use super::api_base;

    #[test]
    fn the_api_path_is_added_once() {
        assert_eq!(
            api_base("http://127.0.0.1:9/").unwrap(),
            "http://127.0.0.1:9/api/v1/cloud"
        );
        assert_eq!(
            api_base("https://h/api/v1/cloud/").unwrap(),
            "https://h/api/v1/cloud"
        );
        assert!(api_base("127.0.0.1:9").is_err());
        assert!(api_base("http://h/?a=1").is_err());
    }
}
