//! The engine's persistent search threads.
//!
//! A warm call on a small tree takes a few milliseconds, and starting
//! threads for it (stack mapping, TLS set-up, exit) was a visible part of
//! that; on a busy machine a new thread can also wait for a core. The
//! engine therefore keeps its threads (a rayon pool, built on first use)
//! and hands each call's work to them; the calling thread takes a share
//! of the work itself instead of waiting idle.

use std::sync::{Mutex, OnceLock, PoisonError};

/// Threads kept for an engine's parallel work.
#[derive(Debug)]
pub(crate) struct Pool {
    threads: usize,
    pool: OnceLock<Option<rayon::ThreadPool>>,
}

// A panic in a call's work leaves nothing half-done in the pool (its
// threads carry no state between calls), so an engine stays usable across
// `catch_unwind` as it was before it kept threads.
impl std::panic::RefUnwindSafe for Pool {}
impl std::panic::UnwindSafe for Pool {}

impl Pool {
    /// A pool for `threads`-way work (the caller counts as one).
    pub(crate) fn new(threads: usize) -> Self {
        Self {
            threads: threads.max(1),
            pool: OnceLock::new(),
        }
    }

    /// The most threads one call uses.
    pub(crate) fn threads(&self) -> usize {
        self.threads
    }

    fn pool(&self) -> Option<&rayon::ThreadPool> {
        self.pool
            .get_or_init(|| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(self.threads - 1)
                    .thread_name(|i| format!("ferrule-search-{i}"))
                    .build()
                    .map_err(|error| {
                        tracing::debug!(%error, "no search thread pool; threads are started per call");
                    })
                    .ok()
            })
            .as_ref()
    }

    /// Runs `work` on `threads` threads at once (at most the pool's, at
    /// least the caller's) and returns what each returned. A `work` that
    /// panics gives no result; the others still do.
    pub(crate) fn run<R: Send>(&self, threads: usize, work: impl Fn() -> R + Sync) -> Vec<R> {
        let threads = threads.clamp(1, self.threads);
        let guarded = || std::panic::catch_unwind(std::panic::AssertUnwindSafe(&work)).ok();
        if threads == 1 {
            return guarded().into_iter().collect();
        }
        let results = Mutex::new(Vec::with_capacity(threads));
        let keep = |result: Option<R>| {
            if let Some(result) = result {
                results
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(result);
            }
        };
        match self.pool() {
            Some(pool) => pool.in_place_scope(|scope| {
                for _ in 1..threads {
                    scope.spawn(|_| keep(guarded()));
                }
                keep(guarded());
            }),
            None => std::thread::scope(|scope| {
                for _ in 1..threads {
                    scope.spawn(|| keep(guarded()));
                }
                keep(guarded());
            }),
        }
        results.into_inner().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn runs_the_work_on_the_asked_threads_and_survives_a_panic() {
        let pool = Pool::new(3);
        let calls = AtomicUsize::new(0);
        let out = pool.run(8, || calls.fetch_add(1, Ordering::Relaxed));
        assert_eq!(out.len(), 3);
        let mut seen = out;
        seen.sort_unstable();
        assert_eq!(seen, [0, 1, 2]);
        assert_eq!(pool.run(1, || 7), [7]);
        let first = AtomicUsize::new(0);
        let out = pool.run(2, || {
            assert!(first.fetch_add(1, Ordering::Relaxed) != 0, "one panics");
            5
        });
        assert_eq!(out, [5]);
    }
}
