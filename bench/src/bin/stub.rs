//! A Milvus gRPC server that answers at (almost) no cost, so that a benchmark measures the
//! client. Every collection exists and has the schema `id: Int64 (primary key), vector:
//! FloatVector(dim)`; inserts are acknowledged, searches return `topk` synthetic hits per query,
//! queries return `limit` rows (default 16,384) with their vectors.
//!
//! "No cost" includes the protobuf work: inserts and upserts are decoded without their vector
//! payload (skipped, never parsed), and the default query reply is encoded once at start-up and
//! then written out as bytes. Everything else goes through `milvus::proto`'s generated server.
//!
//! Usage: milvus-stub PORT [DIM]   (prints "listening 127.0.0.1:PORT" when ready)

use bytes::{Buf, BufMut, Bytes};
use milvus::proto::common::{KeyValuePair, Status};
use milvus::proto::milvus::milvus_service_server::{MilvusService, MilvusServiceServer};
use milvus::proto::milvus::*;
use milvus::proto::schema::{
    field_data, i_ds, scalar_field, vector_field, CollectionSchema, DataType, FieldData,
    FieldSchema, FloatArray, IDs, LongArray, ScalarField, SearchResultData, VectorField,
};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tonic::body::Body;
use tonic::codec::ProstCodec;
use tonic::server::{NamedService, UnaryService};
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response};

type Reply<T> = Result<Response<T>, tonic::Status>;

struct Stub {
    dim: usize,
    /// The `fields_data` of the default query reply, encoded once.
    rows: Bytes,
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

/// The part of an `InsertRequest` or `UpsertRequest` (same tags) that the reply needs. Prost
/// skips the fields this message does not declare, so the vectors cost one bounds check.
#[derive(Clone, PartialEq, prost::Message)]
struct WriteHead {
    #[prost(message, repeated, tag = "5")]
    fields_data: Vec<FieldHead>,
    #[prost(uint32, tag = "7")]
    num_rows: u32,
}

/// `FieldData` without its vectors (tag 4).
#[derive(Clone, PartialEq, prost::Message)]
struct FieldHead {
    #[prost(string, tag = "2")]
    field_name: String,
    #[prost(message, optional, tag = "3")]
    scalars: Option<ScalarField>,
}

fn mutation(head: WriteHead) -> MutationResult {
    let num_rows = head.num_rows;
    let ids = head
        .fields_data
        .into_iter()
        .find(|f| f.field_name == "id")
        .and_then(|f| match f.scalars {
            Some(ScalarField {
                data: Some(scalar_field::Data::LongData(a)),
                ..
            }) => Some(a.data),
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

/// A `QueryResults` whose `fields_data` (tag 2) is already encoded: protobuf fields may come in
/// any order, so the bytes follow the rest of the message.
#[derive(Debug, Default)]
struct QueryReply {
    head: QueryResults,
    fields: Bytes,
}

impl prost::Message for QueryReply {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        self.head.encode_raw(buf);
        buf.put_slice(&self.fields);
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: prost::encoding::WireType,
        buf: &mut impl Buf,
        ctx: prost::encoding::DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        prost::encoding::skip_field(wire_type, tag, buf, ctx)
    }

    fn encoded_len(&self) -> usize {
        self.head.encoded_len() + self.fields.len()
    }

    fn clear(&mut self) {
        *self = Self::default();
    }
}

/// `fields_data` entries as the bytes of `QueryResults` field 2.
fn encoded_rows(rows: usize, dim: usize) -> Bytes {
    let mut buf = Vec::new();
    for field in columns((0..rows as i64).collect(), dim) {
        prost::encoding::message::encode(2, &field, &mut buf);
    }
    buf.into()
}

struct Write;

impl UnaryService<WriteHead> for Write {
    type Response = MutationResult;
    type Future = std::future::Ready<Reply<MutationResult>>;

    fn call(&mut self, request: Request<WriteHead>) -> Self::Future {
        std::future::ready(ok(mutation(request.into_inner())))
    }
}

struct Query(Arc<Stub>);

impl UnaryService<QueryRequest> for Query {
    type Response = QueryReply;
    type Future = std::future::Ready<Reply<QueryReply>>;

    fn call(&mut self, request: Request<QueryRequest>) -> Self::Future {
        let r = request.into_inner();
        let limit = param(&r.query_params, "limit").unwrap_or(QUERY_ROWS);
        let fields = if limit == QUERY_ROWS {
            self.0.rows.clone()
        } else {
            encoded_rows(limit, self.0.dim)
        };
        std::future::ready(ok(QueryReply {
            head: QueryResults {
                status: success(),
                collection_name: r.collection_name,
                output_fields: vec!["id".into(), "vector".into()],
                ..Default::default()
            },
            fields,
        }))
    }
}

/// Routes inserts, upserts and queries to the byte-level handlers above and every other
/// method to the generated server.
#[derive(Clone)]
struct Routes {
    stub: Arc<Stub>,
    rest: MilvusServiceServer<Stub>,
}

impl NamedService for Routes {
    const NAME: &'static str = <MilvusServiceServer<Stub> as NamedService>::NAME;
}

fn grpc<E, D>() -> tonic::server::Grpc<ProstCodec<E, D>>
where
    E: prost::Message + 'static,
    D: prost::Message + Default + 'static,
{
    tonic::server::Grpc::new(ProstCodec::default())
        .apply_max_message_size_config(Some(usize::MAX), Some(usize::MAX))
}

type Routed = Pin<Box<dyn Future<Output = Result<http::Response<Body>, Infallible>> + Send>>;

impl tower_service::Service<http::Request<Body>> for Routes {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Routed;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Routed {
        match request.uri().path() {
            "/milvus.proto.milvus.MilvusService/Insert"
            | "/milvus.proto.milvus.MilvusService/Upsert" => {
                Box::pin(async move { Ok(grpc().unary(Write, request).await) })
            }
            "/milvus.proto.milvus.MilvusService/Query" => {
                let query = Query(self.stub.clone());
                Box::pin(async move { Ok(grpc().unary(query, request).await) })
            }
            _ => Box::pin(self.rest.call(request)),
        }
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
    let stub = Arc::new(Stub {
        dim,
        rows: encoded_rows(QUERY_ROWS, dim),
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening {}", listener.local_addr()?);
    let service = Routes {
        stub: stub.clone(),
        rest: MilvusServiceServer::from_arc(stub)
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(usize::MAX),
    };
    tonic::transport::Server::builder()
        .initial_stream_window_size(32 << 20)
        .initial_connection_window_size(64 << 20)
        .add_service(service)
        .serve_with_incoming(TcpIncoming::from(listener).with_nodelay(Some(true)))
        .await?;
    Ok(())
}
