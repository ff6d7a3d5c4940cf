//! The retry policy: which failed calls are sent again, and how long to wait in between.
//!
//! A call is sent again only when the failure says the server did not do the work, or when
//! doing it twice leaves the same result:
//! - the connection could not be made (refused, DNS, a TCP connect that timed out), or the
//!   server refused the HTTP/2 stream before reading it: any method;
//! - `UNAVAILABLE` after the request may have reached the server (the connection dropped, a
//!   proxy said it is unavailable): only methods that are safe to repeat (reads, `Upsert`,
//!   `Delete`, `Flush`, load and release), since repeating an `Insert` could store its rows
//!   twice and repeating a `Create...` would answer "already exists";
//! - a Milvus status that says the call was refused for now: rate limited (`RateLimit`, or
//!   code 8) or marked `retriable` by the server: any method.
//!
//! Never retried: TLS and authentication failures, bad arguments, deadlines, `ForceDeny` and
//! every other server error. All attempts share the call's deadline; when the next wait would
//! pass it, the last failure is returned.

use std::time::Duration;

use crate::error::ClientError;
use crate::proto::common::{ErrorCode, Status};
use crate::value::Value;

/// Retries after the first attempt unless `maxRetries` says otherwise (the official SDK's
/// default too).
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// The base of the exponential wait unless `retryDelay` says otherwise.
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_millis(30);
/// No single wait is longer than this, whatever `retryDelay` and the attempt.
const MAX_DELAY: Duration = Duration::from_secs(10);
/// `maxRetries` above this is refused: a loop that long is a bug, not a policy.
const MAX_RETRIES_LIMIT: u32 = 100;
/// Milvus's `code` for "rate limit exceeded" (`merr.ErrServiceRateLimit`).
const RATE_LIMIT_CODE: i32 = 8;

/// How often and how patiently a client sends a call again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts after the first; 0 turns retries off.
    pub max_retries: u32,
    /// The wait before retry `n` is `base_delay * 2^n`, less up to half of it at random.
    pub base_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: DEFAULT_MAX_RETRIES,
            base_delay: DEFAULT_RETRY_DELAY,
        }
    }
}

impl RetryPolicy {
    /// Reads `maxRetries` (a whole number from 0 to 100) and `retryDelay` (milliseconds, or a
    /// string like `'50ms'`), each optional.
    pub fn from_values(
        max_retries: Option<Value>,
        retry_delay: Option<Value>,
    ) -> Result<RetryPolicy, ClientError> {
        let mut policy = RetryPolicy::default();
        match max_retries {
            None | Some(Value::Undefined | Value::Null) => {}
            Some(Value::Number(n))
                if n.fract() == 0.0 && (0.0..=MAX_RETRIES_LIMIT as f64).contains(&n) =>
            {
                policy.max_retries = n as u32;
            }
            Some(other) => {
                return Err(ClientError::invalid_arg(
                    "maxRetries",
                    format!(
                        "a whole number from 0 to {MAX_RETRIES_LIMIT}, got {}",
                        crate::request::describe(&other)
                    ),
                ))
            }
        }
        match retry_delay {
            None | Some(Value::Undefined | Value::Null) => {}
            Some(Value::Number(0.0)) => policy.base_delay = Duration::ZERO,
            Some(v) => {
                let ms = crate::request::parse_duration_ms("retryDelay", &v)?;
                policy.base_delay = Duration::from_millis(ms);
            }
        }
        Ok(policy)
    }

    /// The wait before retry `retry` (1 for the first): `base_delay * 2^retry`, at most
    /// `MAX_DELAY`, less a random part of up to half, so that clients that failed together do
    /// not come back together.
    pub fn delay(&self, retry: u32) -> Duration {
        let full = self
            .base_delay
            .saturating_mul(1u32 << retry.min(20))
            .min(MAX_DELAY);
        full.mul_f64(1.0 - 0.5 * random_fraction())
    }
}

/// A number in [0, 1) that differs between calls; good enough for jitter.
fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// A reply whose Milvus status can ask for a retry.
pub trait Reply {
    fn status(&self) -> Option<&Status>;
}

impl Reply for Status {
    fn status(&self) -> Option<&Status> {
        Some(self)
    }
}

/// Replies that carry their status in a `status` field.
macro_rules! replies_with_status {
    ($($reply:path),* $(,)?) => {
        $(impl Reply for $reply {
            fn status(&self) -> Option<&Status> {
                self.status.as_ref()
            }
        })*
    };
}

replies_with_status!(
    crate::proto::milvus::BoolResponse,
    crate::proto::milvus::CheckHealthResponse,
    crate::proto::milvus::ConnectResponse,
    crate::proto::milvus::DescribeCollectionResponse,
    crate::proto::milvus::DescribeIndexResponse,
    crate::proto::milvus::FlushResponse,
    crate::proto::milvus::GetCollectionStatisticsResponse,
    crate::proto::milvus::GetIndexBuildProgressResponse,
    crate::proto::milvus::GetIndexStateResponse,
    crate::proto::milvus::GetLoadStateResponse,
    crate::proto::milvus::GetLoadingProgressResponse,
    crate::proto::milvus::GetVersionResponse,
    crate::proto::milvus::ListCredUsersResponse,
    crate::proto::milvus::ListPrivilegeGroupsResponse,
    crate::proto::milvus::MutationResult,
    crate::proto::milvus::QueryResults,
    crate::proto::milvus::SearchResults,
    crate::proto::milvus::SelectGrantResponse,
    crate::proto::milvus::SelectRoleResponse,
    crate::proto::milvus::SelectUserResponse,
    crate::proto::milvus::ShowCollectionsResponse,
);

impl Reply for crate::wire::QueryReply {
    fn status(&self) -> Option<&Status> {
        self.0.status.as_ref()
    }
}

/// Whether a reply's status asks for the call to be sent again.
pub fn status_asks_retry(status: &Status) -> bool {
    #[allow(deprecated)]
    let legacy = status.error_code;
    if legacy == ErrorCode::ForceDeny as i32 {
        return false;
    }
    legacy == ErrorCode::RateLimit as i32 || status.code == RATE_LIMIT_CODE || status.retriable
}

/// Whether a gRPC failure of `method` (such as `Insert`) may be sent again.
pub fn transport_allows_retry(status: &tonic::Status, method: &str) -> bool {
    match failure_stage(status) {
        Stage::NotSent => true,
        Stage::Permanent => false,
        Stage::MaybeSent => status.code() == tonic::Code::Unavailable && safe_to_repeat(method),
    }
}

/// How far a failed call got, as far as its error tells.
#[derive(Debug, PartialEq)]
enum Stage {
    /// The request never reached the server: no connection, or the stream was refused.
    NotSent,
    /// The server may have read and acted on the request.
    MaybeSent,
    /// Sending again cannot help (a TLS or configuration failure).
    Permanent,
}

fn failure_stage(status: &tonic::Status) -> Stage {
    use std::error::Error as _;
    let mut connect_failed = false;
    let mut source = status.source();
    while let Some(err) = source {
        if let Some(tls) = err.downcast_ref::<crate::tls::TlsFailure>() {
            return if tls.transient {
                Stage::NotSent
            } else {
                Stage::Permanent
            };
        }
        if err.is::<tonic::ConnectError>() {
            connect_failed = true;
        }
        if let Some(h2) = err.downcast_ref::<h2::Error>() {
            if h2.reason() == Some(h2::Reason::REFUSED_STREAM) {
                return Stage::NotSent;
            }
        }
        source = err.source();
    }
    if connect_failed {
        Stage::NotSent
    } else {
        Stage::MaybeSent
    }
}

/// Methods that leave the same result when the server runs them twice.
fn safe_to_repeat(method: &str) -> bool {
    const PREFIXES: [&str; 9] = [
        "Describe", "Has", "Show", "List", "Get", "Select", "Check", "Load", "Release",
    ];
    const METHODS: [&str; 7] = [
        "Connect",
        "Query",
        "Search",
        "HybridSearch",
        "Upsert",
        "Delete",
        "Flush",
    ];
    PREFIXES.iter().any(|p| method.starts_with(p)) || METHODS.contains(&method)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_and_stay_within_jitter_and_cap() {
        let policy = RetryPolicy::default();
        for retry in 1..=4 {
            let full = DEFAULT_RETRY_DELAY * (1 << retry);
            let d = policy.delay(retry);
            assert!(
                d <= full && d >= full / 2,
                "retry {retry}: {d:?} vs {full:?}"
            );
        }
        assert!(policy.delay(40) <= MAX_DELAY);
        let off = RetryPolicy {
            max_retries: 3,
            base_delay: Duration::ZERO,
        };
        assert_eq!(off.delay(3), Duration::ZERO);
    }

    #[test]
    fn options_are_read_and_checked() {
        let n = |x: f64| Some(Value::Number(x));
        assert_eq!(
            RetryPolicy::from_values(None, None).unwrap(),
            RetryPolicy::default()
        );
        let p = RetryPolicy::from_values(n(0.0), Some(Value::String("1s".into()))).unwrap();
        assert_eq!((p.max_retries, p.base_delay), (0, Duration::from_secs(1)));
        assert_eq!(
            RetryPolicy::from_values(None, n(0.0)).unwrap().base_delay,
            Duration::ZERO
        );
        for bad in [n(-1.0), n(1.5), n(101.0), Some(Value::String("3".into()))] {
            let err = RetryPolicy::from_values(bad, None).unwrap_err();
            assert!(err.to_string().starts_with("maxRetries: expected"), "{err}");
        }
        let err = RetryPolicy::from_values(None, n(-5.0)).unwrap_err();
        assert!(err.to_string().starts_with("retryDelay"), "{err}");
    }

    #[test]
    #[allow(deprecated)]
    fn rate_limits_and_retriable_statuses_ask_for_a_retry() {
        let status = |error_code: ErrorCode, code, retriable| Status {
            error_code: error_code as i32,
            code,
            retriable,
            ..Default::default()
        };
        assert!(status_asks_retry(&status(ErrorCode::RateLimit, 0, false)));
        assert!(status_asks_retry(&status(
            ErrorCode::UnexpectedError,
            8,
            false
        )));
        assert!(status_asks_retry(&status(
            ErrorCode::UnexpectedError,
            1,
            true
        )));
        assert!(!status_asks_retry(&status(ErrorCode::ForceDeny, 9, true)));
        assert!(!status_asks_retry(&status(ErrorCode::Success, 0, false)));
        assert!(!status_asks_retry(&status(
            ErrorCode::CollectionNotExists,
            100,
            false
        )));
    }

    #[test]
    fn unavailable_after_sending_is_retried_only_where_repeating_is_safe() {
        let unavailable = tonic::Status::unavailable("connection reset");
        for method in ["Search", "Query", "DescribeCollection", "Upsert", "Delete"] {
            assert!(transport_allows_retry(&unavailable, method), "{method}");
        }
        for method in ["Insert", "CreateCollection", "RenameCollection", "DropRole"] {
            assert!(!transport_allows_retry(&unavailable, method), "{method}");
        }
        let internal = tonic::Status::internal("boom");
        assert!(!transport_allows_retry(&internal, "Search"));
    }

    #[test]
    fn a_connection_that_was_never_made_is_retried_for_every_method() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let status = tonic::Status::from_error(Box::new(tonic::ConnectError(Box::new(refused))));
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert!(transport_allows_retry(&status, "Insert"));
        let bad_cert = crate::tls::TlsFailure {
            message: "certificate is not trusted".into(),
            transient: false,
        };
        let status = tonic::Status::from_error(Box::new(tonic::ConnectError(Box::new(bad_cert))));
        assert!(!transport_allows_retry(&status, "Search"));
    }
}
