//! The query ceiling: a plain tonic client asking the stub for `LIMIT` rows with their vectors
//! and decoding the reply with prost, doing nothing else.
//!
//! Usage: raw-query ADDRESS LIMIT ROUNDS   (prints one JSON line: best wall_ms, rows_per_s)

use milvus::proto::common::KeyValuePair;
use milvus::proto::milvus::milvus_service_client::MilvusServiceClient;
use milvus::proto::milvus::QueryRequest;
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [address, limit, rounds] = args.as_slice() else {
        return Err("usage: raw-query ADDRESS LIMIT ROUNDS".into());
    };
    let (limit, rounds): (usize, usize) = (limit.parse()?, rounds.parse()?);
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))?
        .tcp_nodelay(true)
        .initial_stream_window_size(64 << 20)
        .initial_connection_window_size(128 << 20)
        .connect()
        .await?;
    let mut client = MilvusServiceClient::new(channel)
        .max_encoding_message_size(usize::MAX)
        .max_decoding_message_size(usize::MAX);
    let mut best = f64::MAX;
    for _ in 0..rounds.max(1) {
        let request = QueryRequest {
            collection_name: "bench".into(),
            expr: "id >= 0".into(),
            output_fields: vec!["id".into(), "vector".into()],
            query_params: vec![KeyValuePair {
                key: "limit".into(),
                value: limit.to_string(),
            }],
            ..Default::default()
        };
        let started = Instant::now();
        let reply = client.query(request).await?.into_inner();
        best = best.min(started.elapsed().as_secs_f64());
        assert_eq!(reply.fields_data.len(), 2);
    }
    println!(
        "{{\"wall_ms\":{:.1},\"rows_per_s\":{:.0}}}",
        best * 1e3,
        limit as f64 / best
    );
    Ok(())
}
