//! The one error type every layer returns, carrying an AWS error code and message.

use std::fmt;
use std::sync::Arc;

/// AWS error codes that LocalEmu can answer with. The string form is the wire `__type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
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
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            ResourceNotFoundException => "ResourceNotFoundException",
            InvalidParameterException => "InvalidParameterException",
            InvalidRequestException => "InvalidRequestException",
            InvalidNextTokenException => "InvalidNextTokenException",
            LimitExceededException => "LimitExceededException",
            ResourceExistsException => "ResourceExistsException",
            DecryptionFailure => "DecryptionFailure",
            EncryptionFailure => "EncryptionFailure",
            MalformedPolicyDocumentException => "MalformedPolicyDocumentException",
            PreconditionNotMetException => "PreconditionNotMetException",
            PublicPolicyException => "PublicPolicyException",
            ValidationException => "ValidationException",
            SerializationException => "SerializationException",
            UnknownOperationException => "UnknownOperationException",
            AccessDeniedException => "AccessDeniedException",
            IncompleteSignatureException => "IncompleteSignatureException",
            MissingAuthenticationTokenException => "MissingAuthenticationTokenException",
            RequestEntityTooLargeException => "RequestEntityTooLargeException",
            RequestTimeoutException => "RequestTimeoutException",
            InternalServiceError => "InternalServiceError",
            ResourceConflictException => "ResourceConflictException",
            InvalidParameterValueException => "InvalidParameterValueException",
            InvalidRequestContentException => "InvalidRequestContentException",
            RequestTooLargeException => "RequestTooLargeException",
            TooManyRequestsException => "TooManyRequestsException",
            ServiceException => "ServiceException",
        }
    }

    /// Only server faults are 5xx; AWS answers every client error of this service with 400.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InternalServiceError | ErrorCode::ServiceException => 500,
            ErrorCode::RequestTimeoutException => 408,
            _ => 400,
        }
    }

    /// Lambda's REST-JSON protocol gives each error its own status.
    pub fn rest_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            ResourceNotFoundException => 404,
            ResourceConflictException => 409,
            RequestTooLargeException | RequestEntityTooLargeException => 413,
            AccessDeniedException => 403,
            RequestTimeoutException => 408,
            TooManyRequestsException => 429,
            InternalServiceError | ServiceException => 500,
            _ => 400,
        }
    }
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

    /// Storage and I/O failures surface as this; the detail goes to the log, not the caller.
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::InternalServiceError,
            "An error occurred on the server side.",
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
