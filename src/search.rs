//! Vector search: one or several query vectors, filter, output fields, paging and parameters.

use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi::Env;
use napi_derive::napi;
use prost::Message;
use serde_json::{json, Value as Json};
use std::sync::Arc;

use crate::client::MilvusClient;
use crate::collection::{parse_consistency, CollectionInfo};
use crate::connection::Connection;
use crate::convert::{vector, Columns};
use crate::data::id_at;
use crate::data::{with_schema, HasStatus};
use crate::error::{is_failure, ClientError};
use crate::output::Out;
use crate::proto::common::{
    DslType, KeyValuePair, PlaceholderGroup, PlaceholderType, PlaceholderValue,
};
use crate::proto::milvus::{SearchRequest, SearchResults};
use crate::proto::schema::{CollectionSchema, DataType, FieldSchema};
use crate::request::{describe, param_string, Req};
use crate::schema::{dim_of, is_vector, type_name};
use crate::status::{status_json, status_or_default};
use crate::value::Value;

/// Hits per query when the request sets no `limit`, as in the official SDK.
const DEFAULT_LIMIT: i64 = 100;

#[napi]
impl MilvusClient {
    /// Searches with one query vector (`data: number[] | Float32Array`; `results` is a flat
    /// array of hits) or several (`data: number[][]`; `results` is an array per query). Each
    /// hit is `{ score, id, ...output_fields }`.
    #[napi(
        ts_args_type = "data: SearchReq",
        ts_return_type = "Promise<SearchResults>"
    )]
    pub fn search<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, search)
    }
}

async fn search(conn: Arc<Connection>, args: Value) -> Result<Out, ClientError> {
    let req = Req::new(&args)?;
    let data = req.any(&["data", "vector", "vectors"]).ok_or_else(|| {
        ClientError::invalid_arg("data", "a query vector or an array of query vectors")
    })?;
    let (conn, req) = (&conn, &req);
    let (res, nq) = with_schema(conn, req, |info| async move {
        search_once(conn, req, &info, data).await
    })
    .await?;
    hits_json(conn, res, nq)
}

impl HasStatus for (SearchResults, usize) {
    fn status(&self) -> crate::proto::common::Status {
        status_or_default(self.0.status.clone())
    }
}

/// Validates the query against `info` and sends it; returns the reply and the query count.
async fn search_once(
    conn: &Connection,
    req: &Req<'_>,
    info: &CollectionInfo,
    data: &Value,
) -> Result<(SearchResults, usize), ClientError> {
    let (schema, collection_consistency) = (&info.schema, info.consistency);
    let field = anns_field(schema, req)?;
    let (placeholder, nq) = placeholder_group(field, data)?;
    let limit = match req.opt_int("limit", 1, 16_384)? {
        Some(n) => n,
        None => req.opt_int("topk", 1, 16_384)?.unwrap_or(DEFAULT_LIMIT),
    };
    let mut params = vec![
        kv("anns_field", field.name.clone()),
        kv("topk", limit.to_string()),
        kv(
            "offset",
            req.opt_int("offset", 0, i64::MAX)?.unwrap_or(0).to_string(),
        ),
        kv("round_decimal", "-1".into()),
        kv(
            "ignore_growing",
            req.opt_bool("ignore_growing")?.unwrap_or(false).to_string(),
        ),
    ];
    // Without a metric the server uses the index's; an empty one is refused by some servers.
    if let Some(metric) = req.opt_str("metric_type")?.filter(|m| !m.is_empty()) {
        params.push(kv("metric_type", metric));
    }
    match req.get("params") {
        None => params.push(kv("params", "{}".into())),
        Some(Value::Object(props)) => {
            params.push(kv(
                "params",
                req.get("params")
                    .map_or(Json::Null, Value::to_json)
                    .to_string(),
            ));
            // Servers read some parameters (ef, nprobe, radius) from the top level too.
            for (k, v) in props {
                if !v.is_nullish() && !params.iter().any(|p| p.key == *k) {
                    params.push(kv(k, param_string(v)));
                }
            }
        }
        Some(other) => {
            return Err(ClientError::invalid_arg(
                "params",
                format!("an object such as {{ ef: 64 }}, got {}", other.kind()),
            ))
        }
    }
    let consistency = parse_consistency(req)?;
    let expr = match req.any(&["filter", "expr"]) {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(ClientError::invalid_arg(
                "filter",
                format!("a string, got {}", other.kind()),
            ))
        }
    };
    let message = SearchRequest {
        db_name: req.db_name()?,
        collection_name: req.str("collection_name")?,
        partition_names: req.str_list("partition_names")?,
        dsl: expr,
        dsl_type: DslType::BoolExprV1 as i32,
        output_fields: req.str_list("output_fields")?,
        search_params: params,
        nq: nq as i64,
        consistency_level: consistency.map_or(collection_consistency, |c| c as i32),
        use_default_consistency: consistency.is_none(),
        search_input: Some(
            crate::proto::milvus::search_request::SearchInput::PlaceholderGroup(placeholder),
        ),
        ..Default::default()
    };
    let res = conn
        .call(message, req.timeout()?, |mut c, r| async move {
            c.search(r).await
        })
        .await?;
    Ok((res, nq))
}

/// `{ status, results, ... }`: hits flat for one query, an array per query otherwise.
fn hits_json(conn: &Connection, res: SearchResults, nq: usize) -> Result<Out, ClientError> {
    let status = status_or_default(res.status);
    let data = res.results.unwrap_or_default();
    if is_failure(&status) || data.scores.is_empty() {
        return Ok(Out::from(json!({
            "status": status_json(&status),
            "results": [],
            "recalls": [],
            "session_ts": -1,
            "collection_name": res.collection_name,
        })));
    }
    let int64 = conn.config.int64;
    let columns = Columns::new(&data.fields_data, conn.config.read_options());
    let mut per_query = Vec::with_capacity(nq);
    let mut offset = 0usize;
    for q in 0..nq {
        let count = data.topks.get(q).copied().unwrap_or(0).max(0) as usize;
        let hits: Vec<Out> = (offset..offset + count)
            .map(|i| {
                // Scores are float32 on the wire, widened exactly as the official SDK does.
                let score = data.scores.get(i).copied().unwrap_or(0.0) as f64;
                let mut hit = Vec::with_capacity(data.fields_data.len() + 2);
                hit.push(("score".to_string(), Out::Number(score)));
                hit.push(("id".to_string(), id_at(data.ids.as_ref(), i, int64)));
                columns.write_row(i, &mut hit, true);
                Out::Object(hit)
            })
            .collect();
        offset += count;
        per_query.push(Out::Array(hits));
    }
    let results = if nq == 1 {
        per_query.pop().unwrap_or(Out::Array(Vec::new()))
    } else {
        Out::Array(per_query)
    };
    let mut out = Out::from(json!({ "status": status_json(&status) }));
    out.set("results", results);
    out.set("recalls", Out::from(json!(data.recalls)));
    out.set("session_ts", Out::String(res.session_ts.to_string()));
    out.set("collection_name", Out::String(res.collection_name));
    out.set(
        "all_search_count",
        Out::String(data.all_search_count.to_string()),
    );
    Ok(out)
}

/// The vector field to search: `anns_field` when given, else the schema's only vector field.
fn anns_field<'s>(
    schema: &'s CollectionSchema,
    req: &Req<'_>,
) -> Result<&'s FieldSchema, ClientError> {
    let vectors: Vec<&FieldSchema> = schema
        .fields
        .iter()
        .filter(|f| DataType::try_from(f.data_type).is_ok_and(is_vector))
        .collect();
    match req.opt_str("anns_field")? {
        Some(name) => vectors
            .iter()
            .copied()
            .find(|f| f.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = vectors.iter().map(|f| f.name.as_str()).collect();
                ClientError::invalid_arg(
                    "anns_field",
                    format!(
                        "one of the vector fields [{}], got '{name}'",
                        names.join(", ")
                    ),
                )
            }),
        None => vectors.first().copied().ok_or_else(|| {
            ClientError::invalid_arg("anns_field", "a vector field; the collection has none")
        }),
    }
}

/// Encodes the query vectors; returns the group and the number of queries.
fn placeholder_group(field: &FieldSchema, data: &Value) -> Result<(Vec<u8>, usize), ClientError> {
    let t = DataType::try_from(field.data_type).unwrap_or(DataType::None);
    let dim = dim_of(field).unwrap_or(0);
    let vectors: Vec<(&Value, String)> = if is_single_query(t, data) {
        vec![(data, "data".to_string())]
    } else {
        match data {
            Value::Array(items) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, v)| (v, format!("data[{i}]")))
                .collect(),
            other => {
                return Err(ClientError::invalid_arg(
                    "data",
                    format!(
                        "a query vector or a non-empty array of query vectors, got {}",
                        describe(other)
                    ),
                ))
            }
        }
    };
    let mut values = Vec::with_capacity(vectors.len());
    for (v, path) in &vectors {
        let encoded = match t {
            DataType::FloatVector => vector::floats(v, dim, "FloatVector")
                .map(|f| f.iter().flat_map(|x| x.to_le_bytes()).collect()),
            DataType::BinaryVector => vector::binary(v, dim),
            DataType::Float16Vector => vector::half_bytes(v, dim, false),
            DataType::BFloat16Vector => vector::half_bytes(v, dim, true),
            DataType::Int8Vector => vector::int8(v, dim),
            DataType::SparseFloatVector => vector::sparse(v).map(|(bytes, _)| bytes),
            other => Err(format!(
                "a vector field to search, not {}",
                type_name(other)
            )),
        };
        let bytes = encoded.map_err(|expected| {
            ClientError::invalid(
                path.clone(),
                format!("{path}: expected {expected} for field '{}'", field.name),
            )
        })?;
        values.push(bytes);
    }
    let placeholder = match t {
        DataType::BinaryVector => PlaceholderType::BinaryVector,
        DataType::Float16Vector => PlaceholderType::Float16Vector,
        DataType::BFloat16Vector => PlaceholderType::BFloat16Vector,
        DataType::Int8Vector => PlaceholderType::Int8Vector,
        DataType::SparseFloatVector => PlaceholderType::SparseFloatVector,
        _ => PlaceholderType::FloatVector,
    };
    let nq = values.len();
    let group = PlaceholderGroup {
        placeholders: vec![PlaceholderValue {
            tag: "$0".into(),
            r#type: placeholder as i32,
            values,
            ..Default::default()
        }],
    };
    Ok((group.encode_to_vec(), nq))
}

/// True when `data` is one query vector rather than a list of them.
fn is_single_query(t: DataType, data: &Value) -> bool {
    let first_is_number =
        |items: &[Value]| items.first().is_some_and(|x| matches!(x, Value::Number(_)));
    match data {
        Value::Float32Array(_)
        | Value::Float64Array(_)
        | Value::Numbers(_)
        | Value::Int8Array(_)
        | Value::Bytes(_) => true,
        Value::Array(items) if t == DataType::SparseFloatVector => {
            // `[{ index, value }]` (COO) and number arrays with gaps are single sparse vectors.
            items
                .iter()
                .any(|x| matches!(x, Value::Number(_) | Value::Undefined | Value::Null))
                || items.first().is_some_and(|x| x.get("index").is_some())
        }
        Value::Object(_) => t == DataType::SparseFloatVector,
        Value::Array(items) => first_is_number(items),
        _ => false,
    }
}

fn kv(key: &str, value: String) -> KeyValuePair {
    KeyValuePair {
        key: key.into(),
        value,
    }
}
