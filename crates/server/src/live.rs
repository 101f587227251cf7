//! What this process knows about turns in flight: the interrupt switch and
//! wake-up of each turn it runs itself, and a wake-up for its workers when
//! new work is queued. The durable state (the turn marker, pending actions,
//! cancel requests) is in the database, so any process can serve a client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// What a paused tool call waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PendingKind {
    /// A `user.tool_confirmation` (tool with `always_ask`).
    Confirmation,
    /// A `user.custom_tool_result`.
    CustomResult,
}

impl PendingKind {
    /// The name stored in `pending_actions.kind`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Confirmation => "confirmation",
            Self::CustomResult => "custom_result",
        }
    }

    /// The kind of a stored name.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "confirmation" => Some(Self::Confirmation),
            "custom_result" => Some(Self::CustomResult),
            _ => None,
        }
    }
}

/// The client's answer to a pending action.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Resolution {
    /// `user.tool_confirmation`.
    Confirmation {
        /// `result: "allow"`.
        allow: bool,
        /// `deny_message`, with a denial.
        deny_message: Option<String>,
    },
    /// `user.custom_tool_result`.
    CustomResult {
        /// Content blocks.
        content: Value,
        /// `is_error`.
        is_error: bool,
    },
}

#[derive(Debug)]
struct LocalTurn {
    interrupt: CancellationToken,
    wake: Arc<Notify>,
}

/// Turns run by this process, by session ID, and the work-queue wake-up.
#[derive(Debug, Default)]
pub(crate) struct LiveTurns {
    inner: Mutex<HashMap<String, LocalTurn>>,
    work: Notify,
}

impl LiveTurns {
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, LocalTurn>) -> R) -> R {
        let mut guard = match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Registers a turn this process runs; returns its interrupt switch
    /// and the wake-up its control loop waits on.
    pub(crate) fn start(&self, session_id: &str) -> (CancellationToken, Arc<Notify>) {
        let interrupt = CancellationToken::new();
        let wake = Arc::new(Notify::new());
        self.with(|turns| {
            turns.insert(
                session_id.to_owned(),
                LocalTurn {
                    interrupt: interrupt.clone(),
                    wake: wake.clone(),
                },
            )
        });
        (interrupt, wake)
    }

    /// Removes the turn of `session_id` (it ended here).
    pub(crate) fn finish(&self, session_id: &str) {
        self.with(|turns| turns.remove(session_id));
    }

    /// Wakes the session's control loop (an answer or a cancel was stored).
    pub(crate) fn wake(&self, session_id: &str) {
        self.with(|turns| {
            if let Some(turn) = turns.get(session_id) {
                turn.wake.notify_one();
            }
        });
    }

    /// Interrupts every turn of this process (shutdown).
    pub(crate) fn cancel_all(&self) {
        self.with(|turns| {
            for turn in turns.values() {
                turn.interrupt.cancel();
            }
        });
    }

    /// Signals that work was queued.
    pub(crate) fn work_ready(&self) {
        self.work.notify_waiters();
    }

    /// A future that completes on the next [`LiveTurns::work_ready`].
    pub(crate) fn work_waiter(&self) -> tokio::sync::futures::Notified<'_> {
        self.work.notified()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokio_test_wait(wake: &Notify) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(5), wake.notified())
                .await
                .unwrap();
        });
    }

    #[test]
    fn start_wake_and_finish() {
        let live = LiveTurns::default();
        let (interrupt, wake) = live.start("s");
        live.wake("s");
        // The wake-up is kept for the next wait.
        tokio_test_wait(&wake);
        live.cancel_all();
        assert!(interrupt.is_cancelled());
        live.finish("s");
        assert!(live.with(|turns| turns.is_empty()));
        for kind in [PendingKind::Confirmation, PendingKind::CustomResult] {
            assert_eq!(PendingKind::parse(kind.as_str()), Some(kind));
        }
        let answer = Resolution::Confirmation {
            allow: false,
            deny_message: Some("no".into()),
        };
        let text = serde_json::to_string(&answer).unwrap();
        assert_eq!(serde_json::from_str::<Resolution>(&text).unwrap(), answer);
    }
}
