//! `WebFetch`: fetches a URL and returns its content as Markdown
//! (`cli-core.md` §2.9).

mod cache;
mod page;

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use ferrule_tool::{ToolContext, ToolError, ToolOutput, ToolTarget, TypedTool};
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use url::{Host, Url};

pub use cache::CACHE_TTL;
use cache::{CachedPage, PageCache};
pub use page::{PageContent, page_content};

/// Input of `WebFetch`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebFetchInput {
    /// The URL to fetch (http or https; http is upgraded to https except on
    /// loopback hosts).
    pub url: String,
    /// What to look for in the page.
    pub prompt: String,
}

/// What a [`PageSummarizer`] gets: the page and the model's prompt.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<'a> {
    /// The URL the content came from (after redirects).
    pub url: &'a str,
    /// The prompt the model gave WebFetch.
    pub prompt: &'a str,
    /// The page as Markdown (or text), at most
    /// [`WebFetchLimits::max_summarizer_chars`] characters.
    pub content: &'a str,
}

/// Why a [`PageSummarizer`] gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SummarizeError(pub String);

/// Applies WebFetch's `prompt` to a page, usually with a small fast model
/// (the Qoder CLI's `web_fetch` model purpose). The agent loop provides the
/// model-backed implementation.
///
/// Without one, WebFetch returns the page itself, truncated to
/// [`WebFetchLimits::max_content_chars`], and the main model reads it.
#[async_trait]
pub trait PageSummarizer: fmt::Debug + Send + Sync {
    /// The answer to `request.prompt` about `request.content`.
    async fn summarize(&self, request: PageRequest<'_>) -> Result<String, SummarizeError>;
}

/// Size and time limits of WebFetch.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebFetchLimits {
    /// Body bytes read at most; the rest is not downloaded and the content
    /// says it was cut (default 10 MiB).
    pub max_body_bytes: usize,
    /// Time for the whole request, body included (default 60 s).
    pub timeout: Duration,
    /// Same-host redirects followed at most (default 10).
    pub max_redirects: usize,
    /// Characters returned when there is no summarizer (default 30000).
    pub max_content_chars: usize,
    /// Characters a summarizer is given at most (default 100000).
    pub max_summarizer_chars: usize,
}

impl Default for WebFetchLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 10 * 1024 * 1024,
            timeout: Duration::from_secs(60),
            max_redirects: 10,
            max_content_chars: 30_000,
            max_summarizer_chars: 100_000,
        }
    }
}

/// The `WebFetch` tool. Clones share the HTTP client and the 15-minute
/// cache.
///
/// Decisions (`cli-core.md` §2.9): `http://` becomes `https://` except for
/// `localhost` and loopback addresses (local servers rarely have TLS, and
/// tests run on 127.0.0.1); redirects are followed only while the host stays
/// the same, a redirect elsewhere is returned as `redirectUrl`; HTML is
/// converted to Markdown with `htmd`, other text is returned as is, binary
/// bodies are refused. A non-2xx status is a result with `statusCode` and
/// `error`, not a tool failure.
#[derive(Debug, Clone, Default)]
pub struct WebFetchTool {
    client: Arc<OnceLock<Result<reqwest::Client, String>>>,
    cache: Arc<PageCache>,
    summarizer: Option<Arc<dyn PageSummarizer>>,
    limits: WebFetchLimits,
}

impl WebFetchTool {
    /// A tool with the default limits and no summarizer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies the prompt with `summarizer`.
    pub fn with_summarizer(mut self, summarizer: Arc<dyn PageSummarizer>) -> Self {
        self.summarizer = Some(summarizer);
        self
    }

    /// Sets the limits.
    pub fn with_limits(mut self, limits: WebFetchLimits) -> Self {
        self.limits = limits;
        self
    }

    fn client(&self) -> Result<&reqwest::Client, ToolError> {
        let timeout = self.limits.timeout;
        self.client
            .get_or_init(|| {
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(timeout)
                    .connect_timeout(timeout.min(Duration::from_secs(15)))
                    .user_agent(concat!("ferrule-webfetch/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|error| error_chain(&error))
            })
            .as_ref()
            .map_err(|error| ToolError::fatal(format!("cannot build the HTTP client: {error}")))
    }

    /// Fetches `url`, following same-host redirects.
    async fn fetch(&self, url: Url) -> Result<Fetched, ToolError> {
        let client = self.client()?;
        let mut current = url;
        let mut redirects = 0;
        loop {
            let response = client
                .get(current.clone())
                .header(
                    ACCEPT,
                    "text/html, text/markdown, text/plain;q=0.9, */*;q=0.5",
                )
                .send()
                .await
                .map_err(|error| {
                    ToolError::respond(format!(
                        "fetching {current} failed: {}",
                        error_chain(&error)
                    ))
                })?;
            let status = response.status();
            if status.is_redirection()
                && let Some(location) = response.headers().get(LOCATION)
            {
                let location = location.to_str().map_err(|_| {
                    ToolError::respond(format!(
                        "{current} redirects to a Location that is not valid text"
                    ))
                })?;
                let next = current.join(location).map_err(|error| {
                    ToolError::respond(format!(
                        "{current} redirects to `{location}`, which is not a valid URL: {error}"
                    ))
                })?;
                if next.host_str() != current.host_str() {
                    return Ok(Fetched::Redirect {
                        from: current,
                        to: next,
                        status: status.as_u16(),
                    });
                }
                redirects += 1;
                if redirects > self.limits.max_redirects {
                    return Err(ToolError::respond(format!(
                        "{current} redirected more than {} times; stopped at {next}",
                        self.limits.max_redirects
                    )));
                }
                current = next;
                continue;
            }
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let (body, truncated_body) = self.read_body(response, &current).await?;
            let text = match page_content(content_type.as_deref(), &body) {
                PageContent::Text(text) => text,
                PageContent::Binary(message) => {
                    return Err(ToolError::respond(format!("{current}: {message}")));
                }
            };
            return Ok(Fetched::Page(CachedPage {
                final_url: current.to_string(),
                status: status.as_u16(),
                text,
                truncated_body,
            }));
        }
    }

    /// Reads at most `max_body_bytes` of the body.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        url: &Url,
    ) -> Result<(Vec<u8>, bool), ToolError> {
        let max = self.limits.max_body_bytes;
        let mut body = Vec::new();
        loop {
            let chunk = response.chunk().await.map_err(|error| {
                ToolError::respond(format!(
                    "reading the body of {url} failed: {}",
                    error_chain(&error)
                ))
            })?;
            let Some(chunk) = chunk else {
                return Ok((body, false));
            };
            let room = max - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                return Ok((body, true));
            }
            body.extend_from_slice(&chunk);
        }
    }

    /// The content the model gets: the summarizer's answer, or the page
    /// truncated.
    async fn content(&self, page: &CachedPage, prompt: &str) -> Result<String, ToolError> {
        let body_note = page.truncated_body.then(|| {
            format!(
                "\n\n[The page is larger than {} bytes; only its beginning was read.]",
                self.limits.max_body_bytes
            )
        });
        let text = &page.text;
        match &self.summarizer {
            Some(summarizer) => {
                let (mut input, _) = truncate_chars(text, self.limits.max_summarizer_chars);
                input.extend(body_note);
                summarizer
                    .summarize(PageRequest {
                        url: &page.final_url,
                        prompt,
                        content: &input,
                    })
                    .await
                    .map_err(|error| {
                        ToolError::respond(format!(
                            "the page {} was fetched but applying the prompt failed: {error}",
                            page.final_url
                        ))
                    })
            }
            None => {
                let (mut kept, total) = truncate_chars(text, self.limits.max_content_chars);
                if total > self.limits.max_content_chars {
                    kept.push_str(&format!(
                        "\n\n[Content truncated: showing the first {} of {total} characters.]",
                        self.limits.max_content_chars
                    ));
                }
                kept.extend(body_note);
                Ok(kept)
            }
        }
    }
}

enum Fetched {
    Page(CachedPage),
    Redirect { from: Url, to: Url, status: u16 },
}

const DESCRIPTION: &str = "\
Fetches a URL and returns its content as Markdown (HTML is converted; other text is returned as \
is; binary files are refused).
- `prompt` says what you are looking for in the page.
- http:// URLs are upgraded to https://. Results are cached for 15 minutes.
- When the page redirects to another host, the result gives the new URL in `redirectUrl`: call \
WebFetch again with it.
- Read-only; it does not change anything.";

#[async_trait]
impl TypedTool for WebFetchTool {
    type Input = WebFetchInput;

    fn name(&self) -> &str {
        "WebFetch"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn targets(
        &self,
        input: &WebFetchInput,
        _: &ToolContext,
    ) -> Result<Vec<ToolTarget>, ToolError> {
        let url = parse_url(&input.url)?;
        Ok(vec![ToolTarget::Url {
            url: url.to_string(),
        }])
    }

    async fn call(&self, input: WebFetchInput, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let url = parse_url(&input.url)?;
        let key = url.to_string();
        let page = match self.cache.get(&key) {
            Some(page) => {
                tracing::debug!(url = %key, "WebFetch cache hit");
                page
            }
            None => {
                let fetched = tokio::select! {
                    fetched = self.fetch(url) => fetched?,
                    () = ctx.cancel_token().cancelled() => return Err(ToolError::cancelled("WebFetch")),
                };
                match fetched {
                    Fetched::Page(page) => {
                        self.cache.put(key, page.clone());
                        page
                    }
                    Fetched::Redirect { from, to, status } => {
                        return Ok(redirect_output(&from, &to, status));
                    }
                }
            }
        };
        let content = tokio::select! {
            content = self.content(&page, &input.prompt) => content?,
            () = ctx.cancel_token().cancelled() => return Err(ToolError::cancelled("WebFetch")),
        };
        let mut structured = Map::new();
        structured.insert("content".to_owned(), Value::String(content.clone()));
        structured.insert("url".to_owned(), Value::String(page.final_url.clone()));
        structured.insert("statusCode".to_owned(), json!(page.status));
        let mut text = content;
        if !(200..300).contains(&page.status) {
            let error = format!("HTTP status {} for {}", page.status, page.final_url);
            text = format!("{error}\n\n{text}");
            structured.insert("error".to_owned(), Value::String(error));
        }
        Ok(ToolOutput::text(text, Value::Object(structured)))
    }
}

fn redirect_output(from: &Url, to: &Url, status: u16) -> ToolOutput {
    let message = format!(
        "{from} redirects (HTTP {status}) to a different host: {to}. Call WebFetch with that URL \
         to follow it."
    );
    ToolOutput::text(
        message.clone(),
        json!({
            "content": message,
            "url": from.to_string(),
            "statusCode": status,
            "redirectUrl": to.to_string(),
        }),
    )
}

/// Parses the model's URL: http or https only, http upgraded unless the
/// host is loopback.
fn parse_url(raw: &str) -> Result<Url, ToolError> {
    let mut url = Url::parse(raw.trim())
        .map_err(|error| ToolError::respond(format!("`url` {raw} is not a valid URL: {error}")))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            if !is_loopback(&url) && url.set_scheme("https").is_err() {
                return Err(ToolError::respond(format!(
                    "`url` {raw} cannot be upgraded to https"
                )));
            }
        }
        scheme => {
            return Err(ToolError::respond(format!(
                "`url` {raw} uses `{scheme}:`; WebFetch fetches http and https URLs only"
            )));
        }
    }
    if url.host().is_none() {
        return Err(ToolError::respond(format!("`url` {raw} has no host")));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The first `max` characters of `text`, and how many it has in all.
fn truncate_chars(text: &str, max: usize) -> (String, usize) {
    let total = text.chars().count();
    if total <= max {
        (text.to_owned(), total)
    } else {
        (text.chars().take(max).collect(), total)
    }
}

/// An error with its sources, e.g. `error sending request: connection refused`.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}
