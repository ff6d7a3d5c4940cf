//! Writes and reads of rows: insert, upsert, delete, get, query, count and flush.

use napi::bindgen_prelude::{PromiseRaw, This, Unknown};
use napi::Env;
use napi_derive::napi;
use serde_json::{json, Map, Value as Json};
use std::sync::Arc;

use crate::client::MilvusClient;
use crate::collection::{parse_consistency, refreshed_schema, schema_of};
use crate::connection::Connection;
use crate::convert::{rows_to_columns, Columns, Int64Output, WriteKind};
use crate::error::ClientError;
use crate::output::{Out, Table, TableColumn};
use crate::proto::common::KeyValuePair;
use crate::proto::milvus::{
    DeleteRequest, FlushRequest, InsertRequest, MutationResult, QueryRequest, UpsertRequest,
};
use crate::proto::schema::{i_ds::IdField, CollectionSchema, DataType, IDs};
use crate::request::{as_integer, describe, Req};
use crate::schema::primary_field;
use crate::status::{status_json, status_or_default};
use crate::value::Value;

#[napi]
impl MilvusClient {
    /// Inserts rows: `{ collection_name, data: [{ field: value, ... }], partition_name? }`.
    /// Resolves with the mutation result (`IDs`, `insert_cnt`, ...), also when the server
    /// reports failure; rejects on invalid rows, naming the row and field.
    #[napi(
        ts_args_type = "data: InsertReq",
        ts_return_type = "Promise<MutationResult>"
    )]
    pub fn insert<'env>(
        &self,
        env: &'env Env,
        this: This,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        if let Some(promise) = prepare_large_write(env, &self.conn, &this, "insert", data.as_ref())
        {
            return Ok(promise);
        }
        self.run(env, data, |conn, args| write(conn, args, WriteKind::Insert))
    }

    /// Inserts rows, replacing rows with the same primary key.
    #[napi(
        ts_args_type = "data: UpsertReq",
        ts_return_type = "Promise<MutationResult>"
    )]
    pub fn upsert<'env>(
        &self,
        env: &'env Env,
        this: This,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        if let Some(promise) = prepare_large_write(env, &self.conn, &this, "upsert", data.as_ref())
        {
            return Ok(promise);
        }
        self.run(env, data, |conn, args| write(conn, args, WriteKind::Upsert))
    }

    /// Deletes rows by primary key (`ids`) or by a boolean expression (`filter` or `expr`).
    #[napi(
        ts_args_type = "data: DeleteReq",
        ts_return_type = "Promise<MutationResult>"
    )]
    pub fn delete<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, delete)
    }

    /// Same as `delete` with a `filter` or `expr`.
    #[napi(
        ts_args_type = "data: DeleteReq",
        ts_return_type = "Promise<MutationResult>"
    )]
    pub fn delete_entities<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, delete)
    }

    /// Rows matching `filter` (or `expr`, or `ids`): `{ status, data: [row, ...] }`. `limit` and
    /// `offset` page through them; `output_fields` defaults to every field.
    #[napi(
        ts_args_type = "data: QueryReq",
        ts_return_type = "Promise<QueryResults>"
    )]
    pub fn query<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            let (status, rows) = query_rows(&conn, &req, None).await?;
            Ok(rows_response(&status, rows))
        })
    }

    /// Rows by primary key: `{ collection_name, ids, output_fields? }`.
    #[napi(
        ts_args_type = "data: GetReq",
        ts_return_type = "Promise<QueryResults>"
    )]
    pub fn get<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            if req.get("ids").is_none() {
                return Err(ClientError::invalid_arg("ids", "an array of primary keys"));
            }
            let (status, rows) = query_rows(&conn, &req, None).await?;
            Ok(rows_response(&status, rows))
        })
    }

    /// `{ status, data }`: the number of rows matching `filter` (all rows when omitted).
    #[napi(
        ts_args_type = "data: CountReq",
        ts_return_type = "Promise<CountResult>"
    )]
    pub fn count<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            let (status, table) = query_rows(&conn, &req, Some(vec!["count(*)".into()])).await?;
            crate::status::ensure_success(&status)?;
            let cell = table
                .columns
                .iter()
                .find(|(name, _)| name == "count(*)")
                .and_then(|(_, column)| match column {
                    TableColumn::Cells(cells) => cells.first(),
                    TableColumn::Floats { .. } => None,
                });
            let count = match cell {
                Some(Out::String(s)) => s.parse::<f64>().ok(),
                Some(Out::BigInt(n)) => Some(*n as f64),
                Some(Out::Number(n)) => Some(*n),
                _ => None,
            }
            .ok_or_else(|| ClientError::internal("the count(*) query returned no count"))?;
            Ok(json!({ "status": status_json(&status), "data": count }))
        })
    }

    /// Seals the collections' growing segments: `{ collection_names: [...] }`.
    #[napi(
        ts_args_type = "data: FlushReq",
        ts_return_type = "Promise<FlushResult>"
    )]
    pub fn flush<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            let names = req.str_list("collection_names")?;
            if names.is_empty() {
                return Err(ClientError::invalid_arg("collection_names", "a non-empty array of collection names"));
            }
            let message = FlushRequest {
                db_name: req.db_name()?,
                collection_names: names,
                ..Default::default()
            };
            let res = conn
                .call(message, req.timeout()?, |mut c, r| async move { c.flush(r).await })
                .await?;
            let segments = |m: &std::collections::HashMap<String, crate::proto::schema::LongArray>| {
                m.iter()
                    .map(|(k, v)| (k.clone(), json!({ "data": v.data.iter().map(|x| x.to_string()).collect::<Vec<_>>() })))
                    .collect::<Map<String, Json>>()
            };
            Ok(json!({
                "status": status_json(&status_or_default(res.status)),
                "db_name": res.db_name,
                "coll_segIDs": segments(&res.coll_seg_i_ds),
                "flush_coll_segIDs": segments(&res.flush_coll_seg_i_ds),
                "coll_seal_times": res.coll_seal_times.iter().map(|(k, v)| (k.clone(), Json::from(v.to_string()))).collect::<Map<_, _>>(),
                "coll_flush_ts": res.coll_flush_ts.iter().map(|(k, v)| (k.clone(), Json::from(v.to_string()))).collect::<Map<_, _>>(),
            }))
        })
    }
}

/// Rows per write above which plain number arrays are first copied into typed arrays by JS,
/// a chunk per event-loop turn, instead of being read in one go on the JS thread.
const PREPARE_MIN_ROWS: u32 = 1_000;

/// For a large write whose rows hold plain number arrays (vectors as `number[]`), hands the
/// rows to the JS preparer (see `bulk.rs`), which calls this method again with typed arrays.
/// `None` when the write is small, already typed, or the preparer cannot run.
fn prepare_large_write<'env>(
    env: &'env Env,
    conn: &Connection,
    this: &This,
    method: &str,
    data: Option<&Unknown>,
) -> Option<PromiseRaw<'env, Out>> {
    use napi::bindgen_prelude::JsValue;
    use napi::sys;
    let request = data?;
    // SAFETY: every handle comes from this call's scope, on the JS thread.
    unsafe {
        let env_raw = env.raw();
        let get = |object: sys::napi_value, key: &str| -> Option<sys::napi_value> {
            let key = std::ffi::CString::new(key).ok()?;
            let mut out = std::ptr::null_mut();
            (sys::napi_get_named_property(env_raw, object, key.as_ptr(), &mut out)
                == sys::Status::napi_ok)
                .then_some(out)
        };
        let is_array = |v: sys::napi_value| {
            let mut flag = false;
            sys::napi_is_array(env_raw, v, &mut flag) == sys::Status::napi_ok && flag
        };
        let length = |v: sys::napi_value| {
            let mut len = 0u32;
            (sys::napi_get_array_length(env_raw, v, &mut len) == sys::Status::napi_ok)
                .then_some(len)
        };
        let request_raw = request.raw();
        let mut kind = 0;
        if sys::napi_typeof(env_raw, request_raw, &mut kind) != sys::Status::napi_ok
            || kind != sys::ValueType::napi_object
        {
            return None;
        }
        let mut prepared = false;
        if let Some(mark) = get(request_raw, "__milvusNativePrepared") {
            sys::napi_get_value_bool(env_raw, mark, &mut prepared);
        }
        if prepared {
            return None;
        }
        let rows = get(request_raw, "data")
            .filter(|v| is_array(*v))
            .or_else(|| get(request_raw, "fields_data").filter(|v| is_array(*v)))?;
        if length(rows)? < PREPARE_MIN_ROWS {
            return None;
        }
        // Only worth it when the first row carries a long plain number array.
        let mut first = std::ptr::null_mut();
        if sys::napi_get_element(env_raw, rows, 0, &mut first) != sys::Status::napi_ok {
            return None;
        }
        let mut names = std::ptr::null_mut();
        if sys::napi_get_property_names(env_raw, first, &mut names) != sys::Status::napi_ok {
            return None;
        }
        let has_number_array = (0..length(names)?).any(|i| {
            let mut key = std::ptr::null_mut();
            let mut value = std::ptr::null_mut();
            let mut head = std::ptr::null_mut();
            let mut head_kind = 0;
            sys::napi_get_element(env_raw, names, i, &mut key) == sys::Status::napi_ok
                && sys::napi_get_property(env_raw, first, key, &mut value) == sys::Status::napi_ok
                && is_array(value)
                && length(value).is_some_and(|n| n >= 16)
                && sys::napi_get_element(env_raw, value, 0, &mut head) == sys::Status::napi_ok
                && sys::napi_typeof(env_raw, head, &mut head_kind) == sys::Status::napi_ok
                && head_kind == sys::ValueType::napi_number
        });
        if !has_number_array {
            return None;
        }
        let mut method_name = std::ptr::null_mut();
        if sys::napi_create_string_utf8(
            env_raw,
            method.as_ptr().cast(),
            method.len() as isize,
            &mut method_name,
        ) != sys::Status::napi_ok
        {
            return None;
        }
        // FloatVector fields of a collection this client already described travel as f32.
        let collection = get(request_raw, "collection_name")
            .and_then(|v| Value::from_js(env, Unknown::from_raw_unchecked(env_raw, v)).ok());
        let db = get(request_raw, "db_name")
            .and_then(|v| Value::from_js(env, Unknown::from_raw_unchecked(env_raw, v)).ok());
        let float_fields: Vec<String> = match (collection, db) {
            (Some(Value::String(name)), db) => {
                let db = match db {
                    Some(Value::String(db)) => db,
                    _ => String::new(),
                };
                conn.schemas.float_vector_fields(&db, &name)
            }
            _ => Vec::new(),
        };
        let mut fields = std::ptr::null_mut();
        if sys::napi_create_array_with_length(env_raw, float_fields.len(), &mut fields)
            != sys::Status::napi_ok
        {
            return None;
        }
        for (i, name) in float_fields.iter().enumerate() {
            let mut s = std::ptr::null_mut();
            if sys::napi_create_string_utf8(
                env_raw,
                name.as_ptr().cast(),
                name.len() as isize,
                &mut s,
            ) != sys::Status::napi_ok
                || sys::napi_set_element(env_raw, fields, i as u32, s) != sys::Status::napi_ok
            {
                return None;
            }
        }
        let args = [this.object.raw(), method_name, request_raw, rows, fields];
        let promise = crate::bulk::call_with(env_raw, crate::bulk::Bulk::Prepare, &args)?;
        Some(PromiseRaw::new(env_raw, promise))
    }
}

async fn write(conn: Arc<Connection>, args: Value, kind: WriteKind) -> Result<Json, ClientError> {
    let req = Req::new(&args)?;
    let rows = match req.any(&["data", "fields_data"]) {
        Some(Value::Array(rows)) if !rows.is_empty() => rows,
        _ => {
            return Err(ClientError::invalid_arg(
                "data",
                "a non-empty array of row objects",
            ))
        }
    };
    let info = schema_of(&conn, &req).await?;
    let mut result = write_once(&conn, &req, &info.schema, rows, kind).await;
    if needs_fresh_schema(&result) {
        if let Some(fresh) = refreshed_schema(&conn, &req, &info).await? {
            result = write_once(&conn, &req, &fresh.schema, rows, kind).await;
        }
    }
    Ok(mutation_json(result?))
}

/// True when a write or search may have failed because the cached schema is out of date.
pub fn needs_fresh_schema<T: HasStatus>(result: &Result<T, ClientError>) -> bool {
    match result {
        Err(ClientError::InvalidArgument { .. }) => true,
        Ok(reply) => crate::error::is_failure(&reply.status()),
        Err(_) => false,
    }
}

/// Replies that carry a Milvus status.
pub trait HasStatus {
    fn status(&self) -> crate::proto::common::Status;
}

impl HasStatus for MutationResult {
    fn status(&self) -> crate::proto::common::Status {
        status_or_default(self.status.clone())
    }
}

async fn write_once(
    conn: &Connection,
    req: &Req<'_>,
    schema: &CollectionSchema,
    rows: &[Value],
    kind: WriteKind,
) -> Result<MutationResult, ClientError> {
    let fields_data = rows_to_columns(schema, rows, kind)?;
    let num_rows = rows.len() as u32;
    let (db_name, collection_name) = (req.db_name()?, req.str("collection_name")?);
    let partition_name = req.opt_str("partition_name")?.unwrap_or_default();
    let timeout = req.timeout()?;
    match kind {
        WriteKind::Insert => {
            let message = InsertRequest {
                db_name,
                collection_name,
                partition_name,
                fields_data,
                num_rows,
                ..Default::default()
            };
            conn.call(
                message,
                timeout,
                |mut c, r| async move { c.insert(r).await },
            )
            .await
        }
        WriteKind::Upsert => {
            let message = UpsertRequest {
                db_name,
                collection_name,
                partition_name,
                fields_data,
                num_rows,
                ..Default::default()
            };
            conn.call(
                message,
                timeout,
                |mut c, r| async move { c.upsert(r).await },
            )
            .await
        }
    }
}

async fn delete(conn: Arc<Connection>, args: Value) -> Result<Json, ClientError> {
    let req = Req::new(&args)?;
    let expr = match req.any(&["filter", "expr"]) {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(other) if !matches!(other, Value::String(_)) => {
            return Err(ClientError::invalid_arg(
                "filter",
                format!("a string, got {}", other.kind()),
            ))
        }
        _ => match req.get("ids") {
            Some(ids) => {
                let info = schema_of(&conn, &req).await?;
                ids_expr(&info.schema, ids)?
            }
            None => {
                return Err(ClientError::invalid_arg(
                    "filter",
                    "a filter expression, or `ids`",
                ))
            }
        },
    };
    let message = DeleteRequest {
        db_name: req.db_name()?,
        collection_name: req.str("collection_name")?,
        partition_name: req.opt_str("partition_name")?.unwrap_or_default(),
        expr,
        consistency_level: parse_consistency(&req)?.map_or(0, |c| c as i32),
        ..Default::default()
    };
    let res = conn
        .call(message, req.timeout()?, |mut c, r| async move {
            c.delete(r).await
        })
        .await?;
    Ok(mutation_json(res))
}

/// `pk in [1, 2]` or `pk in ["a", "b"]`, from `ids` checked against the primary key's type.
fn ids_expr(schema: &CollectionSchema, ids: &Value) -> Result<String, ClientError> {
    let pk = primary_field(schema)?;
    let items: Vec<Value> = match (ids, ids.items()) {
        (_, Some(items)) => items.into_owned(),
        (one @ (Value::Number(_) | Value::String(_) | Value::BigInt(_)), None) => vec![one.clone()],
        (other, None) => {
            return Err(ClientError::invalid_arg(
                "ids",
                format!("an array of primary keys, got {}", other.kind()),
            ))
        }
    };
    if items.is_empty() {
        return Err(ClientError::invalid_arg(
            "ids",
            "a non-empty array of primary keys",
        ));
    }
    let is_int = pk.data_type == DataType::Int64 as i32;
    let literals = items
        .iter()
        .enumerate()
        .map(|(i, id)| {
            if is_int {
                as_integer(id).map(|n| n.to_string()).ok_or_else(|| {
                    ClientError::invalid_arg(
                        format!("ids[{i}]"),
                        format!("an Int64 primary key, got {}", describe(id)),
                    )
                })
            } else {
                match id {
                    Value::String(s) => Ok(Json::String(s.clone()).to_string()),
                    other => Err(ClientError::invalid_arg(
                        format!("ids[{i}]"),
                        format!("a VarChar primary key, got {}", describe(other)),
                    )),
                }
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(format!("{} in [{}]", pk.name, literals.join(", ")))
}

/// Runs a Query and decodes its rows; a failed status comes back with no rows.
async fn query_rows(
    conn: &Connection,
    req: &Req<'_>,
    output: Option<Vec<String>>,
) -> Result<(crate::proto::common::Status, Table), ClientError> {
    let expr = match req.any(&["filter", "expr"]) {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(other) if !matches!(other, Value::String(_)) => {
            return Err(ClientError::invalid_arg(
                "filter",
                format!("a string, got {}", other.kind()),
            ))
        }
        _ => match req.get("ids") {
            Some(ids) => ids_expr(&schema_of(conn, req).await?.schema, ids)?,
            None => String::new(),
        },
    };
    let mut output_fields = match output {
        Some(fields) => fields,
        None => req.str_list("output_fields")?,
    };
    if output_fields.is_empty() {
        output_fields.push("*".into());
    }
    let mut params: Vec<KeyValuePair> = crate::request::key_values("params", req.get("params"))?;
    for key in ["limit", "offset"] {
        if let Some(n) = req.opt_int(key, 0, i64::MAX)? {
            params.push(KeyValuePair {
                key: key.into(),
                value: n.to_string(),
            });
        }
    }
    let consistency = parse_consistency(req)?;
    let message = QueryRequest {
        db_name: req.db_name()?,
        collection_name: req.str("collection_name")?,
        expr,
        output_fields,
        partition_names: req.str_list("partition_names")?,
        query_params: params,
        consistency_level: consistency.map_or(0, |c| c as i32),
        ..Default::default()
    };
    let res = conn
        .call(message, req.timeout()?, |mut c, r| async move {
            c.query(r).await
        })
        .await?;
    let status = status_or_default(res.status);
    let table = if crate::error::is_failure(&status) {
        Table {
            rows: 0,
            columns: Vec::new(),
        }
    } else {
        let mut fields = res.fields_data;
        Columns::take_table(&mut fields, conn.config.read_options())
    };
    Ok((status, table))
}

/// `{ status, data: rows }`.
fn rows_response(status: &crate::proto::common::Status, table: Table) -> Out {
    Out::WithRows {
        response: Box::new(Out::from(json!({ "status": status_json(status) }))),
        key: "data".into(),
        table,
    }
}

/// `{ status, IDs, succ_index, err_index, acknowledged, insert_cnt, ... }`, counts as strings.
fn mutation_json(res: MutationResult) -> Json {
    json!({
        "status": status_json(&status_or_default(res.status)),
        "IDs": ids_json(res.i_ds.as_ref()),
        "succ_index": res.succ_index,
        "err_index": res.err_index,
        "acknowledged": res.acknowledged,
        "insert_cnt": res.insert_cnt.to_string(),
        "delete_cnt": res.delete_cnt.to_string(),
        "upsert_cnt": res.upsert_cnt.to_string(),
        "timestamp": res.timestamp.to_string(),
    })
}

/// `{ int_id: { data: ['1'] }, id_field: 'int_id' }` or the `str_id` equivalent.
pub fn ids_json(ids: Option<&IDs>) -> Json {
    match ids.and_then(|i| i.id_field.as_ref()) {
        Some(IdField::IntId(a)) => json!({
            "int_id": { "data": a.data.iter().map(|x| x.to_string()).collect::<Vec<_>>() },
            "id_field": "int_id",
        }),
        Some(IdField::StrId(a)) => json!({ "str_id": { "data": a.data }, "id_field": "str_id" }),
        _ => json!({}),
    }
}

/// The primary key of hit `i`: an int64 as `int64` says, or the VarChar value.
pub fn id_at(ids: Option<&IDs>, i: usize, int64: Int64Output) -> Out {
    match ids.and_then(|i| i.id_field.as_ref()) {
        Some(IdField::IntId(a)) => a.data.get(i).map_or(Out::Null, |x| int64.out(*x)),
        Some(IdField::StrId(a)) => a.data.get(i).map_or(Out::Null, |x| Out::String(x.clone())),
        _ => Out::Null,
    }
}
