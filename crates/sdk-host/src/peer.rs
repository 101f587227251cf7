//! Control requests the host sends to the SDK (`sdk-protocol.md` §5, §7):
//! `can_use_tool`, `hook_callback`, `mcp_message`, …
//!
//! [`Peer::request`] writes a `control_request` with a fresh id and waits
//! for the `control_response` the stdin reader routes back through
//! [`Peer::resolve`]. Waiting never blocks the reader, so the SDK can keep
//! sending requests and messages meanwhile. A request abandoned before its
//! answer (cancellation token fired, timeout, or the future dropped) is
//! withdrawn with a `control_cancel_request`, as §5 asks. When stdin closes,
//! [`Peer::close`] fails every pending request, so nothing waits forever
//! for an SDK that is gone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ferrule_protocol::sdk::{
    ControlCancelRequest, ControlRequest, ControlRequestEnvelope, ControlResponse,
    ControlResponseEnvelope, StreamMessage,
};
use serde_json::{Map, Value};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::outbox::Outbox;

/// Why a request to the SDK produced no success answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerError {
    /// The SDK answered with an error response.
    #[error("{0}")]
    Refused(String),
    /// The request was cancelled before the SDK answered.
    #[error("cancelled before the SDK answered")]
    Cancelled,
    /// No answer within the allowed time.
    #[error("the SDK did not answer `{kind}` within {seconds} s")]
    TimedOut {
        /// The request kind.
        kind: String,
        /// The limit.
        seconds: u64,
    },
    /// The SDK closed its end (stdin EOF) before answering.
    #[error("the SDK closed the connection before answering `{0}`")]
    Closed(String),
}

type Pending = HashMap<String, oneshot::Sender<ControlResponse>>;

/// Sends control requests to the SDK and matches their answers.
#[derive(Clone)]
pub struct Peer {
    outbox: Outbox,
    inner: Arc<PeerInner>,
}

struct PeerInner {
    pending: Mutex<Pending>,
    closed: CancellationToken,
}

/// Removes a pending request and withdraws it from the SDK unless it was
/// answered; runs when the waiting future ends for any reason.
struct PendingGuard<'a> {
    peer: &'a Peer,
    request_id: String,
    answered: bool,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        if self.answered {
            return;
        }
        let was_pending = self.peer.lock().remove(&self.request_id).is_some();
        if was_pending && !self.peer.inner.closed.is_cancelled() {
            self.peer
                .outbox
                .send(&StreamMessage::ControlCancelRequest(ControlCancelRequest {
                    request_id: self.request_id.clone(),
                    session_id: None,
                    extra: Map::new(),
                }));
        }
    }
}

impl Peer {
    /// A peer writing its requests to `outbox`.
    pub fn new(outbox: Outbox) -> Self {
        Self {
            outbox,
            inner: Arc::new(PeerInner {
                pending: Mutex::new(HashMap::new()),
                closed: CancellationToken::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.inner
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends `request` and waits for the answer's payload. `cancel` (e.g. the
    /// turn's interrupt) and `timeout` withdraw the request.
    ///
    /// # Errors
    /// [`PeerError`]: the SDK refused, the wait was cancelled or timed out,
    /// or the SDK is gone.
    pub async fn request(
        &self,
        request: ControlRequest,
        cancel: Option<&CancellationToken>,
        timeout: Option<Duration>,
    ) -> Result<Map<String, Value>, PeerError> {
        let kind = request.kind().to_owned();
        if self.inner.closed.is_cancelled() {
            return Err(PeerError::Closed(kind));
        }
        let request_id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        self.lock().insert(request_id.clone(), tx);
        let mut guard = PendingGuard {
            peer: self,
            request_id: request_id.clone(),
            answered: false,
        };
        self.outbox
            .send(&StreamMessage::ControlRequest(ControlRequestEnvelope::new(
                request_id, request,
            )));
        let never = CancellationToken::new();
        let cancel = cancel.unwrap_or(&never);
        let sleep = async {
            match timeout {
                Some(limit) => tokio::time::sleep(limit).await,
                None => std::future::pending().await,
            }
        };
        let answer = tokio::select! {
            answer = rx => answer,
            () = cancel.cancelled() => return Err(PeerError::Cancelled),
            () = sleep => {
                return Err(PeerError::TimedOut {
                    kind,
                    seconds: timeout.map_or(0, |t| t.as_secs()),
                });
            }
            () = self.inner.closed.cancelled() => return Err(PeerError::Closed(kind)),
        };
        guard.answered = true;
        match answer {
            Ok(ControlResponse::Success(success)) => Ok(success.response),
            Ok(ControlResponse::Error(error)) => Err(PeerError::Refused(error.error)),
            Err(_) => Err(PeerError::Closed(kind)),
        }
    }

    /// Routes an answer from stdin to the request waiting for it. Answers
    /// to unknown or withdrawn ids are dropped (§5).
    pub fn resolve(&self, envelope: ControlResponseEnvelope) {
        let id = envelope.request_id().to_owned();
        match self.lock().remove(&id) {
            Some(waiter) => {
                if waiter.send(envelope.response).is_err() {
                    tracing::debug!(request_id = %id, "answer arrived after the wait ended");
                }
            }
            None => tracing::debug!(request_id = %id, "answer to an unknown request dropped"),
        }
    }

    /// The SDK is gone: fail every pending and future request.
    pub fn close(&self) {
        self.inner.closed.cancel();
        self.lock().clear();
    }

    /// Number of requests waiting for an answer.
    pub fn pending(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_protocol::sdk::{ControlRequest, InterruptRequest};
    use tokio::io::{AsyncBufReadExt, BufReader};

    fn interrupt() -> ControlRequest {
        ControlRequest::Interrupt(InterruptRequest::default())
    }

    async fn next_line(lines: &mut tokio::io::Lines<BufReader<tokio::io::DuplexStream>>) -> Value {
        let line = lines.next_line().await.unwrap().unwrap();
        serde_json::from_str(&line).unwrap()
    }

    #[tokio::test]
    async fn answer_is_routed_to_the_waiting_request() {
        let (client, server) = tokio::io::duplex(1 << 16);
        let (outbox, writer) = Outbox::new(server);
        tokio::spawn(writer.run());
        let peer = Peer::new(outbox);
        let mut lines = BufReader::new(client).lines();
        let waiting = {
            let peer = peer.clone();
            tokio::spawn(async move { peer.request(interrupt(), None, None).await })
        };
        let sent = next_line(&mut lines).await;
        let id = sent["request_id"].as_str().unwrap().to_owned();
        peer.resolve(
            ControlResponseEnvelope::success(&id, &serde_json::json!({"ok": true})).unwrap(),
        );
        let payload = waiting.await.unwrap().unwrap();
        assert_eq!(payload["ok"], true);
        assert_eq!(peer.pending(), 0);
    }

    #[tokio::test]
    async fn cancelled_request_is_withdrawn_with_a_cancel_line() {
        let (client, server) = tokio::io::duplex(1 << 16);
        let (outbox, writer) = Outbox::new(server);
        tokio::spawn(writer.run());
        let peer = Peer::new(outbox);
        let mut lines = BufReader::new(client).lines();
        let cancel = CancellationToken::new();
        let waiting = {
            let (peer, cancel) = (peer.clone(), cancel.clone());
            tokio::spawn(async move { peer.request(interrupt(), Some(&cancel), None).await })
        };
        let sent = next_line(&mut lines).await;
        cancel.cancel();
        assert_eq!(waiting.await.unwrap(), Err(PeerError::Cancelled));
        let withdrawn = next_line(&mut lines).await;
        assert_eq!(withdrawn["type"], "control_cancel_request");
        assert_eq!(withdrawn["request_id"], sent["request_id"]);
        assert_eq!(peer.pending(), 0);
    }

    #[tokio::test]
    async fn closing_fails_pending_requests() {
        let (outbox, _writer) = Outbox::new(Vec::new());
        let peer = Peer::new(outbox);
        let waiting = {
            let peer = peer.clone();
            tokio::spawn(async move { peer.request(interrupt(), None, None).await })
        };
        tokio::task::yield_now().await;
        while peer.pending() == 0 {
            tokio::task::yield_now().await;
        }
        peer.close();
        assert!(matches!(waiting.await.unwrap(), Err(PeerError::Closed(_))));
    }

    #[tokio::test]
    async fn error_answer_is_refused_with_its_message() {
        let (outbox, _writer) = Outbox::new(Vec::new());
        let peer = Peer::new(outbox);
        let waiting = {
            let peer = peer.clone();
            tokio::spawn(async move {
                peer.request(interrupt(), None, Some(Duration::from_secs(5)))
                    .await
            })
        };
        let id = loop {
            if let Some(id) = peer.lock().keys().next().cloned() {
                break id;
            }
            tokio::task::yield_now().await;
        };
        peer.resolve(ControlResponseEnvelope::error(id, "callback raised"));
        assert_eq!(
            waiting.await.unwrap(),
            Err(PeerError::Refused("callback raised".into()))
        );
    }
}
