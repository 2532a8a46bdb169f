//! The durable journal: a redb database that one writer thread group-commits, so every
//! acknowledged write is on disk (fsync'd) and concurrent writers share each fsync.

use super::backend::Backend;
use super::embedded::{load, validate, Redb};
use super::format::{check_format, open_database, DB_FILE};
use super::journal::{Health, Job, Loaded, Op, Opener, Reconciler};
use super::seal::Keyring;
use super::writer::Starter;
use redb::Database;
use std::path::Path;
use std::sync::{mpsc, Arc, RwLock, RwLockReadGuard};

pub use crate::wire::Ticket;

/// The journal: changes queued to the writer thread, which commits them to the backend in
/// groups and resolves each change's ticket once it is stored.
pub struct Durable {
    tx: Option<mpsc::Sender<Job>>,
    writer: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Held (shared) by everything that changes memory and journals the change; the writer
    /// holds it exclusively while it puts memory back after a failed commit.
    gate: Arc<RwLock<()>>,
    health: Arc<Health>,
    keyring: Arc<Keyring>,
    progress: Arc<crate::wire::Progress>,
    /// Set for a shared database: revisions checked at commit, the change feed, the lease.
    shared: Option<super::postgres::Shared>,
}

impl Drop for Durable {
    /// Lets the writer finish what was queued and close the database before returning, so
    /// the data directory can be opened again at once.
    fn drop(&mut self) {
        if let Some(shared) = &self.shared {
            shared.stop();
        }
        drop(self.tx.take());
        let writer = self
            .writer
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(writer) = writer {
            let _ = writer.join();
        }
    }
}

impl Durable {
    /// Queues `op`; the ticket resolves when its group commit is on disk.
    pub fn submit(&self, op: Op) -> Ticket {
        let (tx, ticket) = Ticket::pending();
        let rev = self.shared.as_ref().map(|s| s.revisions.advance(&op));
        let sent = self.progress.submit(|n| {
            let job = Job {
                op,
                done: Some(tx),
                rev,
                n,
            };
            self.tx.as_ref().is_some_and(|tx| tx.send(job).is_ok())
        });
        if sent {
            ticket
        } else {
            // The writer is gone: the ticket resolves as failed.
            Ticket::pending().1
        }
    }

    pub fn gate(&self) -> RwLockReadGuard<'_, ()> {
        self.gate
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn health(&self) -> &Health {
        &self.health
    }

    /// How far the writer has got, for reads to check that what they saw was stored.
    pub fn progress(&self) -> &Arc<crate::wire::Progress> {
        &self.progress
    }

    /// The shared database's feed, barrier and lease; None for the embedded file.
    pub fn shared(&self) -> Option<&super::postgres::Shared> {
        self.shared.as_ref()
    }

    /// The key material value rows are sealed with.
    pub fn keyring(&self) -> &Arc<Keyring> {
        &self.keyring
    }

    /// Opens (or creates) the database in `dir` and returns it with every stored secret; the
    /// file is checked in full before anything is written to it.
    pub fn open(dir: &Path) -> Result<Opened, String> {
        let path = dir.join(DB_FILE);
        let loaded = validate(dir)?;
        let db = open_database(dir)?;
        check_format(&db, &path)?;
        let dir = dir.to_path_buf();
        let opener: Opener = Box::new(move || open_database(&dir));
        Ok(Self::start(db, opener, path, loaded))
    }

    /// Opens the database file `path` through `opener` (which is called again to reopen it
    /// after a failed commit), as tests do with a backend that fails on demand.
    pub fn open_with(path: &Path, opener: Opener) -> Result<Opened, String> {
        let db = opener()?;
        check_format(&db, path)?;
        let loaded = load(&db, path)?;
        Ok(Self::start(db, opener, path.to_path_buf(), loaded))
    }

    /// Opens the shared database at `url` (creating or upgrading its tables) with everything
    /// it holds.
    pub fn open_postgres(url: &str) -> Result<Opened, String> {
        let (backend, loaded, shared) = super::postgres::open(url)?;
        Ok(Self::with_backend(Box::new(backend), loaded, Some(shared)))
    }

    fn start(db: Database, opener: Opener, path: std::path::PathBuf, loaded: Loaded) -> Opened {
        let backend = Redb {
            db: Some(db),
            opener,
            path,
        };
        Self::with_backend(Box::new(backend), loaded, None)
    }

    fn with_backend(
        backend: Box<dyn Backend>,
        loaded: Loaded,
        shared: Option<super::postgres::Shared>,
    ) -> Opened {
        let (tx, rx) = mpsc::channel();
        let gate: Arc<RwLock<()>> = Arc::default();
        let health: Arc<Health> = Arc::default();
        let progress: Arc<crate::wire::Progress> = Arc::default();
        let revisions = shared.as_ref().map(|s| s.revisions.clone());
        if let Some(r) = &revisions {
            r.replace_all(loaded.revs.clone());
        }
        let starter = Starter {
            backend,
            rx,
            gate: gate.clone(),
            health: health.clone(),
            keyring: loaded.keyring.clone(),
            revisions,
            progress: progress.clone(),
        };
        let durable = Durable {
            tx: Some(tx),
            writer: std::sync::Mutex::default(),
            gate,
            health,
            keyring: loaded.keyring.clone(),
            progress,
            shared,
        };
        (durable, loaded, starter)
    }

    /// Starts the writer thread (and a shared database's change feed); `reconcile` puts
    /// memory back after a failed commit or a change made by another node. Called once the
    /// store's memory holds what the database held at start-up: the feed's first catch-up
    /// brings that copy up to date, never the other way round.
    pub fn run(&self, starter: Starter, reconcile: Reconciler) -> Result<(), String> {
        if let Some(shared) = &self.shared {
            shared.start(
                starter.gate.clone(),
                self.keyring.clone(),
                reconcile.clone(),
            )?;
        }
        let writer = std::thread::Builder::new()
            .name("localemu-writer".into())
            .spawn(move || super::writer::run(starter, reconcile))
            .map_err(|e| format!("cannot start the database writer: {e}"))?;
        *self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(writer);
        Ok(())
    }
}

/// A journal just opened: the journal, what the database held, and its writer's needs.
pub type Opened = (Durable, Loaded, Starter);
