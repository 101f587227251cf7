//! Anthropic Messages (`POST {base}/v1/messages`, streaming): text, tool
//! use, extended thinking.

mod body;
mod decode;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio_util::sync::CancellationToken;

pub use decode::MessagesStreamDecoder;

use crate::error::ModelError;
use crate::event::ModelStream;
use crate::model::Model;
use crate::request::ModelRequest;
use crate::retry::HttpOptions;
use crate::transport::{DriverStream, Endpoint, http_client, stream_request};

/// Base URL used when neither `ANTHROPIC_BASE_URL` nor settings give one.
pub const ANTHROPIC_DEFAULT_BASE_URL: &str = "https://api.anthropic.com";

/// The `anthropic-version` header value sent with every request.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// A model behind the Anthropic Messages API.
#[derive(Debug, Clone)]
pub struct AnthropicModel {
    name: String,
    model: String,
    base_url: String,
    api_key: Option<String>,
    options: HttpOptions,
    client: reqwest::Client,
}

impl AnthropicModel {
    /// A client for `model` at `base_url` (e.g. `https://api.anthropic.com`;
    /// a trailing `/v1` is accepted too). The key goes in `x-api-key`; a
    /// missing key is reported by the first request, naming
    /// `ANTHROPIC_API_KEY`.
    pub fn new(
        model: impl Into<String>,
        base_url: impl Into<String>,
        api_key: Option<String>,
        options: HttpOptions,
    ) -> Result<Self, ModelError> {
        let model = model.into();
        let base_url = base_url.into();
        let base_url = base_url.trim_end_matches('/');
        let base_url = base_url.strip_suffix("/v1").unwrap_or(base_url).to_owned();
        let client = http_client("anthropic", &base_url, &options)?;
        Ok(Self {
            name: format!("anthropic/{model}"),
            model,
            base_url,
            api_key: api_key.filter(|key| !key.is_empty()),
            options,
            client,
        })
    }

    /// The URL requests go to.
    pub fn url(&self) -> String {
        format!("{}/v1/messages", self.base_url)
    }

    fn endpoint(&self) -> Result<Endpoint, ModelError> {
        let Some(key) = &self.api_key else {
            return Err(ModelError::MissingApiKey {
                provider: "anthropic",
                variable: "ANTHROPIC_API_KEY",
                base_url: self.base_url.clone(),
            });
        };
        let key = HeaderValue::from_str(key).map_err(|_| ModelError::Status {
            provider: "anthropic",
            url: self.url(),
            status: 401,
            model: self.model.clone(),
            message: "the API key holds characters an HTTP header cannot carry".to_owned(),
            key_variable: "ANTHROPIC_API_KEY",
            retries: 0,
        })?;
        let mut headers = HeaderMap::new();
        headers.insert(HeaderName::from_static("x-api-key"), key);
        headers.insert(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(ANTHROPIC_VERSION),
        );
        Ok(Endpoint {
            provider: "anthropic",
            url: self.url(),
            model: self.model.clone(),
            key_variable: "ANTHROPIC_API_KEY",
            headers,
        })
    }
}

impl Model for AnthropicModel {
    fn name(&self) -> &str {
        &self.name
    }

    fn stream(&self, request: ModelRequest, cancel: CancellationToken) -> ModelStream {
        let endpoint = match self.endpoint() {
            Ok(endpoint) => endpoint,
            Err(error) => return DriverStream::start(cancel, |_| async move { Err(error) }),
        };
        let body = body::request_body(&self.model, &request);
        let decoder = MessagesStreamDecoder::new(endpoint.url.clone(), self.model.clone());
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
