//! Crash safety: concurrent writers, SIGKILL at random moments, restart, and check that
//! every acknowledged write is there and the stage invariants hold.

use crate::binary::Emu;
use crate::common::*;
use aws_sdk_secretsmanager::Client;
use rand::Rng;
use std::collections::HashMap;

const CYCLES: usize = 12;
const WRITERS: usize = 8;
const NAMES_PER_WRITER: usize = 3;

/// (version id, value) of AWSCURRENT and AWSPREVIOUS; None when the secret does not exist.
type State = Option<((String, String), Option<(String, String)>)>;

/// What one writer knows: acknowledged states, and the state its unanswered request
/// would have produced.
#[derive(Default)]
struct Writer {
    confirmed: HashMap<String, State>,
    in_flight: Option<(String, State)>,
}

async fn step(c: &Client, name: &str, state: &State, rng_pick: u32) -> Result<State, ()> {
    let value = format!("v{rng_pick}");
    match state {
        None => {
            let out = c
                .create_secret()
                .name(name)
                .secret_string(&value)
                .send()
                .await
                .map_err(|_| ())?;
            Ok(Some(((out.version_id.unwrap(), value), None)))
        }
        Some((cur, prev)) => match (rng_pick % 4, prev) {
            (0, Some(p)) => {
                c.update_secret_version_stage()
                    .secret_id(name)
                    .version_stage("AWSCURRENT")
                    .remove_from_version_id(&cur.0)
                    .move_to_version_id(&p.0)
                    .send()
                    .await
                    .map_err(|_| ())?;
                Ok(Some((p.clone(), Some(cur.clone()))))
            }
            (1, _) => {
                c.delete_secret()
                    .secret_id(name)
                    .force_delete_without_recovery(true)
                    .send()
                    .await
                    .map_err(|_| ())?;
                Ok(None)
            }
            _ => {
                let out = c
                    .put_secret_value()
                    .secret_id(name)
                    .secret_string(&value)
                    .send()
                    .await
                    .map_err(|_| ())?;
                Ok(Some(((out.version_id.unwrap(), value), Some(cur.clone()))))
            }
        },
    }
}

/// Writes until the server goes away; returns what was acknowledged and what was not.
async fn write_until_killed(c: Client, mut w: Writer, names: Vec<String>, seed: u64) -> Writer {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    loop {
        let name = &names[rng.random_range(0..names.len())];
        let state = w.confirmed.get(name).cloned().unwrap_or(None);
        let pick: u32 = rng.random();
        let after = step(&c, name, &state, pick).await;
        if let Ok(next) = after {
            w.confirmed.insert(name.clone(), next);
        } else {
            let (_, guess) = (0, simulate(&state, pick));
            w.in_flight = Some((name.clone(), guess));
            return w;
        }
    }
}

/// The state a request would produce, for the one that got no answer. Its version id is
/// unknown, so only values are compared for it.
fn simulate(state: &State, pick: u32) -> State {
    let value = format!("v{pick}");
    match state {
        None => Some(((String::new(), value), None)),
        Some((cur, prev)) => match (pick % 4, prev) {
            (0, Some(p)) => Some((p.clone(), Some(cur.clone()))),
            (1, _) => None,
            _ => Some(((String::new(), value), Some(cur.clone()))),
        },
    }
}

/// Reads a secret's state and checks the stage invariants on the way.
async fn observe(c: &Client, name: &str) -> State {
    let d = match c.describe_secret().secret_id(name).send().await {
        Ok(d) => d,
        Err(e) => {
            let (code, _) = err::<(), _>(Err(e));
            assert_eq!(code, "ResourceNotFoundException");
            return None;
        }
    };
    let map = d.version_ids_to_stages().cloned().unwrap_or_default();
    let holders = |label: &str| -> Vec<String> {
        map.iter()
            .filter(|(_, s)| s.iter().any(|x| x == label))
            .map(|(id, _)| id.clone())
            .collect()
    };
    let current = holders("AWSCURRENT");
    let previous = holders("AWSPREVIOUS");
    assert_eq!(
        current.len(),
        1,
        "{name}: exactly one AWSCURRENT in {map:?}"
    );
    assert!(
        previous.len() <= 1,
        "{name}: at most one AWSPREVIOUS in {map:?}"
    );
    assert!(holders("AWSPENDING").len() <= 1);
    let value_of = |id: String| async move {
        let v = c
            .get_secret_value()
            .secret_id(name)
            .version_id(&id)
            .send()
            .await
            .unwrap();
        (id, v.secret_string.unwrap())
    };
    let cur = value_of(current[0].clone()).await;
    let prev = match previous.first() {
        Some(id) => Some(value_of(id.clone()).await),
        None => None,
    };
    Some((cur, prev))
}

fn same(actual: &State, expected: &State, ids_known: bool) -> bool {
    let strip = |s: &State| {
        s.as_ref()
            .map(|(c, p)| (c.1.clone(), p.as_ref().map(|p| p.1.clone())))
    };
    if ids_known {
        actual == expected
    } else {
        strip(actual) == strip(expected)
    }
}

// On a data directory and on a PostgreSQL database alike.
on_both_stores!(acknowledged_writes_survive_sigkill);

async fn acknowledged_writes_survive_sigkill(at: Backing) {
    let mut writers: Vec<Writer> = (0..WRITERS).map(|_| Writer::default()).collect();
    let mut acked_total = 0usize;
    for cycle in 0..CYCLES {
        let emu = Emu::start_at(&at);
        let mut tasks = Vec::new();
        for (i, w) in writers.drain(..).enumerate() {
            let names = (0..NAMES_PER_WRITER)
                .map(|j| format!("crash/w{i}/s{j}"))
                .collect();
            let seed = (cycle * WRITERS + i) as u64;
            tasks.push(tokio::spawn(write_until_killed(
                emu.client(),
                w,
                names,
                seed,
            )));
        }
        let delay = rand::rng().random_range(50..400);
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
        emu.kill();
        for t in tasks {
            writers.push(t.await.unwrap());
        }

        let emu = Emu::start_at(&at);
        let c = emu.client();
        for w in &mut writers {
            let names: Vec<String> = w.confirmed.keys().cloned().collect();
            for name in names {
                let actual = observe(&c, &name).await;
                let expected = &w.confirmed[&name];
                let unanswered = w.in_flight.as_ref().filter(|(n, _)| *n == name);
                let ok = same(&actual, expected, true)
                    || unanswered.is_some_and(|(_, after)| same(&actual, after, false));
                assert!(ok, "cycle {cycle}: {name} is {actual:?}, acknowledged {expected:?}, unanswered {unanswered:?}");
                acked_total += 1;
                w.confirmed.insert(name, actual);
            }
            w.in_flight = None;
        }
        emu.kill();
    }
    assert!(acked_total > CYCLES, "the writers made progress");
}
