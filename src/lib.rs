//! milvus-native: a Milvus client for Node.js, exported through napi-rs.
//!
//! One file per Milvus concept; the `#[napi]` methods of `MilvusClient` are spread over them.

mod bulk;
mod client;
mod collection;
mod connection;
mod convert;
mod data;
mod enums;
mod error;
mod index;
mod logging;
mod output;
mod prepare;
mod privilege;
mod request;
mod retry;
mod role;
mod schema;
mod search;
mod status;
mod tls;
mod user;
mod value;
mod wire;

pub use client::MilvusClient;

/// The protocol types, from `milvus-sdk-rust`.
pub(crate) use milvus::proto;
