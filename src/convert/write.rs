//! Row-to-column conversion for writes and column-to-row decoding for reads.
//!
//! Writes: `rows_to_columns` turns `[{ id, vector, ... }]` into one `FieldData` per schema
//! field, checking every value against its field's type. Reads: `Columns` turns the
//! `FieldData` of a reply back into row objects, int64 as decimal strings.

use serde_json::{Map, Value as Json};

use crate::error::ClientError;
use crate::proto::schema::{
    field_data, scalar_field, vector_field, BoolArray, CollectionSchema, DataType, DoubleArray,
    FieldData, FieldSchema, FloatArray, IntArray, JsonArray, LongArray, ScalarField, StringArray,
    VectorField,
};
use crate::request::{as_integer, describe};
use crate::schema::{dim_of, type_name, type_param};
use crate::value::Value;

/// Name of the hidden JSON field that holds dynamic (schema-less) keys.
pub const DYNAMIC_FIELD: &str = "$meta";

/// What a write does with auto-generated primary keys: insert omits them, upsert sends them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    Insert,
    Upsert,
}

/// Converts row objects into columns. Every error names the row index and the field.
pub fn rows_to_columns(
    schema: &CollectionSchema,
    rows: &[Value],
    kind: WriteKind,
) -> Result<Vec<FieldData>, ClientError> {
    let fields: Vec<&FieldSchema> = schema
        .fields
        .iter()
        .filter(|f| !f.is_dynamic && !f.is_function_output)
        .filter(|f| !(f.is_primary_key && f.auto_id && kind == WriteKind::Insert))
        .collect();
    let mut columns: Vec<Column> = fields
        .iter()
        .map(|f| Column::new(f, rows.len()))
        .collect::<Result<_, _>>()?;
    let mut dynamic: Option<Vec<Vec<u8>>> = schema
        .enable_dynamic_field
        .then(|| Vec::with_capacity(rows.len()));
    for (row_index, row) in rows.iter().enumerate() {
        let Value::Object(props) = row else {
            return Err(ClientError::invalid_arg(
                format!("data[{row_index}]"),
                format!("a row object, got {}", row.kind()),
            ));
        };
        for (column, field) in columns.iter_mut().zip(&fields) {
            let value = props
                .iter()
                .find(|(k, _)| *k == field.name)
                .map(|(_, v)| v)
                .filter(|v| !v.is_nullish());
            column.push(row_index, value)?;
        }
        let mut extra = Map::new();
        for (key, value) in props {
            let known = schema.fields.iter().any(|f| f.name == *key);
            if known || matches!(value, Value::Undefined) {
                continue;
            }
            if dynamic.is_none() {
                let auto = schema
                    .fields
                    .iter()
                    .any(|f| f.is_primary_key && f.auto_id && f.name == *key);
                let hint = if auto {
                    " (the primary key is auto_id)"
                } else {
                    ""
                };
                return Err(ClientError::invalid(
                    format!("data[{row_index}].{key}"),
                    format!(
                        "data[{row_index}].{key}: not a field of this collection{hint}, and the collection has no dynamic field; fields: {}",
                        fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            extra.insert(key.clone(), value.to_json());
        }
        if let Some(dynamic) = &mut dynamic {
            dynamic.push(Json::Object(extra).to_string().into_bytes());
        }
    }
    let mut out: Vec<FieldData> = columns.into_iter().map(Column::finish).collect();
    if let Some(dynamic) = dynamic {
        out.push(FieldData {
            r#type: DataType::Json as i32,
            field_name: DYNAMIC_FIELD.into(),
            is_dynamic: true,
            field: Some(field_data::Field::Scalars(ScalarField {
                data: Some(scalar_field::Data::JsonData(JsonArray { data: dynamic })),
                ..Default::default()
            })),
            ..Default::default()
        });
    }
    Ok(out)
}

enum Data {
    Bool(Vec<bool>),
    Int(Vec<i32>, i64, i64),
    Long(Vec<i64>),
    Float(Vec<f32>),
    Double(Vec<f64>),
    VarChar(Vec<String>, usize),
    Json(Vec<Vec<u8>>),
    FloatVector(Vec<f32>, usize),
}

struct Column<'a> {
    field: &'a FieldSchema,
    data_type: DataType,
    data: Data,
    /// Present for nullable fields and fields with a default: false where the row had no value.
    valid: Option<Vec<bool>>,
}

impl<'a> Column<'a> {
    fn new(field: &'a FieldSchema, rows: usize) -> Result<Column<'a>, ClientError> {
        let t = DataType::try_from(field.data_type).unwrap_or(DataType::None);
        let data = match t {
            DataType::Bool => Data::Bool(Vec::with_capacity(rows)),
            DataType::Int8 => Data::Int(Vec::with_capacity(rows), i8::MIN as i64, i8::MAX as i64),
            DataType::Int16 => {
                Data::Int(Vec::with_capacity(rows), i16::MIN as i64, i16::MAX as i64)
            }
            DataType::Int32 => {
                Data::Int(Vec::with_capacity(rows), i32::MIN as i64, i32::MAX as i64)
            }
            DataType::Int64 => Data::Long(Vec::with_capacity(rows)),
            DataType::Float => Data::Float(Vec::with_capacity(rows)),
            DataType::Double => Data::Double(Vec::with_capacity(rows)),
            DataType::VarChar | DataType::String => {
                let max = type_param(field, "max_length")
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(usize::MAX);
                Data::VarChar(Vec::with_capacity(rows), max)
            }
            DataType::Json => Data::Json(Vec::with_capacity(rows)),
            DataType::FloatVector => {
                let dim = dim_of(field).ok_or_else(|| {
                    ClientError::internal(format!("field {} has no dim", field.name))
                })?;
                Data::FloatVector(Vec::with_capacity(rows * dim), dim)
            }
            other => {
                return Err(ClientError::invalid(
                    field.name.clone(),
                    format!(
                    "{}: fields of type {} are not supported by this version of milvus-native yet",
                    field.name,
                    type_name(other)
                ),
                ))
            }
        };
        let valid =
            (field.nullable || field.default_value.is_some()).then(|| Vec::with_capacity(rows));
        Ok(Column {
            field,
            data_type: t,
            data,
            valid,
        })
    }

    fn push(&mut self, row: usize, value: Option<&Value>) -> Result<(), ClientError> {
        let name = &self.field.name;
        let path = || format!("data[{row}].{name}");
        let expected = |what: String, v: &Value| {
            ClientError::invalid(
                path(),
                format!("{}: expected {what}, got {}", path(), describe(v)),
            )
        };
        let Some(value) = value else {
            return match &mut self.valid {
                Some(valid) => {
                    valid.push(false);
                    self.push_placeholder();
                    Ok(())
                }
                None => Err(ClientError::invalid(
                    path(),
                    format!(
                        "{}: missing a value for {} field '{name}', which is not nullable",
                        path(),
                        type_name(self.data_type)
                    ),
                )),
            };
        };
        if let Some(valid) = &mut self.valid {
            valid.push(true);
        }
        match &mut self.data {
            Data::Bool(col) => match value {
                Value::Bool(b) => col.push(*b),
                v => return Err(expected("a boolean".into(), v)),
            },
            Data::Int(col, min, max) => match as_number_integer(value) {
                Some(n) if (*min..=*max).contains(&n) => col.push(n as i32),
                _ => {
                    let t = type_name(self.data_type);
                    return Err(expected(
                        format!("an integer from {min} to {max} ({t})"),
                        value,
                    ));
                }
            },
            Data::Long(col) => {
                match as_integer(value) {
                    Some(n) => col.push(n),
                    _ => return Err(expected(
                        "an Int64: an integer number within ±2^53, a bigint or a decimal string"
                            .into(),
                        value,
                    )),
                }
            }
            Data::Float(col) => match value {
                Value::Number(n) if n.is_finite() => col.push(*n as f32),
                v => return Err(expected("a finite number (Float)".into(), v)),
            },
            Data::Double(col) => match value {
                Value::Number(n) if n.is_finite() => col.push(*n),
                v => return Err(expected("a finite number (Double)".into(), v)),
            },
            Data::VarChar(col, max) => match value {
                Value::String(s) if s.len() <= *max => col.push(s.clone()),
                Value::String(s) => {
                    return Err(ClientError::invalid(
                        path(),
                        format!(
                            "{}: expected at most {max} bytes (max_length), got {}",
                            path(),
                            s.len()
                        ),
                    ))
                }
                v => return Err(expected("a string (VarChar)".into(), v)),
            },
            Data::Json(col) => match value {
                Value::Other(_) => return Err(expected("a JSON-serialisable value".into(), value)),
                v => col.push(v.to_json().to_string().into_bytes()),
            },
            Data::FloatVector(col, dim) => {
                let start = col.len();
                let ok = match value {
                    Value::Float32Array(v) => {
                        col.extend_from_slice(v);
                        true
                    }
                    Value::Float64Array(v) | Value::Numbers(v) => {
                        col.extend(v.iter().map(|x| *x as f32));
                        true
                    }
                    Value::Array(items) => items.iter().all(|x| match x {
                        Value::Number(n) => {
                            col.push(*n as f32);
                            true
                        }
                        _ => false,
                    }),
                    _ => false,
                };
                let got = col.len() - start;
                if !ok || got != *dim {
                    col.truncate(start);
                    let what = if ok {
                        format!("{got} values")
                    } else {
                        describe(value)
                    };
                    return Err(ClientError::invalid(
                        path(),
                        format!("{}: expected a FloatVector of {dim} numbers (Float32Array or number[]), got {what}", path()),
                    ));
                }
                if let Some(i) = col[start..].iter().position(|x| !x.is_finite()) {
                    col.truncate(start);
                    return Err(ClientError::invalid(
                        path(),
                        format!(
                            "{}: expected finite numbers, got a non-finite value at index {i}",
                            path()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// A value for a null row: Milvus still expects one entry per row in most columns.
    fn push_placeholder(&mut self) {
        match &mut self.data {
            Data::Bool(c) => c.push(false),
            Data::Int(c, ..) => c.push(0),
            Data::Long(c) => c.push(0),
            Data::Float(c) => c.push(0.0),
            Data::Double(c) => c.push(0.0),
            Data::VarChar(c, _) => c.push(String::new()),
            Data::Json(c) => c.push(b"null".to_vec()),
            Data::FloatVector(c, dim) => c.extend(std::iter::repeat_n(0.0, *dim)),
        }
    }

    fn finish(self) -> FieldData {
        use scalar_field::Data as S;
        let valid_data = self.valid.unwrap_or_default();
        let scalar = |data| {
            field_data::Field::Scalars(ScalarField {
                data: Some(data),
                ..Default::default()
            })
        };
        let field = match self.data {
            Data::Bool(data) => scalar(S::BoolData(BoolArray { data })),
            Data::Int(data, ..) => scalar(S::IntData(IntArray { data })),
            Data::Long(data) => scalar(S::LongData(LongArray { data })),
            Data::Float(data) => scalar(S::FloatData(FloatArray { data })),
            Data::Double(data) => scalar(S::DoubleData(DoubleArray { data })),
            Data::VarChar(data, _) => scalar(S::StringData(StringArray { data })),
            Data::Json(data) => scalar(S::JsonData(JsonArray { data })),
            Data::FloatVector(data, dim) => field_data::Field::Vectors(VectorField {
                dim: dim as i64,
                data: Some(vector_field::Data::FloatVector(FloatArray { data })),
                ..Default::default()
            }),
        };
        FieldData {
            r#type: self.data_type as i32,
            field_name: self.field.name.clone(),
            field_id: self.field.field_id,
            valid_data,
            field: Some(field),
            ..Default::default()
        }
    }
}

/// Small integers: numbers, bigints and decimal strings, exact only.
fn as_number_integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(_) | Value::BigInt(_) | Value::String(_) => as_integer(v),
        _ => None,
    }
}

/// Read access to the columns of a reply, one row at a time.
pub struct Columns<'a> {
    fields: &'a [FieldData],
}

impl<'a> Columns<'a> {
    pub fn new(fields: &'a [FieldData]) -> Self {
        Columns { fields }
    }

    /// Number of rows, from the first column that has data.
    pub fn len(&self) -> usize {
        self.fields.iter().map(column_len).max().unwrap_or(0)
    }

    /// Writes row `i` into `out`. `flatten_dynamic` spreads `$meta` keys into the row (search
    /// hits); otherwise `$meta` stays nested (query rows), as in the official SDK.
    pub fn write_row(&self, i: usize, out: &mut Map<String, Json>, flatten_dynamic: bool) {
        for f in self.fields {
            let value = cell(f, i);
            if f.is_dynamic && flatten_dynamic {
                if let Json::Object(extra) = value {
                    for (k, v) in extra {
                        out.entry(k).or_insert(v);
                    }
                }
                continue;
            }
            out.insert(f.field_name.clone(), value);
        }
    }
}

fn column_len(f: &FieldData) -> usize {
    use scalar_field::Data as S;
    if !f.valid_data.is_empty() {
        return f.valid_data.len();
    }
    match &f.field {
        Some(field_data::Field::Scalars(s)) => match &s.data {
            Some(S::BoolData(a)) => a.data.len(),
            Some(S::IntData(a)) => a.data.len(),
            Some(S::LongData(a)) => a.data.len(),
            Some(S::FloatData(a)) => a.data.len(),
            Some(S::DoubleData(a)) => a.data.len(),
            Some(S::StringData(a)) => a.data.len(),
            Some(S::JsonData(a)) => a.data.len(),
            Some(S::ArrayData(a)) => a.data.len(),
            Some(S::BytesData(a)) => a.data.len(),
            _ => 0,
        },
        Some(field_data::Field::Vectors(v)) => match &v.data {
            Some(vector_field::Data::FloatVector(a)) if v.dim > 0 => a.data.len() / v.dim as usize,
            _ => 0,
        },
        _ => 0,
    }
}

/// The value of row `i` of a column, as the official SDK renders it.
fn cell(f: &FieldData, i: usize) -> Json {
    use scalar_field::Data as S;
    if !f.valid_data.is_empty() && !f.valid_data.get(i).copied().unwrap_or(false) {
        return Json::Null;
    }
    match &f.field {
        Some(field_data::Field::Scalars(s)) => match &s.data {
            Some(S::BoolData(a)) => a.data.get(i).map_or(Json::Null, |v| Json::Bool(*v)),
            Some(S::IntData(a)) => a.data.get(i).map_or(Json::Null, |v| Json::from(*v)),
            Some(S::LongData(a)) => a
                .data
                .get(i)
                .map_or(Json::Null, |v| Json::String(v.to_string())),
            Some(S::FloatData(a)) => a.data.get(i).map_or(Json::Null, |v| f64_json(*v as f64)),
            Some(S::DoubleData(a)) => a.data.get(i).map_or(Json::Null, |v| f64_json(*v)),
            Some(S::StringData(a)) => a
                .data
                .get(i)
                .map_or(Json::Null, |v| Json::String(v.clone())),
            Some(S::JsonData(a)) => a.data.get(i).map_or(Json::Null, |v| json_cell(v)),
            _ => Json::Null,
        },
        Some(field_data::Field::Vectors(v)) => match &v.data {
            Some(vector_field::Data::FloatVector(a)) => {
                let dim = v.dim.max(0) as usize;
                a.data.get(i * dim..(i + 1) * dim).map_or(Json::Null, |s| {
                    Json::Array(s.iter().map(|x| f64_json(*x as f64)).collect())
                })
            }
            _ => Json::Null,
        },
        _ => Json::Null,
    }
}

/// A JSON cell; bytes that are not JSON come back as text rather than being lost.
fn json_cell(bytes: &[u8]) -> Json {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Json::String(String::from_utf8_lossy(bytes).into_owned()))
}

fn f64_json(v: f64) -> Json {
    serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number)
}
