//! Rows to columns: `[{ id, vector, ... }]` becomes one `FieldData` per schema field, every
//! value checked against its field's type, errors naming the row and the field.

use serde_json::{Map, Value as Json};

use super::vector;
use super::DYNAMIC_FIELD;
use crate::error::ClientError;
use crate::prepare::{Numbers, Prebuilt, Shared};
use crate::proto::schema::{
    field_data, scalar_field, vector_field, ArrayArray, BoolArray, CollectionSchema, DataType,
    DoubleArray, FieldData, FieldSchema, FloatArray, IntArray, JsonArray, LongArray, ScalarField,
    SparseFloatArray, StringArray, VectorField,
};
use crate::request::{as_integer, describe};
use crate::schema::{dim_of, type_name, type_param};
use crate::value::Value;
use crate::wire::WriteField;

/// What a write does with auto-generated primary keys: insert omits them, upsert sends them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    Insert,
    Upsert,
}

/// Converts row objects into columns. `prebuilt` holds fields that the JS preparer already
/// took out of every row (see `prepare.rs`); they are checked like any other value.
pub fn rows_to_columns(
    schema: &CollectionSchema,
    rows: &[Value],
    prebuilt: &[Prebuilt],
    kind: WriteKind,
) -> Result<Vec<WriteField>, ClientError> {
    let fields: Vec<&FieldSchema> = schema
        .fields
        .iter()
        .filter(|f| !f.is_dynamic && !f.is_function_output)
        .filter(|f| !(f.is_primary_key && f.auto_id && kind == WriteKind::Insert))
        .collect();
    // Prebuilt values of a field this write leaves out, or of no field, go back into their
    // rows, where the checks below refuse them or move them into the dynamic field.
    let (matched, orphans): (Vec<&Prebuilt>, Vec<&Prebuilt>) = prebuilt
        .iter()
        .partition(|p| fields.iter().any(|f| f.name == p.name));
    if let Some(p) = orphans.iter().find(|p| p.rounded) {
        return Err(schema_changed(&p.name));
    }
    let merged: Vec<Value>;
    let rows = if orphans.is_empty() {
        rows
    } else {
        merged = with_values(rows, &orphans);
        &merged
    };
    let mut columns: Vec<Column> = fields
        .iter()
        .map(|f| Column::new(f, rows.len()))
        .collect::<Result<_, _>>()?;
    let mut sources: Vec<Source> = Vec::with_capacity(columns.len());
    for column in columns.iter_mut() {
        let source = match matched.iter().find(|p| p.name == column.field.name) {
            Some(p) if column.take_whole(p)? => Source::Done,
            Some(p) if p.rounded && column.data_type == DataType::FloatVector => {
                Source::Prebuilt(p)
            }
            Some(p) if p.rounded => return Err(schema_changed(&p.name)),
            Some(p) => Source::Prebuilt(p),
            None => Source::Rows,
        };
        sources.push(source);
    }
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
        for (column, source) in columns.iter_mut().zip(&sources) {
            match source {
                Source::Done => {}
                Source::Prebuilt(p) => column.push(row_index, Some(&p.row(row_index)))?,
                Source::Rows => {
                    let value = props
                        .iter()
                        .find(|(k, _)| *k == column.field.name)
                        .map(|(_, v)| v)
                        .filter(|v| !v.is_nullish());
                    column.push(row_index, value)?;
                }
            }
        }
        let mut extra = Map::new();
        for (key, value) in props {
            let written = fields.iter().any(|f| f.name == *key);
            let left_out = !written && schema.fields.iter().any(|f| f.name == *key);
            if written || matches!(value, Value::Undefined) || (left_out && value.is_nullish()) {
                continue;
            }
            // A value for a field the write leaves out (an auto_id key on insert), or for no
            // field at all without a dynamic field, is refused rather than dropped.
            let path = format!("data[{row_index}].{key}");
            if left_out {
                return Err(ClientError::invalid(
                    path.clone(),
                    format!("{path}: the primary key is auto_id, so Milvus generates it; leave it out of inserted rows"),
                ));
            }
            if dynamic.is_none() {
                let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
                return Err(ClientError::invalid(
                    path.clone(),
                    format!(
                        "{path}: not a field of this collection, and the collection has no dynamic field; fields: {}",
                        names.join(", ")
                    ),
                ));
            }
            extra.insert(key.clone(), value.to_json());
        }
        if let Some(dynamic) = &mut dynamic {
            dynamic.push(Json::Object(extra).to_string().into_bytes());
        }
    }
    let mut out: Vec<WriteField> = columns.into_iter().map(Column::finish).collect();
    if let Some(dynamic) = dynamic {
        out.push(WriteField::Field(FieldData {
            r#type: DataType::Json as i32,
            field_name: DYNAMIC_FIELD.into(),
            is_dynamic: true,
            field: Some(field_data::Field::Scalars(ScalarField {
                data: Some(scalar_field::Data::JsonData(JsonArray { data: dynamic })),
                ..Default::default()
            })),
            ..Default::default()
        }));
    }
    Ok(out)
}

/// Where a column's values come from.
enum Source<'a> {
    Rows,
    Prebuilt(&'a Prebuilt),
    /// Taken whole from a prebuilt column.
    Done,
}

/// The preparer rounded `field` to f32 for the FloatVector it was in the cached schema, and the
/// collection now has another schema: refused rather than sent rounded.
fn schema_changed(field: &str) -> ClientError {
    ClientError::invalid(
        field.to_string(),
        format!("{field}: the collection's schema changed while this write was prepared; write the rows again"),
    )
}

/// The rows with the values of `columns` put back in.
fn with_values(rows: &[Value], columns: &[&Prebuilt]) -> Vec<Value> {
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let mut row = row.clone();
            if let Value::Object(props) = &mut row {
                props.extend(columns.iter().map(|p| (p.name.clone(), p.row(i))));
            }
            row
        })
        .collect()
}

/// Values of one scalar type, for whole columns and for the elements of Array cells.
enum Scalars {
    Bool(Vec<bool>),
    Int(Vec<i32>, i64, i64),
    Long(Vec<i64>),
    Float(Vec<f32>),
    Double(Vec<f64>),
    VarChar(Vec<String>, usize),
    Json(Vec<Vec<u8>>),
}

impl Scalars {
    /// `max_length` bounds VarChar values in bytes.
    fn new(t: DataType, max_length: usize) -> Option<Scalars> {
        Some(match t {
            DataType::Bool => Scalars::Bool(Vec::new()),
            DataType::Int8 => Scalars::Int(Vec::new(), i8::MIN.into(), i8::MAX.into()),
            DataType::Int16 => Scalars::Int(Vec::new(), i16::MIN.into(), i16::MAX.into()),
            DataType::Int32 => Scalars::Int(Vec::new(), i32::MIN.into(), i32::MAX.into()),
            DataType::Int64 => Scalars::Long(Vec::new()),
            DataType::Float => Scalars::Float(Vec::new()),
            DataType::Double => Scalars::Double(Vec::new()),
            DataType::VarChar | DataType::String => Scalars::VarChar(Vec::new(), max_length),
            DataType::Json => Scalars::Json(Vec::new()),
            _ => return None,
        })
    }

    /// Appends one value; on error says what was expected.
    fn push(&mut self, t: DataType, value: &Value) -> Result<(), vector::Expected> {
        match self {
            Scalars::Bool(col) => match value {
                Value::Bool(b) => col.push(*b),
                v => return Err(format!("a boolean, got {}", describe(v))),
            },
            Scalars::Int(col, min, max) => match value {
                Value::Number(_) | Value::BigInt(_) | Value::String(_) => match as_integer(value) {
                    Some(n) if (*min..=*max).contains(&n) => col.push(n as i32),
                    _ => return Err(format!("an integer from {min} to {max} ({}), got {}", type_name(t), describe(value))),
                },
                v => return Err(format!("an integer from {min} to {max} ({}), got {}", type_name(t), describe(v))),
            },
            Scalars::Long(col) => match as_integer(value) {
                Some(n) => col.push(n),
                None => {
                    return Err(format!(
                        "an Int64: an integer number within ±2^53, a bigint or a decimal string, got {}",
                        describe(value)
                    ))
                }
            },
            Scalars::Float(col) => match value {
                Value::Number(n) if n.is_finite() => col.push(*n as f32),
                v => return Err(format!("a finite number (Float), got {}", describe(v))),
            },
            Scalars::Double(col) => match value {
                Value::Number(n) if n.is_finite() => col.push(*n),
                v => return Err(format!("a finite number (Double), got {}", describe(v))),
            },
            Scalars::VarChar(col, max) => match value {
                Value::String(s) if s.len() <= *max => col.push(s.clone()),
                Value::String(s) => return Err(format!("at most {max} bytes (max_length), got {}", s.len())),
                v => return Err(format!("a string (VarChar), got {}", describe(v))),
            },
            Scalars::Json(col) => match value {
                Value::Other(_) => return Err(format!("a JSON-serialisable value, got {}", value.kind())),
                v => col.push(v.to_json().to_string().into_bytes()),
            },
        }
        Ok(())
    }

    fn into_field(self) -> ScalarField {
        use scalar_field::Data as S;
        let data = match self {
            Scalars::Bool(data) => S::BoolData(BoolArray { data }),
            Scalars::Int(data, ..) => S::IntData(IntArray { data }),
            Scalars::Long(data) => S::LongData(LongArray { data }),
            Scalars::Float(data) => S::FloatData(FloatArray { data }),
            Scalars::Double(data) => S::DoubleData(DoubleArray { data }),
            Scalars::VarChar(data, _) => S::StringData(StringArray { data }),
            Scalars::Json(data) => S::JsonData(JsonArray { data }),
        };
        ScalarField {
            data: Some(data),
            ..Default::default()
        }
    }
}

enum Data {
    Scalar(Scalars),
    Array {
        element: DataType,
        max_length: usize,
        max_capacity: usize,
        rows: Vec<ScalarField>,
    },
    FloatVector(Vec<f32>, usize),
    /// A FloatVector column the preparer built, taken whole (see `prepare.rs`).
    Lent(Shared<f32>, usize),
    /// Binary, float16, bfloat16 and int8 vectors: bytes per row and the dimension.
    Bytes(Vec<u8>, usize),
    Sparse(Vec<Vec<u8>>, i64),
}

struct Column<'a> {
    field: &'a FieldSchema,
    data_type: DataType,
    data: Data,
    /// Present for nullable fields and fields with a default: false where the row had none.
    valid: Option<Vec<bool>>,
}

impl<'a> Column<'a> {
    fn new(field: &'a FieldSchema, rows: usize) -> Result<Column<'a>, ClientError> {
        let t = DataType::try_from(field.data_type).unwrap_or(DataType::None);
        let max_length = type_param(field, "max_length")
            .and_then(|m| m.parse().ok())
            .unwrap_or(usize::MAX);
        let dim = || {
            dim_of(field)
                .ok_or_else(|| ClientError::internal(format!("field {} has no dim", field.name)))
        };
        let data = match t {
            DataType::FloatVector => Data::FloatVector(Vec::with_capacity(rows * dim()?), dim()?),
            DataType::BinaryVector
            | DataType::Float16Vector
            | DataType::BFloat16Vector
            | DataType::Int8Vector => Data::Bytes(Vec::new(), dim()?),
            DataType::SparseFloatVector => Data::Sparse(Vec::with_capacity(rows), 0),
            DataType::Array => Data::Array {
                element: DataType::try_from(field.element_type).unwrap_or(DataType::None),
                max_length,
                max_capacity: type_param(field, "max_capacity")
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(usize::MAX),
                rows: Vec::with_capacity(rows),
            },
            other => Data::Scalar(Scalars::new(other, max_length).ok_or_else(|| {
                ClientError::invalid(
                    field.name.clone(),
                    format!(
                        "{}: fields of type {} cannot be written by milvus-native",
                        field.name,
                        type_name(other)
                    ),
                )
            })?),
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

    /// Takes a whole FloatVector column of the right dimension; false for anything else,
    /// which then goes row by row.
    fn take_whole(&mut self, prebuilt: &Prebuilt) -> Result<bool, ClientError> {
        let Data::FloatVector(col, dim) = &mut self.data else {
            return Ok(false);
        };
        let dim = *dim;
        if prebuilt.dim != dim {
            return Ok(false);
        }
        let finite = |values: &[f32]| match values.iter().position(|x| !x.is_finite()) {
            None => Ok(()),
            Some(at) => {
                let path = format!("data[{}].{}", at / dim, self.field.name);
                Err(ClientError::invalid(
                    path.clone(),
                    format!(
                        "{path}: expected finite numbers in a FloatVector, got {} at index {}",
                        values[at],
                        at % dim
                    ),
                ))
            }
        };
        let rows = match &prebuilt.data {
            // Sent as it is, without a copy.
            Numbers::F32(values) => {
                finite(values)?;
                self.data = Data::Lent(values.clone(), dim);
                values.len() / dim
            }
            Numbers::F64(values) => {
                col.extend(values.iter().map(|x| *x as f32));
                finite(col)?;
                col.len() / dim
            }
        };
        if let Some(valid) = &mut self.valid {
            valid.resize(rows, true);
        }
        Ok(true)
    }

    fn push(&mut self, row: usize, value: Option<&Value>) -> Result<(), ClientError> {
        let name = &self.field.name;
        let path = || format!("data[{row}].{name}");
        let Some(value) = value else {
            // Nulls send no value, only `valid_data: false` (the server fills in the default).
            return match &mut self.valid {
                Some(valid) => {
                    valid.push(false);
                    Ok(())
                }
                None => Err(ClientError::invalid(
                    path(),
                    format!(
                        "{}: missing a value for {} field '{name}', which is neither nullable nor has a default",
                        path(),
                        type_name(self.data_type)
                    ),
                )),
            };
        };
        if let Some(valid) = &mut self.valid {
            valid.push(true);
        }
        let t = self.data_type;
        let result = match &mut self.data {
            Data::Scalar(col) => col.push(t, value),
            Data::Array {
                element,
                max_length,
                max_capacity,
                rows,
            } => {
                array_cell(*element, *max_length, *max_capacity, value).map(|cell| rows.push(cell))
            }
            Data::FloatVector(col, dim) => {
                vector::floats(value, *dim, "FloatVector").map(|v| col.extend_from_slice(&v))
            }
            Data::Lent(..) => Err("no more values: the column was taken whole".to_string()),
            Data::Bytes(col, dim) => match t {
                DataType::BinaryVector => vector::binary(value, *dim),
                DataType::Float16Vector => vector::half_bytes(value, *dim, false),
                DataType::BFloat16Vector => vector::half_bytes(value, *dim, true),
                _ => vector::int8(value, *dim),
            }
            .map(|bytes| col.extend_from_slice(&bytes)),
            Data::Sparse(col, dim) => vector::sparse(value).map(|(bytes, max)| {
                *dim = (*dim).max(max.map_or(0, |m| m as i64 + 1));
                col.push(bytes);
            }),
        };
        result.map_err(|expected| {
            let path = path();
            ClientError::invalid(path.clone(), format!("{path}: expected {expected}"))
        })
    }

    fn finish(self) -> WriteField {
        use vector_field::Data as V;
        let head = FieldData {
            r#type: self.data_type as i32,
            field_name: self.field.name.clone(),
            field_id: self.field.field_id,
            valid_data: self.valid.unwrap_or_default(),
            ..Default::default()
        };
        let field = match self.data {
            Data::Lent(values, dim) => {
                return WriteField::Floats {
                    head,
                    dim: dim as i64,
                    bytes: values.to_le_bytes(),
                }
            }
            Data::Scalar(col) => field_data::Field::Scalars(col.into_field()),
            Data::Array { element, rows, .. } => field_data::Field::Scalars(ScalarField {
                data: Some(scalar_field::Data::ArrayData(ArrayArray {
                    data: rows,
                    element_type: element as i32,
                })),
                ..Default::default()
            }),
            Data::FloatVector(data, dim) => vectors(dim, V::FloatVector(FloatArray { data })),
            Data::Bytes(data, dim) => vectors(
                dim,
                match self.data_type {
                    DataType::BinaryVector => V::BinaryVector(data),
                    DataType::Float16Vector => V::Float16Vector(data),
                    DataType::BFloat16Vector => V::Bfloat16Vector(data),
                    _ => V::Int8Vector(data),
                },
            ),
            Data::Sparse(contents, dim) => field_data::Field::Vectors(VectorField {
                dim,
                data: Some(V::SparseFloatVector(SparseFloatArray { contents, dim })),
                ..Default::default()
            }),
        };
        WriteField::from_field(FieldData {
            field: Some(field),
            ..head
        })
    }
}

fn vectors(dim: usize, data: vector_field::Data) -> field_data::Field {
    field_data::Field::Vectors(VectorField {
        dim: dim as i64,
        data: Some(data),
        ..Default::default()
    })
}

/// One Array cell: a JS array (or typed array) of elements of the field's element type.
fn array_cell(
    element: DataType,
    max_length: usize,
    max_capacity: usize,
    value: &Value,
) -> Result<ScalarField, vector::Expected> {
    let items: Vec<Value> = match value {
        Value::Array(items) => items.clone(),
        Value::Float32Array(v) => v.iter().map(|x| Value::Number(*x as f64)).collect(),
        Value::Float64Array(v) | Value::Numbers(v) => v.iter().map(|x| Value::Number(*x)).collect(),
        Value::Int8Array(v) => v.iter().map(|x| Value::Number(*x as f64)).collect(),
        other => {
            return Err(format!(
                "an array of {}, got {}",
                type_name(element),
                describe(other)
            ))
        }
    };
    if items.len() > max_capacity {
        return Err(format!(
            "at most {max_capacity} elements (max_capacity), got {}",
            items.len()
        ));
    }
    let mut col = Scalars::new(element, max_length)
        .filter(|_| element != DataType::Json)
        .ok_or_else(|| {
            format!(
                "an element type Milvus supports in arrays, not {}",
                type_name(element)
            )
        })?;
    for (i, item) in items.iter().enumerate() {
        col.push(element, item)
            .map_err(|e| format!("{e} at element {i}"))?;
    }
    Ok(col.into_field())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::schema::vector_field::Data as V;
    use prost::Message;

    fn field(name: &str, t: DataType, params: &[(&str, &str)]) -> FieldSchema {
        FieldSchema {
            name: name.into(),
            data_type: t as i32,
            type_params: params
                .iter()
                .map(|(k, v)| crate::proto::common::KeyValuePair {
                    key: (*k).into(),
                    value: (*v).into(),
                })
                .collect(),
            ..Default::default()
        }
    }

    fn row(props: Vec<(&str, Value)>) -> Value {
        Value::Object(props.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    #[test]
    fn int8_vectors_encode_as_raw_bytes_in_the_protobuf() {
        let mut pk = field("id", DataType::Int64, &[]);
        pk.is_primary_key = true;
        let schema = CollectionSchema {
            fields: vec![pk, field("v", DataType::Int8Vector, &[("dim", "3")])],
            ..Default::default()
        };
        let rows = vec![
            row(vec![
                ("id", Value::Number(1.0)),
                ("v", Value::Int8Array(vec![-128, 0, 127])),
            ]),
            row(vec![
                ("id", Value::Number(2.0)),
                (
                    "v",
                    Value::Array(vec![
                        Value::Number(-1.0),
                        Value::Number(2.0),
                        Value::Number(3.0),
                    ]),
                ),
            ]),
        ];
        let columns = rows_to_columns(&schema, &rows, &[], WriteKind::Insert).unwrap();
        let WriteField::Field(v) = &columns[1] else {
            panic!("not a plain column")
        };
        assert_eq!(v.r#type, DataType::Int8Vector as i32);
        let Some(field_data::Field::Vectors(vectors)) = &v.field else {
            panic!("not a vector column")
        };
        assert_eq!(vectors.dim, 3);
        assert_eq!(
            vectors.data,
            Some(V::Int8Vector(vec![0x80, 0, 0x7f, 0xff, 2, 3]))
        );
        // On the wire: VectorField { dim = 3 (field 1), int8_vector = bytes (field 7) }.
        let encoded = vectors.encode_to_vec();
        assert_eq!(encoded, vec![0x08, 3, 0x3a, 6, 0x80, 0, 0x7f, 0xff, 2, 3]);
    }

    #[test]
    fn int8_vectors_refuse_fractions_naming_row_and_field() {
        let mut pk = field("id", DataType::Int64, &[]);
        pk.is_primary_key = true;
        let schema = CollectionSchema {
            fields: vec![pk, field("v", DataType::Int8Vector, &[("dim", "2")])],
            ..Default::default()
        };
        let rows = vec![row(vec![
            ("id", Value::Number(1.0)),
            (
                "v",
                Value::Array(vec![Value::Number(0.5), Value::Number(1.0)]),
            ),
        ])];
        let err = rows_to_columns(&schema, &rows, &[], WriteKind::Insert).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("data[0].v: expected integers from -128 to 127"),
            "{err}"
        );
    }

    fn float_schema(dynamic: bool, auto_id: bool) -> CollectionSchema {
        let mut pk = field("id", DataType::Int64, &[]);
        pk.is_primary_key = true;
        pk.auto_id = auto_id;
        CollectionSchema {
            fields: vec![pk, field("v", DataType::FloatVector, &[("dim", "2")])],
            enable_dynamic_field: dynamic,
            ..Default::default()
        }
    }

    fn prebuilt(name: &str, dim: usize, data: Numbers, rounded: bool) -> Prebuilt {
        Prebuilt {
            name: name.into(),
            dim,
            data,
            rounded,
        }
    }

    #[test]
    fn prebuilt_columns_give_the_same_columns_as_rows() {
        let schema = float_schema(true, false);
        let values = [0.1, 1.0 / 3.0, -2.5, 7.0];
        let rows: Vec<Value> = (0..2)
            .map(|i| {
                row(vec![
                    ("id", Value::Number(i as f64)),
                    ("v", Value::Float64Array(values[i * 2..i * 2 + 2].to_vec())),
                    ("extra", Value::Number(i as f64 + 0.5)),
                ])
            })
            .collect();
        let plain = rows_to_columns(&schema, &rows, &[], WriteKind::Insert).unwrap();
        let empty = vec![row(vec![]); 2];
        let columns = [
            prebuilt("id", 0, Numbers::F64(vec![0.0, 1.0].into()), false),
            prebuilt("v", 2, Numbers::F64(values.to_vec().into()), false),
            prebuilt("extra", 0, Numbers::F64(vec![0.5, 1.5].into()), false),
        ];
        let gathered = rows_to_columns(&schema, &empty, &columns, WriteKind::Insert).unwrap();
        assert_eq!(gathered, plain);
        // Already rounded to f32 by the preparer: the same column again.
        let rounded: Vec<f32> = values.iter().map(|x| *x as f32).collect();
        let columns = [
            prebuilt("id", 0, Numbers::F64(vec![0.0, 1.0].into()), false),
            prebuilt("v", 2, Numbers::F32(rounded.into()), true),
            prebuilt("extra", 0, Numbers::F64(vec![0.5, 1.5].into()), false),
        ];
        let gathered = rows_to_columns(&schema, &empty, &columns, WriteKind::Insert).unwrap();
        assert_eq!(gathered, plain);
    }

    #[test]
    fn prebuilt_columns_are_checked_like_rows() {
        let empty = vec![row(vec![]); 2];
        let v = |data| prebuilt("v", 2, data, false);
        let err = rows_to_columns(
            &float_schema(false, false),
            &empty,
            &[
                prebuilt("id", 0, Numbers::F64(vec![0.0, 1.0].into()), false),
                v(Numbers::F32(vec![1.0, 2.0, 3.0, f32::NAN].into())),
            ],
            WriteKind::Insert,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "data[1].v: expected finite numbers in a FloatVector, got NaN at index 1"
        );
        // A value for the auto_id key goes back into its row and is refused there.
        let err = rows_to_columns(
            &float_schema(false, true),
            &empty,
            &[
                prebuilt("id", 0, Numbers::F64(vec![0.0, 1.0].into()), false),
                v(Numbers::F32(vec![1.0; 4].into())),
            ],
            WriteKind::Insert,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("data[0].id: the primary key is auto_id"),
            "{err}"
        );
        // Rounded for a FloatVector that the collection no longer has: refused, not sent.
        let mut schema = float_schema(false, false);
        schema.fields[1] = field("v", DataType::Float16Vector, &[("dim", "2")]);
        let err = rows_to_columns(
            &schema,
            &empty,
            &[
                prebuilt("id", 0, Numbers::F64(vec![0.0, 1.0].into()), false),
                prebuilt("v", 2, Numbers::F32(vec![1.0; 4].into()), true),
            ],
            WriteKind::Insert,
        )
        .unwrap_err();
        assert!(err.to_string().contains("schema changed"), "{err}");
    }
}
