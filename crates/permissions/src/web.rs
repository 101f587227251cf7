//! `WebFetch(...)` rule content: a hostname, `domain:host`, or `host/path`
//! (reference §3.4.6, A-10).

/// A compiled WebFetch content rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WebRule {
    /// Lower-case hostname.
    host: String,
    /// The exact URL path (with its leading `/`), if the rule names one.
    path: Option<String>,
}

impl WebRule {
    /// Parses rule content.
    pub(crate) fn parse(content: &str) -> Result<Self, String> {
        let content = content.trim();
        let content = content.strip_prefix("domain:").unwrap_or(content);
        let (host, path) = match content.split_once('/') {
            Some((host, path)) => (host, Some(format!("/{path}"))),
            None => (content, None),
        };
        if host.is_empty() {
            return Err("empty host name".to_string());
        }
        if let Some(bad) = host
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
        {
            return Err(format!("invalid character `{bad}` in host name `{host}`"));
        }
        Ok(Self {
            host: host.to_ascii_lowercase(),
            path,
        })
    }

    /// Whether the rule covers `url` (exact host, port ignored).
    pub(crate) fn matches(&self, url: &url::Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        host.eq_ignore_ascii_case(&self.host)
            && self.path.as_deref().is_none_or(|path| url.path() == path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> url::Url {
        match url::Url::parse(text) {
            Ok(url) => url,
            Err(err) => panic!("{text}: {err}"),
        }
    }

    #[test]
    fn host_rules_match_exact_hosts_only() {
        let rule = WebRule::parse("domain:example.com");
        let Ok(rule) = rule else { panic!("{rule:?}") };
        assert!(rule.matches(&url("https://example.com:8443/a")));
        assert!(rule.matches(&url("http://EXAMPLE.com/")));
        assert!(!rule.matches(&url("https://api.example.com/")));
        let with_path = WebRule::parse("example.com/api");
        let Ok(with_path) = with_path else {
            panic!("{with_path:?}")
        };
        assert!(with_path.matches(&url("https://example.com/api")));
        assert!(!with_path.matches(&url("https://example.com/api/v2")));
        assert!(WebRule::parse("exa mple.com").is_err());
    }
}
