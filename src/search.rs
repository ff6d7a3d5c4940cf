//! Vector search: one or several query vectors, filter, output fields, paging and parameters.

use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi::Env;
use napi_derive::napi;
use prost::Message;
use serde_json::{json, Map, Value as Json};
use std::sync::Arc;

use crate::client::MilvusClient;
use crate::collection::{parse_consistency, schema_of};
use crate::connection::Connection;
use crate::convert::Columns;
use crate::data::id_at;
use crate::error::{is_failure, ClientError};
use crate::proto::common::{
    DslType, KeyValuePair, PlaceholderGroup, PlaceholderType, PlaceholderValue,
};
use crate::proto::milvus::SearchRequest;
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
    ) -> napi::Result<PromiseRaw<'env, Json>> {
        self.run(env, data, search)
    }
}

async fn search(conn: Arc<Connection>, args: Value) -> Result<Json, ClientError> {
    let req = Req::new(&args)?;
    let data = req.any(&["data", "vector", "vectors"]).ok_or_else(|| {
        ClientError::invalid_arg("data", "a query vector or an array of query vectors")
    })?;
    let (schema, collection_consistency) = schema_of(&conn, &req).await?;
    let field = anns_field(&schema, &req)?;
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
        kv(
            "metric_type",
            req.opt_str("metric_type")?.unwrap_or_default(),
        ),
        kv("round_decimal", "-1".into()),
        kv(
            "ignore_growing",
            req.opt_bool("ignore_growing")?.unwrap_or(false).to_string(),
        ),
    ];
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
    let consistency = parse_consistency(&req)?;
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
    let status = status_or_default(res.status);
    let data = res.results.unwrap_or_default();
    if is_failure(&status) || data.scores.is_empty() {
        return Ok(json!({
            "status": status_json(&status),
            "results": [],
            "recalls": [],
            "session_ts": -1,
            "collection_name": res.collection_name,
        }));
    }
    let columns = Columns::new(&data.fields_data);
    let mut per_query = Vec::with_capacity(nq);
    let mut offset = 0usize;
    for q in 0..nq {
        let count = data.topks.get(q).copied().unwrap_or(0).max(0) as usize;
        let hits: Vec<Json> = (offset..offset + count)
            .map(|i| {
                let mut hit = Map::new();
                hit.insert(
                    "score".into(),
                    f32_json(data.scores.get(i).copied().unwrap_or(0.0)),
                );
                hit.insert("id".into(), id_at(data.ids.as_ref(), i));
                columns.write_row(i, &mut hit, true);
                Json::Object(hit)
            })
            .collect();
        offset += count;
        per_query.push(Json::Array(hits));
    }
    let results = if nq == 1 {
        per_query.pop().unwrap_or(Json::Array(Vec::new()))
    } else {
        Json::Array(per_query)
    };
    Ok(json!({
        "status": status_json(&status),
        "results": results,
        "recalls": data.recalls,
        "session_ts": res.session_ts.to_string(),
        "collection_name": res.collection_name,
        "all_search_count": data.all_search_count.to_string(),
    }))
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
    if t != DataType::FloatVector {
        return Err(ClientError::invalid(
            "data",
            format!(
                "data: searching {} fields is not supported by this version of milvus-native yet",
                type_name(t)
            ),
        ));
    }
    let dim = dim_of(field).unwrap_or(0);
    let single = matches!(
        data,
        Value::Float32Array(_) | Value::Float64Array(_) | Value::Numbers(_)
    ) || matches!(data, Value::Array(items) if items.first().is_some_and(|x| matches!(x, Value::Number(_))));
    let vectors: Vec<(&Value, String)> = if single {
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
        let floats: Vec<f32> = match v {
            Value::Float32Array(f) => f.clone(),
            Value::Float64Array(f) | Value::Numbers(f) => f.iter().map(|x| *x as f32).collect(),
            Value::Array(items) => items
                .iter()
                .map(|x| match x {
                    Value::Number(n) => Ok(*n as f32),
                    other => Err(ClientError::invalid_arg(
                        path.clone(),
                        format!("numbers, got {}", describe(other)),
                    )),
                })
                .collect::<Result<_, _>>()?,
            other => {
                return Err(ClientError::invalid_arg(
                    path.clone(),
                    format!("a FloatVector, got {}", describe(other)),
                ))
            }
        };
        if floats.len() != dim {
            return Err(ClientError::invalid_arg(
                path.clone(),
                format!(
                    "a vector of {dim} numbers for field '{}', got {}",
                    field.name,
                    floats.len()
                ),
            ));
        }
        if floats.iter().any(|x| !x.is_finite()) {
            return Err(ClientError::invalid_arg(
                path.clone(),
                "finite numbers (no NaN or Infinity)",
            ));
        }
        values.push(
            floats
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect::<Vec<u8>>(),
        );
    }
    let nq = values.len();
    let group = PlaceholderGroup {
        placeholders: vec![PlaceholderValue {
            tag: "$0".into(),
            r#type: PlaceholderType::FloatVector as i32,
            values,
            ..Default::default()
        }],
    };
    Ok((group.encode_to_vec(), nq))
}

fn kv(key: &str, value: String) -> KeyValuePair {
    KeyValuePair {
        key: key.into(),
        value,
    }
}

/// Scores are float32 on the wire; widen them exactly as the official SDK does.
fn f32_json(v: f32) -> Json {
    serde_json::Number::from_f64(v as f64).map_or(Json::Null, Json::Number)
}
