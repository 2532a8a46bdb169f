//! The one error type every layer returns, carrying an AWS error code and message.

use std::fmt;
use std::sync::Arc;

/// A service's modelled error code: generated from its model (`generated::<service>::ErrorCode`),
/// so a handler can only answer with its own service's codes.
pub trait Code: Copy + Eq + fmt::Debug + Send + Sync + 'static {
    /// The code the service answers its own internal failures with, if its model has one.
    const INTERNAL: Option<&'static str>;
    /// The code as it goes on the wire.
    fn as_str(self) -> &'static str;
    /// Its HTTP status, as the model gives it.
    fn status(self) -> u16;
    /// The JSON member the service's errors carry their message in (`message` for KMS,
    /// `Message` for Secrets Manager), for the errors its front end answers itself too.
    const MESSAGE: &'static str;
    /// The member this code's message travels in, as its modelled shape spells it.
    fn message_member(self) -> &'static str {
        Self::MESSAGE
    }
}

/// The errors every AWS front end answers with itself, before or around a service's own
/// operation; each protocol names them its own way ([`Common::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Common {
    /// A request that breaks the model's constraints.
    Validation,
    /// A body that cannot be read as the operation's input.
    Serialization,
    /// A parameter whose value the operation cannot take, beyond what the model constrains
    /// (one of AWS's common errors, STS's session tags among its users).
    InvalidParameterValue,
    UnknownOperation,
    AccessDenied,
    UnrecognizedClient,
    InvalidSignature,
    IncompleteSignature,
    MissingAuthenticationToken,
    ExpiredToken,
    RequestEntityTooLarge,
    RequestTimeout,
    /// A failure of the emulator itself: storage, I/O, a bug. Named as the service names its
    /// internal failures.
    Internal,
}

impl Common {
    /// The wire code in `protocol` (the query protocol names several differently).
    pub fn name(self, protocol: Protocol) -> &'static str {
        let query = protocol == Protocol::Query;
        match self {
            Common::Validation if query => "ValidationError",
            Common::Validation => "ValidationException",
            Common::Serialization => "SerializationException",
            Common::InvalidParameterValue => "InvalidParameterValue",
            Common::UnknownOperation if query => "InvalidAction",
            Common::UnknownOperation => "UnknownOperationException",
            Common::AccessDenied if query => "AccessDenied",
            Common::AccessDenied => "AccessDeniedException",
            Common::UnrecognizedClient if query => "InvalidClientTokenId",
            Common::UnrecognizedClient => "UnrecognizedClientException",
            Common::InvalidSignature if query => "SignatureDoesNotMatch",
            Common::InvalidSignature => "InvalidSignatureException",
            Common::IncompleteSignature if query => "IncompleteSignature",
            Common::IncompleteSignature => "IncompleteSignatureException",
            Common::MissingAuthenticationToken if query => "MissingAuthenticationToken",
            Common::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Common::ExpiredToken => "ExpiredTokenException",
            Common::RequestEntityTooLarge => "RequestEntityTooLargeException",
            Common::RequestTimeout => "RequestTimeoutException",
            Common::Internal => "InternalFailure",
        }
    }

    /// The HTTP status in `protocol`.
    pub fn status(self, protocol: Protocol) -> u16 {
        match (self, protocol) {
            (Common::Internal, _) => 500,
            (Common::RequestTimeout, _) => 408,
            (_, Protocol::Json11 | Protocol::Query) => 400,
            (Common::AccessDenied | Common::MissingAuthenticationToken, Protocol::RestJson) => 403,
            (Common::RequestEntityTooLarge, Protocol::RestJson) => 413,
            (_, Protocol::RestJson) => 400,
        }
    }
}

/// The wire protocols, each with one error renderer in the protocol layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Json11,
    RestJson,
    Query,
}

/// What an error is: one of the service's modelled codes, or one the front end shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind<C> {
    Modeled(C),
    Common(Common),
}

impl<C: Code> Kind<C> {
    /// The wire code as a JSON service of `C` names it (an error inside an answer's body,
    /// such as BatchGetSecretValue's).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Modeled(c) => c.as_str(),
            Kind::Common(Common::Internal) => C::INTERNAL.unwrap_or("InternalFailure"),
            Kind::Common(c) => c.name(Protocol::Json11),
        }
    }
}

/// `e.code == ErrorCode::X` reads as the question it asks.
impl<C: Code> PartialEq<C> for Kind<C> {
    fn eq(&self, other: &C) -> bool {
        matches!(self, Kind::Modeled(c) if c == other)
    }
}

impl<C> PartialEq<Common> for Kind<C> {
    fn eq(&self, other: &Common) -> bool {
        matches!(self, Kind::Common(c) if c == other)
    }
}

/// The code of an error that names no service's code: what the layers below the services
/// (wire, store, policy) can fail with. Uninhabited: only [`Common`] kinds exist for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoService {}

/// A service's code once the protocol layer holds it: its wire name and status, the
/// service's type erased so one renderer serves every service of a protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Modeled {
    pub name: &'static str,
    pub status: u16,
    /// The JSON member its message goes in.
    pub message: &'static str,
}

/// A failed operation: its code plus the message sent as `Message`, and optionally the
/// internal cause, which is logged and never shown to the caller. `C` is the service whose
/// codes it may carry; the default names none.
#[derive(Debug, Clone)]
pub struct Error<C = NoService> {
    pub code: Kind<C>,
    pub message: String,
    pub source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

/// Errors compare by what the caller sees.
impl<C: PartialEq> PartialEq for Error<C> {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code && self.message == other.message
    }
}

impl<C: Eq> Eq for Error<C> {}

impl<C: fmt::Debug> fmt::Display for Error<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Kind::Modeled(c) => write!(f, "{c:?}: {}", self.message),
            Kind::Common(c) => write!(f, "{}: {}", c.name(Protocol::Json11), self.message),
        }
    }
}

impl<C: fmt::Debug> std::error::Error for Error<C> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failure of the layers below lifts into any service's error as it is.
impl<C: Code> From<Error<NoService>> for Error<C> {
    fn from(e: Error<NoService>) -> Self {
        e.lift()
    }
}

/// A service's error as the protocol layer renders it.
impl<C: Code> From<Error<C>> for Error<Modeled> {
    fn from(e: Error<C>) -> Self {
        let code = match e.code {
            Kind::Common(c) => Kind::Common(c),
            Kind::Modeled(c) => Kind::Modeled(Modeled {
                name: c.as_str(),
                status: c.status(),
                message: c.message_member(),
            }),
        };
        Error {
            code,
            message: e.message,
            source: e.source,
        }
    }
}

impl From<Error<NoService>> for Error<Modeled> {
    fn from(e: Error<NoService>) -> Self {
        e.lift()
    }
}

impl Error<NoService> {
    /// The same error for any service: it can only be one of the shared kinds.
    fn lift<D>(self) -> Error<D> {
        let code = match self.code {
            Kind::Common(c) => Kind::Common(c),
            Kind::Modeled(never) => match never {},
        };
        Error {
            code,
            message: self.message,
            source: self.source,
        }
    }
}

/// How a service names what every front end shares: its protocol, and the code it answers
/// its own internal failures with (None: the protocol's `InternalFailure`).
#[derive(Debug, Clone, Copy)]
pub struct Naming {
    pub protocol: Protocol,
    pub internal: Option<&'static str>,
}

impl Error<Modeled> {
    /// The wire code as the service names it.
    pub fn name(&self, naming: Naming) -> &'static str {
        match self.code {
            Kind::Modeled(m) => m.name,
            Kind::Common(Common::Internal) => naming
                .internal
                .unwrap_or(Common::Internal.name(naming.protocol)),
            Kind::Common(c) => c.name(naming.protocol),
        }
    }

    pub fn status(&self, naming: Naming) -> u16 {
        match self.code {
            Kind::Modeled(m) => m.status,
            Kind::Common(c) => c.status(naming.protocol),
        }
    }
}

impl<C: Code> Error<C> {
    pub fn new(code: C, message: impl Into<String>) -> Self {
        Error {
            code: Kind::Modeled(code),
            message: message.into(),
            source: None,
        }
    }

    /// Another service's error met in-process (KMS's refusal inside Secrets Manager, a
    /// Secrets Manager error inside a stack): the shared kinds pass, the other service's
    /// codes become an internal failure of this one unless the caller maps them first.
    #[must_use]
    pub fn from_other<D: Code>(e: Error<D>) -> Self {
        let code = match e.code {
            Kind::Common(c) => Kind::Common(c),
            Kind::Modeled(_) => Kind::Common(Common::Internal),
        };
        let message = if code == Common::Internal {
            "An error occurred on the server side.".to_string()
        } else {
            e.message.clone()
        };
        let cause = e.to_string();
        Error {
            code,
            message,
            source: Some(Arc::new(std::io::Error::other(cause))),
        }
    }
}

impl<C> Error<C> {
    /// One of the errors every front end shares.
    pub fn common(code: Common, message: impl Into<String>) -> Self {
        Error {
            code: Kind::Common(code),
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the internal cause: logged with the error, never sent.
    #[must_use]
    pub fn because(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(cause));
        self
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::common(Common::Validation, message)
    }

    pub fn serialization(message: impl Into<String>) -> Self {
        Self::common(Common::Serialization, message)
    }

    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::common(Common::AccessDenied, message)
    }

    pub fn unknown_operation() -> Self {
        Self::common(
            Common::UnknownOperation,
            "The requested operation is not recognized by the service.",
        )
    }

    /// Storage and I/O failures surface as this; the detail goes to the log (attach it with
    /// [`Error::because`]), not to the caller.
    pub fn internal() -> Self {
        Self::common(Common::Internal, "An error occurred on the server side.")
    }

    /// A change refused while the database cannot take writes.
    pub fn unwritable() -> Self {
        Self::common(
            Common::Internal,
            "LocalEmu cannot write to its database (see its log); changes are refused until it can.",
        )
    }
}

/// Secrets Manager's errors that several of its modules (and its domain) answer with.
impl Error<crate::generated::secretsmanager::ErrorCode> {
    pub fn not_found() -> Self {
        Self::new(
            SmCode::ResourceNotFoundException,
            "Secrets Manager can't find the specified secret.",
        )
    }

    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(SmCode::InvalidParameterException, message)
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(SmCode::InvalidRequestException, message)
    }

    pub fn marked_for_deletion() -> Self {
        Self::invalid_request(
            "You can't perform this operation on the secret because it was marked for deletion.",
        )
    }

    pub fn missing_token() -> Self {
        Self::invalid_request(
            "You must provide a ClientRequestToken value. We recommend a UUID-type value.",
        )
    }

    pub fn invalid_next_token() -> Self {
        Self::new(
            SmCode::InvalidNextTokenException,
            "The NextToken value is invalid.",
        )
    }
}

use crate::generated::secretsmanager::ErrorCode as SmCode;

/// An I/O failure is internal unless a caller maps it to something the client may see.
impl<C> From<std::io::Error> for Error<C> {
    fn from(e: std::io::Error) -> Self {
        Error::internal().because(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::{lambda, secretsmanager as sm, sts};

    const JSON: Naming = Naming {
        protocol: Protocol::Json11,
        internal: Some("InternalServiceError"),
    };
    const REST: Naming = Naming {
        protocol: Protocol::RestJson,
        internal: Some("ServiceException"),
    };
    const QUERY: Naming = Naming {
        protocol: Protocol::Query,
        internal: None,
    };

    #[test]
    fn statuses_come_from_the_model_then_the_protocol() {
        let sm: Error<Modeled> = sm::Error::not_found().into();
        assert_eq!(
            (sm.name(JSON), sm.status(JSON)),
            ("ResourceNotFoundException", 400)
        );
        let lambda: Error<Modeled> =
            lambda::Error::new(lambda::ErrorCode::ResourceNotFoundException, "x").into();
        assert_eq!(lambda.status(REST), 404);
        let denied: Error<Modeled> = Error::<NoService>::access_denied("no").into();
        assert_eq!(denied.status(JSON), 400);
        assert_eq!(denied.status(REST), 403);
        let internal = Error::<Modeled>::internal();
        assert_eq!(
            (internal.name(JSON), internal.status(JSON)),
            ("InternalServiceError", 500)
        );
        assert_eq!(internal.name(REST), "ServiceException");
        assert_eq!(internal.name(QUERY), "InternalFailure");
        let sts: Error<Modeled> =
            sts::Error::new(sts::ErrorCode::MalformedPolicyDocument, "bad").into();
        assert_eq!(sts.name(QUERY), "MalformedPolicyDocument");
    }

    #[test]
    fn query_names_the_shared_errors_its_own_way() {
        let v = Error::<Modeled>::validation("v");
        assert_eq!(v.name(JSON), "ValidationException");
        assert_eq!(v.name(QUERY), "ValidationError");
        assert_eq!(
            Common::InvalidSignature.name(Protocol::Query),
            "SignatureDoesNotMatch"
        );
        assert_eq!(
            Common::UnknownOperation.name(Protocol::Query),
            "InvalidAction"
        );
    }

    #[test]
    fn another_services_code_becomes_an_internal_failure() {
        let kms = crate::generated::kms::Error::new(
            crate::generated::kms::ErrorCode::NotFoundException,
            "secret detail",
        );
        let e = sm::Error::from_other(kms);
        assert_eq!(e.code, Common::Internal);
        assert!(!e.message.contains("secret detail"));
        let denied = sm::Error::from_other(crate::generated::kms::Error::access_denied("no"));
        assert_eq!(denied.code, Common::AccessDenied);
    }

    #[test]
    fn the_cause_is_kept_but_not_displayed() {
        let e: Error = std::io::Error::other("disk on fire").into();
        assert_eq!(e.code, Common::Internal);
        assert!(!e.to_string().contains("disk on fire"));
        let cause = std::error::Error::source(&e).map(ToString::to_string);
        assert_eq!(cause.as_deref(), Some("disk on fire"));
    }
}
