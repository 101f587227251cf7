//! The replica's PostgreSQL listener: `LISTEN`s on the fan-out channels and
//! turns notifications into notices for this process ([`crate::fanout`]).
//!
//! Notifications are only a hint. When the listening connection drops, the
//! listener reconnects with a growing pause and then makes every stream
//! re-read from the database ([`Notice::Resync`]); a slow timer does the
//! same, so even a notification lost without a visible disconnect delays
//! an event by at most [`POLL_INTERVAL`], never loses it.

use std::time::Duration;

use sqlx::postgres::{PgListener, PgNotification};

use crate::app::AppState;
use crate::fanout::{self, EVENTS_CHANNEL, Notice};

/// How often every stream re-reads regardless of notifications.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_secs(10);

/// Longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Starts the listener and the poll timer when the database is shared;
/// both end on shutdown.
pub(crate) fn spawn(state: &AppState) {
    if !state.store.fanout.is_shared() {
        return;
    }
    let url = state.store.pool.connect_options().database_url.to_string();
    let listener_state = state.clone();
    state.tasks.spawn(async move {
        let shutdown = listener_state.shutdown.clone();
        tokio::select! {
            () = run(&listener_state, &url) => {}
            () = shutdown.cancelled() => {}
        }
    });
    let timer_state = state.clone();
    state.tasks.spawn(async move {
        let mut tick = tokio::time::interval(POLL_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => timer_state.store.fanout.publish(Notice::Resync),
                () = timer_state.shutdown.cancelled() => return,
            }
        }
    });
}

async fn connect(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen_all(channels()).await?;
    Ok(listener)
}

/// The channels a replica listens on.
fn channels() -> Vec<&'static str> {
    vec![EVENTS_CHANNEL]
}

/// Listens until the task is dropped, reconnecting whenever the
/// connection is lost.
async fn run(state: &AppState, url: &str) {
    let mut backoff = Duration::from_millis(50);
    loop {
        let mut listener = match connect(url).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for other replicas' events; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        backoff = Duration::from_millis(50);
        // Whatever was committed while nobody listened is read now.
        state.store.fanout.publish(Notice::Resync);
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => dispatch(state, &notification),
                Ok(None) => {
                    tracing::warn!("the listening connection was lost; reconnecting");
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, "the listening connection failed; reconnecting");
                    break;
                }
            }
        }
    }
}

fn dispatch(state: &AppState, notification: &PgNotification) {
    if notification.channel() == EVENTS_CHANNEL {
        match fanout::parse_payload(notification.payload()) {
            Some(notice) => state.store.fanout.publish(notice),
            None => tracing::warn!(
                payload = notification.payload(),
                "ignoring a malformed event notification"
            ),
        }
    }
}
