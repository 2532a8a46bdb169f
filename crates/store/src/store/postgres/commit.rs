//! Committing the writer's batches to PostgreSQL: each write applied only if its record is
//! still at the revision the change was made on, the keys notified to the other nodes in the
//! same transaction, and records read back after a failure or a lost race.

use super::super::backend::Backend;
use super::super::journal::{Job, Op, Reverted};
use super::super::journal::{Rev, Touched};
use super::super::seal::Keyring;
use super::{connect, db_key, describe, load, mem_key, secret_of, snapshot, CHANNEL};
use postgres::{Client, Statement, Transaction};
use std::collections::HashSet;

/// The largest notification payload PostgreSQL takes is 8000 bytes.
const PAYLOAD: usize = 7000;

struct Statements {
    insert_secret: Statement,
    update_secret: Statement,
    delete_secret: Statement,
    delete_values: Statement,
    put_value: Statement,
    keep_values: Statement,
    insert_blob: Statement,
    update_blob: Statement,
    delete_blob: Statement,
    exists_secret: Statement,
    exists_blob: Statement,
    notify: Statement,
    next_seq: Statement,
}

impl Statements {
    fn prepare(c: &mut Client) -> Result<Statements, postgres::Error> {
        Ok(Statements {
            insert_secret: c.prepare(
                "INSERT INTO localemu_secrets VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
            )?,
            update_secret: c.prepare(
                "UPDATE localemu_secrets SET rev = $2, record = $3 WHERE key = $1 AND rev = $4",
            )?,
            delete_secret: c.prepare("DELETE FROM localemu_secrets WHERE key = $1 AND rev = $2")?,
            delete_values: c.prepare("DELETE FROM localemu_values WHERE key = $1")?,
            put_value: c.prepare(
                "INSERT INTO localemu_values VALUES ($1, $2, $3) \
                 ON CONFLICT (key, version) DO UPDATE SET bytes = excluded.bytes",
            )?,
            keep_values: c.prepare(
                "DELETE FROM localemu_values WHERE key = $1 AND NOT (version = ANY($2))",
            )?,
            insert_blob: c.prepare(
                "INSERT INTO localemu_blobs VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
            )?,
            update_blob: c.prepare(
                "UPDATE localemu_blobs SET rev = $2, bytes = $3 WHERE key = $1 AND rev = $4",
            )?,
            delete_blob: c.prepare("DELETE FROM localemu_blobs WHERE key = $1 AND rev = $2")?,
            exists_secret: c.prepare("SELECT 1 FROM localemu_secrets WHERE key = $1")?,
            exists_blob: c.prepare("SELECT 1 FROM localemu_blobs WHERE key = $1")?,
            notify: c.prepare("SELECT pg_notify($1, $2)")?,
            // Taken last, just before the commit: the row lock orders commits, so sequence
            // numbers follow commit order (and the notifications carrying them).
            next_seq: c
                .prepare("UPDATE localemu_commits SET seq = seq + 1 WHERE id = 1 RETURNING seq")?,
        })
    }
}

/// The writer's connection.
pub struct Postgres {
    url: String,
    /// This node's name, carried by its notifications.
    node: String,
    link: Option<(Client, Statements)>,
}

impl Postgres {
    pub fn new(url: &str, node: &str, mut client: Client) -> Result<Self, String> {
        let statements = Statements::prepare(&mut client).map_err(|e| e.to_string())?;
        Ok(Postgres {
            url: url.to_string(),
            node: node.to_string(),
            link: Some((client, statements)),
        })
    }
}

/// Whether a write may be applied: the record is at `expected` (or absent when None).
fn claim(
    tx: &mut Transaction<'_>,
    insert: &Statement,
    update: &Statement,
    key: &str,
    rev: (Option<Rev>, Rev),
    bytes: &[u8],
) -> Result<bool, postgres::Error> {
    let n = match rev.0 {
        None => tx.execute(insert, &[&key, &rev.1, &bytes])?,
        Some(expected) => tx.execute(update, &[&key, &rev.1, &bytes, &expected])?,
    };
    Ok(n == 1)
}

fn release(
    tx: &mut Transaction<'_>,
    delete: &Statement,
    exists: &Statement,
    key: &str,
    expected: Option<Rev>,
) -> Result<bool, postgres::Error> {
    Ok(match expected {
        Some(expected) => tx.execute(delete, &[&key, &expected])? == 1,
        // Not known to be stored: fine as long as nothing is.
        None => tx.query_opt(exists, &[&key])?.is_none(),
    })
}

fn apply(
    tx: &mut Transaction<'_>,
    st: &Statements,
    batch: &[Job],
) -> Result<(Vec<usize>, Vec<String>), postgres::Error> {
    let mut lost = Vec::new();
    let mut notes = Vec::new();
    for (i, job) in batch.iter().enumerate() {
        let rev = job.rev.unwrap_or((None, 0));
        let applied = match &job.op {
            Op::Upsert {
                key,
                record,
                values,
                keep,
                replace,
            } => {
                let k = db_key(key);
                let won = claim(tx, &st.insert_secret, &st.update_secret, &k, rev, record)?;
                if won {
                    if *replace {
                        tx.execute(&st.delete_values, &[&k])?;
                    }
                    for (id, bytes) in values {
                        tx.execute(&st.put_value, &[&k, id, bytes])?;
                    }
                    tx.execute(&st.keep_values, &[&k, keep])?;
                    notes.push(format!("s{} {k}", rev.1));
                }
                won
            }
            Op::Remove { key } => {
                let k = db_key(key);
                let won = release(tx, &st.delete_secret, &st.exists_secret, &k, rev.0)?;
                if won {
                    tx.execute(&st.delete_values, &[&k])?;
                    notes.push(format!("s- {k}"));
                }
                won
            }
            Op::PutBlob { key, bytes } => {
                let k = db_key(key);
                let won = claim(tx, &st.insert_blob, &st.update_blob, &k, rev, bytes)?;
                if won {
                    notes.push(format!("b{} {k}", rev.1));
                }
                won
            }
            Op::RemoveBlob { key } => {
                let k = db_key(key);
                let won = release(tx, &st.delete_blob, &st.exists_blob, &k, rev.0)?;
                if won {
                    notes.push(format!("b- {k}"));
                }
                won
            }
            Op::Clear => {
                tx.batch_execute(
                    "DELETE FROM localemu_values; DELETE FROM localemu_secrets; \
                     DELETE FROM localemu_blobs",
                )?;
                notes.push("*".to_string());
                true
            }
            Op::Invalid { .. } => true,
        };
        if !applied {
            lost.push(i);
        }
    }
    Ok((lost, notes))
}

/// How a batch failed: before its transaction began (nothing was sent), or after.
enum Sent {
    NotBegun(postgres::Error),
    Failed(postgres::Error),
}

/// One transaction: the batch's writes, the next commit number, the notifications.
fn send(
    client: &mut Client,
    st: &Statements,
    node: &str,
    batch: &[Job],
) -> Result<Vec<usize>, Sent> {
    let mut tx = client.transaction().map_err(Sent::NotBegun)?;
    let mut run = || -> Result<Vec<usize>, postgres::Error> {
        let (lost, notes) = apply(&mut tx, st, batch)?;
        if !notes.is_empty() {
            let seq: i64 = tx.query_one(&st.next_seq, &[])?.get(0);
            for payload in chunks(&notes) {
                let payload = format!("#{seq} {node}\n{payload}");
                tx.execute(&st.notify, &[&CHANNEL, &payload])?;
            }
        }
        Ok(lost)
    };
    let lost = run().map_err(Sent::Failed)?;
    tx.commit().map_err(Sent::Failed)?;
    Ok(lost)
}

impl Backend for Postgres {
    fn commit(&mut self, batch: &[Job]) -> Result<Vec<usize>, String> {
        if let Some(Op::Invalid { key, .. }) = batch
            .iter()
            .map(|j| &j.op)
            .find(|op| matches!(op, Op::Invalid { .. }))
        {
            return Err(format!("the record of {key:?} could not be encoded"));
        }
        for fresh in [false, true] {
            let Some((client, st)) = self.link.as_mut() else {
                return Err("not connected to PostgreSQL".to_string());
            };
            match send(client, st, &self.node, batch) {
                // A connection the database dropped while it was idle (a restart) fails
                // before anything is sent: once, on a new one, the batch is simply sent again.
                Err(Sent::NotBegun(_)) if !fresh => {
                    self.link = None;
                    self.reopen()?;
                }
                Err(Sent::NotBegun(e) | Sent::Failed(e)) => return Err(describe(&e)),
                Ok(lost) => return Ok(lost),
            }
        }
        Err("not connected to PostgreSQL".to_string())
    }

    fn close(&mut self) {
        self.link = None;
    }

    fn reopen(&mut self) -> Result<(), String> {
        let mut client = connect(&self.url)?;
        let st = Statements::prepare(&mut client).map_err(|e| e.to_string())?;
        self.link = Some((client, st));
        Ok(())
    }

    fn is_open(&self) -> bool {
        self.link.as_ref().is_some_and(|(c, _)| !c.is_closed())
    }

    fn read_back(
        &mut self,
        keys: &HashSet<Touched>,
        keyring: &Keyring,
    ) -> Result<Reverted, String> {
        let Some((client, _)) = self.link.as_mut() else {
            return Err("not connected to PostgreSQL".to_string());
        };
        read_back(client, keys, keyring)
    }
}

/// Notes joined into payloads PostgreSQL accepts.
fn chunks(notes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for note in notes {
        match out.last_mut() {
            Some(last) if last.len() + note.len() < PAYLOAD => {
                last.push('\n');
                last.push_str(note);
            }
            _ => out.push(note.clone()),
        }
    }
    out
}

/// What the database holds for `keys`, with their revisions.
pub(super) fn read_back(
    client: &mut Client,
    keys: &HashSet<Touched>,
    keyring: &Keyring,
) -> Result<Reverted, String> {
    if keys.contains(&Touched::Everything) {
        return Ok(Reverted {
            everything: Some(load(client)?),
            ..Reverted::default()
        });
    }
    let mut out = Reverted::default();
    let blobs: Vec<String> = keys
        .iter()
        .filter_map(|k| match k {
            Touched::Blob(k) => Some(db_key(k)),
            _ => None,
        })
        .collect();
    let secrets: Vec<String> = keys
        .iter()
        .filter_map(|k| match k {
            Touched::Secret(k) => Some(db_key(k)),
            _ => None,
        })
        .collect();
    let mut tx = snapshot(client)?;
    let q = |e: postgres::Error| e.to_string();
    let mut found = HashSet::new();
    if !blobs.is_empty() {
        for row in tx
            .query(
                "SELECT key, rev, bytes FROM localemu_blobs WHERE key = ANY($1)",
                &[&blobs],
            )
            .map_err(q)?
        {
            let key = mem_key(row.get(0));
            let bytes: Vec<u8> = row.get(2);
            // Key material first: secrets sealed under it may be read just after.
            keyring.load_row(&key, &bytes)?;
            found.insert(Touched::Blob(key.clone()));
            out.revs
                .push((Touched::Blob(key.clone()), Some(row.get(1))));
            out.blobs.push((key, Some(bytes)));
        }
    }
    if !secrets.is_empty() {
        let mut values: std::collections::HashMap<(String, String), Vec<u8>> = tx
            .query(
                "SELECT key, version, bytes FROM localemu_values WHERE key = ANY($1)",
                &[&secrets],
            )
            .map_err(q)?
            .into_iter()
            .map(|row| ((mem_key(row.get(0)), row.get(1)), row.get(2)))
            .collect();
        for row in tx
            .query(
                "SELECT key, rev, record FROM localemu_secrets WHERE key = ANY($1)",
                &[&secrets],
            )
            .map_err(q)?
        {
            let key = mem_key(row.get(0));
            let record: Vec<u8> = row.get(2);
            let (_, secret) = secret_of(&key, &record, keyring, |id| {
                values.remove(&(key.clone(), id.to_string()))
            })?;
            found.insert(Touched::Secret(key.clone()));
            out.revs
                .push((Touched::Secret(key.clone()), Some(row.get(1))));
            out.secrets.push((key, Some(secret)));
        }
    }
    tx.commit().map_err(q)?;
    for key in keys {
        if found.contains(key) {
            continue;
        }
        match key {
            Touched::Secret(k) => out.secrets.push((k.clone(), None)),
            Touched::Blob(k) => out.blobs.push((k.clone(), None)),
            Touched::Everything => continue,
        }
        out.revs.push((key.clone(), None));
    }
    Ok(out)
}
