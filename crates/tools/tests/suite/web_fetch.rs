//! WebFetch against a real HTTP server on 127.0.0.1.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use ferrule_tool::{Tool, ToolContext, ToolError, ToolTarget};
use ferrule_tools::{PageRequest, PageSummarizer, SummarizeError, WebFetchLimits, WebFetchTool};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

struct Server {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl Server {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&hits);
        let port = addr.port();
        let app = Router::new()
            .route(
                "/page",
                get(|| async {
                    html(
                        "<!doctype html><html><head><title>T</title><style>p{}</style></head>\
                          <body><h1>Title</h1><p>Some <a href=\"/x\">link</a> text.</p>\
                          <ul><li>one</li><li>two</li></ul><script>alert(1)</script></body></html>",
                    )
                }),
            )
            .route(
                "/plain",
                get(|| async {
                    (
                        [(header::CONTENT_TYPE, "text/plain")],
                        "<b>kept as is</b>\n",
                    )
                }),
            )
            .route("/same", get(|| async { Redirect::temporary("/plain") }))
            .route(
                "/other",
                get(move || async move {
                    Redirect::temporary(&format!("http://localhost:{port}/plain"))
                }),
            )
            .route(
                "/missing",
                get(|| async {
                    (
                        StatusCode::NOT_FOUND,
                        [(header::CONTENT_TYPE, "text/plain")],
                        "no such page",
                    )
                }),
            )
            .route(
                "/broken",
                get(|| async {
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        [(header::CONTENT_TYPE, "text/plain")],
                        "boom",
                    )
                }),
            )
            .route(
                "/huge",
                get(|| async {
                    (
                        [(header::CONTENT_TYPE, "text/plain")],
                        "a".repeat(11 * 1024 * 1024),
                    )
                }),
            )
            .route(
                "/image",
                get(|| async {
                    (
                        [(header::CONTENT_TYPE, "image/png")],
                        vec![0x89_u8, b'P', b'N', b'G', 0, 1],
                    )
                }),
            )
            .route(
                "/stall",
                get(|| async {
                    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                    "late"
                }),
            )
            .route(
                "/counted",
                get(move || {
                    let hits = Arc::clone(&counted);
                    async move {
                        let n = hits.fetch_add(1, Ordering::SeqCst) + 1;
                        ([(header::CONTENT_TYPE, "text/plain")], format!("hit {n}"))
                    }
                }),
            );
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { addr, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn html(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn ctx() -> (tempfile::TempDir, ToolContext) {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ToolContext::builder(dir.path()).build().unwrap();
    (dir, ctx)
}

async fn fetch(tool: &WebFetchTool, url: &str) -> Result<(String, Value), ToolError> {
    let (_dir, ctx) = ctx();
    let out = Tool::call(tool, json!({"url": url, "prompt": "what is it?"}), &ctx).await?;
    Ok((out.text_content(), out.structured))
}

#[tokio::test]
async fn html_is_converted_to_markdown() {
    let server = Server::start().await;
    let (text, structured) = fetch(&WebFetchTool::new(), &server.url("/page"))
        .await
        .unwrap();
    let markdown = "# Title\n\nSome [link](/x) text.\n\n*   one\n*   two";
    assert_eq!(text, markdown);
    assert_eq!(
        structured,
        json!({"content": markdown, "url": server.url("/page"), "statusCode": 200})
    );
}

#[tokio::test]
async fn plain_text_is_returned_as_is() {
    let server = Server::start().await;
    let (text, _) = fetch(&WebFetchTool::new(), &server.url("/plain"))
        .await
        .unwrap();
    assert_eq!(text, "<b>kept as is</b>\n");
}

#[tokio::test]
async fn a_redirect_on_the_same_host_is_followed() {
    let server = Server::start().await;
    let (_, structured) = fetch(&WebFetchTool::new(), &server.url("/same"))
        .await
        .unwrap();
    assert_eq!(
        structured,
        json!({"content": "<b>kept as is</b>\n", "url": server.url("/plain"), "statusCode": 200})
    );
}

#[tokio::test]
async fn a_redirect_to_another_host_is_returned_for_the_model_to_follow() {
    let server = Server::start().await;
    let (text, structured) = fetch(&WebFetchTool::new(), &server.url("/other"))
        .await
        .unwrap();
    let target = format!("http://localhost:{}/plain", server.addr.port());
    assert_eq!(structured["redirectUrl"], json!(target));
    assert_eq!(structured["statusCode"], json!(307));
    assert_eq!(structured["url"], json!(server.url("/other")));
    assert!(text.contains(&target), "{text}");
}

#[tokio::test]
async fn error_statuses_are_results_with_status_code_and_error() {
    let server = Server::start().await;
    let tool = WebFetchTool::new();
    let (_, missing) = fetch(&tool, &server.url("/missing")).await.unwrap();
    assert_eq!(
        missing,
        json!({
            "content": "no such page",
            "url": server.url("/missing"),
            "statusCode": 404,
            "error": format!("HTTP status 404 for {}", server.url("/missing")),
        })
    );
    let (text, broken) = fetch(&tool, &server.url("/broken")).await.unwrap();
    assert_eq!(broken["statusCode"], json!(500));
    assert_eq!(
        text,
        format!("HTTP status 500 for {}\n\nboom", server.url("/broken"))
    );
}

#[tokio::test]
async fn an_oversized_body_is_cut_at_the_limit_with_a_note() {
    let server = Server::start().await;
    let (text, structured) = fetch(&WebFetchTool::new(), &server.url("/huge"))
        .await
        .unwrap();
    assert!(text.starts_with("aaaa"));
    assert!(
        text.ends_with(
            "\n\n[Content truncated: showing the first 30000 of 10485760 characters.]\n\n[The \
             page is larger than 10485760 bytes; only its beginning was read.]"
        ),
        "{}",
        &text[text.len() - 200..]
    );
    assert_eq!(structured["statusCode"], json!(200));
}

#[tokio::test]
async fn binary_content_is_refused_with_its_type() {
    let server = Server::start().await;
    let error = fetch(&WebFetchTool::new(), &server.url("/image"))
        .await
        .unwrap_err();
    assert_eq!(
        error.message(),
        format!(
            "{}: the response is image/png (6 bytes), which is not text; WebFetch reads HTML and \
             text only",
            server.url("/image")
        )
    );
}

#[tokio::test]
async fn urls_that_are_not_http_are_errors() {
    let tool = WebFetchTool::new();
    let file = fetch(&tool, "file:///etc/passwd").await.unwrap_err();
    assert_eq!(
        file.message(),
        "`url` file:///etc/passwd uses `file:`; WebFetch fetches http and https URLs only"
    );
    let garbage = fetch(&tool, "not a url").await.unwrap_err();
    assert_eq!(
        garbage.message(),
        "`url` not a url is not a valid URL: relative URL without a base"
    );
}

#[tokio::test]
async fn http_is_upgraded_to_https_except_on_loopback() {
    let (_dir, ctx) = ctx();
    let tool = WebFetchTool::new();
    let targets = Tool::targets(
        &tool,
        &json!({"url": "http://example.com/a", "prompt": "p"}),
        &ctx,
    )
    .unwrap();
    assert_eq!(
        targets,
        vec![ToolTarget::Url {
            url: "https://example.com/a".to_owned()
        }]
    );
    let targets = Tool::targets(
        &tool,
        &json!({"url": "http://127.0.0.1:9/a", "prompt": "p"}),
        &ctx,
    )
    .unwrap();
    assert_eq!(
        targets,
        vec![ToolTarget::Url {
            url: "http://127.0.0.1:9/a".to_owned()
        }]
    );
    assert!(Tool::is_read_only(&tool));
}

#[tokio::test]
async fn a_second_fetch_of_a_url_is_served_from_the_cache() {
    let server = Server::start().await;
    let tool = WebFetchTool::new();
    let (first, _) = fetch(&tool, &server.url("/counted")).await.unwrap();
    let (second, _) = fetch(&tool.clone(), &server.url("/counted")).await.unwrap();
    assert_eq!((first.as_str(), second.as_str()), ("hit 1", "hit 1"));
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
    let (fresh, _) = fetch(&WebFetchTool::new(), &server.url("/counted"))
        .await
        .unwrap();
    assert_eq!(fresh, "hit 2");
}

#[tokio::test]
async fn a_connection_failure_names_the_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let error = fetch(&WebFetchTool::new(), &url).await.unwrap_err();
    assert!(
        error
            .message()
            .starts_with(&format!("fetching {url} failed: ")),
        "{error:?}"
    );
}

/// A summarizer that answers with what it was given.
#[derive(Debug)]
struct Echo;

#[async_trait]
impl PageSummarizer for Echo {
    async fn summarize(&self, request: PageRequest<'_>) -> Result<String, SummarizeError> {
        Ok(format!(
            "{} | {} | {}",
            request.url, request.prompt, request.content
        ))
    }
}

#[tokio::test]
async fn a_summarizer_answers_the_prompt_about_the_page() {
    let server = Server::start().await;
    let tool = WebFetchTool::new().with_summarizer(Arc::new(Echo));
    let (text, _) = fetch(&tool, &server.url("/plain")).await.unwrap();
    assert_eq!(
        text,
        format!(
            "{} | what is it? | <b>kept as is</b>\n",
            server.url("/plain")
        )
    );
}

#[tokio::test]
async fn a_stalled_server_hits_the_timeout() {
    let server = Server::start().await;
    let mut limits = WebFetchLimits::default();
    limits.timeout = std::time::Duration::from_millis(300);
    let tool = WebFetchTool::new().with_limits(limits);
    let error = fetch(&tool, &server.url("/stall")).await.unwrap_err();
    let message = error.message();
    assert!(
        message.starts_with(&format!("fetching {} failed: ", server.url("/stall")))
            && message.contains("timed out"),
        "{message}"
    );
}

#[tokio::test]
async fn cancelling_the_call_stops_the_fetch() {
    let server = Server::start().await;
    let (_dir, ctx) = ctx();
    let cancel = tokio_util::sync::CancellationToken::new();
    let ctx = ctx.with_cancel_token(cancel.clone());
    let tool = WebFetchTool::new();
    let input = json!({"url": server.url("/stall"), "prompt": "p"});
    let call = Tool::call(&tool, input, &ctx);
    let canceller = async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        cancel.cancel();
    };
    let (result, ()) = tokio::join!(call, canceller);
    assert_eq!(result.unwrap_err(), ToolError::cancelled("WebFetch"));
}
