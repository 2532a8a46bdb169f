//! Other services' records between the database and their services: those found at start-up
//! kept (and kept current) until their service claims its prefix, then every later version the
//! database holds handed to that service.

use std::collections::HashMap;

/// Called with a record key of a service and what the database holds for it (None: nothing),
/// after a failed commit or another node's change, so that service can put its memory back.
pub type BlobReverter = Box<dyn Fn(&str, Option<Vec<u8>>) + Send + Sync>;

/// Who receives each record; one lock orders claims against the changes arriving meanwhile.
#[derive(Default)]
pub(super) struct Blobs {
    /// Records of prefixes nobody claimed yet, as the database holds them now: what start-up
    /// found, changed since by the feed. A service claiming later must not get an older copy
    /// than the revision the store records for it.
    unclaimed: HashMap<String, Vec<u8>>,
    /// Claimed prefixes, with the service that puts their records back (None: nobody keeps
    /// them in memory).
    claimed: Vec<(String, Option<BlobReverter>)>,
}

impl Blobs {
    pub(super) fn new(found: Vec<(String, Vec<u8>)>) -> Blobs {
        Blobs {
            unclaimed: found.into_iter().collect(),
            claimed: Vec::new(),
        }
    }

    /// Takes the records under `prefix` (in key order) and sends every later change under it
    /// to `reverter`.
    pub(super) fn claim(
        &mut self,
        prefix: &str,
        reverter: Option<BlobReverter>,
    ) -> Vec<(String, Vec<u8>)> {
        let mut taken: Vec<(String, Vec<u8>)> = self
            .unclaimed
            .extract_if(|k, _| k.starts_with(prefix))
            .collect();
        taken.sort_by(|a, b| a.0.cmp(&b.0));
        self.claimed.push((prefix.to_string(), reverter));
        taken
    }

    /// The database now holds `stored` under `key`: its service puts it in memory, or it is
    /// kept for the service that will claim it.
    pub(super) fn stored(&mut self, key: &str, stored: Option<Vec<u8>>) {
        match self
            .claimed
            .iter()
            .find(|(p, _)| key.starts_with(p.as_str()))
        {
            Some((_, Some(reverter))) => reverter(key, stored),
            Some((_, None)) => {}
            None => match stored {
                Some(bytes) => {
                    self.unclaimed.insert(key.to_string(), bytes);
                }
                None => {
                    self.unclaimed.remove(key);
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    type Log = Arc<Mutex<Vec<(String, Option<Vec<u8>>)>>>;

    #[test]
    fn changes_before_a_claim_reach_the_claimer_and_later_ones_its_reverter() {
        let mut b = Blobs::new(vec![("a\0x".into(), b"old".to_vec())]);
        b.stored("a\0x", Some(b"newer".to_vec()));
        b.stored("a\0y", Some(b"made elsewhere".to_vec()));
        b.stored("a\0z", None);
        let seen: Log = Arc::default();
        let log = seen.clone();
        let taken = b.claim(
            "a\0",
            Some(Box::new(move |k, v| {
                log.lock().unwrap().push((k.to_string(), v));
            })),
        );
        assert_eq!(
            taken,
            [
                ("a\0x".to_string(), b"newer".to_vec()),
                ("a\0y".to_string(), b"made elsewhere".to_vec())
            ]
        );
        b.stored("a\0x", None);
        assert_eq!(*seen.lock().unwrap(), [("a\0x".to_string(), None)]);
        // A prefix claimed without a reverter drops its changes.
        b.claim("s\0", None);
        b.stored("s\0k", Some(vec![1]));
        assert!(b.claim("s\0", None).is_empty());
    }
}
