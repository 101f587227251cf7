//! The fake model server: a queue of replies, a request log, and the
//! protocol checks.

mod check;
mod reply;

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub use reply::{Reply, split_text};

/// Which API the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// OpenAI Chat Completions at `/v1/chat/completions`.
    OpenAi,
    /// Anthropic Messages at `/v1/messages`.
    Anthropic,
}

impl Flavor {
    fn path(self) -> &'static str {
        match self {
            Self::OpenAi => "/v1/chat/completions",
            Self::Anthropic => "/v1/messages",
        }
    }
}

/// One request the server received.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Headers, names in lower case (a repeated header keeps the last value).
    pub headers: BTreeMap<String, String>,
    /// The body parsed as JSON (`null` when it was not JSON).
    pub body: Value,
}

impl RecordedRequest {
    /// A header value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

#[derive(Debug)]
struct Shared {
    flavor: Flavor,
    replies: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<RecordedRequest>>,
    violations: Mutex<Vec<String>>,
    api_key: Mutex<Option<String>>,
    hangups: AtomicUsize,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A fake model provider on 127.0.0.1. Stops when dropped.
#[derive(Debug)]
pub struct FakeModelServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl FakeModelServer {
    /// An OpenAI-compatible server.
    pub async fn openai() -> std::io::Result<Self> {
        Self::start(Flavor::OpenAi).await
    }

    /// An Anthropic Messages server.
    pub async fn anthropic() -> std::io::Result<Self> {
        Self::start(Flavor::Anthropic).await
    }

    /// A server of `flavor` on a free port of 127.0.0.1.
    pub async fn start(flavor: Flavor) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            flavor,
            replies: Mutex::new(VecDeque::new()),
            requests: Mutex::new(Vec::new()),
            violations: Mutex::new(Vec::new()),
            api_key: Mutex::new(None),
            hangups: AtomicUsize::new(0),
        });
        let router = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let (shutdown, stop) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = stop.await;
            });
            if let Err(error) = serve.await {
                eprintln!("fake model server stopped: {error}");
            }
        });
        Ok(Self {
            address,
            shared,
            shutdown: Some(shutdown),
        })
    }

    /// The base URL a client is configured with: `http://127.0.0.1:PORT/v1`
    /// for OpenAI (like `OPENAI_BASE_URL`), `http://127.0.0.1:PORT` for
    /// Anthropic (like `ANTHROPIC_BASE_URL`).
    pub fn base_url(&self) -> String {
        match self.shared.flavor {
            Flavor::OpenAi => format!("http://{}/v1", self.address),
            Flavor::Anthropic => format!("http://{}", self.address),
        }
    }

    /// The full URL of the completion endpoint.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.address, self.shared.flavor.path())
    }

    /// Queues `reply` for the next request not yet answered.
    pub fn mount(&self, reply: Reply) -> &Self {
        lock(&self.shared.replies).push_back(reply);
        self
    }

    /// Requires this API key (`Authorization: Bearer` for OpenAI,
    /// `x-api-key` for Anthropic); other requests get the provider's 401.
    pub fn require_api_key(&self, key: &str) -> &Self {
        *lock(&self.shared.api_key) = Some(key.to_owned());
        self
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Protocol violations seen so far.
    pub fn violations(&self) -> Vec<String> {
        lock(&self.shared.violations).clone()
    }

    /// Protocol violations seen so far, cleared: for tests that provoke one
    /// on purpose (the server panics on drop over those not taken).
    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.shared.violations))
    }

    /// Replies mounted but not used yet.
    pub fn pending_replies(&self) -> usize {
        lock(&self.shared.replies).len()
    }

    /// Streaming replies the client hung up on before they ended (a
    /// dropped or cancelled stream shows up here).
    pub fn hangups(&self) -> usize {
        self.shared.hangups.load(Ordering::SeqCst)
    }

    /// Waits (up to `limit`) until [`Self::hangups`] reaches `count`.
    pub async fn wait_for_hangups(&self, count: usize, limit: std::time::Duration) -> usize {
        let deadline = tokio::time::Instant::now() + limit;
        while self.hangups() < count && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        self.hangups()
    }
}

impl Drop for FakeModelServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let violations = self.violations();
        if !violations.is_empty() && !std::thread::panicking() {
            panic!(
                "the fake model server saw protocol violations:\n- {}",
                violations.join("\n- ")
            );
        }
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let headers: BTreeMap<String, String> = headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let parsed = serde_json::from_slice::<Value>(&body);
    let request = RecordedRequest {
        method: method.to_string(),
        path: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |path| path.as_str().to_owned()),
        headers,
        body: parsed.as_ref().map_or(Value::Null, Clone::clone),
    };
    let number = {
        let mut requests = lock(&shared.requests);
        requests.push(request.clone());
        requests.len()
    };
    let flavor = shared.flavor;
    let mut problems = Vec::new();
    if method != Method::POST || uri.path() != flavor.path() {
        problems.push(format!(
            "{method} {} is not the endpoint (POST {})",
            uri.path(),
            flavor.path()
        ));
    } else if let Err(error) = &parsed {
        problems.push(format!("the body is not JSON: {error}"));
    } else {
        problems.extend(check::check_request(flavor, &request));
    }
    if !problems.is_empty() {
        let message = format!("request {number}: {}", problems.join("; "));
        lock(&shared.violations).push(message.clone());
        return reply::error_response(flavor, 400, &format!("fake server: {message}"));
    }
    if let Some(expected) = lock(&shared.api_key).clone() {
        let given = match flavor {
            Flavor::OpenAi => request
                .header("authorization")
                .and_then(|value| value.strip_prefix("Bearer ")),
            Flavor::Anthropic => request.header("x-api-key"),
        };
        if given != Some(expected.as_str()) {
            return reply::error_response(
                flavor,
                401,
                "invalid x-api-key / Incorrect API key provided",
            );
        }
    }
    let next = lock(&shared.replies).pop_front();
    let Some(next) = next else {
        let message = format!("request {number}: no reply was mounted for it");
        lock(&shared.violations).push(message.clone());
        return reply::error_response(flavor, 500, &format!("fake server: {message}"));
    };
    next.into_response(Arc::clone(&shared))
}

impl Shared {
    fn hung_up(&self) {
        self.hangups.fetch_add(1, Ordering::SeqCst);
    }
}

/// Body of an error in the provider's shape.
pub(crate) fn error_body(flavor: Flavor, status: u16, message: &str) -> Value {
    let kind = match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };
    match flavor {
        Flavor::OpenAi => json!({"error": {"message": message, "type": kind, "code": null}}),
        Flavor::Anthropic => json!({"type": "error", "error": {"type": kind, "message": message}}),
    }
}
