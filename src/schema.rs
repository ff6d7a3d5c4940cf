//! Collection schemas: reading field definitions from JS, validating them, and rendering a
//! described schema the way the official SDK does.

use serde_json::{json, Map, Value as Json};

use crate::error::ClientError;
use crate::proto::common::KeyValuePair;
use crate::proto::schema::{
    value_field, CollectionSchema, DataType, FieldSchema, FieldState, ValueField,
};
use crate::request::{as_integer, describe, key_values, param_string};
use crate::value::Value;

/// Properties of a field object that Milvus keeps in `type_params`.
const TYPE_PARAM_KEYS: &[&str] = &[
    "dim",
    "max_length",
    "max_capacity",
    "enable_match",
    "enable_analyzer",
    "analyzer_params",
    "multi_analyzer_params",
    "mmap.enabled",
];

/// A `DataType` from its number (`5`) or its name (`'Int64'`, case-insensitive).
pub fn parse_data_type(field: &str, v: &Value) -> Result<DataType, ClientError> {
    let found = match v {
        Value::Number(_) | Value::BigInt(_) => as_integer(v)
            .and_then(|n| i32::try_from(n).ok())
            .and_then(|n| DataType::try_from(n).ok()),
        Value::String(name) => data_type_by_name(name),
        _ => None,
    };
    match found {
        Some(t) if t != DataType::None => Ok(t),
        _ => Err(ClientError::invalid_arg(
            field,
            format!(
                "a DataType such as DataType.Int64 or 'FloatVector', got {}",
                describe(v)
            ),
        )),
    }
}

fn data_type_by_name(name: &str) -> Option<DataType> {
    let lower = name.to_ascii_lowercase();
    let alias = match lower.as_str() {
        "json" => Some(DataType::Json),
        "bfloat16vector" => Some(DataType::BFloat16Vector),
        "string" => Some(DataType::VarChar),
        _ => None,
    };
    alias.or_else(|| {
        (0..=300)
            .filter_map(|n| DataType::try_from(n).ok())
            .find(|t| type_name(*t).eq_ignore_ascii_case(name))
    })
}

/// The name the official SDK uses for a data type (`'Int64'`, `'JSON'`, `'FloatVector'`).
pub fn type_name(t: DataType) -> &'static str {
    match t {
        DataType::Json => "JSON",
        DataType::BFloat16Vector => "BFloat16Vector",
        other => other.as_str_name(),
    }
}

pub fn is_vector(t: DataType) -> bool {
    matches!(
        t,
        DataType::FloatVector
            | DataType::BinaryVector
            | DataType::Float16Vector
            | DataType::BFloat16Vector
            | DataType::SparseFloatVector
            | DataType::Int8Vector
    )
}

/// The value of a type parameter such as `dim`, when present.
pub fn type_param(field: &FieldSchema, key: &str) -> Option<String> {
    field
        .type_params
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| kv.value.clone())
}

/// The vector dimension of a field, from its `dim` type parameter.
pub fn dim_of(field: &FieldSchema) -> Option<usize> {
    type_param(field, "dim").and_then(|d| d.trim().parse().ok())
}

/// Reads one entry of `fields` in a `createCollection` request.
pub fn field_from_js(index: usize, v: &Value) -> Result<FieldSchema, ClientError> {
    let path = |key: &str| format!("fields[{index}].{key}");
    if !matches!(v, Value::Object(_)) {
        return Err(ClientError::invalid_arg(
            format!("fields[{index}]"),
            format!("a field object, got {}", v.kind()),
        ));
    }
    let name = match v.get("name") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(ClientError::invalid_arg(path("name"), "a non-empty string")),
    };
    let data_type = match v.get("data_type") {
        Some(t) => parse_data_type(&path("data_type"), t)?,
        None => return Err(ClientError::invalid_arg(path("data_type"), "a DataType")),
    };
    let flag = |key: &str| -> Result<bool, ClientError> {
        match v.get(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(ClientError::invalid_arg(
                path(key),
                format!("a boolean, got {}", other.kind()),
            )),
        }
    };
    let mut type_params = key_values(&path("type_params"), v.get("type_params"))?;
    for key in TYPE_PARAM_KEYS {
        if let Some(value) = v.get(key) {
            type_params.retain(|kv| kv.key != *key);
            type_params.push(KeyValuePair {
                key: (*key).into(),
                value: param_string(value),
            });
        }
    }
    let element_type = match v.get("element_type") {
        Some(t) => parse_data_type(&path("element_type"), t)? as i32,
        None => 0,
    };
    let description = match v.get("description") {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let field = FieldSchema {
        name,
        description,
        data_type: data_type as i32,
        is_primary_key: flag("is_primary_key")?,
        auto_id: flag("autoID")? || flag("auto_id")?,
        is_partition_key: flag("is_partition_key")?,
        is_clustering_key: flag("is_clustering_key")?,
        nullable: flag("nullable")?,
        element_type,
        type_params,
        default_value: v
            .get("default_value")
            .map(|d| default_value(&path("default_value"), data_type, d))
            .transpose()?,
        ..Default::default()
    };
    validate_field(index, &field, data_type)?;
    Ok(field)
}

fn validate_field(index: usize, field: &FieldSchema, t: DataType) -> Result<(), ClientError> {
    let path = |key: &str| format!("fields[{index}].{key}");
    if is_vector(t) && t != DataType::SparseFloatVector {
        let dim = dim_of(field).filter(|d| *d > 0).ok_or_else(|| {
            ClientError::invalid_arg(
                path("dim"),
                format!("a positive dimension for {}", type_name(t)),
            )
        })?;
        if t == DataType::BinaryVector && dim % 8 != 0 {
            return Err(ClientError::invalid_arg(
                path("dim"),
                format!("a multiple of 8 for BinaryVector, got {dim}"),
            ));
        }
    }
    if t == DataType::VarChar {
        type_param(field, "max_length")
            .and_then(|m| m.parse::<u32>().ok())
            .filter(|m| *m > 0)
            .ok_or_else(|| {
                ClientError::invalid_arg(path("max_length"), "a positive length for VarChar")
            })?;
    }
    if field.is_primary_key && !matches!(t, DataType::Int64 | DataType::VarChar) {
        return Err(ClientError::invalid_arg(
            path("data_type"),
            format!("Int64 or VarChar for the primary key, got {}", type_name(t)),
        ));
    }
    Ok(())
}

/// A field's `default_value` as the `ValueField` Milvus stores.
fn default_value(field: &str, t: DataType, v: &Value) -> Result<ValueField, ClientError> {
    use value_field::Data;
    let bad = || {
        ClientError::invalid_arg(
            field,
            format!("a default of type {}, got {}", type_name(t), describe(v)),
        )
    };
    let data = match (t, v) {
        (DataType::Bool, Value::Bool(b)) => Data::BoolData(*b),
        (DataType::Int8 | DataType::Int16 | DataType::Int32, _) => Data::IntData(
            as_integer(v)
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(bad)?,
        ),
        (DataType::Int64, _) => Data::LongData(as_integer(v).ok_or_else(bad)?),
        (DataType::Float, Value::Number(n)) => Data::FloatData(*n as f32),
        (DataType::Double, Value::Number(n)) => Data::DoubleData(*n),
        (DataType::VarChar, Value::String(s)) => Data::StringData(s.clone()),
        (DataType::Json, other) => Data::BytesData(other.to_json().to_string().into_bytes()),
        _ => return Err(bad()),
    };
    Ok(ValueField { data: Some(data) })
}

/// Checks the collection-level rules: one Int64/VarChar primary key, at least one vector.
pub fn validate_schema(fields: &[FieldSchema]) -> Result<(), ClientError> {
    let primaries = fields.iter().filter(|f| f.is_primary_key).count();
    if primaries != 1 {
        return Err(ClientError::invalid_arg(
            "fields",
            format!("exactly one field with is_primary_key: true, found {primaries}"),
        ));
    }
    let has_vector = fields
        .iter()
        .any(|f| DataType::try_from(f.data_type).is_ok_and(is_vector));
    if !has_vector {
        return Err(ClientError::invalid_arg(
            "fields",
            "at least one vector field (FloatVector, BinaryVector, ...)",
        ));
    }
    Ok(())
}

/// The primary key field of a described schema.
pub fn primary_field(schema: &CollectionSchema) -> Result<&FieldSchema, ClientError> {
    schema
        .fields
        .iter()
        .find(|f| f.is_primary_key)
        .ok_or_else(|| ClientError::internal("the collection schema has no primary key"))
}

/// A field as `describeCollection` shows it: proto fields in snake case, enums by name, int64
/// as strings, plus `dataType` (the number) and each type parameter copied up (`dim: '8'`).
pub fn field_json(f: &FieldSchema) -> Json {
    let t = DataType::try_from(f.data_type).unwrap_or(DataType::None);
    let element = DataType::try_from(f.element_type).unwrap_or(DataType::None);
    let state = FieldState::try_from(f.state)
        .map(|s| s.as_str_name())
        .unwrap_or("FieldCreated");
    let mut out = json!({
        "fieldID": f.field_id.to_string(),
        "name": f.name,
        "is_primary_key": f.is_primary_key,
        "description": f.description,
        "data_type": type_name(t),
        "type_params": kv_json(&f.type_params),
        "index_params": kv_json(&f.index_params),
        "autoID": f.auto_id,
        "state": state,
        "element_type": type_name(element),
        "default_value": f.default_value.as_ref().map_or(Json::Null, default_value_json),
        "is_dynamic": f.is_dynamic,
        "is_partition_key": f.is_partition_key,
        "is_clustering_key": f.is_clustering_key,
        "nullable": f.nullable,
        "is_function_output": f.is_function_output,
        "dataType": f.data_type,
    });
    if let Json::Object(map) = &mut out {
        for kv in &f.type_params {
            map.entry(kv.key.clone())
                .or_insert(Json::from(kv.value.clone()));
        }
    }
    out
}

fn default_value_json(v: &ValueField) -> Json {
    use value_field::Data;
    match &v.data {
        Some(Data::BoolData(b)) => json!(b),
        Some(Data::IntData(n)) => json!(n),
        Some(Data::LongData(n)) => json!(n.to_string()),
        Some(Data::FloatData(n)) => json!(n),
        Some(Data::DoubleData(n)) => json!(n),
        Some(Data::StringData(s)) => json!(s),
        Some(Data::BytesData(b)) => serde_json::from_slice(b).unwrap_or(Json::Null),
        _ => Json::Null,
    }
}

/// `[{ key, value }]`, as Milvus key/value pairs appear in responses.
pub fn kv_json(kvs: &[KeyValuePair]) -> Json {
    Json::Array(
        kvs.iter()
            .map(|kv| json!({ "key": kv.key, "value": kv.value }))
            .collect(),
    )
}

/// The `schema` object of a `describeCollection` response.
pub fn schema_json(s: &CollectionSchema) -> Json {
    #[allow(deprecated)]
    let auto_id = s.auto_id || s.fields.iter().any(|f| f.is_primary_key && f.auto_id);
    json!({
        "name": s.name,
        "description": s.description,
        "autoID": auto_id,
        "enable_dynamic_field": s.enable_dynamic_field,
        "fields": s.fields.iter().map(field_json).collect::<Vec<_>>(),
        "properties": kv_json(&s.properties),
        "functions": [],
        "dbName": s.db_name,
        "version": s.version,
    })
}

/// `anns_fields` and `scalar_fields`: the schema's fields by name, split by kind.
pub fn fields_by_kind(s: &CollectionSchema) -> (Json, Json) {
    let mut vectors = Map::new();
    let mut scalars = Map::new();
    for f in &s.fields {
        let t = DataType::try_from(f.data_type).unwrap_or(DataType::None);
        let target = if is_vector(t) {
            &mut vectors
        } else {
            &mut scalars
        };
        target.insert(f.name.clone(), field_json(f));
    }
    (Json::Object(vectors), Json::Object(scalars))
}
