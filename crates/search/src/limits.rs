//! How long a search may run and how much it may find: deadline, result
//! budget and cooperative cancellation.
//!
//! When a limit is hit the search stops promptly (between files, and
//! between reads of a large file) and returns what it found so far, marked
//! with a [`PartialReason`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::time::Instant;

/// A flag another thread sets to stop a running search.
///
/// Cloning shares the flag. The tool layer hands one to each call and sets
/// it when the call is interrupted.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// A flag that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every search holding this flag to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`CancelFlag::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Limits of one search. The default has none.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SearchLimits {
    /// Stop at this instant and return what was found so far.
    pub deadline: Option<Instant>,
    /// Stop once this many results were found: matching lines in content
    /// mode, matching files in the other modes.
    pub max_results: Option<usize>,
    /// Stop when this flag is set.
    pub cancel: Option<CancelFlag>,
}

impl SearchLimits {
    /// No limits.
    pub fn none() -> Self {
        Self::default()
    }

    /// Sets the deadline.
    #[must_use]
    pub fn deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Sets the result budget.
    #[must_use]
    pub fn max_results(mut self, results: usize) -> Self {
        self.max_results = Some(results);
        self
    }

    /// Sets the cancellation flag.
    #[must_use]
    pub fn cancel(mut self, flag: CancelFlag) -> Self {
        self.cancel = Some(flag);
        self
    }
}

/// Why a search returned before it had looked at everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PartialReason {
    /// The deadline passed.
    Deadline,
    /// The result budget was used up.
    Budget,
    /// The cancellation flag was set.
    Cancelled,
}

impl PartialReason {
    fn code(self) -> u8 {
        match self {
            PartialReason::Deadline => 1,
            PartialReason::Budget => 2,
            PartialReason::Cancelled => 3,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(PartialReason::Deadline),
            2 => Some(PartialReason::Budget),
            3 => Some(PartialReason::Cancelled),
            _ => None,
        }
    }
}

/// The limits of one running search, shared by its worker threads.
#[derive(Debug)]
pub(crate) struct Control {
    deadline: Option<Instant>,
    max_results: Option<usize>,
    cancel: Option<CancelFlag>,
    found: AtomicUsize,
    stopped: AtomicU8,
}

impl Control {
    pub(crate) fn new(limits: &SearchLimits) -> Self {
        Self {
            deadline: limits.deadline,
            max_results: limits.max_results,
            cancel: limits.cancel.clone(),
            found: AtomicUsize::new(0),
            stopped: AtomicU8::new(0),
        }
    }

    fn stop(&self, reason: PartialReason) {
        // The first reason wins; later ones do not overwrite it.
        let _ =
            self.stopped
                .compare_exchange(0, reason.code(), Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Whether the search must stop now. Checks the clock, so call it per
    /// file or per read, not per line.
    pub(crate) fn should_stop(&self) -> bool {
        if self.stopped.load(Ordering::Relaxed) != 0 {
            return true;
        }
        if self.cancel.as_ref().is_some_and(CancelFlag::is_cancelled) {
            self.stop(PartialReason::Cancelled);
            return true;
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            self.stop(PartialReason::Deadline);
            return true;
        }
        false
    }

    /// Records `n` more results; returns false when the budget is used up
    /// (the results already recorded are kept).
    pub(crate) fn add_results(&self, n: usize) -> bool {
        let Some(max) = self.max_results else {
            return true;
        };
        let before = self.found.fetch_add(n, Ordering::Relaxed);
        if before + n >= max {
            self.stop(PartialReason::Budget);
            return false;
        }
        true
    }

    /// Whether a budget is set at all (so callers can skip counting).
    pub(crate) fn has_budget(&self) -> bool {
        self.max_results.is_some()
    }

    /// Why the search stopped early, if it did.
    pub(crate) fn partial(&self) -> Option<PartialReason> {
        PartialReason::from_code(self.stopped.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::time::Duration;

    #[test]
    fn no_limits_never_stop() {
        let control = Control::new(&SearchLimits::none());
        assert!(!control.should_stop());
        assert!(control.add_results(1_000_000));
        assert_eq!(control.partial(), None);
    }

    #[test]
    fn past_deadline_stops_with_deadline_reason() {
        let past = Instant::now()
            .checked_sub(Duration::from_millis(1))
            .unwrap_or_else(Instant::now);
        let control = Control::new(&SearchLimits::none().deadline(past));
        assert!(control.should_stop());
        assert_eq!(control.partial(), Some(PartialReason::Deadline));
    }

    #[test]
    fn budget_stops_when_reached_and_keeps_first_reason() {
        let flag = CancelFlag::new();
        let control = Control::new(&SearchLimits::none().max_results(3).cancel(flag.clone()));
        assert!(control.add_results(2));
        assert!(!control.add_results(1));
        flag.cancel();
        assert!(control.should_stop());
        assert_eq!(control.partial(), Some(PartialReason::Budget));
    }

    #[test]
    fn cancel_flag_stops_search() {
        let flag = CancelFlag::new();
        let control = Control::new(&SearchLimits::none().cancel(flag.clone()));
        assert!(!control.should_stop());
        flag.cancel();
        assert!(control.should_stop());
        assert_eq!(control.partial(), Some(PartialReason::Cancelled));
    }
}
