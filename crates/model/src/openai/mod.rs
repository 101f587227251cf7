//! OpenAI-compatible Chat Completions (`POST {base}/chat/completions`,
//! streaming). Works with OpenAI and with local servers that speak the same
//! API: Ollama (`http://localhost:11434/v1`), vLLM, llama.cpp's server.

mod body;
mod decode;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use tokio_util::sync::CancellationToken;

pub use decode::ChatStreamDecoder;

use crate::error::ModelError;
use crate::event::ModelStream;
use crate::model::Model;
use crate::request::ModelRequest;
use crate::retry::HttpOptions;
use crate::transport::{DriverStream, Endpoint, http_client, stream_request};

/// Base URL used when neither `OPENAI_BASE_URL` nor settings give one.
pub const OPENAI_DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// A model behind an OpenAI-compatible server.
#[derive(Debug, Clone)]
pub struct OpenAiModel {
    name: String,
    model: String,
    base_url: String,
    api_key: Option<String>,
    options: HttpOptions,
    client: reqwest::Client,
}

impl OpenAiModel {
    /// A client for `model` at `base_url` (e.g. `https://api.openai.com/v1`).
    ///
    /// `api_key` is sent as a bearer token. It may be `None` for local
    /// servers that need none; for the default OpenAI URL a missing key is
    /// reported by the first request, naming `OPENAI_API_KEY`.
    pub fn new(
        model: impl Into<String>,
        base_url: impl Into<String>,
        api_key: Option<String>,
        options: HttpOptions,
    ) -> Result<Self, ModelError> {
        let model = model.into();
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        let client = http_client("openai", &base_url, &options)?;
        Ok(Self {
            name: format!("openai/{model}"),
            model,
            base_url,
            api_key: api_key.filter(|key| !key.is_empty()),
            options,
            client,
        })
    }

    /// The URL requests go to.
    pub fn url(&self) -> String {
        format!("{}/chat/completions", self.base_url)
    }

    fn endpoint(&self) -> Result<Endpoint, ModelError> {
        let mut headers = HeaderMap::new();
        match &self.api_key {
            Some(key) => {
                let value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                    ModelError::Status {
                        provider: "openai",
                        url: self.url(),
                        status: 401,
                        model: self.model.clone(),
                        message: "the API key holds characters an HTTP header cannot carry"
                            .to_owned(),
                        key_variable: "OPENAI_API_KEY",
                        retries: 0,
                    }
                })?;
                headers.insert(AUTHORIZATION, value);
            }
            None if self.base_url == OPENAI_DEFAULT_BASE_URL => {
                return Err(ModelError::MissingApiKey {
                    provider: "openai",
                    variable: "OPENAI_API_KEY",
                    base_url: self.base_url.clone(),
                });
            }
            None => {}
        }
        Ok(Endpoint {
            provider: "openai",
            url: self.url(),
            model: self.model.clone(),
            key_variable: "OPENAI_API_KEY",
            headers,
        })
    }
}

impl Model for OpenAiModel {
    fn name(&self) -> &str {
        &self.name
    }

    fn stream(&self, request: ModelRequest, cancel: CancellationToken) -> ModelStream {
        let endpoint = match self.endpoint() {
            Ok(endpoint) => endpoint,
            Err(error) => return DriverStream::start(cancel, |_| async move { Err(error) }),
        };
        let body = body::request_body(&self.model, &request);
        let decoder = ChatStreamDecoder::new(endpoint.url.clone(), self.model.clone());
        stream_request(
            self.client.clone(),
            endpoint,
            body.to_string().into_bytes(),
            self.options.clone(),
            Box::new(decoder),
            cancel,
        )
    }
}
