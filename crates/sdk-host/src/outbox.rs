//! The single writer of stdout (`sdk-protocol.md` §2).
//!
//! Every line the host writes goes through one [`Outbox`]: messages are
//! serialized to compact JSON, queued, and a writer task writes each one
//! with a single `write_all` followed by a flush, so lines never interleave
//! and a pipe-chunk boundary can only fall inside a long message. The
//! outbox also remembers whether the last `result` it wrote was an error,
//! which decides the exit code (§8.4).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ferrule_protocol::sdk::StreamMessage;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

/// Cloneable handle that queues stream-json lines for stdout.
#[derive(Clone)]
pub struct Outbox {
    lines: mpsc::UnboundedSender<String>,
    state: Arc<OutboxState>,
}

#[derive(Default)]
struct OutboxState {
    /// The last `result` written had `is_error: true`.
    last_result_error: AtomicBool,
    /// The writer hit an error (stdout closed): later lines are dropped.
    broken: AtomicBool,
}

/// The writer task's end of the outbox; await [`OutboxWriter::run`].
pub struct OutboxWriter<W> {
    lines: mpsc::UnboundedReceiver<String>,
    out: W,
    state: Arc<OutboxState>,
}

impl Outbox {
    /// A new outbox writing to `out`; spawn or await the returned writer.
    pub fn new<W: AsyncWrite + Unpin>(out: W) -> (Self, OutboxWriter<W>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let state = Arc::new(OutboxState::default());
        (
            Self {
                lines: tx,
                state: Arc::clone(&state),
            },
            OutboxWriter {
                lines: rx,
                out,
                state,
            },
        )
    }

    /// Queues one message. Never blocks; a message that cannot be
    /// serialized (a hand-built value JSON cannot hold) is logged and dropped.
    pub fn send(&self, message: &StreamMessage) {
        if let StreamMessage::Result(result) = message {
            self.state
                .last_result_error
                .store(result.is_error, Ordering::SeqCst);
        } else if matches!(
            message,
            StreamMessage::Assistant(_) | StreamMessage::User(_)
        ) {
            // §8.4: exit code 1 is accepted only when nothing conversational
            // followed the error result.
            self.state.last_result_error.store(false, Ordering::SeqCst);
        }
        match message.to_line().map(|line| fit(message, line)) {
            Ok(line) => {
                if self.lines.send(line).is_err() {
                    tracing::debug!("stdout writer is gone; line dropped");
                }
            }
            Err(error) => tracing::error!(%error, "cannot serialize a stream-json line"),
        }
    }

    /// Whether the last `result` written was an error with nothing after it.
    pub fn last_result_was_error(&self) -> bool {
        self.state.last_result_error.load(Ordering::SeqCst)
    }

    /// Whether writing to stdout failed (the SDK went away).
    pub fn is_broken(&self) -> bool {
        self.state.broken.load(Ordering::SeqCst)
    }
}

/// The Python SDK refuses lines over 1 MiB (§2). The one line that can
/// grow that large is a tool result carrying the tool's structured output
/// beside its text; that copy is dropped first.
const MAX_LINE: usize = 1 << 20;

fn fit(message: &StreamMessage, line: String) -> String {
    if line.len() < MAX_LINE {
        return line;
    }
    if let StreamMessage::User(user) = message
        && user.tool_use_result.is_some()
    {
        let mut slim = user.clone();
        slim.tool_use_result = None;
        if let Ok(smaller) = StreamMessage::User(slim).to_line() {
            if smaller.len() >= MAX_LINE {
                tracing::warn!(bytes = smaller.len(), "a tool result line exceeds 1 MiB");
            }
            return smaller;
        }
    }
    tracing::warn!(bytes = line.len(), "a stream-json line exceeds 1 MiB");
    line
}

impl<W: AsyncWrite + Unpin> OutboxWriter<W> {
    /// Writes queued lines until every [`Outbox`] handle is dropped, then
    /// flushes. Stops early, marking the outbox broken, if stdout fails.
    pub async fn run(mut self) {
        while let Some(mut line) = self.lines.recv().await {
            line.push('\n');
            let written = async {
                self.out.write_all(line.as_bytes()).await?;
                self.out.flush().await
            }
            .await;
            if let Err(error) = written {
                tracing::debug!(%error, "stdout closed; the SDK went away");
                self.state.broken.store(true, Ordering::SeqCst);
                return;
            }
        }
        if let Err(error) = self.out.flush().await {
            tracing::debug!(%error, "final flush of stdout failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_protocol::sdk::{ResultMessage, ResultSubtype};

    #[test]
    fn error_result_counts_until_a_conversational_line_follows() {
        let (outbox, _writer) = Outbox::new(Vec::new());
        outbox.send(&StreamMessage::Result(ResultMessage::new(
            ResultSubtype::ErrorDuringExecution,
            "s",
        )));
        assert!(outbox.last_result_was_error());
        outbox.send(&StreamMessage::Result(ResultMessage::new(
            ResultSubtype::Success,
            "s",
        )));
        assert!(!outbox.last_result_was_error());
    }

    #[test]
    fn oversized_tool_result_loses_its_structured_copy() {
        use ferrule_protocol::sdk::UserStreamMessage;
        use ferrule_protocol::{ContentBlock, Message, MessageContent, Role, ToolResultBlock};
        let big = "x".repeat(700_000);
        let mut user = UserStreamMessage::new(Message {
            role: Role::User,
            content: MessageContent::Blocks(vec![ContentBlock::ToolResult(ToolResultBlock::text(
                "c1",
                big.clone(),
            ))]),
        });
        user.tool_use_result = Some(serde_json::json!({ "content": big }));
        let message = StreamMessage::User(user);
        let line = fit(&message, message.to_line().unwrap());
        assert!(line.len() < MAX_LINE);
        assert!(!line.contains("tool_use_result"));
    }

    #[tokio::test]
    async fn writer_output_is_one_line_per_message() {
        let (client, server) = tokio::io::duplex(1 << 16);
        let (outbox, writer) = Outbox::new(server);
        let task = tokio::spawn(writer.run());
        outbox.send(&StreamMessage::Result(ResultMessage::new(
            ResultSubtype::Success,
            "s",
        )));
        drop(outbox);
        task.await.unwrap();
        let mut text = String::new();
        let mut client = client;
        tokio::io::AsyncReadExt::read_to_string(&mut client, &mut text)
            .await
            .unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(text.ends_with('\n'));
        assert!(
            text.starts_with(r#"{"type":"result","subtype":"success""#),
            "{text}"
        );
    }
}
