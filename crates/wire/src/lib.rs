//! LocalEmu's lowest floor: what every layer above shares and nothing below it knows of: the
//! wire vocabulary (tickets, codecs, constraints, query forms), the code generated from the
//! AWS service models (operations, shapes, each service's errors), the error type, the clock,
//! AES-GCM blobs and the HTTP client LocalEmu uses for its own outbound calls.

pub mod clock;
#[cfg(test)]
mod conformance;
pub mod crypto;
pub mod error;
#[allow(
    clippy::all,
    clippy::pedantic,
    reason = "written by `cargo codegen` from the models: its shape follows them, not style lints"
)]
pub mod generated;
pub mod outbound;
pub mod wire;
