//! Turning a fetched body into text for the model: HTML to Markdown, other
//! text as is, binary refused.

/// What a fetched body turned into for the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageContent {
    /// Markdown converted from HTML, or the text itself.
    Text(String),
    /// Not text; the message says what it was.
    Binary(String),
}

/// Converts a response body according to its `Content-Type` (or, without
/// one, what it looks like): HTML and XHTML become Markdown (scripts, styles
/// and other non-content elements dropped), text types are returned as is
/// (invalid UTF-8 replaced), anything else is [`PageContent::Binary`].
pub fn page_content(content_type: Option<&str>, body: &[u8]) -> PageContent {
    let mime = content_type
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase());
    let kind = match mime.as_deref() {
        Some("text/html" | "application/xhtml+xml") => Kind::Html,
        Some(mime) if is_text_mime(mime) => Kind::Text,
        Some(mime) => {
            return PageContent::Binary(format!(
                "the response is {mime} ({} bytes), which is not text; WebFetch reads HTML and \
                 text only",
                body.len()
            ));
        }
        None if looks_binary(body) => {
            return PageContent::Binary(format!(
                "the response has no Content-Type and {} bytes of binary data; WebFetch reads \
                 HTML and text only",
                body.len()
            ));
        }
        None if looks_like_html(body) => Kind::Html,
        None => Kind::Text,
    };
    let text = String::from_utf8_lossy(body);
    match kind {
        Kind::Html => PageContent::Text(html_to_markdown(&text)),
        Kind::Text => PageContent::Text(text.into_owned()),
    }
}

enum Kind {
    Html,
    Text,
}

fn is_text_mime(mime: &str) -> bool {
    mime.starts_with("text/")
        || mime.ends_with("+json")
        || mime.ends_with("+xml")
        || matches!(
            mime,
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/x-javascript"
                | "application/ecmascript"
                | "application/x-sh"
                | "application/toml"
                | "application/yaml"
                | "application/x-yaml"
                | "application/sql"
                | "application/graphql"
                | "application/x-ndjson"
        )
}

fn looks_binary(body: &[u8]) -> bool {
    let sample = &body[..body.len().min(8192)];
    sample.contains(&0)
        || std::str::from_utf8(sample).is_err_and(|error| error.error_len().is_some())
}

fn looks_like_html(body: &[u8]) -> bool {
    let sample = String::from_utf8_lossy(&body[..body.len().min(1024)]).to_ascii_lowercase();
    let start = sample.trim_start();
    start.starts_with("<!doctype html") || start.starts_with("<html")
}

/// HTML to Markdown with `htmd`; scripts, styles and other non-content
/// elements are dropped.
fn html_to_markdown(html: &str) -> String {
    let converter = htmd::HtmlToMarkdown::builder()
        .skip_tags(vec![
            "script", "style", "noscript", "template", "svg", "iframe", "head",
        ])
        .build();
    match converter.convert(html) {
        Ok(markdown) => markdown,
        // htmd only fails on I/O, which a string source never has; keep the
        // page readable anyway.
        Err(error) => {
            tracing::debug!(%error, "HTML conversion failed; returning the HTML");
            html.to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_markdown_without_scripts() {
        let html = b"<html><head><title>t</title><script>var x;</script></head><body><h1>Hi</h1><p>a <b>b</b></p></body></html>";
        assert_eq!(
            page_content(Some("text/html; charset=utf-8"), html),
            PageContent::Text("# Hi\n\na **b**".to_owned())
        );
    }

    #[test]
    fn json_is_text_and_png_is_binary() {
        assert_eq!(
            page_content(Some("application/json"), b"{}"),
            PageContent::Text("{}".to_owned())
        );
        assert!(matches!(
            page_content(Some("image/png"), b"\x89PNG"),
            PageContent::Binary(_)
        ));
        assert!(matches!(
            page_content(None, b"\x00\x01\x02"),
            PageContent::Binary(_)
        ));
    }
}
