//! The transport ceiling: a plain tonic client sending pre-built columns to the stub, the
//! least work any client can do for the insert scenario.
//!
//! Usage: raw-insert ADDRESS ROWS BATCH DIM   (prints one JSON line: wall_ms, rows_per_s)

use milvus::proto::milvus::milvus_service_client::MilvusServiceClient;
use milvus::proto::milvus::InsertRequest;
use milvus::proto::schema::{
    field_data, scalar_field, vector_field, DataType, FieldData, FloatArray, LongArray,
    ScalarField, VectorField,
};
use std::time::Instant;

fn batch(start: i64, rows: usize, dim: usize) -> InsertRequest {
    let ids: Vec<i64> = (start..start + rows as i64).collect();
    let vectors: Vec<f32> = (0..rows * dim)
        .map(|i| (i % 1000) as f32 / 1000.0)
        .collect();
    InsertRequest {
        collection_name: "bench".into(),
        num_rows: rows as u32,
        fields_data: vec![
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
        ],
        ..Default::default()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [address, rows, size, dim] = args.as_slice() else {
        return Err("usage: raw-insert ADDRESS ROWS BATCH DIM".into());
    };
    let (rows, size, dim): (usize, usize, usize) = (rows.parse()?, size.parse()?, dim.parse()?);
    let batches: Vec<InsertRequest> = (0..rows / size)
        .map(|b| batch((b * size) as i64, size, dim))
        .collect();
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))?
        .tcp_nodelay(true)
        .initial_stream_window_size(32 << 20)
        .initial_connection_window_size(64 << 20)
        .connect()
        .await?;
    let mut client = MilvusServiceClient::new(channel)
        .max_encoding_message_size(usize::MAX)
        .max_decoding_message_size(usize::MAX);
    let started = Instant::now();
    for request in batches {
        client.insert(request).await?;
    }
    let wall = started.elapsed().as_secs_f64();
    println!(
        "{{\"wall_ms\":{:.1},\"rows_per_s\":{:.0}}}",
        wall * 1e3,
        rows as f64 / wall
    );
    Ok(())
}
