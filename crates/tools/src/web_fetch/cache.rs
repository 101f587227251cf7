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
