//! The one pipeline every call on the AWS front runs, whatever its protocol: the caller
//! authenticated, the read barrier passed, the operation run, its change settled (the operation
//! run again after a lost race, or the race answered, as the service does), and only then the
//! output handed back, so that what follows a write (its notifications) happens once, after
//! the commit, and never for a change that was not stored.

use super::AppState;
use crate::domain::caller::Caller;
use crate::error::{Error, Modeled};
use crate::wire::{Ack, Outcome, CONFLICT_RETRIES};
use axum::http::request::Parts;
use std::future::Future;

/// A service's error, as the protocol layer renders it.
pub(crate) type Failure = Error<Modeled>;
type Result<T> = std::result::Result<T, Failure>;

/// What a service answers when its change lost a race with another node's write.
#[derive(Clone, Copy)]
pub(crate) enum Lost {
    /// Runs the operation again on the other node's version, as AWS serializes writers.
    RunAgain,
    /// Answers this error (Lambda's answer to concurrent updates of one function).
    Answer(fn() -> Failure),
}

/// A service's part in the pipeline.
pub(crate) struct Entry {
    /// The signing name, which is also the IAM action prefix of every service served here.
    pub service: &'static str,
    /// The error of a change that could not be stored (or a database that did not answer).
    pub unstored: fn() -> Failure,
    /// The code the service answers its own internal failures with (its `ErrorCode::INTERNAL`).
    pub internal: Option<&'static str>,
    /// The member its errors' messages travel in where no shape says (its `ErrorCode::MESSAGE`).
    pub message: &'static str,
    pub lost: Lost,
    /// Whether an answer that changed nothing may be computed again when memory it may have
    /// seen was put back: true where such calls have no effect outside the store. Lambda's
    /// Invoke runs a function and EventBridge's PutEvents delivers to targets: never twice.
    pub again_if_unstored: bool,
}

/// Runs `operation` (its name) for the caller `parts` and `body` authenticate, through `run`;
/// returns the caller with the output of the change once it is committed.
pub(crate) async fn call<O, F>(
    state: &AppState,
    entry: &Entry,
    (parts, body): (&Parts, &[u8]),
    (operation, anonymous_ok): (&str, bool),
    run: impl Fn(Caller) -> F,
) -> Result<(Caller, O)>
where
    F: Future<Output = Result<Ack<O>>>,
{
    let caller = state
        .auth
        .caller(parts, body, entry.service, anonymous_ok)?
        .acting(format!("{}:{operation}", entry.service));
    if !state.barrier.pass().await {
        return Err((entry.unstored)());
    }
    let (mut lost, mut unsure) = (0, 0);
    let progress = state.barrier.progress();
    loop {
        let mark = progress.map(crate::wire::Progress::mark);
        let result = run(caller.clone()).await;
        // An answer that changed nothing is sent only once everything it may have seen is
        // stored: memory changes before its commit, and a change put back after a failed or
        // lost commit never happened.
        if !matches!(&result, Ok(ack) if !ack.ticket.is_ready()) {
            if let (true, Some(p), Some(mark)) = (entry.again_if_unstored, progress, mark) {
                if !p.clean_since(mark, state.barrier.limit()).await {
                    if unsure < CONFLICT_RETRIES {
                        unsure += 1;
                        continue;
                    }
                    return Err((entry.unstored)());
                }
            }
            return result.map(|ack| (caller, ack.output));
        }
        let ack = result?;
        // A failed commit answers with an error; memory was put back to what the database
        // holds before the ticket resolved, so a new attempt starts afresh. No lock is held
        // while waiting.
        match ack.ticket.settle_within(state.barrier.limit()).await {
            Outcome::Committed => return Ok((caller, ack.output)),
            Outcome::Conflict => match entry.lost {
                Lost::RunAgain if lost < CONFLICT_RETRIES => {
                    lost += 1;
                    crate::wire::after_lost_race(lost).await;
                }
                Lost::Answer(error) => return Err(error()),
                Lost::RunAgain => return Err((entry.unstored)()),
            },
            Outcome::Failed => return Err((entry.unstored)()),
        }
    }
}
