//! Response values built on the Tokio runtime and turned into JS values on the JS thread.
//!
//! Small responses are written with `serde_json::json!` and converted; rows of query and
//! search results are built as [`Out`] directly, so that int64 cells can become `bigint`.

use crate::bulk::{self, Bulk};
use napi::bindgen_prelude::ToNapiValue;
use napi::sys;
use std::ptr;

/// A JS value to be created.
#[derive(Clone, Debug, PartialEq)]
pub enum Out {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    BigInt(i64),
    /// A float vector: a `number[]`, or a `Float32Array` when `typed`.
    Floats(Vec<f32>, bool),
    Array(Vec<Out>),
    /// Properties in insertion order.
    Object(Vec<(String, Out)>),
    /// A response whose `key` holds rows given as columns; JS assembles the row objects (see
    /// `bulk.rs`). Only valid as a method's whole result: it may become a Promise of it.
    WithRows {
        response: Box<Out>,
        key: String,
        table: Table,
    },
}

/// Rows in columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub rows: usize,
    pub columns: Vec<(String, TableColumn)>,
}

/// One column of a [`Table`].
#[derive(Clone, Debug, PartialEq)]
pub enum TableColumn {
    /// A value per row.
    Cells(Vec<Out>),
    /// `rows * dim` values of a float vector column, returned as `number[]` or, when `typed`,
    /// `Float32Array` per row.
    Floats {
        data: Vec<f32>,
        dim: usize,
        typed: bool,
    },
}

impl Out {
    /// Sets `key` on an object, replacing an existing value; a no-op on other values.
    pub fn set(&mut self, key: &str, value: Out) {
        if let Out::Object(props) = self {
            match props.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => props.push((key.to_string(), value)),
            }
        }
    }
}

impl From<serde_json::Value> for Out {
    fn from(v: serde_json::Value) -> Self {
        use serde_json::Value as J;
        match v {
            J::Null => Out::Null,
            J::Bool(b) => Out::Bool(b),
            J::Number(n) => Out::Number(n.as_f64().unwrap_or(f64::NAN)),
            J::String(s) => Out::String(s),
            J::Array(items) => Out::Array(items.into_iter().map(Out::from).collect()),
            J::Object(map) => {
                Out::Object(map.into_iter().map(|(k, v)| (k, Out::from(v))).collect())
            }
        }
    }
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(
            napi::Status::GenericFailure,
            format!("creating a JS value failed (napi status {status})"),
        ))
    }
}

unsafe fn string(env: sys::napi_env, s: &str) -> napi::Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    check(sys::napi_create_string_utf8(
        env,
        s.as_ptr().cast(),
        s.len() as isize,
        &mut out,
    ))?;
    Ok(out)
}

impl ToNapiValue for Out {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        match val {
            Out::WithRows {
                response,
                key,
                table,
            } => create_with_rows(env, &response, &key, table),
            other => create(env, &other),
        }
    }
}

/// A `Float32Array` over `values` without copying them; V8 frees them with the array.
/// Falls back to a copy where the runtime allows no external buffers.
unsafe fn float32_array_owned(
    env: sys::napi_env,
    values: Vec<f32>,
) -> napi::Result<sys::napi_value> {
    unsafe extern "C" fn release(
        _env: sys::napi_env,
        _data: *mut std::ffi::c_void,
        hint: *mut std::ffi::c_void,
    ) {
        drop(Box::from_raw(hint.cast::<Vec<f32>>()));
    }
    if values.is_empty() {
        return float32_array(env, &values);
    }
    let len = values.len();
    let boxed = Box::new(values);
    let data = boxed.as_ptr() as *mut std::ffi::c_void;
    let hint = Box::into_raw(boxed);
    let mut buffer = ptr::null_mut();
    let status = sys::napi_create_external_arraybuffer(
        env,
        data,
        len * std::mem::size_of::<f32>(),
        Some(release),
        hint.cast(),
        &mut buffer,
    );
    if status != sys::Status::napi_ok {
        let values = Box::from_raw(hint);
        return float32_array(env, &values);
    }
    let mut out = ptr::null_mut();
    check(sys::napi_create_typedarray(
        env,
        sys::TypedarrayType::float32_array,
        len,
        buffer,
        0,
        &mut out,
    ))?;
    Ok(out)
}

/// A `Float32Array` holding a copy of `values`.
unsafe fn float32_array(env: sys::napi_env, values: &[f32]) -> napi::Result<sys::napi_value> {
    let bytes = std::mem::size_of_val(values);
    let mut data: *mut std::ffi::c_void = ptr::null_mut();
    let mut buffer = ptr::null_mut();
    check(sys::napi_create_arraybuffer(
        env,
        bytes,
        &mut data,
        &mut buffer,
    ))?;
    if bytes > 0 {
        ptr::copy_nonoverlapping(values.as_ptr().cast::<u8>(), data.cast::<u8>(), bytes);
    }
    let mut out = ptr::null_mut();
    check(sys::napi_create_typedarray(
        env,
        sys::TypedarrayType::float32_array,
        values.len(),
        buffer,
        0,
        &mut out,
    ))?;
    Ok(out)
}

/// Builds `response` with `table` assembled into its `key` by the JS assembler, or row by row
/// here when the assembler cannot run.
unsafe fn create_with_rows(
    env: sys::napi_env,
    response: &Out,
    key: &str,
    table: Table,
) -> napi::Result<sys::napi_value> {
    let base = create(env, response)?;
    let mut names = ptr::null_mut();
    let mut columns = ptr::null_mut();
    let mut dims = ptr::null_mut();
    let mut typed = ptr::null_mut();
    let width = table.columns.len();
    check(sys::napi_create_array_with_length(env, width, &mut names))?;
    check(sys::napi_create_array_with_length(env, width, &mut columns))?;
    check(sys::napi_create_array_with_length(env, width, &mut dims))?;
    check(sys::napi_create_array_with_length(env, width, &mut typed))?;
    let rows = table.rows;
    let mut fallback = Vec::new();
    for (c, (name, column)) in table.columns.into_iter().enumerate() {
        let (value, dim, is_typed) = match column {
            TableColumn::Cells(cells) => {
                let value = create(env, &Out::Array(cells))?;
                (value, 0, false)
            }
            TableColumn::Floats { data, dim, typed } => {
                (float32_array_owned(env, data)?, dim, typed)
            }
        };
        fallback.push((name.clone(), value, dim));
        check(sys::napi_set_element(
            env,
            names,
            c as u32,
            string(env, &name)?,
        ))?;
        check(sys::napi_set_element(env, columns, c as u32, value))?;
        check(sys::napi_set_element(
            env,
            dims,
            c as u32,
            create(env, &Out::Number(dim as f64))?,
        ))?;
        check(sys::napi_set_element(
            env,
            typed,
            c as u32,
            create(env, &Out::Bool(is_typed))?,
        ))?;
    }
    let count = create(env, &Out::Number(rows as f64))?;
    let args = [base, string(env, key)?, names, columns, dims, typed, count];
    if let Some(result) = bulk::call_with(env, Bulk::Assemble, &args) {
        return Ok(result);
    }
    // The assembler could not run: build the rows here from the JS columns.
    let mut list = ptr::null_mut();
    check(sys::napi_create_array_with_length(env, rows, &mut list))?;
    for i in 0..rows {
        let mut row = ptr::null_mut();
        check(sys::napi_create_object(env, &mut row))?;
        for (name, column, dim) in &fallback {
            let mut value = ptr::null_mut();
            if *dim == 0 {
                check(sys::napi_get_element(env, *column, i as u32, &mut value))?;
            } else {
                let (mut kind, mut len, mut data, mut buffer, mut offset) =
                    (0, 0usize, ptr::null_mut(), ptr::null_mut(), 0usize);
                check(sys::napi_get_typedarray_info(
                    env,
                    *column,
                    &mut kind,
                    &mut len,
                    &mut data,
                    &mut buffer,
                    &mut offset,
                ))?;
                let all = std::slice::from_raw_parts(data.cast::<f32>(), len);
                value = create(
                    env,
                    &Out::Floats(all[i * dim..(i + 1) * dim].to_vec(), false),
                )?;
            }
            check(sys::napi_set_property(env, row, string(env, name)?, value))?;
        }
        check(sys::napi_set_element(env, list, i as u32, row))?;
    }
    check(sys::napi_set_property(env, base, string(env, key)?, list))?;
    Ok(base)
}

unsafe fn create(env: sys::napi_env, val: &Out) -> napi::Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    match val {
        Out::WithRows {
            response,
            key,
            table,
        } => out = create_with_rows(env, response, key, table.clone())?,
        Out::Null => check(sys::napi_get_null(env, &mut out))?,
        Out::Bool(b) => check(sys::napi_get_boolean(env, *b, &mut out))?,
        Out::Number(n) => check(sys::napi_create_double(env, *n, &mut out))?,
        Out::String(s) => out = string(env, s)?,
        Out::BigInt(n) => check(sys::napi_create_bigint_int64(env, *n, &mut out))?,
        Out::Floats(values, typed) => {
            let typed_array = float32_array(env, values)?;
            out = if *typed {
                typed_array
            } else {
                match bulk::call(env, Bulk::ToArray, typed_array) {
                    Some(array) => array,
                    None => {
                        let numbers = values.iter().map(|x| Out::Number(*x as f64)).collect();
                        create(env, &Out::Array(numbers))?
                    }
                }
            };
        }
        Out::Array(items) => {
            check(sys::napi_create_array_with_length(
                env,
                items.len(),
                &mut out,
            ))?;
            for (i, item) in items.iter().enumerate() {
                // A scope per element keeps the handles of large results from piling up; the
                // element stays alive through the array.
                let mut scope = ptr::null_mut();
                check(sys::napi_open_handle_scope(env, &mut scope))?;
                let set = create(env, item)
                    .and_then(|v| check(sys::napi_set_element(env, out, i as u32, v)));
                check(sys::napi_close_handle_scope(env, scope))?;
                set?;
            }
        }
        Out::Object(props) => {
            check(sys::napi_create_object(env, &mut out))?;
            for (key, value) in props {
                check(sys::napi_set_property(
                    env,
                    out,
                    string(env, key)?,
                    create(env, value)?,
                ))?;
            }
        }
    }
    Ok(out)
}
