//! The one error type every layer returns, carrying an AWS error code and message.

use std::fmt;
use std::sync::Arc;

/// Declares the codes with their wire names (the variant's own name).
macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// AWS error codes that LocalEmu can answer with. The string form is the wire code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode {
            $($(#[$doc])* $name,)*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => stringify!($name),)*
                }
            }
        }
    };
}

codes! {
    // Secrets Manager's, and those every JSON front end shares.
    ResourceNotFoundException,
    InvalidParameterException,
    InvalidRequestException,
    InvalidNextTokenException,
    LimitExceededException,
    ResourceExistsException,
    DecryptionFailure,
    EncryptionFailure,
    MalformedPolicyDocumentException,
    PreconditionNotMetException,
    PublicPolicyException,
    ValidationException,
    SerializationException,
    UnknownOperationException,
    AccessDeniedException,
    IncompleteSignatureException,
    MissingAuthenticationTokenException,
    RequestEntityTooLargeException,
    RequestTimeoutException,
    InternalServiceError,
    // Lambda's REST-JSON errors.
    ResourceConflictException,
    InvalidParameterValueException,
    InvalidRequestContentException,
    RequestTooLargeException,
    TooManyRequestsException,
    ServiceException,
    // Authentication, as JSON services (first four) and query services (last three) name it.
    UnrecognizedClientException,
    InvalidSignatureException,
    ExpiredTokenException,
    InvalidClientTokenId,
    SignatureDoesNotMatch,
    IncompleteSignature,
    MissingAuthenticationToken,
    // STS's query errors.
    ValidationError,
    InvalidAction,
    MalformedPolicyDocument,
    InvalidIdentityToken,
    // KMS's errors.
    NotFoundException,
    DisabledException,
    KMSInvalidStateException,
    InvalidCiphertextException,
    IncorrectKeyException,
    AlreadyExistsException,
    InvalidAliasNameException,
    InvalidArnException,
    InvalidKeyUsageException,
    InvalidMarkerException,
    TagException,
    UnsupportedOperationException,
    KMSInternalException,
    // SSM Parameter Store's errors.
    ParameterNotFound,
    ParameterAlreadyExists,
    ParameterVersionNotFound,
    ParameterLimitExceeded,
    ParameterMaxVersionLimitExceeded,
    ParameterPatternMismatchException,
    InvalidAllowedPatternException,
    HierarchyLevelLimitExceededException,
    HierarchyTypeMismatchException,
    UnsupportedParameterType,
    InvalidKeyId,
    ParameterVersionLabelLimitExceeded,
    InvalidFilterKey,
    InvalidFilterOption,
    InvalidFilterValue,
    InvalidResourceType,
    InvalidResourceId,
    TooManyTagsError,
    InvalidNextToken,
    InternalServerError,
    // CloudFormation's query errors.
    ChangeSetNotFound,
    InsufficientCapabilitiesException,
    InvalidChangeSetStatus,
    // EventBridge's errors.
    ResourceAlreadyExistsException,
    InvalidEventPatternException,
    ConcurrentModificationException,
    InternalException,
}

impl ErrorCode {
    /// The HTTP status of this code as a service answers it: the status its model gives
    /// (`modeled`, generated from the model), else the protocol's default for the errors
    /// every AWS front end shares.
    pub fn status(self, modeled: &[(&str, u16)], protocol: Protocol) -> u16 {
        use ErrorCode::{
            AccessDeniedException, InternalServiceError, MissingAuthenticationTokenException,
            RequestEntityTooLargeException, RequestTimeoutException, ServiceException,
            TooManyRequestsException,
        };
        if let Some((_, status)) = modeled.iter().find(|(code, _)| *code == self.as_str()) {
            return *status;
        }
        match (self, protocol) {
            (InternalServiceError | ServiceException, _) => 500,
            (RequestTimeoutException, _) => 408,
            // JSON 1.1 and query services answer every other client error with 400.
            (_, Protocol::Json11 | Protocol::Query) => 400,
            (AccessDeniedException | MissingAuthenticationTokenException, Protocol::RestJson) => {
                403
            }
            (RequestEntityTooLargeException, Protocol::RestJson) => 413,
            (TooManyRequestsException, Protocol::RestJson) => 429,
            (_, Protocol::RestJson) => 400,
        }
    }
}

/// The wire protocols, each with one error renderer in `crate::protocol::render`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Json11,
    RestJson,
    Query,
}

/// A failed operation: an AWS code plus the message sent as `Message`, and optionally the
/// internal cause, which is logged and never shown to the caller.
#[derive(Debug, Clone)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    pub source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

/// Errors compare by what the caller sees.
impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code && self.message == other.message
    }
}

impl Eq for Error {}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
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

    pub fn not_found() -> Self {
        Self::new(
            ErrorCode::ResourceNotFoundException,
            "Secrets Manager can't find the specified secret.",
        )
    }

    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameterException, message)
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequestException, message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationException, message)
    }

    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::SerializationException, message)
    }

    /// Storage and I/O failures surface as this; the detail goes to the log (attach it with
    /// [`Error::because`]), not to the caller.
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::InternalServiceError,
            "An error occurred on the server side.",
        )
    }

    /// A change refused while the database cannot take writes; `code` is the service's own
    /// internal-failure code.
    pub fn unwritable(code: ErrorCode) -> Self {
        Self::new(
            code,
            "LocalEmu cannot write to its database (see its log); changes are refused until it can.",
        )
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
            ErrorCode::InvalidNextTokenException,
            "The NextToken value is invalid.",
        )
    }
}

/// An I/O failure is internal unless a caller maps it to something the client may see.
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::internal().because(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::{cloudformation, events, kms, lambda, secretsmanager, ssm, sts};

    /// Codes no service model lists: the ones every AWS front end answers with.
    const PROTOCOL_CODES: [ErrorCode; 16] = [
        ErrorCode::UnrecognizedClientException,
        ErrorCode::InvalidSignatureException,
        ErrorCode::InvalidClientTokenId,
        ErrorCode::SignatureDoesNotMatch,
        ErrorCode::IncompleteSignature,
        ErrorCode::MissingAuthenticationToken,
        ErrorCode::ValidationError,
        ErrorCode::InvalidAction,
        ErrorCode::ValidationException,
        ErrorCode::SerializationException,
        ErrorCode::UnknownOperationException,
        ErrorCode::AccessDeniedException,
        ErrorCode::IncompleteSignatureException,
        ErrorCode::MissingAuthenticationTokenException,
        ErrorCode::RequestEntityTooLargeException,
        ErrorCode::RequestTimeoutException,
    ];

    #[test]
    fn every_code_is_modelled_or_a_protocol_error() {
        for code in ErrorCode::ALL {
            let modelled = secretsmanager::ERRORS
                .iter()
                .chain(lambda::ERRORS.iter())
                .chain(sts::ERRORS.iter())
                .chain(kms::ERRORS.iter())
                .chain(ssm::ERRORS.iter())
                .chain(cloudformation::ERRORS.iter())
                .chain(events::ERRORS.iter())
                .any(|(c, _)| *c == code.as_str());
            assert!(
                modelled || PROTOCOL_CODES.contains(code),
                "{code:?} is neither in a served model nor a protocol error"
            );
        }
    }

    #[test]
    fn statuses_come_from_the_model_first() {
        let not_found = ErrorCode::ResourceNotFoundException;
        assert_eq!(
            not_found.status(&secretsmanager::ERRORS, Protocol::Json11),
            400
        );
        assert_eq!(not_found.status(&lambda::ERRORS, Protocol::RestJson), 404);
        let denied = ErrorCode::AccessDeniedException;
        assert_eq!(
            denied.status(&secretsmanager::ERRORS, Protocol::Json11),
            400
        );
        assert_eq!(denied.status(&lambda::ERRORS, Protocol::RestJson), 403);
        assert_eq!(
            ErrorCode::InternalServiceError.status(&secretsmanager::ERRORS, Protocol::Json11),
            500
        );
    }

    #[test]
    fn the_cause_is_kept_but_not_displayed() {
        let e: Error = std::io::Error::other("disk on fire").into();
        assert_eq!(e.code, ErrorCode::InternalServiceError);
        assert!(!e.to_string().contains("disk on fire"));
        let cause = std::error::Error::source(&e).map(ToString::to_string);
        assert_eq!(cause.as_deref(), Some("disk on fire"));
    }
}
