//! Enums exported with the same names and values as the official SDK, so that switching
//! clients keeps `DataType.Int64`, `MetricType.COSINE` and friends working.

// Names and values mirror the official SDK, whatever Rust conventions say.
#![allow(
    non_camel_case_types,
    clippy::upper_case_acronyms,
    clippy::enum_variant_names
)]

use napi_derive::napi;

/// Field data types, numbered as in Milvus's `schema.proto`.
#[napi]
pub enum DataType {
    None = 0,
    Bool = 1,
    Int8 = 2,
    Int16 = 3,
    Int32 = 4,
    Int64 = 5,
    Float = 10,
    Double = 11,
    VarChar = 21,
    Array = 22,
    JSON = 23,
    Geometry = 24,
    Text = 25,
    Timestamptz = 26,
    BinaryVector = 100,
    FloatVector = 101,
    Float16Vector = 102,
    BFloat16Vector = 103,
    SparseFloatVector = 104,
    Int8Vector = 105,
    ArrayOfVector = 106,
    Struct = 201,
}

/// Read consistency levels.
#[napi]
pub enum ConsistencyLevelEnum {
    Strong = 0,
    Session = 1,
    Bounded = 2,
    Eventually = 3,
    Customized = 4,
}

/// Distance metrics; the value is the name Milvus expects.
#[napi(string_enum)]
pub enum MetricType {
    L2,
    IP,
    COSINE,
    HAMMING,
    JACCARD,
    TANIMOTO,
    SUBSTRUCTURE,
    SUPERSTRUCTURE,
    BM25,
}

/// Index types; the value is the name Milvus expects.
#[napi(string_enum)]
pub enum IndexType {
    FLAT,
    IVF_FLAT,
    IVF_SQ8,
    IVF_PQ,
    HNSW,
    BIN_FLAT,
    BIN_IVF_FLAT,
    DISKANN,
    AUTOINDEX,
    SPARSE_INVERTED_INDEX,
    SPARSE_WAND,
    #[napi(value = "SCANN")]
    ScaNN,
    STL_SORT,
    #[napi(value = "Trie")]
    TRIE,
    INVERTED,
    BITMAP,
}

/// The `error_code` names of a status that callers commonly compare against.
#[napi(string_enum)]
pub enum ErrorCode {
    #[napi(value = "Success")]
    SUCCESS,
    IndexNotExist,
    UnexpectedError,
    EmptyCollection,
    UpsertAutoIDTrue,
    CollectionNotExists,
    IllegalArgument,
    RateLimit,
    SchemaMismatch,
}

/// The `state` of `getLoadState`.
#[napi(string_enum)]
pub enum LoadState {
    LoadStateNotExist,
    LoadStateNotLoad,
    LoadStateLoading,
    LoadStateLoaded,
}

/// Index build states.
#[napi]
pub enum IndexState {
    IndexStateNone = 0,
    Unissued = 1,
    InProgress = 2,
    Finished = 3,
    Failed = 4,
}

/// `showCollections({ type })`: all collections or only loaded ones.
#[napi]
pub enum ShowCollectionsType {
    All = 0,
    Loaded = 1,
}

/// Connection states, as the official SDK numbers them.
#[napi]
pub enum CONNECT_STATUS {
    NOT_CONNECTED = 0,
    CONNECTED = 1,
    UNIMPLEMENTED = 2,
    SHUTDOWN = 5,
}
