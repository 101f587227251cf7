//! Turns in flight: their cancel switch and the actions they wait on
//! (tool confirmations, custom tool results).

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

/// What a paused tool call waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PendingKind {
    /// A `user.tool_confirmation` (tool with `always_ask`).
    Confirmation,
    /// A `user.custom_tool_result`.
    CustomResult,
}

/// The client's answer to a pending action.
#[derive(Debug, Clone, PartialEq)]
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
struct Pending {
    kind: PendingKind,
    reply: oneshot::Sender<Resolution>,
}

#[derive(Debug)]
struct LiveTurn {
    cancel: CancellationToken,
    pending: Vec<(String, Pending)>,
}

/// Registry of live turns, by session ID.
#[derive(Debug, Default)]
pub(crate) struct LiveTurns {
    inner: Mutex<HashMap<String, LiveTurn>>,
}

impl LiveTurns {
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, LiveTurn>) -> R) -> R {
        let mut guard = match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Registers a turn for `session_id`; its token fires on cancel.
    pub(crate) fn start(&self, session_id: &str) -> CancellationToken {
        let cancel = CancellationToken::new();
        self.with(|turns| {
            turns.insert(
                session_id.to_owned(),
                LiveTurn {
                    cancel: cancel.clone(),
                    pending: Vec::new(),
                },
            )
        });
        cancel
    }

    /// Removes the turn of `session_id` (it ended).
    pub(crate) fn finish(&self, session_id: &str) {
        self.with(|turns| turns.remove(session_id));
    }

    /// Whether a turn is live for the session.
    pub(crate) fn is_live(&self, session_id: &str) -> bool {
        self.with(|turns| turns.contains_key(session_id))
    }

    /// Cancels the live turn; false when there is none.
    pub(crate) fn cancel(&self, session_id: &str) -> bool {
        self.with(|turns| match turns.get_mut(session_id) {
            Some(turn) => {
                turn.cancel.cancel();
                turn.pending.clear();
                true
            }
            None => false,
        })
    }

    /// Cancels every live turn (shutdown).
    pub(crate) fn cancel_all(&self) {
        self.with(|turns| {
            for turn in turns.values_mut() {
                turn.cancel.cancel();
                turn.pending.clear();
            }
        });
    }

    /// Parks an action under event ID `event_id`; the receiver gets the answer.
    pub(crate) fn park(
        &self,
        session_id: &str,
        event_id: &str,
        kind: PendingKind,
    ) -> Option<oneshot::Receiver<Resolution>> {
        let (reply, receiver) = oneshot::channel();
        self.with(|turns| {
            let turn = turns.get_mut(session_id)?;
            turn.pending
                .push((event_id.to_owned(), Pending { kind, reply }));
            Some(receiver)
        })
    }

    /// The kind of the pending action `event_id`, if it is pending.
    pub(crate) fn pending_kind(&self, session_id: &str, event_id: &str) -> Option<PendingKind> {
        self.with(|turns| {
            turns.get(session_id).and_then(|turn| {
                turn.pending
                    .iter()
                    .find(|(id, _)| id == event_id)
                    .map(|(_, pending)| pending.kind)
            })
        })
    }

    /// Answers a pending action; false when it was not pending.
    pub(crate) fn resolve(&self, session_id: &str, event_id: &str, resolution: Resolution) -> bool {
        let pending = self.with(|turns| {
            let turn = turns.get_mut(session_id)?;
            let index = turn.pending.iter().position(|(id, _)| id == event_id)?;
            Some(turn.pending.remove(index).1)
        });
        match pending {
            Some(pending) => pending.reply.send(resolution).is_ok(),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn park_and_resolve() {
        let live = LiveTurns::default();
        let cancel = live.start("s");
        let rx = live.park("s", "evt_1", PendingKind::Confirmation).unwrap();
        assert_eq!(
            live.pending_kind("s", "evt_1"),
            Some(PendingKind::Confirmation)
        );
        assert!(!live.resolve(
            "s",
            "evt_2",
            Resolution::CustomResult {
                content: Value::Null,
                is_error: false
            }
        ));
        let answer = Resolution::Confirmation {
            allow: true,
            deny_message: None,
        };
        assert!(live.resolve("s", "evt_1", answer.clone()));
        assert_eq!(rx.await.unwrap(), answer);
        assert!(live.cancel("s"));
        assert!(cancel.is_cancelled());
        live.finish("s");
        assert!(!live.is_live("s"));
    }
}
