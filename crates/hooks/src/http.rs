//! Running an `http` hook: POST the input JSON, headers with `${VAR}`
//! expansion limited to `allowedEnvVars`, the response body is the hook's
//! JSON output (cli-core.md §5.2).

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};

use crate::command::MAX_CAPTURE;
use crate::run::{RawResult, RunStatus};
use crate::spec::HttpHook;

/// Expands the `${VAR}` references of `hook`'s header values. A variable
/// outside `allowedEnvVars` expands to the empty string; one that is not
/// set is an error naming the header.
///
/// # Errors
/// The header and the variable that could not be expanded.
pub fn expand_headers(
    hook: &HttpHook,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, String> {
    let lookup = |name: &str| -> Option<String> {
        match &hook.allowed_env_vars {
            Some(allowed) if !allowed.iter().any(|a| a == name) => Some(String::new()),
            _ => env(name),
        }
    };
    hook.headers
        .iter()
        .map(|(name, value)| {
            ferrule_config::expand_vars(value, &lookup)
                .map(|v| (name.clone(), v))
                .map_err(|e| format!("header `{name}`: {e}"))
        })
        .collect()
}

/// POSTs `body` to the hook's URL with `client`.
pub async fn run_http(
    client: &reqwest::Client,
    hook: &HttpHook,
    body: Vec<u8>,
    env: &BTreeMap<String, String>,
    timeout: Duration,
) -> RawResult {
    let lookup = |name: &str| env.get(name).cloned().or_else(|| std::env::var(name).ok());
    let headers = match expand_headers(hook, &lookup) {
        Ok(h) => h,
        Err(e) => return failed(e),
    };
    let mut request = client
        .post(&hook.url)
        .header(CONTENT_TYPE, "application/json")
        .timeout(timeout)
        .body(body);
    for (name, value) in headers {
        let name = match HeaderName::from_bytes(name.as_bytes()) {
            Ok(n) => n,
            Err(e) => return failed(format!("header name `{name}`: {e}")),
        };
        let value = match HeaderValue::from_str(&value) {
            Ok(v) => v,
            Err(e) => return failed(format!("header `{name}` value: {e}")),
        };
        request = request.header(name, value);
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) if e.is_timeout() => return timed_out(),
        Err(e) => return failed(format!("request to {} failed: {}", hook.url, chain(&e))),
    };
    let status = response.status().as_u16();
    let mut body = Vec::new();
    let mut response = response;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_CAPTURE.saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) => break,
            Err(e) if e.is_timeout() => return timed_out(),
            Err(e) => return failed(format!("reading the response failed: {}", chain(&e))),
        }
    }
    RawResult {
        status: RunStatus::Http(status),
        stdout: String::from_utf8_lossy(&body).into_owned(),
        stderr: String::new(),
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn failed(message: String) -> RawResult {
    RawResult {
        status: RunStatus::Failed(message),
        stdout: String::new(),
        stderr: String::new(),
    }
}

fn timed_out() -> RawResult {
    RawResult {
        status: RunStatus::TimedOut,
        stdout: String::new(),
        stderr: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn hook(allowed: Option<Vec<&str>>) -> HttpHook {
        HttpHook {
            url: "http://127.0.0.1/".to_owned(),
            headers: BTreeMap::from([(
                "Authorization".to_owned(),
                "Bearer ${TOKEN} ${OTHER}".to_owned(),
            )]),
            allowed_env_vars: allowed.map(|a| a.into_iter().map(str::to_owned).collect()),
        }
    }

    fn env(name: &str) -> Option<String> {
        match name {
            "TOKEN" => Some("t0k".to_owned()),
            "OTHER" => Some("secret".to_owned()),
            _ => None,
        }
    }

    #[test]
    fn headers_expand_every_variable_without_a_whitelist() {
        assert_eq!(
            expand_headers(&hook(None), &env),
            Ok(vec![(
                "Authorization".to_owned(),
                "Bearer t0k secret".to_owned()
            )])
        );
    }

    #[test]
    fn variables_outside_the_whitelist_expand_to_nothing() {
        assert_eq!(
            expand_headers(&hook(Some(vec!["TOKEN"])), &env),
            Ok(vec![("Authorization".to_owned(), "Bearer t0k ".to_owned())])
        );
    }

    #[test]
    fn an_unset_variable_is_an_error_naming_the_header() {
        let e = expand_headers(&hook(None), &|_| None).unwrap_err();
        assert!(
            e.starts_with("header `Authorization`: environment variable `TOKEN`"),
            "{e}"
        );
    }
}
