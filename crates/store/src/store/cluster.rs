//! What the store offers when several nodes share a PostgreSQL database: the read barrier,
//! the background lease, which nodes are alive, and the database's state for health.

use super::{postgres, Store};
use std::sync::Arc;

impl Store {
    /// What a shared database holds under `key` now (another node may have stored it since
    /// start-up); None without one.
    pub fn stored_blob(&self, key: &str) -> Option<Vec<u8>> {
        let shared = self.shared()?;
        let row = postgres::stored_blob(shared.url(), key)
            .map_err(|e| tracing::error!(error = %e, %key, "cannot read a record"))
            .ok()
            .flatten()?;
        self.journal
            .as_ref()?
            .keyring()
            .open_record(key, &row)
            .map_err(|e| tracing::error!(error = %e, %key, "cannot read a record"))
            .ok()
    }

    /// A KMS key's material as a shared database holds it now (another node made the key and
    /// its notification is still on its way), taken into the keyring; None without one.
    pub fn fetch_key_material(&self, key_id: &str) -> Option<Vec<u8>> {
        let shared = self.shared()?;
        let keyring = self.journal.as_ref()?.keyring();
        let key = format!("{}{key_id}", super::seal::MATERIAL_PREFIX);
        let row = postgres::stored_blob(shared.url(), &key)
            .map_err(|e| tracing::error!(error = %e, "cannot read a key's material"))
            .ok()
            .flatten()?;
        keyring
            .load_row(&key, &row)
            .map_err(|e| tracing::error!(error = %e, "cannot read a key's material"))
            .ok()?;
        keyring.get(key_id).map(|m| m.as_ref().clone())
    }

    /// Whether other nodes may share this store's database.
    pub fn is_shared(&self) -> bool {
        self.shared().is_some()
    }

    pub(super) fn shared(&self) -> Option<&postgres::Shared> {
        self.journal.as_ref().and_then(|j| j.shared())
    }

    /// What a request waits on before it runs: with a shared database, until this node has
    /// every change acknowledged before the request came (see [`postgres`]).
    pub fn barrier(self: &Arc<Self>) -> crate::wire::Barrier {
        let progress = self.journal.as_ref().map(|j| j.progress().clone());
        if self.shared().is_none() {
            return crate::wire::Barrier::new(None, self.wait).with_progress(progress);
        }
        let weak = Arc::downgrade(self);
        let wait: Arc<dyn Fn() -> tokio::sync::oneshot::Receiver<bool> + Send + Sync> =
            Arc::new(move || {
                match weak.upgrade() {
                    // Memory may hold changes a failed commit left until they are put back.
                    Some(store) if store.writable() => match store.shared() {
                        Some(shared) => shared.feed.barrier(),
                        None => ready(true),
                    },
                    _ => ready(false),
                }
            });
        crate::wire::Barrier::new(Some(wait), self.wait).with_progress(progress)
    }

    /// How long a request waits for the database (its barrier, then its commit) at most.
    #[must_use]
    pub fn waiting_at_most(mut self, limit: std::time::Duration) -> Store {
        self.wait = limit;
        self
    }

    /// Whether this node runs the work that must happen once however many nodes share the
    /// database: always, unless another node holds the lease.
    pub fn leads(&self) -> bool {
        self.shared().is_none_or(|s| s.lease.held())
    }

    /// This node's name among those sharing the database; None without one.
    pub fn node(&self) -> Option<String> {
        self.shared().map(|s| s.node().to_string())
    }

    /// The nodes sharing the database that are alive; None without one.
    pub fn live_nodes(&self) -> Option<std::collections::HashSet<String>> {
        self.shared().map(|s| s.lease.live())
    }

    /// The shared database's state, for the health answer; None for the embedded store.
    pub fn database(&self) -> Option<serde_json::Value> {
        let shared = self.shared()?;
        Some(serde_json::json!({
            "engine": "postgresql",
            "connected": shared.feed.following() && self.writable(),
            "node": shared.node(),
            "leader": shared.lease.held(),
        }))
    }
}

fn ready(v: bool) -> tokio::sync::oneshot::Receiver<bool> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let _ = tx.send(v);
    rx
}
