//! Which model a session uses, and where its provider lives.
//!
//! `ARCHITECTURE.md` §Models: a model is named `provider/model`; the name
//! comes from the `--model` flag, else `FERRULE_MODEL`, else the settings'
//! `model`; a name defined in the settings' `modelAliases` stands for the
//! `provider/model` it maps to. Providers read `OPENAI_BASE_URL` /
//! `OPENAI_API_KEY` and `ANTHROPIC_BASE_URL` / `ANTHROPIC_API_KEY`; base
//! URLs may also come from settings (`openaiBaseUrl`, `anthropicBaseUrl`).
//!
//! [`resolve_model`] is a pure function of the flag, an environment map and
//! the settings, so every rule is testable without touching the process
//! environment. Empty values count as unset.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::anthropic::{ANTHROPIC_DEFAULT_BASE_URL, AnthropicModel};
use crate::error::ModelError;
use crate::model::Model;
use crate::openai::{OPENAI_DEFAULT_BASE_URL, OpenAiModel};
use crate::price::Price;
use crate::retry::HttpOptions;
use crate::scripted::ScriptedModel;

/// The model keys of a settings document (other keys are ignored).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelSettings {
    /// `model`: a `provider/model` name or an alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `modelAliases`: names standing for a `provider/model`, e.g.
    /// `{"ultimate": "anthropic/claude-opus-4-1"}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub model_aliases: BTreeMap<String, String>,
    /// `openaiBaseUrl`: used when `OPENAI_BASE_URL` is unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openai_base_url: Option<String>,
    /// `anthropicBaseUrl`: used when `ANTHROPIC_BASE_URL` is unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anthropic_base_url: Option<String>,
    /// `modelPrices`: price overrides by model-name prefix (see
    /// [`crate::PriceTable`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub model_prices: BTreeMap<String, Price>,
}

impl ModelSettings {
    /// Reads the model keys from a whole (merged) settings document.
    /// Errors name the key and what was wrong with it.
    pub fn from_settings(settings: &serde_json::Value) -> Result<Self, ResolveError> {
        serde_path_to_error::deserialize(settings).map_err(|error| ResolveError::Settings {
            key: error.path().to_string(),
            message: error.into_inner().to_string(),
        })
    }
}

/// A provider of models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Provider {
    /// OpenAI-compatible Chat Completions.
    Openai,
    /// Anthropic Messages.
    Anthropic,
    /// Responses from a script file.
    Scripted,
}

impl Provider {
    /// The provider part of a model name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Openai => "openai",
            Self::Anthropic => "anthropic",
            Self::Scripted => "scripted",
        }
    }

    const ALL: [Self; 3] = [Self::Openai, Self::Anthropic, Self::Scripted];
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed `provider/model` name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelName {
    /// The provider.
    pub provider: Provider,
    /// The model as the provider names it (for `scripted`, the file path).
    pub model: String,
}

impl ModelName {
    /// Parses `provider/model`. The model part may hold more slashes
    /// (`openai/meta-llama/Llama-3-8B`, `scripted/demo/fix.json`).
    pub fn parse(name: &str) -> Result<Self, ResolveError> {
        let Some((provider, model)) = name.split_once('/') else {
            return Err(ResolveError::NoProvider {
                name: name.to_owned(),
            });
        };
        let provider = Provider::ALL
            .into_iter()
            .find(|known| known.as_str() == provider)
            .ok_or_else(|| ResolveError::UnknownProvider {
                name: name.to_owned(),
                provider: provider.to_owned(),
            })?;
        if model.trim().is_empty() {
            return Err(ResolveError::EmptyModel {
                name: name.to_owned(),
            });
        }
        Ok(Self {
            provider,
            model: model.to_owned(),
        })
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.provider, self.model)
    }
}

/// Where the chosen model name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelSource {
    /// The `--model` flag.
    Flag,
    /// The `FERRULE_MODEL` variable.
    Env,
    /// The settings' `model`.
    Settings,
}

impl ModelSource {
    fn describe(self) -> &'static str {
        match self {
            Self::Flag => "--model",
            Self::Env => "FERRULE_MODEL",
            Self::Settings => "settings `model`",
        }
    }
}

/// The result of resolution: the model and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedModel {
    /// The model.
    pub name: ModelName,
    /// Where the name came from.
    pub source: ModelSource,
    /// The alias the name was reached through, if any.
    pub alias: Option<String>,
    /// The server, for the HTTP providers.
    pub endpoint: Option<ProviderEndpoint>,
}

/// Where an HTTP provider lives and the key to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEndpoint {
    /// Base URL, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// The API key, when one is set.
    pub api_key: Option<String>,
    /// The variable the key is read from (named in errors).
    pub api_key_variable: &'static str,
}

/// A model name that cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// No source names a model.
    #[error(
        "no model configured: pass --model provider/model, set FERRULE_MODEL, or set `model` in settings \
         (e.g. openai/gpt-4.1, anthropic/claude-sonnet-4-5, scripted/path/to/script.json)"
    )]
    NoModel,
    /// A name without `provider/` that is no alias, while zero or both
    /// HTTP providers are configured.
    #[error(
        "model `{name}` names no provider and is not an alias in settings `modelAliases`: \
         write it as openai/{name}, anthropic/{name} or scripted/<file>"
    )]
    NoProvider {
        /// The name given.
        name: String,
    },
    /// The provider part is unknown.
    #[error("model `{name}`: unknown provider `{provider}` (known: openai, anthropic, scripted)")]
    UnknownProvider {
        /// The name given.
        name: String,
        /// Its provider part.
        provider: String,
    },
    /// Nothing after `provider/`.
    #[error("model `{name}`: the model part after the provider is empty")]
    EmptyModel {
        /// The name given.
        name: String,
    },
    /// An alias maps to something that is not `provider/model`.
    #[error("alias `{alias}` in settings `modelAliases` maps to `{target}`: {reason}")]
    BadAlias {
        /// The alias.
        alias: String,
        /// What it maps to.
        target: String,
        /// Why that cannot be used.
        reason: String,
    },
    /// A model key of the settings has the wrong shape.
    #[error("settings `{key}`: {message}")]
    Settings {
        /// Path of the key, e.g. `modelAliases.fast`.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// Resolves the model of a session.
///
/// `flag` is the `--model` value; `env` the process environment (only
/// `FERRULE_MODEL` and the provider variables are read).
pub fn resolve_model(
    flag: Option<&str>,
    env: &BTreeMap<String, String>,
    settings: &ModelSettings,
) -> Result<ResolvedModel, ResolveError> {
    let var = |name: &str| {
        env.get(name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let nonempty = |value: Option<&str>| {
        value
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let (requested, source) = if let Some(flag) = nonempty(flag) {
        (flag, ModelSource::Flag)
    } else if let Some(value) = var("FERRULE_MODEL") {
        (value, ModelSource::Env)
    } else if let Some(value) = nonempty(settings.model.as_deref()) {
        (value, ModelSource::Settings)
    } else {
        return Err(ResolveError::NoModel);
    };
    tracing::debug!(model = %requested, source = source.describe(), "model requested");

    let (name, alias) = match settings.model_aliases.get(&requested) {
        Some(target) => {
            let name = ModelName::parse(target.trim()).map_err(|error| ResolveError::BadAlias {
                alias: requested.clone(),
                target: target.clone(),
                reason: error.to_string(),
            })?;
            (name, Some(requested))
        }
        None if !requested.contains('/') => (bare_name(&requested, &var, settings)?, None),
        None => (ModelName::parse(&requested)?, None),
    };

    let endpoint = match name.provider {
        Provider::Openai => Some(ProviderEndpoint {
            base_url: var("OPENAI_BASE_URL")
                .or_else(|| nonempty(settings.openai_base_url.as_deref()))
                .unwrap_or_else(|| OPENAI_DEFAULT_BASE_URL.to_owned()),
            api_key: var("OPENAI_API_KEY"),
            api_key_variable: "OPENAI_API_KEY",
        }),
        Provider::Anthropic => Some(ProviderEndpoint {
            base_url: var("ANTHROPIC_BASE_URL")
                .or_else(|| nonempty(settings.anthropic_base_url.as_deref()))
                .unwrap_or_else(|| ANTHROPIC_DEFAULT_BASE_URL.to_owned()),
            api_key: var("ANTHROPIC_API_KEY"),
            api_key_variable: "ANTHROPIC_API_KEY",
        }),
        Provider::Scripted => None,
    };
    Ok(ResolvedModel {
        name,
        source,
        alias,
        endpoint,
    })
}

impl ResolvedModel {
    /// Builds the model. A relative `scripted/` path is taken from `cwd`.
    ///
    /// A missing key is an error here already (naming the variable),
    /// except for an OpenAI-compatible server at another URL than
    /// OpenAI's: local servers usually need no key.
    pub fn build(&self, cwd: &Path, options: HttpOptions) -> Result<Arc<dyn Model>, ModelError> {
        let model = &self.name.model;
        match (self.name.provider, &self.endpoint) {
            (Provider::Scripted, _) => {
                let path = PathBuf::from(model);
                let path = if path.is_absolute() {
                    path
                } else {
                    cwd.join(path)
                };
                Ok(Arc::new(ScriptedModel::from_file(path)?))
            }
            (Provider::Openai, Some(endpoint)) => {
                if endpoint.api_key.is_none()
                    && endpoint.base_url.trim_end_matches('/') == OPENAI_DEFAULT_BASE_URL
                {
                    return Err(missing_key("openai", endpoint));
                }
                Ok(Arc::new(OpenAiModel::new(
                    model.clone(),
                    endpoint.base_url.clone(),
                    endpoint.api_key.clone(),
                    options,
                )?))
            }
            (Provider::Anthropic, Some(endpoint)) => {
                if endpoint.api_key.is_none() {
                    return Err(missing_key("anthropic", endpoint));
                }
                Ok(Arc::new(AnthropicModel::new(
                    model.clone(),
                    endpoint.base_url.clone(),
                    endpoint.api_key.clone(),
                    options,
                )?))
            }
            (Provider::Openai | Provider::Anthropic, None) => Err(ModelError::Connection {
                provider: self.name.provider.as_str(),
                url: String::new(),
                message: "no endpoint was resolved for this provider".to_owned(),
                retries: 0,
            }),
        }
    }
}

/// A name without provider: the one provider that is configured (a key or
/// base URL set), as `sdk-protocol.md` asks for `--model` from the SDKs.
fn bare_name(
    name: &str,
    var: &dyn Fn(&str) -> Option<String>,
    settings: &ModelSettings,
) -> Result<ModelName, ResolveError> {
    let openai = var("OPENAI_API_KEY").is_some()
        || var("OPENAI_BASE_URL").is_some()
        || settings.openai_base_url.is_some();
    let anthropic = var("ANTHROPIC_API_KEY").is_some()
        || var("ANTHROPIC_BASE_URL").is_some()
        || settings.anthropic_base_url.is_some();
    let provider = match (openai, anthropic) {
        (true, false) => Provider::Openai,
        (false, true) => Provider::Anthropic,
        (true, true) | (false, false) => {
            return Err(ResolveError::NoProvider {
                name: name.to_owned(),
            });
        }
    };
    Ok(ModelName {
        provider,
        model: name.to_owned(),
    })
}

fn missing_key(provider: &'static str, endpoint: &ProviderEndpoint) -> ModelError {
    ModelError::MissingApiKey {
        provider,
        variable: endpoint.api_key_variable,
        base_url: endpoint.base_url.clone(),
    }
}
