//! Columns to rows: the `FieldData` of query and search replies, decoded into row objects as
//! the official SDK renders them (int64 as decimal strings unless `bigint` is asked for).

use serde_json::Value as Json;

use super::vector::{half_to_f32, sparse_pairs};
use crate::output::{Out, Table, TableColumn};
use crate::proto::schema::{field_data, scalar_field, vector_field, FieldData, ScalarField};

/// How int64 values are returned to JS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Int64Output {
    /// Decimal strings, as the official SDK returns them.
    #[default]
    String,
    /// `bigint`.
    BigInt,
}

impl Int64Output {
    pub fn out(self, v: i64) -> Out {
        match self {
            Int64Output::String => Out::String(v.to_string()),
            Int64Output::BigInt => Out::BigInt(v),
        }
    }
}

/// How values of a reply are returned to JS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    pub int64: Int64Output,
    /// Float, float16 and bfloat16 vectors as `Float32Array` instead of `number[]`.
    pub typed_vectors: bool,
}

/// Read access to the columns of a reply, one row at a time.
pub struct Columns<'a> {
    columns: Vec<Column<'a>>,
    options: ReadOptions,
}

struct Column<'a> {
    field: &'a FieldData,
    /// For columns that carry values only for valid rows: the value index of each row.
    compact: Option<Vec<Option<usize>>>,
}

impl<'a> Columns<'a> {
    pub fn new(fields: &'a [FieldData], options: ReadOptions) -> Self {
        let columns = fields
            .iter()
            .map(|field| {
                let valid = &field.valid_data;
                // Replies may be row-dense (a value for every row) or compact (values for valid
                // rows only); the value count tells which.
                let compact = (!valid.is_empty() && values_len(field) != valid.len()).then(|| {
                    let mut next = 0;
                    valid
                        .iter()
                        .map(|ok| {
                            ok.then(|| {
                                next += 1;
                                next - 1
                            })
                        })
                        .collect()
                });
                Column { field, compact }
            })
            .collect();
        Columns { columns, options }
    }

    /// The value of row `i` in `column`: `null` where the row has none.
    fn value_at(&self, column: &Column, i: usize) -> Out {
        let f = column.field;
        let valid = f.valid_data.is_empty() || f.valid_data.get(i).copied().unwrap_or(false);
        let index = match &column.compact {
            Some(map) => map.get(i).copied().flatten(),
            None => Some(i),
        };
        match index.filter(|_| valid) {
            Some(index) => cell(f, index, self.options),
            None => Out::Null,
        }
    }

    /// The rows as columns, for JS to assemble (query results): dense float vector columns
    /// are moved out of `fields` as one block of numbers; everything else becomes a value per
    /// row. `$meta` stays nested.
    pub fn take_table(fields: &mut [FieldData], options: ReadOptions) -> Table {
        let rows = row_count(fields);
        let mut floats: Vec<Option<(Vec<f32>, usize)>> = Vec::with_capacity(fields.len());
        for f in fields.iter_mut() {
            let dense = f.valid_data.is_empty();
            floats.push(match &mut f.field {
                Some(field_data::Field::Vectors(v)) if dense && v.dim > 0 => match &mut v.data {
                    Some(vector_field::Data::FloatVector(a))
                        if a.data.len() == rows * v.dim as usize =>
                    {
                        Some((std::mem::take(&mut a.data), v.dim as usize))
                    }
                    _ => None,
                },
                _ => None,
            });
        }
        let reader = Columns::new(fields, options);
        let columns = reader
            .columns
            .iter()
            .zip(floats)
            .map(|(column, taken)| {
                let values = match taken {
                    Some((data, dim)) => TableColumn::Floats {
                        data,
                        dim,
                        typed: options.typed_vectors,
                    },
                    None => {
                        TableColumn::Cells((0..rows).map(|i| reader.value_at(column, i)).collect())
                    }
                };
                (column.field.field_name.clone(), values)
            })
            .collect();
        Table { rows, columns }
    }

    /// Appends row `i` to `out`. `flatten_dynamic` spreads `$meta` keys into the row (search
    /// hits); otherwise `$meta` stays nested (query rows), as in the official SDK.
    pub fn write_row(&self, i: usize, out: &mut Vec<(String, Out)>, flatten_dynamic: bool) {
        for column in &self.columns {
            let f = column.field;
            let value = self.value_at(column, i);
            if f.is_dynamic && flatten_dynamic {
                if let Out::Object(extra) = value {
                    for (k, v) in extra {
                        if !out.iter().any(|(key, _)| *key == k) {
                            out.push((k, v));
                        }
                    }
                }
                continue;
            }
            out.push((f.field_name.clone(), value));
        }
    }
}

/// Number of rows in a reply's columns: the longest validity list or value count.
fn row_count(fields: &[FieldData]) -> usize {
    fields
        .iter()
        .map(|f| match f.valid_data.len() {
            0 => values_len(f),
            n => n,
        })
        .max()
        .unwrap_or(0)
}

/// How many values a column carries.
fn values_len(f: &FieldData) -> usize {
    use vector_field::Data as V;
    match &f.field {
        Some(field_data::Field::Scalars(s)) => scalar_len(s),
        Some(field_data::Field::Vectors(v)) => {
            let dim = v.dim.max(1) as usize;
            match &v.data {
                Some(V::FloatVector(a)) => a.data.len() / dim,
                Some(V::BinaryVector(b)) => b.len() / (dim / 8).max(1),
                Some(V::Float16Vector(b)) | Some(V::Bfloat16Vector(b)) => b.len() / (dim * 2),
                Some(V::Int8Vector(b)) => b.len() / dim,
                Some(V::SparseFloatVector(s)) => s.contents.len(),
                _ => 0,
            }
        }
        _ => 0,
    }
}

fn scalar_len(s: &ScalarField) -> usize {
    use scalar_field::Data as S;
    match &s.data {
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
    }
}

fn cell(f: &FieldData, i: usize, options: ReadOptions) -> Out {
    match &f.field {
        Some(field_data::Field::Scalars(s)) => scalar_cell(s, i, options.int64),
        Some(field_data::Field::Vectors(v)) => vector_cell(v, i, options.typed_vectors),
        _ => Out::Null,
    }
}

fn scalar_cell(s: &ScalarField, i: usize, int64: Int64Output) -> Out {
    use scalar_field::Data as S;
    let get = |len: usize, f: &dyn Fn(usize) -> Out| if i < len { f(i) } else { Out::Null };
    match &s.data {
        Some(S::BoolData(a)) => get(a.data.len(), &|i| Out::Bool(a.data[i])),
        Some(S::IntData(a)) => get(a.data.len(), &|i| Out::Number(a.data[i] as f64)),
        Some(S::LongData(a)) => get(a.data.len(), &|i| int64.out(a.data[i])),
        Some(S::FloatData(a)) => get(a.data.len(), &|i| Out::Number(a.data[i] as f64)),
        Some(S::DoubleData(a)) => get(a.data.len(), &|i| Out::Number(a.data[i])),
        Some(S::StringData(a)) => get(a.data.len(), &|i| Out::String(a.data[i].clone())),
        Some(S::JsonData(a)) => get(a.data.len(), &|i| json_cell(&a.data[i])),
        Some(S::ArrayData(a)) => get(a.data.len(), &|i| {
            let element = &a.data[i];
            Out::Array(
                (0..scalar_len(element))
                    .map(|j| scalar_cell(element, j, int64))
                    .collect(),
            )
        }),
        _ => Out::Null,
    }
}

fn vector_cell(v: &VectorFieldRef, i: usize, typed: bool) -> Out {
    use vector_field::Data as V;
    let dim = v.dim.max(0) as usize;
    let numbers = |it: &mut dyn Iterator<Item = f64>| Out::Array(it.map(Out::Number).collect());
    let slice =
        |bytes: &'_ [u8], width: usize| bytes.get(i * width..(i + 1) * width).map(<[u8]>::to_vec);
    match &v.data {
        Some(V::FloatVector(a)) => a
            .data
            .get(i * dim..(i + 1) * dim)
            .map_or(Out::Null, |s| Out::Floats(s.to_vec(), typed)),
        Some(V::BinaryVector(b)) => {
            slice(b, dim / 8).map_or(Out::Null, |s| numbers(&mut s.iter().map(|x| *x as f64)))
        }
        Some(V::Float16Vector(b)) => {
            slice(b, dim * 2).map_or(Out::Null, |s| Out::Floats(half_to_f32(&s, false), typed))
        }
        Some(V::Bfloat16Vector(b)) => {
            slice(b, dim * 2).map_or(Out::Null, |s| Out::Floats(half_to_f32(&s, true), typed))
        }
        Some(V::Int8Vector(b)) => slice(b, dim).map_or(Out::Null, |s| {
            numbers(&mut s.iter().map(|x| *x as i8 as f64))
        }),
        Some(V::SparseFloatVector(s)) => s.contents.get(i).map_or(Out::Null, |row| {
            Out::Object(
                sparse_pairs(row)
                    .map(|(k, v)| (k.to_string(), Out::Number(v as f64)))
                    .collect(),
            )
        }),
        _ => Out::Null,
    }
}

type VectorFieldRef = crate::proto::schema::VectorField;

/// A JSON cell; bytes that are not JSON come back as text rather than being lost.
fn json_cell(bytes: &[u8]) -> Out {
    if bytes.is_empty() {
        return Out::Null;
    }
    match serde_json::from_slice::<Json>(bytes) {
        Ok(v) => Out::from(v),
        Err(_) => Out::String(String::from_utf8_lossy(bytes).into_owned()),
    }
}
