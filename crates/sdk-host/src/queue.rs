//! The FIFO of user messages waiting for their turn (`sdk-protocol.md`
//! §4.1): one turn runs at a time; `priority: "now"` jumps the queue (the
//! host interrupts the running turn first); `cancel_async_message` removes
//! a queued message by uuid; closing the queue (stdin EOF) lets the runner
//! finish what is queued and stop.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use ferrule_protocol::sdk::UserStreamMessage;
use tokio::sync::Notify;

/// One user message waiting to run.
#[derive(Debug, Clone)]
pub struct QueuedTurn {
    /// Its uuid (the SDK's, or a fresh one).
    pub uuid: String,
    /// The message as received.
    pub message: UserStreamMessage,
}

/// The queue shared by the stdin reader and the turn runner.
#[derive(Default)]
pub struct TurnQueue {
    state: Mutex<QueueState>,
    changed: Notify,
}

#[derive(Default)]
struct QueueState {
    turns: VecDeque<QueuedTurn>,
    closed: bool,
}

impl TurnQueue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a turn at the back, or at the front when `first`.
    pub fn push(&self, turn: QueuedTurn, first: bool) {
        {
            let mut state = self.lock();
            if first {
                state.turns.push_front(turn);
            } else {
                state.turns.push_back(turn);
            }
        }
        self.changed.notify_one();
    }

    /// Removes the queued turn with `uuid`; whether it was there.
    pub fn cancel(&self, uuid: &str) -> bool {
        let mut state = self.lock();
        let before = state.turns.len();
        state.turns.retain(|turn| turn.uuid != uuid);
        state.turns.len() != before
    }

    /// Removes every queued turn; their uuids.
    pub fn clear(&self) -> Vec<String> {
        self.lock().turns.drain(..).map(|turn| turn.uuid).collect()
    }

    /// Uuids of the queued turns, in order.
    pub fn uuids(&self) -> Vec<String> {
        self.lock()
            .turns
            .iter()
            .map(|turn| turn.uuid.clone())
            .collect()
    }

    /// No more turns will be added; the runner stops once the queue is empty.
    pub fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_one();
    }

    /// Whether [`TurnQueue::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// The next turn; `None` once the queue is closed and empty.
    pub async fn next(&self) -> Option<QueuedTurn> {
        loop {
            let notified = self.changed.notified();
            {
                let mut state = self.lock();
                if let Some(turn) = state.turns.pop_front() {
                    return Some(turn);
                }
                if state.closed {
                    return None;
                }
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_protocol::Message;

    fn turn(uuid: &str) -> QueuedTurn {
        QueuedTurn {
            uuid: uuid.to_owned(),
            message: UserStreamMessage::new(Message::user(uuid)),
        }
    }

    #[tokio::test]
    async fn fifo_with_front_insert_cancel_and_close() {
        let queue = TurnQueue::default();
        queue.push(turn("a"), false);
        queue.push(turn("b"), false);
        queue.push(turn("now"), true);
        assert!(queue.cancel("b"));
        assert!(!queue.cancel("b"));
        queue.close();
        assert_eq!(queue.next().await.map(|t| t.uuid).as_deref(), Some("now"));
        assert_eq!(queue.next().await.map(|t| t.uuid).as_deref(), Some("a"));
        assert!(queue.next().await.is_none());
    }

    #[tokio::test]
    async fn next_waits_for_a_push() {
        let queue = std::sync::Arc::new(TurnQueue::default());
        let waiter = {
            let queue = std::sync::Arc::clone(&queue);
            tokio::spawn(async move { queue.next().await.map(|t| t.uuid) })
        };
        tokio::task::yield_now().await;
        queue.push(turn("x"), false);
        assert_eq!(waiter.await.unwrap().as_deref(), Some("x"));
    }
}
