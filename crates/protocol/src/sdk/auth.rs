//! The auth payload file the Python SDK writes and names in
//! `QODER_SDK_AUTH_PAYLOAD_FILE` (`sdk-protocol.md` §1.3).
//!
//! The credentials are Qoder's and mean nothing to ferrule's model
//! providers; the CLI reads the file only to learn whether the host answers
//! `fetch_job_token` / `fetch_service_account_token`. Never log its contents.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The payload, tagged by `type` (camelCase keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
#[non_exhaustive]
pub enum AuthPayload {
    /// A personal access token.
    AccessToken {
        /// The token.
        #[serde(rename = "accessToken")]
        access_token: String,
    },
    /// Reuse the local `qodercli login`.
    Qodercli {},
    /// Job tokens fetched from the host.
    JobToken {
        /// `host`: ask with `fetch_job_token`.
        #[serde(rename = "jobTokenProvider")]
        job_token_provider: String,
    },
    /// A service account, by key or by host callback.
    ServiceAccount {
        /// `host`: ask with `fetch_service_account_token`.
        #[serde(
            rename = "serviceAccountTokenProvider",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        service_account_token_provider: Option<String>,
        /// The service account key.
        #[serde(
            rename = "serviceAccountKey",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        service_account_key: Option<String>,
        /// Keys not listed above, kept as given.
        #[serde(flatten)]
        extra: Map<String, Value>,
    },
}

impl AuthPayload {
    /// Whether the host hands out tokens through control requests.
    pub fn host_provides_tokens(&self) -> bool {
        match self {
            Self::JobToken { job_token_provider } => job_token_provider == "host",
            Self::ServiceAccount {
                service_account_token_provider,
                ..
            } => service_account_token_provider.as_deref() == Some("host"),
            Self::AccessToken { .. } | Self::Qodercli {} => false,
        }
    }
}
