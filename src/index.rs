//! Index methods: create, describe, list and drop.

use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi::Env;
use napi_derive::napi;
use serde_json::{json, Value as Json};
use std::time::Duration;

use crate::client::MilvusClient;
use crate::connection::Connection;
use crate::error::{is_failure, ClientError};
use crate::output::Out;
use crate::proto::common::{IndexState, KeyValuePair, Status};
use crate::proto::milvus::{
    CreateIndexRequest, DescribeIndexRequest, DescribeIndexResponse, DropIndexRequest,
};
use crate::request::{key_values, Req};
use crate::schema::kv_json;
use crate::status::{status_json, status_or_default};
use crate::value::Value;

#[napi]
impl MilvusClient {
    /// Creates an index: `{ collection_name, field_name, index_type?, metric_type?, params?,
    /// index_name? }`, or an array of them. Resolves with the status (the first failed one).
    #[napi(
        ts_args_type = "data: CreateIndexReq | CreateIndexReq[]",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn create_index<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let items: Vec<&Value> = match &args {
                Value::Array(items) if !items.is_empty() => items.iter().collect(),
                other => vec![other],
            };
            let mut first: Option<Status> = None;
            for (i, item) in items.iter().enumerate() {
                let req = Req::new(item)?;
                let path = if matches!(args, Value::Array(_)) {
                    format!("[{i}]")
                } else {
                    String::new()
                };
                let mut message = index_request(&path, &req.str("collection_name")?, item)?;
                message.db_name = req.db_name()?;
                let status = create_index_one(&conn, message, req.timeout()?).await?;
                if first.is_none() || is_failure(&status) && !first.as_ref().is_some_and(is_failure)
                {
                    first = Some(status);
                }
            }
            Ok(status_json(&first.unwrap_or_default()))
        })
    }

    /// `{ status, index_descriptions: [{ index_name, indexID, params, field_name,
    /// indexed_rows, total_rows, state, ... }] }`.
    #[napi(
        ts_args_type = "data: DescribeIndexReq",
        ts_return_type = "Promise<DescribeIndexResponse>"
    )]
    pub fn describe_index<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let res = describe_index(&conn, &Req::new(&args)?).await?;
            let descriptions: Vec<Json> = res
                .index_descriptions
                .iter()
                .map(|d| {
                    json!({
                        "index_name": d.index_name,
                        "indexID": d.index_id.to_string(),
                        "params": kv_json(&d.params),
                        "field_name": d.field_name,
                        "indexed_rows": d.indexed_rows.to_string(),
                        "total_rows": d.total_rows.to_string(),
                        "state": IndexState::try_from(d.state).map(|s| s.as_str_name()).unwrap_or("None"),
                        "index_state_fail_reason": d.index_state_fail_reason,
                        "pending_index_rows": d.pending_index_rows.to_string(),
                        "min_index_version": d.min_index_version,
                        "max_index_version": d.max_index_version,
                    })
                })
                .collect();
            Ok(json!({
                "status": status_json(&status_or_default(res.status)),
                "index_descriptions": descriptions,
            }))
        })
    }

    /// `{ status, indexes }`: the names of the collection's indexes.
    #[napi(
        ts_args_type = "data: DescribeIndexReq",
        ts_return_type = "Promise<ListIndexesResponse>"
    )]
    pub fn list_indexes<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let res = describe_index(&conn, &Req::new(&args)?).await?;
            let names: Vec<&str> = res
                .index_descriptions
                .iter()
                .map(|d| d.index_name.as_str())
                .collect();
            Ok(json!({
                "status": status_json(&status_or_default(res.status.clone())),
                "indexes": names,
            }))
        })
    }

    /// Drops the index on `field_name` (or named `index_name`); resolves with the status.
    #[napi(
        ts_args_type = "data: DropIndexReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn drop_index<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            let message = DropIndexRequest {
                db_name: req.db_name()?,
                collection_name: req.str("collection_name")?,
                field_name: req.opt_str("field_name")?.unwrap_or_default(),
                index_name: req.opt_str("index_name")?.unwrap_or_default(),
                ..Default::default()
            };
            let status = conn
                .call(message, req.timeout()?, |mut c, r| async move {
                    c.drop_index(r).await
                })
                .await?;
            Ok(status_json(&status))
        })
    }
}

/// Builds a CreateIndexRequest from an index object; `path` prefixes field names in errors.
pub fn index_request(
    path: &str,
    collection: &str,
    v: &Value,
) -> Result<CreateIndexRequest, ClientError> {
    let req = Req::new(v)?;
    let field = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    let field_name = match req.get("field_name") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            return Err(ClientError::invalid_arg(
                field("field_name"),
                "a non-empty string",
            ))
        }
    };
    let mut extra: Vec<KeyValuePair> = key_values(&field("extra_params"), req.get("extra_params"))?;
    let mut set = |key: &str, value: String| {
        extra.retain(|kv| kv.key != key);
        extra.push(KeyValuePair {
            key: key.into(),
            value,
        });
    };
    if let Some(params) = req.get("params") {
        let json = match params {
            Value::String(s) => s.clone(),
            Value::Object(_) => params.to_json().to_string(),
            other => {
                return Err(ClientError::invalid_arg(
                    field("params"),
                    format!("an object such as {{ nlist: 128 }}, got {}", other.kind()),
                ))
            }
        };
        set("params", json);
    }
    for key in ["index_type", "metric_type"] {
        match req.get(key) {
            None => {}
            Some(Value::String(s)) => set(key, s.clone()),
            Some(other) => {
                return Err(ClientError::invalid_arg(
                    field(key),
                    format!("a string, got {}", other.kind()),
                ))
            }
        }
    }
    Ok(CreateIndexRequest {
        collection_name: collection.into(),
        field_name,
        extra_params: extra,
        index_name: req.opt_str("index_name")?.unwrap_or_default(),
        ..Default::default()
    })
}

pub async fn create_index_one(
    conn: &Connection,
    message: CreateIndexRequest,
    timeout: Option<Duration>,
) -> Result<Status, ClientError> {
    conn.call(message, timeout, |mut c, r| async move {
        c.create_index(r).await
    })
    .await
}

async fn describe_index(
    conn: &Connection,
    req: &Req<'_>,
) -> Result<DescribeIndexResponse, ClientError> {
    let message = DescribeIndexRequest {
        db_name: req.db_name()?,
        collection_name: req.str("collection_name")?,
        field_name: req.opt_str("field_name")?.unwrap_or_default(),
        index_name: req.opt_str("index_name")?.unwrap_or_default(),
        ..Default::default()
    };
    conn.call(message, req.timeout()?, |mut c, r| async move {
        c.describe_index(r).await
    })
    .await
}
