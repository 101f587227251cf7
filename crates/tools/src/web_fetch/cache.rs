//! The per-URL cache of fetched pages (15 minutes, `cli-core.md` §2.9).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a fetched page is reused.
pub const CACHE_TTL: Duration = Duration::from_secs(15 * 60);

/// Pages kept at most; the oldest goes first.
const CACHE_ENTRIES: usize = 64;

/// A page as fetched, before the prompt is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CachedPage {
    pub(crate) final_url: String,
    pub(crate) status: u16,
    pub(crate) text: String,
    pub(crate) truncated_body: bool,
}

#[derive(Debug, Default)]
pub(crate) struct PageCache {
    entries: Mutex<HashMap<String, (Instant, CachedPage)>>,
}

impl PageCache {
    pub(crate) fn get(&self, url: &str) -> Option<CachedPage> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        match entries.get(url) {
            Some((at, page)) if at.elapsed() < CACHE_TTL => Some(page.clone()),
            Some(_) => {
                entries.remove(url);
                None
            }
            None => None,
        }
    }

    pub(crate) fn put(&self, url: String, page: CachedPage) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|_, (at, _)| at.elapsed() < CACHE_TTL);
        if entries.len() >= CACHE_ENTRIES
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(key, _)| key.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(url, (Instant::now(), page));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &str) -> CachedPage {
        CachedPage {
            final_url: "https://example.com/".to_owned(),
            status: 200,
            text: text.to_owned(),
            truncated_body: false,
        }
    }

    #[test]
    fn a_page_older_than_fifteen_minutes_is_fetched_again() {
        let cache = PageCache::default();
        cache.put("https://example.com/".to_owned(), page("fresh"));
        assert_eq!(cache.get("https://example.com/"), Some(page("fresh")));
        let Some(old) = Instant::now().checked_sub(CACHE_TTL + Duration::from_secs(1)) else {
            return;
        };
        if let Some(entry) = cache
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut("https://example.com/")
        {
            entry.0 = old;
        }
        assert_eq!(cache.get("https://example.com/"), None);
    }

    #[test]
    fn the_oldest_page_goes_when_the_cache_is_full() {
        let cache = PageCache::default();
        for n in 0..=CACHE_ENTRIES {
            cache.put(format!("https://example.com/{n}"), page(&n.to_string()));
            std::thread::sleep(Duration::from_micros(10));
        }
        assert_eq!(cache.get("https://example.com/0"), None);
        assert_eq!(
            cache.get(&format!("https://example.com/{CACHE_ENTRIES}")),
            Some(page(&CACHE_ENTRIES.to_string()))
        );
    }
}
