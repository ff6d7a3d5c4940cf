//! A Milvus gRPC server that answers at (almost) no cost, so that a benchmark measures the
//! client. Every collection exists and has the schema `id: Int64 (primary key), vector:
//! FloatVector(dim)`; inserts are acknowledged, searches return `topk` synthetic hits per query,
//! queries return `limit` rows (default 16,384) with their vectors.
//!
//! Usage: milvus-stub PORT [DIM]   (prints "listening 127.0.0.1:PORT" when ready)

use milvus::proto::common::{KeyValuePair, Status};
use milvus::proto::milvus::milvus_service_server::{MilvusService, MilvusServiceServer};
use milvus::proto::milvus::*;
use milvus::proto::schema::{
    field_data, i_ds, scalar_field, vector_field, CollectionSchema, DataType, FieldData,
    FieldSchema, FloatArray, IDs, LongArray, ScalarField, SearchResultData, VectorField,
};
use std::sync::Arc;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response};

type Reply<T> = Result<Response<T>, tonic::Status>;

struct Stub {
    dim: usize,
    /// The rows a query returns, built once.
    rows: Arc<Vec<FieldData>>,
}

const QUERY_ROWS: usize = 16_384;

// tonic fixes the error type of a service method; its size is not ours to choose.
#[allow(clippy::result_large_err)]
fn ok<T>(message: T) -> Reply<T> {
    Ok(Response::new(message))
}

fn success() -> Option<Status> {
    Some(Status::default())
}

fn param(params: &[KeyValuePair], key: &str) -> Option<usize> {
    params
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.parse().ok())
}

fn columns(ids: Vec<i64>, dim: usize) -> Vec<FieldData> {
    let n = ids.len();
    let vectors: Vec<f32> = (0..n * dim).map(|i| (i % 97) as f32 / 97.0).collect();
    vec![
        FieldData {
            r#type: DataType::Int64 as i32,
            field_name: "id".into(),
            field: Some(field_data::Field::Scalars(ScalarField {
                data: Some(scalar_field::Data::LongData(LongArray { data: ids })),
                ..Default::default()
            })),
            ..Default::default()
        },
        FieldData {
            r#type: DataType::FloatVector as i32,
            field_name: "vector".into(),
            field: Some(field_data::Field::Vectors(VectorField {
                dim: dim as i64,
                data: Some(vector_field::Data::FloatVector(FloatArray {
                    data: vectors,
                })),
                ..Default::default()
            })),
            ..Default::default()
        },
    ]
}

fn mutation(num_rows: u32, fields: &[FieldData]) -> MutationResult {
    let ids = fields
        .iter()
        .find(|f| f.field_name == "id")
        .and_then(|f| match &f.field {
            Some(field_data::Field::Scalars(ScalarField {
                data: Some(scalar_field::Data::LongData(a)),
                ..
            })) => Some(a.data.clone()),
            _ => None,
        })
        .unwrap_or_default();
    MutationResult {
        status: success(),
        i_ds: Some(IDs {
            id_field: Some(i_ds::IdField::IntId(LongArray { data: ids })),
        }),
        succ_index: (0..num_rows).collect(),
        insert_cnt: num_rows as i64,
        upsert_cnt: num_rows as i64,
        ..Default::default()
    }
}

#[tonic::async_trait]
impl MilvusService for Stub {
    async fn connect(&self, _: Request<ConnectRequest>) -> Reply<ConnectResponse> {
        ok(ConnectResponse {
            status: success(),
            identifier: 1,
            ..Default::default()
        })
    }

    async fn get_version(&self, _: Request<GetVersionRequest>) -> Reply<GetVersionResponse> {
        ok(GetVersionResponse {
            status: success(),
            version: "v2.5.0-stub".into(),
        })
    }

    async fn describe_collection(
        &self,
        request: Request<DescribeCollectionRequest>,
    ) -> Reply<DescribeCollectionResponse> {
        let name = request.into_inner().collection_name;
        let field = |id: i64, name: &str, t: DataType, params: Vec<KeyValuePair>| FieldSchema {
            field_id: id,
            name: name.into(),
            data_type: t as i32,
            is_primary_key: id == 100,
            type_params: params,
            ..Default::default()
        };
        let schema = CollectionSchema {
            name: name.clone(),
            fields: vec![
                field(100, "id", DataType::Int64, vec![]),
                field(
                    101,
                    "vector",
                    DataType::FloatVector,
                    vec![KeyValuePair {
                        key: "dim".into(),
                        value: self.dim.to_string(),
                    }],
                ),
            ],
            ..Default::default()
        };
        ok(DescribeCollectionResponse {
            status: success(),
            schema: Some(schema),
            collection_id: 1,
            collection_name: name,
            ..Default::default()
        })
    }

    async fn insert(&self, request: Request<InsertRequest>) -> Reply<MutationResult> {
        let r = request.into_inner();
        ok(mutation(r.num_rows, &r.fields_data))
    }

    async fn upsert(&self, request: Request<UpsertRequest>) -> Reply<MutationResult> {
        let r = request.into_inner();
        ok(mutation(r.num_rows, &r.fields_data))
    }

    async fn search(&self, request: Request<SearchRequest>) -> Reply<SearchResults> {
        let r = request.into_inner();
        let nq = r.nq.max(1) as usize;
        let topk = param(&r.search_params, "topk").unwrap_or(10);
        let n = nq * topk;
        ok(SearchResults {
            status: success(),
            results: Some(SearchResultData {
                num_queries: nq as i64,
                top_k: topk as i64,
                scores: (0..n)
                    .map(|i| 1.0 - (i % topk) as f32 / topk as f32)
                    .collect(),
                ids: Some(IDs {
                    id_field: Some(i_ds::IdField::IntId(LongArray {
                        data: (0..n as i64).collect(),
                    })),
                }),
                topks: vec![topk as i64; nq],
                ..Default::default()
            }),
            collection_name: r.collection_name,
            ..Default::default()
        })
    }

    async fn query(&self, request: Request<QueryRequest>) -> Reply<QueryResults> {
        let r = request.into_inner();
        let limit = param(&r.query_params, "limit").unwrap_or(QUERY_ROWS);
        let fields_data = if limit == QUERY_ROWS {
            (*self.rows).clone()
        } else {
            columns((0..limit as i64).collect(), self.dim)
        };
        ok(QueryResults {
            status: success(),
            fields_data,
            collection_name: r.collection_name,
            output_fields: vec!["id".into(), "vector".into()],
            ..Default::default()
        })
    }

    async fn flush(&self, _: Request<FlushRequest>) -> Reply<FlushResponse> {
        ok(FlushResponse {
            status: success(),
            ..Default::default()
        })
    }

    async fn get_load_state(&self, _: Request<GetLoadStateRequest>) -> Reply<GetLoadStateResponse> {
        ok(GetLoadStateResponse {
            status: success(),
            state: milvus::proto::common::LoadState::Loaded as i32,
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args
        .next()
        .ok_or("usage: milvus-stub PORT [DIM]")?
        .parse()?;
    let dim: usize = args.next().map(|d| d.parse()).transpose()?.unwrap_or(768);
    let stub = Stub {
        dim,
        rows: Arc::new(columns((0..QUERY_ROWS as i64).collect(), dim)),
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening {}", listener.local_addr()?);
    let service = MilvusServiceServer::new(stub)
        .max_decoding_message_size(usize::MAX)
        .max_encoding_message_size(usize::MAX);
    tonic::transport::Server::builder()
        .initial_stream_window_size(32 << 20)
        .initial_connection_window_size(64 << 20)
        .add_service(service)
        .serve_with_incoming(TcpIncoming::from(listener).with_nodelay(Some(true)))
        .await?;
    Ok(())
}
