//! Collection methods: create (quick, schema, schema + indexes), describe, list, drop, load,
//! release, statistics and rename.

use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi::Env;
use napi_derive::napi;
use prost::Message;
use serde_json::{json, Map, Value as Json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::client::MilvusClient;
use crate::connection::Connection;
use crate::error::ClientError;
use crate::index::{create_index_one, index_request};
use crate::output::Out;
use crate::proto::common::{ConsistencyLevel, LoadState};
use crate::proto::milvus::{
    CreateCollectionRequest, DescribeCollectionRequest, DescribeCollectionResponse,
    DropCollectionRequest, GetCollectionStatisticsRequest, GetLoadStateRequest,
    LoadCollectionRequest, ReleaseCollectionRequest, RenameCollectionRequest,
    ShowCollectionsRequest,
};
use crate::proto::schema::{CollectionSchema, DataType, FieldSchema};
use crate::request::{key_values, Req};
use crate::schema::{field_from_js, fields_by_kind, kv_json, schema_json, validate_schema};
use crate::status::{ensure_success, status_json, status_or_default};
use crate::value::Value;

/// How often `loadCollection` asks whether loading has finished.
const LOAD_POLL_INTERVAL: Duration = Duration::from_millis(100);

#[napi]
impl MilvusClient {
    /// Creates a collection. Three forms: quick (`{ collection_name, dimension, ... }`: an
    /// `id` primary key, a `vector` field, an AUTOINDEX index, then loaded), schema
    /// (`{ collection_name, fields }`), and schema plus `index_params` (indexes created, then
    /// loaded). Resolves with the status; rejects when creation fails.
    #[napi(
        ts_args_type = "data: CreateCollectionReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn create_collection<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, create_collection)
    }

    /// `{ status, value }`: whether the collection exists.
    #[napi(
        ts_args_type = "data: CollectionNameReq",
        ts_return_type = "Promise<BoolResponse>"
    )]
    pub fn has_collection<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            let res = describe(&conn, &req).await?;
            let exists = !crate::error::is_failure(&status_or_default(res.status));
            Ok(json!({ "status": status_json(&Default::default()), "value": exists }))
        })
    }

    /// The collection's schema and properties. A failed status resolves with `schema: null`.
    #[napi(
        ts_args_type = "data: CollectionNameReq",
        ts_return_type = "Promise<DescribeCollectionResponse>"
    )]
    pub fn describe_collection<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            Ok(describe_json(describe(&conn, &req).await?))
        })
    }

    /// Lists collections: `{ status, collection_names, data: [{ name, id, timestamp,
    /// loadedPercentage }] }`.
    #[napi(
        ts_args_type = "data?: ShowCollectionsReq",
        ts_return_type = "Promise<ShowCollectionsResponse>"
    )]
    pub fn show_collections<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, show_collections)
    }

    /// Same as `showCollections`.
    #[napi(
        ts_args_type = "data?: ShowCollectionsReq",
        ts_return_type = "Promise<ShowCollectionsResponse>"
    )]
    pub fn list_collections<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, show_collections)
    }

    /// Drops a collection; resolves with the status (dropping a missing one succeeds).
    #[napi(
        ts_args_type = "data: CollectionNameReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn drop_collection<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            conn.schemas.forget(&req);
            let message = DropCollectionRequest {
                db_name: req.db_name()?,
                collection_name: req.str("collection_name")?,
                ..Default::default()
            };
            let status = conn
                .call(message, req.timeout()?, |mut c, r| async move {
                    c.drop_collection(r).await
                })
                .await?;
            Ok(status_json(&status))
        })
    }

    /// Loads a collection and waits until it is fully loaded. Rejects when loading fails.
    #[napi(
        ts_args_type = "data: LoadCollectionReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn load_collection<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            let status = load(&conn, &req).await?;
            ensure_success(&status)?;
            wait_loaded(&conn, &req).await?;
            Ok(status_json(&status))
        })
    }

    /// Starts loading a collection and resolves with the status without waiting.
    #[napi(
        ts_args_type = "data: LoadCollectionReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn load_collection_async<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            Ok(status_json(&load(&conn, &req).await?))
        })
    }

    /// Releases a collection from memory; resolves with the status.
    #[napi(
        ts_args_type = "data: CollectionNameReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn release_collection<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            let message = ReleaseCollectionRequest {
                db_name: req.db_name()?,
                collection_name: req.str("collection_name")?,
                ..Default::default()
            };
            let status = conn
                .call(message, req.timeout()?, |mut c, r| async move {
                    c.release_collection(r).await
                })
                .await?;
            Ok(status_json(&status))
        })
    }

    /// `{ status, state }` with `state` one of `LoadStateNotExist`, `LoadStateNotLoad`,
    /// `LoadStateLoading`, `LoadStateLoaded`.
    #[napi(
        ts_args_type = "data: CollectionNameReq",
        ts_return_type = "Promise<GetLoadStateResponse>"
    )]
    pub fn get_load_state<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            let (status, state) = load_state(&conn, &req).await?;
            Ok(json!({ "status": status_json(&status), "state": load_state_name(state) }))
        })
    }

    /// `{ status, stats: [{ key: 'row_count', value }], data: { row_count } }`, values as
    /// strings.
    #[napi(
        ts_args_type = "data: CollectionNameReq",
        ts_return_type = "Promise<StatisticsResponse>"
    )]
    pub fn get_collection_statistics<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            let message = GetCollectionStatisticsRequest {
                db_name: req.db_name()?,
                collection_name: req.str("collection_name")?,
                ..Default::default()
            };
            let res = conn
                .call(message, req.timeout()?, |mut c, r| async move {
                    c.get_collection_statistics(r).await
                })
                .await?;
            let data: Map<String, Json> = res
                .stats
                .iter()
                .map(|kv| (kv.key.clone(), Json::from(kv.value.clone())))
                .collect();
            Ok(json!({
                "status": status_json(&status_or_default(res.status)),
                "stats": kv_json(&res.stats),
                "data": data,
            }))
        })
    }

    /// Renames `collection_name` to `new_collection_name` (optionally into `new_db_name`).
    #[napi(
        ts_args_type = "data: RenameCollectionReq",
        ts_return_type = "Promise<ResStatus>"
    )]
    pub fn rename_collection<'env>(
        &self,
        env: &'env Env,
        data: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Out>> {
        self.run(env, data, |conn, args| async move {
            let req = Req::new(&args)?;
            conn.schemas.clear();
            let message = RenameCollectionRequest {
                db_name: req.db_name()?,
                old_name: req.str("collection_name")?,
                new_name: req.str("new_collection_name")?,
                new_db_name: req.opt_str("new_db_name")?.unwrap_or_default(),
                ..Default::default()
            };
            let status = conn
                .call(message, req.timeout()?, |mut c, r| async move {
                    c.rename_collection(r).await
                })
                .await?;
            Ok(status_json(&status))
        })
    }
}

/// Sends DescribeCollection; a failed status is returned, not raised.
pub async fn describe(
    conn: &Connection,
    req: &Req<'_>,
) -> Result<DescribeCollectionResponse, ClientError> {
    let message = DescribeCollectionRequest {
        db_name: req.db_name()?,
        collection_name: req.str("collection_name")?,
        ..Default::default()
    };
    conn.call(message, req.timeout()?, |mut c, r| async move {
        c.describe_collection(r).await
    })
    .await
}

/// A described collection: what writes, searches and id lookups need to know about it.
#[derive(Debug, PartialEq)]
pub struct CollectionInfo {
    pub schema: CollectionSchema,
    /// The collection's default consistency level.
    pub consistency: i32,
}

/// Schemas of the collections this client used, so that a search or an insert costs one call
/// rather than two. An entry is dropped when this client drops, renames or creates the
/// collection; a call that fails with a cached schema re-describes the collection and, if the
/// schema changed under us (another client recreated it), runs once more.
#[derive(Debug, Default)]
pub struct SchemaCache(Mutex<HashMap<(String, String), Arc<CollectionInfo>>>);

impl SchemaCache {
    fn key(req: &Req<'_>) -> Result<(String, String), ClientError> {
        Ok((req.db_name()?, req.str("collection_name")?))
    }

    fn get(&self, key: &(String, String)) -> Option<Arc<CollectionInfo>> {
        self.0.lock().ok()?.get(key).cloned()
    }

    fn put(&self, key: (String, String), info: Arc<CollectionInfo>) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(key, info);
        }
    }
    /// Names of the FloatVector fields of the collection named in `req`; `None` when its
    /// schema is not cached.
    pub fn float_vector_fields(&self, req: &Req<'_>) -> Result<Option<Vec<String>>, ClientError> {
        Ok(self
            .get(&Self::key(req)?)
            .map(|info| float_vector_names(&info.schema)))
    }

    /// Forgets every collection (after a rename, which touches two names).
    pub fn clear(&self) {
        if let Ok(mut map) = self.0.lock() {
            map.clear();
        }
    }

    /// Forgets the collection named in `req`.
    pub fn forget(&self, req: &Req<'_>) {
        if let (Ok(key), Ok(mut map)) = (Self::key(req), self.0.lock()) {
            map.remove(&key);
        }
    }
}

/// The schema of a collection that must exist (for insert, search, query by ids), from the
/// cache when this client has described it before.
/// Names of the FloatVector fields of `schema`.
pub fn float_vector_names(schema: &CollectionSchema) -> Vec<String> {
    schema
        .fields
        .iter()
        .filter(|f| f.data_type == DataType::FloatVector as i32)
        .map(|f| f.name.clone())
        .collect()
}

pub async fn schema_of(
    conn: &Connection,
    req: &Req<'_>,
) -> Result<Arc<CollectionInfo>, ClientError> {
    let key = SchemaCache::key(req)?;
    match conn.schemas.get(&key) {
        Some(info) => Ok(info),
        None => describe_fresh(conn, req).await,
    }
}

/// Describes the collection again; returns the new description only when it differs from
/// `stale`, so that a caller retries only when the retry can change the outcome.
pub async fn refreshed_schema(
    conn: &Connection,
    req: &Req<'_>,
    stale: &CollectionInfo,
) -> Result<Option<Arc<CollectionInfo>>, ClientError> {
    let fresh = describe_fresh(conn, req).await?;
    Ok((*fresh != *stale).then_some(fresh))
}

async fn describe_fresh(
    conn: &Connection,
    req: &Req<'_>,
) -> Result<Arc<CollectionInfo>, ClientError> {
    let res = describe(conn, req).await?;
    let status = status_or_default(res.status);
    if crate::error::is_failure(&status) {
        conn.schemas.forget(req);
        return Err(ClientError::Server(status));
    }
    let schema = res
        .schema
        .ok_or_else(|| ClientError::internal("DescribeCollection returned no schema"))?;
    let info = Arc::new(CollectionInfo {
        schema,
        consistency: res.consistency_level,
    });
    conn.schemas.put(SchemaCache::key(req)?, info.clone());
    Ok(info)
}

fn describe_json(res: DescribeCollectionResponse) -> Json {
    let status = status_or_default(res.status);
    let (anns, scalars) = res
        .schema
        .as_ref()
        .map(fields_by_kind)
        .unwrap_or((json!({}), json!({})));
    json!({
        "status": status_json(&status),
        "schema": res.schema.as_ref().map_or(Json::Null, schema_json),
        "collectionID": res.collection_id.to_string(),
        "virtual_channel_names": res.virtual_channel_names,
        "physical_channel_names": res.physical_channel_names,
        "created_timestamp": res.created_timestamp.to_string(),
        "created_utc_timestamp": res.created_utc_timestamp.to_string(),
        "shards_num": res.shards_num,
        "aliases": res.aliases,
        "start_positions": [],
        "consistency_level": consistency_name(res.consistency_level),
        "collection_name": res.collection_name,
        "properties": kv_json(&res.properties),
        "db_name": res.db_name,
        "num_partitions": res.num_partitions.to_string(),
        "db_id": res.db_id.to_string(),
        "anns_fields": anns,
        "scalar_fields": scalars,
        "function_fields": {},
    })
}

fn consistency_name(level: i32) -> &'static str {
    ConsistencyLevel::try_from(level)
        .map(|l| l.as_str_name())
        .unwrap_or("Bounded")
}

/// A consistency level from its name (`'Strong'`) or number (`0`).
pub fn parse_consistency(req: &Req<'_>) -> Result<Option<ConsistencyLevel>, ClientError> {
    let Some(v) = req.get("consistency_level") else {
        return Ok(None);
    };
    let level = match v {
        Value::String(s) => ConsistencyLevel::from_str_name(s)
            .or_else(|| ConsistencyLevel::from_str_name(&capitalise(s))),
        Value::Number(n) if n.fract() == 0.0 => ConsistencyLevel::try_from(*n as i32).ok(),
        _ => None,
    };
    level.map(Some).ok_or_else(|| {
        ClientError::invalid_arg(
            "consistency_level",
            "one of 'Strong', 'Session', 'Bounded', 'Eventually', 'Customized' or 0 to 4",
        )
    })
}

fn capitalise(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

async fn show_collections(conn: Arc<Connection>, args: Value) -> Result<Json, ClientError> {
    let req = crate::client::optional_req(&args)?;
    let (db_name, names, timeout) = match &req {
        Some(r) => (r.db_name()?, r.str_list("collection_names")?, r.timeout()?),
        None => (String::new(), Vec::new(), None),
    };
    #[allow(deprecated)]
    let message = ShowCollectionsRequest {
        db_name,
        collection_names: names,
        ..Default::default()
    };
    let res = conn
        .call(message, timeout, |mut c, r| async move {
            c.show_collections(r).await
        })
        .await?;
    #[allow(deprecated)]
    let loaded = &res.in_memory_percentages;
    let data: Vec<Json> = res
        .collection_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({
                "name": name,
                "id": res.collection_ids.get(i).map(|x| x.to_string()).unwrap_or_default(),
                "timestamp": res.created_utc_timestamps.get(i).map(|x| x.to_string()).unwrap_or_default(),
                "loadedPercentage": loaded.get(i).map(|x| x.to_string()).unwrap_or_default(),
            })
        })
        .collect();
    let strings = |v: &[u64]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    Ok(json!({
        "status": status_json(&status_or_default(res.status)),
        "collection_names": res.collection_names,
        "collection_ids": res.collection_ids.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
        "created_timestamps": strings(&res.created_timestamps),
        "created_utc_timestamps": strings(&res.created_utc_timestamps),
        "inMemory_percentages": loaded.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
        "query_service_available": res.query_service_available,
        "data": data,
    }))
}

async fn load(
    conn: &Connection,
    req: &Req<'_>,
) -> Result<crate::proto::common::Status, ClientError> {
    let message = LoadCollectionRequest {
        db_name: req.db_name()?,
        collection_name: req.str("collection_name")?,
        replica_number: req
            .opt_int("replica_number", 0, i32::MAX as i64)?
            .unwrap_or(0) as i32,
        resource_groups: req.str_list("resource_groups")?,
        refresh: req.opt_bool("refresh")?.unwrap_or(false),
        load_fields: req.str_list("load_fields")?,
        skip_load_dynamic_field: req.opt_bool("skip_load_dynamic_field")?.unwrap_or(false),
        ..Default::default()
    };
    conn.call(message, req.timeout()?, |mut c, r| async move {
        c.load_collection(r).await
    })
    .await
}

async fn load_state(
    conn: &Connection,
    req: &Req<'_>,
) -> Result<(crate::proto::common::Status, i32), ClientError> {
    let message = GetLoadStateRequest {
        db_name: req.db_name()?,
        collection_name: req.str("collection_name")?,
        ..Default::default()
    };
    let res = conn
        .call(message, req.timeout()?, |mut c, r| async move {
            c.get_load_state(r).await
        })
        .await?;
    Ok((status_or_default(res.status), res.state))
}

/// `LoadStateLoaded` and friends, the proto names the official SDK returns.
fn load_state_name(state: i32) -> &'static str {
    LoadState::try_from(state)
        .map(|s| s.as_str_name())
        .unwrap_or("LoadStateNotExist")
}

/// Polls the load state until the collection is loaded, within the call's `timeout` if given.
async fn wait_loaded(conn: &Connection, req: &Req<'_>) -> Result<(), ClientError> {
    let deadline = req.timeout()?.map(|t| tokio::time::Instant::now() + t);
    loop {
        let (status, state) = load_state(conn, req).await?;
        ensure_success(&status)?;
        if state == LoadState::Loaded as i32 {
            return Ok(());
        }
        if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
            return Err(ClientError::Transport {
                code: tonic::Code::DeadlineExceeded,
                message: format!(
                    "collection still {} at the deadline",
                    load_state_name(state)
                ),
                cause: None,
            });
        }
        tokio::time::sleep(LOAD_POLL_INTERVAL).await;
    }
}

async fn create_collection(conn: Arc<Connection>, args: Value) -> Result<Json, ClientError> {
    let req = Req::new(&args)?;
    let name = req.str("collection_name")?;
    let quick = req.get("fields").is_none() && req.get("schema").is_none();
    let (fields, dynamic, indexes) = if quick {
        quick_schema(&req)?
    } else {
        let list = match req.any(&["fields", "schema"]) {
            Some(Value::Array(items)) if !items.is_empty() => items,
            _ => {
                return Err(ClientError::invalid_arg(
                    "fields",
                    "a non-empty array of field objects",
                ))
            }
        };
        let fields = list
            .iter()
            .enumerate()
            .map(|(i, f)| field_from_js(i, f))
            .collect::<Result<Vec<_>, _>>()?;
        let indexes = match req.get("index_params") {
            None => Vec::new(),
            Some(Value::Array(items)) => items.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            Some(other) => {
                return Err(ClientError::invalid_arg(
                    "index_params",
                    format!("an index object or an array of them, got {}", other.kind()),
                ))
            }
        };
        let dynamic = req.opt_bool("enable_dynamic_field")?.unwrap_or(false)
            || req.opt_bool("enableDynamicField")?.unwrap_or(false);
        let indexes = indexes
            .into_iter()
            .enumerate()
            .map(|(i, v)| index_request(&format!("index_params[{i}]"), &name, v))
            .collect::<Result<Vec<_>, _>>()?;
        (fields, dynamic, indexes)
    };
    validate_schema(&fields)?;
    conn.schemas.forget(&req);
    let schema = CollectionSchema {
        name: name.clone(),
        description: req.opt_str("description")?.unwrap_or_default(),
        fields,
        enable_dynamic_field: dynamic,
        ..Default::default()
    };
    let message = CreateCollectionRequest {
        db_name: req.db_name()?,
        collection_name: name,
        schema: schema.encode_to_vec(),
        shards_num: req.opt_int("shards_num", 0, 64)?.unwrap_or(0) as i32,
        consistency_level: parse_consistency(&req)?.unwrap_or(ConsistencyLevel::Bounded) as i32,
        properties: key_values("properties", req.get("properties"))?,
        num_partitions: req.opt_int("num_partitions", 0, 4096)?.unwrap_or(0),
        ..Default::default()
    };
    let status = conn
        .call(message, req.timeout()?, |mut c, r| async move {
            c.create_collection(r).await
        })
        .await?;
    ensure_success(&status)?;
    if indexes.is_empty() {
        return Ok(status_json(&status));
    }
    for mut index in indexes {
        index.db_name = req.db_name()?;
        ensure_success(&create_index_one(&conn, index, req.timeout()?).await?)?;
    }
    ensure_success(&load(&conn, &req).await?)?;
    wait_loaded(&conn, &req).await?;
    Ok(status_json(&status))
}

type SchemaParts = (
    Vec<FieldSchema>,
    bool,
    Vec<crate::proto::milvus::CreateIndexRequest>,
);

/// The quick form: `id` + `vector` fields, dynamic fields on, one AUTOINDEX index.
fn quick_schema(req: &Req<'_>) -> Result<SchemaParts, ClientError> {
    let dim = req.opt_int("dimension", 1, 32_768)?.ok_or_else(|| {
        ClientError::invalid_arg(
            "dimension",
            "the vector dimension (or use the `fields` form)",
        )
    })?;
    let pk_name = req
        .opt_str("primary_field_name")?
        .unwrap_or_else(|| "id".into());
    let vector_name = req
        .opt_str("vector_field_name")?
        .unwrap_or_else(|| "vector".into());
    let id_type = match req.get("id_type") {
        Some(v) => crate::schema::parse_data_type("id_type", v)?,
        None => DataType::Int64,
    };
    let mut pk = json_field(&pk_name, id_type);
    pk.is_primary_key = true;
    pk.auto_id = req.opt_bool("auto_id")?.unwrap_or(false);
    if id_type == DataType::VarChar {
        let max = req.opt_int("max_length", 1, 65_535)?.unwrap_or(65_535);
        pk.type_params.push(kv("max_length", max.to_string()));
    }
    let mut vector = json_field(&vector_name, DataType::FloatVector);
    vector.type_params.push(kv("dim", dim.to_string()));
    let metric = req
        .opt_str("metric_type")?
        .unwrap_or_else(|| "COSINE".into());
    let mut params = vec![
        kv("index_type", "AUTOINDEX".into()),
        kv("metric_type", metric),
    ];
    params.extend(key_values("index_params", req.get("index_params"))?);
    let index = crate::proto::milvus::CreateIndexRequest {
        db_name: req.db_name()?,
        collection_name: req.str("collection_name")?,
        field_name: vector_name,
        extra_params: params,
        ..Default::default()
    };
    let dynamic = req.opt_bool("enable_dynamic_field")?.unwrap_or(true);
    Ok((vec![pk, vector], dynamic, vec![index]))
}

fn json_field(name: &str, t: DataType) -> FieldSchema {
    FieldSchema {
        name: name.into(),
        data_type: t as i32,
        ..Default::default()
    }
}

fn kv(key: &str, value: String) -> crate::proto::common::KeyValuePair {
    crate::proto::common::KeyValuePair {
        key: key.into(),
        value,
    }
}
