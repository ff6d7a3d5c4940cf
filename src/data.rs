//! Writes and reads of rows: insert, upsert, delete, get, query, count and flush.

use napi::bindgen_prelude::{PromiseRaw, This, Unknown};
use napi::Env;
use napi_derive::napi;
use serde_json::{json, Map, Value as Json};
use std::sync::Arc;

use crate::client::MilvusClient;
use crate::collection::{parse_consistency, refreshed_schema, schema_of, CollectionInfo};
use crate::connection::Connection;
use crate::convert::{rows_to_columns, Columns, Int64Output, WriteKind};
use crate::error::ClientError;
use crate::output::{Out, Table, TableColumn};
use crate::prepare::{self, Prebuilt, Prepared};
use crate::proto::common::KeyValuePair;
use crate::proto::milvus::{
    DeleteRequest, FlushRequest, InsertRequest, MutationResult, QueryRequest, UpsertRequest,
};
use crate::proto::schema::{i_ds::IdField, CollectionSchema, DataType, IDs};
use crate::request::{as_integer, describe, Req};
use crate::schema::primary_field;
use crate::status::{status_json, status_or_default};
use crate::value::Value;
use crate::wire::{QueryReply, WriteRequest};

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
        if let Some(promise) = prepare::large_write(env, &self.conn, &this, "insert", data.as_ref())
        {
            return Ok(promise);
        }
        let prepared = prepare::read_columns(env, data.as_ref());
        self.run(env, data, |conn, args| {
            write(conn, args, prepared, WriteKind::Insert)
        })
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
        if let Some(promise) = prepare::large_write(env, &self.conn, &this, "upsert", data.as_ref())
        {
            return Ok(promise);
        }
        let prepared = prepare::read_columns(env, data.as_ref());
        self.run(env, data, |conn, args| {
            write(conn, args, prepared, WriteKind::Upsert)
        })
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

async fn write(
    conn: Arc<Connection>,
    args: Value,
    prepared: Result<Option<Prepared>, ClientError>,
    kind: WriteKind,
) -> Result<Json, ClientError> {
    let req = Req::new(&args)?;
    let prepared = prepared?;
    let (empty, columns): (Vec<Value>, &[Prebuilt]) = match &prepared {
        Some(p) => (vec![Value::Object(Vec::new()); p.rows], &p.columns),
        None => (Vec::new(), &[]),
    };
    let rows = match req.any(&["data", "fields_data"]) {
        Some(Value::Array(rows)) if !rows.is_empty() => rows,
        // The preparer leaves `data` empty when every value went into a column.
        _ if !empty.is_empty() => &empty,
        _ => {
            return Err(ClientError::invalid_arg(
                "data",
                "a non-empty array of row objects",
            ))
        }
    };
    let (conn, req) = (&conn, &req);
    let result = with_schema(conn, req, |info| async move {
        write_once(conn, req, &info.schema, rows, columns, kind).await
    })
    .await?;
    Ok(mutation_json(result))
}

/// Runs `attempt` with the collection's cached schema. When that fails in a way an out-of-date
/// schema can explain, and the collection's schema has indeed changed since it was cached
/// (another client recreated it), runs `attempt` once more with the new one.
pub async fn with_schema<T, F, Fut>(
    conn: &Connection,
    req: &Req<'_>,
    attempt: F,
) -> Result<T, ClientError>
where
    T: HasStatus,
    F: Fn(Arc<CollectionInfo>) -> Fut,
    Fut: std::future::Future<Output = Result<T, ClientError>>,
{
    let info = schema_of(conn, req).await?;
    let result = attempt(info.clone()).await;
    if needs_fresh_schema(&result) {
        if let Some(fresh) = refreshed_schema(conn, req, &info).await? {
            return attempt(fresh).await;
        }
    }
    result
}

/// True when a call may have failed because the cached schema is out of date.
fn needs_fresh_schema<T: HasStatus>(result: &Result<T, ClientError>) -> bool {
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

impl HasStatus for QueryReply {
    fn status(&self) -> crate::proto::common::Status {
        status_or_default(self.0.status.clone())
    }
}

async fn write_once(
    conn: &Connection,
    req: &Req<'_>,
    schema: &CollectionSchema,
    rows: &[Value],
    columns: &[Prebuilt],
    kind: WriteKind,
) -> Result<MutationResult, ClientError> {
    let fields = rows_to_columns(schema, rows, columns, kind)?;
    let num_rows = rows.len() as u32;
    let (db_name, collection_name) = (req.db_name()?, req.str("collection_name")?);
    let partition_name = req.opt_str("partition_name")?.unwrap_or_default();
    let timeout = req.timeout()?;
    match kind {
        WriteKind::Insert => {
            let head = InsertRequest {
                db_name,
                collection_name,
                partition_name,
                num_rows,
                ..Default::default()
            };
            let message = WriteRequest { head, fields };
            conn.call_wire("Insert", message, timeout).await
        }
        WriteKind::Upsert => {
            let head = UpsertRequest {
                db_name,
                collection_name,
                partition_name,
                num_rows,
                ..Default::default()
            };
            let message = WriteRequest { head, fields };
            conn.call_wire("Upsert", message, timeout).await
        }
    }
}

async fn delete(conn: Arc<Connection>, args: Value) -> Result<Json, ClientError> {
    let req = Req::new(&args)?;
    let filter = match filter_of(&req)? {
        Some(expr) => Filter::Expr(expr),
        None => match req.get("ids") {
            Some(ids) => Filter::Ids(ids),
            None => {
                return Err(ClientError::invalid_arg(
                    "filter",
                    "a filter expression, or `ids`",
                ))
            }
        },
    };
    let head = DeleteRequest {
        db_name: req.db_name()?,
        collection_name: req.str("collection_name")?,
        partition_name: req.opt_str("partition_name")?.unwrap_or_default(),
        consistency_level: parse_consistency(&req)?.map_or(0, |c| c as i32),
        ..Default::default()
    };
    let timeout = req.timeout()?;
    let res = send_filtered(&conn, &req, filter, |expr| {
        let message = DeleteRequest {
            expr,
            ..head.clone()
        };
        conn.call(
            message,
            timeout,
            |mut c, r| async move { c.delete(r).await },
        )
    })
    .await?;
    Ok(mutation_json(res))
}

/// The `filter` (or legacy `expr`) of a request, when it has a non-empty one.
fn filter_of(req: &Req<'_>) -> Result<Option<String>, ClientError> {
    match req.any(&["filter", "expr"]) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
        Some(other) if !matches!(other, Value::String(_)) => Err(ClientError::invalid_arg(
            "filter",
            format!("a string, got {}", other.kind()),
        )),
        _ => Ok(None),
    }
}

/// What a delete, get or query selects rows by.
enum Filter<'a> {
    /// The caller's expression, sent as it is.
    Expr(String),
    /// Primary keys, turned into `pk in [...]` with the collection's schema.
    Ids(&'a Value),
}

/// Sends `send(expr)` for `filter`. `ids` become an expression with the collection's schema,
/// built again from a fresh one when the cached one turns out to be stale (`with_schema`).
async fn send_filtered<T, F, Fut>(
    conn: &Connection,
    req: &Req<'_>,
    filter: Filter<'_>,
    send: F,
) -> Result<T, ClientError>
where
    T: HasStatus,
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<T, ClientError>>,
{
    match filter {
        Filter::Expr(expr) => send(expr).await,
        Filter::Ids(ids) => {
            let send = &send;
            with_schema(conn, req, |info| async move {
                send(ids_expr(&info.schema, ids)?).await
            })
            .await
        }
    }
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
    let filter = match (filter_of(req)?, req.get("ids")) {
        (Some(expr), _) => Filter::Expr(expr),
        (None, Some(ids)) => Filter::Ids(ids),
        (None, None) => Filter::Expr(String::new()),
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
    let head = QueryRequest {
        db_name: req.db_name()?,
        collection_name: req.str("collection_name")?,
        output_fields,
        partition_names: req.str_list("partition_names")?,
        query_params: params,
        consistency_level: consistency.map_or(0, |c| c as i32),
        ..Default::default()
    };
    let timeout = req.timeout()?;
    let QueryReply(res) = send_filtered(conn, req, filter, |expr| {
        let message = QueryRequest {
            expr,
            ..head.clone()
        };
        conn.call_wire("Query", message, timeout)
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
