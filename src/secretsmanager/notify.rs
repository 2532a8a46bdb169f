//! What Secrets Manager tells the rest of the emulator about: its write operations (as
//! CloudTrail records them) and its service events (rotation, abandoned rotations, version
//! deletion). EventBridge listens through this trait; Secrets Manager knows nothing of it.

use crate::domain::caller::Caller;
use crate::domain::Namespace;

pub trait Notify: Send + Sync {
    /// A write operation `operation` succeeded (committed) with `request` and `response`, the
    /// JSON bodies as sent: parsed only by a listener that has somewhere to send the event.
    fn api_call(&self, caller: &Caller, operation: &str, request: &[u8], response: &[u8]);
    /// A service event `name` (`RotationFailed`, ...) happened to the secret `secret_arn`.
    fn service_event(&self, ns: &Namespace, name: &str, secret_arn: &str);
}

/// Where notifications go: nowhere until the server plugs a listener in.
#[derive(Default)]
pub struct Listener(std::sync::OnceLock<std::sync::Arc<dyn Notify>>);

impl Listener {
    pub fn set(&self, n: std::sync::Arc<dyn Notify>) {
        let _ = self.0.set(n);
    }

    pub fn service_event(&self, ns: &Namespace, name: &str, secret_arn: &str) {
        if let Some(n) = self.0.get() {
            n.service_event(ns, name, secret_arn);
        }
    }

    pub fn api_call(&self, caller: &Caller, operation: &str, request: &[u8], response: &[u8]) {
        if let Some(n) = self.0.get() {
            n.api_call(caller, operation, request, response);
        }
    }
}
