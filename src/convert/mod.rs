//! Conversion between row objects and Milvus's column-oriented `FieldData`.
//!
//! `write` checks and packs rows for insert and upsert; `read` unpacks query and search
//! replies into rows; `vector` holds the byte encodings of the non-float vector types.

mod read;
pub mod vector;
mod write;

pub use read::{Columns, Int64Output, ReadOptions};
pub use write::{rows_to_columns, WriteKind};

/// Name of the hidden JSON field that holds dynamic (schema-less) keys.
pub const DYNAMIC_FIELD: &str = "$meta";
