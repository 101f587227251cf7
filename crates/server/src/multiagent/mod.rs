//! Multiagent (coordinator) sessions (`managed-agents.md`,
//! `cloud-api.md` §5.10, §6.9).
//!
//! When the session's agent has `multiagent`, its primary thread is the
//! coordinator and its turns get the control tools `create_agent`,
//! `Agent`, `send_to_agent` and `list_agents` ([`tools`]); a child thread
//! runs a roster agent's snapshot ([`roster`]) with its own history in the
//! session's working directory and gets `send_to_parent`. Threads and
//! their mailboxes are stored ([`store`]): a message to a busy thread
//! waits until it is idle, then starts its next turn ([`run`]). Child
//! turns go through the same turn loop as every turn
//! ([`crate::runner::run_turn`]) against a [`backend::ThreadBackend`],
//! run by this process (not through the work queue); their events are
//! session events with `session_thread_id`. The session is idle only when
//! the coordinator and every child stopped.

mod backend;
pub(crate) mod roster;
mod run;
pub(crate) mod store;
mod tools;

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

pub(crate) use run::{cancel_threads, deliver_to_coordinator, keeps_running, resume_all};
pub(crate) use tools::ThreadTools;

/// Most threads of one session, the coordinator included.
pub(crate) const MAX_THREADS: usize = 25;

/// How a child's turn ended, for an `Agent` call waiting on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WaitEnd {
    /// The turn ended; the messages it sent with `send_to_parent`.
    Finished(Vec<String>),
    /// The turn was interrupted; the messages sent before.
    Interrupted(Vec<String>),
}

#[derive(Debug)]
struct Waiter {
    messages: Vec<String>,
    done: oneshot::Sender<WaitEnd>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Threads with a runner in this process, with the interrupt of the
    /// turn it runs.
    runners: HashMap<String, CancellationToken>,
    /// `Agent` calls waiting on a child thread.
    waiters: HashMap<String, Waiter>,
}

/// What this process knows about the child threads it runs.
#[derive(Debug, Default)]
pub(crate) struct LiveThreads {
    inner: Mutex<Inner>,
}

impl LiveThreads {
    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut guard = match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Registers a runner for `thread_id`; false when one is registered.
    fn register(&self, thread_id: &str) -> bool {
        self.with(|inner| {
            if inner.runners.contains_key(thread_id) {
                return false;
            }
            inner
                .runners
                .insert(thread_id.to_owned(), CancellationToken::new());
            true
        })
    }

    fn unregister(&self, thread_id: &str) {
        self.with(|inner| inner.runners.remove(thread_id));
    }

    /// A fresh interrupt for the runner's next turn.
    fn next_turn(&self, thread_id: &str) -> CancellationToken {
        let token = CancellationToken::new();
        self.with(|inner| inner.runners.insert(thread_id.to_owned(), token.clone()));
        token
    }

    /// Interrupts the turn a runner of this process runs for the thread.
    fn interrupt(&self, thread_id: &str) {
        if let Some(token) = self.with(|inner| inner.runners.get(thread_id).cloned()) {
            token.cancel();
        }
    }

    /// Starts waiting for the end of the thread's next turn.
    fn wait(&self, thread_id: &str) -> oneshot::Receiver<WaitEnd> {
        let (done, rx) = oneshot::channel();
        self.with(|inner| {
            inner.waiters.insert(
                thread_id.to_owned(),
                Waiter {
                    messages: Vec::new(),
                    done,
                },
            )
        });
        rx
    }

    fn stop_waiting(&self, thread_id: &str) {
        self.with(|inner| inner.waiters.remove(thread_id));
    }

    /// Hands a `send_to_parent` message to a waiting `Agent` call; false
    /// when none waits.
    fn report(&self, thread_id: &str, message: &str) -> bool {
        self.with(|inner| match inner.waiters.get_mut(thread_id) {
            Some(waiter) => {
                waiter.messages.push(message.to_owned());
                true
            }
            None => false,
        })
    }

    /// Ends the wait on a thread whose turn ended.
    fn turn_ended(&self, thread_id: &str, interrupted: bool) {
        if let Some(waiter) = self.with(|inner| inner.waiters.remove(thread_id)) {
            let end = if interrupted {
                WaitEnd::Interrupted(waiter.messages)
            } else {
                WaitEnd::Finished(waiter.messages)
            };
            let _: Result<(), WaitEnd> = waiter.done.send(end);
        }
    }
}
