//! The session's model: resolved from `--model` / `FERRULE_MODEL` /
//! settings, built with the HTTP options of the flags and environment, and
//! wrapped in a [`Recorder`] for `--record`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ferrule_model::{
    HttpOptions, Model, ModelError, ModelSettings, PriceTable, Recorder, ResolveError,
    ResolvedModel, resolve_model,
};

/// Environment variables that tune the HTTP providers, in milliseconds
/// (for slow local servers, and for tests that need short limits).
pub const TIMEOUT_VARIABLES: &[(&str, &str)] = &[
    ("FERRULE_CONNECT_TIMEOUT_MS", "time to open the connection"),
    (
        "FERRULE_FIRST_BYTE_TIMEOUT_MS",
        "time from the request to the response headers",
    ),
    (
        "FERRULE_STREAM_STALL_TIMEOUT_MS",
        "longest silence within a response stream",
    ),
    (
        "FERRULE_RETRY_BASE_DELAY_MS",
        "wait before the first retry (doubled for each further one)",
    ),
];

/// Why the model could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelSetupError {
    /// No model, or a name that does not resolve.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The provider could not be built (missing key, unreadable script ...).
    #[error(transparent)]
    Build(#[from] ModelError),
    /// A timeout variable is not a number of milliseconds.
    #[error("{variable}={value}: expected a number of milliseconds")]
    BadVariable {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
    },
}

/// The HTTP options: the defaults, `--max-model-request-retries`, and the
/// [`TIMEOUT_VARIABLES`] of `env`.
pub fn http_options(
    env: &BTreeMap<String, String>,
    max_retries: Option<u32>,
) -> Result<HttpOptions, ModelSetupError> {
    let mut options = HttpOptions::default();
    if let Some(retries) = max_retries {
        options.max_retries = retries;
    }
    let millis = |variable: &'static str| -> Result<Option<Duration>, ModelSetupError> {
        match env
            .get(variable)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        {
            None => Ok(None),
            Some(value) => value
                .parse::<u64>()
                .map(|ms| Some(Duration::from_millis(ms)))
                .map_err(|_| ModelSetupError::BadVariable {
                    variable,
                    value: value.to_owned(),
                }),
        }
    };
    if let Some(d) = millis("FERRULE_CONNECT_TIMEOUT_MS")? {
        options.connect_timeout = d;
    }
    if let Some(d) = millis("FERRULE_FIRST_BYTE_TIMEOUT_MS")? {
        options.first_byte_timeout = d;
    }
    if let Some(d) = millis("FERRULE_STREAM_STALL_TIMEOUT_MS")? {
        options.stall_timeout = d;
    }
    if let Some(d) = millis("FERRULE_RETRY_BASE_DELAY_MS")? {
        options.base_delay = d;
        options.max_delay = options.max_delay.max(d);
    }
    Ok(options)
}

/// The model a session runs, and what hosts report about it.
pub struct SessionModel {
    /// The model (wrapped in a recorder with `--record`).
    pub model: Arc<dyn Model>,
    /// How it was resolved.
    pub resolved: ResolvedModel,
    /// Prices: the built-in table with the settings' `modelPrices`.
    pub prices: PriceTable,
    /// The script file `--record` writes, if any.
    pub record: Option<PathBuf>,
    /// Resolves other model names (a subagent's or a hook's `model`) the
    /// way `--model` would, with the same settings and HTTP options; one
    /// client per name. A name that does not resolve is logged and gives
    /// `None` (the session's model runs instead).
    pub resolver: ModelResolver,
}

/// See [`SessionModel::resolver`].
pub type ModelResolver = Arc<dyn Fn(&str) -> Option<Arc<dyn Model>> + Send + Sync>;

/// A [`ModelResolver`] over `env`, the settings' model keys, `cwd` and
/// `http` (what [`session_model`] resolved the session's model with).
fn resolver(
    env: &BTreeMap<String, String>,
    model_settings: ModelSettings,
    cwd: &Path,
    http: HttpOptions,
) -> ModelResolver {
    let env = env.clone();
    let cwd = cwd.to_path_buf();
    let built: Mutex<HashMap<String, Option<Arc<dyn Model>>>> = Mutex::default();
    Arc::new(move |name: &str| {
        let mut built = built.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(model) = built.get(name) {
            return model.clone();
        }
        let model = resolve_model(Some(name), &env, &model_settings)
            .map_err(ModelSetupError::from)
            .and_then(|resolved| Ok(resolved.build(&cwd, http.clone())?));
        let model = match model {
            Ok(model) => Some(model),
            Err(error) => {
                tracing::warn!(model = %name, %error, "cannot use this model; the session's model runs instead");
                None
            }
        };
        built.insert(name.to_owned(), model.clone());
        model
    })
}

impl std::fmt::Debug for SessionModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionModel")
            .field("model", &self.model.name())
            .field("resolved", &self.resolved)
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

/// Resolves and builds the model. `settings` is the merged settings
/// document (only its model keys are read); a relative `scripted/` path
/// and `record` are taken from `cwd`.
pub fn session_model(
    flag: Option<&str>,
    env: &BTreeMap<String, String>,
    settings: &serde_json::Value,
    cwd: &Path,
    http: HttpOptions,
    record: Option<&Path>,
) -> Result<SessionModel, ModelSetupError> {
    let model_settings = ModelSettings::from_settings(settings)?;
    let resolved = resolve_model(flag, env, &model_settings)?;
    let built = resolved.build(cwd, http.clone())?;
    let record = record.map(|path| cwd.join(path));
    let model: Arc<dyn Model> = match &record {
        Some(path) => Arc::new(Recorder::new(built, path.clone())),
        None => built,
    };
    let prices = PriceTable::builtin().with_overrides(&model_settings.model_prices);
    Ok(SessionModel {
        model,
        resolved,
        prices,
        record,
        resolver: resolver(env, model_settings, cwd, http),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn timeouts_and_retries_come_from_flags_and_environment() {
        let env = BTreeMap::from([
            (
                "FERRULE_STREAM_STALL_TIMEOUT_MS".to_owned(),
                "300".to_owned(),
            ),
            ("FERRULE_RETRY_BASE_DELAY_MS".to_owned(), "5".to_owned()),
        ]);
        let options = http_options(&env, Some(1)).unwrap();
        assert_eq!(options.max_retries, 1);
        assert_eq!(options.stall_timeout, Duration::from_millis(300));
        assert_eq!(options.base_delay, Duration::from_millis(5));
        let bad = BTreeMap::from([("FERRULE_CONNECT_TIMEOUT_MS".to_owned(), "soon".to_owned())]);
        let err = http_options(&bad, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "FERRULE_CONNECT_TIMEOUT_MS=soon: expected a number of milliseconds"
        );
    }

    #[test]
    fn scripted_model_resolves_relative_to_cwd_and_missing_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("s.json"),
            r#"{"turns": [{"blocks": [{"type": "text", "text": "hi"}]}]}"#,
        )
        .unwrap();
        let env = BTreeMap::new();
        let model = session_model(
            Some("scripted/s.json"),
            &env,
            &json!({}),
            dir.path(),
            HttpOptions::default(),
            None,
        )
        .unwrap();
        assert!(model.model.name().starts_with("scripted/"));
        assert!(model.model.name().ends_with("/s.json"));
        let err = session_model(
            Some("openai/gpt-4.1"),
            &env,
            &json!({}),
            dir.path(),
            HttpOptions::default(),
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("OPENAI_API_KEY"), "{err}");
    }
}
