//! Milvus `common.Status` in the shape the official SDK resolves with.

use serde_json::{json, Value as Json};

use crate::error::{is_failure, ClientError};
use crate::proto::common::{ErrorCode, Status};

/// `{ extra_info, error_code, reason, code, retriable, detail }`, `error_code` as its enum name.
pub fn status_json(status: &Status) -> Json {
    #[allow(deprecated)]
    let legacy = status.error_code;
    let error_code = ErrorCode::try_from(legacy)
        .map(|c| Json::from(c.as_str_name()))
        .unwrap_or_else(|_| Json::from(legacy));
    json!({
        "extra_info": status.extra_info,
        "error_code": error_code,
        "reason": status.reason,
        "code": status.code,
        "retriable": status.retriable,
        "detail": status.detail,
    })
}

/// The status the server left out of a reply counts as success, as in the official SDK.
pub fn status_or_default(status: Option<Status>) -> Status {
    status.unwrap_or_default()
}

/// Turns a failed status into an error, for the methods that reject rather than resolve.
pub fn ensure_success(status: &Status) -> Result<(), ClientError> {
    if is_failure(status) {
        Err(ClientError::Server(status.clone()))
    } else {
        Ok(())
    }
}
