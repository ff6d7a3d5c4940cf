//! Every failure a call can end in, and its conversion into a JS `Error`.
//!
//! Callers branch on `err.code`:
//! - client-side validation: `INVALID_ARGUMENT`, with `err.field` naming the offending field;
//! - transport failures: the gRPC status name (`UNAVAILABLE`, `DEADLINE_EXCEEDED`, ...);
//! - a failed Milvus status: the Milvus error name (`CollectionNotFound`, ...), with the
//!   status fields copied onto the error (`error_code`, `reason`, `status`).

use napi::bindgen_prelude::{JsObjectValue, Object, ToNapiValue, Unknown};
use napi::Env;
use std::fmt;

use crate::proto::common::{ErrorCode, Status};
use crate::status::status_json;

/// The message of a gRPC failure that carried none.
const NO_MESSAGE: &str = "the call failed";

/// Why a call failed. Messages never contain credentials: requests are not formatted into them.
#[derive(Debug, Clone)]
pub enum ClientError {
    /// The request was refused before anything was sent.
    InvalidArgument { field: String, message: String },
    /// The call did not complete at the gRPC level.
    Transport {
        code: tonic::Code,
        message: String,
        cause: Option<String>,
    },
    /// The server answered with a failed status.
    Server(Status),
    /// A bug or an unexpected answer; never expected in normal use.
    Internal(String),
}

impl ClientError {
    /// `field` is the request path of the bad value; `expected` says what was wanted.
    pub fn invalid_arg(field: impl Into<String>, expected: impl fmt::Display) -> Self {
        let field = field.into();
        let message = format!("{field}: expected {expected}");
        ClientError::InvalidArgument { field, message }
    }

    /// An invalid argument with a free-form message.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ClientError::InvalidArgument {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Prefixes a transport error's message with the RPC it came from.
    pub fn in_method(self, method: &str) -> Self {
        match self {
            ClientError::Transport {
                code,
                message,
                cause,
            } => {
                let message = if code == tonic::Code::Unimplemented && message == NO_MESSAGE {
                    format!("{method}: this server does not implement {method}")
                } else {
                    format!("{method}: {message}")
                };
                ClientError::Transport {
                    code,
                    message,
                    cause,
                }
            }
            other => other,
        }
    }

    /// Says in a transport error's message how often the call was sent, when it was more than
    /// once.
    pub fn after_retries(self, retries: u32, elapsed: std::time::Duration) -> Self {
        match self {
            ClientError::Transport {
                code,
                message,
                cause,
            } if retries > 0 => ClientError::Transport {
                code,
                message: format!(
                    "{message} (sent {} times over {} ms)",
                    retries + 1,
                    elapsed.as_millis()
                ),
                cause,
            },
            other => other,
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ClientError::Internal(message.into())
    }

    /// The stable value of `err.code`.
    pub fn code(&self) -> String {
        match self {
            ClientError::InvalidArgument { .. } => "INVALID_ARGUMENT".into(),
            ClientError::Transport { code, .. } => grpc_code_name(*code).into(),
            ClientError::Server(status) => milvus_error_name(status),
            ClientError::Internal(_) => "INTERNAL".into(),
        }
    }

    /// Builds the JS `Error` that the promise rejects with.
    pub fn into_js(self, env: &Env) -> napi::Error {
        match self.build_js(env) {
            Ok(err) => err,
            Err(e) => e,
        }
    }

    fn build_js(self, env: &Env) -> napi::Result<napi::Error> {
        let code = self.code();
        let mut obj: Object = env.create_error(napi::Error::new(
            napi::Status::GenericFailure,
            self.to_string(),
        ))?;
        obj.set_named_property("code", code)?;
        match &self {
            ClientError::InvalidArgument { field, .. } => {
                obj.set_named_property("field", field.as_str())?;
            }
            ClientError::Server(status) => {
                let json = status_json(status);
                obj.set_named_property("error_code", json["error_code"].clone())?;
                obj.set_named_property("reason", status.reason.as_str())?;
                obj.set_named_property("status", json)?;
            }
            ClientError::Transport {
                cause: Some(cause), ..
            } => {
                obj.set_named_property("cause", cause.as_str())?;
            }
            _ => {}
        }
        // SAFETY: `obj` is a live handle in this env.
        let unknown = unsafe {
            Unknown::from_raw_unchecked(env.raw(), Object::to_napi_value(env.raw(), obj)?)
        };
        Ok(napi::Error::from(unknown))
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::InvalidArgument { message, .. } => write!(f, "{message}"),
            ClientError::Transport {
                code,
                message,
                cause,
            } => {
                write!(f, "{}: {message}", grpc_code_name(*code))?;
                if let Some(cause) = cause {
                    write!(f, "\nCaused by: {cause}")?;
                }
                Ok(())
            }
            ClientError::Server(status) => {
                let reason = if status.reason.is_empty() {
                    "the server gave no reason"
                } else {
                    &status.reason
                };
                write!(f, "{}: {reason}", milvus_error_name(status))
            }
            ClientError::Internal(message) => write!(f, "internal error: {message}"),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<tonic::Status> for ClientError {
    fn from(status: tonic::Status) -> Self {
        use std::error::Error as _;
        // tonic puts the interesting part (refused connection, bad certificate) in the source
        // chain; flatten it into one line.
        let mut chain = Vec::new();
        let mut tls_failure = None;
        let mut source = status.source();
        while let Some(err) = source {
            // Our TLS connector's failures already say what happened: they become the message.
            if let Some(failure) = err.downcast_ref::<crate::tls::TlsFailure>() {
                tls_failure = Some(failure.message.clone());
                break;
            }
            let text = err.to_string();
            if chain.last() != Some(&text) {
                chain.push(text);
            }
            source = err.source();
        }
        if let Some(message) = tls_failure {
            return ClientError::Transport {
                code: tonic::Code::Unavailable,
                message,
                cause: None,
            };
        }
        let message = if status.message().is_empty() {
            NO_MESSAGE.to_string()
        } else {
            status.message().to_string()
        };
        ClientError::Transport {
            code: status.code(),
            message,
            cause: (!chain.is_empty()).then(|| chain.join(": ")),
        }
    }
}

/// `UNAVAILABLE`-style names, as in the gRPC specification.
pub fn grpc_code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Names for Milvus's numeric status codes (`merr`), which newer servers set in `code`.
fn merr_name(code: i32) -> Option<&'static str> {
    Some(match code {
        1 => "ServiceNotReady",
        2 => "ServiceUnavailable",
        3 => "ServiceMemoryLimitExceeded",
        4 => "ServiceRequestLimitExceeded",
        5 => "ServiceInternal",
        8 => "ServiceRateLimit",
        9 => "ServiceQuotaExceeded",
        10 => "ServiceUnimplemented",
        100 => "CollectionNotFound",
        101 => "CollectionNotLoaded",
        102 => "CollectionNumLimitExceeded",
        103 => "CollectionNotFullyLoaded",
        104 => "CollectionLoaded",
        105 => "CollectionIllegalSchema",
        200 => "PartitionNotFound",
        201 => "PartitionNotLoaded",
        202 => "PartitionNotFullyLoaded",
        700 => "IndexNotFound",
        701 => "IndexNotSupported",
        702 => "IndexDuplicate",
        800 => "DatabaseNotFound",
        801 => "DatabaseNumLimitExceeded",
        802 => "DatabaseInvalidName",
        1100 => "ParameterInvalid",
        1101 => "ParameterMissing",
        1102 => "ParameterTooLarge",
        1200 => "MetricNotFound",
        1700 => "FieldNotFound",
        1701 => "FieldInvalidName",
        1800 => "PrivilegeNotAuthenticated",
        1801 => "PrivilegeNotPermitted",
        65535 => "UnexpectedError",
        _ => return None,
    })
}

/// The most specific name a failed status offers: the numeric `code` when known, else the
/// legacy `error_code` enum name.
pub fn milvus_error_name(status: &Status) -> String {
    if let Some(name) = merr_name(status.code) {
        return name.into();
    }
    #[allow(deprecated)]
    let legacy = status.error_code;
    match ErrorCode::try_from(legacy) {
        Ok(code) if code != ErrorCode::Success => code.as_str_name().into(),
        _ => format!("MilvusError{}", status.code),
    }
}

/// True when a status reports failure: either field non-zero (lite 2.5.1 sets only `code`).
pub fn is_failure(status: &Status) -> bool {
    #[allow(deprecated)]
    let legacy = status.error_code;
    legacy != 0 || status.code != 0
}
