//! Fan-out of committed events to the SSE streams (`cloud-api.md` §7.7,
//! §7.8), one code path for both backends.
//!
//! Streams subscribe to a broadcast of [`Notice`]s and always keep the
//! sequence of the last event they sent. What a notice means differs:
//! - *in process* (SQLite: one process writes the database) every
//!   committed event is published as it is, in commit order, and a stream
//!   sends it directly;
//! - *shared* (PostgreSQL: any number of replicas write the same tables)
//!   a commit only says "session S has events up to sequence N". The
//!   append transaction queues a `NOTIFY` on [`EVENTS_CHANNEL`] (delivered
//!   by PostgreSQL at commit, to every replica's listener, see
//!   [`crate::listen`]); a stream woken by it reads the events after its
//!   last sequence from the database. Order and exactly-once therefore
//!   come from the database: appends to one session take a transaction
//!   lock and number their events above everything stored for it, so a
//!   reader never sees a later event without the earlier ones.
//!
//! [`Notice::Resync`] (listener reconnected, and a slow timer) makes every
//! stream re-read, so a notification lost with a connection loses nothing.

use std::sync::Arc;

use sqlx::{AnyConnection, Row};
use tokio::sync::broadcast;

use crate::store::StoredEvent;

/// The PostgreSQL channel announcing committed events: payload
/// `SESSION_ID SEQ` (the last sequence of the commit), never the body.
pub(crate) const EVENTS_CHANNEL: &str = "ferrule_events";

/// Advisory lock namespace of per-session appends (first key of
/// `pg_advisory_xact_lock(int, int)`; the second is the session's hash).
const APPEND_LOCK_CLASS: i32 = 0x6665_7272; // "ferr"

/// What wakes a stream.
#[derive(Debug, Clone)]
pub(crate) enum Notice {
    /// An event this process committed (in-process fan-out only).
    Event(Arc<StoredEvent>),
    /// Events of `session_id` up to `seq` are committed (by any replica):
    /// read them from the database.
    Committed {
        /// The session.
        session_id: Arc<str>,
        /// The largest sequence of the commit.
        seq: i64,
    },
    /// Notifications may have been missed: every stream re-reads.
    Resync,
}

/// The live feed of one process.
#[derive(Debug)]
pub(crate) struct Fanout {
    feed: broadcast::Sender<Notice>,
    shared: bool,
}

impl Fanout {
    /// In-process fan-out (a single writer).
    pub(crate) fn in_process() -> Self {
        Self::new(false)
    }

    /// Fan-out over a database shared with other replicas (PostgreSQL).
    pub(crate) fn shared() -> Self {
        Self::new(true)
    }

    /// The fan-out a database URL needs.
    pub(crate) fn for_url(url: &str) -> Self {
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Self::shared()
        } else {
            Self::in_process()
        }
    }

    fn new(shared: bool) -> Self {
        let (feed, _) = broadcast::channel(4096);
        Self { feed, shared }
    }

    /// Whether other replicas may write the same database.
    pub(crate) fn is_shared(&self) -> bool {
        self.shared
    }

    /// Subscribes to every notice from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.feed.subscribe()
    }

    /// First statement of an append transaction. Shared: waits for the
    /// session's append lock (held until commit, so commit order is
    /// sequence order across replicas) and returns the largest sequence
    /// stored for the session, which new events must exceed. In process
    /// the caller's session lock already orders appends: `i64::MIN`.
    pub(crate) async fn begin_append(
        &self,
        conn: &mut AnyConnection,
        session_id: &str,
    ) -> Result<i64, sqlx::Error> {
        if !self.shared {
            return Ok(i64::MIN);
        }
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))::text AS locked")
            .bind(APPEND_LOCK_CLASS)
            .bind(session_id)
            .execute(&mut *conn)
            .await?;
        let floor: Option<i64> =
            sqlx::query("SELECT MAX(seq) AS m FROM events WHERE session_id = $1")
                .bind(session_id)
                .fetch_one(&mut *conn)
                .await?
                .try_get("m")?;
        Ok(floor.unwrap_or(i64::MIN))
    }

    /// Last statement of an append transaction (shared only): queues the
    /// notification PostgreSQL delivers to every listener at commit.
    pub(crate) async fn finish_append(
        &self,
        conn: &mut AnyConnection,
        session_id: &str,
        last_seq: i64,
    ) -> Result<(), sqlx::Error> {
        if !self.shared {
            return Ok(());
        }
        sqlx::query("SELECT pg_notify($1, $2)::text AS sent")
            .bind(EVENTS_CHANNEL)
            .bind(format!("{session_id} {last_seq}"))
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// After commit: wakes this process's streams at once (shared: the
    /// notification comes back later and is then a no-op).
    pub(crate) fn committed(&self, events: Vec<StoredEvent>) {
        // No receivers is fine: nobody is streaming.
        if self.shared {
            if let Some(last) = events.last() {
                let _ = self.feed.send(Notice::Committed {
                    session_id: Arc::from(last.session_id.as_str()),
                    seq: last.seq,
                });
            }
        } else {
            for event in events {
                let _ = self.feed.send(Notice::Event(Arc::new(event)));
            }
        }
    }

    /// Publishes a notice from the listener.
    pub(crate) fn publish(&self, notice: Notice) {
        let _ = self.feed.send(notice);
    }
}

/// Parses an [`EVENTS_CHANNEL`] payload into its notice.
pub(crate) fn parse_payload(payload: &str) -> Option<Notice> {
    let (session_id, seq) = payload.split_once(' ')?;
    let seq = seq.parse().ok()?;
    (!session_id.is_empty()).then(|| Notice::Committed {
        session_id: Arc::from(session_id),
        seq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64) -> StoredEvent {
        StoredEvent {
            session_id: "sesn_1".into(),
            seq,
            body: serde_json::json!({"id": format!("evt_{seq}")}),
        }
    }

    #[test]
    fn payloads_round_trip_and_bad_ones_are_ignored() {
        match parse_payload("sesn_abc 42") {
            Some(Notice::Committed { session_id, seq }) => {
                assert_eq!(&*session_id, "sesn_abc");
                assert_eq!(seq, 42);
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_payload("sesn_abc").is_none());
        assert!(parse_payload("sesn_abc x").is_none());
        assert!(parse_payload(" 5").is_none());
    }

    #[test]
    fn in_process_publishes_events_and_shared_only_positions() {
        let local = Fanout::for_url("sqlite://x.db");
        assert!(!local.is_shared());
        let mut rx = local.subscribe();
        local.committed(vec![event(1), event(2)]);
        for want in [1, 2] {
            match rx.try_recv() {
                Ok(Notice::Event(e)) => assert_eq!(e.seq, want),
                other => panic!("{other:?}"),
            }
        }
        let shared = Fanout::for_url("postgres://u@h/db");
        assert!(shared.is_shared());
        let mut rx = shared.subscribe();
        shared.committed(vec![event(1), event(2)]);
        match rx.try_recv() {
            Ok(Notice::Committed { session_id, seq }) => {
                assert_eq!(&*session_id, "sesn_1");
                assert_eq!(seq, 2);
            }
            other => panic!("{other:?}"),
        }
        assert!(rx.try_recv().is_err());
    }
}
