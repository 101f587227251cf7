//! The interface's [`Asker`]: a request goes to the event loop, which shows
//! it as a prompt and sends the user's answer back.

use async_trait::async_trait;
use ferrule_agent::{AskAnswer, AskRequest, Asker};
use tokio::sync::{mpsc, oneshot};

/// A request waiting for the user, with where the answer goes.
#[derive(Debug)]
pub(crate) struct PendingAsk {
    pub(crate) request: AskRequest,
    pub(crate) reply: oneshot::Sender<AskAnswer>,
}

/// Forwards every ask to the event loop and waits for the answer, or for
/// the run's interrupt.
#[derive(Debug, Clone)]
pub(crate) struct TuiAsker {
    pub(crate) requests: mpsc::UnboundedSender<PendingAsk>,
}

#[async_trait]
impl Asker for TuiAsker {
    async fn ask(&self, request: AskRequest) -> AskAnswer {
        let cancel = request.cancel.clone();
        let (reply, answer) = oneshot::channel();
        if self.requests.send(PendingAsk { request, reply }).is_err() {
            return AskAnswer::Deny {
                message: "The terminal interface closed before the user answered.".into(),
                interrupt: true,
            };
        }
        tokio::select! {
            answer = answer => answer.unwrap_or(AskAnswer::Deny {
                message: "The prompt was closed without an answer.".into(),
                interrupt: true,
            }),
            () = cancel.cancelled() => AskAnswer::Deny {
                message: "Interrupted by the user.".into(),
                interrupt: true,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_permissions::Decision;
    use serde_json::json;
    use tokio_util::sync::CancellationToken;

    fn request(cancel: CancellationToken) -> AskRequest {
        AskRequest {
            tool_use_id: "t1".into(),
            tool_name: "Bash".into(),
            input: json!({"command": "ls"}),
            decision: Decision {
                behavior: ferrule_permissions::Behavior::Ask,
                ask_kind: Some(ferrule_permissions::AskKind::NoRule),
                rule: None,
                reason: "no rule".into(),
            },
            suggestions: Vec::new(),
            agent_id: None,
            cancel,
        }
    }

    #[tokio::test]
    async fn the_answer_comes_from_the_loop() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let asker = TuiAsker { requests: tx };
        let task = tokio::spawn(async move { asker.ask(request(CancellationToken::new())).await });
        let pending = rx.recv().await.unwrap();
        assert_eq!(pending.request.tool_name, "Bash");
        pending.reply.send(AskAnswer::allow()).unwrap();
        assert_eq!(task.await.unwrap(), AskAnswer::allow());
    }

    #[tokio::test]
    async fn an_interrupt_stops_the_wait() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let asker = TuiAsker { requests: tx };
        let cancel = CancellationToken::new();
        let task = tokio::spawn({
            let cancel = cancel.clone();
            async move { asker.ask(request(cancel)).await }
        });
        let _pending = rx.recv().await.unwrap();
        cancel.cancel();
        assert!(matches!(
            task.await.unwrap(),
            AskAnswer::Deny {
                interrupt: true,
                ..
            }
        ));
    }
}
