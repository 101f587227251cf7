//! [`McpManager`]: the MCP servers of one session. Starts them
//! concurrently, keeps their status and catalogs (tools, prompts,
//! resources), reconnects a dead server on its next use, and turns every
//! failure into an error result rather than a stuck or crashed agent.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use ferrule_protocol::sdk::{McpConnectionStatus, McpServerStatus};
use rmcp::RoleClient;
use rmcp::service::{Peer, ServiceError};
use serde_json::{Map, Value};
use tokio::sync::{mpsc, watch};

use crate::catalog::{Catalog, fetch_catalog};
use crate::client::{ChangeCallback, Connection, ListKind, connect};
use crate::config::{ServerSpec, TransportSpec};
use crate::options::{ManagerOptions, McpClientError};

enum State {
    Pending,
    Connected(Arc<Connection>),
    Failed(String),
    Disabled(String),
}

struct Slot {
    spec: ServerSpec,
    state: State,
    catalog: Catalog,
    connecting: Arc<tokio::sync::Mutex<()>>,
}

pub(crate) struct Inner {
    pub(crate) options: ManagerOptions,
    slots: Mutex<BTreeMap<String, Slot>>,
    changes: watch::Sender<u64>,
    refresh: mpsc::UnboundedSender<(String, ListKind)>,
}

/// The MCP servers of a session. Cheap to clone (shared state).
#[derive(Clone)]
pub struct McpManager {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for McpManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpManager")
            .field("servers", &self.server_names())
            .finish()
    }
}

impl McpManager {
    /// A manager for `servers` (each disabled one stays `disabled`), all
    /// connected concurrently before this returns; each gets at most
    /// `options.startup_timeout`. Failures only mark their server `failed`.
    pub async fn start(servers: Vec<ServerSpec>, options: ManagerOptions) -> Self {
        let manager = Self::new(servers, options);
        manager.connect_all().await;
        manager
    }

    /// A manager whose servers are `pending` until [`McpManager::connect_all`]
    /// (lets a host report `pending` while connecting). Must be called
    /// inside a tokio runtime.
    pub fn new(servers: Vec<ServerSpec>, options: ManagerOptions) -> Self {
        let (refresh, mut refresh_rx) = mpsc::unbounded_channel::<(String, ListKind)>();
        let slots = servers
            .into_iter()
            .map(|spec| {
                let state = match &spec.disabled {
                    Some(reason) => State::Disabled(reason.clone()),
                    None => State::Pending,
                };
                let slot = Slot {
                    spec,
                    state,
                    catalog: Catalog::default(),
                    connecting: Arc::new(tokio::sync::Mutex::new(())),
                };
                (slot.spec.name.clone(), slot)
            })
            .collect();
        let inner = Arc::new(Inner {
            options,
            slots: Mutex::new(slots),
            changes: watch::channel(0).0,
            refresh,
        });
        let weak = Arc::downgrade(&inner);
        tokio::spawn(async move {
            while let Some((server, kind)) = refresh_rx.recv().await {
                let Some(inner) = weak.upgrade() else { break };
                McpManager { inner }.refresh(&server, kind).await;
            }
        });
        Self { inner }
    }

    /// Connects every `pending` or `failed` server at once and waits for all.
    pub async fn connect_all(&self) {
        let names: Vec<String> = self
            .slots()
            .iter()
            .filter(|(_, s)| matches!(s.state, State::Pending | State::Failed(_)))
            .map(|(n, _)| n.clone())
            .collect();
        futures::future::join_all(names.iter().map(|n| self.connection(n))).await;
    }

    /// Names of all configured servers, sorted.
    pub fn server_names(&self) -> Vec<String> {
        self.slots().keys().cloned().collect()
    }

    /// The status of every server, as `mcp_status` and `system/init`
    /// (`mcp_servers`) report it: `connected`, `failed` (with `error`),
    /// `pending` or `disabled`, plus scope, config, server info and tools.
    pub fn status(&self) -> Vec<McpServerStatus> {
        self.slots()
            .values()
            .map(|slot| {
                let (status, error) = match &slot.state {
                    State::Pending => (McpConnectionStatus::Pending, None),
                    State::Connected(c) if c.is_alive() => (McpConnectionStatus::Connected, None),
                    State::Connected(_) => (
                        McpConnectionStatus::Failed,
                        Some("the server closed the connection".to_owned()),
                    ),
                    State::Failed(e) => (McpConnectionStatus::Failed, Some(e.clone())),
                    State::Disabled(e) => (McpConnectionStatus::Disabled, Some(e.clone())),
                };
                let connected = status == McpConnectionStatus::Connected;
                McpServerStatus {
                    name: slot.spec.name.clone(),
                    status,
                    server_info: slot.catalog.info.clone().filter(|_| connected),
                    error,
                    config: Some(slot.spec.raw.clone()),
                    scope: Some(slot.spec.scope.as_str().to_owned()),
                    tools: connected.then(|| slot.catalog.tool_infos()),
                    extra: Map::new(),
                }
            })
            .collect()
    }

    /// `(name, status)` pairs, the short form `system/init` lists.
    pub fn init_status(&self) -> Vec<Value> {
        self.status()
            .into_iter()
            .map(|s| serde_json::json!({"name": s.name, "status": s.status}))
            .collect()
    }

    /// A receiver that changes whenever a server's tools, prompts or
    /// resources change (connect, failure, `list_changed`): hosts rebuild
    /// the tool list from [`McpManager::tools`] when it fires.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    /// Restarts server `name` now (`mcp_reconnect`, `/mcp reconnect`).
    ///
    /// # Errors
    /// Unknown or disabled server, or the reconnect failed.
    pub async fn reconnect(&self, name: &str) -> Result<(), McpClientError> {
        {
            let mut slots = self.slots();
            let slot = slots
                .get_mut(name)
                .ok_or_else(|| McpClientError::UnknownServer(name.to_owned()))?;
            if let State::Connected(_) = slot.state {
                slot.state = State::Pending;
            }
        }
        self.connection(name).await.map(drop)
    }

    /// Turns server `name` on or off for this session (`mcp_toggle`). Off
    /// closes it and withdraws its tools; on connects it.
    ///
    /// # Errors
    /// Unknown server, or connecting failed.
    pub async fn set_enabled(&self, name: &str, enabled: bool) -> Result<(), McpClientError> {
        {
            let mut slots = self.slots();
            let slot = slots
                .get_mut(name)
                .ok_or_else(|| McpClientError::UnknownServer(name.to_owned()))?;
            match (enabled, &slot.state) {
                (false, _) => slot.state = State::Disabled("disabled for this session".to_owned()),
                (true, State::Disabled(_)) => slot.state = State::Pending,
                (true, _) => return Ok(()),
            }
        }
        self.bump();
        if enabled {
            self.connection(name).await.map(drop)
        } else {
            Ok(())
        }
    }

    /// Sets header `key` (`None`: removes it) on the requests of HTTP or
    /// SSE server `name`, e.g. an `Authorization` bearer token the SDK
    /// injects; the next connection ([`McpManager::reconnect`]) sends it.
    ///
    /// # Errors
    /// Unknown server, or one not reached over HTTP (stdio, SDK).
    pub fn set_header(
        &self,
        name: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), McpClientError> {
        let mut slots = self.slots();
        let slot = slots
            .get_mut(name)
            .ok_or_else(|| McpClientError::UnknownServer(name.to_owned()))?;
        let kind = slot.spec.transport.kind();
        let (TransportSpec::Http { headers, .. } | TransportSpec::Sse { headers, .. }) =
            &mut slot.spec.transport
        else {
            return Err(McpClientError::Unavailable {
                server: name.to_owned(),
                reason: format!("it is a {kind} server; only HTTP and SSE servers take headers"),
            });
        };
        headers.retain(|existing, _| !existing.eq_ignore_ascii_case(key));
        if let Some(value) = value {
            headers.insert(key.to_owned(), value.to_owned());
        }
        Ok(())
    }

    /// Closes every connection (stdio servers are killed).
    pub fn shutdown(&self) {
        for slot in self.slots().values_mut() {
            if let State::Connected(_) = slot.state {
                slot.state = State::Disabled("shut down".to_owned());
            }
        }
    }

    fn slots(&self) -> MutexGuard<'_, BTreeMap<String, Slot>> {
        self.inner
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn bump(&self) {
        self.inner.changes.send_modify(|n| *n += 1);
    }

    /// The server's catalog, if it is configured.
    pub(crate) fn catalog(&self, name: &str) -> Option<Catalog> {
        self.slots().get(name).map(|s| s.catalog.clone())
    }

    /// Catalogs of the servers whose tools are offered: connected ones and
    /// ones that died after connecting (their calls reconnect).
    pub(crate) fn offered(&self) -> Vec<(String, Catalog)> {
        self.slots()
            .iter()
            .filter(|(_, s)| match &s.state {
                State::Connected(_) => true,
                State::Failed(_) => s.catalog.info.is_some(),
                State::Pending | State::Disabled(_) => false,
            })
            .map(|(n, s)| (n.clone(), s.catalog.clone()))
            .collect()
    }

    /// The spec of server `name`.
    pub(crate) fn spec(&self, name: &str) -> Option<ServerSpec> {
        self.slots().get(name).map(|s| s.spec.clone())
    }

    /// A live connection to `name`, (re)connecting when there is none.
    pub(crate) async fn connection(&self, name: &str) -> Result<Arc<Connection>, McpClientError> {
        let (spec, lock) = {
            let slots = self.slots();
            let slot = slots
                .get(name)
                .ok_or_else(|| McpClientError::UnknownServer(name.to_owned()))?;
            match &slot.state {
                State::Connected(c) if c.is_alive() => return Ok(Arc::clone(c)),
                State::Disabled(reason) => {
                    return Err(McpClientError::Unavailable {
                        server: name.to_owned(),
                        reason: reason.clone(),
                    });
                }
                _ => {}
            }
            (slot.spec.clone(), Arc::clone(&slot.connecting))
        };
        let _guard = lock.lock().await;
        // Someone else may have connected (or disabled it) while we waited.
        if let Some(slot) = self.slots().get(name) {
            match &slot.state {
                State::Connected(c) if c.is_alive() => return Ok(Arc::clone(c)),
                State::Disabled(reason) => {
                    return Err(McpClientError::Unavailable {
                        server: name.to_owned(),
                        reason: reason.clone(),
                    });
                }
                _ => {}
            }
        }
        let refresh = self.inner.refresh.clone();
        let server = name.to_owned();
        let on_change: ChangeCallback = Arc::new(move |kind| {
            let _ = refresh.send((server.clone(), kind));
        });
        let startup = self.inner.options.startup_timeout;
        let started = tokio::time::Instant::now();
        let outcome = match connect(
            &spec,
            startup,
            self.inner.options.sdk.as_ref(),
            on_change,
            self.inner.options.elicitor.clone(),
        )
        .await
        {
            Ok(conn) => {
                let left = startup.saturating_sub(started.elapsed());
                match tokio::time::timeout(left, fetch_catalog(&conn, &spec.name)).await {
                    Ok(Ok(catalog)) => Ok((Arc::new(conn), catalog)),
                    Ok(Err(e)) => Err(e),
                    Err(_) => Err(format!(
                        "listing tools took longer than {} ms (MCP_TIMEOUT)",
                        startup.as_millis()
                    )),
                }
            }
            Err(e) => Err(e),
        };
        let result = {
            let mut slots = self.slots();
            let Some(slot) = slots.get_mut(name) else {
                return Err(McpClientError::UnknownServer(name.to_owned()));
            };
            if let State::Disabled(reason) = &slot.state {
                return Err(McpClientError::Unavailable {
                    server: name.to_owned(),
                    reason: reason.clone(),
                });
            }
            match outcome {
                Ok((conn, catalog)) => {
                    slot.state = State::Connected(Arc::clone(&conn));
                    slot.catalog = catalog;
                    Ok(conn)
                }
                Err(reason) => {
                    tracing::warn!(server = name, "MCP server failed: {reason}");
                    slot.state = State::Failed(reason.clone());
                    Err(McpClientError::Unavailable {
                        server: name.to_owned(),
                        reason,
                    })
                }
            }
        };
        self.bump();
        result
    }

    /// Marks `conn` (the connection of `name`) broken so the next use
    /// reconnects; dropping the last reference closes it.
    pub(crate) fn mark_broken(&self, name: &str, conn: &Arc<Connection>, reason: &str) {
        let mut slots = self.slots();
        if let Some(slot) = slots.get_mut(name)
            && let State::Connected(current) = &slot.state
            && Arc::ptr_eq(current, conn)
        {
            slot.state = State::Failed(reason.to_owned());
        }
        drop(slots);
        self.bump();
    }

    /// Runs one request against server `name` with reconnect-on-use,
    /// `timeout` (none: wait), cancellation and failure handling.
    pub(crate) async fn request<T, F, Fut>(
        &self,
        name: &str,
        what: &str,
        timeout: Option<Duration>,
        cancel: Option<&tokio_util::sync::CancellationToken>,
        f: F,
    ) -> Result<T, McpClientError>
    where
        F: FnOnce(Peer<RoleClient>) -> Fut,
        Fut: Future<Output = Result<T, ServiceError>>,
    {
        let conn = self.connection(name).await?;
        let call = f(conn.service.peer().clone());
        let bounded = async {
            match timeout {
                Some(t) => tokio::time::timeout(t, call).await.map_err(|_| t),
                None => Ok(call.await),
            }
        };
        let outcome = match cancel {
            Some(token) => tokio::select! {
                () = token.cancelled() => return Err(McpClientError::Cancelled),
                r = bounded => r,
            },
            None => bounded.await,
        };
        let broken = |reason: String| McpClientError::Broken {
            server: name.to_owned(),
            what: what.to_owned(),
            reason,
        };
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(ServiceError::McpError(e))) => Err(McpClientError::Rejected {
                server: name.to_owned(),
                what: what.to_owned(),
                code: e.code.0,
                message: e.message.into_owned(),
            }),
            Ok(Err(e)) => {
                let tail = conn.stderr_tail();
                let mut reason = crate::client::tidy(&e.to_string());
                if !tail.is_empty() {
                    reason.push_str(&format!(" (server stderr: {tail})"));
                }
                self.mark_broken(name, &conn, &reason);
                Err(broken(reason))
            }
            Err(t) => {
                let reason = format!("no answer within {} ms", t.as_millis());
                self.mark_broken(name, &conn, &reason);
                Err(broken(reason))
            }
        }
    }

    async fn refresh(&self, name: &str, kind: ListKind) {
        let Some(conn) = self.slots().get(name).and_then(|s| match &s.state {
            State::Connected(c) => Some(Arc::clone(c)),
            _ => None,
        }) else {
            return;
        };
        tracing::debug!(server = name, ?kind, "MCP list changed; refreshing");
        let timeout = self.inner.options.startup_timeout;
        match tokio::time::timeout(timeout, fetch_catalog(&conn, name)).await {
            Ok(Ok(catalog)) => {
                if let Some(slot) = self.slots().get_mut(name) {
                    slot.catalog = catalog;
                }
                self.bump();
            }
            Ok(Err(e)) => {
                tracing::warn!(server = name, "refreshing after list_changed failed: {e}")
            }
            Err(_) => tracing::warn!(server = name, "refreshing after list_changed timed out"),
        }
    }
}

impl Connection {
    fn is_alive(&self) -> bool {
        !self.service.is_closed() && !self.service.peer().is_transport_closed()
    }
}
